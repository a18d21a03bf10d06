/* newswire-ingestd's engine. The order of things for one submitted article:
 *   parse -> dedupe by content id -> append to the journal (seq assigned)
 *   -> group commit (fdatasync off the loop thread, per the fsync policy)
 *   -> ack to the producer and publish [article][envelope][payload]
 * Records are published only once durable, in seq order, so what a
 * subscriber sees can always be replayed from the journal. */
#include "services/ingestd/ingestd.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <zmq.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/curve.h"
#include "common/http.h"
#include "common/journal.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/util.h"
#include "common/zsock.h"
#include "services/ingestd/api.h"
#include "services/ingestd/feeds.h"

#define MAX_PENDING_ACKS 100000
#define MAX_REPLAY_BATCH 1000
#define MAX_REPLAY_QUEUE 256
#define HEARTBEAT_MS 1000

enum fsync_mode { FSYNC_ALWAYS, FSYNC_BATCH, FSYNC_OFF };

struct spool_file;

/* Where a reply goes: a ROUTER peer, or a local collector (a spool file,
 * an HTTP request, a feed poll). */
struct peer {
	struct nw_peer net;
	struct ingest_collector *local;
};

/* A file of the spool directory being ingested: it moves to done/ once
 * every article in it has its reply, or to failed/ (with NAME.error) if
 * any reply was a rejection. */
struct spool_file {
	struct ingest_collector collector;   /* first: replies come here */
	ingestd *d;
	struct spool_file *next;
	char *name;
	uint32_t replies, count;
	bool failed;
	nw_buf errors;
};

struct pending_ack {
	struct peer to;
	struct nw_submit_reply reply;
};

struct counters {
	uint64_t requests, articles, duplicates, rejected, published, publish_drops;
	uint64_t replay_requests, replayed, replay_refused, replay_errors, ack_failures;
	uint64_t damaged_reads;   /* damaged journal records a reader asked for */
	uint64_t damaged_records; /* known at open */
	uint64_t spool_done, spool_failed;
	uint64_t rejected_by_code[5];   /* invalid, too_big, busy, unavailable, internal */
	uint64_t fsyncs;
	double fsync_seconds, fsync_max_seconds;
};

static const char *const reject_codes[5] = { "invalid", "too_big", "busy", "unavailable", "internal" };

struct ingestd {
	uv_loop_t *loop;
	void *zctx;
	nw_journal *journal;
	nw_zsock *submit, *publish, *replay;
	nw_zmon *mons[3];          /* connection events of submit, publish, replay */
	enum fsync_mode fsync;
	size_t max_bytes;
	int publish_hwm;
	struct pending_ack *acks;
	size_t nacks, capacks;
	uint64_t acks_min_seq;       /* lowest seq in acks; UINT64_MAX when none */
	uint64_t published;          /* last seq published */
	bool syncing;
	uv_work_t work;
	struct nw_journal_sync sync;
	uv_check_t check;
	uv_timer_t heartbeat;
	int subscribers;
	bool draining, closed, failed;
	void (*drain_done)(void *arg);
	void *drain_arg;
	struct counters stats;
	nw_buf scratch, envelope;
	char *spool_dir;             /* NULL = off */
	struct spool_file *spooling; /* files in progress */
	uv_timer_t spool_timer;
	uv_fs_event_t spool_event;
	bool spool_event_on;
	nw_http_server *http;        /* [ingestd] metrics */
	struct api *api;             /* [ingestd] http */
	struct feeds *feeds;         /* [ingestd] feeds */
	struct nw_curve_server curve;   /* [security] */
	nw_zap *zap;                 /* admits authorized client keys */
	double sync_started;
	struct replay_job *replay_queue, *replay_tail;   /* waiting, FIFO */
	size_t replay_queued;
	bool replay_busy;            /* a job is on the thread pool */
};

struct replay_job;
static void replay_job_free(struct replay_job *job);

/* ---- helpers ---- */

static void rfc3339_now(char out[64])
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
}

static void hex_to_bin(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
}

/* The durable frontier: with fsync=off everything written counts. */
static uint64_t durable_seq(const ingestd *d)
{
	return d->fsync == FSYNC_OFF ? nw_journal_last_seq(d->journal)
				     : nw_journal_durable_seq(d->journal);
}

static bool recv_request(void *socket, struct peer *from, nw_buf *body, size_t max)
{
	from->local = NULL;
	return nw_zsock_recv_request(socket, &from->net, body, max);
}

static int send_to(nw_zsock *zs, const struct peer *to, const void *const *data,
		   const size_t *len, size_t n)
{
	return nw_zsock_send_to(zs, &to->net, data, len, n);
}

static void send_reply(ingestd *d, const struct peer *to, const struct nw_submit_reply *r)
{
	if (to->local) {
		to->local->reply(to->local, r);
		return;
	}
	d->scratch.len = 0;
	if (nw_submit_reply_encode(r, &d->scratch) != NW_OK)
		return;
	const void *data[1] = { d->scratch.data };
	size_t len[1] = { d->scratch.len };
	if (send_to(d->submit, to, data, len, 1) != 0) {
		d->stats.ack_failures++;
		nw_debug("ack not delivered", "error", zmq_strerror(errno));
	}
}

static void reply_error(ingestd *d, const struct peer *to, uint64_t rid, uint32_t index,
			uint32_t count, const char *code, const char *error)
{
	struct nw_submit_reply r = { .rid = rid, .index = index, .count = count, .ok = false };
	snprintf(r.code, sizeof(r.code), "%s", code);
	snprintf(r.error, sizeof(r.error), "%s", error);
	d->stats.rejected++;
	for (size_t i = 0; i < NW_ARRAY_LEN(reject_codes); i++)
		if (strcmp(code, reject_codes[i]) == 0)
			d->stats.rejected_by_code[i]++;
	send_reply(d, to, &r);
}

/* ---- acks and publishing ---- */

static void flush_acks(ingestd *d)
{
	uint64_t durable = durable_seq(d);
	if (d->acks_min_seq > durable)
		return;   /* nothing pending can go yet: skip the scan */
	size_t keep = 0;
	uint64_t min = UINT64_MAX;
	for (size_t i = 0; i < d->nacks; i++) {
		uint64_t seq = d->acks[i].reply.seq;
		if (seq <= durable) {
			send_reply(d, &d->acks[i].to, &d->acks[i].reply);
		} else {
			if (keep != i)
				d->acks[keep] = d->acks[i];
			keep++;
			if (seq < min)
				min = seq;
		}
	}
	d->nacks = keep;
	d->acks_min_seq = min;
}

/* Reads record seq and publishes [article][envelope][record]. Returns 0
 * when sent, -1 when the send failed (errno), 1 when the record cannot be
 * read. */
static int publish_record(ingestd *d, uint64_t seq)
{
	unsigned char id[NW_JOURNAL_ID_BYTES];
	if (nw_journal_read(d->journal, seq, &d->scratch, id) != NW_OK)
		return 1;
	struct nw_envelope env = { .v = NW_PROTO_VERSION, .seq = seq, .ts = nw_wall_ms(),
				   .has_id = true };
	nw_hex(id, NW_JOURNAL_ID_BYTES, env.id);
	d->envelope.len = 0;
	nw_envelope_encode(&env, &d->envelope);
	const void *data[3] = { "article", d->envelope.data, d->scratch.data };
	size_t len[3] = { 7, d->envelope.len, d->scratch.len };
	return nw_zsock_send(d->publish, data, len, 3);
}

static void publish_durable(ingestd *d)
{
	uint64_t durable = durable_seq(d), before = d->published;
	while (d->published < durable) {
		uint64_t seq = d->published + 1;
		int rc = publish_record(d, seq);
		if (rc > 0)
			nw_error("cannot read a record to publish", "seq", NW_U64(seq));
		if (rc != 0)
			d->stats.publish_drops++;   /* subscribers see the gap and replay */
		else
			d->stats.published++;
		d->published = seq;
	}
	if (d->published != before)
		api_published(d->api, d->published);
}

static void maybe_finish_drain(ingestd *d);
static void close_all(ingestd *d);

static void sync_work(uv_work_t *req)
{
	ingestd *d = req->data;
	nw_journal_sync_run(&d->sync);
}

static void start_sync(ingestd *d);

static void sync_done(uv_work_t *req, int status)
{
	ingestd *d = req->data;
	d->syncing = false;
	double took = nw_mono_seconds() - d->sync_started;
	d->stats.fsyncs++;
	d->stats.fsync_seconds += took;
	if (took > d->stats.fsync_max_seconds)
		d->stats.fsync_max_seconds = took;
	if (nw_journal_sync_end(d->journal, &d->sync) != NW_OK) {
		/* after a failed fdatasync the kernel may have dropped the data:
		 * nothing appended since the last good sync can be acknowledged */
		nw_error("fdatasync of the journal failed; stopping", "error", strerror(errno));
		d->failed = true;
		d->nacks = 0;
		d->acks_min_seq = UINT64_MAX;
		close_all(d);
		return;
	}
	flush_acks(d);
	publish_durable(d);
	if (nw_journal_durable_seq(d->journal) < nw_journal_last_seq(d->journal))
		start_sync(d);
	maybe_finish_drain(d);
}

static void start_sync(ingestd *d)
{
	if (d->syncing || d->fsync == FSYNC_OFF || !d->journal)
		return;
	if (!nw_journal_sync_begin(d->journal, &d->sync))
		return;
	d->syncing = true;
	d->sync_started = nw_mono_seconds();
	d->work.data = d;
	uv_queue_work(d->loop, &d->work, sync_work, sync_done);
}

/* End of every loop turn: one group commit for what the turn appended. */
static void on_check(uv_check_t *h)
{
	ingestd *d = h->data;
	if (d->fsync == FSYNC_BATCH)
		start_sync(d);
}

/* ---- submit ---- */

struct batch {
	ingestd *d;
	struct peer *from;
	uint64_t rid;
	const char *source;
	nw_article **articles;   /* NULL entry = rejected record */
	char (*reasons)[NW_REASON_MAX];
	size_t n, cap;
};

static enum nw_err batch_grow(struct batch *b)
{
	if (b->n < b->cap)
		return NW_OK;
	size_t cap = b->cap ? b->cap * 2 : 8;
	nw_article **a = realloc(b->articles, cap * sizeof(nw_article *));
	if (!a)
		return NW_ENOMEM;
	b->articles = a;
	char (*r)[NW_REASON_MAX] = realloc(b->reasons, cap * sizeof(*r));
	if (!r)
		return NW_ENOMEM;
	b->reasons = r;
	b->cap = cap;
	return NW_OK;
}

static enum nw_err batch_article(void *ctx, nw_article *a)
{
	struct batch *b = ctx;
	if (batch_grow(b)) {
		nw_article_destroy(&a);
		return NW_ENOMEM;
	}
	b->reasons[b->n][0] = '\0';
	b->articles[b->n++] = a;
	return NW_OK;
}

static void batch_reject(void *ctx, size_t record, enum nw_err err, const char *reason)
{
	struct batch *b = ctx;
	if (batch_grow(b))
		return;
	snprintf(b->reasons[b->n], NW_REASON_MAX, "record %zu: %s", record, reason);
	b->articles[b->n++] = NULL;
}

/* Journals one article (or finds its earlier copy) and queues its ack. */
static void ingest_article(ingestd *d, const struct peer *from, uint64_t rid, uint32_t index,
			   uint32_t count, nw_article *a, const char *source)
{
	unsigned char idbin[NW_JOURNAL_ID_BYTES];
	hex_to_bin(a->id, idbin, sizeof(idbin));
	struct nw_submit_reply r = { .rid = rid, .index = index, .count = count, .ok = true };
	memcpy(r.id, a->id, sizeof(r.id));
	if (d->nacks >= MAX_PENDING_ACKS) {
		reply_error(d, from, rid, index, count, "busy", "too many unacknowledged articles; retry");
		return;
	}
	uint64_t seq = nw_journal_find_id(d->journal, idbin);
	if (seq) {
		r.seq = seq;
		r.dup = true;
		d->stats.duplicates++;
	} else {
		char ts[64];
		rfc3339_now(ts);
		free(a->ingested_at);
		a->ingested_at = nw_strdup(ts);
		if (!a->source)
			a->source = nw_strdup(source ? source : "submit");
		a->seq = nw_journal_next_seq(d->journal);
		d->scratch.len = 0;
		if (!a->ingested_at || !a->source || nw_article_encode(a, &d->scratch)) {
			reply_error(d, from, rid, index, count, "internal", "out of memory");
			return;
		}
		enum nw_err err = nw_journal_append(d->journal, idbin, d->scratch.data,
						    d->scratch.len, &seq);
		if (err) {
			char why[200];
			snprintf(why, sizeof(why), "journal write failed: %s; retry later",
				 err == NW_EIO ? strerror(errno) : nw_strerror(err));
			nw_warn("journal append failed", "error", why);
			reply_error(d, from, rid, index, count, "unavailable", why);
			return;
		}
		r.seq = seq;
		d->stats.articles++;
	}
	if (d->nacks == d->capacks) {
		size_t cap = d->capacks ? d->capacks * 2 : 64;
		struct pending_ack *v = realloc(d->acks, cap * sizeof(*v));
		if (!v) {
			reply_error(d, from, rid, index, count, "internal", "out of memory");
			return;
		}
		d->acks = v;
		d->capacks = cap;
	}
	d->acks[d->nacks].to = *from;
	d->acks[d->nacks++].reply = r;
	if (r.seq < d->acks_min_seq)
		d->acks_min_seq = r.seq;
}

/* After journaling: sync or publish per the fsync policy, and answer what
 * can be answered already. */
static void after_ingest(ingestd *d)
{
	if (d->fsync == FSYNC_OFF)
		publish_durable(d);   /* written is durable enough: publish now */
	else if (d->fsync == FSYNC_ALWAYS)
		start_sync(d);
	flush_acks(d);   /* fsync=off, and duplicates of records already durable */
}

/* Parses one input (raw, or an encoded article map) and journals what it
 * holds; every article gets its reply through `from`. */
static void ingest_input(ingestd *d, struct peer *from, uint64_t rid, bool has_format,
			 enum nw_format format, const char *source, const char *charset,
			 bool is_article, const char *data, size_t len)
{
	char reason[NW_REASON_MAX] = "";
	enum nw_err err;
	struct batch b = { .d = d, .from = from, .rid = rid, .source = source };
	if (is_article) {
		nw_article *a = NULL;
		err = nw_article_decode(data, len, NULL, &a);
		if (!err && (err = nw_article_finish(a)) == NW_OK && (err = batch_article(&b, a)) != NW_OK)
			a = NULL;
		else if (err)
			nw_article_destroy(&a);
		snprintf(reason, sizeof(reason), "bad article map: %s", nw_strerror(err));
	} else {
		struct nw_parse_opts o = {
			.format = has_format ? format : NW_FORMAT_AUTO,
			.source = source, .max_bytes = d->max_bytes, .charset = charset,
		};
		struct nw_parse_sink sink = { batch_article, batch_reject, &b };
		err = nw_parse(data, len, &o, &sink, reason);
	}
	if (err) {
		reply_error(d, from, rid, 0, 1, err == NW_ETOOBIG ? "too_big" : "invalid", reason);
	} else if (b.n == 0) {
		reply_error(d, from, rid, 0, 1, "invalid", "input holds no article");
	}
	for (size_t i = 0; !err && i < b.n; i++) {
		if (b.articles[i])
			ingest_article(d, from, rid, (uint32_t)i, (uint32_t)b.n, b.articles[i], source);
		else
			reply_error(d, from, rid, (uint32_t)i, (uint32_t)b.n, "invalid", b.reasons[i]);
	}
	for (size_t i = 0; i < b.n; i++)
		nw_article_destroy(&b.articles[i]);
	free(b.articles);
	free(b.reasons);
	after_ingest(d);
}

static void handle_submit(ingestd *d, struct peer *from, const nw_buf *body)
{
	struct nw_submit_req req;
	char reason[NW_REASON_MAX];
	d->stats.requests++;
	enum nw_err err = nw_submit_req_decode(body->data, body->len, d->max_bytes, &req);
	if (err) {
		snprintf(reason, sizeof(reason), "bad submit request: %s", nw_strerror(err));
		reply_error(d, from, 0, 0, 1, err == NW_ELIMIT ? "too_big" : "invalid", reason);
		return;
	}
	if (d->draining)
		reply_error(d, from, req.rid, 0, 1, "unavailable", "ingestd is shutting down; retry");
	else
		ingest_input(d, from, req.rid, req.has_format, req.format, req.source, NULL,
			     req.is_article, req.data.data, req.data.len);
	nw_submit_req_clear(&req);
}

static void on_submit(nw_zsock *zs, void *socket, void *arg)
{
	ingestd *d = arg;
	struct peer from;
	nw_buf body = NW_BUF_INIT;
	if (recv_request(socket, &from, &body, d->max_bytes + 65536))
		handle_submit(d, &from, &body);
	nw_buf_release(&body);
}

void ingestd_ingest(ingestd *d, struct ingest_collector *c, const struct nw_parse_opts *o,
		    const char *data, size_t len)
{
	struct peer from = { .local = c };
	d->stats.requests++;
	if (d->draining)
		reply_error(d, &from, 0, 0, 1, "unavailable", "ingestd is shutting down; retry");
	else
		ingest_input(d, &from, 0, o->format != NW_FORMAT_AUTO, o->format, o->source,
			     o->charset, false, data, len);
}

void ingestd_ingest_articles(ingestd *d, struct ingest_collector *c, nw_article **arts,
			     size_t n, const char *source)
{
	struct peer from = { .local = c };
	d->stats.requests++;
	for (size_t i = 0; i < n; i++) {
		if (d->draining)
			reply_error(d, &from, 0, (uint32_t)i, (uint32_t)n, "unavailable",
				    "ingestd is shutting down; retry");
		else
			ingest_article(d, &from, 0, (uint32_t)i, (uint32_t)n, arts[i], source);
		nw_article_destroy(&arts[i]);
	}
	after_ingest(d);
}

void ingestd_reload(ingestd *d)
{
	char msg[512];
	if (nw_zap_reload(d->zap, msg, sizeof(msg)) != NW_OK)
		nw_error("authorized_keys not reloaded; the old list stays", "error", msg);
	feeds_reload(d->feeds);
}

/* ---- spool directory ---- */

static bool spool_skip(const char *name)
{
	size_t n = strlen(name);
	return name[0] == '.' || (n > 4 && strcmp(name + n - 4, ".tmp") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".part") == 0);
}

static void spool_finish(ingestd *d, struct spool_file *sf)
{
	char from[4096], to[4096];
	snprintf(from, sizeof(from), "%s/%s", d->spool_dir, sf->name);
	snprintf(to, sizeof(to), "%s/%s/%s", d->spool_dir, sf->failed ? "failed" : "done", sf->name);
	if (rename(from, to) != 0)
		nw_error("cannot move spool file", "file", from, "error", strerror(errno));
	if (sf->failed) {
		char errpath[4200];
		snprintf(errpath, sizeof(errpath), "%s.error", to);
		FILE *f = fopen(errpath, "w");
		if (f) {
			fwrite(sf->errors.data, 1, sf->errors.len, f);
			fclose(f);
		}
		d->stats.spool_failed++;
		nw_warn("spool file failed", "file", sf->name, "reason",
			sf->errors.data ? sf->errors.data : "");
	} else {
		d->stats.spool_done++;
	}
	struct spool_file **pp = &d->spooling;
	while (*pp && *pp != sf)
		pp = &(*pp)->next;
	if (*pp)
		*pp = sf->next;
	free(sf->name);
	nw_buf_release(&sf->errors);
	free(sf);
}

static void spool_reply(struct ingest_collector *c, const struct nw_submit_reply *r)
{
	struct spool_file *sf = (struct spool_file *)c;
	ingestd *d = sf->d;
	sf->count = r->count;
	sf->replies++;
	if (!r->ok) {
		sf->failed = true;
		if (r->count > 1)
			nw_buf_printf(&sf->errors, "%s#%u: %s\n", sf->name, r->index + 1, r->error);
		else
			nw_buf_printf(&sf->errors, "%s: %s\n", sf->name, r->error);
	}
	if (sf->replies >= sf->count)
		spool_finish(d, sf);
}

static bool spooling(const ingestd *d, const char *name)
{
	for (const struct spool_file *sf = d->spooling; sf; sf = sf->next)
		if (strcmp(sf->name, name) == 0)
			return true;
	return false;
}

static void spool_take(ingestd *d, const char *name)
{
	struct spool_file *sf = calloc(1, sizeof(*sf));
	if (!sf || !(sf->name = nw_strdup(name))) {
		free(sf);
		return;
	}
	sf->collector.reply = spool_reply;
	sf->d = d;
	sf->next = d->spooling;
	d->spooling = sf;
	struct peer from = { .local = &sf->collector };
	char path[4096], reason[NW_REASON_MAX];
	snprintf(path, sizeof(path), "%s/%s", d->spool_dir, name);
	char *data = NULL;
	size_t len = 0;
	enum nw_err err = nw_read_file(path, d->max_bytes, &data, &len);
	if (err) {
		snprintf(reason, sizeof(reason), "%s", err == NW_ETOOBIG ?
			 "input is over the limit (max_article_bytes)" : strerror(errno));
		reply_error(d, &from, 0, 0, 1, err == NW_ETOOBIG ? "too_big" : "invalid", reason);
		return;
	}
	ingest_input(d, &from, 0, false, NW_FORMAT_TEXT, name, NULL, false, data, len);
	free(data);
}

static void spool_scan(ingestd *d)
{
	if (!d->spool_dir || d->draining)
		return;
	DIR *dir = opendir(d->spool_dir);
	if (!dir)
		return;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (spool_skip(e->d_name) || spooling(d, e->d_name))
			continue;
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", d->spool_dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			spool_take(d, e->d_name);
	}
	closedir(dir);
}

static void on_spool_timer(uv_timer_t *t)
{
	spool_scan(t->data);
}

static void on_spool_event(uv_fs_event_t *h, const char *name, int events, int status)
{
	spool_scan(h->data);
}

static enum nw_err spool_start(ingestd *d, const char *dir, char *msg, size_t msglen)
{
	char sub[4096];
	if (!(d->spool_dir = nw_strdup(dir)))
		return NW_ENOMEM;
	const char *subs[] = { "", "/done", "/failed" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s%s", dir, subs[i]);
		if (mkdir(sub, 0750) != 0 && errno != EEXIST) {
			snprintf(msg, msglen, "cannot create %s: %s", sub, strerror(errno));
			return NW_EIO;
		}
	}
	uv_timer_init(d->loop, &d->spool_timer);
	d->spool_timer.data = d;
	/* events make it quick; the timer catches whatever events miss */
	uv_timer_start(&d->spool_timer, on_spool_timer, 0, 1000);
	uv_fs_event_init(d->loop, &d->spool_event);
	d->spool_event.data = d;
	d->spool_event_on = uv_fs_event_start(&d->spool_event, on_spool_event, dir, 0) == 0;
	return NW_OK;
}

/* ---- replay ---- */

static void send_range(ingestd *d, const struct peer *to, const char *topic, uint64_t from,
		       uint64_t upto)
{
	struct nw_range r = { from, upto };
	d->envelope.len = 0;
	nw_range_encode(&r, &d->envelope);
	const void *data[2] = { topic, d->envelope.data };
	size_t len[2] = { strlen(topic), d->envelope.len };
	send_to(d->replay, to, data, len, 2);
}

/* A replay request being served: the worker thread reads its records
 * from the journal (whole runs per read, checksums verified there), then
 * the loop sends them. Jobs run one at a time, in arrival order; the queue
 * behind them is bounded and a request beyond it is refused (the peer
 * asks again after its timeout). */
struct replay_rec {
	uint64_t seq;
	size_t off;        /* payload in job->data */
	uint32_t len;
	bool damaged;
	char id[33];
};

struct replay_job {
	uv_work_t work;
	ingestd *d;
	struct replay_job *next;
	struct peer to;
	uint64_t from, upto;   /* the records to send, inclusive */
	uint64_t first, upto_last;   /* the journal's first and published seqs at request time */
	nw_buf data;
	struct replay_rec *recs;
	size_t nrecs, cap;
	enum nw_err err;
};

static bool replay_collect(void *arg, uint64_t seq, const unsigned char *id, const void *payload,
			   size_t len, enum nw_err err)
{
	struct replay_job *job = arg;
	if (job->nrecs == job->cap) {
		size_t cap = job->cap ? 2 * job->cap : 64;
		struct replay_rec *r = realloc(job->recs, cap * sizeof(*r));
		if (!r) {
			job->err = NW_ENOMEM;
			return false;
		}
		job->recs = r;
		job->cap = cap;
	}
	struct replay_rec *r = &job->recs[job->nrecs];
	*r = (struct replay_rec){ .seq = seq, .off = job->data.len, .len = (uint32_t)len,
				  .damaged = err != NW_OK };
	if (!r->damaged) {
		nw_hex(id, NW_JOURNAL_ID_BYTES, r->id);
		if ((job->err = nw_buf_append(&job->data, payload, len)))
			return false;
	}
	job->nrecs++;
	return true;
}

static void replay_work(uv_work_t *w)
{
	struct replay_job *job = w->data;
	if (job->from <= job->upto) {
		enum nw_err err = nw_journal_scan(job->d->journal, job->from, job->upto,
						  replay_collect, job);
		if (err && !job->err)
			job->err = err;
	}
}

static void replay_job_free(struct replay_job *job)
{
	nw_buf_release(&job->data);
	free(job->recs);
	free(job);
}

static void replay_next(ingestd *d);

/* A reader asked for damaged journal records: they are refused as a gap. */
static void report_damaged(ingestd *d, uint64_t from, uint64_t to)
{
	d->stats.damaged_reads += to - from + 1;
	nw_warn("journal records are damaged or lost; served as a gap", "from", NW_U64(from),
		 "to", NW_U64(to), "hint", "run `newswire journal check` (see docs/operations.md)");
}

static void replay_done(uv_work_t *w, int status)
{
	struct replay_job *job = w->data;
	ingestd *d = job->d;
	d->replay_busy = false;
	if (d->replay) {
		for (size_t i = 0; i < job->nrecs; i++) {
			const struct replay_rec *r = &job->recs[i];
			if (r->damaged) {   /* one gap for a run of them */
				size_t k = i;
				while (k + 1 < job->nrecs && job->recs[k + 1].damaged &&
				       job->recs[k + 1].seq == job->recs[k].seq + 1)
					k++;
				report_damaged(d, r->seq, job->recs[k].seq);
				send_range(d, &job->to, "gap", r->seq, job->recs[k].seq);
				i = k;
				continue;
			}
			struct nw_envelope env = { .v = NW_PROTO_VERSION, .seq = r->seq, .ts = nw_wall_ms(),
						   .has_id = true };
			memcpy(env.id, r->id, sizeof(env.id));
			d->envelope.len = 0;
			nw_envelope_encode(&env, &d->envelope);
			const void *data[3] = { "article", d->envelope.data, job->data.data + r->off };
			size_t len[3] = { 7, d->envelope.len, r->len };
			if (send_to(d->replay, &job->to, data, len, 3) != 0)
				break;   /* peer gone or full: it asks again */
			d->stats.replayed++;
		}
		/* NW_ENOTFOUND: retention deleted records while they were read;
		 * the peer's next request is answered with the gap */
		if (job->err && job->err != NW_ENOTFOUND) {
			d->stats.replay_errors++;
			nw_error("cannot read the journal for replay", "from", NW_U64(job->from),
				 "error", nw_strerror(job->err));
		}
		send_range(d, &job->to, "end", job->first, job->upto_last);
	}
	replay_job_free(job);
	replay_next(d);
}

static void replay_next(ingestd *d)
{
	struct replay_job *job = d->replay_queue;
	if (d->replay_busy || !job)
		return;
	if (!d->replay) {   /* closing: nothing more is served */
		d->replay_queue = job->next;
		d->replay_queued--;
		replay_job_free(job);
		replay_next(d);
		return;
	}
	d->replay_queue = job->next;
	if (!d->replay_queue)
		d->replay_tail = NULL;
	d->replay_queued--;
	d->replay_busy = true;
	job->work.data = job;
	uv_queue_work(d->loop, &job->work, replay_work, replay_done);
}

static void on_replay(nw_zsock *zs, void *socket, void *arg)
{
	ingestd *d = arg;
	struct peer from;
	nw_buf body = NW_BUF_INIT;
	struct nw_replay_req req;
	if (!recv_request(socket, &from, &body, 4096)) {
		nw_buf_release(&body);
		return;
	}
	d->stats.replay_requests++;
	uint64_t first = nw_journal_first_seq(d->journal);
	uint64_t last = d->published;
	enum nw_err err = nw_replay_req_decode(body.data, body.len, &req);
	nw_buf_release(&body);
	if (err != NW_OK) {
		send_range(d, &from, "error", 0, last);
		return;
	}
	uint64_t seq = req.from ? req.from : 1;
	if (first && seq < first) {
		send_range(d, &from, "gap", seq, first - 1);
		seq = first;
	} else if (!first && seq <= last) {
		send_range(d, &from, "gap", seq, last);   /* everything was deleted */
		seq = last + 1;
	}
	uint64_t max = req.max == 0 || req.max > MAX_REPLAY_BATCH ? MAX_REPLAY_BATCH : req.max;
	if (seq > last) {   /* nothing to read: answer at once */
		send_range(d, &from, "end", first, last);
		return;
	}
	struct replay_job *job = NULL;
	if (d->replay_queued >= MAX_REPLAY_QUEUE || !(job = calloc(1, sizeof(*job)))) {
		d->stats.replay_refused++;
		return;
	}
	job->d = d;
	job->to = from;
	job->from = seq;
	job->upto = last - seq + 1 > max ? seq + max - 1 : last;
	job->upto_last = last;
	job->first = first;
	if (d->replay_tail)
		d->replay_tail->next = job;
	else
		d->replay_queue = job;
	d->replay_tail = job;
	d->replay_queued++;
	replay_next(d);
}

/* ---- publish socket: subscriptions, heartbeats ---- */

static void on_subscription(nw_zsock *zs, void *socket, void *arg)
{
	ingestd *d = arg;
	char buf[256];
	int n = zmq_recv(socket, buf, sizeof(buf), ZMQ_DONTWAIT);
	if (n > 0)
		d->subscribers += buf[0] == 1 ? 1 : -1;
}

static void on_heartbeat(uv_timer_t *t)
{
	ingestd *d = t->data;
	struct nw_envelope env = { .v = NW_PROTO_VERSION, .seq = d->published, .ts = nw_wall_ms() };
	d->envelope.len = 0;
	nw_envelope_encode(&env, &d->envelope);
	const void *data[2] = { "hb", d->envelope.data };
	size_t len[2] = { 2, d->envelope.len };
	nw_zsock_send(d->publish, data, len, 2);
}

/* ---- metrics and health ---- */

static void write_metrics(ingestd *d, nw_buf *b)
{
	const struct counters *st = &d->stats;
	nw_metric(b, "newswire_ingest_requests_total", "counter", "Submit requests received.", (double)st->requests);
	nw_metric(b, "newswire_articles_ingested_total", "counter", "New articles journaled.", (double)st->articles);
	nw_metric(b, "newswire_articles_duplicate_total", "counter", "Articles whose content was already journaled.", (double)st->duplicates);
	nw_metric_head(b, "newswire_articles_rejected_total", "counter",
		       "Inputs or records rejected, by reason.");
	for (size_t i = 0; i < NW_ARRAY_LEN(reject_codes); i++)
		nw_buf_printf(b, "newswire_articles_rejected_total{reason=\"%s\"} %llu\n", reject_codes[i],
			      (unsigned long long)st->rejected_by_code[i]);
	nw_metric(b, "newswire_published_total", "counter", "Articles published to subscribers.", (double)st->published);
	nw_metric(b, "newswire_publish_drops_total", "counter", "Articles not published because a subscriber queue was full (repaired by replay).", (double)st->publish_drops);
	nw_metric(b, "newswire_subscribers", "gauge", "Subscriptions on the publish socket.", d->subscribers);
	nw_metric(b, "newswire_replay_requests_total", "counter", "Replay requests served.", (double)st->replay_requests);
	nw_metric(b, "newswire_replayed_total", "counter", "Records sent by replay.", (double)st->replayed);
	nw_metric(b, "newswire_replay_refused_total", "counter", "Replay requests refused because the replay queue was full.", (double)st->replay_refused);
	nw_metric(b, "newswire_journal_damaged_records", "gauge", "Journal records found damaged or lost when it was opened (see newswire journal check).", (double)st->damaged_records);
	nw_metric(b, "newswire_journal_damaged_reads_total", "counter", "Damaged journal records asked for by readers, refused as gaps.", (double)st->damaged_reads);
	nw_metric(b, "newswire_replay_errors_total", "counter", "Replay requests cut short by a journal read error.", (double)st->replay_errors);
	nw_metric(b, "newswire_replay_queue", "gauge", "Replay requests waiting for the reader.", (double)d->replay_queued);
	nw_metric(b, "newswire_ack_failures_total", "counter", "Acks that could not be delivered (producer gone).", (double)st->ack_failures);
	nw_metric(b, "newswire_pending_acks", "gauge", "Acks waiting for their record to be durable.", (double)d->nacks);
	nw_metric_head(b, "newswire_spool_files_total", "counter", "Spool files handled, by result.");
	nw_buf_printf(b, "newswire_spool_files_total{result=\"done\"} %llu\n"
		      "newswire_spool_files_total{result=\"failed\"} %llu\n",
		      (unsigned long long)st->spool_done, (unsigned long long)st->spool_failed);
	nw_metric(b, "newswire_journal_bytes", "gauge", "Bytes in journal segments.", (double)nw_journal_bytes(d->journal));
	nw_metric(b, "newswire_journal_first_seq", "gauge", "Oldest retained seq.", (double)nw_journal_first_seq(d->journal));
	nw_metric(b, "newswire_journal_last_seq", "gauge", "Newest journaled seq.", (double)nw_journal_last_seq(d->journal));
	nw_metric(b, "newswire_journal_durable_seq", "gauge", "Newest seq known on disk.", (double)durable_seq(d));
	nw_metric(b, "newswire_journal_fsync_total", "counter", "Journal syncs (group commits).", (double)st->fsyncs);
	nw_metric(b, "newswire_journal_fsync_seconds_total", "counter", "Time spent in journal syncs.", st->fsync_seconds);
	nw_metric(b, "newswire_journal_fsync_max_seconds", "gauge", "Slowest journal sync since start.", st->fsync_max_seconds);
	api_metrics(d->api, b);
	const nw_http_server *servers[2] = { d->http, api_http(d->api) };
	static const char *const names[2] = { "metrics", "api" };
	nw_http_server_metrics(b, servers, names, 2);
	nw_zmon_metrics(b, d->mons, 3);
	feeds_metrics(d->feeds, b);
	nw_zap_metrics(d->zap, b);
}

bool ingestd_serve_ops(ingestd *d, const struct nw_http_request *req,
		       struct nw_http_response *res)
{
	if (strcmp(req->method, "GET") != 0)
		return false;
	if (strcmp(req->path, "/metrics") == 0) {
		res->content_type = "text/plain; version=0.0.4; charset=utf-8";
		write_metrics(d, &res->body);
	} else if (strcmp(req->path, "/healthz") == 0) {
		res->status = d->draining ? 503 : 200;
		nw_buf_puts(&res->body, d->draining ? "draining\n" : "ok\n");
	} else {
		return false;
	}
	return true;
}

static void on_http(void *arg, const struct nw_http_request *req, struct nw_http_response *res)
{
	ingestd *d = arg;
	if (ingestd_serve_ops(d, req, res))
		return;
	if (strcmp(req->method, "GET") != 0) {
		res->status = 405;
		nw_buf_puts(&res->body, "only GET is served here\n");
	} else {
		res->status = 404;
		nw_buf_puts(&res->body, "not found: /metrics and /healthz are served here\n");
	}
}

/* ---- start, drain, stop ---- */

static nw_zsock *bind_socket(ingestd *d, int type, const char *endpoint, nw_zsock_read_cb cb,
			     char *msg, size_t msglen)
{
	void *s = zmq_socket(d->zctx, type);
	int linger = 1000, one = 1, hwm = d->publish_hwm;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (type == ZMQ_ROUTER) {
		zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
		/* a whole replay batch and its end marker must fit in a peer's
		 * queue, or the end marker is refused and the client waits for
		 * its timeout */
		int router_hwm = 4 * MAX_REPLAY_BATCH + 16;
		zmq_setsockopt(s, ZMQ_SNDHWM, &router_hwm, sizeof(router_hwm));
	}
	if (type == ZMQ_XPUB) {
		zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof(one));
		zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(s, ZMQ_XPUB_VERBOSER, &one, sizeof(one));
	}
	int64_t maxmsg = (int64_t)d->max_bytes + 65536;
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	if (nw_server_bind(&d->curve, s, endpoint, msg, msglen) != NW_OK) {
		zmq_close(s);
		return NULL;
	}
	nw_zsock *zs = nw_zsock_new(d->loop, s, cb, NULL, d);
	if (!zs) {
		snprintf(msg, msglen, "cannot poll %s", endpoint);
		zmq_close(s);
	}
	return zs;
}

/* The ZeroMQ sockets and their connection monitors. */
static void close_sockets(ingestd *d)
{
	nw_zsock **socks[3] = { &d->submit, &d->publish, &d->replay };
	for (int i = 0; i < 3; i++) {
		nw_zmon_close(&d->mons[i], *socks[i] ? nw_zsock_socket(*socks[i]) : NULL);
		nw_zsock_close(*socks[i]);
		*socks[i] = NULL;
	}
}

ingestd *ingestd_start(uv_loop_t *loop, const nw_config *cfg, char *msg, size_t msglen)
{
	ingestd *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	d->loop = loop;
	d->acks_min_seq = UINT64_MAX;
	const char *fsync = nw_config_str(cfg, "ingestd", "fsync");
	d->fsync = strcmp(fsync, "always") == 0 ? FSYNC_ALWAYS :
		   strcmp(fsync, "off") == 0 ? FSYNC_OFF : FSYNC_BATCH;
	d->max_bytes = (size_t)nw_config_num(cfg, "ingestd", "max_article_bytes");
	d->publish_hwm = (int)nw_config_num(cfg, "ingestd", "publish_hwm");
	struct nw_journal_opts jo = { .dir = nw_config_str(cfg, "ingestd", "data_dir") };
	nw_config_retention(cfg, "ingestd", "retention", &jo.retention_age, &jo.retention_bytes);
	struct nw_journal_recovery rec;
	if (nw_journal_open(&jo, &d->journal, &rec, msg, msglen) != NW_OK)
		goto fail;
	nw_info("journal opened", "dir", jo.dir, "first_seq", NW_U64(rec.first_seq),
		"last_seq", NW_U64(rec.last_seq), "truncated_bytes", NW_U64(rec.truncated_bytes));
	if (rec.truncated_bytes)
		nw_warn("journal recovery cut unacknowledged data", "detail", rec.detail);
	if (rec.damaged_records)
		nw_error("journal has damaged records; they are served as gaps, the rest as usual",
			 "records", NW_U64(rec.damaged_records), "detail", rec.damage,
			 "hint", "stop newswire-ingestd and run `newswire journal repair`");
	else if (rec.lost_records)
		nw_warn("journal has records lost to damage (repaired); they are served as gaps",
			"records", NW_U64(rec.lost_records), "detail", rec.damage);
	d->stats.damaged_records = rec.damaged_records + rec.lost_records;
	d->published = nw_journal_last_seq(d->journal);   /* all of it is on disk */
	d->zctx = zmq_ctx_new();
	if (nw_curve_server_load(cfg, &d->curve, msg, msglen) != NW_OK ||
	    (d->curve.on && !(d->zap = nw_zap_start(loop, d->zctx, d->curve.authorized, msg, msglen))))
		goto fail;
	if (!(d->submit = bind_socket(d, ZMQ_ROUTER, nw_config_str(cfg, "ingestd", "submit"),
				      on_submit, msg, msglen)) ||
	    !(d->publish = bind_socket(d, ZMQ_XPUB, nw_config_str(cfg, "ingestd", "publish"),
				       on_subscription, msg, msglen)) ||
	    !(d->replay = bind_socket(d, ZMQ_ROUTER, nw_config_str(cfg, "ingestd", "replay"),
				      on_replay, msg, msglen)))
		goto fail;
	d->mons[0] = nw_zmon_start(loop, d->zctx, nw_zsock_socket(d->submit), "submit");
	d->mons[1] = nw_zmon_start(loop, d->zctx, nw_zsock_socket(d->publish), "publish");
	d->mons[2] = nw_zmon_start(loop, d->zctx, nw_zsock_socket(d->replay), "replay");
	const char *metrics_at = nw_config_str(cfg, "ingestd", "metrics");
	if (*metrics_at && !(d->http = nw_http_listen(loop, metrics_at, 0, on_http, d, msg, msglen)))
		goto fail;
	if (*nw_config_str(cfg, "ingestd", "http") &&
	    !(d->api = api_start(d, loop, cfg, msg, msglen)))
		goto fail;
	if (*nw_config_str(cfg, "ingestd", "feeds") &&
	    !(d->feeds = feeds_start(d, loop, cfg, msg, msglen)))
		goto fail;
	const char *spool = nw_config_str(cfg, "ingestd", "spool_dir");
	if (*spool && spool_start(d, spool, msg, msglen) != NW_OK)
		goto fail;
	uv_check_init(loop, &d->check);
	d->check.data = d;
	uv_check_start(&d->check, on_check);
	uv_unref((uv_handle_t *)&d->check);
	uv_timer_init(loop, &d->heartbeat);
	d->heartbeat.data = d;
	uv_timer_start(&d->heartbeat, on_heartbeat, HEARTBEAT_MS, HEARTBEAT_MS);
	nw_info("ingestd ready", "submit", nw_config_str(cfg, "ingestd", "submit"),
		"publish", nw_config_str(cfg, "ingestd", "publish"),
		"replay", nw_config_str(cfg, "ingestd", "replay"), "fsync", fsync);
	return d;
fail:
	feeds_close(&d->feeds);
	nw_zap_close(&d->zap);
	api_close(&d->api);
	nw_http_close(d->http);
	d->http = NULL;
	close_sockets(d);
	ingestd_destroy(&d);
	return NULL;
}

static void close_all(ingestd *d)
{
	if (d->closed)
		return;
	d->closed = true;
	uv_check_stop(&d->check);
	uv_close((uv_handle_t *)&d->check, NULL);
	uv_timer_stop(&d->heartbeat);
	uv_close((uv_handle_t *)&d->heartbeat, NULL);
	if (d->spool_dir) {
		uv_close((uv_handle_t *)&d->spool_timer, NULL);
		uv_close((uv_handle_t *)&d->spool_event, NULL);
	}
	close_sockets(d);
	nw_http_close(d->http);
	d->http = NULL;
	api_close(&d->api);
	feeds_close(&d->feeds);
	nw_zap_close(&d->zap);
	const struct counters *st = &d->stats;
	nw_info("ingestd stopped", "last_published", NW_U64(d->published),
		"articles", NW_U64(st->articles), "duplicates", NW_U64(st->duplicates),
		"rejected", NW_U64(st->rejected), "published", NW_U64(st->published),
		"publish_drops", NW_U64(st->publish_drops), "replayed", NW_U64(st->replayed),
		"spool_done", NW_U64(st->spool_done), "spool_failed", NW_U64(st->spool_failed));
	if (d->drain_done)
		d->drain_done(d->drain_arg);
}

static void maybe_finish_drain(ingestd *d)
{
	if (!d->draining || d->syncing || d->closed)
		return;
	if (d->fsync != FSYNC_OFF && nw_journal_durable_seq(d->journal) < nw_journal_last_seq(d->journal)) {
		start_sync(d);
		return;
	}
	flush_acks(d);
	publish_durable(d);
	close_all(d);
}

void ingestd_drain(ingestd *d, void (*done)(void *arg), void *arg)
{
	d->drain_done = done;
	d->drain_arg = arg;
	if (d->draining)
		return;
	d->draining = true;
	nw_info("draining");
	maybe_finish_drain(d);
}

uint64_t ingestd_published(const ingestd *d)
{
	return d->published;
}

uint64_t ingestd_first_seq(const ingestd *d)
{
	return nw_journal_first_seq(d->journal);
}

uint64_t ingestd_find_id(const ingestd *d, const char *id)
{
	unsigned char bin[NW_JOURNAL_ID_BYTES];
	hex_to_bin(id, bin, sizeof bin);
	return nw_journal_find_id(d->journal, bin);
}

enum nw_err ingestd_read(ingestd *d, uint64_t seq, nw_buf *out)
{
	enum nw_err err = nw_journal_read(d->journal, seq, out, NULL);
	if (err == NW_ESYNTAX)
		report_damaged(d, seq, seq);
	return err;
}

bool ingestd_draining(const ingestd *d)
{
	return d->draining;
}


bool ingestd_failed(const ingestd *d)
{
	return d->failed;
}

void ingestd_destroy(ingestd **dp)
{
	ingestd *d = *dp;
	if (!d)
		return;
	while (d->replay_queue) {
		struct replay_job *job = d->replay_queue;
		d->replay_queue = job->next;
		replay_job_free(job);
	}
	if (d->replay_busy || d->syncing) {
		/* the loop was stopped with work on the thread pool (the drain
		 * deadline passed): the process is exiting, leave what it uses */
		return;
	}
	nw_journal_close(&d->journal);
	if (d->zctx)
		zmq_ctx_term(d->zctx);
	free(d->acks);
	while (d->spooling) {   /* unfinished: picked up again at the next start */
		struct spool_file *sf = d->spooling;
		d->spooling = sf->next;
		free(sf->name);
		nw_buf_release(&sf->errors);
		free(sf);
	}
	free(d->spool_dir);
	nw_buf_release(&d->scratch);
	nw_buf_release(&d->envelope);
	free(d);
	*dp = NULL;
}
