/* Command line, configuration and logging set-up shared by the daemons. */
#include "common/daemon.h"

#include <curl/curl.h>
#include <signal.h>
#include <sys/resource.h>

#include <stdio.h>
#include <string.h>

#include "common/log.h"

#ifdef NW_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

int nw_daemon_init(int argc, char **argv, const char *section, const char *usage,
		   nw_config **cfgp)
{
	const char *path = NULL;
	char msg[512];
	char prog[64];
	snprintf(prog, sizeof(prog), "newswire-%s", section);
	nw_config *cfg = nw_config_new();
	if (!cfg) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return NW_EXIT_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("usage: %s [-c FILE] [--set section.key=value]...\n\n%s\n"
			       "  -c FILE        config file (default ./newswire.conf if present)\n"
			       "  --set K=V      override one config key (section.key=value)\n"
			       "  --version      print the version\n\n"
			       "Runs in the foreground and logs logfmt to stderr. SIGTERM/SIGINT\n"
			       "drain and exit 0; SIGHUP reloads. Exit codes: 0 clean, 1 runtime\n"
			       "failure, 2 bad usage or config. See docs/configuration.md.\n",
			       prog, usage);
			nw_config_destroy(&cfg);
			return NW_EXIT_OK;
		}
		if (strcmp(a, "--version") == 0) {
			printf("%s %s\n", prog, NW_VERSION);
			nw_config_destroy(&cfg);
			return NW_EXIT_OK;
		}
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--set") == 0) && i + 1 < argc) {
			if (a[1] == 'c')
				path = argv[++i];
			else
				i++;   /* applied after the file, below */
			continue;
		}
		if (strncmp(a, "--set=", 6) == 0)
			continue;
		fprintf(stderr, "%s: unknown argument \"%s\" (see --help)\n", prog, a);
		nw_config_destroy(&cfg);
		return NW_EXIT_USAGE;
	}
	if (!path)
		path = nw_config_default_path();
	if (path && nw_config_load(cfg, path, msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		nw_config_destroy(&cfg);
		return NW_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		const char *set = NULL;
		if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
			set = argv[++i];
		else if (strncmp(argv[i], "--set=", 6) == 0)
			set = argv[i] + 6;
		else if (strcmp(argv[i], "-c") == 0)
			i++;
		if (set && nw_config_set_arg(cfg, set, msg, sizeof(msg)) != NW_OK) {
			fprintf(stderr, "%s: %s\n", prog, msg);
			nw_config_destroy(&cfg);
			return NW_EXIT_USAGE;
		}
	}
	enum nw_log_level level = NW_LOG_INFO;
	nw_log_level_parse(nw_config_str(cfg, section, "log_level"), &level);
	nw_log_init(section, level);
	/* a peer that hung up is a write error on its socket, not a signal */
	signal(SIGPIPE, SIG_IGN);
	/* every connection is a descriptor: take all the system allows */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* before any thread: curl's global set-up is not thread-safe */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	*cfgp = cfg;
	return -1;
}

void nw_daemon_notify(const char *state)
{
#ifdef NW_HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

void nw_signals_start(uv_loop_t *loop, struct nw_signals *s, bool hup, uv_signal_cb cb,
		      void *data)
{
	s->with_hup = hup;
	s->closed = false;
	uv_signal_init(loop, &s->intr);
	uv_signal_init(loop, &s->term);
	s->intr.data = s->term.data = data;
	uv_signal_start(&s->intr, cb, SIGINT);
	uv_signal_start(&s->term, cb, SIGTERM);
	if (hup) {
		uv_signal_init(loop, &s->hup);
		s->hup.data = data;
		uv_signal_start(&s->hup, cb, SIGHUP);
	}
}

void nw_signals_close(struct nw_signals *s)
{
	if (s->closed)
		return;
	s->closed = true;
	uv_close((uv_handle_t *)&s->intr, NULL);
	uv_close((uv_handle_t *)&s->term, NULL);
	if (s->with_hup)
		uv_close((uv_handle_t *)&s->hup, NULL);
	/* after the uv_close: closing the last handle restores the default */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
}
