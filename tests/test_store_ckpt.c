/*
 * Tests for src/node/store_ckpt.c, through the store: the write-ahead log
 * stays within what store_ckpt.h promises however many blocks are
 * written, so the data directory follows the database's size; and a long
 * log left behind by a crash is cut back by the next commits. (What the
 * store does when the disk has no room is test_store_sqlite.c's.)
 *
 * Every test gets a fresh directory under /tmp and removes it afterwards.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "store.h"
#include "store_rig.h"

TestSuite(store_ckpt, .init = sr_make_tmp, .fini = sr_remove_tmp,
          .timeout = 60);

#define DB STORE_DB_NAME
#define WAL STORE_DB_NAME "-wal"
#define SHM STORE_DB_NAME "-shm"

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

/* ---- the log stays bounded ------------------------------------------------
 */

Test(store_ckpt, log_stays_bounded_and_disk_use_follows_the_data)
{
    /* SQLite's defaults let the log reach ~4 MB (1000 pages) before the
     * first checkpoint while chain.db stays at a few KiB: 2000 blocks
     * write ~12000 pages of log, far past that, so a store without its
     * own bound fails here within the first hundred blocks. */
    enum { N = 2000 };
    store_t *s = sr_open(sr_dir);
    uint64_t bytes = 0, wal_max = 0;
    for (uint64_t i = 0; i < N; i++) {
        int rc = sr_disk_put_tip(s, i, &bytes);
        cr_assert_eq(rc, 0, "block %" PRIu64 ": %s", i, err_str(rc));
        uint64_t wal = sr_file_size(WAL), db = sr_file_size(DB);
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
    uint64_t db = sr_file_size(DB);
    cr_assert_geq(db, bytes,
                  "chain.db is %" PRIu64 " bytes for %" PRIu64
                  " bytes of blocks",
                  db, bytes);
    cr_assert_gt(db, 2 * WAL_FLOOR, "too few blocks to pass the floor");
    cr_assert_gt(wal_max, WAL_FLOOR * 9 / 10,
                 "the log never grew with chain.db (largest %" PRIu64 ")",
                 wal_max);
    cr_assert_leq(sr_file_size(WAL) + sr_file_size(SHM),
                  wal_bound(db) + 32 * 1024);
    cr_log_info("%d blocks, %" PRIu64 " bytes: chain.db %" PRIu64
                ", largest log %" PRIu64,
                N, bytes, db, wal_max);
    for (uint64_t i = 0; i < N; i += 97)
        cr_assert(sr_disk_ok(s, i), "block %" PRIu64, i);
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
        snprintf(path, sizeof path, "%s/" DB, sr_dir);
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

Test(store_ckpt, a_long_log_left_by_a_crash_is_cut_back)
{
    store_t *s = sr_open(sr_dir);
    for (uint64_t i = 0; i < 20; i++)
        cr_assert_eq(sr_disk_put_tip(s, i, NULL), 0);
    store_close(&s);
    leave_a_long_log(1500);
    uint64_t left = sr_file_size(WAL);
    cr_assert_gt(left, 4 * WAL_FLOOR, "the child left a log of %" PRIu64, left);
    /* The next open recovers the log; the first commits checkpoint it,
     * start it again and cut the file back. */
    s = sr_open(sr_dir);
    for (uint64_t i = 20; i < 23; i++)
        cr_assert_eq(sr_disk_put_tip(s, i, NULL), 0);
    uint64_t after = sr_file_size(WAL);
    cr_assert_leq(after, wal_bound(sr_file_size(DB)),
                  "the log is still %" PRIu64 " bytes (%" PRIu64
                  " left behind), chain.db %" PRIu64,
                  after, left, sr_file_size(DB));
    for (uint64_t i = 0; i < 23; i++)
        cr_assert(sr_disk_ok(s, i), "block %" PRIu64, i);
    uint8_t *val = NULL;
    size_t len = 0;
    cr_assert_eq(store_meta_get(s, &val, &len, "filler"), 0);
    free(val);
    store_close(&s);
}
