/*
 * fixtures — shared builders for the unit tests (see fixtures.h).
 */
#include "fixtures.h"
#include "keys.h"
#include "template.h"

#include <criterion/criterion.h>
#include <string.h>

void fx_key(fx_key_t *k, uint8_t seed)
{
    memset(k->secret, seed, 32);
    cr_assert_eq(keys_pubkey_from_secret(k->pub, k->secret), 0);
}

void fx_transfer(tx_t *tx, const params_t *p, const fx_key_t *from,
                 const uint8_t to[32], uint64_t amount, uint64_t fee,
                 uint64_t nonce)
{
    tx_init_transfer(tx, from->pub, to, amount, fee, nonce);
    cr_assert_eq(tx_sign_with_secret(tx, from->secret, p->network_id), 0);
}

void fx_block(block_t *out, const chain_t *c, const chain_node_t *parent,
              const uint8_t miner[32], const tx_t *txs, size_t n,
              uint64_t extra_nonce)
{
    cr_assert_eq(template_build(out, c, parent, miner, txs, n,
                                parent->block.header.time + 1, extra_nonce),
                 0);
    cr_assert_eq(template_solve(out), 0);
}

void fx_reseal(block_t *b)
{
    if (b->tx_count)
        cr_assert_eq(block_compute_merkle_root(b->header.merkle_root, b), 0);
    cr_assert_eq(template_solve(b), 0);
}

const chain_node_t *fx_extend(chain_t *c, const chain_node_t *parent,
                              const uint8_t miner[32], const tx_t *txs,
                              size_t n, uint64_t extra_nonce)
{
    block_t b;
    fx_block(&b, c, parent, miner, txs, n, extra_nonce);
    const char *why = NULL;
    int rc = chain_add_block(c, &why, &b);
    cr_assert_eq(rc, 0, "block refused: %s", why ? why : "?");
    uint8_t hash[32];
    block_compute_hash(hash, &b.header);
    block_deinit(&b);
    const chain_node_t *n2 = chain_get(c, hash);
    cr_assert_not_null(n2);
    return n2;
}

chain_t *fx_chain(const chain_callbacks_t *cb)
{
    chain_config_t cfg = {.params = params_regtest(), .sig_threads = 2};
    if (cb)
        cfg.callbacks = *cb;
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    return c;
}
