/*
 * attack_storm — the orphan storm (see attack_storm.h).
 *
 * Blocks are mined in the order their parents need (the root, the long
 * branch, then each short branch from a copy of the root's branch_t) and
 * sent in another: newest first, the root last.
 */
#include "attack_storm.h"
#include "branch.h"
#include "err.h"
#include "uint256.h"

#include <string.h>

/* Where each block of the storm is kept while it is built: the root, the
 * long branch by height above the root (1..L), then the short branches. */
#define ROOT 0
#define LONG_AT(h) (h)
#define SHORT_AT(i, h) (ATTACK_STORM_LONG + (i)*ATTACK_STORM_SHORT_LEN + (h))

/* Hashes one block at bits is expected to take; UINT64_MAX when more. */
static uint64_t expected_hashes(uint32_t bits)
{
    uint256_t work;
    if (block_work_from_bits(&work, bits) != 0 || uint256_bits(&work) > 63)
        return UINT64_MAX;
    return uint256_low64(&work);
}

/*
 * Mines the branch's next block, paying the adversary, within what is left
 * of the storm's budget (*left; not read when env->max_hashes is 0).
 * Returns: 0 (out holds the block and the branch has grown); ERR_RANGE;
 *          ERR_NOMEM.
 */
static int mine(attack_env_t *env, branch_t *br, block_t *out, uint64_t *left)
{
    uint32_t time = env->now > 0 ? (uint32_t)env->now : 0;
    int rc = branch_template(br, out, env->pub, time, ++env->seq);
    if (rc)
        return rc;
    if (env->max_hashes) {
        uint64_t work = expected_hashes(out->header.bits);
        rc = work > *left ? ERR_RANGE : attack_solve(out, *left);
        if (rc == 0)
            *left -= work;
    } else {
        rc = attack_solve(out, 0);
    }
    if (rc == 0)
        rc = branch_extend(br, &out->header);
    if (rc)
        block_deinit(out);
    return rc;
}

/* Mines len blocks on a copy of from into blocks[first..]; *made counts
 * the blocks kept (all of them are freed by the caller). */
static int mine_branch(attack_env_t *env, const branch_t *from, block_t *blocks,
                       size_t first, size_t len, size_t *made, uint64_t *left)
{
    branch_t br = *from;
    for (size_t h = 0; h < len; h++) {
        int rc = mine(env, &br, &blocks[first + h], left);
        if (rc)
            return rc;
        (*made)++;
    }
    return 0;
}

static int send_in_order(attack_out_t *out, const block_t *blocks)
{
    size_t top = ATTACK_STORM_LONG > ATTACK_STORM_SHORT_LEN
                     ? ATTACK_STORM_LONG
                     : ATTACK_STORM_SHORT_LEN;
    int rc = 0;
    for (size_t h = top; h > 0 && rc == 0; h--) {
        if (h <= ATTACK_STORM_LONG)
            rc = attack_out_push_block(out, &blocks[LONG_AT(h)], "orphan");
        for (size_t i = 0; i < ATTACK_STORM_SHORT && rc == 0; i++)
            if (h <= ATTACK_STORM_SHORT_LEN)
                rc = attack_out_push_block(out, &blocks[SHORT_AT(i, h)],
                                           "orphan");
    }
    /* The root's parent is known: it is taken, and all the rest with it. */
    return rc ? rc : attack_out_push_block(out, &blocks[ROOT], NULL);
}

int attack_storm_build(attack_env_t *env, attack_out_t *out)
{
    branch_t base;
    int rc = branch_start(&base, env->chain, chain_tip(env->chain));
    if (rc)
        return rc;
    /* Checked before any hashing: on demo the difficulty can only have
     * climbed since the last storm that did not fit. */
    uint64_t left = env->max_hashes;
    if (env->max_hashes && expected_hashes(branch_next_bits(&base)) >
                               env->max_hashes / ATTACK_STORM_BLOCKS)
        return ERR_RANGE;

    block_t blocks[ATTACK_STORM_BLOCKS];
    size_t made = 0;
    rc = mine(env, &base, &blocks[ROOT], &left);
    if (rc == 0) {
        made++;
        /* blocks[1..L] are the long branch, so mined as one. */
        rc = mine_branch(env, &base, blocks, LONG_AT(1), ATTACK_STORM_LONG,
                         &made, &left);
    }
    for (size_t i = 0; i < ATTACK_STORM_SHORT && rc == 0; i++)
        rc = mine_branch(env, &base, blocks, SHORT_AT(i, 1),
                         ATTACK_STORM_SHORT_LEN, &made, &left);
    if (rc == 0)
        rc = send_in_order(out, blocks);
    for (size_t k = 0; k < made; k++)
        block_deinit(&blocks[k]);
    return rc;
}
