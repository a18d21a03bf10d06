/* newswire-ingestd: parses submitted input, appends articles to the
 * journal, acknowledges them once durable, publishes them in seq order,
 * and serves replay of the journal. One libuv loop. */
#ifndef NW_INGESTD_H
#define NW_INGESTD_H

#include <stdbool.h>
#include <uv.h>

#include "common/config.h"

typedef struct ingestd ingestd;

/* Opens the journal and binds the endpoints of cfg on loop. On error
 * writes the reason to msg and returns NULL. */
ingestd *ingestd_start(uv_loop_t *loop, const nw_config *cfg, char *msg, size_t msglen);

/* Stops taking submits, finishes the sync in flight, answers pending acks,
 * publishes what is durable, closes everything; the loop then runs dry.
 * done is called once everything is closed. */
void ingestd_drain(ingestd *d, void (*done)(void *arg), void *arg);

/* True after a fatal error (a failed fdatasync): the daemon exits 1. */
bool ingestd_failed(const ingestd *d);

/* Frees what is left after the loop has ended. */
void ingestd_destroy(ingestd **d);

#endif
