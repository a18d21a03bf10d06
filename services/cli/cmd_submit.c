/* newswire submit FILE|DIR...: sends each file to ingestd and waits for the
 * durable ack; prints `seq id path` or `dup seq id path` per article. */
#include <dirent.h>
#include <errno.h>
#include <newswire/client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "services/cli/cli.h"

#define SUBMIT_TIMEOUT_MS 10000
#define SUBMIT_TRIES 3

struct submit_run {
	nw_producer *p;
	const char *format;
	size_t max_bytes;
	int timeout_ms;
	const char *path;
	size_t accepted, duplicates, rejected, files, failed_files;
	bool progress;
};

static void on_result(void *arg, const struct nw_submit_result *r)
{
	struct submit_run *s = arg;
	if (r->ok) {
		printf("%s%llu %s %s\n", r->dup ? "dup " : "", (unsigned long long)r->seq, r->id, s->path);
		if (r->dup)
			s->duplicates++;
		else
			s->accepted++;
	} else if (r->count > 1) {
		fprintf(stderr, "%s#%u: %s\n", s->path, r->index + 1, r->error);
		s->rejected++;
	} else {
		fprintf(stderr, "%s: %s\n", s->path, r->error);
		s->rejected++;
	}
}

static int submit_file(struct submit_run *s, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	s->path = path;
	s->files++;
	/* one byte over the limit reads as too big; ingestd says the same */
	enum nw_err err = nw_read_file(path, s->max_bytes, &data, &len);
	if (err) {
		fprintf(stderr, "%s: %s\n", path, err == NW_ETOOBIG ?
			"input is over the limit (max_article_bytes)" : strerror(errno));
		s->failed_files++;
		s->rejected++;
		return -1;
	}
	for (int attempt = 1; attempt <= SUBMIT_TRIES; attempt++) {
		err = nw_producer_submit(s->p, s->format, path, data, len, s->timeout_ms,
					 on_result, s);
		if (err != NW_ETIMEOUT)
			break;   /* resubmitting is safe: ingestd dedupes by content */
	}
	free(data);
	if (err) {
		fprintf(stderr, "%s: %s\n", path, err == NW_ETIMEOUT ?
			"no answer from newswire-ingestd (is it running? see [ingestd] submit)" :
			nw_strerror(err));
		s->failed_files++;
		return -1;
	}
	if (s->progress)
		fprintf(stderr, "\r%zu files, %zu new, %zu dup, %zu rejected", s->files,
			s->accepted, s->duplicates, s->rejected);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of dir (not recursive), in name order. */
static void submit_dir(struct submit_run *s, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		s->failed_files++;
		return;
	}
	nw_strlist names = { 0 };
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nw_buf p = NW_BUF_INIT;
		nw_buf_printf(&p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p.data, &st) == 0 && S_ISREG(st.st_mode))
			nw_strlist_push_owned(&names, nw_buf_detach(&p));
		nw_buf_release(&p);
	}
	closedir(d);
	if (names.len)
		qsort(names.items, names.len, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.len; i++)
		submit_file(s, names.items[i]);
	nw_strlist_clear(&names);
}

int cmd_submit(struct cli *c)
{
	struct submit_run s = {
		.max_bytes = (size_t)nw_config_num(c->cfg, "ingestd", "max_article_bytes"),
		.progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO),
		.timeout_ms = SUBMIT_TIMEOUT_MS,
	};
	int nfiles = 0;
	for (int i = 0; i < c->argc; i++) {
		const char *arg = c->argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			printf("usage: newswire submit [--format FMT] [--timeout MS] FILE|DIR...\n\n"
			       "Sends each file (a directory: its files) to newswire-ingestd at\n"
			       "[ingestd] submit and waits until the journal holds it. Prints\n"
			       "`seq id path` per article, `dup seq id path` when the same content\n"
			       "was already there. Rejections go to stderr as `path: reason` or\n"
			       "`path#N: reason`; the exit status is then 1. A request unanswered\n"
			       "after --timeout (default 10000 ms) is sent again, three times.\n");
			return EXIT_OK;
		} else if (strcmp(arg, "--format") == 0 && i + 1 < c->argc) {
			s.format = c->argv[++i];
		} else if (strcmp(arg, "--timeout") == 0 && i + 1 < c->argc) {
			s.timeout_ms = atoi(c->argv[++i]);
			if (s.timeout_ms <= 0)
				return cli_usage_error(c, "--timeout takes milliseconds (1 or more)");
		} else if (arg[0] == '-') {
			return cli_usage_error(c, "unknown option %s", arg);
		} else {
			c->argv[nfiles++] = c->argv[i];
		}
	}
	if (nfiles == 0)
		return cli_usage_error(c, "no FILE or DIR given");
	char msg[256];
	const char *endpoint = nw_config_str(c->cfg, "ingestd", "submit");
	if (!(s.p = nw_producer_new(endpoint, msg, sizeof(msg)))) {
		fprintf(stderr, "newswire submit: %s\n", msg);
		return EXIT_FAIL;
	}
	for (int i = 0; i < nfiles; i++) {
		struct stat st;
		if (stat(c->argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			submit_dir(&s, c->argv[i]);
		else
			submit_file(&s, c->argv[i]);
	}
	if (s.progress)
		fprintf(stderr, "\n");
	nw_producer_destroy(&s.p);
	fflush(stdout);
	return s.rejected || s.failed_files ? EXIT_FAIL : EXIT_OK;
}
