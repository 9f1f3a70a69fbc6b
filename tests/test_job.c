/*
 * Tests for src/node/job.c: the pool's view of a template (coinbase cut around
 * the extra-nonce, merkle branch, target) rebuilds exactly the template's
 * merkle root for any extra-nonce, and a solution turns back into a block
 * the chain accepts; a solution for another template is refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "fixtures.h"
#include "job.h"
#include "merkle.h"
#include "sha256.h"
#include "template.h"

/* What a miner does with a job: coinbase with extra-nonce -> leaf -> root. */
static void root_for(uint8_t root[32], const pool_job_t *job, uint64_t en)
{
    uint8_t cb[TX_COINBASE_SIZE];
    memcpy(cb, job->coinbase_prefix, job->coinbase_prefix_len);
    le64_put(cb + job->coinbase_prefix_len, en);
    memcpy(cb + job->coinbase_prefix_len + 8, job->coinbase_suffix,
           job->coinbase_suffix_len);
    cr_assert_eq(job->coinbase_prefix_len + 8 + job->coinbase_suffix_len,
                 TX_COINBASE_SIZE);
    uint8_t leaf[32];
    sha256d(leaf, cb, sizeof cb);
    merkle_root_from_branch(root, leaf, job->branch, job->branch_len);
}

static void check_template_with(size_t ntx)
{
    chain_t *c = fx_chain(NULL);
    fx_key_t a, b;
    fx_key(&a, 1);
    fx_key(&b, 2);
    for (int i = 0; i < 3; i++)
        fx_extend(c, chain_tip(c), a.pub, NULL, 0, 0);
    tx_t txs[8];
    for (size_t i = 0; i < ntx; i++)
        fx_transfer(&txs[i], params_regtest(), &a, b.pub, COIN, i, i);
    block_t tpl;
    const chain_node_t *tip = chain_tip(c);
    cr_assert_eq(template_build(&tpl, c, tip, b.pub, txs, ntx,
                                tip->block.header.time + 1, 77),
                 0);
    pool_job_t job;
    job_parts_t parts;
    cr_assert_eq(job_from_template(&job, &parts, &tpl, 5), 0);
    cr_assert_eq(job.job_id, 5);
    cr_assert_eq(job.extranonce_start, 77);
    uint256_t target;
    cr_assert_eq(block_bits_to_target(&target, tpl.header.bits), 0);
    uint8_t t[32];
    uint256_to_le(t, &target);
    cr_assert_arr_eq(job.target, t, 32);

    /* Any extra-nonce: the job's root equals the template's own. */
    for (uint64_t en = 77; en < 80; en++) {
        block_t copy;
        cr_assert_eq(block_copy(&copy, &tpl), 0);
        copy.txs[0].extra_nonce = en;
        uint8_t want[32], got[32];
        cr_assert_eq(block_compute_merkle_root(want, &copy), 0);
        root_for(got, &job, en);
        cr_assert_arr_eq(got, want, 32, "extra-nonce %llu, %zu txs",
                         (unsigned long long)en, ntx);
        block_deinit(&copy);
    }

    /* Solve as a worker would and hand the solution back. */
    pool_solution_t sol;
    memset(&sol, 0, sizeof sol);
    sol.job_id = 5;
    sol.extranonce = 1234;
    block_header_t h = tpl.header;
    /* A worker rolling versions found it with version bits 13..16 moved. */
    cr_assert_eq(job.version_roll, 16);
    h.version ^= 3u << 13;
    sol.version = h.version;
    root_for(h.merkle_root, &job, sol.extranonce);
    uint256_t tg;
    cr_assert_eq(block_bits_to_target(&tg, h.bits), 0);
    for (h.nonce = 0;; h.nonce++) {
        block_compute_hash(sol.hash, &h);
        if (block_hash_meets_target(sol.hash, &tg))
            break;
    }
    sol.nonce = h.nonce;
    sol.time = h.time;
    block_header_serialize(sol.header, &h);
    block_t solved;
    cr_assert_eq(job_apply_solution(&solved, &tpl, &sol), 0);
    cr_assert_eq(solved.txs[0].extra_nonce, 1234);
    cr_assert_eq(solved.header.version, tpl.header.version ^ (3u << 13));
    cr_assert_eq(chain_add_block(c, NULL, &solved), 0);
    block_deinit(&solved);

    sol.hash[0] ^= 1; /* not this template's solution */
    cr_assert_eq(job_apply_solution(&solved, &tpl, &sol), ERR_INVALID);

    job_parts_deinit(&parts);
    block_deinit(&tpl);
    chain_free(&c);
}

Test(job, coinbase_only_template)
{
    check_template_with(0);
}

Test(job, template_with_transfers)
{
    check_template_with(1);
    check_template_with(2);
    check_template_with(5);
}

Test(job, refuses_a_template_without_coinbase)
{
    block_t empty = {0};
    pool_job_t job;
    job_parts_t parts;
    cr_assert_eq(job_from_template(&job, &parts, &empty, 1), ERR_ARG);
}
