/* The plain-text layout: the seed article exactly, derived variants of it,
 * the caption and byline rules, and rejections. */
#include "tests/unit/testutil.h"

#include <jansson.h>
#include <utf8proc.h>

#include "common/article.h"
#include "common/parse.h"
#include "common/util.h"

static nw_article *parse_ok(const char *data, size_t len)
{
	struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .source = "t" };
	char reason[NW_REASON_MAX] = "";
	nw_article *a = NULL;
	enum nw_err err = nw_parse_one(data, len, &o, &a, reason);
	if (err)
		fail_msg("parse failed: %s (%s)", nw_strerror(err), reason);
	return a;
}

static enum nw_err parse_err(const char *data, size_t len, size_t max, char *reason)
{
	struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .max_bytes = max };
	nw_article *a = NULL;
	enum nw_err err = nw_parse_one(data, len, &o, &a, reason);
	assert_null(a);
	return err;
}

static nw_article *parse_str(const char *s)
{
	return parse_ok(s, strlen(s));
}

/* Every key of seed.expected.json holds exactly; at_least lists are contained. */
static void seed_matches_expected(void **state)
{
	size_t len;
	char *text = slurp_corpus("seed/seed.txt", &len);
	char *expected_path = corpus_path("seed/seed.expected.json");
	json_error_t jerr;
	json_t *expected = json_load_file(expected_path, 0, &jerr);
	assert_non_null(expected);
	nw_article *a = parse_ok(text, len);
	json_t *got = nw_article_to_json(a);
	const char *key;
	json_t *want;
	size_t checked = 0;
	json_object_foreach(expected, key, want) {
		if (strcmp(key, "_comment") == 0 || strcmp(key, "at_least") == 0)
			continue;
		json_t *have = json_object_get(got, key);
		if (!json_equal(have, want)) {
			char *h = json_dumps(have, JSON_ENCODE_ANY), *w = json_dumps(want, JSON_ENCODE_ANY);
			fail_msg("key %s: got %s, want %s", key, h, w);
		}
		checked++;
	}
	assert_true(checked >= 10);
	json_object_foreach(json_object_get(expected, "at_least"), key, want) {
		json_t *have = json_object_get(got, key);
		size_t i;
		json_t *item;
		json_array_foreach(want, i, item) {
			bool found = false;
			for (size_t k = 0; k < json_array_size(have); k++)
				found |= json_equal(json_array_get(have, k), item);
			if (!found)
				fail_msg("%s lacks %s", key, json_string_value(item));
		}
	}
	assert_int_equal(strlen(a->id), 32);
	assert_int_equal(strspn(a->id, "0123456789abcdef"), 32);
	assert_int_equal(strlen(json_string_value(json_object_get(got, "simhash"))), 16);
	json_decref(got);
	json_decref(expected);
	nw_article_destroy(&a);
	free(expected_path);
	free(text);
}

/* Derives a variant of the seed by rewriting it line by line. */
enum variant { CRLF, CR, BOM, FINAL_NEWLINES, TRAILING_SPACES, SPACE_MARKERS,
	       NBSP_SPACE_MARKERS, EXTRA_BLANKS, ZERO_WIDTH, NFD, TABS_IN_TEXT };

static char *derive(const char *seed, size_t len, enum variant v)
{
	nw_buf b = NW_BUF_INIT;
	if (v == BOM)
		nw_buf_puts(&b, "\xEF\xBB\xBF");
	const char *p = seed, *end = seed + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		bool marker = n == 2 && memcmp(p, "\xC2\xA0", 2) == 0;
		if (marker && v == SPACE_MARKERS)
			nw_buf_puts(&b, "   ");
		else if (marker && v == NBSP_SPACE_MARKERS)
			nw_buf_puts(&b, " \xC2\xA0 \xC2\xA0");
		else if (v == ZERO_WIDTH && n > 20) {
			nw_buf_puts(&b, "\xE2\x80\x8B");
			nw_buf_append(&b, p, n);
			nw_buf_puts(&b, "\xE2\x80\x8D");
		} else if (v == TABS_IN_TEXT && n > 20) {
			nw_buf_puts(&b, "\t");
			nw_buf_append(&b, p, n);
		} else
			nw_buf_append(&b, p, n);
		if (v == TRAILING_SPACES && n > 0 && !marker)
			nw_buf_puts(&b, "  \t");
		if (eol) {
			if (v == CRLF)
				nw_buf_puts(&b, "\r\n");
			else if (v == CR)
				nw_buf_puts(&b, "\r");
			else
				nw_buf_puts(&b, "\n");
			if (v == EXTRA_BLANKS && n == 0)
				nw_buf_puts(&b, "\n\n");
		}
		p = eol ? eol + 1 : end;
	}
	/* the seed itself has no final newline; the variants add one */
	if (v == FINAL_NEWLINES)
		nw_buf_puts(&b, "\n\n\n");
	else if (b.len && b.data[b.len - 1] != '\n' && b.data[b.len - 1] != '\r')
		nw_buf_puts(&b, v == CRLF ? "\r\n" : "\n");
	return nw_buf_detach(&b);
}

static char *to_nfd(const char *s)
{
	/* the parser must bring NFD input back to the same NFC article */
	return (char *)utf8proc_NFD((const unsigned char *)s);
}

static void seed_variants_parse_the_same(void **state)
{
	size_t len;
	char *seed = slurp_corpus("seed/seed.txt", &len);
	nw_article *want = parse_ok(seed, len);
	const enum variant variants[] = { CRLF, CR, BOM, FINAL_NEWLINES, TRAILING_SPACES,
		SPACE_MARKERS, NBSP_SPACE_MARKERS, EXTRA_BLANKS, ZERO_WIDTH, NFD, TABS_IN_TEXT };
	const char *names[] = { "crlf", "cr", "bom", "final-newlines", "trailing-spaces",
		"space-markers", "nbsp-space-markers", "extra-blanks", "zero-width", "nfd", "tabs" };
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		char *text = variants[i] == NFD ? to_nfd(seed) : derive(seed, len, variants[i]);
		assert_non_null(text);
		assert_string_not_equal(text, seed);
		nw_article *got = parse_ok(text, strlen(text));
		if (!nw_article_equal(want, got)) {
			char *g = nw_article_to_json_text(got, true);
			fail_msg("variant %s differs from the seed:\n%s", names[i], g);
		}
		nw_article_destroy(&got);
		free(text);
	}
	nw_article_destroy(&want);
	free(seed);
}

static void ref_line(void **state)
{
	nw_article *a = parse_str("Title\n\n12345678901234567\n\nBody text here.\n");
	assert_string_equal(a->ref, "12345678901234567");
	assert_int_equal(a->paragraphs.len, 1);
	nw_article_destroy(&a);
	a = parse_str("Title\n\nBody text here.\n\nSecond paragraph.\n");
	assert_null(a->ref);
	assert_int_equal(a->paragraphs.len, 2);
	assert_string_equal(a->lead, "Body text here.");
	nw_article_destroy(&a);
	a = parse_str("Title\n\n2018 là năm tốt.\n");   /* not a bare number */
	assert_null(a->ref);
	nw_article_destroy(&a);
}

static void captions_and_byline(void **state)
{
	nw_article *a = parse_str(
		"Title\n\nFirst paragraph of the story.\n\n\xC2\xA0\n\nA short caption\n\n"
		"Second paragraph of the story.\n\n\xC2\xA0\n\nNguyễn Văn A\n");
	assert_int_equal(a->paragraphs.len, 2);
	assert_int_equal(a->captions.len, 1);
	assert_string_equal(a->captions.items[0], "A short caption");
	assert_string_equal(a->byline, "Nguyễn Văn A");
	nw_article_destroy(&a);

	/* a long paragraph after a marker is body, not a caption */
	nw_buf b = NW_BUF_INIT;
	nw_buf_puts(&b, "Title\n\nLead.\n\n\xC2\xA0\n\n");
	for (int i = 0; i < 40; i++)
		nw_buf_puts(&b, "word word ");
	nw_buf_puts(&b, "\n\nEnd of story.\n");
	a = parse_str(b.data);
	assert_int_equal(a->captions.len, 0);
	assert_int_equal(a->paragraphs.len, 3);
	assert_null(a->byline);   /* "End of story." has sentence punctuation */
	nw_article_destroy(&a);
	nw_buf_release(&b);

	/* a short paragraph after a marker that is last is not a caption */
	a = parse_str("Title\n\nLead paragraph.\n\n\xC2\xA0\n\nclosing words, no stop\n");
	assert_int_equal(a->captions.len, 0);
	assert_string_equal(a->byline, "closing words, no stop");
	nw_article_destroy(&a);

	/* initials are not sentence punctuation; a lone body line is not a byline */
	a = parse_str("Title\n\nLead paragraph.\n\nT.Đ.S\n");
	assert_string_equal(a->byline, "T.Đ.S");
	nw_article_destroy(&a);
	a = parse_str("Title\n\nOnly line\n");
	assert_null(a->byline);
	assert_int_equal(a->paragraphs.len, 1);
	nw_article_destroy(&a);
	a = parse_str("Title\n\nLead paragraph.\n\nHà Nội.\n");
	assert_null(a->byline);
	nw_article_destroy(&a);
}

static void lines_join_and_html(void **state)
{
	nw_article *a = parse_str("Tiêu đề &amp; <b>tin</b>\n\nDòng một\ndòng hai.<br>\n\n<p>&nbsp;</p>\n\nHết.\n");
	assert_string_equal(a->title, "Tiêu đề & tin");
	assert_int_equal(a->paragraphs.len, 2);
	assert_string_equal(a->paragraphs.items[0], "Dòng một dòng hai.");
	assert_string_equal(a->paragraphs.items[1], "Hết.");
	nw_article_destroy(&a);
}

static void title_only_is_accepted(void **state)
{
	nw_article *a = parse_str("Chỉ có tiêu đề\n");
	assert_string_equal(a->title, "Chỉ có tiêu đề");
	assert_int_equal(a->paragraphs.len, 0);
	assert_string_equal(a->lead, "");
	assert_int_equal(a->word_count, 4);
	nw_article_destroy(&a);
}

static void published_from_lead_then_title(void **state)
{
	nw_article *a = parse_str("Kết quả ngày 6/2/2017\n\nKhông có ngày ở đây.\n");
	assert_string_equal(a->published, "2017-02-06");
	nw_article_destroy(&a);
	a = parse_str("Tin 1/1/2001\n\nSáng ngày 7 tháng 8 năm 2018, có tin.\n");
	assert_string_equal(a->published, "2018-08-07");
	nw_article_destroy(&a);
	a = parse_str("Tin\n\nNgày 13/4, không có năm.\n\nNgày 1/1/2020 ở đoạn sau.\n");
	assert_null(a->published);
	nw_article_destroy(&a);
}

static void rejections(void **state)
{
	char reason[NW_REASON_MAX];
	assert_int_equal(parse_err("", 0, 0, reason), NW_EEMPTY);
	assert_string_equal(reason, "empty input");
	assert_int_equal(parse_err(" \n\r\n\t", 5, 0, reason), NW_EEMPTY);
	assert_int_equal(parse_err("\xEF\xBB\xBF", 3, 0, reason), NW_EEMPTY);
	assert_int_equal(parse_err("T\xE9t\xE9\n\nbody", 10, 0, reason), NW_EENCODING);
	assert_non_null(strstr(reason, "UTF-8"));
	assert_non_null(strstr(reason, "offset 1"));
	assert_int_equal(parse_err("\xC2\xA0\n\n\xC2\xA0\n", 7, 0, reason), NW_ENOTITLE);
	assert_int_equal(parse_err("\xE2\x80\x8B\n<br>\n", 9, 0, reason), NW_ENOTITLE);
	char big[2048];
	memset(big, 'a', sizeof(big));
	assert_int_equal(parse_err(big, sizeof(big), 1024, reason), NW_ETOOBIG);
	assert_non_null(strstr(reason, "1024"));
}

static void nul_bytes_are_removed(void **state)
{
	nw_article *a = parse_ok("Ti\0tle\n\nBo\0dy.\n", 15);
	assert_string_equal(a->title, "Title");
	assert_string_equal(a->paragraphs.items[0], "Body.");
	nw_article_destroy(&a);
}

static void same_content_same_id(void **state)
{
	nw_article *x = parse_str("Tiêu đề\n\nNội dung.\n");
	nw_article *y = parse_str("Tiêu đề  \r\n\r\n  Nội   dung.\r\n");
	nw_article *z = parse_str("Tiêu đề\n\nNội dung khác.\n");
	assert_string_equal(x->id, y->id);
	assert_string_not_equal(x->id, z->id);
	nw_article_destroy(&x);
	nw_article_destroy(&y);
	nw_article_destroy(&z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed_matches_expected),
		cmocka_unit_test(seed_variants_parse_the_same),
		cmocka_unit_test(ref_line),
		cmocka_unit_test(captions_and_byline),
		cmocka_unit_test(lines_join_and_html),
		cmocka_unit_test(title_only_is_accepted),
		cmocka_unit_test(published_from_lead_then_title),
		cmocka_unit_test(rejections),
		cmocka_unit_test(nul_bytes_are_removed),
		cmocka_unit_test(same_content_same_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
