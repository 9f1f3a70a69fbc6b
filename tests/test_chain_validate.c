/*
 * Tests for src/core/chain_validate.c: every block rule refused with its
 * own reason (work, difficulty bits, time, merkle root and its mutation,
 * size, coinbase, transfers, signatures of another network, replays and
 * double spends), refused blocks remembered with their children, the
 * median time past of a short chain, and whole-chain validation.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

#include "chain_rig.h"

TestSuite(chain_validate, .init = ch_setup);

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

/* Builds a block on the tip with a raw transaction list (coinbase included),
 * with a correct merkle root and proof of work. */
static void raw_block(block_t *b, chain_t *c, const tx_t *txs, size_t n)
{
    fx_block(b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    block_deinit(b);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(block_add_tx(b, &txs[i]), 0);
    fx_reseal(b);
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

Test(chain_validate, high_hash)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    /* Find a nonce whose hash misses the target. */
    while (block_check_pow(&b.header))
        b.header.nonce++;
    ch_expect_refused(c, &b, "high-hash");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, bad_diffbits_wrong_but_valid_target)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    b.header.bits = 0x207ffffe; /* harder than expected: still wrong */
    fx_reseal(&b);
    ch_expect_refused(c, &b, "bad-diffbits");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, bad_diffbits_easier_than_the_limit)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    b.header.bits = 0x2100ffff;
    ch_expect_refused(c, &b, "bad-diffbits");
    b.header.bits = 0x20800000; /* negative */
    ch_expect_refused(c, &b, "bad-diffbits");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, time_too_new_is_not_remembered)
{
    fake_now = 1800000000;
    chain_config_t cfg = {.params = params_regtest(), .now = fake_clock};
    chain_t *c = chain_new(&cfg);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    b.header.time = (uint32_t)(fake_now + CHAIN_MAX_FUTURE_SECONDS + 60);
    fx_reseal(&b);
    ch_expect_refused(c, &b, "time-too-new");
    fake_now += 120; /* the same block is now within two hours */
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, time_too_old)
{
    chain_t *c = ch_funded_chain(12, NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    b.header.time = chain_median_time_past(chain_tip(c));
    fx_reseal(&b);
    ch_expect_refused(c, &b, "time-too-old");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, bad_merkle_root_does_not_poison_the_real_block)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    block_t bad;
    cr_assert_eq(block_copy(&bad, &b), 0);
    bad.txs[0].amount -= 1; /* body changed, header (and hash) not */
    ch_expect_refused(c, &bad, "bad-txnmrklroot");
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    block_deinit(&bad);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, duplicated_last_transaction_mutation)
{
    chain_t *c = ch_funded_chain(3, NULL);
    tx_t t[2];
    fx_transfer(&t[0], params_regtest(), &ch_alice, ch_bob.pub, COIN, 10, 0);
    fx_transfer(&t[1], params_regtest(), &ch_alice, ch_carol.pub, COIN, 10, 1);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_miner.pub, t, 2, 0);
    /* [cb t0 t1] and [cb t0 t1 t1] share a merkle root and so a hash. */
    block_t mutated;
    cr_assert_eq(block_copy(&mutated, &b), 0);
    cr_assert_eq(block_add_tx(&mutated, &t[1]), 0);
    uint8_t h1[32], h2[32];
    block_compute_hash(h1, &b.header);
    block_compute_hash(h2, &mutated.header);
    cr_assert_arr_eq(h1, h2, 32);
    ch_expect_refused(c, &mutated, "bad-txns-duplicate");
    cr_assert_eq(chain_add_block(c, NULL, &b), 0,
                 "the valid block was poisoned");
    block_deinit(&mutated);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, oversized_block)
{
    chain_t *c = ch_funded_chain(1, NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    tx_t junk;
    tx_init_transfer(&junk, ch_alice.pub, ch_bob.pub, 1, 0, 0);
    while (block_size(&b) <= BLOCK_MAX_SIZE) {
        junk.nonce++;
        cr_assert_eq(block_add_tx(&b, &junk), 0);
    }
    fx_reseal(&b);
    ch_expect_refused(c, &b, "bad-blk-size");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, empty_block)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    block_deinit(&b); /* keeps the header, drops every transaction */
    cr_assert_eq(template_solve(&b), 0);
    ch_expect_refused(c, &b, "bad-blk-length");
    chain_free(&c);
}

Test(chain_validate, coinbase_rules)
{
    chain_t *c = ch_funded_chain(2, NULL);
    uint64_t subsidy = params_block_subsidy(params_regtest(), 3);
    tx_t t, cb;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, COIN, 500, 0);
    block_t b;

    tx_t only_transfer[1] = {t};
    raw_block(&b, c, only_transfer, 1);
    ch_expect_refused(c, &b, "bad-cb-missing");
    block_deinit(&b);

    tx_t two_cb[2];
    tx_init_coinbase(&two_cb[0], 3, 0, ch_alice.pub, subsidy);
    tx_init_coinbase(&two_cb[1], 3, 1, ch_bob.pub, 1);
    raw_block(&b, c, two_cb, 2);
    ch_expect_refused(c, &b, "bad-cb-multiple");
    block_deinit(&b);

    tx_init_coinbase(&cb, 7, 0, ch_alice.pub, subsidy);
    raw_block(&b, c, &cb, 1);
    ch_expect_refused(c, &b, "bad-cb-height");
    block_deinit(&b);

    tx_t greedy[2];
    tx_init_coinbase(&greedy[0], 3, 0, ch_miner.pub, subsidy + 500 + 1);
    greedy[1] = t;
    raw_block(&b, c, greedy, 2);
    ch_expect_refused(c, &b, "bad-cb-amount");
    block_deinit(&b);

    greedy[0].amount = subsidy + 500; /* exactly subsidy + fees is fine */
    raw_block(&b, c, greedy, 2);
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, transfer_rules)
{
    chain_t *c = ch_funded_chain(2, NULL); /* alice: 100 coins */
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
        fx_transfer(&t, p, &ch_alice, ch_bob.pub, cases[i].amount, cases[i].fee,
                    cases[i].nonce);
        if (cases[i].tamper == 1)
            memset(t.sig, 0, sizeof t.sig);
        if (cases[i].tamper == 2)
            t.amount += 1;
        block_t b;
        fx_block(&b, c, chain_tip(c), ch_miner.pub, &t, 1, i);
        ch_expect_refused(c, &b, cases[i].reason);
        block_deinit(&b);
    }
    cr_assert_eq(chain_height(c), 2);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 100 * COIN);
    chain_free(&c);
}

Test(chain_validate, signature_for_another_network_is_refused)
{
    chain_t *c = ch_funded_chain(1, NULL);
    tx_t t;
    fx_transfer(&t, params_demo(), &ch_alice, ch_bob.pub, COIN, 1, 0);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_miner.pub, &t, 1, 0);
    ch_expect_refused(c, &b, "bad-txns-sig");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, replayed_transaction)
{
    chain_t *c = ch_funded_chain(2, NULL);
    tx_t t;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, COIN, 1, 0);
    fx_extend(c, chain_tip(c), ch_miner.pub, &t, 1, 0);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_miner.pub, &t, 1, 1);
    ch_expect_refused(c, &b, "bad-txns-nonce-replay");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain_validate, double_spend_inside_one_block)
{
    chain_t *c = ch_funded_chain(1, NULL); /* alice: 50 coins */
    tx_t t[2];
    fx_transfer(&t[0], params_regtest(), &ch_alice, ch_bob.pub, 30 * COIN, 0,
                0);
    fx_transfer(&t[1], params_regtest(), &ch_alice, ch_carol.pub, 30 * COIN, 0,
                0);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_miner.pub, t, 2, 0);
    ch_expect_refused(c, &b, "bad-txns-nonce-replay");
    block_deinit(&b);
    /* Same money spent twice with consecutive nonces: an overspend. */
    fx_transfer(&t[1], params_regtest(), &ch_alice, ch_carol.pub, 30 * COIN, 0,
                1);
    fx_block(&b, c, chain_tip(c), ch_miner.pub, t, 2, 1);
    ch_expect_refused(c, &b, "bad-txns-insufficient-funds");
    block_deinit(&b);
    /* The identical transaction twice. */
    t[1] = t[0];
    fx_block(&b, c, chain_tip(c), ch_miner.pub, t, 2, 2);
    ch_expect_refused(c, &b, "bad-txns-duplicate");
    block_deinit(&b);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 50 * COIN);
    chain_free(&c);
}

Test(chain_validate, refused_block_is_remembered_and_its_children_refused)
{
    chain_t *c = ch_funded_chain(1, NULL);
    tx_t t;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, 60 * COIN, 0, 0);
    block_t bad, child;
    fx_block(&bad, c, chain_tip(c), ch_miner.pub, &t, 1, 0);
    ch_expect_refused(c, &bad, "bad-txns-insufficient-funds");
    ch_expect_refused(c, &bad, "bad-txns-insufficient-funds");
    /* A child of the refused block, built by hand. */
    fx_block(&child, c, chain_tip(c), ch_miner.pub, NULL, 0, 9);
    block_compute_hash(child.header.prev_hash, &bad.header);
    child.txs[0].height = 3;
    fx_reseal(&child);
    ch_expect_refused(c, &child, "bad-prevblk");
    block_deinit(&bad);
    block_deinit(&child);
    chain_free(&c);
}

Test(chain_validate,
     is_valid_chain_accepts_the_real_chain_and_refuses_a_tampered_one)
{
    chain_t *c = ch_funded_chain(5, NULL);
    tx_t t;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, COIN, 1, 0);
    fx_extend(c, chain_tip(c), ch_miner.pub, &t, 1, 0);
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

/* Near genesis there are fewer than CHAIN_MTP_SPAN blocks: the median is
 * of those there are, never of slots nobody wrote. The times go back and
 * forth (each one only above its parent's median, as the rule allows), so
 * a median over unwritten slots or the wrong count would differ. */
Test(chain_validate, median_time_past_uses_only_the_blocks_there_are)
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
        cr_assert_eq(template_build(&b, c, tip, ch_alice.pub, NULL, 0, time, i),
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
    cr_assert_eq(template_build(&b, c, tip, ch_bob.pub, NULL, 0, mtp, 99), 0);
    b.header.time = mtp; /* template_build would move it past the median */
    cr_assert_eq(template_solve(&b), 0);
    ch_expect_refused(c, &b, "time-too-old");
    block_deinit(&b);
    chain_free(&c);
}
