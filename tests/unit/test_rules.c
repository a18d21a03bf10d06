/* The rules file: a valid file, and file:line:col for each kind of error. */
#include "tests/unit/testutil.h"

#include "common/rules.h"

static const char good[] =
	"# alerts for the newsroom\n"
	"[rule quang-binh-security]\n"
	"match = place:\"Lệ Thủy\" AND (ANTT OR \"an ninh\")\n"
	"notify = webhook https://example.invalid/hook\n"
	"notify = exec /usr/local/bin/alert --quiet\n"
	"notify = file var/alerts.jsonl\n"
	"secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	"\n"
	"; second rule\n"
	"[rule sport]\n"
	"  match = bóng đá\r\n"
	"  notify = file var/sport.jsonl\n";

static void loads_a_good_file(void **state)
{
	struct nw_rules *r = NULL;
	char msg[256];
	if (nw_rules_parse("rules.conf", good, strlen(good), &r, msg, sizeof(msg)) != NW_OK)
		fail_msg("%s", msg);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->rules[0].name, "quang-binh-security");
	assert_int_equal(r->rules[0].ntargets, 3);
	assert_int_equal(r->rules[0].targets[0].type, NW_TARGET_WEBHOOK);
	assert_string_equal(r->rules[0].targets[0].arg, "https://example.invalid/hook");
	assert_int_equal(r->rules[0].targets[1].type, NW_TARGET_EXEC);
	assert_string_equal(r->rules[0].targets[1].arg, "/usr/local/bin/alert --quiet");
	assert_int_equal(r->rules[0].targets[2].type, NW_TARGET_FILE);
	assert_int_equal(r->rules[0].secret_len, 24);   /* 32 base64 characters */
	assert_int_equal(r->rules[0].match->kind, NW_EXPR_AND);
	assert_string_equal(r->rules[1].name, "sport");
	assert_int_equal(r->rules[1].match->kind, NW_EXPR_AND);   /* bóng đá: two terms */
	nw_rules_free(&r);
	assert_null(r);
	/* an empty file has no rules */
	assert_int_equal(nw_rules_parse("empty", "", 0, &r, msg, sizeof(msg)), NW_OK);
	assert_int_equal(r->n, 0);
	nw_rules_free(&r);
}

static void expect(const char *text, const char *want)
{
	struct nw_rules *r = NULL;
	char msg[256] = "";
	assert_int_equal(nw_rules_parse("r.conf", text, strlen(text), &r, msg, sizeof(msg)), NW_ESYNTAX);
	assert_null(r);
	if (strncmp(msg, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want it to start with \"%s\"", msg, want);
}

static void errors_point_at_line_and_column(void **state)
{
	/* the expression's own column, counted from the start of the line */
	expect("[rule a]\nmatch = ANTT AND\nnotify = file x\n", "r.conf:2:17: a term is missing");
	expect("[rule a]\nmatch = \"Lệ Thủy\" OR (x\nnotify = file x\n", "r.conf:2:22: unclosed parenthesis");
	expect("[rule a]\nmatch = where:x\nnotify = file x\n", "r.conf:2:9: unknown field");
	expect("[rule a]\nmatch = x\nnotify = sms 123\n", "r.conf:3:10: notify takes");
	expect("[rule a]\nmatch = x\nnotify = webhook ftp://x\n", "r.conf:3:18: a webhook URL");
	expect("[rule a]\nmatch = x\nnotify = exec alert\n", "r.conf:3:15: an exec command");
	expect("[rule a]\nmatch = x\nnotify = webhook https://h/x\n", "r.conf:1:1: rule \"a\" has a webhook but no secret");
	expect("[rule a]\nnotify = file x\n", "r.conf:1:1: rule \"a\" has no match");
	expect("[rule a]\nmatch = x\n\n[rule b]\nmatch = y\nnotify = file z\n", "r.conf:1:1: rule \"a\" has no notify");
	expect("match = x\n", "r.conf:1:1: \"match\" outside");
	expect("[rule a]\nmatch = x\ncolour = red\n", "r.conf:3:1: unknown key \"colour\"");
	expect("[rule a]\nmatch = x\nnotify = file x\n[rule a]\n", "r.conf:4:7: a second rule");
	expect("[rule a b]\n", "r.conf:1:8: rule names");
	expect("[rules a]\n", "r.conf:1:2: a block starts");
	expect("[rule a\n", "r.conf:1:1: unclosed [");
	expect("[rule a]\nmatch = x\nmatch = y\n", "r.conf:3:1: rule \"a\" has two match");
	expect("[rule a]\nmatch = x\nnotify = webhook https://h/\nsecret = short\n", "r.conf:4:10: the secret is too short");
	expect("[rule a]\nmatch = x\nnotify\n", "r.conf:3:1: expected key = value");
	expect("[rule a]\nmatch = \xff\n", "r.conf:2: not valid UTF-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_a_good_file),
		cmocka_unit_test(errors_point_at_line_and_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
