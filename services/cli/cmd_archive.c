/* newswire get and newswire export: read the archiver's database (a
 * read-only connection; the archiver keeps writing meanwhile). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/archive.h"
#include "common/date.h"
#include "services/cli/cli.h"

static nw_archive *open_archive(struct cli *c)
{
	const char *path = nw_config_str(c->cfg, "archiver", "db");
	nw_archive *a = NULL;
	char msg[512];
	if (nw_archive_open(path, true, &a, msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "newswire %s: cannot read the archive: %s (is newswire-archiver "
			"running with this config, or is [archiver] db set?)\n", c->command, msg);
		return NULL;
	}
	return a;
}

int cmd_get(struct cli *c)
{
	if (c->argc == 1 && (strcmp(c->argv[0], "-h") == 0 || strcmp(c->argv[0], "--help") == 0)) {
		printf("usage: newswire get ID|SEQ\n\n"
		       "Prints one archived article as JSON: ID is its 32-hex-digit id, SEQ\n"
		       "its journal seq. Reads [archiver] db.\n");
		return EXIT_OK;
	}
	if (c->argc != 1)
		return cli_usage_error(c, "takes one article id or seq");
	nw_archive *a = open_archive(c);
	if (!a)
		return EXIT_FAIL;
	char *json = NULL;
	enum nw_err err = nw_archive_get(a, c->argv[0], &json);
	nw_archive_close(&a);
	if (err == NW_EINVAL)
		return cli_usage_error(c, "\"%s\" is neither an article id (32 hex digits) nor a seq",
				       c->argv[0]);
	if (err == NW_ENOTFOUND) {
		fprintf(stderr, "newswire get: no archived article %s\n", c->argv[0]);
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "newswire get: %s\n", nw_strerror(err));
		return EXIT_FAIL;
	}
	puts(json);
	free(json);
	return EXIT_OK;
}

struct export_run {
	uint64_t written;
	bool failed;
};

static bool print_line(void *arg, const char *json)
{
	struct export_run *r = arg;
	if (puts(json) == EOF) {
		r->failed = true;
		return false;
	}
	r->written++;
	return true;
}

int cmd_export(struct cli *c)
{
	struct nw_archive_range r = { .from_seq = 1 };
	for (int i = 0; i < c->argc; i++) {
		const char *arg = c->argv[i];
		const char *val = i + 1 < c->argc ? c->argv[i + 1] : NULL;
		char *end;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			printf("usage: newswire export [--from SEQ] [--to SEQ] [--since WHEN] "
			       "[--until WHEN] [--ninjs]\n\n"
			       "Prints archived articles in seq order as JSON lines, or as IPTC\n"
			       "ninjs objects with --ninjs. --from/--to bound the seq range;\n"
			       "--since/--until bound the publication time (YYYY-MM-DD, or RFC 3339\n"
			       "such as 2025-09-10T16:30:00+07:00; a date alone covers its whole\n"
			       "day in UTC). Articles without a publication time are left out\n"
			       "when --since or --until is given. Reads [archiver] db.\n");
			return EXIT_OK;
		} else if (strcmp(arg, "--ninjs") == 0) {
			r.ninjs = true;
		} else if ((strcmp(arg, "--from") == 0 || strcmp(arg, "--to") == 0) && val) {
			unsigned long long v = strtoull(val, &end, 10);
			if (*end || !*val || v == 0)
				return cli_usage_error(c, "%s takes a seq (1 or more)", arg);
			*(arg[2] == 'f' ? &r.from_seq : &r.to_seq) = v;
			i++;
		} else if ((strcmp(arg, "--since") == 0 || strcmp(arg, "--until") == 0) && val) {
			bool until = arg[2] == 'u';
			if (!nw_date_to_unix(val, until, until ? &r.until : &r.since))
				return cli_usage_error(c, "%s takes YYYY-MM-DD or an RFC 3339 time, not \"%s\"",
						       arg, val);
			i++;
		} else {
			return cli_usage_error(c, "unknown argument %s", arg);
		}
	}
	if (r.to_seq && r.to_seq < r.from_seq)
		return cli_usage_error(c, "--to is before --from");
	nw_archive *a = open_archive(c);
	if (!a)
		return EXIT_FAIL;
	struct export_run run = { 0 };
	char msg[512];
	enum nw_err err = nw_archive_export(a, &r, print_line, &run, msg, sizeof(msg));
	nw_archive_close(&a);
	if (fflush(stdout) == EOF)
		run.failed = true;
	if (err || run.failed) {
		fprintf(stderr, "newswire export: %s\n", run.failed ? "cannot write output" : msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
