/* A small HTTP/1.1 server on the daemon's libuv loop, parsing with llhttp:
 * keep-alive, limits on header and body size, connections and idle time.
 * Handlers answer synchronously (metrics, health, small JSON routes). */
#ifndef NW_HTTP_H
#define NW_HTTP_H

#include <stddef.h>
#include <uv.h>
#include <newswire/error.h>

#include "common/util.h"

#define NW_HTTP_MAX_HEADER_BYTES 8192
#define NW_HTTP_MAX_CONNECTIONS 256
#define NW_HTTP_IDLE_MS 30000

struct nw_http_request {
	const char *method;   /* "GET", ... */
	const char *path;     /* without the query */
	const char *query;    /* after '?', or "" */
	const char *body;
	size_t body_len;
};

struct nw_http_response {
	int status;
	const char *content_type;   /* static string */
	nw_buf body;                /* filled by the handler */
};

typedef void (*nw_http_handler)(void *arg, const struct nw_http_request *req,
				struct nw_http_response *res);

typedef struct nw_http_server nw_http_server;

/* Listens on "host:port" (port 0 picks one; see nw_http_port). NULL with
 * msg on failure. max_body caps request bodies (413 beyond). */
nw_http_server *nw_http_listen(uv_loop_t *loop, const char *hostport, size_t max_body,
			       nw_http_handler handler, void *arg, char *msg, size_t msglen);
int nw_http_port(const nw_http_server *s);
/* Closes the listener and every connection; frees when libuv is done. */
void nw_http_close(nw_http_server *s);

#endif
