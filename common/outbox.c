/* The notifier's outbox (see outbox.h). */
#include "common/outbox.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/article.h"
#include "common/db.h"
#include "common/expr.h"
#include "common/log.h"

#define CHECKPOINT_NAME "notifier"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS outbox ("
	" id TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL,"
	" rule TEXT NOT NULL,"
	" target_type TEXT NOT NULL,"
	" target TEXT NOT NULL,"
	" payload TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at INTEGER NOT NULL,"
	" last_error TEXT,"
	" created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),"
	" updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')));"
	"CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_at)";

enum nw_err nw_outbox_open(const char *path, bool readonly, sqlite3 **db, char *msg,
			   size_t msglen)
{
	return nw_db_open(path, readonly, readonly ? NULL : schema, db, msg, msglen);
}

uint64_t nw_outbox_checkpoint(sqlite3 *db)
{
	uint64_t seq = 0;
	return nw_db_checkpoint_get(db, CHECKPOINT_NAME, &seq) == NW_OK ? seq : 0;
}

int nw_outbox_recover(sqlite3 *db)
{
	if (sqlite3_exec(db, "UPDATE outbox SET state = 'pending' WHERE state = 'sending'", NULL,
			 NULL, NULL) != SQLITE_OK)
		return -1;
	return sqlite3_changes(db);
}

/* The bodies each kind of target gets. */
static char *payload_for(enum nw_target_type type, const char *rule, const char *delivery_id,
			 const nw_article *a, json_t *article)
{
	json_t *o;
	if (type == NW_TARGET_EXEC) {
		o = json_incref(article);   /* the article itself, on stdin */
	} else if (type == NW_TARGET_FILE) {
		o = json_pack("{s:s,s:s,s:I,s:O}", "delivery", delivery_id, "rule", rule,
			      "seq", (json_int_t)a->seq, "article", article);
	} else {
		char ts[40];
		time_t t = time(NULL);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		o = json_pack("{s:s,s:s,s:{s:s,s:I,s:O}}", "type", "article.matched",
			      "timestamp", ts, "data", "rule", rule, "seq", (json_int_t)a->seq,
			      "article", article);
	}
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

enum nw_err nw_outbox_store(sqlite3 *db, const struct nw_rules *rules,
			    const struct nw_service_batch *b, uint64_t *matches,
			    uint64_t *undecodable, char *msg, size_t msglen)
{
	enum nw_err err = nw_db_exec(db, "BEGIN IMMEDIATE", msg, msglen);
	if (err)
		return err;
	sqlite3_stmt *ins = NULL;
	err = nw_db_prepare(db,
			    "INSERT INTO outbox (id, seq, rule, target_type, target, payload, next_at)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			    &ins, msg, msglen);
	int64_t now = nw_wall_ms();
	for (size_t i = 0; !err && rules && i < b->n; i++) {
		nw_article *a = NULL;
		if (nw_service_batch_article(b, i, &a) != NW_OK) {
			(*undecodable)++;
			nw_warn("article does not decode; no rule checked", "seq", NW_U64(b->items[i].seq));
			continue;
		}
		struct nw_expr_doc doc;
		json_t *article = NULL;
		if (nw_expr_doc_init(&doc, a) != NW_OK) {
			nw_article_destroy(&a);
			snprintf(msg, msglen, "out of memory");
			err = NW_ENOMEM;
			break;
		}
		for (size_t r = 0; !err && r < rules->n; r++) {
			const struct nw_rule *rule = &rules->rules[r];
			if (!nw_expr_match(rule->match, &doc))
				continue;
			if (!article && !(article = nw_article_to_json(a))) {
				err = NW_ENOMEM;
				break;
			}
			for (size_t t = 0; !err && t < rule->ntargets; t++) {
				/* deterministic: the same match always gets the same id */
				char id[160];
				snprintf(id, sizeof(id), "msg_%llu_%s_%zu", (unsigned long long)a->seq,
					 rule->name, t);
				char *body = payload_for(rule->targets[t].type, rule->name, id, a, article);
				if (!body) {
					err = NW_ENOMEM;
					break;
				}
				sqlite3_reset(ins);
				sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(ins, 2, (sqlite3_int64)a->seq);
				sqlite3_bind_text(ins, 3, rule->name, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins, 4, nw_target_type_name(rule->targets[t].type), -1,
						  SQLITE_STATIC);
				sqlite3_bind_text(ins, 5, rule->targets[t].arg, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins, 6, body, -1, free);
				sqlite3_bind_int64(ins, 7, now);
				if (sqlite3_step(ins) != SQLITE_DONE) {
					snprintf(msg, msglen, "cannot queue a notification: %s", sqlite3_errmsg(db));
					err = NW_EIO;
				} else {
					*matches += (uint64_t)sqlite3_changes(db);
				}
			}
		}
		if (err == NW_ENOMEM)
			snprintf(msg, msglen, "out of memory");
		json_decref(article);
		nw_expr_doc_release(&doc);
		nw_article_destroy(&a);
	}
	sqlite3_finalize(ins);
	if (!err)
		err = nw_db_checkpoint_set(db, CHECKPOINT_NAME, b->last_seq, msg, msglen);
	return nw_db_finish(db, err, msg, msglen);
}

static enum nw_target_type type_of(const char *name)
{
	if (strcmp(name, "exec") == 0)
		return NW_TARGET_EXEC;
	if (strcmp(name, "file") == 0)
		return NW_TARGET_FILE;
	return NW_TARGET_WEBHOOK;
}

void nw_delivery_free_list(struct nw_delivery **list)
{
	while (*list) {
		struct nw_delivery *d = *list;
		*list = d->next;
		free(d->id);
		free(d->rule);
		free(d->target);
		free(d->payload);
		free(d);
	}
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return nw_strdup(s ? (const char *)s : "");
}

enum nw_err nw_outbox_take_due(sqlite3 *db, int64_t now, int max, struct nw_delivery **out,
			       char *msg, size_t msglen)
{
	*out = NULL;
	sqlite3_stmt *st = NULL;
	if (nw_db_prepare(db,
			  "UPDATE outbox SET state = 'sending' WHERE id IN"
			  " (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= ?1"
			  "  ORDER BY next_at LIMIT ?2)"
			  " RETURNING id, seq, rule, target_type, target, payload, attempts",
			  &st, msg, msglen))
		return NW_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	enum nw_err err = NW_OK;
	struct nw_delivery **tail = out;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct nw_delivery *d = calloc(1, sizeof(*d));
		if (!d) {
			err = NW_ENOMEM;
			break;
		}
		d->id = col_dup(st, 0);
		d->seq = (uint64_t)sqlite3_column_int64(st, 1);
		d->rule = col_dup(st, 2);
		d->type = type_of((const char *)sqlite3_column_text(st, 3));
		d->target = col_dup(st, 4);
		d->payload = col_dup(st, 5);
		d->attempts = sqlite3_column_int(st, 6);
		*tail = d;
		tail = &d->next;
		if (!d->id || !d->rule || !d->target || !d->payload) {
			err = NW_ENOMEM;
			break;
		}
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(msg, msglen, "cannot take due notifications: %s", sqlite3_errmsg(db));
		err = NW_EIO;
	}
	sqlite3_finalize(st);
	if (err) {
		/* what was marked goes back at the next start (or now) */
		nw_delivery_free_list(out);
		nw_outbox_recover(db);
	}
	return err;
}

/* Exponential backoff with jitter: half the step fixed, half random. */
static int64_t backoff_ms(const struct nw_retry_policy *p, int attempts)
{
	int64_t step = p->base_ms;
	for (int i = 1; i < attempts && step < p->max_ms; i++)
		step *= 2;
	if (step > p->max_ms)
		step = p->max_ms;
	int64_t half = step / 2;
	return half + (int64_t)(((double)rand() / RAND_MAX) * (double)half);
}

enum nw_err nw_outbox_record(sqlite3 *db, const struct nw_delivery *list, int64_t now,
			     const struct nw_retry_policy *p, struct nw_outbox_tally *t, char *msg,
			     size_t msglen)
{
	enum nw_err err = nw_db_exec(db, "BEGIN IMMEDIATE", msg, msglen);
	if (err)
		return err;
	sqlite3_stmt *st = NULL;
	err = nw_db_prepare(db,
			    "UPDATE outbox SET state = ?2, attempts = ?3, next_at = ?4, last_error = ?5,"
			    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = ?1",
			    &st, msg, msglen);
	for (const struct nw_delivery *d = list; !err && d; d = d->next) {
		int attempts = d->attempts + 1;
		const char *state;
		int64_t next = now;
		if (d->ok) {
			state = "delivered";
			t->delivered++;
		} else if (d->final || attempts >= p->max_attempts) {
			state = "dead";
			t->dead++;
		} else {
			state = "pending";
			next = now + backoff_ms(p, attempts);
			t->retried++;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, attempts);
		sqlite3_bind_int64(st, 4, next);
		if (d->ok)
			sqlite3_bind_null(st, 5);
		else
			sqlite3_bind_text(st, 5, d->error, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(msg, msglen, "cannot record a delivery: %s", sqlite3_errmsg(db));
			err = NW_EIO;
		}
	}
	sqlite3_finalize(st);
	return nw_db_finish(db, err, msg, msglen);
}

void nw_outbox_count(sqlite3 *db, struct nw_outbox_counts *c)
{
	memset(c, 0, sizeof(*c));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT state, count(*) FROM outbox GROUP BY state", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
		if (strcmp(s, "pending") == 0)
			c->pending = n;
		else if (strcmp(s, "sending") == 0)
			c->sending = n;
		else if (strcmp(s, "delivered") == 0)
			c->delivered = n;
		else if (strcmp(s, "dead") == 0)
			c->dead = n;
	}
	sqlite3_finalize(st);
}

enum nw_err nw_outbox_dead_list(sqlite3 *db, nw_outbox_row_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT json_object('id', id, 'seq', seq, 'rule', rule, 'target',"
			       " target_type || ' ' || target, 'attempts', attempts, 'error', last_error,"
			       " 'updated_at', updated_at) FROM outbox WHERE state = 'dead'"
			       " ORDER BY updated_at, id",
			       -1, &st, NULL) != SQLITE_OK)
		return NW_EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!fn(arg, (const char *)sqlite3_column_text(st, 0)))
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? NW_OK : NW_EIO;
}

enum nw_err nw_outbox_retry(sqlite3 *db, char *const *ids, size_t n, uint64_t *count,
			    char *msg, size_t msglen)
{
	*count = 0;
	enum nw_err err = nw_db_exec(db, "BEGIN IMMEDIATE", msg, msglen);
	if (err)
		return err;
	sqlite3_stmt *st = NULL;
	err = nw_db_prepare(db,
			    "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?2,"
			    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')"
			    " WHERE state = 'dead' AND (?1 IS NULL OR id = ?1)",
			    &st, msg, msglen);
	for (size_t i = 0; !err && i < (n ? n : 1); i++) {
		sqlite3_reset(st);
		if (n)
			sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_int64(st, 2, nw_wall_ms());
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(msg, msglen, "%s", sqlite3_errmsg(db));
			err = NW_EIO;
		} else {
			*count += (uint64_t)sqlite3_changes(db);
		}
	}
	sqlite3_finalize(st);
	return nw_db_finish(db, err, msg, msglen);
}
