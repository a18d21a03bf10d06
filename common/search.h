/* The full-text index: SQLite FTS5 over title, lead, body, captions,
 * people and places (plus source and lang for filters), with the "nwfold"
 * tokenizer registered on every connection. Documents and queries are
 * tokenized alike: words are folded (lower case, no diacritics, đ = d),
 * so "le thuy", "Lệ Thủy", "LỆ THỦY" and NFD spellings find the same
 * articles. Each word whose exact lower-case form differs from its folded
 * form is also indexed in that exact form at the same position, so a
 * query can tell "đường" from "dương": hits that match the query's exact
 * spelling rank above hits that match only folded. Within each group,
 * bm25 ("nwrank": title weighted above lead, places, people, captions,
 * body; document frequencies counted up to 1,000, see search.c).
 *
 * Ranking every match costs time in proportion to the matches, which for
 * the most common words is most of the index; so a query ranks the
 * 1,000 newest articles that match (per spelling group) and keeps the
 * best that pass its lang, source and date filters. Only when filters
 * leave too few hits from a full window are all matches ranked. A new
 * index file has 64 KiB pages; read-only connections map the file. */
#ifndef NW_SEARCH_H
#define NW_SEARCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <newswire/error.h>

#include "common/service.h"

typedef struct nw_index nw_index;

/* Opens the index database (readonly: it must exist). */
enum nw_err nw_index_open(const char *path, bool readonly, nw_index **out, char *msg,
			  size_t msglen);
void nw_index_close(nw_index **ix);

uint64_t nw_index_checkpoint(nw_index *ix);   /* 0 when none */
uint64_t nw_index_count(nw_index *ix);

struct nw_index_store_stats {
	uint64_t indexed, undecodable, duplicates;
};

/* Indexes the batch and stores its last_seq as the checkpoint, in one
 * transaction (the indexer's commit). */
enum nw_err nw_index_store(nw_index *ix, const struct nw_service_batch *b,
			   struct nw_index_store_stats *st, char *msg, size_t msglen);

struct nw_search_query {
	const char *q;          /* the expression language of expr.h */
	int limit;              /* 1..1000; 0 = 20 */
	const char *lang, *source;   /* equal to; NULL = any */
	const char *place, *person;  /* contains (folded); NULL = any */
	int64_t since, until;        /* publication time, Unix seconds; 0 = open */
};

/* Runs a query. On success *hits is a JSON array of {seq, id, title,
 * published, source, score, snippet}, best first (score: higher is
 * better; exact-spelling matches score 1000 above the rest), matches in
 * the snippet between <b> and </b>. NW_ESYNTAX with msg (with the
 * column) for a malformed query, NW_EINVAL for a bad limit or filter. */
enum nw_err nw_search(nw_index *ix, const struct nw_search_query *q, json_t **hits, char *msg,
		      size_t msglen);

#endif
