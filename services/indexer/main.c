/* newswire-indexer: indexes every article of the feed for full-text
 * search (SQLite FTS5, diacritic-insensitive) and answers queries on
 * [indexer] query (ZeroMQ) and GET /v1/search on [indexer] http.
 *
 * Queries run on the thread pool with their own read-only connection (WAL
 * lets them read while commits write), one at a time in arrival order; at
 * most MAX_QUEUED wait, more are answered "busy". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/curve.h"
#include "common/daemon.h"
#include "common/date.h"
#include "common/http.h"
#include "common/log.h"
#include "common/search.h"
#include "common/service.h"
#include "common/zsock.h"

#define MAX_QUEUED 64
#define MAX_REQUEST 8192

struct search_job {
	uv_work_t work;
	struct indexer *ix;
	struct search_job *next;
	/* where the answer goes: a ZeroMQ peer or a deferred HTTP request */
	struct nw_peer peer;
	struct nw_http_deferred *http;
	/* the query (strings owned) */
	char *q, *lang, *source, *place, *person;
	int limit;
	int64_t since, until;
	/* the answer */
	int status;            /* HTTP status of the answer */
	char *body;            /* JSON text */
};

struct indexer {
	nw_index *writer, *reader;
	struct nw_index_store_stats totals;
	uv_loop_t *loop;
	void *zctx;
	nw_zsock *query;
	nw_zap *zap;           /* CURVE: admits authorized client keys */
	nw_http_server *http;
	nw_zmon *mon;                /* connection events of the query socket */
	struct search_job *queue, *tail;
	size_t queued;
	bool busy, stopping;
	struct {
		uint64_t queries, failed, refused, unauthorized;
		double seconds, max_seconds;
	} stats;
	struct nw_http_auth auth;   /* for GET /v1/search */
};

/* ---- answers ---- */

static char *error_body(const char *code, const char *error)
{
	json_t *o = json_pack("{s:b,s:s,s:s}", "ok", 0, "code", code, "error", error);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

static void job_free(struct search_job *j)
{
	free(j->q);
	free(j->lang);
	free(j->source);
	free(j->place);
	free(j->person);
	free(j->body);
	free(j);
}

static void answer(struct indexer *ix, struct search_job *j)
{
	const char *body = j->body ? j->body : "{\"ok\":false,\"code\":\"internal\",\"error\":\"out of memory\"}";
	if (j->http) {
		struct nw_http_response res = { .status = j->status,
						.content_type = "application/json; charset=utf-8" };
		nw_buf_puts(&res.body, body);
		nw_buf_putc(&res.body, '\n');
		nw_http_finish(j->http, &res);
		nw_buf_release(&res.body);
	} else if (ix->query) {
		const void *data[1] = { body };
		size_t len[1] = { strlen(body) };
		nw_zsock_send_to(ix->query, &j->peer, data, len, 1);
	}
	job_free(j);
}

/* ---- the queue of queries ---- */

static void run_next(struct indexer *ix);

static void search_work(uv_work_t *w)
{
	struct search_job *j = w->data;
	struct nw_search_query q = { .q = j->q, .limit = j->limit, .lang = j->lang,
				     .source = j->source, .place = j->place, .person = j->person,
				     .since = j->since, .until = j->until };
	json_t *hits = NULL;
	char msg[300];
	double start = nw_mono_seconds();
	enum nw_err err = nw_search(j->ix->reader, &q, &hits, msg, sizeof(msg));
	double took = nw_mono_seconds() - start;
	if (err) {
		bool bad = err == NW_ESYNTAX || err == NW_EINVAL;
		j->status = bad ? 400 : 500;
		j->body = error_body(err == NW_ESYNTAX ? "syntax" : bad ? "invalid" : "internal", msg);
		return;
	}
	json_t *o = json_pack("{s:b,s:s,s:o,s:f}", "ok", 1, "query", j->q, "hits", hits,
			      "took_ms", took * 1000);
	j->status = 200;
	j->body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
}

static void search_done(uv_work_t *w, int status)
{
	struct search_job *j = w->data;
	struct indexer *ix = j->ix;
	ix->busy = false;
	/* the took_ms in the body is the search; this is the whole job */
	ix->stats.queries++;
	if (j->status != 200)
		ix->stats.failed++;
	answer(ix, j);
	run_next(ix);
}

static void run_next(struct indexer *ix)
{
	struct search_job *j = ix->queue;
	if (ix->busy || !j)
		return;
	ix->queue = j->next;
	if (!ix->queue)
		ix->tail = NULL;
	ix->queued--;
	ix->busy = true;
	j->work.data = j;
	uv_queue_work(ix->loop, &j->work, search_work, search_done);
}

static void enqueue(struct indexer *ix, struct search_job *j)
{
	if (ix->queued >= MAX_QUEUED || ix->stopping) {
		ix->stats.refused++;
		j->status = 503;
		j->body = error_body("busy", ix->stopping ? "the indexer is stopping"
							  : "too many queries waiting; try again");
		answer(ix, j);
		return;
	}
	if (ix->tail)
		ix->tail->next = j;
	else
		ix->queue = j;
	ix->tail = j;
	ix->queued++;
	run_next(ix);
}

/* ---- requests: JSON over ZeroMQ, query parameters over HTTP ---- */

static bool take_string(char **dst, const char *src)
{
	return !src || (*dst = nw_strdup(src)) != NULL;
}

/* Fills the job's query from the named values; false with *why set when
 * a value is wrong. */
static bool fill_query(struct search_job *j, const char *q, const char *limit, const char *lang,
		       const char *source, const char *place, const char *person,
		       const char *since, const char *until, const char **why)
{
	if (!q || !*q) {
		*why = "the query is empty: give q, e.g. q=le thuy";
		return false;
	}
	if (limit) {
		char *end;
		long v = strtol(limit, &end, 10);
		if (*end || end == limit || v < 1 || v > 1000) {
			*why = "limit must be a number from 1 to 1000";
			return false;
		}
		j->limit = (int)v;
	}
	if ((since && !nw_date_to_unix(since, false, &j->since)) ||
	    (until && !nw_date_to_unix(until, true, &j->until))) {
		*why = "since and until take YYYY-MM-DD or an RFC 3339 time";
		return false;
	}
	if (!take_string(&j->q, q) || !take_string(&j->lang, lang) ||
	    !take_string(&j->source, source) || !take_string(&j->place, place) ||
	    !take_string(&j->person, person)) {
		*why = "out of memory";
		return false;
	}
	return true;
}

static const char *json_str(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

static void on_query(nw_zsock *zs, void *socket, void *arg)
{
	struct indexer *ix = arg;
	nw_buf body = NW_BUF_INIT;
	struct search_job *j = calloc(1, sizeof(*j));
	if (!j || !nw_zsock_recv_request(socket, &j->peer, &body, MAX_REQUEST)) {
		free(j);
		nw_buf_release(&body);
		return;
	}
	j->ix = ix;
	json_error_t jerr;
	json_t *o = json_loadb(body.data ? body.data : "", body.len,
			       JSON_REJECT_DUPLICATES, &jerr);
	nw_buf_release(&body);
	const char *why = NULL;
	bool bad = false;
	if (!json_is_object(o)) {
		why = "the request must be a JSON object such as {\"q\": \"le thuy\", \"limit\": 20}";
	} else {
		json_t *lim = json_object_get(o, "limit");
		char limit[32] = "";
		if (lim && json_is_integer(lim))
			snprintf(limit, sizeof(limit), "%lld", (long long)json_integer_value(lim));
		else if (lim && !json_is_null(lim))
			bad = true;
		const char *q = json_str(o, "q", &bad), *lang = json_str(o, "lang", &bad),
			   *source = json_str(o, "source", &bad), *place = json_str(o, "place", &bad),
			   *person = json_str(o, "person", &bad), *since = json_str(o, "since", &bad),
			   *until = json_str(o, "until", &bad);
		if (bad)
			why = "q, lang, source, place, person, since and until are strings; limit is a number";
		else
			fill_query(j, q, *limit ? limit : NULL, lang, source, place, person, since,
				   until, &why);
	}
	json_decref(o);
	if (why) {
		j->status = 400;
		j->body = error_body("invalid", why);
		ix->stats.failed++;
		answer(ix, j);
		return;
	}
	enqueue(ix, j);
}

static void on_http(void *arg, const struct nw_http_request *req, struct nw_http_response *res)
{
	struct indexer *ix = arg;
	if (!nw_http_authorized(&ix->auth, req, !strcmp(req->method, "GET"), res)) {
		ix->stats.unauthorized++;
		return;
	}
	res->content_type = "application/json; charset=utf-8";
	if (strcmp(req->path, "/v1/search") != 0) {
		res->status = 404;
		nw_buf_puts(&res->body, "{\"ok\":false,\"code\":\"not_found\",\"error\":\"no such route; "
			    "use GET /v1/search?q=...\"}\n");
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		res->status = 405;
		nw_buf_puts(&res->body, "{\"ok\":false,\"code\":\"method\",\"error\":\"use GET\"}\n");
		return;
	}
	static const char *const names[] = { "q", "limit", "lang", "source", "place", "person",
					     "since", "until" };
	nw_buf vals[8];
	const char *v[8];
	const char *why = NULL;
	for (size_t i = 0; i < 8; i++) {
		vals[i] = (nw_buf)NW_BUF_INIT;
		enum nw_err err = nw_http_query_param(req->query, names[i], &vals[i]);
		v[i] = err == NW_OK ? vals[i].data : NULL;
		if (err == NW_ESYNTAX)
			why = "a query parameter has a bad %-escape";
	}
	struct search_job *j = calloc(1, sizeof(*j));
	if (j) {
		j->ix = ix;
		if (!why)
			fill_query(j, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], &why);
	} else {
		why = "out of memory";
	}
	for (size_t i = 0; i < 8; i++)
		nw_buf_release(&vals[i]);
	if (why) {
		if (j)
			job_free(j);
		char *b = error_body("invalid", why);
		res->status = 400;
		nw_buf_puts(&res->body, b ? b : "{}");
		nw_buf_putc(&res->body, '\n');
		free(b);
		ix->stats.failed++;
		return;
	}
	j->http = nw_http_defer(res);
	if (!j->http) {
		job_free(j);
		res->status = 500;
		nw_buf_puts(&res->body, "{\"ok\":false,\"code\":\"internal\",\"error\":\"out of memory\"}\n");
		return;
	}
	enqueue(ix, j);
}

/* ---- the service ---- */

static enum nw_err commit(void *impl, const struct nw_service_batch *b, char *msg, size_t msglen)
{
	struct indexer *ix = impl;
	struct nw_index_store_stats st = { 0 };
	enum nw_err err = nw_index_store(ix->writer, b, &st, msg, msglen);
	if (!err) {
		ix->totals.indexed += st.indexed;
		ix->totals.undecodable += st.undecodable;
		ix->totals.duplicates += st.duplicates;
	}
	return err;
}

static enum nw_err start(void *impl, nw_service *svc, char *msg, size_t msglen)
{
	struct indexer *ix = impl;
	ix->loop = nw_service_loop(svc);
	return NW_OK;
}

static void stop(void *impl)
{
	struct indexer *ix = impl;
	ix->stopping = true;
	while (ix->queue) {   /* waiting queries get an answer, not silence */
		struct search_job *j = ix->queue;
		ix->queue = j->next;
		ix->queued--;
		j->status = 503;
		j->body = error_body("busy", "the indexer is stopping");
		answer(ix, j);
	}
	ix->tail = NULL;
	nw_zmon_close(&ix->mon, ix->query ? nw_zsock_socket(ix->query) : NULL);
	nw_zsock_close(ix->query);
	ix->query = NULL;
	nw_zap_close(&ix->zap);
	nw_http_close(ix->http);
	ix->http = NULL;
}

static void reload(void *impl)
{
	struct indexer *ix = impl;
	char msg[512];
	if (nw_zap_reload(ix->zap, msg, sizeof(msg)) != NW_OK)
		nw_error("authorized_keys not reloaded; the old list stays", "error", msg);
}

static void metrics(void *impl, nw_buf *b)
{
	struct indexer *ix = impl;
	nw_metric(b, "newswire_indexer_undecodable_total", "counter",
		  "Articles that did not decode and were not indexed.", (double)ix->totals.undecodable);
	nw_metric(b, "newswire_indexer_duplicates_total", "counter",
		  "Articles indexed already.", (double)ix->totals.duplicates);
	nw_metric(b, "newswire_indexer_queries_total", "counter", "Queries answered.", (double)ix->stats.queries);
	nw_metric(b, "newswire_indexer_queries_failed_total", "counter",
		  "Queries answered with an error (bad syntax, bad parameters, internal).", (double)ix->stats.failed);
	nw_metric(b, "newswire_indexer_queries_refused_total", "counter",
		  "Queries refused because too many were waiting.", (double)ix->stats.refused);
	nw_metric(b, "newswire_indexer_query_queue", "gauge", "Queries waiting.", (double)ix->queued);
	nw_metric(b, "newswire_http_unauthorized_total", "counter",
		  "HTTP searches refused for a missing or wrong bearer token.", (double)ix->stats.unauthorized);
	nw_zap_metrics(ix->zap, b);
	nw_zmon_metrics(b, &ix->mon, 1);
}

static const struct nw_http_server *own_http(void *impl)
{
	return ((struct indexer *)impl)->http;
}

static const struct nw_service_ops ops = {
	.name = "indexer",
	.commit = commit,
	.start = start,
	.stop = stop,
	.metrics = metrics,
	.own_http = own_http,
	.reload = reload,
};

int main(int argc, char **argv)
{
	nw_config *cfg = NULL;
	int rc = nw_daemon_init(argc, argv, "indexer",
				"Indexes every article of ingestd's feed for diacritic-insensitive\n"
				"full-text search (SQLite FTS5) and answers queries over ZeroMQ\n"
				"([indexer] query) and HTTP ([indexer] http: GET /v1/search?q=).\n", &cfg);
	if (rc >= 0)
		return rc;
	struct indexer ix = { .loop = uv_default_loop() };
	char msg[512];
	const char *path = nw_config_str(cfg, "indexer", "db");
	if (nw_index_open(path, false, &ix.writer, msg, sizeof(msg)) != NW_OK ||
	    nw_index_open(path, true, &ix.reader, msg, sizeof(msg)) != NW_OK) {
		nw_error("cannot open the index", "error", msg);
		nw_index_close(&ix.writer);
		nw_config_destroy(&cfg);
		return NW_EXIT_FAIL;
	}
	/* the query endpoints live on the service's loop (the default loop) */
	rc = NW_EXIT_FAIL;
	const char *endpoint = nw_config_str(cfg, "indexer", "query");
	const char *http = nw_config_str(cfg, "indexer", "http");
	ix.zctx = zmq_ctx_new();
	struct nw_curve_server curve;
	if (nw_curve_server_load(cfg, &curve, msg, sizeof(msg)) != NW_OK ||
	    (curve.on && !(ix.zap = nw_zap_start(ix.loop, ix.zctx, curve.authorized, msg,
						 sizeof(msg))))) {
		nw_error("cannot start CURVE", "error", msg);
		goto out;
	}
	if (*http && nw_http_auth_load(cfg, &ix.auth, msg, sizeof(msg)) != NW_OK) {
		nw_error("bad [security] for HTTP", "error", msg);
		rc = NW_EXIT_USAGE;
		goto out;
	}
	void *s = zmq_socket(ix.zctx, ZMQ_ROUTER);
	int linger = 0, one = 1;
	int64_t maxmsg = MAX_REQUEST + 1024;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	if (nw_server_bind(&curve, s, endpoint, msg, sizeof(msg)) != NW_OK) {
		nw_error("cannot bind the query endpoint", "error", msg);
		zmq_close(s);
		goto out;
	}
	if (!(ix.query = nw_zsock_new(ix.loop, s, on_query, NULL, &ix))) {
		zmq_close(s);
		goto out;
	}
	ix.mon = nw_zmon_start(ix.loop, ix.zctx, s, "query");
	if (*http && !(ix.http = nw_http_listen(ix.loop, http, 0, on_http, &ix, msg, sizeof(msg)))) {
		nw_error("cannot serve HTTP", "http", http, "error", msg);
		nw_zmon_close(&ix.mon, nw_zsock_socket(ix.query));
		nw_zsock_close(ix.query);
		uv_run(ix.loop, UV_RUN_NOWAIT);
		goto out;
	}
	uint64_t checkpoint = nw_index_checkpoint(ix.writer);
	nw_info("index open", "db", path, "checkpoint", NW_U64(checkpoint),
		"articles", NW_U64(nw_index_count(ix.writer)), "query", endpoint,
		"http", *http ? http : "off");
	rc = nw_service_run(&ops, &ix, cfg, checkpoint);
out:
	if (ix.zap) {   /* a start that failed: let the handler's handles go */
		nw_zap_close(&ix.zap);
		uv_run(ix.loop, UV_RUN_NOWAIT);
	}
	nw_index_close(&ix.reader);
	nw_index_close(&ix.writer);
	nw_http_auth_free(&ix.auth);
	if (ix.zctx)
		zmq_ctx_term(ix.zctx);
	nw_config_destroy(&cfg);
	return rc;
}
