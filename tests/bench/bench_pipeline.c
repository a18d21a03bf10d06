/* bench-pipeline: the ingest pipeline beside its baselines, in one run.
 *   (a) raw ZeroMQ: XPUB -> SUB of the same 3-frame messages between two
 *       processes (the ceiling for publishing);
 *   (b) the disk: appends of 64 KB each followed by fdatasync (the ceiling
 *       for durable ingest);
 *   (c) newswire: pipelined submits -> a subscriber process, with
 *       fsync=off and fsync=batch;
 *   (d) submit -> subscriber latency at 1,000 articles/s, fsync=batch;
 *   (e) replay from seq 1;
 *   (f) ingestd's resident memory;
 *   (g) the same articles as HTTP POSTs on keep-alive connections beside
 *       ZeroMQ submits, with 1 and 16 requests in flight (fsync=batch);
 *   (h) ingestd's resident memory after that.
 * A measurement, not a test: it prints figures and ratios.
 *   bench-pipeline INGESTD_BINARY [ARTICLES]    (default 20000) */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <newswire/client.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/codec.h"
#include "common/util.h"

static char dir[256];
static int http_port;   /* ingestd's HTTP API */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plain-text article of about 600 bytes, unique per n; the send time
 * rides in the title so the subscriber can compute latency. */
static size_t make_article(char *buf, size_t cap, int n, double sent)
{
	return (size_t)snprintf(buf, cap,
		"Bản tin thử nghiệm số %d lúc %.6f\n\n"
		"Sáng ngày 7/8/2018, huyện Lệ Thủy tổ chức hội nghị sơ kết công tác bảo đảm an ninh "
		"trật tự, với sự tham dự của đại diện các phòng, ban chức năng và Công an huyện. "
		"Bản tin số %d.\n\nHội nghị đã thảo luận các giải pháp nâng cao hiệu quả công tác "
		"phối hợp giữa các lực lượng trên địa bàn huyện trong thời gian tới.\n", n, sent, n);
}

/* ---- (a) raw ZeroMQ ---- */

static double raw_zmq(int count, size_t payload)
{
	char ep[300];
	snprintf(ep, sizeof(ep), "ipc://%s/raw.ipc", dir);
	int fds[2];
	if (pipe(fds) != 0)
		return 0;
	pid_t child = fork();
	if (child == 0) {
		void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
		int hwm = 100000;
		zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "article", 7);
		zmq_connect(sub, ep);
		char buf[8192];
		for (int i = 0; i < count * 3; i++)
			zmq_recv(sub, buf, sizeof(buf), 0);
		double end = now();
		ssize_t w = write(fds[1], &end, sizeof(end));
		(void)w;
		_exit(0);
	}
	void *ctx = zmq_ctx_new(), *pub = zmq_socket(ctx, ZMQ_XPUB);
	int one = 1, hwm = 100000;
	zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof(one));
	zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_bind(pub, ep);
	char sub[64];
	zmq_recv(pub, sub, sizeof(sub), 0);   /* the subscription has arrived */
	char *body = calloc(1, payload), env[40] = { 0 };
	double start = now();
	for (int i = 0; i < count; i++) {
		zmq_send(pub, "article", 7, ZMQ_SNDMORE);
		zmq_send(pub, env, sizeof(env), ZMQ_SNDMORE);
		zmq_send(pub, body, payload, 0);
	}
	double end = 0;
	ssize_t r = read(fds[0], &end, sizeof(end));
	(void)r;
	waitpid(child, NULL, 0);
	zmq_close(pub);
	zmq_ctx_term(ctx);
	free(body);
	close(fds[0]);
	close(fds[1]);
	return count / (end - start);
}

/* ---- (b) the disk ---- */

static double disk_fsync(double seconds, double *mb_per_s)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/fsync.bin", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *block = calloc(1, 65536);
	int n = 0;
	double start = now(), t;
	do {
		if (write(fd, block, 65536) != 65536 || fdatasync(fd) != 0)
			break;
		n++;
	} while (now() - start < seconds);
	t = now();
	close(fd);
	unlink(path);
	free(block);
	*mb_per_s = n * 65536.0 / (1 << 20) / (t - start);
	return n / (t - start);
}

/* ---- ingestd ---- */

static pid_t start_ingestd(const char *binary, const char *fsync, const char *run)
{
	char data[300], pub[300], submit[300], replay[300], fs[64];
	snprintf(data, sizeof(data), "ingestd.data_dir=%s/%s", dir, run);
	snprintf(pub, sizeof(pub), "ingestd.publish=ipc://%s/%s-pub.ipc", dir, run);
	snprintf(submit, sizeof(submit), "ingestd.submit=ipc://%s/%s-sub.ipc", dir, run);
	snprintf(replay, sizeof(replay), "ingestd.replay=ipc://%s/%s-rep.ipc", dir, run);
	snprintf(fs, sizeof(fs), "ingestd.fsync=%s", fsync);
	char http[64];
	snprintf(http, sizeof(http), "ingestd.http=127.0.0.1:%d", http_port);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl(binary, binary, "--set", data, "--set", pub, "--set", submit, "--set", replay,
		      "--set", fs, "--set", "ingestd.publish_hwm=1000000", "--set",
		      "ingestd.log_level=warn", "--set", http, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void endpoint(char *out, size_t n, const char *run, const char *what)
{
	snprintf(out, n, "ipc://%s/%s-%s.ipc", dir, run, what);
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

struct sub_result {
	double end;
	int received;
	double lat_p50, lat_p99;
};

struct sub_state {
	int want, got;
	double *lat;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static bool on_article(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct sub_state *s = arg;
	double t = now();
	/* the title holds "... lúc <send time>"; find it in the msgpack bytes */
	const char *p = memmem(data, len, "l\xC3\xBA" "c ", 5);
	if (p && s->lat && s->got < s->want)
		s->lat[s->got] = t - strtod(p + 5, NULL);
	return ++s->got < s->want;
}

/* Runs a subscriber in a child process from seq `from` until `count`
 * articles arrived; its result comes back through the pipe fds[0]. */
static pid_t start_subscriber(const char *run, uint64_t from, int count, bool latency, int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	char pub[300], rep[300], msg[256];
	endpoint(pub, sizeof(pub), run, "pub");
	endpoint(rep, sizeof(rep), run, "rep");
	struct nw_subscriber_opts o = { .publish = pub, .replay = rep, .from = from };
	nw_subscriber *s = nw_subscriber_new(&o, msg, sizeof(msg));
	struct sub_state st = { .want = count, .lat = latency ? calloc((size_t)count, sizeof(double)) : NULL };
	struct nw_subscriber_handler h = { .article = on_article, .arg = &st };
	nw_subscriber_run(s, &h, NULL);
	struct sub_result r = { .end = now(), .received = st.got };
	if (st.lat) {
		qsort(st.lat, (size_t)count, sizeof(double), cmp_double);
		r.lat_p50 = st.lat[count / 2];
		r.lat_p99 = st.lat[count * 99 / 100];
	}
	ssize_t w = write(fds[1], &r, sizeof(r));
	(void)w;
	nw_subscriber_destroy(&s);
	_exit(0);
}

static struct sub_result finish_subscriber(pid_t pid, int fds[2])
{
	struct sub_result r = { 0 };
	ssize_t n = read(fds[0], &r, sizeof(r));
	(void)n;
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	return r;
}

static void ignore_result(void *arg, const struct nw_submit_result *r)
{
	(void)arg;
	(void)r;
}

/* Waits until ingestd answers a submit (it is then ready). */
static void wait_ready(const char *run, int n)
{
	char sub[300], msg[256], buf[2048];
	endpoint(sub, sizeof(sub), run, "sub");
	nw_producer *p = nw_producer_new(sub, msg, sizeof(msg));
	size_t len = make_article(buf, sizeof(buf), n, now());
	while (nw_producer_submit(p, "text", "bench", buf, len, 1000, ignore_result, NULL) == NW_ETIMEOUT)
		;
	nw_producer_destroy(&p);
}

/* Sends count submits without waiting for each ack (up to `window` in
 * flight), optionally paced at `rate` per second; returns when all acks
 * are in. Article n gets number base + n. */
static double pipelined_submit(const char *run, int base, int count, int window, double rate)
{
	char ep[300], buf[2048];
	endpoint(ep, sizeof(ep), run, "sub");
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER);
	int linger = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_connect(s, ep);
	nw_buf req = NW_BUF_INIT;
	int sent = 0, acked = 0;
	double start = now();
	while (acked < count) {
		bool due = rate <= 0 || now() - start >= sent / rate;
		if (sent < count && sent - acked < window && due) {
			struct nw_submit_req r = { .rid = (uint64_t)sent, .has_format = true,
						   .format = NW_FORMAT_TEXT, .source = "bench" };
			size_t len = make_article(buf, sizeof(buf), base + sent, now());
			r.data.data = buf;
			r.data.len = len;
			req.len = 0;
			nw_submit_req_encode(&r, &req);
			zmq_send(s, req.data, req.len, 0);
			sent++;
			continue;
		}
		zmq_pollitem_t item = { s, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, rate > 0 ? 1 : 1000) > 0) {
			char reply[512];
			while (zmq_recv(s, reply, sizeof(reply), ZMQ_DONTWAIT) >= 0)
				acked++;
		}
	}
	double t = now() - start;
	nw_buf_release(&req);
	zmq_close(s);
	zmq_ctx_term(ctx);
	return t;
}

/* ---- (g) HTTP POST beside ZeroMQ submit ---- */

static int pick_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

struct poster {
	CURL *easy;
	char body[2048];
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void next_post(struct poster *p, int n)
{
	size_t len = make_article(p->body, sizeof(p->body), n, now());
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE, (long)len);
}

/* POSTs count articles over `conns` keep-alive connections, each with one
 * request in flight; returns seconds, *failed counts non-202 answers. */
static double http_submit(int base, int count, int conns, int *failed)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/articles?source=bench", http_port);
	CURLM *m = curl_multi_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/plain");
	h = curl_slist_append(h, "Expect:");
	struct poster *ps = calloc((size_t)conns, sizeof(*ps));
	int sent = 0, done = 0;
	*failed = 0;
	double start = now();
	for (int i = 0; i < conns && sent < count; i++, sent++) {
		CURL *e = ps[i].easy = curl_easy_init();
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, ps[i].body);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&ps[i]);
		next_post(&ps[i], base + sent);
		curl_multi_add_handle(m, e);
	}
	while (done < count) {
		int running, left;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *e = msg->easy_handle;
			long status = 0;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
			if (msg->data.result != CURLE_OK || status != 202)
				(*failed)++;
			curl_multi_remove_handle(m, e);
			done++;
			if (sent < count) {
				char *priv = NULL;
				curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
				next_post((struct poster *)(void *)priv, base + sent++);
				curl_multi_add_handle(m, e);   /* same handle: same connection */
			}
		}
		if (done < count)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double t = now() - start;
	for (int i = 0; i < conns; i++)
		if (ps[i].easy)
			curl_easy_cleanup(ps[i].easy);
	free(ps);
	curl_slist_free_all(h);
	curl_multi_cleanup(m);
	return t;
}

static void stop_ingestd(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench-pipeline INGESTD_BINARY [ARTICLES]\n");
		return 2;
	}
	const char *binary = argv[1];
	http_port = pick_port();
	int n = argc > 2 ? atoi(argv[2]) : 20000;
	snprintf(dir, sizeof(dir), "/tmp/nwbench.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	char sample[2048];
	size_t payload = make_article(sample, sizeof(sample), 1, now());
	printf("bench-pipeline: %d articles of ~%zu bytes, work dir %s\n", n, payload, dir);

	double raw = raw_zmq(n, payload + 200);
	printf("  (a) raw ZeroMQ XPUB->SUB, 2 processes  %10.0f msg/s\n", raw);
	double mbps, fsyncs = disk_fsync(2.0, &mbps);
	printf("  (b) disk: 64 KB append + fdatasync     %10.0f /s (%.1f MB/s)\n", fsyncs, mbps);

	const char *modes[2] = { "off", "batch" };
	pid_t batch_pid = 0;
	for (int m = 0; m < 2; m++) {
		pid_t pid = start_ingestd(binary, modes[m], modes[m]);
		wait_ready(modes[m], 0);   /* seq 1 */
		int fds[2];
		pid_t sub = start_subscriber(modes[m], 2, n, false, fds);
		usleep(300000);   /* the subscriber connects; it replays whatever it misses */
		double start = now();
		double t_ack = pipelined_submit(modes[m], 1, n, 1000, 0);
		struct sub_result r = finish_subscriber(sub, fds);
		double tput = n / (r.end - start);
		printf("  (c) submit->subscriber, fsync=%-5s      %10.0f articles/s (acks after %.2f s)  "
		       "ratio %.3f of (a)\n", modes[m], tput, t_ack, tput / raw);
		if (m == 1)
			printf("      fsync=batch vs the disk: %.2f articles per fdatasync-of-64KB slot "
			       "(ratio %.2f of (b))\n", tput / fsyncs, tput / fsyncs);
		if (m == 0) {
			stop_ingestd(pid);
		} else {
			batch_pid = pid;
		}
	}

	/* (d) latency at 1,000/s with fsync=batch, on the batch instance */
	int lat_n = 3000, fds[2];
	pid_t sub = start_subscriber("batch", (uint64_t)n + 2, lat_n, true, fds);
	usleep(300000);
	pipelined_submit("batch", 1000000, lat_n, 1000, 1000.0);
	struct sub_result r = finish_subscriber(sub, fds);
	printf("  (d) latency at 1,000/s, fsync=batch    p50 %.2f ms, p99 %.2f ms\n",
	       r.lat_p50 * 1e3, r.lat_p99 * 1e3);

	/* (e) replay of everything from seq 1 */
	uint64_t total = (uint64_t)n + 1 + (uint64_t)lat_n;
	double start = now();
	sub = start_subscriber("batch", 1, (int)total, false, fds);
	r = finish_subscriber(sub, fds);
	printf("  (e) replay from seq 1                  %10.0f msg/s (%llu records)\n",
	       (double)total / (r.end - start), (unsigned long long)total);
	printf("  (f) ingestd RSS after the runs         %10.1f MB\n", (double)rss_kb(batch_pid) / 1024.0);

	/* (g) the same articles over HTTP (keep-alive) beside ZeroMQ, fsync=batch */
	int hn = n / 4 > 1000 ? n / 4 : 1000, failed = 0;
	int windows[2] = { 1, 16 };
	for (int w = 0; w < 2; w++) {
		double tz = pipelined_submit("batch", 2000000 + w * hn, hn, windows[w], 0);
		double th = http_submit(3000000 + w * hn, hn, windows[w], &failed);
		printf("  (g) %2d in flight: ZeroMQ submit %8.0f/s, HTTP POST %8.0f/s  ratio %.2f "
		       "(%d HTTP failures)\n", windows[w], hn / tz, hn / th, tz / th, failed);
	}
	printf("  (h) ingestd RSS after HTTP             %10.1f MB\n", (double)rss_kb(batch_pid) / 1024.0);
	stop_ingestd(batch_pid);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
