/* An application with its own libuv loop that submits files through
 * libnewswire's asynchronous producer: every file is sent at once, and
 * the acks come back as ingestd makes each article durable. Prints
 * "seq id path" per new article, "dup seq id path" per duplicate,
 * "rejected path: reason" and "timeout path" otherwise; exits 1 if any
 * article was not accepted.
 *   submit-uv SUBMIT_ENDPOINT TIMEOUT_MS FILE... */
#include <newswire/uv.h>
#include <stdio.h>
#include <stdlib.h>

struct file {
	const char *path;
	char *data;
	struct app *app;
};

struct app {
	nw_uv_producer *producer;
	size_t outstanding;
	bool failed;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0, got;
	char *data = malloc(cap);
	while (data && (got = fread(data + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *bigger = realloc(data, cap *= 2);
			if (!bigger) {
				free(data);
				data = NULL;
				break;
			}
			data = bigger;
		}
	}
	fclose(f);
	*len = n;
	return data;
}

static void on_result(void *arg, const struct nw_submit_result *r)
{
	struct file *f = arg;
	if (!r->ok) {
		printf("rejected %s: %s\n", f->path, r->error);
		f->app->failed = true;
	} else {
		printf("%s%llu %s %s\n", r->dup ? "dup " : "", (unsigned long long)r->seq, r->id,
		       f->path);
	}
}

static void on_done(void *arg, enum nw_err err)
{
	struct file *f = arg;
	struct app *a = f->app;
	if (err) {
		printf("%s %s\n", err == NW_ETIMEOUT ? "timeout" : nw_strerror(err), f->path);
		a->failed = true;
	}
	free(f->data);
	free(f);
	if (--a->outstanding == 0)
		nw_uv_producer_close(a->producer);   /* the loop then runs dry */
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: submit-uv SUBMIT_ENDPOINT TIMEOUT_MS FILE...\n");
		return 2;
	}
	uv_loop_t *loop = uv_default_loop();
	struct app a = { 0 };
	char msg[256];
	if (!(a.producer = nw_uv_producer_new(loop, argv[1], msg, sizeof(msg)))) {
		fprintf(stderr, "submit-uv: %s\n", msg);
		return 1;
	}
	int timeout = atoi(argv[2]);
	for (int i = 3; i < argc; i++) {
		struct file *f = calloc(1, sizeof(*f));
		size_t len = 0;
		if (!f || !(f->data = slurp(argv[i], &len))) {
			fprintf(stderr, "submit-uv: cannot read %s\n", argv[i]);
			free(f);
			a.failed = true;
			continue;
		}
		f->path = argv[i];
		f->app = &a;
		enum nw_err err = nw_uv_producer_submit(a.producer, NULL, argv[i], f->data, len,
							timeout, on_result, on_done, f);
		if (err) {
			fprintf(stderr, "submit-uv: %s: %s\n", argv[i], nw_strerror(err));
			free(f->data);
			free(f);
			a.failed = true;
			continue;
		}
		a.outstanding++;
	}
	if (a.outstanding == 0)
		nw_uv_producer_close(a.producer);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return a.failed ? 1 : 0;
}
