/* Fuzz target: the plain-text layout parser. Any bytes must give an
 * article or a rejection with a reason; accepted articles must be clean. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/article.h"
#include "common/parse.h"
#include "common/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum nw_err check(void *ctx, nw_article *a)
{
	(void)ctx;
	if (!a->title || !*a->title || !nw_utf8_valid(a->title, strlen(a->title), NULL))
		abort();
	for (size_t i = 0; i < a->paragraphs.len; i++)
		if (!*a->paragraphs.items[i] || strstr(a->paragraphs.items[i], "  "))
			abort();   /* empty or uncollapsed paragraph */
	char *json = nw_article_to_json_text(a, false);
	if (!json)
		abort();
	free(json);
	nw_article_destroy(&a);
	return NW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .source = "fuzz" };
	struct nw_parse_sink sink = { check, NULL, NULL };
	char reason[NW_REASON_MAX] = "";
	enum nw_err err = nw_parse((const char *)data, size, &o, &sink, reason);
	if (err != NW_OK && !reason[0])
		abort();   /* every rejection carries a reason */
	return 0;
}
