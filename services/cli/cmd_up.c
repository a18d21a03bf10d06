/* newswire up: runs ingestd, archiver, indexer and notifier as child
 * processes in the foreground, with the same -c and --set options (the
 * built-in defaults put everything under ./var). Their log lines come out
 * on stderr prefixed with the service's name. A child that dies is
 * started again after a backoff (1 s, doubling to 30 s; reset once it has
 * run for a minute). Ctrl-C or SIGTERM stops them all (SIGTERM, then
 * SIGKILL after 8 s) and exits 0. */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/daemon.h"
#include "common/util.h"
#include "services/cli/cli.h"

#define STOP_GRACE_MS 8000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000

struct child {
	const char *name;       /* "ingestd" */
	char path[PATH_MAX];
	struct up *up;
	uv_process_t proc;
	uv_timer_t restart;
	bool running;
	uint64_t started_at;
	uint64_t backoff_ms;
	unsigned restarts;
	nw_buf line;            /* a partial log line */
};

struct up {
	uv_loop_t *loop;
	struct cli *cli;
	struct child children[4];
	struct nw_signals signals;
	uv_timer_t kill_timer;
	bool stopping;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "up       | ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The daemon binary: beside this one (installed), in the build tree's
 * services/NAME/, or on PATH. */
static bool find_daemon(const char *name, char *out, size_t outlen)
{
	char self[PATH_MAX - 64];   /* room for the name after the directory */
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, outlen, "%s/newswire-%s", self, name);
			if (access(out, X_OK) == 0)
				return true;
			snprintf(out, outlen, "%s/../%s/newswire-%s", self, name, name);
			if (access(out, X_OK) == 0)
				return true;
		}
	}
	const char *path = getenv("PATH");
	char *copy = nw_strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *dir = copy ? strtok(copy, ":") : NULL; dir; dir = strtok(NULL, ":")) {
		snprintf(out, outlen, "%s/newswire-%s", dir, name);
		if (access(out, X_OK) == 0) {
			free(copy);
			return true;
		}
	}
	free(copy);
	return false;
}

static uint64_t now_ms(uv_loop_t *loop)
{
	uv_update_time(loop);
	return uv_now(loop);
}

static void emit_lines(struct child *c, bool flush)
{
	char *start = c->line.data;
	char *end = start ? start + c->line.len : NULL;
	while (start && start < end) {
		char *nl = memchr(start, '\n', (size_t)(end - start));
		if (!nl && !flush)
			break;
		size_t n = nl ? (size_t)(nl - start) : (size_t)(end - start);
		fprintf(stderr, "%-8s | %.*s\n", c->name, (int)n, start);
		start += n + (nl ? 1 : 0);
	}
	size_t left = start ? (size_t)(end - start) : 0;
	if (left && start != c->line.data)
		memmove(c->line.data, start, left);
	c->line.len = left;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = malloc(suggested);
	buf->len = buf->base ? suggested : 0;
}

/* Each start gets its own pipe: the last one may still be draining. */
static void on_err_closed(uv_handle_t *h)
{
	free(h);
}

static void on_child_output(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;
	if (n > 0) {
		nw_buf_append(&c->line, buf->base, (size_t)n);
		emit_lines(c, c->line.len > 65536);
	} else if (n < 0) {
		emit_lines(c, true);
		uv_close((uv_handle_t *)s, on_err_closed);
	}
	free(buf->base);
}

static void start_child(struct child *c);

static void on_restart_timer(uv_timer_t *t)
{
	struct child *c = t->data;
	if (!c->up->stopping)
		start_child(c);
}

static void maybe_done(struct up *u)
{
	for (size_t i = 0; i < 4; i++)
		if (u->children[i].running)
			return;
	nw_signals_close(&u->signals);
	uv_timer_stop(&u->kill_timer);
	uv_close((uv_handle_t *)&u->kill_timer, NULL);
	for (size_t i = 0; i < 4; i++) {
		uv_timer_stop(&u->children[i].restart);
		uv_close((uv_handle_t *)&u->children[i].restart, NULL);
	}
	say("all services stopped");
}

static void on_proc_closed(uv_handle_t *h)
{
	struct child *c = h->data;
	c->running = false;
	if (c->up->stopping) {
		maybe_done(c->up);
		return;
	}
	uint64_t ran = now_ms(c->up->loop) - c->started_at;
	if (ran >= STABLE_MS)
		c->backoff_ms = 1000;
	say("restarting %s in %.0f s (restart %u)", c->name, (double)c->backoff_ms / 1000,
	    ++c->restarts);
	uv_timer_start(&c->restart, on_restart_timer, c->backoff_ms, 0);
	c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void on_child_exit(uv_process_t *p, int64_t status, int sig)
{
	struct child *c = p->data;
	if (!c->up->stopping || status != 0 || sig)
		say("%s exited (%s %lld)", c->name, sig ? "signal" : "status",
		    (long long)(sig ? sig : status));
	uv_close((uv_handle_t *)p, on_proc_closed);
}

static void start_child(struct child *c)
{
	struct up *u = c->up;
	struct cli *cli = u->cli;
	char *args[8 + 2 * 64];
	int n = 0;
	args[n++] = c->path;
	if (cli->config_path) {
		args[n++] = (char *)"-c";
		args[n++] = (char *)cli->config_path;
	}
	for (int i = 0; i < cli->nsets && i < 64; i++) {
		args[n++] = (char *)"--set";
		args[n++] = cli->sets[i];
	}
	args[n] = NULL;
	uv_pipe_t *err = malloc(sizeof(*err));
	if (!err) {
		say("cannot start %s: out of memory", c->name);
		return;
	}
	uv_pipe_init(u->loop, err, 0);
	err->data = c;
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = 1 },
		{ .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)err },
	};
	uv_process_options_t o = { .exit_cb = on_child_exit, .file = c->path, .args = args,
				   .stdio = stdio, .stdio_count = 3 };
	c->proc.data = c;
	c->started_at = now_ms(u->loop);
	int rc = uv_spawn(u->loop, &c->proc, &o);
	c->running = true;   /* until the process handle is closed */
	if (rc != 0) {
		say("cannot start %s: %s", c->path, uv_strerror(rc));
		uv_close((uv_handle_t *)err, on_err_closed);
		uv_close((uv_handle_t *)&c->proc, on_proc_closed);
		return;
	}
	uv_read_start((uv_stream_t *)err, on_alloc, on_child_output);
}

static void on_kill_timer(uv_timer_t *t)
{
	struct up *u = t->data;
	for (size_t i = 0; i < 4; i++)
		if (u->children[i].running && uv_is_active((uv_handle_t *)&u->children[i].proc)) {
			say("%s did not stop in time; killing it", u->children[i].name);
			uv_process_kill(&u->children[i].proc, SIGKILL);
		}
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct up *u = h->data;
	if (u->stopping)
		return;
	u->stopping = true;
	say("stopping all services (%s)", signum == SIGINT ? "SIGINT" : "SIGTERM");
	for (size_t i = 0; i < 4; i++) {
		struct child *c = &u->children[i];
		uv_timer_stop(&c->restart);
		/* the same signal: after a Ctrl-C the children may have it already,
		 * and a second one changes nothing for them */
		if (c->running && uv_is_active((uv_handle_t *)&c->proc))
			uv_process_kill(&c->proc, signum);
	}
	uv_timer_start(&u->kill_timer, on_kill_timer, STOP_GRACE_MS, 0);
	maybe_done(u);
}

int cmd_up(struct cli *c)
{
	if (c->argc > 0 && (strcmp(c->argv[0], "-h") == 0 || strcmp(c->argv[0], "--help") == 0)) {
		printf("usage: newswire [-c FILE] [--set section.key=value]... up\n\n"
		       "Runs newswire-ingestd, -archiver, -indexer and -notifier in the\n"
		       "foreground with the same config (the built-in defaults keep the\n"
		       "journal, databases and ipc endpoints under ./var). Log lines are\n"
		       "prefixed with the service's name; a service that dies is started\n"
		       "again after a backoff. Ctrl-C stops everything.\n");
		return EXIT_OK;
	}
	if (c->argc > 0)
		return cli_usage_error(c, "takes no arguments (options go before the command)");
	static const char *const names[4] = { "ingestd", "archiver", "indexer", "notifier" };
	struct up u = { .loop = uv_default_loop(), .cli = c };
	for (size_t i = 0; i < 4; i++) {
		struct child *ch = &u.children[i];
		ch->name = names[i];
		ch->up = &u;
		ch->backoff_ms = 1000;
		if (!find_daemon(names[i], ch->path, sizeof(ch->path))) {
			fprintf(stderr, "newswire up: cannot find newswire-%s (beside newswire, in the "
				"build tree, or on PATH)\n", names[i]);
			return EXIT_FAIL;
		}
	}
	nw_signals_start(u.loop, &u.signals, false, on_signal, &u);
	uv_timer_init(u.loop, &u.kill_timer);
	u.kill_timer.data = &u;
	say("starting ingestd, archiver, indexer, notifier (config: %s)",
	    c->config_path ? c->config_path : "built-in defaults");
	for (size_t i = 0; i < 4; i++) {
		uv_timer_init(u.loop, &u.children[i].restart);
		u.children[i].restart.data = &u.children[i];
		start_child(&u.children[i]);
	}
	uv_run(u.loop, UV_RUN_DEFAULT);
	for (size_t i = 0; i < 4; i++)
		nw_buf_release(&u.children[i].line);
	uv_loop_close(u.loop);
	return EXIT_OK;
}
