/* Buffers, string lists, bounded file reads, and logfmt quoting. */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <unistd.h>

#include "common/log.h"

static void buffers(void **state)
{
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_buf_reserve(&b, 0), NW_OK);
	assert_string_equal(b.data, "");   /* terminated once room exists */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(nw_buf_printf(&b, "%d,", i), NW_OK);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	size_t len = b.len;
	char *s = nw_buf_detach(&b);
	assert_int_equal(strlen(s), len);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	s = nw_buf_detach(&b);   /* an empty buffer detaches as "" */
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(nw_buf_reserve(&b, SIZE_MAX), NW_ENOMEM);
	nw_buf_release(&b);
}

static void string_lists(void **state)
{
	nw_strlist l = { 0 };
	assert_int_equal(nw_strlist_push(&l, "a"), NW_OK);
	assert_int_equal(nw_strlist_push_unique(&l, "a"), NW_OK);
	assert_int_equal(nw_strlist_push_unique(&l, "b"), NW_OK);
	assert_int_equal(l.len, 2);
	nw_buf joined = NW_BUF_INIT;
	assert_int_equal(nw_strlist_join(&l, "; ", &joined), NW_OK);
	assert_string_equal(joined.data, "a; b");
	nw_buf_release(&joined);
	nw_strlist none = { 0 };
	assert_int_equal(nw_strlist_join(&none, "; ", &joined), NW_OK);
	assert_string_equal(joined.data, "");   /* a string even when empty */
	nw_buf_release(&joined);
	assert_true(nw_strlist_contains(&l, "b"));
	assert_false(nw_strlist_contains(&l, "c"));
	assert_int_equal(nw_strlist_push_owned(&l, NULL), NW_ENOMEM);
	for (int i = 0; i < 100; i++)
		nw_strlist_push(&l, "x");
	assert_int_equal(l.len, 102);
	nw_strlist_clear(&l);
	assert_int_equal(l.len, 0);
	assert_null(l.items);
}

static void read_file_limits(void **state)
{
	char path[] = "/tmp/nwutilXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(nw_read_file(path, 10, &data, &len), NW_OK);
	assert_int_equal(len, 10);
	assert_string_equal(data, "0123456789");
	free(data);
	data = NULL;
	assert_int_equal(nw_read_file(path, 9, &data, &len), NW_ETOOBIG);
	assert_null(data);
	unlink(path);
	assert_int_equal(nw_read_file(path, 9, &data, &len), NW_EIO);
	assert_int_equal(errno, ENOENT);
	char hex[5];
	nw_hex((const unsigned char *)"\x01\xab", 2, hex);
	assert_string_equal(hex, "01ab");
}

static void logfmt_values(void **state)
{
	char buf[64];
	assert_string_equal(nw_logfmt_value("plain", buf, sizeof(buf)), "plain");
	assert_string_equal(nw_logfmt_value("two words", buf, sizeof(buf)), "\"two words\"");
	assert_string_equal(nw_logfmt_value("", buf, sizeof(buf)), "\"\"");
	assert_string_equal(nw_logfmt_value("a=b", buf, sizeof(buf)), "\"a=b\"");
	assert_string_equal(nw_logfmt_value("say \"hi\"\n", buf, sizeof(buf)), "\"say \\\"hi\\\"\\n\"");
	char small[8];
	nw_logfmt_value("a long value that does not fit", small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	enum nw_log_level lvl;
	assert_true(nw_log_level_parse("warn", &lvl));
	assert_int_equal(lvl, NW_LOG_WARN);
	assert_false(nw_log_level_parse("loud", &lvl));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffers),
		cmocka_unit_test(string_lists),
		cmocka_unit_test(read_file_limits),
		cmocka_unit_test(logfmt_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
