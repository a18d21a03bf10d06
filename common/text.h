/* Text normalisation: UTF-8 validation, the cleaning every article string
 * goes through (HTML remnants, NFC, control/zero-width removal, whitespace
 * collapsing) and the search folding shared by the indexer and notifier. */
#ifndef NW_TEXT_H
#define NW_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/error.h>

#include "common/util.h"

/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values
 * above U+10FFFF). On false, *bad (if not NULL) is the offending offset. */
bool nw_utf8_valid(const char *s, size_t n, size_t *bad);

int32_t nw_utf8_next_slow(const char **p, const char *end);

/* Decodes one code point at *p (advancing it); returns -1 and advances one
 * byte on malformed input. p < end. */
static inline int32_t nw_utf8_next(const char **pp, const char *end)
{
	const unsigned char *p = (const unsigned char *)*pp;
	if (p[0] < 0x80) {
		*pp += 1;
		return p[0];
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF && end - *pp >= 2 && (p[1] & 0xC0) == 0x80) {
		*pp += 2;
		return ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
	}
	return nw_utf8_next_slow(pp, end);
}

/* Encodes cp into out (4 bytes room); returns the byte count (0 if invalid). */
size_t nw_utf8_encode(int32_t cp, char *out);

/* Counts code points in valid UTF-8. */
size_t nw_utf8_len(const char *s, size_t n);

/* Character classes of a code point. */
enum {
	NW_CP_UPPER = 1 << 0,      /* Lu, Lt */
	NW_CP_LOWER = 1 << 1,      /* Ll */
	NW_CP_SPACE = 1 << 2,      /* see nw_is_space() */
	NW_CP_INVISIBLE = 1 << 3,  /* see nw_is_invisible() */
	NW_CP_WORD = 1 << 4,       /* letters, combining marks, decimal digits */
};

struct nw_cp {
	uint8_t flags;
	char fold;       /* the ASCII character it folds to, or 0 if none/several */
	int32_t lower;   /* simple lower-case mapping */
};

/* Classes of cp: from a precomputed table for ASCII and the Latin blocks
 * Vietnamese uses (U+0000-U+024F, U+1E00-U+1EFF), else from utf8proc. */
struct nw_cp nw_cp_classify(int32_t cp);

/* True for characters that read as white space (ASCII space/tab/newlines,
 * Unicode Zs/Zl/Zp including NO-BREAK SPACE). */
bool nw_is_space(int32_t cp);
/* True for characters removed outright: controls other than white space,
 * format characters (zero-width space/joiners, BOM, soft hyphen, ...). */
bool nw_is_invisible(int32_t cp);

enum {
	NW_CLEAN_HTML = 1 << 0,   /* strip tags, decode character references */
};

/* Cleans valid UTF-8 into a new string (caller frees): with NW_CLEAN_HTML
 * tags are stripped and entities decoded first; then control and zero-width
 * characters are removed, white space runs collapse to one space, the ends
 * are trimmed, and the result is put in NFC. */
enum nw_err nw_text_clean(const char *s, size_t n, unsigned flags, char **out);

/* Decodes HTML character references (&amp; &#233; &#xE9; and the HTML 4
 * names) into a new string (caller frees). Unknown references stay as they are. */
enum nw_err nw_html_decode(const char *s, size_t n, char **out);

/* Replaces HTML tags and comments with a space (block-level tags such as
 * <p>, <br>, <div> with a newline) into a new string (caller frees). Text
 * that only looks like a tag ("a < b") is kept. */
enum nw_err nw_html_strip(const char *s, size_t n, char **out);

/* Search folding: lower case, diacritics removed, đ/Đ to d (Unicode does
 * not decompose đ), applied code point by code point so offsets of words
 * stay in order. Result is a new string (caller frees). */
enum nw_err nw_text_fold(const char *s, size_t n, char **out);

/* Words of s (runs of letters, combining marks and digits), in order:
 * fn gets each word's bytes in s, its folded form (as nw_text_fold) and
 * its exact form (simple lower case, diacritics kept), both NUL-
 * terminated and valid during the call. A word that folds to nothing (a
 * lone combining mark) is skipped. fn returns false to stop. */
typedef bool (*nw_word_fn)(void *arg, const char *word, size_t len, const char *folded,
			   size_t flen, const char *exact, size_t elen);
enum nw_err nw_text_words(const char *s, size_t n, nw_word_fn fn, void *arg);

/* Appends " w1 w2 ... wN " (the folded words, one space apart, with a
 * space at each end) to out; nothing when s has no words. Matching a
 * folded term or phrase at word boundaries is then strstr(out, " t "). */
enum nw_err nw_fold_words(const char *s, size_t n, nw_buf *out);

#endif
