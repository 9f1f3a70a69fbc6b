/*
 * test_branch — blocks built on a branch_t, away from the chain, are valid
 * where they land: offered to the chain afterwards, each is accepted, and
 * at every step the branch's next bits and median time are the chain's own
 * (chain_next_bits, chain_median_time_past), on regtest and on demo, where
 * the retarget moves the difficulty both ways.
 */
#include "branch.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"
#include "uint256.h"

#include <criterion/criterion.h>
#include <string.h>

static chain_t *demo_chain(void)
{
    chain_config_t cfg = {.params = params_demo(), .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    return c;
}

/* Builds and solves the branch's next block at a desired time, and grows
 * the branch with it. */
static void next_block(branch_t *br, block_t *b, uint32_t time, uint64_t extra)
{
    static const uint8_t miner[32] = {7};
    cr_assert_eq(branch_template(br, b, miner, time, extra), 0);
    cr_assert_eq(template_solve(b), 0);
    cr_assert_eq(branch_extend(br, &b->header), 0);
}

/* The branch agrees with the chain about the block after node. */
static void assert_agrees(const branch_t *br, const chain_t *c,
                          const chain_node_t *node)
{
    cr_assert_eq(memcmp(br->tip, node->hash, 32), 0);
    cr_assert_eq(br->height, node->height);
    cr_assert_eq(branch_next_bits(br), chain_next_bits(c, node),
                 "height %u: bits %08x, the chain's %08x", node->height,
                 branch_next_bits(br), chain_next_bits(c, node));
    cr_assert_eq(branch_median_time_past(br), chain_median_time_past(node),
                 "height %u", node->height);
}

/*
 * Grows a branch from `from` by n blocks at the desired times (times[i],
 * or 0: as early as the median-time rule allows), all built before any is
 * offered; then offers them in order and checks each step.
 */
static void build_then_offer(chain_t *c, const chain_node_t *from,
                             const uint32_t *times, size_t n)
{
    branch_t br, check;
    cr_assert_eq(branch_start(&br, c, from), 0);
    check = br;
    assert_agrees(&br, c, from);
    block_t *blocks = calloc(n, sizeof *blocks);
    cr_assert_not_null(blocks);
    for (size_t i = 0; i < n; i++)
        next_block(&br, &blocks[i], times[i], i + 1);
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        cr_assert_eq(chain_add_block(c, &why, &blocks[i]), 0, "block %zu: %s",
                     i, why ? why : "?");
        uint8_t hash[32];
        block_compute_hash(hash, &blocks[i].header);
        cr_assert_eq(branch_extend(&check, &blocks[i].header), 0);
        assert_agrees(&check, c, chain_get(c, hash));
        block_deinit(&blocks[i]);
    }
    free(blocks);
    cr_assert_eq(memcmp(br.tip, check.tip, 32), 0);
}

Test(branch, regtest_blocks_are_accepted_in_order)
{
    chain_t *c = fx_chain(NULL);
    uint32_t times[20] = {0};
    build_then_offer(c, chain_tip(c), times, 20);
    cr_assert_eq(chain_height(c), 20);
    chain_free(&c);
}

/* A branch from a block in the middle of the chain overtakes the tip. */
Test(branch, a_side_branch_becomes_the_best_chain)
{
    chain_t *c = fx_chain(NULL);
    static const uint8_t miner[32] = {3};
    const chain_node_t *tip = chain_tip(c);
    for (int i = 0; i < 10; i++)
        tip = fx_extend(c, tip, miner, NULL, 0, 100 + i);
    uint32_t times[12] = {0};
    const chain_node_t *fork = chain_at_height(c, 4);
    build_then_offer(c, fork, times, 12);
    cr_assert_eq(chain_height(c), 16, "the longer branch is the best chain");
    chain_free(&c);
}

/* From genesis, where the windows are still short: fast blocks raise the
 * difficulty, slow ones lower it again, and the branch follows every step.
 * Then a second branch from past the first window, where a branch keeps
 * only the newest samples, still agrees. */
Test(branch, demo_retarget_followed_both_ways)
{
    chain_t *c = demo_chain();
    uint32_t t = params_demo()->genesis_time;
    uint32_t times[26];
    for (size_t i = 0; i < 26; i++) {
        t += i < 8 ? 3 : i < 18 ? 12 : 5; /* the target spacing is 5 s */
        times[i] = t;
    }
    build_then_offer(c, chain_tip(c), times, 26);
    cr_assert_eq(chain_height(c), 26);
    uint256_t t1, t8, t18;
    cr_assert_eq(
        block_bits_to_target(&t1, chain_at_height(c, 1)->block.header.bits), 0);
    cr_assert_eq(
        block_bits_to_target(&t8, chain_at_height(c, 8)->block.header.bits), 0);
    cr_assert_eq(
        block_bits_to_target(&t18, chain_at_height(c, 18)->block.header.bits),
        0);
    cr_assert_lt(uint256_cmp(&t8, &t1), 0, "fast blocks: harder");
    cr_assert_gt(uint256_cmp(&t18, &t8), 0, "slow blocks: easier again");

    cr_assert_gt(chain_height(c) + 1, params_demo()->retarget_window);
    for (size_t i = 0; i < 6; i++)
        times[i] = t += 4;
    build_then_offer(c, chain_tip(c), times, 6);
    cr_assert_eq(chain_height(c), 32);
    chain_free(&c);
}

Test(branch, extend_refuses_a_block_off_the_tip)
{
    chain_t *c = fx_chain(NULL);
    branch_t br;
    cr_assert_eq(branch_start(&br, c, chain_tip(c)), 0);
    block_t b;
    next_block(&br, &b, 0, 1);
    branch_t before = br;
    cr_assert_eq(branch_extend(&br, &b.header), ERR_ARG,
                 "b's parent is no longer the tip");
    cr_assert_eq(memcmp(&before, &br, sizeof br), 0, "unchanged on failure");
    block_deinit(&b);
    chain_free(&c);
}
