/*
 * template — candidate blocks (see template.h).
 */
#include "template.h"
#include "err.h"
#include "params.h"

#include <string.h>

int template_build(block_t *block, const chain_t *c, const chain_node_t *parent,
                   const uint8_t miner[32], const tx_t *txs, size_t n,
                   uint32_t time, uint64_t extra_nonce)
{
    uint64_t fees = 0;
    for (size_t i = 0; i < n; i++) {
        if (txs[i].fee > MAX_MONEY || fees + txs[i].fee > MAX_MONEY)
            return ERR_RANGE;
        fees += txs[i].fee;
    }
    uint32_t height = parent->height + 1;
    block_t b = {0};
    tx_t cb;
    tx_init_coinbase(&cb, height, extra_nonce, miner,
                     params_block_subsidy(chain_params(c), height) + fees);
    int rc = block_add_tx(&b, &cb);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = block_add_tx(&b, &txs[i]);
    if (rc == 0) {
        uint32_t mtp = chain_median_time_past(parent);
        b.header.version = 1;
        memcpy(b.header.prev_hash, parent->hash, 32);
        b.header.time = time > mtp ? time : mtp + 1;
        b.header.bits = chain_next_bits(c, parent);
        b.header.nonce = 0;
        rc = block_compute_merkle_root(b.header.merkle_root, &b);
    }
    if (rc) {
        block_deinit(&b);
        return rc == ERR_INVALID ? ERR_ARG : rc;
    }
    *block = b;
    return 0;
}

int template_solve(block_t *block)
{
    uint256_t target;
    int rc = block_bits_to_target(&target, block->header.bits);
    if (rc)
        return rc;
    for (;;) {
        uint8_t hash[32];
        for (uint64_t nonce = 0; nonce <= UINT32_MAX; nonce++) {
            block_set_nonce_and_get_hash(hash, &block->header, (uint32_t)nonce);
            if (block_hash_meets_target(hash, &target))
                return 0;
        }
        block->header.time++;
    }
}
