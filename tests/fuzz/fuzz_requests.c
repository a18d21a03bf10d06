/* Fuzz target: the decoders of every request and reply ingestd and its
 * clients exchange (submit request and reply, replay request, gap/end
 * ranges). The first byte picks the decoder; whatever decodes must
 * re-encode and decode to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void submit_req(const uint8_t *data, size_t size)
{
	struct nw_submit_req r, again;
	if (nw_submit_req_decode(data, size, 1 << 20, &r) != NW_OK)
		return;
	nw_buf b = NW_BUF_INIT;
	if (nw_submit_req_encode(&r, &b) != NW_OK ||
	    nw_submit_req_decode(b.data, b.len, 1 << 20, &again) != NW_OK ||
	    again.rid != r.rid || again.is_article != r.is_article ||
	    again.data.len != r.data.len ||
	    (r.data.len && memcmp(again.data.data, r.data.data, r.data.len) != 0))
		abort();
	nw_submit_req_clear(&again);
	nw_submit_req_clear(&r);
	nw_buf_release(&b);
}

static void submit_reply(const uint8_t *data, size_t size)
{
	struct nw_submit_reply r, again;
	if (nw_submit_reply_decode(data, size, &r) != NW_OK)
		return;
	nw_buf b = NW_BUF_INIT;
	if (nw_submit_reply_encode(&r, &b) != NW_OK ||
	    nw_submit_reply_decode(b.data, b.len, &again) != NW_OK ||
	    again.ok != r.ok || again.seq != r.seq || again.index != r.index ||
	    again.count != r.count)
		abort();
	nw_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct nw_replay_req rr;
	struct nw_range range;
	switch (data[0] % 4) {
	case 0: submit_req(data + 1, size - 1); break;
	case 1: submit_reply(data + 1, size - 1); break;
	case 2: (void)nw_replay_req_decode(data + 1, size - 1, &rr); break;
	case 3: (void)nw_range_decode(data + 1, size - 1, &range); break;
	}
	return 0;
}
