/* The feed poller. One uv timer drives the schedule: at each tick every
 * feed that is due and whose host has no request in flight starts a
 * transfer; a finished transfer is parsed at once (on the loop: feeds are
 * small and bounded by 8 x max_article_bytes), its unseen entries are
 * ingested oldest first, and their keys are remembered once the engine
 * has acked them, so a crash before the ack means a re-fetch, which the
 * content-id dedupe absorbs. */
#include "services/ingestd/feeds.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/codec.h"
#include "common/curl_uv.h"
#include "common/feed.h"
#include "common/http.h"
#include "common/log.h"

#define SEEN_MAX 2000                 /* entry keys remembered per feed */
#define STAGGER_MS 500                /* between the first polls of feeds */
#define CONNECT_TIMEOUT_MS 10000
#define TRANSFER_TIMEOUT_MS 30000
#define BACKOFF_MAX_MS (6LL * 3600 * 1000)
#define HINT_MAX_MS (24LL * 3600 * 1000)   /* cap on max-age, Expires, ttl, Retry-After */
#define MAX_REDIRECTS 5
#define USER_AGENT "newswire-ingestd/" NW_VERSION " (feed poller; polls at most once per " \
	"interval, honours Retry-After and Cache-Control)"

struct feed {
	struct feeds *fs;
	struct feed *next;
	char *url;
	char host[256];
	int64_t interval_ms;
	/* state kept across restarts */
	char *etag, *modified;
	uint64_t seen[SEEN_MAX];
	size_t nseen, seen_next;           /* a ring: the oldest keys go first */
	/* schedule */
	int64_t due_ms;                    /* monotonic */
	int errors;                        /* consecutive */
	/* the transfer in flight */
	CURL *easy;
	struct curl_slist *headers;
	nw_buf body;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	char resp_etag[256], resp_modified[128], ctype[128];
	int64_t retry_after_ms, max_age_ms;
	/* health */
	long last_status;                  /* HTTP status, 0 = transport error */
	int64_t last_poll_wall_ms, last_ok_wall_ms;
	uint64_t polls, not_modified, entries_new, entries_seen, entries_rejected, failures;
	char last_error[256];
};

struct feeds {
	ingestd *d;
	uv_loop_t *loop;
	nw_curl_uv *curl;
	uv_timer_t timer;
	char *list_path, *state_path;
	struct feed *feeds;
	size_t max_bytes;
	int refs;                          /* 1 + the timer + batches waiting for acks */
	bool closing, state_dirty;
};

/* ---- the feeds file ---- */

void feeds_free_list(struct feed_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(specs[i].url);
	free(specs);
}

enum nw_err feeds_read_list(const char *path, struct feed_spec **out, size_t *n, char *msg,
			    size_t msglen)
{
	*out = NULL;
	*n = 0;
	char *data = NULL;
	size_t len = 0;
	if (nw_read_file(path, 4u << 20, &data, &len) != NW_OK) {
		snprintf(msg, msglen, "%s: cannot read the feeds file: %s", path, strerror(errno));
		return NW_EIO;
	}
	enum nw_err err = NW_OK;
	struct feed_spec *specs = NULL;
	size_t count = 0, cap = 0;
	int lineno = 0;
	char *save = NULL;
	for (char *line = data; !err && line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *tok_save = NULL;
		char *url = strtok_r(line, " \t\r", &tok_save);
		if (!url)
			continue;
		char *interval = strtok_r(NULL, " \t\r", &tok_save);
		char *extra = strtok_r(NULL, " \t\r", &tok_save);
		int64_t secs = FEEDS_DEFAULT_INTERVAL_S;
		if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
			snprintf(msg, msglen, "%s:%d: \"%s\" is not an http:// or https:// URL", path,
				 lineno, url);
			err = NW_ECONFIG;
		} else if (interval && (!nw_parse_duration(interval, &secs) || secs < 1)) {
			snprintf(msg, msglen, "%s:%d: \"%s\" is not an interval (e.g. 30s, 5m, 1h)",
				 path, lineno, interval);
			err = NW_ECONFIG;
		} else if (extra) {
			snprintf(msg, msglen, "%s:%d: unexpected \"%s\" after the interval", path,
				 lineno, extra);
			err = NW_ECONFIG;
		}
		for (size_t i = 0; !err && i < count; i++)
			if (!strcmp(specs[i].url, url)) {
				snprintf(msg, msglen, "%s:%d: %s is already listed on line %d", path,
					 lineno, url, specs[i].line);
				err = NW_ECONFIG;
			}
		if (err)
			break;
		if (count == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct feed_spec *v = realloc(specs, ncap * sizeof(*v));
			if (!v) {
				err = NW_ENOMEM;
				break;
			}
			specs = v;
			cap = ncap;
		}
		specs[count] = (struct feed_spec){ nw_strdup(url), secs, lineno };
		if (!specs[count++].url)
			err = NW_ENOMEM;
	}
	free(data);
	if (err) {
		if (err == NW_ENOMEM)
			snprintf(msg, msglen, "%s: out of memory", path);
		feeds_free_list(specs, count);
		return err;
	}
	*out = specs;
	*n = count;
	return NW_OK;
}

/* ---- seen keys ---- */

static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static bool seen(const struct feed *f, uint64_t h)
{
	for (size_t i = 0; i < f->nseen; i++)
		if (f->seen[i] == h)
			return true;
	return false;
}

static void remember(struct feed *f, uint64_t h)
{
	if (seen(f, h))
		return;
	f->seen[f->seen_next] = h;
	f->seen_next = (f->seen_next + 1) % SEEN_MAX;
	if (f->nseen < SEEN_MAX)
		f->nseen++;
	f->fs->state_dirty = true;
}

/* ---- state file ---- */

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v && *v ? nw_strdup(v) : NULL;
}

static struct feed *find_feed(struct feeds *fs, const char *url)
{
	for (struct feed *f = fs->feeds; f; f = f->next)
		if (!strcmp(f->url, url))
			return f;
	return NULL;
}

/* Lines "feed URL", then "etag V", "modified V", "seen H H ..." for it. */
static void load_state(struct feeds *fs)
{
	char *data = NULL;
	size_t len = 0;
	if (nw_read_file(fs->state_path, 64u << 20, &data, &len) != NW_OK)
		return;   /* first start, or unreadable: everything is fetched afresh */
	struct feed *f = NULL;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab++ = '\0';
		if (!strcmp(line, "feed"))
			f = find_feed(fs, tab);
		else if (f && !strcmp(line, "etag"))
			set_str(&f->etag, tab);
		else if (f && !strcmp(line, "modified"))
			set_str(&f->modified, tab);
		else if (f && !strcmp(line, "seen"))
			for (char *h = strtok(tab, " "); h; h = strtok(NULL, " "))
				remember(f, strtoull(h, NULL, 16));
	}
	free(data);
	fs->state_dirty = false;
}

static void save_state(struct feeds *fs)
{
	if (!fs->state_dirty)
		return;
	nw_buf b = NW_BUF_INIT;
	nw_buf_puts(&b, "# newswire feed poller state: ETag, Last-Modified and the keys of "
		    "entries seen, per feed\n");
	for (const struct feed *f = fs->feeds; f; f = f->next) {
		nw_buf_printf(&b, "feed\t%s\n", f->url);
		if (f->etag)
			nw_buf_printf(&b, "etag\t%s\n", f->etag);
		if (f->modified)
			nw_buf_printf(&b, "modified\t%s\n", f->modified);
		if (f->nseen) {
			nw_buf_puts(&b, "seen\t");
			/* oldest first, so that loading keeps the ring's order */
			size_t start = f->nseen < SEEN_MAX ? 0 : f->seen_next;
			for (size_t i = 0; i < f->nseen; i++)
				nw_buf_printf(&b, "%s%llx", i ? " " : "",
					      (unsigned long long)f->seen[(start + i) % SEEN_MAX]);
			nw_buf_putc(&b, '\n');
		}
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", fs->state_path);
	FILE *out = fopen(tmp, "w");
	bool ok = out && b.data && fwrite(b.data, 1, b.len, out) == b.len;
	if (out && fclose(out) != 0)
		ok = false;
	if (ok && rename(tmp, fs->state_path) == 0)
		fs->state_dirty = false;
	else
		nw_warn("cannot save the feed state", "file", fs->state_path, "error", strerror(errno));
	nw_buf_release(&b);
}

/* ---- ingesting a poll's new entries ---- */

/* The new entries of one poll, waiting for the engine's replies. */
struct batch {
	struct ingest_collector collector;   /* first: replies come here */
	struct feeds *fs;
	char *url;
	uint64_t *keys;
	uint32_t n, replies;
};

static void feeds_unref(struct feeds *fs);

static void batch_reply(struct ingest_collector *c, const struct nw_submit_reply *r)
{
	struct batch *b = (struct batch *)c;
	struct feed *f = b->fs->closing ? NULL : find_feed(b->fs, b->url);
	/* permanent answers are remembered; busy/unavailable are fetched again */
	bool done = r->ok || !strcmp(r->code, "invalid") || !strcmp(r->code, "too_big");
	if (f && r->index < b->n) {
		if (done)
			remember(f, b->keys[r->index]);
		if (!r->ok) {
			f->entries_rejected++;
			nw_warn("feed entry rejected", "feed", f->url, "error", r->error);
		} else if (!r->dup) {
			f->entries_new++;
		} else {
			f->entries_seen++;
		}
	}
	if (++b->replies < (r->count ? r->count : 1))
		return;
	save_state(b->fs);
	feeds_unref(b->fs);
	free(b->url);
	free(b->keys);
	free(b);
}

struct collect {
	struct feed *f;
	nw_article **arts;
	uint64_t *keys;
	size_t n, cap;
	size_t rejected;
};

static enum nw_err collect_entry(void *ctx, nw_article *a, const char *key)
{
	struct collect *c = ctx;
	uint64_t h = key_hash(key ? key : a->id);
	if (seen(c->f, h)) {
		c->f->entries_seen++;
		nw_article_destroy(&a);
		return NW_OK;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		nw_article **v = realloc(c->arts, cap * sizeof(nw_article *));
		uint64_t *k = v ? realloc(c->keys, cap * sizeof(*k)) : NULL;
		if (v)
			c->arts = v;
		if (!k) {
			nw_article_destroy(&a);
			return NW_ENOMEM;
		}
		c->keys = k;
		c->cap = cap;
	}
	c->arts[c->n] = a;
	c->keys[c->n++] = h;
	return NW_OK;
}

static void collect_reject(void *ctx, size_t entry, enum nw_err err, const char *reason)
{
	(void)err;
	struct collect *c = ctx;
	c->rejected++;
	nw_debug("feed entry skipped", "feed", c->f->url, "entry", NW_U64(entry), "reason", reason);
}

/* Parses a fetched document and ingests its unseen entries, oldest (last
 * in the document) first. Returns false with f->last_error set when the
 * feed is rejected whole. */
static bool take_document(struct feed *f)
{
	struct feeds *fs = f->fs;
	struct collect c = { .f = f };
	char charset[64];
	nw_http_charset(f->ctype, charset, sizeof charset);
	struct nw_parse_opts o = { .format = NW_FORMAT_RSS, .source = f->url,
				   .max_bytes = fs->max_bytes };
	struct nw_feed_sink sink = { collect_entry, collect_reject, &c };
	struct nw_feed_info info;
	char reason[NW_REASON_MAX];
	enum nw_err err = nw_feed_parse(f->body.data ? f->body.data : "", f->body.len,
					charset[0] ? charset : NULL, &o, &sink, &info, reason);
	f->entries_rejected += c.rejected;
	if (info.ttl_minutes > 0 && info.ttl_minutes * 60000LL > f->max_age_ms)
		f->max_age_ms = info.ttl_minutes * 60000LL;
	if (info.repaired)
		nw_debug("feed repaired", "feed", f->url, "note", info.note);
	bool ok = err == NW_OK;
	if (!ok)
		snprintf(f->last_error, sizeof f->last_error, "%s", reason);
	struct batch *b = NULL;
	if (ok && c.n && (b = calloc(1, sizeof *b)) && (b->url = nw_strdup(f->url))) {
		/* oldest first: feeds list the newest entry at the top */
		for (size_t i = 0, j = c.n - 1; i < j; i++, j--) {
			nw_article *ta = c.arts[i];
			c.arts[i] = c.arts[j];
			c.arts[j] = ta;
			uint64_t tk = c.keys[i];
			c.keys[i] = c.keys[j];
			c.keys[j] = tk;
		}
		b->collector.reply = batch_reply;
		b->fs = fs;
		b->keys = c.keys;
		b->n = (uint32_t)c.n;
		c.keys = NULL;
		fs->refs++;
		nw_info("feed has new entries", "feed", f->url, "new", NW_U64(c.n));
		ingestd_ingest_articles(fs->d, &b->collector, c.arts, c.n, f->url);
		c.n = 0;
	} else if (b) {
		free(b);
	}
	for (size_t i = 0; i < c.n; i++)
		nw_article_destroy(&c.arts[i]);
	free(c.arts);
	free(c.keys);
	return ok;
}

/* ---- transfers ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct feed *f = arg;
	size_t limit = f->fs->max_bytes * NW_FEED_SIZE_FACTOR;
	if (f->body.len + size * n > limit) {
		f->too_big = true;
		return 0;   /* aborts the transfer */
	}
	return nw_buf_append(&f->body, p, size * n) == NW_OK ? size * n : 0;
}

/* "Retry-After: 120" or an HTTP date, in ms from now. */
static int64_t retry_after_ms(const char *v)
{
	char *end;
	long secs = strtol(v, &end, 10);
	if (end != v && (*end == '\0' || *end == '\r' || *end == ' '))
		return secs > 0 ? secs * 1000LL : 0;
	struct tm tm = { 0 };
	if (!strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return 0;
	int64_t at = (int64_t)timegm(&tm) * 1000 - nw_wall_ms();
	return at > 0 ? at : 0;
}

static void header_value(const char *line, size_t n, size_t name_len, char *out, size_t outlen)
{
	const char *v = line + name_len;
	size_t k = n - name_len;
	while (k && (*v == ' ' || *v == '\t')) {
		v++;
		k--;
	}
	while (k && (v[k - 1] == '\r' || v[k - 1] == '\n' || v[k - 1] == ' '))
		k--;
	if (k >= outlen)
		k = outlen - 1;
	memcpy(out, v, k);
	out[k] = '\0';
}

/* Keeps what the schedule and the next conditional GET need from the
 * final response's headers (a redirect's are forgotten at the next
 * status line). */
static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct feed *f = arg;
	size_t len = size * n;
	char v[256];
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		f->resp_etag[0] = f->resp_modified[0] = f->ctype[0] = '\0';
		f->retry_after_ms = f->max_age_ms = 0;
	} else if (len > 5 && !strncasecmp(line, "ETag:", 5)) {
		header_value(line, len, 5, f->resp_etag, sizeof f->resp_etag);
	} else if (len > 14 && !strncasecmp(line, "Last-Modified:", 14)) {
		header_value(line, len, 14, f->resp_modified, sizeof f->resp_modified);
	} else if (len > 13 && !strncasecmp(line, "Content-Type:", 13)) {
		header_value(line, len, 13, f->ctype, sizeof f->ctype);
	} else if (len > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		header_value(line, len, 12, v, sizeof v);
		f->retry_after_ms = retry_after_ms(v);
	} else if (len > 14 && !strncasecmp(line, "Cache-Control:", 14)) {
		header_value(line, len, 14, v, sizeof v);
		const char *ma = strcasestr(v, "max-age=");
		if (ma) {
			long secs = strtol(ma + 8, NULL, 10);
			if (secs > 0 && secs * 1000LL > f->max_age_ms)
				f->max_age_ms = secs * 1000LL;
		}
	} else if (len > 8 && !strncasecmp(line, "Expires:", 8) && !f->max_age_ms) {
		header_value(line, len, 8, v, sizeof v);
		f->max_age_ms = retry_after_ms(v);
	}
	return len;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static void schedule(struct feeds *fs);

static void end_transfer(struct feed *f)
{
	curl_easy_cleanup(f->easy);
	f->easy = NULL;
	curl_slist_free_all(f->headers);
	f->headers = NULL;
	nw_buf_release(&f->body);
}

static void on_transfer_done(void *arg, CURL *easy, CURLcode rc)
{
	struct feeds *fs = arg;
	char *priv = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	struct feed *f = (struct feed *)(void *)priv;
	if (!f || f->easy != easy) {
		curl_easy_cleanup(easy);
		return;
	}
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	int64_t now = nw_mono_ms(), next = f->interval_ms;
	f->polls++;
	f->last_poll_wall_ms = nw_wall_ms();
	f->last_status = rc == CURLE_OK ? status : 0;
	bool ok = false;
	if (rc != CURLE_OK) {
		snprintf(f->last_error, sizeof f->last_error, "%s",
			 f->too_big ? "feed over the size limit (8 x max_article_bytes)"
				    : f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
	} else if (status == 304) {
		f->not_modified++;
		ok = true;
	} else if (status >= 200 && status < 300) {
		ok = take_document(f);
		if (ok) {
			if (f->resp_etag[0])
				set_str(&f->etag, f->resp_etag);
			if (f->resp_modified[0])
				set_str(&f->modified, f->resp_modified);
			fs->state_dirty = true;
		}
	} else {
		snprintf(f->last_error, sizeof f->last_error, "HTTP %ld", status);
	}
	if (ok) {
		f->errors = 0;
		f->last_error[0] = '\0';
		f->last_ok_wall_ms = f->last_poll_wall_ms;
		/* no sooner than the server says the document stays fresh */
		int64_t fresh = min64(f->max_age_ms, HINT_MAX_MS);
		next = fresh > f->interval_ms ? fresh : f->interval_ms;
	} else {
		f->failures++;
		f->errors++;
		int shift = f->errors < 16 ? f->errors : 16;
		next = min64(f->interval_ms << shift, BACKOFF_MAX_MS);
		if (next < f->interval_ms)
			next = f->interval_ms;
		if (f->retry_after_ms > next)   /* 429 and 503 say when */
			next = min64(f->retry_after_ms, HINT_MAX_MS);
		nw_warn("feed poll failed", "feed", f->url, "error", f->last_error,
			"retry_in_s", NW_U64((uint64_t)(next / 1000)));
	}
	f->due_ms = now + next;
	end_transfer(f);
	save_state(fs);
	schedule(fs);
}

static bool host_busy(const struct feeds *fs, const struct feed *f)
{
	for (const struct feed *g = fs->feeds; g; g = g->next)
		if (g != f && g->easy && !strcmp(g->host, f->host))
			return true;
	return false;
}

static void start_transfer(struct feed *f)
{
	struct feeds *fs = f->fs;
	CURL *e = curl_easy_init();
	if (!e) {
		f->due_ms = nw_mono_ms() + f->interval_ms;
		return;
	}
	f->easy = e;
	f->too_big = false;
	f->errbuf[0] = '\0';
	f->body = (nw_buf)NW_BUF_INIT;
	char line[512];
	if (f->etag) {
		snprintf(line, sizeof line, "If-None-Match: %s", f->etag);
		f->headers = curl_slist_append(f->headers, line);
	}
	if (f->modified) {
		snprintf(line, sizeof line, "If-Modified-Since: %s", f->modified);
		f->headers = curl_slist_append(f->headers, line);
	}
	f->headers = curl_slist_append(f->headers, "Accept: application/rss+xml, "
				       "application/atom+xml, application/rdf+xml, "
				       "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5");
	curl_easy_setopt(e, CURLOPT_URL, f->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");   /* gzip, deflate, ... */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)TRANSFER_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)(fs->max_bytes * NW_FEED_SIZE_FACTOR));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)f);
	if (nw_curl_uv_add(fs->curl, e) != NW_OK) {
		end_transfer(f);
		f->due_ms = nw_mono_ms() + f->interval_ms;
		return;
	}
	nw_debug("polling feed", "feed", f->url);
}

static void on_timer(uv_timer_t *t)
{
	schedule(t->data);
}

/* Starts what is due (one per host) and sleeps until the next due time. */
static void schedule(struct feeds *fs)
{
	if (fs->closing || ingestd_draining(fs->d))
		return;
	int64_t now = nw_mono_ms(), wake = INT64_MAX;
	for (struct feed *f = fs->feeds; f; f = f->next) {
		if (f->easy)
			continue;
		if (f->due_ms <= now && !host_busy(fs, f))
			start_transfer(f);
		else if (f->due_ms > now && f->due_ms < wake)
			wake = f->due_ms;
	}
	/* a feed waiting for its host is started when that transfer ends */
	if (wake != INT64_MAX)
		uv_timer_start(&fs->timer, on_timer, (uint64_t)(wake - now), 0);
	else
		uv_timer_stop(&fs->timer);
}

/* ---- the list ---- */

static void host_of(const char *url, char out[256])
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);   /* user:pass@host */
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n > 255)
		n = 255;
	memcpy(out, p, n);
	out[n] = '\0';
}

static struct feed *feed_new(struct feeds *fs, const struct feed_spec *s, int64_t due)
{
	struct feed *f = calloc(1, sizeof *f);
	if (!f || !(f->url = nw_strdup(s->url))) {
		free(f);
		return NULL;
	}
	f->fs = fs;
	f->interval_ms = s->interval_s * 1000;
	f->due_ms = due;
	host_of(f->url, f->host);
	return f;
}

static void feed_free(struct feed *f)
{
	if (f->easy) {
		nw_curl_uv_remove(f->fs->curl, f->easy);
		end_transfer(f);
	}
	free(f->url);
	free(f->etag);
	free(f->modified);
	free(f);
}

/* Makes the list match specs: kept feeds keep their state, new ones are
 * due one STAGGER_MS after another. */
static enum nw_err apply_list(struct feeds *fs, const struct feed_spec *specs, size_t n)
{
	struct feed *list = NULL, **tail = &list;
	int64_t due = nw_mono_ms();
	for (size_t i = 0; i < n; i++) {
		struct feed *f = NULL, **pp = &fs->feeds;
		while (*pp && strcmp((*pp)->url, specs[i].url) != 0)
			pp = &(*pp)->next;
		if (*pp) {   /* kept: unlink from the old list */
			f = *pp;
			*pp = f->next;
			f->interval_ms = specs[i].interval_s * 1000;
		} else if (!(f = feed_new(fs, &specs[i], due))) {
			return NW_ENOMEM;
		} else {
			due += STAGGER_MS;
		}
		f->next = NULL;
		*tail = f;
		tail = &f->next;
	}
	while (fs->feeds) {   /* what is left was removed from the file */
		struct feed *f = fs->feeds;
		fs->feeds = f->next;
		nw_info("feed removed", "feed", f->url);
		feed_free(f);
	}
	fs->feeds = list;
	fs->state_dirty = true;
	return NW_OK;
}

/* ---- start, reload, metrics, close ---- */

static void feeds_unref(struct feeds *fs)
{
	if (--fs->refs > 0)
		return;
	free(fs->list_path);
	free(fs->state_path);
	free(fs);
}

static void timer_closed(uv_handle_t *h)
{
	feeds_unref(h->data);
}

struct feeds *feeds_start(ingestd *d, uv_loop_t *loop, const nw_config *cfg, char *msg,
			  size_t msglen)
{
	struct feed_spec *specs = NULL;
	size_t n = 0;
	const char *path = nw_config_str(cfg, "ingestd", "feeds");
	if (feeds_read_list(path, &specs, &n, msg, msglen) != NW_OK)
		return NULL;
	struct feeds *fs = calloc(1, sizeof *fs);
	nw_buf state = NW_BUF_INIT;
	nw_buf_printf(&state, "%s/feeds.state", nw_config_str(cfg, "ingestd", "data_dir"));
	if (!fs || !(fs->list_path = nw_strdup(path)) || !(fs->state_path = nw_buf_detach(&state)) ||
	    !(fs->curl = nw_curl_uv_new(loop, on_transfer_done, fs)) ||
	    apply_list(fs, specs, n) != NW_OK) {
		snprintf(msg, msglen, "out of memory starting the feed poller");
		feeds_free_list(specs, n);
		nw_buf_release(&state);
		if (fs) {
			nw_curl_uv_close(fs->curl);
			fs->closing = true;
			while (fs->feeds) {
				struct feed *f = fs->feeds;
				fs->feeds = f->next;
				feed_free(f);
			}
			free(fs->list_path);
			free(fs->state_path);
			free(fs);
		}
		return NULL;
	}
	feeds_free_list(specs, n);
	fs->d = d;
	fs->loop = loop;
	fs->max_bytes = (size_t)nw_config_num(cfg, "ingestd", "max_article_bytes");
	fs->refs = 2;   /* ours and the timer's */
	uv_timer_init(loop, &fs->timer);
	fs->timer.data = fs;
	load_state(fs);
	nw_info("feed poller started", "file", path, "feeds", NW_U64(n));
	schedule(fs);
	return fs;
}

void feeds_reload(struct feeds *fs)
{
	if (!fs || fs->closing)
		return;
	struct feed_spec *specs = NULL;
	size_t n = 0;
	char msg[512];
	if (feeds_read_list(fs->list_path, &specs, &n, msg, sizeof msg) != NW_OK) {
		nw_error("feeds file not reloaded; the old list stays", "error", msg);
		return;
	}
	if (apply_list(fs, specs, n) != NW_OK)
		nw_error("out of memory reloading the feeds file");
	else
		nw_info("feeds file reloaded", "feeds", NW_U64(n));
	feeds_free_list(specs, n);
	save_state(fs);
	schedule(fs);
}

/* A label value: backslash, quote and newline escaped. */
static void label(nw_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			nw_buf_putc(b, '\\');
		if (*s == '\n')
			nw_buf_puts(b, "\\n");
		else
			nw_buf_putc(b, *s);
	}
}

static void feed_sample(nw_buf *b, const char *name, const struct feed *f, double v)
{
	nw_buf_printf(b, "%s{feed=\"", name);
	label(b, f->url);
	nw_buf_printf(b, "\"} %.17g\n", v);
}

void feeds_metrics(const struct feeds *fs, nw_buf *b)
{
	if (!fs)
		return;
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "newswire_feed_polls_total", "counter", "Polls of the feed that got an answer or failed." },
		{ "newswire_feed_not_modified_total", "counter", "Polls answered 304 Not Modified." },
		{ "newswire_feed_failures_total", "counter", "Polls that failed (transport, HTTP status, unreadable feed)." },
		{ "newswire_feed_errors", "gauge", "Consecutive failed polls (0 = healthy)." },
		{ "newswire_feed_last_status", "gauge", "HTTP status of the last poll (0 = no answer)." },
		{ "newswire_feed_entries_new_total", "counter", "Entries journaled as new articles." },
		{ "newswire_feed_entries_seen_total", "counter", "Entries skipped as seen before (or duplicates)." },
		{ "newswire_feed_entries_rejected_total", "counter", "Entries rejected (no title or text, over the size limit)." },
		{ "newswire_feed_last_success_timestamp_seconds", "gauge", "Unix time of the last good poll (0 = none)." },
		{ "newswire_feed_next_poll_seconds", "gauge", "Seconds until the next poll." },
	};
	int64_t now = nw_mono_ms();
	for (size_t i = 0; i < NW_ARRAY_LEN(m); i++) {
		nw_metric_head(b, m[i].name, m[i].type, m[i].help);
		for (const struct feed *f = fs->feeds; f; f = f->next) {
			double v = 0;
			switch (i) {
			case 0: v = (double)f->polls; break;
			case 1: v = (double)f->not_modified; break;
			case 2: v = (double)f->failures; break;
			case 3: v = f->errors; break;
			case 4: v = (double)f->last_status; break;
			case 5: v = (double)f->entries_new; break;
			case 6: v = (double)f->entries_seen; break;
			case 7: v = (double)f->entries_rejected; break;
			case 8: v = (double)f->last_ok_wall_ms / 1000.0; break;
			default: v = f->easy ? 0 : (double)(f->due_ms > now ? f->due_ms - now : 0) / 1000.0;
			}
			feed_sample(b, m[i].name, f, v);
		}
	}
}

void feeds_close(struct feeds **fsp)
{
	struct feeds *fs = *fsp;
	if (!fs)
		return;
	*fsp = NULL;
	save_state(fs);
	fs->closing = true;
	while (fs->feeds) {   /* a transfer cut short is simply fetched again */
		struct feed *f = fs->feeds;
		fs->feeds = f->next;
		feed_free(f);
	}
	nw_curl_uv_close(fs->curl);
	uv_timer_stop(&fs->timer);
	uv_close((uv_handle_t *)&fs->timer, timer_closed);
	feeds_unref(fs);
}
