/* libnewswire clients: a producer that submits input and waits for the
 * durable ack, and a subscriber that delivers every article exactly once,
 * in seq order, across restarts, slow consumers and lost messages.
 *
 * These are the blocking forms, for simple programs: each call runs until
 * it is done or times out and owns no thread. */
#ifndef NEWSWIRE_CLIENT_H
#define NEWSWIRE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- producer ---- */

typedef struct nw_producer nw_producer;

/* The outcome for one article of a submitted input. */
struct nw_submit_result {
	uint32_t index, count;   /* this article's place in the input */
	bool ok;
	bool dup;                /* same content was already journaled */
	uint64_t seq;
	char id[33];
	char code[32];           /* when !ok: invalid, too_big, busy, unavailable */
	char error[256];         /* when !ok: the reason */
};

/* Connects to ingestd's submit endpoint. NULL with msg filled on failure. */
nw_producer *nw_producer_new(const char *endpoint, char *msg, size_t msglen);
void nw_producer_destroy(nw_producer **p);

/* Sends raw input (format NULL = detect; "text", "json", ...) and waits up
 * to timeout_ms for the reply of every article in it, calling on_result
 * for each. NW_OK when every reply arrived (some may be rejections);
 * NW_ETIMEOUT when ingestd did not answer (submitting again is safe:
 * duplicates are recognised by content). */
enum nw_err nw_producer_submit(nw_producer *p, const char *format, const char *source,
			       const void *data, size_t len, int timeout_ms,
			       void (*on_result)(void *arg, const struct nw_submit_result *r),
			       void *arg);

/* ---- subscriber ---- */

typedef struct nw_subscriber nw_subscriber;

/* Where a subscriber keeps its place. With one, the subscriber starts
 * after the seq load() finds (opts.from applies only when none is saved)
 * and calls save() with the last seq delivered: after each run of
 * articles (when no more are waiting), after `every` articles at most,
 * and when it stops. A program that commits its own work in save() (one
 * transaction for its effects and the seq) gets each article exactly
 * once across crashes; otherwise a crash repeats at most the articles
 * since the last save. */
struct nw_checkpoint {
	/* NW_OK with *seq set; NW_ENOTFOUND when nothing is saved yet; any
	 * other error stops the subscriber from starting. */
	enum nw_err (*load)(void *arg, uint64_t *seq);
	/* Everything up to seq is handled. Return false if it could not be
	 * kept: delivery then stops with NW_ECHECKPOINT. */
	bool (*save)(void *arg, uint64_t seq);
	void *arg;
	unsigned every;             /* 0 = 1000 */
};

/* A checkpoint kept in a file: arg is its path. save() writes a temporary
 * file beside it, fsyncs it and renames it over the old one. */
enum nw_err nw_checkpoint_file_load(void *path, uint64_t *seq);
bool nw_checkpoint_file_save(void *path, uint64_t seq);

/* CURVE (SPEC 4): the keys every producer and subscriber created from now
 * on in this process presents on tcp:// endpoints: its secret and public
 * key and the server's public key, each 40 Z85 characters (the files
 * `newswire keygen` writes hold them). All three NULL turns CURVE off.
 * NW_EINVAL with msg for a key that is not one. */
enum nw_err nw_client_set_keys(const char *secret_key, const char *public_key,
			       const char *server_key, char *msg, size_t msglen);

struct nw_subscriber_opts {
	const char *publish;        /* ingestd's publish endpoint */
	const char *replay;         /* ingestd's replay endpoint */
	uint64_t from;              /* first seq wanted (a saved checkpoint + 1); 0 = new only */
	int heartbeat_timeout_ms;   /* silence before reconnecting; 0 = 3000 */
	const struct nw_checkpoint *checkpoint;   /* NULL = none (copied) */
};

struct nw_subscriber_handler {
	/* Each article once, in seq order: article is its msgpack map (valid
	 * during the call). Return false to stop after this article (it
	 * counts as delivered). */
	bool (*article)(void *arg, uint64_t seq, const void *article, size_t len);
	/* Records from..to are gone for good (retention deleted them before
	 * they were read). May be NULL. */
	void (*lost)(void *arg, uint64_t from, uint64_t to);
	void *arg;
	/* The libuv adapter only (may be NULL): called once when delivery
	 * stops by itself, with NW_OK after article() returned false or
	 * NW_ECHECKPOINT after a failed save. Not called for
	 * nw_uv_subscriber_stop(). */
	void (*stopped)(void *arg, enum nw_err why);
};

nw_subscriber *nw_subscriber_new(const struct nw_subscriber_opts *o, char *msg, size_t msglen);
void nw_subscriber_destroy(nw_subscriber **s);

/* Runs until the handler returns false, *stop becomes true (checked at
 * least every 100 ms; may be NULL), or an error (NW_ECHECKPOINT: a save
 * failed). */
enum nw_err nw_subscriber_run(nw_subscriber *s, const struct nw_subscriber_handler *h,
			      volatile bool *stop);

/* The next seq the subscriber will deliver (the checkpoint to save is this
 * minus one). */
uint64_t nw_subscriber_next_seq(const nw_subscriber *s);

/* The newest seq ingestd has announced (articles, heartbeats, replay ends). */
uint64_t nw_subscriber_head_seq(const nw_subscriber *s);

/* Counters for diagnostics: gaps repaired by replay, reconnects. */
void nw_subscriber_stats(const nw_subscriber *s, uint64_t *replays, uint64_t *reconnects);

#ifdef __cplusplus
}
#endif
#endif
