/* ingestd's feed poller ([ingestd] feeds): fetches the listed RSS/Atom/RDF
 * feeds with libcurl's multi interface on the daemon's loop, politely
 * (one request per host at a time, staggered starts, conditional GET,
 * Retry-After, Cache-Control/Expires and <ttl>, backoff on errors), and
 * ingests only entries it has not seen before. */
#ifndef NW_INGESTD_FEEDS_H
#define NW_INGESTD_FEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/config.h"
#include "common/util.h"
#include "services/ingestd/ingestd.h"

#define FEEDS_DEFAULT_INTERVAL_S 600

/* One line of the feeds file: "URL [INTERVAL]". */
struct feed_spec {
	char *url;
	int64_t interval_s;
	int line;
};

/* Reads a feeds file: one feed per line, an http(s) URL and an optional
 * interval (30s, 5m, 1h; default 10m); blank lines and # comments are
 * skipped. On error msg says "FILE:LINE: what". */
enum nw_err feeds_read_list(const char *path, struct feed_spec **out, size_t *n, char *msg,
			    size_t msglen);
void feeds_free_list(struct feed_spec *specs, size_t n);

struct feeds;

/* Starts polling the feeds of [ingestd] feeds; state (ETag,
 * Last-Modified, the keys of entries seen) lives in data_dir/feeds.state. */
struct feeds *feeds_start(ingestd *d, uv_loop_t *loop, const nw_config *cfg, char *msg,
			  size_t msglen);

/* Re-reads the feeds file (SIGHUP): feeds that stay keep their state and
 * schedule, new ones start staggered, removed ones stop. A bad file is
 * logged and the old list kept. */
void feeds_reload(struct feeds *fs);

/* Per-feed health as Prometheus samples. */
void feeds_metrics(const struct feeds *fs, nw_buf *b);

/* Aborts transfers, saves the state; fs is freed once libuv is done. */
void feeds_close(struct feeds **fs);

#endif
