/* bench-parse: parser and codec throughput over the dev corpus, each beside
 * a baseline measured in the same run (memcpy of the same bytes; a bare
 * msgpack pack/unpack of the same strings). Prints figures and ratios; it
 * is a measurement, not a test.
 *   bench-parse [CORPUS_DIR] [MEGABYTES] [parse|codec|all]
 * defaults: $NW_CORPUS, 100, all */
#include <dirent.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/parse.h"
#include "common/util.h"

struct input {
	char *data;
	size_t len;
	enum nw_format format;
};

static struct input inputs[1024];
static size_t ninputs, total_bytes;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load_dir(const char *dir, enum nw_format format)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "bench-parse: cannot open %s\n", dir);
		exit(2);
	}
	struct dirent *e;
	while ((e = readdir(d)) && ninputs < 1024) {
		if (e->d_name[0] == '.')
			continue;
		nw_buf path = NW_BUF_INIT;
		nw_buf_printf(&path, "%s/%s", dir, e->d_name);
		struct input *in = &inputs[ninputs];
		if (nw_read_file(path.data, 16u << 20, &in->data, &in->len) == NW_OK) {
			in->format = format;
			total_bytes += in->len;
			ninputs++;
		}
		nw_buf_release(&path);
	}
	closedir(d);
}

struct counter {
	size_t articles;
	nw_article **keep;   /* when not NULL, articles are kept here */
	size_t nkeep, capkeep;
};

static enum nw_err count(void *ctx, nw_article *a)
{
	struct counter *c = ctx;
	c->articles++;
	if (c->keep && c->nkeep < c->capkeep) {
		c->keep[c->nkeep++] = a;
		return NW_OK;
	}
	nw_article_destroy(&a);
	return NW_OK;
}

/* Parses inputs [from, to) `rounds` times; returns seconds. */
static double run_parse(size_t rounds, struct counter *c, size_t from, size_t to)
{
	double t0 = now();
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = from; i < to; i++) {
			struct nw_parse_opts o = { .format = inputs[i].format, .source = "bench",
						   .max_bytes = 16u << 20 };
			struct nw_parse_sink sink = { count, NULL, c };
			char reason[NW_REASON_MAX];
			nw_parse(inputs[i].data, inputs[i].len, &o, &sink, reason);
		}
	return now() - t0;
}

static double run_memcpy(size_t rounds, volatile unsigned char *sink_byte)
{
	char *dst = malloc(16u << 20);
	double t0 = now();
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < ninputs; i++) {
			memcpy(dst, inputs[i].data, inputs[i].len);
			*sink_byte ^= (unsigned char)dst[inputs[i].len / 2];
		}
	double t = now() - t0;
	free(dst);
	return t;
}

/* Bare msgpack: the article's strings as one array, packed and unpacked. */
static void bare_msgpack(const nw_article *a, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	const char *fields[] = { a->id, a->title, a->lead, a->source, a->lang };
	size_t n = 5 + a->paragraphs.len + a->captions.len + a->people.len + a->places.len;
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < 5; i++)
		msgpack_pack_str_with_body(&pk, fields[i], strlen(fields[i]));
	const nw_strlist *lists[] = { &a->paragraphs, &a->captions, &a->people, &a->places };
	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->len; i++)
			msgpack_pack_str_with_body(&pk, lists[l]->items[i], strlen(lists[l]->items[i]));
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	if (msgpack_unpack_next(&u, sb->data, sb->size, &off) != MSGPACK_UNPACK_SUCCESS)
		abort();
	msgpack_unpacked_destroy(&u);
}

int main(int argc, char **argv)
{
	const char *corpus = argc > 1 ? argv[1] : getenv("NW_CORPUS");
	size_t want_mb = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
	const char *part = argc > 3 ? argv[3] : "all";
	bool do_parse = strcmp(part, "codec") != 0, do_codec = strcmp(part, "parse") != 0;
	if (!corpus) {
		fprintf(stderr, "usage: bench-parse CORPUS_DIR [MEGABYTES]\n");
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/dev/text", corpus);
	load_dir(dir, NW_FORMAT_TEXT);
	size_t text_bytes = total_bytes, ntext = ninputs;
	snprintf(dir, sizeof(dir), "%s/dev/json", corpus);
	load_dir(dir, NW_FORMAT_JSON);
	size_t ntj = ninputs;
	/* feeds last, measured on their own ([ntj, ninputs)) */
	size_t tj_bytes = total_bytes;
	snprintf(dir, sizeof(dir), "%s/dev/feeds", corpus);
	load_dir(dir, NW_FORMAT_RSS);   /* the parser reads the root */
	size_t feed_bytes = total_bytes - tj_bytes;
	total_bytes = tj_bytes;
	size_t rounds = (want_mb << 20) / total_bytes + 1;
	double mb = (double)(total_bytes * rounds) / (1 << 20);
	printf("bench-parse: %zu inputs, %.2f MB, looped %zu times = %.1f MB\n",
	       ntj, (double)total_bytes / (1 << 20), rounds, mb);

	volatile unsigned char sink_byte = 0;
	if (!do_parse)
		goto codec;
	double t_copy = run_memcpy(rounds, &sink_byte);
	struct counter c = { 0 };
	double t_parse = run_parse(rounds, &c, 0, ntj);
	struct counter ct = { 0 };
	double t_text = run_parse(rounds, &ct, 0, ntext);
	struct counter cf = { 0 };
	size_t feed_rounds = feed_bytes ? (want_mb << 20) / 4 / feed_bytes + 1 : 0;
	double t_feed = run_parse(feed_rounds, &cf, ntj, ninputs);
	double feed_mb = (double)(feed_bytes * feed_rounds) / (1 << 20);
	double text_mb = (double)(text_bytes * rounds) / (1 << 20);
	printf("  baseline memcpy          %10.1f MB/s\n", mb / t_copy);
	printf("  parse (text+json)        %10.1f MB/s  %10.0f articles/s  ratio %.4f of memcpy\n",
	       mb / t_parse, (double)c.articles / t_parse, (mb / t_parse) / (mb / t_copy));
	printf("  parse (text only)        %10.1f MB/s  %10.0f articles/s\n",
	       text_mb / t_text, (double)ct.articles / t_text);
	printf("  parse (feeds, %zu files)  %10.1f MB/s  %10.0f entries/s   ratio %.4f of memcpy\n",
	       ninputs - ntj, feed_mb / t_feed, (double)cf.articles / t_feed,
	       (feed_mb / t_feed) / (mb / t_copy));

codec:
	if (!do_codec)
		goto out;
	/* codec: every parsed article, encode + decode, against bare msgpack */
	struct counter keep = { 0 };
	keep.capkeep = 1024;
	keep.keep = calloc(keep.capkeep, sizeof(nw_article *));
	run_parse(1, &keep, 0, ntj);
	size_t codec_rounds = 200;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	double t0 = now();
	for (size_t r = 0; r < codec_rounds; r++)
		for (size_t i = 0; i < keep.nkeep; i++)
			bare_msgpack(keep.keep[i], &sb);
	double t_bare = now() - t0;
	nw_buf b = NW_BUF_INIT;
	t0 = now();
	for (size_t r = 0; r < codec_rounds; r++)
		for (size_t i = 0; i < keep.nkeep; i++) {
			b.len = 0;
			nw_article *d = NULL;
			if (nw_article_encode(keep.keep[i], &b) ||
			    nw_article_decode(b.data, b.len, NULL, &d))
				abort();
			nw_article_destroy(&d);
		}
	double t_codec = now() - t0;
	double ops = (double)(codec_rounds * keep.nkeep);
	printf("  baseline bare msgpack    %10.0f pack+unpack/s\n", ops / t_bare);
	printf("  codec encode+decode      %10.0f ops/s  ratio %.3f of bare msgpack\n",
	       ops / t_codec, (ops / t_codec) / (ops / t_bare));
	for (size_t i = 0; i < keep.nkeep; i++)
		nw_article_destroy(&keep.keep[i]);
	free(keep.keep);
	nw_buf_release(&b);
	msgpack_sbuffer_destroy(&sb);
out:
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i].data);
	return 0;
}
