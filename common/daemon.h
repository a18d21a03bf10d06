/* What every daemon does before its loop starts: the command line
 * (-c FILE, --set, --version, --help), the config file, and logging. */
#ifndef NW_DAEMON_H
#define NW_DAEMON_H

#include "common/config.h"

/* Exit codes of every daemon and the CLI. */
enum { NW_EXIT_OK = 0, NW_EXIT_FAIL = 1, NW_EXIT_USAGE = 2 };

/* Parses the command line and loads the configuration of daemon `section`
 * ("ingestd", ...). Returns -1 with *cfg set when the daemon should run;
 * otherwise the exit code (after --help, --version or an error, already
 * reported on stderr). */
int nw_daemon_init(int argc, char **argv, const char *section, const char *usage,
		   nw_config **cfg);

#endif
