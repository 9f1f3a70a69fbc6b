/*
 * Tests for src/core/template.c: a template's coinbase (height, subsidy + fees,
 * miner, extra-nonce), its transfers, parent, bits, median-time-safe time
 * and merkle root; fee overflow and ambiguous transfer lists refused;
 * template_solve meets the target; a solved template is accepted by the
 * chain.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "fixtures.h"
#include "template.h"

static fx_key_t alice, bob, miner;

static void setup(void)
{
    fx_key(&alice, 21);
    fx_key(&bob, 22);
    fx_key(&miner, 23);
}

TestSuite(template, .init = setup);

/* Every header and coinbase rule a template must satisfy on parent. */
static void check_template(const block_t *b, const chain_t *c,
                           const chain_node_t *parent, const tx_t *txs,
                           size_t n, uint64_t fees, uint32_t want_time,
                           uint64_t extra_nonce)
{
    const params_t *p = chain_params(c);
    cr_assert_eq(b->header.version, 1);
    cr_assert_arr_eq(b->header.prev_hash, parent->hash, 32);
    cr_assert_eq(b->header.bits, chain_next_bits(c, parent));
    cr_assert_eq(b->header.time, want_time);
    cr_assert_gt(b->header.time, chain_median_time_past(parent));
    cr_assert_eq(b->header.nonce, 0);

    cr_assert_eq(b->tx_count, n + 1);
    const tx_t *cb = &b->txs[0];
    cr_assert_eq(cb->kind, TX_COINBASE);
    cr_assert_eq(cb->height, parent->height + 1);
    cr_assert_eq(cb->amount,
                 params_block_subsidy(p, parent->height + 1) + fees);
    cr_assert_arr_eq(cb->recipient, miner.pub, 32);
    cr_assert_eq(cb->extra_nonce, extra_nonce);
    for (size_t i = 0; i < n; i++) {
        uint8_t got[32], want[32];
        tx_leaf_hash(got, &b->txs[i + 1]);
        tx_leaf_hash(want, &txs[i]);
        cr_assert_arr_eq(got, want, 32, "transfer %zu in order", i);
    }
    uint8_t root[32];
    cr_assert_eq(block_compute_merkle_root(root, b), 0);
    cr_assert_arr_eq(b->header.merkle_root, root, 32);
}

static void expect_accepted(chain_t *c, const block_t *b)
{
    const char *why = NULL;
    cr_assert_eq(chain_add_block(c, &why, b), 0, "refused: %s",
                 why ? why : "?");
}

Test(template, coinbase_on_genesis)
{
    chain_t *c = fx_chain(NULL);
    const chain_node_t *g = chain_tip(c);
    block_t b;
    uint32_t t = g->block.header.time + 600;
    cr_assert_eq(template_build(&b, c, g, miner.pub, NULL, 0, t, 77), 0);
    check_template(&b, c, g, NULL, 0, 0, t, 77);
    cr_assert_eq(b.txs[0].amount, 50 * COIN);
    cr_assert_eq(template_solve(&b), 0);
    cr_assert(block_check_pow(&b.header));
    expect_accepted(c, &b);
    cr_assert_eq(chain_height(c), 1);
    block_deinit(&b);
    chain_free(&c);
}

Test(template, pays_subsidy_plus_fees)
{
    chain_t *c = fx_chain(NULL);
    const params_t *p = params_regtest();
    for (int i = 0; i < 3; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, (uint64_t)i);
    tx_t txs[3];
    fx_transfer(&txs[0], p, &alice, bob.pub, 5 * COIN, 1234, 0);
    fx_transfer(&txs[1], p, &alice, bob.pub, 6 * COIN, 0, 1);
    fx_transfer(&txs[2], p, &alice, miner.pub, COIN, 100000, 2);
    const chain_node_t *tip = chain_tip(c);
    block_t b;
    uint32_t t = tip->block.header.time + 1;
    cr_assert_eq(template_build(&b, c, tip, miner.pub, txs, 3, t, 9), 0);
    check_template(&b, c, tip, txs, 3, 1234 + 100000, t, 9);
    cr_assert_eq(template_solve(&b), 0);
    expect_accepted(c, &b);
    account_t a;
    state_get(chain_state(c), &a, miner.pub);
    cr_assert_eq(a.balance, 50 * COIN + 1234 + 100000 + COIN);
    block_deinit(&b);
    chain_free(&c);
}

Test(template, subsidy_of_the_new_height)
{
    /* regtest halves every 150 blocks: a block on the 149th pays 25. */
    chain_t *c = fx_chain(NULL);
    for (int i = 0; i < 149; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    const chain_node_t *tip = chain_tip(c);
    cr_assert_eq(tip->height, 149);
    block_t b;
    cr_assert_eq(template_build(&b, c, tip, miner.pub, NULL, 0,
                                tip->block.header.time + 1, 0),
                 0);
    cr_assert_eq(b.txs[0].height, 150);
    cr_assert_eq(b.txs[0].amount, 25 * COIN);
    cr_assert_eq(template_solve(&b), 0);
    expect_accepted(c, &b);
    block_deinit(&b);
    /* The block before the halving still paid 50. */
    const chain_node_t *before = chain_at_height(c, 149);
    cr_assert_eq(before->block.txs[0].amount, 50 * COIN);
    chain_free(&c);
}

Test(template, time_raised_past_median)
{
    chain_t *c = fx_chain(NULL);
    /* Eleven blocks 100 s apart: the median is the sixth newest. */
    const chain_node_t *tip = chain_tip(c);
    for (int i = 0; i < 11; i++) {
        block_t b;
        cr_assert_eq(template_build(&b, c, tip, alice.pub, NULL, 0,
                                    tip->block.header.time + 100, 0),
                     0);
        cr_assert_eq(template_solve(&b), 0);
        expect_accepted(c, &b);
        uint8_t h[32];
        block_compute_hash(h, &b.header);
        tip = chain_get(c, h);
        block_deinit(&b);
    }
    uint32_t mtp = chain_median_time_past(tip);
    cr_assert_eq(mtp, tip->block.header.time - 500);

    block_t b;
    /* Too early (even 0): raised to MTP + 1. */
    static const uint32_t early[] = {0, 1, 1000000, 0};
    for (size_t i = 0; i < sizeof early / sizeof early[0]; i++) {
        uint32_t t = i == 3 ? mtp : early[i];
        cr_assert_eq(template_build(&b, c, tip, miner.pub, NULL, 0, t, 0), 0);
        check_template(&b, c, tip, NULL, 0, 0, mtp + 1, 0);
        block_deinit(&b);
    }
    /* MTP + 1 and later are kept, even before the parent's own time. */
    cr_assert_eq(template_build(&b, c, tip, miner.pub, NULL, 0, mtp + 1, 0), 0);
    cr_assert_eq(b.header.time, mtp + 1);
    cr_assert_lt(b.header.time, tip->block.header.time);
    cr_assert_eq(template_solve(&b), 0);
    expect_accepted(c, &b);
    block_deinit(&b);
    chain_free(&c);
}

Test(template, bits_follow_the_retarget)
{
    /* demo: after one block a second too fast, the next bits are harder
     * than the pow limit, and the template carries exactly those. */
    chain_config_t cfg = {.params = params_demo(), .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    const chain_node_t *g = chain_tip(c);
    block_t b;
    cr_assert_eq(template_build(&b, c, g, miner.pub, NULL, 0,
                                g->block.header.time + 1, 0),
                 0);
    cr_assert_eq(b.header.bits, params_demo()->pow_limit_bits);
    cr_assert_eq(template_solve(&b), 0); /* ~65,000 hashes */
    cr_assert(block_check_pow(&b.header));
    expect_accepted(c, &b);
    uint8_t h[32];
    block_compute_hash(h, &b.header);
    const chain_node_t *tip = chain_get(c, h);
    block_deinit(&b);

    cr_assert_eq(template_build(&b, c, tip, miner.pub, NULL, 0,
                                tip->block.header.time + 1, 0),
                 0);
    uint32_t want = chain_next_bits(c, tip);
    cr_assert_neq(want, params_demo()->pow_limit_bits);
    check_template(&b, c, tip, NULL, 0, 0, tip->block.header.time + 1, 0);
    uint256_t t, limit;
    cr_assert_eq(block_bits_to_target(&t, b.header.bits), 0);
    cr_assert_eq(block_bits_to_target(&limit, params_demo()->pow_limit_bits),
                 0);
    cr_assert_lt(uint256_cmp(&t, &limit), 0, "harder than the limit");
    block_deinit(&b);
    chain_free(&c);
}

Test(template, fee_overflow_refused)
{
    chain_t *c = fx_chain(NULL);
    const params_t *p = params_regtest();
    const chain_node_t *g = chain_tip(c);
    tx_t txs[2];
    fx_transfer(&txs[0], p, &alice, bob.pub, 1, MAX_MONEY, 0);
    fx_transfer(&txs[1], p, &alice, bob.pub, 1, 1, 1);
    block_t b = {.tx_count = 42};
    cr_assert_eq(template_build(&b, c, g, miner.pub, txs, 2, 0, 0), ERR_RANGE);
    cr_assert_eq(b.tx_count, 42, "output untouched on failure");
    fx_transfer(&txs[0], p, &alice, bob.pub, 1, MAX_MONEY + 1, 0);
    cr_assert_eq(template_build(&b, c, g, miner.pub, txs, 1, 0, 0), ERR_RANGE);
    fx_transfer(&txs[0], p, &alice, bob.pub, 1, UINT64_MAX, 0);
    cr_assert_eq(template_build(&b, c, g, miner.pub, txs, 2, 0, 0), ERR_RANGE);
    cr_assert_eq(b.tx_count, 42);
    chain_free(&c);
}

Test(template, ambiguous_transfer_list_refused)
{
    /* [coinbase, t1, t2, t2]: the duplicated pair makes the merkle tree
     * ambiguous (CVE-2012-2459); no valid block can hold it. */
    chain_t *c = fx_chain(NULL);
    const params_t *p = params_regtest();
    tx_t txs[3];
    fx_transfer(&txs[0], p, &alice, bob.pub, 1, 1, 0);
    fx_transfer(&txs[1], p, &alice, bob.pub, 2, 1, 1);
    txs[2] = txs[1];
    block_t b = {.tx_count = 42};
    cr_assert_eq(template_build(&b, c, chain_tip(c), miner.pub, txs, 3, 0, 0),
                 ERR_ARG);
    cr_assert_eq(b.tx_count, 42);
    chain_free(&c);
}

Test(template, solve_meets_target)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    const chain_node_t *g = chain_tip(c);
    cr_assert_eq(template_build(&b, c, g, miner.pub, NULL, 0, 0, 0), 0);
    /* Harder than regtest: about 65,000 hashes. */
    b.header.bits = 0x1f00ffff;
    uint32_t time0 = b.header.time;
    cr_assert_eq(template_solve(&b), 0);
    cr_assert(block_check_pow(&b.header));
    cr_assert_eq(b.header.time, time0, "nonce space was not exhausted");
    uint256_t target;
    uint8_t hash[32];
    cr_assert_eq(block_bits_to_target(&target, b.header.bits), 0);
    block_compute_hash(hash, &b.header);
    cr_assert(block_hash_meets_target(hash, &target));
    /* The smallest such nonce: every smaller one misses. */
    block_header_t h = b.header;
    for (uint32_t n = 0; n < b.header.nonce; n++) {
        block_set_nonce_and_get_hash(hash, &h, n);
        cr_assert_not(block_hash_meets_target(hash, &target), "nonce %u", n);
    }
    /* Invalid bits cannot be solved. */
    b.header.bits = 0;
    cr_assert_eq(template_solve(&b), ERR_RANGE);
    b.header.bits = 0x04923456;
    cr_assert_eq(template_solve(&b), ERR_RANGE);
    block_deinit(&b);
    chain_free(&c);
}
