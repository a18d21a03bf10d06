/* Fuzz target: the HTTP request path every HTTP endpoint shares (llhttp
 * plus our limits, header collection and URL split). The first byte picks
 * a chunk size, so requests arrive in pieces the way sockets deliver them;
 * every request handed on must respect the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096

static void on_request(void *arg, const struct nw_http_request *req, bool keep_alive)
{
	size_t *requests = arg;
	(*requests)++;
	if (!req->method || !req->path || !req->query || !req->body || req->body_len > MAX_BODY ||
	    req->nheaders > NW_HTTP_MAX_HEADERS || strchr(req->path, '?'))
		abort();
	size_t header_bytes = strlen(req->path) + strlen(req->query);
	for (size_t i = 0; i < req->nheaders; i++)
		header_bytes += strlen(req->headers[i].name) + strlen(req->headers[i].value);
	if (header_bytes > NW_HTTP_MAX_HEADER_BYTES)
		abort();
	const char *v = nw_http_header(req, "content-length");
	(void)v;
	(void)nw_http_header(req, "authorization");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = data[0] ? data[0] : size;
	data++;
	size--;
	struct nw_http_parser hp;
	size_t requests = 0;
	nw_http_parser_init(&hp, MAX_BODY, on_request, &requests);
	for (size_t at = 0; at < size; at += chunk) {
		const char *reason = NULL;
		size_t n = size - at < chunk ? size - at : chunk;
		int status = nw_http_parser_feed(&hp, (const char *)data + at, n, &reason);
		if (status) {
			if ((status != 400 && status != 413 && status != 431) || !reason)
				abort();
			break;   /* the server answers and closes here */
		}
	}
	nw_http_parser_release(&hp);
	return 0;
}
