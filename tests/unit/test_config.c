/* The config table: defaults, file errors with line numbers, --set, and
 * the generated sample and reference kept in sync with the repository. */
#include "tests/unit/testutil.h"

#include <unistd.h>

#include "common/config.h"

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/nwconfXXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

/* Loads content; returns the error and leaves the message in msg. */
static enum nw_err load(const char *content, nw_config *cfg, char *msg, size_t n, char **path)
{
	*path = write_temp(content);
	return nw_config_load(cfg, *path, msg, n);
}

static void defaults(void **state)
{
	nw_config *cfg = nw_config_new();
	assert_string_equal(nw_config_str(cfg, "ingestd", "fsync"), "batch");
	assert_int_equal(nw_config_num(cfg, "ingestd", "max_article_bytes"), 1024 * 1024);
	assert_string_equal(nw_config_str(cfg, "ingestd", "http"), "");
	int64_t age, bytes;
	nw_config_retention(cfg, "ingestd", "retention", &age, &bytes);
	assert_int_equal(age, 0);
	assert_int_equal(bytes, 0);
	nw_config_destroy(&cfg);
	assert_null(cfg);
}

static void good_file(void **state)
{
	nw_config *cfg = nw_config_new();
	char msg[512], *path;
	assert_int_equal(load("# comment\n[ingestd]\nfsync = always\nretention = 7d\n"
			      "max_article_bytes = 2MB ; inline comment\n\n[indexer]\nhttp = 127.0.0.1:8081\n",
			      cfg, msg, sizeof(msg), &path), NW_OK);
	assert_string_equal(nw_config_str(cfg, "ingestd", "fsync"), "always");
	assert_int_equal(nw_config_num(cfg, "ingestd", "max_article_bytes"), 2 * 1024 * 1024);
	int64_t age, bytes;
	nw_config_retention(cfg, "ingestd", "retention", &age, &bytes);
	assert_int_equal(age, 7 * 86400);
	assert_int_equal(bytes, 0);
	assert_string_equal(nw_config_str(cfg, "indexer", "http"), "127.0.0.1:8081");
	unlink(path);
	free(path);
	nw_config_destroy(&cfg);
}

#define assert_load_error(content, want) do { \
	nw_config *cfg_ = nw_config_new(); \
	char msg_[512], *path_, expect_[600]; \
	assert_int_equal(load(content, cfg_, msg_, sizeof(msg_), &path_), NW_ECONFIG); \
	snprintf(expect_, sizeof(expect_), "%s:%s", path_, want); \
	assert_string_equal(msg_, expect_); \
	unlink(path_); \
	free(path_); \
	nw_config_destroy(&cfg_); \
} while (0)

static void file_errors_name_the_line(void **state)
{
	assert_load_error("[ingestd]\nfsync = always\nfsink = batch\n",
			  "3: unknown key \"fsink\" in [ingestd]");
	assert_load_error("\n[ingestd]\n\n[nope]\nx = 1\n", "5: unknown section [nope]");
	assert_load_error("[ingestd]\nfsync = sometimes\n",
			  "2: [ingestd] fsync: \"sometimes\" is not one of always|batch|off");
	assert_load_error("[ingestd]\nmax_article_bytes = 10\n",
			  "2: [ingestd] max_article_bytes: 10 is out of range [1024, 67108864]");
	assert_load_error("[ingestd]\npublish = localhost:5555\n",
			  "2: [ingestd] publish: \"localhost:5555\" is not a ZeroMQ endpoint "
			  "(tcp://host:port, ipc://path or inproc://name)");
	assert_load_error("[ingestd]\nretention = forever\n",
			  "2: [ingestd] retention: \"forever\" is neither an age (7d) nor a size (10GB) nor 0");
	assert_load_error("[ingestd]\nthis line has no equals sign\n",
			  "2: syntax error: expected [section], key = value, or a # comment");
	assert_load_error("fsync = off\n", "1: key \"fsync\" outside any [section]");
	assert_load_error("[indexer]\nhttp = nocolon\n", "2: [indexer] http: \"nocolon\" is not host:port");
	assert_load_error("[notifier]\nmax_attempts = many\n",
			  "2: [notifier] max_attempts: \"many\" is not a whole number");
}

static void missing_file(void **state)
{
	nw_config *cfg = nw_config_new();
	char msg[512];
	assert_int_equal(nw_config_load(cfg, "/nonexistent/newswire.conf", msg, sizeof(msg)), NW_EIO);
	assert_non_null(strstr(msg, "/nonexistent/newswire.conf: cannot open"));
	nw_config_destroy(&cfg);
}

static void set_overrides(void **state)
{
	nw_config *cfg = nw_config_new();
	char msg[512];
	assert_int_equal(nw_config_set_arg(cfg, "ingestd.fsync=off", msg, sizeof(msg)), NW_OK);
	assert_string_equal(nw_config_str(cfg, "ingestd", "fsync"), "off");
	assert_int_equal(nw_config_set_arg(cfg, "ingestd.retention=10GB", msg, sizeof(msg)), NW_OK);
	int64_t age, bytes;
	nw_config_retention(cfg, "ingestd", "retention", &age, &bytes);
	assert_int_equal(bytes, 10LL << 30);
	assert_int_equal(nw_config_set_arg(cfg, "ingestd.http=", msg, sizeof(msg)), NW_OK);
	assert_int_equal(nw_config_set_arg(cfg, "ingestd.fsync", msg, sizeof(msg)), NW_ECONFIG);
	assert_string_equal(msg, "--set ingestd.fsync: expected section.key=value");
	assert_int_equal(nw_config_set_arg(cfg, "ingestd.nope=1", msg, sizeof(msg)), NW_ECONFIG);
	assert_string_equal(msg, "--set ingestd.nope=1: unknown key \"nope\" in [ingestd]");
	assert_int_equal(nw_config_set_arg(cfg, "ingestd.data_dir=", msg, sizeof(msg)), NW_ECONFIG);
	nw_config_destroy(&cfg);
}

static void units(void **state)
{
	int64_t v;
	assert_true(nw_parse_size("512", &v) && v == 512);
	assert_true(nw_parse_size("1KB", &v) && v == 1024);
	assert_true(nw_parse_size("3 MiB", &v) && v == 3 << 20);
	assert_false(nw_parse_size("1XB", &v));
	assert_false(nw_parse_size("-1", &v));
	assert_false(nw_parse_size("99999999999999999999", &v));
	assert_false(nw_parse_size("9999999999TB", &v));
	assert_true(nw_parse_duration("90s", &v) && v == 90);
	assert_true(nw_parse_duration("2h", &v) && v == 7200);
	assert_false(nw_parse_duration("2 days", &v));
}

/* The committed sample config and reference must be what the table makes. */
static void generated_files_in_sync(void **state)
{
	const char *src = getenv("NW_SOURCE_DIR");
	assert_non_null(src);
	struct { const char *rel; void (*gen)(FILE *); const char *cmd; } files[] = {
		{ "deploy/newswire.conf.sample", nw_config_write_sample, "newswire config sample" },
		{ "docs/configuration.md", nw_config_write_markdown, "newswire config docs" },
	};
	for (size_t i = 0; i < 2; i++) {
		char *gen = NULL;
		size_t genlen = 0;
		FILE *f = open_memstream(&gen, &genlen);
		files[i].gen(f);
		fclose(f);
		nw_buf path = NW_BUF_INIT;
		nw_buf_printf(&path, "%s/%s", src, files[i].rel);
		char *have = slurp(path.data, NULL);
		if (strcmp(have, gen) != 0)
			fail_msg("%s is out of date: run `%s > %s`", files[i].rel, files[i].cmd, files[i].rel);
		free(have);
		free(gen);
		nw_buf_release(&path);
	}
}

/* The sample file loads cleanly and changes nothing. */
static void sample_loads(void **state)
{
	const char *src = getenv("NW_SOURCE_DIR");
	nw_buf path = NW_BUF_INIT;
	nw_buf_printf(&path, "%s/deploy/newswire.conf.sample", src);
	nw_config *cfg = nw_config_new();
	char msg[512];
	assert_int_equal(nw_config_load(cfg, path.data, msg, sizeof(msg)), NW_OK);
	for (const struct nw_conf_key *k = nw_conf_keys; k->section; k++)
		assert_string_equal(nw_config_str(cfg, k->section, k->name), k->def);
	nw_config_destroy(&cfg);
	nw_buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(good_file),
		cmocka_unit_test(file_errors_name_the_line),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(set_overrides),
		cmocka_unit_test(units),
		cmocka_unit_test(generated_files_in_sync),
		cmocka_unit_test(sample_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
