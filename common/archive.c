/* The article archive (see archive.h). */
#include "common/archive.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/article.h"
#include "common/codec.h"
#include "common/db.h"
#include "common/log.h"

#define CHECKPOINT_NAME "archiver"

/* doc: the article as JSON (the contract's fields, seq included);
 * raw: its msgpack map as published, from which exports are rebuilt
 * exactly; published_ts: publication time in Unix seconds for ranges. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS articles ("
	" seq INTEGER PRIMARY KEY,"
	" id TEXT NOT NULL UNIQUE,"
	" source TEXT NOT NULL,"
	" lang TEXT NOT NULL,"
	" title TEXT NOT NULL,"
	" url TEXT,"
	" published TEXT,"
	" published_ts INTEGER,"
	" ingested_at TEXT,"
	" doc TEXT NOT NULL,"
	" raw BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS articles_published_ts ON articles(published_ts);"
	"CREATE INDEX IF NOT EXISTS articles_source ON articles(source)";

struct nw_archive {
	sqlite3 *db;
	sqlite3_stmt *insert;
};

enum nw_err nw_archive_open(const char *path, bool readonly, nw_archive **out, char *msg,
			    size_t msglen)
{
	nw_archive *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(msg, msglen, "out of memory");
		return NW_ENOMEM;
	}
	enum nw_err err = nw_db_open(path, readonly, readonly ? NULL : schema, &a->db, msg, msglen);
	if (!err && !readonly)
		err = nw_db_prepare(a->db,
				    "INSERT INTO articles (seq, id, source, lang, title, url, published,"
				    " published_ts, ingested_at, doc, raw)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?, unixepoch(?), ?, ?, ?)"
				    " ON CONFLICT DO NOTHING",
				    &a->insert, msg, msglen);
	if (err) {
		nw_archive_close(&a);
		return err;
	}
	*out = a;
	return NW_OK;
}

void nw_archive_close(nw_archive **ap)
{
	nw_archive *a = *ap;
	if (!a)
		return;
	sqlite3_finalize(a->insert);
	nw_db_close(&a->db);
	free(a);
	*ap = NULL;
}

uint64_t nw_archive_checkpoint(nw_archive *a)
{
	uint64_t seq = 0;
	return nw_db_checkpoint_get(a->db, CHECKPOINT_NAME, &seq) == NW_OK ? seq : 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Inserts one article; NW_OK, or NW_EIO with msg. */
static enum nw_err insert_one(nw_archive *a, const nw_article *art, const void *raw, size_t len,
			      struct nw_archive_store_stats *st, char *msg, size_t msglen)
{
	char *doc = nw_article_to_json_text(art, false);
	if (!doc) {
		snprintf(msg, msglen, "out of memory");
		return NW_ENOMEM;
	}
	sqlite3_stmt *s = a->insert;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)art->seq);
	sqlite3_bind_text(s, 2, art->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, art->source ? art->source : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, art->lang ? art->lang : "und", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, art->title ? art->title : "", -1, SQLITE_TRANSIENT);
	bind_opt(s, 6, art->url);
	bind_opt(s, 7, art->published);
	bind_opt(s, 8, art->published);
	bind_opt(s, 9, art->ingested_at);
	sqlite3_bind_text(s, 10, doc, -1, free);
	sqlite3_bind_blob(s, 11, raw, (int)len, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		snprintf(msg, msglen, "cannot store seq %llu: %s", (unsigned long long)art->seq,
			 sqlite3_errmsg(a->db));
		return NW_EIO;
	}
	if (sqlite3_changes(a->db) == 0)
		st->duplicates++;   /* seq or id stored already: kept as it was */
	else
		st->stored++;
	return NW_OK;
}

enum nw_err nw_archive_store(nw_archive *a, const struct nw_service_batch *b,
			     struct nw_archive_store_stats *st, char *msg, size_t msglen)
{
	enum nw_err err = nw_db_exec(a->db, "BEGIN IMMEDIATE", msg, msglen);
	if (err)
		return err;
	for (size_t i = 0; i < b->n && !err; i++) {
		nw_article *art = NULL;
		if (nw_service_batch_article(b, i, &art) != NW_OK) {
			st->undecodable++;
			nw_warn("article does not decode; not archived", "seq", NW_U64(b->items[i].seq));
			continue;
		}
		err = insert_one(a, art, b->data.data + b->items[i].off, b->items[i].len, st, msg,
				 msglen);
		nw_article_destroy(&art);
	}
	if (!err)
		err = nw_db_checkpoint_set(a->db, CHECKPOINT_NAME, b->last_seq, msg, msglen);
	return nw_db_finish(a->db, err, msg, msglen);
}

static bool all_digits(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool is_id(const char *s)
{
	if (strlen(s) != NW_ID_LEN)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

enum nw_err nw_archive_get(nw_archive *a, const char *key, char **json)
{
	bool by_seq = all_digits(key, 19);
	if (!by_seq && !is_id(key))
		return NW_EINVAL;
	sqlite3_stmt *st = NULL;
	const char *sql = by_seq ? "SELECT doc FROM articles WHERE seq = ?"
				 : "SELECT doc FROM articles WHERE id = ?";
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NW_EIO;
	if (by_seq)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)strtoull(key, NULL, 10));
	else
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	enum nw_err err = NW_ENOTFOUND;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = (*json = nw_strdup((const char *)sqlite3_column_text(st, 0))) ? NW_OK : NW_ENOMEM;
	else if (rc != SQLITE_DONE)
		err = NW_EIO;
	sqlite3_finalize(st);
	return err;
}

/* The ninjs text of a stored msgpack article. */
static char *ninjs_text(const void *raw, size_t len, uint64_t seq)
{
	nw_article *art = NULL;
	if (nw_article_decode(raw, len, NULL, &art) != NW_OK)
		return NULL;
	art->seq = seq;
	json_t *o = nw_article_to_ninjs(art);
	nw_article_destroy(&art);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

enum nw_err nw_archive_export(nw_archive *a, const struct nw_archive_range *r,
			      nw_archive_each_fn fn, void *arg, char *msg, size_t msglen)
{
	sqlite3_stmt *st = NULL;
	const char *sql =
		"SELECT seq, doc, raw FROM articles"
		" WHERE seq >= ?1 AND (?2 = 0 OR seq <= ?2)"
		" AND (?3 = 0 OR published_ts >= ?3) AND (?4 = 0 OR published_ts <= ?4)"
		" ORDER BY seq";
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "%s", sqlite3_errmsg(a->db));
		return NW_EIO;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->from_seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->to_seq);
	sqlite3_bind_int64(st, 3, r->since);
	sqlite3_bind_int64(st, 4, r->until);
	enum nw_err err = NW_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		bool more;
		if (r->ninjs) {
			char *text = ninjs_text(sqlite3_column_blob(st, 2),
						(size_t)sqlite3_column_bytes(st, 2), seq);
			if (!text) {
				snprintf(msg, msglen, "seq %llu: the stored article does not decode",
					 (unsigned long long)seq);
				err = NW_ESYNTAX;
				break;
			}
			more = fn(arg, text);
			free(text);
		} else {
			more = fn(arg, (const char *)sqlite3_column_text(st, 1));
		}
		if (!more)
			break;
	}
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(msg, msglen, "%s", sqlite3_errmsg(a->db));
		err = NW_EIO;
	}
	sqlite3_finalize(st);
	return err;
}

uint64_t nw_archive_count(nw_archive *a)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM articles", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
