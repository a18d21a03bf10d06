/* The notifier's durable outbox (SQLite, in [notifier] db): every match
 * is written here, with the article's checkpoint, before any delivery is
 * tried; deliveries then move each row from pending to delivered, back
 * to pending with a later next_at (a retry), or to dead (the dead
 * letters `newswire dlq` shows and re-queues). A row being delivered is
 * "sending"; at start-up those go back to pending, so a crash between a
 * delivery and its record repeats that delivery (at least once; the row
 * id is the webhook-id receivers de-duplicate with). */
#ifndef NW_OUTBOX_H
#define NW_OUTBOX_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <newswire/error.h>

#include "common/rules.h"
#include "common/service.h"

enum nw_err nw_outbox_open(const char *path, bool readonly, sqlite3 **db, char *msg,
			   size_t msglen);

/* The notifier's commit: matches every article of the batch against the
 * rules and writes one row per (match, target), with the checkpoint, in
 * one transaction. *matches counts the rows written. */
enum nw_err nw_outbox_store(sqlite3 *db, const struct nw_rules *rules,
			    const struct nw_service_batch *b, uint64_t *matches,
			    uint64_t *undecodable, char *msg, size_t msglen);

uint64_t nw_outbox_checkpoint(sqlite3 *db);

/* Rows left "sending" by a crash go back to pending; returns how many. */
int nw_outbox_recover(sqlite3 *db);

struct nw_delivery {
	char *id;             /* the webhook-id */
	uint64_t seq;
	char *rule;
	enum nw_target_type type;
	char *target;
	char *payload;
	int attempts;         /* made before this one */
	/* the outcome */
	bool ok, final;       /* final: no retry (a 4xx other than 408/429) */
	char error[256];
	struct nw_delivery *next;
};

/* Takes up to max pending rows due at now_ms, marking them sending. */
enum nw_err nw_outbox_take_due(sqlite3 *db, int64_t now_ms, int max, struct nw_delivery **out,
			       char *msg, size_t msglen);

struct nw_retry_policy {
	int max_attempts;
	int64_t base_ms, max_ms;
};

/* Records outcomes: delivered, back to pending after a backoff with
 * jitter, or dead (final, or out of attempts). Counts what it did. */
struct nw_outbox_tally {
	uint64_t delivered, retried, dead;
};
enum nw_err nw_outbox_record(sqlite3 *db, const struct nw_delivery *list, int64_t now_ms,
			     const struct nw_retry_policy *p, struct nw_outbox_tally *t, char *msg,
			     size_t msglen);

void nw_delivery_free_list(struct nw_delivery **list);

/* Row counts by state. */
struct nw_outbox_counts {
	uint64_t pending, sending, delivered, dead;
};
void nw_outbox_count(sqlite3 *db, struct nw_outbox_counts *c);

/* The dead letters, oldest first, as JSON objects {id, seq, rule, target,
 * attempts, error, updated_at} to fn. */
typedef bool (*nw_outbox_row_fn)(void *arg, const char *json);
enum nw_err nw_outbox_dead_list(sqlite3 *db, nw_outbox_row_fn fn, void *arg);

/* Puts dead letters back to pending with attempts reset: those of ids
 * (n of them), or all when n == 0. *count says how many. */
enum nw_err nw_outbox_retry(sqlite3 *db, char *const *ids, size_t n, uint64_t *count,
			    char *msg, size_t msglen);

#endif
