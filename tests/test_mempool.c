/*
 * Tests for src/core/mempool.c with real signed transfers (fixtures keys):
 * admission and every refusal reason, replace-by-fee, iteration, eviction
 * in a full pool, and following the chain through connected and
 * disconnected blocks and a reorg. Selection (mempool_select.c) is
 * test_mempool_select.c's; both play the chain with mempool_rig.h.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "block.h"
#include "err.h"
#include "fixtures.h"
#include "keys.h"
#include "mempool.h"
#include "mempool_rig.h"
#include "params.h"
#include "state.h"

TestSuite(mempool, .init = mp_setup, .fini = mp_teardown);

/* ---- lifecycle ---------------------------------------------------------- */

Test(mempool, new_refuses_zero_capacity_and_free_clears)
{
    cr_assert_null(mempool_new(NET, 0));
    mempool_t *m = mempool_new(NET, 1);
    cr_assert_not_null(m);
    mempool_free(&m);
    cr_assert_null(m);
    mempool_free(&m); /* NULL is harmless */
    mempool_free(NULL);
}

/* ---- admission ---------------------------------------------------------- */

Test(mempool, accepts_valid_transfer)
{
    mp_fund(A, 1000, 0);
    tx_t t = mp_pay(A, 100, 1, 0);
    mp_add_ok(&t);
    cr_assert_eq(mempool_count(mp_pool), 1);
    uint8_t id[32];
    mp_txid_of(id, &t);
    const tx_t *got = mempool_get(mp_pool, id);
    cr_assert_not_null(got);
    cr_assert_eq(memcmp(got, &t, sizeof t), 0);
    cr_assert_eq(mempool_next_nonce(mp_pool, mp_best, mp_key[A].pub), 1);
    cr_assert_eq(mempool_next_nonce(mp_pool, mp_best, mp_key[B].pub), 0);
}

Test(mempool, sender_queues_three_nonce_after_nonce)
{
    mp_fund(A, 1000, 4);
    tx_t t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = mp_pay(A, 100, 1, 4 + (uint64_t)i);
        mp_add_ok(&t[i]);
    }
    cr_assert_eq(mempool_count(mp_pool), 3);
    cr_assert_eq(mempool_next_nonce(mp_pool, mp_best, mp_key[A].pub), 7);
    mp_check_pool_applies(mp_best);
}

Test(mempool, refuses_nonce_gap)
{
    mp_fund(A, 1000, 0);
    tx_t t1 = mp_pay(A, 100, 1, 1);
    mp_add_refused(&t1, ERR_INVALID, "bad-txns-nonce-gap");
    tx_t t0 = mp_pay(A, 100, 1, 0), t3 = mp_pay(A, 100, 1, 3);
    mp_add_ok(&t0);
    mp_add_refused(&t3, ERR_INVALID, "bad-txns-nonce-gap");
    mp_add_ok(&t1); /* the gap closes nonce by nonce */
}

Test(mempool, refuses_replay)
{
    mp_fund(A, 1000, 5);
    tx_t t = mp_pay(A, 100, 1, 4);
    mp_add_refused(&t, ERR_INVALID, "bad-txns-nonce-replay");
}

Test(mempool, refuses_overspend_across_queued_transfers)
{
    mp_fund(A, 100, 0);
    tx_t t0 = mp_pay(A, 40, 1, 0), t1 = mp_pay(A, 40, 1, 1),
         t2 = mp_pay(A, 40, 1, 2);
    mp_add_ok(&t0);
    mp_add_ok(&t1);
    /* 40 + 1 would fit alone; after the two pending ones only 18 is left. */
    mp_add_refused(&t2, ERR_INVALID, "bad-txns-insufficient-funds");
    tx_t t2small = mp_pay(A, 17, 1, 2);
    mp_add_ok(&t2small);
}

Test(mempool, refuses_zero_amount_with_state_reason)
{
    mp_fund(A, 100, 0);
    tx_t t = mp_pay(A, 0, 1, 0);
    mp_add_refused(&t, ERR_INVALID, "bad-txns-amount");
}

Test(mempool, refuses_duplicate)
{
    mp_fund(A, 1000, 0);
    tx_t t = mp_pay(A, 100, 1, 0);
    mp_add_ok(&t);
    mp_add_refused(&t, ERR_DUPLICATE, "txn-already-in-mempool");
}

Test(mempool, refuses_resigned_copy_as_duplicate)
{
    /* BIP-340 signing is randomised: the same transfer signed again has
     * another signature but the same txid, and is the same transfer. */
    mp_fund(A, 1000, 0);
    tx_t t = mp_pay(A, 100, 1, 0), again = t;
    mp_sign_raw(&again, &mp_key[A]);
    cr_assert_neq(memcmp(t.sig, again.sig, 64), 0);
    cr_assert(tx_verify_signature(&again, NET));
    mp_add_ok(&t);
    mp_add_refused(&again, ERR_DUPLICATE, "txn-already-in-mempool");
}

Test(mempool, refuses_conflict_without_higher_fee)
{
    mp_fund(A, 1000, 0);
    tx_t t = mp_pay(A, 100, 5, 0);
    mp_add_ok(&t);
    tx_t same_fee, lower_fee;
    mp_xfer(&same_fee, &mp_key[A], mp_key[B].pub, 100, 5, 0);
    mp_xfer(&lower_fee, &mp_key[A], mp_key[B].pub, 100, 4, 0);
    mp_add_refused(&same_fee, ERR_INVALID, "txn-mempool-conflict");
    mp_add_refused(&lower_fee, ERR_INVALID, "txn-mempool-conflict");
    cr_assert(mp_pending(&t));
    cr_assert_not(mp_pending(&same_fee));
}

Test(mempool, replaces_by_strictly_higher_fee)
{
    mp_fund(A, 1000, 0);
    tx_t t0 = mp_pay(A, 100, 5, 0), t1 = mp_pay(A, 100, 5, 1);
    mp_add_ok(&t0);
    mp_add_ok(&t1);
    tx_t bump;
    mp_xfer(&bump, &mp_key[A], mp_key[B].pub, 100, 6, 0);
    mp_add_ok(&bump);
    cr_assert_not(mp_pending(&t0));
    cr_assert(mp_pending(&t1));
    cr_assert_eq(mempool_count(mp_pool), 2);
    mp_check_pool_applies(mp_best);
}

Test(mempool, refuses_replacement_that_breaks_later_transfers)
{
    mp_fund(A, 100, 0);
    tx_t t0 = mp_pay(A, 40, 1, 0), t1 = mp_pay(A, 40, 1, 1);
    mp_add_ok(&t0);
    mp_add_ok(&t1);
    /* 59 + 2 alone fits in 100, but leaves 39 for t1, which needs 41. */
    tx_t bump = mp_pay(A, 59, 2, 0);
    mp_add_refused(&bump, ERR_INVALID, "bad-txns-insufficient-funds");
    cr_assert(mp_pending(&t0));
    cr_assert(mp_pending(&t1));
    tx_t fits = mp_pay(A, 57, 2, 0); /* 59 + 41 = 100 */
    mp_add_ok(&fits);
    cr_assert(mp_pending(&t1));
    mp_check_pool_applies(mp_best);
}

Test(mempool, refuses_coinbase)
{
    tx_t cb;
    tx_init_coinbase(&cb, 1, 0, mp_key[A].pub, 50);
    mp_add_refused(&cb, ERR_INVALID, "mempool-coinbase");
}

Test(mempool, refuses_unsigned)
{
    mp_fund(A, 1000, 0);
    tx_t t;
    tx_init_transfer(&t, mp_key[A].pub, mp_key[R].pub, 100, 1, 0);
    mp_add_refused(&t, ERR_INVALID, "bad-txns-unsigned");
}

Test(mempool, refuses_bad_signatures)
{
    mp_fund(A, 1000, 0);
    tx_t flipped = mp_pay(A, 100, 1, 0);
    flipped.sig[10] ^= 1;
    mp_add_refused(&flipped, ERR_INVALID, "bad-txns-sig");

    tx_t altered = mp_pay(A, 100, 1, 0);
    altered.amount = 200; /* changed after signing */
    mp_add_refused(&altered, ERR_INVALID, "bad-txns-sig");

    tx_t other_net; /* signed for the demo network */
    fx_transfer(&other_net, params_demo(), &mp_key[A], mp_key[R].pub, 100, 1,
                0);
    mp_add_refused(&other_net, ERR_INVALID, "bad-txns-sig");

    tx_t wrong_key = mp_pay(A, 100, 1, 0);
    mp_sign_raw(&wrong_key, &mp_key[B]); /* B signs A's transfer */
    mp_add_refused(&wrong_key, ERR_INVALID, "bad-txns-sig");

    tx_t good = mp_pay(A, 100, 1, 0);
    mp_add_ok(&good);
}

Test(mempool, state_checks_run_before_signature)
{
    /* A transfer that is both badly signed and a nonce gap is refused for
     * the gap: the cheap check comes first. */
    mp_fund(A, 1000, 0);
    tx_t t = mp_pay(A, 100, 1, 3);
    t.sig[0] ^= 1;
    mp_add_refused(&t, ERR_INVALID, "bad-txns-nonce-gap");
}

Test(mempool, refuses_too_long_sender_chain)
{
    mp_fund(A, 1000000, 0);
    for (uint64_t n = 0; n < MEMPOOL_MAX_SENDER_TXS; n++) {
        tx_t t = mp_pay(A, 1, 1, n);
        cr_assert_eq(mempool_add(mp_pool, NULL, mp_best, &t), 0, "nonce %lu",
                     (unsigned long)n);
    }
    tx_t more = mp_pay(A, 1, 1, MEMPOOL_MAX_SENDER_TXS);
    mp_add_refused(&more, ERR_INVALID, "too-long-mempool-chain");
    mp_fund(B, 1000, 0);
    tx_t other = mp_pay(B, 1, 1, 0);
    mp_add_ok(&other);
}

Test(mempool, null_reason_is_allowed)
{
    tx_t cb;
    tx_init_coinbase(&cb, 1, 0, mp_key[A].pub, 50);
    cr_assert_eq(mempool_add(mp_pool, NULL, mp_best, &cb), ERR_INVALID);
    mp_fund(A, 1000, 0);
    tx_t t = mp_pay(A, 1, 1, 0);
    cr_assert_eq(mempool_add(mp_pool, NULL, mp_best, &t), 0);
}

/* ---- iteration ---------------------------------------------------------- */

typedef struct {
    size_t n;
    size_t stop_after;
    uint8_t last_sender[32];
    uint64_t last_nonce;
    bool order_ok;
} walk_t;

static bool walk_cb(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    walk_t *w = ctx;
    uint8_t id[32];
    tx_compute_txid(id, tx);
    if (memcmp(id, txid, 32) != 0)
        w->order_ok = false;
    if (w->n > 0 && memcmp(w->last_sender, tx->sender, 32) == 0 &&
        tx->nonce != w->last_nonce + 1)
        w->order_ok = false;
    memcpy(w->last_sender, tx->sender, 32);
    w->last_nonce = tx->nonce;
    return ++w->n < w->stop_after;
}

Test(mempool, foreach_visits_each_sender_in_nonce_order)
{
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    for (uint64_t n = 0; n < 4; n++) {
        tx_t a = mp_pay(A, 1, 10 - n, n), b = mp_pay(B, 1, n, n);
        mp_add_ok(&a);
        mp_add_ok(&b);
    }
    walk_t w = {0, SIZE_MAX, {0}, 0, true};
    mempool_foreach(mp_pool, walk_cb, &w);
    cr_assert_eq(w.n, 8);
    cr_assert(w.order_ok);
    walk_t stop = {0, 3, {0}, 0, true};
    mempool_foreach(mp_pool, walk_cb, &stop);
    cr_assert_eq(stop.n, 3);
}

/* ---- a full pool -------------------------------------------------------- */

Test(mempool, full_pool_evicts_cheapest_tail_or_refuses)
{
    mempool_free(&mp_pool);
    mp_pool = mempool_new(NET, 3);
    for (int s = A; s <= E; s++)
        mp_fund(s, 1000, 0);
    /* A's nonce 0 is the cheapest transfer, but it is not a tail. */
    tx_t a0 = mp_pay(A, 10, 1, 0), a1 = mp_pay(A, 10, 9, 1),
         b0 = mp_pay(B, 10, 3, 0);
    mp_add_ok(&a0);
    mp_add_ok(&a1);
    mp_add_ok(&b0);

    tx_t c_low = mp_pay(C, 10, 3, 0);
    mp_add_refused(&c_low, ERR_FULL, "mempool-full"); /* must pay more than 3 */
    tx_t c0 = mp_pay(C, 10, 4, 0);
    mp_add_ok(&c0);
    cr_assert_not(mp_pending(&b0), "B's tail (fee 3) is evicted");
    cr_assert(mp_pending(&a0), "A's nonce 0 stays: a1 needs it");
    cr_assert(mp_pending(&a1));
    cr_assert_eq(mempool_count(mp_pool), 3);

    /* Tails now: a1 (9), c0 (4). */
    tx_t d0 = mp_pay(D, 10, 10, 0);
    mp_add_ok(&d0);
    cr_assert_not(mp_pending(&c0));
    cr_assert(mp_pending(&a0) && mp_pending(&a1) && mp_pending(&d0));
    mp_check_pool_applies(mp_best);
}

Test(mempool, full_pool_never_evicts_the_senders_own_tail)
{
    mempool_free(&mp_pool);
    mp_pool = mempool_new(NET, 2);
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    tx_t a0 = mp_pay(A, 10, 1, 0), b0 = mp_pay(B, 10, 9, 0);
    mp_add_ok(&a0);
    mp_add_ok(&b0);
    /* Evicting a0 would orphan a1, and B's tail pays more. */
    tx_t a1 = mp_pay(A, 10, 5, 1);
    mp_add_refused(&a1, ERR_FULL, "mempool-full");
    /* A replacement needs no room. */
    tx_t a0_bump;
    mp_xfer(&a0_bump, &mp_key[A], mp_key[B].pub, 10, 2, 0);
    mp_add_ok(&a0_bump);
    cr_assert_eq(mempool_count(mp_pool), 2);
}

Test(mempool, memory_bounded_by_max_txs)
{
    mempool_free(&mp_pool);
    mp_pool = mempool_new(NET, 8);
    fx_key_t many[40];
    for (uint32_t i = 0; i < 40; i++) {
        fx_key(&many[i], (uint8_t)(20 + i));
        account_t acc = {1000, 0};
        cr_assert_eq(state_set(mp_best, many[i].pub, &acc), 0);
        tx_t t;
        mp_xfer(&t, &many[i], mp_key[R].pub, 10, 1 + i, 0);
        cr_assert_eq(mempool_add(mp_pool, NULL, mp_best, &t), 0, "fee %u",
                     1 + i);
        cr_assert_leq(mempool_count(mp_pool), 8);
    }
    cr_assert_eq(mempool_count(mp_pool), 8);
    /* The 8 best fees (33..40) are what remains. */
    tx_t sel[8];
    size_t n;
    uint64_t fees;
    cr_assert_eq(
        mempool_select(mp_pool, sel, &n, &fees, mp_best, 8, BLOCK_MAX_SIZE), 0);
    cr_assert_eq(n, 8);
    cr_assert_eq(fees, 33 + 34 + 35 + 36 + 37 + 38 + 39 + 40);

    /* A disconnected block bigger than the pool cannot overflow it: the
     * cheapest tails go, here all of the others and A's last 12. */
    tx_t txs[20];
    for (uint64_t i = 0; i < 20; i++)
        txs[i] = mp_pay(A, 1, 100, i);
    mp_fund(A, 100000, 0);
    block_t b;
    mp_make_block(&b, txs, 20);
    mempool_block_disconnected(mp_pool, &b, mp_best);
    cr_assert_eq(mempool_count(mp_pool), 8);
    mempool_revalidate(mp_pool, mp_best);
    cr_assert_eq(mempool_count(mp_pool), 8);
    cr_assert_eq(mempool_next_nonce(mp_pool, mp_best, mp_key[A].pub), 8);
    mp_check_pool_applies(mp_best);
    block_deinit(&b);
}

/* ---- following the chain ------------------------------------------------ */

Test(mempool, connected_block_removes_confirmed_and_now_invalid)
{
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    mp_fund(C, 1000, 0);
    tx_t a[3] = {mp_pay(A, 100, 1, 0), mp_pay(A, 100, 1, 1),
                 mp_pay(A, 100, 1, 2)};
    tx_t b0 = mp_pay(B, 10, 1, 0), b1 = mp_pay(B, 10, 1, 1),
         c0 = mp_pay(C, 10, 1, 0);
    for (int i = 0; i < 3; i++)
        mp_add_ok(&a[i]);
    mp_add_ok(&b0);
    mp_add_ok(&b1);
    mp_add_ok(&c0);

    /* The block confirms b0 and, instead of a[0], another nonce-0 transfer
     * of A that leaves 149: enough for a[1] (101), not a[2] as well. */
    tx_t block_txs[2];
    mp_xfer(&block_txs[0], &mp_key[A], mp_key[B].pub, 850, 1, 0);
    block_txs[1] = b0;
    block_t blk;
    mp_make_block(&blk, block_txs, 2);
    mp_apply_block(&blk, NULL);
    mempool_block_connected(mp_pool, &blk, mp_best);

    cr_assert_not(mp_pending(&b0), "confirmed");
    cr_assert(mp_pending(&b1));
    cr_assert_not(mp_pending(&a[0]), "its nonce was used by the block");
    cr_assert(mp_pending(&a[1]));
    cr_assert_not(mp_pending(&a[2]), "overspends now");
    cr_assert(mp_pending(&c0), "untouched sender");
    cr_assert_eq(mempool_count(mp_pool), 3);
    cr_assert_eq(mempool_next_nonce(mp_pool, mp_best, mp_key[A].pub), 2);
    mp_check_pool_applies(mp_best);
    block_deinit(&blk);
}

Test(mempool, disconnected_block_returns_its_transfers)
{
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    tx_t a0 = mp_pay(A, 100, 1, 0), b0 = mp_pay(B, 100, 2, 0);
    mp_add_ok(&a0);
    mp_add_ok(&b0);
    block_t blk;
    mp_make_block(&blk, (tx_t[]){a0, b0}, 2);
    state_undo_t undo = {0};
    mp_apply_block(&blk, &undo);
    mempool_block_connected(mp_pool, &blk, mp_best);
    cr_assert_eq(mempool_count(mp_pool), 0);

    /* Meanwhile A queued nonce 1 on top of the block. */
    tx_t a1 = mp_pay(A, 100, 1, 1);
    mp_add_ok(&a1);

    cr_assert_eq(state_revert(mp_best, &undo), 0);
    mempool_block_disconnected(mp_pool, &blk, mp_best);
    mempool_revalidate(mp_pool, mp_best);
    cr_assert(mp_pending(&a0) && mp_pending(&b0) && mp_pending(&a1));
    cr_assert_eq(mempool_count(mp_pool), 3);
    cr_assert_eq(mempool_next_nonce(mp_pool, mp_best, mp_key[A].pub), 2);
    cr_assert_eq(mp_check_pool_applies(mp_best), 3);
    state_undo_deinit(&undo);
    block_deinit(&blk);
}

Test(mempool, reorg_keeps_only_what_the_new_branch_leaves_valid)
{
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 0);
    mp_fund(C, 1000, 0);
    /* Old branch: block X with a0, b0, c0; A then queues a1. */
    tx_t a0 = mp_pay(A, 100, 1, 0), b0 = mp_pay(B, 100, 1, 0),
         c0 = mp_pay(C, 10, 1, 0);
    block_t x;
    mp_make_block(&x, (tx_t[]){a0, b0, c0}, 3);
    state_undo_t undo = {0};
    mp_apply_block(&x, &undo);
    mempool_block_connected(mp_pool, &x, mp_best);
    tx_t a1 = mp_pay(A, 100, 1, 1), b1 = mp_pay(B, 950, 1, 1);
    mp_add_ok(&a1);
    cr_assert_eq(mempool_add(mp_pool, NULL, mp_best, &b1), ERR_INVALID,
                 "899 left: b1 overspends on the old branch");

    /* New branch: block Y confirms b0 and a different nonce-0 transfer of
     * A; c0 is in neither. */
    tx_t a0_other;
    mp_xfer(&a0_other, &mp_key[A], mp_key[B].pub, 500, 1, 0);
    block_t y;
    mp_make_block(&y, (tx_t[]){b0, a0_other}, 2);

    cr_assert_eq(state_revert(mp_best, &undo), 0);
    mempool_block_disconnected(mp_pool, &x, mp_best);
    mp_apply_block(&y, NULL);
    mempool_block_connected(mp_pool, &y, mp_best);
    mempool_revalidate(mp_pool, mp_best);

    cr_assert_not(mp_pending(&a0), "conflicts with the new branch");
    cr_assert_not(mp_pending(&b0), "confirmed on the new branch");
    cr_assert(mp_pending(&c0), "still valid: returned");
    cr_assert(mp_pending(&a1), "nonce 1 follows the new nonce 0, 499 left");
    cr_assert_eq(mempool_count(mp_pool), 2);
    mp_check_pool_applies(mp_best);
    state_undo_deinit(&undo);
    block_deinit(&x);
    block_deinit(&y);
}

Test(mempool, reorg_holds_transfers_a_later_block_funds_again)
{
    /* E's pending e1 and e2 cannot be paid for after the new branch's
     * first block, but can after its second: the end result keeps both. */
    mp_fund(E, 100, 0);
    mp_fund(F, 1000, 0);
    tx_t e0 = mp_pay(E, 50, 1, 0);
    block_t x;
    mp_make_block(&x, &e0, 1);
    state_undo_t undo = {0};
    mp_apply_block(&x, &undo);
    mempool_block_connected(mp_pool, &x, mp_best);
    tx_t e1 = mp_pay(E, 20, 1, 1), e2 = mp_pay(E, 20, 1, 2); /* 42 of 49 */
    mp_add_ok(&e1);
    mp_add_ok(&e2);

    tx_t e0_big, f_to_e;
    mp_xfer(&e0_big, &mp_key[E], mp_key[R].pub, 90, 1, 0);
    mp_xfer(&f_to_e, &mp_key[F], mp_key[E].pub, 100, 1, 0);
    block_t y1, y2;
    mp_make_block(&y1, &e0_big, 1);
    mp_make_block(&y2, &f_to_e, 1);

    cr_assert_eq(state_revert(mp_best, &undo), 0);
    cr_assert_not(mempool_in_reorg(mp_pool));
    mempool_block_disconnected(mp_pool, &x, mp_best);
    cr_assert(mempool_in_reorg(mp_pool));
    cr_assert(mp_pending(&e0) && mp_pending(&e1) && mp_pending(&e2));
    mp_apply_block(&y1, NULL); /* E: 9 left, nonce 1 */
    mempool_block_connected(mp_pool, &y1, mp_best);
    cr_assert_not(mp_pending(&e1), "held, not pending, while it overspends");
    cr_assert_not(mp_pending(&e2));
    cr_assert_not(mp_pending(&e0));
    cr_assert_eq(mempool_count(mp_pool), 0);
    mp_apply_block(&y2, NULL); /* E: 109 */
    mempool_block_connected(mp_pool, &y2, mp_best);
    mempool_revalidate(mp_pool, mp_best);
    cr_assert_not(mempool_in_reorg(mp_pool));
    cr_assert(mp_pending(&e1), "valid against the final state");
    cr_assert(mp_pending(&e2));
    cr_assert_not(mp_pending(&e0));
    cr_assert_eq(mempool_count(mp_pool), 2);
    mp_check_pool_applies(mp_best);
    state_undo_deinit(&undo);
    block_deinit(&x);
    block_deinit(&y1);
    block_deinit(&y2);
}

Test(mempool, outside_a_reorg_an_overspend_is_dropped_for_good)
{
    /* The contrast to the previous test: no disconnect, so nothing is
     * held, and funding E later does not bring e1 back. */
    mp_fund(E, 100, 0);
    mp_fund(F, 1000, 0);
    tx_t e0 = mp_pay(E, 50, 1, 0), e1 = mp_pay(E, 40, 1, 1);
    mp_add_ok(&e0);
    mp_add_ok(&e1);
    tx_t e0_big, f_to_e;
    mp_xfer(&e0_big, &mp_key[E], mp_key[R].pub, 90, 1, 0);
    mp_xfer(&f_to_e, &mp_key[F], mp_key[E].pub, 100, 1, 0);
    block_t y1, y2;
    mp_make_block(&y1, &e0_big, 1);
    mp_make_block(&y2, &f_to_e, 1);
    mp_apply_block(&y1, NULL);
    mempool_block_connected(mp_pool, &y1, mp_best);
    mp_apply_block(&y2, NULL);
    mempool_block_connected(mp_pool, &y2, mp_best);
    mempool_revalidate(mp_pool, mp_best);
    cr_assert_not(mp_pending(&e1));
    cr_assert_eq(mempool_count(mp_pool), 0);
    block_deinit(&y1);
    block_deinit(&y2);
}

Test(mempool, discarded_branch_transfers_are_readded_when_valid)
{
    /* The chain discards a side branch and offers its transfers not in the
     * main chain, oldest first: valid ones come in, the rest are refused. */
    mp_fund(A, 1000, 0);
    mp_fund(B, 1000, 3);
    tx_t side[3] = {mp_pay(A, 10, 1, 0), mp_pay(A, 10, 1, 1),
                    mp_pay(B, 10, 1, 1)};
    size_t added = 0;
    for (int i = 0; i < 3; i++)
        added += mempool_add(mp_pool, NULL, mp_best, &side[i]) == 0;
    cr_assert_eq(added, 2);
    cr_assert(mp_pending(&side[0]) && mp_pending(&side[1]));
    cr_assert_not(mp_pending(&side[2]),
                  "B's nonce 1 was used on the main chain");
}
