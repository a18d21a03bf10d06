/* The article model: lifecycle, derived fields and JSON. */
#include "tests/unit/testutil.h"

#include <jansson.h>

#include "common/article.h"

static nw_article *make(const char *title, const char *const *paras, size_t n)
{
	nw_article *a = nw_article_new();
	a->title = nw_strdup(title);
	for (size_t i = 0; i < n; i++)
		nw_strlist_push(&a->paragraphs, paras[i]);
	assert_int_equal(nw_article_finish(a), NW_OK);
	return a;
}

static void derived_fields(void **state)
{
	const char *p[] = { "Một hai ba.", "Bốn năm." };
	nw_article *a = make("Tiêu đề tin", p, 2);
	assert_int_equal(a->word_count, 3 + 3 + 2);
	assert_string_equal(a->lead, "Một hai ba.");
	assert_int_equal(strlen(a->id), 32);
	char id[33];
	nw_article_content_id(a, id);
	assert_string_equal(id, a->id);
	nw_article_destroy(&a);
	assert_null(a);
	nw_article_destroy(&a);   /* NULL-safe */
}

static int hamming(uint64_t x, uint64_t y)
{
	return __builtin_popcountll(x ^ y);
}

static void simhash_is_near_for_near_duplicates(void **state)
{
	const char *p1[] = { "Công an huyện và Ủy ban MTTQ Việt Nam huyện đã phối hợp làm tốt công tác tham mưu cho Thường trực huyện ủy, UBND huyện tập trung lãnh đạo, chỉ đạo các cấp ủy Đảng." };
	const char *p2[] = { "Công an huyện và Ủy ban MTTQ Việt Nam huyện đã phối hợp làm tốt công tác tham mưu cho Thường trực huyện ủy, UBND tỉnh tập trung lãnh đạo, chỉ đạo các cấp ủy Đảng." };
	const char *p3[] = { "Mourinho chê bai chiến thuật của Chelsea nhưng không quên khen ngợi học trò sau trận đấu cuối tuần." };
	nw_article *a = make("A", p1, 1), *b = make("B", p2, 1), *c = make("C", p3, 1);
	assert_true(hamming(a->simhash, b->simhash) < hamming(a->simhash, c->simhash));
	assert_true(hamming(a->simhash, b->simhash) <= 10);
	assert_string_not_equal(a->id, b->id);
	nw_article_destroy(&a);
	nw_article_destroy(&b);
	nw_article_destroy(&c);
}

static void no_title_is_an_error(void **state)
{
	nw_article *a = nw_article_new();
	assert_int_equal(nw_article_finish(a), NW_ENOTITLE);
	a->title = nw_strdup("");
	assert_int_equal(nw_article_finish(a), NW_ENOTITLE);
	nw_article_destroy(&a);
}

static void json_shape(void **state)
{
	const char *p[] = { "Body." };
	nw_article *a = make("T", p, 1);
	json_t *o = nw_article_to_json(a);
	assert_null(json_object_get(o, "seq"));
	assert_null(json_object_get(o, "ingested_at"));
	assert_true(json_is_null(json_object_get(o, "url")));
	assert_string_equal(json_string_value(json_object_get(o, "format")), "text");
	json_decref(o);
	a->seq = 9;
	a->ingested_at = nw_strdup("2026-01-01T00:00:00Z");
	o = nw_article_to_json(a);
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), 9);
	const char *first;
	json_t *v;
	void *iter = json_object_iter(o);
	first = json_object_iter_key(iter);
	v = json_object_iter_value(iter);
	assert_string_equal(first, "id");
	assert_true(json_is_string(v));
	json_decref(o);
	char *line = nw_article_to_json_text(a, false);
	assert_null(strchr(line, '\n'));
	free(line);
	nw_article *c = nw_article_clone(a);
	assert_true(nw_article_equal(a, c));
	nw_strlist_push(&c->tags, "x");
	assert_false(nw_article_equal(a, c));
	nw_article_destroy(&c);
	nw_article_destroy(&a);
}

static void formats(void **state)
{
	enum nw_format f;
	for (int i = NW_FORMAT_TEXT; i <= NW_FORMAT_HTTP; i++) {
		assert_int_equal(nw_format_parse(nw_format_name((enum nw_format)i), &f), NW_OK);
		assert_int_equal(f, i);
	}
	assert_int_equal(nw_format_parse("pdf", &f), NW_EFORMAT);
	assert_string_equal(nw_strerror(NW_ENOTITLE), "no title");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(derived_fields),
		cmocka_unit_test(simhash_is_near_for_near_duplicates),
		cmocka_unit_test(no_title_is_an_error),
		cmocka_unit_test(json_shape),
		cmocka_unit_test(formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
