/* HTTP/1.1 server: one uv_tcp_t per connection, llhttp parses, the
 * handler answers in the same loop turn, later, or as a stream. Limits:
 * header bytes, body bytes, connection count, idle time, and the time a
 * request's headers may take (slow clients holding connections open); a
 * request over a limit is answered with 431/413/503/408 and the
 * connection closed. */
#include "common/http.h"

#include "common/config.h"

#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct nw_http_server {
	uv_tcp_t listener;
	uv_loop_t *loop;
	nw_http_handler handler;
	void *arg;
	size_t max_body;
	int port;
	int connections;       /* in the list */
	uint64_t refused, rejected, timeouts;   /* 503; 400/413/431; 408 */
	int alive;             /* not yet freed (closing ones included) */
	bool closing, listener_closed;
	struct conn *conns;
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t idle;       /* idle time, or the headers' deadline */
	uint64_t header_deadline;   /* loop time; 0 when no request is half-read */
	struct nw_http_parser parser;
	nw_http_server *server;
	struct conn *next, **prev;
	struct nw_http_deferred *deferred;   /* a request being answered later */
	struct nw_http_stream *stream;       /* the response being streamed */
	nw_buf leftover;       /* bytes read after that request */
	bool keep_alive;       /* of the deferred request */
	bool closing;
	bool lingering;        /* the server is closing: close once written */
	int writes;            /* in flight */
	int handles;
};

struct nw_http_deferred {
	struct conn *conn;     /* NULL once the connection closed */
};

struct nw_http_stream {
	struct conn *conn;
	nw_http_stream_cb on_drain, on_close;
	void *arg;
	size_t queued;
	bool ending;
};

struct write_req {
	uv_write_t req;
	nw_buf data;
	bool close_after;
	bool streamed;         /* counted in the stream's queued bytes */
};

static void server_free_if_done(nw_http_server *s)
{
	if (s->listener_closed && s->alive == 0)
		free(s);
}

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->handles > 0)
		return;
	nw_http_server *s = c->server;
	nw_http_parser_release(&c->parser);
	nw_buf_release(&c->leftover);
	free(c);
	s->alive--;
	server_free_if_done(s);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->deferred) {
		c->deferred->conn = NULL;   /* its answer has nowhere to go */
		c->deferred = NULL;
	}
	struct nw_http_stream *st = c->stream;
	if (st) {
		c->stream = NULL;
		st->conn = NULL;
		st->on_close(st->arg, st);
		free(st);
	}
	*c->prev = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->server->connections--;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void respond_error(struct conn *c, int status, const char *text);

static void on_idle(uv_timer_t *t)
{
	struct conn *c = t->data;
	if (c->parser.in_headers && !c->closing) {
		c->server->timeouts++;
		respond_error(c, 408, "request headers not received in time");
		return;
	}
	conn_close(c);
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Status";
	}
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = req->handle->data;
	struct nw_http_stream *st = w->streamed ? c->stream : NULL;
	c->writes--;
	if (st)
		st->queued -= w->data.len;
	bool drained = st && !st->queued;
	if (status < 0 || w->close_after || (c->lingering && !c->writes) || (drained && st->ending))
		conn_close(c);
	else if (drained && st->on_drain)
		st->on_drain(st->arg, st);
	nw_buf_release(&w->data);
	free(w);
}

/* Writes data (taken over by the write) to the connection. */
static int conn_write(struct conn *c, nw_buf *data, bool close_after, bool streamed)
{
	struct write_req *w = calloc(1, sizeof(*w));
	if (!w) {
		nw_buf_release(data);
		conn_close(c);
		return -1;
	}
	w->data = *data;
	*data = (nw_buf)NW_BUF_INIT;
	w->close_after = close_after;
	w->streamed = streamed;
	c->writes++;
	uv_buf_t buf = uv_buf_init(w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
		c->writes--;
		nw_buf_release(&w->data);
		free(w);
		conn_close(c);
		return -1;
	}
	return 0;
}

static void respond(struct conn *c, struct nw_http_response *res, bool keep_alive)
{
	nw_buf out = NW_BUF_INIT;
	nw_buf_printf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "%sConnection: %s\r\n\r\n", res->status, reason_phrase(res->status),
		      res->content_type ? res->content_type : "text/plain; charset=utf-8",
		      res->body.len, res->extra_headers ? res->extra_headers : "",
		      keep_alive ? "keep-alive" : "close");
	if (nw_buf_append(&out, res->body.data ? res->body.data : "", res->body.len) != NW_OK) {
		nw_buf_release(&out);
		conn_close(c);
		return;
	}
	conn_write(c, &out, !keep_alive, false);
}

struct nw_http_stream *nw_http_stream(struct nw_http_response *res, const char *content_type,
				      nw_http_stream_cb on_drain, nw_http_stream_cb on_close,
				      void *arg)
{
	struct nw_http_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->on_drain = on_drain;
	st->on_close = on_close;
	st->arg = arg;
	res->stream = st;
	res->content_type = content_type;
	return st;
}

enum nw_err nw_http_stream_write(struct nw_http_stream *s, const char *data, size_t len)
{
	struct conn *c = s->conn;
	if (!c || c->closing || s->ending)
		return NW_EIO;
	nw_buf b = NW_BUF_INIT;
	if (nw_buf_append(&b, data, len) != NW_OK)
		return NW_ENOMEM;
	s->queued += len;
	return conn_write(c, &b, false, true) == 0 ? NW_OK : NW_EIO;
}

size_t nw_http_stream_queued(const struct nw_http_stream *s)
{
	return s->queued;
}

void nw_http_stream_end(struct nw_http_stream *s)
{
	s->ending = true;
	if (s->conn && !s->queued)
		conn_close(s->conn);
}

/* Sends a stream's status line and headers; from then on the connection
 * carries only the stream. */
static void stream_begin(struct conn *c, struct nw_http_response *res)
{
	struct nw_http_stream *st = res->stream;
	res->stream = NULL;
	st->conn = c;
	c->stream = st;
	c->parser.paused = true;
	uv_timer_stop(&c->idle);   /* the application keeps it alive */
	nw_buf out = NW_BUF_INIT;
	nw_buf_printf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n"
		      "%sConnection: close\r\n\r\n", res->status, reason_phrase(res->status),
		      res->content_type ? res->content_type : "text/plain; charset=utf-8",
		      res->extra_headers ? res->extra_headers : "");
	st->queued += out.len;
	conn_write(c, &out, false, true);
}

static void respond_error(struct conn *c, int status, const char *text)
{
	struct nw_http_response res = { .status = status };
	nw_buf_printf(&res.body, "%s\n", text);
	respond(c, &res, false);
	nw_buf_release(&res.body);
}

/* ---- the parser ---- */

static int count_header_bytes(struct nw_http_parser *hp, size_t len)
{
	hp->header_bytes += len;
	if (hp->header_bytes > NW_HTTP_MAX_HEADER_BYTES) {
		hp->reject = 431;
		return -1;
	}
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct nw_http_parser *hp = p->data;
	if (count_header_bytes(hp, len))
		return -1;
	return nw_buf_append(&hp->url, at, len) == NW_OK ? 0 : -1;
}

/* Headers collect in fields as "name\0value\0" pairs. */
static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct nw_http_parser *hp = p->data;
	if (count_header_bytes(hp, len))
		return -1;
	return nw_buf_append(&hp->fields, at, len) == NW_OK ? 0 : -1;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct nw_http_parser *hp = p->data;
	if (hp->nheaders == NW_HTTP_MAX_HEADERS) {
		hp->reject = 431;
		return -1;
	}
	return nw_buf_putc(&hp->fields, '\0') == NW_OK ? 0 : -1;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct nw_http_parser *hp = p->data;
	if (count_header_bytes(hp, len))
		return -1;
	return nw_buf_append(&hp->fields, at, len) == NW_OK ? 0 : -1;
}

static int on_header_value_complete(llhttp_t *p)
{
	struct nw_http_parser *hp = p->data;
	hp->nheaders++;
	return nw_buf_putc(&hp->fields, '\0') == NW_OK ? 0 : -1;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct nw_http_parser *hp = p->data;
	if (hp->body.len + len > hp->max_body) {
		hp->reject = 413;
		return -1;
	}
	return nw_buf_append(&hp->body, at, len) == NW_OK ? 0 : -1;
}

static int on_message_begin(llhttp_t *p)
{
	struct nw_http_parser *hp = p->data;
	hp->in_headers = true;
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct nw_http_parser *hp = p->data;
	hp->in_headers = false;
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct nw_http_parser *hp = p->data;
	hp->in_headers = false;
	struct nw_http_header headers[NW_HTTP_MAX_HEADERS];
	size_t n = 0;
	const char *at = hp->fields.data ? hp->fields.data : "";
	const char *end = at + hp->fields.len;
	while (n < hp->nheaders && at < end) {
		headers[n].name = at;
		at += strlen(at) + 1;
		if (at >= end)
			break;
		headers[n].value = at;
		at += strlen(at) + 1;
		n++;
	}
	if (nw_buf_putc(&hp->url, '\0') != NW_OK)   /* url may be empty before this */
		return -1;
	char *path = hp->url.data;
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	struct nw_http_request req = {
		.method = llhttp_method_name((llhttp_method_t)llhttp_get_method(p)),
		.path = path, .query = q ? q : "",
		.body = hp->body.data ? hp->body.data : "", .body_len = hp->body.len,
		.headers = headers, .nheaders = n,
	};
	hp->on_request(hp->arg, &req, llhttp_should_keep_alive(p));
	hp->url.len = hp->body.len = hp->fields.len = 0;
	hp->header_bytes = hp->nheaders = 0;
	return hp->paused ? HPE_PAUSED : 0;
}

void nw_http_parser_init(struct nw_http_parser *hp, size_t max_body, nw_http_request_cb cb,
			 void *arg)
{
	memset(hp, 0, sizeof(*hp));
	hp->max_body = max_body;
	hp->on_request = cb;
	hp->arg = arg;
	llhttp_settings_init(&hp->settings);
	hp->settings.on_message_begin = on_message_begin;
	hp->settings.on_headers_complete = on_headers_complete;
	hp->settings.on_url = on_url;
	hp->settings.on_header_field = on_header_field;
	hp->settings.on_header_value = on_header_value;
	hp->settings.on_header_field_complete = on_header_field_complete;
	hp->settings.on_header_value_complete = on_header_value_complete;
	hp->settings.on_body = on_body;
	hp->settings.on_message_complete = on_message_complete;
	llhttp_init(&hp->llhttp, HTTP_REQUEST, &hp->settings);
	hp->llhttp.data = hp;
}

void nw_http_parser_release(struct nw_http_parser *hp)
{
	nw_buf_release(&hp->url);
	nw_buf_release(&hp->body);
	nw_buf_release(&hp->fields);
}

void nw_http_parser_resume(struct nw_http_parser *hp)
{
	hp->paused = false;
	llhttp_resume(&hp->llhttp);
}

int nw_http_parser_feed(struct nw_http_parser *hp, const char *data, size_t len,
			const char **reason)
{
	llhttp_errno_t err = llhttp_execute(&hp->llhttp, data, len);
	hp->consumed = len;
	if (err == HPE_PAUSED) {
		const char *pos = llhttp_get_error_pos(&hp->llhttp);
		if (pos && pos >= data && pos <= data + len)
			hp->consumed = (size_t)(pos - data);
		return 0;
	}
	if (err == HPE_OK)
		return 0;
	switch (hp->reject) {
	case 413: *reason = "request body too large"; return 413;
	case 431: *reason = "request headers too large"; return 431;
	default:  *reason = llhttp_get_error_reason(&hp->llhttp); return 400;
	}
}

const char *nw_http_header(const struct nw_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

void nw_http_charset(const char *content_type, char *out, size_t outlen)
{
	out[0] = '\0';
	const char *cs = content_type ? strcasestr(content_type, "charset=") : NULL;
	if (!cs)
		return;
	cs += 8;
	if (*cs == '"' || *cs == '\'')
		cs++;
	size_t k = strcspn(cs, "\"'; \t");
	if (k < outlen) {
		memcpy(out, cs, k);
		out[k] = '\0';
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum nw_err nw_http_query_param(const char *query, const char *name, nw_buf *out)
{
	size_t nlen = strlen(name);
	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
			continue;
		out->len = 0;
		if (nw_buf_reserve(out, 1))
			return NW_ENOMEM;
		for (const char *v = p + nlen + 1; *v && *v != '&'; v++) {
			char c = *v;
			if (c == '+') {
				c = ' ';
			} else if (c == '%') {
				int hi = hex_value(v[1]), lo = hi < 0 ? -1 : hex_value(v[2]);
				if (lo < 0)
					return NW_ESYNTAX;
				c = (char)(hi * 16 + lo);
				v += 2;
			}
			if (nw_buf_putc(out, c))
				return NW_ENOMEM;
		}
		out->data[out->len] = '\0';
		return NW_OK;
	}
	return NW_ENOTFOUND;
}

/* ---- connections ---- */

static void conn_request(void *arg, const struct nw_http_request *req, bool keep_alive)
{
	struct conn *c = arg;
	struct nw_http_response res = { .status = 200 };
	c->server->handler(c->server->arg, req, &res);
	if (res.stream) {
		nw_buf_release(&res.body);
		stream_begin(c, &res);
		return;
	}
	if (res.deferred) {
		c->deferred = res.deferred;
		c->deferred->conn = c;
		c->keep_alive = keep_alive;
		c->parser.paused = true;   /* the next request waits for this answer */
		nw_buf_release(&res.body);
		return;
	}
	respond(c, &res, keep_alive);
	nw_buf_release(&res.body);
	if (c->closing || !keep_alive)
		c->parser.paused = true;   /* nothing after this request is read */
}

/* Parses bytes that arrived; a request answered later keeps the rest. */
static void conn_feed(struct conn *c, const char *data, size_t len)
{
	const char *reason = NULL;
	int status = nw_http_parser_feed(&c->parser, data, len, &reason);
	if (status) {
		c->server->rejected++;
		uv_read_stop((uv_stream_t *)&c->tcp);
		respond_error(c, status, reason);
	} else if (c->parser.paused && !c->stream) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		if (c->deferred && c->parser.consumed < len &&
		    nw_buf_append(&c->leftover, data + c->parser.consumed,
				  len - c->parser.consumed) != NW_OK)
			conn_close(c);
	}
}

static void alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf);

struct nw_http_deferred *nw_http_defer(struct nw_http_response *res)
{
	if (!res->deferred)
		res->deferred = calloc(1, sizeof(*res->deferred));
	return res->deferred;
}

void nw_http_finish(struct nw_http_deferred *d, struct nw_http_response *res)
{
	struct conn *c = d->conn;
	free(d);
	if (!c || c->closing)
		return;
	c->deferred = NULL;
	respond(c, res, c->keep_alive);
	if (c->closing || !c->keep_alive)
		return;
	nw_http_parser_resume(&c->parser);
	if (c->leftover.len) {
		nw_buf rest = c->leftover;   /* feeding may defer again and refill it */
		c->leftover = (nw_buf)NW_BUF_INIT;
		conn_feed(c, rest.data, rest.len);
		nw_buf_release(&rest);
	}
	if (!c->parser.paused && !c->closing)
		uv_read_start((uv_stream_t *)&c->tcp, alloc_buf, on_read);
}

static void alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(suggested);
	buf->len = buf->base ? suggested : 0;
}

/* After bytes arrived: a request whose headers are incomplete must finish
 * them by its deadline (set at its first byte), whatever trickles in;
 * otherwise the idle time starts again. */
static void arm_timer(struct conn *c)
{
	uint64_t now = uv_now(c->server->loop);
	if (c->stream)
		return;   /* kept alive by the application */
	if (!c->parser.in_headers) {
		c->header_deadline = 0;
		uv_timer_start(&c->idle, on_idle, NW_HTTP_IDLE_MS, 0);
		return;
	}
	if (!c->header_deadline)
		c->header_deadline = now + NW_HTTP_HEADER_MS;
	uv_timer_start(&c->idle, on_idle, c->header_deadline > now ? c->header_deadline - now : 1,
		       0);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = stream->data;
	if (n > 0 && c->stream) {
		/* a streamed response: what the client sends is not read */
	} else if (n > 0 && !c->closing) {
		conn_feed(c, buf->base, (size_t)n);
		if (!c->closing)
			arm_timer(c);
	} else if (n < 0) {
		conn_close(c);
	}
	free(buf->base);
}

static void on_connection(uv_stream_t *listener, int status)
{
	nw_http_server *s = listener->data;
	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->idle);
	c->tcp.data = c->idle.data = c;
	c->handles = 2;
	c->server = s;
	nw_http_parser_init(&c->parser, s->max_body, conn_request, c);
	c->next = s->conns;
	if (c->next)
		c->next->prev = &c->next;
	c->prev = &s->conns;
	s->conns = c;
	s->connections++;
	s->alive++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (s->connections > NW_HTTP_MAX_CONNECTIONS) {
		s->refused++;
		respond_error(c, 503, "too many connections");
		return;
	}
	uv_timer_start(&c->idle, on_idle, NW_HTTP_IDLE_MS, NW_HTTP_IDLE_MS);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_buf, on_read);
}

static void server_closed(uv_handle_t *h)
{
	nw_http_server *s = h->data;
	s->listener_closed = true;
	server_free_if_done(s);
}

nw_http_server *nw_http_listen(uv_loop_t *loop, const char *hostport, size_t max_body,
			       nw_http_handler handler, void *arg, char *msg, size_t msglen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || (size_t)(colon - hostport) >= sizeof(host)) {
		snprintf(msg, msglen, "\"%s\" is not host:port", hostport);
		return NULL;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	struct sockaddr_storage addr;
	int port = atoi(colon + 1);
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0) {
		snprintf(msg, msglen, "\"%s\" is not an IP address", host);
		return NULL;
	}
	nw_http_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->handler = handler;
	s->arg = arg;
	s->max_body = max_body;
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	int rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
	if (rc != 0) {
		snprintf(msg, msglen, "cannot listen on %s: %s", hostport, uv_strerror(rc));
		uv_close((uv_handle_t *)&s->listener, server_closed);
		return NULL;
	}
	struct sockaddr_storage bound;
	int len = sizeof(bound);
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
	s->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
					      : ntohs(((struct sockaddr_in *)&bound)->sin_port);
	return s;
}

int nw_http_port(const nw_http_server *s)
{
	return s->port;
}

void nw_http_close(nw_http_server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	/* answers already written still go out; then the connection closes */
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->writes && !c->stream) {
			c->lingering = true;
			uv_read_stop((uv_stream_t *)&c->tcp);
		} else {
			conn_close(c);
		}
	}
	uv_close((uv_handle_t *)&s->listener, server_closed);
}

void nw_metric_head(nw_buf *b, const char *name, const char *type, const char *help)
{
	nw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void nw_metric(nw_buf *b, const char *name, const char *type, const char *help, double v)
{
	nw_metric_head(b, name, type, help);
	nw_buf_printf(b, "%s %.17g\n", name, v);
}

/* ---- access ---- */

#define TOKEN_MAX 4096

enum nw_err nw_http_auth_load(const struct nw_config *cfg, struct nw_http_auth *auth, char *msg,
			      size_t msglen)
{
	*auth = (struct nw_http_auth){ .open_reads = !strcmp(nw_config_str(cfg, "security",
									     "http_reads"), "open") };
	const char *path = nw_config_str(cfg, "security", "http_token_file");
	if (!*path)
		return NW_OK;
	char *data = NULL;
	size_t len = 0;
	if (nw_read_file(path, TOKEN_MAX, &data, &len) != NW_OK) {
		snprintf(msg, msglen, "cannot read http_token_file %s", path);
		return NW_ECONFIG;
	}
	while (len && (unsigned char)data[len - 1] <= ' ')
		data[--len] = '\0';
	size_t skip = strspn(data, " \t\r\n");
	if (len - skip < 16) {
		snprintf(msg, msglen, "http_token_file %s holds a token shorter than 16 characters",
			 path);
		free(data);
		return NW_ECONFIG;
	}
	memmove(data, data + skip, len - skip + 1);
	auth->token = data;
	return NW_OK;
}

void nw_http_auth_free(struct nw_http_auth *auth)
{
	free(auth->token);
	auth->token = NULL;
}

/* Compares without leaking where the first difference is. */
static bool same_secret(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned char diff = n != m;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (m ? m : 1)]);
	return diff == 0;
}

bool nw_http_authorized(const struct nw_http_auth *auth, const struct nw_http_request *req,
			bool read_only, struct nw_http_response *res)
{
	if (!auth->token || (read_only && auth->open_reads))
		return true;
	const char *h = nw_http_header(req, "Authorization");
	if (h && !strncasecmp(h, "Bearer ", 7) && same_secret(h + 7, auth->token))
		return true;
	res->status = 401;
	res->content_type = "application/json; charset=utf-8";
	res->extra_headers = "WWW-Authenticate: Bearer\r\n";
	res->body.len = 0;
	nw_buf_printf(&res->body, "{\"ok\":false,\"code\":\"unauthorized\",\"error\":\"a bearer "
		      "token is required: Authorization: Bearer TOKEN (the token in [security] "
		      "http_token_file)%s\"}\n", read_only ? "; reads are opened by [security] "
		      "http_reads = open" : "");
	return false;
}

void nw_http_server_metrics(nw_buf *b, const nw_http_server *const *servers,
			    const char *const *names, size_t n)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "newswire_http_connections", "gauge", "Open HTTP connections." },
		{ "newswire_http_connections_refused_total", "counter",
		  "HTTP connections refused (503) over the connection limit." },
		{ "newswire_http_bad_requests_total", "counter",
		  "HTTP requests refused for a limit or bad syntax (400, 413, 431)." },
		{ "newswire_http_request_timeouts_total", "counter",
		  "HTTP requests whose headers did not arrive in time (408)." },
	};
	for (size_t k = 0; k < NW_ARRAY_LEN(m); k++) {
		nw_metric_head(b, m[k].name, m[k].type, m[k].help);
		for (size_t i = 0; i < n; i++) {
			const nw_http_server *s = servers[i];
			if (!s)
				continue;
			uint64_t v = k == 0 ? (uint64_t)s->connections : k == 1 ? s->refused
				   : k == 2 ? s->rejected : s->timeouts;
			nw_buf_printf(b, "%s{server=\"%s\"} %llu\n", m[k].name, names[i],
				      (unsigned long long)v);
		}
	}
}
