/*
 * Tests for src/core/sigcheck.c: a block's worth of signed transfers verifies
 * on one thread and on several; one bad signature or one unsigned transfer
 * among 200 is found at its index with its reason, the same index whatever
 * the thread count; with several bad ones the first is reported.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "fixtures.h"
#include "sigcheck.h"

enum { N = 200 };

static tx_t txs[N];
static const uint8_t *net;

/* txs[0] is a coinbase (never signed, always skipped), the rest transfers
 * from three keys, validly signed for regtest. */
static void setup(void)
{
    const params_t *p = params_regtest();
    net = p->network_id;
    fx_key_t k[3];
    for (int i = 0; i < 3; i++)
        fx_key(&k[i], (uint8_t)(10 + i));
    tx_init_coinbase(&txs[0], 1, 0, k[0].pub, 50 * COIN);
    for (size_t i = 1; i < N; i++)
        fx_transfer(&txs[i], p, &k[i % 3], k[(i + 1) % 3].pub, 1000 + i, 10,
                    i / 3);
}

TestSuite(sigcheck, .init = setup);

/* 0 and 1 mean the caller's thread only; 1000 is capped by the module. */
static const unsigned thread_counts[] = {0, 1, 2, 4, 7, 1000};
#define NTHREADS (sizeof thread_counts / sizeof thread_counts[0])

Test(sigcheck, all_valid)
{
    for (size_t t = 0; t < NTHREADS; t++) {
        size_t bad = 12345;
        const char *why = NULL;
        cr_assert_eq(sigcheck_verify(&bad, &why, txs, N, net, thread_counts[t]),
                     0, "threads %u: %s at %zu", thread_counts[t],
                     why ? why : "-", bad);
    }
    /* Fewer transactions than threads, and none at all. */
    for (size_t n = 0; n < 20; n++)
        cr_assert_eq(sigcheck_verify(NULL, NULL, txs, n, net, 4), 0);
    cr_assert_geq(sigcheck_default_threads(), 1);
    cr_assert_eq(
        sigcheck_verify(NULL, NULL, txs, N, net, sigcheck_default_threads()),
        0);
}

/* Expects exactly this failure for every thread count. */
static void expect_bad(const tx_t *set, size_t n, size_t index,
                       const char *reason)
{
    for (size_t t = 0; t < NTHREADS; t++) {
        size_t bad = SIZE_MAX;
        const char *why = NULL;
        cr_assert_eq(sigcheck_verify(&bad, &why, set, n, net, thread_counts[t]),
                     ERR_INVALID, "threads %u", thread_counts[t]);
        cr_assert_eq(bad, index, "threads %u: index %zu, want %zu",
                     thread_counts[t], bad, index);
        cr_assert_str_eq(why, reason, "threads %u", thread_counts[t]);
    }
    /* bad and reason may be NULL. */
    cr_assert_eq(sigcheck_verify(NULL, NULL, set, n, net, 4), ERR_INVALID);
}

Test(sigcheck, one_bad_signature_among_200)
{
    static const size_t where[] = {1, 2, 49, 50, 51, 99, 100, 150, 198, 199};
    static tx_t copy[N];
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        memcpy(copy, txs, sizeof copy);
        size_t i = where[w];
        if (w % 2)
            copy[i].amount++; /* the signature no longer matches */
        else
            copy[i].sig[17] ^= 0x01; /* the signature itself is wrong */
        expect_bad(copy, N, i, "bad-txns-sig");
    }
}

Test(sigcheck, unsigned_transfer)
{
    static tx_t copy[N];
    memcpy(copy, txs, sizeof copy);
    memset(copy[137].sig, 0, 64);
    expect_bad(copy, N, 137, "bad-txns-unsigned");
    /* An unsigned transfer alone. */
    tx_t t = txs[5];
    memset(t.sig, 0, 64);
    expect_bad(&t, 1, 0, "bad-txns-unsigned");
}

Test(sigcheck, first_of_several_failures_is_reported)
{
    /* Later failures sit at the start of later slices (2 threads: 100;
     * 4 threads: 100, 150; 7 threads: 174), so other threads find them
     * long before the first one is reached at the end of an earlier
     * slice. */
    static tx_t copy[N];
    memcpy(copy, txs, sizeof copy);
    copy[174].amount++;
    memset(copy[100].sig, 0, 64);
    copy[150].sig[0] ^= 0x80;
    copy[99].fee++;
    expect_bad(copy, N, 99, "bad-txns-sig");
    memset(copy[49].sig, 0, 64);
    expect_bad(copy, N, 49, "bad-txns-unsigned");
}

Test(sigcheck, signatures_are_bound_to_the_network)
{
    const uint8_t *demo = params_demo()->network_id;
    cr_assert(memcmp(demo, net, 32) != 0);
    for (size_t t = 0; t < NTHREADS; t++) {
        size_t bad = SIZE_MAX;
        const char *why = NULL;
        cr_assert_eq(
            sigcheck_verify(&bad, &why, txs, N, demo, thread_counts[t]),
            ERR_INVALID);
        cr_assert_eq(bad, 1, "txs[0] is the coinbase, skipped");
        cr_assert_str_eq(why, "bad-txns-sig");
    }
}

Test(sigcheck, coinbases_are_skipped)
{
    static tx_t cbs[40];
    for (size_t i = 0; i < 40; i++)
        tx_init_coinbase(&cbs[i], (uint32_t)i, i, txs[1].sender, COIN);
    cr_assert_eq(sigcheck_verify(NULL, NULL, cbs, 40, net, 4), 0);
}
