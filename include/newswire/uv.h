/* libnewswire on the caller's libuv loop: a subscriber whose sockets and
 * timers live on a loop the application owns and runs. The library never
 * runs or stops that loop; every callback comes from it. */
#ifndef NEWSWIRE_UV_H
#define NEWSWIRE_UV_H

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

/* Stops delivery at once and releases everything once the loop has closed
 * the handles (the loop must run for that). Safe inside the handler. */
void nw_uv_subscriber_stop(nw_uv_subscriber *u);

#ifdef __cplusplus
}
#endif
#endif
