/* Text normalisation and folding. */
#include "tests/unit/testutil.h"

#include "common/text.h"

static char *clean(const char *s, unsigned flags)
{
	char *out = NULL;
	assert_int_equal(nw_text_clean(s, strlen(s), flags, &out), NW_OK);
	return out;
}

#define assert_clean(in, flags, want) do { \
	char *got_ = clean(in, flags); \
	assert_string_equal(got_, want); \
	free(got_); \
} while (0)

static char *fold(const char *s)
{
	char *out = NULL;
	assert_int_equal(nw_text_fold(s, strlen(s), &out), NW_OK);
	return out;
}

#define assert_fold(in, want) do { \
	char *got_ = fold(in); \
	assert_string_equal(got_, want); \
	free(got_); \
} while (0)

static void utf8_validation(void **state)
{
	size_t bad = 99;
	assert_true(nw_utf8_valid("plain", 5, NULL));
	assert_true(nw_utf8_valid("Lệ Thủy", strlen("Lệ Thủy"), NULL));
	assert_true(nw_utf8_valid("\xF0\x9F\x93\xB0", 4, NULL));          /* 📰 */
	assert_false(nw_utf8_valid("ab\xC3", 3, &bad));                   /* truncated */
	assert_int_equal(bad, 2);
	assert_false(nw_utf8_valid("\xC0\xAF", 2, NULL));                 /* overlong */
	assert_false(nw_utf8_valid("\xE0\x80\xAF", 3, NULL));             /* overlong */
	assert_false(nw_utf8_valid("\xED\xA0\x80", 3, NULL));             /* surrogate */
	assert_false(nw_utf8_valid("\xF4\x90\x80\x80", 4, NULL));         /* > U+10FFFF */
	assert_false(nw_utf8_valid("x\xFFy", 3, &bad));
	assert_int_equal(bad, 1);
	assert_false(nw_utf8_valid("caf\xE9", 4, NULL));                  /* latin-1 */
}

static void whitespace_and_invisibles(void **state)
{
	assert_clean("  a \t b\n\nc  ", 0, "a b c");
	assert_clean("a\xC2\xA0\xC2\xA0" "b", 0, "a b");                 /* NBSP */
	assert_clean("a\xE2\x80\x8B" "b", 0, "ab");                       /* ZWSP */
	assert_clean("\xEF\xBB\xBF" "a\xE2\x80\x8C\xE2\x80\x8D" "b", 0, "ab"); /* BOM, ZWNJ, ZWJ */
	assert_clean("a\x01\x02\x7F" "b", 0, "ab");                       /* controls */
	assert_clean("a\xC2\xAD" "b", 0, "ab");                           /* soft hyphen */
	assert_clean("a\xE2\x80\x83" "b\xE3\x80\x80" "c", 0, "a b c");    /* em space, ideographic */
	assert_clean("", 0, "");
	assert_clean(" \xC2\xA0 ", 0, "");
}

static void nfc(void **state)
{
	/* "Lệ Thủy" in NFD: e + dot below + circumflex, u + hook above */
	assert_clean("Le\xCC\xA3\xCC\x82 Thu\xCC\x89y", 0, "Lệ Thủy");
	/* a zero-width space between base and mark must not block composition */
	assert_clean("e\xE2\x80\x8B\xCC\x81", 0, "é");
	assert_clean("Đẩy mạnh", 0, "Đẩy mạnh");
}

static void html_remnants(void **state)
{
	assert_clean("a &amp; b", NW_CLEAN_HTML, "a & b");
	assert_clean("x&nbsp;y", NW_CLEAN_HTML, "x y");
	assert_clean("&lt;b&gt;", NW_CLEAN_HTML, "<b>");
	assert_clean("&#7879;&#x1EC7;", NW_CLEAN_HTML, "ệệ");
	assert_clean("&#150;", NW_CLEAN_HTML, "\xE2\x80\x93");             /* cp1252 en dash */
	assert_clean("&#0;x&#xD800;", NW_CLEAN_HTML, "\xEF\xBF\xBDx\xEF\xBF\xBD");
	assert_clean("&hellip;&ldquo;x&rdquo;", NW_CLEAN_HTML, "…“x”");
	assert_clean("&unknown; &amp", NW_CLEAN_HTML, "&unknown; &amp");
	assert_clean("a<br>b<br/>c", NW_CLEAN_HTML, "a b c");
	assert_clean("<p class=\"x\">Hi</p><!-- c --> <b>there</b>", NW_CLEAN_HTML, "Hi there");
	assert_clean("1 < 2 and 3 > 2", NW_CLEAN_HTML, "1 < 2 and 3 > 2");
	assert_clean("a <b", NW_CLEAN_HTML, "a <b");
	assert_clean("a &amp;nbsp; b", NW_CLEAN_HTML, "a &nbsp; b");     /* one decode only */
	assert_clean("<a href='x'>link</a>", 0, "<a href='x'>link</a>"); /* flag off */
}

static void html_strip_blocks(void **state)
{
	char *out = NULL;
	const char *in = "<p>one</p><p>two<br>three</p>";
	assert_int_equal(nw_html_strip(in, strlen(in), &out), NW_OK);
	assert_string_equal(out, "\none\n\ntwo\nthree\n");
	free(out);
}

static void folding(void **state)
{
	assert_fold("Lệ Thủy", "le thuy");
	assert_fold("LỆ THỦY", "le thuy");
	assert_fold("Le\xCC\xA3\xCC\x82 Thu\xCC\x89y", "le thuy");        /* NFD */
	assert_fold("đồng chí", "dong chi");
	assert_fold("Đường", "duong");                                    /* đ does not decompose */
	assert_fold("ĐƯỜNG", "duong");
	assert_fold("dương đương", "duong duong");
	assert_fold("ộ ở ữ", "o o u");                                    /* two marks */
	assert_fold("ANTQ, 09/CTr", "antq, 09/ctr");
	assert_fold("Straße", "strasse");
	assert_fold("\xEF\xB7\xBA abc", "\xD8\xB5\xD9\x84\xD9\x89 \xD8\xA7\xD9\x84\xD9\x84\xD9\x87 "
		    "\xD8\xB9\xD9\x84\xD9\x8A\xD9\x87 \xD9\x88\xD8\xB3\xD9\x84\xD9\x85 abc");   /* U+FDFA expands */
	assert_fold("\xEF\xAC\x83\xEF\xAC\x83xyz", "ffiffixyz");
	assert_fold("\xDF\xB0", "");           /* only a combining mark: empty, terminated */
	assert_fold("\xCC\x81\xCC\x82", "");
}

static void fold_keeps_ascii_and_length_order(void **state)
{
	char *f = fold("Hội nghị ANTT 2018");
	assert_string_equal(f, "hoi nghi antt 2018");
	free(f);
}

static void utf8_helpers(void **state)
{
	const char *s = "aệ📰";
	const char *p = s, *end = s + strlen(s);
	assert_int_equal(nw_utf8_next(&p, end), 'a');
	assert_int_equal(nw_utf8_next(&p, end), 0x1EC7);
	assert_int_equal(nw_utf8_next(&p, end), 0x1F4F0);
	assert_ptr_equal(p, end);
	assert_int_equal(nw_utf8_len(s, strlen(s)), 3);
	char enc[4];
	assert_int_equal(nw_utf8_encode(0x1EC7, enc), 3);
	assert_int_equal(nw_utf8_encode(0xD800, enc), 0);
	assert_true(nw_is_space(0xA0));
	assert_true(nw_is_invisible(0x200B));
	assert_false(nw_is_invisible('a'));
}

static bool collect_word(void *arg, const char *word, size_t len, const char *folded,
			 size_t flen, const char *exact, size_t elen)
{
	nw_buf *b = arg;
	nw_buf_printf(b, "[%.*s|%s|%s]", (int)len, word, folded, exact);
	assert_int_equal(strlen(folded), flen);
	assert_int_equal(strlen(exact), elen);
	return true;
}

static void words(void **state)
{
	nw_buf b = NW_BUF_INIT;
	const char *s = "Lệ Thủy, COVID-19 đường!  Đồng chí";
	assert_int_equal(nw_text_words(s, strlen(s), collect_word, &b), NW_OK);
	assert_string_equal(b.data, "[Lệ|le|lệ][Thủy|thuy|thủy][COVID|covid|covid][19|19|19]"
				    "[đường|duong|đường][Đồng|dong|đồng][chí|chi|chí]");
	/* decomposed input folds the same; its exact form keeps the marks */
	b.len = 0;
	const char buf[] = "Le\xcc\xa3 Thu\xcc\x89y";   /* Lẹ Thủy in NFD */
	nw_buf folded = NW_BUF_INIT;
	assert_int_equal(nw_fold_words(buf, strlen(buf), &folded), NW_OK);
	assert_string_equal(folded.data, " le thuy ");
	folded.len = 0;
	assert_int_equal(nw_fold_words("  ,;  ", 6, &folded), NW_OK);
	assert_int_equal(folded.len, 0);
	s = "Tin: \"An ninh\" (ANTT) – Quảng Bình";
	assert_int_equal(nw_fold_words(s, strlen(s), &folded), NW_OK);
	assert_string_equal(folded.data, " tin an ninh antt quang binh ");
	nw_buf_release(&folded);
	nw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_validation),
		cmocka_unit_test(whitespace_and_invisibles),
		cmocka_unit_test(nfc),
		cmocka_unit_test(html_remnants),
		cmocka_unit_test(html_strip_blocks),
		cmocka_unit_test(folding),
		cmocka_unit_test(fold_keeps_ascii_and_length_order),
		cmocka_unit_test(utf8_helpers),
		cmocka_unit_test(words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
