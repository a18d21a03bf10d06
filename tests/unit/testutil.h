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

/* The next row of a MANIFEST.tsv text (modified in place; start *save at
 * NULL and pass the text on the first call): its 9 columns, empty ones
 * kept. The header row is skipped. False after the last row. */
static inline bool manifest_row(char *text, char **save, char *cols[9])
{
	char *line = strtok_r(*save ? NULL : text, "\n", save);
	if (line && line == text)   /* the header */
		line = strtok_r(NULL, "\n", save);
	if (!line)
		return false;
	int n = 0;
	for (char *rest = line, *c; n < 9 && (c = strsep(&rest, "\t"));)
		cols[n++] = c;
	if (n != 9)
		fail_msg("MANIFEST row with %d columns: %s", n, line);
	return true;
}

#endif
