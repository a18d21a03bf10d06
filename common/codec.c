/* msgpack encoding and bounded decoding of articles and envelopes. */
#include "common/codec.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

const struct nw_codec_limits nw_codec_default_limits = {
	.max_total = 16u << 20,
	.max_str = 4u << 20,
	.max_array = 100000,
	.max_map = 64,
	.max_depth = 8,
	.max_objects = 200000,
};

/* ---- validation ---- */

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

enum nw_err nw_codec_validate(const void *buf, size_t len,
			      const struct nw_codec_limits *lim)
{
	const unsigned char *p = buf, *end = p + len;
	uint64_t pending[33];   /* objects still to read at each depth */
	unsigned depth = 0;
	uint64_t objects = 1;
	if (!lim)
		lim = &nw_codec_default_limits;
	if (len > lim->max_total)
		return NW_ELIMIT;
	if (len == 0)
		return NW_ETRUNCATED;
	unsigned max_depth = lim->max_depth < 32 ? lim->max_depth : 32;
	pending[0] = 1;
	while (1) {
		while (pending[depth] == 0) {
			if (depth == 0)
				return p == end ? NW_OK : NW_ESYNTAX;
			depth--;
		}
		if (p >= end)
			return NW_ETRUNCATED;
		pending[depth]--;
		unsigned char c = *p++;
		uint64_t skip = 0, children = 0;
		bool container = false, is_map = false;
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			skip = 0;
		} else if (c >= 0x80 && c <= 0x8f) {
			container = is_map = true;
			children = c & 0x0f;
		} else if (c >= 0x90 && c <= 0x9f) {
			container = true;
			children = c & 0x0f;
		} else if (c >= 0xa0 && c <= 0xbf) {
			skip = c & 0x1f;
		} else {
			int hdr;
			switch (c) {
			case 0xc4: case 0xc5: case 0xc6:   /* bin 8/16/32 */
			case 0xd9: case 0xda: case 0xdb:   /* str 8/16/32 */
				hdr = c == 0xc4 || c == 0xd9 ? 1 : c == 0xc5 || c == 0xda ? 2 : 4;
				if (end - p < hdr)
					return NW_ETRUNCATED;
				skip = be(p, hdr);
				p += hdr;
				if (skip > lim->max_str)
					return NW_ELIMIT;
				break;
			case 0xc7: case 0xc8: case 0xc9:   /* ext 8/16/32: len, type */
				hdr = c == 0xc7 ? 1 : c == 0xc8 ? 2 : 4;
				if (end - p < hdr + 1)
					return NW_ETRUNCATED;
				skip = be(p, hdr) + 1;
				p += hdr;
				if (skip > lim->max_str)
					return NW_ELIMIT;
				break;
			case 0xca: skip = 4; break;
			case 0xcb: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: case 0xdd: case 0xde: case 0xdf:
				hdr = c == 0xdc || c == 0xde ? 2 : 4;
				if (end - p < hdr)
					return NW_ETRUNCATED;
				children = be(p, hdr);
				p += hdr;
				container = true;
				is_map = c >= 0xde;
				break;
			default:   /* 0xc1 is never used */
				return NW_ESYNTAX;
			}
		}
		if (!container) {
			if ((uint64_t)(end - p) < skip)
				return NW_ETRUNCATED;
			p += skip;
			continue;
		}
		if (children > (is_map ? lim->max_map : lim->max_array))
			return NW_ELIMIT;
		if (is_map)
			children *= 2;
		objects += children;
		if (objects > lim->max_objects)
			return NW_ELIMIT;
		/* every child takes at least one byte */
		if (children > (uint64_t)(end - p))
			return NW_ETRUNCATED;
		if (children == 0)
			continue;
		if (depth + 1 >= max_depth)
			return NW_ELIMIT;
		pending[++depth] = children;
	}
}

/* ---- encoding ---- */

static int write_buf(void *data, const char *buf, size_t len)
{
	return nw_buf_append(data, buf, len) == NW_OK ? 0 : -1;
}

static int pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

static int pack_key(msgpack_packer *pk, const char *k)
{
	return pack_str(pk, k);
}

static int pack_opt(msgpack_packer *pk, const char *k, const char *v)
{
	if (pack_key(pk, k))
		return -1;
	return v ? pack_str(pk, v) : msgpack_pack_nil(pk);
}

static int pack_list(msgpack_packer *pk, const char *k, const nw_strlist *l)
{
	if (pack_key(pk, k) || msgpack_pack_array(pk, l->len))
		return -1;
	for (size_t i = 0; i < l->len; i++)
		if (pack_str(pk, l->items[i]))
			return -1;
	return 0;
}

enum nw_err nw_article_encode(const nw_article *a, nw_buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, write_buf);
	char simhash[17];
	snprintf(simhash, sizeof(simhash), "%016llx", (unsigned long long)a->simhash);
	size_t n = 19 + (a->seq ? 1 : 0) + (a->ingested_at ? 1 : 0);
	int rc = msgpack_pack_map(&pk, n);
	rc |= pack_key(&pk, "v") || msgpack_pack_uint32(&pk, NW_PROTO_VERSION);
	rc |= pack_key(&pk, "id") || pack_str(&pk, a->id);
	if (a->seq)
		rc |= pack_key(&pk, "seq") || msgpack_pack_uint64(&pk, a->seq);
	rc |= pack_key(&pk, "format") || pack_str(&pk, nw_format_name(a->format));
	rc |= pack_opt(&pk, "source", a->source ? a->source : "");
	rc |= pack_opt(&pk, "url", a->url);
	rc |= pack_opt(&pk, "lang", a->lang ? a->lang : "und");
	rc |= pack_opt(&pk, "title", a->title ? a->title : "");
	rc |= pack_opt(&pk, "ref", a->ref);
	rc |= pack_opt(&pk, "published", a->published);
	if (a->ingested_at)
		rc |= pack_opt(&pk, "ingested_at", a->ingested_at);
	rc |= pack_opt(&pk, "byline", a->byline);
	rc |= pack_opt(&pk, "lead", a->lead ? a->lead : "");
	rc |= pack_list(&pk, "paragraphs", &a->paragraphs);
	rc |= pack_list(&pk, "captions", &a->captions);
	rc |= pack_list(&pk, "people", &a->people);
	rc |= pack_list(&pk, "places", &a->places);
	rc |= pack_list(&pk, "abbreviations", &a->abbreviations);
	rc |= pack_list(&pk, "tags", &a->tags);
	rc |= pack_key(&pk, "word_count") || msgpack_pack_uint64(&pk, a->word_count);
	rc |= pack_key(&pk, "simhash") || pack_str(&pk, simhash);
	return rc ? NW_ENOMEM : NW_OK;
}

/* ---- decoding ---- */

static bool key_is(const msgpack_object *k, const char *name)
{
	size_t n = strlen(name);
	return k->via.str.size == n && memcmp(k->via.str.ptr, name, n) == 0;
}

/* A msgpack string as a new C string: valid UTF-8, no NUL inside. */
static enum nw_err take_str(const msgpack_object *o, bool nullable, char **out)
{
	if (o->type == MSGPACK_OBJECT_NIL && nullable) {
		*out = NULL;
		return NW_OK;
	}
	if (o->type != MSGPACK_OBJECT_STR)
		return NW_ETYPE;
	const char *s = o->via.str.ptr;
	size_t n = o->via.str.size;
	if (memchr(s, '\0', n) || !nw_utf8_valid(s, n, NULL))
		return NW_EENCODING;
	free(*out);
	*out = nw_strndup(s, n);
	return *out ? NW_OK : NW_ENOMEM;
}

static enum nw_err take_list(const msgpack_object *o, nw_strlist *l)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return NW_ETYPE;
	nw_strlist_clear(l);
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		char *s = NULL;
		enum nw_err err = take_str(&o->via.array.ptr[i], false, &s);
		if (err)
			return err;
		if ((err = nw_strlist_push_owned(l, s)))
			return err;
	}
	return NW_OK;
}

static enum nw_err take_uint(const msgpack_object *o, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return NW_ETYPE;
	*out = o->via.u64;
	return NW_OK;
}

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static enum nw_err take_field(nw_article *a, const msgpack_object *k,
			      const msgpack_object *v, bool *have_title)
{
	char *tmp = NULL;
	enum nw_err err;
	if (key_is(k, "v")) {
		uint64_t ver;
		if ((err = take_uint(v, &ver)))
			return err;
		return ver == NW_PROTO_VERSION ? NW_OK : NW_EVERSION;
	}
	if (key_is(k, "id")) {
		if ((err = take_str(v, false, &tmp)))
			return err;
		err = is_hex(tmp, NW_ID_LEN) ? NW_OK : NW_ETYPE;
		if (!err)
			memcpy(a->id, tmp, NW_ID_LEN + 1);
		free(tmp);
		return err;
	}
	if (key_is(k, "format")) {
		if ((err = take_str(v, false, &tmp)))
			return err;
		err = nw_format_parse(tmp, &a->format);
		free(tmp);
		return err ? NW_ETYPE : NW_OK;
	}
	if (key_is(k, "simhash")) {
		if ((err = take_str(v, false, &tmp)))
			return err;
		err = is_hex(tmp, 16) ? NW_OK : NW_ETYPE;
		if (!err)
			a->simhash = strtoull(tmp, NULL, 16);
		free(tmp);
		return err;
	}
	if (key_is(k, "title")) {
		*have_title = true;
		return take_str(v, false, &a->title);
	}
	if (key_is(k, "seq"))           return take_uint(v, &a->seq);
	if (key_is(k, "word_count"))    return take_uint(v, &a->word_count);
	if (key_is(k, "source"))        return take_str(v, false, &a->source);
	if (key_is(k, "url"))           return take_str(v, true, &a->url);
	if (key_is(k, "lang"))          return take_str(v, false, &a->lang);
	if (key_is(k, "ref"))           return take_str(v, true, &a->ref);
	if (key_is(k, "published"))     return take_str(v, true, &a->published);
	if (key_is(k, "ingested_at"))   return take_str(v, true, &a->ingested_at);
	if (key_is(k, "byline"))        return take_str(v, true, &a->byline);
	if (key_is(k, "lead"))          return take_str(v, false, &a->lead);
	if (key_is(k, "paragraphs"))    return take_list(v, &a->paragraphs);
	if (key_is(k, "captions"))      return take_list(v, &a->captions);
	if (key_is(k, "people"))        return take_list(v, &a->people);
	if (key_is(k, "places"))        return take_list(v, &a->places);
	if (key_is(k, "abbreviations")) return take_list(v, &a->abbreviations);
	if (key_is(k, "tags"))          return take_list(v, &a->tags);
	return NW_OK;   /* unknown keys of this version are ignored */
}

/* Validates, then unpacks one map into obj; the caller destroys result. */
static enum nw_err unpack_map(const void *buf, size_t len, const struct nw_codec_limits *lim,
			      msgpack_unpacked *result)
{
	enum nw_err err = nw_codec_validate(buf, len, lim);
	if (err)
		return err;
	size_t off = 0;
	msgpack_unpack_return rc = msgpack_unpack_next(result, buf, len, &off);
	if (rc == MSGPACK_UNPACK_NOMEM_ERROR)
		return NW_ENOMEM;
	if (rc != MSGPACK_UNPACK_SUCCESS || off != len)
		return NW_ESYNTAX;
	if (result->data.type != MSGPACK_OBJECT_MAP)
		return NW_ETYPE;
	for (uint32_t i = 0; i < result->data.via.map.size; i++)
		if (result->data.via.map.ptr[i].key.type != MSGPACK_OBJECT_STR)
			return NW_ETYPE;
	return NW_OK;
}

enum nw_err nw_article_decode(const void *buf, size_t len,
			      const struct nw_codec_limits *lim, nw_article **out)
{
	msgpack_unpacked result;
	msgpack_unpacked_init(&result);
	nw_article *a = NULL;
	bool have_title = false;
	enum nw_err err = unpack_map(buf, len, lim, &result);
	if (err)
		goto out;
	if (!(a = nw_article_new())) {
		err = NW_ENOMEM;
		goto out;
	}
	const msgpack_object_map *m = &result.data.via.map;
	for (uint32_t i = 0; i < m->size && !err; i++)
		err = take_field(a, &m->ptr[i].key, &m->ptr[i].val, &have_title);
	if (!err && (!have_title || !a->id[0]))
		err = NW_EMISSING;
	if (!err && !a->source && !(a->source = nw_strdup("")))
		err = NW_ENOMEM;
	if (!err && !a->lang && !(a->lang = nw_strdup("und")))
		err = NW_ENOMEM;
	if (!err && !a->lead && !(a->lead = nw_strdup("")))
		err = NW_ENOMEM;
out:
	msgpack_unpacked_destroy(&result);
	if (err)
		nw_article_destroy(&a);
	*out = a;
	return err;
}

enum nw_err nw_envelope_encode(const struct nw_envelope *e, nw_buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, write_buf);
	int rc = msgpack_pack_map(&pk, e->has_id ? 4 : 3);
	rc |= pack_key(&pk, "v") || msgpack_pack_uint32(&pk, e->v ? e->v : NW_PROTO_VERSION);
	rc |= pack_key(&pk, "seq") || msgpack_pack_uint64(&pk, e->seq);
	rc |= pack_key(&pk, "ts") || msgpack_pack_uint64(&pk, e->ts);
	if (e->has_id)
		rc |= pack_key(&pk, "id") || pack_str(&pk, e->id);
	return rc ? NW_ENOMEM : NW_OK;
}

enum nw_err nw_envelope_decode(const void *buf, size_t len, struct nw_envelope *out)
{
	static const struct nw_codec_limits lim = { 256, 64, 0, 8, 2, 16 };
	msgpack_unpacked result;
	msgpack_unpacked_init(&result);
	struct nw_envelope e = { 0 };
	bool have_v = false, have_seq = false, have_ts = false;
	enum nw_err err = unpack_map(buf, len, &lim, &result);
	const msgpack_object_map *m = &result.data.via.map;
	for (uint32_t i = 0; !err && i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key, *v = &m->ptr[i].val;
		uint64_t num = 0;
		if (key_is(k, "v")) {
			if (!(err = take_uint(v, &num)))
				err = num == NW_PROTO_VERSION ? NW_OK : NW_EVERSION;
			e.v = (uint32_t)num;
			have_v = true;
		} else if (key_is(k, "seq")) {
			err = take_uint(v, &e.seq);
			have_seq = true;
		} else if (key_is(k, "ts")) {
			err = take_uint(v, &e.ts);
			have_ts = true;
		} else if (key_is(k, "id")) {
			char *id = NULL;
			if (!(err = take_str(v, false, &id))) {
				err = is_hex(id, NW_ID_LEN) ? NW_OK : NW_ETYPE;
				if (!err)
					memcpy(e.id, id, NW_ID_LEN + 1);
				e.has_id = true;
			}
			free(id);
		}
	}
	if (!err && (!have_v || !have_seq || !have_ts))
		err = NW_EMISSING;
	msgpack_unpacked_destroy(&result);
	if (!err)
		*out = e;
	return err;
}

/* ---- request/reply messages ---- */

static const msgpack_object *map_get(const msgpack_object_map *m, const char *key)
{
	for (uint32_t i = 0; i < m->size; i++)
		if (key_is(&m->ptr[i].key, key))
			return &m->ptr[i].val;
	return NULL;
}

/* Checks v and returns the map of an unpacked small message. */
static enum nw_err message_map(const void *buf, size_t len, const struct nw_codec_limits *lim,
			       msgpack_unpacked *result, const msgpack_object_map **m)
{
	enum nw_err err = unpack_map(buf, len, lim, result);
	if (err)
		return err;
	*m = &result->data.via.map;
	const msgpack_object *v = map_get(*m, "v");
	uint64_t ver;
	if (!v)
		return NW_EMISSING;
	if ((err = take_uint(v, &ver)))
		return err;
	return ver == NW_PROTO_VERSION ? NW_OK : NW_EVERSION;
}

static enum nw_err get_uint(const msgpack_object_map *m, const char *key, bool required,
			    uint64_t *out)
{
	const msgpack_object *o = map_get(m, key);
	if (!o)
		return required ? NW_EMISSING : NW_OK;
	return take_uint(o, out);
}

static int pack_uint_field(msgpack_packer *pk, const char *key, uint64_t v)
{
	return pack_key(pk, key) || msgpack_pack_uint64(pk, v);
}

enum nw_err nw_submit_req_encode(const struct nw_submit_req *r, nw_buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, write_buf);
	size_t n = 3 + (r->has_format ? 1 : 0) + (r->source ? 1 : 0);
	int rc = msgpack_pack_map(&pk, n);
	rc |= pack_uint_field(&pk, "v", NW_PROTO_VERSION);
	rc |= pack_uint_field(&pk, "rid", r->rid);
	if (r->has_format)
		rc |= pack_key(&pk, "format") || pack_str(&pk, nw_format_name(r->format));
	if (r->source)
		rc |= pack_key(&pk, "source") || pack_str(&pk, r->source);
	rc |= pack_key(&pk, r->is_article ? "article" : "data") ||
	      msgpack_pack_bin(&pk, r->data.len) || msgpack_pack_bin_body(&pk, r->data.data, r->data.len);
	return rc ? NW_ENOMEM : NW_OK;
}

enum nw_err nw_submit_req_decode(const void *buf, size_t len, size_t max_data,
				 struct nw_submit_req *out)
{
	struct nw_codec_limits lim = { max_data + 4096, max_data, 0, 8, 2, 16 };
	msgpack_unpacked result;
	msgpack_unpacked_init(&result);
	memset(out, 0, sizeof(*out));
	const msgpack_object_map *m = NULL;
	enum nw_err err = message_map(buf, len, &lim, &result, &m);
	if (!err)
		err = get_uint(m, "rid", false, &out->rid);
	const msgpack_object *fmt = err ? NULL : map_get(m, "format");
	if (fmt) {
		char *name = NULL;
		if (!(err = take_str(fmt, false, &name)))
			err = nw_format_parse(name, &out->format) ? NW_EFORMAT : NW_OK;
		free(name);
		out->has_format = true;
	}
	const msgpack_object *src = err ? NULL : map_get(m, "source");
	if (src)
		err = take_str(src, true, &out->source);
	const msgpack_object *data = err ? NULL : map_get(m, "data");
	if (!err && !data && (data = map_get(m, "article")))
		out->is_article = true;
	if (!err && !data)
		err = NW_EMISSING;
	if (!err && data->type != MSGPACK_OBJECT_BIN && data->type != MSGPACK_OBJECT_STR)
		err = NW_ETYPE;
	if (!err)
		err = nw_buf_append(&out->data, data->via.bin.ptr, data->via.bin.size);
	msgpack_unpacked_destroy(&result);
	if (err)
		nw_submit_req_clear(out);
	return err;
}

void nw_submit_req_clear(struct nw_submit_req *r)
{
	free(r->source);
	r->source = NULL;
	nw_buf_release(&r->data);
}

enum nw_err nw_submit_reply_encode(const struct nw_submit_reply *r, nw_buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, write_buf);
	int rc = msgpack_pack_map(&pk, r->ok ? 8 : 7);
	rc |= pack_uint_field(&pk, "v", NW_PROTO_VERSION);
	rc |= pack_uint_field(&pk, "rid", r->rid);
	rc |= pack_uint_field(&pk, "index", r->index);
	rc |= pack_uint_field(&pk, "count", r->count ? r->count : 1);
	rc |= pack_key(&pk, "ok") || (r->ok ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk));
	if (r->ok) {
		rc |= pack_uint_field(&pk, "seq", r->seq);
		rc |= pack_key(&pk, "id") || pack_str(&pk, r->id);
		rc |= pack_key(&pk, "dup") || (r->dup ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk));
	} else {
		rc |= pack_key(&pk, "error") || pack_str(&pk, r->error);
		rc |= pack_key(&pk, "code") || pack_str(&pk, r->code);
	}
	return rc ? NW_ENOMEM : NW_OK;
}

static enum nw_err take_bool(const msgpack_object *o, bool *out)
{
	if (!o)
		return NW_EMISSING;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return NW_ETYPE;
	*out = o->via.boolean;
	return NW_OK;
}

/* Copies a string field into a fixed buffer (truncating). */
static enum nw_err take_fixed(const msgpack_object_map *m, const char *key, char *out, size_t n)
{
	const msgpack_object *o = map_get(m, key);
	char *s = NULL;
	if (!o)
		return NW_EMISSING;
	enum nw_err err = take_str(o, false, &s);
	if (!err)
		snprintf(out, n, "%s", s);
	free(s);
	return err;
}

enum nw_err nw_submit_reply_decode(const void *buf, size_t len, struct nw_submit_reply *out)
{
	static const struct nw_codec_limits lim = { 4096, 1024, 0, 16, 2, 32 };
	msgpack_unpacked result;
	msgpack_unpacked_init(&result);
	memset(out, 0, sizeof(*out));
	const msgpack_object_map *m = NULL;
	enum nw_err err = message_map(buf, len, &lim, &result, &m);
	uint64_t index = 0, count = 1;
	if (!err)
		err = get_uint(m, "rid", false, &out->rid);
	if (!err && !(err = get_uint(m, "index", false, &index)) &&
	    !(err = get_uint(m, "count", false, &count)) && (count == 0 || index >= count ||
							      count > UINT32_MAX))
		err = NW_ETYPE;
	out->index = (uint32_t)index;
	out->count = (uint32_t)count;
	if (!err)
		err = take_bool(map_get(m, "ok"), &out->ok);
	if (!err && out->ok) {
		if (!(err = get_uint(m, "seq", true, &out->seq)) &&
		    !(err = take_fixed(m, "id", out->id, sizeof(out->id))))
			err = take_bool(map_get(m, "dup"), &out->dup);
		if (!err && !is_hex(out->id, NW_ID_LEN))
			err = NW_ETYPE;
	} else if (!err) {
		if (!(err = take_fixed(m, "error", out->error, sizeof(out->error))) &&
		    take_fixed(m, "code", out->code, sizeof(out->code)) != NW_OK)
			snprintf(out->code, sizeof(out->code), "error");
	}
	msgpack_unpacked_destroy(&result);
	return err;
}

/* Encodes a small {v, key1, key2} map of two unsigned numbers. */
static enum nw_err encode_two(nw_buf *out, const char *k1, uint64_t v1, const char *k2,
			      uint64_t v2)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, write_buf);
	int rc = msgpack_pack_map(&pk, 3);
	rc |= pack_uint_field(&pk, "v", NW_PROTO_VERSION);
	rc |= pack_uint_field(&pk, k1, v1);
	rc |= pack_uint_field(&pk, k2, v2);
	return rc ? NW_ENOMEM : NW_OK;
}

enum nw_err nw_replay_req_encode(const struct nw_replay_req *r, nw_buf *out)
{
	return encode_two(out, "from", r->from, "max", r->max);
}

/* Decodes a small {v, key1, key2} map of two required unsigned numbers. */
static enum nw_err decode_two(const void *buf, size_t len, const char *k1, uint64_t *v1,
			      const char *k2, uint64_t *v2)
{
	static const struct nw_codec_limits lim = { 256, 64, 0, 8, 2, 16 };
	msgpack_unpacked result;
	msgpack_unpacked_init(&result);
	*v1 = *v2 = 0;
	const msgpack_object_map *m = NULL;
	enum nw_err err = message_map(buf, len, &lim, &result, &m);
	if (!err)
		err = get_uint(m, k1, true, v1);
	if (!err)
		err = get_uint(m, k2, true, v2);
	msgpack_unpacked_destroy(&result);
	return err;
}

enum nw_err nw_replay_req_decode(const void *buf, size_t len, struct nw_replay_req *out)
{
	return decode_two(buf, len, "from", &out->from, "max", &out->max);
}

enum nw_err nw_range_encode(const struct nw_range *r, nw_buf *out)
{
	return encode_two(out, "from", r->from, "to", r->to);
}

enum nw_err nw_range_decode(const void *buf, size_t len, struct nw_range *out)
{
	return decode_two(buf, len, "from", &out->from, "to", &out->to);
}

enum nw_err nw_article_unpack(const void *data, size_t len, nw_article **out)
{
	return nw_article_decode(data, len, NULL, out);
}
