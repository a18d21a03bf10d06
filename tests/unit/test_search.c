/* The full-text index on a real SQLite file: the seed article found by
 * every spelling of SPEC 5, phrases, exact-spelling ranking of minimal
 * pairs, filters, errors, exactly-once storage with the checkpoint. */
#include "tests/unit/testutil.h"

#include <dirent.h>
#include <unistd.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/db.h"
#include "common/parse.h"
#include "common/search.h"

struct fixture {
	char dir[64], path[96];
	nw_index *ix;
	uint64_t seed_seq;
};

static void add(struct nw_service_batch *b, nw_article *a, uint64_t seq)
{
	nw_buf enc = NW_BUF_INIT;
	assert_int_equal(nw_article_encode(a, &enc), NW_OK);
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->items = realloc(b->items, b->cap * sizeof(*b->items));
	}
	b->items[b->n++] = (struct nw_service_item){ .seq = seq, .off = b->data.len, .len = enc.len };
	nw_buf_append(&b->data, enc.data, enc.len);
	b->last_seq = seq;
	nw_buf_release(&enc);
}

static nw_article *parse_file(const char *path)
{
	size_t len;
	char *data = slurp(path, &len);
	struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .source = "test" };
	nw_article *a = NULL;
	char reason[NW_REASON_MAX];
	enum nw_err err = nw_parse_one(data, len, &o, &a, reason);
	free(data);
	return err ? NULL : a;
}

static nw_article *simple(const char *title, const char *body, const char *lang,
			  const char *source)
{
	nw_article *a = nw_article_new();
	a->title = nw_strdup(title);
	a->lead = nw_strdup("");
	nw_strlist_push(&a->paragraphs, body);
	a->lang = nw_strdup(lang);
	a->source = nw_strdup(source);
	assert_int_equal(nw_article_finish(a), NW_OK);
	return a;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/nwsearchXXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/index.db", f->dir);
	char msg[256];
	if (nw_index_open(f->path, false, &f->ix, msg, sizeof(msg)) != NW_OK)
		fail_msg("open: %s", msg);
	struct nw_service_batch b = { 0 };
	uint64_t seq = 0;
	/* the seed, then every dev text article, then minimal pairs */
	char *seed = corpus_path("seed/seed.txt");
	nw_article *a = parse_file(seed);
	assert_non_null(a);
	add(&b, a, f->seed_seq = ++seq);
	nw_article_destroy(&a);
	free(seed);
	char *dir = corpus_path("dev/text");
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((a = parse_file(path))) {
			add(&b, a, ++seq);
			nw_article_destroy(&a);
		}
	}
	closedir(d);
	free(dir);
	const char *pairs[][3] = {
		{ "Nâng cấp đường giao thông", "Tuyến đường mới được trải nhựa.", "vi" },
		{ "Ánh dương trên biển", "Mặt trời dương lịch mọc sớm.", "vi" },
		{ "Đương nhiệm và kế nhiệm", "Chủ tịch đương nhiệm phát biểu.", "vi" },
		{ "Roads in the city", "The new duong road opened.", "en" },
	};
	for (size_t i = 0; i < 4; i++) {
		a = simple(pairs[i][0], pairs[i][1], pairs[i][2], i == 3 ? "wire" : "test");
		add(&b, a, ++seq);
		nw_article_destroy(&a);
	}
	struct nw_index_store_stats st = { 0 };
	if (nw_index_store(f->ix, &b, &st, msg, sizeof(msg)) != NW_OK)
		fail_msg("store: %s", msg);
	assert_int_equal(st.indexed, seq);
	/* the same batch again: nothing new, the checkpoint stays */
	memset(&st, 0, sizeof(st));
	assert_int_equal(nw_index_store(f->ix, &b, &st, msg, sizeof(msg)), NW_OK);
	assert_int_equal(st.indexed, 0);
	assert_int_equal(st.duplicates, seq);
	assert_int_equal(nw_index_checkpoint(f->ix), seq);
	assert_int_equal(nw_index_count(f->ix), seq);
	free(b.items);
	nw_buf_release(&b.data);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	nw_index_close(&f->ix);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), getenv("NW_KEEP_TMP") ? "true %s" : "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc;
}

static json_t *search(struct fixture *f, const struct nw_search_query *q)
{
	json_t *hits = NULL;
	char msg[256];
	if (nw_search(f->ix, q, &hits, msg, sizeof(msg)) != NW_OK)
		fail_msg("search %s: %s", q->q, msg);
	return hits;
}

static bool finds(struct fixture *f, const char *query, uint64_t seq)
{
	struct nw_search_query q = { .q = query, .limit = 1000 };
	json_t *hits = search(f, &q);
	bool found = false;
	for (size_t i = 0; i < json_array_size(hits); i++)
		if ((uint64_t)json_integer_value(json_object_get(json_array_get(hits, i), "seq")) == seq)
			found = true;
	json_decref(hits);
	return found;
}

static void every_spelling_finds_the_seed(void **state)
{
	struct fixture *f = *state;
	const char *spellings[] = {
		"le thuy", "Lệ Thủy", "LỆ THỦY", "Le\xCC\xA3\xCC\x82 Thu\xCC\x89y",
		"dong chi", "đồng chí", "ĐỒNG CHÍ", "\"Lệ Thủy\"", "\"le thuy\"",
		"place:\"Lệ Thủy\"", "title:\"le thuy\"", "ANTQ", "antq",
	};
	for (size_t i = 0; i < NW_ARRAY_LEN(spellings); i++)
		if (!finds(f, spellings[i], f->seed_seq))
			fail_msg("\"%s\" does not find the seed", spellings[i]);
	assert_false(finds(f, "\"thuy le\"", f->seed_seq));   /* phrase order counts */
	assert_false(finds(f, "le NOT thuy", f->seed_seq));
}

/* Rank of the hit with this title in hits, or -1. */
static int rank_of(json_t *hits, const char *title)
{
	for (size_t i = 0; i < json_array_size(hits); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(hits, i), "title")), title) == 0)
			return (int)i;
	return -1;
}

static void exact_spelling_ranks_first(void **state)
{
	struct fixture *f = *state;
	const char *road = "Nâng cấp đường giao thông", *sun = "Ánh dương trên biển",
		   *office = "Đương nhiệm và kế nhiệm";
	struct nw_search_query q = { .q = "đường", .limit = 1000 };
	json_t *hits = search(f, &q);
	int r = rank_of(hits, road), s1 = rank_of(hits, sun), o = rank_of(hits, office);
	assert_true(r >= 0 && s1 >= 0 && o >= 0);   /* folding finds all three */
	assert_true(r < s1 && r < o);                /* the exact spelling first */
	json_decref(hits);
	q.q = "dương";
	hits = search(f, &q);
	r = rank_of(hits, road), s1 = rank_of(hits, sun), o = rank_of(hits, office);
	assert_true(s1 >= 0 && s1 < r && s1 < o);
	/* scores fall with rank, exact hits score 1000 above the others, and
	 * the snippet marks the match */
	double prev = 1e9;
	for (size_t i = 0; i < json_array_size(hits); i++) {
		json_t *h = json_array_get(hits, i);
		double sc = json_real_value(json_object_get(h, "score"));
		assert_true(sc <= prev);
		prev = sc;
		assert_non_null(strstr(json_string_value(json_object_get(h, "snippet")), "<b>"));
	}
	assert_true(json_real_value(json_object_get(json_array_get(hits, (size_t)s1), "score")) >= 1000);
	assert_true(json_real_value(json_object_get(json_array_get(hits, (size_t)r), "score")) < 1000);
	json_decref(hits);
	/* without diacritics all spellings are equal */
	q.q = "duong";
	hits = search(f, &q);
	assert_true(rank_of(hits, road) >= 0 && rank_of(hits, sun) >= 0 && rank_of(hits, office) >= 0);
	json_decref(hits);
}

static void filters(void **state)
{
	struct fixture *f = *state;
	struct nw_search_query q = { .q = "duong", .lang = "en" };
	json_t *hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hits, 0), "source")), "wire");
	json_decref(hits);
	q = (struct nw_search_query){ .q = "duong", .source = "wire", .lang = "vi" };
	hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 0);
	json_decref(hits);
	q = (struct nw_search_query){ .q = "hội nghị", .place = "le thuy" };
	hits = search(f, &q);
	assert_true(json_array_size(hits) >= 1);
	json_decref(hits);
	q = (struct nw_search_query){ .q = "lang:en" };
	hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 1);
	json_decref(hits);
	q = (struct nw_search_query){ .q = "le thuy", .limit = 1 };
	hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 1);
	json_decref(hits);
}

/* Adds an article titled "title i" to b. */
static void add_numbered(struct nw_service_batch *b, const char *title, int i, const char *body,
			 const char *lang, uint64_t seq)
{
	char t[128];
	snprintf(t, sizeof(t), "%s %d", title, i);
	nw_article *a = simple(t, body, lang, "lab");
	add(b, a, seq);
	nw_article_destroy(&a);
}

/* Indexes the batch, then frees it. */
static void store_and_free(struct fixture *f, struct nw_service_batch *b)
{
	struct nw_index_store_stats st = { 0 };
	char msg[256];
	assert_int_equal(nw_index_store(f->ix, b, &st, msg, sizeof(msg)), NW_OK);
	free(b->items);
	nw_buf_release(&b->data);
}

/* More matches than the ranking window, the newest of them filtered out:
 * the older ones that pass the filter are still found. */
static void filters_beyond_the_window(void **state)
{
	struct fixture *f = *state;
	uint64_t seq = nw_index_checkpoint(f->ix);
	struct nw_service_batch b = { 0 };
	for (int i = 0; i < 5; i++)   /* oldest: the Vietnamese ones */
		add_numbered(&b, "Cá ngựa vằn zebrafish", i, "Nghiên cứu zebrafish mới.", "vi", ++seq);
	for (int i = 0; i < 2100; i++)   /* newer: English */
		add_numbered(&b, "Zebrafish study", i, "A new zebrafish study.", "en", ++seq);
	store_and_free(f, &b);
	struct nw_search_query q = { .q = "zebrafish", .lang = "vi", .limit = 10 };
	json_t *hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 5);
	json_decref(hits);
	q = (struct nw_search_query){ .q = "zebrafish", .lang = "en", .limit = 10 };
	hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 10);
	json_decref(hits);
	q = (struct nw_search_query){ .q = "zebrafish", .source = "nowhere" };
	hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 0);
	json_decref(hits);
}

/* nwrank: a title match outranks a body match; a rare word outweighs a
 * common one; more occurrences rank higher. */
static void ranking(void **state)
{
	struct fixture *f = *state;
	uint64_t seq = nw_index_checkpoint(f->ix);
	struct nw_service_batch b = { 0 };
	nw_article *a;
	const char *docs[][2] = {
		{ "Okapi in the title", "Nothing else here." },
		{ "Plain title one", "A body that mentions okapi once." },
		{ "Plain title two", "Okapi okapi okapi, a body about okapi." },
		{ "Common word story", "Giraffe, giraffe, giraffe." },
		{ "Rare word tale", "Tapir." },
	};
	for (size_t i = 0; i < NW_ARRAY_LEN(docs); i++) {
		a = simple(docs[i][0], docs[i][1], "en", "rank-test");
		add(&b, a, ++seq);
		nw_article_destroy(&a);
	}
	for (int i = 0; i < 30; i++)   /* giraffe is common, tapir rare */
		add_numbered(&b, "Giraffe herd", i, "A giraffe herd.", "en", ++seq);
	store_and_free(f, &b);
	struct nw_search_query q = { .q = "okapi", .source = "rank-test" };
	json_t *hits = search(f, &q);
	assert_int_equal(json_array_size(hits), 3);
	assert_int_equal(rank_of(hits, "Okapi in the title"), 0);
	assert_true(rank_of(hits, "Plain title two") < rank_of(hits, "Plain title one"));
	json_decref(hits);
	q.q = "giraffe OR tapir";
	hits = search(f, &q);
	/* thrice the common word weighs less than once the rare one */
	assert_int_equal(json_array_size(hits), 2);
	assert_int_equal(rank_of(hits, "Rare word tale"), 0);
	json_decref(hits);
}

static void bad_queries(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = { "", "(", "le AND", "\"unclosed", "NOT le", "a OR NOT b", "where:x", "!!" };
	for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
		struct nw_search_query q = { .q = bad[i] };
		json_t *hits = NULL;
		char msg[256] = "";
		enum nw_err err = nw_search(f->ix, &q, &hits, msg, sizeof(msg));
		if (err != NW_ESYNTAX || hits || !*msg)
			fail_msg("\"%s\": err %d msg \"%s\"", bad[i], err, msg);
	}
	struct nw_search_query q = { .q = "le", .limit = 5000 };
	json_t *hits = NULL;
	char msg[256];
	assert_int_equal(nw_search(f->ix, &q, &hits, msg, sizeof(msg)), NW_EINVAL);
	q = (struct nw_search_query){ .q = "le", .place = "..." };
	assert_int_equal(nw_search(f->ix, &q, &hits, msg, sizeof(msg)), NW_EINVAL);
}

static void reopen_read_only(void **state)
{
	struct fixture *f = *state;
	nw_index *ro = NULL;
	char msg[256];
	assert_int_equal(nw_index_open(f->path, true, &ro, msg, sizeof(msg)), NW_OK);
	struct nw_search_query q = { .q = "Lệ Thủy" };
	json_t *hits = NULL;
	assert_int_equal(nw_search(ro, &q, &hits, msg, sizeof(msg)), NW_OK);
	assert_true(json_array_size(hits) >= 1);
	json_decref(hits);
	nw_index_close(&ro);
	assert_int_not_equal(nw_index_open("/nonexistent/x.db", true, &ro, msg, sizeof(msg)), NW_OK);
}

static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A new index gets 64 KiB pages; an existing database keeps its own. */
static void page_sizes(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	char msg[256], path[128];
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(pragma_int(db, "PRAGMA page_size"), 65536);
	sqlite3_close(db);
	snprintf(path, sizeof(path), "%s/small.db", f->dir);
	assert_int_equal(nw_db_open(path, false, "CREATE TABLE t (x)", &db, msg, sizeof(msg)), NW_OK);
	assert_int_equal(pragma_int(db, "PRAGMA page_size"), 4096);
	nw_db_close(&db);
	assert_int_equal(nw_db_open_paged(path, false, 65536, NULL, &db, msg, sizeof(msg)), NW_OK);
	assert_int_equal(pragma_int(db, "PRAGMA page_size"), 4096);
	assert_int_equal(pragma_int(db, "SELECT count(*) FROM t"), 0);
	nw_db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_spelling_finds_the_seed),
		cmocka_unit_test(exact_spelling_ranks_first),
		cmocka_unit_test(filters),
		cmocka_unit_test(filters_beyond_the_window),
		cmocka_unit_test(ranking),
		cmocka_unit_test(bad_queries),
		cmocka_unit_test(reopen_read_only),
		cmocka_unit_test(page_sizes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
