/*
 * chain_tree — read-only views of the block tree for people watching it:
 * the branch tips the chain holds (Bitcoin's getchaintips) and the blocks
 * in a window of heights, best chain and side branches alike.
 *
 * Both look at the tree as chain.c leaves it after a chain_add_block call,
 * so every side branch they show is one pruning has not discarded yet, and
 * each says how many more best-chain blocks it will survive.
 *
 * Thread safety: as chain.h (under the lock that guards the chain).
 */
#ifndef PICKAXE_CHAIN_TREE_H
#define PICKAXE_CHAIN_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "err.h"

typedef enum {
    CHAIN_TIP_ACTIVE,    /* the best tip */
    CHAIN_TIP_VALID_FORK /* a side branch's tip: valid, less work */
} chain_tip_status_t;

/* One branch tip. Pointers are borrowed from the chain (valid until its
 * next change). */
typedef struct {
    const chain_node_t *tip;
    const chain_node_t *fork; /* the best-chain block the branch grows from;
                                 the tip itself when active */
    uint32_t branch_len;      /* blocks from the fork to the tip; 0 active */
    uint32_t prune_in;        /* best-chain blocks still to come before the
                                 branch is discarded; 0 when active */
    chain_tip_status_t status;
} chain_tip_info_t;

/*
 * The branch tips: the best tip first, then side branches, highest first
 * (ties: the one seen first).
 * Returns: how many tips exist (may exceed max; only max are written).
 * Out:     tips  up to max entries.
 */
size_t chain_tips(const chain_t *c, chain_tip_info_t *tips, size_t max);

/* One block of a window. branch_tip is the tip of the branch the block was
 * found on: the best tip for best-chain blocks. */
typedef struct {
    const chain_node_t *node;
    const chain_node_t *branch_tip;
} chain_tree_entry_t;

/*
 * The blocks whose height is in [from, to], each once: the best chain's
 * first, by height, then each side branch's, by height within the branch.
 * A window is the only way to look at a long chain cheaply: the cost is the
 * window's best-chain blocks plus the side branches' blocks down to `from`.
 * Returns: 0; ERR_ARG when from > to; ERR_NOMEM.
 * Out:     *entries (owned by the caller: free() it; NULL when *n is 0),
 *          *n. Written only on success.
 */
PX_MUST_CHECK int chain_tree_window(const chain_t *c,
                                    chain_tree_entry_t **entries, size_t *n,
                                    uint32_t from, uint32_t to);

#endif
