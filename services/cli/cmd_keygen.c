/* newswire keygen NAME: a CURVE key pair for a server or a client. */
#include <stdio.h>
#include <string.h>

#include "common/curve.h"
#include "services/cli/cli.h"

int cmd_keygen(struct cli *c)
{
	if (c->argc == 1 && (!strcmp(c->argv[0], "-h") || !strcmp(c->argv[0], "--help"))) {
		printf("usage: newswire keygen NAME\n\n"
		       "Writes a CURVE key pair: NAME.key, the secret key (mode 0600), and\n"
		       "NAME.pub, the public key, each 40 Z85 characters. Existing files are\n"
		       "never overwritten. Servers use them as [security] curve_secret_file\n"
		       "and curve_public_file; clients as [client] curve_secret_file and\n"
		       "curve_public_file, with the server's NAME.pub as server_public_file;\n"
		       "a client's NAME.pub goes into the servers' authorized_keys.\n");
		return EXIT_OK;
	}
	if (c->argc != 1)
		return cli_usage_error(c, "expected one NAME (files NAME.key and NAME.pub)");
	char msg[512];
	if (nw_curve_keygen(c->argv[0], msg, sizeof(msg)) != NW_OK) {
		fprintf(stderr, "newswire keygen: %s\n", msg);
		return EXIT_FAIL;
	}
	printf("%s.key (secret, mode 0600) and %s.pub written\n", c->argv[0], c->argv[0]);
	return EXIT_OK;
}
