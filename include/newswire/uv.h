/* libnewswire on the caller's libuv loop: a subscriber and a producer
 * whose sockets and timers live on a loop the application owns and runs. The library never
 * runs or stops that loop; every callback comes from it. */
#ifndef NEWSWIRE_UV_H
#define NEWSWIRE_UV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include <newswire/client.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nw_uv_subscriber nw_uv_subscriber;

/* Subscribes on loop with the same contract as nw_subscriber_run(): each
 * article once, in seq order, from o->from on; handler->article returning
 * false stops it (as nw_uv_subscriber_stop does). NULL with msg filled on
 * failure. */
nw_uv_subscriber *nw_uv_subscriber_start(uv_loop_t *loop, const struct nw_subscriber_opts *o,
					 const struct nw_subscriber_handler *h, char *msg,
					 size_t msglen);

/* The next seq to be delivered (save this minus one as the checkpoint). */
uint64_t nw_uv_subscriber_next_seq(const nw_uv_subscriber *u);

/* The newest seq ingestd has announced (articles, heartbeats, replay
 * ends); head minus next plus one is how far behind delivery is. */
uint64_t nw_uv_subscriber_head_seq(const nw_uv_subscriber *u);

/* Stops (or resumes) delivery for flow control, e.g. while the program's
 * own queue is full: messages wait in the sockets, then the publisher
 * drops what does not fit (counted) and the subscriber repairs the gap by
 * replay after resuming. No reconnect happens while paused. */
void nw_uv_subscriber_pause(nw_uv_subscriber *u, bool paused);

/* Stops delivery at once and releases everything once the loop has closed
 * the handles (the loop must run for that). Safe inside the handler. */
void nw_uv_subscriber_stop(nw_uv_subscriber *u);

/* ---- the asynchronous producer ---- */

typedef struct nw_uv_producer nw_uv_producer;

/* A producer whose socket lives on loop. NULL with msg filled on failure. */
nw_uv_producer *nw_uv_producer_new(uv_loop_t *loop, const char *endpoint, char *msg,
				   size_t msglen);

/* Sends raw input (format NULL = detect) and returns at once. From the
 * loop, on_result is then called for each article's reply (the ack, sent
 * once the article is durable, or a rejection) and on_done once at the
 * end: NW_OK when every reply arrived, NW_ETIMEOUT when some did not
 * within timeout_ms (submitting again is safe: duplicates are recognised
 * by content), NW_ESTATE when the producer was closed first. Returns
 * NW_OK, or an error with no callback to come (NW_EFORMAT, NW_ELIMIT
 * with 100,000 submissions in flight, NW_ENOMEM). The data is copied. */
enum nw_err nw_uv_producer_submit(nw_uv_producer *p, const char *format, const char *source,
				  const void *data, size_t len, int timeout_ms,
				  void (*on_result)(void *arg, const struct nw_submit_result *r),
				  void (*on_done)(void *arg, enum nw_err err), void *arg);

/* Submissions waiting for their replies. */
size_t nw_uv_producer_pending(const nw_uv_producer *p);

/* Ends every pending submission (on_done with NW_ESTATE), closes the
 * socket and frees the producer once the loop has released its handles.
 * Safe inside the producer's callbacks. */
void nw_uv_producer_close(nw_uv_producer *p);

#ifdef __cplusplus
}
#endif
#endif
