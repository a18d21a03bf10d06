/* newswire dlq list|retry: the notifier's dead letters ([notifier] db). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/outbox.h"
#include "services/cli/cli.h"

static bool print_row(void *arg, const char *json)
{
	uint64_t *n = arg;
	(*n)++;
	return puts(json) != EOF;
}

int cmd_dlq(struct cli *c)
{
	const char *what = c->argc > 0 ? c->argv[0] : NULL;
	if (!what || strcmp(what, "-h") == 0 || strcmp(what, "--help") == 0) {
		printf("usage: newswire dlq list\n"
		       "       newswire dlq retry ID... | --all\n\n"
		       "list prints the notifications that failed every attempt (or got a\n"
		       "final 4xx), one JSON object per line: id, seq, rule, target,\n"
		       "attempts, error, updated_at. retry puts them back in the outbox\n"
		       "with their attempts reset; newswire-notifier sends them at once.\n"
		       "Reads [notifier] db.\n");
		return what ? EXIT_OK : EXIT_USAGE;
	}
	bool list = strcmp(what, "list") == 0, retry = strcmp(what, "retry") == 0;
	if (!list && !retry)
		return cli_usage_error(c, "unknown subcommand \"%s\" (list or retry)", what);
	if (list && c->argc > 1)
		return cli_usage_error(c, "list takes no arguments");
	bool all = retry && c->argc == 2 && strcmp(c->argv[1], "--all") == 0;
	if (retry && c->argc < 2)
		return cli_usage_error(c, "retry takes dead-letter ids, or --all");
	const char *path = nw_config_str(c->cfg, "notifier", "db");
	sqlite3 *db = NULL;
	char msg[512];
	if (nw_outbox_open(path, list, &db, msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "newswire dlq: cannot open the outbox: %s (is [notifier] db set?)\n", msg);
		return EXIT_FAIL;
	}
	int rc = EXIT_OK;
	uint64_t n = 0;
	if (list) {
		if (nw_outbox_dead_list(db, print_row, &n) != NW_OK || fflush(stdout) == EOF) {
			fprintf(stderr, "newswire dlq: cannot list: %s\n", sqlite3_errmsg(db));
			rc = EXIT_FAIL;
		} else if (n == 0) {
			fprintf(stderr, "newswire dlq: no dead letters\n");
		}
	} else {
		char *const *ids = all ? NULL : c->argv + 1;
		size_t nids = all ? 0 : (size_t)(c->argc - 1);
		if (nw_outbox_retry(db, ids, nids, &n, msg, sizeof(msg)) != NW_OK) {
			fprintf(stderr, "newswire dlq: cannot retry: %s\n", msg);
			rc = EXIT_FAIL;
		} else {
			printf("%llu dead letter%s queued again\n", (unsigned long long)n, n == 1 ? "" : "s");
			if (!all && n < nids) {
				fprintf(stderr, "newswire dlq: %llu of the ids given are not dead letters\n",
					(unsigned long long)(nids - n));
				rc = EXIT_FAIL;
			}
		}
	}
	nw_db_close(&db);
	return rc;
}
