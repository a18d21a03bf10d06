/* The journal: a segmented, append-only, checksummed log of articles in
 * data_dir. Sequence numbers start at 1 and are never reused; an in-memory
 * index maps seq -> position and content id -> seq (rebuilt at open, so
 * dedupe survives restarts for as long as records are retained).
 *
 * Threads: one owner thread (the daemon's loop) calls everything except
 * nw_journal_sync_run(), which may run on any thread, and nw_journal_read(),
 * which is safe from any thread while the journal is open. */
#ifndef NW_JOURNAL_H
#define NW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/error.h>

#include "common/util.h"

#define NW_JOURNAL_ID_BYTES 16
#define NW_JOURNAL_MAX_RECORD (64u << 20)

typedef struct nw_journal nw_journal;

struct nw_journal_opts {
	const char *dir;
	uint64_t segment_bytes;    /* roll to a new segment past this; 0 = 64 MiB */
	int64_t retention_age;     /* seconds; 0 = no age limit */
	int64_t retention_bytes;   /* total; 0 = no size limit */
};

/* What opening found and did. */
struct nw_journal_recovery {
	uint64_t segments;
	uint64_t records;
	uint64_t first_seq, last_seq;     /* 0, 0 when empty */
	uint64_t truncated_bytes;         /* torn or corrupt tail cut off */
	uint64_t truncated_records;       /* whole records among them (CRC failed) */
	char detail[256];                 /* what was cut, for the log */
	uint64_t damaged_records;         /* seqs that cannot be read (kept, reported as damaged) */
	uint64_t lost_records;            /* seqs a repair marked lost */
	char damage[512];                 /* which, for the log */
};

/* Opens (creating dir if needed) and recovers the journal. On error, msg
 * says why and nothing is left open. rec may be NULL. */
enum nw_err nw_journal_open(const struct nw_journal_opts *o, nw_journal **out,
			    struct nw_journal_recovery *rec, char *msg, size_t msglen);
/* Closes; pending data is written but not synced. Sets *j to NULL. */
void nw_journal_close(nw_journal **j);

/* Appends one record with the next seq (written to the page cache, not yet
 * durable). NW_EIO with errno on a failed write (ENOSPC: nothing of the
 * record is kept). */
enum nw_err nw_journal_append(nw_journal *j, const unsigned char id[NW_JOURNAL_ID_BYTES],
			      const void *payload, size_t len, uint64_t *seq);

/* The seq of a retained record with this content id, or 0. */
uint64_t nw_journal_find_id(const nw_journal *j, const unsigned char id[NW_JOURNAL_ID_BYTES]);

uint64_t nw_journal_first_seq(const nw_journal *j);   /* 0 when empty */
uint64_t nw_journal_last_seq(const nw_journal *j);    /* 0 when empty */
uint64_t nw_journal_next_seq(const nw_journal *j);    /* seq the next append gets */
uint64_t nw_journal_durable_seq(const nw_journal *j); /* last seq known on disk */
uint64_t nw_journal_bytes(const nw_journal *j);       /* all segments */

/* Group commit, in three steps so the fdatasync can run off the owner
 * thread: begin (owner) captures what must be synced up to the last
 * append and returns false when everything is already durable; run (any
 * thread) syncs; end (owner) records the outcome. Only one sync may be in
 * flight at a time. */
struct nw_journal_sync {
	int fds[8];
	int nfds;
	uint64_t upto;
	enum nw_err err;
	int sys_errno;
};
bool nw_journal_sync_begin(nw_journal *j, struct nw_journal_sync *s);
void nw_journal_sync_run(struct nw_journal_sync *s);
enum nw_err nw_journal_sync_end(nw_journal *j, struct nw_journal_sync *s);
/* All three at once, blocking the caller (tests, fsync=always callers that
 * accept it, shutdown). */
enum nw_err nw_journal_sync(nw_journal *j);

/* Reads record seq into out (payload bytes replace out's content) and its
 * id into id (may be NULL). NW_ENOTFOUND outside [first, last];
 * NW_ESYNTAX when the record is damaged: it fails its checksum, its file
 * is missing or unreadable there, or a repair marked it lost. */
enum nw_err nw_journal_read(nw_journal *j, uint64_t seq, nw_buf *out,
			    unsigned char id[NW_JOURNAL_ID_BYTES]);

/* Reads records from..upto in order, a run of them with each pread, and
 * calls fn for each: err NW_OK with its id and payload (valid during the
 * call), or NW_ESYNTAX with NULLs for a damaged record (see
 * nw_journal_read; scanning goes on after it). Stops when fn returns false. Returns
 * NW_ENOTFOUND when a record in the range is not (or no longer) in the
 * journal, NW_EIO on a failed read, NW_OK otherwise.
 * Safe from any thread while the journal is open. */
typedef bool (*nw_journal_scan_fn)(void *arg, uint64_t seq, const unsigned char *id,
				   const void *payload, size_t len, enum nw_err err);
enum nw_err nw_journal_scan(nw_journal *j, uint64_t from, uint64_t upto, nw_journal_scan_fn fn,
			    void *arg);

/* What nw_journal_check found in one segment file. */
struct nw_journal_check {
	const char *path;
	uint64_t first_seq, last_seq;   /* the seqs it holds; last < first when empty */
	uint64_t records;               /* whole and checksummed (lost ones among them) */
	uint64_t lost;                  /* marked lost by an earlier repair */
	uint64_t damaged;               /* cannot be read */
	uint64_t tail_bytes;            /* torn tail after the last record (last segment) */
	bool missing;                   /* no file: seqs between two segments */
	bool bad_header;
	bool repaired;                  /* rewritten; the original kept as PATH.damaged */
	const char *ranges;             /* the damaged and lost seqs, "A-B, C" */
};
typedef void (*nw_journal_check_fn)(void *arg, const struct nw_journal_check *c);

/* Reads every record of the journal in dir and verifies its checksum,
 * calling fn once per segment, in order. Safe while the journal is open
 * elsewhere (a tail being written may show as torn). With repair, which
 * needs the journal closed (NW_ESTATE otherwise), each damaged segment is
 * rewritten: whole records kept, damaged seqs marked lost (they read as
 * damaged, their content can be submitted again), a torn tail dropped, a
 * missing file recreated; the original moves to PATH.damaged. Returns
 * NW_OK, or an error with msg saying why the check could not run. */
enum nw_err nw_journal_check(const char *dir, bool repair, nw_journal_check_fn fn, void *arg,
			     char *msg, size_t msglen);

/* Deletes whole old segments beyond the retention limits (never the one
 * being written). Returns how many were deleted. */
size_t nw_journal_apply_retention(nw_journal *j, int64_t now_seconds);

#endif
