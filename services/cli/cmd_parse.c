/* newswire parse FILE...: offline parse, one JSON article per line on
 * stdout, `path: reason` (or `path#N: reason` for a record) on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/article.h"
#include "common/parse.h"
#include "common/util.h"
#include "services/cli/cli.h"

struct parse_run {
	const char *path;
	bool pretty;
	bool brief;
	size_t accepted;
	size_t rejected;
	bool write_failed;
};

/* Up to max items of a list, comma-separated, for --brief. */
static void print_list(const char *label, const nw_strlist *l, size_t max)
{
	if (!l->len)
		return;
	printf("  %s:", label);
	for (size_t i = 0; i < l->len && i < max; i++)
		printf("%s %s", i ? "," : "", l->items[i]);
	if (l->len > max)
		printf(", ... (%zu)", l->len);
	printf("\n");
}

static void print_brief(const nw_article *a)
{
	printf("%s  %s  %-10s  %s\n", a->id, a->lang, a->published ? a->published : "-", a->title);
	printf("  %zu paragraphs, %zu captions, %llu words%s%s\n", a->paragraphs.len,
	       a->captions.len, (unsigned long long)a->word_count,
	       a->byline ? ", byline: " : "", a->byline ? a->byline : "");
	print_list("people", &a->people, 5);
	print_list("places", &a->places, 5);
	print_list("abbreviations", &a->abbreviations, 8);
}

static enum nw_err print_article(void *ctx, nw_article *a)
{
	struct parse_run *r = ctx;
	if (r->brief) {
		print_brief(a);
		nw_article_destroy(&a);
		r->accepted++;
		return NW_OK;
	}
	char *json = nw_article_to_json_text(a, r->pretty);
	nw_article_destroy(&a);
	if (!json)
		return NW_ENOMEM;
	if (puts(json) == EOF)
		r->write_failed = true;
	free(json);
	r->accepted++;
	return NW_OK;
}

static void print_reject(void *ctx, size_t record, enum nw_err err, const char *reason)
{
	struct parse_run *r = ctx;
	fprintf(stderr, "%s#%zu: %s\n", r->path, record, reason);
	r->rejected++;
}

static void help(void)
{
	printf("usage: newswire parse [--pretty|--brief] [--format FMT] FILE...\n\n"
	       "Parses each FILE (- for standard input) offline and prints one JSON\n"
	       "article per line. The format is taken from the file name and content\n"
	       "unless --format (text, json) is given. A rejected file or record is\n"
	       "reported on stderr as `path: reason` or `path#N: reason`, and the exit\n"
	       "status is then 1. Inputs over [ingestd] max_article_bytes are rejected.\n"
	       "--brief prints a short human-readable summary instead of JSON.\n");
}

/* Reads path ("-" = stdin) up to max bytes into *data. */
static enum nw_err read_input(const char *path, size_t max, char **data, size_t *len,
			      char reason[NW_REASON_MAX])
{
	if (strcmp(path, "-") == 0)
		path = "/dev/stdin";
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(reason, NW_REASON_MAX, "is a directory (parse takes files)");
		return NW_EINVAL;
	}
	enum nw_err err = nw_read_file(path, max, data, len);
	if (err == NW_ETOOBIG)
		snprintf(reason, NW_REASON_MAX, "input is over the limit of %zu bytes "
			 "(max_article_bytes)", max);
	else if (err == NW_EIO)
		snprintf(reason, NW_REASON_MAX, "cannot read: %s", strerror(errno));
	else if (err)
		snprintf(reason, NW_REASON_MAX, "%s", nw_strerror(err));
	return err;
}

int cmd_parse(struct cli *c)
{
	struct parse_run run = { 0 };
	struct nw_parse_opts opts = {
		.format = NW_FORMAT_AUTO,
		.max_bytes = (size_t)nw_config_num(c->cfg, "ingestd", "max_article_bytes"),
	};
	int nfiles = 0;
	for (int i = 0; i < c->argc; i++) {
		const char *arg = c->argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			help();
			return EXIT_OK;
		} else if (strcmp(arg, "--pretty") == 0) {
			run.pretty = true;
		} else if (strcmp(arg, "--brief") == 0) {
			run.brief = true;
		} else if (strcmp(arg, "--format") == 0) {
			if (i + 1 >= c->argc)
				return cli_usage_error(c, "--format needs a value (text or json)");
			if (nw_format_parse(c->argv[++i], &opts.format) != NW_OK)
				return cli_usage_error(c, "unknown format \"%s\"", c->argv[i]);
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return cli_usage_error(c, "unknown option %s", arg);
		} else {
			c->argv[nfiles++] = c->argv[i];
		}
	}
	if (nfiles == 0)
		return cli_usage_error(c, "no FILE given");
	size_t failed_files = 0;
	for (int i = 0; i < nfiles; i++) {
		char reason[NW_REASON_MAX];
		char *data = NULL;
		size_t len = 0;
		run.path = c->argv[i];
		opts.source = run.path;
		enum nw_err err = read_input(run.path, opts.max_bytes, &data, &len, reason);
		if (!err) {
			struct nw_parse_sink sink = { print_article, print_reject, &run };
			err = nw_parse(data, len, &opts, &sink, reason);
		}
		if (err) {
			fprintf(stderr, "%s: %s\n", run.path, reason);
			failed_files++;
		}
		free(data);
	}
	if (fflush(stdout) != 0 || run.write_failed) {
		fprintf(stderr, "newswire parse: cannot write output: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	return failed_files || run.rejected ? EXIT_FAIL : EXIT_OK;
}
