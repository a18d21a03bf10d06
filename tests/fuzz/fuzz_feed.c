/* Fuzz target: the feed parser (decoding, repair, libxml2 recovery, the
 * walk). Every accepted entry must be a finished article with a non-empty
 * valid UTF-8 title; a rejected feed must say why. The first byte picks a
 * transport charset hint so that path is fuzzed too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/feed.h"
#include "common/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum nw_err check(void *ctx, nw_article *a, const char *key)
{
	(void)ctx;
	if (!a->title || !*a->title || !nw_utf8_valid(a->title, strlen(a->title), NULL))
		abort();
	for (size_t i = 0; i < a->paragraphs.len; i++)
		if (!nw_utf8_valid(a->paragraphs.items[i], strlen(a->paragraphs.items[i]), NULL))
			abort();
	if (key && !*key)
		abort();
	nw_article_destroy(&a);
	return NW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hints[] = { NULL, "iso-8859-1", "koi8-r", "utf-16", "shift_jis" };
	const char *hint = size ? hints[data[0] % 5] : NULL;
	struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .source = "fuzz", .max_bytes = 1 << 20 };
	struct nw_feed_sink sink = { check, NULL, NULL };
	struct nw_feed_info info;
	char reason[NW_REASON_MAX] = "";
	if (nw_feed_parse((const char *)data, size, hint, &o, &sink, &info, reason) != NW_OK &&
	    !reason[0])
		abort();
	return 0;
}
