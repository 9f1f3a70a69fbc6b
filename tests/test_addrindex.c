/*
 * Tests for src/core/addrindex.c: an address's transactions on the best
 * chain, newest first and paged, for recipient and sender alike; a reorg
 * away drops a transfer's postings and a reorg back brings them once.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "addrindex.h"
#include "chain.h"
#include "fixtures.h"

static fx_key_t alice, bob, carol, miner;

static void setup(void)
{
    fx_key(&alice, 1);
    fx_key(&bob, 2);
    fx_key(&carol, 3);
    fx_key(&miner, 4);
}

TestSuite(addrindex, .init = setup, .timeout = 30);

/* The whole history of key: its positions newest first, and the total. */
static size_t history(addrindex_t *ix, addrindex_pos_t *out, size_t max,
                      const chain_t *c, const uint8_t key[32])
{
    size_t n = 99, total = 99;
    cr_assert_eq(addrindex_query(ix, out, &n, &total, c, key, 0, max), 0);
    cr_assert_eq(n, total < max ? total : max);
    return total;
}

Test(addrindex, recipient_and_sender_newest_first_and_paged)
{
    chain_t *c = fx_chain(NULL);
    addrindex_t *ix = addrindex_new();
    cr_assert_not_null(ix);
    for (int i = 0; i < 3; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 7 * COIN, 100, 0);
    fx_extend(c, chain_tip(c), miner.pub, &t, 1, 0);

    addrindex_pos_t p[8];
    cr_assert_eq(history(ix, p, 8, c, bob.pub), 1);
    cr_assert_eq(p[0].height, 4);
    cr_assert_eq(p[0].index, 1);
    cr_assert_eq(history(ix, p, 8, c, alice.pub), 4);
    const addrindex_pos_t want[] = {{4, 1}, {3, 0}, {2, 0}, {1, 0}};
    for (size_t i = 0; i < 4; i++)
        cr_assert(p[i].height == want[i].height && p[i].index == want[i].index,
                  "entry %zu is %u/%u", i, p[i].height, p[i].index);
    cr_assert_eq(history(ix, p, 8, c, miner.pub), 1);
    cr_assert_eq(history(ix, p, 8, c, carol.pub), 0);

    /* The second page of two. */
    size_t n = 0, total = 0;
    cr_assert_eq(addrindex_query(ix, p, &n, &total, c, alice.pub, 2, 2), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(total, 4);
    cr_assert(p[0].height == 2 && p[1].height == 1);
    /* Past the end: nothing, and still the total. */
    cr_assert_eq(addrindex_query(ix, p, &n, &total, c, alice.pub, 4, 2), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(total, 4);

    /* A block more: the index follows without being told. */
    fx_transfer(&t, params_regtest(), &alice, bob.pub, COIN, 100, 1);
    fx_extend(c, chain_tip(c), miner.pub, &t, 1, 0);
    cr_assert_eq(history(ix, p, 8, c, bob.pub), 2);
    cr_assert_eq(p[0].height, 5);
    addrindex_free(&ix);
    cr_assert_null(ix);
    chain_free(&c);
}

Test(addrindex, a_reorg_away_and_back)
{
    chain_t *c = fx_chain(NULL);
    addrindex_t *ix = addrindex_new();
    for (int i = 0; i < 3; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    const chain_node_t *fork = chain_tip(c);
    tx_t t;
    fx_transfer(&t, params_regtest(), &alice, bob.pub, 7 * COIN, 100, 0);
    const chain_node_t *a = fx_extend(c, fork, miner.pub, &t, 1, 0);
    addrindex_pos_t p[16];
    cr_assert_eq(history(ix, p, 16, c, bob.pub), 1);

    /* A heavier branch without the transfer. */
    const chain_node_t *b = fx_extend(c, fork, carol.pub, NULL, 0, 1);
    b = fx_extend(c, b, carol.pub, NULL, 0, 1);
    cr_assert_arr_eq(chain_tip(c)->hash, b->hash, 32);
    cr_assert_eq(history(ix, p, 16, c, bob.pub), 0);
    cr_assert_eq(history(ix, p, 16, c, alice.pub), 3);
    cr_assert_eq(history(ix, p, 16, c, carol.pub), 2);
    cr_assert_eq(history(ix, p, 16, c, miner.pub), 0);

    /* And back, heavier again: the transfer once, not twice. */
    a = fx_extend(c, a, miner.pub, NULL, 0, 2);
    a = fx_extend(c, a, miner.pub, NULL, 0, 2);
    cr_assert_arr_eq(chain_tip(c)->hash, a->hash, 32);
    cr_assert_eq(history(ix, p, 16, c, bob.pub), 1);
    cr_assert_eq(p[0].height, 4);
    cr_assert_eq(history(ix, p, 16, c, alice.pub), 4);
    cr_assert_eq(history(ix, p, 16, c, miner.pub), 3);
    cr_assert_eq(history(ix, p, 16, c, carol.pub), 0);
    addrindex_free(&ix);
    chain_free(&c);
}
