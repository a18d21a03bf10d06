/* The msgpack codec: round trips, limits, hostile input. */
#include "tests/unit/testutil.h"

#include <msgpack.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/parse.h"

static nw_article *seed_article(void)
{
	size_t len;
	char *text = slurp_corpus("seed/seed.txt", &len);
	struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .source = "seed.txt" };
	char reason[NW_REASON_MAX];
	nw_article *a = NULL;
	assert_int_equal(nw_parse_one(text, len, &o, &a, reason), NW_OK);
	free(text);
	return a;
}

static void round_trip(void **state)
{
	nw_article *a = seed_article();
	a->seq = 42;
	a->ingested_at = nw_strdup("2026-11-26T12:00:00Z");
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_article_encode(a, &b), NW_OK);
	nw_article *d = NULL;
	assert_int_equal(nw_article_decode(b.data, b.len, NULL, &d), NW_OK);
	assert_true(nw_article_equal(a, d));
	nw_article_destroy(&d);
	nw_article_destroy(&a);
	nw_buf_release(&b);
}

/* msgpack/msgpack-c#1013: array32 claiming 4 billion items. */
static void huge_length_prefixes(void **state)
{
	nw_article *a = NULL;
	const unsigned char arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(nw_article_decode(arr32, sizeof(arr32), NULL, &a), NW_ELIMIT);
	assert_null(a);
	const unsigned char map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(nw_article_decode(map32, sizeof(map32), NULL, &a), NW_ELIMIT);
	const unsigned char str32[] = { 0x81, 0xa1, 'x', 0xdb, 0x7f, 0xff, 0xff, 0xff };
	assert_int_equal(nw_article_decode(str32, sizeof(str32), NULL, &a), NW_ELIMIT);
	const unsigned char bin32[] = { 0x81, 0xa1, 'x', 0xc6, 0x00, 0x10, 0x00, 0x00 };
	assert_int_equal(nw_article_decode(bin32, sizeof(bin32), NULL, &a), NW_ETRUNCATED);
	/* within limits but more items claimed than bytes present */
	const unsigned char arr16[] = { 0x81, 0xa1, 'x', 0xdc, 0x01, 0x00, 0x01 };
	assert_int_equal(nw_article_decode(arr16, sizeof(arr16), NULL, &a), NW_ETRUNCATED);
}

static void depth_limit(void **state)
{
	unsigned char deep[64];
	deep[0] = 0x81;
	deep[1] = 0xa1;
	deep[2] = 'x';
	for (int i = 3; i < 63; i++)
		deep[i] = 0x91;   /* fixarray of 1 */
	deep[63] = 0x01;
	nw_article *a = NULL;
	assert_int_equal(nw_article_decode(deep, sizeof(deep), NULL, &a), NW_ELIMIT);
	assert_int_equal(nw_codec_validate(deep, sizeof(deep), NULL), NW_ELIMIT);
	struct nw_codec_limits lim = nw_codec_default_limits;
	lim.max_depth = 32;
	assert_int_equal(nw_codec_validate(deep, sizeof(deep), &lim), NW_ELIMIT);
}

static void every_truncation_fails_cleanly(void **state)
{
	nw_article *a = seed_article();
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_article_encode(a, &b), NW_OK);
	for (size_t n = 0; n < b.len; n++) {
		nw_article *d = NULL;
		enum nw_err err = nw_article_decode(b.data, n, NULL, &d);
		assert_int_equal(err, NW_ETRUNCATED);
		assert_null(d);
	}
	nw_buf_puts(&b, "x");   /* trailing byte */
	nw_article *d = NULL;
	assert_int_equal(nw_article_decode(b.data, b.len, NULL, &d), NW_ESYNTAX);
	nw_article_destroy(&a);
	nw_buf_release(&b);
}

static void wrong_types_and_versions(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	nw_article *a = NULL;
	struct { const char *key; int kind; enum nw_err want; } cases[] = {
		{ "title", 0, NW_ETYPE },       /* integer title */
		{ "paragraphs", 1, NW_ETYPE },  /* string instead of array */
		{ "v", 2, NW_EVERSION },        /* version 99 */
		{ "id", 3, NW_ETYPE },          /* not 32 hex chars */
		{ "seq", 4, NW_ETYPE },         /* negative */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 3);
		msgpack_pack_str_with_body(&pk, "id", 2);
		msgpack_pack_str_with_body(&pk, "0123456789abcdef0123456789abcdef", 32);
		msgpack_pack_str_with_body(&pk, "title", 5);
		msgpack_pack_str_with_body(&pk, "T", 1);
		msgpack_pack_str_with_body(&pk, cases[i].key, strlen(cases[i].key));
		switch (cases[i].kind) {
		case 0: msgpack_pack_int(&pk, 5); break;
		case 1: msgpack_pack_str_with_body(&pk, "p", 1); break;
		case 2: msgpack_pack_int(&pk, 99); break;
		case 3: msgpack_pack_str_with_body(&pk, "XYZ", 3); break;
		case 4: msgpack_pack_int(&pk, -1); break;
		}
		assert_int_equal(nw_article_decode(sb.data, sb.size, NULL, &a), cases[i].want);
		assert_null(a);
		msgpack_sbuffer_destroy(&sb);
	}
	/* missing title, invalid UTF-8, NUL inside a string */
	const unsigned char no_title[] = { 0x81, 0xa2, 'i', 'd', 0xa1, 'x' };
	assert_int_equal(nw_article_decode(no_title, sizeof(no_title), NULL, &a), NW_ETYPE);
	const unsigned char bad_utf8[] = { 0x81, 0xa5, 't', 'i', 't', 'l', 'e', 0xa1, 0xff };
	assert_int_equal(nw_article_decode(bad_utf8, sizeof(bad_utf8), NULL, &a), NW_EENCODING);
	const unsigned char nul[] = { 0x81, 0xa5, 't', 'i', 't', 'l', 'e', 0xa2, 'a', 0 };
	assert_int_equal(nw_article_decode(nul, sizeof(nul), NULL, &a), NW_EENCODING);
	const unsigned char not_map[] = { 0x93, 1, 2, 3 };
	assert_int_equal(nw_article_decode(not_map, sizeof(not_map), NULL, &a), NW_ETYPE);
	const unsigned char int_key[] = { 0x81, 0x01, 0x02 };
	assert_int_equal(nw_article_decode(int_key, sizeof(int_key), NULL, &a), NW_ETYPE);
	const unsigned char reserved[] = { 0xc1 };
	assert_int_equal(nw_article_decode(reserved, sizeof(reserved), NULL, &a), NW_ESYNTAX);
	const unsigned char title_only[] = { 0x81, 0xa5, 't', 'i', 't', 'l', 'e', 0xa1, 'T' };
	assert_int_equal(nw_article_decode(title_only, sizeof(title_only), NULL, &a), NW_EMISSING);
}

static void envelope(void **state)
{
	struct nw_envelope e = { .v = 1, .seq = 123456789012ULL, .ts = 1764158400000ULL, .has_id = true };
	memcpy(e.id, "0123456789abcdef0123456789abcdef", 33);
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_envelope_encode(&e, &b), NW_OK);
	struct nw_envelope d;
	assert_int_equal(nw_envelope_decode(b.data, b.len, &d), NW_OK);
	assert_int_equal(d.seq, e.seq);
	assert_int_equal(d.ts, e.ts);
	assert_true(d.has_id);
	assert_string_equal(d.id, e.id);
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(nw_envelope_decode(b.data, n, &d), NW_OK);
	nw_buf_release(&b);

	struct nw_envelope hb = { .v = 1, .seq = 7, .ts = 1 };
	assert_int_equal(nw_envelope_encode(&hb, &b), NW_OK);
	assert_int_equal(nw_envelope_decode(b.data, b.len, &d), NW_OK);
	assert_false(d.has_id);
	assert_int_equal(d.seq, 7);
	nw_buf_release(&b);

	const unsigned char v2[] = { 0x83, 0xa1, 'v', 0x02, 0xa3, 's', 'e', 'q', 0x01, 0xa2, 't', 's', 0x01 };
	assert_int_equal(nw_envelope_decode(v2, sizeof(v2), &d), NW_EVERSION);
	const unsigned char no_ts[] = { 0x82, 0xa1, 'v', 0x01, 0xa3, 's', 'e', 'q', 0x01 };
	assert_int_equal(nw_envelope_decode(no_ts, sizeof(no_ts), &d), NW_EMISSING);
}

/* Random bytes never crash the decoder nor leak (ASan checks both). */
static void random_bytes(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	unsigned char buf[256];
	size_t ok = 0;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 256) + 1;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			buf[i] = (unsigned char)x;
		}
		if (round % 3 == 0)
			buf[0] = (unsigned char)(0x80 | (buf[0] & 0x0f));   /* start with a map */
		nw_article *a = NULL;
		if (nw_article_decode(buf, n, NULL, &a) == NW_OK)
			ok++;
		nw_article_destroy(&a);
		struct nw_envelope e;
		(void)nw_envelope_decode(buf, n, &e);
	}
	assert_int_equal(ok, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(huge_length_prefixes),
		cmocka_unit_test(depth_limit),
		cmocka_unit_test(every_truncation_fails_cleanly),
		cmocka_unit_test(wrong_types_and_versions),
		cmocka_unit_test(envelope),
		cmocka_unit_test(random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
