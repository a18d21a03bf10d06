/* Byte buffers, string lists and file reads shared by every module. */
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

enum nw_err nw_buf_reserve(nw_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return NW_ENOMEM;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return NW_OK;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return NW_ENOMEM;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';   /* terminated even if nothing is appended */
	return NW_OK;
}

enum nw_err nw_buf_append(nw_buf *b, const void *p, size_t n)
{
	if (nw_buf_reserve(b, n) != NW_OK)
		return NW_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return NW_OK;
}

enum nw_err nw_buf_putc(nw_buf *b, char c)
{
	return nw_buf_append(b, &c, 1);
}

enum nw_err nw_buf_puts(nw_buf *b, const char *s)
{
	return nw_buf_append(b, s, strlen(s));
}

enum nw_err nw_buf_printf(nw_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NW_EINVAL;
	if (nw_buf_reserve(b, (size_t)n) != NW_OK)
		return NW_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return NW_OK;
}

char *nw_buf_detach(nw_buf *b)
{
	char *p = b->data;
	if (!p)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void nw_buf_release(nw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *nw_strdup(const char *s)
{
	return nw_strndup(s, strlen(s));
}

char *nw_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

enum nw_err nw_strlist_push_owned(nw_strlist *l, char *s)
{
	if (!s)
		return NW_ENOMEM;
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **items = realloc(l->items, cap * sizeof(*items));
		if (!items) {
			free(s);
			return NW_ENOMEM;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->len++] = s;
	return NW_OK;
}

enum nw_err nw_strlist_push(nw_strlist *l, const char *s)
{
	return nw_strlist_push_owned(l, nw_strdup(s));
}

bool nw_strlist_contains(const nw_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

enum nw_err nw_strlist_push_unique(nw_strlist *l, const char *s)
{
	if (nw_strlist_contains(l, s))
		return NW_OK;
	return nw_strlist_push(l, s);
}

enum nw_err nw_strlist_join(const nw_strlist *l, const char *sep, nw_buf *b)
{
	enum nw_err err = nw_buf_reserve(b, 1);
	for (size_t i = 0; !err && i < l->len; i++) {
		if (i)
			err = nw_buf_puts(b, sep);
		if (!err)
			err = nw_buf_puts(b, l->items[i]);
	}
	return err;
}

void nw_strlist_clear(nw_strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = l->cap = 0;
}

enum nw_err nw_read_file(const char *path, size_t max, char **out, size_t *len)
{
	enum nw_err err = NW_OK;
	nw_buf b = NW_BUF_INIT;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NW_EIO;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > max) {
			err = NW_ETOOBIG;
			goto out;
		}
		if ((err = nw_buf_append(&b, chunk, n)) != NW_OK)
			goto out;
	}
	if (ferror(f)) {
		err = NW_EIO;
		goto out;
	}
	*len = b.len;
	*out = nw_buf_detach(&b);
	if (!*out)
		err = NW_ENOMEM;
out:
	if (err != NW_OK) {
		int saved = errno;
		nw_buf_release(&b);
		errno = saved;
	}
	fclose(f);
	return err;
}

enum nw_err nw_mkdirs(const char *path, bool parents_only)
{
	char *p = nw_strdup(path);
	if (!p)
		return NW_ENOMEM;
	enum nw_err err = NW_OK;
	for (char *q = p + 1; *q && !err; q++)
		if (*q == '/') {
			*q = '\0';
			if (mkdir(p, 0750) != 0 && errno != EEXIST)
				err = NW_EIO;
			*q = '/';
		}
	if (!err && !parents_only && mkdir(p, 0750) != 0 && errno != EEXIST)
		err = NW_EIO;
	int saved = errno;
	free(p);
	errno = saved;
	return err;
}

void nw_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int64_t nw_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double nw_mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t nw_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
