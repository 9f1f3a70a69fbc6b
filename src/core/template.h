/*
 * template — assembling a candidate block for mining.
 *
 * A template is a complete block on a given parent: a coinbase paying the
 * subsidy plus the fees of the chosen transfers to the miner, the transfers,
 * the difficulty the chain expects, a time no earlier than the median-time
 * rule allows, and the merkle root. Only the nonce (and, for the miner, the
 * coinbase extra-nonce) is left to search.
 */
#ifndef PICKAXE_TEMPLATE_H
#define PICKAXE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "err.h"

/*
 * Builds a block on parent.
 * In:   miner        recipient of the coinbase (x-only key).
 *       txs, n       transfers to include, in order (borrowed; the caller
 *                    chose a valid set, e.g. with mempool_select).
 *       time         desired header time; raised to median-time-past + 1.
 *       extra_nonce  the coinbase's extra-nonce.
 * Returns: 0; ERR_RANGE when the fees overflow; ERR_ARG when the list
 *          repeats a transfer so that the merkle tree is ambiguous
 *          (merkle.h); ERR_NOMEM.
 * Out:     block (owned by the caller; block_deinit), nonce 0.
 */
PX_MUST_CHECK int template_build(block_t *block, const chain_t *c,
                                 const chain_node_t *parent,
                                 const uint8_t miner[32], const tx_t *txs,
                                 size_t n, uint32_t time, uint64_t extra_nonce);

/*
 * Searches nonces with the reference hash until the header meets its bits,
 * rolling the time when the nonce space is spent. Meant for regtest-level
 * targets (tests, `generate`); real mining uses the miner pool.
 * Returns: 0, or ERR_RANGE when the bits are invalid.
 */
PX_MUST_CHECK int template_solve(block_t *block);

#endif
