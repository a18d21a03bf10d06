/* The journal: segment files of checksummed records, an in-memory index
 * of their offsets, a content-id map for dedupe, recovery of a torn tail,
 * group commit and retention.
 *
 * Segment file: a 16-byte header ("NWJ1", u32 version, u64 first seq),
 * then records: u32 payload length, u32 CRC32C of everything after the
 * CRC, u64 seq, 16-byte content id, payload. Integers are little-endian. */
#include "common/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <isa-l/crc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const unsigned char file_magic[4] = { 'N', 'W', 'J', '1' };
#define FILE_VERSION 1
#define FILE_HEADER 16
#define RECORD_HEADER 32
#define DEFAULT_SEGMENT_BYTES (64u << 20)

struct segment {
	uint64_t first_seq;
	uint64_t count;
	uint32_t *offsets;    /* of each record, count of them */
	size_t cap;
	uint64_t size;        /* bytes in the file */
	int fd;
	int refs;             /* readers in flight (under the lock) */
	bool unlinked;
	char path[];
};

struct id_slot {
	unsigned char id[NW_JOURNAL_ID_BYTES];
	uint64_t seq;         /* 0 empty, UINT64_MAX deleted */
};

struct nw_journal {
	char *dir;
	int dirfd;
	struct nw_journal_opts opts;
	struct segment **segs;
	size_t nsegs, capsegs;
	uint64_t next_seq;
	uint64_t durable_seq;
	uint64_t bytes;
	struct id_slot *ids;
	size_t ids_cap, ids_used, ids_tombs;
	int pending[6];       /* dup'ed fds of rolled segments not yet synced */
	int npending;
	bool dir_dirty;       /* a segment was created since the last sync */
	bool syncing;
	pthread_mutex_t lock; /* segs and offsets, for readers on other threads */
};

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t record_crc(const unsigned char *hdr, const void *payload, size_t len)
{
	uint32_t crc = crc32_iscsi((unsigned char *)hdr + 8, RECORD_HEADER - 8, 0);
	return crc32_iscsi((unsigned char *)payload, (int)len, crc);
}

/* ---- content id map (open addressing, linear probing) ---- */

static uint64_t id_hash(const unsigned char *id)
{
	uint64_t h;
	memcpy(&h, id, sizeof(h));   /* ids are already uniform hashes */
	return h;
}

static enum nw_err ids_grow(nw_journal *j);

static enum nw_err ids_put(nw_journal *j, const unsigned char *id, uint64_t seq)
{
	if ((j->ids_used + j->ids_tombs + 1) * 10 >= j->ids_cap * 7 && ids_grow(j))
		return NW_ENOMEM;
	size_t mask = j->ids_cap - 1, i = id_hash(id) & mask;
	struct id_slot *free_slot = NULL;
	for (; j->ids[i].seq != 0; i = (i + 1) & mask) {
		if (j->ids[i].seq == UINT64_MAX) {
			if (!free_slot)
				free_slot = &j->ids[i];
		} else if (memcmp(j->ids[i].id, id, NW_JOURNAL_ID_BYTES) == 0) {
			j->ids[i].seq = seq;   /* same content again: keep the newest */
			return NW_OK;
		}
	}
	if (free_slot)
		j->ids_tombs--;
	else
		free_slot = &j->ids[i];
	memcpy(free_slot->id, id, NW_JOURNAL_ID_BYTES);
	free_slot->seq = seq;
	j->ids_used++;
	return NW_OK;
}

/* Marks a slot deleted (its probe chain stays intact). */
static void ids_delete(nw_journal *j, struct id_slot *slot)
{
	slot->seq = UINT64_MAX;
	j->ids_used--;
	j->ids_tombs++;
}

static struct id_slot *ids_find(const nw_journal *j, const unsigned char *id)
{
	if (!j->ids_cap)
		return NULL;
	size_t mask = j->ids_cap - 1, i = id_hash(id) & mask;
	while (j->ids[i].seq != 0) {
		if (j->ids[i].seq != UINT64_MAX &&
		    memcmp(j->ids[i].id, id, NW_JOURNAL_ID_BYTES) == 0)
			return &j->ids[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

static enum nw_err ids_grow(nw_journal *j)
{
	size_t cap = j->ids_cap ? j->ids_cap * 2 : 1024;
	struct id_slot *old = j->ids;
	size_t oldcap = j->ids_cap;
	if (!(j->ids = calloc(cap, sizeof(*j->ids)))) {
		j->ids = old;
		return NW_ENOMEM;
	}
	j->ids_cap = cap;
	j->ids_used = 0;
	j->ids_tombs = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].seq != 0 && old[i].seq != UINT64_MAX)
			ids_put(j, old[i].id, old[i].seq);
	free(old);
	return NW_OK;
}

/* ---- segments ---- */

static struct segment *segment_new(const char *dir, uint64_t first_seq)
{
	size_t n = strlen(dir) + 32;
	struct segment *s = calloc(1, sizeof(*s) + n);
	if (!s)
		return NULL;
	snprintf(s->path, n, "%s/%020llu.seg", dir, (unsigned long long)first_seq);
	s->first_seq = first_seq;
	s->fd = -1;
	return s;
}

static void segment_free(struct segment *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->offsets);
	free(s);
}

static enum nw_err segment_push_offset(struct segment *s, uint32_t off)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint32_t *o = realloc(s->offsets, cap * sizeof(*o));
		if (!o)
			return NW_ENOMEM;
		s->offsets = o;
		s->cap = cap;
	}
	s->offsets[s->count++] = off;
	return NW_OK;
}

static enum nw_err push_segment(nw_journal *j, struct segment *s)
{
	if (j->nsegs == j->capsegs) {
		size_t cap = j->capsegs ? j->capsegs * 2 : 16;
		struct segment **v = realloc(j->segs, cap * sizeof(struct segment *));
		if (!v)
			return NW_ENOMEM;
		j->segs = v;
		j->capsegs = cap;
	}
	j->segs[j->nsegs++] = s;
	return NW_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* First seqs of the segment files in dir, sorted. */
static enum nw_err list_segments(const char *dir, uint64_t **out, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NW_EIO;
	uint64_t *v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		unsigned long long seq;
		char tail[8];
		if (strlen(e->d_name) != 24 || sscanf(e->d_name, "%20llu%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".seg") != 0 || seq == 0)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				closedir(d);
				return NW_ENOMEM;
			}
			v = nv;
		}
		v[len++] = seq;
	}
	closedir(d);
	if (len > 1)
		qsort(v, len, sizeof(*v), cmp_u64);
	*out = v;
	*n = len;
	return NW_OK;
}

static enum nw_err write_file_header(int fd, uint64_t first_seq)
{
	unsigned char h[FILE_HEADER];
	memcpy(h, file_magic, sizeof(file_magic));
	put32(h + 4, FILE_VERSION);
	put64(h + 8, first_seq);
	return pwrite(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) ? NW_OK : NW_EIO;
}

/* ---- walking a segment file ---- */

/* A walk over one segment's records from its header on, in seq order. A
 * record that is short, out of sequence, oversized or (when check_crc)
 * fails its checksum starts a search for the next whole record that
 * checksums (resync): the seqs in between are damaged, and the walk goes
 * on from there. When no later record is found the walk stops (off,
 * next): a torn tail in the segment being written; in any other (limit
 * set) the seqs from there to the limit are damaged too. A segment that
 * ends cleanly before its limit is not damaged: the next file is missing. */
struct walk {
	int fd;
	uint64_t size;        /* of the file */
	uint64_t first_seq;
	uint64_t limit;       /* first seq of the next segment; 0 = none */
	bool check_crc;
	uint64_t off;         /* where the walk stopped */
	uint64_t next;        /* the seq expected there */
	nw_buf buf;
	struct segment *seg;  /* offsets collected here: 0 for a damaged seq */
	nw_journal *j;        /* ids go into its map; NULL when only checking */
	uint64_t records;     /* whole records */
	uint64_t lost;        /* of them, marked lost by a repair (no payload) */
	uint64_t damaged;     /* seqs that cannot be read */
	char ranges[200];     /* the damaged and lost seqs, "A-B, C" */
	size_t ranges_len;
};

/* Whether header h at off can be record seq: in range, inside the file. */
static bool header_fits(const unsigned char *h, uint64_t off, uint64_t size, uint64_t seq)
{
	uint32_t len = get32(h);
	return len <= NW_JOURNAL_MAX_RECORD && get64(h + 8) == seq &&
	       off + RECORD_HEADER + len <= size;
}

static void note_range(struct walk *w, uint64_t from, uint64_t to)
{
	char one[48];
	int n = from == to ? snprintf(one, sizeof(one), "%s%llu", w->ranges_len ? ", " : "",
				      (unsigned long long)from)
			   : snprintf(one, sizeof(one), "%s%llu-%llu", w->ranges_len ? ", " : "",
				      (unsigned long long)from, (unsigned long long)to);
	if (w->ranges_len + (size_t)n + 4 < sizeof(w->ranges)) {
		memcpy(w->ranges + w->ranges_len, one, (size_t)n + 1);
		w->ranges_len += (size_t)n;
	} else if (w->ranges_len + 4 < sizeof(w->ranges) && !strstr(w->ranges, "...")) {
		memcpy(w->ranges + w->ranges_len, ", ...", 6);
		w->ranges_len = strlen(w->ranges);
	}
}

static enum nw_err walk_record(struct walk *w, const unsigned char *h)
{
	enum nw_err err = segment_push_offset(w->seg, (uint32_t)w->off);
	if (err)
		return err;
	w->records++;
	if (get32(h) == 0) {   /* marked lost by a repair */
		w->lost++;
		note_range(w, w->next, w->next);
		return NW_OK;
	}
	return w->j ? ids_put(w->j, h + 16, w->next) : NW_OK;
}

static enum nw_err walk_damage(struct walk *w, uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s <= to; s++) {
		enum nw_err err = segment_push_offset(w->seg, 0);
		if (err)
			return err;
	}
	w->damaged += to - from + 1;
	note_range(w, from, to);
	return NW_OK;
}

/* Sets *found and (at, seq) to the first record in [from, size) that is
 * whole and checksums, with a seq from next on and below limit; no more
 * records can lie between than RECORD_HEADER-byte slots. */
static enum nw_err resync(struct walk *w, uint64_t from, bool *found, uint64_t *at, uint64_t *seq)
{
	*found = false;
	if (from + RECORD_HEADER > w->size)
		return NW_OK;
	size_t n = (size_t)(w->size - from);
	w->buf.len = 0;
	enum nw_err err = nw_buf_reserve(&w->buf, n);
	if (err)
		return err;
	if (pread(w->fd, w->buf.data, n, (off_t)from) != (ssize_t)n)
		return NW_EIO;
	const unsigned char *p = (const unsigned char *)w->buf.data;
	for (size_t i = 0; i + RECORD_HEADER <= n; i++) {
		const unsigned char *h = p + i;
		uint64_t s = get64(h + 8);
		uint32_t len = get32(h);
		if (s < w->next || (w->limit && s >= w->limit) ||
		    s - w->next > (from + i - w->off) / RECORD_HEADER + 1 ||
		    len > NW_JOURNAL_MAX_RECORD || i + RECORD_HEADER + (size_t)len > n ||
		    record_crc(h, h + RECORD_HEADER, len) != get32(h + 4))
			continue;
		*found = true;
		*at = from + i;
		*seq = s;
		break;
	}
	return NW_OK;
}

static enum nw_err walk_segment(struct walk *w)
{
	w->off = FILE_HEADER;
	w->next = w->first_seq;
	unsigned char h[RECORD_HEADER];
	enum nw_err err;
	while (w->off + RECORD_HEADER <= w->size && (!w->limit || w->next < w->limit)) {
		if (pread(w->fd, h, sizeof(h), (off_t)w->off) != (ssize_t)sizeof(h))
			return NW_EIO;
		bool good = header_fits(h, w->off, w->size, w->next);
		if (good && w->check_crc) {
			uint32_t len = get32(h);
			w->buf.len = 0;
			if ((err = nw_buf_reserve(&w->buf, len)))
				return err;
			if (pread(w->fd, w->buf.data, len, (off_t)(w->off + RECORD_HEADER)) != (ssize_t)len)
				return NW_EIO;
			good = record_crc(h, w->buf.data, len) == get32(h + 4);
		}
		if (good) {
			if ((err = walk_record(w, h)))
				return err;
			w->off += RECORD_HEADER + get32(h);
			w->next++;
			continue;
		}
		bool found;
		uint64_t at, seq;
		if ((err = resync(w, w->off + 1, &found, &at, &seq)))
			return err;
		if (!found)
			break;
		if (seq > w->next && (err = walk_damage(w, w->next, seq - 1)))
			return err;
		w->off = at;
		w->next = seq;
	}
	if (w->limit && w->next < w->limit && w->off < w->size)   /* unreadable to its end */
		return walk_damage(w, w->next, w->limit - 1);
	return NW_OK;
}

/* Whether fd starts with a valid file header for first_seq. */
static bool header_ok(int fd, uint64_t first_seq)
{
	unsigned char fh[FILE_HEADER];
	return pread(fd, fh, sizeof(fh), 0) == (ssize_t)sizeof(fh) &&
	       memcmp(fh, file_magic, sizeof(file_magic)) == 0 && get32(fh + 4) == FILE_VERSION &&
	       get64(fh + 8) == first_seq;
}

/* Appends to rec->damage the text of a walk's damaged seqs. */
static void note_damage(struct nw_journal_recovery *rec, const char *path, const struct walk *w,
			const char *why)
{
	size_t used = strlen(rec->damage);
	if (used + 8 < sizeof(rec->damage))
		snprintf(rec->damage + used, sizeof(rec->damage) - used, "%s%s: seqs %s (%s)",
			 used ? "; " : "", path, w->ranges, why);
}

/* A segment for seqs [from, to] whose file is missing: every seq in it is
 * damaged; reads of it fail without touching a file. */
static enum nw_err push_missing(nw_journal *j, uint64_t from, uint64_t to,
				struct nw_journal_recovery *rec)
{
	struct segment *s = segment_new(j->dir, from);
	if (!s)
		return NW_ENOMEM;
	struct walk w = { .seg = s };
	enum nw_err err = walk_damage(&w, from, to);
	if (!err)
		err = push_segment(j, s);
	if (err) {
		segment_free(s);
		return err;
	}
	rec->damaged_records += w.damaged;
	note_damage(rec, s->path, &w, "file missing");
	return NW_OK;
}

/* Opens the segments in order. Records are indexed from their headers
 * (checksums too in the segment being written). A torn tail of the last
 * segment is cut: it was never acknowledged as durable. Damage anywhere
 * else (a record that is not whole or fails its checksum, a missing or
 * unreadable file) is kept as it is: the seqs in it read as damaged and
 * everything around them stays available. */
static enum nw_err recover(nw_journal *j, struct nw_journal_recovery *rec, char *msg, size_t msglen)
{
	uint64_t *firsts = NULL;
	size_t n = 0;
	enum nw_err err = list_segments(j->dir, &firsts, &n);
	if (err) {
		snprintf(msg, msglen, "%s: cannot list: %s", j->dir, strerror(errno));
		return err;
	}
	nw_buf buf = NW_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		bool last = i + 1 == n;
		if (j->nsegs) {
			const struct segment *prev = j->segs[j->nsegs - 1];
			uint64_t end = prev->first_seq + prev->count;
			if (end < firsts[i] && (err = push_missing(j, end, firsts[i] - 1, rec)))
				goto out;
		}
		struct segment *s = segment_new(j->dir, firsts[i]);
		if (!s || (err = push_segment(j, s))) {
			segment_free(s);
			err = NW_ENOMEM;
			goto out;
		}
		if ((s->fd = open(s->path, O_RDWR | O_CLOEXEC)) < 0) {
			snprintf(msg, msglen, "%s: cannot open: %s", s->path, strerror(errno));
			err = NW_EIO;
			goto out;
		}
		struct stat st;
		if (fstat(s->fd, &st) != 0) {
			err = NW_EIO;
			goto out;
		}
		s->size = (uint64_t)st.st_size;
		bool header = s->size >= FILE_HEADER && header_ok(s->fd, s->first_seq);
		if (last && s->size < FILE_HEADER) {   /* created, header never written */
			if ((err = write_file_header(s->fd, s->first_seq)))
				goto out;
			s->size = FILE_HEADER;
			header = true;
		}
		if (last && !header) {
			snprintf(msg, msglen, "%s: not a newswire journal segment (bad header); "
				 "see `newswire journal check`", s->path);
			err = NW_ESYNTAX;
			goto out;
		}
		struct walk w = { .fd = s->fd, .size = s->size, .first_seq = s->first_seq,
				  .limit = last ? 0 : firsts[i + 1], .check_crc = last || !header,
				  .buf = buf, .seg = s, .j = j };
		err = walk_segment(&w);
		buf = w.buf;
		if (err) {
			snprintf(msg, msglen, "%s: cannot read: %s", s->path, nw_strerror(err));
			goto out;
		}
		rec->damaged_records += w.damaged;
		rec->lost_records += w.lost;
		if (w.damaged || w.lost)
			note_damage(rec, s->path, &w, !header ? "bad header" : w.damaged ? "damaged"
							   : "lost, repaired");
		if (last && w.off < s->size) {
			unsigned char h[RECORD_HEADER];
			bool whole = w.off + RECORD_HEADER <= s->size &&
				     pread(s->fd, h, sizeof(h), (off_t)w.off) == (ssize_t)sizeof(h) &&
				     header_fits(h, w.off, s->size, w.next);
			uint64_t cut = s->size - w.off;
			rec->truncated_bytes += cut;
			rec->truncated_records += whole;
			snprintf(rec->detail, sizeof(rec->detail), "%s: cut %llu bytes after seq %llu (%s)",
				 s->path, (unsigned long long)cut, (unsigned long long)(w.next - 1),
				 whole ? "a record failed its checksum" : "torn record");
			if (ftruncate(s->fd, (off_t)w.off) != 0) {
				snprintf(msg, msglen, "%s: cannot cut the torn tail: %s", s->path,
					 strerror(errno));
				err = NW_EIO;
				goto out;
			}
			s->size = w.off;
		}
	}
	if (j->nsegs) {
		struct segment *s = j->segs[j->nsegs - 1];
		j->next_seq = s->first_seq + s->count;
	} else {
		j->next_seq = 1;
	}
	for (size_t i = 0; i < j->nsegs; i++)
		j->bytes += j->segs[i]->size;
out:
	nw_buf_release(&buf);
	free(firsts);
	return err;
}

enum nw_err nw_journal_open(const struct nw_journal_opts *o, nw_journal **out,
			    struct nw_journal_recovery *rec_out, char *msg, size_t msglen)
{
	struct nw_journal_recovery rec = { 0 };
	nw_journal *j = calloc(1, sizeof(*j));
	enum nw_err err = NW_ENOMEM;
	*out = NULL;
	if (!j || !(j->dir = nw_strdup(o->dir))) {
		snprintf(msg, msglen, "out of memory");
		goto fail;
	}
	j->opts = *o;
	j->opts.dir = j->dir;
	if (!j->opts.segment_bytes)
		j->opts.segment_bytes = DEFAULT_SEGMENT_BYTES;
	if (j->opts.segment_bytes > UINT32_MAX - NW_JOURNAL_MAX_RECORD)
		j->opts.segment_bytes = UINT32_MAX - NW_JOURNAL_MAX_RECORD;
	j->dirfd = -1;
	pthread_mutex_init(&j->lock, NULL);
	if ((err = nw_mkdirs(j->dir, false)) != NW_OK) {
		snprintf(msg, msglen, "%s: cannot create: %s", j->dir, strerror(errno));
		goto fail;
	}
	if ((j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(msg, msglen, "%s: cannot open: %s", j->dir, strerror(errno));
		err = NW_EIO;
		goto fail;
	}
	if (flock(j->dirfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(msg, msglen, "%s: in use by another process (another newswire-ingestd?)",
			 j->dir);
		err = NW_ESTATE;
		goto fail;
	}
	if ((err = ids_grow(j)) || (err = recover(j, &rec, msg, msglen)))
		goto fail;
	j->durable_seq = j->next_seq - 1;   /* what survived a restart is on disk */
	rec.segments = j->nsegs;
	rec.first_seq = nw_journal_first_seq(j);
	rec.last_seq = nw_journal_last_seq(j);
	for (size_t i = 0; i < j->nsegs; i++)
		rec.records += j->segs[i]->count;
	if (rec_out)
		*rec_out = rec;
	*out = j;
	return NW_OK;
fail:
	nw_journal_close(&j);
	return err;
}

void nw_journal_close(nw_journal **jp)
{
	nw_journal *j = *jp;
	if (!j)
		return;
	for (size_t i = 0; i < j->nsegs; i++)
		segment_free(j->segs[i]);
	for (int i = 0; i < j->npending; i++)
		close(j->pending[i]);
	if (j->dirfd >= 0)
		close(j->dirfd);
	pthread_mutex_destroy(&j->lock);
	free(j->segs);
	free(j->ids);
	free(j->dir);
	free(j);
	*jp = NULL;
}

/* Starts a new segment at next_seq; the previous one joins the next sync. */
static enum nw_err roll(nw_journal *j)
{
	struct segment *s = segment_new(j->dir, j->next_seq);
	if (!s)
		return NW_ENOMEM;
	s->fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (s->fd < 0 || write_file_header(s->fd, s->first_seq)) {
		int saved = errno;
		if (s->fd >= 0)
			unlink(s->path);
		segment_free(s);
		errno = saved;
		return NW_EIO;
	}
	s->size = FILE_HEADER;
	if (j->nsegs) {
		struct segment *prev = j->segs[j->nsegs - 1];
		int fd = dup(prev->fd);
		if (fd < 0 || j->npending == (int)NW_ARRAY_LEN(j->pending)) {
			/* too many rolls between syncs: sync the old one now */
			if (fd >= 0)
				close(fd);
			fdatasync(prev->fd);
		} else {
			j->pending[j->npending++] = fd;
		}
	}
	pthread_mutex_lock(&j->lock);
	enum nw_err err = push_segment(j, s);
	pthread_mutex_unlock(&j->lock);
	if (err) {
		unlink(s->path);
		segment_free(s);
		return err;
	}
	j->bytes += FILE_HEADER;
	j->dir_dirty = true;
	return NW_OK;
}

enum nw_err nw_journal_append(nw_journal *j, const unsigned char id[NW_JOURNAL_ID_BYTES],
			      const void *payload, size_t len, uint64_t *seq)
{
	if (len > NW_JOURNAL_MAX_RECORD)
		return NW_ETOOBIG;
	struct segment *s = j->nsegs ? j->segs[j->nsegs - 1] : NULL;
	enum nw_err err;
	if ((!s || s->size + RECORD_HEADER + len > j->opts.segment_bytes) &&
	    (!s || s->count > 0)) {
		if ((err = roll(j)))
			return err;
		s = j->segs[j->nsegs - 1];
	}
	unsigned char h[RECORD_HEADER];
	put32(h, (uint32_t)len);
	put64(h + 8, j->next_seq);
	memcpy(h + 16, id, NW_JOURNAL_ID_BYTES);
	put32(h + 4, record_crc(h, payload, len));
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)payload, len } };
	ssize_t w = pwritev(s->fd, iov, 2, (off_t)s->size);
	if (w != (ssize_t)(sizeof(h) + len)) {
		int saved = w < 0 ? errno : ENOSPC;
		if (ftruncate(s->fd, (off_t)s->size) != 0) {
			/* the partial record stays; recovery cuts it at next open */
		}
		errno = saved;
		return NW_EIO;
	}
	pthread_mutex_lock(&j->lock);
	err = segment_push_offset(s, (uint32_t)s->size);
	pthread_mutex_unlock(&j->lock);
	if (err || (err = ids_put(j, id, j->next_seq))) {
		if (ftruncate(s->fd, (off_t)s->size) != 0) {
			/* as above */
		}
		return err;
	}
	s->size += sizeof(h) + len;
	j->bytes += sizeof(h) + len;
	*seq = j->next_seq++;
	return NW_OK;
}

uint64_t nw_journal_find_id(const nw_journal *j, const unsigned char id[NW_JOURNAL_ID_BYTES])
{
	const struct id_slot *slot = ids_find(j, id);
	if (!slot || slot->seq < nw_journal_first_seq(j))
		return 0;
	return slot->seq;
}

uint64_t nw_journal_first_seq(const nw_journal *j)
{
	for (size_t i = 0; i < j->nsegs; i++)
		if (j->segs[i]->count)
			return j->segs[i]->first_seq;
	return 0;
}

uint64_t nw_journal_last_seq(const nw_journal *j)
{
	return j->next_seq - 1;
}

uint64_t nw_journal_durable_seq(const nw_journal *j)
{
	return j->durable_seq;
}

uint64_t nw_journal_bytes(const nw_journal *j)
{
	return j->bytes;
}

bool nw_journal_sync_begin(nw_journal *j, struct nw_journal_sync *s)
{
	memset(s, 0, sizeof(*s));
	if (j->syncing || (j->durable_seq == nw_journal_last_seq(j) && !j->npending && !j->dir_dirty))
		return false;
	for (int i = 0; i < j->npending; i++)
		s->fds[s->nfds++] = j->pending[i];
	j->npending = 0;
	if (j->nsegs) {
		int fd = dup(j->segs[j->nsegs - 1]->fd);
		if (fd >= 0)
			s->fds[s->nfds++] = fd;
		else
			s->err = NW_EIO;
	}
	if (j->dir_dirty) {
		int fd = dup(j->dirfd);
		if (fd >= 0)
			s->fds[s->nfds++] = fd;
		else
			s->err = NW_EIO;
		j->dir_dirty = false;
	}
	s->upto = nw_journal_last_seq(j);
	j->syncing = true;
	return true;
}

void nw_journal_sync_run(struct nw_journal_sync *s)
{
	for (int i = 0; i < s->nfds; i++) {
		if (fdatasync(s->fds[i]) != 0 && s->err == NW_OK) {
			s->err = NW_EIO;
			s->sys_errno = errno;
		}
		close(s->fds[i]);
	}
	s->nfds = 0;
}

enum nw_err nw_journal_sync_end(nw_journal *j, struct nw_journal_sync *s)
{
	j->syncing = false;
	if (s->err == NW_OK && s->upto > j->durable_seq)
		j->durable_seq = s->upto;
	if (s->err)
		errno = s->sys_errno;
	return s->err;
}

enum nw_err nw_journal_sync(nw_journal *j)
{
	struct nw_journal_sync s;
	if (!nw_journal_sync_begin(j, &s))
		return NW_OK;
	nw_journal_sync_run(&s);
	return nw_journal_sync_end(j, &s);
}

/* The segment holding seq, with a reference taken; NULL if none. */
static struct segment *acquire(nw_journal *j, uint64_t seq, uint32_t *off)
{
	struct segment *found = NULL;
	pthread_mutex_lock(&j->lock);
	size_t lo = 0, hi = j->nsegs;
	while (lo < hi) {   /* last segment with first_seq <= seq */
		size_t mid = (lo + hi) / 2;
		if (j->segs[mid]->first_seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		struct segment *s = j->segs[lo - 1];
		if (seq - s->first_seq < s->count) {
			*off = s->offsets[seq - s->first_seq];
			s->refs++;
			found = s;
		}
	}
	pthread_mutex_unlock(&j->lock);
	return found;
}

static void release(nw_journal *j, struct segment *s)
{
	pthread_mutex_lock(&j->lock);
	bool last = --s->refs == 0 && s->unlinked;
	pthread_mutex_unlock(&j->lock);
	if (last)
		segment_free(s);
}

enum nw_err nw_journal_read(nw_journal *j, uint64_t seq, nw_buf *out,
			    unsigned char id[NW_JOURNAL_ID_BYTES])
{
	uint32_t off = 0;
	struct segment *s = acquire(j, seq, &off);
	if (!s)
		return NW_ENOTFOUND;
	enum nw_err err = NW_OK;
	unsigned char h[RECORD_HEADER];
	if (off == 0) {   /* known damaged */
		err = NW_ESYNTAX;
		goto out;
	}
	if (pread(s->fd, h, sizeof(h), off) != (ssize_t)sizeof(h)) {
		err = NW_EIO;
		goto out;
	}
	uint32_t len = get32(h);
	if (len == 0 || len > NW_JOURNAL_MAX_RECORD || get64(h + 8) != seq) {
		err = NW_ESYNTAX;
		goto out;
	}
	out->len = 0;
	if ((err = nw_buf_reserve(out, len)))
		goto out;
	if (pread(s->fd, out->data, len, (off_t)off + RECORD_HEADER) != (ssize_t)len) {
		err = NW_EIO;
		goto out;
	}
	if (record_crc(h, out->data, len) != get32(h + 4)) {
		err = NW_ESYNTAX;
		goto out;
	}
	out->len = len;
	out->data[len] = '\0';
	if (id)
		memcpy(id, h + 16, NW_JOURNAL_ID_BYTES);
out:
	release(j, s);
	return err;
}

/* Where a run of records starting at seq lies: its segment (referenced),
 * the offset of seq (0: seq is known damaged), the last seq of the run
 * (<= upto, within the segment, before the next known damaged one), and
 * the end offset of that last record when the segment holds a readable
 * later one (else 0: the end is found from its header). */
static struct segment *acquire_run(nw_journal *j, uint64_t seq, uint64_t upto, uint32_t *off,
				   uint64_t *last, uint64_t *end)
{
	struct segment *s = acquire(j, seq, off);
	if (!s)
		return NULL;
	pthread_mutex_lock(&j->lock);
	uint64_t seg_last = s->first_seq + s->count - 1;
	uint64_t l = upto < seg_last ? upto : seg_last;
	if (*off == 0)
		l = seq;
	for (uint64_t k = seq + 1; k <= l; k++)
		if (!s->offsets[k - s->first_seq]) {
			l = k - 1;
			break;
		}
	*last = l;
	*end = l < seg_last ? s->offsets[l + 1 - s->first_seq] : 0;
	pthread_mutex_unlock(&j->lock);
	return s;
}

#define SCAN_CHUNK (256u << 10)

enum nw_err nw_journal_scan(nw_journal *j, uint64_t from, uint64_t upto, nw_journal_scan_fn fn,
			    void *arg)
{
	nw_buf chunk = NW_BUF_INIT;
	enum nw_err err = NW_OK;
	uint64_t seq = from;
	bool more = true;
	while (more && seq <= upto) {
		uint32_t off32;
		uint64_t last, end;
		struct segment *s = acquire_run(j, seq, upto, &off32, &last, &end);
		if (!s) {
			/* upto was appended, so a missing seq was deleted */
			err = NW_ENOTFOUND;
			break;
		}
		uint64_t off = off32;
		bool damaged = off32 == 0;
		while (more && seq <= last && !damaged) {
			/* read as much of the run as one chunk holds (at least one record) */
			uint64_t want = end ? end - off : SCAN_CHUNK;
			if (want > SCAN_CHUNK)
				want = SCAN_CHUNK;
			if (want < RECORD_HEADER)
				want = RECORD_HEADER;
			chunk.len = 0;
			if ((err = nw_buf_reserve(&chunk, want)))
				break;
			ssize_t got = pread(s->fd, chunk.data, want, (off_t)off);
			if (got < RECORD_HEADER) {
				err = NW_EIO;
				break;
			}
			const unsigned char *p = (const unsigned char *)chunk.data;
			size_t have = (size_t)got, pos = 0;
			while (more && seq <= last && have - pos >= RECORD_HEADER) {
				const unsigned char *h = p + pos;
				uint32_t len = get32(h);
				if (len == 0 || len > NW_JOURNAL_MAX_RECORD || get64(h + 8) != seq) {
					damaged = true;
					break;
				}
				if (have - pos < RECORD_HEADER + (size_t)len) {
					if (pos > 0)
						break;   /* read again from this record */
					/* a record bigger than a chunk: read it whole */
					chunk.len = 0;
					if ((err = nw_buf_reserve(&chunk, RECORD_HEADER + (size_t)len)))
						break;
					got = pread(s->fd, chunk.data, RECORD_HEADER + (size_t)len, (off_t)off);
					if (got != (ssize_t)(RECORD_HEADER + len)) {
						err = NW_EIO;
						break;
					}
					p = (const unsigned char *)chunk.data;
					h = p;
					have = (size_t)got;
				}
				const unsigned char *payload = h + RECORD_HEADER;
				if (record_crc(h, payload, len) != get32(h + 4)) {
					damaged = true;
					break;
				}
				more = fn(arg, seq, h + 16, payload, len, NW_OK);
				pos += RECORD_HEADER + (size_t)len;
				off += RECORD_HEADER + (uint64_t)len;
				seq++;
			}
			if (err)
				break;
		}
		release(j, s);
		if (err)
			break;
		if (damaged) {
			/* report it and go on from the next record's known offset */
			more = fn(arg, seq, NULL, NULL, 0, NW_ESYNTAX);
			seq++;
		}
	}
	nw_buf_release(&chunk);
	return err;
}

/* Removes the first segment: its ids leave the map, the file is unlinked,
 * and it is freed once no reader holds it. */
static void delete_oldest(nw_journal *j)
{
	struct segment *s = j->segs[0];
	for (uint64_t k = 0; k < s->count; k++) {
		unsigned char h[RECORD_HEADER];
		if (s->offsets[k] &&
		    pread(s->fd, h, sizeof(h), s->offsets[k]) == (ssize_t)sizeof(h)) {
			struct id_slot *slot = ids_find(j, h + 16);
			if (slot && slot->seq == get64(h + 8))
				ids_delete(j, slot);
		}
	}
	unlink(s->path);
	j->bytes -= s->size;
	pthread_mutex_lock(&j->lock);
	memmove(j->segs, j->segs + 1, (j->nsegs - 1) * sizeof(struct segment *));
	j->nsegs--;
	s->unlinked = true;
	bool free_now = s->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (free_now)
		segment_free(s);
	j->dir_dirty = true;
}

size_t nw_journal_apply_retention(nw_journal *j, int64_t now)
{
	size_t deleted = 0;
	while (j->nsegs > 1) {
		struct segment *s = j->segs[0];
		bool too_big = j->opts.retention_bytes > 0 &&
			       j->bytes > (uint64_t)j->opts.retention_bytes;
		bool too_old = false;
		struct stat st;
		if (j->opts.retention_age > 0 && fstat(s->fd, &st) == 0)
			too_old = now - st.st_mtime > j->opts.retention_age;
		if (!too_big && !too_old)
			break;
		delete_oldest(j);
		deleted++;
	}
	return deleted;
}

uint64_t nw_journal_next_seq(const nw_journal *j)
{
	return j->next_seq;
}

/* ---- check and repair ---- */

/* Writes the segment file of s for [first, last] anew: the records of s whose
 * offsets are known copied from fd, every other seq marked lost (a record
 * with no payload). The old file, if any, moves to PATH.damaged. */
static enum nw_err rewrite_segment(int dirfd, const struct segment *s, int fd,
				   uint64_t first, uint64_t last, char *msg, size_t msglen)
{
	char tmp[4200], aside[4200];
	snprintf(tmp, sizeof(tmp), "%s.repair", s->path);
	snprintf(aside, sizeof(aside), "%s.damaged", s->path);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	enum nw_err err = NW_EIO;
	nw_buf rec = NW_BUF_INIT;
	if (out < 0 || write_file_header(out, first) != NW_OK)
		goto fail;
	uint64_t pos = FILE_HEADER;
	for (uint64_t seq = first; seq <= last; seq++) {
		uint64_t k = seq - s->first_seq;
		uint32_t off = seq >= s->first_seq && k < s->count ? s->offsets[k] : 0;
		unsigned char h[RECORD_HEADER];
		const void *data = h;
		size_t len = sizeof(h);
		if (off && pread(fd, h, sizeof(h), off) == (ssize_t)sizeof(h)) {
			len = RECORD_HEADER + get32(h);
			rec.len = 0;
			if ((err = nw_buf_reserve(&rec, len)))
				goto fail;
			err = NW_EIO;
			if (pread(fd, rec.data, len, off) != (ssize_t)len)
				goto fail;
			data = rec.data;
		} else {
			memset(h, 0, sizeof(h));
			put64(h + 8, seq);
			put32(h + 4, record_crc(h, h, 0));
		}
		if (pwrite(out, data, len, (off_t)pos) != (ssize_t)len)
			goto fail;
		pos += len;
	}
	if (fdatasync(out) != 0)
		goto fail;
	close(out);
	out = -1;
	if ((fd >= 0 && rename(s->path, aside) != 0) || rename(tmp, s->path) != 0 ||
	    fsync(dirfd) != 0)
		goto fail;
	nw_buf_release(&rec);
	return NW_OK;
fail:
	snprintf(msg, msglen, "%s: cannot rewrite: %s", s->path,
		 err == NW_EIO ? strerror(errno) : nw_strerror(err));
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	nw_buf_release(&rec);
	return err;
}

/* Checks (and repairs) one segment file, or the missing seqs [first,
 * limit) when missing. */
static enum nw_err check_segment(const char *dir, int dirfd, uint64_t first, uint64_t limit,
				 bool missing, bool repair, nw_buf *buf, nw_journal_check_fn fn,
				 void *arg, uint64_t *end, char *msg, size_t msglen)
{
	struct segment *s = segment_new(dir, first);
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return NW_ENOMEM;
	}
	struct walk w = { .fd = -1, .first_seq = first, .limit = limit, .check_crc = true,
			  .buf = *buf, .seg = s };
	struct nw_journal_check c = { .path = s->path, .first_seq = first, .missing = missing };
	enum nw_err err = NW_OK;
	struct stat st;
	if (missing) {
		err = walk_damage(&w, first, limit - 1);
		w.next = limit;
	} else if ((w.fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(w.fd, &st) != 0) {
		snprintf(msg, msglen, "%s: cannot open: %s", s->path, strerror(errno));
		err = NW_EIO;
	} else {
		w.size = (uint64_t)st.st_size;
		c.bad_header = (limit || w.size >= FILE_HEADER) && !header_ok(w.fd, first);
		if ((err = walk_segment(&w)) != NW_OK)
			snprintf(msg, msglen, "%s: cannot read: %s", s->path, nw_strerror(err));
		else if (!limit && w.off < w.size && w.size > FILE_HEADER)
			c.tail_bytes = w.size - w.off;
		w.next = first + s->count;
	}
	*buf = w.buf;
	if (!err) {
		c.last_seq = w.next - 1;
		c.records = w.records;
		c.lost = w.lost;
		c.damaged = w.damaged;
		c.ranges = w.ranges;
		if (repair && (c.damaged || c.bad_header || c.tail_bytes || missing)) {
			err = rewrite_segment(dirfd, s, w.fd, first, c.last_seq, msg, msglen);
			c.repaired = err == NW_OK;
		}
		if (!err)
			fn(arg, &c);
	}
	*end = w.next;
	if (w.fd >= 0)
		close(w.fd);
	segment_free(s);
	return err;
}

enum nw_err nw_journal_check(const char *dir, bool repair, nw_journal_check_fn fn, void *arg,
			     char *msg, size_t msglen)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(msg, msglen, "%s: cannot open: %s", dir, strerror(errno));
		return NW_EIO;
	}
	if (repair && flock(dirfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(msg, msglen, "%s is in use by a running newswire-ingestd; stop it first",
			 dir);
		close(dirfd);
		return NW_ESTATE;
	}
	uint64_t *firsts = NULL;
	size_t n = 0;
	enum nw_err err = list_segments(dir, &firsts, &n);
	if (err)
		snprintf(msg, msglen, "%s: cannot list: %s", dir, strerror(errno));
	nw_buf buf = NW_BUF_INIT;
	uint64_t end = 0;   /* the seq after the previous segment's */
	for (size_t i = 0; !err && i < n; i++) {
		if (end && end < firsts[i])
			err = check_segment(dir, dirfd, end, firsts[i], true, repair, &buf, fn, arg,
					    &end, msg, msglen);
		if (!err)
			err = check_segment(dir, dirfd, firsts[i], i + 1 < n ? firsts[i + 1] : 0,
					    false, repair, &buf, fn, arg, &end, msg, msglen);
	}
	nw_buf_release(&buf);
	free(firsts);
	close(dirfd);
	return err;
}
