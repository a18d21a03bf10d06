/* newswire tail: subscribe and print new articles as JSON lines, each once
 * and in seq order; --from SEQ replays from there first. */
#include <newswire/client.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/expr.h"
#include "services/cli/cli.h"

struct tail_run {
	uint64_t count, printed;
	uint64_t to;              /* stop after this seq; 0 = never */
	struct nw_expr *filter;   /* NULL = every article */
	bool write_failed;
	const char *checkpoint;   /* file holding the last seq printed */
};

/* The tail's checkpoint is saved after every article printed, unless
 * the output failed (the article then was not printed). */
static bool save_printed(void *arg, uint64_t seq)
{
	struct tail_run *t = arg;
	if (t->write_failed)
		return false;
	return nw_checkpoint_file_save((void *)t->checkpoint, seq);
}

static enum nw_err load_printed(void *arg, uint64_t *seq)
{
	struct tail_run *t = arg;
	return nw_checkpoint_file_load((void *)t->checkpoint, seq);
}

static volatile bool stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = true;
}

static bool print_article(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct tail_run *t = arg;
	nw_article *a = NULL;
	if (nw_article_decode(data, len, NULL, &a) != NW_OK) {
		fprintf(stderr, "newswire tail: seq %llu: undecodable article, skipped\n",
			(unsigned long long)seq);
		return true;
	}
	a->seq = seq;
	if (t->filter) {
		struct nw_expr_doc d;
		bool match = false;
		if (nw_expr_doc_init(&d, a) == NW_OK) {
			match = nw_expr_match(t->filter, &d);
			nw_expr_doc_release(&d);
		}
		if (!match) {
			nw_article_destroy(&a);
			/* delivered, not printed: the checkpoint moves past it */
			return !(t->to && seq >= t->to);
		}
	}
	char *json = nw_article_to_json_text(a, false);
	nw_article_destroy(&a);
	if (!json || puts(json) == EOF || fflush(stdout) == EOF)
		t->write_failed = true;
	free(json);
	/* printed, then saved (by the library, after this returns): a crash
	 * in between prints this one again */
	t->printed++;
	return !t->write_failed && (t->count == 0 || t->printed < t->count) && !(t->to && seq >= t->to);
}

static void print_lost(void *arg, uint64_t from, uint64_t to)
{
	fprintf(stderr, "newswire tail: articles %llu-%llu cannot be served (deleted by "
		"retention, or damaged in the journal); continuing after them\n",
		(unsigned long long)from, (unsigned long long)to);
}

static int tail(struct cli *c, struct tail_run *tr);

int cmd_tail(struct cli *c)
{
	struct tail_run t = { 0 };
	int rc = tail(c, &t);
	nw_expr_free(&t.filter);
	return rc;
}

static int tail(struct cli *c, struct tail_run *tr)
{
	struct tail_run *t = tr;
	struct nw_subscriber_opts o = {
		.publish = nw_config_str(c->cfg, "ingestd", "publish"),
		.replay = nw_config_str(c->cfg, "ingestd", "replay"),
	};
	for (int i = 0; i < c->argc; i++) {
		const char *arg = c->argv[i];
		char *end;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			printf("usage: newswire tail [--from SEQ] [--to SEQ] [--count N] [--checkpoint FILE] "
			       "[--filter EXPR]\n\n"
			       "Prints new articles as JSON lines, each once and in seq order.\n"
			       "--filter EXPR prints only the articles that match EXPR, in the\n"
			       "rules' syntax: place:\"Lệ Thủy\" AND (ANTT OR \"an ninh\");\n"
			       "--count then counts matching articles. --to SEQ exits after\n"
			       "seq SEQ (printed or not).\n"
			       "--from SEQ replays the journal from SEQ first; --count N exits\n"
			       "after N articles. --checkpoint FILE saves the last seq printed\n"
			       "and, when FILE exists, resumes after it (--from is then ignored);\n"
			       "after a crash at most the last article printed may print again.\n"
			       "Ranges deleted by retention are reported on stderr.\n");
			return EXIT_OK;
		} else if (strcmp(arg, "--from") == 0 && i + 1 < c->argc) {
			o.from = strtoull(c->argv[++i], &end, 10);
			if (*end || o.from == 0)
				return cli_usage_error(c, "--from takes a seq (1 or more)");
		} else if (strcmp(arg, "--count") == 0 && i + 1 < c->argc) {
			t->count = strtoull(c->argv[++i], &end, 10);
			if (*end || t->count == 0)
				return cli_usage_error(c, "--count takes a number (1 or more)");
		} else if (strcmp(arg, "--to") == 0 && i + 1 < c->argc) {
			t->to = strtoull(c->argv[++i], &end, 10);
			if (*end || t->to == 0)
				return cli_usage_error(c, "--to takes a seq (1 or more)");
		} else if (strcmp(arg, "--checkpoint") == 0 && i + 1 < c->argc) {
			t->checkpoint = c->argv[++i];
		} else if (strcmp(arg, "--filter") == 0 && i + 1 < c->argc) {
			char msg[300];
			nw_expr_free(&t->filter);
			if (nw_expr_parse(c->argv[++i], &t->filter, NULL, msg, sizeof(msg)) != NW_OK)
				return cli_usage_error(c, "--filter: %s", msg);
		} else {
			return cli_usage_error(c, "unknown argument %s", arg);
		}
	}
	struct nw_checkpoint cp = { load_printed, save_printed, t, 1 };
	if (t->checkpoint)
		o.checkpoint = &cp;
	char msg[512];
	nw_subscriber *s = nw_subscriber_new(&o, msg, sizeof(msg));
	if (!s) {
		fprintf(stderr, "newswire tail: %s\n", msg);
		return EXIT_FAIL;
	}
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
	struct nw_subscriber_handler h = { .article = print_article, .lost = print_lost, .arg = t };
	enum nw_err err = nw_subscriber_run(s, &h, &stop_requested);
	nw_subscriber_destroy(&s);
	if (t->write_failed) {
		fprintf(stderr, "newswire tail: cannot write output\n");
		return EXIT_FAIL;
	}
	if (err == NW_ECHECKPOINT) {
		fprintf(stderr, "newswire tail: cannot save the checkpoint %s: %s\n", t->checkpoint,
			strerror(errno));
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "newswire tail: %s\n", nw_strerror(err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
