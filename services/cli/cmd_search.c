/* newswire search: full-text search through newswire-indexer ([indexer]
 * query), best first. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "common/curve.h"
#include "common/util.h"
#include "services/cli/cli.h"

#define TIMEOUT_MS 10000

/* Prints a snippet; the matches (between <b> and </b>) in bold on a
 * terminal, between asterisks otherwise. */
static void print_snippet(const char *s, bool tty)
{
	const char *on = tty ? "\033[1m" : "*", *off = tty ? "\033[0m" : "*";
	while (*s) {
		if (strncmp(s, "<b>", 3) == 0) {
			fputs(on, stdout);
			s += 3;
		} else if (strncmp(s, "</b>", 4) == 0) {
			fputs(off, stdout);
			s += 4;
		} else {
			putchar(*s == '\n' ? ' ' : *s);
			s++;
		}
	}
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

/* Sends the request and waits for the reply; NULL with a message printed
 * on failure. */
static json_t *ask(struct cli *c, const char *request)
{
	const char *endpoint = nw_config_str(c->cfg, "indexer", "query");
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_REQ);
	int linger = 0;
	int64_t maxmsg = 16 << 20;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	nw_curve_client_apply(s, endpoint);
	json_t *reply = NULL;
	if (zmq_connect(s, endpoint) != 0 || zmq_send(s, request, strlen(request), 0) < 0) {
		fprintf(stderr, "newswire search: cannot reach the indexer at %s: %s\n", endpoint,
			zmq_strerror(zmq_errno()));
		goto out;
	}
	zmq_pollitem_t item = { s, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&item, 1, TIMEOUT_MS) <= 0) {
		fprintf(stderr, "newswire search: no answer from the indexer at %s within %d s "
			"(is newswire-indexer running with this config?)\n", endpoint, TIMEOUT_MS / 1000);
		goto out;
	}
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, s, 0) >= 0) {
		json_error_t err;
		reply = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, &err);
		if (!reply)
			fprintf(stderr, "newswire search: the indexer's answer is not JSON: %s\n", err.text);
	}
	zmq_msg_close(&msg);
out:
	zmq_close(s);
	zmq_ctx_term(ctx);
	return reply;
}

int cmd_search(struct cli *c)
{
	json_t *req = json_object();
	const char *query = NULL;
	bool as_json = false;
	static const char *const filters[] = { "lang", "source", "place", "person", "since", "until" };
	for (int i = 0; i < c->argc; i++) {
		const char *arg = c->argv[i];
		const char *val = i + 1 < c->argc ? c->argv[i + 1] : NULL;
		bool known = false;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			printf("usage: newswire search [--limit N] [--json] [--lang L] [--source S]\n"
			       "                       [--place P] [--person P] [--since WHEN] [--until WHEN] QUERY\n\n"
			       "Searches the articles newswire-indexer has indexed, best first.\n"
			       "Case and diacritics do not matter (le thuy finds Lệ Thủy, dong chi\n"
			       "finds đồng chí); hits with the query's exact spelling come first.\n"
			       "QUERY: words, \"quoted phrases\", AND, OR, a NOT b, parentheses, and\n"
			       "the fields title:, place:, person:, source:, lang:.\n"
			       "--limit N (default 20, at most 1000); --json prints one object per\n"
			       "hit: seq, id, title, published, source, score, snippet. WHEN is\n"
			       "YYYY-MM-DD or an RFC 3339 time.\n");
			json_decref(req);
			return EXIT_OK;
		} else if (strcmp(arg, "--json") == 0) {
			as_json = true;
			continue;
		} else if (strcmp(arg, "--limit") == 0 && val) {
			char *end;
			long n = strtol(val, &end, 10);
			if (*end || n < 1 || n > 1000) {
				json_decref(req);
				return cli_usage_error(c, "--limit takes a number from 1 to 1000");
			}
			json_object_set_new(req, "limit", json_integer(n));
			i++;
			continue;
		}
		for (size_t k = 0; k < NW_ARRAY_LEN(filters); k++)
			if (strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, filters[k]) == 0 && val) {
				json_object_set_new(req, filters[k], json_string(val));
				known = true;
				i++;
			}
		if (known)
			continue;
		if (arg[0] == '-' && arg[1] == '-') {
			json_decref(req);
			return cli_usage_error(c, "unknown option %s", arg);
		}
		if (query) {
			json_decref(req);
			return cli_usage_error(c, "give the query as one argument (quote it): "
					       "newswire search 'le thuy AND ANTT'");
		}
		query = arg;
	}
	if (!query || !*query) {
		json_decref(req);
		return cli_usage_error(c, "what to search for is missing, e.g. newswire search 'le thuy'");
	}
	json_object_set_new(req, "q", json_string(query));
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	json_t *reply = text ? ask(c, text) : NULL;
	free(text);
	if (!reply)
		return EXIT_FAIL;
	int rc = EXIT_OK;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "newswire search: %s\n", str_or(reply, "error", "the indexer refused the query"));
		rc = EXIT_FAIL;
		goto out;
	}
	json_t *hits = json_object_get(reply, "hits");
	bool tty = isatty(STDOUT_FILENO);
	size_t i;
	json_t *h;
	json_array_foreach(hits, i, h) {
		if (as_json) {
			char *line = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (line)
				puts(line);
			free(line);
			continue;
		}
		printf("%lld  %s  %s\n    ", (long long)json_integer_value(json_object_get(h, "seq")),
		       str_or(h, "published", "-"), str_or(h, "title", ""));
		print_snippet(str_or(h, "snippet", ""), tty);
		putchar('\n');
	}
	if (!as_json && json_array_size(hits) == 0)
		fprintf(stderr, "newswire search: no match\n");
	if (fflush(stdout) == EOF)
		rc = EXIT_FAIL;
out:
	json_decref(reply);
	return rc;
}
