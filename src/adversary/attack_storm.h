/*
 * attack_storm — the orphan storm (kind "orphan-storm" of the catalogue in
 * attack.h): competing valid branches, sent in the worst order.
 *
 * Every block is valid. The attack is the order, which once froze a node:
 * its chain_add_block looped forever when a branch it pruned still had
 * orphans waiting to be connected to it. The shape that did it:
 *
 *       B0 <- S1 <- S2           (ATTACK_STORM_SHORT short branches)
 *       B0 <- X1 <- ... <- XL    (one long branch, L = ATTACK_STORM_LONG)
 *
 * B0, the common root, is a new block on the adversary's view of the
 * honest tip, which nobody else has. Every block but B0 goes out first,
 * newest first (by height, the long branch's block first at each height),
 * so each arrives as an orphan and waits in the pool; B0 goes out last.
 * Taking B0, a node connects all of them in one call: the long branch
 * becomes the best chain (it outweighs what the honest chain did since the
 * root's parent) and leaves the short branches CHAIN_PRUNE_DEPTH blocks or
 * more behind, stale, while their second blocks may still be waiting.
 * L = CHAIN_PRUNE_DEPTH + 2 is the least that makes S1 stale with margin;
 * several short branches make it likely that one of them is walked before
 * the long one, whatever order a node's orphan pool keeps.
 *
 * Honest nodes refuse nothing here (the items' reason is "orphan" on
 * arrival, B0's none): they must take every block, end each call, and end
 * on the long branch, live. The honest chain gains the root and the long
 * branch, which pay the adversary.
 *
 * Work: every block carries the network's current difficulty (a branch_t
 * computes it as the chain will). The whole storm must fit in one
 * attack's budget (attack_env_t.max_hashes), so on demo it runs while the
 * difficulty is low (a new network) and reports ERR_RANGE, without
 * hashing, once it has climbed.
 */
#ifndef PICKAXE_ATTACK_STORM_H
#define PICKAXE_ATTACK_STORM_H

#include "attack.h"
#include "chain.h"

#define ATTACK_STORM_SHORT 4     /* short branches */
#define ATTACK_STORM_SHORT_LEN 2 /* blocks in each */
#define ATTACK_STORM_LONG (CHAIN_PRUNE_DEPTH + 2)
#define ATTACK_STORM_BLOCKS                                                    \
    (1 + ATTACK_STORM_SHORT * ATTACK_STORM_SHORT_LEN + ATTACK_STORM_LONG)

/*
 * Builds one storm on the tip of env->chain.
 * Returns: 0; ERR_RANGE when the storm's expected work exceeds
 *          env->max_hashes (nothing is hashed then) or the luck ran out;
 *          ERR_NOMEM.
 * Out:     out, appended to: ATTACK_STORM_BLOCKS block items in sending
 *          order, the long branch's tip first and the root last.
 */
int attack_storm_build(attack_env_t *env, attack_out_t *out);

#endif
