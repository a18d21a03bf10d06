/* Fuzz target: the JSON article parser (objects, arrays, ninjs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/article.h"
#include "common/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum nw_err take(void *ctx, nw_article *a)
{
	(void)ctx;
	if (!a->title || !*a->title || strlen(a->id) != NW_ID_LEN)
		abort();
	nw_article_destroy(&a);
	return NW_OK;
}

static void rejected(void *ctx, size_t record, enum nw_err err, const char *reason)
{
	(void)ctx;
	if (record == 0 || err == NW_OK || !reason[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_parse_opts o = { .format = NW_FORMAT_JSON, .source = "fuzz" };
	struct nw_parse_sink sink = { take, rejected, NULL };
	char reason[NW_REASON_MAX] = "";
	if (nw_parse((const char *)data, size, &o, &sink, reason) != NW_OK && !reason[0])
		abort();
	return 0;
}
