/* The newswire command-line client: shared option handling and one entry
 * point per command. */
#ifndef NW_CLI_H
#define NW_CLI_H

#include <stdbool.h>

#include "common/config.h"

/* Exit codes, the same for every command and daemon. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli {
	const char *prog;       /* "newswire" */
	const char *command;    /* "parse", ... */
	nw_config *cfg;         /* after -c and --set */
	int argc;               /* the command's remaining arguments */
	char **argv;
	const char *config_path;   /* the file loaded, or NULL (built-in defaults) */
	char **sets;            /* the --set options given, nsets of them */
	int nsets;
};

/* Prints "newswire CMD: message" and a hint, returns EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cmd_parse(struct cli *c);
int cmd_config(struct cli *c);
int cmd_submit(struct cli *c);
int cmd_tail(struct cli *c);
int cmd_stats(struct cli *c);
int cmd_get(struct cli *c);
int cmd_export(struct cli *c);
int cmd_search(struct cli *c);
int cmd_dlq(struct cli *c);
int cmd_up(struct cli *c);
int cmd_keygen(struct cli *c);
int cmd_journal(struct cli *c);

#endif
