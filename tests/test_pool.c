/*
 * Tests for miner/pool.c: start, stop and restart; work switching (every
 * worker on the new generation after a publication); solutions on trivial
 * targets are valid block headers (merkle root rebuilt from the coinbase
 * with the reported extra-nonce and the branch, hash re-checked); extra-nonce
 * and time rolling; version rolling; disjoint work; pause stops hashing. Also
 * built with ThreadSanitizer (with the runner in criterion_tsan.h, since
 * Criterion itself cannot start under TSan). Waits poll with generous
 * deadlines; no timing is asserted.
 */
#ifdef __SANITIZE_THREAD__
#include "criterion_tsan.h"
#else
#include <criterion/criterion.h>
#endif
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "kernel.h"
#include "pool.h"
#include "sha256.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls cond for up to 20 s. */
#define WAIT_FOR(cond)                                                         \
    do {                                                                       \
        int waited_ = 0;                                                       \
        while (!(cond) && waited_ < 20000) {                                   \
            sleep_ms(2);                                                       \
            waited_ += 2;                                                      \
        }                                                                      \
        cr_assert(cond, "timed out waiting for " #cond);                       \
    } while (0)

static const uint8_t prefix[] = "coinbase prefix: height 7, to pickaxe1qqq";
static const uint8_t suffix[] = "coinbase suffix: amount 5000000000";
static uint8_t branch[3][32];

static void make_job(pool_job_t *j, uint64_t id, bool coinbase,
                     uint8_t target_top_byte)
{
    memset(j, 0, sizeof *j);
    j->job_id = id;
    le32_put(j->header, 0x20000000u);
    for (int i = 0; i < 32; i++)
        j->header[4 + i] = (uint8_t)(id + (uint64_t)i); /* previous hash */
    memset(j->header + 36, 0xee, 32);                   /* merkle root */
    le32_put(j->header + 68, 1700000000u);
    le32_put(j->header + 72, 0x207fffffu);
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 32; i++)
            branch[b][i] = (uint8_t)(b * 50 + i);
    if (coinbase) {
        j->coinbase_prefix = prefix;
        j->coinbase_prefix_len = sizeof prefix - 1;
        j->coinbase_suffix = suffix;
        j->coinbase_suffix_len = sizeof suffix - 1;
        j->branch = (const uint8_t(*)[32])branch;
        j->branch_len = 3;
    }
    memset(j->target, 0xff, 32);
    j->target[31] = target_top_byte;
    j->extranonce_start = 1000;
}

/* Realistic target: top 64 bits zero, so no solution in a test's time. */
static void hard_target(pool_job_t *j)
{
    memset(j->target + 24, 0, 8);
}

/* Everything a solution must satisfy, rebuilt without the pool's code. */
static void check_solution(const pool_solution_t *s, const pool_job_t *j)
{
    cr_assert_eq(s->job_id, j->job_id);
    cr_assert_eq(le32_get(s->header + 76), s->nonce);
    cr_assert_eq(le32_get(s->header + 68), s->time);
    /* The version is the job's, or with bits 13..16 rolled when the job
     * allows it and the kernel rolls. */
    uint32_t moved = le32_get(s->header) ^ le32_get(j->header);
    cr_assert_eq(le32_get(s->header), s->version);
    cr_assert_eq(moved & ~(uint32_t)0x1e000, 0, "version bits outside 13..16");
    cr_assert_lt(moved >> 13, j->version_roll ? j->version_roll : 1,
                 "version index past the job's allowance");
    cr_assert_arr_eq(s->header + 4, j->header + 4, 32, "previous hash");
    cr_assert_arr_eq(s->header + 72, j->header + 72, 4, "bits");
    if (j->coinbase_prefix) {
        uint8_t cb[256], h[32];
        size_t n = 0;
        memcpy(cb, prefix, sizeof prefix - 1);
        n += sizeof prefix - 1;
        le64_put(cb + n, s->extranonce);
        n += 8;
        memcpy(cb + n, suffix, sizeof suffix - 1);
        n += sizeof suffix - 1;
        sha256d(h, cb, n);
        for (int b = 0; b < 3; b++) {
            uint8_t pair[64];
            memcpy(pair, h, 32);
            memcpy(pair + 32, branch[b], 32);
            sha256d(h, pair, 64);
        }
        cr_assert_arr_eq(s->header + 36, h, 32, "merkle root");
        cr_assert_eq(s->time, le32_get(j->header + 68));
    } else {
        cr_assert_arr_eq(s->header + 36, j->header + 36, 32, "merkle root");
        cr_assert_geq(s->time, le32_get(j->header + 68));
    }
    uint8_t h[32];
    sha256d(h, s->header, 80);
    cr_assert_arr_eq(h, s->hash, 32);
    cr_assert(kernel_hash_meets(h, j->target));
}

Test(pool, start_stop_restart, .timeout = 60)
{
    for (int round = 0; round < 3; round++) {
        pool_t *p = pool_new(2, "auto");
        cr_assert_not_null(p);
        cr_assert_eq(pool_threads(p), 2);
        cr_assert_eq(pool_total_hashes(p), 0, "hashing without a job");
        pool_job_t j;
        make_job(&j, 1, true, 0xff);
        hard_target(&j);
        cr_assert_eq(pool_set_job(p, &j), 0);
        WAIT_FOR(pool_thread_hashes(p, 0) > 0 && pool_thread_hashes(p, 1) > 0);
        cr_assert_gt(pool_hashrate(p), 0);
        cr_assert_gt(pool_thread_cpu_seconds(p, 0), 0);
        cr_assert_lt(pool_thread_cpu_seconds(p, 2), 0, "no worker 2");
        pool_free(&p);
        cr_assert_null(p);
    }
    pool_free(NULL);
}

Test(pool, default_is_one_worker_per_core, .timeout = 60)
{
    pool_t *p = pool_new(0, NULL);
    cr_assert_not_null(p);
    cr_assert_geq(pool_threads(p), 1);
    cr_assert_leq(pool_threads(p), (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    cr_assert(kernel_find(pool_kernel(p)) == kernel_auto());
    pool_free(&p);
}

Test(pool, bad_arguments_refused)
{
    cr_assert_null(pool_new(1, "no-such-kernel"));
    cr_assert_null(pool_new(POOL_MAX_THREADS + 1, "generic"));
    pool_t *p = pool_new(1, "generic");
    cr_assert_not_null(p);
    pool_job_t j;
    make_job(&j, 1, true, 0xff);
    j.branch = NULL; /* branch_len is 3 */
    cr_assert_eq(pool_set_job(p, &j), ERR_ARG);
    pool_solution_t s;
    cr_assert_eq(pool_next_solution(p, &s, 0), ERR_TIMEOUT);
    double p50, p99;
    cr_assert_eq(pool_switch_latency(p, &p50, &p99, NULL), ERR_NOT_FOUND);
    pool_free(&p);
}

Test(pool, every_worker_switches_to_new_job, .timeout = 60)
{
    pool_t *p = pool_new(3, "auto");
    cr_assert_not_null(p);
    pool_job_t a, b;
    make_job(&a, 10, true, 0xff);
    hard_target(&a);
    cr_assert_eq(pool_set_job(p, &a), 0);
    WAIT_FOR(pool_min_worker_generation(p) == pool_generation(p));
    for (uint64_t id = 11; id < 20; id++) {
        make_job(&b, id, true, 0xff);
        hard_target(&b);
        uint64_t before = pool_generation(p);
        cr_assert_eq(pool_set_job(p, &b), 0);
        cr_assert_eq(pool_generation(p), before + 1);
        WAIT_FOR(pool_min_worker_generation(p) == before + 1);
    }
    /* The last job has an easy target: its solutions carry its id. */
    make_job(&b, 99, true, 0x0f);
    cr_assert_eq(pool_set_job(p, &b), 0);
    pool_solution_t s;
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(pool_next_solution(p, &s, 20000), 0);
        check_solution(&s, &b);
    }
    double p50, p99;
    size_t n = 0;
    cr_assert_eq(pool_switch_latency(p, &p50, &p99, &n), 0);
    cr_assert_geq(n, 1);
    cr_assert_leq(p50, p99);
    pool_free(&p);
}

Test(pool, solutions_on_trivial_target_are_valid, .timeout = 60)
{
    pool_t *p = pool_new(2, "auto");
    cr_assert_not_null(p);
    pool_job_t j;
    make_job(&j, 7, true, 0x7f);
    cr_assert_eq(pool_set_job(p, &j), 0);
    pool_solution_t s;
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(pool_next_solution(p, &s, 20000), 0);
        check_solution(&s, &j);
    }
    cr_assert_eq(pool_rejected(p), 0);
    pool_free(&p);
}

Test(pool, extranonce_roll_rebuilds_merkle_root, .timeout = 60)
{
    enum { N = 2, WANT = 400 };
    pool_t *p = pool_new(N, "auto");
    cr_assert_not_null(p);
    pool_job_t j;
    make_job(&j, 8, true, 0x3f); /* a quarter of nonces hit */
    j.nonces_per_header = 64;    /* roll every 32 nonces per worker */
    cr_assert_eq(pool_set_job(p, &j), 0);
    static pool_solution_t got[WANT];
    for (int i = 0; i < WANT; i++) {
        cr_assert_eq(pool_next_solution(p, &got[i], 20000), 0);
        check_solution(&got[i], &j);
        cr_assert_lt(got[i].nonce, 64);
    }
    pool_free(&p);
    /* Several extra-nonces per worker, each in its worker's class, each
     * (extra-nonce, nonce) pair found once: the work is disjoint. */
    size_t distinct = 0;
    for (int i = 0; i < WANT; i++) {
        cr_assert_geq(got[i].extranonce, j.extranonce_start);
        unsigned worker =
            (unsigned)((got[i].extranonce - j.extranonce_start) % N);
        /* Worker w scans nonce slice w: [32w, 32w + 32). */
        cr_assert_eq(got[i].nonce / 32, worker, "nonce %u with extranonce %llu",
                     got[i].nonce, (unsigned long long)got[i].extranonce);
        bool first = true;
        for (int k = 0; k < i; k++) {
            cr_assert(!(got[k].extranonce == got[i].extranonce &&
                        got[k].nonce == got[i].nonce),
                      "duplicate work");
            if (got[k].extranonce == got[i].extranonce)
                first = false;
        }
        distinct += first;
    }
    cr_assert_geq(distinct, 4, "only %zu extra-nonces", distinct);
}

Test(pool, time_rolls_without_coinbase, .timeout = 60)
{
    pool_t *p = pool_new(2, "auto");
    cr_assert_not_null(p);
    pool_job_t j;
    make_job(&j, 9, false, 0x3f);
    j.nonces_per_header = 64;
    cr_assert_eq(pool_set_job(p, &j), 0);
    uint32_t max_time = 0;
    pool_solution_t s;
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(pool_next_solution(p, &s, 20000), 0);
        check_solution(&s, &j);
        cr_assert_eq(s.extranonce, 0);
        if (s.time > max_time)
            max_time = s.time;
    }
    cr_assert_gt(max_time, le32_get(j.header + 68));
    pool_free(&p);
}

Test(pool, pause_stops_hashing_and_resume_restarts, .timeout = 60)
{
    pool_t *p = pool_new(2, "auto");
    cr_assert_not_null(p);
    pool_job_t j;
    make_job(&j, 3, true, 0xff);
    hard_target(&j);
    cr_assert_eq(pool_set_job(p, &j), 0);
    WAIT_FOR(pool_total_hashes(p) > 0);
    pool_pause(p);
    uint64_t h = pool_total_hashes(p);
    sleep_ms(50);
    cr_assert_eq(pool_total_hashes(p), h, "hashing while paused");
    /* A job published while paused is taken on resume. */
    make_job(&j, 4, true, 0xff);
    hard_target(&j);
    cr_assert_eq(pool_set_job(p, &j), 0);
    sleep_ms(20);
    cr_assert_eq(pool_total_hashes(p), h, "a new job resumed hashing");
    pool_resume(p);
    WAIT_FOR(pool_total_hashes(p) > h);
    WAIT_FOR(pool_min_worker_generation(p) == pool_generation(p));
    pool_free(&p);
}

Test(pool, version_rolling_solutions_are_valid, .timeout = 60)
{
    /* auto is avx512 where the CPU has it, the kernel that rolls. */
    pool_t *p = pool_new(2, "auto");
    cr_assert_not_null(p);
    const unsigned rolls = kernel_roll_versions(kernel_auto());
    pool_job_t j;
    make_job(&j, 42, true, 0x0f);
    j.version_roll = 8;
    cr_assert_eq(pool_set_job(p, &j), 0);
    unsigned seen = 0; /* version indexes seen, as bits */
    for (int i = 0; i < 64; i++) {
        pool_solution_t s;
        cr_assert_eq(pool_next_solution(p, &s, 20000), 0);
        check_solution(&s, &j);
        unsigned idx = (le32_get(s.header) ^ le32_get(j.header)) >> 13;
        cr_assert_lt(idx, rolls < 8 ? rolls : 8);
        seen |= 1u << idx;
    }
    /* 64 solutions spread over 8 versions (1 where the kernel does not
     * roll): more than one version shows up unless nothing rolls. */
    if (rolls > 1)
        cr_assert_gt(__builtin_popcount(seen), 1, "no rolled version found");
    else
        cr_assert_eq(seen, 1);
    pool_free(&p);
}
