/* ZeroMQ CURVE for newswire (SPEC 4, [security] and [client]): key files,
 * `newswire keygen`, the server side of every tcp:// endpoint, and the
 * ZAP handler that admits only the client keys of authorized_keys. */
#ifndef NW_CURVE_H
#define NW_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <newswire/error.h>

#include "common/config.h"
#include "common/util.h"

#define NW_CURVE_KEY_LEN 40   /* Z85 characters of a 32-byte key */

/* Reads a key file: 40 Z85 characters (white space around them ignored). */
enum nw_err nw_curve_read_key(const char *path, char out[NW_CURVE_KEY_LEN + 1], char *msg,
			      size_t msglen);

/* Writes NAME.key (the secret key, mode 0600) and NAME.pub (the public
 * key); refuses to overwrite either. */
enum nw_err nw_curve_keygen(const char *name, char *msg, size_t msglen);

/* The servers' side from [security]: off when curve_secret_file is empty;
 * when set, authorized_keys must be too. */
struct nw_curve_server {
	bool on;
	char secret[NW_CURVE_KEY_LEN + 1];
	char authorized[4096];   /* the authorized_keys path */
};
enum nw_err nw_curve_server_load(const nw_config *cfg, struct nw_curve_server *s, char *msg,
				 size_t msglen);
/* Makes socket a CURVE server when s is on and endpoint is tcp://. */
void nw_curve_server_apply(const struct nw_curve_server *s, void *socket, const char *endpoint);
/* A peer that has not finished the ZMTP handshake (greeting, security,
 * READY) by then is disconnected. */
#define NW_ZMQ_HANDSHAKE_MS 10000
/* Binds a server socket with its protection: CURVE on tcp:// (as
 * nw_curve_server_apply); on ipc:// missing directories are created mode
 * 0700 and the socket file is mode 0600, so only the service's user can
 * connect (a directory others may write to is logged as a warning). On
 * failure msg says why and the socket is left open for the caller. */
enum nw_err nw_server_bind(const struct nw_curve_server *s, void *socket, const char *endpoint,
			   char *msg, size_t msglen);

/* The clients' side from [client]: the keys libnewswire presents on
 * tcp:// endpoints from now on in this process (nw_client_set_keys). */
enum nw_err nw_curve_client_load(const nw_config *cfg, char *msg, size_t msglen);
/* Makes socket a CURVE client when keys are set and endpoint is tcp://
 * (libnewswire's sockets do this themselves). */
void nw_curve_client_apply(void *socket, const char *endpoint);

/* The ZAP handler: a REP socket on inproc://zeromq.zap.01 of zctx, on the
 * daemon's loop. Every CURVE handshake asks it; keys not listed in the
 * authorized_keys file are refused, logged with the key and counted. */
typedef struct nw_zap nw_zap;
nw_zap *nw_zap_start(uv_loop_t *loop, void *zctx, const char *authorized_path, char *msg,
		     size_t msglen);
/* Re-reads the authorized keys (SIGHUP); a bad file keeps the old list. */
enum nw_err nw_zap_reload(nw_zap *z, char *msg, size_t msglen);
void nw_zap_metrics(const nw_zap *z, nw_buf *b);
void nw_zap_close(nw_zap **z);

#endif
