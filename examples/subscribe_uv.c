/* An application with its own libuv loop that follows the article feed
 * through libnewswire's libuv adapter (it uses only the public headers and
 * links the shared library): it prints "seq title" per article and exits
 * after COUNT of them (or runs until Ctrl-C). With CHECKPOINT_FILE it
 * resumes after the seq saved there and keeps it up to date.
 *   subscribe-uv PUBLISH_ENDPOINT REPLAY_ENDPOINT FROM_SEQ [COUNT [CHECKPOINT_FILE]] */
#include <newswire/article.h>
#include <newswire/uv.h>
#include <stdio.h>
#include <stdlib.h>

struct app {
	nw_uv_subscriber *sub;
	uv_signal_t sigint;
	long count, seen;
	bool failed;
};

static bool on_article(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct app *a = arg;
	nw_article *art = NULL;
	if (nw_article_unpack(data, len, &art) == NW_OK)
		printf("%llu %s\n", (unsigned long long)seq, art->title);
	nw_article_destroy(&art);
	fflush(stdout);
	if (a->count && ++a->seen >= a->count) {
		uv_close((uv_handle_t *)&a->sigint, NULL);
		return false;   /* stops the subscriber; the loop then runs dry */
	}
	return true;
}

static void on_lost(void *arg, uint64_t from, uint64_t to)
{
	fprintf(stderr, "articles %llu-%llu are gone (retention)\n",
		(unsigned long long)from, (unsigned long long)to);
}

static void on_stopped(void *arg, enum nw_err why)
{
	struct app *a = arg;
	if (why != NW_OK) {
		fprintf(stderr, "subscribe-uv: delivery stopped: %s\n", nw_strerror(why));
		a->failed = true;
		if (!uv_is_closing((uv_handle_t *)&a->sigint))
			uv_close((uv_handle_t *)&a->sigint, NULL);
	}
}

static void on_sigint(uv_signal_t *h, int signum)
{
	struct app *a = h->data;
	nw_uv_subscriber_stop(a->sub);
	uv_close((uv_handle_t *)h, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: subscribe-uv PUBLISH REPLAY FROM_SEQ [COUNT [CHECKPOINT_FILE]]\n");
		return 2;
	}
	uv_loop_t *loop = uv_default_loop();
	struct app a = { .count = argc > 4 ? atol(argv[4]) : 0 };
	struct nw_subscriber_opts o = { .publish = argv[1], .replay = argv[2],
					.from = strtoull(argv[3], NULL, 10) };
	struct nw_checkpoint cp = { nw_checkpoint_file_load, nw_checkpoint_file_save,
				    argc > 5 ? argv[5] : NULL, 0 };
	if (cp.arg)
		o.checkpoint = &cp;
	struct nw_subscriber_handler h = { .article = on_article, .lost = on_lost,
					   .stopped = on_stopped, .arg = &a };
	char msg[256];
	if (!(a.sub = nw_uv_subscriber_start(loop, &o, &h, msg, sizeof(msg)))) {
		fprintf(stderr, "subscribe-uv: %s\n", msg);
		return 1;
	}
	uv_signal_init(loop, &a.sigint);
	a.sigint.data = &a;
	uv_signal_start(&a.sigint, on_sigint, SIGINT);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return a.failed ? 1 : 0;
}
