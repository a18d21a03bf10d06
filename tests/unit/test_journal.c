/* The journal: append/read, restart, segment rolls, torn tails cut at every
 * kind of offset, checksum failures, damage in the middle, check and
 * repair, retention, group commit. */
#include "tests/unit/testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/journal.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/nwjournalXXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	int rc = system(cmd);
	free(f);
	return rc;
}

static nw_journal *open_journal(const char *dir, uint64_t segment_bytes,
				struct nw_journal_recovery *rec)
{
	struct nw_journal_opts o = { .dir = dir, .segment_bytes = segment_bytes };
	nw_journal *j = NULL;
	char msg[256];
	if (nw_journal_open(&o, &j, rec, msg, sizeof(msg)) != NW_OK)
		fail_msg("open: %s", msg);
	return j;
}

static void make_id(unsigned char id[16], uint64_t n)
{
	memset(id, 0, 16);
	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)((n * 0x9E3779B97F4A7C15ULL) >> (8 * i));
	id[15] = (unsigned char)n;
}

/* Payload of record n: deterministic, of varying length. */
static size_t make_payload(char *buf, uint64_t n)
{
	size_t len = 20 + (n * 37) % 300;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (n + i) % 26);
	return len;
}

static void append_n(nw_journal *j, uint64_t from, uint64_t n)
{
	char payload[400];
	unsigned char id[16];
	for (uint64_t k = from; k < from + n; k++) {
		uint64_t seq = 0;
		make_id(id, k);
		assert_int_equal(nw_journal_append(j, id, payload, make_payload(payload, k), &seq), NW_OK);
		assert_int_equal(seq, k);
	}
}

static void check_record(nw_journal *j, uint64_t n)
{
	char want[400];
	size_t len = make_payload(want, n);
	nw_buf b = NW_BUF_INIT;
	unsigned char id[16], want_id[16];
	assert_int_equal(nw_journal_read(j, n, &b, id), NW_OK);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, want, len);
	make_id(want_id, n);
	assert_memory_equal(id, want_id, 16);
	nw_buf_release(&b);
}

static void append_read_reopen(void **state)
{
	struct fixture *f = *state;
	struct nw_journal_recovery rec;
	nw_journal *j = open_journal(f->dir, 0, &rec);
	assert_int_equal(rec.records, 0);
	assert_int_equal(nw_journal_last_seq(j), 0);
	assert_int_equal(nw_journal_first_seq(j), 0);
	append_n(j, 1, 100);
	for (uint64_t n = 1; n <= 100; n++)
		check_record(j, n);
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_journal_read(j, 0, &b, NULL), NW_ENOTFOUND);
	assert_int_equal(nw_journal_read(j, 101, &b, NULL), NW_ENOTFOUND);
	nw_buf_release(&b);
	assert_int_equal(nw_journal_sync(j), NW_OK);
	assert_int_equal(nw_journal_durable_seq(j), 100);
	nw_journal_close(&j);
	assert_null(j);

	j = open_journal(f->dir, 0, &rec);
	assert_int_equal(rec.records, 100);
	assert_int_equal(rec.first_seq, 1);
	assert_int_equal(rec.last_seq, 100);
	assert_int_equal(rec.truncated_bytes, 0);
	unsigned char id[16];
	make_id(id, 42);
	assert_int_equal(nw_journal_find_id(j, id), 42);   /* dedupe survives restart */
	make_id(id, 1000);
	assert_int_equal(nw_journal_find_id(j, id), 0);
	append_n(j, 101, 5);   /* numbering continues */
	check_record(j, 105);
	check_record(j, 7);
	nw_journal_close(&j);
}

static size_t count_segments(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".seg") != NULL;
	closedir(d);
	return n;
}

struct scan_seen {
	uint64_t next;       /* seq expected next */
	uint64_t bad[8];     /* seqs reported damaged (the first 8) */
	size_t nbad;
	uint64_t stop_at;    /* return false after this seq, 0 never */
	size_t big_len;      /* length of the record larger than a chunk */
};

static bool scan_check(void *arg, uint64_t seq, const unsigned char *id, const void *payload,
		       size_t len, enum nw_err err)
{
	struct scan_seen *w = arg;
	assert_int_equal(seq, w->next);
	w->next++;
	if (err) {
		assert_int_equal(err, NW_ESYNTAX);
		assert_null(payload);
		if (w->nbad < 8)
			w->bad[w->nbad] = seq;
		w->nbad++;
	} else if (len == w->big_len) {
		assert_int_equal(((const char *)payload)[len - 1], 'z');
	} else {
		char want[400];
		unsigned char want_id[16];
		assert_int_equal(len, make_payload(want, seq));
		assert_memory_equal(payload, want, len);
		make_id(want_id, seq);
		assert_memory_equal(id, want_id, 16);
	}
	return seq != w->stop_at;
}

/* Flips one byte inside the payload of record n (found by its id, which
 * the record header holds just before the payload). */
static void corrupt_payload(const char *dir, uint64_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool done = false;
	while (!done && (e = readdir(d))) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *data = NULL;
		size_t len = 0;
		if (e->d_name[0] == '.' || nw_read_file(path, 1 << 24, &data, &len) != NW_OK)
			continue;
		unsigned char id[16];
		make_id(id, n);
		char *at = memmem(data, len, id, sizeof(id));
		if (at) {
			int fd = open(path, O_WRONLY);
			char c = 'X';
			assert_int_equal(pwrite(fd, &c, 1, at - data + 16 + 3), 1);
			close(fd);
			done = true;
		}
		free(data);
	}
	closedir(d);
	assert_true(done);
}

static void scan_runs(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 8192, NULL);
	append_n(j, 1, 200);
	/* one record larger than a read chunk, then more small ones */
	size_t big = 300 << 10;
	char *payload = malloc(big);
	memset(payload, 'q', big);
	payload[big - 1] = 'z';
	unsigned char id[16];
	uint64_t seq;
	make_id(id, 201);
	assert_int_equal(nw_journal_append(j, id, payload, big, &seq), NW_OK);
	free(payload);
	append_n(j, 202, 99);
	assert_true(count_segments(f->dir) > 5);

	struct scan_seen w = { .next = 1, .big_len = big };
	assert_int_equal(nw_journal_scan(j, 1, 300, scan_check, &w), NW_OK);
	assert_int_equal(w.next, 301);
	assert_int_equal(w.nbad, 0);

	/* a sub-range, and a stop asked by the callback */
	w = (struct scan_seen){ .next = 57, .stop_at = 150, .big_len = big };
	assert_int_equal(nw_journal_scan(j, 57, 300, scan_check, &w), NW_OK);
	assert_int_equal(w.next, 151);

	/* a damaged record is reported and the scan goes on past it */
	corrupt_payload(f->dir, 123);
	w = (struct scan_seen){ .next = 100, .big_len = big };
	assert_int_equal(nw_journal_scan(j, 100, 250, scan_check, &w), NW_OK);
	assert_int_equal(w.nbad, 1);
	assert_int_equal(w.bad[0], 123);
	assert_int_equal(w.next, 251);

	/* records that are not there */
	w = (struct scan_seen){ .next = 301 };
	assert_int_equal(nw_journal_scan(j, 301, 310, scan_check, &w), NW_ENOTFOUND);
	assert_int_equal(w.next, 301);
	nw_journal_close(&j);
}

static void segments_roll(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 4096, NULL);
	append_n(j, 1, 200);
	assert_true(count_segments(f->dir) > 10);
	for (uint64_t n = 1; n <= 200; n++)
		check_record(j, n);
	assert_int_equal(nw_journal_sync(j), NW_OK);
	nw_journal_close(&j);
	struct nw_journal_recovery rec;
	j = open_journal(f->dir, 4096, &rec);
	assert_int_equal(rec.records, 200);
	assert_true(rec.segments > 10);
	for (uint64_t n = 1; n <= 200; n++)
		check_record(j, n);
	nw_journal_close(&j);
}

/* The newest segment file. */
static void last_segment(const char *dir, char *path, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char best[256] = "";
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".seg") && strcmp(e->d_name, best) > 0)
			memcpy(best, e->d_name, strlen(e->d_name) + 1);
	closedir(d);
	snprintf(path, n, "%s/%s", dir, best);
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Cut the last segment at many offsets: every record wholly before the cut
 * survives, the torn one is dropped, and appending continues from there. */
static void torn_tail(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 0, NULL);
	append_n(j, 1, 50);
	nw_journal_close(&j);
	char path[600];
	last_segment(f->dir, path, sizeof(path));
	off_t full = file_size(path);
	char *copy = slurp(path, NULL);
	uint64_t x = 12345;
	for (int round = 0; round < 60; round++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		off_t cut = 16 + (off_t)((x >> 33) % (uint64_t)(full - 16));
		int fd = open(path, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, copy, (size_t)cut), cut);
		close(fd);
		struct nw_journal_recovery rec;
		j = open_journal(f->dir, 0, &rec);
		uint64_t last = nw_journal_last_seq(j);
		assert_true(last < 50);
		for (uint64_t n = 1; n <= last; n++)
			check_record(j, n);
		/* the cut left either nothing or a partial record, which was removed */
		assert_int_equal(file_size(path) + (off_t)rec.truncated_bytes, cut);
		append_n(j, last + 1, 1);
		check_record(j, last + 1);
		nw_journal_close(&j);
		/* restore for the next round */
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, copy, (size_t)full), full);
		close(fd);
	}
	free(copy);
}

static void checksum_failure_in_tail(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 0, NULL);
	append_n(j, 1, 20);
	nw_journal_close(&j);
	char path[600];
	last_segment(f->dir, path, sizeof(path));
	off_t size = file_size(path);
	int fd = open(path, O_RDWR);
	char c;
	assert_int_equal(pread(fd, &c, 1, size - 5), 1);   /* inside record 20's payload */
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, size - 5), 1);
	close(fd);
	struct nw_journal_recovery rec;
	j = open_journal(f->dir, 0, &rec);
	assert_int_equal(nw_journal_last_seq(j), 19);
	assert_int_equal(rec.truncated_records, 1);
	assert_non_null(strstr(rec.detail, "checksum"));
	check_record(j, 19);
	nw_journal_close(&j);
}

static void retention_by_size_and_age(void **state)
{
	struct fixture *f = *state;
	struct nw_journal_opts o = { .dir = f->dir, .segment_bytes = 4096,
				     .retention_bytes = 20000 };
	nw_journal *j = NULL;
	char msg[256];
	assert_int_equal(nw_journal_open(&o, &j, NULL, msg, sizeof(msg)), NW_OK);
	append_n(j, 1, 300);
	uint64_t before = nw_journal_bytes(j);
	size_t deleted = nw_journal_apply_retention(j, time(NULL));
	assert_true(deleted > 0);
	assert_true(nw_journal_bytes(j) <= 20000);
	assert_true(nw_journal_bytes(j) < before);
	uint64_t first = nw_journal_first_seq(j);
	assert_true(first > 1);
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_journal_read(j, first - 1, &b, NULL), NW_ENOTFOUND);
	nw_buf_release(&b);
	check_record(j, first);
	check_record(j, 300);
	unsigned char id[16];
	make_id(id, 1);
	assert_int_equal(nw_journal_find_id(j, id), 0);   /* dedupe only within retention */
	nw_journal_close(&j);

	/* age: make every segment look a day old; only the newest stays */
	DIR *d = opendir(f->dir);
	struct dirent *e;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".seg")) {
			char p[600];
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			struct timeval tv[2] = { { time(NULL) - 86400, 0 }, { time(NULL) - 86400, 0 } };
			utimes(p, tv);
		}
	closedir(d);
	o.retention_bytes = 0;
	o.retention_age = 3600;
	assert_int_equal(nw_journal_open(&o, &j, NULL, msg, sizeof(msg)), NW_OK);
	nw_journal_apply_retention(j, time(NULL));
	assert_int_equal(count_segments(f->dir), 1);
	check_record(j, 300);
	assert_int_equal(nw_journal_last_seq(j), 300);
	nw_journal_close(&j);
}

static void group_commit(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 4096, NULL);
	struct nw_journal_sync s;
	assert_false(nw_journal_sync_begin(j, &s));   /* nothing to sync */
	append_n(j, 1, 30);   /* several rolls: old segments join the sync */
	assert_int_equal(nw_journal_durable_seq(j), 0);
	assert_true(nw_journal_sync_begin(j, &s));
	struct nw_journal_sync again;
	assert_false(nw_journal_sync_begin(j, &again));   /* one in flight at a time */
	append_n(j, 31, 5);   /* appends go on while the sync runs */
	nw_journal_sync_run(&s);
	assert_int_equal(nw_journal_sync_end(j, &s), NW_OK);
	assert_int_equal(nw_journal_durable_seq(j), 30);
	assert_int_equal(nw_journal_sync(j), NW_OK);
	assert_int_equal(nw_journal_durable_seq(j), 35);
	nw_journal_close(&j);
}

/* The segment files in dir, sorted (at most 64). */
static size_t segment_names(const char *dir, char names[64][32])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d)) && n < 64)
		if (strlen(e->d_name) == 24 && strstr(e->d_name, ".seg"))
			memcpy(names[n++], e->d_name, 25);
	closedir(d);
	qsort(names, n, 32, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Flips a byte of record n's length field (its header ends with the id). */
static void corrupt_length(const char *dir, uint64_t n)
{
	char names[64][32], path[600];
	size_t count = segment_names(dir, names);
	unsigned char id[16];
	make_id(id, n);
	for (size_t i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		size_t len = 0;
		char *data = slurp(path, &len);
		char *at = memmem(data, len, id, sizeof(id));
		if (at) {
			int fd = open(path, O_WRONLY);
			char c = (char)0x7f;   /* high byte of the length: far too long */
			assert_int_equal(pwrite(fd, &c, 1, at - data - 16 + 3), 1);
			close(fd);
			free(data);
			return;
		}
		free(data);
	}
	fail_msg("record %llu not found", (unsigned long long)n);
}

struct check_totals {
	uint64_t files, records, lost, damaged, repaired, missing;
	char ranges[256];
};

static void check_collect(void *arg, const struct nw_journal_check *c)
{
	struct check_totals *t = arg;
	t->files++;
	t->records += c->records;
	t->lost += c->lost;
	t->damaged += c->damaged;
	t->repaired += c->repaired;
	t->missing += c->missing;
	if (c->damaged || c->lost) {
		size_t used = strlen(t->ranges);
		snprintf(t->ranges + used, sizeof(t->ranges) - used, "%s%s", used ? "; " : "",
			 c->ranges);
	}
}

static struct check_totals check_dir(const char *dir, bool repair, enum nw_err want)
{
	struct check_totals t = { 0 };
	char msg[512];
	enum nw_err err = nw_journal_check(dir, repair, check_collect, &t, msg, sizeof(msg));
	if (err != want)
		fail_msg("check: %s (%s)", nw_strerror(err), msg);
	if (err == NW_ESTATE)
		assert_non_null(strstr(msg, "in use"));
	return t;
}

/* A flipped byte in the middle of the journal (a payload, a length field)
 * costs just those records: the rest is read, scanned and appended to as
 * before; check finds both; repair marks them lost and keeps the rest. */
static void damage_in_the_middle(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 4096, NULL);
	append_n(j, 1, 100);
	nw_journal_close(&j);
	corrupt_payload(f->dir, 30);
	corrupt_length(f->dir, 75);
	struct nw_journal_recovery rec;
	j = open_journal(f->dir, 4096, &rec);
	assert_int_equal(nw_journal_last_seq(j), 100);
	assert_int_equal(rec.truncated_bytes, 0);
	assert_int_equal(rec.damaged_records, 1);   /* the length; a payload shows when read */
	assert_non_null(strstr(rec.damage, "seqs 75 ("));
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_journal_read(j, 30, &b, NULL), NW_ESYNTAX);
	assert_int_equal(nw_journal_read(j, 75, &b, NULL), NW_ESYNTAX);
	nw_buf_release(&b);
	for (uint64_t n = 1; n <= 100; n++)
		if (n != 30 && n != 75)
			check_record(j, n);
	struct scan_seen seen = { .next = 1 };
	assert_int_equal(nw_journal_scan(j, 1, 100, scan_check, &seen), NW_OK);
	assert_int_equal(seen.next, 101);
	assert_int_equal(seen.nbad, 2);
	assert_int_equal(seen.bad[0], 30);
	assert_int_equal(seen.bad[1], 75);
	append_n(j, 101, 1);
	check_dir(f->dir, true, NW_ESTATE);   /* no repair while the journal is open */
	nw_journal_close(&j);

	struct check_totals t = check_dir(f->dir, false, NW_OK);
	assert_int_equal(t.damaged, 2);
	assert_int_equal(t.records, 99);
	assert_string_equal(t.ranges, "30; 75");
	t = check_dir(f->dir, true, NW_OK);
	assert_int_equal(t.repaired, 2);   /* two segment files */
	t = check_dir(f->dir, false, NW_OK);
	assert_int_equal(t.damaged, 0);
	assert_int_equal(t.lost, 2);
	assert_int_equal(t.records, 101);
	j = open_journal(f->dir, 4096, &rec);
	assert_int_equal(rec.damaged_records, 0);
	assert_int_equal(rec.lost_records, 2);
	assert_int_equal(nw_journal_last_seq(j), 101);
	seen = (struct scan_seen){ .next = 1 };
	assert_int_equal(nw_journal_scan(j, 1, 101, scan_check, &seen), NW_OK);
	assert_int_equal(seen.nbad, 2);
	/* a lost record's content is new again: its id left the map */
	unsigned char id[16];
	make_id(id, 30);
	assert_int_equal(nw_journal_find_id(j, id), 0);
	append_n(j, 102, 1);
	nw_journal_close(&j);
}

/* A missing middle segment: its seqs read as damaged, later segments stay
 * (they hold acknowledged records); repair recreates the file. */
static void missing_segment(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 4096, NULL);
	append_n(j, 1, 100);
	nw_journal_close(&j);
	char names[64][32];
	size_t n = segment_names(f->dir, names);
	assert_true(n >= 4);
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", f->dir, names[n / 2]);
	unlink(p);
	uint64_t gap_first = strtoull(names[n / 2], NULL, 10);
	uint64_t gap_last = strtoull(names[n / 2 + 1], NULL, 10) - 1;
	struct nw_journal_recovery rec;
	j = open_journal(f->dir, 4096, &rec);
	assert_int_equal(nw_journal_last_seq(j), 100);
	assert_int_equal(rec.damaged_records, gap_last - gap_first + 1);
	assert_non_null(strstr(rec.damage, "file missing"));
	struct scan_seen seen = { .next = 1 };
	assert_int_equal(nw_journal_scan(j, 1, 100, scan_check, &seen), NW_OK);
	assert_int_equal(seen.nbad, gap_last - gap_first + 1);
	assert_int_equal(seen.bad[0], gap_first);
	nw_buf b = NW_BUF_INIT;
	assert_int_equal(nw_journal_read(j, gap_last, &b, NULL), NW_ESYNTAX);
	nw_buf_release(&b);
	check_record(j, gap_last + 1);
	append_n(j, 101, 3);
	nw_journal_close(&j);
	struct check_totals t = check_dir(f->dir, true, NW_OK);
	assert_int_equal(t.missing, 1);
	assert_int_equal(t.repaired, 1);
	t = check_dir(f->dir, false, NW_OK);
	assert_int_equal(t.damaged, 0);
	assert_int_equal(t.lost, gap_last - gap_first + 1);
	j = open_journal(f->dir, 4096, &rec);
	assert_int_equal(rec.lost_records, gap_last - gap_first + 1);
	check_record(j, 103);
	nw_journal_close(&j);
}

/* Two processes (or two opens) never write one journal. */
static void one_writer(void **state)
{
	struct fixture *f = *state;
	nw_journal *j = open_journal(f->dir, 0, NULL), *k = NULL;
	struct nw_journal_opts o = { .dir = f->dir };
	char msg[256];
	assert_int_equal(nw_journal_open(&o, &k, NULL, msg, sizeof(msg)), NW_ESTATE);
	assert_non_null(strstr(msg, "in use"));
	nw_journal_close(&j);
	j = open_journal(f->dir, 0, NULL);
	nw_journal_close(&j);
}

static void bad_segment_header(void **state)
{
	struct fixture *f = *state;
	char p[256];
	snprintf(p, sizeof(p), "%s/%020d.seg", f->dir, 1);
	FILE *fp = fopen(p, "w");
	fputs("this is not a journal segment", fp);
	fclose(fp);
	struct nw_journal_opts o = { .dir = f->dir };
	nw_journal *j = NULL;
	char msg[256];
	assert_int_equal(nw_journal_open(&o, &j, NULL, msg, sizeof(msg)), NW_ESYNTAX);
	assert_null(j);
	assert_non_null(strstr(msg, "not a newswire journal segment"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(append_read_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(segments_roll, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(checksum_failure_in_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_by_size_and_age, setup, teardown),
		cmocka_unit_test_setup_teardown(group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(damage_in_the_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(one_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_segment_header, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
