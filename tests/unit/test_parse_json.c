/* JSON input: contract keys, aliases, ninjs, arrays with bad records. */
#include "tests/unit/testutil.h"

#include "common/article.h"
#include "common/parse.h"

struct collected {
	nw_article *a[16];
	size_t n;
	size_t rejected[16];
	char reasons[16][NW_REASON_MAX];
	size_t nrej;
};

static enum nw_err collect(void *ctx, nw_article *a)
{
	struct collected *c = ctx;
	if (c->n == 16) {
		nw_article_destroy(&a);
		return NW_ELIMIT;
	}
	c->a[c->n++] = a;
	return NW_OK;
}

static void reject(void *ctx, size_t record, enum nw_err err, const char *reason)
{
	struct collected *c = ctx;
	c->rejected[c->nrej] = record;
	snprintf(c->reasons[c->nrej++], NW_REASON_MAX, "%s", reason);
}

static enum nw_err run(const char *json, struct collected *c, char *reason)
{
	memset(c, 0, sizeof(*c));
	struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .source = "in.json" };
	struct nw_parse_sink sink = { collect, reject, c };
	return nw_parse(json, strlen(json), &o, &sink, reason);
}

static void release(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		nw_article_destroy(&c->a[i]);
}

static void vnexpress_shape(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("{\"title\": \"Tin &amp; bài\", \"url\": \"https://x.vn/a.html\","
		"\"date\": \"Thứ tư, 10/9/2025, 16:30 (GMT+7)\", \"author\": \"Thu Sang\","
		"\"content\": \"Đoạn một.\\n\\nĐoạn <b>hai</b>.\\n\", \"tags\": [\"bóng đá\", \"U23\"]}",
		&c, reason), NW_OK);
	assert_int_equal(c.n, 1);
	nw_article *a = c.a[0];
	assert_int_equal(a->format, NW_FORMAT_JSON);
	assert_string_equal(a->title, "Tin & bài");
	assert_string_equal(a->url, "https://x.vn/a.html");
	assert_string_equal(a->published, "2025-09-10T16:30:00+07:00");
	assert_string_equal(a->byline, "Thu Sang");
	assert_int_equal(a->paragraphs.len, 2);
	assert_string_equal(a->paragraphs.items[1], "Đoạn hai.");
	assert_string_equal(a->lead, "Đoạn một.");
	assert_int_equal(a->tags.len, 2);
	assert_string_equal(a->source, "in.json");
	assert_string_equal(a->lang, "vi");
	release(&c);
}

static void contract_keys_and_aliases(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("{\"headline\": \"H\", \"body\": \"B1\\nB2\", \"link\": \"http://l\","
		"\"published\": \"2018-08-07\", \"lang\": \"EN-us\", \"ref\": 117,"
		"\"captions\": [\"Cap\"], \"byline\": \"By\", \"extra\": {\"ignored\": true}}",
		&c, reason), NW_OK);
	nw_article *a = c.a[0];
	assert_string_equal(a->title, "H");
	assert_int_equal(a->paragraphs.len, 2);
	assert_string_equal(a->url, "http://l");
	assert_string_equal(a->published, "2018-08-07");
	assert_string_equal(a->lang, "en");
	assert_string_equal(a->ref, "117");
	assert_string_equal(a->captions.items[0], "Cap");
	assert_string_equal(a->byline, "By");
	release(&c);
}

static void ninjs(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("{\"uri\": \"http://ex/1\", \"language\": \"vi\","
		"\"versioncreated\": \"2025-01-02T03:04:05Z\","
		"\"headlines\": [{\"role\": \"main\", \"value\": \"Tiêu đề\"}],"
		"\"bodies\": [{\"contenttype\": \"text/html\", \"value\": \"<p>Một.</p><p>Hai.</p>\"}],"
		"\"by\": \"Phóng viên\", \"subject\": [{\"name\": \"Thể thao\"}]}", &c, reason), NW_OK);
	nw_article *a = c.a[0];
	assert_string_equal(a->title, "Tiêu đề");
	assert_string_equal(a->url, "http://ex/1");
	assert_string_equal(a->published, "2025-01-02T03:04:05Z");
	assert_int_equal(a->paragraphs.len, 2);
	assert_string_equal(a->byline, "Phóng viên");
	assert_string_equal(a->tags.items[0], "Thể thao");
	release(&c);
}

static void array_with_bad_records(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("[{\"title\": \"Một\", \"content\": \"x\"},"
		"{\"content\": \"no title\"},"
		"42,"
		"{\"title\": [\"wrong\"]},"
		"{\"title\": \"Video\", \"content\": \"\"}]", &c, reason), NW_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.a[1]->title, "Video");
	assert_int_equal(c.a[1]->paragraphs.len, 0);   /* video item: no body */
	assert_int_equal(c.nrej, 3);
	assert_int_equal(c.rejected[0], 2);
	assert_non_null(strstr(c.reasons[0], "no title"));
	assert_int_equal(c.rejected[1], 3);
	assert_non_null(strstr(c.reasons[1], "not a JSON object"));
	assert_int_equal(c.rejected[2], 4);
	assert_non_null(strstr(c.reasons[2], "\"title\" must be a string"));
	release(&c);
}

static void whole_input_rejections(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("{\"title\": \"x\",", &c, reason), NW_ESYNTAX);
	assert_non_null(strstr(reason, "invalid JSON at line 1"));
	assert_int_equal(run("{\"content\": \"body only\"}", &c, reason), NW_ENOTITLE);
	assert_int_equal(run("[]", &c, reason), NW_OK);
	assert_int_equal(c.n, 0);
	assert_int_equal(run("{\"title\": \"a\", \"title\": \"b\"}", &c, reason), NW_ESYNTAX);
	assert_int_equal(run("{\"title\": \"x\\u0000y\"}", &c, reason), NW_ESYNTAX);
	struct nw_parse_opts o = { .format = NW_FORMAT_JSON };
	struct nw_parse_sink sink = { collect, reject, &c };
	assert_int_equal(nw_parse("\"str\"", 5, &o, &sink, reason), NW_ESYNTAX);
	assert_int_equal(nw_parse("7", 1, &o, &sink, reason), NW_ESYNTAX);
}

static void unparseable_date_is_null(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("{\"title\": \"T\", \"date\": \"hôm qua\"}", &c, reason), NW_OK);
	assert_null(c.a[0]->published);
	release(&c);
}

static void authors_list(void **state)
{
	struct collected c;
	char reason[NW_REASON_MAX];
	assert_int_equal(run("{\"title\": \"T\", \"author\": [\"A\", {\"name\": \"B\"}]}", &c, reason), NW_OK);
	assert_string_equal(c.a[0]->byline, "A, B");
	release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vnexpress_shape),
		cmocka_unit_test(contract_keys_and_aliases),
		cmocka_unit_test(ninjs),
		cmocka_unit_test(array_with_bad_records),
		cmocka_unit_test(whole_input_rejections),
		cmocka_unit_test(unparseable_date_is_null),
		cmocka_unit_test(authors_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
