/*
 * chain — the seed's Blockchain: a tree of every valid block, the best chain
 * through it, and the account state at the best tip.
 *
 * Every block in the tree has been fully validated against its own
 * ancestry: a block that extends the best tip is checked on the best state
 * directly; one that extends any other block is checked on an overlay that
 * rewinds the best chain to the fork point and replays the branch. So a side
 * branch never holds an invalid block, and switching to it cannot fail.
 *
 * States of a block offered to chain_add_block:
 *
 *   unknown parent  -> kept in a bounded orphan pool (ERR_ORPHAN); the caller
 *                      asks chain_orphan_missing() which ancestor to fetch.
 *                      When that parent is accepted, its orphans follow, in
 *                      the same call: each orphan is taken from the pool
 *                      once and never put back, so a call's work is bounded
 *                      by the blocks it connects, whatever the order blocks
 *                      arrived in. An orphan whose ancestor is refused for
 *                      a reason its header commits to is dropped with it.
 *   known hash      -> ERR_DUPLICATE ("duplicate") for an exact copy; a copy
 *                      whose body differs (tampered after mining, or the
 *                      duplicated-transaction mutation) is ERR_INVALID with
 *                      the body's reason and is not remembered.
 *   refused         -> ERR_INVALID with a reason. Refusals that a header
 *                      commits to are remembered by hash so a re-send is
 *                      refused at once; refusals that can change
 *                      (time-too-new) or that a mutated copy of a valid block
 *                      could cause (bad merkle root, duplicate transactions,
 *                      size) are never remembered, so they cannot poison the
 *                      real block.
 *   in the tree     -> on the best chain or on a side branch.
 *
 * Fork choice: most cumulative work wins; a tie keeps the block seen first.
 * When a side branch gets more work, the chain reorganises: it disconnects
 * best-chain blocks back to the fork point with their undo logs and connects
 * the branch (callbacks report both, so the mempool can take transactions
 * back). A side branch whose tip falls `prune_depth` blocks behind the best
 * tip, and is not being extended right now (its tip is not among the last
 * `prune_depth` blocks accepted), is discarded; first its transfers that the
 * best chain lacks are offered to the tx_discarded callback, oldest first.
 * Pruning runs once at the end of each chain_add_block call, never while
 * the call is still connecting orphans to a branch.
 * This prunes memory; it is not a checkpoint: a heavier chain that arrives
 * later still wins.
 *
 * Thread safety: not thread-safe. The node uses its chain from two threads
 * (the main loop and the request thread), always under the node's lock;
 * whoever shares a chain between threads holds one lock around every call.
 */
#ifndef PICKAXE_CHAIN_H
#define PICKAXE_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "err.h"
#include "params.h"
#include "state.h"
#include "uint256.h"

#define CHAIN_PRUNE_DEPTH 6
#define CHAIN_MAX_ORPHANS 256
#define CHAIN_MAX_FUTURE_SECONDS (2 * 60 * 60)
#define CHAIN_MTP_SPAN 11
#define CHAIN_MAX_LOCATOR 64
/* How many refused hashes are remembered before the memory is cleared. */
#define CHAIN_MAX_INVALID 20000

/* A block in the tree. Read-only for callers; owned by the chain. */
typedef struct chain_node {
    uint8_t hash[32];
    block_t block;             /* the full block */
    struct chain_node *parent; /* NULL for genesis */
    uint32_t height;
    uint256_t chain_work; /* cumulative work up to and including it */
    uint64_t seq;         /* order in which blocks entered the tree */
    uint32_t children;
    bool in_main;      /* on the best chain */
    state_undo_t undo; /* set while in_main (not for genesis) */
} chain_node_t;

/* What the application hears about (all optional). */
typedef struct {
    void *ctx;
    /* A block joined the best chain; the state already includes it. */
    void (*block_connected)(void *ctx, const chain_node_t *node);
    /* A block left the best chain; the state no longer includes it. */
    void (*block_disconnected)(void *ctx, const chain_node_t *node);
    /* A discarded side branch held this transfer, which the best chain
     * lacks; the application may return it to its mempool if still valid. */
    void (*tx_discarded)(void *ctx, const tx_t *tx);
    /* The best tip changed (after all connects and disconnects). */
    void (*tip_changed)(void *ctx, const chain_node_t *tip);
    /* A block entered the tree (best chain or side branch), after full
     * validation and before chain_add_block reports it accepted: the place
     * to persist it. Returning non-zero refuses the block (e.g. the disk
     * failed), which chain_add_block then reports as that error. */
    int (*block_added)(void *ctx, const chain_node_t *node);
    /* A block left the tree (its side branch was pruned). */
    void (*block_removed)(void *ctx, const chain_node_t *node);
} chain_callbacks_t;

typedef struct {
    const params_t *params; /* borrowed; required */
    uint32_t prune_depth;   /* 0: CHAIN_PRUNE_DEPTH */
    size_t max_orphans;     /* 0: CHAIN_MAX_ORPHANS */
    unsigned sig_threads;   /* 0: one per core */
    /* Clock for time-too-new (seconds since the epoch); NULL: time(NULL). */
    int64_t (*now)(void *ctx);
    void *now_ctx;
    chain_callbacks_t callbacks;
} chain_config_t;

typedef struct chain chain_t;

/* Returns a chain holding the network's genesis block, or NULL when out of
 * memory. cfg is copied. */
chain_t *chain_new(const chain_config_t *cfg);

/* Frees the chain and every block (NULL is harmless); clears *c. */
void chain_free(chain_t **c);

/*
 * Validates a block and adds it to the tree (the seed's addBlock).
 * Returns: 0 when accepted (best chain or side branch);
 *          ERR_DUPLICATE when already in the tree (reason "duplicate");
 *          ERR_INVALID with *reason set when a consensus rule fails, or
 *          when the hash is in the tree but the body is not the one its
 *          header commits to ("bad-txnmrklroot", "bad-txns-duplicate");
 *          ERR_ORPHAN when the parent is unknown (kept in the orphan pool;
 *          reason "orphan"); ERR_NOMEM ("out-of-memory"), after which
 *          the chain is as it was, or holds the block off the best chain:
 *          then a copy offered again is no duplicate but retries
 *          connecting it (0 once it is on the best chain).
 * Out:     reason  static string, may be NULL.
 * In:      block   borrowed; copied on success.
 * Orphans whose parent this block is are processed before returning.
 */
PX_MUST_CHECK int chain_add_block(chain_t *c, const char **reason,
                                  const block_t *block);

/*
 * Checks every rule for a block whose parent is in the tree, without adding
 * it (the seed's verifyBlock). Cheap checks run first: header, proof of
 * work, difficulty, time, structure, merkle root, amounts, then nonces and
 * balances, then signatures.
 * Returns: 0 valid; ERR_INVALID with *reason; ERR_ORPHAN; ERR_NOMEM.
 */
PX_MUST_CHECK int chain_verify_block(chain_t *c, const char **reason,
                                     const block_t *block);

/*
 * Policy for a block nobody asked for (gossip), not a consensus rule: true
 * when its parent is in the tree but its branch, this block included, would
 * have no more work than the best chain had `prune_depth` blocks below its
 * tip -- a branch that is stale on arrival (the "block inserted in the middle
 * of the chain"). Such a block may carry valid work, yet no honest node that
 * follows the network mines or relays it; the node refuses it as "stale-fork"
 * instead of storing and relaying it. Blocks fetched by sync are never judged
 * by this, so a heavier branch, however deep its fork point, still wins. Judged
 * by cumulative work, not height: with the same difficulty on both sides the
 * two agree, but a long branch of easy blocks is not "ahead" of a short heavy
 * one. Returns false for a block already in the tree or on an unknown parent.
 */
bool chain_is_stale_fork(const chain_t *c, const block_header_t *h);

/* Best tip, and the best chain's height. */
const chain_node_t *chain_tip(const chain_t *c);
uint32_t chain_height(const chain_t *c);

/* The block with this hash anywhere in the tree, or NULL. */
const chain_node_t *chain_get(const chain_t *c, const uint8_t hash[32]);

/* The best chain's block at a height, or NULL above the tip. */
const chain_node_t *chain_at_height(const chain_t *c, uint32_t height);

/*
 * The best chain from genesis to tip (the seed's getLongestChain).
 * Returns: 0 or ERR_NOMEM.
 * Out:     *blocks (caller frees the array, not the nodes), *n.
 */
PX_MUST_CHECK int chain_get_longest_chain(const chain_t *c,
                                          const chain_node_t ***blocks,
                                          size_t *n);

/*
 * The chain from genesis to the fork whose tip is fork_id (the seed's
 * getChainByForkId; fork ids are the tips listed by chain_get_forks).
 * Returns: 0; ERR_NOT_FOUND when fork_id is not a tip in the tree; ERR_NOMEM.
 */
PX_MUST_CHECK int chain_get_chain_by_fork_id(const chain_t *c,
                                             const uint8_t fork_id[32],
                                             const chain_node_t ***blocks,
                                             size_t *n);

/* Writes up to max branch tips (best tip first). Returns how many exist. */
size_t chain_get_forks(const chain_t *c, const chain_node_t **tips, size_t max);

/*
 * Checks a whole chain from genesis, independently of any chain_t: linkage,
 * genesis, every block rule including signatures, on a fresh state (the
 * seed's isValidChain).
 * Returns: true when valid. Out: *reason and *bad_height when not (may be
 * NULL).
 */
bool chain_is_valid_chain(const params_t *p, const block_t *const *blocks,
                          size_t n, const char **reason, uint32_t *bad_height);

/* The account state at the best tip (borrowed; valid until the next add). */
const state_t *chain_state(const chain_t *c);

/*
 * Finds a transaction on the best chain.
 * Returns: 0 or ERR_NOT_FOUND. Out: *node, *index within its block.
 */
PX_MUST_CHECK int chain_find_tx(const chain_t *c, const chain_node_t **node,
                                size_t *index, const uint8_t txid[32]);

/*
 * Balance of an account right after a best-chain transaction (the seed's
 * "balance of a wallet after a transaction"), whether or not the account
 * took part in it.
 * Returns: 0 or ERR_NOT_FOUND (no such transaction on the best chain).
 */
PX_MUST_CHECK int chain_balance_after_tx(const chain_t *c, uint64_t *balance,
                                         const uint8_t key[32],
                                         const uint8_t txid[32]);

/*
 * For a block waiting in the orphan pool: the hash of the first ancestor
 * neither in the tree nor in the pool — the block to fetch next.
 * Returns: true when hash is an orphan (missing is written).
 */
bool chain_orphan_missing(const chain_t *c, uint8_t missing[32],
                          const uint8_t hash[32]);
size_t chain_orphan_count(const chain_t *c);

/*
 * A block locator for sync: best-chain hashes from the tip back, dense at
 * first then doubling the step, always ending at genesis.
 * Returns the number written (at most max).
 */
size_t chain_get_locator(const chain_t *c, uint8_t (*hashes)[32], size_t max);

/* The best-chain block a locator shares with us: the first locator entry on
 * our best chain, else genesis. */
const chain_node_t *chain_find_fork(const chain_t *c,
                                    const uint8_t (*hashes)[32], size_t n);

/* The network the chain follows (borrowed, immutable). */
const params_t *chain_params(const chain_t *c);

/* Number of blocks in the tree (all branches). */
size_t chain_block_count(const chain_t *c);

/* The bits required of a block whose parent is `parent`. */
uint32_t chain_next_bits(const chain_t *c, const chain_node_t *parent);

/* Median time of the last 11 blocks ending at node. */
uint32_t chain_median_time_past(const chain_node_t *node);

#endif
