/* A small HTTP/1.1 server on the daemon's libuv loop, parsing with llhttp:
 * keep-alive, limits on header and body size, connections and idle time.
 * Handlers answer at once, later (nw_http_defer) or a piece at a time
 * (nw_http_stream, for Server-Sent Events). */
#ifndef NW_HTTP_H
#define NW_HTTP_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include <newswire/error.h>

#include "common/util.h"

#define NW_HTTP_MAX_HEADER_BYTES 8192
#define NW_HTTP_MAX_CONNECTIONS 256
#define NW_HTTP_IDLE_MS 30000
#define NW_HTTP_HEADER_MS 10000   /* a request's line and headers, from its first byte */

#define NW_HTTP_MAX_HEADERS 64

struct nw_http_header {
	const char *name;     /* as sent; compare without case */
	const char *value;
};

struct nw_http_request {
	const char *method;   /* "GET", ... */
	const char *path;     /* without the query */
	const char *query;    /* after '?', or "" */
	const char *body;
	size_t body_len;
	const struct nw_http_header *headers;
	size_t nheaders;
};

/* The value of the first header called name (any case), or NULL. */
const char *nw_http_header(const struct nw_http_request *req, const char *name);

/* Access to HTTP routes from [security]: the bearer token of
 * http_token_file (NULL: none configured, every route is open), and
 * whether read-only routes are served without it (http_reads = open). */
struct nw_http_auth {
	char *token;
	bool open_reads;
};
struct nw_config;
struct nw_http_response;
enum nw_err nw_http_auth_load(const struct nw_config *cfg, struct nw_http_auth *auth, char *msg,
			      size_t msglen);
void nw_http_auth_free(struct nw_http_auth *auth);
/* Whether req may use a route: writes and administration need the token
 * ("Authorization: Bearer TOKEN", compared in constant time), reads too
 * unless open_reads. When it may not, res is a 401 saying why. */
bool nw_http_authorized(const struct nw_http_auth *auth, const struct nw_http_request *req,
			bool read_only, struct nw_http_response *res);

/* The charset parameter of a Content-Type value ("text/xml; charset=
 * 'koi8-r'" -> "koi8-r") into out; "" when there is none or it does not
 * fit in outlen. */
void nw_http_charset(const char *content_type, char *out, size_t outlen);

/* Looks up parameter name in a query string ("q=l%E1%BB%87+th%E1%BB%A7y&
 * limit=5"): NW_OK with out holding the decoded value ('+' is a space),
 * NW_ENOTFOUND when absent, NW_ESYNTAX for a bad %-escape. */
enum nw_err nw_http_query_param(const char *query, const char *name, nw_buf *out);

/* The request parser on its own, without a socket (the server uses one
 * per connection; the fuzz target drives it directly). */
typedef void (*nw_http_request_cb)(void *arg, const struct nw_http_request *req,
				   bool keep_alive);

struct nw_http_parser {
	llhttp_t llhttp;
	llhttp_settings_t settings;
	size_t max_body;
	nw_http_request_cb on_request;
	void *arg;
	nw_buf url, body;
	nw_buf fields;        /* "name\0value\0" per header */
	size_t header_bytes;
	size_t nheaders;
	int reject;           /* status for a limit that was hit */
	bool in_headers;      /* a request has begun and its headers have not ended */
	bool paused;          /* the callback asked to stop (closing, or answering later) */
	size_t consumed;      /* bytes of the last feed taken before a pause */
};

void nw_http_parser_init(struct nw_http_parser *hp, size_t max_body, nw_http_request_cb cb,
			 void *arg);
void nw_http_parser_release(struct nw_http_parser *hp);
void nw_http_parser_resume(struct nw_http_parser *hp);

/* Parses bytes, calling the callback for each complete request. Returns 0,
 * or the status to answer before closing the connection (400, 413, 431)
 * with *reason set to static text. When the callback set paused, parsing
 * stops after that request and consumed says how much was taken; clear
 * paused and call nw_http_parser_resume() before feeding the rest. */
int nw_http_parser_feed(struct nw_http_parser *hp, const char *data, size_t len,
			const char **reason);

struct nw_http_deferred;

struct nw_http_response {
	int status;
	const char *content_type;   /* static string */
	nw_buf body;                /* filled by the handler */
	struct nw_http_deferred *deferred;   /* set by nw_http_defer() */
	struct nw_http_stream *stream;       /* set by nw_http_stream() */
	const char *extra_headers;  /* static "Name: value\r\n" lines, or NULL */
};

typedef void (*nw_http_handler)(void *arg, const struct nw_http_request *req,
				struct nw_http_response *res);

typedef struct nw_http_server nw_http_server;

/* Listens on "host:port" (port 0 picks one; see nw_http_port). NULL with
 * msg on failure. max_body caps request bodies (413 beyond). */
nw_http_server *nw_http_listen(uv_loop_t *loop, const char *hostport, size_t max_body,
			       nw_http_handler handler, void *arg, char *msg, size_t msglen);
int nw_http_port(const nw_http_server *s);
/* Appends the servers' connection gauges and counters of limits hit (too
 * many connections, requests refused for a limit, slow requests timed
 * out), each labelled server="names[i]"; NULL servers are skipped. */
void nw_http_server_metrics(nw_buf *b, const nw_http_server *const *servers,
			    const char *const *names, size_t n);
/* Closes the listener and every connection (one with an answer being
 * written closes once it is sent; streams end at once); frees itself when
 * libuv is done. */
void nw_http_close(nw_http_server *s);

/* Called in a handler that answers later (work on the thread pool): the
 * connection reads nothing more until nw_http_finish() answers. */
struct nw_http_deferred *nw_http_defer(struct nw_http_response *res);
/* Sends res (status, content_type, body; the caller keeps and releases
 * body) for a deferred request and frees d. If the client went away
 * meanwhile, nothing is sent. */
void nw_http_finish(struct nw_http_deferred *d, struct nw_http_response *res);

/* A response sent a piece at a time (Server-Sent Events): a handler calls
 * nw_http_stream() instead of filling res. The status line and headers go
 * out at once, without a length: the body ends when the connection
 * closes, and nothing else is read from it. */
struct nw_http_stream;
typedef void (*nw_http_stream_cb)(void *arg, struct nw_http_stream *s);

/* on_drain (may be NULL) runs when everything queued has been sent;
 * on_close runs once when the connection closes for any reason (client
 * gone, nw_http_stream_end(), server closing), after which s is gone. */
struct nw_http_stream *nw_http_stream(struct nw_http_response *res, const char *content_type,
				      nw_http_stream_cb on_drain, nw_http_stream_cb on_close,
				      void *arg);
/* Queues bytes; NW_EIO when the connection is closing. */
enum nw_err nw_http_stream_write(struct nw_http_stream *s, const char *data, size_t len);
/* Bytes queued and not yet taken by the kernel. */
size_t nw_http_stream_queued(const struct nw_http_stream *s);
/* Closes the connection once what is queued has been sent. */
void nw_http_stream_end(struct nw_http_stream *s);

/* The # HELP and # TYPE lines of a metric whose samples (labelled) follow. */
void nw_metric_head(nw_buf *b, const char *name, const char *type, const char *help);
/* Appends one Prometheus metric with its HELP and TYPE lines. */
void nw_metric(nw_buf *b, const char *name, const char *type, const char *help, double v);

#endif
