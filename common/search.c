/* The full-text index (see search.h). */
#include "common/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/db.h"
#include "common/expr.h"
#include "common/log.h"
#include "common/text.h"

#define CHECKPOINT_NAME "indexer"
#define EXACT_MARK '\x01'    /* starts an exact-form token */
#define EXACT_QUERY '\x02'   /* starts a quoted query string wanting exact forms */
#define MAX_LIMIT 1000
#define RANK_WINDOW 2000
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
	if (!api || api->xCreateTokenizer(api, "nwfold", NULL, &tokenizer, NULL) != SQLITE_OK) {
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
	"INSERT INTO docs(docs, rank) VALUES('rank', 'bm25(10.0, 4.0, 1.0, 2.0, 3.0, 3.0, 0.0, 0.0)');"
	"COMMIT;";

struct nw_index {
	sqlite3 *db;
	sqlite3_stmt *meta, *doc, *query, *ranked, *detail, *filter;
};

void nw_index_close(nw_index **ixp)
{
	nw_index *ix = *ixp;
	if (!ix)
		return;
	sqlite3_finalize(ix->meta);
	sqlite3_finalize(ix->doc);
	sqlite3_finalize(ix->query);
	sqlite3_finalize(ix->ranked);
	sqlite3_finalize(ix->detail);
	sqlite3_finalize(ix->filter);
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
	enum nw_err err = nw_db_open(path, readonly, NULL, &ix->db, msg, msglen);
	if (!err)
		err = register_tokenizer(ix->db, msg, msglen);
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
				    /* rank every match, keep the best; only they get a
				     * snippet (the costly part), each by its rowid */
				    "WITH top AS (SELECT docs.rowid AS seq,"
				    "  bm25(docs, 10.0, 4.0, 1.0, 2.0, 3.0, 3.0, 0.0, 0.0) AS rank,"
				    "  docs.rowid IN (SELECT rowid FROM docs WHERE docs MATCH ?2) AS exact"
				    " FROM docs JOIN meta m ON m.seq = docs.rowid"
				    " WHERE docs MATCH ?1"
				    " AND (?3 IS NULL OR m.lang = ?3) AND (?4 IS NULL OR m.source = ?4)"
				    " AND (?5 = 0 OR m.published_ts >= ?5) AND (?6 = 0 OR m.published_ts <= ?6)"
				    " ORDER BY exact DESC, rank LIMIT ?7)"
				    " SELECT m.seq, m.id, m.title, m.published, m.source, top.rank,"
				    "  (SELECT snippet(docs, -1, '<b>', '</b>', '…', 16) FROM docs"
				    "   WHERE docs MATCH ?1 AND docs.rowid = top.seq),"
				    "  top.exact"
				    " FROM top JOIN meta m ON m.seq = top.seq ORDER BY top.exact DESC, top.rank",
				    &ix->query, msg, msglen);
	if (!err)
		err = nw_db_prepare(ix->db,
				    /* rank the newest RANK_WINDOW matches only: a bound on
				     * the work for very common words (see search.h) */
				    "SELECT rowid, rank FROM (SELECT rowid, rank FROM docs WHERE docs MATCH ?1"
				    " ORDER BY rowid DESC LIMIT " NW_STR(RANK_WINDOW) ") ORDER BY rank LIMIT ?2",
				    &ix->ranked, msg, msglen);
	if (!err)
		err = nw_db_prepare(ix->db,
				    "SELECT m.id, m.title, m.published, m.source,"
				    " snippet(docs, -1, '<b>', '</b>', '…', 16)"
				    " FROM docs JOIN meta m ON m.seq = docs.rowid"
				    " WHERE docs MATCH ?1 AND docs.rowid = ?2",
				    &ix->detail, msg, msglen);
	if (!err)
		err = nw_db_prepare(ix->db,
				    "SELECT 1 FROM meta WHERE seq = ?1"
				    " AND (?2 IS NULL OR lang = ?2) AND (?3 IS NULL OR source = ?3)"
				    " AND (?4 = 0 OR published_ts >= ?4) AND (?5 = 0 OR published_ts <= ?5)",
				    &ix->filter, msg, msglen);
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

static enum nw_err join_list(nw_buf *b, const nw_strlist *l, const char *sep)
{
	b->len = 0;
	enum nw_err err = nw_buf_reserve(b, 1);
	for (size_t i = 0; !err && i < l->len; i++)
		err = nw_buf_printf(b, "%s%s", i ? sep : "", l->items[i]);
	return err;
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
	if (join_list(&parts[0], &a->paragraphs, "\n") || join_list(&parts[1], &a->captions, "\n") ||
	    join_list(&parts[2], &a->people, "; ") || join_list(&parts[3], &a->places, "; ")) {
		snprintf(msg, msglen, "out of memory");
		return NW_ENOMEM;
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

static void fts_term(struct fts_out *o, const struct nw_expr *e)
{
	nw_buf_printf(&o->text, "%s : \"", column_of[e->field]);
	if (o->exact)
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

/* Appends the hits (seqs[i] with scores[i], in that order) with their
 * meta and snippets to arr; FTS5 seeks each by its rowid. */
static enum nw_err add_details(nw_index *ix, const char *match, const sqlite3_int64 *seqs,
			       const double *scores, int n, json_t *arr)
{
	enum nw_err err = NW_OK;
	sqlite3_stmt *st = ix->detail;
	for (int i = 0; !err && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, seqs[i]);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			json_t *hit = hit_json(seqs[i], (const char *)sqlite3_column_text(st, 0),
					       (const char *)sqlite3_column_text(st, 1),
					       (const char *)sqlite3_column_text(st, 2),
					       (const char *)sqlite3_column_text(st, 3), scores[i],
					       (const char *)sqlite3_column_text(st, 4));
			if (!hit || json_array_append_new(arr, hit))
				err = NW_ENOMEM;
		} else if (rc != SQLITE_DONE) {
			err = NW_EIO;
		}
	}
	sqlite3_reset(st);
	return err;
}

static bool has_filters(const struct nw_search_query *q)
{
	return q->lang || q->source || q->since || q->until;
}

/* Whether seq passes the query's filters. */
static bool passes(nw_index *ix, const struct nw_search_query *q, sqlite3_int64 seq)
{
	if (!has_filters(q))
		return true;
	sqlite3_stmt *st = ix->filter;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, seq);
	bind_text(st, 2, q->lang);
	bind_text(st, 3, q->source);
	sqlite3_bind_int64(st, 4, q->since);
	sqlite3_bind_int64(st, 5, q->until);
	bool ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok;
}

/* FTS5 ranks the newest RANK_WINDOW matches itself: the exact-spelling
 * hits first, then the folded ones not among them; filters are checked on
 * the ranked candidates. *complete is false when filters left fewer hits
 * than wanted from a full window (older matches might pass them: the
 * caller then ranks every match). */
static enum nw_err search_ranked(nw_index *ix, const struct nw_search_query *q,
				 const char *folded, const char *exact, int limit, json_t *arr,
				 bool *complete)
{
	bool same = strcmp(folded, exact) == 0;   /* nothing to tell apart */
	bool filtered = has_filters(q);
	sqlite3_int64 seen[MAX_LIMIT];
	double scores[MAX_LIMIT];
	int nseen = 0;
	enum nw_err err = NW_OK;
	*complete = true;
	for (int pass = same ? 1 : 0; pass < 2 && !err && nseen < limit; pass++) {
		sqlite3_stmt *st = ix->ranked;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, pass ? folded : exact, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, filtered ? RANK_WINDOW : pass ? limit + nseen : limit);
		/* collect first: the detail statement reads the same table */
		static __thread sqlite3_int64 seqs[RANK_WINDOW];
		static __thread double ranks[RANK_WINDOW];
		int n = 0, rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < RANK_WINDOW) {
			seqs[n] = sqlite3_column_int64(st, 0);
			ranks[n++] = sqlite3_column_double(st, 1);
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			err = NW_EIO;
		sqlite3_reset(st);
		int first = nseen;
		for (int i = 0; !err && i < n && nseen < limit; i++) {
			bool dup = false;
			for (int k = 0; k < nseen && !dup; k++)
				dup = seen[k] == seqs[i];
			if (dup || !passes(ix, q, seqs[i]))
				continue;
			bool is_exact = pass == 0 || same;
			scores[nseen] = -ranks[i] + (is_exact ? 1000.0 : 0);
			seen[nseen++] = seqs[i];
		}
		if (filtered && nseen < limit && n == RANK_WINDOW)
			*complete = false;
		if (!err && *complete)
			err = add_details(ix, folded, seen + first, scores + first, nseen - first, arr);
		if (!*complete)
			break;
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
	json_t *ranked = json_array();
	bool complete = false;
	err = ranked ? search_ranked(ix, q, folded.data, exact.data, limit, ranked, &complete)
		     : NW_ENOMEM;
	if (err || complete) {
		json_t *arr = ranked;
		if (err) {
			snprintf(msg, msglen, "search failed: %s",
				 err == NW_ENOMEM ? "out of memory" : sqlite3_errmsg(ix->db));
			json_decref(arr);
		} else {
			*hits = arr;
		}
		nw_buf_release(&folded);
		nw_buf_release(&exact);
		return err;
	}
	json_decref(ranked);   /* filters left too few in the window: rank them all */
	sqlite3_stmt *st = ix->query;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, folded.data, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, exact.data, -1, SQLITE_STATIC);
	bind_text(st, 3, q->lang);
	bind_text(st, 4, q->source);
	sqlite3_bind_int64(st, 5, q->since);
	sqlite3_bind_int64(st, 6, q->until);
	sqlite3_bind_int(st, 7, limit);
	json_t *arr = json_array();
	int rc;
	while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		double score = -sqlite3_column_double(st, 5) + (sqlite3_column_int(st, 7) ? 1000.0 : 0);
		json_t *hit = hit_json(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
				       (const char *)sqlite3_column_text(st, 2),
				       (const char *)sqlite3_column_text(st, 3),
				       (const char *)sqlite3_column_text(st, 4), score,
				       (const char *)sqlite3_column_text(st, 6));
		if (!hit || json_array_append_new(arr, hit)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	if (!arr) {
		snprintf(msg, msglen, "out of memory");
		err = NW_ENOMEM;
	} else if (rc != SQLITE_DONE) {
		snprintf(msg, msglen, "search failed: %s", sqlite3_errmsg(ix->db));
		json_decref(arr);
		err = NW_EIO;
	} else {
		*hits = arr;
	}
	sqlite3_reset(st);
	nw_buf_release(&folded);
	nw_buf_release(&exact);
	return err;
}
