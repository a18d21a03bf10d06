/* Fuzz target: the match-expression parser (rules, tail --filter, search
 * queries). Whatever parses is matched against a fixed article; whatever
 * does not must say where. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	struct nw_expr *e = NULL;
	char msg[256];
	int col = 0;
	if (nw_expr_parse(src, &e, &col, msg, sizeof(msg)) == NW_OK) {
		nw_article *a = nw_article_new();
		a->title = strdup("Huyện Lệ Thủy bảo đảm ANTT");
		a->lang = strdup("vi");
		nw_strlist_push(&a->places, "Lệ Thủy");
		struct nw_expr_doc d;
		if (nw_expr_doc_init(&d, a) == NW_OK) {
			(void)nw_expr_match(e, &d);
			nw_expr_doc_release(&d);
		}
		nw_article_destroy(&a);
		nw_expr_free(&e);
	} else if (col < 1 || strncmp(msg, "column ", 7) != 0 || e) {
		abort();
	}
	free(src);
	return 0;
}
