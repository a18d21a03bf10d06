/* Match expressions: precedence, NOT, phrases, fields, folding, and the
 * column of every syntax error. */
#include "tests/unit/testutil.h"

#include "common/expr.h"
#include "common/util.h"

static nw_article *article(void)
{
	nw_article *a = nw_article_new();
	a->title = nw_strdup("Huyện Lệ Thủy sơ kết công tác bảo đảm ANTT");
	a->lead = nw_strdup("Sáng ngày 7/8/2018, đồng chí Nguyễn Văn A phát biểu về an ninh.");
	nw_strlist_push(&a->paragraphs, "Đường giao thông nông thôn được nâng cấp.");
	nw_strlist_push(&a->captions, "Ảnh: Hội nghị tại Quảng Bình");
	nw_strlist_push(&a->places, "Lệ Thủy");
	nw_strlist_push(&a->places, "Quảng Bình");
	nw_strlist_push(&a->people, "Nguyễn Văn A");
	a->source = nw_strdup("baomoi.com");
	a->lang = nw_strdup("vi");
	return a;
}

static bool eval(const char *src)
{
	nw_article *a = article();
	struct nw_expr_doc d;
	assert_int_equal(nw_expr_doc_init(&d, a), NW_OK);
	struct nw_expr *e = NULL;
	char msg[256];
	if (nw_expr_parse(src, &e, NULL, msg, sizeof(msg)) != NW_OK)
		fail_msg("parse %s: %s", src, msg);
	bool m = nw_expr_match(e, &d);
	nw_expr_free(&e);
	nw_expr_doc_release(&d);
	nw_article_destroy(&a);
	return m;
}

static void terms_and_folding(void **state)
{
	assert_true(eval("ANTT"));
	assert_true(eval("antt"));
	assert_true(eval("le thuy"));            /* two terms, ANDed */
	assert_true(eval("\"Lệ Thủy\""));
	assert_true(eval("\"LỆ THỦY\""));
	assert_true(eval("\"le thuy\""));
	assert_true(eval("\"Le\xCC\xA3\xCC\x82 Thu\xCC\x89y\""));   /* NFD */
	assert_true(eval("\"dong chi\""));
	assert_true(eval("đồng"));
	assert_true(eval("duong"));              /* folding over-matches: Đường */
	assert_false(eval("\"thuy le\""));       /* a phrase keeps its order */
	assert_false(eval("thu"));               /* whole words only */
	assert_false(eval("\"an ninh ANTT\""));  /* no phrase across fields */
	assert_true(eval("\"quang binh\""));     /* captions count */
}

static void fields(void **state)
{
	assert_true(eval("place:\"Lệ Thủy\""));
	assert_true(eval("place:\"quang binh\""));
	assert_false(eval("place:antt"));
	assert_true(eval("title:antt"));
	assert_false(eval("title:\"an ninh\""));
	assert_true(eval("person:nguyen"));
	assert_true(eval("person:\"Nguyễn Văn A\""));
	assert_false(eval("person:\"Lệ Thủy\""));
	assert_true(eval("source:baomoi"));
	assert_true(eval("lang:vi"));
	assert_false(eval("lang:en"));
	assert_false(eval("place:\"thuy quang\""));   /* no phrase across two places */
}

static void operators(void **state)
{
	assert_true(eval("place:\"Lệ Thủy\" AND (ANTT OR \"an ninh\")"));
	assert_true(eval("ANTT OR bóng"));
	assert_false(eval("bóng OR đá"));
	assert_false(eval("NOT ANTT"));
	assert_true(eval("NOT bóng"));
	assert_true(eval("NOT NOT ANTT"));
	/* NOT binds tighter than AND, AND tighter than OR */
	assert_true(eval("bóng AND đá OR ANTT"));          /* (bóng AND đá) OR ANTT */
	assert_false(eval("bóng AND (đá OR ANTT)"));
	assert_true(eval("NOT bóng AND ANTT"));            /* (NOT bóng) AND ANTT */
	assert_false(eval("NOT (bóng OR ANTT)"));
	assert_true(eval("ANTT NOT bóng"));                 /* ANTT AND NOT bóng */
	assert_false(eval("ANTT NOT \"an ninh\""));
	/* lower-case words are terms */
	assert_false(eval("ANTT and"));
	assert_true(eval("ANTT AND an"));
}

static void expect_error(const char *src, int col, const char *part)
{
	struct nw_expr *e = NULL;
	char msg[256];
	int c = 0;
	assert_int_equal(nw_expr_parse(src, &e, &c, msg, sizeof(msg)), NW_ESYNTAX);
	assert_null(e);
	if (c != col || !strstr(msg, part))
		fail_msg("%s: got column %d \"%s\", want column %d with \"%s\"", src, c, msg, col, part);
	char want[32];
	snprintf(want, sizeof(want), "column %d: ", col);
	assert_true(strncmp(msg, want, strlen(want)) == 0);
}

static void errors(void **state)
{
	expect_error("", 1, "empty");
	expect_error("   ", 1, "empty");
	expect_error("a AND", 6, "missing");
	expect_error("AND a", 1, "before AND");
	expect_error("a OR OR b", 6, "before OR");
	expect_error("(a OR b", 1, "unclosed parenthesis");
	expect_error("a OR b)", 7, "unmatched");
	expect_error("()", 2, "empty parentheses");
	expect_error("\"Lệ Thủy", 1, "unclosed quote");
	expect_error("Lệ Thủy \"an", 9, "unclosed quote");   /* columns count characters */
	expect_error("where:x", 1, "unknown field");
	expect_error("place:(a OR b)", 7, "one term");
	expect_error("a \"...\"", 3, "no letters");
	expect_error("!!", 1, "no letters");
	expect_error("a \xff", 3, "UTF-8");
	nw_buf deep = NW_BUF_INIT;
	for (int i = 0; i < 40; i++)
		nw_buf_putc(&deep, '(');
	nw_buf_puts(&deep, "a");
	expect_error(deep.data, 33, "too deep");
	nw_buf_release(&deep);
	nw_buf many = NW_BUF_INIT;
	for (int i = 0; i < 300; i++)
		nw_buf_puts(&many, "a ");
	expect_error(many.data, 513, "too many terms");
	nw_buf_release(&many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(terms_and_folding),
		cmocka_unit_test(fields),
		cmocka_unit_test(operators),
		cmocka_unit_test(errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
