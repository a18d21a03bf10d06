/* The structured article: the unit newswire parses, stores and publishes.
 * Field names match the JSON and msgpack keys of the product contract. */
#ifndef NEWSWIRE_ARTICLE_H
#define NEWSWIRE_ARTICLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A growable list of owned, NUL-terminated UTF-8 strings. */
typedef struct nw_strlist {
	char **items;
	size_t len;
	size_t cap;
} nw_strlist;

enum nw_format {
	NW_FORMAT_TEXT = 0,
	NW_FORMAT_JSON,
	NW_FORMAT_RSS,
	NW_FORMAT_ATOM,
	NW_FORMAT_RDF,
	NW_FORMAT_HTTP,
};

#define NW_ID_LEN 32   /* hex characters of an article id */

/* Every string is owned by the article and freed by nw_article_destroy().
 * Optional fields (url, ref, published, ingested_at, byline) may be NULL;
 * the others are never NULL once an article has been produced by a parser
 * or the decoder. seq == 0 means "not ingested yet". */
typedef struct nw_article {
	char id[NW_ID_LEN + 1];
	uint64_t seq;
	enum nw_format format;
	char *source;
	char *url;
	char *lang;
	char *title;
	char *ref;
	char *published;
	char *ingested_at;
	char *byline;
	char *lead;
	nw_strlist paragraphs;
	nw_strlist captions;
	nw_strlist people;
	nw_strlist places;
	nw_strlist abbreviations;
	nw_strlist tags;
	uint64_t word_count;
	uint64_t simhash;
} nw_article;

/* A new, empty article (all lists empty, strings NULL); NULL on ENOMEM. */
nw_article *nw_article_new(void);
/* Frees the article and everything it owns; sets *ap to NULL. NULL-safe. */
void nw_article_destroy(nw_article **ap);

/* Decodes an article as subscribers receive it (its msgpack map). On
 * success *out is a new article the caller destroys; on error (a typed
 * one: NW_ETRUNCATED, NW_ETYPE, NW_ELIMIT, ...) nothing is allocated. */
enum nw_err nw_article_unpack(const void *data, size_t len, nw_article **out);

/* The article as JSON with the contract's field names: one compact line,
 * or indented text with pretty. The caller frees it; NULL on ENOMEM. */
char *nw_article_json(const nw_article *a, bool pretty);

/* "text", "json", "rss", "atom", "rdf", "http". */
const char *nw_format_name(enum nw_format f);
/* Parses a format name; returns NW_EFORMAT for an unknown one. */
enum nw_err nw_format_parse(const char *name, enum nw_format *out);

#ifdef __cplusplus
}
#endif
#endif
