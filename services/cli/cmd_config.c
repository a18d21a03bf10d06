/* newswire config sample|docs|check: the config table made visible. */
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "services/cli/cli.h"

int cmd_config(struct cli *c)
{
	const char *what = c->argc > 0 ? c->argv[0] : "";
	if (strcmp(what, "sample") == 0) {
		nw_config_write_sample(stdout);
	} else if (strcmp(what, "docs") == 0) {
		nw_config_write_markdown(stdout);
	} else if (strcmp(what, "check") == 0) {
		/* -c and --set were applied by main; reaching here means they are valid */
		printf("configuration OK\n");
	} else if (strcmp(what, "-h") == 0 || strcmp(what, "--help") == 0) {
		printf("usage: newswire [-c FILE] config sample|docs|check\n\n"
		       "  sample  the sample config: every key, its default and help\n"
		       "  docs    the configuration reference in Markdown\n"
		       "  check   validate -c FILE and --set options, exit 2 if bad\n");
	} else {
		return cli_usage_error(c, "expected sample, docs or check");
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
