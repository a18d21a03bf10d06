/* Text normalisation and search folding over utf8proc. Every string of an
 * article passes through nw_text_clean() exactly once, at parse time. */
#include "common/text.h"

#include <libxml/HTMLparser.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/util.h"

bool nw_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c < 0x80) {
			i++;
			while (n - i >= 8) {   /* then skip ASCII eight bytes at a time */
				uint64_t word;
				memcpy(&word, p + i, 8);
				if (word & 0x8080808080808080ULL)
					break;
				i += 8;
			}
		} else if (c >= 0xC2 && c <= 0xDF) {
			if (n - i < 2 || (p[i + 1] & 0xC0) != 0x80)
				goto invalid;
			i += 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			if (n - i < 3 || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80)
				goto invalid;
			if ((c == 0xE0 && p[i + 1] < 0xA0) ||    /* overlong */
			    (c == 0xED && p[i + 1] >= 0xA0))     /* surrogate */
				goto invalid;
			i += 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			if (n - i < 4 || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80 ||
			    (p[i + 3] & 0xC0) != 0x80)
				goto invalid;
			if ((c == 0xF0 && p[i + 1] < 0x90) ||    /* overlong */
			    (c == 0xF4 && p[i + 1] >= 0x90))     /* above U+10FFFF */
				goto invalid;
			i += 4;
		} else {
			goto invalid;
		}
	}
	return true;
invalid:
	if (bad)
		*bad = i;
	return false;
}

int32_t nw_utf8_next_slow(const char **pp, const char *end)
{
	const unsigned char *p = (const unsigned char *)*pp;
	size_t left = (size_t)((const unsigned char *)end - p);
	unsigned char c = p[0];
	if (c >= 0xE0 && c <= 0xEF && left >= 3 && (p[1] & 0xC0) == 0x80 &&
	    (p[2] & 0xC0) == 0x80) {
		int32_t cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
			*pp += 3;
			return cp;
		}
	}
	utf8proc_int32_t cp;   /* 4-byte forms and everything malformed */
	utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)left, &cp);
	if (n <= 0) {
		(*pp)++;
		return -1;
	}
	*pp += n;
	return cp;
}

size_t nw_utf8_encode(int32_t cp, char *out)
{
	if (!utf8proc_codepoint_valid(cp))
		return 0;
	return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
}

size_t nw_utf8_len(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

#define LATIN_END 0x250
#define LATIN_ADD_START 0x1E00
#define LATIN_ADD_END 0x1F00

static struct nw_cp latin_table[LATIN_END];
static struct nw_cp latin_add_table[LATIN_ADD_END - LATIN_ADD_START];

static struct nw_cp classify_slow(int32_t cp)
{
	struct nw_cp c = { 0, 0, cp };
	utf8proc_category_t cat = utf8proc_category(cp);
	switch (cat) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LT:
		c.flags = NW_CP_UPPER | NW_CP_WORD;
		c.lower = utf8proc_tolower(cp);
		break;
	case UTF8PROC_CATEGORY_LL:
		c.flags = NW_CP_LOWER | NW_CP_WORD;
		break;
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ND:
		c.flags = NW_CP_WORD;
		break;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
		c.flags = NW_CP_SPACE;
		break;
	case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF:
		c.flags = NW_CP_INVISIBLE;
		break;
	default:
		break;
	}
	if ((cp >= '\t' && cp <= '\r') || cp == 0x85)
		c.flags = NW_CP_SPACE;
	if (cp == 0x0110 || cp == 0x0111) {   /* Đ đ: Unicode does not decompose them */
		c.fold = 'd';
	} else if (c.flags & NW_CP_WORD) {
		utf8proc_int32_t dec[4];
		int last = 0;
		utf8proc_ssize_t k = utf8proc_decompose_char(cp, dec, 4,
			UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
			UTF8PROC_COMPAT, &last);
		if (k == 1 && dec[0] < 0x80)
			c.fold = (char)dec[0];
	}
	return c;
}

__attribute__((constructor)) static void build_tables(void)
{
	for (int32_t cp = 0; cp < LATIN_END; cp++)
		latin_table[cp] = classify_slow(cp);
	for (int32_t cp = LATIN_ADD_START; cp < LATIN_ADD_END; cp++)
		latin_add_table[cp - LATIN_ADD_START] = classify_slow(cp);
}

struct nw_cp nw_cp_classify(int32_t cp)
{
	if (cp >= 0 && cp < LATIN_END)
		return latin_table[cp];
	if (cp >= LATIN_ADD_START && cp < LATIN_ADD_END)
		return latin_add_table[cp - LATIN_ADD_START];
	return classify_slow(cp);
}

bool nw_is_space(int32_t cp)
{
	return nw_cp_classify(cp).flags & NW_CP_SPACE;
}

bool nw_is_invisible(int32_t cp)
{
	return nw_cp_classify(cp).flags & NW_CP_INVISIBLE;
}

/* Code points whose NFC form is themselves whatever surrounds them, so a
 * string made only of them needs no utf8proc pass. */
static bool nfc_stable(int32_t cp)
{
	return cp < 0x300 || (cp >= 0x1E00 && cp <= 0x1EFF) ||
	       (cp >= 0x2010 && cp <= 0x205F) || (cp >= 0x20A0 && cp <= 0x20BF);
}

/* Appends the text before the next c (all of it if there is none) and
 * returns where c is, or NULL at the end; *nomem is set on ENOMEM. */
static const char *copy_until(nw_buf *b, const char *p, const char *end, char c, bool *nomem)
{
	const char *at = memchr(p, c, (size_t)(end - p));
	if (nw_buf_append(b, p, (size_t)((at ? at : end) - p)))
		*nomem = true;
	return at;
}

enum nw_err nw_html_strip(const char *s, size_t n, char **out)
{
	static const char *const block[] = {
		"p", "br", "div", "li", "ul", "ol", "tr", "table", "h1", "h2",
		"h3", "h4", "h5", "h6", "blockquote", "section", "article",
		"header", "footer", "figure", "figcaption", "hr", "pre", "dd", "dt",
	};
	/* formatting inside a word or sentence: removed without a space */
	static const char *const inline_tags[] = {
		"b", "i", "u", "em", "strong", "a", "span", "font", "sup", "sub",
		"small", "big", "mark", "abbr", "cite", "code", "s", "strike", "q",
	};
	nw_buf b = NW_BUF_INIT;
	const char *p = s, *end = s + n;
	bool nomem = false;
	while (p < end) {
		const char *lt = copy_until(&b, p, end, '<', &nomem);
		if (nomem)
			goto nomem;
		if (!lt)
			break;
		const char *q = lt + 1;
		if (q + 3 <= end && memcmp(q, "!--", 3) == 0) {
			const char *close = NULL;
			for (const char *r = q + 3; r + 3 <= end; r++)
				if (memcmp(r, "-->", 3) == 0) {
					close = r + 3;
					break;
				}
			if (!close)
				close = end;
			if (nw_buf_putc(&b, ' '))
				goto nomem;
			p = close;
			continue;
		}
		bool closing = q < end && *q == '/';
		if (closing)
			q++;
		const char *name = q;
		bool tagish = q < end && (((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z') ||
				(!closing && (*q == '!' || *q == '?')));
		const char *gt = NULL;
		if (tagish) {
			/* a tag ends at '>' before any other '<', within reason */
			for (const char *r = q; r < end && r - q < 4096; r++) {
				if (*r == '>') {
					gt = r;
					break;
				}
				if (*r == '<')
					break;
			}
		}
		if (!gt) {
			if (nw_buf_putc(&b, '<'))
				goto nomem;
			p = lt + 1;
			continue;
		}
		size_t nlen = 0;
		while (name + nlen < gt && (((name[nlen] | 0x20) >= 'a' &&
		       (name[nlen] | 0x20) <= 'z') || (name[nlen] >= '0' && name[nlen] <= '9')))
			nlen++;
		char sep = ' ';
		for (size_t i = 0; i < NW_ARRAY_LEN(block); i++)
			if (strlen(block[i]) == nlen && strncasecmp(block[i], name, nlen) == 0)
				sep = '\n';
		for (size_t i = 0; i < NW_ARRAY_LEN(inline_tags); i++)
			if (strlen(inline_tags[i]) == nlen && strncasecmp(inline_tags[i], name, nlen) == 0)
				sep = '\0';
		if (sep && nw_buf_putc(&b, sep))
			goto nomem;
		p = gt + 1;
	}
	if (!(*out = nw_buf_detach(&b)))
		return NW_ENOMEM;
	return NW_OK;
nomem:
	nw_buf_release(&b);
	return NW_ENOMEM;
}

/* Decodes the reference starting at s (just after '&'); on success returns
 * the bytes consumed (including ';') and the code point in *cp. */
static size_t decode_ref(const char *s, const char *end, int32_t *cp)
{
	const char *semi = NULL;
	for (const char *r = s; r < end && r - s < 32; r++) {
		if (*r == ';') {
			semi = r;
			break;
		}
		if (!((*r >= '0' && *r <= '9') || ((*r | 0x20) >= 'a' && (*r | 0x20) <= 'z') || *r == '#'))
			break;
	}
	if (!semi || semi == s)
		return 0;
	if (*s == '#') {
		const char *d = s + 1;
		int base = 10;
		if (d < semi && (*d | 0x20) == 'x') {
			base = 16;
			d++;
		}
		if (d == semi)
			return 0;
		long v = 0;
		for (; d < semi; d++) {
			int digit;
			if (*d >= '0' && *d <= '9')
				digit = *d - '0';
			else if (base == 16 && (*d | 0x20) >= 'a' && (*d | 0x20) <= 'f')
				digit = (*d | 0x20) - 'a' + 10;
			else
				return 0;
			v = v * base + digit;
			if (v > 0x10FFFF)
				v = 0x110000;   /* keep consuming, reject below */
		}
		/* Windows-1252 numbers that real feeds use for quotes and dashes */
		static const int32_t cp1252[32] = {
			0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
			0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
			0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
			0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
		};
		if (v >= 0x80 && v <= 0x9F && cp1252[v - 0x80])
			v = cp1252[v - 0x80];
		*cp = utf8proc_codepoint_valid((int32_t)v) && v != 0 ? (int32_t)v : 0xFFFD;
		return (size_t)(semi - s) + 1;
	}
	char name[33];
	size_t len = (size_t)(semi - s);
	memcpy(name, s, len);
	name[len] = '\0';
	if (strcmp(name, "apos") == 0) {   /* XML/HTML5, not in HTML 4 */
		*cp = '\'';
		return len + 1;
	}
	const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
	if (!e)
		return 0;
	*cp = (int32_t)e->value;
	return len + 1;
}

enum nw_err nw_html_decode(const char *s, size_t n, char **out)
{
	nw_buf b = NW_BUF_INIT;
	const char *p = s, *end = s + n;
	bool nomem = false;
	while (p < end) {
		const char *amp = copy_until(&b, p, end, '&', &nomem);
		if (nomem)
			goto nomem;
		if (!amp)
			break;
		int32_t cp;
		size_t used = decode_ref(amp + 1, end, &cp);
		if (!used) {
			if (nw_buf_putc(&b, '&'))
				goto nomem;
			p = amp + 1;
			continue;
		}
		char enc[4];
		if (nw_buf_append(&b, enc, nw_utf8_encode(cp, enc)))
			goto nomem;
		p = amp + 1 + used;
	}
	if (!(*out = nw_buf_detach(&b)))
		return NW_ENOMEM;
	return NW_OK;
nomem:
	nw_buf_release(&b);
	return NW_ENOMEM;
}

/* Removes invisible characters, collapses white space, trims; reports
 * whether an NFC pass is needed. */
static enum nw_err squeeze(const char *s, size_t n, nw_buf *b, bool *need_nfc)
{
	const char *p = s, *end = s + n;
	bool pending_space = false;
	*need_nfc = false;
	if (nw_buf_reserve(b, n))
		return NW_ENOMEM;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		int32_t cp;
		const char *start = p;
		if (c < 0x80) {
			cp = c;
			p++;
		} else {
			cp = nw_utf8_next(&p, end);
			if (cp < 0)
				continue;
		}
		uint8_t flags = c < 0x80 ? latin_table[c].flags : nw_cp_classify(cp).flags;
		if (flags & NW_CP_SPACE) {
			pending_space = b->len > 0;
			continue;
		}
		if (flags & NW_CP_INVISIBLE)
			continue;
		if (pending_space) {
			b->data[b->len++] = ' ';
			pending_space = false;
		}
		if (!nfc_stable(cp))
			*need_nfc = true;
		memcpy(b->data + b->len, start, (size_t)(p - start));
		b->len += (size_t)(p - start);
	}
	b->data[b->len] = '\0';
	return NW_OK;
}

enum nw_err nw_text_clean(const char *s, size_t n, unsigned flags, char **out)
{
	enum nw_err err = NW_OK;
	char *stripped = NULL, *decoded = NULL;
	nw_buf b = NW_BUF_INIT;
	if ((flags & NW_CLEAN_HTML) && (memchr(s, '<', n) || memchr(s, '&', n))) {
		if ((err = nw_html_strip(s, n, &stripped)))
			goto out;
		if ((err = nw_html_decode(stripped, strlen(stripped), &decoded)))
			goto out;
		s = decoded;
		n = strlen(decoded);
	}
	bool need_nfc;
	if ((err = squeeze(s, n, &b, &need_nfc)))
		goto out;
	if (!need_nfc) {
		*out = nw_buf_detach(&b);
		err = *out ? NW_OK : NW_ENOMEM;
		goto out;
	}
	utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)b.data);
	if (!nfc) {
		err = NW_ENOMEM;
		goto out;
	}
	*out = (char *)nfc;
out:
	nw_buf_release(&b);
	free(stripped);
	free(decoded);
	return err;
}

enum nw_err nw_text_fold(const char *s, size_t n, char **out)
{
	nw_buf b = NW_BUF_INIT;
	const char *p = s, *end = s + n;
	if (nw_buf_reserve(&b, n))
		return NW_ENOMEM;
	while (p < end) {
		int32_t cp = nw_utf8_next(&p, end);
		if (cp < 0)
			continue;
		char simple = (char)(cp < 0x80 ? latin_table[cp].lower : nw_cp_classify(cp).fold);
		if (simple) {
			/* an expansion below may have used the room reserved up front */
			if (b.len + 1 >= b.cap && nw_buf_reserve(&b, 1))
				goto nomem;
			b.data[b.len++] = simple;
			continue;
		}
		utf8proc_int32_t dec[32];   /* the longest decomposition is 18 */
		int last = 0;
		utf8proc_ssize_t k = utf8proc_decompose_char(cp, dec, 32,
			UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
			UTF8PROC_COMPAT, &last);
		if (k < 0 || k > 32) {
			dec[0] = cp;
			k = 1;
		}
		for (utf8proc_ssize_t i = 0; i < k; i++) {
			int32_t d = dec[i] == 0x0111 ? 'd' : dec[i];
			char enc[4];
			if (nw_buf_append(&b, enc, nw_utf8_encode(d, enc)))
				goto nomem;
		}
	}
	b.data[b.len] = '\0';
	if (!(*out = nw_buf_detach(&b)))
		return NW_ENOMEM;
	return NW_OK;
nomem:
	nw_buf_release(&b);
	return NW_ENOMEM;
}

/* Appends the folded form of cp (a word character) to b, which has room
 * for at least 4 bytes; may grow it for a long decomposition. */
static enum nw_err fold_cp(int32_t cp, const struct nw_cp *c, nw_buf *b)
{
	if (c->fold) {
		b->data[b->len++] = c->fold;
		return NW_OK;
	}
	utf8proc_int32_t dec[32];
	int last = 0;
	utf8proc_ssize_t k = utf8proc_decompose_char(cp, dec, 32,
		UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_COMPAT, &last);
	if (k < 0 || k > 32) {
		dec[0] = cp;
		k = 1;
	}
	for (utf8proc_ssize_t i = 0; i < k; i++) {
		char enc[4];
		int32_t d = dec[i] == 0x0111 ? 'd' : dec[i];
		if (nw_buf_append(b, enc, nw_utf8_encode(d, enc)))
			return NW_ENOMEM;
	}
	return NW_OK;
}

/* Room for one more code point in both forms (the common case is a test). */
static inline enum nw_err word_room(nw_buf *folded, nw_buf *exact)
{
	if (folded->cap - folded->len < 8 && nw_buf_reserve(folded, 64))
		return NW_ENOMEM;
	if (exact->cap - exact->len < 8 && nw_buf_reserve(exact, 64))
		return NW_ENOMEM;
	return NW_OK;
}

enum nw_err nw_text_words(const char *s, size_t n, nw_word_fn fn, void *arg)
{
	nw_buf folded = NW_BUF_INIT, exact = NW_BUF_INIT;
	enum nw_err err = NW_OK;
	const char *p = s, *end = s + n, *start = NULL;
	bool more = true;
	if (nw_buf_reserve(&folded, 64) || nw_buf_reserve(&exact, 64))
		err = NW_ENOMEM;
	while (!err && more && p <= end) {
		const char *at = p;
		int32_t cp = -1;
		struct nw_cp c = { 0 };
		if (p < end) {
			cp = nw_utf8_next(&p, end);
			if (cp >= 0)
				c = cp < LATIN_END ? latin_table[cp] : nw_cp_classify(cp);
		} else {
			p++;   /* past the end: close the last word */
		}
		if (cp >= 0 && (c.flags & NW_CP_WORD)) {
			if (!start) {
				start = at;
				folded.len = exact.len = 0;
			}
			if ((err = word_room(&folded, &exact)))
				break;
			int32_t lower = c.lower ? c.lower : cp;
			if (cp < 0x80) {   /* ASCII: folded and exact are the lower case */
				folded.data[folded.len++] = (char)lower;
				exact.data[exact.len++] = (char)lower;
				continue;
			}
			exact.len += nw_utf8_encode(lower, exact.data + exact.len);
			err = fold_cp(cp, &c, &folded);
			continue;
		}
		if (start && folded.len) {
			folded.data[folded.len] = exact.data[exact.len] = '\0';
			more = fn(arg, start, (size_t)(at - start), folded.data, folded.len, exact.data,
				  exact.len);
		}
		start = NULL;
	}
	nw_buf_release(&folded);
	nw_buf_release(&exact);
	return err;
}

static bool append_word(void *arg, const char *word, size_t len, const char *folded, size_t flen,
			const char *exact, size_t elen)
{
	nw_buf *b = arg;
	return nw_buf_append(b, folded, flen) == NW_OK && nw_buf_putc(b, ' ') == NW_OK;
}

enum nw_err nw_fold_words(const char *s, size_t n, nw_buf *out)
{
	size_t before = out->len;
	enum nw_err err = nw_buf_putc(out, ' ');
	if (!err)
		err = nw_text_words(s, n, append_word, out);
	if (!err && out->len == before + 1)
		out->len = before;   /* no words: nothing */
	return err;
}
