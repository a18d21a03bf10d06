/* curl multi on libuv: one uv_poll_t per socket curl asks to watch, one
 * uv_timer_t for curl's timeout; finished transfers are collected after
 * every socket action. */
#include "common/curl_uv.h"

#include <stdbool.h>
#include <stdlib.h>

struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	nw_curl_uv *cu;
	struct sock_ctx *next, **prev;
};

struct nw_curl_uv {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	nw_curl_done done;
	void *arg;
	struct sock_ctx *socks;
	int handles;       /* open libuv handles owned here */
	bool closing;
};

static void release_handle(nw_curl_uv *cu)
{
	if (--cu->handles == 0 && cu->closing)
		free(cu);
}

static void timer_closed(uv_handle_t *h)
{
	release_handle(h->data);
}

static void sock_closed(uv_handle_t *h)
{
	struct sock_ctx *sc = h->data;
	nw_curl_uv *cu = sc->cu;
	free(sc);
	release_handle(cu);
}

static void sock_close(struct sock_ctx *sc)
{
	*sc->prev = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	uv_poll_stop(&sc->poll);
	uv_close((uv_handle_t *)&sc->poll, sock_closed);
}

static void collect(nw_curl_uv *cu)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(cu->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		curl_multi_remove_handle(cu->multi, easy);
		cu->done(cu->arg, easy, rc);
	}
}

static void on_socket_event(uv_poll_t *h, int status, int events)
{
	struct sock_ctx *sc = h->data;
	nw_curl_uv *cu = sc->cu;
	int flags = status < 0 ? CURL_CSELECT_ERR : 0;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	int running;
	curl_multi_socket_action(cu->multi, sc->fd, flags, &running);
	collect(cu);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	(void)easy;
	nw_curl_uv *cu = userp;
	struct sock_ctx *sc = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			curl_multi_assign(cu->multi, fd, NULL);
			sock_close(sc);
		}
		return 0;
	}
	if (!sc) {
		if (!(sc = calloc(1, sizeof(*sc))))
			return -1;
		sc->fd = fd;
		sc->cu = cu;
		if (uv_poll_init_socket(cu->loop, &sc->poll, fd) != 0) {
			free(sc);
			return -1;
		}
		sc->poll.data = sc;
		sc->next = cu->socks;
		if (sc->next)
			sc->next->prev = &sc->next;
		sc->prev = &cu->socks;
		cu->socks = sc;
		cu->handles++;
		curl_multi_assign(cu->multi, fd, sc);
	}
	int events = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
	uv_poll_start(&sc->poll, events, on_socket_event);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	nw_curl_uv *cu = t->data;
	int running;
	curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(cu);
}

static int on_curl_timeout(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	nw_curl_uv *cu = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&cu->timer);
	else   /* 0 means at once: from the loop, not from inside curl */
		uv_timer_start(&cu->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

nw_curl_uv *nw_curl_uv_new(uv_loop_t *loop, nw_curl_done done, void *arg)
{
	nw_curl_uv *cu = calloc(1, sizeof(*cu));
	if (!cu)
		return NULL;
	cu->loop = loop;
	cu->done = done;
	cu->arg = arg;
	if (!(cu->multi = curl_multi_init())) {
		free(cu);
		return NULL;
	}
	curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
	curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, on_curl_timeout);
	curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
	uv_timer_init(loop, &cu->timer);
	cu->timer.data = cu;
	cu->handles = 1;
	return cu;
}

enum nw_err nw_curl_uv_add(nw_curl_uv *cu, CURL *easy)
{
	return curl_multi_add_handle(cu->multi, easy) == CURLM_OK ? NW_OK : NW_ENOMEM;
}

void nw_curl_uv_remove(nw_curl_uv *cu, CURL *easy)
{
	curl_multi_remove_handle(cu->multi, easy);
}

void nw_curl_uv_close(nw_curl_uv *cu)
{
	if (!cu || cu->closing)
		return;
	cu->closing = true;
	curl_multi_cleanup(cu->multi);
	while (cu->socks)   /* what curl did not remove itself */
		sock_close(cu->socks);
	uv_timer_stop(&cu->timer);
	uv_close((uv_handle_t *)&cu->timer, timer_closed);
}
