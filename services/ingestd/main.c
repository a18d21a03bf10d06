/* newswire-ingestd: command line, signals, and the loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "common/daemon.h"
#include "common/log.h"
#include "services/ingestd/feeds.h"
#include "services/ingestd/ingestd.h"

#define DRAIN_DEADLINE_MS 4500

struct app {
	uv_loop_t *loop;
	ingestd *d;
	struct nw_signals signals;
	uv_timer_t deadline;
	bool stopping;
};

static void close_handles(struct app *a)
{
	nw_signals_close(&a->signals);
	if (uv_is_active((uv_handle_t *)&a->deadline))
		uv_timer_stop(&a->deadline);
	if (!uv_is_closing((uv_handle_t *)&a->deadline))
		uv_close((uv_handle_t *)&a->deadline, NULL);
}

static void on_drained(void *arg)
{
	close_handles(arg);
}

static void on_deadline(uv_timer_t *t)
{
	struct app *a = t->data;
	nw_error("drain did not finish in time; exiting");
	uv_stop(a->loop);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct app *a = h->data;
	if (signum == SIGHUP) {
		nw_info("SIGHUP: reloading the feeds file (logs go to stderr: nothing to reopen)");
		nw_daemon_notify("RELOADING=1");
		ingestd_reload(a->d);
		nw_daemon_notify("READY=1");
		return;
	}
	if (a->stopping)
		return;
	a->stopping = true;
	nw_info("stopping", "signal", signum == SIGINT ? "SIGINT" : "SIGTERM");
	nw_daemon_notify("STOPPING=1");
	uv_timer_start(&a->deadline, on_deadline, DRAIN_DEADLINE_MS, 0);
	ingestd_drain(a->d, on_drained, a);
}

int main(int argc, char **argv)
{
	nw_config *cfg = NULL;
	int rc = nw_daemon_init(argc, argv, "ingestd",
				"Takes articles in (ZeroMQ submit, the HTTP API, a spool directory,\n"
				"polled RSS/Atom feeds), journals them durably and publishes them to\n"
				"subscribers over ZeroMQ; serves replay of the journal, reads by seq\n"
				"and a live stream over HTTP.\n", &cfg);
	if (rc >= 0)
		return rc;
	struct app a = { .loop = uv_default_loop() };
	char msg[512];
	const char *feeds = nw_config_str(cfg, "ingestd", "feeds");
	struct feed_spec *specs = NULL;
	size_t nspecs = 0;
	if (*feeds) {   /* a bad feeds file is bad configuration: exit 2 */
		enum nw_err err = feeds_read_list(feeds, &specs, &nspecs, msg, sizeof(msg));
		feeds_free_list(specs, nspecs);
		if (err) {
			fprintf(stderr, "newswire-ingestd: %s\n", msg);
			nw_config_destroy(&cfg);
			return NW_EXIT_USAGE;
		}
	}
	if (!(a.d = ingestd_start(a.loop, cfg, msg, sizeof(msg)))) {
		nw_error("cannot start", "error", msg);
		nw_config_destroy(&cfg);
		return NW_EXIT_FAIL;
	}
	uv_timer_init(a.loop, &a.deadline);
	a.deadline.data = &a;
	nw_signals_start(a.loop, &a.signals, true, on_signal, &a);
	nw_daemon_notify("READY=1");
	uv_run(a.loop, UV_RUN_DEFAULT);
	bool failed = ingestd_failed(a.d);
	if (!a.stopping || failed) {
		if (!a.signals.closed)
			close_handles(&a);
		uv_run(a.loop, UV_RUN_DEFAULT);
	}
	ingestd_destroy(&a.d);
	uv_loop_close(a.loop);
	nw_config_destroy(&cfg);
	return failed ? NW_EXIT_FAIL : NW_EXIT_OK;
}
