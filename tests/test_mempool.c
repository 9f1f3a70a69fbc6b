/*
 * Tests for the mempool (src/core/mempool*.c) with real signed transfers
 * (fixtures keys): admission and every refusal reason, replace-by-fee,
 * selection order and validity, eviction in a full pool, and following the
 * chain through connected and disconnected blocks and a reorg.
 *
 * The tests play the chain themselves: a state_t is the best state, a
 * block is applied to it with state_apply_* (keeping undo data to
 * disconnect it), and the pool is told as the node would tell it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "block.h"
#include "err.h"
#include "fixtures.h"
#include "keys.h"
#include "mempool.h"
#include "params.h"
#include "state.h"

#define NET (params_regtest()->network_id)

/* Actors: keys A..F; R is a recipient that never sends. */
enum { A, B, C, D, E, F, R, NKEYS };
static fx_key_t key[NKEYS];
static state_t *best;
static mempool_t *pool;

static void setup(void)
{
    for (int i = 0; i < NKEYS; i++)
        fx_key(&key[i], (uint8_t)(i + 1));
    best = state_new();
    pool = mempool_new(NET, 1000);
    cr_assert_not_null(best);
    cr_assert_not_null(pool);
}

static void teardown(void)
{
    mempool_free(&pool);
    state_free(&best);
}

TestSuite(mempool, .init = setup, .fini = teardown);

static void fund(int who, uint64_t balance, uint64_t nonce)
{
    account_t a = {balance, nonce};
    cr_assert_eq(state_set(best, key[who].pub, &a), 0);
}

/* A transfer signed for regtest. */
static void xfer(tx_t *tx, const fx_key_t *from, const uint8_t to[32],
                 uint64_t amount, uint64_t fee, uint64_t nonce)
{
    fx_transfer(tx, params_regtest(), from, to, amount, fee, nonce);
}

/* A signed transfer from `from` to R. */
static tx_t pay(int from, uint64_t amount, uint64_t fee, uint64_t nonce)
{
    tx_t tx;
    xfer(&tx, &key[from], key[R].pub, amount, fee, nonce);
    return tx;
}

/* Signs tx with k whoever the sender is (tx_sign refuses a wrong key). */
static void sign_raw(tx_t *tx, const fx_key_t *k)
{
    keys_keypair_t kp;
    uint8_t msg[32];
    cr_assert_eq(keys_keypair_from_secret(&kp, k->secret), 0);
    tx_sighash(msg, tx, NET);
    cr_assert_eq(keys_sign(tx->sig, &kp, msg), 0);
    keys_keypair_wipe(&kp);
}

static void txid_of(uint8_t id[32], const tx_t *tx)
{
    tx_compute_txid(id, tx);
}

static bool pending(const tx_t *tx)
{
    uint8_t id[32];
    txid_of(id, tx);
    return mempool_has(pool, id);
}

static void add_ok(const tx_t *tx)
{
    const char *why = "(none)";
    int rc = mempool_add(pool, &why, best, tx);
    cr_assert_eq(rc, 0, "refused: %s (%d)", why, rc);
    cr_assert(pending(tx));
}

static void add_refused(const tx_t *tx, int code, const char *reason)
{
    const char *why = NULL;
    size_t before = mempool_count(pool);
    int rc = mempool_add(pool, &why, best, tx);
    cr_assert_eq(rc, code, "rc %d, want %d (reason %s)", rc, code,
                 why ? why : "(null)");
    cr_assert_not_null(why);
    cr_assert_str_eq(why, reason);
    cr_assert_eq(mempool_count(pool), before, "a refusal changed the pool");
}

/* Selects everything and checks that the selection is the whole pool and
 * applies in order to s. Returns the number selected. */
static size_t check_pool_applies(const state_t *s)
{
    size_t n_pool = mempool_count(pool), n = 99;
    tx_t *sel = calloc(n_pool + 1, sizeof *sel);
    cr_assert_not_null(sel);
    cr_assert_eq(mempool_select(pool, sel, &n, NULL, s, n_pool + 1,
                                (n_pool + 1) * TX_TRANSFER_SIZE),
                 0);
    cr_assert_eq(n, n_pool, "selected %zu of %zu pending", n, n_pool);
    state_t *ov = state_new_overlay(s);
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        cr_assert_eq(state_apply_transfer(ov, NULL, &why, &sel[i]), 0,
                     "selection #%zu fails: %s", i, why);
    }
    state_free(&ov);
    free(sel);
    return n;
}

/* A block paying the coinbase to R, with the given transfers. */
static void make_block(block_t *b, const tx_t *txs, size_t n)
{
    tx_t cb;
    memset(b, 0, sizeof *b);
    tx_init_coinbase(&cb, 1, 0, key[R].pub, 50);
    cr_assert_eq(block_add_tx(b, &cb), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(block_add_tx(b, &txs[i]), 0);
}

/* Applies a block to the best state as the chain would. */
static void apply_block(const block_t *b, state_undo_t *undo)
{
    const char *why = NULL;
    cr_assert_eq(state_apply_coinbase(best, undo, &why, &b->txs[0]), 0);
    for (size_t i = 1; i < b->tx_count; i++)
        cr_assert_eq(state_apply_transfer(best, undo, &why, &b->txs[i]), 0,
                     "block tx %zu invalid: %s", i, why);
}

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
    fund(A, 1000, 0);
    tx_t t = pay(A, 100, 1, 0);
    add_ok(&t);
    cr_assert_eq(mempool_count(pool), 1);
    uint8_t id[32];
    txid_of(id, &t);
    const tx_t *got = mempool_get(pool, id);
    cr_assert_not_null(got);
    cr_assert_eq(memcmp(got, &t, sizeof t), 0);
    cr_assert_eq(mempool_next_nonce(pool, best, key[A].pub), 1);
    cr_assert_eq(mempool_next_nonce(pool, best, key[B].pub), 0);
}

Test(mempool, sender_queues_three_nonce_after_nonce)
{
    fund(A, 1000, 4);
    tx_t t[3];
    for (int i = 0; i < 3; i++) {
        t[i] = pay(A, 100, 1, 4 + (uint64_t)i);
        add_ok(&t[i]);
    }
    cr_assert_eq(mempool_count(pool), 3);
    cr_assert_eq(mempool_next_nonce(pool, best, key[A].pub), 7);
    check_pool_applies(best);
}

Test(mempool, refuses_nonce_gap)
{
    fund(A, 1000, 0);
    tx_t t1 = pay(A, 100, 1, 1);
    add_refused(&t1, ERR_INVALID, "bad-txns-nonce-gap");
    tx_t t0 = pay(A, 100, 1, 0), t3 = pay(A, 100, 1, 3);
    add_ok(&t0);
    add_refused(&t3, ERR_INVALID, "bad-txns-nonce-gap");
    add_ok(&t1); /* the gap closes nonce by nonce */
}

Test(mempool, refuses_replay)
{
    fund(A, 1000, 5);
    tx_t t = pay(A, 100, 1, 4);
    add_refused(&t, ERR_INVALID, "bad-txns-nonce-replay");
}

Test(mempool, refuses_overspend_across_queued_transfers)
{
    fund(A, 100, 0);
    tx_t t0 = pay(A, 40, 1, 0), t1 = pay(A, 40, 1, 1), t2 = pay(A, 40, 1, 2);
    add_ok(&t0);
    add_ok(&t1);
    /* 40 + 1 would fit alone; after the two pending ones only 18 is left. */
    add_refused(&t2, ERR_INVALID, "bad-txns-insufficient-funds");
    tx_t t2small = pay(A, 17, 1, 2);
    add_ok(&t2small);
}

Test(mempool, refuses_zero_amount_with_state_reason)
{
    fund(A, 100, 0);
    tx_t t = pay(A, 0, 1, 0);
    add_refused(&t, ERR_INVALID, "bad-txns-amount");
}

Test(mempool, refuses_duplicate)
{
    fund(A, 1000, 0);
    tx_t t = pay(A, 100, 1, 0);
    add_ok(&t);
    add_refused(&t, ERR_DUPLICATE, "txn-already-in-mempool");
}

Test(mempool, refuses_resigned_copy_as_duplicate)
{
    /* BIP-340 signing is randomised: the same transfer signed again has
     * another signature but the same txid, and is the same transfer. */
    fund(A, 1000, 0);
    tx_t t = pay(A, 100, 1, 0), again = t;
    sign_raw(&again, &key[A]);
    cr_assert_neq(memcmp(t.sig, again.sig, 64), 0);
    cr_assert(tx_verify_signature(&again, NET));
    add_ok(&t);
    add_refused(&again, ERR_DUPLICATE, "txn-already-in-mempool");
}

Test(mempool, refuses_conflict_without_higher_fee)
{
    fund(A, 1000, 0);
    tx_t t = pay(A, 100, 5, 0);
    add_ok(&t);
    tx_t same_fee, lower_fee;
    xfer(&same_fee, &key[A], key[B].pub, 100, 5, 0);
    xfer(&lower_fee, &key[A], key[B].pub, 100, 4, 0);
    add_refused(&same_fee, ERR_INVALID, "txn-mempool-conflict");
    add_refused(&lower_fee, ERR_INVALID, "txn-mempool-conflict");
    cr_assert(pending(&t));
    cr_assert_not(pending(&same_fee));
}

Test(mempool, replaces_by_strictly_higher_fee)
{
    fund(A, 1000, 0);
    tx_t t0 = pay(A, 100, 5, 0), t1 = pay(A, 100, 5, 1);
    add_ok(&t0);
    add_ok(&t1);
    tx_t bump;
    xfer(&bump, &key[A], key[B].pub, 100, 6, 0);
    add_ok(&bump);
    cr_assert_not(pending(&t0));
    cr_assert(pending(&t1));
    cr_assert_eq(mempool_count(pool), 2);
    check_pool_applies(best);
}

Test(mempool, refuses_replacement_that_breaks_later_transfers)
{
    fund(A, 100, 0);
    tx_t t0 = pay(A, 40, 1, 0), t1 = pay(A, 40, 1, 1);
    add_ok(&t0);
    add_ok(&t1);
    /* 59 + 2 alone fits in 100, but leaves 39 for t1, which needs 41. */
    tx_t bump = pay(A, 59, 2, 0);
    add_refused(&bump, ERR_INVALID, "bad-txns-insufficient-funds");
    cr_assert(pending(&t0));
    cr_assert(pending(&t1));
    tx_t fits = pay(A, 57, 2, 0); /* 59 + 41 = 100 */
    add_ok(&fits);
    cr_assert(pending(&t1));
    check_pool_applies(best);
}

Test(mempool, refuses_coinbase)
{
    tx_t cb;
    tx_init_coinbase(&cb, 1, 0, key[A].pub, 50);
    add_refused(&cb, ERR_INVALID, "mempool-coinbase");
}

Test(mempool, refuses_unsigned)
{
    fund(A, 1000, 0);
    tx_t t;
    tx_init_transfer(&t, key[A].pub, key[R].pub, 100, 1, 0);
    add_refused(&t, ERR_INVALID, "bad-txns-unsigned");
}

Test(mempool, refuses_bad_signatures)
{
    fund(A, 1000, 0);
    tx_t flipped = pay(A, 100, 1, 0);
    flipped.sig[10] ^= 1;
    add_refused(&flipped, ERR_INVALID, "bad-txns-sig");

    tx_t altered = pay(A, 100, 1, 0);
    altered.amount = 200; /* changed after signing */
    add_refused(&altered, ERR_INVALID, "bad-txns-sig");

    tx_t other_net; /* signed for the demo network */
    fx_transfer(&other_net, params_demo(), &key[A], key[R].pub, 100, 1, 0);
    add_refused(&other_net, ERR_INVALID, "bad-txns-sig");

    tx_t wrong_key = pay(A, 100, 1, 0);
    sign_raw(&wrong_key, &key[B]); /* B signs A's transfer */
    add_refused(&wrong_key, ERR_INVALID, "bad-txns-sig");

    tx_t good = pay(A, 100, 1, 0);
    add_ok(&good);
}

Test(mempool, state_checks_run_before_signature)
{
    /* A transfer that is both badly signed and a nonce gap is refused for
     * the gap: the cheap check comes first. */
    fund(A, 1000, 0);
    tx_t t = pay(A, 100, 1, 3);
    t.sig[0] ^= 1;
    add_refused(&t, ERR_INVALID, "bad-txns-nonce-gap");
}

Test(mempool, refuses_too_long_sender_chain)
{
    fund(A, 1000000, 0);
    for (uint64_t n = 0; n < MEMPOOL_MAX_SENDER_TXS; n++) {
        tx_t t = pay(A, 1, 1, n);
        cr_assert_eq(mempool_add(pool, NULL, best, &t), 0, "nonce %lu",
                     (unsigned long)n);
    }
    tx_t more = pay(A, 1, 1, MEMPOOL_MAX_SENDER_TXS);
    add_refused(&more, ERR_INVALID, "too-long-mempool-chain");
    fund(B, 1000, 0);
    tx_t other = pay(B, 1, 1, 0);
    add_ok(&other);
}

Test(mempool, null_reason_is_allowed)
{
    tx_t cb;
    tx_init_coinbase(&cb, 1, 0, key[A].pub, 50);
    cr_assert_eq(mempool_add(pool, NULL, best, &cb), ERR_INVALID);
    fund(A, 1000, 0);
    tx_t t = pay(A, 1, 1, 0);
    cr_assert_eq(mempool_add(pool, NULL, best, &t), 0);
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
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    for (uint64_t n = 0; n < 4; n++) {
        tx_t a = pay(A, 1, 10 - n, n), b = pay(B, 1, n, n);
        add_ok(&a);
        add_ok(&b);
    }
    walk_t w = {0, SIZE_MAX, {0}, 0, true};
    mempool_foreach(pool, walk_cb, &w);
    cr_assert_eq(w.n, 8);
    cr_assert(w.order_ok);
    walk_t stop = {0, 3, {0}, 0, true};
    mempool_foreach(pool, walk_cb, &stop);
    cr_assert_eq(stop.n, 3);
}

/* ---- selection ---------------------------------------------------------- */

Test(mempool, select_orders_by_fee_and_respects_nonce_order)
{
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    fund(C, 1000, 0);
    tx_t a0 = pay(A, 10, 1, 0), a1 = pay(A, 10, 100, 1);
    tx_t b0 = pay(B, 10, 50, 0), c0 = pay(C, 10, 10, 0);
    add_ok(&a0);
    add_ok(&a1);
    add_ok(&b0);
    add_ok(&c0);
    tx_t sel[8];
    size_t n = 0;
    uint64_t fees = 0;
    cr_assert_eq(mempool_select(pool, sel, &n, &fees, best, 8, BLOCK_MAX_SIZE),
                 0);
    cr_assert_eq(n, 4);
    /* Heads compete by fee; A's fee-100 transfer waits for its nonce-0. */
    const tx_t *want[4] = {&b0, &c0, &a0, &a1};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(memcmp(&sel[i], want[i], sizeof(tx_t)), 0, "position %zu",
                     i);
    cr_assert_eq(fees, 161);
    cr_assert_eq(check_pool_applies(best), 4);
}

Test(mempool, select_equal_fees_first_seen_first)
{
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    tx_t b0 = pay(B, 10, 7, 0), a0 = pay(A, 10, 7, 0);
    add_ok(&b0);
    add_ok(&a0);
    tx_t sel[2];
    size_t n;
    cr_assert_eq(mempool_select(pool, sel, &n, NULL, best, 2, BLOCK_MAX_SIZE),
                 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(memcmp(&sel[0], &b0, sizeof(tx_t)), 0);
}

Test(mempool, select_respects_count_and_byte_limits)
{
    for (int s = A; s <= E; s++) {
        fund(s, 1000, 0);
        tx_t t = pay(s, 10, 10 + (uint64_t)s, 0);
        add_ok(&t);
    }
    tx_t sel[5];
    size_t n;
    uint64_t fees;
    cr_assert_eq(mempool_select(pool, sel, &n, &fees, best, 2, BLOCK_MAX_SIZE),
                 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(fees, (10 + E) + (10 + D));
    cr_assert_eq(mempool_select(pool, sel, &n, &fees, best, 5,
                                3 * TX_TRANSFER_SIZE + TX_TRANSFER_SIZE - 1),
                 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(mempool_select(pool, sel, &n, &fees, best, 5, 0), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(fees, 0);
}

Test(mempool, select_against_a_newer_state_stays_valid)
{
    /* The pool is behind: the state the block builds on has used A's
     * nonce 0 and drained B. The selection still applies. */
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    fund(C, 1000, 0);
    tx_t a[3] = {pay(A, 10, 9, 0), pay(A, 10, 9, 1), pay(A, 10, 9, 2)};
    tx_t b0 = pay(B, 500, 20, 0), c0 = pay(C, 10, 1, 0);
    for (int i = 0; i < 3; i++)
        add_ok(&a[i]);
    add_ok(&b0);
    add_ok(&c0);

    state_t *newer = state_new_overlay(best);
    account_t acc_a = {990, 1}, acc_b = {100, 0};
    cr_assert_eq(state_set(newer, key[A].pub, &acc_a), 0);
    cr_assert_eq(state_set(newer, key[B].pub, &acc_b), 0);
    tx_t sel[8];
    size_t n;
    cr_assert_eq(mempool_select(pool, sel, &n, NULL, newer, 8, BLOCK_MAX_SIZE),
                 0);
    cr_assert_eq(n, 3, "a1, a2, c0");
    state_t *ov = state_new_overlay(newer);
    for (size_t i = 0; i < n; i++) {
        cr_assert_neq(memcmp(sel[i].sender, key[B].pub, 32), 0);
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

Test(mempool, random_offers_keep_pool_valid_and_selection_applies)
{
    /* Senders pay each other (so recipients are also senders); many
     * offers are refused (gaps, replays, overspends, conflicts); whatever
     * the pool holds must always select whole and apply in order. */
    mempool_free(&pool);
    pool = mempool_new(NET, 40);
    for (int s = A; s <= F; s++)
        fund(s, 500, rng() % 3);
    for (int round = 0; round < 300; round++) {
        int from = (int)(rng() % 6), to = (int)(rng() % 7);
        account_t acc;
        state_get(best, &acc, key[from].pub);
        uint64_t nonce = acc.nonce + rng() % 8;
        nonce = nonce >= 2 ? nonce - 2 : nonce; /* some replays */
        tx_t t;
        xfer(&t, &key[from], key[to].pub, 1 + rng() % 120, rng() % 30, nonce);
        int rc = mempool_add(pool, NULL, best, &t);
        cr_assert(rc == 0 || rc == ERR_INVALID || rc == ERR_FULL ||
                      rc == ERR_DUPLICATE,
                  "rc %d", rc);
        cr_assert_leq(mempool_count(pool), 40);
        if (round % 50 == 49)
            check_pool_applies(best);
    }
    cr_assert_gt(mempool_count(pool), 5, "the test should fill the pool");
    check_pool_applies(best);
}

/* ---- a full pool -------------------------------------------------------- */

Test(mempool, full_pool_evicts_cheapest_tail_or_refuses)
{
    mempool_free(&pool);
    pool = mempool_new(NET, 3);
    for (int s = A; s <= E; s++)
        fund(s, 1000, 0);
    /* A's nonce 0 is the cheapest transfer, but it is not a tail. */
    tx_t a0 = pay(A, 10, 1, 0), a1 = pay(A, 10, 9, 1), b0 = pay(B, 10, 3, 0);
    add_ok(&a0);
    add_ok(&a1);
    add_ok(&b0);

    tx_t c_low = pay(C, 10, 3, 0);
    add_refused(&c_low, ERR_FULL, "mempool-full"); /* must pay more than 3 */
    tx_t c0 = pay(C, 10, 4, 0);
    add_ok(&c0);
    cr_assert_not(pending(&b0), "B's tail (fee 3) is evicted");
    cr_assert(pending(&a0), "A's nonce 0 stays: a1 needs it");
    cr_assert(pending(&a1));
    cr_assert_eq(mempool_count(pool), 3);

    /* Tails now: a1 (9), c0 (4). */
    tx_t d0 = pay(D, 10, 10, 0);
    add_ok(&d0);
    cr_assert_not(pending(&c0));
    cr_assert(pending(&a0) && pending(&a1) && pending(&d0));
    check_pool_applies(best);
}

Test(mempool, full_pool_never_evicts_the_senders_own_tail)
{
    mempool_free(&pool);
    pool = mempool_new(NET, 2);
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    tx_t a0 = pay(A, 10, 1, 0), b0 = pay(B, 10, 9, 0);
    add_ok(&a0);
    add_ok(&b0);
    /* Evicting a0 would orphan a1, and B's tail pays more. */
    tx_t a1 = pay(A, 10, 5, 1);
    add_refused(&a1, ERR_FULL, "mempool-full");
    /* A replacement needs no room. */
    tx_t a0_bump;
    xfer(&a0_bump, &key[A], key[B].pub, 10, 2, 0);
    add_ok(&a0_bump);
    cr_assert_eq(mempool_count(pool), 2);
}

Test(mempool, memory_bounded_by_max_txs)
{
    mempool_free(&pool);
    pool = mempool_new(NET, 8);
    fx_key_t many[40];
    for (uint32_t i = 0; i < 40; i++) {
        fx_key(&many[i], (uint8_t)(20 + i));
        account_t acc = {1000, 0};
        cr_assert_eq(state_set(best, many[i].pub, &acc), 0);
        tx_t t;
        xfer(&t, &many[i], key[R].pub, 10, 1 + i, 0);
        cr_assert_eq(mempool_add(pool, NULL, best, &t), 0, "fee %u", 1 + i);
        cr_assert_leq(mempool_count(pool), 8);
    }
    cr_assert_eq(mempool_count(pool), 8);
    /* The 8 best fees (33..40) are what remains. */
    tx_t sel[8];
    size_t n;
    uint64_t fees;
    cr_assert_eq(mempool_select(pool, sel, &n, &fees, best, 8, BLOCK_MAX_SIZE),
                 0);
    cr_assert_eq(n, 8);
    cr_assert_eq(fees, 33 + 34 + 35 + 36 + 37 + 38 + 39 + 40);

    /* A disconnected block bigger than the pool cannot overflow it: the
     * cheapest tails go, here all of the others and A's last 12. */
    tx_t txs[20];
    for (uint64_t i = 0; i < 20; i++)
        txs[i] = pay(A, 1, 100, i);
    fund(A, 100000, 0);
    block_t b;
    make_block(&b, txs, 20);
    mempool_block_disconnected(pool, &b, best);
    cr_assert_eq(mempool_count(pool), 8);
    mempool_revalidate(pool, best);
    cr_assert_eq(mempool_count(pool), 8);
    cr_assert_eq(mempool_next_nonce(pool, best, key[A].pub), 8);
    check_pool_applies(best);
    block_deinit(&b);
}

/* ---- following the chain ------------------------------------------------ */

Test(mempool, connected_block_removes_confirmed_and_now_invalid)
{
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    fund(C, 1000, 0);
    tx_t a[3] = {pay(A, 100, 1, 0), pay(A, 100, 1, 1), pay(A, 100, 1, 2)};
    tx_t b0 = pay(B, 10, 1, 0), b1 = pay(B, 10, 1, 1), c0 = pay(C, 10, 1, 0);
    for (int i = 0; i < 3; i++)
        add_ok(&a[i]);
    add_ok(&b0);
    add_ok(&b1);
    add_ok(&c0);

    /* The block confirms b0 and, instead of a[0], another nonce-0 transfer
     * of A that leaves 149: enough for a[1] (101), not a[2] as well. */
    tx_t block_txs[2];
    xfer(&block_txs[0], &key[A], key[B].pub, 850, 1, 0);
    block_txs[1] = b0;
    block_t blk;
    make_block(&blk, block_txs, 2);
    apply_block(&blk, NULL);
    mempool_block_connected(pool, &blk, best);

    cr_assert_not(pending(&b0), "confirmed");
    cr_assert(pending(&b1));
    cr_assert_not(pending(&a[0]), "its nonce was used by the block");
    cr_assert(pending(&a[1]));
    cr_assert_not(pending(&a[2]), "overspends now");
    cr_assert(pending(&c0), "untouched sender");
    cr_assert_eq(mempool_count(pool), 3);
    cr_assert_eq(mempool_next_nonce(pool, best, key[A].pub), 2);
    check_pool_applies(best);
    block_deinit(&blk);
}

Test(mempool, disconnected_block_returns_its_transfers)
{
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    tx_t a0 = pay(A, 100, 1, 0), b0 = pay(B, 100, 2, 0);
    add_ok(&a0);
    add_ok(&b0);
    block_t blk;
    make_block(&blk, (tx_t[]){a0, b0}, 2);
    state_undo_t undo = {0};
    apply_block(&blk, &undo);
    mempool_block_connected(pool, &blk, best);
    cr_assert_eq(mempool_count(pool), 0);

    /* Meanwhile A queued nonce 1 on top of the block. */
    tx_t a1 = pay(A, 100, 1, 1);
    add_ok(&a1);

    cr_assert_eq(state_revert(best, &undo), 0);
    mempool_block_disconnected(pool, &blk, best);
    mempool_revalidate(pool, best);
    cr_assert(pending(&a0) && pending(&b0) && pending(&a1));
    cr_assert_eq(mempool_count(pool), 3);
    cr_assert_eq(mempool_next_nonce(pool, best, key[A].pub), 2);
    cr_assert_eq(check_pool_applies(best), 3);
    state_undo_deinit(&undo);
    block_deinit(&blk);
}

Test(mempool, reorg_keeps_only_what_the_new_branch_leaves_valid)
{
    fund(A, 1000, 0);
    fund(B, 1000, 0);
    fund(C, 1000, 0);
    /* Old branch: block X with a0, b0, c0; A then queues a1. */
    tx_t a0 = pay(A, 100, 1, 0), b0 = pay(B, 100, 1, 0), c0 = pay(C, 10, 1, 0);
    block_t x;
    make_block(&x, (tx_t[]){a0, b0, c0}, 3);
    state_undo_t undo = {0};
    apply_block(&x, &undo);
    mempool_block_connected(pool, &x, best);
    tx_t a1 = pay(A, 100, 1, 1), b1 = pay(B, 950, 1, 1);
    add_ok(&a1);
    cr_assert_eq(mempool_add(pool, NULL, best, &b1), ERR_INVALID,
                 "899 left: b1 overspends on the old branch");

    /* New branch: block Y confirms b0 and a different nonce-0 transfer of
     * A; c0 is in neither. */
    tx_t a0_other;
    xfer(&a0_other, &key[A], key[B].pub, 500, 1, 0);
    block_t y;
    make_block(&y, (tx_t[]){b0, a0_other}, 2);

    cr_assert_eq(state_revert(best, &undo), 0);
    mempool_block_disconnected(pool, &x, best);
    apply_block(&y, NULL);
    mempool_block_connected(pool, &y, best);
    mempool_revalidate(pool, best);

    cr_assert_not(pending(&a0), "conflicts with the new branch");
    cr_assert_not(pending(&b0), "confirmed on the new branch");
    cr_assert(pending(&c0), "still valid: returned");
    cr_assert(pending(&a1), "nonce 1 follows the new nonce 0, 499 left");
    cr_assert_eq(mempool_count(pool), 2);
    check_pool_applies(best);
    state_undo_deinit(&undo);
    block_deinit(&x);
    block_deinit(&y);
}

Test(mempool, reorg_holds_transfers_a_later_block_funds_again)
{
    /* E's pending e1 and e2 cannot be paid for after the new branch's
     * first block, but can after its second: the end result keeps both. */
    fund(E, 100, 0);
    fund(F, 1000, 0);
    tx_t e0 = pay(E, 50, 1, 0);
    block_t x;
    make_block(&x, &e0, 1);
    state_undo_t undo = {0};
    apply_block(&x, &undo);
    mempool_block_connected(pool, &x, best);
    tx_t e1 = pay(E, 20, 1, 1), e2 = pay(E, 20, 1, 2); /* 42 of 49 */
    add_ok(&e1);
    add_ok(&e2);

    tx_t e0_big, f_to_e;
    xfer(&e0_big, &key[E], key[R].pub, 90, 1, 0);
    xfer(&f_to_e, &key[F], key[E].pub, 100, 1, 0);
    block_t y1, y2;
    make_block(&y1, &e0_big, 1);
    make_block(&y2, &f_to_e, 1);

    cr_assert_eq(state_revert(best, &undo), 0);
    cr_assert_not(mempool_in_reorg(pool));
    mempool_block_disconnected(pool, &x, best);
    cr_assert(mempool_in_reorg(pool));
    cr_assert(pending(&e0) && pending(&e1) && pending(&e2));
    apply_block(&y1, NULL); /* E: 9 left, nonce 1 */
    mempool_block_connected(pool, &y1, best);
    cr_assert_not(pending(&e1), "held, not pending, while it overspends");
    cr_assert_not(pending(&e2));
    cr_assert_not(pending(&e0));
    cr_assert_eq(mempool_count(pool), 0);
    apply_block(&y2, NULL); /* E: 109 */
    mempool_block_connected(pool, &y2, best);
    mempool_revalidate(pool, best);
    cr_assert_not(mempool_in_reorg(pool));
    cr_assert(pending(&e1), "valid against the final state");
    cr_assert(pending(&e2));
    cr_assert_not(pending(&e0));
    cr_assert_eq(mempool_count(pool), 2);
    check_pool_applies(best);
    state_undo_deinit(&undo);
    block_deinit(&x);
    block_deinit(&y1);
    block_deinit(&y2);
}

Test(mempool, outside_a_reorg_an_overspend_is_dropped_for_good)
{
    /* The contrast to the previous test: no disconnect, so nothing is
     * held, and funding E later does not bring e1 back. */
    fund(E, 100, 0);
    fund(F, 1000, 0);
    tx_t e0 = pay(E, 50, 1, 0), e1 = pay(E, 40, 1, 1);
    add_ok(&e0);
    add_ok(&e1);
    tx_t e0_big, f_to_e;
    xfer(&e0_big, &key[E], key[R].pub, 90, 1, 0);
    xfer(&f_to_e, &key[F], key[E].pub, 100, 1, 0);
    block_t y1, y2;
    make_block(&y1, &e0_big, 1);
    make_block(&y2, &f_to_e, 1);
    apply_block(&y1, NULL);
    mempool_block_connected(pool, &y1, best);
    apply_block(&y2, NULL);
    mempool_block_connected(pool, &y2, best);
    mempool_revalidate(pool, best);
    cr_assert_not(pending(&e1));
    cr_assert_eq(mempool_count(pool), 0);
    block_deinit(&y1);
    block_deinit(&y2);
}

Test(mempool, discarded_branch_transfers_are_readded_when_valid)
{
    /* The chain discards a side branch and offers its transfers not in the
     * main chain, oldest first: valid ones come in, the rest are refused. */
    fund(A, 1000, 0);
    fund(B, 1000, 3);
    tx_t side[3] = {pay(A, 10, 1, 0), pay(A, 10, 1, 1), pay(B, 10, 1, 1)};
    size_t added = 0;
    for (int i = 0; i < 3; i++)
        added += mempool_add(pool, NULL, best, &side[i]) == 0;
    cr_assert_eq(added, 2);
    cr_assert(pending(&side[0]) && pending(&side[1]));
    cr_assert_not(pending(&side[2]), "B's nonce 1 was used on the main chain");
}
