/* Small shared helpers: a growable byte buffer, string lists, whole-file
 * reads with a size limit. Nothing here knows about articles. */
#ifndef NW_UTIL_H
#define NW_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/article.h>
#include <newswire/error.h>

#define NW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A growable byte buffer. The bytes are always NUL-terminated (not counted
 * in len) once any room has been reserved. Embed it and call nw_buf_release(). */
typedef struct nw_buf {
	char *data;
	size_t len;
	size_t cap;
} nw_buf;

#define NW_BUF_INIT { NULL, 0, 0 }

enum nw_err nw_buf_reserve(nw_buf *b, size_t extra);
enum nw_err nw_buf_append(nw_buf *b, const void *p, size_t n);
enum nw_err nw_buf_putc(nw_buf *b, char c);
enum nw_err nw_buf_puts(nw_buf *b, const char *s);
enum nw_err nw_buf_printf(nw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (who frees them) and empties the buffer.
 * Never NULL unless out of memory: an empty buffer yields "". */
char *nw_buf_detach(nw_buf *b);
void nw_buf_release(nw_buf *b);

/* strdup / strndup that return NULL only on ENOMEM. */
char *nw_strdup(const char *s);
char *nw_strndup(const char *s, size_t n);

/* Appends a copy of s. */
enum nw_err nw_strlist_push(nw_strlist *l, const char *s);
/* Appends s, taking ownership (freed on failure too). */
enum nw_err nw_strlist_push_owned(nw_strlist *l, char *s);
/* Appends a copy of s unless an equal string is already in the list. */
enum nw_err nw_strlist_push_unique(nw_strlist *l, const char *s);
bool nw_strlist_contains(const nw_strlist *l, const char *s);
/* Appends the strings of l to b with sep between them; b has room
 * reserved (so it is a string) even when l is empty. */
enum nw_err nw_strlist_join(const nw_strlist *l, const char *sep, nw_buf *b);
void nw_strlist_clear(nw_strlist *l);

/* Reads a whole file. More than max bytes gives NW_ETOOBIG (nothing
 * returned); on success *out (NUL-terminated, caller frees) and *len. */
/* Clocks: monotonic for durations, deadlines and timeouts; wall-clock for
 * timestamps that leave the process (envelopes, outbox due times). */
int64_t nw_mono_ms(void);
double nw_mono_seconds(void);
int64_t nw_wall_ms(void);

enum nw_err nw_read_file(const char *path, size_t max, char **out, size_t *len);

/* Creates the directories of path (mode 0750) that do not exist yet: all
 * of them, or with parents_only the ones above its last component. */
enum nw_err nw_mkdirs(const char *path, bool parents_only);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void nw_hex(const unsigned char *p, size_t n, char *out);

#endif
