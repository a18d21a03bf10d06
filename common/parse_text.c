/* The plain-text layout (SPEC 3.1): title, optional number line, paragraphs
 * separated by blank lines, lines of only (no-break) spaces marking removed
 * photos, short paragraphs after a marker as captions, and a short
 * unpunctuated last paragraph as the byline. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/article.h"
#include "common/date.h"
#include "common/parse.h"
#include "common/text.h"
#include "common/util.h"

#define CAPTION_MAX_CHARS 300
#define BYLINE_MAX_CHARS 40
#define REF_MAX_DIGITS 32

enum item_kind { ITEM_PARA, ITEM_MARKER };

struct item {
	enum item_kind kind;
	char *text;   /* cleaned, for ITEM_PARA */
};

struct items {
	struct item *v;
	size_t len, cap;
};

enum line_kind { LINE_BLANK, LINE_MARKER, LINE_TEXT };

/* Blank: nothing but invisible characters. Marker: white space (spaces,
 * no-break spaces, tabs) and nothing else. Text: anything else. */
static enum line_kind classify_line(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	bool space = false;
	while (p < end) {
		int32_t cp = nw_utf8_next(&p, end);
		if (nw_is_space(cp))
			space = true;
		else if (!nw_is_invisible(cp))
			return LINE_TEXT;
	}
	return space ? LINE_MARKER : LINE_BLANK;
}

static enum nw_err push_item(struct items *it, enum item_kind kind, char *text)
{
	if (kind == ITEM_MARKER && it->len && it->v[it->len - 1].kind == ITEM_MARKER)
		return NW_OK;   /* consecutive markers are one photo gap */
	if (it->len == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 32;
		struct item *v = realloc(it->v, cap * sizeof(*v));
		if (!v) {
			free(text);
			return NW_ENOMEM;
		}
		it->v = v;
		it->cap = cap;
	}
	it->v[it->len++] = (struct item){ kind, text };
	return NW_OK;
}

static void free_items(struct items *it)
{
	for (size_t i = 0; i < it->len; i++)
		free(it->v[i].text);
	free(it->v);
}

/* Cleans the pending paragraph and appends it (dropped if nothing is left). */
static enum nw_err flush_para(nw_buf *para, struct items *it)
{
	if (!para->len)
		return NW_OK;
	char *clean = NULL;
	enum nw_err err = nw_text_clean(para->data, para->len, NW_CLEAN_HTML, &clean);
	para->len = 0;
	if (err)
		return err;
	if (!*clean) {
		free(clean);
		return NW_OK;
	}
	return push_item(it, ITEM_PARA, clean);
}

/* Splits the input into paragraphs and photo markers. Lines end in LF,
 * CRLF or a lone CR; consecutive text lines join into one paragraph. */
static enum nw_err split_items(const char *data, size_t len, struct items *it)
{
	enum nw_err err = NW_OK;
	nw_buf para = NW_BUF_INIT;
	const char *p = data, *end = data + len;
	while (p < end && !err) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		switch (classify_line(p, (size_t)(eol - p))) {
		case LINE_BLANK:
			err = flush_para(&para, it);
			break;
		case LINE_MARKER:
			if (!(err = flush_para(&para, it)))
				err = push_item(it, ITEM_MARKER, NULL);
			break;
		case LINE_TEXT:
			if (para.len)
				err = nw_buf_putc(&para, ' ');
			if (!err)
				err = nw_buf_append(&para, p, (size_t)(eol - p));
			break;
		}
		if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
			eol++;
		p = eol + 1;
	}
	if (!err)
		err = flush_para(&para, it);
	nw_buf_release(&para);
	return err;
}

static bool all_digits(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > REF_MAX_DIGITS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Sentence punctuation: . ! ? ; or … that ends the text or a word
 * ("T.Đ.S" is initials, "Hà Nội." ends a sentence). */
static bool has_sentence_punct(const char *s)
{
	for (const char *p = s; *p; p++) {
		bool mark = *p == '.' || *p == '!' || *p == '?' || *p == ';';
		size_t k = 1;
		if (!mark && strncmp(p, "\xE2\x80\xA6", 3) == 0) {   /* … */
			mark = true;
			k = 3;
		}
		if (mark && (p[k] == '\0' || p[k] == ' '))
			return true;
	}
	return false;
}

static bool is_byline(const char *s)
{
	return nw_utf8_len(s, strlen(s)) <= BYLINE_MAX_CHARS && !has_sentence_punct(s);
}

/* Assigns body items (after title and ref) to paragraphs, captions and the
 * byline, moving the strings into the article. */
static enum nw_err assign_body(nw_article *a, struct items *it, size_t first)
{
	size_t last = SIZE_MAX, paras = 0;
	for (size_t i = first; i < it->len; i++)
		if (it->v[i].kind == ITEM_PARA) {
			last = i;
			paras++;
		}
	for (size_t i = first; i < it->len; i++) {
		struct item *x = &it->v[i];
		if (x->kind != ITEM_PARA)
			continue;
		char *text = x->text;
		x->text = NULL;
		bool after_marker = i > first && it->v[i - 1].kind == ITEM_MARKER;
		enum nw_err err;
		if (i == last && paras > 1 && is_byline(text)) {
			a->byline = text;
			err = NW_OK;
		} else if (after_marker && i != last &&
			   nw_utf8_len(text, strlen(text)) <= CAPTION_MAX_CHARS) {
			err = nw_strlist_push_owned(&a->captions, text);
		} else {
			err = nw_strlist_push_owned(&a->paragraphs, text);
		}
		if (err)
			return err;
	}
	return NW_OK;
}

enum nw_err nw_parse_text(const char *data, size_t len, const struct nw_parse_opts *o,
			  const struct nw_parse_sink *sink, char reason[NW_REASON_MAX])
{
	struct items it = { 0 };
	nw_article *a = NULL;
	enum nw_err err = nw_parse_check_input(&data, &len, o->max_bytes, reason);
	if (err)
		return err;
	if ((err = split_items(data, len, &it)))
		goto out;
	size_t i = 0;
	while (i < it.len && it.v[i].kind != ITEM_PARA)
		i++;
	if (i == it.len) {
		err = NW_ENOTITLE;
		snprintf(reason, NW_REASON_MAX, "no title: the first line holds no text");
		goto out;
	}
	if (!(a = nw_article_new())) {
		err = NW_ENOMEM;
		goto out;
	}
	a->format = o->format == NW_FORMAT_HTTP ? NW_FORMAT_HTTP : NW_FORMAT_TEXT;
	a->title = it.v[i].text;
	it.v[i++].text = NULL;
	if (i < it.len && it.v[i].kind == ITEM_PARA && all_digits(it.v[i].text)) {
		a->ref = it.v[i].text;
		it.v[i++].text = NULL;
	}
	if ((err = assign_body(a, &it, i)))
		goto out;
	char date[NW_DATE_MAX];
	if ((a->paragraphs.len && nw_date_find_vi(a->paragraphs.items[0], date)) ||
	    nw_date_find_vi(a->title, date))
		if (!(a->published = nw_strdup(date))) {
			err = NW_ENOMEM;
			goto out;
		}
	if (o->source && !(a->source = nw_strdup(o->source))) {
		err = NW_ENOMEM;
		goto out;
	}
	if ((err = nw_article_finish(a)))
		goto out;
	err = sink->article(sink->ctx, a);
	a = NULL;
	if (err)
		snprintf(reason, NW_REASON_MAX, "%s", nw_strerror(err));
out:
	if (err == NW_ENOMEM)
		snprintf(reason, NW_REASON_MAX, "out of memory");
	nw_article_destroy(&a);
	free_items(&it);
	return err;
}
