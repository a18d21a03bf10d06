/* newswire: the command-line client. Global options (-c, --set) are taken
 * from anywhere on the line; the rest goes to the command. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/curve.h"
#include "services/cli/cli.h"

struct command {
	const char *name;
	int (*run)(struct cli *c);
	const char *summary;
};

static const struct command commands[] = {
	{ "parse", cmd_parse, "parse files offline, print one JSON article per line" },
	{ "submit", cmd_submit, "send files to newswire-ingestd, wait for the durable ack" },
	{ "tail", cmd_tail, "print new articles as JSON lines (--from SEQ replays first)" },
	{ "search", cmd_search, "full-text search through newswire-indexer, best first" },
	{ "get", cmd_get, "print one archived article as JSON (by id or seq)" },
	{ "export", cmd_export, "print archived articles of a seq or date range (--ninjs)" },
	{ "dlq", cmd_dlq, "show the notifier's dead letters, or queue them again (list|retry)" },
	{ "up", cmd_up, "run ingestd, archiver, indexer and notifier in the foreground" },
	{ "stats", cmd_stats, "print the counters of every running service" },
	{ "keygen", cmd_keygen, "write a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub" },
	{ "journal", cmd_journal, "verify the journal's records, or repair damaged segments (check|repair)" },
	{ "config", cmd_config, "print the sample config or its reference (sample|docs|check)" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: newswire [-c FILE] [--set section.key=value]... COMMAND [ARGS]\n\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\noptions:\n"
		"  -c FILE                 config file (default ./newswire.conf if present)\n"
		"  --set section.key=VAL   override one config key\n"
		"  -h, --help              this help; `newswire COMMAND --help` for a command\n"
		"  --version               print the version\n");
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s %s: ", c->prog, c->command ? c->command : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see `%s %s --help`)\n", c->prog, c->command ? c->command : "");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cli c = { .prog = "newswire" };
	const char *config_path = NULL;
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	char **sets = calloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0, nsets = 0, rc = EXIT_USAGE;
	char msg[512];
	if (!rest || !sets) {
		fprintf(stderr, "newswire: out of memory\n");
		rc = EXIT_FAIL;
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--set") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "newswire: %s needs a value\n", argv[i]);
				goto out;
			}
			if (argv[i][1] == 'c')
				config_path = argv[++i];
			else
				sets[nsets++] = argv[++i];
		} else if (strncmp(argv[i], "--set=", 6) == 0) {
			sets[nsets++] = argv[i] + 6;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (nrest == 0 || strcmp(rest[0], "-h") == 0 || strcmp(rest[0], "--help") == 0 ||
	    strcmp(rest[0], "help") == 0) {
		usage(nrest == 0 ? stderr : stdout);
		rc = nrest == 0 ? EXIT_USAGE : EXIT_OK;
		goto out;
	}
	if (strcmp(rest[0], "--version") == 0 || strcmp(rest[0], "version") == 0) {
		printf("newswire %s\n", NW_VERSION);
		rc = EXIT_OK;
		goto out;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(rest[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "newswire: unknown command \"%s\"; run `newswire --help` "
			"for the list\n", rest[0]);
		goto out;
	}
	if (!(c.cfg = nw_config_new())) {
		fprintf(stderr, "newswire: out of memory\n");
		rc = EXIT_FAIL;
		goto out;
	}
	if (!config_path)
		config_path = nw_config_default_path();
	if (config_path && nw_config_load(c.cfg, config_path, msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "newswire: %s\n", msg);
		goto out;
	}
	for (int i = 0; i < nsets; i++)
		if (nw_config_set_arg(c.cfg, sets[i], msg, sizeof(msg)) != NW_OK) {
			fprintf(stderr, "newswire: %s\n", msg);
			goto out;
		}
	/* the key files of [client]: every socket the commands open to a
	 * tcp:// endpoint presents them (CURVE) */
	if (nw_curve_client_load(c.cfg, msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "newswire: %s\n", msg);
		goto out;
	}
	c.command = cmd->name;
	c.config_path = config_path;
	c.sets = sets;
	c.nsets = nsets;
	c.argc = nrest - 1;
	c.argv = rest + 1;
	rc = cmd->run(&c);
out:
	nw_config_destroy(&c.cfg);
	free(rest);
	free(sets);
	return rc;
}
