/* Runs a fuzz target over files and directories of inputs, so the seed
 * corpora (and any crash inputs committed beside them) run as ordinary
 * tests in builds without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: cannot stat %s\n", path);
		exit(2);
	}
	if (S_ISDIR(st.st_mode)) {
		size_t n = 0;
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			nw_buf sub = NW_BUF_INIT;
			nw_buf_printf(&sub, "%s/%s", path, e->d_name);
			n += run_path(sub.data);
			nw_buf_release(&sub);
		}
		if (d)
			closedir(d);
		return n;
	}
	char *data = NULL;
	size_t len = 0;
	if (nw_read_file(path, 64u << 20, &data, &len) != NW_OK) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		exit(2);
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 1;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	for (int i = 1; i < argc; i++)
		n += run_path(argv[i]);
	if (n == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 2;
	}
	printf("replayed %zu inputs: %zu passed, 0 failed\n", n, n);
	return 0;
}
