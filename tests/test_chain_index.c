/*
 * Tests for src/core/chain_index.c: the best chain's transaction index and
 * account history answer "where is this transaction" and "the balance
 * after it", and follow a reorg.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

#include "chain_rig.h"

TestSuite(chain_index, .init = ch_setup);

Test(chain_index, balance_after_a_transaction)
{
    chain_t *c = ch_funded_chain(2, NULL); /* alice: 100 */
    const params_t *p = params_regtest();
    tx_t t[3];
    fx_transfer(&t[0], p, &ch_alice, ch_bob.pub, 10 * COIN, 0, 0);
    fx_transfer(&t[1], p, &ch_alice, ch_bob.pub, 20 * COIN, 0, 1);
    fx_transfer(&t[2], p, &ch_bob, ch_carol.pub, 5 * COIN, 0, 0);
    fx_extend(c, chain_tip(c), ch_miner.pub, t, 3, 0);
    tx_t later;
    fx_transfer(&later, p, &ch_alice, ch_carol.pub, 1 * COIN, 0, 2);
    fx_extend(c, chain_tip(c), ch_miner.pub, &later, 1, 0);
    const struct {
        const tx_t *tx;
        const uint8_t *who;
        uint64_t want;
    } cases[] = {
        {&t[0], ch_alice.pub, 90 * COIN}, {&t[0], ch_bob.pub, 10 * COIN},
        {&t[1], ch_alice.pub, 70 * COIN}, {&t[1], ch_bob.pub, 30 * COIN},
        {&t[2], ch_bob.pub, 25 * COIN},   {&t[2], ch_carol.pub, 5 * COIN},
        {&t[2], ch_alice.pub, 70 * COIN}, {&later, ch_alice.pub, 69 * COIN},
        {&later, ch_bob.pub, 25 * COIN},  {&t[0], ch_carol.pub, 0},
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
    cr_assert_eq(chain_balance_after_tx(c, &bal, ch_alice.pub, unknown),
                 ERR_NOT_FOUND);
    chain_free(&c);
}

/* A transfer is found where its block put it; a reorg that leaves it out
 * of the best chain takes it out of the index, and one that brings it back
 * puts it back. */
Test(chain_index, the_index_follows_the_best_chain_through_a_reorg)
{
    chain_t *c = ch_funded_chain(1, NULL);
    const chain_node_t *base = chain_tip(c);
    tx_t t;
    fx_transfer(&t, params_regtest(), &ch_alice, ch_bob.pub, COIN, 0, 0);
    uint8_t id[32];
    tx_compute_txid(id, &t);
    const chain_node_t *with = fx_extend(c, base, ch_miner.pub, &t, 1, 1);
    const chain_node_t *node = NULL;
    size_t index = 99;
    cr_assert_eq(chain_find_tx(c, &node, &index, id), 0);
    cr_assert_eq(node, with);
    cr_assert_eq(index, 1, "after the coinbase");
    uint8_t cb[32];
    tx_compute_txid(cb, &with->block.txs[0]);
    cr_assert_eq(chain_find_tx(c, &node, &index, cb), 0);
    cr_assert_eq(index, 0);

    /* A heavier branch from base without it: out of the index. */
    const chain_node_t *other = fx_extend(c, base, ch_carol.pub, NULL, 0, 2);
    other = fx_extend(c, other, ch_carol.pub, NULL, 0, 3);
    cr_assert_eq(chain_tip(c), other);
    cr_assert_eq(chain_find_tx(c, &node, &index, id), ERR_NOT_FOUND);
    uint64_t bal;
    cr_assert_eq(chain_balance_after_tx(c, &bal, ch_bob.pub, id),
                 ERR_NOT_FOUND);

    /* Its branch overtakes again: back, with its balances. */
    const chain_node_t *back = fx_extend(c, with, ch_miner.pub, NULL, 0, 4);
    back = fx_extend(c, back, ch_miner.pub, NULL, 0, 5);
    cr_assert_eq(chain_tip(c), back);
    cr_assert_eq(chain_find_tx(c, &node, &index, id), 0);
    cr_assert_eq(node, with);
    cr_assert_eq(chain_balance_after_tx(c, &bal, ch_bob.pub, id), 0);
    cr_assert_eq(bal, COIN);
    chain_free(&c);
}
