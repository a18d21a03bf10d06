/* The HTTP request parser on its own: pipelined requests fed in pieces of
 * every size, header lookup, and every limit with its status. */
#include "tests/unit/testutil.h"

#include "common/http.h"

struct seen {
	int requests;
	char method[16], path[64], query[64], body[64], auth[64], empty[8];
	bool has_empty;
	size_t nheaders;
	bool keep_alive;
};

static void on_request(void *arg, const struct nw_http_request *req, bool keep_alive)
{
	struct seen *s = arg;
	s->requests++;
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->path, sizeof(s->path), "%s", req->path);
	snprintf(s->query, sizeof(s->query), "%s", req->query);
	snprintf(s->body, sizeof(s->body), "%.*s", (int)req->body_len, req->body);
	const char *auth = nw_http_header(req, "authorization");
	snprintf(s->auth, sizeof(s->auth), "%s", auth ? auth : "(none)");
	const char *empty = nw_http_header(req, "X-Empty");
	s->has_empty = empty != NULL;
	snprintf(s->empty, sizeof(s->empty), "%s", empty ? empty : "");
	s->nheaders = req->nheaders;
	s->keep_alive = keep_alive;
}

static const char two_requests[] =
	"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n"
	"POST /v1/articles?format=text HTTP/1.1\r\nHost: x\r\n"
	"Authorization: Bearer s3cret\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

static void check_two(const struct seen *s)
{
	assert_int_equal(s->requests, 2);
	assert_string_equal(s->method, "POST");
	assert_string_equal(s->path, "/v1/articles");
	assert_string_equal(s->query, "format=text");
	assert_string_equal(s->body, "hello");
	assert_string_equal(s->auth, "Bearer s3cret");
	assert_int_equal(s->nheaders, 4);
	assert_false(s->keep_alive);
}

static void pipelined_in_pieces(void **state)
{
	size_t len = strlen(two_requests);
	/* whole, then split at every offset into two feeds */
	for (size_t cut = 0; cut <= len; cut++) {
		struct seen s = { 0 };
		struct nw_http_parser hp;
		const char *reason = NULL;
		nw_http_parser_init(&hp, 1024, on_request, &s);
		assert_int_equal(nw_http_parser_feed(&hp, two_requests, cut, &reason), 0);
		if (cut < 40)   /* the first request is not complete before its blank line */
			assert_true(s.requests == 0);
		assert_int_equal(nw_http_parser_feed(&hp, two_requests + cut, len - cut, &reason), 0);
		check_two(&s);
		nw_http_parser_release(&hp);
	}
	/* one byte at a time */
	struct seen s = { 0 };
	struct nw_http_parser hp;
	const char *reason = NULL;
	nw_http_parser_init(&hp, 1024, on_request, &s);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(nw_http_parser_feed(&hp, two_requests + i, 1, &reason), 0);
		if (s.requests == 1) {
			assert_string_equal(s.path, "/metrics");
			assert_true(s.has_empty);   /* an empty value is still a header */
			assert_string_equal(s.empty, "");
			assert_string_equal(s.auth, "(none)");
			assert_true(s.keep_alive);
		}
	}
	check_two(&s);
	nw_http_parser_release(&hp);
}

static int feed_all(const char *text, size_t max_body, const char **reason, struct seen *s)
{
	struct nw_http_parser hp;
	nw_http_parser_init(&hp, max_body, on_request, s);
	int status = nw_http_parser_feed(&hp, text, strlen(text), reason);
	nw_http_parser_release(&hp);
	return status;
}

static void limits_and_errors(void **state)
{
	struct seen s = { 0 };
	const char *reason = NULL;
	/* a body over the limit */
	assert_int_equal(feed_all("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world",
				  10, &reason, &s), 413);
	assert_string_equal(reason, "request body too large");
	assert_int_equal(s.requests, 0);
	/* header bytes over the limit */
	nw_buf b = NW_BUF_INIT;
	nw_buf_printf(&b, "GET / HTTP/1.1\r\nX-Long: ");
	for (int i = 0; i < NW_HTTP_MAX_HEADER_BYTES; i++)
		nw_buf_putc(&b, 'a');
	nw_buf_printf(&b, "\r\n\r\n");
	assert_int_equal(feed_all(b.data, 10, &reason, &s), 431);
	/* too many headers, each small */
	b.len = 0;
	nw_buf_printf(&b, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= NW_HTTP_MAX_HEADERS; i++)
		nw_buf_printf(&b, "X-%d: %d\r\n", i, i);
	nw_buf_printf(&b, "\r\n");
	assert_int_equal(feed_all(b.data, 10, &reason, &s), 431);
	/* a long URL counts against the header limit too */
	b.len = 0;
	nw_buf_printf(&b, "GET /");
	for (int i = 0; i < NW_HTTP_MAX_HEADER_BYTES; i++)
		nw_buf_putc(&b, 'u');
	nw_buf_printf(&b, " HTTP/1.1\r\n\r\n");
	assert_int_equal(feed_all(b.data, 10, &reason, &s), 431);
	nw_buf_release(&b);
	/* malformed: 400 with llhttp's reason */
	assert_int_equal(feed_all("GET / HTTP/9.9 junk\r\n\r\n", 10, &reason, &s), 400);
	assert_non_null(reason);
	assert_int_equal(feed_all("\x01\x02\x03", 10, &reason, &s), 400);
	assert_int_equal(feed_all("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 10, &reason, &s), 400);
	assert_int_equal(s.requests, 0);
	/* exactly at the body limit is fine */
	assert_int_equal(feed_all("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 10,
				  &reason, &s), 0);
	assert_int_equal(s.requests, 1);
	assert_string_equal(s.body, "0123456789");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipelined_in_pieces),
		cmocka_unit_test(limits_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
