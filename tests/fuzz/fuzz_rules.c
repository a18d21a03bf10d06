/* Fuzz target: the rules file parser (section 7). Whatever parses is
 * freed; whatever does not must say where ("name:line:col: what"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_rules *r = NULL;
	char msg[512] = "";
	if (nw_rules_parse("fuzz", (const char *)data, size, &r, msg, sizeof(msg)) == NW_OK) {
		if (!r)
			abort();
		nw_rules_free(&r);
	} else if (r || strncmp(msg, "fuzz", 4) != 0) {
		abort();
	}
	return 0;
}
