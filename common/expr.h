/* The match-expression language of notification rules (SPEC section 7),
 * also used by `newswire tail --filter` and by search queries:
 *
 *   place:"Lệ Thủy" AND (ANTT OR "an ninh") NOT title:quảng cáo
 *
 * Terms are words or "quoted phrases", optionally qualified by a field
 * (title:, place:, person:, source:, lang:); AND, OR and NOT (upper case)
 * combine them, NOT binding tightest and OR loosest; parentheses group;
 * terms side by side are ANDed. Matching is on folded text (case and
 * diacritics ignored, đ = d) at word boundaries: a term or phrase matches
 * when its words appear consecutively. */
#ifndef NW_EXPR_H
#define NW_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <newswire/article.h>

#include "common/util.h"

enum nw_expr_kind { NW_EXPR_TERM, NW_EXPR_AND, NW_EXPR_OR, NW_EXPR_NOT };

enum nw_expr_field {
	NW_FIELD_ANY,      /* title, lead, paragraphs, captions */
	NW_FIELD_TITLE,
	NW_FIELD_PLACE,    /* any of the places */
	NW_FIELD_PERSON,   /* any of the people */
	NW_FIELD_SOURCE,
	NW_FIELD_LANG,     /* the language code, whole */
};

struct nw_expr {
	enum nw_expr_kind kind;
	/* TERM */
	enum nw_expr_field field;
	char *text;        /* as written (quotes removed) */
	char *folded;      /* " w1 w2 " (nw_fold_words) */
	bool phrase;       /* was quoted */
	/* AND, OR: a and b; NOT: a */
	struct nw_expr *a, *b;
};

/* Parses src. On error returns NW_ESYNTAX with msg "column N: what" (N
 * counts characters from 1) and *col set; nothing is allocated. Limits:
 * 4096 bytes, 256 terms, nesting 32 deep. */
enum nw_err nw_expr_parse(const char *src, struct nw_expr **out, int *col, char *msg,
			  size_t msglen);
void nw_expr_free(struct nw_expr **e);

/* The folded forms of an article that expressions are matched against. */
struct nw_expr_doc {
	nw_buf all, title, places, people, source;   /* folded word streams */
	char lang[16];
};
enum nw_err nw_expr_doc_init(struct nw_expr_doc *d, const nw_article *a);
void nw_expr_doc_release(struct nw_expr_doc *d);

bool nw_expr_match(const struct nw_expr *e, const struct nw_expr_doc *d);

const char *nw_expr_field_name(enum nw_expr_field f);

#endif
