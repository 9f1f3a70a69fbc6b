/*
 * store — the block store: one SQLite database per data directory.
 *
 * FILES. A data directory holds chain.db (the database), chain.db-wal and
 * chain.db-shm (SQLite's write-ahead log and its index, present while the
 * store is open or after a crash) and LOCK (one node per directory:
 * store_dir.h). The directory is
 * created with mode 0700: it is the node's private state.
 *
 * SCHEMA (version 1).
 *
 *     meta(key TEXT PRIMARY KEY, value BLOB)          -- tip, network id, ...
 *     blocks(seq    INTEGER PRIMARY KEY,               -- first-seen order
 *            hash   BLOB UNIQUE (32 bytes),
 *            parent BLOB (32 bytes), height INTEGER, status INTEGER,
 *            raw    BLOB)                              -- serialized block
 *     index blocks_by_height(height)                   -- = (height, seq)
 *     index blocks_by_parent(parent)
 *
 * Blocks are looked up by hash through the UNIQUE index. seq is an alias of
 * SQLite's rowid, which a new row always gets larger than every existing one
 * (max + 1), so it records the order in which blocks were first seen; an
 * explicit INTEGER PRIMARY KEY is used rather than a hidden rowid because
 * VACUUM may renumber hidden rowids. Since every index ends with the rowid,
 * blocks_by_height is really ordered by (height, seq) and store_iterate() reads
 * it without sorting. A file is recognised as a pickaxe store by its SQLite
 * header: application_id "PKAX" and user_version = the schema version.
 * Both are written in the same transaction as the tables, so a crash while a
 * store is being created leaves an empty database that the next open creates
 * again. store_open() refuses, without writing to it, any file that is not
 * SQLite, any SQLite file of another application, and any pickaxe store of a
 * schema version it does not know (a later pickaxe would add a migration step
 * from each older version here).
 *
 * DURABILITY. The database runs in WAL mode with synchronous=NORMAL unless
 * STORE_SYNC_FULL asks for FULL. In WAL mode a commit appends the changed
 * pages and a commit frame to chain.db-wal with write(2); with NORMAL it does
 * not fsync (it fsyncs only when it checkpoints the log into chain.db). Once
 * write(2) returned, the bytes are in the kernel's page cache, which belongs to
 * the kernel, not to the process: killing the process (SIGKILL, a crash, an
 * abort) cannot take them back, and the next open replays every transaction
 * whose commit frame is in the log. A commit interrupted half-way has no valid
 * commit frame (frames carry checksums) and is ignored, but then the commit
 * never returned, so the caller never reported that block accepted. A kill
 * during a checkpoint is harmless too: the log is only reset after a complete
 * checkpoint, and the next open checkpoints again. So NORMAL meets the node's
 * contract "a block reported accepted survives a kill at any moment", which
 * the crash test in tests/test_store.c checks by killing a writer many times.
 * What NORMAL gives up is the last few commits when the operating system
 * itself crashes or the power fails before the kernel wrote its cache to disk;
 * the database is still consistent then (the log's checksums stop replay at
 * the last intact transaction), just a little behind, and a node re-fetches
 * those blocks from its peers. FULL closes that gap with an fsync of the log
 * at every commit, which costs a disk flush per block: milliseconds on most
 * disks, so STORE_SYNC_FULL is offered for operators who want it.
 *
 * DISK USE and DISK FULL: checkpoints are the store's own (store_ckpt.h),
 * and a write that finds no room is ERR_FULL (store_sqlite.h).
 *
 * LOCKING. One node per data directory (store_dir.h). A busy timeout of 5 s
 * is set as well, for what the lock file does not cover: another program
 * opening chain.db directly, such as the sqlite3 shell used to look inside a
 * running node's store. Its reads never block the node in WAL mode, but its
 * writes, or the log recovery it may run as it opens, hold SQLite locks the
 * node then waits for rather than failing.
 *
 * TRANSACTIONS. The handle is in one of three states:
 *
 *     IDLE    no explicit transaction: each write runs in its own
 *             transaction (BEGIN IMMEDIATE .. COMMIT) and is committed when
 *             it returns 0.
 *     OPEN    after store_begin(): writes join the open transaction;
 *             store_commit() -> IDLE (committed), store_rollback() -> IDLE.
 *     FAILED  a write inside OPEN failed: the store has already rolled back
 *             (SQLite may have done so itself, e.g. on SQLITE_NOMEM, and the
 *             caller's later writes must not then run in autocommit mode and
 *             land half a group on disk). Writes and store_commit() return
 *             ERR_IO; store_rollback() -> IDLE.
 *
 * ERRORS. A failing SQLite call is logged with SQLite's own message and the
 * store's directory, and becomes ERR_IO (ERR_NOMEM for SQLITE_NOMEM, ERR_RANGE
 * for SQLITE_TOOBIG, ERR_FULL when the disk has no room: store_sqlite.h).
 * Every statement is prepared once at open (SQLITE_PREPARE_PERSISTENT), kept
 * in the handle, and reset right after use, so no statement holds a read
 * transaction open between calls.
 */
#include "store.h"
#include "err.h"
#include "log.h"
#include "store_ckpt.h"
#include "store_dir.h"
#include "store_sqlite.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOD "store"

/* "PKAX" read as a big-endian 32-bit number, in the SQLite header. */
#define STORE_APP_ID 0x504b4158
#define STORE_SCHEMA_VERSION 1
#define STORE_BUSY_TIMEOUT_MS 5000
#define TIP_KEY "tip"

static const char schema_sql[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE meta("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value BLOB NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE blocks("
    "  seq INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
    "  parent BLOB NOT NULL CHECK (length(parent) = 32),"
    "  height INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  raw BLOB NOT NULL"
    ");"
    "CREATE INDEX blocks_by_height ON blocks(height);"
    "CREATE INDEX blocks_by_parent ON blocks(parent);"
    "PRAGMA application_id = 1347109208;" /* STORE_APP_ID */
    "PRAGMA user_version = 1;"            /* STORE_SCHEMA_VERSION */
    "COMMIT;";

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_PUT,
    ST_GET,
    ST_HAS,
    ST_SET_STATUS,
    ST_DELETE,
    ST_COUNT,
    ST_ITERATE,
    ST_META_PUT,
    ST_META_GET,
    ST__N
};

static const char *const stmt_sql[ST__N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PUT] = "INSERT INTO blocks(hash, parent, height, status, raw)"
               " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (hash) DO NOTHING",
    [ST_GET] = "SELECT raw FROM blocks WHERE hash = ?1",
    [ST_HAS] = "SELECT 1 FROM blocks WHERE hash = ?1",
    [ST_SET_STATUS] = "UPDATE blocks SET status = ?2 WHERE hash = ?1",
    [ST_DELETE] = "DELETE FROM blocks WHERE hash = ?1",
    [ST_COUNT] = "SELECT count(*) FROM blocks",
    [ST_ITERATE] = "SELECT seq, hash, parent, height, status, raw"
                   " FROM blocks ORDER BY height, seq",
    [ST_META_PUT] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

typedef enum { TXN_IDLE, TXN_OPEN, TXN_FAILED } txn_state_t;

struct store {
    sqlite3 *db;
    char *dir; /* for messages */
    int lock_fd;
    txn_state_t txn;
    bool iterating;
    store_ckpt_t ckpt; /* when to checkpoint (store_ckpt.h) */
    sqlite3_stmt *st[ST__N];
};

static int fail(store_t *s, int rc, const char *what)
{
    return store_sqlite_fail(s->db, s->dir, rc, what);
}

/* ---- statements --------------------------------------------------------- */

/* Resets a cached statement so it holds no read transaction or bindings. */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows (or whose rows do not matter). */
static int stmt_run(store_t *s, int id, const char *what)
{
    sqlite3_stmt *st = s->st[id];
    int rc = sqlite3_step(st);
    int ret = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : fail(s, rc, what);
    stmt_done(st);
    return ret;
}

/* Binds a blob, as a zero-length blob (not NULL) when len is 0. The data
 * is borrowed: every statement is reset and cleared before its caller
 * returns. */
static int bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
    if (len == 0)
        return sqlite3_bind_zeroblob(st, i, 0);
    return sqlite3_bind_blob64(st, i, p, (sqlite3_uint64)len, SQLITE_STATIC);
}

static int bind_hash(sqlite3_stmt *st, int i, const uint8_t *hash)
{
    return sqlite3_bind_blob(st, i, hash, STORE_HASH_LEN, SQLITE_STATIC);
}

/* Copies a blob column into a new buffer (never NULL, even for 0 bytes). */
static int copy_blob(uint8_t **out, size_t *out_len, sqlite3_stmt *st, int col)
{
    const void *p = sqlite3_column_blob(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ERR_NOMEM;
    if (len)
        memcpy(buf, p, len);
    *out = buf;
    *out_len = len;
    return 0;
}

/* ---- transactions ------------------------------------------------------- */

/* Rolls back whatever transaction SQLite still has open. */
static int txn_abort(store_t *s)
{
    if (sqlite3_get_autocommit(s->db))
        return 0; /* none open, or SQLite already rolled it back */
    return stmt_run(s, ST_ROLLBACK, "rollback");
}

/*
 * Makes SQLite's state match an IDLE handle: a ROLLBACK that failed (out of
 * memory, say) left a transaction open that nobody will commit; retry it.
 */
static int settle(store_t *s)
{
    if (s->txn == TXN_IDLE && !sqlite3_get_autocommit(s->db))
        return txn_abort(s);
    return 0;
}

/*
 * Starts a write. Outside an explicit transaction, opens one of its own
 * (*implicit = true) so that multi-statement writes are atomic.
 */
static int write_begin(store_t *s, bool *implicit)
{
    assert(!s->iterating && "store: no writes from an iterate callback");
    int rc = settle(s);
    if (rc != 0)
        return rc;
    if (s->txn == TXN_FAILED) {
        log_error(MOD,
                  "%s: write refused: this transaction failed earlier "
                  "and was rolled back; call store_rollback()",
                  s->dir);
        return ERR_IO;
    }
    *implicit = s->txn == TXN_IDLE;
    return *implicit ? stmt_run(s, ST_BEGIN, "begin") : 0;
}

/*
 * Ends a write whose result is ret. ERR_NOT_FOUND means nothing was
 * changed and is not a failure. Any other error rolls back: the write's own
 * transaction, or the caller's explicit one, which then becomes FAILED. (If
 * that ROLLBACK itself fails, settle() or store_rollback() retries it.)
 */
static int write_end(store_t *s, bool implicit, int ret)
{
    if (ret == 0 || ret == ERR_NOT_FOUND) {
        if (!implicit)
            return ret;
        int rc = stmt_run(s, ST_COMMIT, "commit");
        if (rc == 0) {
            store_ckpt_after_commit(&s->ckpt);
            return ret;
        }
        txn_abort(s);
        return rc;
    }
    txn_abort(s);
    if (!implicit)
        s->txn = TXN_FAILED;
    return ret;
}

int store_begin(store_t *s)
{
    assert(!s->iterating);
    if (s->txn != TXN_IDLE) {
        log_error(MOD, "%s: store_begin: a transaction is already open",
                  s->dir);
        return ERR_ARG;
    }
    int rc = settle(s);
    if (rc == 0)
        rc = stmt_run(s, ST_BEGIN, "begin");
    if (rc == 0)
        s->txn = TXN_OPEN;
    return rc;
}

int store_commit(store_t *s)
{
    assert(!s->iterating);
    if (s->txn == TXN_IDLE) {
        log_error(MOD, "%s: store_commit: no transaction is open", s->dir);
        return ERR_ARG;
    }
    if (s->txn == TXN_FAILED) {
        log_error(MOD,
                  "%s: commit refused: the transaction failed earlier "
                  "and was rolled back",
                  s->dir);
        if (txn_abort(s) == 0)
            s->txn = TXN_IDLE;
        return ERR_IO;
    }
    int rc = stmt_run(s, ST_COMMIT, "commit");
    if (rc == 0) {
        s->txn = TXN_IDLE;
        store_ckpt_after_commit(&s->ckpt);
        return 0;
    }
    /* SQLite keeps the transaction open after some failed commits (BUSY)
     * and rolls it back after others; either way it is over now. */
    s->txn = txn_abort(s) == 0 ? TXN_IDLE : TXN_FAILED;
    return rc == ERR_FULL ? ERR_FULL : ERR_IO;
}

int store_rollback(store_t *s)
{
    assert(!s->iterating);
    int rc = txn_abort(s);
    if (rc == 0)
        s->txn = TXN_IDLE;
    else if (s->txn == TXN_OPEN)
        s->txn = TXN_FAILED; /* refuse writes until a rollback succeeds */
    return rc;
}

/* ---- blocks ------------------------------------------------------------- */

/* Inserts one block inside the current transaction. */
static int put_one(store_t *s, const uint8_t *hash, const uint8_t *parent,
                   uint32_t height, int status, const uint8_t *raw, size_t len)
{
    sqlite3_stmt *st = s->st[ST_PUT];
    int rc = bind_hash(st, 1, hash);
    if (rc == SQLITE_OK)
        rc = bind_hash(st, 2, parent);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, height);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, status);
    if (rc == SQLITE_OK)
        rc = bind_blob(st, 5, raw, len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : fail(s, rc, "put block");
    stmt_done(st);
    return ret;
}

static int meta_put(store_t *s, const char *key, const void *val, size_t len)
{
    sqlite3_stmt *st = s->st[ST_META_PUT];
    int rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = bind_blob(st, 2, val, len);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : fail(s, rc, "put meta");
    stmt_done(st);
    return ret;
}

int store_put_block(store_t *s, const uint8_t hash[STORE_HASH_LEN],
                    const uint8_t parent[STORE_HASH_LEN], uint32_t height,
                    int status, const uint8_t *raw, size_t len)
{
    assert(hash && parent && (raw || len == 0));
    bool implicit;
    int rc = write_begin(s, &implicit);
    if (rc != 0)
        return rc;
    return write_end(s, implicit,
                     put_one(s, hash, parent, height, status, raw, len));
}

int store_put_blocks(store_t *s, const store_block_t *blocks, size_t n,
                     const uint8_t *tip)
{
    assert(blocks || n == 0);
    bool implicit;
    int rc = write_begin(s, &implicit);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const store_block_t *b = &blocks[i];
        assert(b->raw || b->len == 0);
        rc = put_one(s, b->hash, b->parent, b->height, b->status, b->raw,
                     b->len);
    }
    if (rc == 0 && tip)
        rc = meta_put(s, TIP_KEY, tip, STORE_HASH_LEN);
    return write_end(s, implicit, rc);
}

int store_get_block(store_t *s, uint8_t **raw, size_t *len,
                    const uint8_t hash[STORE_HASH_LEN])
{
    settle(s); /* never read a transaction that is being undone */
    sqlite3_stmt *st = s->st[ST_GET];
    int rc = bind_hash(st, 1, hash);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW)
        ret = copy_blob(raw, len, st, 0);
    else if (rc == SQLITE_DONE)
        ret = ERR_NOT_FOUND;
    else
        ret = fail(s, rc, "get block");
    stmt_done(st);
    return ret;
}

bool store_has_block(store_t *s, const uint8_t hash[STORE_HASH_LEN])
{
    settle(s); /* never read a transaction that is being undone */
    sqlite3_stmt *st = s->st[ST_HAS];
    int rc = bind_hash(st, 1, hash);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail(s, rc, "has block");
    stmt_done(st);
    return rc == SQLITE_ROW;
}

/* Runs a one-hash UPDATE or DELETE; ERR_NOT_FOUND when it touched no row. */
static int change_one(store_t *s, int id, const uint8_t *hash, bool with_status,
                      int status, const char *what)
{
    bool implicit;
    int ret = write_begin(s, &implicit);
    if (ret != 0)
        return ret;
    sqlite3_stmt *st = s->st[id];
    int rc = bind_hash(st, 1, hash);
    if (rc == SQLITE_OK && with_status)
        rc = sqlite3_bind_int64(st, 2, status);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        ret = sqlite3_changes(s->db) > 0 ? 0 : ERR_NOT_FOUND;
    else
        ret = fail(s, rc, what);
    stmt_done(st);
    return write_end(s, implicit, ret);
}

int store_set_status(store_t *s, const uint8_t hash[STORE_HASH_LEN], int status)
{
    return change_one(s, ST_SET_STATUS, hash, true, status, "set status");
}

int store_delete_block(store_t *s, const uint8_t hash[STORE_HASH_LEN])
{
    return change_one(s, ST_DELETE, hash, false, 0, "delete block");
}

int store_count(store_t *s, uint64_t *n)
{
    settle(s); /* never read a transaction that is being undone */
    sqlite3_stmt *st = s->st[ST_COUNT];
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(st, 0);
    else
        ret = fail(s, rc, "count blocks");
    stmt_done(st);
    return ret;
}

/* Fills b from the iterate statement's current row; ERR_IO on a malformed
 * row (which the schema's CHECKs should make impossible). */
static int read_row(store_t *s, store_block_t *b, sqlite3_stmt *st)
{
    if (sqlite3_column_bytes(st, 1) != STORE_HASH_LEN ||
        sqlite3_column_bytes(st, 2) != STORE_HASH_LEN) {
        log_error(MOD, "%s: block row %lld: bad hash length", s->dir,
                  (long long)sqlite3_column_int64(st, 0));
        return ERR_IO;
    }
    int64_t height = sqlite3_column_int64(st, 3);
    int64_t status = sqlite3_column_int64(st, 4);
    if (height < 0 || height > UINT32_MAX || status < INT32_MIN ||
        status > INT32_MAX) {
        log_error(MOD, "%s: block row %lld: height or status out of range",
                  s->dir, (long long)sqlite3_column_int64(st, 0));
        return ERR_IO;
    }
    b->seq = (uint64_t)sqlite3_column_int64(st, 0);
    memcpy(b->hash, sqlite3_column_blob(st, 1), STORE_HASH_LEN);
    memcpy(b->parent, sqlite3_column_blob(st, 2), STORE_HASH_LEN);
    b->height = (uint32_t)height;
    b->status = (int)status;
    b->raw = sqlite3_column_blob(st, 5);
    b->len = (size_t)sqlite3_column_bytes(st, 5);
    if (!b->raw) /* zero-length blob */
        b->raw = (const uint8_t *)"";
    return 0;
}

int store_iterate(store_t *s, store_block_cb cb, void *ctx)
{
    assert(!s->iterating && "store_iterate is not reentrant");
    settle(s);
    sqlite3_stmt *st = s->st[ST_ITERATE];
    s->iterating = true;
    int ret = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_block_t b;
        ret = read_row(s, &b, st);
        if (ret == 0)
            ret = cb(&b, ctx);
        if (ret != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = fail(s, rc, "iterate blocks");
    stmt_done(st);
    s->iterating = false;
    return ret;
}

/* ---- meta --------------------------------------------------------------- */

int store_meta_put(store_t *s, const char *key, const void *val, size_t len)
{
    assert(key && (val || len == 0));
    if (key[0] == '\0')
        return ERR_ARG;
    bool implicit;
    int rc = write_begin(s, &implicit);
    if (rc != 0)
        return rc;
    return write_end(s, implicit, meta_put(s, key, val, len));
}

int store_meta_get(store_t *s, uint8_t **val, size_t *len, const char *key)
{
    settle(s); /* never read a transaction that is being undone */
    sqlite3_stmt *st = s->st[ST_META_GET];
    int rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW)
        ret = copy_blob(val, len, st, 0);
    else if (rc == SQLITE_DONE)
        ret = ERR_NOT_FOUND;
    else
        ret = fail(s, rc, "get meta");
    stmt_done(st);
    return ret;
}

int store_set_tip(store_t *s, const uint8_t hash[STORE_HASH_LEN])
{
    return store_meta_put(s, TIP_KEY, hash, STORE_HASH_LEN);
}

int store_get_tip(store_t *s, uint8_t hash[STORE_HASH_LEN])
{
    uint8_t *val;
    size_t len;
    int rc = store_meta_get(s, &val, &len, TIP_KEY);
    if (rc != 0)
        return rc;
    if (len == STORE_HASH_LEN)
        memcpy(hash, val, STORE_HASH_LEN);
    else
        log_error(MOD, "%s: stored tip is %zu bytes, not 32", s->dir, len);
    free(val);
    return len == STORE_HASH_LEN ? 0 : ERR_PARSE;
}

/* ---- maintenance -------------------------------------------------------- */

int store_check(store_t *s)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, "integrity check");
    int ret = 0, shown = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);
        if (msg && strcmp(msg, "ok") == 0)
            continue;
        ret = ERR_IO;
        if (shown++ < 10)
            log_error(MOD, "%s: integrity check: %s", s->dir,
                      msg ? msg : "(null)");
    }
    if (rc != SQLITE_DONE)
        ret = fail(s, rc, "integrity check");
    sqlite3_finalize(st);
    return ret;
}

/* ---- open and close ----------------------------------------------------- */

/*
 * Decides what chain.db is. Returns 0 with *fresh set when it is an empty
 * database (to be given the schema) or a pickaxe store of this version;
 * ERR_INVALID, ERR_UNSUPPORTED or ERR_IO otherwise. Reads only.
 */
static int identify(store_t *s, bool *fresh)
{
    int64_t app_id = 0, version = 0, objects = 0;
    int rc = store_sqlite_int(s->db, &app_id, "PRAGMA application_id");
    if (rc == SQLITE_OK)
        rc = store_sqlite_int(s->db, &version, "PRAGMA user_version");
    if (rc == SQLITE_OK)
        rc = store_sqlite_int(s->db, &objects,
                              "SELECT count(*) FROM sqlite_master");
    if ((rc & 0xff) == SQLITE_NOTADB) {
        log_error(MOD,
                  "%s/" STORE_DB_NAME " is not a pickaxe store "
                  "(not an SQLite database); refusing to touch it",
                  s->dir);
        return ERR_INVALID;
    }
    if (rc != SQLITE_OK)
        return fail(s, rc, "read " STORE_DB_NAME);
    if (app_id == 0 && version == 0 && objects == 0) {
        *fresh = true;
        return 0;
    }
    if (app_id != STORE_APP_ID) {
        log_error(MOD,
                  "%s/" STORE_DB_NAME " is not a pickaxe store "
                  "(an SQLite database of another application: "
                  "application_id 0x%08" PRIx32 ", %" PRId64
                  " schema objects); refusing to touch it",
                  s->dir, (uint32_t)app_id, objects);
        return ERR_INVALID;
    }
    if (version != STORE_SCHEMA_VERSION) {
        log_error(MOD,
                  "%s/" STORE_DB_NAME " has store schema version %" PRId64
                  "; this pickaxe reads version %d only%s",
                  s->dir, version, STORE_SCHEMA_VERSION,
                  version > STORE_SCHEMA_VERSION
                      ? " (written by a newer pickaxe?)"
                      : "");
        return ERR_UNSUPPORTED;
    }
    *fresh = false;
    return 0;
}

/* Sets the pragmas; creates the schema when fresh; prepares statements. */
static int setup(store_t *s, bool fresh, unsigned flags)
{
    /* The pragma answers with the journal mode now in force. */
    char *mode = NULL;
    sqlite3_stmt *st;
    int rc =
        sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        mode = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return fail(s, rc, "set WAL mode");
    if (!mode || strcmp(mode, "wal") != 0) {
        log_error(MOD,
                  "%s: SQLite refused WAL mode (journal mode is %s); "
                  "is the directory on a network file system?",
                  s->dir, mode ? mode : "unknown");
        sqlite3_free(mode);
        return ERR_IO;
    }
    sqlite3_free(mode);

    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %s",
             (flags & STORE_SYNC_FULL) ? "FULL" : "NORMAL");
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc, "set pragmas");
    store_ckpt_init(&s->ckpt, s->db, s->dir);
    if (fresh) {
        rc = sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            int ret = fail(s, rc, "create schema");
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return ret;
        }
        log_info(MOD, "%s: created a new block store", s->dir);
    }
    for (int i = 0; i < ST__N; i++) {
        rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
        if (rc != SQLITE_OK)
            return fail(s, rc, "prepare statement");
    }
    return 0;
}

/* Opens chain.db, checks what it is, and makes it ready. */
static int open_db(store_t *s, unsigned flags)
{
    char *path = store_dir_path(s->dir, STORE_DB_NAME);
    if (!path)
        return ERR_NOMEM;
    int rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    free(path);
    if (rc != SQLITE_OK)
        return fail(s, rc, "open " STORE_DB_NAME);
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    bool fresh = false;
    int ret = identify(s, &fresh);
    if (ret == 0)
        ret = setup(s, fresh, flags);
    return ret;
}

static void destroy(store_t *s)
{
    for (int i = 0; i < ST__N; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        log_error(MOD, "%s: close: %s", s->dir, sqlite3_errmsg(s->db));
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the directory lock */
    free(s->dir);
    free(s);
}

int store_open(store_t **out, const char *dir, unsigned flags)
{
    assert(out && dir);
    if (flags & ~(unsigned)STORE_SYNC_FULL) {
        log_error(MOD, "store_open: unknown flags 0x%x", flags);
        return ERR_ARG;
    }
    if (dir[0] == '\0') {
        log_error(MOD, "store_open: empty data directory path");
        return ERR_ARG;
    }
    store_t *s = calloc(1, sizeof *s);
    if (!s)
        return ERR_NOMEM;
    s->lock_fd = -1;
    s->txn = TXN_IDLE;
    s->dir = strdup(dir);
    int ret = s->dir ? store_dir_make(dir) : ERR_NOMEM;
    if (ret == 0)
        ret = store_dir_lock(&s->lock_fd, dir);
    if (ret == 0)
        ret = open_db(s, flags);
    if (ret != 0) {
        destroy(s);
        return ret;
    }
    *out = s;
    return 0;
}

void store_close(store_t **ps)
{
    if (!ps || !*ps)
        return;
    store_t *s = *ps;
    assert(!s->iterating);
    if (s->txn != TXN_IDLE || !sqlite3_get_autocommit(s->db)) {
        log_warn(MOD, "%s: closing with an open transaction; rolled back",
                 s->dir);
        txn_abort(s);
    }
    destroy(s);
    *ps = NULL;
}
