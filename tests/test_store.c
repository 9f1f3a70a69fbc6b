/*
 * Tests for src/node/store.c: blocks and meta round trip, idempotent puts,
 * iteration order, status and delete, transactions (the tip lands with its
 * block or not at all), reopening, refusing what is not a store, and the
 * crash test: a child process writes blocks and reports each one the
 * moment the store accepted it, the parent SIGKILLs it at a random moment,
 * reopens the store and checks that every reported block is there, byte
 * for byte, that the tip matches the blocks, and that SQLite's integrity
 * check passes; forty times on one growing store.
 *
 * Every test gets a fresh directory under /tmp and removes it afterwards
 * (store_rig.h, shared with the tests of the store's other files:
 * test_store_dir.c for the directory and its lock, test_store_ckpt.c for
 * the log's bound, test_store_sqlite.c for no room and failed
 * allocations). The crash test prints its random seed;
 * PICKAXE_TEST_SEED=N repeats a run.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <fcntl.h>
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
#include "store.h"
#include "store_rig.h"

/* One suite-wide timeout: a per-test .timeout makes Criterion 2.4 leak 48
 * bytes in its runner under --jobs 2, which LeakSanitizer reports. */
TestSuite(store, .init = sr_make_tmp, .fini = sr_remove_tmp, .timeout = 60);

/* ---- basics -------------------------------------------------------------- */

Test(store, round_trip_blocks_and_meta)
{
    store_t *s = sr_open(sr_dir);
    for (uint64_t i = 0; i < 20; i++)
        cr_assert_eq(sr_put_blk(s, i), 0);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 20);
    for (uint64_t i = 0; i < 20; i++) {
        uint8_t h[32];
        sr_blk_hash(h, i);
        cr_assert(store_has_block(s, h));
        cr_assert(sr_blk_ok(s, i), "block %" PRIu64 " differs", i);
    }

    /* Unknown hash: ERR_NOT_FOUND, outputs untouched. */
    uint8_t h[32], *raw = (uint8_t *)"sentinel";
    size_t len = 12345;
    sr_blk_hash(h, 999);
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
    sr_blk_hash(h, 500);
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
    store_t *s = sr_open(sr_dir);
    uint8_t h0[32], h1[32], zero[32] = {0};
    sr_blk_hash(h0, 0);
    sr_blk_hash(h1, 1);
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
    store_t *s = sr_open(sr_dir);
    /* Inserted out of height order; label = the block's one byte. */
    const struct {
        char label;
        uint32_t height;
    } ins[] = {{'d', 2}, {'b', 1}, {'e', 2}, {'a', 0},
               {'c', 1}, {'g', 3}, {'f', 2}};
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
        uint8_t h[32], p[32] = {0};
        sr_blk_hash(h, 100 + i);
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
    sr_blk_hash(hd, 100); /* 'd' */
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
    store_t *s = sr_open(sr_dir);
    for (uint64_t i = 0; i < 5; i++)
        cr_assert_eq(sr_put_blk(s, i), 0);
    uint8_t h2[32], h9[32];
    sr_blk_hash(h2, 2);
    sr_blk_hash(h9, 9);

    int before = 0, after = 0;
    cr_assert_eq(store_iterate(s, sum_status, &before), 0);
    cr_assert_eq(store_set_status(s, h2, 40), 0);
    cr_assert_eq(store_iterate(s, sum_status, &after), 0);
    cr_assert_eq(after, before - sr_blk_status(2) + 40);
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
        cr_assert_eq(sr_blk_ok(s, i), i != 2);

    /* Survives a reopen. */
    store_close(&s);
    s = sr_open(sr_dir);
    cr_assert_not(store_has_block(s, h2));
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 4);
    store_close(&s);
}

/* ---- transactions -------------------------------------------------------- */

Test(store, tip_lands_with_its_block_or_not_at_all)
{
    store_t *s = sr_open(sr_dir);
    uint8_t h0[32], h1[32], h2[32], h3[32], tip[32];
    sr_blk_hash(h0, 0);
    sr_blk_hash(h1, 1);
    sr_blk_hash(h2, 2);
    sr_blk_hash(h3, 3);
    cr_assert_eq(sr_put_blk(s, 0), 0);
    cr_assert_eq(store_set_tip(s, h0), 0);

    /* Rolled back: neither the block nor the tip. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_begin(s), ERR_ARG); /* no nesting */
    cr_assert_eq(sr_put_blk(s, 1), 0);
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
    cr_assert_eq(sr_put_blk(s, 1), 0);
    cr_assert_eq(store_set_tip(s, h1), 0);
    store_close(&s);
    s = sr_open(sr_dir);
    cr_assert_not(store_has_block(s, h1));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h0, 32);

    /* Committed: both, and still both after a reopen. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(sr_put_blk(s, 1), 0);
    cr_assert_eq(store_set_tip(s, h1), 0);
    cr_assert_eq(store_commit(s), 0);

    /* A batch with its tip, alone and inside a transaction. */
    uint8_t b2[SR_RAW_MAX], b3[SR_RAW_MAX];
    store_block_t bl[2] = {sr_blk_make(b2, 2), sr_blk_make(b3, 3)};
    cr_assert_eq(store_put_blocks(s, bl, 1, h2), 0);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_put_blocks(s, bl + 1, 1, h3), 0);
    cr_assert_eq(store_rollback(s), 0);
    cr_assert_not(store_has_block(s, h3));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h2, 32);

    store_close(&s);
    s = sr_open(sr_dir);
    for (uint64_t i = 0; i < 3; i++)
        cr_assert(sr_blk_ok(s, i));
    cr_assert_not(store_has_block(s, h3));
    cr_assert_eq(store_get_tip(s, tip), 0);
    cr_assert_arr_eq(tip, h2, 32);
    store_close(&s);
}

/* ---- open, reopen, refuse ------------------------------------------------ */

Test(store, reopen_keeps_everything)
{
    store_t *s = NULL;
    cr_assert_eq(store_open(&s, sr_dir, STORE_SYNC_FULL), 0);
    uint8_t buf[8][SR_RAW_MAX];
    store_block_t bl[8];
    for (uint64_t i = 0; i < 8; i++)
        bl[i] = sr_blk_make(buf[i], i);
    cr_assert_eq(store_put_blocks(s, bl, 8, bl[7].hash), 0);
    cr_assert_eq(store_set_status(s, bl[3].hash, 77), 0);
    cr_assert_eq(store_meta_put(s, "network", "regtest", 7), 0);
    store_close(&s);

    s = sr_open(sr_dir);
    uint64_t n = 0;
    cr_assert_eq(store_count(s, &n), 0);
    cr_assert_eq(n, 8);
    for (uint64_t i = 0; i < 8; i++)
        cr_assert(sr_blk_ok(s, i), "block %" PRIu64, i);
    int sum = 0, want = 0;
    for (uint64_t i = 0; i < 8; i++)
        want += i == 3 ? 77 : sr_blk_status(i);
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

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
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
    cr_assert_eq(mkdir(sr_dir, 0700), 0);
    snprintf(db, sizeof db, "%s/" STORE_DB_NAME, sr_dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    const char text[] = "this is somebody's notes, not a block store\n"
                        "and it is long enough to fill a SQLite header.....\n"
                        "................................................\n";
    write_file(db, text, sizeof text - 1);

    store_t *s = NULL;
    sr_capture_start();
    int rc = store_open(&s, sr_dir, 0);
    const char *log = sr_capture_end();
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
    sr_capture_start();
    rc = store_open(&s, sr_dir, 0);
    log = sr_capture_end();
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
    store_t *s = sr_open(sr_dir);
    cr_assert_eq(sr_put_blk(s, 0), 0);
    store_close(&s);

    char db[192];
    snprintf(db, sizeof db, "%s/" STORE_DB_NAME, sr_dir);
    sqlite3 *raw;
    cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(raw, "PRAGMA user_version = 2", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(raw);

    sr_capture_start();
    int rc = store_open(&s, sr_dir, 0);
    const char *log = sr_capture_end();
    cr_assert_eq(rc, ERR_UNSUPPORTED);
    cr_assert_null(s);
    cr_assert_not_null(strstr(log, "schema version 2"), "%s", log);
    cr_assert_not_null(strstr(log, "newer pickaxe"), "%s", log);
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
    if (store_open(&s, sr_dir, flags) != 0)
        _exit(10);
    uint64_t next;
    if (store_count(s, &next) != 0)
        _exit(11);
    if (next > 0 && sr_put_blk(s, next - 1) != 0)
        _exit(12);
    static uint8_t bufs[CRASH_MAX_BATCH][SR_RAW_MAX];
    for (;;) {
        uint64_t r = sr_splitmix(&seed);
        int mode = (int)(r % 3);
        size_t k = mode == 0 ? 1 : 1 + (size_t)((r >> 8) % CRASH_MAX_BATCH);
        store_block_t bl[CRASH_MAX_BATCH];
        for (size_t j = 0; j < k; j++)
            bl[j] = sr_blk_make(bufs[j], next + j);
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
    uint8_t raw[SR_RAW_MAX], h[32], parent[32];
    size_t len = sr_blk_raw(raw, w->next);
    sr_blk_hash(h, w->next);
    sr_blk_parent(parent, w->next);
    if (b->height != w->next || memcmp(b->hash, h, 32) != 0 ||
        memcmp(b->parent, parent, 32) != 0 ||
        b->status != sr_blk_status(w->next) || b->len != len ||
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
        uint64_t x = sr_splitmix(&rng);
        uint64_t delay =
            x % 5 == 0 ? (x >> 8) % 3000 : 3000 + (x >> 8) % 120000;
        unsigned flags = cycle % 4 == 3 ? STORE_SYNC_FULL : 0;
        r.reported = 0;
        r.expect = stored; /* the child resumes after the last stored one */
        run_and_kill(&r, flags, sr_splitmix(&rng), delay, cycle);
        cr_assert_not(r.out_of_order,
                      "seed %" PRIu64 " cycle %d: reports "
                      "out of order",
                      seed, cycle);
        cr_assert_eq(r.partial_len, 0, "cycle %d: torn report", cycle);

        /* Reopen after the kill: clean open, integrity, every report. */
        store_t *s = NULL;
        int rc = store_open(&s, sr_dir, 0);
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
            sr_blk_hash(want, n - 1);
            cr_assert_arr_eq(tip, want, 32,
                             "seed %" PRIu64 " cycle %d: "
                             "tip is not block %" PRIu64,
                             seed, cycle, n - 1);
        }
        /* Every block new since the last check (all reported ones among
         * them), the one the child put again, and a few older ones. */
        for (uint64_t i = stored ? stored - 1 : 0; i < n; i++, checked++)
            cr_assert(sr_blk_ok(s, i),
                      "seed %" PRIu64 " cycle %d: block %" PRIu64
                      " missing or altered",
                      seed, cycle, i);
        for (int j = 0; j < 8 && n > 0; j++, checked++) {
            uint64_t i = sr_splitmix(&rng) % n;
            cr_assert(sr_blk_ok(s, i),
                      "seed %" PRIu64 " cycle %d: old block %" PRIu64
                      " missing or altered",
                      seed, cycle, i);
        }
        store_close(&s);
        grew += n > stored;
        stored = n;
    }

    /* Finally the whole store in iteration order, every field. */
    store_t *s = sr_open(sr_dir);
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
