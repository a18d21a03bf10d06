/* Fuzz target: the msgpack codec. The first byte picks a mode:
 * 0 decode an article, 1 decode an envelope, 2 parse the rest as a text
 * article and check that encode -> decode gives it back unchanged. */
#include <stdint.h>
#include <stdlib.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The oracle: an article must encode and decode back to the same. */
static void check_round_trip(const nw_article *a)
{
	nw_buf b = NW_BUF_INIT;
	nw_article *d = NULL;
	if (nw_article_encode(a, &b) != NW_OK ||
	    nw_article_decode(b.data, b.len, NULL, &d) != NW_OK ||
	    !nw_article_equal(a, d))
		abort();
	nw_article_destroy(&d);
	nw_buf_release(&b);
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .source = "fuzz" };
	char reason[NW_REASON_MAX];
	nw_article *a = NULL;
	if (nw_parse_one((const char *)data, size, &o, &a, reason) != NW_OK)
		return;
	a->seq = size + 1;
	check_round_trip(a);
	nw_article_destroy(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	nw_article *a = NULL;
	struct nw_envelope e;
	switch (data[0] % 3) {
	case 0:
		if (nw_article_decode(data + 1, size - 1, NULL, &a) == NW_OK)
			check_round_trip(a);   /* whatever decodes must survive a round trip */
		nw_article_destroy(&a);
		break;
	case 1:
		(void)nw_envelope_decode(data + 1, size - 1, &e);
		break;
	case 2:
		round_trip(data + 1, size - 1);
		break;
	}
	return 0;
}
