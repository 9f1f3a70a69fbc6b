/*
 * Tests for src/core/difficulty.c: regtest never retargets; the demo network
 * keeps its bits at the target spacing, converges after the hashrate doubles
 * or halves (a deterministic simulation in which every block takes exactly
 * its expected number of hashes), clamps a window of lying timestamps to a
 * factor of three for every window length, and never goes easier than the
 * pow limit.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "block.h"
#include "difficulty.h"
#include "params.h"

static double target_of(uint32_t bits)
{
    uint256_t t;
    cr_assert_eq(block_bits_to_target(&t, bits), 0, "bits %08x", bits);
    return uint256_to_double(&t);
}

static double work_of(uint32_t bits)
{
    uint256_t w;
    cr_assert_eq(block_work_from_bits(&w, bits), 0, "bits %08x", bits);
    return uint256_to_double(&w);
}

Test(difficulty, regtest_always_pow_limit)
{
    const params_t *p = params_regtest();
    cr_assert_not(p->retarget);
    difficulty_sample_t w[30];
    for (int i = 0; i < 30; i++) {
        w[i].time = 1000 + 1000 * (uint32_t)i; /* very slow blocks */
        w[i].bits = 0x1d00ffff;                /* and harder bits */
    }
    for (size_t n = 0; n <= 30; n++)
        cr_assert_eq(difficulty_next_bits(p, w, n), p->pow_limit_bits);
    for (int i = 0; i < 30; i++)
        w[i].time = 1000; /* very fast blocks */
    cr_assert_eq(difficulty_next_bits(p, w, 30), p->pow_limit_bits);
}

Test(difficulty, demo_needs_two_samples)
{
    const params_t *p = params_demo();
    cr_assert(p->retarget);
    difficulty_sample_t w[1] = {{1000, 0x1d00ffff}};
    cr_assert_eq(difficulty_next_bits(p, w, 0), p->pow_limit_bits);
    cr_assert_eq(difficulty_next_bits(p, w, 1), p->pow_limit_bits);
}

/* A full window of blocks at `bits`, `spacing` seconds apart. */
static void fill_window(difficulty_sample_t *w, size_t n, uint32_t bits,
                        uint32_t spacing)
{
    for (size_t i = 0; i < n; i++) {
        w[i].time = 1764000000 + (uint32_t)i * spacing;
        w[i].bits = bits;
    }
}

Test(difficulty, steady_spacing_keeps_bits)
{
    const params_t *p = params_demo();
    size_t n = p->retarget_window + 1;
    difficulty_sample_t w[64];
    cr_assert_leq(n, 64);
    static const uint32_t bits[] = {0x1d00ffff, 0x1c0fffff, 0x1e7fffff,
                                    0x1b04864c};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        fill_window(w, n, bits[i], p->target_spacing);
        uint32_t next = difficulty_next_bits(p, w, n);
        double ratio = target_of(next) / target_of(bits[i]);
        cr_assert(ratio > 0.9999 && ratio <= 1.0, "bits %08x -> %08x (%f)",
                  bits[i], next, ratio);
    }
    /* The same for every shorter window of an early chain. */
    for (size_t k = 2; k <= n; k++) {
        fill_window(w, k, 0x1d00ffff, p->target_spacing);
        double ratio =
            target_of(difficulty_next_bits(p, w, k)) / target_of(0x1d00ffff);
        cr_assert(ratio > 0.9999 && ratio <= 1.0, "n %zu: %f", k, ratio);
    }
}

Test(difficulty, faster_blocks_raise_difficulty_slower_lower_it)
{
    const params_t *p = params_demo();
    size_t n = p->retarget_window + 1;
    difficulty_sample_t w[64];
    fill_window(w, n, 0x1d00ffff, p->target_spacing * 2); /* twice as slow */
    double up =
        target_of(difficulty_next_bits(p, w, n)) / target_of(0x1d00ffff);
    cr_assert(up > 1.999 && up <= 2.0, "%f", up);
    /* Twice as fast: 2.5 s a block, i.e. the window took 60 s of 120. */
    for (size_t i = 0; i < n; i++)
        w[i].time = 1764000000 + (uint32_t)(i * 5 / 2);
    double down =
        target_of(difficulty_next_bits(p, w, n)) / target_of(0x1d00ffff);
    cr_assert(down > 0.499 && down <= 0.5, "%f", down);
}

/*
 * A deterministic mining simulation: every block takes exactly its expected
 * number of hashes (work_from_bits of the bits it carries) at `hashrate`,
 * real time is kept exactly and the header time is its whole seconds.
 */
typedef struct {
    const params_t *p;
    difficulty_sample_t hist[2048];
    double block_secs[2048]; /* real time each block took */
    size_t len;
    double now;
} sim_t;

static void sim_start(sim_t *s, const params_t *p, uint32_t bits)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->now = 1764000000.0;
    /* A history that has been at `bits` and on schedule for a while. */
    for (size_t i = 0; i <= p->retarget_window; i++) {
        if (i > 0)
            s->now += p->target_spacing;
        s->hist[s->len].time = (uint32_t)s->now;
        s->hist[s->len].bits = bits;
        s->block_secs[s->len] = p->target_spacing;
        s->len++;
    }
}

static void sim_mine(sim_t *s, double hashrate, size_t blocks)
{
    for (size_t b = 0; b < blocks; b++) {
        cr_assert_lt(s->len, sizeof s->hist / sizeof s->hist[0]);
        size_t n = s->p->retarget_window + 1;
        if (n > s->len)
            n = s->len;
        uint32_t bits = difficulty_next_bits(s->p, s->hist + s->len - n, n);
        double secs = work_of(bits) / hashrate;
        s->now += secs;
        s->hist[s->len].time = (uint32_t)floor(s->now);
        s->hist[s->len].bits = bits;
        s->block_secs[s->len] = secs;
        s->len++;
    }
}

/* Average real block time of the `count` blocks ending `ago` blocks back. */
static double sim_avg(const sim_t *s, size_t ago, size_t count)
{
    double sum = 0;
    for (size_t i = s->len - ago - count; i < s->len - ago; i++)
        sum += s->block_secs[i];
    return sum / (double)count;
}

static void expect_converged(const sim_t *s, size_t ago, double tolerance,
                             const char *what)
{
    size_t win = s->p->retarget_window;
    double avg = sim_avg(s, ago, win);
    double spacing = s->p->target_spacing;
    cr_assert(fabs(avg - spacing) <= tolerance * spacing,
              "%s: average block time %.3f s, target %.0f s", what, avg,
              spacing);
}

static void convergence(double factor)
{
    const params_t *p = params_demo();
    size_t win = p->retarget_window;
    uint32_t bits0 = 0x1d00ffff;
    double h0 = work_of(bits0) / p->target_spacing;
    static sim_t s;
    sim_start(&s, p, bits0);
    /* Converged: a window at the old hashrate stays on schedule. */
    sim_mine(&s, h0, win);
    expect_converged(&s, 0, 0.01, "before the change");

    /* The hashrate changes; the first window is off... */
    sim_mine(&s, h0 * factor, win);
    double first = sim_avg(&s, 0, win);
    cr_assert(fabs(first - p->target_spacing) > 0.15 * p->target_spacing,
              "the first window should still show the change (%.3f s)", first);
    /* ...by the third window the average is back within 15 %, and later
     * windows stay within 5 % (no oscillation). */
    sim_mine(&s, h0 * factor, 2 * win);
    expect_converged(&s, 0, 0.15, "third window");
    sim_mine(&s, h0 * factor, 6 * win);
    for (size_t k = 0; k < 6; k++)
        expect_converged(&s, k * win, 0.05, "later windows");
    /* The difficulty followed the hashrate. */
    double ratio = work_of(s.hist[s.len - 1].bits) / work_of(bits0);
    cr_assert(fabs(ratio - factor) < 0.15 * factor, "work ratio %f", ratio);
}

Test(difficulty, converges_after_hashrate_doubles)
{
    convergence(2.0);
}

Test(difficulty, converges_after_hashrate_halves)
{
    convergence(0.5);
}

Test(difficulty, converges_from_pow_limit_at_genesis)
{
    /* A new demo chain: genesis at the pow limit and a hashrate far above
     * it; every window length from 2 up is used on the way. */
    const params_t *p = params_demo();
    static sim_t s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.now = 1764000000.0;
    s.hist[0].time = (uint32_t)s.now;
    s.hist[0].bits = p->pow_limit_bits;
    s.block_secs[0] = p->target_spacing;
    s.len = 1;
    double h = work_of(0x1d00ffff) / p->target_spacing;
    sim_mine(&s, h, 40 * p->retarget_window);
    expect_converged(&s, 0, 0.05, "after 40 windows");
}

/* Clamps: the next target is within [1/3, 3] of the window's average
 * target whatever the timestamps say, for every window length. */
Test(difficulty, clamps_lying_timestamps_to_three_times)
{
    const params_t *p = params_demo();
    difficulty_sample_t w[64];
    uint32_t bits = 0x1d00ffff;
    double t0 = target_of(bits);
    for (size_t n = 2; n <= p->retarget_window + 1; n++) {
        /* Much too slow: ten thousand seconds a block. */
        fill_window(w, n, bits, 10000);
        double up = target_of(difficulty_next_bits(p, w, n)) / t0;
        cr_assert(up <= 3.0 && up > 2.99, "n %zu: slow x%f", n, up);
        /* Much too fast: all at once, and even going back in time. */
        fill_window(w, n, bits, 0);
        double down = target_of(difficulty_next_bits(p, w, n)) / t0;
        cr_assert(down >= 1.0 / 3.0 * 0.9999 && down < 0.34, "n %zu: fast x%f",
                  n, down);
        w[n - 1].time = w[0].time - 100000;
        down = target_of(difficulty_next_bits(p, w, n)) / t0;
        cr_assert(down >= 1.0 / 3.0 * 0.9999 && down < 0.34,
                  "n %zu: backwards x%f", n, down);
    }
}

Test(difficulty, never_easier_than_pow_limit)
{
    const params_t *p = params_demo();
    size_t n = p->retarget_window + 1;
    difficulty_sample_t w[64];
    double limit = target_of(p->pow_limit_bits);
    /* At the limit and slow: stays at the limit. */
    fill_window(w, n, p->pow_limit_bits, 1000);
    cr_assert_eq(difficulty_next_bits(p, w, n), p->pow_limit_bits);
    /* Just below the limit and slow: capped at the limit. */
    fill_window(w, n, 0x1f007fff, 1000);
    cr_assert_eq(difficulty_next_bits(p, w, n), p->pow_limit_bits);
    /* Bits easier than the limit in the window count as the limit. */
    fill_window(w, n, 0x207fffff, p->target_spacing);
    uint32_t next = difficulty_next_bits(p, w, n);
    cr_assert_leq(target_of(next), limit);
    /* Invalid bits count as the limit too, and do not break anything. */
    fill_window(w, n, 0, p->target_spacing);
    next = difficulty_next_bits(p, w, n);
    cr_assert_leq(target_of(next), limit);
    cr_assert_geq(target_of(next), limit * 0.999);
    /* Random windows never give an invalid or too easy target. */
    uint64_t x = 88172645463325252ULL;
    for (int iter = 0; iter < 2000; iter++) {
        size_t k = 2 + (size_t)(iter % (int)(n - 1));
        for (size_t i = 0; i < k; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            w[i].time = (uint32_t)(x >> 32);
            w[i].bits = (uint32_t)x;
        }
        next = difficulty_next_bits(p, w, k);
        uint256_t t;
        cr_assert_eq(block_bits_to_target(&t, next), 0, "bits %08x", next);
        cr_assert_leq(uint256_to_double(&t), limit);
    }
}
