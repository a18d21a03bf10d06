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

/* ---- request/reply messages (docs/protocol.md) ---- */

/* Submit request: raw input to parse, or an encoded article map. rid is
 * the client's request id, echoed in the reply. Decoded strings and bytes
 * are owned by the struct: release with nw_submit_req_clear(). */
struct nw_submit_req {
	uint64_t rid;
	bool is_article;        /* data holds an encoded article map */
	bool has_format;
	enum nw_format format;  /* when has_format; else detected */
	char *source;           /* may be NULL */
	nw_buf data;
};

/* One reply per article of a request: index counts from 0 to count - 1
 * (an input rejected whole gets one reply, index 0 of count 1). */
struct nw_submit_reply {
	uint64_t rid;
	uint32_t index, count;
	bool ok;
	bool dup;
	uint64_t seq;
	char id[NW_ID_LEN + 1];
	char error[256];        /* when !ok: one line */
	char code[32];          /* when !ok: "invalid", "too_big", "unavailable", ... */
};

enum nw_err nw_submit_req_encode(const struct nw_submit_req *r, nw_buf *out);
enum nw_err nw_submit_req_decode(const void *buf, size_t len, size_t max_data,
				 struct nw_submit_req *out);
void nw_submit_req_clear(struct nw_submit_req *r);

enum nw_err nw_submit_reply_encode(const struct nw_submit_reply *r, nw_buf *out);
enum nw_err nw_submit_reply_decode(const void *buf, size_t len, struct nw_submit_reply *out);

/* Replay request {v, from, max}; replies are frames ["article"][env][art]
 * for each record, a ["gap"][{v, from, to}] first when records before the
 * oldest retained one were asked for, and last ["end"][{v, from, to}] with
 * the oldest retained and the newest published seq. */
struct nw_replay_req {
	uint64_t from;
	uint64_t max;
};

enum nw_err nw_replay_req_encode(const struct nw_replay_req *r, nw_buf *out);
enum nw_err nw_replay_req_decode(const void *buf, size_t len, struct nw_replay_req *out);

/* A {v, from, to} range (gap) or {v, seq} marker (end). */
struct nw_range {
	uint64_t from, to;
};
enum nw_err nw_range_encode(const struct nw_range *r, nw_buf *out);
enum nw_err nw_range_decode(const void *buf, size_t len, struct nw_range *out);
