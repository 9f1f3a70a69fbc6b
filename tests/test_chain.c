/*
 * Tests for the chain (src/core/chain*.c): every block rule refused with its
 * own reason, fork choice, reorgs with exact state rollback, pruning of stale
 * branches and the transactions they give back, orphans, balance after a
 * transaction and whole-chain validation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

static fx_key_t alice, bob, carol, miner;

static void setup(void)
{
    fx_key(&alice, 1);
    fx_key(&bob, 2);
    fx_key(&carol, 3);
    fx_key(&miner, 4);
}

TestSuite(chain, .init = setup);

static uint64_t balance(const chain_t *c, const uint8_t key[32])
{
    account_t a;
    state_get(chain_state(c), &a, key);
    return a.balance;
}

/* A chain where alice has mined `blocks` blocks (50 coins each). */
static chain_t *funded_chain(int blocks, const chain_callbacks_t *cb)
{
    chain_t *c = fx_chain(cb);
    for (int i = 0; i < blocks; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    return c;
}

/* Adds b and expects refusal with `reason`. */
static void expect_refused(chain_t *c, const block_t *b, const char *reason)
{
    const char *why = NULL;
    int rc = chain_add_block(c, &why, b);
    cr_assert_eq(rc, ERR_INVALID, "expected %s, got rc %d (%s)", reason, rc,
                 why ? why : "-");
    cr_assert_str_eq(why, reason);
}

Test(chain, starts_at_genesis_of_its_network)
{
    chain_t *c = fx_chain(NULL);
    cr_assert_eq(chain_height(c), 0);
    cr_assert_arr_eq(chain_tip(c)->hash, params_regtest()->network_id, 32);
    cr_assert(block_check_pow(&chain_tip(c)->block.header));
    chain_free(&c);
    cr_assert_null(c);
    chain_free(&c);
}

Test(chain, valid_blocks_extend_and_pay_the_miner)
{
    chain_t *c = funded_chain(10, NULL);
    cr_assert_eq(chain_height(c), 10);
    cr_assert_eq(balance(c, alice.pub), 10 * 50 * COIN);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 7 * COIN, 1000, 0);
    fx_extend(c, chain_tip(c), miner.pub, &t, 1, 0);
    cr_assert_eq(balance(c, bob.pub), 7 * COIN);
    cr_assert_eq(balance(c, alice.pub), 500 * COIN - 7 * COIN - 1000);
    cr_assert_eq(balance(c, miner.pub), 50 * COIN + 1000);
    chain_free(&c);
}

Test(chain, duplicate_block_is_reported_as_such)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    const char *why;
    cr_assert_eq(chain_add_block(c, &why, &b), ERR_DUPLICATE);
    cr_assert_str_eq(why, "duplicate");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, high_hash)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    /* Find a nonce whose hash misses the target. */
    while (block_check_pow(&b.header))
        b.header.nonce++;
    expect_refused(c, &b, "high-hash");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, bad_diffbits_wrong_but_valid_target)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    b.header.bits = 0x207ffffe; /* harder than expected: still wrong */
    fx_reseal(&b);
    expect_refused(c, &b, "bad-diffbits");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, bad_diffbits_easier_than_the_limit)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    b.header.bits = 0x2100ffff;
    expect_refused(c, &b, "bad-diffbits");
    b.header.bits = 0x20800000; /* negative */
    expect_refused(c, &b, "bad-diffbits");
    block_deinit(&b);
    chain_free(&c);
}

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

Test(chain, time_too_new_is_not_remembered)
{
    fake_now = 1800000000;
    chain_config_t cfg = {.params = params_regtest(), .now = fake_clock};
    chain_t *c = chain_new(&cfg);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    b.header.time = (uint32_t)(fake_now + CHAIN_MAX_FUTURE_SECONDS + 60);
    fx_reseal(&b);
    expect_refused(c, &b, "time-too-new");
    fake_now += 120; /* the same block is now within two hours */
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, time_too_old)
{
    chain_t *c = funded_chain(12, NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    b.header.time = chain_median_time_past(chain_tip(c));
    fx_reseal(&b);
    expect_refused(c, &b, "time-too-old");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, bad_merkle_root_does_not_poison_the_real_block)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    block_t bad;
    cr_assert_eq(block_copy(&bad, &b), 0);
    bad.txs[0].amount -= 1; /* body changed, header (and hash) not */
    expect_refused(c, &bad, "bad-txnmrklroot");
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    block_deinit(&bad);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, duplicated_last_transaction_mutation)
{
    chain_t *c = funded_chain(3, NULL);
    tx_t t[2];
    fx_transfer(&t[0], params_regtest(), &alice, bob.pub, COIN, 10, 0);
    fx_transfer(&t[1], params_regtest(), &alice, carol.pub, COIN, 10, 1);
    block_t b;
    fx_block(&b, c, chain_tip(c), miner.pub, t, 2, 0);
    /* [cb t0 t1] and [cb t0 t1 t1] share a merkle root and so a hash. */
    block_t mutated;
    cr_assert_eq(block_copy(&mutated, &b), 0);
    cr_assert_eq(block_add_tx(&mutated, &t[1]), 0);
    uint8_t h1[32], h2[32];
    block_compute_hash(h1, &b.header);
    block_compute_hash(h2, &mutated.header);
    cr_assert_arr_eq(h1, h2, 32);
    expect_refused(c, &mutated, "bad-txns-duplicate");
    cr_assert_eq(chain_add_block(c, NULL, &b), 0,
                 "the valid block was poisoned");
    block_deinit(&mutated);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, oversized_block)
{
    chain_t *c = funded_chain(1, NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    tx_t junk;
    tx_init_transfer(&junk, alice.pub, bob.pub, 1, 0, 0);
    while (block_size(&b) <= BLOCK_MAX_SIZE) {
        junk.nonce++;
        cr_assert_eq(block_add_tx(&b, &junk), 0);
    }
    fx_reseal(&b);
    expect_refused(c, &b, "bad-blk-size");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, empty_block)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    block_deinit(&b); /* keeps the header, drops every transaction */
    cr_assert_eq(template_solve(&b), 0);
    expect_refused(c, &b, "bad-blk-length");
    chain_free(&c);
}

/* Builds a block on the tip with a raw transaction list (coinbase included),
 * with a correct merkle root and proof of work. */
static void raw_block(block_t *b, chain_t *c, const tx_t *txs, size_t n)
{
    fx_block(b, c, chain_tip(c), alice.pub, NULL, 0, 0);
    block_deinit(b);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(block_add_tx(b, &txs[i]), 0);
    fx_reseal(b);
}

Test(chain, coinbase_rules)
{
    chain_t *c = funded_chain(2, NULL);
    uint64_t subsidy = params_block_subsidy(params_regtest(), 3);
    tx_t t, cb;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, COIN, 500, 0);
    block_t b;

    tx_t only_transfer[1] = {t};
    raw_block(&b, c, only_transfer, 1);
    expect_refused(c, &b, "bad-cb-missing");
    block_deinit(&b);

    tx_t two_cb[2];
    tx_init_coinbase(&two_cb[0], 3, 0, alice.pub, subsidy);
    tx_init_coinbase(&two_cb[1], 3, 1, bob.pub, 1);
    raw_block(&b, c, two_cb, 2);
    expect_refused(c, &b, "bad-cb-multiple");
    block_deinit(&b);

    tx_init_coinbase(&cb, 7, 0, alice.pub, subsidy);
    raw_block(&b, c, &cb, 1);
    expect_refused(c, &b, "bad-cb-height");
    block_deinit(&b);

    tx_t greedy[2];
    tx_init_coinbase(&greedy[0], 3, 0, miner.pub, subsidy + 500 + 1);
    greedy[1] = t;
    raw_block(&b, c, greedy, 2);
    expect_refused(c, &b, "bad-cb-amount");
    block_deinit(&b);

    greedy[0].amount = subsidy + 500; /* exactly subsidy + fees is fine */
    raw_block(&b, c, greedy, 2);
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, transfer_rules)
{
    chain_t *c = funded_chain(2, NULL); /* alice: 100 coins */
    const params_t *p = params_regtest();
    const struct {
        const char *reason;
        uint64_t amount, fee, nonce;
        int tamper; /* 0 none, 1 unsigned, 2 change amount after signing */
    } cases[] = {
        {"bad-txns-amount", 0, 1, 0, 0},
        {"bad-txns-amount", MAX_MONEY, 1, 0, 0},
        {"bad-txns-amount", UINT64_MAX, 2, 0, 0},
        {"bad-txns-unsigned", COIN, 1, 0, 1},
        {"bad-txns-sig", COIN, 1, 0, 2},
        {"bad-txns-nonce-gap", COIN, 1, 5, 0},
        {"bad-txns-insufficient-funds", 100 * COIN, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tx_t t;
        fx_transfer(&t, p, &alice, bob.pub, cases[i].amount, cases[i].fee,
                    cases[i].nonce);
        if (cases[i].tamper == 1)
            memset(t.sig, 0, sizeof t.sig);
        if (cases[i].tamper == 2)
            t.amount += 1;
        block_t b;
        fx_block(&b, c, chain_tip(c), miner.pub, &t, 1, i);
        expect_refused(c, &b, cases[i].reason);
        block_deinit(&b);
    }
    cr_assert_eq(chain_height(c), 2);
    cr_assert_eq(balance(c, alice.pub), 100 * COIN);
    chain_free(&c);
}

Test(chain, signature_for_another_network_is_refused)
{
    chain_t *c = funded_chain(1, NULL);
    tx_t t;
    fx_transfer(&t, params_demo(), &alice, bob.pub, COIN, 1, 0);
    block_t b;
    fx_block(&b, c, chain_tip(c), miner.pub, &t, 1, 0);
    expect_refused(c, &b, "bad-txns-sig");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, replayed_transaction)
{
    chain_t *c = funded_chain(2, NULL);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, COIN, 1, 0);
    fx_extend(c, chain_tip(c), miner.pub, &t, 1, 0);
    block_t b;
    fx_block(&b, c, chain_tip(c), miner.pub, &t, 1, 1);
    expect_refused(c, &b, "bad-txns-nonce-replay");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, double_spend_inside_one_block)
{
    chain_t *c = funded_chain(1, NULL); /* alice: 50 coins */
    tx_t t[2];
    fx_transfer(&t[0], params_regtest(), &alice, bob.pub, 30 * COIN, 0, 0);
    fx_transfer(&t[1], params_regtest(), &alice, carol.pub, 30 * COIN, 0, 0);
    block_t b;
    fx_block(&b, c, chain_tip(c), miner.pub, t, 2, 0);
    expect_refused(c, &b, "bad-txns-nonce-replay");
    block_deinit(&b);
    /* Same money spent twice with consecutive nonces: an overspend. */
    fx_transfer(&t[1], params_regtest(), &alice, carol.pub, 30 * COIN, 0, 1);
    fx_block(&b, c, chain_tip(c), miner.pub, t, 2, 1);
    expect_refused(c, &b, "bad-txns-insufficient-funds");
    block_deinit(&b);
    /* The identical transaction twice. */
    t[1] = t[0];
    fx_block(&b, c, chain_tip(c), miner.pub, t, 2, 2);
    expect_refused(c, &b, "bad-txns-duplicate");
    block_deinit(&b);
    cr_assert_eq(balance(c, alice.pub), 50 * COIN);
    chain_free(&c);
}

Test(chain, refused_block_is_remembered_and_its_children_refused)
{
    chain_t *c = funded_chain(1, NULL);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 60 * COIN, 0, 0);
    block_t bad, child;
    fx_block(&bad, c, chain_tip(c), miner.pub, &t, 1, 0);
    expect_refused(c, &bad, "bad-txns-insufficient-funds");
    expect_refused(c, &bad, "bad-txns-insufficient-funds");
    /* A child of the refused block, built by hand. */
    fx_block(&child, c, chain_tip(c), miner.pub, NULL, 0, 9);
    block_compute_hash(child.header.prev_hash, &bad.header);
    child.txs[0].height = 3;
    fx_reseal(&child);
    expect_refused(c, &child, "bad-prevblk");
    block_deinit(&bad);
    block_deinit(&child);
    chain_free(&c);
}

Test(chain, orphans_wait_for_their_parent)
{
    chain_t *c = fx_chain(NULL);
    chain_t *other = fx_chain(NULL);
    /* Build three blocks on another chain object, deliver them backwards. */
    block_t b[3];
    for (int i = 0; i < 3; i++) {
        fx_block(&b[i], other, chain_tip(other), alice.pub, NULL, 0, 0);
        cr_assert_eq(chain_add_block(other, NULL, &b[i]), 0);
    }
    const char *why;
    cr_assert_eq(chain_add_block(c, &why, &b[2]), ERR_ORPHAN);
    cr_assert_str_eq(why, "orphan");
    cr_assert_eq(chain_add_block(c, &why, &b[1]), ERR_ORPHAN);
    uint8_t missing[32], h2[32], h0[32];
    block_compute_hash(h2, &b[2].header);
    block_compute_hash(h0, &b[0].header);
    cr_assert(chain_orphan_missing(c, missing, h2));
    cr_assert_arr_eq(missing, h0, 32, "must ask for the first missing block");
    cr_assert_eq(chain_orphan_count(c), 2);
    cr_assert_eq(chain_add_block(c, NULL, &b[0]), 0);
    cr_assert_eq(chain_height(c), 3);
    cr_assert_eq(chain_orphan_count(c), 0);
    cr_assert_arr_eq(chain_tip(c)->hash, chain_tip(other)->hash, 32);
    for (int i = 0; i < 3; i++)
        block_deinit(&b[i]);
    chain_free(&c);
    chain_free(&other);
}

Test(chain, orphan_pool_is_bounded)
{
    chain_config_t cfg = {.params = params_regtest(), .max_orphans = 4};
    chain_t *c = chain_new(&cfg);
    chain_t *other = fx_chain(NULL);
    block_t first;
    fx_block(&first, other, chain_tip(other), alice.pub, NULL, 0, 0);
    cr_assert_eq(chain_add_block(other, NULL, &first), 0);
    for (int i = 0; i < 10; i++) {
        block_t b;
        fx_block(&b, other, chain_tip(other), alice.pub, NULL, 0, (uint64_t)i);
        cr_assert_eq(chain_add_block(c, NULL, &b), ERR_ORPHAN);
        block_deinit(&b);
    }
    cr_assert_eq(chain_orphan_count(c), 4);
    block_deinit(&first);
    chain_free(&c);
    chain_free(&other);
}

Test(chain, tie_keeps_the_first_seen)
{
    chain_t *c = funded_chain(2, NULL);
    const chain_node_t *base = chain_tip(c);
    const chain_node_t *a = fx_extend(c, base, alice.pub, NULL, 0, 1);
    const chain_node_t *b = fx_extend(c, base, bob.pub, NULL, 0, 2);
    cr_assert_eq(chain_tip(c), a);
    cr_assert_not(b->in_main);
    cr_assert_eq(chain_get_forks(c, NULL, 0), 2);
    chain_free(&c);
}

typedef struct {
    int connected, disconnected;
    tx_t returned[16];
    int nreturned;
} events_t;

static void on_connected(void *ctx, const chain_node_t *n)
{
    (void)n;
    ((events_t *)ctx)->connected++;
}
static void on_disconnected(void *ctx, const chain_node_t *n)
{
    (void)n;
    ((events_t *)ctx)->disconnected++;
}
static void on_discarded(void *ctx, const tx_t *tx)
{
    events_t *e = ctx;
    if (e->nreturned < 16)
        e->returned[e->nreturned++] = *tx;
}

Test(chain, overtaking_fork_reorgs_and_rolls_state_back_exactly)
{
    events_t ev = {0};
    chain_callbacks_t cb = {.ctx = &ev,
                            .block_connected = on_connected,
                            .block_disconnected = on_disconnected};
    chain_t *c = funded_chain(3, &cb); /* alice: 150 */
    const params_t *p = params_regtest();
    const chain_node_t *fork = chain_tip(c);

    /* Branch A (first, becomes best): alice pays bob 10 and 5. */
    tx_t a1, a2;
    fx_transfer(&a1, p, &alice, bob.pub, 10 * COIN, 100, 0);
    fx_transfer(&a2, p, &alice, bob.pub, 5 * COIN, 100, 1);
    const chain_node_t *x = fx_extend(c, fork, miner.pub, &a1, 1, 1);
    x = fx_extend(c, x, miner.pub, &a2, 1, 1);
    cr_assert_eq(balance(c, bob.pub), 15 * COIN);
    cr_assert_eq(balance(c, miner.pub), 100 * COIN + 200);

    /* Branch B: alice pays carol 40 with the same nonce 0 (a double spend
     * across forks), then two more blocks: B wins by work. */
    tx_t b1;
    fx_transfer(&b1, p, &alice, carol.pub, 40 * COIN, 7, 0);
    const chain_node_t *y = fx_extend(c, fork, carol.pub, &b1, 1, 2);
    y = fx_extend(c, y, carol.pub, NULL, 0, 2);
    cr_assert_eq(chain_height(c), 5);
    cr_assert(x->in_main, "a tie keeps branch A");
    int before = ev.disconnected;
    y = fx_extend(c, y, carol.pub, NULL, 0, 2);
    cr_assert_eq(chain_tip(c), y);
    cr_assert_eq(ev.disconnected - before, 2);

    /* State is exactly branch B's. */
    cr_assert_eq(balance(c, bob.pub), 0);
    cr_assert_eq(balance(c, miner.pub), 0);
    cr_assert_eq(balance(c, carol.pub), 3 * 50 * COIN + 40 * COIN + 7);
    cr_assert_eq(balance(c, alice.pub), 150 * COIN - 40 * COIN - 7);
    account_t acct;
    state_get(chain_state(c), &acct, alice.pub);
    cr_assert_eq(acct.nonce, 1);
    uint8_t id[32];
    tx_compute_txid(id, &a1);
    cr_assert_eq(chain_find_tx(c, NULL, NULL, id), ERR_NOT_FOUND);
    tx_compute_txid(id, &b1);
    cr_assert_eq(chain_find_tx(c, NULL, NULL, id), 0);

    /* And back: A gets two more blocks and wins again. */
    x = fx_extend(c, x, miner.pub, NULL, 0, 3);
    x = fx_extend(c, x, miner.pub, NULL, 0, 3);
    cr_assert_eq(chain_tip(c), x);
    cr_assert_eq(balance(c, bob.pub), 15 * COIN);
    cr_assert_eq(balance(c, carol.pub), 0);
    cr_assert_eq(balance(c, alice.pub), 150 * COIN - 15 * COIN - 200);
    chain_free(&c);
}

Test(chain, side_branch_blocks_are_fully_validated)
{
    chain_t *c = funded_chain(1, NULL); /* alice: 50 */
    const chain_node_t *fork = chain_tip(c);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 30 * COIN, 0, 0);
    fx_extend(c, fork, miner.pub, &t, 1, 1); /* main: alice now has 20 */
    /* On a side branch from `fork`, alice still has 50: 40 is valid there. */
    tx_t s;
    fx_transfer(&s, params_regtest(), &alice, carol.pub, 40 * COIN, 0, 0);
    const chain_node_t *side = fx_extend(c, fork, miner.pub, &s, 1, 2);
    cr_assert_not(side->in_main);
    /* But spending 40 again on the side branch is an overspend there. */
    tx_t s2;
    fx_transfer(&s2, params_regtest(), &alice, carol.pub, 40 * COIN, 0, 1);
    block_t b;
    fx_block(&b, c, side, miner.pub, &s2, 1, 3);
    expect_refused(c, &b, "bad-txns-insufficient-funds");
    block_deinit(&b);
    cr_assert_eq(balance(c, alice.pub), 20 * COIN, "best state untouched");
    chain_free(&c);
}

Test(chain, stale_branch_is_pruned_and_returns_only_unique_transactions)
{
    events_t ev = {0};
    chain_callbacks_t cb = {.ctx = &ev, .tx_discarded = on_discarded};
    chain_t *c = funded_chain(2, &cb); /* alice: 100 */
    const params_t *p = params_regtest();
    const chain_node_t *fork = chain_tip(c);
    tx_t shared, unique;
    fx_transfer(&shared, p, &alice, bob.pub, COIN, 1, 0);
    fx_transfer(&unique, p, &bob, carol.pub, COIN / 2, 1, 0);
    /* Main: `shared` only. Side: `shared` then `unique`. */
    const chain_node_t *m = fx_extend(c, fork, miner.pub, &shared, 1, 1);
    const chain_node_t *s = fx_extend(c, fork, carol.pub, &shared, 1, 2);
    s = fx_extend(c, s, carol.pub, &unique, 1, 2);
    cr_assert_eq(chain_tip(c), s, "the side branch first took the lead");
    /* Copied now: pruning below frees the node s points to. */
    uint8_t side_hash[32];
    memcpy(side_hash, s->hash, 32);
    /* Main catches up and runs 6 blocks ahead of the side branch's tip. */
    for (int i = 0; i < 8; i++)
        m = fx_extend(c, m, miner.pub, NULL, 0, 1);
    cr_assert_eq(chain_tip(c), m);
    cr_assert_null(chain_get(c, side_hash), "stale branch not pruned");
    cr_assert_eq(chain_get_forks(c, NULL, 0), 1);
    cr_assert_eq(ev.nreturned, 1, "only the unique transfer comes back");
    uint8_t got[32], want[32];
    tx_compute_txid(got, &ev.returned[0]);
    tx_compute_txid(want, &unique);
    cr_assert_arr_eq(got, want, 32);
    chain_free(&c);
}

Test(chain, heavier_chain_wins_however_deep)
{
    chain_t *c = funded_chain(20, NULL);
    chain_t *other = fx_chain(NULL);
    for (int i = 0; i < 30; i++)
        fx_extend(other, chain_tip(other), bob.pub, NULL, 0, 0);
    const chain_node_t **blocks;
    size_t n;
    cr_assert_eq(chain_get_longest_chain(other, &blocks, &n), 0);
    cr_assert_eq(n, 31);
    for (size_t i = 1; i < n; i++) {
        int rc = chain_add_block(c, NULL, &blocks[i]->block);
        cr_assert_eq(rc, 0, "block %zu refused", i);
    }
    free(blocks);
    cr_assert_arr_eq(chain_tip(c)->hash, chain_tip(other)->hash, 32);
    cr_assert_eq(balance(c, alice.pub), 0);
    cr_assert_eq(balance(c, bob.pub), 30 * 50 * COIN);
    chain_free(&c);
    chain_free(&other);
}

Test(chain, balance_after_a_transaction)
{
    chain_t *c = funded_chain(2, NULL); /* alice: 100 */
    const params_t *p = params_regtest();
    tx_t t[3];
    fx_transfer(&t[0], p, &alice, bob.pub, 10 * COIN, 0, 0);
    fx_transfer(&t[1], p, &alice, bob.pub, 20 * COIN, 0, 1);
    fx_transfer(&t[2], p, &bob, carol.pub, 5 * COIN, 0, 0);
    fx_extend(c, chain_tip(c), miner.pub, t, 3, 0);
    tx_t later;
    fx_transfer(&later, p, &alice, carol.pub, 1 * COIN, 0, 2);
    fx_extend(c, chain_tip(c), miner.pub, &later, 1, 0);
    const struct {
        const tx_t *tx;
        const uint8_t *who;
        uint64_t want;
    } cases[] = {
        {&t[0], alice.pub, 90 * COIN}, {&t[0], bob.pub, 10 * COIN},
        {&t[1], alice.pub, 70 * COIN}, {&t[1], bob.pub, 30 * COIN},
        {&t[2], bob.pub, 25 * COIN},   {&t[2], carol.pub, 5 * COIN},
        {&t[2], alice.pub, 70 * COIN}, {&later, alice.pub, 69 * COIN},
        {&later, bob.pub, 25 * COIN},  {&t[0], carol.pub, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t id[32];
        uint64_t bal = 12345;
        tx_compute_txid(id, cases[i].tx);
        cr_assert_eq(chain_balance_after_tx(c, &bal, cases[i].who, id), 0);
        cr_assert_eq(bal, cases[i].want, "case %zu: %llu", i,
                     (unsigned long long)bal);
    }
    uint8_t unknown[32] = {1};
    uint64_t bal;
    cr_assert_eq(chain_balance_after_tx(c, &bal, alice.pub, unknown),
                 ERR_NOT_FOUND);
    chain_free(&c);
}

Test(chain, is_valid_chain_accepts_the_real_chain_and_refuses_a_tampered_one)
{
    chain_t *c = funded_chain(5, NULL);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, COIN, 1, 0);
    fx_extend(c, chain_tip(c), miner.pub, &t, 1, 0);
    const chain_node_t **nodes;
    size_t n;
    cr_assert_eq(chain_get_longest_chain(c, &nodes, &n), 0);
    const block_t **blocks = malloc(n * sizeof *blocks);
    for (size_t i = 0; i < n; i++)
        blocks[i] = &nodes[i]->block;
    const char *why = NULL;
    uint32_t at = 0;
    cr_assert(chain_is_valid_chain(params_regtest(), blocks, n, &why, &at));

    /* An old block's transaction tampered with (and the block re-mined). */
    block_t tampered;
    cr_assert_eq(block_copy(&tampered, &nodes[6]->block), 0);
    tampered.txs[1].amount = 2 * COIN;
    fx_reseal(&tampered);
    blocks[6] = &tampered;
    cr_assert_not(chain_is_valid_chain(params_regtest(), blocks, n, &why, &at));
    cr_assert_str_eq(why, "bad-txns-sig");
    cr_assert_eq(at, 6);

    /* A block inserted in the middle breaks the links after it. */
    blocks[6] = &nodes[6]->block;
    blocks[3] = &nodes[4]->block;
    cr_assert_not(chain_is_valid_chain(params_regtest(), blocks, n, &why, &at));
    cr_assert_eq(at, 3);
    block_deinit(&tampered);
    free(blocks);
    free(nodes);
    chain_free(&c);
}

Test(chain, locator_and_fork_point)
{
    chain_t *c = funded_chain(40, NULL);
    uint8_t loc[CHAIN_MAX_LOCATOR][32];
    size_t n = chain_get_locator(c, loc, CHAIN_MAX_LOCATOR);
    cr_assert_arr_eq(loc[0], chain_tip(c)->hash, 32);
    cr_assert_arr_eq(loc[n - 1], chain_at_height(c, 0)->hash, 32);
    cr_assert_lt(n, 25, "locator must thin out");
    /* A locator from a peer that only has our first 10 blocks. */
    uint8_t peer[2][32];
    memcpy(peer[0], chain_at_height(c, 10)->hash, 32);
    memcpy(peer[1], chain_at_height(c, 0)->hash, 32);
    cr_assert_eq(chain_find_fork(c, (const uint8_t(*)[32])peer, 2)->height, 10);
    chain_free(&c);
}

static int cmp_time(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The median of the last CHAIN_MTP_SPAN times up to node, computed here
 * from the chain's own blocks. */
static uint32_t median_of_last(const chain_node_t *node)
{
    uint32_t t[CHAIN_MTP_SPAN];
    size_t n = 0;
    for (; node && n < CHAIN_MTP_SPAN; node = node->parent)
        t[n++] = node->block.header.time;
    qsort(t, n, sizeof t[0], cmp_time);
    return t[n / 2];
}

/* Near genesis there are fewer than CHAIN_MTP_SPAN blocks: the median is
 * of those there are, never of slots nobody wrote. The times go back and
 * forth (each one only above its parent's median, as the rule allows), so
 * a median over unwritten slots or the wrong count would differ. */
Test(chain, median_time_past_uses_only_the_blocks_there_are)
{
    cr_assert_eq(chain_median_time_past(NULL), 0);
    chain_t *c = fx_chain(NULL);
    const chain_node_t *g = chain_tip(c);
    cr_assert_eq(chain_median_time_past(g), g->block.header.time);
    static const uint32_t steps[] = {9, 1, 14, 2, 30, 1, 3, 22, 5, 1, 8, 40, 2};
    const chain_node_t *tip = g;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        block_t b;
        uint32_t time = chain_median_time_past(tip) + steps[i];
        cr_assert_eq(template_build(&b, c, tip, alice.pub, NULL, 0, time, i),
                     0);
        cr_assert_eq(template_solve(&b), 0);
        const char *why = NULL;
        cr_assert_eq(chain_add_block(c, &why, &b), 0, "height %zu: %s", i + 1,
                     why ? why : "?");
        block_deinit(&b);
        tip = chain_tip(c);
        cr_assert_eq(chain_median_time_past(tip), median_of_last(tip),
                     "height %u", tip->height);
    }
    /* A block at the median itself is too old; one past it is not. */
    block_t b;
    uint32_t mtp = chain_median_time_past(tip);
    cr_assert_eq(template_build(&b, c, tip, bob.pub, NULL, 0, mtp, 99), 0);
    b.header.time = mtp; /* template_build would move it past the median */
    cr_assert_eq(template_solve(&b), 0);
    expect_refused(c, &b, "time-too-old");
    block_deinit(&b);
    chain_free(&c);
}
