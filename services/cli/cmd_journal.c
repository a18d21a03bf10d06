/* newswire journal check|repair: verify every record of the journal, and
 * rewrite the segments that hold damaged ones. */
#include <stdio.h>
#include <string.h>

#include "common/journal.h"
#include "services/cli/cli.h"

struct totals {
	uint64_t segments, records, lost, damaged, tail;
	bool unreadable;   /* damage left as it is */
};

static void show(void *arg, const struct nw_journal_check *c)
{
	struct totals *t = arg;
	const char *name = strrchr(c->path, '/') ? strrchr(c->path, '/') + 1 : c->path;
	t->segments++;
	t->records += c->records - c->lost;
	t->lost += c->lost + (c->repaired ? c->damaged : 0);
	t->damaged += c->repaired ? 0 : c->damaged;
	t->tail += c->tail_bytes;
	if (c->last_seq >= c->first_seq)
		printf("%s  seqs %llu-%llu", name, (unsigned long long)c->first_seq,
		       (unsigned long long)c->last_seq);
	else
		printf("%s  empty", name);
	if (c->missing)
		printf("  MISSING: the file is gone");
	else if (c->bad_header)
		printf("  BAD HEADER");
	if (c->damaged)
		printf("  DAMAGED: %llu unreadable", (unsigned long long)c->damaged);
	if (c->lost)
		printf("  %llu lost", (unsigned long long)c->lost);
	if ((c->damaged || c->lost) && c->ranges && *c->ranges)
		printf(" (seqs %s)", c->ranges);
	if (c->tail_bytes)
		printf("  torn tail of %llu bytes (cut when newswire-ingestd opens the journal)",
		       (unsigned long long)c->tail_bytes);
	if (c->repaired)
		printf("  -> repaired%s", c->missing ? "" : ", original kept as .damaged");
	else if (!c->damaged && !c->lost && !c->missing && !c->bad_header && !c->tail_bytes)
		printf("  ok");
	printf("\n");
	if (!c->repaired && (c->damaged || c->missing || c->bad_header))
		t->unreadable = true;
}

int cmd_journal(struct cli *c)
{
	const char *sub = c->argc > 0 ? c->argv[0] : "";
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		printf("usage: newswire journal check|repair [DIR]\n\n"
		       "check   reads every record of the journal in DIR (default: [ingestd]\n"
		       "        data_dir) and verifies its length, seq and CRC32C checksum;\n"
		       "        one line per segment file, then a summary. Safe while\n"
		       "        newswire-ingestd runs.\n"
		       "repair  with newswire-ingestd stopped: rewrites each segment that holds\n"
		       "        damaged records, keeping every whole record and marking the\n"
		       "        damaged seqs lost (readers are told they are gone; their\n"
		       "        content can be submitted again). The original file is kept as\n"
		       "        SEGMENT.damaged; a missing segment file is recreated.\n\n"
		       "Exit status: 0 when every record can be read (or was marked lost),\n"
		       "1 when some cannot or the journal could not be read, 2 on bad usage.\n");
		return EXIT_OK;
	}
	bool repair = !strcmp(sub, "repair");
	if ((!repair && strcmp(sub, "check")) || c->argc > 2)
		return cli_usage_error(c, "expected check or repair, and at most one DIR");
	const char *dir = c->argc == 2 ? c->argv[1] : nw_config_str(c->cfg, "ingestd", "data_dir");
	struct totals t = { 0 };
	char msg[512];
	enum nw_err err = nw_journal_check(dir, repair, show, &t, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "newswire journal: %s\n", msg);
		return EXIT_FAIL;
	}
	printf("journal %s: segment files %llu, records readable %llu, damaged %llu, lost %llu\n",
	       dir, (unsigned long long)t.segments, (unsigned long long)t.records,
	       (unsigned long long)t.damaged, (unsigned long long)t.lost);
	if (t.unreadable) {
		fprintf(stderr, "newswire journal: damaged records found; readers get them as a gap. "
			"Stop newswire-ingestd and run `newswire journal repair` to mark them lost "
			"(see docs/operations.md)\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
