/* The article model: lifecycle of struct nw_article (public in
 * <newswire/article.h>), the derived fields every parser fills the same way,
 * and conversion to and from JSON. */
#ifndef NW_ARTICLE_H
#define NW_ARTICLE_H

#include <jansson.h>
#include <stdbool.h>
#include <newswire/article.h>

/* Fills the fields derived from the content: lead (first paragraph when
 * unset), id, word_count, simhash, lang (when unset), people, places and
 * abbreviations. Call once the title and paragraphs are final. */
enum nw_err nw_article_finish(nw_article *a);

/* Content id: first 128 bits of SHA-256 over the NFC title and paragraphs,
 * as 32 hex characters into out (33 bytes). */
void nw_article_content_id(const nw_article *a, char out[NW_ID_LEN + 1]);

/* 64-bit simhash of the body (the title when the body is empty). */
uint64_t nw_article_simhash(const nw_article *a);

/* Whitespace-separated tokens in title + paragraphs. */
uint64_t nw_article_word_count(const nw_article *a);

/* JSON object with the contract's keys, in the contract's order; absent
 * optional values are null, seq and ingested_at are left out until set.
 * New reference (caller json_decref()s), NULL on ENOMEM. */
json_t *nw_article_to_json(const nw_article *a);

/* The article as an IPTC ninjs 2.0 object (uri, headlines, descriptions,
 * bodies, firstcreated, versioncreated, by, people, places, subjects,
 * infosources, altids with the newswire id and seq). New reference. */
json_t *nw_article_to_ninjs(const nw_article *a);

/* One JSON line (compact) or pretty text; caller frees. */
char *nw_article_to_json_text(const nw_article *a, bool pretty);

/* A deep copy; NULL on ENOMEM. */
nw_article *nw_article_clone(const nw_article *a);

/* True if both hold the same values in every field. */
bool nw_article_equal(const nw_article *x, const nw_article *y);

#endif
