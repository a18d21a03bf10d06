/* CURVE keys and the ZAP handler. The handler answers ZAP 1.0 requests
 * (RFC 27): frames version, request id, domain, address, identity,
 * mechanism, then the client's 32-byte public key for CURVE; the answer
 * is version, request id, status code, status text, user id, metadata. */
#include "common/curve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <newswire/client.h>

#include "common/http.h"
#include "common/log.h"
#include "common/zsock.h"

#define MAX_AUTHORIZED 100000

static bool z85_key(const char *s)
{
	uint8_t bin[32];
	return strlen(s) == NW_CURVE_KEY_LEN && zmq_z85_decode(bin, s) != NULL;
}

enum nw_err nw_curve_read_key(const char *path, char out[NW_CURVE_KEY_LEN + 1], char *msg,
			      size_t msglen)
{
	char *data = NULL;
	size_t len = 0;
	if (nw_read_file(path, 4096, &data, &len) != NW_OK) {
		snprintf(msg, msglen, "cannot read the key file %s: %s", path, strerror(errno));
		return NW_EIO;
	}
	char *p = data;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	size_t n = strcspn(p, " \t\r\n");
	p[n] = '\0';
	bool ok = z85_key(p);
	if (ok)
		memcpy(out, p, NW_CURVE_KEY_LEN + 1);
	else
		snprintf(msg, msglen, "%s does not hold a CURVE key (40 Z85 characters, "
			 "as written by newswire keygen)", path);
	free(data);
	return ok ? NW_OK : NW_ECONFIG;
}

static enum nw_err write_new(const char *path, const char *text, mode_t mode, char *msg,
			     size_t msglen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(msg, msglen, "cannot create %s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (keys are never overwritten: remove it first)" : "");
		return NW_EIO;
	}
	size_t n = strlen(text);
	bool ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok) {
		snprintf(msg, msglen, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return NW_EIO;
	}
	return NW_OK;
}

enum nw_err nw_curve_keygen(const char *name, char *msg, size_t msglen)
{
	char public_key[NW_CURVE_KEY_LEN + 1], secret_key[NW_CURVE_KEY_LEN + 1];
	if (zmq_curve_keypair(public_key, secret_key) != 0) {
		snprintf(msg, msglen, "cannot make a key pair: %s (libzmq without CURVE?)",
			 zmq_strerror(zmq_errno()));
		return NW_EINVAL;
	}
	char path[4096], text[NW_CURVE_KEY_LEN + 2];
	snprintf(path, sizeof(path), "%s.key", name);
	snprintf(text, sizeof(text), "%s\n", secret_key);
	enum nw_err err = write_new(path, text, 0600, msg, msglen);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s.pub", name);
	snprintf(text, sizeof(text), "%s\n", public_key);
	if ((err = write_new(path, text, 0644, msg, msglen))) {
		snprintf(path, sizeof(path), "%s.key", name);
		unlink(path);
	}
	return err;
}

enum nw_err nw_curve_server_load(const nw_config *cfg, struct nw_curve_server *s, char *msg,
				 size_t msglen)
{
	memset(s, 0, sizeof(*s));
	const char *secret = nw_config_str(cfg, "security", "curve_secret_file");
	const char *authorized = nw_config_str(cfg, "security", "authorized_keys");
	if (!*secret)
		return NW_OK;
	if (!*authorized) {
		snprintf(msg, msglen, "[security] curve_secret_file is set but authorized_keys is "
			 "not: list the client public keys that may connect");
		return NW_ECONFIG;
	}
	enum nw_err err = nw_curve_read_key(secret, s->secret, msg, msglen);
	if (err)
		return err;
	snprintf(s->authorized, sizeof(s->authorized), "%s", authorized);
	s->on = true;
	return NW_OK;
}

void nw_curve_server_apply(const struct nw_curve_server *s, void *socket, const char *endpoint)
{
	if (!s || !s->on || strncmp(endpoint, "tcp://", 6) != 0)
		return;
	int one = 1;
	zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof(one));
	zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, s->secret, NW_CURVE_KEY_LEN + 1);
	zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, "newswire", 8);
}

enum nw_err nw_server_bind(const struct nw_curve_server *s, void *socket, const char *endpoint,
			   char *msg, size_t msglen)
{
	nw_curve_server_apply(s, socket, endpoint);
	int handshake = NW_ZMQ_HANDSHAKE_MS;
	zmq_setsockopt(socket, ZMQ_HANDSHAKE_IVL, &handshake, sizeof(handshake));
	if (strncmp(endpoint, "ipc://", 6) != 0) {
		if (zmq_bind(socket, endpoint) == 0)
			return NW_OK;
		snprintf(msg, msglen, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		return NW_EIO;
	}
	const char *path = endpoint + 6;
	mode_t old = umask(077);   /* new directories 0700, the socket 0600 */
	nw_mkdirs(path, true);     /* a failure shows in zmq_bind */
	int rc = zmq_bind(socket, endpoint);
	int saved = zmq_errno();
	umask(old);
	if (rc != 0) {
		snprintf(msg, msglen, "cannot bind %s: %s", endpoint, zmq_strerror(saved));
		return NW_EIO;
	}
	if (chmod(path, 0600) != 0)
		nw_warn("cannot restrict the ipc socket", "path", path, "error", strerror(errno));
	char *dir = nw_strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	struct stat st;
	if (slash)
		*slash = '\0';
	if (dir && stat(slash ? (*dir ? dir : "/") : ".", &st) == 0 && (st.st_mode & 022))
		nw_warn("the directory of an ipc socket is writable by other users; "
			"make it the service user's alone (mode 0700)", "dir", slash ? dir : ".");
	free(dir);
	return NW_OK;
}

enum nw_err nw_curve_client_load(const nw_config *cfg, char *msg, size_t msglen)
{
	const char *paths[3] = {
		nw_config_str(cfg, "client", "curve_secret_file"),
		nw_config_str(cfg, "client", "curve_public_file"),
		nw_config_str(cfg, "client", "server_public_file"),
	};
	if (!*paths[0] && !*paths[1] && !*paths[2])
		return nw_client_set_keys(NULL, NULL, NULL, msg, msglen);
	char keys[3][NW_CURVE_KEY_LEN + 1];
	for (int i = 0; i < 3; i++) {
		if (!*paths[i]) {
			snprintf(msg, msglen, "[client] curve_secret_file, curve_public_file and "
				 "server_public_file are needed together");
			return NW_ECONFIG;
		}
		enum nw_err err = nw_curve_read_key(paths[i], keys[i], msg, msglen);
		if (err)
			return err;
	}
	return nw_client_set_keys(keys[0], keys[1], keys[2], msg, msglen);
}

/* ---- the client keys of this process ---- */

static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool on;
	char secret[NW_CURVE_KEY_LEN + 1], public_key[NW_CURVE_KEY_LEN + 1],
		server[NW_CURVE_KEY_LEN + 1];
} client_keys;

enum nw_err nw_client_set_keys(const char *secret_key, const char *public_key,
			       const char *server_key, char *msg, size_t msglen)
{
	if (!secret_key && !public_key && !server_key) {
		pthread_mutex_lock(&client_lock);
		client_keys.on = false;
		pthread_mutex_unlock(&client_lock);
		return NW_OK;
	}
	const char *keys[3] = { secret_key, public_key, server_key };
	static const char *const names[3] = { "secret", "public", "server" };
	for (int i = 0; i < 3; i++)
		if (!keys[i] || !z85_key(keys[i])) {
			snprintf(msg, msglen, "the %s key is not a CURVE key (40 Z85 characters)",
				 names[i]);
			return NW_EINVAL;
		}
	pthread_mutex_lock(&client_lock);
	memcpy(client_keys.secret, secret_key, NW_CURVE_KEY_LEN + 1);
	memcpy(client_keys.public_key, public_key, NW_CURVE_KEY_LEN + 1);
	memcpy(client_keys.server, server_key, NW_CURVE_KEY_LEN + 1);
	client_keys.on = true;
	pthread_mutex_unlock(&client_lock);
	return NW_OK;
}

void nw_curve_client_apply(void *socket, const char *endpoint)
{
	if (strncmp(endpoint, "tcp://", 6) != 0)
		return;
	pthread_mutex_lock(&client_lock);
	if (client_keys.on) {
		zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, client_keys.server, NW_CURVE_KEY_LEN + 1);
		zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, client_keys.public_key, NW_CURVE_KEY_LEN + 1);
		zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, client_keys.secret, NW_CURVE_KEY_LEN + 1);
	}
	pthread_mutex_unlock(&client_lock);
}

/* ---- ZAP ---- */

struct nw_zap {
	nw_zsock *zs;
	char *path;
	char (*keys)[NW_CURVE_KEY_LEN + 1];
	size_t nkeys;
	uint64_t allowed, refused;
};

static int cmp_key(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Reads an authorized_keys file: one Z85 key per line (anything after
 * the key is a comment), lines starting with # are comments. */
static enum nw_err read_authorized(const char *path, char (**out)[NW_CURVE_KEY_LEN + 1],
				   size_t *n, char *msg, size_t msglen)
{
	char *data = NULL;
	size_t len = 0;
	if (nw_read_file(path, 16u << 20, &data, &len) != NW_OK) {
		snprintf(msg, msglen, "cannot read authorized_keys %s: %s", path, strerror(errno));
		return NW_EIO;
	}
	char (*keys)[NW_CURVE_KEY_LEN + 1] = NULL;
	size_t count = 0, cap = 0;
	int lineno = 0;
	enum nw_err err = NW_OK;
	char *save = NULL;
	for (char *line = data; line && !err; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		/* '#' is a Z85 character too: only a line that starts with it
		 * is a comment */
		char *tok_save = NULL, *key = strtok_r(line, " \t\r", &tok_save);
		if (!key || key[0] == '#')
			continue;
		if (!z85_key(key)) {
			snprintf(msg, msglen, "%s:%d: not a CURVE public key (40 Z85 characters)",
				 path, lineno);
			err = NW_ECONFIG;
		} else if (count >= MAX_AUTHORIZED) {
			snprintf(msg, msglen, "%s: more than %d keys", path, MAX_AUTHORIZED);
			err = NW_ELIMIT;
		} else {
			if (count == cap) {
				size_t ncap = cap ? 2 * cap : 16;
				char (*v)[NW_CURVE_KEY_LEN + 1] = realloc(keys, ncap * sizeof(*v));
				if (!v) {
					err = NW_ENOMEM;
					snprintf(msg, msglen, "out of memory");
					break;
				}
				keys = v;
				cap = ncap;
			}
			memcpy(keys[count++], key, NW_CURVE_KEY_LEN + 1);
		}
	}
	free(data);
	if (err) {
		free(keys);
		return err;
	}
	if (count)
		qsort(keys, count, sizeof(*keys), cmp_key);
	*out = keys;
	*n = count;
	return NW_OK;
}

static void zap_send(void *socket, const zmq_msg_t *version, const zmq_msg_t *request_id,
		     const char *code, const char *text, const char *user)
{
	const void *data[6] = { zmq_msg_data((zmq_msg_t *)version),
				zmq_msg_data((zmq_msg_t *)request_id), code, text, user, "" };
	size_t len[6] = { zmq_msg_size((zmq_msg_t *)version), zmq_msg_size((zmq_msg_t *)request_id),
			  strlen(code), strlen(text), strlen(user), 0 };
	for (int i = 0; i < 6; i++)
		zmq_send(socket, data[i], len[i], i < 5 ? ZMQ_SNDMORE : 0);
}

static void on_zap(nw_zsock *zs, void *socket, void *arg)
{
	nw_zap *z = arg;
	for (;;) {
		zmq_msg_t parts[8];
		int kept = nw_zmq_recv_parts(socket, parts, 8, ZMQ_DONTWAIT);
		if (kept < 0)
			return;
		char key[NW_CURVE_KEY_LEN + 1] = "", address[64] = "";
		bool curve = kept >= 7 && zmq_msg_size(&parts[5]) == 5 &&
			     memcmp(zmq_msg_data(&parts[5]), "CURVE", 5) == 0 &&
			     zmq_msg_size(&parts[6]) == 32;
		if (curve)
			zmq_z85_encode(key, zmq_msg_data(&parts[6]), 32);
		if (kept >= 4) {
			size_t al = zmq_msg_size(&parts[3]);
			al = al < sizeof(address) - 1 ? al : sizeof(address) - 1;
			memcpy(address, zmq_msg_data(&parts[3]), al);
			address[al] = '\0';
		}
		if (kept >= 2) {
			bool ok = curve && z->nkeys &&
				  bsearch(key, z->keys, z->nkeys, sizeof(*z->keys), cmp_key);
			if (ok) {
				z->allowed++;
				zap_send(socket, &parts[0], &parts[1], "200", "OK", key);
			} else {
				z->refused++;
				nw_warn("connection refused: key not in authorized_keys", "key",
					curve ? key : "(not CURVE)", "address", address);
				zap_send(socket, &parts[0], &parts[1], "400", "key not authorized", "");
			}
		}
		nw_zmq_close_parts(parts, kept);
	}
}

nw_zap *nw_zap_start(uv_loop_t *loop, void *zctx, const char *authorized_path, char *msg,
		     size_t msglen)
{
	nw_zap *z = calloc(1, sizeof(*z));
	if (!z || !(z->path = nw_strdup(authorized_path))) {
		free(z);
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	if (read_authorized(z->path, &z->keys, &z->nkeys, msg, msglen) != NW_OK) {
		free(z->path);
		free(z);
		return NULL;
	}
	void *s = zmq_socket(zctx, ZMQ_REP);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(s, "inproc://zeromq.zap.01") != 0 ||
	    !(z->zs = nw_zsock_new(loop, s, on_zap, NULL, z))) {
		snprintf(msg, msglen, "cannot start the ZAP handler: %s", zmq_strerror(zmq_errno()));
		zmq_close(s);
		free(z->keys);
		free(z->path);
		free(z);
		return NULL;
	}
	nw_info("CURVE on for tcp:// endpoints", "authorized_keys", z->path,
		"keys", NW_U64(z->nkeys));
	return z;
}

enum nw_err nw_zap_reload(nw_zap *z, char *msg, size_t msglen)
{
	if (!z)
		return NW_OK;
	char (*keys)[NW_CURVE_KEY_LEN + 1] = NULL;
	size_t n = 0;
	enum nw_err err = read_authorized(z->path, &keys, &n, msg, msglen);
	if (err)
		return err;
	free(z->keys);
	z->keys = keys;
	z->nkeys = n;
	nw_info("authorized_keys reloaded", "keys", NW_U64(n));
	return NW_OK;
}

void nw_zap_metrics(const nw_zap *z, nw_buf *b)
{
	if (!z)
		return;
	nw_metric(b, "newswire_curve_allowed_total", "counter", "CURVE handshakes admitted (key in authorized_keys).", (double)z->allowed);
	nw_metric(b, "newswire_curve_refused_total", "counter", "CURVE handshakes refused (key not in authorized_keys).", (double)z->refused);
	nw_metric(b, "newswire_curve_authorized_keys", "gauge", "Client keys in authorized_keys.", (double)z->nkeys);
}

void nw_zap_close(nw_zap **zp)
{
	nw_zap *z = *zp;
	if (!z)
		return;
	*zp = NULL;
	nw_zsock_close(z->zs);
	free(z->keys);
	free(z->path);
	free(z);
}
