/*
 * job — between a block template and the miner pool.
 *
 * job_from_template() cuts a template's coinbase around its 8-byte
 * extra-nonce (tx.h fixes where it sits), computes the coinbase's merkle
 * branch and the target, and fills a pool job (miner/pool.h) that lets
 * workers roll the version's bits 13..16 (any version >= 1 is valid). When a
 * worker finds a nonce, job_apply_solution() writes the solution's
 * extra-nonce, version, time and nonce back into a copy of the template, giving
 * the block to submit. The caller keeps the template (and the returned branch)
 * alive while the job may still produce solutions.
 */
#ifndef PICKAXE_JOB_H
#define PICKAXE_JOB_H

#include <stdint.h>

#include "block.h"
#include "pool.h"

/* What a job borrows from; filled by job_from_template, freed by
 * job_parts_deinit. */
typedef struct {
    uint8_t coinbase[TX_COINBASE_SIZE];
    uint8_t (*branch)[32]; /* owned */
    size_t branch_len;
} job_parts_t;

/*
 * Fills job from tpl (coinbase first, as template_build makes it).
 * Returns: 0; ERR_RANGE on invalid bits; ERR_ARG when tpl has no coinbase;
 *          ERR_NOMEM.
 * Out:     job borrows from parts; parts must outlive every use of job.
 */
int job_from_template(pool_job_t *job, job_parts_t *parts, const block_t *tpl,
                      uint64_t job_id);

void job_parts_deinit(job_parts_t *parts);

/*
 * Makes the solved block: a copy of tpl with the solution's extra-nonce in
 * the coinbase, its merkle root, version, time and nonce.
 * Returns: 0; ERR_INVALID when the result's hash differs from the
 *          solution's (the solution is not for this template); ERR_NOMEM.
 * Out:     block, owned by the caller.
 */
int job_apply_solution(block_t *block, const block_t *tpl,
                       const pool_solution_t *sol);

#endif
