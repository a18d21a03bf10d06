/* Feeds to articles. Three passes: decode to UTF-8 (iconv), repair the
 * breakages libxml2's recovery handles badly, parse in recovery mode and
 * walk the tree. The DOCTYPE is dropped before parsing, so no entity is
 * ever expanded and nothing is fetched. */
#include "common/feed.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/article.h"
#include "common/date.h"
#include "common/text.h"
#include "common/util.h"

#define TITLE_FROM_TEXT_MAX 120   /* bytes of text a missing title is made of */
#define KEY_MAX 2048              /* longer guids are not keys */

/* ---- decoding ---- */

/* The encoding the XML declaration names, when the first markup of the
 * document is one (blank lines before it are tolerated). */
static bool declared_encoding(const char *s, size_t n, char out[32])
{
	const char *lt = memchr(s, '<', n);
	if (!lt || (size_t)(s + n - lt) < 6 || memcmp(lt, "<?xml", 5) != 0)
		return false;
	size_t room = (size_t)(s + n - lt);
	const char *end = memmem(lt, room < 512 ? room : 512, "?>", 2);
	const char *e = end ? memmem(lt, (size_t)(end - lt), "encoding", 8) : NULL;
	if (!e)
		return false;
	e += 8;
	while (e < end && (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n'))
		e++;
	if (e >= end || *e++ != '=')
		return false;
	while (e < end && (*e == ' ' || *e == '\t' || *e == '\r' || *e == '\n'))
		e++;
	if (e >= end || (*e != '"' && *e != '\''))
		return false;
	const char *q = memchr(e + 1, *e, (size_t)(end - e - 1));
	if (!q || q == e + 1)
		return false;
	size_t len = (size_t)(q - e - 1);
	if (len > 31)
		len = 31;
	memcpy(out, e + 1, len);
	out[len] = '\0';
	return true;
}

static bool is_utf8_name(const char *enc)
{
	return !strcasecmp(enc, "utf-8") || !strcasecmp(enc, "utf8") ||
	       !strcasecmp(enc, "us-ascii") || !strcasecmp(enc, "ascii");
}

/* Converts n bytes in enc to UTF-8; a byte that does not decode becomes
 * U+FFFD and sets *lossy. NW_EENCODING when iconv does not know enc. */
static enum nw_err convert(const char *enc, const char *in, size_t n, nw_buf *out, bool *lossy)
{
	iconv_t cd = iconv_open("UTF-8", enc);
	if (cd == (iconv_t)-1)
		return NW_EENCODING;
	enum nw_err err = NW_OK;
	char *src = (char *)in;
	size_t left = n;
	for (;;) {
		if ((err = nw_buf_reserve(out, left * 2 + 64)))
			break;
		char *dst = out->data + out->len;
		size_t room = out->cap - out->len - 1;
		size_t r = left ? iconv(cd, &src, &left, &dst, &room)
				: iconv(cd, NULL, NULL, &dst, &room);   /* flush shift state */
		int e = errno;
		out->len = (size_t)(dst - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1) {
			if (!left)
				break;
			continue;
		}
		if (e == E2BIG)
			continue;
		if ((e == EILSEQ || e == EINVAL) && left) {
			*lossy = true;
			if ((err = nw_buf_append(out, "\xEF\xBF\xBD", 3)))
				break;
			src++;
			left--;
			continue;
		}
		err = NW_EENCODING;
		break;
	}
	iconv_close(cd);
	return err;
}

/* The document as UTF-8 in out. A BOM wins, then the XML declaration, then
 * the transport's charset; bytes that are not UTF-8 where UTF-8 was
 * expected are read as windows-1252, the usual mislabelling. */
static enum nw_err decode(const char *s, size_t n, const char *charset, nw_buf *out,
			  struct nw_feed_info *info, char reason[NW_REASON_MAX])
{
	char enc[32] = "UTF-8";
	const unsigned char *u = (const unsigned char *)s;
	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		s += 3;
		n -= 3;
	} else if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		snprintf(enc, sizeof enc, "%s", u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE");
		s += 2;
		n -= 2;
	} else if (n >= 4 && u[0] == '<' && !u[1] && u[2] == '?' && !u[3]) {
		snprintf(enc, sizeof enc, "UTF-16LE");
	} else if (n >= 4 && !u[0] && u[1] == '<' && !u[2] && u[3] == '?') {
		snprintf(enc, sizeof enc, "UTF-16BE");
	} else if (declared_encoding(s, n, enc)) {
		/* a declared UTF-16 in a document of single bytes is a mislabel */
		if (!strncasecmp(enc, "utf-16", 6))
			snprintf(enc, sizeof enc, "UTF-8");
	} else if (charset && *charset && strlen(charset) < sizeof enc) {
		snprintf(enc, sizeof enc, "%s", charset);
	}
	if (!strcasecmp(enc, "gb2312"))   /* GB18030 reads everything GB2312 wrote */
		snprintf(enc, sizeof enc, "GB18030");
	if (!strcasecmp(enc, "iso-8859-1") || !strcasecmp(enc, "latin1") ||
	    !strcasecmp(enc, "l1"))
		snprintf(enc, sizeof enc, "WINDOWS-1252");   /* as browsers read it */
	if (is_utf8_name(enc)) {
		size_t bad;
		if (nw_utf8_valid(s, n, &bad)) {
			snprintf(info->encoding, sizeof info->encoding, "UTF-8");
			return nw_buf_append(out, s, n);
		}
		snprintf(info->note, sizeof info->note,
			 "not valid UTF-8 (byte 0x%02x at offset %zu); read as windows-1252",
			 (unsigned char)s[bad], bad);
		info->repaired = true;
		snprintf(enc, sizeof enc, "WINDOWS-1252");
	}
	bool lossy = false;
	enum nw_err err = convert(enc, s, n, out, &lossy);
	if (err == NW_EENCODING)
		snprintf(reason, NW_REASON_MAX,
			 "declares encoding \"%s\", which cannot be read here; "
			 "convert the feed to UTF-8", enc);
	if (!err && lossy && !info->repaired) {
		info->repaired = true;
		snprintf(info->note, sizeof info->note,
			 "bytes that are not %s were replaced with U+FFFD", enc);
	}
	snprintf(info->encoding, sizeof info->encoding, "%s", enc);
	return err;
}

/* ---- repair ---- */

static bool starts(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static bool name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       c >= 0x80;
}

static bool ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool xml_char(unsigned long cp)
{
	return cp == 9 || cp == 10 || cp == 13 || (cp >= 0x20 && cp <= 0xD7FF) ||
	       (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* Keeps only the line ends of a dropped range, so that line numbers in
 * libxml2's messages still match the input. */
static enum nw_err keep_lines(nw_buf *out, const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p == '\n' && nw_buf_putc(out, '\n'))
			return NW_ENOMEM;
	return NW_OK;
}

/* The end of a DOCTYPE declaration, internal subset and quotes included. */
static const char *doctype_end(const char *p, const char *end)
{
	char quote = 0;
	int depth = 0;
	for (p += 9; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '[') {
			depth++;
		} else if (*p == ']') {
			depth--;
		} else if (*p == '>' && depth <= 0) {
			return p + 1;
		}
	}
	return end;
}

/* An '&' at p: kept when it starts an XML reference, an HTML named entity
 * becomes a numeric one, anything else becomes "&amp;". */
static const char *fix_ref(const char *p, const char *end, nw_buf *out, bool *changed,
			   enum nw_err *err)
{
	const char *q = p + 1;
	if (q < end && *q == '#') {
		bool hex = ++q < end && (*q == 'x' || *q == 'X');
		if (hex)
			q++;
		const char *digits = q;
		unsigned long cp = 0;
		while (q < end && q - digits < 8) {
			unsigned char c = (unsigned char)*q;
			int d = c >= '0' && c <= '9' ? c - '0'
				: hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0)
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			q++;
		}
		if (q > digits && q < end && *q == ';' && xml_char(cp)) {
			*err = nw_buf_append(out, p, (size_t)(q + 1 - p));
			return q + 1;
		}
	} else {
		const char *name = q;
		while (q < end && q - name < 32 && ascii_alnum((unsigned char)*q))
			q++;
		if (q > name && q < end && *q == ';') {
			char buf[33];
			size_t n = (size_t)(q - name);
			memcpy(buf, name, n);
			buf[n] = '\0';
			if (!strcmp(buf, "amp") || !strcmp(buf, "lt") || !strcmp(buf, "gt") ||
			    !strcmp(buf, "quot") || !strcmp(buf, "apos")) {
				*err = nw_buf_append(out, p, n + 2);
				return q + 1;
			}
			const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)buf);
			if (e) {
				*changed = true;
				*err = nw_buf_printf(out, "&#%u;", e->value);
				return q + 1;
			}
		}
	}
	*changed = true;
	*err = nw_buf_puts(out, "&amp;");
	return p + 1;
}

/* Copies s to out with the breakages fixed that libxml2's recovery would
 * turn into lost text: junk before the first markup, XML declarations
 * anywhere (the text is UTF-8 now), the DOCTYPE, HTML entities, bare '&'
 * and '<', control characters, unterminated comments and CDATA. */
static enum nw_err repair(const char *s, size_t n, nw_buf *out, bool *changed)
{
	const char *p = s, *end = s + n;
	enum nw_err err = NW_OK;
	while (p < end && !(*p == '<' && p + 1 < end &&
			    (p[1] == '?' || p[1] == '!' || name_start((unsigned char)p[1]))))
		p++;
	for (const char *q = s; q < p; q++)
		if ((unsigned char)*q > ' ')
			*changed = true;
	if ((err = keep_lines(out, s, p)))
		return err;
	while (p < end && !err) {
		unsigned char c = (unsigned char)*p;
		if (c == '<') {
			const char *lit = starts(p, end, "<!--") ? "-->"
					  : starts(p, end, "<![CDATA[") ? "]]>" : NULL;
			if (lit) {
				const char *q = memmem(p + 4, (size_t)(end - p - 4), lit, 3);
				if (!q) {   /* runs to the end: close it there */
					*changed = true;
					if (!(err = nw_buf_append(out, p, (size_t)(end - p))))
						err = nw_buf_puts(out, lit);
					break;
				}
				err = nw_buf_append(out, p, (size_t)(q + 3 - p));
				p = q + 3;
			} else if (starts(p, end, "<?")) {
				const char *q = memmem(p + 2, (size_t)(end - p - 2), "?>", 2);
				q = q ? q + 2 : end;
				bool decl = starts(p, end, "<?xml") && p + 5 < end &&
					    (p[5] == ' ' || p[5] == '?' || p[5] == '\t' ||
					     p[5] == '\r' || p[5] == '\n');
				if (decl && p > s)
					*changed = true;   /* a declaration not at the start */
				err = decl ? keep_lines(out, p, q) : nw_buf_append(out, p, (size_t)(q - p));
				p = q;
			} else if ((size_t)(end - p) >= 9 && !strncasecmp(p, "<!DOCTYPE", 9)) {
				const char *q = doctype_end(p, end);
				err = keep_lines(out, p, q);
				p = q;
			} else if (p + 1 < end && (name_start((unsigned char)p[1]) || p[1] == '/' ||
						   p[1] == '!')) {
				err = nw_buf_putc(out, '<');
				p++;
			} else {
				*changed = true;
				err = nw_buf_puts(out, "&lt;");
				p++;
			}
		} else if (c == '&') {
			p = fix_ref(p, end, out, changed, &err);
		} else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			*changed = true;
			p++;
		} else {
			const char *q = p + 1;
			while (q < end && *q != '<' && *q != '&' &&
			       ((unsigned char)*q >= 0x20 || *q == '\t' || *q == '\n' || *q == '\r'))
				q++;
			err = nw_buf_append(out, p, (size_t)(q - p));
			p = q;
		}
	}
	return err;
}

/* ---- the tree ---- */

/* Namespaces whose elements are matched by a conventional prefix; the
 * feed formats' own namespaces (and none) are matched bare. */
static const struct {
	const char *uri;
	const char *prefix;
} namespaces[] = {
	{ "http://www.w3.org/2005/Atom", NULL },
	{ "http://purl.org/atom/ns#", NULL },
	{ "http://purl.org/rss/1.0/", NULL },
	{ "http://my.netscape.com/rdf/simple/0.9/", NULL },
	{ "http://backend.userland.com/rss2", NULL },
	{ "http://blogs.law.harvard.edu/tech/rss", NULL },
	{ "http://purl.org/rss/1.0/modules/content/", "content" },
	{ "http://purl.org/dc/elements/1.1/", "dc" },
	{ "http://purl.org/dc/terms/", "dcterms" },
	{ "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf" },
	{ "http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes" },
	{ "http://search.yahoo.com/mrss/", "media" },
	{ "http://www.w3.org/1999/xhtml", "xhtml" },
};

/* True when n is the element prefix:local (prefix NULL: a feed element). */
static bool is_el(const xmlNode *n, const char *prefix, const char *local)
{
	if (!n || n->type != XML_ELEMENT_NODE)
		return false;
	const char *name = (const char *)n->name;
	if (!n->ns || !n->ns->href) {
		/* an undeclared prefix stays in the name: "media:title" */
		const char *colon = strchr(name, ':');
		if (!colon)
			return !prefix && !strcmp(name, local);
		size_t pl = (size_t)(colon - name);
		return prefix && strlen(prefix) == pl && !strncmp(name, prefix, pl) &&
		       !strcmp(colon + 1, local);
	}
	if (strcmp(name, local) != 0)
		return false;
	const char *want = (const char *)n->ns->prefix;   /* unknown: as written */
	for (size_t i = 0; i < NW_ARRAY_LEN(namespaces); i++)
		if (!strcmp((const char *)n->ns->href, namespaces[i].uri)) {
			want = namespaces[i].prefix;
			break;
		}
	if (!want || !prefix)
		return !want && !prefix;
	return !strcmp(want, prefix);
}

static xmlNode *child(const xmlNode *parent, const char *prefix, const char *local)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (is_el(c, prefix, local))
			return c;
	return NULL;
}

/* An attribute's value (caller frees with xmlFree), with or without a
 * namespace. */
static xmlChar *attr(const xmlNode *n, const char *name)
{
	for (xmlAttr *a = n->properties; a; a = a->next)
		if (!strcmp((const char *)a->name, name))
			return xmlNodeListGetString(n->doc, a->children, 1);
	return NULL;
}

/* The cleaned text of one node (tags stripped); NULL when empty. */
static enum nw_err clean_text(const char *raw, char **out)
{
	*out = NULL;
	if (!raw)
		return NW_OK;
	enum nw_err err = nw_text_clean(raw, strlen(raw), NW_CLEAN_HTML, out);
	if (!err && !**out) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static enum nw_err node_text(const xmlNode *n, char **out)
{
	*out = NULL;
	if (!n)
		return NW_OK;
	xmlChar *raw = xmlNodeGetContent(n);
	enum nw_err err = clean_text((const char *)raw, out);
	xmlFree(raw);
	return err;
}

static bool has_element_child(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

static bool looks_like_html(const char *s)
{
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<'))
		if (name_start((unsigned char)p[1]) || p[1] == '/' || p[1] == '!')
			return true;
	return false;
}

/* The paragraphs of a description/content element: markup given as
 * elements (Atom xhtml, unescaped HTML) is serialised and stripped, HTML
 * given as text is stripped, plain text breaks at blank lines. */
static enum nw_err body_of(const xmlNode *n, size_t max, nw_strlist *out, bool *too_big)
{
	enum nw_err err;
	xmlChar *type = attr(n, "type");
	bool plain = type && !strcmp((const char *)type, "text");
	xmlFree(type);
	if (has_element_child(n)) {
		xmlBufferPtr b = xmlBufferCreate();
		if (!b)
			return NW_ENOMEM;
		for (xmlNode *c = n->children; c; c = c->next)
			xmlNodeDump(b, n->doc, c, 0, 0);
		const char *html = (const char *)xmlBufferContent(b);
		*too_big = strlen(html) > max;
		err = *too_big ? NW_OK : nw_parse_paragraphs(html, NW_PARA_HTML, out);
		xmlBufferFree(b);
		return err;
	}
	xmlChar *raw = xmlNodeGetContent(n);
	if (!raw)
		return NW_OK;
	const char *s = (const char *)raw;
	*too_big = strlen(s) > max;
	err = *too_big ? NW_OK
		: nw_parse_paragraphs(s, !plain && looks_like_html(s) ? NW_PARA_HTML
								   : NW_PARA_BLANK_LINES, out);
	xmlFree(raw);
	return err;
}

/* What the walk carries from the feed to each entry. */
struct walk {
	const struct nw_parse_opts *o;
	const struct nw_feed_sink *sink;
	struct nw_feed_info *info;
	char *lang;        /* the channel's language, normalised, or NULL */
	size_t max;        /* max_article_bytes */
	bool stop;
	enum nw_err err;   /* a sink error that stops the walk */
};

/* The entry's link: Atom's alternate (or first) link href, RSS's <link>
 * text, else a permalink guid. */
static enum nw_err entry_link(const xmlNode *item, char **out)
{
	enum nw_err err = NW_OK;
	*out = NULL;
	xmlChar *first_href = NULL;
	for (xmlNode *c = item->children; c && !*out && !err; c = c->next) {
		if (!is_el(c, NULL, "link"))
			continue;
		xmlChar *href = attr(c, "href");
		if (href) {
			xmlChar *rel = attr(c, "rel");
			if (!rel || !strcmp((const char *)rel, "alternate"))
				err = clean_text((const char *)href, out);
			else if (!first_href)
				first_href = xmlStrdup(href);
			xmlFree(rel);
			xmlFree(href);
		} else {
			err = node_text(c, out);
		}
	}
	if (!err && !*out && first_href)
		err = clean_text((const char *)first_href, out);
	xmlFree(first_href);
	xmlNode *guid = child(item, NULL, "guid");
	if (!err && !*out && guid) {
		xmlChar *perma = attr(guid, "isPermaLink");
		if (!perma || strcmp((const char *)perma, "false") != 0)
			err = node_text(guid, out);
		xmlFree(perma);
		if (*out && strncmp(*out, "http://", 7) != 0 && strncmp(*out, "https://", 8) != 0) {
			free(*out);
			*out = NULL;
		}
	}
	return err;
}

/* The entry's stable key: guid, Atom id, rdf:about, else the link. */
static enum nw_err entry_key(const xmlNode *item, const char *link, char **out)
{
	enum nw_err err = node_text(child(item, NULL, "guid"), out);
	if (!err && !*out)
		err = node_text(child(item, NULL, "id"), out);
	if (!err && !*out) {
		xmlChar *about = attr(item, "about");
		err = clean_text((const char *)about, out);
		xmlFree(about);
	}
	if (!err && !*out && link && !(*out = nw_strdup(link)))
		err = NW_ENOMEM;
	if (*out && strlen(*out) > KEY_MAX) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static enum nw_err entry_date(const xmlNode *item, nw_article *a)
{
	static const char *const names[][2] = {
		{ NULL, "pubDate" }, { "dc", "date" }, { NULL, "published" }, { NULL, "issued" },
		{ NULL, "created" }, { NULL, "updated" }, { NULL, "modified" },
		{ "dcterms", "modified" },
	};
	for (size_t i = 0; i < NW_ARRAY_LEN(names); i++) {
		xmlNode *n = child(item, names[i][0], names[i][1]);
		if (!n)
			continue;
		char *raw = NULL, date[NW_DATE_MAX];
		enum nw_err err = node_text(n, &raw);
		bool ok = !err && raw && nw_date_normalize(raw, date);
		free(raw);
		if (err)
			return err;
		if (ok)
			return (a->published = nw_strdup(date)) ? NW_OK : NW_ENOMEM;
	}
	return NW_OK;
}

/* Authors: RSS author, Atom author/name, dc:creator, itunes:author. */
static enum nw_err entry_byline(const xmlNode *item, nw_article *a)
{
	nw_strlist names = { 0 };
	enum nw_err err = NW_OK;
	for (xmlNode *c = item->children; c && !err; c = c->next) {
		if (!is_el(c, NULL, "author") && !is_el(c, "dc", "creator") &&
		    !is_el(c, "itunes", "author"))
			continue;
		xmlNode *name = child(c, NULL, "name");
		char *s = NULL;
		if (!(err = node_text(name ? name : c, &s)) && s)
			err = nw_strlist_push_unique(&names, s);
		free(s);
	}
	if (!err)
		err = nw_parse_set_byline(a, &names);
	nw_strlist_clear(&names);
	return err;
}

static enum nw_err entry_tags(const xmlNode *item, nw_article *a)
{
	enum nw_err err = NW_OK;
	for (xmlNode *c = item->children; c && !err; c = c->next) {
		char *s = NULL;
		if (is_el(c, NULL, "category")) {
			xmlChar *term = attr(c, "label");
			if (!term)
				term = attr(c, "term");
			err = term ? clean_text((const char *)term, &s) : node_text(c, &s);
			xmlFree(term);
		} else if (is_el(c, "dc", "subject")) {
			err = node_text(c, &s);
		}
		if (!err && s)
			err = nw_strlist_push_unique(&a->tags, s);
		free(s);
	}
	return err;
}

/* Body: content:encoded, Atom content, description, summary, in that
 * order of preference; the first that has text. */
static enum nw_err entry_body(const xmlNode *item, size_t max, nw_article *a, bool *too_big)
{
	static const char *const names[][2] = {
		{ "content", "encoded" }, { NULL, "content" }, { NULL, "description" },
		{ NULL, "summary" }, { "itunes", "summary" }, { "media", "description" },
	};
	for (size_t i = 0; i < NW_ARRAY_LEN(names) && !a->paragraphs.len; i++)
		for (xmlNode *c = item->children; c && !a->paragraphs.len; c = c->next) {
			if (!is_el(c, names[i][0], names[i][1]))
				continue;
			xmlChar *src = attr(c, "src");   /* out-of-line Atom content */
			bool elsewhere = src != NULL;
			xmlFree(src);
			if (elsewhere)
				continue;
			enum nw_err err = body_of(c, max, &a->paragraphs, too_big);
			if (err || *too_big)
				return err;
		}
	return NW_OK;
}

/* A title made from the first paragraph (cut at a word boundary) or the
 * link, for entries that have none. */
static enum nw_err fallback_title(nw_article *a)
{
	if (a->paragraphs.len) {
		const char *p = a->paragraphs.items[0];
		size_t n = strlen(p);
		if (n <= TITLE_FROM_TEXT_MAX)
			return (a->title = nw_strdup(p)) ? NW_OK : NW_ENOMEM;
		size_t cut = TITLE_FROM_TEXT_MAX;
		while (cut > 0 && p[cut] != ' ')
			cut--;
		if (!cut)   /* one long word: cut at a character boundary */
			for (cut = TITLE_FROM_TEXT_MAX; cut && ((unsigned char)p[cut] & 0xC0) == 0x80; cut--)
				;
		nw_buf b = NW_BUF_INIT;
		if (nw_buf_append(&b, p, cut) || nw_buf_puts(&b, "…")) {
			nw_buf_release(&b);
			return NW_ENOMEM;
		}
		return (a->title = nw_buf_detach(&b)) ? NW_OK : NW_ENOMEM;
	}
	if (a->url)
		return (a->title = nw_strdup(a->url)) ? NW_OK : NW_ENOMEM;
	return NW_OK;
}

static void reject(struct walk *w, size_t index, enum nw_err err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reject(struct walk *w, size_t index, enum nw_err err, const char *fmt, ...)
{
	if (!w->sink->reject)
		return;
	char reason[NW_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	w->sink->reject(w->sink->ctx, index, err, reason);
}

static void take_entry(struct walk *w, const xmlNode *item)
{
	size_t index = ++w->info->entries;
	nw_article *a = nw_article_new();
	char *key = NULL, *lang = NULL;
	bool too_big = false;
	enum nw_err err = a ? NW_OK : NW_ENOMEM;
	if (!err)
		a->format = w->info->format;
	if (!err && w->o->source && !(a->source = nw_strdup(w->o->source)))
		err = NW_ENOMEM;
	if (!err && !(err = node_text(child(item, NULL, "title"), &a->title)) &&
	    !(err = entry_link(item, &a->url)) && !(err = entry_key(item, a->url, &key)) &&
	    !(err = entry_date(item, a)) && !(err = entry_byline(item, a)) &&
	    !(err = entry_tags(item, a)) && !(err = entry_body(item, w->max, a, &too_big)) &&
	    !too_big && !a->title)
		err = fallback_title(a);
	if (!err && !too_big) {
		xmlChar *xl = xmlNodeGetLang(item);
		if (xl && (lang = nw_strdup((const char *)xl)) && nw_lang_normalize(lang)) {
			a->lang = lang;
			lang = NULL;
		} else if (w->lang && !(a->lang = nw_strdup(w->lang))) {
			err = NW_ENOMEM;
		}
		xmlFree(xl);
	}
	if (!err && !too_big && a->title)
		err = nw_article_finish(a);
	if (err == NW_ENOMEM) {
		w->err = err;
		w->stop = true;
	} else if (err) {
		reject(w, index, err, "%s", nw_strerror(err));
	} else if (too_big) {
		reject(w, index, NW_ETOOBIG, "text over the limit of %zu bytes "
		       "(max_article_bytes)", w->max);
	} else if (!a->title) {
		reject(w, index, NW_ENOTITLE, "entry has no title, text or link");
	} else {
		nw_article *give = a;
		a = NULL;
		if ((err = w->sink->entry(w->sink->ctx, give, key))) {
			w->err = err;
			w->stop = true;
		}
	}
	nw_article_destroy(&a);
	free(key);
	free(lang);
}

/* Entries are <item> (RSS, RDF) or <entry> (Atom) children of the channel
 * or of the root. */
static void take_entries(struct walk *w, const xmlNode *parent)
{
	for (const xmlNode *c = parent ? parent->children : NULL; c && !w->stop; c = c->next)
		if (is_el(c, NULL, "item") || is_el(c, NULL, "entry"))
			take_entry(w, c);
}

static enum nw_err channel_lang(const xmlNode *channel, char **out)
{
	enum nw_err err = node_text(child(channel, NULL, "language"), out);
	if (!err && !*out)
		err = node_text(child(channel, "dc", "language"), out);
	if (!err && !*out && channel) {
		xmlChar *xl = xmlNodeGetLang(channel);
		err = clean_text((const char *)xl, out);
		xmlFree(xl);
	}
	if (*out && !nw_lang_normalize(*out)) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* ---- libxml2 ---- */

struct xml_errors {
	int count;
	bool unfinished;   /* the root (or a tag) was never closed */
	char first[160];
};

#if LIBXML_VERSION >= 21200
static void on_xml_error(void *arg, const xmlError *e)
#else
static void on_xml_error(void *arg, xmlErrorPtr e)
#endif
{
	xmlParserCtxtPtr ctxt = arg;
	struct xml_errors *xe = ctxt ? ctxt->_private : NULL;
	if (!xe || !e || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_TAG_NOT_FINISHED)
		xe->unfinished = true;
	if (!xe->count++) {
		snprintf(xe->first, sizeof xe->first, "line %d: %s", e->line,
			 e->message ? e->message : "malformed XML");
		char *nl = strchr(xe->first, '\n');
		if (nl)
			*nl = '\0';
	}
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static bool ends_in_markup(const nw_buf *b)
{
	size_t i = b->len;
	while (i > 0 && (unsigned char)b->data[i - 1] <= ' ')
		i--;
	return i > 0 && b->data[i - 1] == '>';
}

enum nw_err nw_feed_parse(const char *data, size_t len, const char *charset,
			  const struct nw_parse_opts *o, const struct nw_feed_sink *sink,
			  struct nw_feed_info *info, char reason[NW_REASON_MAX])
{
	struct nw_feed_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof *info);
	info->format = NW_FORMAT_RSS;
	size_t max = o->max_bytes ? o->max_bytes : NW_DEFAULT_MAX_ARTICLE_BYTES;
	size_t limit = max > SIZE_MAX / NW_FEED_SIZE_FACTOR ? SIZE_MAX : max * NW_FEED_SIZE_FACTOR;
	if (len > limit) {
		snprintf(reason, NW_REASON_MAX, "feed is %zu bytes, over the limit of %zu "
			 "(%d x max_article_bytes)", len, limit, NW_FEED_SIZE_FACTOR);
		return NW_ETOOBIG;
	}
	size_t i = 0;
	while (i < len && ((unsigned char)data[i] <= ' '))
		i++;
	if (i == len) {
		snprintf(reason, NW_REASON_MAX, "empty input");
		return NW_EEMPTY;
	}
	if (len > INT32_MAX) {
		snprintf(reason, NW_REASON_MAX, "feed too large for the XML parser");
		return NW_ETOOBIG;
	}
	nw_buf text = NW_BUF_INIT, fixed = NW_BUF_INIT;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	struct walk w = { o, sink, info, NULL, max, false, NW_OK };
	struct xml_errors xe = { 0 };
	bool changed = false;
	enum nw_err err = decode(data, len, charset, &text, info, reason);
	if (err)
		goto out;
	if ((err = repair(text.data, text.len, &fixed, &changed)))
		goto nomem;
	if (fixed.len > INT32_MAX) {
		err = NW_ETOOBIG;
		snprintf(reason, NW_REASON_MAX, "feed too large for the XML parser");
		goto out;
	}
	pthread_once(&xml_once, xml_init);
	if (!(ctxt = xmlNewParserCtxt()))
		goto nomem;
	ctxt->_private = &xe;
	ctxt->sax->serror = on_xml_error;
	doc = xmlCtxtReadMemory(ctxt, fixed.data ? fixed.data : "", (int)fixed.len, NULL, "UTF-8",
				XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOCDATA |
				XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		err = NW_ESYNTAX;
		snprintf(reason, NW_REASON_MAX, "not an XML feed (%s)",
			 xe.count ? xe.first : "no root element");
		goto out;
	}
	if ((xe.count || changed) && !info->repaired) {
		info->repaired = true;
		snprintf(info->note, sizeof info->note, "%s",
			 xe.count ? xe.first : "malformed markup repaired");
	}
	const xmlNode *channel = child(root, NULL, "channel");
	if (is_el(root, NULL, "feed"))
		info->format = NW_FORMAT_ATOM;
	else if (is_el(root, "rdf", "RDF"))
		info->format = NW_FORMAT_RDF;
	else if (is_el(root, NULL, "channel"))
		channel = root;
	if (info->format == NW_FORMAT_ATOM)
		channel = root;
	xmlNode *ttl = child(channel, NULL, "ttl");
	if (ttl) {
		xmlChar *t = xmlNodeGetContent(ttl);
		long v = t ? strtol((const char *)t, NULL, 10) : 0;
		info->ttl_minutes = v > 0 && v < 525600 ? v : 0;
		xmlFree(t);
	}
	if ((err = channel_lang(channel ? channel : root, &w.lang)))
		goto nomem;
	if (is_el(root, NULL, "rss") || is_el(root, NULL, "feed") || is_el(root, "rdf", "RDF") ||
	    is_el(root, NULL, "channel")) {
		if (channel && channel != root)
			take_entries(&w, channel);
		take_entries(&w, root);
	}
	if (w.err) {
		err = w.err;
		snprintf(reason, NW_REASON_MAX, "%s", nw_strerror(err));
		goto out;
	}
	if (!info->entries && (xe.unfinished || !ends_in_markup(&fixed))) {
		err = NW_ESYNTAX;
		snprintf(reason, NW_REASON_MAX, "the document is cut off before its markup "
			 "closes (%s) and holds no entries", xe.count ? xe.first : "at the end");
	}
	goto out;
nomem:
	err = NW_ENOMEM;
	snprintf(reason, NW_REASON_MAX, "out of memory");
out:
	free(w.lang);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	nw_buf_release(&text);
	nw_buf_release(&fixed);
	return err;
}

/* ---- nw_parse()'s adapter ---- */

static enum nw_err to_article_sink(void *ctx, nw_article *a, const char *key)
{
	(void)key;
	const struct nw_parse_sink *sink = ctx;
	return sink->article(sink->ctx, a);
}

static void to_article_reject(void *ctx, size_t entry, enum nw_err err, const char *reason)
{
	const struct nw_parse_sink *sink = ctx;
	if (sink->reject)
		sink->reject(sink->ctx, entry, err, reason);
}

enum nw_err nw_parse_feed(const char *data, size_t len, const struct nw_parse_opts *o,
			  const struct nw_parse_sink *sink, char reason[NW_REASON_MAX])
{
	struct nw_feed_sink fs = { to_article_sink, to_article_reject, (void *)sink };
	return nw_feed_parse(data, len, o->charset, o, &fs, NULL, reason);
}
