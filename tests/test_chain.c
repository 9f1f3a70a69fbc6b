/*
 * Tests for src/core/chain.c: the tree from genesis, blocks that extend it
 * and pay their miner, duplicates, fork choice (first seen on a tie, the
 * heavier chain however deep), reorgs with exact state rollback, side
 * branches fully validated, and pruning of stale branches with the
 * transactions they give back. The rules, the orphan pool, the index and
 * the queries have test files of their own (test_chain_validate.c,
 * test_chain_orphans.c, test_chain_index.c, test_chain_query.c); the
 * shared fixture is chain_rig.h.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

#include "chain_rig.h"

TestSuite(chain, .init = ch_setup);

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
    chain_t *c = ch_funded_chain(10, NULL);
    cr_assert_eq(chain_height(c), 10);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 10 * 50 * COIN);
    tx_t t;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, 7 * COIN, 1000, 0);
    fx_extend(c, chain_tip(c), ch_miner.pub, &t, 1, 0);
    cr_assert_eq(ch_balance(c, ch_bob.pub), 7 * COIN);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 500 * COIN - 7 * COIN - 1000);
    cr_assert_eq(ch_balance(c, ch_miner.pub), 50 * COIN + 1000);
    chain_free(&c);
}

Test(chain, duplicate_block_is_reported_as_such)
{
    chain_t *c = fx_chain(NULL);
    block_t b;
    fx_block(&b, c, chain_tip(c), ch_alice.pub, NULL, 0, 0);
    cr_assert_eq(chain_add_block(c, NULL, &b), 0);
    const char *why;
    cr_assert_eq(chain_add_block(c, &why, &b), ERR_DUPLICATE);
    cr_assert_str_eq(why, "duplicate");
    block_deinit(&b);
    chain_free(&c);
}

Test(chain, tie_keeps_the_first_seen)
{
    chain_t *c = ch_funded_chain(2, NULL);
    const chain_node_t *base = chain_tip(c);
    const chain_node_t *a = fx_extend(c, base, ch_alice.pub, NULL, 0, 1);
    const chain_node_t *b = fx_extend(c, base, ch_bob.pub, NULL, 0, 2);
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
    chain_t *c = ch_funded_chain(3, &cb); /* alice: 150 */
    const params_t *p = params_regtest();
    const chain_node_t *fork = chain_tip(c);

    /* Branch A (first, becomes best): alice pays bob 10 and 5. */
    tx_t a1, a2;
    fx_transfer(&a1, p, &ch_alice, ch_bob.pub, 10 * COIN, 100, 0);
    fx_transfer(&a2, p, &ch_alice, ch_bob.pub, 5 * COIN, 100, 1);
    const chain_node_t *x = fx_extend(c, fork, ch_miner.pub, &a1, 1, 1);
    x = fx_extend(c, x, ch_miner.pub, &a2, 1, 1);
    cr_assert_eq(ch_balance(c, ch_bob.pub), 15 * COIN);
    cr_assert_eq(ch_balance(c, ch_miner.pub), 100 * COIN + 200);

    /* Branch B: alice pays carol 40 with the same nonce 0 (a double spend
     * across forks), then two more blocks: B wins by work. */
    tx_t b1;
    fx_transfer(&b1, p, &ch_alice, ch_carol.pub, 40 * COIN, 7, 0);
    const chain_node_t *y = fx_extend(c, fork, ch_carol.pub, &b1, 1, 2);
    y = fx_extend(c, y, ch_carol.pub, NULL, 0, 2);
    cr_assert_eq(chain_height(c), 5);
    cr_assert(x->in_main, "a tie keeps branch A");
    int before = ev.disconnected;
    y = fx_extend(c, y, ch_carol.pub, NULL, 0, 2);
    cr_assert_eq(chain_tip(c), y);
    cr_assert_eq(ev.disconnected - before, 2);

    /* State is exactly branch B's. */
    cr_assert_eq(ch_balance(c, ch_bob.pub), 0);
    cr_assert_eq(ch_balance(c, ch_miner.pub), 0);
    cr_assert_eq(ch_balance(c, ch_carol.pub), 3 * 50 * COIN + 40 * COIN + 7);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 150 * COIN - 40 * COIN - 7);
    account_t acct;
    state_get(chain_state(c), &acct, ch_alice.pub);
    cr_assert_eq(acct.nonce, 1);
    uint8_t id[32];
    tx_compute_txid(id, &a1);
    cr_assert_eq(chain_find_tx(c, NULL, NULL, id), ERR_NOT_FOUND);
    tx_compute_txid(id, &b1);
    cr_assert_eq(chain_find_tx(c, NULL, NULL, id), 0);

    /* And back: A gets two more blocks and wins again. */
    x = fx_extend(c, x, ch_miner.pub, NULL, 0, 3);
    x = fx_extend(c, x, ch_miner.pub, NULL, 0, 3);
    cr_assert_eq(chain_tip(c), x);
    cr_assert_eq(ch_balance(c, ch_bob.pub), 15 * COIN);
    cr_assert_eq(ch_balance(c, ch_carol.pub), 0);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 150 * COIN - 15 * COIN - 200);
    chain_free(&c);
}

Test(chain, side_branch_blocks_are_fully_validated)
{
    chain_t *c = ch_funded_chain(1, NULL); /* alice: 50 */
    const chain_node_t *fork = chain_tip(c);
    tx_t t;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, 30 * COIN, 0, 0);
    fx_extend(c, fork, ch_miner.pub, &t, 1, 1); /* main: alice now has 20 */
    /* On a side branch from `fork`, alice still has 50: 40 is valid there. */
    tx_t s;
    fx_transfer(&s, params_regtest(), &ch_alice, ch_carol.pub, 40 * COIN, 0, 0);
    const chain_node_t *side = fx_extend(c, fork, ch_miner.pub, &s, 1, 2);
    cr_assert_not(side->in_main);
    /* But spending 40 again on the side branch is an overspend there. */
    tx_t s2;
    fx_transfer(&s2, params_regtest(), &ch_alice, ch_carol.pub, 40 * COIN, 0,
                1);
    block_t b;
    fx_block(&b, c, side, ch_miner.pub, &s2, 1, 3);
    ch_expect_refused(c, &b, "bad-txns-insufficient-funds");
    block_deinit(&b);
    cr_assert_eq(ch_balance(c, ch_alice.pub), 20 * COIN,
                 "best state untouched");
    chain_free(&c);
}

Test(chain, stale_branch_is_pruned_and_returns_only_unique_transactions)
{
    events_t ev = {0};
    chain_callbacks_t cb = {.ctx = &ev, .tx_discarded = on_discarded};
    chain_t *c = ch_funded_chain(2, &cb); /* alice: 100 */
    const params_t *p = params_regtest();
    const chain_node_t *fork = chain_tip(c);
    tx_t shared, unique;
    fx_transfer(&shared, p, &ch_alice, ch_bob.pub, COIN, 1, 0);
    fx_transfer(&unique, p, &ch_bob, ch_carol.pub, COIN / 2, 1, 0);
    /* Main: `shared` only. Side: `shared` then `unique`. */
    const chain_node_t *m = fx_extend(c, fork, ch_miner.pub, &shared, 1, 1);
    const chain_node_t *s = fx_extend(c, fork, ch_carol.pub, &shared, 1, 2);
    s = fx_extend(c, s, ch_carol.pub, &unique, 1, 2);
    cr_assert_eq(chain_tip(c), s, "the side branch first took the lead");
    /* Copied now: pruning below frees the node s points to. */
    uint8_t side_hash[32];
    memcpy(side_hash, s->hash, 32);
    /* Main catches up and runs 6 blocks ahead of the side branch's tip. */
    for (int i = 0; i < 8; i++)
        m = fx_extend(c, m, ch_miner.pub, NULL, 0, 1);
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
    chain_t *c = ch_funded_chain(20, NULL);
    chain_t *other = fx_chain(NULL);
    for (int i = 0; i < 30; i++)
        fx_extend(other, chain_tip(other), ch_bob.pub, NULL, 0, 0);
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
    cr_assert_eq(ch_balance(c, ch_alice.pub), 0);
    cr_assert_eq(ch_balance(c, ch_bob.pub), 30 * 50 * COIN);
    chain_free(&c);
    chain_free(&other);
}
