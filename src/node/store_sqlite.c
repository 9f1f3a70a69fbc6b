/*
 * store_sqlite — SQLite failures and one-integer queries (see
 * store_sqlite.h).
 */
#include "store_sqlite.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define MOD "store"

static bool room_errno(int e)
{
    return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

/* True when rc, with the OS's errno os, means there was no room to write:
 * SQLite reports ENOSPC as SQLITE_FULL but a quota or a file-size limit
 * (EFBIG, RLIMIT_FSIZE) as a plain write error. */
static bool no_room(int rc, int os)
{
    if ((rc & 0xff) == SQLITE_FULL)
        return true;
    return (rc & 0xff) == SQLITE_IOERR && room_errno(os);
}

/* The errno of the last failed call on one of db's files (0: none). */
static int file_errno(sqlite3_file *f)
{
    int e = 0;
    if (f && f->pMethods && f->pMethods->xFileControl &&
        f->pMethods->xFileControl(f, SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK)
        return e;
    return 0;
}

/*
 * The OS's reason for a failed call on db. sqlite3_system_errno() is not
 * set on every path: a COMMIT whose write to the log fails leaves it as it
 * was. For a failed write, truncate or sync, the log and chain.db each keep
 * the errno of their own last failure, which is the better witness of a
 * disk with no room.
 */
static int os_errno(sqlite3 *db, int rc)
{
    int os = sqlite3_system_errno(db);
    if (rc != SQLITE_IOERR_WRITE && rc != SQLITE_IOERR_TRUNCATE &&
        rc != SQLITE_IOERR_FSYNC)
        return os;
    sqlite3_file *log = NULL, *main = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) !=
        SQLITE_OK)
        log = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &main) !=
        SQLITE_OK)
        main = NULL;
    if (room_errno(file_errno(log)))
        return file_errno(log);
    if (room_errno(file_errno(main)))
        return file_errno(main);
    return os;
}

static int map_sqlite(int rc, int os)
{
    if (no_room(rc, os))
        return ERR_FULL;
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return ERR_NOMEM;
    case SQLITE_TOOBIG:
        return ERR_RANGE;
    default:
        return ERR_IO;
    }
}

int store_sqlite_fail(sqlite3 *db, const char *dir, int rc, const char *what)
{
    /* For file errors the OS's reason says more than SQLite's message. */
    int os = 0;
    if (db && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN))
        os = os_errno(db, rc);
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (no_room(rc, os))
        msg = "no room on the disk";
    log_error(MOD, "%s: %s: %s (%s, SQLite code %d%s%s)", dir, what, msg,
              sqlite3_errstr(rc), rc, os ? ": " : "", os ? strerror(os) : "");
    return map_sqlite(rc, os);
}

int store_sqlite_int(sqlite3 *db, int64_t *out, const char *sql)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}
