/*
 * fixtures — shared builders for the unit tests: deterministic keys, signed
 * transfers, and solved regtest blocks on any parent of a chain.
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_FIXTURES_H
#define PICKAXE_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "params.h"
#include "tx.h"

typedef struct {
    uint8_t secret[32];
    uint8_t pub[32]; /* x-only public key */
} fx_key_t;

/* A fixed key for seed 1..127 (the secret is the seed byte repeated). */
void fx_key(fx_key_t *k, uint8_t seed);

/* A transfer from `from`, signed for network p. */
void fx_transfer(tx_t *tx, const params_t *p, const fx_key_t *from,
                 const uint8_t to[32], uint64_t amount, uint64_t fee,
                 uint64_t nonce);

/* A solved block on parent paying `miner`, with transfers txs[0..n-1];
 * extra_nonce tells apart blocks with the same content. Aborts the test on
 * failure. Caller block_deinit()s. */
void fx_block(block_t *out, const chain_t *c, const chain_node_t *parent,
              const uint8_t miner[32], const tx_t *txs, size_t n,
              uint64_t extra_nonce);

/* Recomputes the merkle root and solves again after a test changed a block. */
void fx_reseal(block_t *b);

/* Builds, adds and returns the new node of a block on parent. */
const chain_node_t *fx_extend(chain_t *c, const chain_node_t *parent,
                              const uint8_t miner[32], const tx_t *txs,
                              size_t n, uint64_t extra_nonce);

/* A regtest chain with default settings (and optional callbacks). */
chain_t *fx_chain(const chain_callbacks_t *cb);

#endif
