/*
 * chain_impl — what the files that make up the chain share (chain.c: the
 * tree, fork choice, reorgs and pruning; chain_validate.c: the block rules;
 * chain_orphans.c: the orphan pool; chain_index.c: the best chain's
 * transaction index and account history; chain_query.c: read-only
 * questions about the tree).
 *
 * Private to src/core/chain*.c; nothing else includes it.
 *
 * Data kept beside the tree, all for the best chain only:
 *   main[]    best-chain nodes by height;
 *   state     accounts at the tip; each best-chain node keeps the undo log
 *             that takes the state back to its parent;
 *   txindex   txid -> (node, index) for every best-chain transaction;
 *   history   account -> list of (height, index, balance after), appended as
 *             blocks connect and popped as they disconnect, answering
 *             "balance after a transaction" by binary search.
 * And for the whole tree: `leaves` (every node without children, so pruning
 * looks only at branch tips), `invalid` (hashes refused for reasons the
 * header commits to) and the orphan pool.
 */
#ifndef PICKAXE_CHAIN_IMPL_H
#define PICKAXE_CHAIN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "difficulty.h"
#include "err.h"
#include "hashmap.h"

typedef struct {
    chain_node_t *node;
    uint32_t index;
} txloc_t;

/* An account's balance at the end of a best-chain block that touched it. */
typedef struct {
    uint32_t height;
    uint64_t balance;
} hist_entry_t;

typedef struct {
    hist_entry_t *v;
    size_t n, cap;
} hist_t;

typedef struct orphan {
    block_t block;
    uint8_t hash[32];
    struct orphan *prev_sibling, *next_sibling; /* same parent */
    struct orphan *older, *newer;               /* pool age order */
} orphan_t;

struct chain {
    chain_config_t cfg;
    const params_t *params;
    hashmap_t *nodes;   /* hash -> chain_node_t*, owned */
    hashmap_t *leaves;  /* hash -> chain_node_t*, borrowed */
    hashmap_t *invalid; /* hash -> const char* reason (static strings) */
    hashmap_t *orphans; /* hash -> orphan_t*, owned */
    hashmap_t *orphans_by_parent; /* parent hash -> newest orphan_t* naming
                                     it (borrowed; siblings linked) */
    orphan_t *oldest_orphan, *newest_orphan;
    hashmap_t *txindex; /* txid -> txloc_t*, owned */
    hashmap_t *history; /* account -> hist_t*, owned */
    chain_node_t **main;
    size_t main_len, main_cap;
    state_t *state;
    uint64_t seq;
    /* Room for the retarget window (chain_next_bits), allocated with the
     * chain so that computing the bits a block needs cannot run out of
     * memory; NULL on a network that never retargets. */
    difficulty_sample_t *window;
};

static inline void chain_set_reason(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
}

/* ---- chain.c ---- */

/* Remembers that hash was refused for a reason its header commits to. */
void chain_remember_invalid(chain_t *c, const uint8_t hash[32],
                            const char *why);

/* Validates one block and puts it in the tree; may_orphan says whether a
 * block with an unknown parent may wait in the orphan pool. */
PX_MUST_CHECK int chain_add_one(chain_t *c, const char **reason,
                                const block_t *b, const uint8_t hash[32],
                                bool may_orphan);

/* ---- chain_validate.c ---- */

/* Checks that need only the header itself and the clock. */
PX_MUST_CHECK int chain_check_header_alone(const chain_t *c,
                                           const char **reason,
                                           const block_header_t *h,
                                           const uint8_t hash[32]);

/* Applies a block's transactions to s in order (coinbase first), checking
 * nonces and balances. On failure s is restored and undo left as it was. */
PX_MUST_CHECK int chain_apply_block(state_t *s, state_undo_t *undo,
                                    const char **reason, const block_t *b);

/* Full validation of a block on parent; see chain_validate.c. */
PX_MUST_CHECK int chain_validate(chain_t *c, const char **reason,
                                 bool *cacheable, state_undo_t *undo,
                                 const block_t *b, const uint8_t hash[32],
                                 const chain_node_t *parent);

/* ---- chain_orphans.c ---- */

/* Puts a block whose parent is unknown in the pool (evicting the oldest
 * when full). Returns 0 or ERR_NOMEM. */
PX_MUST_CHECK int chain_orphan_add(chain_t *c, const block_t *b,
                                   const uint8_t hash[32]);

/* Connects the orphans waiting on hash (just accepted), then theirs. */
void chain_connect_orphans(chain_t *c, const uint8_t hash[32]);

/* Drops the orphans that descend from a block refused for good. */
void chain_orphans_drop_refused(chain_t *c, const uint8_t refused[32]);

/* Frees every orphan and the map of them (chain_free). */
void chain_orphans_free(chain_t *c);

/* ---- chain_index.c ---- */

/* Records a block just applied to the best state; undone by unindex. */
PX_MUST_CHECK int chain_index_block(chain_t *c, chain_node_t *n);
void chain_unindex_block(chain_t *c, chain_node_t *n);

/* Frees the index and the history, entries and maps (chain_free). */
void chain_index_free(chain_t *c);

#endif
