/* A subscriber service: what the archiver, indexer and notifier share.
 *
 * The service follows ingestd's feed through libnewswire's libuv
 * subscriber on its one loop. Articles (still msgpack, not decoded) are
 * gathered into a batch on the loop; the batch goes to the thread pool,
 * where the service's commit() applies it and stores the checkpoint in
 * one transaction. While a commit runs, the next batch fills; when it is
 * full, the subscriber pauses (ingestd's high-water mark then applies and
 * replay repairs the gap). So the loop never waits for SQLite, and a
 * crash at any moment loses nothing and repeats nothing: the stored
 * checkpoint is exactly the last article stored.
 *
 * It also runs the metrics endpoint (/metrics, /healthz and the service's
 * own routes), the signals (SIGTERM/SIGINT drain within 5 s, SIGHUP calls
 * reload()), and exits 1 when a commit fails (a supervisor restarts it;
 * the checkpoint makes that safe). */
#ifndef NW_SERVICE_H
#define NW_SERVICE_H

#include <stdint.h>
#include <uv.h>
#include <newswire/article.h>

#include "common/config.h"
#include "common/http.h"
#include "common/util.h"

/* Articles delivered since the last commit, in seq order. */
struct nw_service_batch {
	struct nw_service_item {
		uint64_t seq;
		size_t off, len;   /* the article's msgpack map in data */
	} *items;
	size_t n, cap;
	nw_buf data;
	uint64_t last_seq;     /* the checkpoint this batch commits */
};

/* Decodes item i of b (caller destroys *out; its seq is set). */
enum nw_err nw_service_batch_article(const struct nw_service_batch *b, size_t i,
				     nw_article **out);

typedef struct nw_service nw_service;

struct nw_service_ops {
	const char *name;   /* config section, svc= in logs, metric prefix */
	/* Thread pool: apply the batch (may be empty) and store last_seq as
	 * the checkpoint, in one transaction. An article that cannot be
	 * decoded is the service's to count and skip. */
	enum nw_err (*commit)(void *impl, const struct nw_service_batch *b, char *msg,
			      size_t msglen);
	/* Loop thread, optional: after the loop is set up, before articles
	 * flow (sockets, timers of the service's own). */
	enum nw_err (*start)(void *impl, nw_service *svc, char *msg, size_t msglen);
	/* Loop thread, optional: the drain began; close the service's own
	 * handles (the loop then runs dry once commits are done). */
	void (*stop)(void *impl);
	/* Loop thread, optional: a commit finished (what it stored is now
	 * visible to other connections). */
	void (*committed)(void *impl);
	/* Loop thread, optional: SIGHUP. */
	void (*reload)(void *impl);
	/* Loop thread, optional: more Prometheus lines. */
	void (*metrics)(void *impl, nw_buf *out);
	/* Loop thread, optional: an HTTP request other than /metrics and
	 * /healthz on the metrics endpoint (404 when NULL). */
	void (*http)(void *impl, const struct nw_http_request *req, struct nw_http_response *res);
	/* Optional: an HTTP server of the service's own (the indexer's
	 * search), whose connection counters join the metrics as server="search". */
	const struct nw_http_server *(*own_http)(void *impl);
};

/* Runs the service until it is stopped: subscribes from checkpoint + 1
 * (checkpoint 0: from the first retained article). Returns the process
 * exit code. */
int nw_service_run(const struct nw_service_ops *ops, void *impl, const nw_config *cfg,
		   uint64_t checkpoint);

uv_loop_t *nw_service_loop(nw_service *svc);
/* Asks the service to stop as on SIGTERM; failed makes the exit code 1. */
void nw_service_shutdown(nw_service *svc, bool failed);

#endif
