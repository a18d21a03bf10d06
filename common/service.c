/* The subscriber-service skeleton (see service.h). */
#include "common/service.h"

#include <newswire/uv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/curve.h"
#include "common/daemon.h"
#include "common/log.h"

#define DRAIN_DEADLINE_MS 4500
#define BATCH_MAX_ARTICLES 5000          /* pause delivery beyond this */
#define BATCH_MAX_BYTES (32u << 20)
#define RETRY_MIN_MS 1000                /* a failed commit is tried again after this, */
#define RETRY_MAX_MS 30000               /* doubling up to this */

struct nw_service {
	const struct nw_service_ops *ops;
	void *impl;
	const nw_config *cfg;
	uv_loop_t *loop;
	nw_uv_subscriber *sub;
	struct nw_service_batch batches[2];
	struct nw_service_batch *filling, *committing;   /* committing NULL = idle */
	uv_work_t work;
	enum nw_err commit_err;
	char commit_msg[512];
	double commit_started;
	uint64_t committed;        /* the checkpoint in the database */
	bool paused, draining, failed, closed;
	struct nw_signals signals;
	uv_timer_t deadline;
	uv_timer_t retry;          /* the next try of a batch that could not be stored */
	uint64_t retry_ms;
	bool retry_pending;        /* committing waits for the retry timer */
	bool store_failing;        /* since the last commit failed (disk full, I/O error) */
	nw_http_server *http;
	struct {
		uint64_t articles, commits, pauses, lost, store_failures;
		double commit_seconds, commit_max;
	} stats;
};

enum nw_err nw_service_batch_article(const struct nw_service_batch *b, size_t i,
				     nw_article **out)
{
	const struct nw_service_item *it = &b->items[i];
	enum nw_err err = nw_article_decode(b->data.data + it->off, it->len, NULL, out);
	if (!err)
		(*out)->seq = it->seq;
	return err;
}

static void batch_reset(struct nw_service_batch *b)
{
	b->n = 0;
	b->data.len = 0;
}

static void batch_release(struct nw_service_batch *b)
{
	free(b->items);
	nw_buf_release(&b->data);
	memset(b, 0, sizeof(*b));
}

uv_loop_t *nw_service_loop(nw_service *svc)
{
	return svc->loop;
}

/* ---- commits on the thread pool ---- */

static void start_commit(nw_service *svc);
static void maybe_finish(nw_service *svc);

static void commit_work(uv_work_t *w)
{
	nw_service *svc = w->data;
	svc->commit_msg[0] = '\0';
	svc->commit_err = svc->ops->commit(svc->impl, svc->committing, svc->commit_msg,
					   sizeof(svc->commit_msg));
}

static void commit_done(uv_work_t *w, int status);

static void on_retry(uv_timer_t *t)
{
	nw_service *svc = t->data;
	svc->retry_pending = false;
	svc->commit_started = nw_mono_seconds();
	uv_queue_work(svc->loop, &svc->work, commit_work, commit_done);
}

/* Drops the batch waiting for a retry (stopping): the checkpoint in the
 * database is unchanged, so its articles come again at the next start. */
static void give_up_batch(nw_service *svc)
{
	if (!svc->retry_pending)
		return;
	uv_timer_stop(&svc->retry);
	svc->retry_pending = false;
	nw_warn("stopping with a batch not stored; its articles come again at the next start",
		"last_seq", NW_U64(svc->committing->last_seq), "checkpoint", NW_U64(svc->committed));
	batch_reset(svc->committing);
	svc->committing = NULL;
}

/* A commit failed (a full disk, an I/O error): the transaction rolled
 * back, so the batch is kept and tried again with backoff while delivery
 * is paused; ingestd's journal holds everything after the checkpoint, and
 * replay brings what the pause made the subscriber miss. */
static void commit_failed(nw_service *svc, struct nw_service_batch *b)
{
	svc->stats.store_failures++;
	svc->retry_ms = svc->retry_ms ? svc->retry_ms * 2 : RETRY_MIN_MS;
	if (svc->retry_ms > RETRY_MAX_MS)
		svc->retry_ms = RETRY_MAX_MS;
	if (!svc->store_failing)
		nw_error("cannot store a batch; delivery paused, trying again (the checkpoint is "
			 "unchanged)", "error", svc->commit_msg,
			 "first_seq", NW_U64(b->n ? b->items[0].seq : 0),
			 "last_seq", NW_U64(b->last_seq), "retry_ms", NW_U64(svc->retry_ms));
	else
		nw_warn("still cannot store a batch", "error", svc->commit_msg,
			"retry_ms", NW_U64(svc->retry_ms));
	svc->store_failing = true;
	if (!svc->paused && svc->sub) {
		svc->paused = true;
		svc->stats.pauses++;
		nw_uv_subscriber_pause(svc->sub, true);
	}
	svc->retry_pending = true;
	uv_timer_start(&svc->retry, on_retry, svc->retry_ms, 0);
	if (svc->draining) {
		give_up_batch(svc);
		maybe_finish(svc);
	}
}

static void commit_done(uv_work_t *w, int status)
{
	nw_service *svc = w->data;
	struct nw_service_batch *b = svc->committing;
	double took = nw_mono_seconds() - svc->commit_started;
	svc->stats.commits++;
	svc->stats.commit_seconds += took;
	if (took > svc->stats.commit_max)
		svc->stats.commit_max = took;
	if (svc->commit_err) {
		commit_failed(svc, b);
		return;
	}
	svc->committing = NULL;
	if (svc->store_failing)
		nw_info("storing works again; delivery resumes", "checkpoint", NW_U64(b->last_seq),
			"failed_tries", NW_U64(svc->stats.store_failures));
	svc->store_failing = false;
	svc->retry_ms = 0;
	svc->stats.articles += b->n;
	svc->committed = b->last_seq;
	batch_reset(b);
	if (svc->ops->committed)
		svc->ops->committed(svc->impl);
	if (svc->paused && svc->filling->n < BATCH_MAX_ARTICLES / 2) {
		svc->paused = false;
		nw_uv_subscriber_pause(svc->sub, false);
	}
	start_commit(svc);
	maybe_finish(svc);
}

/* Hands the filling batch to the thread pool when it holds anything new
 * and no commit is running. */
static void start_commit(nw_service *svc)
{
	struct nw_service_batch *b = svc->filling;
	if (svc->committing || svc->failed || b->last_seq <= svc->committed)
		return;
	svc->committing = b;
	svc->filling = b == &svc->batches[0] ? &svc->batches[1] : &svc->batches[0];
	svc->filling->last_seq = b->last_seq;
	svc->commit_started = nw_mono_seconds();
	svc->work.data = svc;
	uv_queue_work(svc->loop, &svc->work, commit_work, commit_done);
}

/* ---- the subscriber ---- */

static bool on_article(void *arg, uint64_t seq, const void *data, size_t len)
{
	nw_service *svc = arg;
	struct nw_service_batch *b = svc->filling;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		struct nw_service_item *items = realloc(b->items, cap * sizeof(*items));
		if (!items)
			goto nomem;
		b->items = items;
		b->cap = cap;
	}
	b->items[b->n] = (struct nw_service_item){ .seq = seq, .off = b->data.len, .len = len };
	if (nw_buf_append(&b->data, data, len) != NW_OK)
		goto nomem;
	b->n++;
	if (!svc->paused && (b->n >= BATCH_MAX_ARTICLES || b->data.len >= BATCH_MAX_BYTES)) {
		svc->paused = true;   /* the store is behind: let ingestd's HWM and replay absorb it */
		svc->stats.pauses++;
		nw_uv_subscriber_pause(svc->sub, true);
	}
	return true;
nomem:
	nw_error("out of memory buffering articles; stopping", "seq", NW_U64(seq));
	nw_service_shutdown(svc, true);
	return false;
}

static void on_lost(void *arg, uint64_t from, uint64_t to)
{
	nw_service *svc = arg;
	svc->stats.lost += to - from + 1;
	nw_warn("articles were deleted from the journal before they were read (retention)",
		"from", NW_U64(from), "to", NW_U64(to));
}

static enum nw_err load_checkpoint(void *arg, uint64_t *seq)
{
	nw_service *svc = arg;
	if (!svc->committed)
		return NW_ENOTFOUND;
	*seq = svc->committed;
	return NW_OK;
}

/* The subscriber says: everything up to seq is delivered. It is stored
 * with the batch that holds it. */
static bool save_checkpoint(void *arg, uint64_t seq)
{
	nw_service *svc = arg;
	if (svc->failed)
		return false;
	svc->filling->last_seq = seq;
	start_commit(svc);
	return true;
}

static void on_stopped(void *arg, enum nw_err why)
{
	nw_service *svc = arg;
	svc->sub = NULL;   /* it released itself */
	if (!svc->draining)
		nw_service_shutdown(svc, why != NW_OK);
}

/* ---- metrics ---- */

static void write_metrics(nw_service *svc, nw_buf *b)
{
	const char *n = svc->ops->name;
	char name[128];
	uint64_t head = svc->sub ? nw_uv_subscriber_head_seq(svc->sub) : 0;
#define M(suffix, type, help, v) \
	(snprintf(name, sizeof(name), "newswire_%s_" suffix, n), nw_metric(b, name, type, help, (double)(v)))
	M("articles_total", "counter", "Articles stored (committed with the checkpoint).", svc->stats.articles);
	M("commits_total", "counter", "Transactions committed.", svc->stats.commits);
	M("commit_seconds_total", "counter", "Time spent committing.", svc->stats.commit_seconds);
	M("commit_max_seconds", "gauge", "Slowest commit since start.", svc->stats.commit_max);
	M("checkpoint_seq", "gauge", "Last seq stored.", svc->committed);
	M("head_seq", "gauge", "Newest seq ingestd has announced.", head);
	M("lag", "gauge", "Articles announced but not stored yet.", head > svc->committed ? head - svc->committed : 0);
	M("batch_pending", "gauge", "Articles waiting for the next commit.", svc->filling->n);
	M("pauses_total", "counter", "Times delivery paused because the store was behind.", svc->stats.pauses);
	M("lost_total", "counter", "Articles deleted by journal retention before they were read.", svc->stats.lost);
	M("store_failures_total", "counter", "Commits that failed (full disk, I/O error) and were tried again.", svc->stats.store_failures);
	M("store_failing", "gauge", "1 while the last commit failed: delivery is paused until one succeeds.", svc->store_failing);
#undef M
	const nw_http_server *servers[2] = {
		svc->http, svc->ops->own_http ? svc->ops->own_http(svc->impl) : NULL
	};
	static const char *const names[2] = { "metrics", "search" };
	nw_http_server_metrics(b, servers, names, 2);
	if (svc->ops->metrics)
		svc->ops->metrics(svc->impl, b);
}

static void on_http(void *arg, const struct nw_http_request *req, struct nw_http_response *res)
{
	nw_service *svc = arg;
	if (strcmp(req->path, "/metrics") == 0) {
		res->content_type = "text/plain; version=0.0.4; charset=utf-8";
		write_metrics(svc, &res->body);
	} else if (strcmp(req->path, "/healthz") == 0) {
		bool ok = !svc->draining && !svc->failed && !svc->store_failing;
		res->status = ok ? 200 : 503;
		if (svc->store_failing)
			nw_buf_printf(&res->body, "cannot store: %s\n", svc->commit_msg);
		else
			nw_buf_puts(&res->body, ok ? "ok\n" : "stopping\n");
	} else if (svc->ops->http) {
		svc->ops->http(svc->impl, req, res);
	} else {
		res->status = 404;
		nw_buf_puts(&res->body, "not found\n");
	}
}

/* ---- start and stop ---- */

static void maybe_finish(nw_service *svc)
{
	if (!svc->draining || svc->closed || svc->committing)
		return;
	if (!svc->failed && !svc->store_failing && svc->filling->last_seq > svc->committed) {
		start_commit(svc);   /* the last delivered articles */
		return;
	}
	svc->closed = true;
	nw_signals_close(&svc->signals);
	uv_close((uv_handle_t *)&svc->deadline, NULL);
	uv_close((uv_handle_t *)&svc->retry, NULL);
	nw_info("stopped", "checkpoint", NW_U64(svc->committed),
		"articles", NW_U64(svc->stats.articles), "commits", NW_U64(svc->stats.commits));
}

static void on_deadline(uv_timer_t *t)
{
	nw_service *svc = t->data;
	nw_error("the drain did not finish in time; exiting");
	if (svc->committing)
		_exit(NW_EXIT_FAIL);   /* the open transaction rolls back; nothing acked is lost */
	svc->failed = true;
	uv_stop(svc->loop);
}

void nw_service_shutdown(nw_service *svc, bool failed)
{
	if (failed)
		svc->failed = true;
	if (svc->draining)
		return;
	svc->draining = true;
	uv_timer_start(&svc->deadline, on_deadline, DRAIN_DEADLINE_MS, 0);
	if (svc->sub) {
		nw_uv_subscriber *sub = svc->sub;
		svc->sub = NULL;
		nw_uv_subscriber_stop(sub);   /* its last save hands us the final seq */
	}
	if (svc->ops->stop)
		svc->ops->stop(svc->impl);
	nw_http_close(svc->http);
	svc->http = NULL;
	give_up_batch(svc);
	maybe_finish(svc);
}

static void on_signal(uv_signal_t *h, int signum)
{
	nw_service *svc = h->data;
	if (signum == SIGHUP) {
		nw_info("SIGHUP: reloading");
		nw_daemon_notify("RELOADING=1");
		if (svc->ops->reload)
			svc->ops->reload(svc->impl);
		nw_daemon_notify("READY=1");
		return;
	}
	nw_info("stopping", "signal", signum == SIGINT ? "SIGINT" : "SIGTERM");
	nw_daemon_notify("STOPPING=1");
	nw_service_shutdown(svc, false);
}

int nw_service_run(const struct nw_service_ops *ops, void *impl, const nw_config *cfg,
		   uint64_t checkpoint)
{
	nw_service svc = { .ops = ops, .impl = impl, .cfg = cfg, .loop = uv_default_loop(),
			   .committed = checkpoint };
	svc.filling = &svc.batches[0];
	svc.filling->last_seq = checkpoint;
	svc.batches[1].last_seq = checkpoint;
	char msg[512];
	if (nw_curve_client_load(cfg, msg, sizeof(msg)) != NW_OK) {
		nw_error("cannot load the [client] CURVE keys", "error", msg);
		return NW_EXIT_USAGE;
	}
	uv_timer_init(svc.loop, &svc.deadline);
	svc.deadline.data = &svc;
	uv_timer_init(svc.loop, &svc.retry);
	svc.retry.data = &svc;
	nw_signals_start(svc.loop, &svc.signals, true, on_signal, &svc);

	const char *metrics = nw_config_str(cfg, ops->name, "metrics");
	if (*metrics && !(svc.http = nw_http_listen(svc.loop, metrics, 4096, on_http, &svc, msg,
						    sizeof(msg)))) {
		nw_error("cannot serve metrics", "error", msg);
		goto fail;
	}
	if (ops->start && ops->start(impl, &svc, msg, sizeof(msg)) != NW_OK) {
		nw_error("cannot start", "error", msg);
		goto fail;
	}
	struct nw_checkpoint cp = { load_checkpoint, save_checkpoint, &svc, 1000 };
	struct nw_subscriber_opts o = {
		.publish = nw_config_str(cfg, "ingestd", "publish"),
		.replay = nw_config_str(cfg, "ingestd", "replay"),
		.from = 1,
		.checkpoint = &cp,
	};
	struct nw_subscriber_handler h = { .article = on_article, .lost = on_lost,
					   .stopped = on_stopped, .arg = &svc };
	if (!(svc.sub = nw_uv_subscriber_start(svc.loop, &o, &h, msg, sizeof(msg)))) {
		nw_error("cannot subscribe", "error", msg);
		goto fail;
	}
	nw_info("started", "checkpoint", NW_U64(checkpoint), "publish", o.publish,
		"replay", o.replay, "metrics", *metrics ? metrics : "off");
	nw_daemon_notify("READY=1");
	uv_run(svc.loop, UV_RUN_DEFAULT);
	goto out;
fail:
	svc.failed = true;
	svc.draining = true;
	if (ops->stop)
		ops->stop(impl);
	nw_http_close(svc.http);
	svc.closed = true;
	nw_signals_close(&svc.signals);
	uv_close((uv_handle_t *)&svc.deadline, NULL);
	uv_close((uv_handle_t *)&svc.retry, NULL);
	uv_run(svc.loop, UV_RUN_DEFAULT);
out:
	if (!svc.committing) {
		batch_release(&svc.batches[0]);
		batch_release(&svc.batches[1]);
		uv_loop_close(svc.loop);
	}
	return svc.failed ? NW_EXIT_FAIL : NW_EXIT_OK;
}
