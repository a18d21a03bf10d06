/* People, places, abbreviations and language detection. */
#include "tests/unit/testutil.h"

#include "common/extract.h"

static nw_article *extract(const char *text)
{
	nw_article *a = nw_article_new();
	assert_int_equal(nw_extract_entities(a, text), NW_OK);
	return a;
}

static void assert_list(const nw_strlist *l, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!nw_strlist_contains(l, want[i]))
			fail_msg("missing \"%s\"", want[i]);
}

static void people_by_cue(void **state)
{
	nw_article *a = extract("Dự có đồng chí Trần Quang Minh, Phó chủ tịch; ông Lê Văn Ngoan "
				"và bà Nguyễn Thị Hoa. HLV Park Hang-seo cũng có mặt. Ông Obama nói.");
	const char *want[] = { "Trần Quang Minh", "Lê Văn Ngoan", "Nguyễn Thị Hoa" };
	assert_list(&a->people, want, 3);
	assert_false(nw_strlist_contains(&a->people, "Obama"));   /* one syllable: too weak */
	nw_article_destroy(&a);
	a = extract("Chủ tịch Hội Xuất bản và Giám đốc Sở Y tế Hà Nội phát biểu.");
	assert_int_equal(a->people.len, 0);
	nw_article_destroy(&a);
}

static void people_by_surname(void **state)
{
	nw_article *a = extract("Theo Phạm Minh Chính, kinh tế tăng trưởng. Phan Thiết đẹp.");
	assert_true(nw_strlist_contains(&a->people, "Phạm Minh Chính"));
	assert_false(nw_strlist_contains(&a->people, "Phan Thiết"));   /* two syllables */
	nw_article_destroy(&a);
}

static void places(void **state)
{
	nw_article *a = extract("huyện Lệ Thủy với huyện Vĩnh Linh, Quảng Trị; xã An Thủy, "
				"thị trấn Nông trường Việt trung, TP Hồ Chí Minh và Thành phố Đà Nẵng.");
	const char *want[] = { "Lệ Thủy", "Vĩnh Linh", "Quảng Trị", "An Thủy", "Hồ Chí Minh", "Đà Nẵng" };
	assert_list(&a->places, want, 6);
	assert_false(nw_strlist_contains(&a->places, "huyện Lệ Thủy"));
	assert_false(nw_strlist_contains(&a->people, "Hồ Chí Minh"));
	assert_false(nw_strlist_contains(&a->places, "Nông"));
	nw_article_destroy(&a);
}

static void abbreviations(void **state)
{
	nw_article *a = extract("ANTQ, ANTT và UBND; số 09/CTr-BCA-MTTW; Bộ TT&TT; BCĐ 138; "
				"U23 Việt Nam; Galaxy Note III; a.B");
	const char *want[] = { "ANTQ", "ANTT", "UBND", "BCA", "MTTW", "TT&TT", "BCĐ" };
	assert_list(&a->abbreviations, want, 7);
	assert_false(nw_strlist_contains(&a->abbreviations, "U23"));
	assert_false(nw_strlist_contains(&a->abbreviations, "III"));
	assert_false(nw_strlist_contains(&a->abbreviations, "CTr"));
	assert_int_equal(a->abbreviations.len, 7);   /* unique, in order */
	assert_string_equal(a->abbreviations.items[0], "ANTQ");
	nw_article_destroy(&a);
}

static void language(void **state)
{
	assert_string_equal(nw_detect_lang("Huyện Lệ Thủy tổ chức Hội nghị sơ kết"), "vi");
	assert_string_equal(nw_detect_lang("The council said that the road is closed for the week."), "en");
	assert_string_equal(nw_detect_lang("Die Regierung hat nicht mit der Opposition gesprochen und das ist auch gut."), "de");
	assert_string_equal(nw_detect_lang("O governo não disse que a eleição foi para os mais pobres e que uma"), "pt");
	assert_string_equal(nw_detect_lang("ಕನ್ನಡ ಸುದ್ದಿ ಇಲ್ಲಿದೆ"), "kn");
	assert_string_equal(nw_detect_lang("Новости дня"), "ru");
	assert_string_equal(nw_detect_lang("12345 !!!"), "und");
	assert_string_equal(nw_detect_lang(""), "und");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(people_by_cue),
		cmocka_unit_test(people_by_surname),
		cmocka_unit_test(places),
		cmocka_unit_test(abbreviations),
		cmocka_unit_test(language),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
