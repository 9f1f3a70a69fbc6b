/*
 * Tests for src/core/params.c: network names and lookup, the genesis block of
 * each network (its proof of work, its nonce and hash, its coinbase), network
 * ids, and the subsidy schedule.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "block.h"
#include "hex.h"
#include "params.h"

Test(params, names_and_lookup)
{
    const char *const *names = params_names();
    cr_assert_str_eq(names[0], "regtest");
    cr_assert_str_eq(names[1], "demo");
    cr_assert_null(names[2]);
    for (size_t i = 0; names[i]; i++) {
        const params_t *p = params_get(names[i]);
        cr_assert_not_null(p, "%s", names[i]);
        cr_assert_str_eq(p->name, names[i]);
    }
    cr_assert_eq(params_get("regtest"), params_regtest());
    cr_assert_eq(params_get("demo"), params_demo());
    cr_assert_null(params_get("mainnet"));
    cr_assert_null(params_get("Regtest"));
    cr_assert_null(params_get("demo "));
    cr_assert_null(params_get(""));
    cr_assert_null(params_get(NULL));
}

Test(params, networks_differ)
{
    const params_t *r = params_regtest(), *d = params_demo();
    cr_assert_str_neq(r->hrp, d->hrp);
    cr_assert_neq(r->default_port, d->default_port);
    cr_assert(memcmp(r->network_id, d->network_id, 32) != 0);
    cr_assert_not(r->retarget);
    cr_assert(d->retarget);
    cr_assert_gt(d->retarget_window, 0);
    cr_assert_gt(d->target_spacing, 0);
}

static void check_genesis(const params_t *p, uint32_t nonce,
                          const char *hash_hex)
{
    block_t g;
    cr_assert_eq(params_genesis_block(p, &g), 0);
    cr_assert(block_check_pow(&g.header), "%s genesis misses its target",
              p->name);
    cr_assert_eq(p->genesis_nonce, nonce);
    cr_assert_eq(g.header.nonce, nonce);
    cr_assert_eq(g.header.version, 1);
    cr_assert_eq(g.header.time, p->genesis_time);
    cr_assert_eq(g.header.bits, p->pow_limit_bits);
    static const uint8_t zero[32] = {0};
    cr_assert_arr_eq(g.header.prev_hash, zero, 32);

    /* One coinbase at height 0 paying the subsidy to the all-zero key. */
    cr_assert_eq(g.tx_count, 1);
    cr_assert_eq(g.txs[0].kind, TX_COINBASE);
    cr_assert_eq(g.txs[0].height, 0);
    cr_assert_eq(g.txs[0].amount, p->subsidy);
    cr_assert_arr_eq(g.txs[0].recipient, zero, 32);
    uint8_t leaf[32];
    tx_leaf_hash(leaf, &g.txs[0]);
    cr_assert_arr_eq(g.header.merkle_root, leaf, 32,
                     "a one-leaf tree's root is the leaf");

    /* The network id is the genesis hash, pinned here: changing any of it
     * starts a new network. */
    uint8_t hash[32];
    char hex[HEX_HASH_LEN + 1];
    block_compute_hash(hash, &g.header);
    cr_assert_arr_eq(p->network_id, hash, 32);
    hex_from_hash(hex, hash);
    cr_assert_str_eq(hex, hash_hex, "%s genesis", p->name);

    /* Building it again gives the same block. */
    block_t again;
    cr_assert_eq(params_genesis_block(p, &again), 0);
    uint8_t hash2[32];
    block_compute_hash(hash2, &again.header);
    cr_assert_arr_eq(hash2, hash, 32);
    block_deinit(&again);
    block_deinit(&g);
}

Test(params, regtest_genesis)
{
    check_genesis(
        params_regtest(), 0,
        "5e58ffd016d756c729c8a7194411ce9db1e76dde0d847849eb137a44b5860134");
}

Test(params, demo_genesis)
{
    check_genesis(
        params_demo(), 1235,
        "0000545f5deef7890742dae6a388c78b46e0fa21f7f062d988ed507d705cd60b");
}

Test(params, subsidy_halves)
{
    const params_t *r = params_regtest();
    cr_assert_eq(r->halving_interval, 150);
    cr_assert_eq(params_block_subsidy(r, 0), 50 * COIN);
    cr_assert_eq(params_block_subsidy(r, 149), 50 * COIN);
    cr_assert_eq(params_block_subsidy(r, 150), 25 * COIN);
    cr_assert_eq(params_block_subsidy(r, 299), 25 * COIN);
    cr_assert_eq(params_block_subsidy(r, 300), 25 * COIN / 2);
    cr_assert_eq(params_block_subsidy(r, 450), 25 * COIN / 4);
    /* 50 coins = 5e9 base units, 33 bits: gone after 33 halvings. */
    cr_assert_eq(params_block_subsidy(r, 150 * 32), 1);
    cr_assert_eq(params_block_subsidy(r, 150 * 33), 0);
    /* 64 halvings and beyond must not shift by >= 64 (UBSan checks). */
    cr_assert_eq(params_block_subsidy(r, 150 * 64), 0);
    cr_assert_eq(params_block_subsidy(r, UINT32_MAX), 0);

    const params_t *d = params_demo();
    cr_assert_eq(params_block_subsidy(d, 209999), 50 * COIN);
    cr_assert_eq(params_block_subsidy(d, 210000), 25 * COIN);
    cr_assert_eq(params_block_subsidy(d, 420000), 1250000000);

    /* Bitcoin's total: every block's subsidy sums to just under 21M. */
    uint64_t total = 0;
    for (uint32_t era = 0; era < 64; era++)
        total += params_block_subsidy(d, era * 210000) * 210000ULL;
    cr_assert_eq(total, 2099999997690000ULL);
    cr_assert_leq(total, MAX_MONEY);
}

static void *get_ids(void *arg)
{
    const params_t **out = arg;
    out[0] = params_get("demo");
    out[1] = params_get("regtest");
    return NULL;
}

Test(params, first_use_from_many_threads)
{
    /* The ids are filled once, whichever thread asks first. */
    pthread_t t[8];
    const params_t *got[8][2];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, get_ids, got[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(got[i][0], params_demo());
        cr_assert_eq(got[i][1], params_regtest());
    }
    uint8_t zero[32] = {0};
    cr_assert(memcmp(params_demo()->network_id, zero, 32) != 0);
}

Test(params, a_network_is_found_and_named_by_its_id)
{
    cr_assert_eq(params_by_network_id(params_demo()->network_id),
                 params_demo());
    cr_assert_eq(params_by_network_id(params_regtest()->network_id),
                 params_regtest());
    cr_assert_str_eq(params_network_name(params_demo()->network_id), "demo");
    uint8_t other[32];
    memcpy(other, params_demo()->network_id, 32);
    other[31] ^= 1;
    cr_assert_null(params_by_network_id(other));
    cr_assert_str_eq(params_network_name(other), "an unknown network");
}
