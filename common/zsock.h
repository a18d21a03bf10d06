/* ZeroMQ sockets driven by a libuv loop.
 *
 * ZMQ_FD is edge-triggered: it signals that ZMQ_EVENTS changed, not that a
 * message is waiting, and a zmq_send() can consume the edge of a message
 * that arrived meanwhile. So a zsock polls ZMQ_FD for readability only,
 * re-reads ZMQ_EVENTS before every time the loop blocks (a prepare handle,
 * which also catches sends made in timers or other sockets' callbacks), and
 * keeps the loop from blocking (an idle handle) while input is left that a
 * bounded batch did not read. Every daemon and libnewswire use this module
 * for every socket. */
#ifndef NW_ZSOCK_H
#define NW_ZSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include <zmq.h>

#include "common/util.h"

typedef struct nw_zsock nw_zsock;

/* Called while the socket has input (ZMQ_POLLIN). It should receive what
 * it can without blocking (ZMQ_DONTWAIT); whatever it leaves is offered
 * again before the loop blocks. */
typedef void (*nw_zsock_read_cb)(nw_zsock *zs, void *socket, void *arg);
/* Called when the socket can send again after nw_zsock_want_write(). */
typedef void (*nw_zsock_write_cb)(nw_zsock *zs, void *socket, void *arg);

/* Wraps a ZeroMQ socket, taking ownership of it (it is closed by
 * nw_zsock_close). NULL on failure, the socket then still the caller's. */
nw_zsock *nw_zsock_new(uv_loop_t *loop, void *socket, nw_zsock_read_cb on_read,
		       nw_zsock_write_cb on_write, void *arg);

/* Asks for on_write once the socket accepts sends (after an EAGAIN). */
void nw_zsock_want_write(nw_zsock *zs, bool want);

/* Stops polling, closes the ZeroMQ socket now, and frees the wrapper once
 * libuv has released its handles. Safe inside the zsock's own callbacks;
 * no callback runs after it. NULL-safe. */
void nw_zsock_close(nw_zsock *zs);

/* Stops (or resumes) calling on_read: input then waits in the socket and
 * its high-water mark applies upstream. Sending is not affected. */
void nw_zsock_pause_reads(nw_zsock *zs, bool paused);

void *nw_zsock_socket(const nw_zsock *zs);

/* Sends a multipart message without blocking: n frames of (data, len).
 * Returns 0, or -1 with errno (EAGAIN at the high-water mark: nothing was
 * sent; EHOSTUNREACH for an unknown ROUTER peer with ZMQ_ROUTER_MANDATORY). */
int nw_zsock_send(nw_zsock *zs, const void *const *data, const size_t *len, size_t n);

/* Reads ZMQ_EVENTS now and dispatches what is due (used after sends made
 * outside any loop callback, and by tests). */
void nw_zsock_kick(nw_zsock *zs);

/* Receives all frames of one message into parts (up to max); returns the
 * number kept, or -1 (EAGAIN or error; nothing is kept). Frames beyond max
 * are received and dropped. flags apply to the first frame. */
int nw_zmq_recv_parts(void *socket, zmq_msg_t *parts, int max, int flags);
void nw_zmq_close_parts(zmq_msg_t *parts, int n);

/* A peer of a ROUTER socket: its identity, and whether it is a REQ socket
 * (which wants an empty delimiter frame before the body). */
struct nw_peer {
	unsigned char identity[255];
	size_t idlen;
	bool delim;
};

/* Receives one request on a ROUTER socket without blocking: [identity]
 * [(empty delimiter)][body]. False when nothing was waiting, or for junk
 * (more frames, a body over max), which is consumed and dropped. */
bool nw_zsock_recv_request(void *socket, struct nw_peer *from, nw_buf *body, size_t max);

/* Sends [identity][(delimiter)][frames...] (at most 4 frames) to a ROUTER
 * peer; as nw_zsock_send. */
int nw_zsock_send_to(nw_zsock *zs, const struct nw_peer *to, const void *const *data,
		     const size_t *len, size_t n);

/* Connection events of a server socket (zmq_socket_monitor on an inproc
 * PAIR read on the loop), counted for metrics: peers accepted and gone, and
 * those dropped by a limit ZeroMQ enforces itself (a handshake not done in
 * time or malformed, a message over ZMQ_MAXMSGSIZE: both end as a
 * disconnect; a failed handshake is also counted apart). */
typedef struct nw_zmon nw_zmon;
nw_zmon *nw_zmon_start(uv_loop_t *loop, void *zctx, void *socket, const char *name);
/* Stops monitoring; call before closing the monitored socket. */
void nw_zmon_close(nw_zmon **m, void *socket);
/* Appends newswire_zmq_* metrics for the monitors, labelled socket="name"
 * (NULL entries skipped). */
void nw_zmon_metrics(nw_buf *b, nw_zmon *const *mons, size_t n);

#endif
