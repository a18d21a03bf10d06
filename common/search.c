/* The full-text index (see search.h). */
#include "common/search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/db.h"
#include "common/expr.h"
#include "common/log.h"
#include "common/text.h"

#define CHECKPOINT_NAME "indexer"
#define INDEX_PAGE_SIZE 65536    /* a new index: fewer, larger writes of FTS5's segments */
#define READ_MMAP_BYTES 1073741824   /* of the index a searching connection maps */
#define EXACT_MARK '\x01'    /* starts an exact-form token */
#define EXACT_QUERY '\x02'   /* starts a quoted query string wanting exact forms */
#define MAX_LIMIT 1000
#define RANK_WINDOW 1000
#define NW_STR_(x) #x
#define NW_STR(x) NW_STR_(x)

/* ---- the tokenizer ---- */

struct token_ctx {
	void *fts_ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	const char *base;       /* offsets are from here */
	bool document, exact_query;
	int rc;
	nw_buf marked;          /* EXACT_MARK + exact form */
};

static bool emit_word(void *arg, const char *word, size_t len, const char *folded, size_t flen,
		      const char *exact, size_t elen)
{
	struct token_ctx *t = arg;
	int start = (int)(word - t->base), end = start + (int)len;
	bool differs = flen != elen || memcmp(folded, exact, flen) != 0;
	if (differs) {
		t->marked.len = 0;
		if (nw_buf_putc(&t->marked, EXACT_MARK) || nw_buf_append(&t->marked, exact, elen)) {
			t->rc = SQLITE_NOMEM;
			return false;
		}
	}
	if (t->exact_query && differs) {
		t->rc = t->xToken(t->fts_ctx, 0, t->marked.data, (int)t->marked.len, start, end);
		return t->rc == SQLITE_OK;
	}
	t->rc = t->xToken(t->fts_ctx, 0, folded, (int)flen, start, end);
	if (t->rc == SQLITE_OK && t->document && differs)
		t->rc = t->xToken(t->fts_ctx, FTS5_TOKEN_COLOCATED, t->marked.data,
				  (int)t->marked.len, start, end);
	return t->rc == SQLITE_OK;
}

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	static int dummy;
	*out = (Fts5Tokenizer *)&dummy;   /* stateless */
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
}

static int tok_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text, int n,
			int (*xToken)(void *, int, const char *, int, int, int))
{
	struct token_ctx t = { .fts_ctx = ctx, .xToken = xToken, .base = text,
			       .document = !(flags & FTS5_TOKENIZE_QUERY) };
	utf8proc_uint8_t *nfc = NULL;
	if (n < 0)
		return SQLITE_ERROR;
	if (flags & FTS5_TOKENIZE_QUERY) {
		if (n > 0 && text[0] == EXACT_QUERY) {
			t.exact_query = true;
			text++;
			n--;
		}
		/* queries come from people: put them in NFC like the articles */
		utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)text, n, &nfc,
						  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (k >= 0) {
			text = (const char *)nfc;
			n = (int)k;
		}
		t.base = text;
	}
	enum nw_err err = nw_text_words(text, (size_t)n, emit_word, &t);
	free(nfc);
	nw_buf_release(&t.marked);
	if (err)
		return SQLITE_NOMEM;
	return t.rc;
}

/* ---- ranking ----
 * "nwrank" is bm25 (k1 1.2, b 0.75, one weight per column as arguments)
 * with changes that bound its cost: a phrase's document frequency is
 * counted up to RANK_WINDOW matches only, and only once a ranked row holds
 * the phrase (FTS5's bm25 walks every match of every phrase in the index,
 * NOT phrases included, on each query); and the idf is the form that
 * stays positive, log(1 + (N - n + 0.5) / (n + 0.5)). Rare phrases still
 * weigh far more than common ones; phrases found in more than RANK_WINDOW
 * articles weigh alike. Lower is better, as with bm25. */

#define BM25_K1 1.2
#define BM25_B 0.75

struct rank_stats {
	int phrases;
	sqlite3_int64 rows;
	double avgdl;
	double idf[];   /* < 0 until a row matches the phrase (a NOT never does) */
};

static int count_match(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
	int *n = arg;
	return ++*n >= RANK_WINDOW ? SQLITE_DONE : SQLITE_OK;
}

static struct rank_stats *rank_stats(const Fts5ExtensionApi *api, Fts5Context *fts, int *rc)
{
	struct rank_stats *st = api->xGetAuxdata(fts, 0);
	if (st)
		return st;
	int phrases = api->xPhraseCount(fts);
	sqlite3_int64 rows = 0, tokens = 0;
	if ((*rc = api->xRowCount(fts, &rows)) != SQLITE_OK ||
	    (*rc = api->xColumnTotalSize(fts, -1, &tokens)) != SQLITE_OK)
		return NULL;
	if (!(st = sqlite3_malloc64(sizeof(*st) + (size_t)phrases * sizeof(double)))) {
		*rc = SQLITE_NOMEM;
		return NULL;
	}
	st->phrases = phrases;
	st->rows = rows;
	st->avgdl = rows > 0 ? (double)tokens / (double)rows : 1.0;
	for (int p = 0; p < phrases; p++)
		st->idf[p] = -1;
	if ((*rc = api->xSetAuxdata(fts, st, sqlite3_free)) != SQLITE_OK)
		return NULL;   /* xSetAuxdata freed it */
	return st;
}

static int phrase_idf(const Fts5ExtensionApi *api, Fts5Context *fts, struct rank_stats *st,
		      int p)
{
	int n = 0, rc = SQLITE_OK;
	if (st->idf[p] < 0 && (rc = api->xQueryPhrase(fts, p, &n, count_match)) == SQLITE_OK)
		st->idf[p] = log(1.0 + ((double)st->rows - n + 0.5) / (n + 0.5));
	return rc;
}

static void nwrank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
		   int nargs, sqlite3_value **args)
{
	int rc = SQLITE_OK;
	struct rank_stats *st = rank_stats(api, fts, &rc);
	double freq_buf[16], *freq = freq_buf;
	if (st && st->phrases > (int)NW_ARRAY_LEN(freq_buf) &&
	    !(freq = sqlite3_malloc64((size_t)st->phrases * sizeof(double))))
		rc = SQLITE_NOMEM;
	int inst = 0, dl = 0;
	if (rc == SQLITE_OK && (rc = api->xInstCount(fts, &inst)) == SQLITE_OK)
		rc = api->xColumnSize(fts, -1, &dl);
	if (rc != SQLITE_OK) {
		if (freq != freq_buf)
			sqlite3_free(freq);
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	memset(freq, 0, (size_t)st->phrases * sizeof(double));
	for (int i = 0; i < inst && rc == SQLITE_OK; i++) {
		int phrase, col, off;
		if ((rc = api->xInst(fts, i, &phrase, &col, &off)) == SQLITE_OK)
			freq[phrase] += col < nargs ? sqlite3_value_double(args[col]) : 1.0;
	}
	double score = 0, norm = BM25_K1 * (1 - BM25_B + BM25_B * dl / st->avgdl);
	for (int p = 0; p < st->phrases && rc == SQLITE_OK; p++)
		if (freq[p] > 0 && (rc = phrase_idf(api, fts, st, p)) == SQLITE_OK)
			score += st->idf[p] * freq[p] * (BM25_K1 + 1) / (freq[p] + norm);
	if (freq != freq_buf)
		sqlite3_free(freq);
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_double(ctx, -score);
}

static enum nw_err register_tokenizer(sqlite3 *db, char *msg, size_t msglen)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	static fts5_tokenizer tokenizer = { tok_create, tok_delete, tok_tokenize };
	if (!api || api->xCreateTokenizer(api, "nwfold", NULL, &tokenizer, NULL) != SQLITE_OK ||
	    api->xCreateFunction(api, "nwrank", NULL, nwrank, NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "SQLite has no FTS5 (cannot register the tokenizer)");
		return NW_EIO;
	}
	return NW_OK;
}

/* ---- the index ---- */

static const char schema[] =
	"BEGIN;"
	"CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
	" title, lead, body, captions, people, places, source, lang, tokenize = 'nwfold');"
	"CREATE TABLE IF NOT EXISTS meta ("
	" seq INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL,"
	" title TEXT NOT NULL,"
	" published TEXT,"
	" published_ts INTEGER,"
	" source TEXT NOT NULL,"
	" lang TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS meta_published_ts ON meta(published_ts);"
	/* the weights of ORDER BY rank: title, lead, body, captions, people,
	 * places, source, lang */
	"INSERT INTO docs(docs, rank) VALUES('rank', 'nwrank(10.0, 4.0, 1.0, 2.0, 3.0, 3.0, 0.0, 0.0)');"
	"COMMIT;";

struct nw_index {
	sqlite3 *db;
	sqlite3_stmt *meta, *doc, *window, *top, *hit_meta;
};

void nw_index_close(nw_index **ixp)
{
	nw_index *ix = *ixp;
	if (!ix)
		return;
	sqlite3_finalize(ix->meta);
	sqlite3_finalize(ix->doc);
	sqlite3_finalize(ix->window);
	sqlite3_finalize(ix->top);
	sqlite3_finalize(ix->hit_meta);
	nw_db_close(&ix->db);
	free(ix);
	*ixp = NULL;
}

enum nw_err nw_index_open(const char *path, bool readonly, nw_index **out, char *msg,
			  size_t msglen)
{
	nw_index *ix = calloc(1, sizeof(*ix));
	if (!ix) {
		snprintf(msg, msglen, "out of memory");
		return NW_ENOMEM;
	}
	char err_text[400];
	enum nw_err err = nw_db_open_paged(path, readonly, INDEX_PAGE_SIZE, NULL, &ix->db, msg, msglen);
	if (!err)
		err = register_tokenizer(ix->db, msg, msglen);
	/* queries read FTS5's doclists over and over: mapped, they are read in
	 * place from the kernel's page cache instead of copied into SQLite's
	 * 2 MB cache, which holds only 31 pages of 64 KiB */
	if (!err && readonly && nw_db_exec(ix->db, "PRAGMA mmap_size = " NW_STR(READ_MMAP_BYTES),
					   err_text, sizeof(err_text))) {
		snprintf(msg, msglen, "%s: %s", path, err_text);
		err = NW_EIO;
	}
	if (!err && !readonly && nw_db_exec(ix->db, schema, err_text, sizeof(err_text))) {
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
		snprintf(msg, msglen, "%s: %s", path, err_text);
		err = NW_EIO;
	}
	if (!err && !readonly)
		err = nw_db_prepare(ix->db,
				    "INSERT INTO meta (seq, id, title, published, published_ts, source, lang)"
				    " VALUES (?, ?, ?, ?, unixepoch(?), ?, ?) ON CONFLICT DO NOTHING",
				    &ix->meta, msg, msglen);
	if (!err && !readonly)
		err = nw_db_prepare(ix->db,
				    "INSERT INTO docs (rowid, title, lead, body, captions, people, places,"
				    " source, lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				    &ix->doc, msg, msglen);
	if (!err)
		err = nw_db_prepare(ix->db,
				    /* where the newest RANK_WINDOW matches begin */
				    "SELECT rowid FROM docs WHERE docs MATCH ?1 ORDER BY rowid DESC"
				    " LIMIT 1 OFFSET " NW_STR(RANK_WINDOW) " - 1",
				    &ix->window, msg, msglen);
	if (!err)
		err = nw_db_prepare(ix->db,
				    /* FTS5 ranks the matches from ?2 on itself (ORDER BY
				     * rank), and returns them best first; a filter is a
				     * correlated EXISTS, which SQLite checks on each row
				     * before the snippet, so only hits get one */
				    "SELECT rowid, rank, snippet(docs, -1, '<b>', '</b>', '…', 16) FROM docs"
				    " WHERE docs MATCH ?1 AND rowid >= ?2"
				    " AND (?4 IS NULL AND ?5 IS NULL AND ?6 = 0 AND ?7 = 0"
				    "  OR EXISTS (SELECT 1 FROM meta m WHERE m.seq = docs.rowid"
				    "   AND (?4 IS NULL OR m.lang = ?4) AND (?5 IS NULL OR m.source = ?5)"
				    "   AND (?6 = 0 OR m.published_ts >= ?6) AND (?7 = 0 OR m.published_ts <= ?7)))"
				    " ORDER BY rank LIMIT ?3",
				    &ix->top, msg, msglen);
	if (!err)
		err = nw_db_prepare(ix->db,
				    "SELECT id, title, published, source FROM meta WHERE seq = ?1",
				    &ix->hit_meta, msg, msglen);
	if (err) {
		nw_index_close(&ix);
		return err;
	}
	*out = ix;
	return NW_OK;
}

uint64_t nw_index_checkpoint(nw_index *ix)
{
	uint64_t seq = 0;
	return nw_db_checkpoint_get(ix->db, CHECKPOINT_NAME, &seq) == NW_OK ? seq : 0;
}

uint64_t nw_index_count(nw_index *ix)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(ix->db, "SELECT count(*) FROM meta", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static enum nw_err index_one(nw_index *ix, const nw_article *a, struct nw_index_store_stats *st,
			     nw_buf parts[4], char *msg, size_t msglen)
{
	sqlite3_stmt *m = ix->meta;
	sqlite3_reset(m);
	sqlite3_bind_int64(m, 1, (sqlite3_int64)a->seq);
	bind_text(m, 2, a->id);
	bind_text(m, 3, a->title ? a->title : "");
	bind_text(m, 4, a->published);
	bind_text(m, 5, a->published);
	bind_text(m, 6, a->source ? a->source : "");
	bind_text(m, 7, a->lang ? a->lang : "und");
	if (sqlite3_step(m) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(ix->db) == 0) {
		st->duplicates++;   /* indexed already */
		return NW_OK;
	}
	const nw_strlist *lists[4] = { &a->paragraphs, &a->captions, &a->people, &a->places };
	static const char *const seps[4] = { "\n", "\n", "; ", "; " };
	for (int i = 0; i < 4; i++) {
		parts[i].len = 0;
		if (nw_strlist_join(lists[i], seps[i], &parts[i])) {
			snprintf(msg, msglen, "out of memory");
			return NW_ENOMEM;
		}
	}
	sqlite3_stmt *d = ix->doc;
	sqlite3_reset(d);
	sqlite3_bind_int64(d, 1, (sqlite3_int64)a->seq);
	bind_text(d, 2, a->title ? a->title : "");
	bind_text(d, 3, a->lead ? a->lead : "");
	for (int i = 0; i < 4; i++)   /* the buffers are reused: bind by length */
		sqlite3_bind_text(d, 4 + i, parts[i].data, (int)parts[i].len, SQLITE_STATIC);
	bind_text(d, 8, a->source ? a->source : "");
	bind_text(d, 9, a->lang ? a->lang : "und");
	if (sqlite3_step(d) != SQLITE_DONE)
		goto fail;
	st->indexed++;
	return NW_OK;
fail:
	snprintf(msg, msglen, "cannot index seq %llu: %s", (unsigned long long)a->seq,
		 sqlite3_errmsg(ix->db));
	return NW_EIO;
}

enum nw_err nw_index_store(nw_index *ix, const struct nw_service_batch *b,
			   struct nw_index_store_stats *st, char *msg, size_t msglen)
{
	enum nw_err err = nw_db_exec(ix->db, "BEGIN IMMEDIATE", msg, msglen);
	if (err)
		return err;
	nw_buf parts[4] = { NW_BUF_INIT, NW_BUF_INIT, NW_BUF_INIT, NW_BUF_INIT };
	for (size_t i = 0; i < b->n && !err; i++) {
		nw_article *a = NULL;
		if (nw_service_batch_article(b, i, &a) != NW_OK) {
			st->undecodable++;
			nw_warn("article does not decode; not indexed", "seq", NW_U64(b->items[i].seq));
			continue;
		}
		err = index_one(ix, a, st, parts, msg, msglen);
		nw_article_destroy(&a);
	}
	for (int i = 0; i < 4; i++)
		nw_buf_release(&parts[i]);
	if (!err)
		err = nw_db_checkpoint_set(ix->db, CHECKPOINT_NAME, b->last_seq, msg, msglen);
	return nw_db_finish(ix->db, err, msg, msglen);
}

/* ---- queries ---- */

static const char *const column_of[] = {
	[NW_FIELD_ANY] = "{title lead body captions people places}",
	[NW_FIELD_TITLE] = "title", [NW_FIELD_PLACE] = "places", [NW_FIELD_PERSON] = "people",
	[NW_FIELD_SOURCE] = "source", [NW_FIELD_LANG] = "lang",
};

struct fts_out {
	nw_buf text;
	bool exact;
	const char *err;   /* why the expression cannot be searched */
};

static bool word_differs(void *arg, const char *word, size_t len, const char *folded,
			 size_t flen, const char *exact, size_t elen)
{
	bool *differs = arg;
	*differs = flen != elen || memcmp(folded, exact, flen) != 0;
	return !*differs;   /* stop at the first */
}

/* Whether a word of s has an exact form apart from its folded one, as the
 * tokenizer sees it (in NFC). */
static bool has_exact_words(const char *s)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &nfc,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	bool differs = false;
	if (n >= 0)
		nw_text_words((const char *)nfc, (size_t)n, word_differs, &differs);
	else
		differs = true;   /* the tokenizer will see the text as it is */
	free(nfc);
	return differs;
}

static void fts_term(struct fts_out *o, const struct nw_expr *e)
{
	nw_buf_printf(&o->text, "%s : \"", column_of[e->field]);
	/* only a term with diacritics differs from its folded query, so a
	 * query with none is one spelling group (see search_groups) */
	if (o->exact && has_exact_words(e->text))
		nw_buf_putc(&o->text, EXACT_QUERY);
	for (const char *c = e->text; *c; c++) {
		if (*c == '"')
			nw_buf_putc(&o->text, '"');   /* FTS5 doubles quotes in strings */
		nw_buf_putc(&o->text, *c);
	}
	nw_buf_putc(&o->text, '"');
}

/* Writes e as an FTS5 query. NOT must exclude from something: "a NOT b"
 * (FTS5 has no NOT on its own). */
static void fts_expr(struct fts_out *o, const struct nw_expr *e)
{
	switch (e->kind) {
	case NW_EXPR_TERM:
		fts_term(o, e);
		return;
	case NW_EXPR_NOT:
		o->err = "NOT must follow what it excludes from, as in \"bão NOT lũ\"";
		return;
	case NW_EXPR_OR:
	case NW_EXPR_AND: {
		const struct nw_expr *a = e->a, *b = e->b;
		const char *op = e->kind == NW_EXPR_OR ? " OR " : " AND ";
		if (e->kind == NW_EXPR_AND && a->kind == NW_EXPR_NOT && b->kind != NW_EXPR_NOT) {
			const struct nw_expr *t = a;   /* NOT x AND y = y NOT x */
			a = b;
			b = t;
		}
		if (e->kind == NW_EXPR_AND && b->kind == NW_EXPR_NOT) {
			op = " NOT ";
			b = b->a;
		}
		nw_buf_putc(&o->text, '(');
		fts_expr(o, a);
		nw_buf_puts(&o->text, op);
		fts_expr(o, b);
		nw_buf_putc(&o->text, ')');
		return;
	}
	}
}

/* ANDs a field filter onto the expression text. */
static void and_filter(struct fts_out *o, enum nw_expr_field field, const char *value)
{
	if (!value)
		return;
	struct nw_expr t = { .kind = NW_EXPR_TERM, .field = field, .text = (char *)value };
	nw_buf_puts(&o->text, " AND ");
	fts_term(o, &t);
}

static enum nw_err build(const struct nw_expr *e, const struct nw_search_query *q, bool exact,
			 nw_buf *out, char *msg, size_t msglen)
{
	struct fts_out o = { .exact = exact };
	nw_buf_putc(&o.text, '(');
	fts_expr(&o, e);
	nw_buf_putc(&o.text, ')');
	and_filter(&o, NW_FIELD_PLACE, q->place);
	and_filter(&o, NW_FIELD_PERSON, q->person);
	if (o.err) {
		snprintf(msg, msglen, "%s", o.err);
		nw_buf_release(&o.text);
		return NW_ESYNTAX;
	}
	if (!o.text.data) {
		snprintf(msg, msglen, "out of memory");
		return NW_ENOMEM;
	}
	*out = o.text;
	return NW_OK;
}

/* A filter value must have words to match. */
static bool has_words(const char *s)
{
	nw_buf b = NW_BUF_INIT;
	bool ok = nw_fold_words(s, strlen(s), &b) == NW_OK && b.len > 0;
	nw_buf_release(&b);
	return ok;
}

static double round3(double v)
{
	return (double)(long long)(v * 1000 + (v >= 0 ? 0.5 : -0.5)) / 1000;
}

static json_t *hit_json(sqlite3_int64 seq, const char *id, const char *title,
			const char *published, const char *source, double score, const char *snippet)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:s,s:f,s:s}", "seq", (json_int_t)seq, "id", id,
			 "title", title, "published", published ? json_string(published) : json_null(),
			 "source", source, "score", round3(score), "snippet", snippet ? snippet : "");
}

static bool has_filters(const struct nw_search_query *q)
{
	return q->lang || q->source || q->since || q->until;
}

/* The first rowid of the newest RANK_WINDOW matches (0 when fewer). */
static enum nw_err window_start(nw_index *ix, const char *match, sqlite3_int64 *from)
{
	sqlite3_stmt *st = ix->window;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*from = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? NW_OK : NW_EIO;
}

/* Appends hit seq with its meta (none when the meta row is missing). */
static enum nw_err add_hit(nw_index *ix, sqlite3_int64 seq, double score, const char *snippet,
			   json_t *arr)
{
	sqlite3_stmt *st = ix->hit_meta;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st);
	enum nw_err err = NW_OK;
	if (rc == SQLITE_ROW) {
		json_t *hit = hit_json(seq, (const char *)sqlite3_column_text(st, 0),
				       (const char *)sqlite3_column_text(st, 1),
				       (const char *)sqlite3_column_text(st, 2),
				       (const char *)sqlite3_column_text(st, 3), score, snippet);
		if (!hit || json_array_append_new(arr, hit))
			err = NW_ENOMEM;
	} else if (rc != SQLITE_DONE) {
		err = NW_EIO;
	}
	sqlite3_reset(st);
	return err;
}

struct hits {
	json_t *arr;
	sqlite3_int64 seqs[MAX_LIMIT];
	int n, limit;
};

/* Runs the top statement for one spelling group from rowid from on,
 * appending the hits not in the earlier groups (the first `before`). */
static enum nw_err rank_group(nw_index *ix, const struct nw_search_query *q, const char *match,
			      sqlite3_int64 from, double bonus, int before, struct hits *h)
{
	sqlite3_stmt *st = ix->top;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int(st, 3, h->limit + before);   /* room for the earlier hits again */
	bind_text(st, 4, q->lang);
	bind_text(st, 5, q->source);
	sqlite3_bind_int64(st, 6, q->since);
	sqlite3_bind_int64(st, 7, q->until);
	enum nw_err err = NW_OK;
	int rc = SQLITE_DONE;
	while (!err && h->n < h->limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 seq = sqlite3_column_int64(st, 0);
		bool dup = false;
		for (int k = 0; k < before && !dup; k++)
			dup = h->seqs[k] == seq;
		if (dup)
			continue;
		size_t had = json_array_size(h->arr);
		err = add_hit(ix, seq, -sqlite3_column_double(st, 1) + bonus,
			      (const char *)sqlite3_column_text(st, 2), h->arr);
		if (json_array_size(h->arr) > had)
			h->seqs[h->n++] = seq;
	}
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = NW_EIO;
	sqlite3_reset(st);
	return err;
}

/* In each spelling group, exact first, FTS5 ranks the newest RANK_WINDOW
 * matches and makes the snippets of the best on the same cursor; filters
 * are checked on the ranked rows. When filters leave too few hits from a
 * full window, older matches might pass them: the group is ranked again
 * over every match. */
static enum nw_err search_groups(nw_index *ix, const struct nw_search_query *q,
				 const char *folded, const char *exact, struct hits *h)
{
	bool same = strcmp(folded, exact) == 0;   /* nothing to tell apart */
	enum nw_err err = NW_OK;
	for (int pass = same ? 1 : 0; pass < 2 && !err && h->n < h->limit; pass++) {
		const char *match = pass ? folded : exact;
		double bonus = pass == 0 || same ? 1000.0 : 0;
		int before = h->n;
		sqlite3_int64 from = 0;
		if ((err = window_start(ix, match, &from)))
			break;
		err = rank_group(ix, q, match, from, bonus, before, h);
		if (!err && h->n < h->limit && from > 0 && has_filters(q)) {
			while (h->n > before)   /* again, over every match */
				json_array_remove(h->arr, (size_t)--h->n);   /* hit i is seqs[i] */
			err = rank_group(ix, q, match, 0, bonus, before, h);
		}
	}
	return err;
}

enum nw_err nw_search(nw_index *ix, const struct nw_search_query *q, json_t **hits, char *msg,
		      size_t msglen)
{
	int limit = q->limit ? q->limit : 20;
	if (limit < 1 || limit > MAX_LIMIT) {
		snprintf(msg, msglen, "limit must be 1 to %d", MAX_LIMIT);
		return NW_EINVAL;
	}
	if ((q->place && !has_words(q->place)) || (q->person && !has_words(q->person))) {
		snprintf(msg, msglen, "the place or person filter has no letters or digits");
		return NW_EINVAL;
	}
	if (!q->q) {
		snprintf(msg, msglen, "the query is empty");
		return NW_ESYNTAX;
	}
	struct nw_expr *e = NULL;
	enum nw_err err = nw_expr_parse(q->q, &e, NULL, msg, msglen);
	if (err)
		return err;
	nw_buf folded = NW_BUF_INIT, exact = NW_BUF_INIT;
	if ((err = build(e, q, false, &folded, msg, msglen)) ||
	    (err = build(e, q, true, &exact, msg, msglen))) {
		nw_expr_free(&e);
		nw_buf_release(&folded);
		return err;
	}
	nw_expr_free(&e);
	struct hits *h = calloc(1, sizeof(*h));
	if (!h || !(h->arr = json_array())) {
		err = NW_ENOMEM;
	} else {
		h->limit = limit;
		err = search_groups(ix, q, folded.data, exact.data, h);
	}
	if (err) {
		snprintf(msg, msglen, "search failed: %s",
			 err == NW_ENOMEM ? "out of memory" : sqlite3_errmsg(ix->db));
		if (h)
			json_decref(h->arr);
	} else {
		*hits = h->arr;
	}
	free(h);
	nw_buf_release(&folded);
	nw_buf_release(&exact);
	return err;
}
