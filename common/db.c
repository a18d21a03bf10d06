/* SQLite helpers shared by the archiver, indexer, notifier and the CLI. */
#include "common/db.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define BUSY_TIMEOUT_MS 5000

static void set_msg(char *msg, size_t msglen, sqlite3 *db, const char *what)
{
	snprintf(msg, msglen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

enum nw_err nw_db_exec(sqlite3 *db, const char *sql, char *msg, size_t msglen)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		/* a short statement (BEGIN, COMMIT) is named: it says at which step */
		snprintf(msg, msglen, "%s%s%s", strlen(sql) <= 24 ? sql : "",
			 strlen(sql) <= 24 ? ": " : "", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return NW_EIO;
	}
	return NW_OK;
}

enum nw_err nw_db_finish(sqlite3 *db, enum nw_err err, char *msg, size_t msglen)
{
	if (!err)
		err = nw_db_exec(db, "COMMIT", msg, msglen);
	if (err)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

enum nw_err nw_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, char *msg,
			  size_t msglen)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK) {
		set_msg(msg, msglen, db, "cannot prepare a statement");
		return NW_EIO;
	}
	return NW_OK;
}

enum nw_err nw_db_open(const char *path, bool readonly, const char *schema, sqlite3 **out,
		       char *msg, size_t msglen)
{
	return nw_db_open_paged(path, readonly, 0, schema, out, msg, msglen);
}

enum nw_err nw_db_open_paged(const char *path, bool readonly, int page_size, const char *schema,
			     sqlite3 **out, char *msg, size_t msglen)
{
	*out = NULL;
	if (!readonly && nw_mkdirs(path, true) != NW_OK) {
		snprintf(msg, msglen, "cannot create the directory of %s", path);
		return NW_EIO;
	}
	sqlite3 *db = NULL;
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(msg, msglen, "cannot open %s: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NW_EIO;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db, 1);
	char err[512];
	enum nw_err rc = NW_OK;
	if (!readonly && page_size) {
		/* takes effect only while the file is new (before WAL is set) */
		char pragma[48];
		snprintf(pragma, sizeof(pragma), "PRAGMA page_size=%d", page_size);
		rc = nw_db_exec(db, pragma, err, sizeof(err));
	}
	if (!readonly && !rc) {
		/* WAL: readers (the CLI) never block the writer; NORMAL: a power
		 * loss may lose the last transactions but never splits one, and
		 * the checkpoint travels with the data, so replay refills them */
		rc = nw_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				    "PRAGMA foreign_keys=ON;"
				    "CREATE TABLE IF NOT EXISTS nw_checkpoint ("
				    " name TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
				    " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))",
				err, sizeof(err));
		if (!rc && schema) {
			nw_buf sql = NW_BUF_INIT;
			nw_buf_printf(&sql, "BEGIN; %s; COMMIT;", schema);
			rc = nw_db_exec(db, sql.data, err, sizeof(err));
			nw_buf_release(&sql);
			if (rc)
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		}
	} else {
		/* a read-only check that the file is a database */
		rc = nw_db_exec(db, "SELECT count(*) FROM sqlite_schema", err, sizeof(err));
	}
	if (rc) {
		snprintf(msg, msglen, "%s: %s", path, err);
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return NW_OK;
}

void nw_db_close(sqlite3 **db)
{
	if (*db)
		sqlite3_close_v2(*db);
	*db = NULL;
}

enum nw_err nw_db_checkpoint_get(sqlite3 *db, const char *name, uint64_t *seq)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT seq FROM nw_checkpoint WHERE name = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return NW_EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	enum nw_err err = NW_OK;
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	else
		err = rc == SQLITE_DONE ? NW_ENOTFOUND : NW_EIO;
	sqlite3_finalize(st);
	return err;
}

enum nw_err nw_db_checkpoint_set(sqlite3 *db, const char *name, uint64_t seq, char *msg,
				 size_t msglen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(db,
			       "INSERT INTO nw_checkpoint (name, seq) VALUES (?, ?) "
			       "ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, "
			       "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')",
			       -1, 0, &st, NULL) != SQLITE_OK) {
		set_msg(msg, msglen, db, "cannot save the checkpoint");
		return NW_EIO;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	enum nw_err err = sqlite3_step(st) == SQLITE_DONE ? NW_OK : NW_EIO;
	if (err)
		set_msg(msg, msglen, db, "cannot save the checkpoint");
	sqlite3_finalize(st);
	return err;
}
