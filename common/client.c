/* libnewswire's blocking producer and subscriber.
 *
 * The subscriber contract (docs/protocol.md): subscribe first, then replay
 * from the checkpoint; deliver strictly in seq order and drop what was
 * already delivered; a seq jump or a heartbeat ahead of us means messages
 * were missed, so ask the replay endpoint from the next seq wanted; while
 * replaying, live messages are not delivered (replay fetches them in
 * order); no message for longer than the heartbeat timeout means the
 * connection is dead, so reconnect and replay. */
#include <newswire/client.h>
#include <newswire/uv.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/codec.h"
#include "common/curve.h"
#include "common/zsock.h"
#include "common/util.h"

#define REPLAY_BATCH 1000
#define REPLAY_TIMEOUT_MS 5000
#define DRAIN_RUN 256   /* messages taken from a socket per poll */

static void *new_socket(void *ctx, int type, const char *endpoint, char *msg, size_t msglen)
{
	void *s = zmq_socket(ctx, type);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	int64_t maxmsg = 64 << 20;
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	nw_curve_client_apply(s, endpoint);
	if (zmq_connect(s, endpoint) != 0) {
		snprintf(msg, msglen, "cannot connect to %s: %s", endpoint, zmq_strerror(errno));
		zmq_close(s);
		return NULL;
	}
	return s;
}

static bool frame_is(zmq_msg_t *m, const char *s)
{
	size_t n = strlen(s);
	return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

/* ---- producer ---- */

struct nw_producer {
	void *ctx;
	void *socket;
	uint64_t next_rid;
	nw_buf req;
};

nw_producer *nw_producer_new(const char *endpoint, char *msg, size_t msglen)
{
	nw_producer *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	p->ctx = zmq_ctx_new();
	p->next_rid = (uint64_t)nw_mono_ms() << 16;   /* distinct across runs */
	if (!(p->socket = new_socket(p->ctx, ZMQ_DEALER, endpoint, msg, msglen)))
		nw_producer_destroy(&p);
	return p;
}

void nw_producer_destroy(nw_producer **pp)
{
	nw_producer *p = *pp;
	if (!p)
		return;
	if (p->socket)
		zmq_close(p->socket);
	zmq_ctx_term(p->ctx);
	nw_buf_release(&p->req);
	free(p);
	*pp = NULL;
}

/* One input sent to ingestd, waiting for the reply of each article in it. */
struct submission {
	uint64_t rid;
	uint32_t count, received;   /* count is known from the first reply */
	bool *seen;
};

static enum nw_err encode_submit(uint64_t rid, const char *format, const char *source,
				 const void *data, size_t len, nw_buf *out)
{
	struct nw_submit_req req = { .rid = rid, .source = (char *)source };
	if (format) {
		if (nw_format_parse(format, &req.format) != NW_OK)
			return NW_EFORMAT;
		req.has_format = true;
	}
	req.data.data = (char *)data;   /* borrowed: not cleared below */
	req.data.len = len;
	out->len = 0;
	return nw_submit_req_encode(&req, out);
}

enum reply_read { REPLY_NONE, REPLY_BAD, REPLY_OK };

/* Receives and decodes a reply if one is waiting. */
static enum reply_read read_reply(void *socket, struct nw_submit_reply *r)
{
	zmq_msg_t parts[2];
	int n = nw_zmq_recv_parts(socket, parts, 2, ZMQ_DONTWAIT);
	if (n < 0)
		return REPLY_NONE;
	bool good = n == 1 && nw_submit_reply_decode(zmq_msg_data(&parts[0]),
						      zmq_msg_size(&parts[0]), r) == NW_OK;
	nw_zmq_close_parts(parts, n);
	return good ? REPLY_OK : REPLY_BAD;
}

/* Takes a reply meant for sub: true with res filled when it is the first
 * reply for its article; false for repeats and nonsense. */
static bool submission_take(struct submission *sub, const struct nw_submit_reply *r,
			    struct nw_submit_result *res)
{
	if (!sub->seen) {
		if (r->count == 0 || !(sub->seen = calloc(r->count, sizeof(bool))))
			return false;
		sub->count = r->count;
	}
	if (r->count != sub->count || r->index >= sub->count || sub->seen[r->index])
		return false;
	sub->seen[r->index] = true;
	sub->received++;
	*res = (struct nw_submit_result){ .index = r->index, .count = r->count, .ok = r->ok,
					  .dup = r->dup, .seq = r->seq };
	memcpy(res->id, r->id, sizeof(res->id));
	snprintf(res->code, sizeof(res->code), "%s", r->code);
	snprintf(res->error, sizeof(res->error), "%s", r->error);
	return true;
}

static bool submission_complete(const struct submission *sub)
{
	return sub->seen && sub->received == sub->count;
}

enum nw_err nw_producer_submit(nw_producer *p, const char *format, const char *source,
			       const void *data, size_t len, int timeout_ms,
			       void (*on_result)(void *arg, const struct nw_submit_result *r),
			       void *arg)
{
	struct submission sub = { .rid = ++p->next_rid };
	enum nw_err err = encode_submit(sub.rid, format, source, data, len, &p->req);
	if (err)
		return err;
	int64_t deadline = nw_mono_ms() + timeout_ms;
	/* a socket with no usable connection (ingestd down, or a CURVE
	 * handshake it refused) takes no message: wait for it, but only until
	 * the deadline */
	while (zmq_send(p->socket, p->req.data, p->req.len, ZMQ_DONTWAIT) < 0) {
		int64_t left = deadline - nw_mono_ms();
		zmq_pollitem_t item = { p->socket, 0, ZMQ_POLLOUT, 0 };
		if (zmq_errno() != EAGAIN)
			return NW_EIO;
		if (left <= 0 || zmq_poll(&item, 1, (long)left) < 0)
			return NW_ETIMEOUT;
	}
	while (!submission_complete(&sub)) {
		int64_t left = deadline - nw_mono_ms();
		zmq_pollitem_t item = { p->socket, 0, ZMQ_POLLIN, 0 };
		if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0) {
			err = NW_ETIMEOUT;
			break;
		}
		struct nw_submit_reply r;
		struct nw_submit_result res;
		/* a reply with another rid answers an earlier, timed-out request */
		if (read_reply(p->socket, &r) == REPLY_OK && r.rid == sub.rid &&
		    submission_take(&sub, &r, &res))
			on_result(arg, &res);
	}
	free(sub.seen);
	return err;
}

/* ---- the asynchronous producer (include/newswire/uv.h) ---- */

struct uv_submission {
	struct submission sub;
	struct uv_submission *next;          /* in pending, newest first */
	struct uv_submission *next_unsent;   /* in the unsent queue, oldest first */
	int64_t deadline;
	nw_buf unsent;            /* the request while the socket is full */
	void (*on_result)(void *arg, const struct nw_submit_result *r);
	void (*on_done)(void *arg, enum nw_err err);
	void *arg;
};

struct nw_uv_producer {
	uv_loop_t *loop;
	void *ctx;
	nw_zsock *zs;
	uv_timer_t timer;
	uint64_t next_rid;
	struct uv_submission *pending;
	size_t npending;
	struct uv_submission *unsent_head, *unsent_tail;
	bool closing;
	nw_buf req;
};

#define UV_PRODUCER_MAX_PENDING 100000

static void unsent_remove(nw_uv_producer *p, struct uv_submission *u)
{
	struct uv_submission *prev = NULL;
	for (struct uv_submission *q = p->unsent_head; q; prev = q, q = q->next_unsent) {
		if (q != u)
			continue;
		if (prev)
			prev->next_unsent = q->next_unsent;
		else
			p->unsent_head = q->next_unsent;
		if (p->unsent_tail == q)
			p->unsent_tail = prev;
		return;
	}
}

/* Unlinks *link from pending and reports its end. */
static void uv_submission_end(nw_uv_producer *p, struct uv_submission **link, enum nw_err err)
{
	struct uv_submission *u = *link;
	*link = u->next;
	p->npending--;
	if (u->unsent.len)
		unsent_remove(p, u);
	free(u->sub.seen);
	nw_buf_release(&u->unsent);
	u->on_done(u->arg, err);
	free(u);
}

static void uv_producer_read(nw_zsock *zs, void *socket, void *arg)
{
	nw_uv_producer *p = arg;
	struct nw_submit_reply r;
	enum reply_read got;
	for (int k = 0; k < DRAIN_RUN && !p->closing &&
			(got = read_reply(socket, &r)) != REPLY_NONE; k++) {
		if (got == REPLY_BAD)
			continue;
		struct uv_submission **link = &p->pending;
		while (*link && (*link)->sub.rid != r.rid)
			link = &(*link)->next;
		struct nw_submit_result res;
		if (!*link || !submission_take(&(*link)->sub, &r, &res))
			continue;   /* late (timed out) or repeated */
		(*link)->on_result((*link)->arg, &res);
		if (p->closing)
			return;   /* closed from the callback: everything has ended */
		if (submission_complete(&(*link)->sub))
			uv_submission_end(p, link, NW_OK);
	}
}

/* Sends the requests that wait for room, oldest first. */
static void uv_producer_write(nw_zsock *zs, void *socket, void *arg)
{
	nw_uv_producer *p = arg;
	while (p->unsent_head) {
		struct uv_submission *u = p->unsent_head;
		const void *data[1] = { u->unsent.data };
		size_t len[1] = { u->unsent.len };
		if (nw_zsock_send(zs, data, len, 1) != 0)
			return;   /* still full: on_write comes again */
		u->unsent.len = 0;
		p->unsent_head = u->next_unsent;
		if (!p->unsent_head)
			p->unsent_tail = NULL;
	}
	nw_zsock_want_write(zs, false);
}

static void uv_producer_tick(uv_timer_t *t)
{
	nw_uv_producer *p = t->data;
	int64_t now = nw_mono_ms();
	struct uv_submission **link = &p->pending;
	while (!p->closing && *link) {
		if ((*link)->deadline <= now)
			uv_submission_end(p, link, NW_ETIMEOUT);
		else
			link = &(*link)->next;
	}
}

nw_uv_producer *nw_uv_producer_new(uv_loop_t *loop, const char *endpoint, char *msg,
				   size_t msglen)
{
	nw_uv_producer *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	p->loop = loop;
	p->ctx = zmq_ctx_new();
	p->next_rid = (uint64_t)nw_mono_ms() << 16;
	void *socket = new_socket(p->ctx, ZMQ_DEALER, endpoint, msg, msglen);
	if (!socket || !(p->zs = nw_zsock_new(loop, socket, uv_producer_read,
					      uv_producer_write, p))) {
		if (socket) {
			snprintf(msg, msglen, "cannot poll the producer's socket");
			zmq_close(socket);
		}
		zmq_ctx_term(p->ctx);
		free(p);
		return NULL;
	}
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, uv_producer_tick, 50, 50);
	return p;
}

enum nw_err nw_uv_producer_submit(nw_uv_producer *p, const char *format, const char *source,
				  const void *data, size_t len, int timeout_ms,
				  void (*on_result)(void *arg, const struct nw_submit_result *r),
				  void (*on_done)(void *arg, enum nw_err err), void *arg)
{
	if (p->closing)
		return NW_ESTATE;
	if (p->npending >= UV_PRODUCER_MAX_PENDING)
		return NW_ELIMIT;
	struct uv_submission *u = calloc(1, sizeof(*u));
	if (!u)
		return NW_ENOMEM;
	u->sub.rid = ++p->next_rid;
	enum nw_err err = encode_submit(u->sub.rid, format, source, data, len, &p->req);
	if (err) {
		free(u);
		return err;
	}
	const void *frames[1] = { p->req.data };
	size_t lens[1] = { p->req.len };
	if (p->unsent_head || nw_zsock_send(p->zs, frames, lens, 1) != 0) {
		/* full (or others wait already): keep it, in order, for on_write */
		if ((!p->unsent_head && errno != EAGAIN) ||
		    nw_buf_append(&u->unsent, p->req.data, p->req.len) != NW_OK) {
			err = !p->unsent_head && errno != EAGAIN ? NW_EIO : NW_ENOMEM;
			nw_buf_release(&u->unsent);
			free(u);
			return err;
		}
		if (p->unsent_tail)
			p->unsent_tail->next_unsent = u;
		else
			p->unsent_head = u;
		p->unsent_tail = u;
		nw_zsock_want_write(p->zs, true);
	}
	u->deadline = nw_mono_ms() + timeout_ms;
	u->on_result = on_result;
	u->on_done = on_done;
	u->arg = arg;
	u->next = p->pending;
	p->pending = u;
	p->npending++;
	return NW_OK;
}

size_t nw_uv_producer_pending(const nw_uv_producer *p)
{
	return p->npending;
}

static void uv_producer_closed(uv_handle_t *h)
{
	nw_uv_producer *p = h->data;
	zmq_ctx_term(p->ctx);
	nw_buf_release(&p->req);
	free(p);
}

void nw_uv_producer_close(nw_uv_producer *p)
{
	if (!p || p->closing)
		return;
	p->closing = true;
	while (p->pending)
		uv_submission_end(p, &p->pending, NW_ESTATE);
	nw_zsock_close(p->zs);
	p->zs = NULL;
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, uv_producer_closed);
}

/* ---- checkpoint files ---- */

enum nw_err nw_checkpoint_file_load(void *arg, uint64_t *seq)
{
	const char *path = arg;
	char *data = NULL;
	size_t len = 0;
	enum nw_err err = nw_read_file(path, 64, &data, &len);
	if (err)
		return errno == ENOENT ? NW_ENOTFOUND : err;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(data, &end, 10);
	bool good = len > 0 && data[0] >= '0' && data[0] <= '9' && errno == 0 &&
		    (*end == '\0' || strcmp(end, "\n") == 0);
	free(data);
	if (!good)
		return NW_ESYNTAX;
	*seq = v;
	return NW_OK;
}

bool nw_checkpoint_file_save(void *arg, uint64_t seq)
{
	const char *path = arg;
	char tmp[4096], text[32];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return false;
	int n = snprintf(text, sizeof(text), "%llu\n", (unsigned long long)seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return false;
	bool ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return false;
	}
	/* the rename itself survives a crash once the directory is synced */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return true;
}

/* ---- subscriber ---- */

struct nw_subscriber {
	struct nw_subscriber_opts opts;
	char *publish, *replay_ep;
	void *ctx;
	void *sub, *replay;
	uint64_t next;            /* next seq to deliver; 0 = not known yet */
	uint64_t head;            /* the newest seq the server has told of */
	bool catching_up;         /* a replay request is outstanding */
	int64_t replay_sent_at;
	int64_t last_heard;
	uint64_t replays, reconnects;
	struct nw_checkpoint cp;  /* cp.save == NULL: none */
	uint64_t unsaved;         /* delivered since the last save */
	bool cp_failed;
	nw_buf req;
	/* set by the libuv adapter: its socket wrappers are closed before a
	 * reconnect and made again after it */
	void (*before_reconnect)(nw_subscriber *s, void *arg);
	void (*after_reconnect)(nw_subscriber *s, void *arg);
	void *hook_arg;
};

static enum nw_err connect_all(nw_subscriber *s)
{
	char msg[256];
	if (!(s->sub = new_socket(s->ctx, ZMQ_SUB, s->publish, msg, sizeof(msg))) ||
	    !(s->replay = new_socket(s->ctx, ZMQ_DEALER, s->replay_ep, msg, sizeof(msg))))
		return NW_EIO;
	zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, "article", 7);
	zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, "hb", 2);
	s->last_heard = nw_mono_ms();
	return NW_OK;
}

static void disconnect_all(nw_subscriber *s)
{
	if (s->sub)
		zmq_close(s->sub);
	if (s->replay)
		zmq_close(s->replay);
	s->sub = s->replay = NULL;
}

nw_subscriber *nw_subscriber_new(const struct nw_subscriber_opts *o, char *msg, size_t msglen)
{
	nw_subscriber *s = calloc(1, sizeof(*s));
	if (!s || !(s->publish = nw_strdup(o->publish)) || !(s->replay_ep = nw_strdup(o->replay))) {
		snprintf(msg, msglen, "out of memory");
		nw_subscriber_destroy(&s);
		return NULL;
	}
	s->opts = *o;
	if (!s->opts.heartbeat_timeout_ms)
		s->opts.heartbeat_timeout_ms = 3000;
	s->next = o->from;
	if (o->checkpoint) {
		s->cp = *o->checkpoint;
		s->opts.checkpoint = &s->cp;
		if (!s->cp.every)
			s->cp.every = 1000;
		uint64_t saved = 0;
		enum nw_err err = s->cp.load ? s->cp.load(s->cp.arg, &saved) : NW_ENOTFOUND;
		if (err == NW_OK) {
			s->next = saved + 1;
		} else if (err != NW_ENOTFOUND) {
			snprintf(msg, msglen, "cannot load the checkpoint: %s", nw_strerror(err));
			nw_subscriber_destroy(&s);
			return NULL;
		}
	}
	s->ctx = zmq_ctx_new();
	if (connect_all(s) != NW_OK) {
		snprintf(msg, msglen, "cannot connect to %s / %s", o->publish, o->replay);
		nw_subscriber_destroy(&s);
	}
	return s;
}

void nw_subscriber_destroy(nw_subscriber **sp)
{
	nw_subscriber *s = *sp;
	if (!s)
		return;
	disconnect_all(s);
	if (s->ctx)
		zmq_ctx_term(s->ctx);
	free(s->publish);
	free(s->replay_ep);
	nw_buf_release(&s->req);
	free(s);
	*sp = NULL;
}

uint64_t nw_subscriber_next_seq(const nw_subscriber *s)
{
	return s->next;
}

uint64_t nw_subscriber_head_seq(const nw_subscriber *s)
{
	return s->head;
}

void nw_subscriber_stats(const nw_subscriber *s, uint64_t *replays, uint64_t *reconnects)
{
	*replays = s->replays;
	*reconnects = s->reconnects;
}

static void request_replay(nw_subscriber *s)
{
	struct nw_replay_req r = { .from = s->next, .max = REPLAY_BATCH };
	s->req.len = 0;
	if (nw_replay_req_encode(&r, &s->req) == NW_OK &&
	    zmq_send(s->replay, s->req.data, s->req.len, ZMQ_DONTWAIT) >= 0) {
		s->catching_up = true;
		s->replay_sent_at = nw_mono_ms();
		s->replays++;
	}
}

/* Saves the place when articles were delivered since the last save.
 * False (and cp_failed) when the save failed. */
static bool save_checkpoint(nw_subscriber *s)
{
	if (!s->cp.save || s->unsaved == 0 || s->cp_failed)
		return !s->cp_failed;
	if (!s->cp.save(s->cp.arg, s->next - 1)) {
		s->cp_failed = true;
		return false;
	}
	s->unsaved = 0;
	return true;
}

/* Delivers an article frame pair if it is the next one. Returns false when
 * the handler asked to stop. Sets *gap when seq is ahead of next. */
static bool offer(nw_subscriber *s, const struct nw_subscriber_handler *h, zmq_msg_t *env_frame,
		  zmq_msg_t *art_frame, bool *gap)
{
	struct nw_envelope env;
	if (nw_envelope_decode(zmq_msg_data(env_frame), zmq_msg_size(env_frame), &env) != NW_OK)
		return true;   /* malformed: ignore, replay fills any hole */
	if (env.seq > s->head)
		s->head = env.seq;
	if (s->next == 0)
		s->next = env.seq;   /* "new only": start at the first one seen */
	if (env.seq < s->next)
		return true;   /* already delivered */
	if (env.seq > s->next) {
		*gap = true;
		return true;
	}
	s->next++;
	bool more = h->article(h->arg, env.seq, zmq_msg_data(art_frame), zmq_msg_size(art_frame));
	s->unsaved++;
	if (s->cp.save && s->unsaved >= s->cp.every && !save_checkpoint(s))
		return false;
	return more;
}

/* What handling one message came to. */
enum step { STEP_NONE, STEP_DONE, STEP_STOP };

/* Handles one live message, if one is waiting. */
static enum step on_live(nw_subscriber *s, const struct nw_subscriber_handler *h)
{
	zmq_msg_t parts[3];
	int n = nw_zmq_recv_parts(s->sub, parts, 3, ZMQ_DONTWAIT);
	if (n < 0)
		return STEP_NONE;
	s->last_heard = nw_mono_ms();
	bool keep = true, gap = false;
	if (n == 2 && frame_is(&parts[0], "hb")) {
		struct nw_envelope env;
		if (nw_envelope_decode(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &env) == NW_OK) {
			if (env.seq > s->head)
				s->head = env.seq;
			if (s->next == 0)
				s->next = env.seq + 1;
			else if (env.seq >= s->next)
				gap = true;   /* the publisher is ahead: we missed something */
		}
	} else if (n == 3 && frame_is(&parts[0], "article") && !s->catching_up) {
		keep = offer(s, h, &parts[1], &parts[2], &gap);
	}
	nw_zmq_close_parts(parts, n);
	if (gap && !s->catching_up)
		request_replay(s);
	return keep ? STEP_DONE : STEP_STOP;
}

/* Handles one replay reply, if one is waiting. */
static enum step on_replay(nw_subscriber *s, const struct nw_subscriber_handler *h)
{
	zmq_msg_t parts[3];
	int n = nw_zmq_recv_parts(s->replay, parts, 3, ZMQ_DONTWAIT);
	if (n < 0)
		return STEP_NONE;
	s->last_heard = nw_mono_ms();
	bool keep = true, gap = false;
	struct nw_range r;
	if (n == 3 && frame_is(&parts[0], "article")) {
		keep = offer(s, h, &parts[1], &parts[2], &gap);
	} else if (n == 2 && nw_range_decode(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &r) == NW_OK) {
		if (frame_is(&parts[0], "gap") && r.to >= s->next) {
			if (h->lost)
				h->lost(h->arg, s->next > r.from ? s->next : r.from, r.to);
			s->next = r.to + 1;
		} else if (frame_is(&parts[0], "end")) {
			s->catching_up = false;
			if (r.to > s->head)
				s->head = r.to;
			if (s->next == 0)
				s->next = r.to + 1;
			else if (r.to >= s->next)
				request_replay(s);   /* more than one batch behind */
		}
	}
	nw_zmq_close_parts(parts, n);
	if (gap) {
		/* replay skipped ahead of us (it should report a gap): ask again */
		s->catching_up = false;
		request_replay(s);
	}
	return keep ? STEP_DONE : STEP_STOP;
}

static void reconnect(nw_subscriber *s)
{
	if (s->before_reconnect)
		s->before_reconnect(s, s->hook_arg);
	disconnect_all(s);
	s->reconnects++;
	s->catching_up = false;
	if (connect_all(s) == NW_OK && s->next)
		request_replay(s);
	if (s->after_reconnect)
		s->after_reconnect(s, s->hook_arg);
}

/* Heartbeat silence means a dead connection; a replay unanswered for too
 * long was lost (ingestd restarted). */
static void check_timeouts(nw_subscriber *s)
{
	int64_t now = nw_mono_ms();
	if (now - s->last_heard > s->opts.heartbeat_timeout_ms)
		reconnect(s);
	else if (s->catching_up && now - s->replay_sent_at > REPLAY_TIMEOUT_MS)
		request_replay(s);
}

enum nw_err nw_subscriber_run(nw_subscriber *s, const struct nw_subscriber_handler *h,
			      volatile bool *stop)
{
	if (!s->sub)
		return NW_ESTATE;
	if (s->next)
		request_replay(s);   /* subscribed first, now fetch from the checkpoint */
	while (!(stop && *stop)) {
		zmq_pollitem_t items[2] = { { s->sub, 0, ZMQ_POLLIN, 0 },
					    { s->replay, 0, ZMQ_POLLIN, 0 } };
		if (zmq_poll(items, 2, 100) < 0) {
			if (errno == EINTR)
				continue;
			save_checkpoint(s);
			return NW_EIO;
		}
		/* take what is queued (a bounded run, so neither socket starves
		 * the other or the timeout check) before polling again */
		enum step st = STEP_DONE;
		for (int k = 0; k < DRAIN_RUN && (items[1].revents & ZMQ_POLLIN) &&
				(st = on_replay(s, h)) == STEP_DONE; k++)
			;
		if (st != STEP_STOP) {
			st = STEP_DONE;
			for (int k = 0; k < DRAIN_RUN && (items[0].revents & ZMQ_POLLIN) &&
					(st = on_live(s, h)) == STEP_DONE; k++)
				;
		}
		if (st == STEP_STOP)
			break;
		if (!save_checkpoint(s))   /* the end of a run */
			break;
		check_timeouts(s);
	}
	return save_checkpoint(s) ? NW_OK : NW_ECHECKPOINT;
}

/* ---- the libuv adapter (include/newswire/uv.h) ---- */

struct nw_uv_subscriber {
	uv_loop_t *loop;
	nw_subscriber *s;
	struct nw_subscriber_handler h;
	nw_zsock *live, *replay;
	uv_timer_t timer;
	bool stopped;
	bool paused;
};

/* Delivery ended by itself: the handler said stop, or a save failed. */
static void uv_stop_by_itself(struct nw_uv_subscriber *u)
{
	enum nw_err why = save_checkpoint(u->s) ? NW_OK : NW_ECHECKPOINT;
	if (u->h.stopped)
		u->h.stopped(u->h.arg, why);
	nw_uv_subscriber_stop(u);
}

static void uv_on_live(nw_zsock *zs, void *socket, void *arg)
{
	struct nw_uv_subscriber *u = arg;
	if (!u->stopped && on_live(u->s, &u->h) == STEP_STOP)
		uv_stop_by_itself(u);
}

static void uv_on_replay(nw_zsock *zs, void *socket, void *arg)
{
	struct nw_uv_subscriber *u = arg;
	if (!u->stopped && on_replay(u->s, &u->h) == STEP_STOP)
		uv_stop_by_itself(u);
}

/* The zsocks own the ZeroMQ sockets: closing them closes the sockets. */
static void uv_unwrap(nw_subscriber *s, void *arg)
{
	struct nw_uv_subscriber *u = arg;
	nw_zsock_close(u->live);
	nw_zsock_close(u->replay);
	u->live = u->replay = NULL;
	s->sub = s->replay = NULL;
}

static void uv_wrap(nw_subscriber *s, void *arg)
{
	struct nw_uv_subscriber *u = arg;
	if (s->sub)
		u->live = nw_zsock_new(u->loop, s->sub, uv_on_live, NULL, u);
	if (s->replay)
		u->replay = nw_zsock_new(u->loop, s->replay, uv_on_replay, NULL, u);
	if (u->paused) {
		if (u->live)
			nw_zsock_pause_reads(u->live, true);
		if (u->replay)
			nw_zsock_pause_reads(u->replay, true);
	}
}

static void uv_on_timer(uv_timer_t *t)
{
	struct nw_uv_subscriber *u = t->data;
	if (u->stopped)
		return;
	if (!save_checkpoint(u->s)) {   /* at most 100 ms after a run */
		uv_stop_by_itself(u);
		return;
	}
	if (u->paused)
		u->s->last_heard = nw_mono_ms();   /* silence is ours, not the server's */
	else
		check_timeouts(u->s);
}

nw_uv_subscriber *nw_uv_subscriber_start(uv_loop_t *loop, const struct nw_subscriber_opts *o,
					 const struct nw_subscriber_handler *h, char *msg,
					 size_t msglen)
{
	struct nw_uv_subscriber *u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	u->loop = loop;
	u->h = *h;
	if (!(u->s = nw_subscriber_new(o, msg, msglen))) {
		free(u);
		return NULL;
	}
	u->s->before_reconnect = uv_unwrap;
	u->s->after_reconnect = uv_wrap;
	u->s->hook_arg = u;
	uv_wrap(u->s, u);
	if (!u->live || !u->replay) {
		snprintf(msg, msglen, "cannot poll the subscriber's sockets");
		uv_unwrap(u->s, u);
		nw_subscriber_destroy(&u->s);
		free(u);
		return NULL;
	}
	uv_timer_init(loop, &u->timer);
	u->timer.data = u;
	uv_timer_start(&u->timer, uv_on_timer, 100, 100);
	if (u->s->next)
		request_replay(u->s);   /* subscribed first, now fetch from the checkpoint */
	return u;
}

void nw_uv_subscriber_pause(nw_uv_subscriber *u, bool paused)
{
	if (!u || u->stopped || u->paused == paused)
		return;
	u->paused = paused;
	if (u->live)
		nw_zsock_pause_reads(u->live, paused);
	if (u->replay)
		nw_zsock_pause_reads(u->replay, paused);
	if (!paused) {
		u->s->last_heard = nw_mono_ms();
		u->s->replay_sent_at = nw_mono_ms();   /* an answer may be waiting unread */
	}
}

uint64_t nw_uv_subscriber_next_seq(const nw_uv_subscriber *u)
{
	return u->s->next;
}

uint64_t nw_uv_subscriber_head_seq(const nw_uv_subscriber *u)
{
	return u->s->head;
}

static void uv_timer_closed(uv_handle_t *h)
{
	struct nw_uv_subscriber *u = h->data;
	nw_subscriber_destroy(&u->s);
	free(u);
}

void nw_uv_subscriber_stop(nw_uv_subscriber *u)
{
	if (!u || u->stopped)
		return;
	save_checkpoint(u->s);
	u->stopped = true;
	uv_unwrap(u->s, u);
	uv_timer_stop(&u->timer);
	uv_close((uv_handle_t *)&u->timer, uv_timer_closed);
}
