/* Fuzz target: search queries end to end. The input is a query, then
 * optional lines for the place and person filters, the language and the
 * source; each is run against a small FTS5 index (built once, with the
 * folding tokenizer) through the same code as the indexer's queries. A
 * query either gives at most `limit` hits or an error with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/parse.h"
#include "common/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nw_index *ix;
static char dir[64], path[96];

static const char *const texts[] = {
	("Huyện Lệ Thủy sơ kết công tác\n\nĐồng chí Nguyễn Văn A phát biểu tại Quảng Bình.\n\n"
	 "Đường giao thông nông thôn được nâng cấp."),
	"Kinh tế tăng trưởng\n\nNgười dân Hà Nội đón nhận chính sách mới về đương đại.",
	"Storm warning in the north\n\nResidents of Hai Phong prepare for the typhoon.",
};

static void cleanup(void)
{
	nw_index_close(&ix);
	unlink(path);
	char more[128];
	snprintf(more, sizeof(more), "%s-wal", path);
	unlink(more);
	snprintf(more, sizeof(more), "%s-shm", path);
	unlink(more);
	rmdir(dir);
}

static void build(void)
{
	char msg[512];
	strcpy(dir, "/tmp/nwfuzzsearchXXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/index.db", dir);
	if (nw_index_open(path, false, &ix, msg, sizeof(msg)) != NW_OK)
		abort();
	atexit(cleanup);
	struct nw_service_batch b = { 0 };
	b.items = calloc(sizeof(texts) / sizeof(texts[0]), sizeof(*b.items));
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct nw_parse_opts o = { .format = NW_FORMAT_TEXT, .source = i ? "wire" : "seed" };
		nw_article *a = NULL;
		char reason[NW_REASON_MAX];
		nw_buf enc = NW_BUF_INIT;
		if (nw_parse_one(texts[i], strlen(texts[i]), &o, &a, reason) != NW_OK ||
		    nw_article_encode(a, &enc) != NW_OK)
			abort();
		b.items[b.n++] = (struct nw_service_item){ .seq = i + 1, .off = b.data.len,
							   .len = enc.len };
		nw_buf_append(&b.data, enc.data, enc.len);
		b.last_seq = i + 1;
		nw_buf_release(&enc);
		nw_article_destroy(&a);
	}
	struct nw_index_store_stats st = { 0 };
	if (nw_index_store(ix, &b, &st, msg, sizeof(msg)) != NW_OK || st.indexed != b.n)
		abort();
	free(b.items);
	nw_buf_release(&b.data);
}

/* The next line of the input (NUL-terminated copy), or NULL when none. */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n + (nl != NULL);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ix)
		build();
	if (size > 4096)
		return 0;   /* the indexer refuses requests over 8 KB before this */
	const uint8_t *p = data, *end = data + size;
	char *fields[5] = { 0 };
	for (int i = 0; i < 5; i++)
		fields[i] = next_line(&p, end);
	struct nw_search_query q = {
		.q = fields[0],
		.limit = size ? 1 + data[size - 1] % 30 : 0,
		.place = fields[1] && *fields[1] ? fields[1] : NULL,
		.person = fields[2] && *fields[2] ? fields[2] : NULL,
		.lang = fields[3] && *fields[3] ? fields[3] : NULL,
		.source = fields[4] && *fields[4] ? fields[4] : NULL,
		.since = size > 1 && (data[0] & 1) ? 1500000000 : 0,
		.until = size > 1 && (data[0] & 2) ? 1900000000 : 0,
	};
	json_t *hits = NULL;
	char msg[512] = "";
	enum nw_err err = nw_search(ix, &q, &hits, msg, sizeof(msg));
	if (err == NW_OK) {
		if (!json_is_array(hits) || json_array_size(hits) > (size_t)q.limit)
			abort();
		json_decref(hits);
	} else if (!msg[0]) {
		abort();
	}
	for (int i = 0; i < 5; i++)
		free(fields[i]);
	return 0;
}
