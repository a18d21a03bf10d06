/* What every daemon does before its loop starts: the command line
 * (-c FILE, --set, --version, --help), the config file, and logging. */
#ifndef NW_DAEMON_H
#define NW_DAEMON_H

#include <stdbool.h>
#include <uv.h>

#include "common/config.h"

/* Exit codes of every daemon and the CLI. */
enum { NW_EXIT_OK = 0, NW_EXIT_FAIL = 1, NW_EXIT_USAGE = 2 };

/* Parses the command line and loads the configuration of daemon `section`
 * ("ingestd", ...). Returns -1 with *cfg set when the daemon should run;
 * otherwise the exit code (after --help, --version or an error, already
 * reported on stderr). */
int nw_daemon_init(int argc, char **argv, const char *section, const char *usage,
		   nw_config **cfg);

/* The stop and reload signals of a daemon on its loop: SIGINT, SIGTERM
 * and (with hup) SIGHUP, each calling cb with data in handle->data. */
/* Tells the service manager about the daemon's state ("READY=1",
 * "STOPPING=1", "RELOADING=1"): sd_notify when built with libsystemd and
 * started by systemd (Type=notify), nothing otherwise. */
void nw_daemon_notify(const char *state);

struct nw_signals {
	uv_signal_t intr, term, hup;
	bool with_hup, closed;
};
void nw_signals_start(uv_loop_t *loop, struct nw_signals *s, bool hup, uv_signal_cb cb,
		      void *data);
/* Closes the handles and from then on ignores SIGINT and SIGTERM: the
 * process is exiting, and a second signal (a terminal's Ctrl-C reaches a
 * whole process group; a supervisor sends its own) must not kill it
 * halfway. Safe to call twice. */
void nw_signals_close(struct nw_signals *s);

#endif
