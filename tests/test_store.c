/*
 * Tests for src/node/store.c: blocks and meta round trip, idempotent puts,
 * iteration order, status and delete, transactions (the tip lands with its
 * block or not at all; a failed write poisons its transaction, checked by
 * failing SQLite's allocations one by one), reopening, refusing what is not
 * a store, the one-node-per-directory lock, and the crash test: a child
 * process writes blocks and reports each one the moment the store accepted
 * it, the parent SIGKILLs it at a random moment, reopens the store and
 * checks that every reported block is there, byte for byte, that the tip
 * matches the blocks, and that SQLite's integrity check passes; forty times
 * on one growing store.
 *
 * Every test gets a fresh directory under /tmp and removes it afterwards.
 * The crash test prints its random seed; PICKAXE_TEST_SEED=N repeats a run.
 * The store's use of the disk (the log's bound, no room) is tested in
 * test_store_disk.c.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "sha256.h"
#include "store.h"

/* ---- fixture: one temporary directory per test -------------------------- */

static char tmp_root[64];
static char data_dir[128]; /* tmp_root/data, not created yet */

static void make_tmp(void)
{
    strcpy(tmp_root, "/tmp/pickaxe-test-store-XXXXXX");
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

/* One suite-wide timeout: a per-test .timeout makes Criterion 2.4 leak 48
 * bytes in its runner under --jobs 2, which LeakSanitizer reports. */
TestSuite(store, .init = make_tmp, .fini = remove_tmp, .timeout = 60);

/* ---- deterministic test blocks ------------------------------------------ */

#define RAW_MAX 1100

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Block i's hash: SHA-256 of a label and i. */
static void blk_hash(uint8_t out[32], uint64_t i)
{
    uint8_t m[24] = "pickaxe-store-test";
    le64_put(m + 16, i);
    sha256(out, m, sizeof m);
}

static void blk_parent(uint8_t out[32], uint64_t i)
{
    if (i == 0)
        memset(out, 0, 32);
    else
        blk_hash(out, i - 1);
}

/* Block i's bytes: 1..RAW_MAX bytes, all derived from i. Returns the length. */
static size_t blk_raw(uint8_t out[RAW_MAX], uint64_t i)
{
    uint64_t x = i;
    size_t len = 1 + (size_t)(splitmix(&x) % RAW_MAX);
    for (size_t j = 0; j < len; j += 8) {
        uint8_t v[8];
        le64_put(v, splitmix(&x));
        memcpy(out + j, v, len - j < 8 ? len - j : 8);
    }
    return len;
}

static int blk_status(uint64_t i)
{
    return (int)(i % 3);
}

/* Block i as a record; raw points into buf. */
static store_block_t blk_make(uint8_t buf[RAW_MAX], uint64_t i)
{
    store_block_t b = {.height = (uint32_t)i, .status = blk_status(i)};
    blk_hash(b.hash, i);
    blk_parent(b.parent, i);
    b.len = blk_raw(buf, i);
    b.raw = buf;
    return b;
}

static int put_blk(store_t *s, uint64_t i)
{
    uint8_t buf[RAW_MAX];
    store_block_t b = blk_make(buf, i);
    return store_put_block(s, b.hash, b.parent, b.height, b.status, b.raw,
                           b.len);
}

/* True when block i is stored with exactly its bytes. */
static bool blk_ok(store_t *s, uint64_t i)
{
    uint8_t want[RAW_MAX], h[32];
    size_t want_len = blk_raw(want, i);
    blk_hash(h, i);
    uint8_t *raw = NULL;
    size_t len = 0;
    if (store_get_block(s, &raw, &len, h) != 0)
        return false;
    bool ok = len == want_len && memcmp(raw, want, len) == 0;
    free(raw);
    return ok;
}

static store_t *open_ok(const char *dir)
{
    store_t *s = NULL;
    int rc = store_open(&s, dir, 0);
    cr_assert_eq(rc, 0, "store_open(%s): %s", dir, err_str(rc));
    cr_assert_not_null(s);
    return s;
}

/* ---- capturing the store's log lines ------------------------------------ */

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

/* Sends stderr to /dev/null until quiet_end(). */
static void quiet_start(void)
{
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    cr_assert(saved_stderr >= 0 && null >= 0);
    dup2(null, STDERR_FILENO);
    close(null);
}

static void quiet_end(void)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
}

/* Restores stderr and returns what was logged meanwhile (static buffer). */
static const char *capture_end(void)
{
    static char text[4096];
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

/* ---- basics -------------------------------------------------------------- */

Test(store, round_trip_blocks_and_meta)
{
    store_t *s = open_ok(data_dir);
    for (uint64_t i = 0; i < 20; i++)
        cr_assert_eq(put_blk(s, i), 0);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 20);
    for (uint64_t i = 0; i < 20; i++) {
        uint8_t h[32];
        blk_hash(h, i);
        cr_assert(store_has_block(s, h));
        cr_assert(blk_ok(s, i), "block %" PRIu64 " differs", i);
    }

    /* Unknown hash: ERR_NOT_FOUND, outputs untouched. */
    uint8_t h[32], *raw = (uint8_t *)"sentinel";
    size_t len = 12345;
    blk_hash(h, 999);
    cr_assert_not(store_has_block(s, h));
    cr_assert_eq(store_get_block(s, &raw, &len, h), ERR_NOT_FOUND);
    cr_assert_str_eq((char *)raw, "sentinel");
    cr_assert_eq(len, 12345);

    /* Meta: blobs with NUL bytes, replacement, empty values. */
    const uint8_t net[5] = {'r', 0, 'g', 0xff, 't'};
    cr_assert_eq(store_meta_put(s, "network", net, sizeof net), 0);
    cr_assert_eq(store_meta_put(s, "empty", NULL, 0), 0);
    cr_assert_eq(store_meta_get(s, &raw, &len, "network"), 0);
    cr_assert_eq(len, sizeof net);
    cr_assert_arr_eq(raw, net, sizeof net);
    free(raw);
    cr_assert_eq(store_meta_put(s, "network", "demo", 4), 0);
    cr_assert_eq(store_meta_get(s, &raw, &len, "network"), 0);
    cr_assert_eq(len, 4);
    cr_assert_arr_eq(raw, "demo", 4);
    free(raw);
    cr_assert_eq(store_meta_get(s, &raw, &len, "empty"), 0);
    cr_assert_not_null(raw);
    cr_assert_eq(len, 0);
    free(raw);
    raw = (uint8_t *)"sentinel";
    cr_assert_eq(store_meta_get(s, &raw, &len, "nope"), ERR_NOT_FOUND);
    cr_assert_str_eq((char *)raw, "sentinel");
    cr_assert_eq(store_meta_put(s, "", "x", 1), ERR_ARG);

    /* Tip: none yet, then set, and a malformed stored tip is refused. */
    uint8_t tip[32] = {7};
    cr_assert_eq(store_get_tip(s, tip), ERR_NOT_FOUND);
    cr_assert_eq(tip[0], 7);
    cr_assert_eq(store_set_tip(s, h), 0);
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h, 32);
    cr_assert_eq(store_meta_put(s, "tip", "short", 5), 0);
    cr_assert_eq(store_get_tip(s, tip), ERR_PARSE);

    /* A zero-length block is kept as zero bytes, not as NULL. */
    blk_hash(h, 500);
    cr_assert_eq(store_put_block(s, h, h, 1, 0, NULL, 0), 0);
    cr_assert_eq(store_get_block(s, &raw, &len, h), 0);
    cr_assert_not_null(raw);
    cr_assert_eq(len, 0);
    free(raw);

    cr_assert_eq(store_check(s), 0);
    store_close(&s);
    cr_assert_null(s);
}

/* Collects the first two records of an iteration, without their bytes. */
typedef struct {
    int seen;
    store_block_t b[2];
} first_two_t;

static int collect_two(const store_block_t *b, void *ctx)
{
    first_two_t *got = ctx;
    if (got->seen < 2) {
        got->b[got->seen] = *b;
        got->b[got->seen].raw = NULL;
    }
    got->seen++;
    return 0;
}

Test(store, put_is_idempotent)
{
    store_t *s = open_ok(data_dir);
    uint8_t h0[32], h1[32], zero[32] = {0};
    blk_hash(h0, 0);
    blk_hash(h1, 1);
    cr_assert_eq(store_put_block(s, h0, zero, 0, 1, (const uint8_t *)"a", 1),
                 0);
    cr_assert_eq(store_put_block(s, h1, h0, 1, 1, (const uint8_t *)"b", 1), 0);
    /* Same hash again, even with another status or height: no change. */
    cr_assert_eq(store_put_block(s, h0, zero, 5, 2, (const uint8_t *)"a", 1),
                 0);
    store_block_t again = {
        .height = 0, .status = 2, .raw = (const uint8_t *)"a", .len = 1};
    memcpy(again.hash, h0, 32);
    cr_assert_eq(store_put_blocks(s, &again, 1, NULL), 0);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 2);

    /* h0 keeps status 1, height 0 and its first-seen place before h1. */
    first_two_t got = {0};
    cr_assert_eq(store_iterate(s, collect_two, &got), 0);
    cr_assert_eq(got.seen, 2);
    cr_assert_arr_eq(got.b[0].hash, h0, 32);
    cr_assert_eq(got.b[0].status, 1);
    cr_assert_eq(got.b[0].height, 0);
    cr_assert_lt(got.b[0].seq, got.b[1].seq);
    store_close(&s);
}

/* Records the order of an iteration as labels (the raw bytes). */
typedef struct {
    char order[32];
    size_t n;
    uint64_t last_seq;
    uint32_t last_height;
    int stop_after; /* return 42 after this many, 0 = never */
    bool seq_ok;    /* heights never decrease; seq grows within a height */
} order_t;

static int record_order(const store_block_t *b, void *ctx)
{
    order_t *o = ctx;
    if (o->n > 0 && (b->height < o->last_height ||
                     (b->height == o->last_height && b->seq <= o->last_seq)))
        o->seq_ok = false;
    o->last_seq = b->seq;
    o->last_height = b->height;
    if (o->n < sizeof o->order - 1)
        o->order[o->n] = (char)b->raw[0];
    o->n++;
    return o->stop_after && (int)o->n == o->stop_after ? 42 : 0;
}

Test(store, iterate_in_height_then_first_seen_order)
{
    store_t *s = open_ok(data_dir);
    /* Inserted out of height order; label = the block's one byte. */
    const struct {
        char label;
        uint32_t height;
    } ins[] = {{'d', 2}, {'b', 1}, {'e', 2}, {'a', 0},
               {'c', 1}, {'g', 3}, {'f', 2}};
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
        uint8_t h[32], p[32] = {0};
        blk_hash(h, 100 + i);
        cr_assert_eq(store_put_block(s, h, p, ins[i].height, 0,
                                     (const uint8_t *)&ins[i].label, 1),
                     0);
    }
    /* Height first; within a height, the order the blocks were first put. */
    order_t o = {.seq_ok = true};
    cr_assert_eq(store_iterate(s, record_order, &o), 0);
    cr_assert_str_eq(o.order, "abcdefg");
    cr_assert(o.seq_ok, "first-seen numbers not increasing");

    /* A non-zero return stops the walk and comes back out. */
    order_t stop = {.stop_after = 3};
    cr_assert_eq(store_iterate(s, record_order, &stop), 42);
    cr_assert_eq(stop.n, 3);
    cr_assert_str_eq(stop.order, "abc");

    /* Deleting the newest and putting it again makes it the newest of its
     * height still (it is seen anew). */
    uint8_t hd[32];
    blk_hash(hd, 100); /* 'd' */
    cr_assert_eq(store_delete_block(s, hd), 0);
    cr_assert_eq(store_put_block(s, hd, hd, 2, 0, (const uint8_t *)"d", 1), 0);
    order_t o2 = {.seq_ok = true};
    cr_assert_eq(store_iterate(s, record_order, &o2), 0);
    cr_assert_str_eq(o2.order, "abcefdg");
    cr_assert(o2.seq_ok);
    store_close(&s);
}

static int sum_status(const store_block_t *b, void *ctx)
{
    *(int *)ctx += b->status;
    return 0;
}

Test(store, set_status_and_delete)
{
    store_t *s = open_ok(data_dir);
    for (uint64_t i = 0; i < 5; i++)
        cr_assert_eq(put_blk(s, i), 0);
    uint8_t h2[32], h9[32];
    blk_hash(h2, 2);
    blk_hash(h9, 9);

    int before = 0, after = 0;
    cr_assert_eq(store_iterate(s, sum_status, &before), 0);
    cr_assert_eq(store_set_status(s, h2, 40), 0);
    cr_assert_eq(store_iterate(s, sum_status, &after), 0);
    cr_assert_eq(after, before - blk_status(2) + 40);
    cr_assert_eq(store_set_status(s, h9, 1), ERR_NOT_FOUND);

    cr_assert_eq(store_delete_block(s, h2), 0);
    cr_assert_not(store_has_block(s, h2));
    uint8_t *raw;
    size_t len;
    cr_assert_eq(store_get_block(s, &raw, &len, h2), ERR_NOT_FOUND);
    cr_assert_eq(store_delete_block(s, h2), ERR_NOT_FOUND);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 4);
    for (uint64_t i = 0; i < 5; i++)
        cr_assert_eq(blk_ok(s, i), i != 2);

    /* Survives a reopen. */
    store_close(&s);
    s = open_ok(data_dir);
    cr_assert_not(store_has_block(s, h2));
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 4);
    store_close(&s);
}

/* ---- transactions -------------------------------------------------------- */

Test(store, tip_lands_with_its_block_or_not_at_all)
{
    store_t *s = open_ok(data_dir);
    uint8_t h0[32], h1[32], h2[32], h3[32], tip[32];
    blk_hash(h0, 0);
    blk_hash(h1, 1);
    blk_hash(h2, 2);
    blk_hash(h3, 3);
    cr_assert_eq(put_blk(s, 0), 0);
    cr_assert_eq(store_set_tip(s, h0), 0);

    /* Rolled back: neither the block nor the tip. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_begin(s), ERR_ARG); /* no nesting */
    cr_assert_eq(put_blk(s, 1), 0);
    cr_assert_eq(store_set_tip(s, h1), 0);
    cr_assert(store_has_block(s, h1)); /* visible inside the transaction */
    cr_assert_eq(store_rollback(s), 0);
    cr_assert_not(store_has_block(s, h1));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h0, 32);
    cr_assert_eq(store_commit(s), ERR_ARG); /* nothing open */
    cr_assert_eq(store_rollback(s), 0);     /* harmless */

    /* Closed with the transaction open: rolled back as well. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(put_blk(s, 1), 0);
    cr_assert_eq(store_set_tip(s, h1), 0);
    store_close(&s);
    s = open_ok(data_dir);
    cr_assert_not(store_has_block(s, h1));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h0, 32);

    /* Committed: both, and still both after a reopen. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(put_blk(s, 1), 0);
    cr_assert_eq(store_set_tip(s, h1), 0);
    cr_assert_eq(store_commit(s), 0);

    /* A batch with its tip, alone and inside a transaction. */
    uint8_t b2[RAW_MAX], b3[RAW_MAX];
    store_block_t bl[2] = {blk_make(b2, 2), blk_make(b3, 3)};
    cr_assert_eq(store_put_blocks(s, bl, 1, h2), 0);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_put_blocks(s, bl + 1, 1, h3), 0);
    cr_assert_eq(store_rollback(s), 0);
    cr_assert_not(store_has_block(s, h3));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h2, 32);

    store_close(&s);
    s = open_ok(data_dir);
    for (uint64_t i = 0; i < 3; i++)
        cr_assert(blk_ok(s, i));
    cr_assert_not(store_has_block(s, h3));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h2, 32);
    store_close(&s);
}

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
        blk_hash(ha, base + 2 * (uint64_t)k);
        blk_hash(hb, base + 2 * (uint64_t)k + 1);
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

Test(store, failed_write_poisons_its_transaction)
{
    cr_assert_eq(sqlite3_shutdown(), SQLITE_OK);
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem), SQLITE_OK);
    sqlite3_mem_methods fi = real_mem;
    fi.xMalloc = fi_malloc;
    fi.xRealloc = fi_realloc;
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &fi), SQLITE_OK);
    /* Without lookaside every allocation goes through fi_malloc. */
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0), SQLITE_OK);

    store_t *s = open_ok(data_dir);
    uint8_t zero[32] = {0}, tip[32], prev_tip[32];
    blk_hash(prev_tip, 0);
    cr_assert_eq(store_put_block(s, prev_tip, zero, 0, 0, zero, 10), 0);
    cr_assert_eq(store_set_tip(s, prev_tip), 0);

    fault_stats_t sticky = {0}, once = {0};
    quiet_start(); /* hundreds of expected error lines */
    fault_rounds(&sticky, s, prev_tip, true, 1000);
    fault_rounds(&once, s, prev_tip, false, 100000);
    quiet_end();
    cr_log_info("fault injection: %ld + %ld rounds; failed: put %ld + %ld, "
                "tip %ld + %ld, commit %ld + %ld",
                sticky.rounds, once.rounds, sticky.put_failed, once.put_failed,
                sticky.tip_failed, once.tip_failed, sticky.commit_failed,
                once.commit_failed);
    cr_assert_gt(sticky.failed, 0, "no injected fault made a write fail");
    cr_assert_gt(once.failed, 0, "no injected fault made a write fail");

    /* The store works normally afterwards and on disk is whole. */
    cr_assert_eq(put_blk(s, 100000), 0);
    cr_assert_eq(store_check(s), 0);
    store_close(&s);
    s = open_ok(data_dir);
    cr_assert(blk_ok(s, 100000));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, prev_tip, 32);
    cr_assert_eq(store_check(s), 0);
    store_close(&s);
}

/* ---- open, reopen, refuse ------------------------------------------------ */

Test(store, reopen_keeps_everything)
{
    store_t *s = NULL;
    cr_assert_eq(store_open(&s, data_dir, STORE_SYNC_FULL), 0);
    uint8_t buf[8][RAW_MAX];
    store_block_t bl[8];
    for (uint64_t i = 0; i < 8; i++)
        bl[i] = blk_make(buf[i], i);
    cr_assert_eq(store_put_blocks(s, bl, 8, bl[7].hash), 0);
    cr_assert_eq(store_set_status(s, bl[3].hash, 77), 0);
    cr_assert_eq(store_meta_put(s, "network", "regtest", 7), 0);
    store_close(&s);

    s = open_ok(data_dir);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 8);
    for (uint64_t i = 0; i < 8; i++)
        cr_assert(blk_ok(s, i), "block %" PRIu64, i);
    int sum = 0, want = 0;
    for (uint64_t i = 0; i < 8; i++)
        want += i == 3 ? 77 : blk_status(i);
    cr_assert_eq(store_iterate(s, sum_status, &sum), 0);
    cr_assert_eq(sum, want);
    uint8_t tip[32], *val;
    size_t len;
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, bl[7].hash, 32);
    cr_assert_eq(store_meta_get(s, &val, &len, "network"), 0);
    cr_assert_eq(len, 7);
    cr_assert_arr_eq(val, "regtest", 7);
    free(val);
    store_close(&s);
}

Test(store, creates_private_directories)
{
    char nested[192];
    snprintf(nested, sizeof nested, "%s/a/b/c", tmp_root);
    store_t *s = open_ok(nested);
    store_close(&s);
    struct stat sb;
    cr_assert_eq(stat(nested, &sb), 0);
    cr_assert(S_ISDIR(sb.st_mode));
    cr_assert_eq(sb.st_mode & 0777, 0700);
    char db[256];
    snprintf(db, sizeof db, "%s/" STORE_DB_NAME, nested);
    cr_assert_eq(stat(db, &sb), 0);
    store_close(&s); /* already NULL: harmless */
    store_close(NULL);
}

Test(store, opens_through_a_symlinked_directory)
{
    char link[192], via[256];
    cr_assert_eq(mkdir(data_dir, 0700), 0);
    snprintf(link, sizeof link, "%s/link", tmp_root);
    cr_assert_eq(symlink(data_dir, link), 0);
    snprintf(via, sizeof via, "%s/node", link);
    store_t *s = open_ok(via);
    cr_assert_eq(put_blk(s, 0), 0);
    store_close(&s);
    /* The same directory by its real path: same store, same lock. */
    snprintf(via, sizeof via, "%s/node", data_dir);
    s = open_ok(via);
    cr_assert(blk_ok(s, 0));
    store_close(&s);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

Test(store, refuses_a_directory_it_cannot_create)
{
    char file[192], under[256];
    snprintf(file, sizeof file, "%s/plainfile", tmp_root);
    write_file(file, "x", 1);
    snprintf(under, sizeof under, "%s/sub", file);

    store_t *s = (store_t *)&s; /* a sentinel that must survive failure */
    capture_start();
    int rc1 = store_open(&s, under, 0); /* parent is a file */
    int rc2 = store_open(&s, file, 0);  /* the directory is a file */
    const char *log = capture_end();
    cr_assert_eq(rc1, ERR_IO);
    cr_assert_eq(rc2, ERR_IO);
    cr_assert_eq(s, (store_t *)&s);
    cr_assert_not_null(strstr(log, "cannot create data directory"), "%s", log);
    cr_assert_not_null(strstr(log, "not a directory"), "%s", log);
    cr_assert_eq(store_open(&s, data_dir, 0x80), ERR_ARG);
    cr_assert_eq(store_open(&s, "", 0), ERR_ARG);
}

static void read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

Test(store, refuses_a_file_that_is_not_a_store)
{
    char db[192], back[512], wal[200];
    cr_assert_eq(mkdir(data_dir, 0700), 0);
    snprintf(db, sizeof db, "%s/" STORE_DB_NAME, data_dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    const char text[] = "this is somebody's notes, not a block store\n"
                        "and it is long enough to fill a SQLite header.....\n"
                        "................................................\n";
    write_file(db, text, sizeof text - 1);

    store_t *s = NULL;
    capture_start();
    int rc = store_open(&s, data_dir, 0);
    const char *log = capture_end();
    cr_assert_eq(rc, ERR_INVALID);
    cr_assert_null(s);
    cr_assert_not_null(strstr(log, "is not a pickaxe store"), "%s", log);
    read_file(db, back, sizeof back);
    cr_assert_str_eq(back, text, "the file was modified");
    cr_assert_neq(access(wal, F_OK), 0, "a WAL appeared beside it");

    /* An SQLite database of some other program. */
    cr_assert_eq(remove(db), 0);
    sqlite3 *other;
    cr_assert_eq(sqlite3_open(db, &other), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(other,
                              "CREATE TABLE notes(t TEXT);"
                              "INSERT INTO notes VALUES('keep me')",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(other);
    struct stat before, after;
    cr_assert_eq(stat(db, &before), 0);
    capture_start();
    rc = store_open(&s, data_dir, 0);
    log = capture_end();
    cr_assert_eq(rc, ERR_INVALID);
    cr_assert_null(s);
    cr_assert_not_null(strstr(log, "another application"), "%s", log);
    cr_assert_eq(stat(db, &after), 0);
    cr_assert_eq(before.st_size, after.st_size);
    cr_assert_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    cr_assert_neq(access(wal, F_OK), 0, "switched to WAL mode");
}

Test(store, refuses_an_unknown_schema_version)
{
    store_t *s = open_ok(data_dir);
    cr_assert_eq(put_blk(s, 0), 0);
    store_close(&s);

    char db[192];
    snprintf(db, sizeof db, "%s/" STORE_DB_NAME, data_dir);
    sqlite3 *raw;
    cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(raw, "PRAGMA user_version = 2", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(raw);

    capture_start();
    int rc = store_open(&s, data_dir, 0);
    const char *log = capture_end();
    cr_assert_eq(rc, ERR_UNSUPPORTED);
    cr_assert_null(s);
    cr_assert_not_null(strstr(log, "schema version 2"), "%s", log);
    cr_assert_not_null(strstr(log, "newer pickaxe"), "%s", log);
}

Test(store, one_open_per_directory_in_one_process)
{
    store_t *a = open_ok(data_dir), *b = NULL;
    capture_start();
    int rc = store_open(&b, data_dir, 0);
    const char *log = capture_end();
    cr_assert_eq(rc, ERR_IO);
    cr_assert_null(b);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    cr_assert_not_null(strstr(log, "in use by another pickaxe process"), "%s",
                       log);
    cr_assert_not_null(strstr(log, pid), "%s", log);
    /* The refused open did not disturb the holder. */
    cr_assert_eq(put_blk(a, 0), 0);
    store_close(&a);
    b = open_ok(data_dir);
    cr_assert(blk_ok(b, 0));
    store_close(&b);
}

Test(store, one_open_per_directory_across_processes)
{
    int up[2], down[2];
    cr_assert_eq(pipe(up), 0);
    cr_assert_eq(pipe(down), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        store_t *s = NULL;
        char c = store_open(&s, data_dir, 0) == 0 ? 'y' : 'n';
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) < 0)
            _exit(2);
        store_close(&s);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char c = 0;
    cr_assert_eq(read(up[0], &c, 1), 1);
    cr_assert_eq(c, 'y', "child could not open the store");

    store_t *s = NULL;
    capture_start();
    int rc = store_open(&s, data_dir, 0);
    const char *log = capture_end();
    char want[32];
    snprintf(want, sizeof want, "pid %ld", (long)pid);
    close(down[1]); /* lets the child close and exit */
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(rc, ERR_IO);
    cr_assert_null(s);
    cr_assert_not_null(strstr(log, want), "%s", log);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    s = open_ok(data_dir);
    store_close(&s);
    close(up[0]);
}

/* ---- the crash test ----------------------------------------------------- */

#define CRASH_CYCLES 40
#define CRASH_MAX_BATCH 8

/*
 * The child: open the store, resume after its last block (putting that one
 * again, which must change nothing), then add blocks forever, each write
 * one of three ways (one block with its tip in an explicit transaction; a
 * batch with its tip in one call; a batch and then the tip inside an
 * explicit transaction), and report every block's number on fd right after
 * the call that stored it returned 0. Exits non-zero on any store error.
 */
static void crash_child(int fd, unsigned flags, uint64_t seed)
{
    store_t *s = NULL;
    if (store_open(&s, data_dir, flags) != 0)
        _exit(10);
    uint64_t next;
    if (store_count(s, &next) != 0)
        _exit(11);
    if (next > 0 && put_blk(s, next - 1) != 0)
        _exit(12);
    static uint8_t bufs[CRASH_MAX_BATCH][RAW_MAX];
    for (;;) {
        uint64_t r = splitmix(&seed);
        int mode = (int)(r % 3);
        size_t k = mode == 0 ? 1 : 1 + (size_t)((r >> 8) % CRASH_MAX_BATCH);
        store_block_t bl[CRASH_MAX_BATCH];
        for (size_t j = 0; j < k; j++)
            bl[j] = blk_make(bufs[j], next + j);
        const uint8_t *tip = bl[k - 1].hash;
        int rc;
        if (mode == 0) {
            rc = store_begin(s);
            if (rc == 0)
                rc = store_put_block(s, bl[0].hash, bl[0].parent, bl[0].height,
                                     bl[0].status, bl[0].raw, bl[0].len);
            if (rc == 0)
                rc = store_set_tip(s, tip);
            if (rc == 0)
                rc = store_commit(s);
        } else if (mode == 1) {
            rc = store_put_blocks(s, bl, k, tip);
        } else {
            rc = store_begin(s);
            if (rc == 0)
                rc = store_put_blocks(s, bl, k, NULL);
            if (rc == 0)
                rc = store_set_tip(s, tip);
            if (rc == 0)
                rc = store_commit(s);
        }
        if (rc != 0)
            _exit(13);
        /* Accepted: report. At most 64 bytes, so the write is atomic. */
        uint8_t rep[8 * CRASH_MAX_BATCH];
        for (size_t j = 0; j < k; j++)
            le64_put(rep + 8 * j, next + j);
        if (write(fd, rep, 8 * k) != (ssize_t)(8 * k))
            _exit(14);
        next += k;
    }
}

typedef struct {
    uint64_t expect;    /* the next report must be this block number */
    uint64_t reported;  /* reports this cycle */
    uint8_t partial[8]; /* a report split across reads */
    size_t partial_len;
    bool out_of_order;
} reports_t;

static void take_reports(reports_t *r, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        r->partial[r->partial_len++] = p[i];
        if (r->partial_len < 8)
            continue;
        r->partial_len = 0;
        if (le64_get(r->partial) != r->expect)
            r->out_of_order = true;
        r->expect++;
        r->reported++;
    }
}

/* Reads whatever is in the pipe; returns false at end of file. */
static bool drain(reports_t *r, int fd)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            take_reports(r, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0; /* EAGAIN: more may come; 0: end of file */
    }
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Runs the child for delay_us, reading its reports, then SIGKILLs it. */
static void run_and_kill(reports_t *r, unsigned flags, uint64_t seed,
                         uint64_t delay_us, int cycle)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        crash_child(p[1], flags, seed);
    }
    close(p[1]);
    cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    uint64_t deadline = now_us() + delay_us;
    for (uint64_t t; (t = now_us()) < deadline;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        uint64_t left = deadline - t;
        struct timespec ts = {(time_t)(left / 1000000),
                              (long)(left % 1000000) * 1000};
        if (ppoll(&pfd, 1, &ts, NULL) > 0 && !drain(r, p[0]))
            break; /* end of file: the child died by itself */
    }
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    while (drain(r, p[0])) /* whatever it wrote before it died */
        ;
    close(p[0]);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "cycle %d: the writer was not killed but %s %d", cycle,
              WIFEXITED(status) ? "exited with" : "died of signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

typedef struct {
    uint64_t next;
    bool ok;
    char why[128];
} walk_t;

/* Checks that block records come in as 0, 1, 2, ... with every field. */
static int check_record(const store_block_t *b, void *ctx)
{
    walk_t *w = ctx;
    uint8_t raw[RAW_MAX], h[32], parent[32];
    size_t len = blk_raw(raw, w->next);
    blk_hash(h, w->next);
    blk_parent(parent, w->next);
    if (b->height != w->next || memcmp(b->hash, h, 32) != 0 ||
        memcmp(b->parent, parent, 32) != 0 ||
        b->status != blk_status(w->next) || b->len != len ||
        memcmp(b->raw, raw, len) != 0) {
        w->ok = false;
        snprintf(w->why, sizeof w->why, "record %" PRIu64 " differs", w->next);
        return 1;
    }
    w->next++;
    return 0;
}

Test(store, blocks_reported_accepted_survive_sigkill)
{
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    const char *env = getenv("PICKAXE_TEST_SEED");
    if (env)
        seed = strtoull(env, NULL, 0);
    cr_log_info("crash test seed %" PRIu64 " (PICKAXE_TEST_SEED to repeat)",
                seed);
    uint64_t rng = seed;

    reports_t r = {0};
    uint64_t stored = 0;  /* blocks in the store after the last check */
    uint64_t checked = 0; /* block reads compared byte for byte */
    uint64_t grew = 0;    /* cycles in which the store grew */
    for (int cycle = 0; cycle < CRASH_CYCLES; cycle++) {
        /* One kill in five lands in the first 3 ms (open, recovery, the
         * schema's creation); the others anywhere in 3..123 ms. */
        uint64_t x = splitmix(&rng);
        uint64_t delay =
            x % 5 == 0 ? (x >> 8) % 3000 : 3000 + (x >> 8) % 120000;
        unsigned flags = cycle % 4 == 3 ? STORE_SYNC_FULL : 0;
        r.reported = 0;
        r.expect = stored; /* the child resumes after the last stored one */
        run_and_kill(&r, flags, splitmix(&rng), delay, cycle);
        cr_assert_not(r.out_of_order,
                      "seed %" PRIu64 " cycle %d: reports "
                      "out of order",
                      seed, cycle);
        cr_assert_eq(r.partial_len, 0, "cycle %d: torn report", cycle);

        /* Reopen after the kill: clean open, integrity, every report. */
        store_t *s = NULL;
        int rc = store_open(&s, data_dir, 0);
        cr_assert_eq(rc, 0, "seed %" PRIu64 " cycle %d: reopen: %s", seed,
                     cycle, err_str(rc));
        cr_assert_eq(store_check(s), 0,
                     "seed %" PRIu64 " cycle %d: "
                     "integrity check failed",
                     seed, cycle);
        uint64_t n = 0;
        cr_assert_eq(store_count(s, &n), 0);
        /* r.expect is one past the last reported block. */
        cr_assert_geq(n, r.expect,
                      "seed %" PRIu64 " cycle %d: %" PRIu64
                      " blocks stored but %" PRIu64 " reported accepted",
                      seed, cycle, n, r.expect);
        /* Committed but not yet reported: at most one write's worth. */
        cr_assert_leq(n - r.expect, CRASH_MAX_BATCH,
                      "seed %" PRIu64 " cycle %d", seed, cycle);
        /* The tip moved with its blocks: it is the newest block. */
        uint8_t tip[32], want[32];
        rc = store_get_tip(s, tip);
        if (n == 0) {
            cr_assert_eq(rc, ERR_NOT_FOUND, "cycle %d: a tip but no blocks",
                         cycle);
        } else {
            cr_assert_eq(rc, 0, "seed %" PRIu64 " cycle %d: no tip", seed,
                         cycle);
            blk_hash(want, n - 1);
            cr_assert_arr_eq(tip, want, 32,
                             "seed %" PRIu64 " cycle %d: "
                             "tip is not block %" PRIu64,
                             seed, cycle, n - 1);
        }
        /* Every block new since the last check (all reported ones among
         * them), the one the child put again, and a few older ones. */
        for (uint64_t i = stored ? stored - 1 : 0; i < n; i++, checked++)
            cr_assert(blk_ok(s, i),
                      "seed %" PRIu64 " cycle %d: block %" PRIu64
                      " missing or altered",
                      seed, cycle, i);
        for (int j = 0; j < 8 && n > 0; j++, checked++) {
            uint64_t i = splitmix(&rng) % n;
            cr_assert(blk_ok(s, i),
                      "seed %" PRIu64 " cycle %d: old block %" PRIu64
                      " missing or altered",
                      seed, cycle, i);
        }
        store_close(&s);
        grew += n > stored;
        stored = n;
    }

    /* Finally the whole store in iteration order, every field. */
    store_t *s = open_ok(data_dir);
    walk_t w = {.ok = true};
    cr_assert_eq(store_iterate(s, check_record, &w), 0, "%s", w.why);
    cr_assert_eq(w.next, stored);
    checked += w.next;
    store_close(&s);
    cr_log_info("crash test: %d kills, %" PRIu64 " blocks accepted, %" PRIu64
                " block reads checked",
                CRASH_CYCLES, stored, checked);
    /* A test that never wrote anything between kills proves nothing. */
    cr_assert_geq(grew, CRASH_CYCLES / 4,
                  "the store grew in only %" PRIu64 " of %d cycles", grew,
                  CRASH_CYCLES);
    cr_assert_geq(stored, 200);
}
