/* The wire codec: every msgpack byte newswire reads or writes goes through
 * here. Input is checked against explicit limits before msgpack-c sees it,
 * since msgpack-c allocates whatever a length prefix claims. */
#ifndef NW_CODEC_H
#define NW_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/article.h>

#include "common/util.h"

#define NW_PROTO_VERSION 1

struct nw_codec_limits {
	size_t max_total;    /* bytes of one message */
	size_t max_str;      /* bytes of one string or binary */
	size_t max_array;    /* items of one array */
	size_t max_map;      /* pairs of one map */
	unsigned max_depth;  /* nesting; msgpack-c itself stops at 32 */
	size_t max_objects;  /* values in all (msgpack-c allocates 24 bytes each) */
};

extern const struct nw_codec_limits nw_codec_default_limits;

/* Checks that buf holds exactly one msgpack object within limits, with
 * every length prefix backed by bytes actually present. NW_ETRUNCATED,
 * NW_ELIMIT, NW_ESYNTAX (reserved byte 0xc1, trailing bytes). */
enum nw_err nw_codec_validate(const void *buf, size_t len,
			      const struct nw_codec_limits *lim);

/* Appends the article as a msgpack map (keys as in JSON, plus "v"). */
enum nw_err nw_article_encode(const nw_article *a, nw_buf *out);

/* Decodes an article map. On success *out is a new article the caller
 * destroys; on error nothing is allocated. lim NULL = defaults. */
enum nw_err nw_article_decode(const void *buf, size_t len,
			      const struct nw_codec_limits *lim, nw_article **out);

/* The envelope of a published message: {v, seq, ts, id}; a heartbeat has
 * no id (has_id false) and seq is the last seq in the journal. ts is
 * milliseconds since the Unix epoch. */
struct nw_envelope {
	uint32_t v;
	uint64_t seq;
	uint64_t ts;
	bool has_id;
	char id[NW_ID_LEN + 1];
};

enum nw_err nw_envelope_encode(const struct nw_envelope *e, nw_buf *out);
enum nw_err nw_envelope_decode(const void *buf, size_t len, struct nw_envelope *out);

#endif
