/* HTTP/1.1 server: one uv_tcp_t per connection, llhttp parses, the
 * handler answers in the same loop turn. Limits: header bytes, body bytes,
 * connection count, idle time; a request over a limit is answered with
 * 431/413/503 and the connection closed. */
#include "common/http.h"

#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nw_http_server {
	uv_tcp_t listener;
	uv_loop_t *loop;
	nw_http_handler handler;
	void *arg;
	size_t max_body;
	int port;
	int connections;
	bool closing;
	struct conn *conns;
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t idle;
	llhttp_t parser;
	llhttp_settings_t settings;
	nw_http_server *server;
	struct conn *next, **prev;
	nw_buf url, body;
	size_t header_bytes;
	int reject;            /* status to answer instead of the handler's */
	bool closing;
	int handles;
};

struct write_req {
	uv_write_t req;
	nw_buf data;
	bool close_after;
};

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->handles > 0)
		return;
	nw_buf_release(&c->url);
	nw_buf_release(&c->body);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	*c->prev = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->server->connections--;
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void on_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
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
	if (status < 0 || w->close_after)
		conn_close(c);
	nw_buf_release(&w->data);
	free(w);
}

static void respond(struct conn *c, struct nw_http_response *res, bool keep_alive)
{
	struct write_req *w = calloc(1, sizeof(*w));
	if (!w) {
		conn_close(c);
		return;
	}
	w->close_after = !keep_alive;
	nw_buf_printf(&w->data, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: %s\r\n\r\n", res->status, reason_phrase(res->status),
		      res->content_type ? res->content_type : "text/plain; charset=utf-8",
		      res->body.len, keep_alive ? "keep-alive" : "close");
	nw_buf_append(&w->data, res->body.data ? res->body.data : "", res->body.len);
	uv_buf_t buf = uv_buf_init(w->data.data, (unsigned)w->data.len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
		nw_buf_release(&w->data);
		free(w);
		conn_close(c);
	}
}

static void respond_error(struct conn *c, int status, const char *text)
{
	struct nw_http_response res = { .status = status };
	nw_buf_printf(&res.body, "%s\n", text);
	respond(c, &res, false);
	nw_buf_release(&res.body);
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;
	c->header_bytes += len;
	if (c->header_bytes > NW_HTTP_MAX_HEADER_BYTES) {
		c->reject = 431;
		return -1;
	}
	return nw_buf_append(&c->url, at, len) == NW_OK ? 0 : -1;
}

static int on_header_data(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;
	(void)at;
	c->header_bytes += len;
	if (c->header_bytes > NW_HTTP_MAX_HEADER_BYTES) {
		c->reject = 431;
		return -1;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;
	if (c->body.len + len > c->server->max_body) {
		c->reject = 413;
		return -1;
	}
	return nw_buf_append(&c->body, at, len) == NW_OK ? 0 : -1;
}

static int on_message_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	nw_buf_putc(&c->url, '\0');   /* url may be empty before this */
	char *path = c->url.data ? c->url.data : (char *)"/";
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	struct nw_http_request req = {
		.method = llhttp_method_name((llhttp_method_t)llhttp_get_method(p)),
		.path = path, .query = q ? q : "",
		.body = c->body.data ? c->body.data : "", .body_len = c->body.len,
	};
	struct nw_http_response res = { .status = 200 };
	c->server->handler(c->server->arg, &req, &res);
	respond(c, &res, llhttp_should_keep_alive(p));
	nw_buf_release(&res.body);
	c->url.len = c->body.len = 0;
	c->header_bytes = 0;
	return 0;
}

static void alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(suggested);
	buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = stream->data;
	if (n > 0 && !c->closing) {
		uv_timer_again(&c->idle);
		llhttp_errno_t err = llhttp_execute(&c->parser, buf->base, (size_t)n);
		if (err != HPE_OK) {
			uv_read_stop(stream);
			if (c->reject)
				respond_error(c, c->reject, c->reject == 413 ? "request body too large"
								     : "request headers too large");
			else
				respond_error(c, 400, llhttp_get_error_reason(&c->parser));
		}
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
	c->next = s->conns;
	if (c->next)
		c->next->prev = &c->next;
	c->prev = &s->conns;
	s->conns = c;
	s->connections++;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (s->connections > NW_HTTP_MAX_CONNECTIONS) {
		respond_error(c, 503, "too many connections");
		return;
	}
	llhttp_settings_init(&c->settings);
	c->settings.on_url = on_url;
	c->settings.on_header_field = on_header_data;
	c->settings.on_header_value = on_header_data;
	c->settings.on_body = on_body;
	c->settings.on_message_complete = on_message_complete;
	llhttp_init(&c->parser, HTTP_REQUEST, &c->settings);
	c->parser.data = c;
	uv_timer_start(&c->idle, on_idle, NW_HTTP_IDLE_MS, NW_HTTP_IDLE_MS);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_buf, on_read);
}

static void server_closed(uv_handle_t *h)
{
	free(h->data);
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
	while (s->conns)
		conn_close(s->conns);
	uv_close((uv_handle_t *)&s->listener, server_closed);
}
