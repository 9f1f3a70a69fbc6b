/*
 * Tests for src/node/store.c, its use of the disk (split from test_store.c,
 * which covers the store's contract): the write-ahead log stays within what
 * store.h promises however many blocks are written, so the data directory
 * follows the database's size; a long log left behind by a crash is cut
 * back; and a disk with no room makes writes fail with ERR_FULL without
 * losing or corrupting anything, the store taking writes again once there
 * is room.
 *
 * "No room" is real: the test lowers its own process's file-size limit
 * (RLIMIT_FSIZE, with SIGXFSZ ignored) so that the kernel refuses SQLite's
 * writes past it with EFBIG, the way a full disk refuses them with ENOSPC.
 * Criterion runs each test in a process of its own, so the limit ends with
 * the test; it is lifted again within the test anyway.
 *
 * Every test gets a fresh directory under /tmp and removes it afterwards.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bytes.h"
#include "err.h"
#include "sha256.h"
#include "store.h"

/* What store.h promises for the log (chain.db-wal) between transactions
 * of a few blocks: ~512 KiB at most on a young chain (128 pages of 4 KiB
 * and their headers: 515 KiB), and about chain.db's size on an older one:
 * as many pages as chain.db (with the log's 24-byte page headers) and the
 * last transaction. */
#define WAL_FLOOR (520 * 1024)

static uint64_t wal_bound(uint64_t db)
{
    uint64_t b = db + db / 64 + 64 * 1024;
    return b > WAL_FLOOR ? b : WAL_FLOOR;
}

static char tmp_root[64];
static char data_dir[128]; /* tmp_root/data, not created yet */

static void make_tmp(void)
{
    strcpy(tmp_root, "/tmp/pickaxe-test-store-disk-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root), "mkdtemp: %s", strerror(errno));
    snprintf(data_dir, sizeof data_dir, "%s/data", tmp_root);
}

static int rm_entry(const char *path, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    (void)sb, (void)type, (void)ftw;
    return remove(path);
}

static void remove_tmp(void)
{
    if (tmp_root[0])
        nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store, .init = make_tmp, .fini = remove_tmp, .timeout = 60);

/* ---- deterministic test blocks ------------------------------------------ */

#define SMALL_MAX 1100
#define BIG_MIN (32 * 1024)
#define RAW_MAX (BIG_MIN + 8 * 1024)

/* Blocks of tens of KiB instead of hundreds of bytes (set per test). */
static bool big_blocks;

/* Block i's hash: SHA-256 of a label and i. */
static void blk_hash(uint8_t out[32], uint64_t i)
{
    uint8_t m[24] = "pickaxe-disk-test";
    le64_put(m + 16, i);
    sha256(out, m, sizeof m);
}

/* Block i's bytes derived from i: 100..SMALL_MAX bytes (a block's size on a
 * young chain), or BIG_MIN..RAW_MAX with big_blocks. Returns the length. */
static size_t blk_raw(uint8_t out[RAW_MAX], uint64_t i)
{
    size_t len = big_blocks
                     ? BIG_MIN + (size_t)((i * 7919) % (RAW_MAX - BIG_MIN + 1))
                     : 100 + (size_t)((i * 7919) % (SMALL_MAX - 100 + 1));
    for (size_t j = 0; j < len; j++)
        out[j] = (uint8_t)(i * 31 + j);
    return len;
}

/* Puts block i (its parent is block i - 1). Adds its size to *bytes on
 * success. */
static int put_only(store_t *s, uint64_t i, uint64_t *bytes)
{
    uint8_t raw[RAW_MAX], hash[32], parent[32] = {0};
    size_t len = blk_raw(raw, i);
    blk_hash(hash, i);
    if (i > 0)
        blk_hash(parent, i - 1);
    int rc = store_put_block(s, hash, parent, (uint32_t)i, 0, raw, len);
    if (rc == 0 && bytes)
        *bytes += len;
    return rc;
}

static int tip_to(store_t *s, uint64_t i)
{
    uint8_t hash[32];
    blk_hash(hash, i);
    return store_set_tip(s, hash);
}

/* Puts block i and, like a node, then moves the tip to it in a
 * transaction of its own. */
static int put_blk(store_t *s, uint64_t i, uint64_t *bytes)
{
    int rc = put_only(s, i, bytes);
    return rc ? rc : tip_to(s, i);
}

/* True when block i is stored with exactly its bytes. */
static bool blk_ok(store_t *s, uint64_t i)
{
    uint8_t want[RAW_MAX], hash[32];
    size_t want_len = blk_raw(want, i);
    blk_hash(hash, i);
    uint8_t *raw = NULL;
    size_t len = 0;
    if (store_get_block(s, &raw, &len, hash) != 0)
        return false;
    bool ok = len == want_len && memcmp(raw, want, len) == 0;
    free(raw);
    return ok;
}

static store_t *open_ok(void)
{
    store_t *s = NULL;
    int rc = store_open(&s, data_dir, 0);
    cr_assert_eq(rc, 0, "store_open: %s", err_str(rc));
    return s;
}

/* Size of data_dir/name in bytes; 0 when it does not exist. */
static uint64_t file_size(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

#define DB STORE_DB_NAME
#define WAL STORE_DB_NAME "-wal"
#define SHM STORE_DB_NAME "-shm"

/* ---- the log stays bounded ------------------------------------------------
 */

Test(store, log_stays_bounded_and_disk_use_follows_the_data)
{
    /* SQLite's defaults let the log reach ~4 MB (1000 pages) before the
     * first checkpoint while chain.db stays at a few KiB: 2000 blocks
     * write ~12000 pages of log, far past that, so a store without its
     * own bound fails here within the first hundred blocks. */
    enum { N = 2000 };
    store_t *s = open_ok();
    uint64_t bytes = 0, wal_max = 0;
    for (uint64_t i = 0; i < N; i++) {
        int rc = put_blk(s, i, &bytes);
        cr_assert_eq(rc, 0, "block %" PRIu64 ": %s", i, err_str(rc));
        uint64_t wal = file_size(WAL), db = file_size(DB);
        if (wal > wal_max)
            wal_max = wal;
        cr_assert_leq(wal, wal_bound(db),
                      "after block %" PRIu64 " the log is %" PRIu64
                      " bytes, chain.db %" PRIu64 ", for %" PRIu64
                      " bytes of blocks",
                      i, wal, db, bytes);
    }
    /* The blocks are in chain.db, not only in the log: the database grew
     * with them, and past the young chain's ~512 KiB the log grew with it,
     * which is what keeps checkpoints rare enough on a long chain. */
    uint64_t db = file_size(DB);
    cr_assert_geq(db, bytes,
                  "chain.db is %" PRIu64 " bytes for %" PRIu64
                  " bytes of blocks",
                  db, bytes);
    cr_assert_gt(db, 2 * WAL_FLOOR, "too few blocks to pass the floor");
    cr_assert_gt(wal_max, WAL_FLOOR * 9 / 10,
                 "the log never grew with chain.db (largest %" PRIu64 ")",
                 wal_max);
    cr_assert_leq(file_size(WAL) + file_size(SHM), wal_bound(db) + 32 * 1024);
    cr_log_info("%d blocks, %" PRIu64 " bytes: chain.db %" PRIu64
                ", largest log %" PRIu64,
                N, bytes, db, wal_max);
    for (uint64_t i = 0; i < N; i += 97)
        cr_assert(blk_ok(s, i), "block %" PRIu64, i);
    store_close(&s);
}

/*
 * Writes n transactions of one page or two to the store's database in a
 * child process that never checkpoints and dies without closing, as an
 * older pickaxe killed with a long log would leave it.
 */
static void leave_a_long_log(int n)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char path[256];
        snprintf(path, sizeof path, "%s/" DB, data_dir);
        sqlite3 *db = NULL;
        int rc = sqlite3_open(path, &db);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db,
                              "PRAGMA synchronous = OFF;"
                              "PRAGMA wal_autocheckpoint = 0;"
                              "PRAGMA journal_size_limit = -1",
                              NULL, NULL, NULL);
        for (int i = 0; rc == SQLITE_OK && i < n; i++) {
            char sql[96];
            snprintf(sql, sizeof sql,
                     "REPLACE INTO meta(key, value) VALUES ('filler', %d)", i);
            rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        }
        _exit(rc == SQLITE_OK ? 0 : 1); /* no close: no checkpoint */
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the child could not write");
}

Test(store, a_long_log_left_by_a_crash_is_cut_back)
{
    store_t *s = open_ok();
    for (uint64_t i = 0; i < 20; i++)
        cr_assert_eq(put_blk(s, i, NULL), 0);
    store_close(&s);
    leave_a_long_log(1500);
    uint64_t left = file_size(WAL);
    cr_assert_gt(left, 4 * WAL_FLOOR, "the child left a log of %" PRIu64, left);
    /* The next open recovers the log; the first commits checkpoint it,
     * start it again and cut the file back. */
    s = open_ok();
    for (uint64_t i = 20; i < 23; i++)
        cr_assert_eq(put_blk(s, i, NULL), 0);
    uint64_t after = file_size(WAL);
    cr_assert_leq(after, wal_bound(file_size(DB)),
                  "the log is still %" PRIu64 " bytes (%" PRIu64
                  " left behind), chain.db %" PRIu64,
                  after, left, file_size(DB));
    for (uint64_t i = 0; i < 23; i++)
        cr_assert(blk_ok(s, i), "block %" PRIu64, i);
    uint8_t *val = NULL;
    size_t len = 0;
    cr_assert_eq(store_meta_get(s, &val, &len, "filler"), 0);
    free(val);
    store_close(&s);
}

/* ---- no room on the disk ---------------------------------------------------
 */

static void set_fsize(rlim_t soft)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_assert(soft <= rl.rlim_max, "the hard file-size limit is too low");
    rl.rlim_cur = soft;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0, "%s", strerror(errno));
}

/* stderr goes to a file opened before the limit: the store's log lines
 * are short and few, far below the limit, so none is lost. */
static int saved_stderr = -1;
static FILE *captured;

static void capture_start(void)
{
    fflush(stderr);
    captured = tmpfile();
    cr_assert_not_null(captured);
    saved_stderr = dup(STDERR_FILENO);
    cr_assert(saved_stderr >= 0);
    cr_assert(dup2(fileno(captured), STDERR_FILENO) >= 0);
}

static const char *capture_end(void)
{
    static char text[8192];
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    rewind(captured);
    size_t n = fread(text, 1, sizeof text - 1, captured);
    text[n] = '\0';
    fclose(captured);
    fputs(text, stderr); /* still visible in a failing test's output */
    return text;
}

/* What run_out_of_room() saw: the limit it set, and chain.db's size once
 * there was room again and 20 more blocks were written. */
static uint64_t room_limit, db_after;

/*
 * Writes blocks from `warm` on under a file-size limit of `limit` bytes
 * (computed by the caller from the files' sizes after `warm` blocks) until
 * one is refused; checks that the refusal is ERR_FULL and lost nothing, that
 * the store refuses more while there is no room, and takes everything again
 * once there is. Returns what was logged while the limit held.
 */
static const char *run_out_of_room(uint64_t warm,
                                   uint64_t (*limit)(uint64_t db, uint64_t wal))
{
    signal(SIGXFSZ, SIG_IGN); /* writes past the limit fail with EFBIG */
    struct rlimit orig;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &orig), 0);

    store_t *s = open_ok();
    uint64_t i = 0;
    for (; i < warm; i++)
        cr_assert_eq(put_blk(s, i, NULL), 0);
    capture_start();
    room_limit = limit(file_size(DB), file_size(WAL));
    set_fsize((rlim_t)room_limit);
    int rc = 0;
    for (; i < 100000; i++) {
        rc = put_only(s, i, NULL);
        if (rc != 0)
            break; /* block i was refused */
        rc = tip_to(s, i);
        if (rc != 0) {
            i++; /* block i is stored, its tip could not be */
            break;
        }
    }
    uint64_t failed = i; /* the first block not stored */
    /* Still no room: the same block again, and a transaction. */
    int again = put_only(s, failed, NULL);
    cr_assert_eq(store_begin(s), 0);
    int in_txn = put_blk(s, failed + 1, NULL);
    int commit = store_commit(s);
    store_rollback(s);
    bool failed_absent = !blk_ok(s, failed);
    bool all_readable = true;
    for (uint64_t j = 0; j < failed; j++)
        all_readable = all_readable && blk_ok(s, j);
    set_fsize(orig.rlim_cur);
    const char *log = capture_end();

    cr_assert_eq(rc, ERR_FULL, "block %" PRIu64 ": %s, not ERR_FULL", failed,
                 err_str(rc));
    cr_assert_gt(failed, warm, "nothing fitted below the limit");
    cr_assert_eq(again, ERR_FULL, "retry: %s", err_str(again));
    cr_assert(in_txn == ERR_FULL || commit == ERR_FULL,
              "in a transaction: put %s, commit %s", err_str(in_txn),
              err_str(commit));
    cr_assert(failed_absent, "a refused block was stored");
    cr_assert(all_readable, "a block stored before the disk filled is lost");
    cr_assert_not_null(strstr(log, "no room on the disk"), "log: %s", log);

    /* Room again: the same handle takes the refused block and more. */
    for (uint64_t j = failed; j < failed + 20; j++) {
        rc = put_blk(s, j, NULL);
        cr_assert_eq(rc, 0, "block %" PRIu64 " after the limit: %s", j,
                     err_str(rc));
    }
    cr_assert_eq(store_check(s), 0);
    db_after = file_size(DB);
    store_close(&s);

    /* And a new handle finds every block, intact. */
    s = open_ok();
    cr_assert_eq(store_check(s), 0);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, failed + 20);
    for (uint64_t j = 0; j < n; j++)
        cr_assert(blk_ok(s, j), "block %" PRIu64 " after reopening", j);
    uint8_t tip[32], want[32];
    cr_assert_eq(store_get_tip(s, tip), 0);
    blk_hash(want, n - 1);
    cr_assert_arr_eq(tip, want, 32);
    store_close(&s);
    cr_log_info("no room after %" PRIu64 " blocks (limit set after %" PRIu64
                ")",
                failed, warm);
    return log;
}

/* 64 KiB more than the largest file: a few commits' worth of log. */
static uint64_t room_for_a_few(uint64_t db, uint64_t wal)
{
    return (db > wal ? db : wal) + 64 * 1024;
}

Test(store, no_room_for_the_log_refuses_the_write_and_keeps_the_store)
{
    run_out_of_room(50, room_for_a_few);
}

/* chain.db may grow by half, less than the next checkpoint needs, while
 * the log's next cycle (as long as chain.db) still fits. */
static uint64_t half_again(uint64_t db, uint64_t wal)
{
    (void)wal;
    return db + db / 2;
}

Test(store, no_room_for_a_checkpoint_lets_the_log_grow_then_refuses)
{
    /* Blocks of tens of KiB: a checkpoint then grows chain.db by nearly as
     * much as the log it copies, so chain.db reaches the limit first, as on
     * a full disk where the log's file is already there to be reused. */
    big_blocks = true;
    const char *log = run_out_of_room(30, half_again);
    cr_assert_not_null(strstr(log, "checkpoint"), "log: %s", log);
    /* With room again, checkpoints copied the log into chain.db. */
    cr_assert_gt(db_after, room_limit,
                 "chain.db is %" PRIu64 " bytes, the limit was %" PRIu64,
                 db_after, room_limit);
}
