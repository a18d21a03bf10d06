/* Parsers from raw input to articles. One entry point per format and a
 * dispatcher; records are handed to a sink one by one so a bad record in a
 * batch is reported without stopping the others. */
#ifndef NW_PARSE_H
#define NW_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <newswire/article.h>

#define NW_REASON_MAX 256
#define NW_DEFAULT_MAX_ARTICLE_BYTES ((size_t)1024 * 1024)

/* NW_FORMAT_AUTO asks nw_parse() to detect the format. */
#define NW_FORMAT_AUTO ((enum nw_format)-1)

struct nw_parse_opts {
	enum nw_format format;   /* NW_FORMAT_AUTO or a format */
	const char *source;      /* becomes article->source; may be NULL */
	size_t max_bytes;        /* 0 = NW_DEFAULT_MAX_ARTICLE_BYTES */
	const char *charset;     /* the transport's charset (feeds), or NULL */
};

struct nw_parse_sink {
	/* Receives each accepted article and owns it from then on (also when
	 * it returns an error, which stops the parse with that error). */
	enum nw_err (*article)(void *ctx, nw_article *a);
	/* Told of each rejected record of a multi-record input: record is
	 * 1-based, reason is one line. May be NULL. */
	void (*reject)(void *ctx, size_t record, enum nw_err err, const char *reason);
	void *ctx;
};

/* Parses one input. Returns NW_OK when the input as a whole was read (some
 * records may have been rejected through sink->reject); otherwise the input
 * is rejected whole and reason holds one line saying why. */
enum nw_err nw_parse(const char *data, size_t len, const struct nw_parse_opts *o,
		     const struct nw_parse_sink *sink, char reason[NW_REASON_MAX]);

enum nw_err nw_parse_text(const char *data, size_t len, const struct nw_parse_opts *o,
			  const struct nw_parse_sink *sink, char reason[NW_REASON_MAX]);
enum nw_err nw_parse_json(const char *data, size_t len, const struct nw_parse_opts *o,
			  const struct nw_parse_sink *sink, char reason[NW_REASON_MAX]);

/* Guesses the format from the file name (may be NULL) and the first bytes. */
enum nw_format nw_parse_detect(const char *name, const char *data, size_t len);

/* Checks size, emptiness and UTF-8 validity shared by every text format;
 * skips a UTF-8 BOM (updating *data and *len). */
enum nw_err nw_parse_check_input(const char **data, size_t *len, size_t max,
				 char reason[NW_REASON_MAX]);

/* How nw_parse_paragraphs() finds paragraph breaks. Tags are stripped and
 * character references decoded in every mode. */
enum nw_para {
	NW_PARA_LINES,        /* each line is a paragraph (JSON bodies) */
	NW_PARA_HTML,         /* line ends are spaces; block tags break (feeds) */
	NW_PARA_BLANK_LINES,  /* blank lines break; wrapped lines join (plain feeds) */
};

/* Appends the cleaned, non-empty paragraphs of s to out. */
enum nw_err nw_parse_paragraphs(const char *s, enum nw_para mode, nw_strlist *out);

/* Sets a->byline to the names joined with ", " (left NULL when there are
 * none). */
enum nw_err nw_parse_set_byline(nw_article *a, const nw_strlist *names);

/* Normalises a language tag in place ("vi-VN" -> "vi", "EN" -> "en");
 * false when what is left is not a plausible ISO 639 code. */
bool nw_lang_normalize(char *lang);

/* Convenience for callers that want exactly one article (tests, the HTTP
 * text route): the first accepted article, or the error. Caller destroys. */
enum nw_err nw_parse_one(const char *data, size_t len, const struct nw_parse_opts *o,
			 nw_article **out, char reason[NW_REASON_MAX]);

#endif
