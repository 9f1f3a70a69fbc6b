/*
 * branch — valid blocks on a branch that a chain has not seen yet.
 *
 * template_build makes a block on a parent that is in the chain, and reads
 * the difficulty and the median time from the chain's tree. A branch that
 * is built ahead of time (the adversary's competing branches, a test's
 * fork delivered later) needs the same two values for blocks whose parents
 * exist only here. A branch_t starts at a block of the chain, copies the
 * times and bits of its newest ancestors, and grows by one solved header at
 * a time; its next bits and median time follow the chain's own rules
 * (chain_next_bits, chain_median_time_past), so once its blocks reach the
 * chain, in order or not, each is valid where it lands.
 *
 * A branch_t is a plain value: copy it to fork a branch from a branch.
 * Borrows nothing but the immutable params; thread-safe per value.
 */
#ifndef PICKAXE_BRANCH_H
#define PICKAXE_BRANCH_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "difficulty.h"
#include "params.h"

/* Enough for the demo retarget window (24 + 1) and the median time (11). */
#define BRANCH_MAX_SAMPLES 64

typedef struct {
    const params_t *params; /* borrowed */
    uint8_t tip[32];        /* hash of the branch's newest block */
    uint32_t height;        /* its height */
    /* Times and bits of the newest blocks up to the tip, oldest first:
     * what the retarget and the median-time rule read. */
    difficulty_sample_t recent[BRANCH_MAX_SAMPLES];
    size_t n;
} branch_t;

/*
 * Starts a branch at a block of the chain: the branch's first block will be
 * parent's child.
 * Returns: 0; ERR_RANGE when the network's retarget window needs more than
 *          BRANCH_MAX_SAMPLES blocks.
 * Out:     br.
 */
int branch_start(branch_t *br, const chain_t *c, const chain_node_t *parent);

/* The bits the branch's next block must carry. */
uint32_t branch_next_bits(const branch_t *br);

/* The median time of the branch's newest CHAIN_MTP_SPAN blocks: the next
 * block's time must be later. */
uint32_t branch_median_time_past(const branch_t *br);

/*
 * The branch's next block, unsolved: a coinbase paying miner the subsidy,
 * the expected bits, a time of at least median time + 1, the merkle root,
 * nonce 0.
 * In:   time         desired header time; raised as above.
 *       extra_nonce  the coinbase's extra-nonce (tells blocks apart).
 * Returns: 0 or ERR_NOMEM.
 * Out:     block (owned by the caller; block_deinit).
 */
int branch_template(const branch_t *br, block_t *block, const uint8_t miner[32],
                    uint32_t time, uint64_t extra_nonce);

/*
 * Makes a block the branch's new tip. The caller solved it; the branch
 * does not check its work.
 * Returns: 0; ERR_ARG when h is not on the branch's tip.
 */
int branch_extend(branch_t *br, const block_header_t *h);

#endif
