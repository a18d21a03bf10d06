/* RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 1.0 feeds to articles (SPEC 3.2),
 * as leniently as feed readers are: the text is decoded to UTF-8 from its
 * BOM, declared or given encoding, common breakages are repaired (junk
 * before the root, a misplaced XML declaration, HTML entities, bare '&',
 * unterminated CDATA), then libxml2 parses in recovery mode. */
#ifndef NW_FEED_H
#define NW_FEED_H

#include <stdbool.h>
#include <stddef.h>

#include "common/parse.h"

/* A feed document may be this many times max_article_bytes. */
#define NW_FEED_SIZE_FACTOR 8

/* What a parse learnt about the feed as a whole. */
struct nw_feed_info {
	enum nw_format format;     /* rss, atom or rdf (rss when not a feed) */
	long ttl_minutes;          /* RSS <ttl>, 0 when absent */
	size_t entries;            /* entries found, accepted or rejected */
	bool repaired;             /* the XML was malformed and recovered */
	char encoding[32];         /* the encoding the text was read in */
	char note[NW_REASON_MAX];  /* the first problem recovered from */
};

struct nw_feed_sink {
	/* Each accepted entry, owned by the callee from then on, with its
	 * stable key: guid or Atom id, else the link, else NULL. An error
	 * stops the parse with that error. */
	enum nw_err (*entry)(void *ctx, nw_article *a, const char *key);
	/* Each rejected entry (1-based). May be NULL. */
	void (*reject)(void *ctx, size_t entry, enum nw_err err, const char *reason);
	void *ctx;
};

/* Parses one feed document. charset is the transport's charset (HTTP
 * Content-Type) or NULL; a BOM or the XML declaration wins over it. On
 * NW_OK every entry went to the sink (some maybe rejected); otherwise the
 * document is rejected whole and reason says why. info may be NULL. */
enum nw_err nw_feed_parse(const char *data, size_t len, const char *charset,
			  const struct nw_parse_opts *o, const struct nw_feed_sink *sink,
			  struct nw_feed_info *info, char reason[NW_REASON_MAX]);

/* nw_parse()'s entry for feeds: entries to an article sink. */
enum nw_err nw_parse_feed(const char *data, size_t len, const struct nw_parse_opts *o,
			  const struct nw_parse_sink *sink, char reason[NW_REASON_MAX]);

#endif
