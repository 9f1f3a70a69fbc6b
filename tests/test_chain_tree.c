/*
 * Tests for chain_tree (src/core/chain_tree.c): branch tips with their
 * status, branch length and blocks until pruned, and windows of the tree
 * that list the best chain and side branches, each block once.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chain_tree.h"
#include "err.h"
#include "fixtures.h"

static fx_key_t miner;

static void setup(void)
{
    fx_key(&miner, 4);
}

TestSuite(chain_tree, .init = setup, .timeout = 60);

/* Extends the best chain by n blocks. */
static void grow(chain_t *c, int n)
{
    for (int i = 0; i < n; i++)
        fx_extend(c, chain_tip(c), miner.pub, NULL, 0, 0);
}

/* A side branch of len blocks on parent (extra nonces tell it apart). */
static const chain_node_t *branch(chain_t *c, const chain_node_t *parent,
                                  int len, uint64_t tag)
{
    const chain_node_t *x = parent;
    for (int i = 0; i < len; i++)
        x = fx_extend(c, x, miner.pub, NULL, 0, tag * 100 + (uint64_t)i);
    return x;
}

static size_t count_in(const chain_tree_entry_t *v, size_t n,
                       const chain_node_t *node)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += v[i].node == node;
    return k;
}

Test(chain_tree, a_lone_chain_has_one_active_tip)
{
    chain_t *c = fx_chain(NULL);
    grow(c, 5);
    chain_tip_info_t t[4];
    cr_assert_eq(chain_tips(c, t, 4), 1);
    cr_assert_eq(t[0].tip, chain_tip(c));
    cr_assert_eq(t[0].status, CHAIN_TIP_ACTIVE);
    cr_assert_eq(t[0].branch_len, 0);
    cr_assert_eq(t[0].prune_in, 0);
    chain_free(&c);
}

Test(chain_tree, side_branches_are_listed_highest_first_with_their_fork)
{
    chain_t *c = fx_chain(NULL);
    grow(c, 10);
    const chain_node_t *at8 = chain_at_height(c, 8);
    const chain_node_t *at9 = chain_at_height(c, 9);
    const chain_node_t *low = branch(c, at8, 1, 1);  /* height 9 */
    const chain_node_t *high = branch(c, at9, 1, 2); /* height 10, a tie */
    cr_assert_eq(chain_height(c), 10, "a tie keeps the first seen");
    chain_tip_info_t t[4];
    cr_assert_eq(chain_tips(c, t, 4), 3);
    cr_assert_eq(t[0].status, CHAIN_TIP_ACTIVE);
    cr_assert_eq(t[1].tip, high);
    cr_assert_eq(t[1].fork, at9);
    cr_assert_eq(t[1].branch_len, 1);
    cr_assert_eq(t[1].status, CHAIN_TIP_VALID_FORK);
    cr_assert_eq(t[2].tip, low);
    cr_assert_eq(t[2].fork, at8);
    /* Too little room: the count is still all of them, and the best tip
     * and the highest side tip are the ones kept. */
    chain_tip_info_t two[2];
    cr_assert_eq(chain_tips(c, two, 2), 3);
    cr_assert_eq(two[0].tip, chain_tip(c));
    cr_assert_eq(two[1].tip, high);
    cr_assert_eq(chain_tips(c, NULL, 0), 3);
    chain_free(&c);
}

Test(chain_tree, prune_in_counts_down_to_the_branch_being_discarded)
{
    chain_t *c = fx_chain(NULL);
    grow(c, 10);
    const chain_node_t *side = branch(c, chain_at_height(c, 9), 1, 1);
    uint8_t side_hash[32];
    memcpy(side_hash, side->hash, 32);
    chain_tip_info_t t[2];
    cr_assert_eq(chain_tips(c, t, 2), 2);
    uint32_t left = t[1].prune_in;
    cr_assert_eq(left, CHAIN_PRUNE_DEPTH,
                 "a fresh branch at the tip's "
                 "height lives prune_depth blocks");
    for (uint32_t i = 1; i < left; i++) {
        grow(c, 1);
        cr_assert_eq(chain_tips(c, t, 2), 2, "still held after %u", i);
        cr_assert_eq(t[1].prune_in, left - i);
    }
    grow(c, 1);
    cr_assert_eq(chain_tips(c, t, 2), 1, "discarded when prune_in ran out");
    cr_assert_null(chain_get(c, side_hash));
    chain_free(&c);
}

Test(chain_tree, window_lists_the_best_chain_then_side_blocks_once)
{
    chain_t *c = fx_chain(NULL);
    grow(c, 20);
    /* A branch of 3 on height 15, and a second branch forking off the
     * first's middle block: they share two blocks. */
    const chain_node_t *a = branch(c, chain_at_height(c, 15), 3, 1);
    const chain_node_t *mid = a->parent;
    const chain_node_t *b = branch(c, mid->parent, 2, 2);
    chain_tree_entry_t *v = NULL;
    size_t n = 0;
    cr_assert_eq(chain_tree_window(c, &v, &n, 10, 20), 0);
    /* 11 best-chain blocks, 3 of the first branch, 2 of the second. */
    cr_assert_eq(n, 11 + 3 + 2, "got %zu", n);
    for (size_t i = 0; i < 11; i++) {
        cr_assert_eq(v[i].node, chain_at_height(c, 10 + (uint32_t)i));
        cr_assert_eq(v[i].branch_tip, chain_tip(c));
    }
    cr_assert_eq(count_in(v, n, a), 1);
    cr_assert_eq(count_in(v, n, mid), 1);
    cr_assert_eq(count_in(v, n, mid->parent), 1, "a shared block once");
    cr_assert_eq(count_in(v, n, b), 1);
    cr_assert_eq(count_in(v, n, b->parent), 1);
    /* Each branch goes up: a block's parent comes before it unless the
     * parent is on the best chain or listed by another branch. */
    for (size_t i = 11; i < n; i++) {
        cr_assert(!v[i].node->in_main);
        cr_assert(v[i].node->height >= 10 && v[i].node->height <= 20);
        if (i > 11 && v[i].branch_tip == v[i - 1].branch_tip)
            cr_assert_eq(v[i].node->height, v[i - 1].node->height + 1);
    }
    free(v);
    chain_free(&c);
}

Test(chain_tree, window_is_bounded_by_its_heights)
{
    chain_t *c = fx_chain(NULL);
    grow(c, 30);
    const chain_node_t *side = branch(c, chain_at_height(c, 27), 2, 1);
    chain_tree_entry_t *v = NULL;
    size_t n = 0;
    /* Below the branch: only best-chain blocks. */
    cr_assert_eq(chain_tree_window(c, &v, &n, 0, 27), 0);
    cr_assert_eq(n, 28);
    free(v);
    /* The branch's top block only. */
    cr_assert_eq(chain_tree_window(c, &v, &n, 29, 29), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].node, chain_at_height(c, 29));
    cr_assert_eq(v[1].node, side);
    cr_assert_eq(v[1].branch_tip, side);
    free(v);
    /* Above the tip: nothing, and no error. */
    cr_assert_eq(chain_tree_window(c, &v, &n, 31, 40), 0);
    cr_assert_eq(n, 0);
    free(v);
    cr_assert_eq(chain_tree_window(c, &v, &n, 5, 4), ERR_ARG);
    chain_free(&c);
}

Test(chain_tree, a_reorg_moves_blocks_between_best_and_side)
{
    chain_t *c = fx_chain(NULL);
    grow(c, 10);
    const chain_node_t *old_tip = chain_tip(c);
    const chain_node_t *heavier = branch(c, chain_at_height(c, 8), 3, 1);
    cr_assert_eq(chain_tip(c), heavier, "more work wins");
    chain_tip_info_t t[3];
    cr_assert_eq(chain_tips(c, t, 3), 2);
    cr_assert_eq(t[0].tip, heavier);
    cr_assert_eq(t[1].tip, old_tip);
    cr_assert_eq(t[1].branch_len, 2);
    cr_assert_eq(t[1].fork, chain_at_height(c, 8));
    chain_tree_entry_t *v = NULL;
    size_t n = 0;
    cr_assert_eq(chain_tree_window(c, &v, &n, 9, 11), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(count_in(v, n, old_tip), 1);
    for (size_t i = 0; i < 3; i++)
        cr_assert(v[i].node->in_main);
    free(v);
    chain_free(&c);
}
