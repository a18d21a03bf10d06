/* newswire-archiver: stores every article of the feed in SQLite, each
 * exactly once, with its checkpoint in the same transaction. */
#include <stdio.h>
#include <stdlib.h>

#include "common/archive.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/service.h"

struct archiver {
	nw_archive *archive;
	struct nw_archive_store_stats totals;   /* updated on the thread pool, one commit at a time */
};

static enum nw_err commit(void *impl, const struct nw_service_batch *b, char *msg, size_t msglen)
{
	struct archiver *ar = impl;
	struct nw_archive_store_stats st = { 0 };
	enum nw_err err = nw_archive_store(ar->archive, b, &st, msg, msglen);
	if (!err) {
		ar->totals.stored += st.stored;
		ar->totals.undecodable += st.undecodable;
		ar->totals.duplicates += st.duplicates;
	}
	return err;
}

/* Read on the loop between commits: the counters change only inside a
 * commit, and a torn read of a 64-bit counter cannot happen on the
 * platforms we build for. */
static void metrics(void *impl, nw_buf *b)
{
	struct archiver *ar = impl;
	nw_metric(b, "newswire_archiver_undecodable_total", "counter",
		  "Articles that did not decode and were not archived.", (double)ar->totals.undecodable);
	nw_metric(b, "newswire_archiver_duplicates_total", "counter",
		  "Articles whose seq or id was archived already.", (double)ar->totals.duplicates);
}

static const struct nw_service_ops ops = {
	.name = "archiver",
	.commit = commit,
	.metrics = metrics,
};

int main(int argc, char **argv)
{
	nw_config *cfg = NULL;
	int rc = nw_daemon_init(argc, argv, "archiver",
				"Stores every article of ingestd's feed in SQLite (WAL), keyed by seq\n"
				"and id, each exactly once across crashes and restarts.\n", &cfg);
	if (rc >= 0)
		return rc;
	struct archiver ar = { 0 };
	char msg[512];
	const char *path = nw_config_str(cfg, "archiver", "db");
	if (nw_archive_open(path, false, &ar.archive, msg, sizeof(msg)) != NW_OK) {
		nw_error("cannot open the archive", "error", msg);
		nw_config_destroy(&cfg);
		return NW_EXIT_FAIL;
	}
	uint64_t checkpoint = nw_archive_checkpoint(ar.archive);
	nw_info("archive open", "db", path, "checkpoint", NW_U64(checkpoint),
		"articles", NW_U64(nw_archive_count(ar.archive)));
	rc = nw_service_run(&ops, &ar, cfg, checkpoint);
	nw_archive_close(&ar.archive);
	nw_config_destroy(&cfg);
	return rc;
}
