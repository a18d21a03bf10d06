/* The dev corpus (../shared/corpus/dev, text and JSON rows of MANIFEST.tsv):
 * every file accepted, titles equal to the manifest's after normalisation,
 * dates found where the lead or title has one, JSON record counts, and a
 * lossless msgpack round trip of every article. */
#include "tests/unit/testutil.h"

#include <regex.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/parse.h"
#include "common/text.h"

struct file_result {
	nw_article *a[8];
	size_t n;
	size_t rejected;
};

static enum nw_err keep(void *ctx, nw_article *a)
{
	struct file_result *r = ctx;
	if (r->n == 8) {
		nw_article_destroy(&a);
		return NW_ELIMIT;
	}
	r->a[r->n++] = a;
	return NW_OK;
}

static void count_reject(void *ctx, size_t record, enum nw_err err, const char *reason)
{
	struct file_result *r = ctx;
	print_error("record %zu rejected: %s\n", record, reason);
	r->rejected++;
}

static regex_t date_re, date_words_re, rfc3339_re;

/* A full day/month/year date, found independently of the parser. */
static bool has_full_date(const char *s)
{
	return s && (regexec(&date_re, s, 0, NULL, 0) == 0 ||
		     regexec(&date_words_re, s, 0, NULL, 0) == 0);
}

static void round_trip(const nw_article *a, const char *path)
{
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_article_encode(a, &b), NW_OK);
	nw_article *d = NULL;
	assert_int_equal(nw_article_decode(b.data, b.len, NULL, &d), NW_OK);
	if (!nw_article_equal(a, d))
		fail_msg("%s: msgpack round trip changed the article", path);
	nw_article_destroy(&d);
	nw_buf_release(&b);
}

static void corpus(void **state)
{
	assert_int_equal(regcomp(&date_re, "(^|[^0-9/.-])[0-9]{1,2}([/.-])[0-9]{1,2}\\2[0-9]{4}([^0-9]|$)",
				 REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regcomp(&date_words_re, "[0-9]{1,2} [Tt]háng [0-9]{1,2} [Nn]ăm [0-9]{4}",
				 REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regcomp(&rfc3339_re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$",
				 REG_EXTENDED | REG_NOSUB), 0);
	char *manifest = slurp_corpus("dev/MANIFEST.tsv", NULL);
	size_t files[2] = { 0 }, titles[2] = { 0 }, dated[2] = { 0 }, with_date[2] = { 0 };
	size_t records = 0, articles = 0, odd = 0;
	char *save = NULL, *cols[9];
	while (manifest_row(manifest, &save, cols)) {
		const char *rel = cols[0], *format = cols[1], *title = cols[5];
		const char *oddities = cols[7], *expected = cols[8];
		int kind = strcmp(format, "text") == 0 ? 0 : strcmp(format, "json") == 0 ? 1 : -1;
		if (kind < 0)
			continue;   /* feeds are parsed by the feed module */
		nw_buf path = NW_BUF_INIT;
		nw_buf_printf(&path, "dev/%s", rel);
		size_t len;
		char *data = slurp_corpus(path.data, &len);
		struct file_result r = { 0 };
		struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .source = rel };
		struct nw_parse_sink sink = { keep, count_reject, &r };
		char reason[NW_REASON_MAX];
		enum nw_err err = nw_parse(data, len, &o, &sink, reason);
		if (err)
			fail_msg("%s rejected: %s", rel, reason);
		assert_int_equal(r.rejected, 0);
		assert_true(r.n >= 1);
		files[kind]++;
		if (*oddities)
			odd++;
		if (kind == 1) {
			size_t want = 0;
			assert_int_equal(sscanf(expected, "records=%zu", &want), 1);
			if (r.n != want)
				fail_msg("%s: %zu records, manifest says %zu", rel, r.n, want);
			records += want;
		}
		char *want_title = NULL;
		assert_int_equal(nw_text_clean(title, strlen(title), NW_CLEAN_HTML, &want_title), NW_OK);
		if (strcmp(r.a[0]->title, want_title) != 0)
			fail_msg("%s: title \"%s\", manifest \"%s\"", rel, r.a[0]->title, want_title);
		titles[kind]++;
		for (size_t i = 0; i < r.n; i++) {
			nw_article *a = r.a[i];
			articles++;
			assert_true(nw_utf8_valid(a->title, strlen(a->title), NULL));
			if (kind == 0 && (has_full_date(a->lead) || has_full_date(a->title))) {
				with_date[0]++;
				if (!a->published)
					fail_msg("%s: the lead or title has a date but published is null", rel);
			}
			if (kind == 1) {
				with_date[1]++;
				if (!a->published || regexec(&rfc3339_re, a->published, 0, NULL, 0) != 0)
					fail_msg("%s: published \"%s\" is not a full RFC 3339 time", rel,
						 a->published ? a->published : "(null)");
			}
			if (a->published)
				dated[kind]++;
			round_trip(a, rel);
			nw_article_destroy(&r.a[i]);
		}
		free(want_title);
		free(data);
		nw_buf_release(&path);
	}
	print_message("corpus: text files %zu accepted, %zu titles match, %zu dated "
		      "(%zu have a full date in lead or title)\n", files[0], titles[0], dated[0], with_date[0]);
	print_message("corpus: json files %zu accepted (%zu records), %zu titles match, "
		      "%zu records dated with a full time\n", files[1], records, titles[1], dated[1]);
	print_message("corpus: %zu articles round-tripped through msgpack; %zu files with oddities\n",
		      articles, odd);
	assert_int_equal(files[0], 200);
	assert_int_equal(files[1], 39);
	free(manifest);
	regfree(&date_re);
	regfree(&date_words_re);
	regfree(&rfc3339_re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
