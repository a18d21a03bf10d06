/* The article archive: one SQLite database (WAL) holding every article
 * the archiver stored, keyed by seq and by id, with the whole article as
 * JSON (queryable with SQLite's JSON functions) and the archiver's
 * checkpoint. The archiver writes it; `newswire get` and `export` read it
 * (read-only connections never block the writer). */
#ifndef NW_ARCHIVE_H
#define NW_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <newswire/article.h>

#include "common/service.h"

typedef struct nw_archive nw_archive;

/* Opens the archive at path (readonly: it must exist). On error msg says
 * why. */
enum nw_err nw_archive_open(const char *path, bool readonly, nw_archive **out, char *msg,
			    size_t msglen);
void nw_archive_close(nw_archive **a);

/* The last seq stored, 0 when none. */
uint64_t nw_archive_checkpoint(nw_archive *a);

/* What a store did. */
struct nw_archive_store_stats {
	uint64_t stored, undecodable, duplicates;
};

/* Stores the batch's articles and its last_seq as the checkpoint in one
 * transaction (the archiver's commit, on its thread pool). An article
 * that does not decode is logged and counted, not stored. */
enum nw_err nw_archive_store(nw_archive *a, const struct nw_service_batch *b,
			     struct nw_archive_store_stats *st, char *msg, size_t msglen);

/* The stored JSON of the article with this id (32 hex digits) or seq
 * (digits); caller frees. NW_ENOTFOUND when there is none, NW_EINVAL when
 * key is neither. */
enum nw_err nw_archive_get(nw_archive *a, const char *key, char **json);

/* Articles of a seq range and/or a range of publication times (Unix
 * seconds, inclusive; 0 = open), in seq order, to fn as JSON text (or as
 * ninjs); fn returns false to stop. */
struct nw_archive_range {
	uint64_t from_seq, to_seq;
	int64_t since, until;
	bool ninjs;
};
typedef bool (*nw_archive_each_fn)(void *arg, const char *json);
enum nw_err nw_archive_export(nw_archive *a, const struct nw_archive_range *r,
			      nw_archive_each_fn fn, void *arg, char *msg, size_t msglen);

/* Articles stored. */
uint64_t nw_archive_count(nw_archive *a);

#endif
