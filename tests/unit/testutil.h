/* Helpers shared by the unit tests: cmocka includes, corpus paths, files. */
#ifndef NW_TESTUTIL_H
#define NW_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/util.h"

/* $NW_CORPUS/rel (the shared corpus); fails the test if unset. */
static inline char *corpus_path(const char *rel)
{
	const char *dir = getenv("NW_CORPUS");
	if (!dir)
		fail_msg("NW_CORPUS is not set (run the tests through ctest)");
	nw_buf b = NW_BUF_INIT;
	nw_buf_printf(&b, "%s/%s", dir, rel);
	return nw_buf_detach(&b);
}

/* Whole file, NUL-terminated; fails the test if it cannot be read. */
static inline char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	size_t n = 0;
	if (nw_read_file(path, 64u << 20, &data, &n) != NW_OK)
		fail_msg("cannot read %s", path);
	if (len)
		*len = n;
	return data;
}

static inline char *slurp_corpus(const char *rel, size_t *len)
{
	char *path = corpus_path(rel);
	char *data = slurp(path, len);
	free(path);
	return data;
}

#endif
