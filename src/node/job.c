/*
 * job — templates to pool jobs and solutions back to blocks (see job.h).
 */
#include "job.h"
#include "err.h"
#include "kernel.h"
#include "merkle.h"

#include <stdlib.h>
#include <string.h>

int job_from_template(pool_job_t *job, job_parts_t *parts, const block_t *tpl,
                      uint64_t job_id)
{
    if (tpl->tx_count == 0 || tpl->txs[0].kind != TX_COINBASE)
        return ERR_ARG;
    uint256_t target;
    int rc = block_bits_to_target(&target, tpl->header.bits);
    if (rc)
        return rc;
    uint8_t(*leaves)[32] = malloc(tpl->tx_count * sizeof *leaves);
    if (!leaves)
        return ERR_NOMEM;
    for (size_t i = 0; i < tpl->tx_count; i++)
        tx_leaf_hash(leaves[i], &tpl->txs[i]);
    job_parts_t p = {{0}, NULL, 0};
    rc = merkle_coinbase_branch(&p.branch, &p.branch_len,
                                (const uint8_t(*)[32])leaves, tpl->tx_count);
    free(leaves);
    if (rc)
        return rc;
    buf_t cb;
    buf_init(&cb);
    if (tx_serialize(&cb, &tpl->txs[0]) != 0 || cb.len != TX_COINBASE_SIZE) {
        buf_deinit(&cb);
        free(p.branch);
        return ERR_NOMEM;
    }
    memcpy(p.coinbase, cb.data, TX_COINBASE_SIZE);
    buf_deinit(&cb);
    *parts = p;

    memset(job, 0, sizeof *job);
    job->job_id = job_id;
    block_header_serialize(job->header, &tpl->header);
    job->coinbase_prefix = parts->coinbase;
    job->coinbase_prefix_len = TX_COINBASE_EXTRANONCE_OFFSET;
    job->coinbase_suffix = parts->coinbase + TX_COINBASE_EXTRANONCE_OFFSET + 8;
    job->coinbase_suffix_len =
        TX_COINBASE_SIZE - TX_COINBASE_EXTRANONCE_OFFSET - 8;
    job->branch = (const uint8_t(*)[32])parts->branch;
    job->branch_len = parts->branch_len;
    uint256_to_le(job->target, &target);
    job->extranonce_start = tpl->txs[0].extra_nonce;
    /* Any version >= 1 is valid, so workers may roll its bits 13..16. */
    job->version_roll = KERNEL_ROLL_MAX;
    return 0;
}

void job_parts_deinit(job_parts_t *parts)
{
    free(parts->branch);
    parts->branch = NULL;
    parts->branch_len = 0;
}

int job_apply_solution(block_t *block, const block_t *tpl,
                       const pool_solution_t *sol)
{
    block_t b;
    if (block_copy(&b, tpl) != 0)
        return ERR_NOMEM;
    b.txs[0].extra_nonce = sol->extranonce;
    int rc = block_compute_merkle_root(b.header.merkle_root, &b);
    if (rc) {
        block_deinit(&b);
        return rc == ERR_INVALID ? ERR_INVALID : rc;
    }
    b.header.version = sol->version;
    b.header.time = sol->time;
    b.header.nonce = sol->nonce;
    uint8_t hash[32];
    block_compute_hash(hash, &b.header);
    if (memcmp(hash, sol->hash, 32) != 0) {
        block_deinit(&b);
        return ERR_INVALID;
    }
    *block = b;
    return 0;
}
