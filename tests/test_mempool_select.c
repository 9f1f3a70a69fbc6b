/*
 * Tests for src/core/mempool_select.c: what goes into a block template.
 * Highest fee first, each sender's transfers in nonce order, equal fees
 * first seen first, within a count and a byte limit, valid against a state
 * newer than the pool's, and (with random offers) every selection of the
 * whole pool applies in order. The chain is played with mempool_rig.h.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mempool.h"
#include "mempool_rig.h"

TestSuite(mempool_select, .init = mp_setup, .fini = mp_teardown);

/* ---- selection ---------------------------------------------------------- */

Test(mempool_select, orders_by_fee_and_respects_nonce_order)
{
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    mp_fund(C, 1000, 0);
    tx_t a0 = mp_pay(A, 10, 1, 0), a1 = mp_pay(A, 10, 100, 1);
    tx_t b0 = mp_pay(B, 10, 50, 0), c0 = mp_pay(C, 10, 10, 0);
    mp_add_ok(&a0);
    mp_add_ok(&a1);
    mp_add_ok(&b0);
    mp_add_ok(&c0);
    tx_t sel[8];
    size_t n = 0;
    uint64_t fees = 0;
    cr_assert_eq(
        mempool_select(mp_pool, sel, &n, &fees, mp_best, 8, BLOCK_MAX_SIZE), 0);
    cr_assert_eq(n, 4);
    /* Heads compete by fee; A's fee-100 transfer waits for its nonce-0. */
    const tx_t *want[4] = {&b0, &c0, &a0, &a1};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(memcmp(&sel[i], want[i], sizeof(tx_t)), 0, "position %zu",
                     i);
    cr_assert_eq(fees, 161);
    cr_assert_eq(mp_check_pool_applies(mp_best), 4);
}

Test(mempool_select, equal_fees_first_seen_first)
{
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    tx_t b0 = mp_pay(B, 10, 7, 0), a0 = mp_pay(A, 10, 7, 0);
    mp_add_ok(&b0);
    mp_add_ok(&a0);
    tx_t sel[2];
    size_t n;
    cr_assert_eq(
        mempool_select(mp_pool, sel, &n, NULL, mp_best, 2, BLOCK_MAX_SIZE), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(memcmp(&sel[0], &b0, sizeof(tx_t)), 0);
}

Test(mempool_select, respects_count_and_byte_limits)
{
    for (int s = A; s <= E; s++) {
        mp_fund(s, 1000, 0);
        tx_t t = mp_pay(s, 10, 10 + (uint64_t)s, 0);
        mp_add_ok(&t);
    }
    tx_t sel[5];
    size_t n;
    uint64_t fees;
    cr_assert_eq(
        mempool_select(mp_pool, sel, &n, &fees, mp_best, 2, BLOCK_MAX_SIZE), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(fees, (10 + E) + (10 + D));
    cr_assert_eq(mempool_select(mp_pool, sel, &n, &fees, mp_best, 5,
                                3 * TX_TRANSFER_SIZE + TX_TRANSFER_SIZE - 1),
                 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(mempool_select(mp_pool, sel, &n, &fees, mp_best, 5, 0), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(fees, 0);
}

Test(mempool_select, against_a_newer_state_stays_valid)
{
    /* The pool is behind: the state the block builds on has used A's
     * nonce 0 and drained B. The selection still applies. */
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    mp_fund(C, 1000, 0);
    tx_t a[3] = {mp_pay(A, 10, 9, 0), mp_pay(A, 10, 9, 1), mp_pay(A, 10, 9, 2)};
    tx_t b0 = mp_pay(B, 500, 20, 0), c0 = mp_pay(C, 10, 1, 0);
    for (int i = 0; i < 3; i++)
        mp_add_ok(&a[i]);
    mp_add_ok(&b0);
    mp_add_ok(&c0);

    state_t *newer = state_new_overlay(mp_best);
    account_t acc_a = {990, 1}, acc_b = {100, 0};
    cr_assert_eq(state_set(newer, mp_key[A].pub, &acc_a), 0);
    cr_assert_eq(state_set(newer, mp_key[B].pub, &acc_b), 0);
    tx_t sel[8];
    size_t n;
    cr_assert_eq(
        mempool_select(mp_pool, sel, &n, NULL, newer, 8, BLOCK_MAX_SIZE), 0);
    cr_assert_eq(n, 3, "a1, a2, c0");
    state_t *ov = state_new_overlay(newer);
    for (size_t i = 0; i < n; i++) {
        cr_assert_neq(memcmp(sel[i].sender, mp_key[B].pub, 32), 0);
        cr_assert_eq(state_apply_transfer(ov, NULL, NULL, &sel[i]), 0);
    }
    state_free(&ov);
    state_free(&newer);
}

/* A deterministic generator for the randomized test. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

Test(mempool_select, random_offers_keep_pool_valid_and_selection_applies)
{
    /* Senders pay each other (so recipients are also senders); many
     * offers are refused (gaps, replays, overspends, conflicts); whatever
     * the pool holds must always select whole and apply in order. */
    mempool_free(&mp_pool);
    mp_pool = mempool_new(NET, 40);
    for (int s = A; s <= F; s++)
        mp_fund(s, 500, rng() % 3);
    for (int round = 0; round < 300; round++) {
        int from = (int)(rng() % 6), to = (int)(rng() % 7);
        account_t acc;
        state_get(mp_best, &acc, mp_key[from].pub);
        uint64_t nonce = acc.nonce + rng() % 8;
        nonce = nonce >= 2 ? nonce - 2 : nonce; /* some replays */
        tx_t t;
        mp_xfer(&t, &mp_key[from], mp_key[to].pub, 1 + rng() % 120, rng() % 30,
                nonce);
        int rc = mempool_add(mp_pool, NULL, mp_best, &t);
        cr_assert(rc == 0 || rc == ERR_INVALID || rc == ERR_FULL ||
                      rc == ERR_DUPLICATE,
                  "rc %d", rc);
        cr_assert_leq(mempool_count(mp_pool), 40);
        if (round % 50 == 49)
            mp_check_pool_applies(mp_best);
    }
    cr_assert_gt(mempool_count(mp_pool), 5, "the test should fill the pool");
    mp_check_pool_applies(mp_best);
}
