/*
 * difficulty — the bits a block must carry, given the blocks before it.
 *
 * Algorithm (demo network): every block retargets from a moving window of
 * the last `retarget_window` blocks: the next target is the window's average
 * target scaled by (time the window actually took) / (time it should have
 * taken), with that ratio clamped to [1/3, 3] so a few lying timestamps
 * cannot swing it far, and never easier than the network's limit.
 *
 * Why this one: it is integer-only (consensus must not depend on floating
 * point), needs nothing but the window's times and bits, reacts within one
 * window to a doubled or halved hashrate (a demo network's miners come and
 * go), and averaging targets rather than taking the last one damps the noise
 * of exponentially distributed block times. Bitcoin's two-week epochs would
 * leave a small network stuck for hours after a miner leaves.
 *
 * regtest never retargets: every block carries pow_limit_bits.
 * Pure functions; thread-safe.
 */
#ifndef PICKAXE_DIFFICULTY_H
#define PICKAXE_DIFFICULTY_H

#include <stddef.h>
#include <stdint.h>

#include "params.h"

/* One past block as the retarget sees it. */
typedef struct {
    uint32_t time;
    uint32_t bits;
} difficulty_sample_t;

/*
 * Bits required of the block after `window[n-1]` (its parent).
 * In:  window  the last n blocks up to and including the parent, oldest
 *              first (borrowed); the caller passes min(height of parent + 1,
 *              p->retarget_window + 1) of them.
 * Returns: the compact target; pow_limit_bits for regtest or when n < 2.
 */
uint32_t difficulty_next_bits(const params_t *p,
                              const difficulty_sample_t *window, size_t n);

#endif
