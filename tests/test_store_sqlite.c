/*
 * Tests for src/node/store_sqlite.c, through the store: what a failed
 * SQLite call means. A disk with no room makes writes fail with ERR_FULL,
 * logged as such, without losing or corrupting anything, and the store
 * takes writes again once there is room; an allocation that fails inside
 * SQLite makes the write fail and poisons its transaction, so the outcome
 * is all or nothing.
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
#include <criterion/logging.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "err.h"
#include "store.h"
#include "store_rig.h"

TestSuite(store_sqlite, .init = sr_make_tmp, .fini = sr_remove_tmp,
          .timeout = 60);

#define DB STORE_DB_NAME
#define WAL STORE_DB_NAME "-wal"

/* ---- no room on the disk ---------------------------------------------------
 */

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

    store_t *s = sr_open(sr_dir);
    uint64_t i = 0;
    for (; i < warm; i++)
        cr_assert_eq(sr_disk_put_tip(s, i, NULL), 0);
    sr_capture_start();
    room_limit = limit(sr_file_size(DB), sr_file_size(WAL));
    sr_set_fsize((rlim_t)room_limit);
    int rc = 0;
    for (; i < 100000; i++) {
        rc = sr_disk_put(s, i, NULL);
        if (rc != 0)
            break; /* block i was refused */
        rc = sr_disk_tip_to(s, i);
        if (rc != 0) {
            i++; /* block i is stored, its tip could not be */
            break;
        }
    }
    uint64_t failed = i; /* the first block not stored */
    /* Still no room: the same block again, and a transaction. */
    int again = sr_disk_put(s, failed, NULL);
    cr_assert_eq(store_begin(s), 0);
    int in_txn = sr_disk_put_tip(s, failed + 1, NULL);
    int commit = store_commit(s);
    store_rollback(s);
    bool failed_absent = !sr_disk_ok(s, failed);
    bool all_readable = true;
    for (uint64_t j = 0; j < failed; j++)
        all_readable = all_readable && sr_disk_ok(s, j);
    sr_set_fsize(orig.rlim_cur);
    const char *log = sr_capture_end();

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
        rc = sr_disk_put_tip(s, j, NULL);
        cr_assert_eq(rc, 0, "block %" PRIu64 " after the limit: %s", j,
                     err_str(rc));
    }
    cr_assert_eq(store_check(s), 0);
    db_after = sr_file_size(DB);
    store_close(&s);

    /* And a new handle finds every block, intact. */
    s = sr_open(sr_dir);
    cr_assert_eq(store_check(s), 0);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, failed + 20);
    for (uint64_t j = 0; j < n; j++)
        cr_assert(sr_disk_ok(s, j), "block %" PRIu64 " after reopening", j);
    uint8_t tip[32], want[32];
    cr_assert_eq(store_get_tip(s, tip), 0);
    sr_blk_hash(want, n - 1);
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

Test(store_sqlite, no_room_for_the_log_refuses_the_write_and_keeps_the_store)
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

Test(store_sqlite, no_room_for_a_checkpoint_lets_the_log_grow_then_refuses)
{
    /* Blocks of tens of KiB: a checkpoint then grows chain.db by nearly as
     * much as the log it copies, so chain.db reaches the limit first, as on
     * a full disk where the log's file is already there to be reused. */
    sr_big_blocks = true;
    const char *log = run_out_of_room(30, half_again);
    cr_assert_not_null(strstr(log, "checkpoint"), "log: %s", log);
    /* With room again, checkpoints copied the log into chain.db. */
    cr_assert_gt(db_after, room_limit,
                 "chain.db is %" PRIu64 " bytes, the limit was %" PRIu64,
                 db_after, room_limit);
}

/* ---- a failed allocation ------------------------------------------------ */

/*
 * Fault injection: SQLite's allocator fails at the k-th allocation, for
 * k = 0, 1, 2, ... until a whole round gets through without a failure; in
 * one pass every allocation from the k-th on fails, in a second pass only
 * the k-th (so that later steps, the commit among them, run and can fail on
 * their own). Each round: begin, put block A, (faults from here) put a big
 * block B, set the tip to B, commit, (no more faults) roll back. Whatever
 * allocation fails, the outcome must be all (A, B, tip = B) or nothing (tip
 * unchanged), and no write after a failed one may report success.
 */
static sqlite3_mem_methods real_mem;
static long alloc_budget = -1; /* allocations left before a fault; < 0: none */
static bool fault_sticks;      /* keep failing after the first fault */
static long allocs_failed;

static bool take_alloc(void)
{
    if (alloc_budget < 0)
        return true;
    if (alloc_budget > 0) {
        alloc_budget--;
        return true;
    }
    allocs_failed++;
    if (!fault_sticks)
        alloc_budget = -1;
    return false;
}

static void *fi_malloc(int n)
{
    return take_alloc() ? real_mem.xMalloc(n) : NULL;
}

static void *fi_realloc(void *p, int n)
{
    return take_alloc() ? real_mem.xRealloc(p, n) : NULL;
}

typedef struct {
    long rounds, failed, put_failed, tip_failed, commit_failed;
} fault_stats_t;

static void fault_rounds(fault_stats_t *st, store_t *s, uint8_t prev_tip[32],
                         bool sticks, uint64_t base)
{
    static uint8_t big[256 * 1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 31 + 7);
    fault_sticks = sticks;
    for (long k = 0;; k++) {
        cr_assert_lt(k, 5000, "fault injection never ran out of points");
        uint8_t ha[32], hb[32], tip[32];
        sr_blk_hash(ha, base + 2 * (uint64_t)k);
        sr_blk_hash(hb, base + 2 * (uint64_t)k + 1);
        cr_assert_eq(store_begin(s), 0, "round %ld", k);
        cr_assert_eq(store_put_block(s, ha, prev_tip, 1, 0, big, 100), 0);
        allocs_failed = 0;
        alloc_budget = k;
        int r1 = store_put_block(s, hb, ha, 2, 0, big, sizeof big);
        int r2 = store_set_tip(s, hb);
        int r3 = store_commit(s);
        alloc_budget = -1;
        int r4 = store_rollback(s);
        cr_assert_eq(r4, 0, "round %ld: rollback after the fault", k);

        bool has_a = store_has_block(s, ha), has_b = store_has_block(s, hb);
        cr_assert_eq(store_get_tip(s, tip), 0);
        if (r1 == 0 && r2 == 0 && r3 == 0) {
            cr_assert(has_a && has_b, "round %ld: committed but lost", k);
            cr_assert_arr_eq(tip, hb, 32, "round %ld", k);
            memcpy(prev_tip, hb, 32);
        } else {
            st->failed++;
            st->put_failed += r1 != 0;
            st->tip_failed += r1 == 0 && r2 != 0;
            st->commit_failed += r1 == 0 && r2 == 0;
            cr_assert_neq(r3, 0, "round %ld: commit after a failure", k);
            cr_assert(r1 == 0 || r2 != 0, "round %ld: write after failure", k);
            cr_assert(!has_a && !has_b, "round %ld: half a transaction", k);
            cr_assert_arr_eq(tip, prev_tip, 32, "round %ld", k);
        }
        st->rounds++;
        if (allocs_failed == 0)
            break; /* the whole round fit in the budget: every point seen */
    }
}

Test(store_sqlite, failed_write_poisons_its_transaction)
{
    cr_assert_eq(sqlite3_shutdown(), SQLITE_OK);
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem), SQLITE_OK);
    sqlite3_mem_methods fi = real_mem;
    fi.xMalloc = fi_malloc;
    fi.xRealloc = fi_realloc;
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &fi), SQLITE_OK);
    /* Without lookaside every allocation goes through fi_malloc. */
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0), SQLITE_OK);

    store_t *s = sr_open(sr_dir);
    uint8_t zero[32] = {0}, tip[32], prev_tip[32];
    sr_blk_hash(prev_tip, 0);
    cr_assert_eq(store_put_block(s, prev_tip, zero, 0, 0, zero, 10), 0);
    cr_assert_eq(store_set_tip(s, prev_tip), 0);

    fault_stats_t sticky = {0}, once = {0};
    sr_quiet_start(); /* hundreds of expected error lines */
    fault_rounds(&sticky, s, prev_tip, true, 1000);
    fault_rounds(&once, s, prev_tip, false, 100000);
    sr_quiet_end();
    cr_log_info("fault injection: %ld + %ld rounds; failed: put %ld + %ld, "
                "tip %ld + %ld, commit %ld + %ld",
                sticky.rounds, once.rounds, sticky.put_failed, once.put_failed,
                sticky.tip_failed, once.tip_failed, sticky.commit_failed,
                once.commit_failed);
    cr_assert_gt(sticky.failed, 0, "no injected fault made a write fail");
    cr_assert_gt(once.failed, 0, "no injected fault made a write fail");

    /* The store works normally afterwards and on disk is whole. */
    cr_assert_eq(sr_put_blk(s, 100000), 0);
    cr_assert_eq(store_check(s), 0);
    store_close(&s);
    s = sr_open(sr_dir);
    cr_assert(sr_blk_ok(s, 100000));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, prev_tip, 32);
    cr_assert_eq(store_check(s), 0);
    store_close(&s);
}
