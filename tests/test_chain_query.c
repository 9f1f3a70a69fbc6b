/*
 * Tests for src/core/chain_query.c: the locator a node sends and the fork
 * point a peer finds from it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

#include "chain_rig.h"

TestSuite(chain_query, .init = ch_setup);

Test(chain_query, locator_and_fork_point)
{
    chain_t *c = ch_funded_chain(40, NULL);
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

/* The tree's tips, best first; each fork's chain from genesis; the best
 * chain by height and by hash; the count of every block in the tree. */
Test(chain_query, forks_chains_and_lookups)
{
    chain_t *c = ch_funded_chain(2, NULL);
    const chain_node_t *base = chain_tip(c);
    const chain_node_t *side = fx_extend(c, base, ch_bob.pub, NULL, 0, 1);
    const chain_node_t *best = fx_extend(c, base, ch_carol.pub, NULL, 0, 2);
    best = fx_extend(c, best, ch_carol.pub, NULL, 0, 3);
    cr_assert_eq(chain_tip(c), best);
    cr_assert_eq(chain_height(c), 4);
    cr_assert_eq(chain_block_count(c), 6, "genesis, 2, a side block, 2");

    const chain_node_t *tips[4];
    cr_assert_eq(chain_get_forks(c, tips, 4), 2);
    cr_assert_eq(tips[0], best, "best tip first");
    cr_assert_eq(tips[1], side);
    cr_assert_eq(chain_get_forks(c, tips, 1), 2, "how many exist");

    const chain_node_t **blocks = NULL;
    size_t n = 0;
    cr_assert_eq(chain_get_longest_chain(c, &blocks, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(blocks[0]->height, 0);
    cr_assert_eq(blocks[4], best);
    for (size_t i = 1; i < n; i++)
        cr_assert_eq(blocks[i]->parent, blocks[i - 1]);
    free(blocks);
    cr_assert_eq(chain_get_chain_by_fork_id(c, side->hash, &blocks, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(blocks[3], side);
    cr_assert_eq(blocks[2], base);
    free(blocks);
    cr_assert_eq(chain_get_chain_by_fork_id(c, base->hash, &blocks, &n),
                 ERR_NOT_FOUND, "not a tip");

    cr_assert_eq(chain_at_height(c, 3)->parent, base);
    cr_assert_eq(chain_at_height(c, 4), best);
    cr_assert_null(chain_at_height(c, 5));
    cr_assert_eq(chain_get(c, side->hash), side, "side blocks too");
    uint8_t unknown[32] = {7};
    cr_assert_null(chain_get(c, unknown));
    cr_assert_eq(chain_params(c), params_regtest());
    chain_free(&c);
}
