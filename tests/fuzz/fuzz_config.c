/* Fuzz target: the configuration file loader (INI through inih, every
 * key's type and range). A file that loads is fine; one that does not
 * must name file:line. The input goes through a memfd so the loader reads
 * it exactly as it reads a file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64], msg[512] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nw_config *cfg = nw_config_new();
	if (cfg && nw_config_load(cfg, path, msg, sizeof(msg)) != NW_OK &&
	    strncmp(msg, path, strlen(path)) != 0)
		abort();
	nw_config_destroy(&cfg);
	close(fd);
	return 0;
}
