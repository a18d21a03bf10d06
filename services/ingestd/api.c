/* The HTTP API. A POST is answered once every article it holds has its
 * reply from the engine (after the durable ack). A stream client is a
 * cursor into the journal: it is sent records next..published while its
 * socket takes them and waits (still a cursor) when it does not, so the
 * live tail and a catch-up from an old seq are the same code and a slow
 * client never makes the daemon buffer without bound. */
#include "services/ingestd/api.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/codec.h"
#include "common/feed.h"
#include "common/http.h"
#include "common/log.h"

#define STREAM_HIGH_WATER ((size_t)256 * 1024)   /* bytes queued before a stream waits */
#define STREAM_KEEPALIVE_MS 15000
#define STREAM_RETRY_MS 2000
#define LIST_DEFAULT 50
#define LIST_MAX 200
#define CACHE_SLOTS 64                   /* JSON of the newest records, by seq */

struct stream_client {
	struct api *api;
	struct nw_http_stream *s;
	struct stream_client *next, **prev;
	uint64_t next_seq;
	bool greeted;      /* the retry hint went out */
};

struct cached {
	uint64_t seq;
	char *json;
};

struct api_stats {
	uint64_t posts, articles, duplicates, rejected, unauthorized, reads, streams_opened,
		events;
};

struct api {
	ingestd *d;
	nw_http_server *http;
	struct nw_http_auth auth;
	struct stream_client *clients;
	size_t nclients;
	uv_timer_t keepalive;
	struct cached cache[CACHE_SLOTS];
	nw_buf record;
	struct api_stats stats;
	int refs;                     /* 1 + POSTs waiting for replies + the timer */
};

static void api_unref(struct api *a)
{
	if (--a->refs > 0)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(a->cache[i].json);
	nw_buf_release(&a->record);
	nw_http_auth_free(&a->auth);
	free(a);
}

/* ---- small helpers ---- */

static void json_body(struct nw_http_response *res, int status, json_t *v)
{
	res->status = status;
	res->content_type = "application/json";
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	nw_buf_puts(&res->body, s ? s : "{\"error\":\"out of memory\"}");
	nw_buf_putc(&res->body, '\n');
	free(s);
	json_decref(v);
}

static void error_body(struct nw_http_response *res, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void error_body(struct nw_http_response *res, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_body(res, status, json_pack("{s:s}", "error", msg));
}

/* A decimal seq from s (all of it); false otherwise. */
static bool parse_seq(const char *s, uint64_t *out)
{
	if (!*s || strlen(s) > 19)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* A numeric query parameter: NW_OK, NW_ENOTFOUND, or NW_ESYNTAX. */
static enum nw_err query_seq(const struct nw_http_request *req, const char *name, uint64_t *out)
{
	nw_buf v = NW_BUF_INIT;
	enum nw_err err = nw_http_query_param(req->query, name, &v);
	if (!err && !parse_seq(v.data ? v.data : "", out))
		err = NW_ESYNTAX;
	nw_buf_release(&v);
	return err;
}

/* Why a journal record could not be served. */
static const char *read_error(enum nw_err err)
{
	switch (err) {
	case NW_ENOTFOUND: return "not in the journal (deleted by retention)";
	case NW_ESYNTAX: return "damaged in the journal (see newswire journal check)";
	default: return nw_strerror(err);
	}
}

static const char *record_json(struct api *a, uint64_t seq, enum nw_err *err)
{
	struct cached *c = &a->cache[seq % CACHE_SLOTS];
	if (c->json && c->seq == seq)
		return c->json;
	nw_article *art = NULL;
	if ((*err = ingestd_read(a->d, seq, &a->record)) ||
	    (*err = nw_article_decode(a->record.data, a->record.len, NULL, &art)))
		return NULL;
	char *json = nw_article_json(art, false);
	nw_article_destroy(&art);
	if (!json) {
		*err = NW_ENOMEM;
		return NULL;
	}
	free(c->json);
	c->json = json;
	c->seq = seq;
	return json;
}

/* ---- POST /v1/articles ---- */

struct post {
	struct ingest_collector collector;   /* first: the engine replies here */
	struct api *api;
	struct nw_http_response *res;        /* while the handler runs */
	struct nw_http_deferred *deferred;   /* after it returned */
	json_t *results;
	uint32_t count, replies, accepted;
	int status;                          /* of the first rejection */
	char error[256];
	bool done;
};

static int status_for(const char *code)
{
	return !strcmp(code, "too_big") ? 413 : !strcmp(code, "busy") ? 429
	       : !strcmp(code, "unavailable") ? 503 : !strcmp(code, "internal") ? 500 : 400;
}

static void post_finish(struct post *p)
{
	struct nw_http_response local = { 0 };
	struct nw_http_response *res = p->res ? p->res : &local;
	if (p->count == 1) {
		json_t *only = json_incref(json_array_get(p->results, 0));
		json_body(res, p->accepted ? 202 : p->status, only);
	} else {
		json_body(res, p->accepted ? 202 : p->status,
			  json_pack("{s:I,s:I,s:O}", "accepted", (json_int_t)p->accepted,
				    "rejected", (json_int_t)(p->count - p->accepted),
				    "articles", p->results));
	}
	if (res->status == 429 || res->status == 503)
		res->extra_headers = "Retry-After: 1\r\n";
	if (!p->res)
		nw_http_finish(p->deferred, res);
	nw_buf_release(&local.body);
	p->done = true;
}

static void post_reply(struct ingest_collector *c, const struct nw_submit_reply *r)
{
	struct post *p = (struct post *)c;
	struct api_stats *st = &p->api->stats;
	if (!p->results) {
		p->count = r->count ? r->count : 1;
		p->results = json_array();
		for (uint32_t i = 0; p->results && i < p->count; i++)
			json_array_append_new(p->results, json_null());
	}
	json_t *one = r->ok ? json_pack("{s:I,s:s,s:b}", "seq", (json_int_t)r->seq, "id", r->id,
					"dup", r->dup)
			    : json_pack("{s:s,s:s}", "error", r->error, "code", r->code);
	json_array_set_new(p->results, r->index < p->count ? r->index : 0, one);
	if (r->ok) {
		p->accepted++;
		if (r->dup)
			st->duplicates++;
		else
			st->articles++;
	} else {
		st->rejected++;
		if (!p->status) {
			p->status = status_for(r->code);
			snprintf(p->error, sizeof p->error, "%s", r->error);
		}
	}
	if (++p->replies < p->count)
		return;
	post_finish(p);
	if (!p->res) {   /* answered later: nobody else holds p */
		json_decref(p->results);
		api_unref(p->api);
		free(p);
	}
}

/* The input format and charset a Content-Type names; false for one that
 * is not taken. */
static bool content_format(const char *ctype, enum nw_format *format, char charset[32])
{
	charset[0] = '\0';
	*format = NW_FORMAT_AUTO;
	if (!ctype)
		return true;
	char media[128];
	size_t n = strcspn(ctype, ";");
	while (n && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
		n--;
	if (n >= sizeof media)
		return false;
	memcpy(media, ctype, n);
	media[n] = '\0';
	nw_http_charset(ctype, charset, 32);
	static const struct {
		const char *media;
		enum nw_format format;
	} types[] = {
		{ "text/plain", NW_FORMAT_HTTP }, { "application/json", NW_FORMAT_JSON },
		{ "text/json", NW_FORMAT_JSON }, { "application/ninjs+json", NW_FORMAT_JSON },
		{ "application/rss+xml", NW_FORMAT_RSS }, { "application/atom+xml", NW_FORMAT_ATOM },
		{ "application/rdf+xml", NW_FORMAT_RDF }, { "application/xml", NW_FORMAT_RSS },
		{ "text/xml", NW_FORMAT_RSS }, { "application/octet-stream", NW_FORMAT_AUTO },
	};
	for (size_t i = 0; i < NW_ARRAY_LEN(types); i++)
		if (!strcasecmp(media, types[i].media)) {
			*format = types[i].format;
			return true;
		}
	return false;
}

static void post_articles(struct api *a, const struct nw_http_request *req,
			  struct nw_http_response *res)
{
	a->stats.posts++;   /* authorized in on_request */
	enum nw_format format;
	char charset[32];
	if (!content_format(nw_http_header(req, "Content-Type"), &format, charset)) {
		error_body(res, 415, "Content-Type %s is not taken: send text/plain, "
			   "application/json, or RSS/Atom/RDF XML",
			   nw_http_header(req, "Content-Type"));
		return;
	}
	nw_buf source = NW_BUF_INIT;
	enum nw_err qerr = nw_http_query_param(req->query, "source", &source);
	if (qerr == NW_ESYNTAX) {
		error_body(res, 400, "bad %%-escape in the query");
		nw_buf_release(&source);
		return;
	}
	struct post *p = calloc(1, sizeof *p);
	if (!p) {
		error_body(res, 500, "out of memory");
		nw_buf_release(&source);
		return;
	}
	p->collector.reply = post_reply;
	p->api = a;
	p->res = res;
	a->refs++;
	struct nw_parse_opts o = {
		.format = format,
		.source = qerr == NW_OK && source.len ? source.data : "http",
		.charset = charset[0] ? charset : NULL,
	};
	ingestd_ingest(a->d, &p->collector, &o, req->body ? req->body : "", req->body_len);
	nw_buf_release(&source);
	p->res = NULL;
	if (p->done) {   /* every reply came at once (rejections, duplicates) */
		json_decref(p->results);
		api_unref(a);
		free(p);
		return;
	}
	p->deferred = nw_http_defer(res);
	if (!p->deferred)
		nw_error("out of memory deferring an HTTP answer");
}

/* ---- GET /v1/articles ---- */

static void get_article(struct api *a, const char *key, struct nw_http_response *res)
{
	uint64_t seq = 0, published = ingestd_published(a->d);
	size_t n = strlen(key);
	bool hex = n == NW_ID_LEN && strspn(key, "0123456789abcdef") == n;
	if (hex)
		seq = ingestd_find_id(a->d, key);
	else if (!parse_seq(key, &seq) || !seq) {
		error_body(res, 400, "\"%s\" is neither a seq nor a 32-hex article id", key);
		return;
	}
	if (!seq || seq > published) {
		error_body(res, 404, "no article %s (the journal holds seq %llu..%llu)", key,
			   (unsigned long long)ingestd_first_seq(a->d), (unsigned long long)published);
		return;
	}
	enum nw_err err = NW_OK;
	const char *json = record_json(a, seq, &err);
	if (!json) {
		error_body(res, err == NW_ENOTFOUND ? 404 : err == NW_ESYNTAX ? 410 : 500,
			   "seq %llu: %s", (unsigned long long)seq, read_error(err));
		return;
	}
	a->stats.reads++;
	res->content_type = "application/json";
	nw_buf_puts(&res->body, json);
	nw_buf_putc(&res->body, '\n');
}

static void list_articles(struct api *a, const struct nw_http_request *req,
			  struct nw_http_response *res)
{
	uint64_t first = ingestd_first_seq(a->d), last = ingestd_published(a->d);
	uint64_t from = first ? first : 1, limit = LIST_DEFAULT;
	enum nw_err e1 = query_seq(req, "from", &from), e2 = query_seq(req, "limit", &limit);
	if (e1 == NW_ESYNTAX || e2 == NW_ESYNTAX || limit == 0) {
		error_body(res, 400, "from and limit must be positive integers");
		return;
	}
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	if (first && from < first)
		from = first;
	nw_buf *b = &res->body;
	nw_buf_puts(b, "{\"articles\":[");
	uint64_t seq = from, sent = 0;
	for (; first && seq <= last && sent < limit; seq++) {
		enum nw_err err = NW_OK;
		const char *json = record_json(a, seq, &err);
		if (!json) {
			nw_warn("cannot read a record for GET /v1/articles", "seq", NW_U64(seq),
				"error", nw_strerror(err));
			continue;
		}
		if (sent++)
			nw_buf_putc(b, ',');
		nw_buf_puts(b, json);
	}
	a->stats.reads += sent;
	nw_buf_printf(b, "],\"next\":%llu,\"first\":%llu,\"last\":%llu}\n",
		      (unsigned long long)seq, (unsigned long long)first, (unsigned long long)last);
	res->content_type = "application/json";
}

/* ---- GET /v1/stream ---- */

/* False when the write failed: the connection is closing and c may be
 * gone already (on_stream_close), so the caller must not touch it. */
static bool stream_write(struct stream_client *c, const char *s, size_t n)
{
	return nw_http_stream_write(c->s, s, n) == NW_OK;
}

/* Sends records next_seq..published until the socket has enough queued. */
static void pump(struct stream_client *c)
{
	struct api *a = c->api;
	uint64_t published = ingestd_published(a->d);
	nw_buf ev = NW_BUF_INIT;
	if (!c->greeted) {
		char hello[32];
		int n = snprintf(hello, sizeof hello, "retry: %d\n\n", STREAM_RETRY_MS);
		c->greeted = true;
		if (!stream_write(c, hello, (size_t)n))
			return;
	}
	while (c->next_seq <= published && nw_http_stream_queued(c->s) < STREAM_HIGH_WATER) {
		uint64_t seq = c->next_seq, first = ingestd_first_seq(a->d);
		ev.len = 0;
		if (!first || seq < first) {   /* retention deleted these */
			uint64_t to = first ? first - 1 : published;
			nw_buf_printf(&ev, "event: gap\ndata: {\"from\":%llu,\"to\":%llu}\n\n",
				      (unsigned long long)seq, (unsigned long long)to);
			c->next_seq = to + 1;
		} else {
			enum nw_err err = NW_OK;
			const char *json = record_json(a, seq, &err);
			if (json)
				nw_buf_printf(&ev, "id: %llu\ndata: %s\n\n", (unsigned long long)seq, json);
			else   /* unreadable: said, not skipped in silence */
				nw_buf_printf(&ev, "event: gap\ndata: {\"from\":%llu,\"to\":%llu,"
					      "\"error\":\"%s\"}\n\n", (unsigned long long)seq,
					      (unsigned long long)seq, read_error(err));
			c->next_seq = seq + 1;
			a->stats.events++;
		}
		if (!ev.data || !stream_write(c, ev.data, ev.len))
			break;
	}
	nw_buf_release(&ev);
}

static void on_stream_drain(void *arg, struct nw_http_stream *s)
{
	(void)s;
	pump(arg);
}

static void on_stream_close(void *arg, struct nw_http_stream *s)
{
	(void)s;
	struct stream_client *c = arg;
	*c->prev = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->api->nclients--;
	free(c);
}

static void open_stream(struct api *a, const struct nw_http_request *req,
			struct nw_http_response *res)
{
	uint64_t next = ingestd_published(a->d) + 1, from;
	enum nw_err err = query_seq(req, "from", &from);
	if (err == NW_ESYNTAX) {
		error_body(res, 400, "from must be a positive integer");
		return;
	}
	if (err == NW_OK)
		next = from ? from : 1;
	const char *last_id = nw_http_header(req, "Last-Event-ID");
	uint64_t last;
	if (last_id && *last_id) {   /* a reconnecting EventSource: resume after it */
		if (!parse_seq(last_id, &last)) {
			error_body(res, 400, "Last-Event-ID must be a seq");
			return;
		}
		next = last + 1;
	}
	struct stream_client *c = calloc(1, sizeof *c);
	if (!c || !(c->s = nw_http_stream(res, "text/event-stream; charset=utf-8", on_stream_drain,
					  on_stream_close, c))) {
		free(c);
		error_body(res, 500, "out of memory");
		return;
	}
	c->api = a;
	c->next_seq = next;
	c->next = a->clients;
	if (c->next)
		c->next->prev = &c->next;
	c->prev = &a->clients;
	a->clients = c;
	a->nclients++;
	a->stats.streams_opened++;
	/* the first write happens once the headers are out (on_stream_drain) */
	res->extra_headers = "X-Accel-Buffering: no\r\n";
}

static void on_keepalive(uv_timer_t *t)
{
	struct api *a = t->data;
	for (struct stream_client *c = a->clients, *next; c; c = next) {
		next = c->next;
		if (nw_http_stream_queued(c->s) == 0)
			stream_write(c, ": keep-alive\n\n", 14);
	}
}

void api_published(struct api *a, uint64_t seq)
{
	(void)seq;
	if (!a)
		return;
	for (struct stream_client *c = a->clients, *next; c; c = next) {
		next = c->next;
		pump(c);
	}
}

/* ---- routing ---- */

static void on_request(void *arg, const struct nw_http_request *req, struct nw_http_response *res)
{
	struct api *a = arg;
	bool get = !strcmp(req->method, "GET");
	const char *p = req->path;
	bool ops = !strcmp(p, "/healthz") || !strcmp(p, "/metrics");
	if (!ops && !nw_http_authorized(&a->auth, req, get, res)) {
		a->stats.unauthorized++;
		return;
	}
	if (!strcmp(p, "/v1/articles")) {
		if (!strcmp(req->method, "POST"))
			post_articles(a, req, res);
		else if (get)
			list_articles(a, req, res);
		else {
			res->extra_headers = "Allow: GET, POST\r\n";
			error_body(res, 405, "use POST to submit, GET to list");
		}
	} else if (!strncmp(p, "/v1/articles/", 13) && p[13]) {
		if (get)
			get_article(a, p + 13, res);
		else {
			res->extra_headers = "Allow: GET\r\n";
			error_body(res, 405, "only GET is served here");
		}
	} else if (!strcmp(p, "/v1/stream")) {
		if (get)
			open_stream(a, req, res);
		else {
			res->extra_headers = "Allow: GET\r\n";
			error_body(res, 405, "only GET is served here");
		}
	} else if (!ingestd_serve_ops(a->d, req, res)) {
		error_body(res, 404, "no route %s %s: see docs/http-api.md", req->method, p);
	}
}

/* ---- start, metrics, close ---- */

struct api *api_start(ingestd *d, uv_loop_t *loop, const nw_config *cfg, char *msg,
		      size_t msglen)
{
	struct api *a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	a->d = d;
	a->refs = 1;
	if (nw_http_auth_load(cfg, &a->auth, msg, msglen) != NW_OK) {
		api_unref(a);
		return NULL;
	}
	size_t max_body = (size_t)nw_config_num(cfg, "ingestd", "max_article_bytes") *
			  NW_FEED_SIZE_FACTOR;
	const char *at = nw_config_str(cfg, "ingestd", "http");
	if (!(a->http = nw_http_listen(loop, at, max_body, on_request, a, msg, msglen))) {
		api_unref(a);
		return NULL;
	}
	uv_timer_init(loop, &a->keepalive);
	a->keepalive.data = a;
	a->refs++;
	uv_timer_start(&a->keepalive, on_keepalive, STREAM_KEEPALIVE_MS, STREAM_KEEPALIVE_MS);
	nw_info("HTTP API listening", "address", at, "port", NW_U64((uint64_t)nw_http_port(a->http)),
		"auth", !a->auth.token ? "none" : a->auth.open_reads ? "bearer for writes" : "bearer");
	return a;
}

const nw_http_server *api_http(const struct api *a)
{
	return a ? a->http : NULL;
}

void api_metrics(const struct api *a, nw_buf *b)
{
	if (!a)
		return;
	const struct api_stats *st = &a->stats;
	nw_metric(b, "newswire_http_posts_total", "counter", "POST /v1/articles requests.", (double)st->posts);
	nw_metric(b, "newswire_http_articles_total", "counter", "New articles taken over HTTP.", (double)st->articles);
	nw_metric(b, "newswire_http_duplicates_total", "counter", "Duplicate articles posted over HTTP.", (double)st->duplicates);
	nw_metric(b, "newswire_http_rejected_total", "counter", "Inputs or records rejected over HTTP.", (double)st->rejected);
	nw_metric(b, "newswire_http_unauthorized_total", "counter", "Requests refused for a missing or wrong bearer token.", (double)st->unauthorized);
	nw_metric(b, "newswire_http_reads_total", "counter", "Articles read by GET /v1/articles.", (double)st->reads);
	nw_metric(b, "newswire_http_streams", "gauge", "Open /v1/stream connections.", (double)a->nclients);
	nw_metric(b, "newswire_http_streams_opened_total", "counter", "/v1/stream connections opened.", (double)st->streams_opened);
	nw_metric(b, "newswire_http_stream_events_total", "counter", "Articles sent on /v1/stream.", (double)st->events);
}

static void keepalive_closed(uv_handle_t *h)
{
	api_unref(h->data);
}

void api_close(struct api **ap)
{
	struct api *a = *ap;
	if (!a)
		return;
	*ap = NULL;
	nw_http_close(a->http);   /* ends every stream: on_stream_close frees them */
	uv_timer_stop(&a->keepalive);
	uv_close((uv_handle_t *)&a->keepalive, keepalive_closed);
	api_unref(a);
}
