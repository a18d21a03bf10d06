/* The feed parser: every feed of the dev corpus gives the entry count its
 * MANIFEST row expects (or is rejected where it expects an error), with
 * non-empty valid UTF-8 titles; then the breakages one at a time on small
 * documents: encodings and BOMs, entities, CDATA, truncation, DOCTYPE
 * entities, dates, body preference, keys, ttl, limits. */
#include "tests/unit/testutil.h"

#include <iconv.h>

#include "common/article.h"
#include "common/feed.h"
#include "common/text.h"

#define MAX_KEEP 64

struct got {
	nw_article *a[MAX_KEEP];
	char *key[MAX_KEEP];
	size_t n, kept, rejected;
	char last_reject[NW_REASON_MAX];
};

static enum nw_err keep(void *ctx, nw_article *a, const char *key)
{
	struct got *g = ctx;
	g->n++;
	if (g->kept == MAX_KEEP) {
		nw_article_destroy(&a);
		return NW_OK;
	}
	g->key[g->kept] = key ? nw_strdup(key) : NULL;
	g->a[g->kept++] = a;
	return NW_OK;
}

static void on_reject(void *ctx, size_t entry, enum nw_err err, const char *reason)
{
	(void)err;
	struct got *g = ctx;
	g->rejected++;
	snprintf(g->last_reject, sizeof g->last_reject, "#%zu: %s", entry, reason);
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->kept; i++) {
		nw_article_destroy(&g->a[i]);
		free(g->key[i]);
	}
	memset(g, 0, sizeof *g);
}

/* Parses a document into g; returns the error, reason in reason. */
static enum nw_err parse(const char *doc, size_t len, const char *charset, struct got *g,
			 struct nw_feed_info *info, char reason[NW_REASON_MAX])
{
	struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .source = "test" };
	struct nw_feed_sink sink = { keep, on_reject, g };
	reason[0] = '\0';
	return nw_feed_parse(doc, len, charset, &o, &sink, info, reason);
}

static enum nw_err parse_str(const char *doc, struct got *g, char reason[NW_REASON_MAX])
{
	return parse(doc, strlen(doc), NULL, g, NULL, reason);
}

static void corpus_counts(void **state)
{
	(void)state;
	char *manifest = slurp_corpus("dev/MANIFEST.tsv", NULL);
	char *save = NULL, *cols[9];
	size_t files = 0, errors = 0, entries = 0, articles = 0, repaired = 0;
	while (manifest_row(manifest, &save, cols)) {
		const char *rel = cols[0], *format = cols[1], *expected = cols[8];
		if (strcmp(format, "rss") && strcmp(format, "atom") && strcmp(format, "rdf"))
			continue;
		files++;
		nw_buf path = NW_BUF_INIT;
		nw_buf_printf(&path, "dev/%s", rel);
		size_t len;
		char *data = slurp_corpus(path.data, &len);
		struct got g = { 0 };
		struct nw_feed_info info;
		char reason[NW_REASON_MAX];
		enum nw_err err = parse(data, len, NULL, &g, &info, reason);
		if (!strcmp(expected, "error")) {
			if (err == NW_OK)
				fail_msg("%s: accepted with %zu entries, manifest expects an error",
					 rel, info.entries);
			print_message("feed %s rejected as expected: %s\n", rel, reason);
			errors++;
		} else {
			if (err)
				fail_msg("%s rejected: %s", rel, reason);
			size_t want = strtoul(expected, NULL, 10);
			if (info.entries != want || g.n + g.rejected != want)
				fail_msg("%s: %zu entries (%zu accepted, %zu rejected), manifest says %zu",
					 rel, info.entries, g.n, g.rejected, want);
			if (g.rejected)
				print_message("feed %s entry rejected: %s\n", rel, g.last_reject);
			entries += want;
			articles += g.n;
			repaired += info.repaired;
			/* the root decides the format, not the file name */
			assert_string_equal(nw_format_name(info.format), format);
		}
		for (size_t i = 0; i < g.kept; i++) {
			const nw_article *a = g.a[i];
			assert_non_null(a->title);
			assert_true(a->title[0] != '\0');
			assert_true(nw_utf8_valid(a->title, strlen(a->title), NULL));
			for (size_t p = 0; p < a->paragraphs.len; p++)
				assert_true(nw_utf8_valid(a->paragraphs.items[p],
							  strlen(a->paragraphs.items[p]), NULL));
			assert_int_equal(a->format, info.format);
		}
		got_free(&g);
		free(data);
		nw_buf_release(&path);
	}
	print_message("feeds: %zu files, %zu entries expected and found, %zu articles, "
		      "%zu files repaired, %zu rejected as the manifest expects\n",
		      files, entries, articles, repaired, errors);
	assert_int_equal(files, 48);
	assert_int_equal(errors, 2);
	free(manifest);
}

static const char rss_two[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""
	" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n"
	"<title>Tin</title><language>vi-VN</language><ttl>45</ttl>\n"
	"<item><title>\n  Lũ lụt ở Quảng Bình  \n</title>\n"
	"<link>\n https://example.vn/a.html \n</link>\n"
	"<guid isPermaLink=\"false\">id-1</guid>\n"
	"<pubDate>Tue, 14 Nov 2017 17:42:44 +0700</pubDate>\n"
	"<dc:creator>Nguyễn Văn A</dc:creator><category>Thời sự</category>\n"
	"<description><![CDATA[<p>Tóm tắt</p>]]></description>\n"
	"<content:encoded><![CDATA[<p>Đoạn một.</p><p>Đoạn <b>hai</b>.</p>]]></content:encoded>\n"
	"</item>\n"
	"<item><title>Second</title><link>https://example.vn/b.html</link>"
	"<description>plain text\nwrapped line\n\nnext paragraph</description></item>\n"
	"</channel></rss>\n";

static void rss_fields(void **state)
{
	(void)state;
	struct got g = { 0 };
	struct nw_feed_info info;
	char reason[NW_REASON_MAX];
	assert_int_equal(parse(rss_two, strlen(rss_two), NULL, &g, &info, reason), NW_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(info.ttl_minutes, 45);
	assert_false(info.repaired);
	const nw_article *a = g.a[0];
	assert_string_equal(a->title, "Lũ lụt ở Quảng Bình");
	assert_string_equal(a->url, "https://example.vn/a.html");
	assert_string_equal(g.key[0], "id-1");
	assert_string_equal(a->published, "2017-11-14T17:42:44+07:00");
	assert_string_equal(a->byline, "Nguyễn Văn A");
	assert_string_equal(a->lang, "vi");
	assert_int_equal(a->tags.len, 1);
	assert_string_equal(a->tags.items[0], "Thời sự");
	/* content:encoded wins over description */
	assert_int_equal(a->paragraphs.len, 2);
	assert_string_equal(a->paragraphs.items[0], "Đoạn một.");
	assert_string_equal(a->paragraphs.items[1], "Đoạn hai.");
	assert_int_equal(a->format, NW_FORMAT_RSS);
	/* plain text: wrapped lines join, blank lines break; no guid: the link is the key */
	assert_string_equal(g.key[1], "https://example.vn/b.html");
	assert_int_equal(g.a[1]->paragraphs.len, 2);
	assert_string_equal(g.a[1]->paragraphs.items[0], "plain text wrapped line");
	got_free(&g);
}

static void atom_and_rdf(void **state)
{
	(void)state;
	const char *atom =
		"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">"
		"<entry><id>tag:x,2025:1</id><title type=\"html\">A &lt;b&gt;bold&lt;/b&gt; title</title>"
		"<link rel=\"self\" href=\"https://x/self\"/><link href=\"https://x/1\"/>"
		"<updated>2025-09-10T16:30:00+07:00</updated>"
		"<author><name>Jane</name><email>j@x</email></author>"
		"<category term=\"news\"/>"
		"<summary>short</summary>"
		"<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>One</p><p>Two</p></div></content>"
		"</entry></feed>";
	struct got g = { 0 };
	struct nw_feed_info info;
	char reason[NW_REASON_MAX];
	assert_int_equal(parse(atom, strlen(atom), NULL, &g, &info, reason), NW_OK);
	assert_int_equal(info.format, NW_FORMAT_ATOM);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.a[0]->title, "A bold title");
	assert_string_equal(g.a[0]->url, "https://x/1");
	assert_string_equal(g.key[0], "tag:x,2025:1");
	assert_string_equal(g.a[0]->published, "2025-09-10T16:30:00+07:00");
	assert_string_equal(g.a[0]->byline, "Jane");
	assert_string_equal(g.a[0]->lang, "en");
	assert_string_equal(g.a[0]->tags.items[0], "news");
	assert_int_equal(g.a[0]->paragraphs.len, 2);
	assert_string_equal(g.a[0]->paragraphs.items[1], "Two");
	got_free(&g);

	const char *rdf =
		"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
		"xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
		"<channel rdf:about=\"http://x/\"><title>c</title></channel>"
		"<item rdf:about=\"http://x/1\"><title>R</title><link>http://x/1</link>"
		"<dc:date>2004-02-13T09:00:00Z</dc:date><description>d</description></item>"
		"</rdf:RDF>";
	assert_int_equal(parse(rdf, strlen(rdf), NULL, &g, &info, reason), NW_OK);
	assert_int_equal(info.format, NW_FORMAT_RDF);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.key[0], "http://x/1");
	assert_string_equal(g.a[0]->published, "2004-02-13T09:00:00Z");
	got_free(&g);
}

/* rss_two converted to another encoding by iconv, optionally with a BOM. */
static char *reencode(const char *doc, const char *to, const char *bom, size_t bom_len,
		      size_t *out_len)
{
	iconv_t cd = iconv_open(to, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t in_left = strlen(doc), cap = in_left * 4 + 16;
	char *out = malloc(cap), *dst = out + bom_len;
	memcpy(out, bom, bom_len);
	char *src = (char *)doc;
	size_t room = cap - bom_len;
	assert_true(iconv(cd, &src, &in_left, &dst, &room) != (size_t)-1);
	iconv_close(cd);
	*out_len = (size_t)(dst - out);
	return out;
}

static void encodings(void **state)
{
	(void)state;
	char reason[NW_REASON_MAX];
	struct got g = { 0 };
	struct nw_feed_info info;
	/* UTF-16 with a BOM: the declaration's "utf-8" is overruled */
	size_t len;
	char *doc = reencode(rss_two, "UTF-16LE", "\xFF\xFE", 2, &len);
	assert_int_equal(parse(doc, len, NULL, &g, &info, reason), NW_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.a[0]->title, "Lũ lụt ở Quảng Bình");
	assert_string_equal(info.encoding, "UTF-16LE");
	got_free(&g);
	free(doc);
	/* UTF-8 BOM */
	nw_buf b = NW_BUF_INIT;
	nw_buf_printf(&b, "\xEF\xBB\xBF%s", rss_two);
	assert_int_equal(parse(b.data, b.len, NULL, &g, NULL, reason), NW_OK);
	assert_int_equal(g.n, 2);
	got_free(&g);
	nw_buf_release(&b);
	/* a declared single-byte encoding */
	const char *latin = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>"
			    "<rss><channel><item><title>Caf\xE9 \x93quoted\x94</title></item></channel></rss>";
	assert_int_equal(parse_str(latin, &g, reason), NW_OK);
	assert_string_equal(g.a[0]->title, "Café “quoted”");
	got_free(&g);
	/* no declaration: the transport's charset is used */
	const char *koi = "<rss><channel><item><title>\xF0\xD2\xC9\xD7\xC5\xD4</title></item></channel></rss>";
	assert_int_equal(parse(koi, strlen(koi), "koi8-r", &g, NULL, reason), NW_OK);
	assert_string_equal(g.a[0]->title, "Привет");
	got_free(&g);
	/* neither: bytes that are not UTF-8 are read as windows-1252 and noted */
	assert_int_equal(parse(latin + 44, strlen(latin + 44), NULL, &g, &info, reason), NW_OK);
	assert_string_equal(g.a[0]->title, "Café “quoted”");
	assert_true(info.repaired);
	assert_non_null(strstr(info.note, "windows-1252"));
	got_free(&g);
	/* an encoding nobody knows is rejected with its name */
	assert_int_equal(parse_str("<?xml version=\"1.0\" encoding=\"no-such\"?><rss/>", &g, reason),
			 NW_EENCODING);
	assert_non_null(strstr(reason, "no-such"));
	assert_int_equal(g.n, 0);
}

static void breakages(void **state)
{
	(void)state;
	char reason[NW_REASON_MAX];
	struct got g = { 0 };
	struct nw_feed_info info;
	/* junk before the root, a late declaration, HTML entities, bare & and <,
	 * a control character, undeclared prefixes */
	const char *doc =
		"Saved from the browser:\n\n<?xml version=\"1.0\"?>\n"
		"<rss><channel><item><title>Tom &amp; Jerry&nbsp;&mdash; R&D 1 < 2 \x01 &bogus;</title>"
		"<media:title>x</media:title><dc:creator>Ann</dc:creator>"
		"<description>caf&eacute;</description></item></channel></rss>";
	assert_int_equal(parse(doc, strlen(doc), NULL, &g, &info, reason), NW_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.a[0]->title, "Tom & Jerry — R&D 1 < 2 &bogus;");
	assert_string_equal(g.a[0]->paragraphs.items[0], "café");
	assert_string_equal(g.a[0]->byline, "Ann");
	assert_true(info.repaired);
	got_free(&g);
	/* an unterminated CDATA section keeps its text */
	assert_int_equal(parse_str("<rss><channel><item><title>T</title><description><![CDATA[<p>kept "
				   "text</p>", &g, reason), NW_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.a[0]->paragraphs.items[0], "kept text");
	got_free(&g);
	/* a cut-off feed keeps its complete entries ... */
	assert_int_equal(parse_str("<rss><channel><item><title>one</title></item><item><title>tw",
				   &g, reason), NW_OK);
	assert_true(g.n >= 1);
	assert_string_equal(g.a[0]->title, "one");
	got_free(&g);
	/* ... and is rejected when it holds none */
	assert_int_equal(parse_str("<rss version=\"2.0\">\n</rss", &g, reason), NW_ESYNTAX);
	assert_non_null(strstr(reason, "cut off"));
	/* not XML at all, and empty input */
	assert_int_equal(parse_str("just some words", &g, reason), NW_ESYNTAX);
	assert_int_equal(parse_str(" \n\t", &g, reason), NW_EEMPTY);
	/* the DOCTYPE is dropped: its entities are never expanded (no "laughs") */
	const char *lol =
		"<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<rss><channel><item><title>t &c; &x;</title></item></channel></rss>";
	assert_int_equal(parse_str(lol, &g, reason), NW_OK);
	assert_string_equal(g.a[0]->title, "t &c; &x;");
	got_free(&g);
	/* a feed with no entries is no error */
	assert_int_equal(parse_str("<rss><channel><title>empty</title></channel></rss>", &g, reason),
			 NW_OK);
	assert_int_equal(g.n, 0);
}

static void titles_and_limits(void **state)
{
	(void)state;
	char reason[NW_REASON_MAX];
	struct got g = { 0 };
	/* no title: the start of the text, then the link; nothing: rejected */
	nw_buf b = NW_BUF_INIT;
	nw_buf_puts(&b, "<rss><channel><item><description>");
	for (int i = 0; i < 40; i++)
		nw_buf_puts(&b, "lời nói ");
	nw_buf_puts(&b, "</description></item><item><link>https://x/only</link></item>"
		    "<item><author></author></item></channel></rss>");
	assert_int_equal(parse(b.data, b.len, NULL, &g, NULL, reason), NW_OK);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.rejected, 1);
	assert_non_null(strstr(g.last_reject, "#3: entry has no title"));
	assert_true(strlen(g.a[0]->title) <= 120 + strlen("…"));
	assert_non_null(strstr(g.a[0]->title, "…"));
	assert_true(nw_utf8_valid(g.a[0]->title, strlen(g.a[0]->title), NULL));
	assert_string_equal(g.a[1]->title, "https://x/only");
	got_free(&g);
	nw_buf_release(&b);
	/* an entry over max_article_bytes is rejected, the feed over 8x whole */
	nw_buf_puts(&b, "<rss><channel><item><title>big</title><description>");
	for (int i = 0; i < 300; i++)
		nw_buf_puts(&b, "0123456789");
	nw_buf_puts(&b, "</description></item><item><title>small</title></item></channel></rss>");
	struct nw_parse_opts o = { .format = NW_FORMAT_AUTO, .max_bytes = 1000 };
	struct nw_feed_sink sink = { keep, on_reject, &g };
	assert_int_equal(nw_feed_parse(b.data, b.len, NULL, &o, &sink, NULL, reason), NW_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.a[0]->title, "small");
	assert_non_null(strstr(g.last_reject, "max_article_bytes"));
	got_free(&g);
	o.max_bytes = 100;
	assert_int_equal(nw_feed_parse(b.data, b.len, NULL, &o, &sink, NULL, reason), NW_ETOOBIG);
	nw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corpus_counts),
		cmocka_unit_test(rss_fields),
		cmocka_unit_test(atom_and_rdf),
		cmocka_unit_test(encodings),
		cmocka_unit_test(breakages),
		cmocka_unit_test(titles_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
