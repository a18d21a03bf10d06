/* Format detection and the pieces every parser shares: input checks,
 * paragraph splitting, language tags. */
#include "common/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/feed.h"
#include "common/text.h"
#include "common/util.h"

enum nw_err nw_parse_check_input(const char **data, size_t *len, size_t max,
				 char reason[NW_REASON_MAX])
{
	if (!max)
		max = NW_DEFAULT_MAX_ARTICLE_BYTES;
	if (*len > max) {
		snprintf(reason, NW_REASON_MAX,
			 "input is %zu bytes, over the limit of %zu (max_article_bytes)", *len, max);
		return NW_ETOOBIG;
	}
	if (*len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
		*data += 3;
		*len -= 3;
	}
	size_t bad = 0;
	if (!nw_utf8_valid(*data, *len, &bad)) {
		snprintf(reason, NW_REASON_MAX,
			 "not valid UTF-8 (byte 0x%02x at offset %zu); convert it to UTF-8 first",
			 (unsigned char)(*data)[bad], bad);
		return NW_EENCODING;
	}
	size_t i = 0;
	while (i < *len && (unsigned char)(*data)[i] <= ' ')
		i++;
	if (i == *len) {
		snprintf(reason, NW_REASON_MAX, "empty input");
		return NW_EEMPTY;
	}
	return NW_OK;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n >= k && strcasecmp(name + n - k, suffix) == 0;
}

enum nw_format nw_parse_detect(const char *name, const char *data, size_t len)
{
	if (name) {
		if (has_suffix(name, ".json") || has_suffix(name, ".ninjs"))
			return NW_FORMAT_JSON;
		if (has_suffix(name, ".rss"))
			return NW_FORMAT_RSS;
		if (has_suffix(name, ".atom"))
			return NW_FORMAT_ATOM;
		if (has_suffix(name, ".rdf"))
			return NW_FORMAT_RDF;
		if (has_suffix(name, ".txt"))
			return NW_FORMAT_TEXT;
	}
	bool xml_name = name && (has_suffix(name, ".xml") || has_suffix(name, ".feed"));
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i < len && (data[i] == '{' || data[i] == '['))
		return NW_FORMAT_JSON;
	if (i < len && data[i] == '<') {
		size_t n = len - i < 4096 ? len - i : 4096;
		if (memmem(data + i, n, "<feed", 5))
			return NW_FORMAT_ATOM;
		if (memmem(data + i, n, "<rdf:RDF", 8))
			return NW_FORMAT_RDF;
		if (memmem(data + i, n, "<rss", 4) || memmem(data + i, n, "<channel", 8) ||
		    (n >= 5 && !memcmp(data + i, "<?xml", 5)))
			return NW_FORMAT_RSS;
	}
	/* the feed parser tells RSS, RDF and Atom apart from the root itself */
	return xml_name ? NW_FORMAT_RSS : NW_FORMAT_TEXT;
}

enum nw_err nw_parse(const char *data, size_t len, const struct nw_parse_opts *o,
		     const struct nw_parse_sink *sink, char reason[NW_REASON_MAX])
{
	struct nw_parse_opts opts = *o;
	if (opts.format == NW_FORMAT_AUTO)
		opts.format = nw_parse_detect(o->source, data, len);
	switch (opts.format) {
	case NW_FORMAT_TEXT:
	case NW_FORMAT_HTTP:
		return nw_parse_text(data, len, &opts, sink, reason);
	case NW_FORMAT_JSON:
		return nw_parse_json(data, len, &opts, sink, reason);
	case NW_FORMAT_RSS:
	case NW_FORMAT_ATOM:
	case NW_FORMAT_RDF:
		return nw_parse_feed(data, len, &opts, sink, reason);
	}
	snprintf(reason, NW_REASON_MAX, "unknown input format");
	return NW_EFORMAT;
}

struct one_ctx {
	nw_article *first;
	enum nw_err err;
	char *reason;
};

static enum nw_err take_first(void *ctx, nw_article *a)
{
	struct one_ctx *c = ctx;
	if (!c->first)
		c->first = a;
	else
		nw_article_destroy(&a);
	return NW_OK;
}

static void note_reject(void *ctx, size_t record, enum nw_err err, const char *reason)
{
	struct one_ctx *c = ctx;
	if (c->err == NW_OK) {
		c->err = err;
		snprintf(c->reason, NW_REASON_MAX, "record %zu: %s", record, reason);
	}
}

enum nw_err nw_parse_one(const char *data, size_t len, const struct nw_parse_opts *o,
			 nw_article **out, char reason[NW_REASON_MAX])
{
	struct one_ctx c = { NULL, NW_OK, reason };
	struct nw_parse_sink sink = { take_first, note_reject, &c };
	enum nw_err err = nw_parse(data, len, o, &sink, reason);
	if (err == NW_OK && !c.first) {
		err = c.err != NW_OK ? c.err : NW_EEMPTY;
		if (c.err == NW_OK)
			snprintf(reason, NW_REASON_MAX, "input holds no article");
	}
	if (err != NW_OK) {
		nw_article_destroy(&c.first);
		return err;
	}
	*out = c.first;
	return NW_OK;
}

/* Splits s at its paragraph breaks (mode), cleans each piece and keeps the
 * non-empty ones. */
enum nw_err nw_parse_paragraphs(const char *s, enum nw_para mode, nw_strlist *out)
{
	char *flat = NULL, *stripped = NULL;
	enum nw_err err = NW_OK;
	if (mode == NW_PARA_HTML) {
		/* in HTML a line end is white space: only tags break paragraphs */
		if (!(flat = nw_strdup(s)))
			return NW_ENOMEM;
		for (char *c = flat; *c; c++)
			if (*c == '\r' || *c == '\n')
				*c = ' ';
		s = flat;
	}
	if ((err = nw_html_strip(s, strlen(s), &stripped)))
		goto out;
	const char *p = stripped;
	while (*p && !err) {
		const char *end;
		if (mode == NW_PARA_BLANK_LINES) {
			/* a paragraph runs to the first line holding only white space */
			end = p;
			while (*end) {
				const char *eol = strchr(end, '\n');
				if (!eol) {
					end += strlen(end);
					break;
				}
				const char *q = eol + 1;
				while (*q == ' ' || *q == '\t' || *q == '\r')
					q++;
				if (*q == '\n' || !*q) {
					end = eol;
					break;
				}
				end = eol + 1;
			}
		} else {
			end = strpbrk(p, "\r\n");
			if (!end)
				end = p + strlen(p);
		}
		char *clean = NULL;
		if (!(err = nw_text_clean(p, (size_t)(end - p), NW_CLEAN_HTML, &clean))) {
			if (*clean)
				err = nw_strlist_push_owned(out, clean);
			else
				free(clean);
		}
		p = *end ? end + 1 : end;
	}
out:
	free(stripped);
	free(flat);
	return err;
}

enum nw_err nw_parse_set_byline(nw_article *a, const nw_strlist *names)
{
	nw_buf b = NW_BUF_INIT;
	enum nw_err err = nw_strlist_join(names, ", ", &b);
	if (!err && b.len && !(a->byline = nw_buf_detach(&b)))
		err = NW_ENOMEM;
	nw_buf_release(&b);
	return err;
}

bool nw_lang_normalize(char *lang)
{
	for (char *c = lang; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	char *dash = strpbrk(lang, "-_");   /* "vi-VN" -> "vi" */
	if (dash)
		*dash = '\0';
	size_t n = strlen(lang);
	if (n < 2 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lang[i] < 'a' || lang[i] > 'z')
			return false;
	return true;
}
