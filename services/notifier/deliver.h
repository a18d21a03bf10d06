/* Deliveries of the notifier, on its loop: webhooks through libcurl's
 * multi interface driven by libuv, commands through uv_spawn, files
 * through the thread pool. Each ends by calling done(d) with d->ok,
 * d->final and d->error set. */
#ifndef NW_NOTIFIER_DELIVER_H
#define NW_NOTIFIER_DELIVER_H

#include <uv.h>

#include "common/outbox.h"

typedef struct deliverer deliverer;
typedef void (*delivery_done)(void *arg, struct nw_delivery *d);

deliverer *deliverer_new(uv_loop_t *loop, int webhook_timeout_ms, int exec_timeout_ms,
			 delivery_done done, void *arg);
/* Aborts what is in flight (their rows stay "sending" and are delivered
 * again after a restart) and frees once the loop released the handles. */
void deliverer_close(deliverer *dv);

/* Starts d; secret signs webhooks (may be NULL for other targets). */
void deliver_webhook(deliverer *dv, struct nw_delivery *d, const unsigned char *secret,
		     size_t secret_len);
void deliver_exec(deliverer *dv, struct nw_delivery *d);
void deliver_file(deliverer *dv, struct nw_delivery *d);

/* "v1,<base64 HMAC-SHA256 of id.timestamp.body>" into out (Standard
 * Webhooks). */
void webhook_signature(const unsigned char *key, size_t keylen, const char *id, long long ts,
		       const char *body, char *out, size_t outlen);

#endif
