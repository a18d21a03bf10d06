/* newswire-notifier: matches every article of the feed against the rules
 * (SPEC section 7) and delivers each match to its targets through a
 * durable outbox: written with the checkpoint before anything is sent,
 * retried with exponential backoff and jitter, dead-lettered after
 * [notifier] max_attempts (`newswire dlq list|retry`).
 *
 * Outbox reads and writes other than the commit run on the thread pool,
 * one at a time (the "lane"): take due rows, then record outcomes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/db.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/rules.h"
#include "common/service.h"
#include "services/notifier/deliver.h"

#define MAX_IN_FLIGHT 32
#define PUMP_MS 200

struct ruleset {
	struct nw_rules *rules;
	int refs;
};

struct notifier {
	const nw_config *cfg;
	const char *rules_path;      /* NULL: no rules */
	sqlite3 *writer;             /* the commit's connection (thread pool) */
	sqlite3 *lane_db;            /* the lane's connection (thread pool) */
	pthread_mutex_t lock;        /* current, for the commit thread */
	struct ruleset *current;
	struct nw_retry_policy policy;
	uv_loop_t *loop;
	deliverer *dv;
	uv_timer_t pump;
	bool pump_open, stopping, want_take;
	/* the lane */
	uv_work_t lane_work;
	bool lane_busy;
	enum { LANE_TAKE, LANE_RECORD } lane_kind;
	struct nw_delivery *taken;   /* the take's result */
	struct nw_delivery *done;    /* outcomes waiting to be recorded */
	struct nw_delivery *recording;
	struct nw_outbox_tally tally;
	struct nw_outbox_counts counts;
	enum nw_err lane_err;
	char lane_msg[300];
	int in_flight;
	int take_max;                /* room for deliveries when the take started */
	/* counters (matches is written by the commit thread) */
	uint64_t matches, undecodable, delivered, retried, dead, reloads, reload_failures;
};

/* ---- rules, shared with the commit thread ---- */

static struct ruleset *rules_get(struct notifier *n)
{
	pthread_mutex_lock(&n->lock);
	struct ruleset *r = n->current;
	if (r)
		r->refs++;
	pthread_mutex_unlock(&n->lock);
	return r;
}

static void rules_put(struct notifier *n, struct ruleset *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&n->lock);
	bool last = --r->refs == 0;
	pthread_mutex_unlock(&n->lock);
	if (last) {
		nw_rules_free(&r->rules);
		free(r);
	}
}

static enum nw_err load_rules(struct notifier *n, char *msg, size_t msglen)
{
	struct ruleset *r = calloc(1, sizeof(*r));
	if (!r)
		return NW_ENOMEM;
	r->refs = 1;
	enum nw_err err = NW_OK;
	if (n->rules_path)
		err = nw_rules_load(n->rules_path, &r->rules, msg, msglen);
	if (err) {
		free(r);
		return err;
	}
	pthread_mutex_lock(&n->lock);
	struct ruleset *old = n->current;
	n->current = r;
	pthread_mutex_unlock(&n->lock);
	rules_put(n, old);
	return NW_OK;
}

/* The rule named name in the current rules (loop thread only). */
static const struct nw_rule *find_rule(struct notifier *n, const char *name)
{
	struct nw_rules *rs = n->current ? n->current->rules : NULL;
	for (size_t i = 0; rs && i < rs->n; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

/* ---- the lane ---- */

static void lane_run(struct notifier *n);

static void lane_work(uv_work_t *w)
{
	struct notifier *n = w->data;
	n->lane_err = NW_OK;
	if (n->lane_kind == LANE_TAKE) {
		n->lane_err = nw_outbox_take_due(n->lane_db, nw_wall_ms(), n->take_max,
						 &n->taken, n->lane_msg, sizeof(n->lane_msg));
	} else {
		memset(&n->tally, 0, sizeof(n->tally));
		n->lane_err = nw_outbox_record(n->lane_db, n->recording, nw_wall_ms(), &n->policy,
					       &n->tally, n->lane_msg, sizeof(n->lane_msg));
	}
	nw_outbox_count(n->lane_db, &n->counts);
}

static void start_delivery(struct notifier *n, struct nw_delivery *d);

static void lane_done(uv_work_t *w, int status)
{
	struct notifier *n = w->data;
	n->lane_busy = false;
	if (n->lane_err)
		nw_error("outbox operation failed; retrying", "error", n->lane_msg);
	if (n->lane_kind == LANE_TAKE) {
		struct nw_delivery *d = n->taken;
		n->taken = NULL;
		while (d) {
			struct nw_delivery *next = d->next;
			d->next = NULL;
			n->in_flight++;
			start_delivery(n, d);
			d = next;
		}
	} else if (n->lane_err) {
		/* put them back in the queue of outcomes; the next turn tries again */
		struct nw_delivery **tail = &n->recording;
		while (*tail)
			tail = &(*tail)->next;
		*tail = n->done;
		n->done = n->recording;
		n->recording = NULL;
	} else {
		n->delivered += n->tally.delivered;
		n->retried += n->tally.retried;
		n->dead += n->tally.dead;
		nw_delivery_free_list(&n->recording);
	}
	if (!n->lane_err)
		lane_run(n);
}

static void lane_run(struct notifier *n)
{
	if (n->lane_busy)
		return;
	if (n->done) {
		n->lane_kind = LANE_RECORD;
		n->recording = n->done;
		n->done = NULL;
	} else if (n->want_take && !n->stopping && n->in_flight < MAX_IN_FLIGHT) {
		n->lane_kind = LANE_TAKE;
		n->want_take = false;
		n->take_max = MAX_IN_FLIGHT - n->in_flight;
	} else {
		return;
	}
	n->lane_busy = true;
	n->lane_work.data = n;
	uv_queue_work(n->loop, &n->lane_work, lane_work, lane_done);
}

/* ---- deliveries ---- */

static void on_delivered(void *arg, struct nw_delivery *d)
{
	struct notifier *n = arg;
	n->in_flight--;
	if (!d->ok)
		nw_warn("delivery failed", "id", d->id, "rule", d->rule, "target", d->target,
			"attempt", NW_U64(d->attempts + 1), "error", d->error,
			"final", d->final ? "yes" : "no");
	d->next = n->done;
	n->done = d;
	n->want_take = true;   /* room for more */
	lane_run(n);
}

static void start_delivery(struct notifier *n, struct nw_delivery *d)
{
	const struct nw_rule *rule = find_rule(n, d->rule);
	switch (d->type) {
	case NW_TARGET_WEBHOOK:
		if (!rule || !rule->secret) {
			d->ok = false;
			d->final = true;
			snprintf(d->error, sizeof(d->error), "rule %s is no longer in the rules file "
				 "(its secret is needed to sign)", d->rule);
			on_delivered(n, d);
			return;
		}
		deliver_webhook(n->dv, d, rule->secret, rule->secret_len);
		return;
	case NW_TARGET_EXEC:
		deliver_exec(n->dv, d);
		return;
	case NW_TARGET_FILE:
		deliver_file(n->dv, d);
		return;
	}
}

static void on_pump(uv_timer_t *t)
{
	struct notifier *n = t->data;
	n->want_take = true;
	lane_run(n);
}

/* ---- the service ---- */

static enum nw_err commit(void *impl, const struct nw_service_batch *b, char *msg, size_t msglen)
{
	struct notifier *n = impl;
	struct ruleset *r = rules_get(n);
	uint64_t matches = 0, undecodable = 0;
	enum nw_err err = nw_outbox_store(n->writer, r ? r->rules : NULL, b, &matches, &undecodable,
					  msg, msglen);
	rules_put(n, r);
	if (!err) {
		n->matches += matches;
		n->undecodable += undecodable;
	}
	return err;
}

static void committed(void *impl)
{
	struct notifier *n = impl;
	n->want_take = true;
	lane_run(n);
}

static enum nw_err start(void *impl, nw_service *svc, char *msg, size_t msglen)
{
	struct notifier *n = impl;
	n->loop = nw_service_loop(svc);
	if (!(n->dv = deliverer_new(n->loop,
				    (int)nw_config_num(n->cfg, "notifier", "webhook_timeout") * 1000,
				    (int)nw_config_num(n->cfg, "notifier", "exec_timeout") * 1000,
				    on_delivered, n))) {
		snprintf(msg, msglen, "cannot set up deliveries");
		return NW_ENOMEM;
	}
	uv_timer_init(n->loop, &n->pump);
	n->pump.data = n;
	n->pump_open = true;
	uv_timer_start(&n->pump, on_pump, 0, PUMP_MS);
	return NW_OK;
}

static void stop(void *impl)
{
	struct notifier *n = impl;
	n->stopping = true;
	if (n->pump_open) {
		uv_timer_stop(&n->pump);
		uv_close((uv_handle_t *)&n->pump, NULL);
		n->pump_open = false;
	}
	/* outcomes already known are recorded (the lane keeps the loop alive);
	 * what is still in flight stays "sending" and is sent again after a
	 * restart */
	deliverer_close(n->dv);
	n->dv = NULL;
	lane_run(n);
}

static void reload(void *impl)
{
	struct notifier *n = impl;
	char msg[512];
	if (load_rules(n, msg, sizeof(msg)) != NW_OK) {
		n->reload_failures++;
		nw_error("rules not reloaded; the old rules stay in force", "error", msg);
		return;
	}
	n->reloads++;
	nw_info("rules reloaded", "rules", NW_U64(n->current->rules ? n->current->rules->n : 0));
}

static void metrics(void *impl, nw_buf *b)
{
	struct notifier *n = impl;
	nw_metric(b, "newswire_notifier_matches_total", "counter",
		  "Notifications queued (article x rule x target).", (double)n->matches);
	nw_metric(b, "newswire_notifier_delivered_total", "counter", "Notifications delivered.", (double)n->delivered);
	nw_metric(b, "newswire_notifier_retries_total", "counter",
		  "Failed attempts that will be retried.", (double)n->retried);
	nw_metric(b, "newswire_notifier_dead_total", "counter",
		  "Notifications moved to the dead letters.", (double)n->dead);
	nw_metric(b, "newswire_notifier_in_flight", "gauge", "Deliveries running.", (double)n->in_flight);
	nw_metric(b, "newswire_notifier_outbox_pending", "gauge",
		  "Notifications waiting for delivery or retry.", (double)(n->counts.pending + n->counts.sending));
	nw_metric(b, "newswire_notifier_outbox_dead", "gauge", "Dead letters.", (double)n->counts.dead);
	nw_metric(b, "newswire_notifier_rules", "gauge", "Rules loaded.",
		  (double)(n->current && n->current->rules ? n->current->rules->n : 0));
	nw_metric(b, "newswire_notifier_reload_failures_total", "counter",
		  "SIGHUP reloads refused because the rules file had an error.", (double)n->reload_failures);
	nw_metric(b, "newswire_notifier_undecodable_total", "counter",
		  "Articles that did not decode (no rule checked).", (double)n->undecodable);
}

static const struct nw_service_ops ops = {
	.name = "notifier",
	.commit = commit,
	.start = start,
	.stop = stop,
	.reload = reload,
	.committed = committed,
	.metrics = metrics,
};

int main(int argc, char **argv)
{
	nw_config *cfg = NULL;
	int rc = nw_daemon_init(argc, argv, "notifier",
				"Matches every article of ingestd's feed against the rules file and\n"
				"delivers each match (webhook, exec, file) through a durable outbox\n"
				"with retries and dead letters. SIGHUP reloads the rules.\n", &cfg);
	if (rc >= 0)
		return rc;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	struct notifier n = { .cfg = cfg };
	pthread_mutex_init(&n.lock, NULL);
	const char *rules = nw_config_str(cfg, "notifier", "rules");
	n.rules_path = *rules ? rules : NULL;
	n.policy.max_attempts = (int)nw_config_num(cfg, "notifier", "max_attempts");
	n.policy.base_ms = nw_config_num(cfg, "notifier", "retry_base") * 1000;
	n.policy.max_ms = nw_config_num(cfg, "notifier", "retry_max") * 1000;
	char msg[512];
	if (load_rules(&n, msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "newswire-notifier: %s\n", msg);
		nw_config_destroy(&cfg);
		return NW_EXIT_USAGE;
	}
	const char *path = nw_config_str(cfg, "notifier", "db");
	if (nw_outbox_open(path, false, &n.writer, msg, sizeof(msg)) != NW_OK ||
	    nw_outbox_open(path, false, &n.lane_db, msg, sizeof(msg)) != NW_OK) {
		nw_error("cannot open the outbox", "error", msg);
		rc = NW_EXIT_FAIL;
		goto out;
	}
	int again = nw_outbox_recover(n.lane_db);
	uint64_t checkpoint = nw_outbox_checkpoint(n.writer);
	nw_info("outbox open", "db", path, "checkpoint", NW_U64(checkpoint),
		"rules", NW_U64(n.current->rules ? n.current->rules->n : 0),
		"resent_after_restart", NW_U64(again > 0 ? again : 0));
	rc = nw_service_run(&ops, &n, cfg, checkpoint);
out:
	nw_db_close(&n.writer);
	nw_db_close(&n.lane_db);
	rules_put(&n, n.current);
	nw_delivery_free_list(&n.done);
	pthread_mutex_destroy(&n.lock);
	nw_config_destroy(&cfg);
	return rc;
}
