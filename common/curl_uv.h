/* libcurl's multi interface driven by a libuv loop: curl's socket and
 * timer callbacks become uv_poll and uv_timer handles, so any number of
 * transfers run on the daemon's one loop (no thread per transfer). */
#ifndef NW_CURL_UV_H
#define NW_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>
#include <newswire/error.h>

typedef struct nw_curl_uv nw_curl_uv;

/* Called once per finished transfer, after it left the multi handle: the
 * callee owns easy again (curl_easy_cleanup it). rc is curl's result. */
typedef void (*nw_curl_done)(void *arg, CURL *easy, CURLcode rc);

nw_curl_uv *nw_curl_uv_new(uv_loop_t *loop, nw_curl_done done, void *arg);

/* Starts a configured easy handle. */
enum nw_err nw_curl_uv_add(nw_curl_uv *cu, CURL *easy);

/* Aborts a transfer: done is not called; the caller still owns easy. */
void nw_curl_uv_remove(nw_curl_uv *cu, CURL *easy);

/* Closes; transfers still running must have been removed first. Frees
 * itself once libuv has closed its handles. */
void nw_curl_uv_close(nw_curl_uv *cu);

#endif
