/* Entities and language from article text: people and places by
 * Vietnamese cue words and capitalised syllable runs, all-caps
 * abbreviations, and a script + letter + stop-word language guess. */
#ifndef NW_EXTRACT_H
#define NW_EXTRACT_H

#include <newswire/article.h>

/* Adds people, places and abbreviations found in text (clean NFC) to the
 * article's lists, unique, in order of first mention. */
enum nw_err nw_extract_entities(nw_article *a, const char *text);

/* ISO 639-1 code for the language of text, or "und" when unsure.
 * Returns a static string. */
const char *nw_detect_lang(const char *text);

#endif
