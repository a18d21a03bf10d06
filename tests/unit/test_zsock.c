/* ZeroMQ on libuv: bursts, sends interleaved with receives (the edge a
 * send consumes), many sockets on one loop, close with events pending,
 * write readiness after the high-water mark. A lost wake-up shows as a
 * hang, which the watchdog turns into a failure. */
#include "tests/unit/testutil.h"

#include <pthread.h>
#include <uv.h>
#include <zmq.h>

#include "common/zsock.h"

static void *ctx;

static void on_watchdog(uv_timer_t *t)
{
	fail_msg("watchdog: the loop stopped making progress (lost wake-up?)");
}

/* Runs the loop until no handle is left, with a watchdog. */
static void run_loop(uv_loop_t *loop)
{
	uv_timer_t dog;
	uv_timer_init(loop, &dog);
	uv_timer_start(&dog, on_watchdog, 10000, 0);
	uv_unref((uv_handle_t *)&dog);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&dog, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
}

static void *socket_bound(int type, char *endpoint, size_t n)
{
	void *s = zmq_socket(ctx, type);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	size_t len = n;
	zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len);
	return s;
}

/* Senders linger until their queued messages are delivered: closing with
 * linger 0 would drop what is still queued, before the connection is even
 * established. */
static void *socket_connected(int type, const char *endpoint)
{
	void *s = zmq_socket(ctx, type);
	int linger = type == ZMQ_PUSH ? 10000 : 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	assert_int_equal(zmq_connect(s, endpoint), 0);
	return s;
}

/* ---- a burst read one message per callback ---- */

struct counter {
	int want, got;
	bool in_order;
};

static void read_one(nw_zsock *zs, void *socket, void *arg)
{
	struct counter *c = arg;
	int n;
	if (zmq_recv(socket, &n, sizeof(n), ZMQ_DONTWAIT) != sizeof(n))
		return;
	if (n != c->got)
		c->in_order = false;
	if (++c->got == c->want)
		nw_zsock_close(zs);
}

struct sender {
	const char *endpoint;
	int type, count;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	void *sock = socket_connected(s->type, s->endpoint);
	for (int i = 0; i < s->count; i++)
		assert_true(zmq_send(sock, &i, sizeof(i), 0) == sizeof(i));
	zmq_close(sock);
	return NULL;
}

static void burst(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	char ep[64];
	void *pull = socket_bound(ZMQ_PULL, ep, sizeof(ep));
	struct counter c = { 20000, 0, true };
	assert_non_null(nw_zsock_new(&loop, pull, read_one, NULL, &c));
	struct sender s = { ep, ZMQ_PUSH, 20000 };
	pthread_t t;
	pthread_create(&t, NULL, send_thread, &s);
	run_loop(&loop);
	pthread_join(t, NULL);
	assert_int_equal(c.got, 20000);
	assert_true(c.in_order);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- request/reply where every send happens inside a callback ---- */

struct echo {
	nw_zsock *server, *client;
	int round_trips, want;
	uv_timer_t timer;   /* every 100th request is sent from a timer */
};

static void server_read(nw_zsock *zs, void *socket, void *arg)
{
	char id[256], body[64];
	int idn = zmq_recv(socket, id, sizeof(id), ZMQ_DONTWAIT);
	if (idn < 0)
		return;
	int n = zmq_recv(socket, body, sizeof(body), ZMQ_DONTWAIT);
	assert_true(n > 0);
	const void *data[2] = { id, body };
	size_t len[2] = { (size_t)idn, (size_t)n };
	assert_int_equal(nw_zsock_send(zs, data, len, 2), 0);   /* send inside recv */
}

static void client_send(struct echo *e)
{
	int n = e->round_trips;
	const void *data[1] = { &n };
	size_t len[1] = { sizeof(n) };
	assert_int_equal(nw_zsock_send(e->client, data, len, 1), 0);
}

static void on_echo_timer(uv_timer_t *t)
{
	client_send(t->data);
}

static void client_read(nw_zsock *zs, void *socket, void *arg)
{
	struct echo *e = arg;
	int n;
	if (zmq_recv(socket, &n, sizeof(n), ZMQ_DONTWAIT) != sizeof(n))
		return;
	assert_int_equal(n, e->round_trips);
	if (++e->round_trips == e->want) {
		nw_zsock_close(e->client);
		nw_zsock_close(e->server);
		uv_close((uv_handle_t *)&e->timer, NULL);
		return;
	}
	if (e->round_trips % 100 == 0)
		uv_timer_start(&e->timer, on_echo_timer, 0, 0);
	else
		client_send(e);
}

static void echo_round_trips(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	char ep[64];
	struct echo e = { .want = 5000 };
	e.server = nw_zsock_new(&loop, socket_bound(ZMQ_ROUTER, ep, sizeof(ep)), server_read, NULL, &e);
	e.client = nw_zsock_new(&loop, socket_connected(ZMQ_DEALER, ep), client_read, NULL, &e);
	assert_non_null(e.server);
	assert_non_null(e.client);
	uv_timer_init(&loop, &e.timer);
	e.timer.data = &e;
	uv_timer_start(&e.timer, on_echo_timer, 1, 0);   /* the first send: from a timer */
	run_loop(&loop);
	assert_int_equal(e.round_trips, 5000);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- a burst arriving while the same socket sends ---- */

struct duplex {
	nw_zsock *zs;
	int received, sent, want;
	uv_timer_t timer;
};

static void duplex_read(nw_zsock *zs, void *socket, void *arg)
{
	struct duplex *d = arg;
	int n;
	while (zmq_recv(socket, &n, sizeof(n), ZMQ_DONTWAIT) == sizeof(n)) {
		assert_int_equal(n, d->received);
		d->received++;
		/* answer every tenth message on the same socket */
		if (n % 10 == 0 && d->sent < d->want) {
			const void *data[1] = { &d->sent };
			size_t len[1] = { sizeof(int) };
			if (nw_zsock_send(zs, data, len, 1) == 0)
				d->sent++;
		}
	}
	if (d->received == d->want && d->sent == d->want) {
		nw_zsock_close(zs);
		uv_close((uv_handle_t *)&d->timer, NULL);
	}
}

static void duplex_timer(uv_timer_t *t)
{
	struct duplex *d = t->data;
	for (int i = 0; i < 50 && d->sent < d->want; i++) {
		const void *data[1] = { &d->sent };
		size_t len[1] = { sizeof(int) };
		if (nw_zsock_send(d->zs, data, len, 1) != 0)
			break;
		d->sent++;
	}
	if (d->received == d->want && d->sent == d->want) {
		nw_zsock_close(d->zs);
		uv_close((uv_handle_t *)t, NULL);
	}
}

struct peer {
	const char *endpoint;
	int count, got;
};

static void *duplex_peer(void *arg)
{
	struct peer *p = arg;
	void *sock = socket_connected(ZMQ_DEALER, p->endpoint);
	int i = 0, n;
	while (i < p->count || p->got < p->count) {
		if (i < p->count && zmq_send(sock, &i, sizeof(i), ZMQ_DONTWAIT) == sizeof(i))
			i++;
		while (zmq_recv(sock, &n, sizeof(n), ZMQ_DONTWAIT) == sizeof(n))
			p->got++;
		if (i >= p->count && p->got < p->count) {
			zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
			zmq_poll(&item, 1, 100);
		}
	}
	zmq_close(sock);
	return NULL;
}

static void burst_during_send(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	char ep[64];
	struct duplex d = { .want = 20000 };
	d.zs = nw_zsock_new(&loop, socket_bound(ZMQ_DEALER, ep, sizeof(ep)), duplex_read, NULL, &d);
	uv_timer_init(&loop, &d.timer);
	d.timer.data = &d;
	uv_timer_start(&d.timer, duplex_timer, 0, 1);
	struct peer p = { ep, 20000, 0 };
	pthread_t t;
	pthread_create(&t, NULL, duplex_peer, &p);
	run_loop(&loop);
	pthread_join(t, NULL);
	assert_int_equal(d.received, 20000);
	assert_int_equal(p.got, 20000);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- many sockets on one loop ---- */

#define NSOCK 64
#define PER_SOCK 300

static void *many_senders(void *arg)
{
	char (*eps)[64] = arg;
	void *socks[NSOCK];
	for (int i = 0; i < NSOCK; i++)
		socks[i] = socket_connected(ZMQ_PUSH, eps[i]);
	for (int k = 0; k < PER_SOCK; k++)
		for (int i = 0; i < NSOCK; i++)
			assert_true(zmq_send(socks[i], &k, sizeof(k), 0) == sizeof(k));
	for (int i = 0; i < NSOCK; i++)
		zmq_close(socks[i]);
	return NULL;
}

static void many_sockets(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	static char eps[NSOCK][64];
	struct counter c[NSOCK];
	for (int i = 0; i < NSOCK; i++) {
		c[i] = (struct counter){ PER_SOCK, 0, true };
		assert_non_null(nw_zsock_new(&loop, socket_bound(ZMQ_PULL, eps[i], 64), read_one, NULL, &c[i]));
	}
	pthread_t t;
	pthread_create(&t, NULL, many_senders, eps);
	run_loop(&loop);
	pthread_join(t, NULL);
	for (int i = 0; i < NSOCK; i++) {
		assert_int_equal(c[i].got, PER_SOCK);
		assert_true(c[i].in_order);
	}
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- close while events are pending ---- */

static void close_on_first(nw_zsock *zs, void *socket, void *arg)
{
	int *calls = arg;
	(*calls)++;
	nw_zsock_close(zs);   /* 99 messages still queued */
	nw_zsock_close(zs);   /* twice is harmless */
}

static void close_with_pending(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	char ep[64];
	void *pull = socket_bound(ZMQ_PULL, ep, sizeof(ep));
	void *push = socket_connected(ZMQ_PUSH, ep);
	for (int i = 0; i < 100; i++)
		zmq_send(push, &i, sizeof(i), 0);
	int calls = 0;
	assert_non_null(nw_zsock_new(&loop, pull, close_on_first, NULL, &calls));
	run_loop(&loop);
	assert_int_equal(calls, 1);
	zmq_close(push);
	assert_int_equal(uv_loop_close(&loop), 0);
	nw_zsock_close(NULL);
}

/* ---- write readiness after the high-water mark ---- */

struct writer {
	nw_zsock *zs;
	int sent, want, eagain, writable_calls;
};

static void fill(struct writer *w)
{
	while (w->sent < w->want) {
		const void *data[1] = { &w->sent };
		size_t len[1] = { sizeof(int) };
		if (nw_zsock_send(w->zs, data, len, 1) != 0) {
			assert_int_equal(errno, EAGAIN);
			w->eagain++;
			nw_zsock_want_write(w->zs, true);
			return;
		}
		w->sent++;
	}
	nw_zsock_close(w->zs);
}

static void on_writable(nw_zsock *zs, void *socket, void *arg)
{
	struct writer *w = arg;
	w->writable_calls++;
	fill(w);
}

static void no_read(nw_zsock *zs, void *socket, void *arg)
{
}

static void *slow_reader(void *arg)
{
	struct peer *p = arg;
	void *sock = socket_connected(ZMQ_PULL, p->endpoint);
	int rcvhwm = 10;
	zmq_setsockopt(sock, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
	int n;
	while (p->got < p->count && zmq_recv(sock, &n, sizeof(n), 0) == sizeof(n)) {
		assert_int_equal(n, p->got);
		p->got++;
		if (p->got % 1000 == 0)
			usleep(2000);   /* fall behind so the sender hits its HWM */
	}
	zmq_close(sock);
	return NULL;
}

static void write_readiness(void **state)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	char ep[64];
	void *push = socket_bound(ZMQ_PUSH, ep, sizeof(ep));
	int sndhwm = 10;
	zmq_setsockopt(push, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm));
	struct writer w = { .want = 50000 };
	struct peer p = { ep, 50000, 0 };
	pthread_t t;
	pthread_create(&t, NULL, slow_reader, &p);
	w.zs = nw_zsock_new(&loop, push, no_read, on_writable, &w);
	fill(&w);
	run_loop(&loop);
	pthread_join(t, NULL);
	assert_int_equal(w.sent, 50000);
	assert_int_equal(p.got, 50000);
	assert_true(w.eagain > 0);
	assert_int_equal(w.writable_calls, w.eagain);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the edge a send consumes ----
 * In one timer callback a peer sends to us over inproc (which signals our
 * ZMQ_FD), then we send: our zmq_send processes the pending command and
 * drains the fd, so the poll that follows never fires. Only re-reading
 * ZMQ_EVENTS before the loop blocks finds the message. */

struct edge {
	void *peer;
	nw_zsock *zs;
	int got;
	uv_timer_t timer;
};

static void edge_read(nw_zsock *zs, void *socket, void *arg)
{
	struct edge *e = arg;
	char buf[16];
	if (zmq_recv(socket, buf, sizeof(buf), ZMQ_DONTWAIT) == 4) {
		e->got++;
		nw_zsock_close(zs);
		uv_close((uv_handle_t *)&e->timer, NULL);
	}
}

static void edge_timer(uv_timer_t *t)
{
	struct edge *e = t->data;
	assert_int_equal(zmq_send(e->peer, "ping", 4, 0), 4);
	const void *data[1] = { "pong" };
	size_t len[1] = { 4 };
	assert_int_equal(nw_zsock_send(e->zs, data, len, 1), 0);
}

static void send_consumes_edge(void **state)
{
	for (int round = 0; round < 20; round++) {
		uv_loop_t loop;
		uv_loop_init(&loop);
		char ep[64];
		snprintf(ep, sizeof(ep), "inproc://edge-%d", round);
		void *ours = zmq_socket(ctx, ZMQ_DEALER);
		assert_int_equal(zmq_bind(ours, ep), 0);
		struct edge e = { .peer = zmq_socket(ctx, ZMQ_DEALER) };
		assert_int_equal(zmq_connect(e.peer, ep), 0);
		e.zs = nw_zsock_new(&loop, ours, edge_read, NULL, &e);
		uv_timer_init(&loop, &e.timer);
		e.timer.data = &e;
		uv_timer_start(&e.timer, edge_timer, 5, 0);
		run_loop(&loop);
		assert_int_equal(e.got, 1);
		int linger = 0;
		zmq_setsockopt(e.peer, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(e.peer);
		assert_int_equal(uv_loop_close(&loop), 0);
	}
}

static int group_setup(void **state)
{
	ctx = zmq_ctx_new();
	return ctx ? 0 : -1;
}

static int group_teardown(void **state)
{
	return zmq_ctx_term(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(send_consumes_edge),
		cmocka_unit_test(burst),
		cmocka_unit_test(echo_round_trips),
		cmocka_unit_test(burst_during_send),
		cmocka_unit_test(many_sockets),
		cmocka_unit_test(close_with_pending),
		cmocka_unit_test(write_readiness),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
