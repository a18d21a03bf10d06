/* SQLite, the way every service uses it: WAL mode, a busy timeout, a
 * schema applied at open, and the subscriber checkpoint kept in the same
 * database as the data it describes (so one transaction commits both). */
#ifndef NW_DB_H
#define NW_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <newswire/error.h>

/* Opens (creating it and its directory when writable) the database at
 * path, in WAL mode with synchronous=NORMAL, and runs schema (may be
 * NULL; statements separated by ';', applied in one transaction). With
 * readonly the file must exist and nothing is created or changed. On error
 * msg says why and *out is NULL. */
enum nw_err nw_db_open(const char *path, bool readonly, const char *schema, sqlite3 **out,
		       char *msg, size_t msglen);
/* The same, creating a new file with pages of page_size bytes (a power of
 * two from 512 to 65536; 0 = SQLite's default). An existing file keeps
 * its page size. */
enum nw_err nw_db_open_paged(const char *path, bool readonly, int page_size, const char *schema,
			     sqlite3 **out, char *msg, size_t msglen);
void nw_db_close(sqlite3 **db);

/* Runs SQL without results; msg gets SQLite's message on failure. */
enum nw_err nw_db_exec(sqlite3 *db, const char *sql, char *msg, size_t msglen);

/* Prepares sql (kept for the connection's life by the caller). */
enum nw_err nw_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, char *msg,
			  size_t msglen);

/* Ends the transaction begun with BEGIN: COMMIT when err is NW_OK (and
 * returns that commit's result), else ROLLBACK and err. */
enum nw_err nw_db_finish(sqlite3 *db, enum nw_err err, char *msg, size_t msglen);

/* The checkpoint stored under name (table nw_checkpoint, created by
 * nw_db_open): NW_OK with *seq, NW_ENOTFOUND when none. */
enum nw_err nw_db_checkpoint_get(sqlite3 *db, const char *name, uint64_t *seq);
/* Sets it; call inside the transaction that applied the articles. */
enum nw_err nw_db_checkpoint_set(sqlite3 *db, const char *name, uint64_t seq, char *msg,
				 size_t msglen);

#endif
