/* ZeroMQ on libuv: a poll handle on ZMQ_FD, a prepare handle that re-reads
 * ZMQ_EVENTS before the loop blocks, and an idle handle that keeps the
 * loop turning while input is pending. */
#include "common/zsock.h"

#include "common/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Read callbacks per wake-up before yielding to other handles. */
#define MAX_READS_PER_TURN 64

struct nw_zsock {
	uv_poll_t poll;
	uv_prepare_t prepare;
	uv_idle_t idle;
	void *socket;
	nw_zsock_read_cb on_read;
	nw_zsock_write_cb on_write;
	void *arg;
	bool want_write;
	bool reads_paused;
	bool closing;
	bool in_dispatch;
	int handles_open;
};

static int events_of(nw_zsock *zs)
{
	int events = 0;
	size_t len = sizeof(events);
	if (zmq_getsockopt(zs->socket, ZMQ_EVENTS, &events, &len) != 0)
		return 0;
	return events;
}

static void on_idle(uv_idle_t *h);

/* Serves what ZMQ_EVENTS reports, up to a bound, then arranges to be
 * called again before the loop blocks if anything is left. */
static void dispatch(nw_zsock *zs)
{
	if (zs->closing || zs->in_dispatch)
		return;
	zs->in_dispatch = true;
	int events = events_of(zs);
	for (int i = 0; i < MAX_READS_PER_TURN && !zs->closing; i++) {
		if (zs->want_write && (events & ZMQ_POLLOUT)) {
			zs->want_write = false;
			zs->on_write(zs, zs->socket, zs->arg);
			if (zs->closing)
				break;
			events = events_of(zs);
		}
		if (!(events & ZMQ_POLLIN) || zs->reads_paused)
			break;
		zs->on_read(zs, zs->socket, zs->arg);
		if (zs->closing)
			break;
		events = events_of(zs);   /* a receive or a send may change it */
	}
	zs->in_dispatch = false;
	if (zs->closing)
		return;
	bool pending = ((events & ZMQ_POLLIN) && !zs->reads_paused) ||
		       (zs->want_write && (events & ZMQ_POLLOUT));
	if (pending)
		uv_idle_start(&zs->idle, on_idle);   /* do not block: input is waiting */
	else
		uv_idle_stop(&zs->idle);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	dispatch(h->data);
}

static void on_prepare(uv_prepare_t *h)
{
	dispatch(h->data);
}

static void on_idle(uv_idle_t *h)
{
	dispatch(h->data);
}

static void on_handle_closed(uv_handle_t *h)
{
	nw_zsock *zs = h->data;
	if (--zs->handles_open == 0)
		free(zs);
}

nw_zsock *nw_zsock_new(uv_loop_t *loop, void *socket, nw_zsock_read_cb on_read,
		       nw_zsock_write_cb on_write, void *arg)
{
	int fd;
	size_t len = sizeof(fd);
	if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0)
		return NULL;
	nw_zsock *zs = calloc(1, sizeof(*zs));
	if (!zs)
		return NULL;
	zs->socket = socket;
	zs->on_read = on_read;
	zs->on_write = on_write;
	zs->arg = arg;
	if (uv_poll_init(loop, &zs->poll, fd) != 0) {
		free(zs);
		return NULL;
	}
	uv_prepare_init(loop, &zs->prepare);
	uv_idle_init(loop, &zs->idle);
	zs->poll.data = zs->prepare.data = zs->idle.data = zs;
	zs->handles_open = 3;
	uv_poll_start(&zs->poll, UV_READABLE, on_poll);
	uv_prepare_start(&zs->prepare, on_prepare);
	/* the prepare handle must not keep the loop alive on its own */
	uv_unref((uv_handle_t *)&zs->prepare);
	return zs;
}

void nw_zsock_want_write(nw_zsock *zs, bool want)
{
	/* ZMQ_FD also signals when POLLOUT comes back, and the prepare handle
	 * re-reads ZMQ_EVENTS before every block: no busy waiting needed */
	zs->want_write = want && zs->on_write;
}

void nw_zsock_close(nw_zsock *zs)
{
	if (!zs || zs->closing)
		return;
	zs->closing = true;
	uv_poll_stop(&zs->poll);   /* before the socket (and its fd) goes */
	zmq_close(zs->socket);
	zs->socket = NULL;
	uv_close((uv_handle_t *)&zs->poll, on_handle_closed);
	uv_close((uv_handle_t *)&zs->prepare, on_handle_closed);
	uv_close((uv_handle_t *)&zs->idle, on_handle_closed);
}

void nw_zsock_pause_reads(nw_zsock *zs, bool paused)
{
	if (zs->closing || zs->reads_paused == paused)
		return;
	zs->reads_paused = paused;
	if (!paused)
		uv_idle_start(&zs->idle, on_idle);   /* serve what waited, soon */
}

void *nw_zsock_socket(const nw_zsock *zs)
{
	return zs->socket;
}

int nw_zsock_send(nw_zsock *zs, const void *const *data, const size_t *len, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
		if (zmq_send(zs->socket, data[i], len[i], flags) < 0) {
			/* only the first frame can fail with EAGAIN: once it is
			 * queued the rest of a multipart message is accepted */
			return -1;
		}
	}
	return 0;
}

void nw_zsock_kick(nw_zsock *zs)
{
	dispatch(zs);
}

int nw_zmq_recv_parts(void *socket, zmq_msg_t *parts, int max, int flags)
{
	int n = 0;
	bool more = true;
	while (more) {
		zmq_msg_t part;
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, socket, n ? 0 : flags) < 0) {
			zmq_msg_close(&part);
			nw_zmq_close_parts(parts, n < max ? n : max);
			return -1;
		}
		more = zmq_msg_more(&part);
		if (n < max)
			parts[n] = part;
		else
			zmq_msg_close(&part);
		n++;
	}
	return n < max ? n : max;
}

void nw_zmq_close_parts(zmq_msg_t *parts, int n)
{
	for (int i = 0; i < n; i++)
		zmq_msg_close(&parts[i]);
}

bool nw_zsock_recv_request(void *socket, struct nw_peer *from, nw_buf *body, size_t max)
{
	zmq_msg_t part;
	int nparts = 0;
	bool more = true, ok = true;
	body->len = 0;
	from->delim = false;
	while (more) {
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, socket, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&part);
			return false;
		}
		more = zmq_msg_more(&part);
		size_t n = zmq_msg_size(&part);
		if (nparts == 0) {
			from->idlen = n < sizeof(from->identity) ? n : sizeof(from->identity);
			memcpy(from->identity, zmq_msg_data(&part), from->idlen);
		} else if (nparts == 1 && n == 0 && more) {
			from->delim = true;
		} else if (body->len == 0 && n <= max) {
			ok = nw_buf_append(body, zmq_msg_data(&part), n) == NW_OK;
		} else {
			ok = false;   /* extra or oversized frames */
		}
		zmq_msg_close(&part);
		nparts++;
	}
	return ok && nparts >= 2;
}

int nw_zsock_send_to(nw_zsock *zs, const struct nw_peer *to, const void *const *data,
		     const size_t *len, size_t n)
{
	const void *all[6];
	size_t lens[6], k = 0;
	all[k] = to->identity;
	lens[k++] = to->idlen;
	if (to->delim) {
		all[k] = "";
		lens[k++] = 0;
	}
	for (size_t i = 0; i < n && k < 6; i++) {
		all[k] = data[i];
		lens[k++] = len[i];
	}
	return nw_zsock_send(zs, all, lens, k);
}

/* ---- connection monitors ---- */

struct nw_zmon {
	nw_zsock *pair;
	const char *name;
	uint64_t accepted, disconnected, handshake_failed, accept_failed;
};

static void on_monitor(nw_zsock *zs, void *socket, void *arg)
{
	(void)zs;
	nw_zmon *m = arg;
	zmq_msg_t parts[2];
	int n;
	while ((n = nw_zmq_recv_parts(socket, parts, 2, ZMQ_DONTWAIT)) > 0) {
		if (zmq_msg_size(&parts[0]) >= 6) {
			uint16_t event;
			memcpy(&event, zmq_msg_data(&parts[0]), sizeof(event));
			switch (event) {
			case ZMQ_EVENT_ACCEPTED: m->accepted++; break;
			case ZMQ_EVENT_DISCONNECTED: m->disconnected++; break;
			case ZMQ_EVENT_ACCEPT_FAILED: m->accept_failed++; break;
			case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
			case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
			case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: m->handshake_failed++; break;
			default: break;
			}
		}
		nw_zmq_close_parts(parts, n);
	}
}

nw_zmon *nw_zmon_start(uv_loop_t *loop, void *zctx, void *socket, const char *name)
{
	static unsigned next;
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "inproc://nw-monitor-%u", next++);
	nw_zmon *m = calloc(1, sizeof(*m));
	void *pair = NULL;
	if (!m || zmq_socket_monitor(socket, endpoint, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
				     ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
				     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
		goto fail;
	int linger = 0;
	if (!(pair = zmq_socket(zctx, ZMQ_PAIR)))
		goto fail;
	zmq_setsockopt(pair, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(pair, endpoint) != 0 ||
	    !(m->pair = nw_zsock_new(loop, pair, on_monitor, NULL, m)))
		goto fail;
	m->name = name;
	return m;
fail:
	if (pair)
		zmq_close(pair);
	zmq_socket_monitor(socket, NULL, 0);
	free(m);
	return NULL;
}

void nw_zmon_close(nw_zmon **mp, void *socket)
{
	nw_zmon *m = *mp;
	if (!m)
		return;
	if (socket)
		zmq_socket_monitor(socket, NULL, 0);
	nw_zsock_close(m->pair);
	free(m);
	*mp = NULL;
}

void nw_zmon_metrics(nw_buf *b, nw_zmon *const *mons, size_t n)
{
	static const struct {
		const char *name, *type, *help;
	} k[] = {
		{ "newswire_zmq_connections", "gauge", "Peers connected to a ZeroMQ server socket." },
		{ "newswire_zmq_accepted_total", "counter", "Connections accepted." },
		{ "newswire_zmq_disconnects_total", "counter",
		  "Connections gone: closed by the peer, or dropped for a failed or late handshake "
		  "or a message over the size limit." },
		{ "newswire_zmq_handshake_failures_total", "counter",
		  "Connections dropped because the ZMTP/CURVE handshake failed or took too long." },
		{ "newswire_zmq_accept_failures_total", "counter",
		  "Connections that could not be accepted (out of descriptors)." },
	};
	for (size_t i = 0; i < NW_ARRAY_LEN(k); i++) {
		nw_metric_head(b, k[i].name, k[i].type, k[i].help);
		for (size_t j = 0; j < n; j++) {
			const nw_zmon *m = mons[j];
			if (!m)
				continue;
			uint64_t v = i == 0 ? (m->accepted > m->disconnected ? m->accepted - m->disconnected : 0)
				   : i == 1 ? m->accepted : i == 2 ? m->disconnected
				   : i == 3 ? m->handshake_failed : m->accept_failed;
			nw_buf_printf(b, "%s{socket=\"%s\"} %llu\n", k[i].name, m->name,
				      (unsigned long long)v);
		}
	}
}
