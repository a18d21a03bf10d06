/* newswire-ingestd: parses submitted input, appends articles to the
 * journal, acknowledges them once durable, publishes them in seq order,
 * and serves replay of the journal. One libuv loop. */
#ifndef NW_INGESTD_H
#define NW_INGESTD_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/config.h"
#include "common/parse.h"
#include "common/util.h"

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

/* ---- for the daemon's other front ends (HTTP API, feed poller) ---- */

struct nw_submit_reply;

/* Receives the replies to one ingested input: one per article, each once
 * its record is durable (or at once for a duplicate or a rejected record),
 * or a single rejection (index 0, count 1) when the input as a whole is
 * refused. r->count says how many replies to expect. */
struct ingest_collector {
	void (*reply)(struct ingest_collector *c, const struct nw_submit_reply *r);
};

/* Parses data per o and journals what it holds, replying through c. */
void ingestd_ingest(ingestd *d, struct ingest_collector *c, const struct nw_parse_opts *o,
		    const char *data, size_t len);

/* Journals parsed articles (taking them over; arts itself stays the
 * caller's), replying through c; source fills in a missing source. */
void ingestd_ingest_articles(ingestd *d, struct ingest_collector *c, nw_article **arts,
			     size_t n, const char *source);

/* SIGHUP: re-reads authorized_keys and the feeds file. */
void ingestd_reload(ingestd *d);

/* The last published seq (every record up to it is durable), and the
 * oldest retained one (0 when the journal is empty). */
uint64_t ingestd_published(const ingestd *d);
uint64_t ingestd_first_seq(const ingestd *d);
/* The seq holding the article with this 32-hex id, 0 if none. */
uint64_t ingestd_find_id(const ingestd *d, const char *id);
/* The msgpack article of record seq into out (replacing its contents). */
enum nw_err ingestd_read(ingestd *d, uint64_t seq, nw_buf *out);
bool ingestd_draining(const ingestd *d);
/* Answers GET /metrics and /healthz (on [ingestd] metrics and the HTTP
 * API alike); false for any other request. */
struct nw_http_request;
struct nw_http_response;
bool ingestd_serve_ops(ingestd *d, const struct nw_http_request *req,
		       struct nw_http_response *res);

#endif
