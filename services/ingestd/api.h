/* ingestd's HTTP API ([ingestd] http): POST /v1/articles, GET
 * /v1/articles/{seq|id}, GET /v1/articles?from=&limit=, GET /v1/stream
 * (Server-Sent Events), /metrics and /healthz. On the daemon's loop. */
#ifndef NW_INGESTD_API_H
#define NW_INGESTD_API_H

#include <stdint.h>
#include <uv.h>

#include "common/config.h"
#include "common/http.h"
#include "common/util.h"
#include "services/ingestd/ingestd.h"

struct api;

/* Listens on [ingestd] http; reads [security] http_token_file. NULL with
 * msg on failure. */
struct api *api_start(ingestd *d, uv_loop_t *loop, const nw_config *cfg, char *msg,
		      size_t msglen);

/* Records up to seq are published: streams send them. */
void api_published(struct api *a, uint64_t seq);

/* Appends the API's metrics. */
/* The API's HTTP server (NULL when a is), for its connection metrics. */
const nw_http_server *api_http(const struct api *a);
void api_metrics(const struct api *a, nw_buf *b);

/* Ends every stream and closes the listener; a is freed. */
void api_close(struct api **a);

#endif
