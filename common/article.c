/* Article lifecycle, derived fields (id, simhash, counts, entities) and JSON. */
#include "common/article.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/extract.h"
#include "common/text.h"
#include "common/util.h"

static const char *const format_names[] = {
	[NW_FORMAT_TEXT] = "text", [NW_FORMAT_JSON] = "json",
	[NW_FORMAT_RSS] = "rss",   [NW_FORMAT_ATOM] = "atom",
	[NW_FORMAT_RDF] = "rdf",   [NW_FORMAT_HTTP] = "http",
};

const char *nw_format_name(enum nw_format f)
{
	if ((size_t)f < NW_ARRAY_LEN(format_names))
		return format_names[f];
	return "unknown";
}

enum nw_err nw_format_parse(const char *name, enum nw_format *out)
{
	for (size_t i = 0; i < NW_ARRAY_LEN(format_names); i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum nw_format)i;
			return NW_OK;
		}
	return NW_EFORMAT;
}

nw_article *nw_article_new(void)
{
	return calloc(1, sizeof(nw_article));
}

void nw_article_destroy(nw_article **ap)
{
	nw_article *a = *ap;
	if (!a)
		return;
	free(a->source);
	free(a->url);
	free(a->lang);
	free(a->title);
	free(a->ref);
	free(a->published);
	free(a->ingested_at);
	free(a->byline);
	free(a->lead);
	nw_strlist_clear(&a->paragraphs);
	nw_strlist_clear(&a->captions);
	nw_strlist_clear(&a->people);
	nw_strlist_clear(&a->places);
	nw_strlist_clear(&a->abbreviations);
	nw_strlist_clear(&a->tags);
	free(a);
	*ap = NULL;
}

void nw_article_content_id(const nw_article *a, char out[NW_ID_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		abort();
	const char *title = a->title ? a->title : "";
	EVP_DigestUpdate(ctx, title, strlen(title));
	for (size_t i = 0; i < a->paragraphs.len; i++) {
		EVP_DigestUpdate(ctx, "\n", 1);
		EVP_DigestUpdate(ctx, a->paragraphs.items[i], strlen(a->paragraphs.items[i]));
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	nw_hex(md, NW_ID_LEN / 2, out);
}

static uint64_t count_tokens(const char *s)
{
	uint64_t n = 0;
	bool in = false;
	for (; *s; s++) {
		bool sp = *s == ' ';   /* clean text: one ASCII space between tokens */
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

uint64_t nw_article_word_count(const nw_article *a)
{
	uint64_t n = a->title ? count_tokens(a->title) : 0;
	for (size_t i = 0; i < a->paragraphs.len; i++)
		n += count_tokens(a->paragraphs.items[i]);
	return n;
}

/* 64-bit FNV-1a, the feature hash of simhash. */
static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Per-bit vote counts of simhash. Each token's hash adds its bits into
 * eight 64-bit words of byte-wide counters (bit k+8j of the hash lands in
 * byte j of lane k), flushed to 32-bit totals before a byte can overflow:
 * 8 additions a token instead of 64. */
struct simhash_acc {
	uint64_t lanes[8];
	unsigned pending;
	uint32_t ones[64];
	uint32_t tokens;
};

static void simhash_flush(struct simhash_acc *s)
{
	for (int k = 0; k < 8; k++) {
		for (int j = 0; j < 8; j++)
			s->ones[k + 8 * j] += (uint32_t)((s->lanes[k] >> (8 * j)) & 0xff);
		s->lanes[k] = 0;
	}
	s->pending = 0;
}

static void simhash_token(struct simhash_acc *s, uint64_t h)
{
	for (int k = 0; k < 8; k++)
		s->lanes[k] += (h >> k) & 0x0101010101010101ULL;
	s->tokens++;
	if (++s->pending == 255)
		simhash_flush(s);
}

static bool token_byte(char c)
{
	unsigned char u = (unsigned char)c;
	return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
	       (u >= 'A' && u <= 'Z');
}

static void simhash_add(const char *text, struct simhash_acc *s)
{
	char *folded = NULL;
	if (nw_text_fold(text, strlen(text), &folded))
		return;
	const char *p = folded;
	while (*p) {
		while (*p && !token_byte(*p))
			p++;
		const char *start = p;
		while (*p && token_byte(*p))
			p++;
		if (p > start)
			simhash_token(s, fnv1a(start, (size_t)(p - start)));
	}
	free(folded);
}

uint64_t nw_article_simhash(const nw_article *a)
{
	struct simhash_acc s;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < a->paragraphs.len; i++)
		simhash_add(a->paragraphs.items[i], &s);
	if (a->paragraphs.len == 0 && a->title)
		simhash_add(a->title, &s);
	simhash_flush(&s);
	uint64_t h = 0;
	for (int b = 0; b < 64; b++)
		if (2 * s.ones[b] > s.tokens)
			h |= 1ULL << b;
	return h;
}

/* The start of the text (title, then paragraphs) for language detection:
 * a few kilobytes tell the language as well as the whole article. */
static enum nw_err sample_text(const nw_article *a, nw_buf *b)
{
	if (nw_buf_puts(b, a->title ? a->title : ""))
		return NW_ENOMEM;
	for (size_t i = 0; i < a->paragraphs.len && b->len < 4096; i++)
		if (nw_buf_putc(b, '\n') || nw_buf_puts(b, a->paragraphs.items[i]))
			return NW_ENOMEM;
	return NW_OK;
}

enum nw_err nw_article_finish(nw_article *a)
{
	enum nw_err err = NW_OK;
	nw_buf sample = NW_BUF_INIT;
	if (!a->title || !*a->title)
		return NW_ENOTITLE;
	if (!a->lead && !(a->lead = nw_strdup(a->paragraphs.len ? a->paragraphs.items[0] : "")))
		return NW_ENOMEM;
	nw_article_content_id(a, a->id);
	a->word_count = nw_article_word_count(a);
	a->simhash = nw_article_simhash(a);
	if (!a->lang && (err = sample_text(a, &sample)))
		goto out;
	if (!a->lang && !(a->lang = nw_strdup(nw_detect_lang(sample.data)))) {
		err = NW_ENOMEM;
		goto out;
	}
	/* entities from each piece separately: a run never spans two paragraphs */
	if ((err = nw_extract_entities(a, a->title)))
		goto out;
	for (size_t i = 0; i < a->paragraphs.len && !err; i++)
		err = nw_extract_entities(a, a->paragraphs.items[i]);
	for (size_t i = 0; i < a->captions.len && !err; i++)
		err = nw_extract_entities(a, a->captions.items[i]);
out:
	nw_buf_release(&sample);
	return err;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *list_json(const nw_strlist *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < l->len; i++)
		if (json_array_append_new(arr, json_string(l->items[i]))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

json_t *nw_article_to_json(const nw_article *a)
{
	char simhash[17];
	snprintf(simhash, sizeof(simhash), "%016llx", (unsigned long long)a->simhash);
	json_t *o = json_object();
	if (!o)
		return NULL;
	int rc = 0;
	rc |= json_object_set_new(o, "id", json_string(a->id));
	if (a->seq)
		rc |= json_object_set_new(o, "seq", json_integer((json_int_t)a->seq));
	rc |= json_object_set_new(o, "format", json_string(nw_format_name(a->format)));
	rc |= json_object_set_new(o, "source", json_string(a->source ? a->source : ""));
	rc |= json_object_set_new(o, "url", str_or_null(a->url));
	rc |= json_object_set_new(o, "lang", json_string(a->lang ? a->lang : "und"));
	rc |= json_object_set_new(o, "title", json_string(a->title ? a->title : ""));
	rc |= json_object_set_new(o, "ref", str_or_null(a->ref));
	rc |= json_object_set_new(o, "published", str_or_null(a->published));
	if (a->ingested_at)
		rc |= json_object_set_new(o, "ingested_at", json_string(a->ingested_at));
	rc |= json_object_set_new(o, "byline", str_or_null(a->byline));
	rc |= json_object_set_new(o, "lead", json_string(a->lead ? a->lead : ""));
	rc |= json_object_set_new(o, "paragraphs", list_json(&a->paragraphs));
	rc |= json_object_set_new(o, "captions", list_json(&a->captions));
	rc |= json_object_set_new(o, "people", list_json(&a->people));
	rc |= json_object_set_new(o, "places", list_json(&a->places));
	rc |= json_object_set_new(o, "abbreviations", list_json(&a->abbreviations));
	rc |= json_object_set_new(o, "tags", list_json(&a->tags));
	rc |= json_object_set_new(o, "word_count", json_integer((json_int_t)a->word_count));
	rc |= json_object_set_new(o, "simhash", json_string(simhash));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *nw_article_to_json_text(const nw_article *a, bool pretty)
{
	json_t *o = nw_article_to_json(a);
	if (!o)
		return NULL;
	size_t flags = JSON_PRESERVE_ORDER;
	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	char *s = json_dumps(o, flags);
	json_decref(o);
	return s;
}

/* A list of {"name": item} objects (ninjs people, places, subjects). */
static json_t *named_list(const nw_strlist *l)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < l->len; i++)
		if (json_array_append_new(arr, json_pack("{s:s}", "name", l->items[i]))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

json_t *nw_article_to_ninjs(const nw_article *a)
{
	nw_buf uri = NW_BUF_INIT, body = NW_BUF_INIT;
	if (a->url)
		nw_buf_puts(&uri, a->url);
	else
		nw_buf_printf(&uri, "urn:newswire:article:%s", a->id);
	for (size_t i = 0; i < a->paragraphs.len; i++)
		nw_buf_printf(&body, "%s%s", i ? "\n\n" : "", a->paragraphs.items[i]);
	json_t *o = json_object();
	int rc = !o || !uri.data;
	if (!rc) {
		rc |= json_object_set_new(o, "uri", json_string(uri.data));
		rc |= json_object_set_new(o, "type", json_string("text"));
		rc |= json_object_set_new(o, "representationtype", json_string("complete"));
		if (a->lang)
			rc |= json_object_set_new(o, "language", json_string(a->lang));
		rc |= json_object_set_new(o, "headlines",
					  json_pack("[{s:s,s:s}]", "role", "main", "value", a->title ? a->title : ""));
		if (a->lead && *a->lead)
			rc |= json_object_set_new(o, "descriptions",
						  json_pack("[{s:s,s:s}]", "role", "summary", "value", a->lead));
		rc |= json_object_set_new(o, "bodies",
					  json_pack("[{s:s,s:s,s:s}]", "role", "text", "contenttype",
						    "text/plain", "value", body.data ? body.data : ""));
		if (a->published)
			rc |= json_object_set_new(o, "firstcreated", json_string(a->published));
		if (a->ingested_at)
			rc |= json_object_set_new(o, "versioncreated", json_string(a->ingested_at));
		if (a->byline)
			rc |= json_object_set_new(o, "by", json_string(a->byline));
		if (a->people.len)
			rc |= json_object_set_new(o, "people", named_list(&a->people));
		if (a->places.len)
			rc |= json_object_set_new(o, "places", named_list(&a->places));
		if (a->tags.len)
			rc |= json_object_set_new(o, "subjects", named_list(&a->tags));
		if (a->source && *a->source)
			rc |= json_object_set_new(o, "infosources",
						  json_pack("[{s:s}]", "name", a->source));
		char seq[24];
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)a->seq);
		rc |= json_object_set_new(o, "altids",
					  json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "newswire-id", "value",
						    a->id, "role", "newswire-seq", "value", seq));
	}
	nw_buf_release(&uri);
	nw_buf_release(&body);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *dup_opt(const char *s, bool *fail)
{
	if (!s)
		return NULL;
	char *d = nw_strdup(s);
	if (!d)
		*fail = true;
	return d;
}

static void copy_list(nw_strlist *dst, const nw_strlist *src, bool *fail)
{
	for (size_t i = 0; i < src->len; i++)
		if (nw_strlist_push(dst, src->items[i]))
			*fail = true;
}

nw_article *nw_article_clone(const nw_article *a)
{
	nw_article *c = nw_article_new();
	if (!c)
		return NULL;
	bool fail = false;
	memcpy(c->id, a->id, sizeof(c->id));
	c->seq = a->seq;
	c->format = a->format;
	c->source = dup_opt(a->source, &fail);
	c->url = dup_opt(a->url, &fail);
	c->lang = dup_opt(a->lang, &fail);
	c->title = dup_opt(a->title, &fail);
	c->ref = dup_opt(a->ref, &fail);
	c->published = dup_opt(a->published, &fail);
	c->ingested_at = dup_opt(a->ingested_at, &fail);
	c->byline = dup_opt(a->byline, &fail);
	c->lead = dup_opt(a->lead, &fail);
	copy_list(&c->paragraphs, &a->paragraphs, &fail);
	copy_list(&c->captions, &a->captions, &fail);
	copy_list(&c->people, &a->people, &fail);
	copy_list(&c->places, &a->places, &fail);
	copy_list(&c->abbreviations, &a->abbreviations, &fail);
	copy_list(&c->tags, &a->tags, &fail);
	c->word_count = a->word_count;
	c->simhash = a->simhash;
	if (fail)
		nw_article_destroy(&c);
	return c;
}

static bool str_eq(const char *x, const char *y)
{
	return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

static bool list_eq(const nw_strlist *x, const nw_strlist *y)
{
	if (x->len != y->len)
		return false;
	for (size_t i = 0; i < x->len; i++)
		if (strcmp(x->items[i], y->items[i]) != 0)
			return false;
	return true;
}

bool nw_article_equal(const nw_article *x, const nw_article *y)
{
	return strcmp(x->id, y->id) == 0 && x->seq == y->seq &&
	       x->format == y->format && str_eq(x->source, y->source) &&
	       str_eq(x->url, y->url) && str_eq(x->lang, y->lang) &&
	       str_eq(x->title, y->title) && str_eq(x->ref, y->ref) &&
	       str_eq(x->published, y->published) &&
	       str_eq(x->ingested_at, y->ingested_at) &&
	       str_eq(x->byline, y->byline) && str_eq(x->lead, y->lead) &&
	       list_eq(&x->paragraphs, &y->paragraphs) &&
	       list_eq(&x->captions, &y->captions) &&
	       list_eq(&x->people, &y->people) && list_eq(&x->places, &y->places) &&
	       list_eq(&x->abbreviations, &y->abbreviations) &&
	       list_eq(&x->tags, &y->tags) && x->word_count == y->word_count &&
	       x->simhash == y->simhash;
}

char *nw_article_json(const nw_article *a, bool pretty)
{
	return nw_article_to_json_text(a, pretty);
}
