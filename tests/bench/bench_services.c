/* bench-services: the subscriber services' stores at bench-corpus size,
 * each beside a baseline measured in the same run.
 *   (a) baseline: plain SQLite inserts of the same JSON into a bare table,
 *       one transaction per 1,000 (what any SQLite store costs);
 *   (b) archive inserts/s (nw_archive_store, the archiver's commit);
 *   (c) index docs/s (nw_index_store, the indexer's commit), beside a
 *       baseline of SQLite FTS5 with its own unicode61 tokenizer
 *       (diacritics removed, one token a word) over the same columns
 *       and page size, fed the same text already decoded;
 *   (d) search latency p50/p99 over 200 mixed queries on that index,
 *       beside the same queries on the FTS5 baseline index ranked by
 *       SQLite's own bm25 (ORDER BY rank, snippets; no exact tier);
 *   (e) notifier: rule evaluation per article with 1,000 rules, beside a
 *       baseline of 1,000 plain substring searches in the same text.
 * The corpus is the dev corpus (text and JSON) looped with altered titles
 * until it holds ARTICLES articles (default 40,000).
 *   bench-services CORPUS_DIR [ARTICLES] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/archive.h"
#include "common/article.h"
#include "common/codec.h"
#include "common/db.h"
#include "common/expr.h"
#include "common/parse.h"
#include "common/search.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static nw_article **base;
static size_t nbase, capbase;

static enum nw_err keep(void *ctx, nw_article *a)
{
	if (nbase == capbase) {
		capbase = capbase ? 2 * capbase : 256;
		base = realloc(base, capbase * sizeof(*base));
	}
	base[nbase++] = a;
	return NW_OK;
}

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *data = NULL;
		size_t len = 0;
		if (nw_read_file(path, 1 << 24, &data, &len) != NW_OK)
			continue;
		struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .source = e->d_name };
		struct nw_parse_sink sink = { .article = keep };
		char reason[NW_REASON_MAX];
		nw_parse(data, len, &o, &sink, reason);
		free(data);
	}
	if (d)
		closedir(d);
}

/* Batches of the corpus: article i is base[i % nbase] with " (i)" added
 * to its title, so every one has its own id. */
static void make_batch(struct nw_service_batch *b, size_t from, size_t n)
{
	b->n = 0;
	b->data.len = 0;
	for (size_t i = from; i < from + n; i++) {
		nw_article *a = nw_article_clone(base[i % nbase]);
		char *title = malloc(strlen(a->title) + 32);
		sprintf(title, "%s (%zu)", a->title, i);
		free(a->title);
		a->title = title;
		a->seq = i + 1;
		nw_article_finish(a);
		a->seq = i + 1;
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 1024;
			b->items = realloc(b->items, b->cap * sizeof(*b->items));
		}
		size_t off = b->data.len;
		nw_article_encode(a, &b->data);
		b->items[b->n++] = (struct nw_service_item){ .seq = i + 1, .off = off,
							     .len = b->data.len - off };
		b->last_seq = i + 1;
		nw_article_destroy(&a);
	}
}

/* The FTS5 baseline: the batch's articles as the indexer's columns. */
static void fts5_plain_insert(sqlite3 *db, sqlite3_stmt *st, const struct nw_service_batch *b,
			      nw_article **arts)
{
	nw_buf parts[4] = { NW_BUF_INIT, NW_BUF_INIT, NW_BUF_INIT, NW_BUF_INIT };
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < b->n; i++) {
		nw_article *a = arts[i];
		const nw_strlist *lists[4] = { &a->paragraphs, &a->captions, &a->people, &a->places };
		static const char *const seps[4] = { "\n", "\n", "; ", "; " };
		for (int k = 0; k < 4; k++) {   /* the columns as the indexer makes them */
			parts[k].len = 0;
			nw_strlist_join(lists[k], seps[k], &parts[k]);
		}
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)b->items[i].seq);
		sqlite3_bind_text(st, 2, a->title ? a->title : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->lead ? a->lead : "", -1, SQLITE_STATIC);
		for (int k = 0; k < 4; k++)
			sqlite3_bind_text(st, 4 + k, parts[k].data, (int)parts[k].len, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, a->source ? a->source : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, a->lang ? a->lang : "", -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	for (int k = 0; k < 4; k++)
		nw_buf_release(&parts[k]);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-services CORPUS_DIR [ARTICLES]\n");
		return 2;
	}
	size_t total = argc > 2 ? strtoul(argv[2], NULL, 10) : 40000;
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/dev/text", argv[1]);
	load_dir(dir);
	snprintf(dir, sizeof(dir), "%s/dev/json", argv[1]);
	load_dir(dir);
	char tmp[] = "/tmp/nwbenchsvcXXXXXX";
	if (!nbase || !mkdtemp(tmp))
		return 1;
	printf("bench-services: %zu articles (the dev corpus's %zu looped), work dir %s\n", total,
	       nbase, tmp);
	const size_t batch = getenv("NW_BENCH_BATCH") ? strtoul(getenv("NW_BENCH_BATCH"), NULL, 10) : 1000;
	struct nw_service_batch b = { 0 };
	char path[256], msg[512];

	/* (a) baseline: bare inserts of the same JSON */
	snprintf(path, sizeof(path), "%s/plain.db", tmp);
	sqlite3 *plain = NULL;
	nw_db_open(path, false, "CREATE TABLE t (seq INTEGER PRIMARY KEY, doc TEXT)", &plain, msg,
		   sizeof(msg));
	sqlite3_stmt *ins = NULL;
	nw_db_prepare(plain, "INSERT INTO t VALUES (?, ?)", &ins, msg, sizeof(msg));
	/* (c) baseline: FTS5 with its own tokenizer, same columns and pages */
	snprintf(path, sizeof(path), "%s/fts5.db", tmp);
	sqlite3 *fts = NULL;
	sqlite3_stmt *fts_ins = NULL;
	if (nw_db_open_paged(path, false, 65536,
			     "CREATE VIRTUAL TABLE docs USING fts5(title, lead, body, captions,"
			     " people, places, source, lang,"
			     " tokenize = 'unicode61 remove_diacritics 2')",
			     &fts, msg, sizeof(msg)) ||
	    nw_db_prepare(fts, "INSERT INTO docs (rowid, title, lead, body, captions, people,"
			       " places, source, lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			  &fts_ins, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	double t_plain = 0, t_archive = 0, t_index = 0, t_fts = 0;
	snprintf(path, sizeof(path), "%s/archive.db", tmp);
	nw_archive *ar = NULL;
	if (nw_archive_open(path, false, &ar, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/index.db", tmp);
	nw_index *ix = NULL;
	if (nw_index_open(path, false, &ix, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	for (size_t from = 0; from < total; from += batch) {
		size_t n = total - from < batch ? total - from : batch;
		make_batch(&b, from, n);
		/* the baseline gets the JSON text the archive stores */
		char **docs = calloc(n, sizeof(char *));
		nw_article **arts = calloc(n, sizeof(*arts));
		for (size_t i = 0; i < n; i++) {
			nw_service_batch_article(&b, i, &arts[i]);
			docs[i] = nw_article_to_json_text(arts[i], false);
		}
		double t0 = now();
		sqlite3_exec(plain, "BEGIN", NULL, NULL, NULL);
		for (size_t i = 0; i < n; i++) {
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)(from + i + 1));
			sqlite3_bind_text(ins, 2, docs[i], -1, SQLITE_STATIC);
			sqlite3_step(ins);
		}
		sqlite3_exec(plain, "COMMIT", NULL, NULL, NULL);
		double t1 = now();
		struct nw_archive_store_stats as = { 0 };
		if (nw_archive_store(ar, &b, &as, msg, sizeof(msg)))
			fprintf(stderr, "archive: %s\n", msg);
		double t2 = now();
		struct nw_index_store_stats is = { 0 };
		if (nw_index_store(ix, &b, &is, msg, sizeof(msg)))
			fprintf(stderr, "index: %s\n", msg);
		double t3 = now();
		fts5_plain_insert(fts, fts_ins, &b, arts);
		double t4 = now();
		t_plain += t1 - t0;
		t_archive += t2 - t1;
		t_index += t3 - t2;
		t_fts += t4 - t3;
		for (size_t i = 0; i < n; i++) {
			free(docs[i]);
			nw_article_destroy(&arts[i]);
		}
		free(docs);
		free(arts);
	}
	double plain_rate = (double)total / t_plain;
	printf("  (a) baseline: bare SQLite inserts of the JSON   %9.0f /s\n", plain_rate);
	printf("  (b) archive inserts (archiver commit)          %9.0f /s   ratio %.2f of (a)\n",
	       (double)total / t_archive, (double)total / t_archive / plain_rate);
	double fts_rate = (double)total / t_fts;
	printf("  (c) baseline: FTS5 with unicode61, same columns   %9.0f /s\n", fts_rate);
	printf("  (c) index documents (indexer commit)           %9.0f /s   ratio %.2f of (a), "
	       "%.2f of the FTS5 baseline\n",
	       (double)total / t_index, (double)total / t_index / plain_rate,
	       (double)total / t_index / fts_rate);

	/* (d) 200 mixed queries: words, diacritic-free words, phrases,
	 * fields, OR, NOT, filters */
	static const char *const kinds[] = {
		"le thuy", "Lệ Thủy", "đồng chí", "dong chi", "\"bóng đá\"", "V-League OR Barca",
		"kinh tế NOT ngân hàng", "place:\"Hà Nội\"", "title:covid", "đường", "duong",
		"\"an ninh\" AND \"trật tự\"", "giá vàng", "xe ô tô", "người dân", "Samsung",
		"lang:en", "thời tiết OR bão", "tỷ USD", "học sinh",
	};
	double lat[200];
	int order[200];
	size_t hits_total = 0;
	nw_index *reader = NULL;   /* the indexer and the CLI search read-only */
	snprintf(path, sizeof(path), "%s/index.db", tmp);
	if (nw_index_open(path, true, &reader, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	for (int i = 0; i < 200; i++) {
		struct nw_search_query q = { .q = kinds[i % 20], .limit = 20 };
		if (i % 7 == 3)
			q.lang = "vi";
		json_t *hits = NULL;
		double t0 = now();
		if (nw_search(reader, &q, &hits, msg, sizeof(msg)) != NW_OK)
			fprintf(stderr, "search %s: %s\n", q.q, msg);
		lat[i] = now() - t0;
		order[i] = i;
		hits_total += json_array_size(hits);
		json_decref(hits);
	}
	nw_index_close(&reader);
	for (int i = 0; i < 3; i++)   /* the slowest three, for the record */
		for (int k = i + 1; k < 200; k++)
			if (lat[order[k]] > lat[order[i]]) {
				int t = order[i];
				order[i] = order[k];
				order[k] = t;
			}
	for (int i = 0; i < 3; i++)
		printf("      slow: %-26s%s %.2f ms\n", kinds[order[i] % 20],
		       order[i] % 7 == 3 ? " (lang vi)" : "", lat[order[i]] * 1e3);
	qsort(lat, 200, sizeof(double), cmp_double);
	/* the same queries in FTS5's own syntax (NOT binds tightest in both) */
	static const char *const fts_kinds[] = {
		"le thuy", "Lệ Thủy", "đồng chí", "dong chi", "\"bóng đá\"", "\"V-League\" OR Barca",
		"kinh tế hàng NOT ngân", "places:\"Hà Nội\"", "title:covid", "đường", "duong",
		"\"an ninh\" AND \"trật tự\"", "giá vàng", "xe ô tô", "người dân", "Samsung",
		"lang:en", "(thời tiết) OR bão", "tỷ USD", "học sinh",
	};
	double base_lat[200];
	size_t base_hits = 0;
	sqlite3 *fts_ro = NULL;
	sqlite3_stmt *fq = NULL;
	snprintf(path, sizeof(path), "%s/fts5.db", tmp);
	if (nw_db_open(path, true, NULL, &fts_ro, msg, sizeof(msg)) ||
	    nw_db_exec(fts_ro, "PRAGMA mmap_size = 1073741824", msg, sizeof(msg)) ||
	    nw_db_prepare(fts_ro, "SELECT rowid, rank, snippet(docs, -1, '<b>', '</b>', '…', 16)"
				  " FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 20", &fq, msg,
			  sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	for (int i = 0; i < 200; i++) {
		char query[160];
		snprintf(query, sizeof(query), i % 7 == 3 ? "(%s) AND lang:vi" : "%s", fts_kinds[i % 20]);
		double t0 = now();
		sqlite3_reset(fq);
		sqlite3_bind_text(fq, 1, query, -1, SQLITE_TRANSIENT);
		int rc;
		while ((rc = sqlite3_step(fq)) == SQLITE_ROW)
			base_hits++;
		if (rc != SQLITE_DONE)
			fprintf(stderr, "baseline search %s: %s\n", query, sqlite3_errmsg(fts_ro));
		base_lat[i] = now() - t0;
	}
	sqlite3_finalize(fq);
	nw_db_close(&fts_ro);
	qsort(base_lat, 200, sizeof(double), cmp_double);
	printf("  (d) baseline: FTS5 bm25 + snippet, same queries    p50 %.2f ms, p99 %.2f ms (%zu hits)\n",
	       base_lat[100] * 1e3, base_lat[198] * 1e3, base_hits);
	printf("  (d) search, 200 mixed queries at %zu docs       p50 %.2f ms, p99 %.2f ms (%zu hits);"
	       " ratio p99 %.2f of the baseline's\n",
	       total, lat[100] * 1e3, lat[198] * 1e3, hits_total, lat[198] / base_lat[198]);

	/* (e) 1,000 rules on each of 1,000 articles */
	struct nw_expr *rules[1000];
	const char *words[] = { "an ninh", "kinh tế", "bóng đá", "Hà Nội", "giá", "công an",
				"thời tiết", "Samsung", "học sinh", "ngân hàng" };
	for (int r = 0; r < 1000; r++) {
		char src[200];
		snprintf(src, sizeof(src), "\"%s\" AND (%s OR place:\"%s\") NOT title:\"%s %d\"",
			 words[r % 10], words[(r / 10) % 10], words[(r / 100) % 10], words[(r + 3) % 10], r);
		char emsg[256];
		if (nw_expr_parse(src, &rules[r], NULL, emsg, sizeof(emsg)) != NW_OK) {
			fprintf(stderr, "rule %s: %s\n", src, emsg);
			return 1;
		}
	}
	double t_rules = 0, t_strstr = 0;
	size_t matched = 0, found = 0;
	for (size_t i = 0; i < 1000; i++) {
		nw_article *a = base[i % nbase];
		double t0 = now();
		struct nw_expr_doc d;
		nw_expr_doc_init(&d, a);
		for (int r = 0; r < 1000; r++)
			matched += nw_expr_match(rules[r], &d);
		double t1 = now();
		for (int r = 0; r < 1000; r++)   /* baseline: one substring search per rule */
			found += strstr(d.all.data, words[r % 10]) != NULL;
		__asm__ volatile("" : : "r"(found) : "memory");
		double t2 = now();
		nw_expr_doc_release(&d);
		t_rules += t1 - t0;
		t_strstr += t2 - t1;
	}
	printf("  (e) notifier, 1,000 rules per article          %9.1f us/article (%zu matches); "
	       "baseline 1,000 strstr %.1f us (%zu found), ratio %.2f\n",
	       t_rules * 1e3, matched, t_strstr * 1e3, found, t_strstr / t_rules);
	for (int r = 0; r < 1000; r++)
		nw_expr_free(&rules[r]);
	nw_archive_close(&ar);
	nw_index_close(&ix);
	sqlite3_finalize(fts_ins);
	nw_db_close(&fts);
	sqlite3_finalize(ins);
	nw_db_close(&plain);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (getenv("NW_BENCH_KEEP"))
		return 0;
	return system(cmd) == 0 ? 0 : 1;
}
