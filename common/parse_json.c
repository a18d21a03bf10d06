/* JSON input (SPEC 3.2): one article object or an array of them, with the
 * contract's keys, common aliases (headline, body/content, date, link,
 * author, tags) and IPTC ninjs (headlines, bodies, versioncreated, uri). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/article.h"
#include "common/date.h"
#include "common/parse.h"
#include "common/text.h"
#include "common/util.h"

#define JSON_MAX_RECORDS 10000
#define JSON_MAX_LIST 10000

struct record_error {
	enum nw_err err;
	char *reason;   /* NW_REASON_MAX bytes */
};

__attribute__((format(printf, 3, 4)))
static enum nw_err fail(struct record_error *re, enum nw_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(re->reason, NW_REASON_MAX, fmt, ap);
	va_end(ap);
	re->err = err;
	return err;
}

/* The first of the keys present in o (NULL if none); *which gets its name. */
static json_t *first_of(json_t *o, const char *const *keys, const char **which)
{
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(o, keys[i]);
		if (v && !json_is_null(v)) {
			*which = keys[i];
			return v;
		}
	}
	return NULL;
}

static enum nw_err clean_into(const char *s, char **out)
{
	return nw_text_clean(s, strlen(s), NW_CLEAN_HTML, out);
}

/* A string field (or NULL when absent); wrong types are errors. */
static enum nw_err get_string(json_t *o, const char *const *keys, char **out,
			      struct record_error *re)
{
	const char *key;
	json_t *v = first_of(o, keys, &key);
	*out = NULL;
	if (!v)
		return NW_OK;
	if (json_is_integer(v)) {
		char num[32];
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return clean_into(num, out);
	}
	if (!json_is_string(v))
		return fail(re, NW_ETYPE, "\"%s\" must be a string", key);
	return clean_into(json_string_value(v), out);
}

/* Names from a string, an object with "name", or an array of either. */
static enum nw_err collect_names(json_t *v, nw_strlist *out, const char *key,
				 struct record_error *re)
{
	if (json_is_string(v)) {
		char *s = NULL;
		enum nw_err err = clean_into(json_string_value(v), &s);
		if (err)
			return err;
		if (*s)
			return nw_strlist_push_owned(out, s);
		free(s);
		return NW_OK;
	}
	if (json_is_object(v)) {
		json_t *name = json_object_get(v, "name");
		if (!name)
			name = json_object_get(v, "value");
		if (!name)
			name = json_object_get(v, "literal");
		return json_is_string(name) ? collect_names(name, out, key, re) : NW_OK;
	}
	if (json_is_array(v)) {
		if (json_array_size(v) > JSON_MAX_LIST)
			return fail(re, NW_ELIMIT, "\"%s\" has too many items", key);
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (json_is_array(x))
				return fail(re, NW_ETYPE, "\"%s\" must not nest arrays", key);
			enum nw_err err = collect_names(x, out, key, re);
			if (err)
				return err;
		}
		return NW_OK;
	}
	return fail(re, NW_ETYPE, "\"%s\" must be a string or a list of strings", key);
}

static enum nw_err get_list(json_t *o, const char *const *keys, nw_strlist *out,
			    struct record_error *re)
{
	const char *key;
	json_t *v = first_of(o, keys, &key);
	return v ? collect_names(v, out, key, re) : NW_OK;
}

/* Body paragraphs: "paragraphs" (list), "body"/"content"/"text" (string
 * split on newlines), or ninjs "bodies" (list of {value}). */
static enum nw_err get_body(json_t *o, nw_article *a, struct record_error *re)
{
	static const char *const keys[] = { "paragraphs", "body", "content", "text",
		"body_text", "bodies", "body_html", "description", "summary", "lead", NULL };
	const char *key;
	json_t *v = first_of(o, keys, &key);
	if (!v)
		return NW_OK;
	if (json_is_string(v))
		return nw_parse_paragraphs(json_string_value(v), NW_PARA_LINES, &a->paragraphs);
	if (!json_is_array(v))
		return fail(re, NW_ETYPE, "\"%s\" must be a string or a list", key);
	if (json_array_size(v) > JSON_MAX_LIST)
		return fail(re, NW_ELIMIT, "\"%s\" has too many items", key);
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (json_is_object(x))
			x = json_object_get(x, "value");
		if (!json_is_string(x))
			return fail(re, NW_ETYPE, "\"%s\" items must be strings", key);
		enum nw_err err = nw_parse_paragraphs(json_string_value(x), NW_PARA_LINES,
						      &a->paragraphs);
		if (err)
			return err;
	}
	return NW_OK;
}

/* Title: "title", "headline", or the first ninjs headline. */
static enum nw_err get_title(json_t *o, nw_article *a, struct record_error *re)
{
	static const char *const keys[] = { "title", "headline", "name", NULL };
	enum nw_err err = get_string(o, keys, &a->title, re);
	if (err || a->title)
		return err;
	json_t *h = json_object_get(o, "headlines");
	if (json_is_array(h) && json_array_size(h) > 0) {
		json_t *first = json_array_get(h, 0);
		json_t *v = json_is_object(first) ? json_object_get(first, "value") : first;
		if (!json_is_string(v))
			return fail(re, NW_ETYPE, "\"%s\" items must hold a string value", "headlines");
		return clean_into(json_string_value(v), &a->title);
	}
	return NW_OK;
}

static enum nw_err get_published(json_t *o, nw_article *a, struct record_error *re)
{
	static const char *const keys[] = { "published", "date", "pubDate",
		"datePublished", "versioncreated", "firstcreated", "created", "updated", NULL };
	char *raw = NULL;
	enum nw_err err = get_string(o, keys, &raw, re);
	if (err || !raw)
		return err;
	char date[NW_DATE_MAX];
	if (nw_date_normalize(raw, date) && !(a->published = nw_strdup(date)))
		err = NW_ENOMEM;
	free(raw);
	return err;
}

static enum nw_err get_byline(json_t *o, nw_article *a, struct record_error *re)
{
	static const char *const keys[] = { "byline", "author", "authors", "by", "creator", NULL };
	nw_strlist names = { 0 };
	enum nw_err err = get_list(o, keys, &names, re);
	if (!err)
		err = nw_parse_set_byline(a, &names);
	nw_strlist_clear(&names);
	return err;
}

static enum nw_err fill_record(json_t *o, nw_article *a, struct record_error *re)
{
	static const char *const url_keys[] = { "url", "link", "uri", "href", NULL };
	static const char *const lang_keys[] = { "lang", "language", NULL };
	static const char *const ref_keys[] = { "ref", NULL };
	static const char *const tag_keys[] = { "tags", "keywords", "categories", "subject", NULL };
	static const char *const caption_keys[] = { "captions", NULL };
	static const char *const people_keys[] = { "people", NULL };
	static const char *const place_keys[] = { "places", NULL };
	static const char *const abbr_keys[] = { "abbreviations", NULL };
	enum nw_err err;
	char *lang = NULL;
	if ((err = get_title(o, a, re)) || (err = get_body(o, a, re)) ||
	    (err = get_string(o, url_keys, &a->url, re)) ||
	    (err = get_string(o, ref_keys, &a->ref, re)) ||
	    (err = get_string(o, lang_keys, &lang, re)) ||
	    (err = get_published(o, a, re)) || (err = get_byline(o, a, re)) ||
	    (err = get_list(o, tag_keys, &a->tags, re)) ||
	    (err = get_list(o, caption_keys, &a->captions, re)) ||
	    (err = get_list(o, people_keys, &a->people, re)) ||
	    (err = get_list(o, place_keys, &a->places, re)) ||
	    (err = get_list(o, abbr_keys, &a->abbreviations, re)))
		goto out;
	if (lang && nw_lang_normalize(lang)) {
		a->lang = lang;
		lang = NULL;
	}
	if (a->url && !*a->url) {
		free(a->url);
		a->url = NULL;
	}
	if (!a->title || !*a->title)
		err = fail(re, NW_ENOTITLE, "no title (expected \"%s\", \"headline\" or ninjs \"headlines\")", "title");
out:
	free(lang);
	return err;
}

/* Parses one record; returns NW_OK after handing it to the sink, or the
 * record's error with re filled in. */
static enum nw_err parse_record(json_t *o, const struct nw_parse_opts *opts,
				const struct nw_parse_sink *sink, struct record_error *re)
{
	if (!json_is_object(o))
		return fail(re, NW_ETYPE, "record is not a JSON %s", "object");
	nw_article *a = nw_article_new();
	if (!a)
		return fail(re, NW_ENOMEM, "%s", "out of memory");
	a->format = NW_FORMAT_JSON;
	enum nw_err err = fill_record(o, a, re);
	if (!err && opts->source && !(a->source = nw_strdup(opts->source)))
		err = fail(re, NW_ENOMEM, "%s", "out of memory");
	if (!err && (err = nw_article_finish(a)))
		fail(re, err, "%s", nw_strerror(err));
	if (err) {
		if (re->err == NW_OK)
			fail(re, err, "%s", nw_strerror(err));
		nw_article_destroy(&a);
		return err;
	}
	err = sink->article(sink->ctx, a);
	if (err)
		fail(re, err, "%s", nw_strerror(err));
	return err;
}

enum nw_err nw_parse_json(const char *data, size_t len, const struct nw_parse_opts *o,
			  const struct nw_parse_sink *sink, char reason[NW_REASON_MAX])
{
	enum nw_err err = nw_parse_check_input(&data, &len, o->max_bytes, reason);
	if (err)
		return err;
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(reason, NW_REASON_MAX, "invalid JSON at line %d column %d: %s",
			 jerr.line, jerr.column, jerr.text);
		return NW_ESYNTAX;
	}
	char rbuf[NW_REASON_MAX];
	struct record_error re = { NW_OK, rbuf };
	if (json_is_object(root)) {
		err = parse_record(root, o, sink, &re);
		if (err)
			snprintf(reason, NW_REASON_MAX, "%s", re.reason);
		goto out;
	}
	if (!json_is_array(root)) {
		err = NW_ETYPE;
		snprintf(reason, NW_REASON_MAX, "expected an article object or an array of them");
		goto out;
	}
	if (json_array_size(root) > JSON_MAX_RECORDS) {
		err = NW_ELIMIT;
		snprintf(reason, NW_REASON_MAX, "array of %zu records, over the limit of %d",
			 json_array_size(root), JSON_MAX_RECORDS);
		goto out;
	}
	size_t i;
	json_t *rec;
	json_array_foreach(root, i, rec) {
		re.err = NW_OK;
		enum nw_err rerr = parse_record(rec, o, sink, &re);
		if (rerr == NW_ENOMEM) {
			err = rerr;
			snprintf(reason, NW_REASON_MAX, "out of memory");
			goto out;
		}
		if (rerr && sink->reject)
			sink->reject(sink->ctx, i + 1, rerr, re.reason);
	}
out:
	json_decref(root);
	return err;
}
