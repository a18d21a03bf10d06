/* Webhook, exec and file deliveries on the notifier's loop. */
#include "services/notifier/deliver.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/curl_uv.h"
#include "common/log.h"
#include "common/util.h"

#define MAX_ARGS 32

struct deliverer {
	uv_loop_t *loop;
	nw_curl_uv *curl;
	int webhook_timeout_ms, exec_timeout_ms;
	delivery_done done;
	void *arg;
	struct transfer *transfers;   /* webhooks in flight */
	struct child *children;       /* commands running */
	int handles;                  /* 1 + child handles open */
	bool closing;
};

static void finish(deliverer *dv, struct nw_delivery *d, bool ok, bool final, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void finish(deliverer *dv, struct nw_delivery *d, bool ok, bool final, const char *fmt, ...)
{
	d->ok = ok;
	d->final = final;
	d->error[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->error, sizeof(d->error), fmt, ap);
		va_end(ap);
	}
	dv->done(dv->arg, d);
}

/* ---- webhooks: libcurl multi on libuv ---- */

struct transfer {
	CURL *easy;
	struct curl_slist *headers;
	struct nw_delivery *d;
	struct transfer *next;
	char errbuf[CURL_ERROR_SIZE];
};

void webhook_signature(const unsigned char *key, size_t keylen, const char *id, long long ts,
		       const char *body, char *out, size_t outlen)
{
	nw_buf signed_content = NW_BUF_INIT;
	nw_buf_printf(&signed_content, "%s.%lld.%s", id, ts, body);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)signed_content.data,
	     signed_content.len, mac, &maclen);
	nw_buf_release(&signed_content);
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	EVP_EncodeBlock(b64, mac, (int)maclen);
	snprintf(out, outlen, "v1,%s", (const char *)b64);
}

static void release_handle(deliverer *dv)
{
	if (--dv->handles == 0 && dv->closing)
		free(dv);
}

static void on_transfer_done(void *arg, CURL *easy, CURLcode rc)
{
	deliverer *dv = arg;
	struct transfer *t = NULL, **link = &dv->transfers;
	while (*link && (*link)->easy != easy)
		link = &(*link)->next;
	if (!(t = *link))
		return;
	*link = t->next;
	long status = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	struct nw_delivery *d = t->d;
	if (rc != CURLE_OK)
		finish(dv, d, false, false, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
	else if (status >= 200 && status < 300)
		finish(dv, d, true, false, NULL);
	else   /* a 4xx other than 408 and 429 will not get better */
		finish(dv, d, false, status >= 400 && status < 500 && status != 408 && status != 429,
		       "HTTP %ld", status);
	free(t);
}

static size_t discard_body(char *p, size_t size, size_t n, void *arg)
{
	return size * n;   /* the receiver's answer is its status */
}

void deliver_webhook(deliverer *dv, struct nw_delivery *d, const unsigned char *secret,
		     size_t secret_len)
{
	struct transfer *t = calloc(1, sizeof(*t));
	if (!t || !(t->easy = curl_easy_init())) {
		free(t);
		finish(dv, d, false, false, "out of memory");
		return;
	}
	t->d = d;
	long long ts = (long long)time(NULL);
	char sig[160], line[256];
	webhook_signature(secret, secret_len, d->id, ts, d->payload, sig, sizeof(sig));
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "webhook-id: %s", d->id);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", ts);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "webhook-signature: %s", sig);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	t->headers = h;
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_URL, d->target);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->payload);   /* d outlives the transfer */
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(d->payload));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)dv->webhook_timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)dv->webhook_timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "newswire-notifier/" NW_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	if (!h || nw_curl_uv_add(dv->curl, e) != NW_OK) {
		curl_slist_free_all(h);
		curl_easy_cleanup(e);
		free(t);
		finish(dv, d, false, false, "cannot start the request");
		return;
	}
	t->next = dv->transfers;
	dv->transfers = t;
}

/* ---- commands ---- */

struct child {
	uv_process_t proc;
	uv_pipe_t in;
	uv_timer_t timer;
	uv_write_t write;
	struct nw_delivery *d;
	deliverer *dv;
	struct child *next;
	char *argv_buf;
	int open_handles;
	bool timed_out, exited;
	int64_t status;
	int term_signal;
};

static void child_handle_closed(uv_handle_t *h)
{
	struct child *c = h->data;
	if (--c->open_handles > 0)
		return;
	deliverer *dv = c->dv;
	free(c->argv_buf);
	free(c);
	release_handle(dv);
}

static void child_close(struct child *c)
{
	struct child **link = &c->dv->children;
	while (*link && *link != c)
		link = &(*link)->next;
	if (*link)
		*link = c->next;
	uv_close((uv_handle_t *)&c->proc, child_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&c->in))
		uv_close((uv_handle_t *)&c->in, child_handle_closed);
	uv_close((uv_handle_t *)&c->timer, child_handle_closed);
}

static void on_child_exit(uv_process_t *p, int64_t status, int term_signal)
{
	struct child *c = p->data;
	uv_timer_stop(&c->timer);
	deliverer *dv = c->dv;
	struct nw_delivery *d = c->d;
	bool timed_out = c->timed_out;
	child_close(c);
	if (dv->closing) {
		nw_delivery_free_list(&d);   /* aborted: the row is delivered again after the restart */
		return;
	}
	if (timed_out)
		finish(dv, d, false, false, "killed after %d s without finishing", dv->exec_timeout_ms / 1000);
	else if (term_signal)
		finish(dv, d, false, false, "killed by signal %d", term_signal);
	else if (status != 0)
		finish(dv, d, false, false, "exit status %lld", (long long)status);
	else
		finish(dv, d, true, false, NULL);
}

static void on_child_timeout(uv_timer_t *t)
{
	struct child *c = t->data;
	c->timed_out = true;
	uv_process_kill(&c->proc, SIGKILL);
}

static void on_stdin_written(uv_write_t *w, int status)
{
	struct child *c = w->data;
	/* EPIPE: the command did not read its input; its exit status decides */
	if (!uv_is_closing((uv_handle_t *)&c->in))
		uv_close((uv_handle_t *)&c->in, child_handle_closed);
}

void deliver_exec(deliverer *dv, struct nw_delivery *d)
{
	struct child *c = calloc(1, sizeof(*c));
	char *args[MAX_ARGS + 1];
	int n = 0;
	if (!c || !(c->argv_buf = nw_strdup(d->target))) {
		free(c);
		finish(dv, d, false, false, "out of memory");
		return;
	}
	/* the command line splits at blanks; no shell is involved */
	for (char *tok = strtok(c->argv_buf, " \t"); tok && n < MAX_ARGS; tok = strtok(NULL, " \t"))
		args[n++] = tok;
	args[n] = NULL;
	char env_rule[300], env_seq[64], env_id[300];
	snprintf(env_rule, sizeof(env_rule), "NEWSWIRE_RULE=%s", d->rule);
	snprintf(env_seq, sizeof(env_seq), "NEWSWIRE_SEQ=%llu", (unsigned long long)d->seq);
	snprintf(env_id, sizeof(env_id), "NEWSWIRE_DELIVERY_ID=%s", d->id);
	const char *path = getenv("PATH");
	char env_path[4200];
	snprintf(env_path, sizeof(env_path), "PATH=%s", path ? path : "/usr/bin:/bin");
	char *env[] = { env_rule, env_seq, env_id, env_path, NULL };
	c->d = d;
	c->dv = dv;
	uv_pipe_init(dv->loop, &c->in, 0);
	uv_timer_init(dv->loop, &c->timer);
	c->in.data = c->timer.data = c->proc.data = c->write.data = c;
	c->open_handles = 3;   /* in, timer, and the process (closed even when spawning fails) */
	uv_stdio_container_t stdio[3] = {
		{ .flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&c->in },
		{ .flags = UV_IGNORE },
		{ .flags = UV_INHERIT_FD, .data.fd = 2 },
	};
	uv_process_options_t o = { .exit_cb = on_child_exit, .file = args[0], .args = args,
				   .env = env, .stdio = stdio, .stdio_count = 3 };
	dv->handles++;
	int rc = uv_spawn(dv->loop, &c->proc, &o);
	if (rc != 0) {
		uv_close((uv_handle_t *)&c->proc, child_handle_closed);
		uv_close((uv_handle_t *)&c->in, child_handle_closed);
		uv_close((uv_handle_t *)&c->timer, child_handle_closed);
		finish(dv, d, false, false, "cannot run %s: %s", args[0] ? args[0] : "(nothing)",
		       uv_strerror(rc));
		return;
	}
	c->next = dv->children;
	dv->children = c;
	uv_buf_t buf = uv_buf_init(d->payload, (unsigned)strlen(d->payload));
	if (uv_write(&c->write, (uv_stream_t *)&c->in, &buf, 1, on_stdin_written) != 0)
		uv_close((uv_handle_t *)&c->in, child_handle_closed);
	uv_timer_start(&c->timer, on_child_timeout, (uint64_t)dv->exec_timeout_ms, 0);
}

/* ---- files ---- */

struct file_job {
	uv_work_t work;
	deliverer *dv;
	struct nw_delivery *d;
	char error[200];
};

static void file_work(uv_work_t *w)
{
	struct file_job *j = w->data;
	struct nw_delivery *d = j->d;
	if (nw_mkdirs(d->target, true) != NW_OK) {
		snprintf(j->error, sizeof(j->error), "cannot create the directory of %s", d->target);
		return;
	}
	int fd = open(d->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(j->error, sizeof(j->error), "cannot open %s: %s", d->target, strerror(errno));
		return;
	}
	/* one write of the whole line, so lines never interleave */
	size_t n = strlen(d->payload);
	char *line = malloc(n + 1);
	if (!line) {
		close(fd);
		snprintf(j->error, sizeof(j->error), "out of memory");
		return;
	}
	memcpy(line, d->payload, n);
	line[n] = '\n';
	ssize_t w2 = write(fd, line, n + 1);
	free(line);
	if (w2 != (ssize_t)(n + 1) || fdatasync(fd) != 0)
		snprintf(j->error, sizeof(j->error), "cannot write %s: %s", d->target,
			 w2 < 0 ? strerror(errno) : "short write");
	close(fd);
}

static void file_done(uv_work_t *w, int status)
{
	struct file_job *j = w->data;
	deliverer *dv = j->dv;
	if (dv->closing)
		nw_delivery_free_list(&j->d);   /* its outcome cannot be recorded any more */
	else if (j->error[0])
		finish(dv, j->d, false, false, "%s", j->error);
	else
		finish(dv, j->d, true, false, NULL);
	free(j);
	release_handle(dv);
}

void deliver_file(deliverer *dv, struct nw_delivery *d)
{
	struct file_job *j = calloc(1, sizeof(*j));
	if (!j) {
		finish(dv, d, false, false, "out of memory");
		return;
	}
	j->dv = dv;
	j->d = d;
	j->work.data = j;
	dv->handles++;
	uv_queue_work(dv->loop, &j->work, file_work, file_done);
}

/* ---- the deliverer ---- */

deliverer *deliverer_new(uv_loop_t *loop, int webhook_timeout_ms, int exec_timeout_ms,
			 delivery_done done, void *arg)
{
	deliverer *dv = calloc(1, sizeof(*dv));
	if (!dv)
		return NULL;
	dv->loop = loop;
	dv->webhook_timeout_ms = webhook_timeout_ms;
	dv->exec_timeout_ms = exec_timeout_ms;
	dv->done = done;
	dv->arg = arg;
	if (!(dv->curl = nw_curl_uv_new(loop, on_transfer_done, dv))) {
		free(dv);
		return NULL;
	}
	dv->handles = 1;
	return dv;
}

void deliverer_close(deliverer *dv)
{
	if (!dv || dv->closing)
		return;
	dv->closing = true;
	while (dv->transfers) {   /* aborted: still "sending", delivered again after a restart */
		struct transfer *t = dv->transfers;
		dv->transfers = t->next;
		nw_curl_uv_remove(dv->curl, t->easy);
		curl_easy_cleanup(t->easy);
		curl_slist_free_all(t->headers);
		nw_delivery_free_list(&t->d);
		free(t);
	}
	nw_curl_uv_close(dv->curl);
	for (struct child *c = dv->children; c; c = c->next)
		uv_process_kill(&c->proc, SIGTERM);
	release_handle(dv);
}
