/*
 * store_sqlite — what the block store needs of SQLite beyond its
 * statements: what a failed call means, and one-integer queries.
 *
 * DISK FULL. A write that finds no room (SQLITE_FULL, or an I/O error whose
 * cause is ENOSPC, EDQUOT or EFBIG: disk full, quota, file-size limit)
 * returns ERR_FULL rather than ERR_IO, so a node can say why it refused a
 * block. Nothing is lost or corrupted by it: the log's commit frame is
 * written last and checksummed, so a commit that ran out of room mid-way is
 * not a commit, SQLite rolls the transaction back, and the write returns
 * the error; what was committed before stays readable and the store takes
 * writes again as soon as there is room (tests/test_store_sqlite.c).
 *
 * Every failure is logged with SQLite's own message, the OS's reason when
 * a file operation failed (SQLite does not always keep it: see os_errno()
 * in store_sqlite.c) and the store's directory, and becomes ERR_IO, or
 * ERR_NOMEM for SQLITE_NOMEM, ERR_RANGE for SQLITE_TOOBIG, ERR_FULL when
 * the disk has no room.
 *
 * Thread safety: as the connection's (store.h).
 */
#ifndef PICKAXE_STORE_SQLITE_H
#define PICKAXE_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdint.h>

/*
 * Logs a failed SQLite call (what: a few words, e.g. "put block") on db
 * (may be NULL: no connection yet) of the store in dir.
 * Returns: the matching error code (see above).
 */
int store_sqlite_fail(sqlite3 *db, const char *dir, int rc, const char *what);

/*
 * Runs a one-row, one-integer PRAGMA or query.
 * Returns: SQLITE_OK with *out set; SQLite's code otherwise (not logged).
 */
int store_sqlite_int(sqlite3 *db, int64_t *out, const char *sql);

#endif
