/* Fuzz target: the msgpack codec. The first byte picks a mode:
 * 0 decode an article, 1 decode an envelope, 2 parse the rest as a text
 * article and check that encode -> decode gives it back unchanged. */
#include <stdint.h>
#include <stdlib.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *data, size_t size)
{
	struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .source = "fuzz" };
	char reason[NW_REASON_MAX];
	nw_article *a = NULL, *d = NULL;
	if (nw_parse_one((const char *)data, size, &o, &a, reason) != NW_OK)
		return;
	a->seq = size + 1;
	nw_buf b = NW_BUF_INIT;
	if (nw_article_encode(a, &b) != NW_OK ||
	    nw_article_decode(b.data, b.len, NULL, &d) != NW_OK ||
	    !nw_article_equal(a, d))
		abort();
	nw_article_destroy(&a);
	nw_article_destroy(&d);
	nw_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	nw_article *a = NULL;
	struct nw_envelope e;
	switch (data[0] % 3) {
	case 0:
		if (nw_article_decode(data + 1, size - 1, NULL, &a) == NW_OK) {
			/* whatever decodes must encode and decode to the same */
			nw_buf b = NW_BUF_INIT;
			nw_article *d = NULL;
			if (nw_article_encode(a, &b) != NW_OK ||
			    nw_article_decode(b.data, b.len, NULL, &d) != NW_OK ||
			    !nw_article_equal(a, d))
				abort();
			nw_article_destroy(&d);
			nw_buf_release(&b);
		}
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
