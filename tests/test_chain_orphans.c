/*
 * Tests for src/core/chain_orphans.c: a block whose parent is unknown waits
 * in the orphan pool, says which parent is missing, and connects with its
 * descendants when the parent comes; the pool is bounded. (The worst
 * orders of arrival are test_chain_order.c's.)
 */
#include <criterion/criterion.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

#include "chain_rig.h"

TestSuite(chain_orphans, .init = ch_setup);

Test(chain_orphans, orphans_wait_for_their_parent)
{
    chain_t *c = fx_chain(NULL);
    chain_t *other = fx_chain(NULL);
    /* Build three blocks on another chain object, deliver them backwards. */
    block_t b[3];
    for (int i = 0; i < 3; i++) {
        fx_block(&b[i], other, chain_tip(other), ch_alice.pub, NULL, 0, 0);
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

Test(chain_orphans, orphan_pool_is_bounded)
{
    chain_config_t cfg = {.params = params_regtest(), .max_orphans = 4};
    chain_t *c = chain_new(&cfg);
    chain_t *other = fx_chain(NULL);
    block_t first;
    fx_block(&first, other, chain_tip(other), ch_alice.pub, NULL, 0, 0);
    cr_assert_eq(chain_add_block(other, NULL, &first), 0);
    for (int i = 0; i < 10; i++) {
        block_t b;
        fx_block(&b, other, chain_tip(other), ch_alice.pub, NULL, 0,
                 (uint64_t)i);
        cr_assert_eq(chain_add_block(c, NULL, &b), ERR_ORPHAN);
        block_deinit(&b);
    }
    cr_assert_eq(chain_orphan_count(c), 4);
    block_deinit(&first);
    chain_free(&c);
    chain_free(&other);
}
