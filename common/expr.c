/* Match expressions (see expr.h): a tokenizer, a recursive-descent parser
 * and a matcher over folded word streams. */
#include "common/expr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define MAX_SOURCE 4096
#define MAX_TERMS 256
#define MAX_DEPTH 32

static const char *const field_names[] = {
	[NW_FIELD_ANY] = "", [NW_FIELD_TITLE] = "title", [NW_FIELD_PLACE] = "place",
	[NW_FIELD_PERSON] = "person", [NW_FIELD_SOURCE] = "source", [NW_FIELD_LANG] = "lang",
};

const char *nw_expr_field_name(enum nw_expr_field f)
{
	return field_names[f];
}

/* ---- tokens ---- */

enum tok_kind { TOK_END, TOK_TERM, TOK_AND, TOK_OR, TOK_NOT, TOK_LPAREN, TOK_RPAREN };

struct token {
	enum tok_kind kind;
	size_t at;                 /* byte offset in the source */
	enum nw_expr_field field;
	const char *text;          /* TERM: its text (not NUL-terminated) */
	size_t len;
	bool phrase;
};

struct parser {
	const char *src;
	size_t len, pos;
	struct token tok;          /* the current token */
	int terms, depth;
	size_t err_at;
	char *msg;
	size_t msglen;
	bool failed;
};

static bool fail(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(struct parser *p, size_t at, const char *fmt, ...)
{
	if (p->failed)
		return false;
	p->failed = true;
	p->err_at = at;
	int col = (int)nw_utf8_len(p->src, at) + 1;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->msg, p->msglen, "column %d: %s", col, what);
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool ends_word(char c)
{
	return c == '\0' || is_space(c) || c == '(' || c == ')' || c == '"';
}

/* Reads the next token into p->tok; false on a syntax error. */
static bool next_token(struct parser *p)
{
	const char *s = p->src;
	while (p->pos < p->len && is_space(s[p->pos]))
		p->pos++;
	struct token *t = &p->tok;
	*t = (struct token){ .at = p->pos };
	if (p->pos >= p->len) {
		t->kind = TOK_END;
		return true;
	}
	char c = s[p->pos];
	if (c == '(' || c == ')') {
		t->kind = c == '(' ? TOK_LPAREN : TOK_RPAREN;
		p->pos++;
		return true;
	}
	/* a field qualifier: letters then ':' then a term or phrase */
	size_t k = p->pos;
	while (k < p->len && s[k] >= 'a' && s[k] <= 'z')
		k++;
	if (k > p->pos && k < p->len && s[k] == ':' && k + 1 < p->len && !is_space(s[k + 1])) {
		size_t n = k - p->pos;
		size_t f;
		for (f = 1; f < NW_ARRAY_LEN(field_names); f++)
			if (strlen(field_names[f]) == n && memcmp(field_names[f], s + p->pos, n) == 0)
				break;
		if (f == NW_ARRAY_LEN(field_names)) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(n < 40 ? n : 40), s + p->pos);
			return fail(p, p->pos, "unknown field \"%s:\" (fields: title, place, person, "
				    "source, lang; quote the term to search for it as text)", name);
		}
		t->field = (enum nw_expr_field)f;
		p->pos = k + 1;
		c = s[p->pos];
		if (c == '(' || c == ')')
			return fail(p, p->pos, "%s", "a field applies to one term or \"phrase\", not a group");
	}
	t->kind = TOK_TERM;
	if (c == '"') {
		size_t open = p->pos;
		const char *close = memchr(s + open + 1, '"', p->len - open - 1);
		if (!close)
			return fail(p, open, "%s", "unclosed quote");
		t->text = s + open + 1;
		t->len = (size_t)(close - t->text);
		t->phrase = true;
		p->pos = (size_t)(close - s) + 1;
		return true;
	}
	size_t start = p->pos;
	while (p->pos < p->len && !ends_word(s[p->pos]))
		p->pos++;
	t->text = s + start;
	t->len = p->pos - start;
	if (t->field == NW_FIELD_ANY) {
		if (t->len == 3 && memcmp(t->text, "AND", 3) == 0)
			t->kind = TOK_AND;
		else if (t->len == 2 && memcmp(t->text, "OR", 2) == 0)
			t->kind = TOK_OR;
		else if (t->len == 3 && memcmp(t->text, "NOT", 3) == 0)
			t->kind = TOK_NOT;
	}
	return true;
}

/* ---- the tree ---- */

static struct nw_expr *node(struct parser *p, enum nw_expr_kind kind, struct nw_expr *a,
			    struct nw_expr *b)
{
	struct nw_expr *e = calloc(1, sizeof(*e));
	if (!e) {
		fail(p, p->tok.at, "%s", "out of memory");
		return NULL;
	}
	e->kind = kind;
	e->a = a;
	e->b = b;
	return e;
}

void nw_expr_free(struct nw_expr **ep)
{
	struct nw_expr *e = *ep;
	if (!e)
		return;
	nw_expr_free(&e->a);
	nw_expr_free(&e->b);
	free(e->text);
	free(e->folded);
	free(e);
	*ep = NULL;
}

static struct nw_expr *parse_or(struct parser *p);

static struct nw_expr *parse_term(struct parser *p)
{
	const struct token *t = &p->tok;
	if (++p->terms > MAX_TERMS) {
		fail(p, t->at, "%s", "too many terms (256 at most)");
		return NULL;
	}
	nw_buf folded = NW_BUF_INIT;
	if (nw_fold_words(t->text, t->len, &folded) != NW_OK) {
		fail(p, t->at, "%s", "out of memory");
		return NULL;
	}
	if (folded.len == 0) {
		nw_buf_release(&folded);
		fail(p, t->at, "%s", t->phrase ? "the phrase has no letters or digits"
					       : "the term has no letters or digits");
		return NULL;
	}
	struct nw_expr *e = node(p, NW_EXPR_TERM, NULL, NULL);
	if (!e) {
		nw_buf_release(&folded);
		return NULL;
	}
	e->field = t->field;
	e->phrase = t->phrase;
	e->folded = nw_buf_detach(&folded);
	if (!(e->text = nw_strndup(t->text, t->len)) || !e->folded) {
		nw_expr_free(&e);
		fail(p, t->at, "%s", "out of memory");
		return NULL;
	}
	return next_token(p) ? e : (nw_expr_free(&e), NULL);
}

static struct nw_expr *parse_primary(struct parser *p)
{
	const struct token *t = &p->tok;
	switch (t->kind) {
	case TOK_TERM:
		return parse_term(p);
	case TOK_LPAREN: {
		size_t open = t->at;
		if (++p->depth > MAX_DEPTH) {
			fail(p, open, "%s", "parentheses nested too deep (32 at most)");
			return NULL;
		}
		if (!next_token(p))
			return NULL;
		if (p->tok.kind == TOK_RPAREN) {
			fail(p, p->tok.at, "%s", "empty parentheses");
			return NULL;
		}
		struct nw_expr *e = parse_or(p);
		if (!e)
			return NULL;
		if (p->tok.kind != TOK_RPAREN) {
			nw_expr_free(&e);
			fail(p, open, "%s", "unclosed parenthesis");
			return NULL;
		}
		p->depth--;
		return next_token(p) ? e : (nw_expr_free(&e), NULL);
	}
	case TOK_RPAREN:
		fail(p, t->at, "%s", "unexpected \")\"");
		return NULL;
	case TOK_END:
		fail(p, t->at, "%s", "a term is missing at the end");
		return NULL;
	default:
		fail(p, t->at, "expected a term before %s",
		     t->kind == TOK_AND ? "AND" : t->kind == TOK_OR ? "OR" : "NOT");
		return NULL;
	}
}

static struct nw_expr *parse_not(struct parser *p)
{
	if (p->tok.kind != TOK_NOT)
		return parse_primary(p);
	if (++p->depth > MAX_DEPTH) {
		fail(p, p->tok.at, "%s", "expression nested too deep");
		return NULL;
	}
	if (!next_token(p))
		return NULL;
	struct nw_expr *a = parse_not(p);
	p->depth--;
	if (!a)
		return NULL;
	struct nw_expr *e = node(p, NW_EXPR_NOT, a, NULL);
	if (!e)
		nw_expr_free(&a);
	return e;
}

static bool starts_operand(enum tok_kind k)
{
	return k == TOK_TERM || k == TOK_LPAREN || k == TOK_NOT;
}

static struct nw_expr *parse_and(struct parser *p);

/* A left-associative chain: OR of ANDs, or AND of NOTs (AND may be left
 * out between two operands). */
static struct nw_expr *parse_chain(struct parser *p, enum nw_expr_kind kind)
{
	bool is_or = kind == NW_EXPR_OR;
	struct nw_expr *left = is_or ? parse_and(p) : parse_not(p);
	while (left && (is_or ? p->tok.kind == TOK_OR
			      : p->tok.kind == TOK_AND || starts_operand(p->tok.kind))) {
		if ((p->tok.kind == TOK_OR || p->tok.kind == TOK_AND) && !next_token(p))
			break;
		struct nw_expr *right = is_or ? parse_and(p) : parse_not(p);
		if (!right)
			break;
		struct nw_expr *e = node(p, kind, left, right);
		if (!e) {
			nw_expr_free(&right);
			break;
		}
		left = e;
	}
	if (p->failed)
		nw_expr_free(&left);
	return left;
}

static struct nw_expr *parse_and(struct parser *p)
{
	return parse_chain(p, NW_EXPR_AND);
}

static struct nw_expr *parse_or(struct parser *p)
{
	return parse_chain(p, NW_EXPR_OR);
}

enum nw_err nw_expr_parse(const char *src, struct nw_expr **out, int *col, char *msg,
			  size_t msglen)
{
	struct parser p = { .src = src, .len = strlen(src), .msg = msg, .msglen = msglen };
	*out = NULL;
	struct nw_expr *e = NULL;
	if (p.len > MAX_SOURCE) {
		fail(&p, MAX_SOURCE, "%s", "expression longer than 4096 bytes");
	} else if (!nw_utf8_valid(src, p.len, &p.err_at)) {
		fail(&p, p.err_at, "%s", "not valid UTF-8");
	} else if (next_token(&p)) {
		if (p.tok.kind == TOK_END)
			fail(&p, 0, "%s", "the expression is empty");
		else if ((e = parse_or(&p)) && p.tok.kind != TOK_END)
			fail(&p, p.tok.at, "%s", p.tok.kind == TOK_RPAREN ? "unmatched \")\""
									   : "unexpected text");
	}
	if (p.failed) {
		nw_expr_free(&e);
		if (col)
			*col = (int)nw_utf8_len(src, p.err_at < p.len ? p.err_at : p.len) + 1;
		return NW_ESYNTAX;
	}
	*out = e;
	return NW_OK;
}

/* ---- matching ---- */

static enum nw_err fold_into(nw_buf *b, const char *s)
{
	return s ? nw_fold_words(s, strlen(s), b) : NW_OK;
}

/* Folds each item, separated by "|" so a phrase never spans two items. */
static enum nw_err fold_list(nw_buf *b, const nw_strlist *l)
{
	enum nw_err err = NW_OK;
	for (size_t i = 0; !err && i < l->len; i++) {
		err = fold_into(b, l->items[i]);
		if (!err)
			err = nw_buf_putc(b, '|');
	}
	return err;
}

enum nw_err nw_expr_doc_init(struct nw_expr_doc *d, const nw_article *a)
{
	memset(d, 0, sizeof(*d));
	enum nw_err err = fold_into(&d->title, a->title);
	if (!err)
		err = fold_into(&d->all, a->title);
	if (!err)
		err = nw_buf_putc(&d->all, '|');
	if (!err)
		err = fold_into(&d->all, a->lead);
	for (size_t i = 0; !err && i < a->paragraphs.len; i++)
		if (!(err = nw_buf_putc(&d->all, '|')))
			err = fold_into(&d->all, a->paragraphs.items[i]);
	for (size_t i = 0; !err && i < a->captions.len; i++)
		if (!(err = nw_buf_putc(&d->all, '|')))
			err = fold_into(&d->all, a->captions.items[i]);
	if (!err)
		err = fold_list(&d->places, &a->places);
	if (!err)
		err = fold_list(&d->people, &a->people);
	if (!err)
		err = fold_into(&d->source, a->source);
	nw_buf *const all[] = { &d->all, &d->title, &d->places, &d->people, &d->source };
	for (size_t i = 0; !err && i < NW_ARRAY_LEN(all); i++)
		if (!all[i]->data)
			err = nw_buf_reserve(all[i], 1);   /* an empty string, not NULL */
	snprintf(d->lang, sizeof(d->lang), "%s", a->lang ? a->lang : "und");
	if (err)
		nw_expr_doc_release(d);
	return err;
}

void nw_expr_doc_release(struct nw_expr_doc *d)
{
	nw_buf_release(&d->all);
	nw_buf_release(&d->title);
	nw_buf_release(&d->places);
	nw_buf_release(&d->people);
	nw_buf_release(&d->source);
}

static bool term_matches(const struct nw_expr *e, const struct nw_expr_doc *d)
{
	const nw_buf *in;
	switch (e->field) {
	case NW_FIELD_TITLE:  in = &d->title; break;
	case NW_FIELD_PLACE:  in = &d->places; break;
	case NW_FIELD_PERSON: in = &d->people; break;
	case NW_FIELD_SOURCE: in = &d->source; break;
	case NW_FIELD_LANG: {
		char want[16];
		/* folded " vi " -> "vi" */
		snprintf(want, sizeof(want), "%.*s", (int)(strlen(e->folded) - 2), e->folded + 1);
		return strcmp(want, d->lang) == 0;
	}
	default: in = &d->all; break;
	}
	return in->data && strstr(in->data, e->folded) != NULL;
}

bool nw_expr_match(const struct nw_expr *e, const struct nw_expr_doc *d)
{
	switch (e->kind) {
	case NW_EXPR_TERM: return term_matches(e, d);
	case NW_EXPR_AND:  return nw_expr_match(e->a, d) && nw_expr_match(e->b, d);
	case NW_EXPR_OR:   return nw_expr_match(e->a, d) || nw_expr_match(e->b, d);
	case NW_EXPR_NOT:  return !nw_expr_match(e->a, d);
	}
	return false;
}
