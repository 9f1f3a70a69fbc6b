/*
 * mempool — transfers waiting to be mined.
 *
 * The pool holds signed transfers that are valid against the best chain's
 * state plus the pool itself, groups them per sender in nonce order, hands
 * the miner a fee-ordered selection for a block template, and follows the
 * chain as blocks are connected and disconnected.
 *
 * Invariants (after every public call, with `best` the state the pool was
 * last told about through mempool_add, mempool_block_connected or
 * mempool_revalidate):
 *
 *   - Each sender with pending transfers has one queue. Its nonces are
 *     contiguous and start at the sender's nonce in best; applying the
 *     queue in order to best with state_apply_transfer succeeds. So a
 *     sender may queue several transfers, nonce after nonce, and each one
 *     is checked against best plus that sender's earlier pending ones.
 *     Pending transfers to a sender never count as its funds: only a
 *     sender can lower its own balance or raise its own nonce, so each
 *     queue stays valid whatever the other senders' transfers do, in any
 *     interleaving.
 *   - No two pending transfers share a txid, or a (sender, nonce).
 *   - Pending plus held transfers never exceed max_txs (see "reorgs").
 *   - Only transfers whose signature was verified (mempool_add) or that
 *     came out of a fully validated block (mempool_block_disconnected)
 *     ever enter the pool.
 *
 * Fees. Every transfer has the same size (TX_TRANSFER_SIZE), so its fee is
 * also its fee rate and the pool compares fees directly.
 *
 *   Selection (mempool_select) is greedy over the heads of the queues: it
 *   takes the highest-fee head, then that sender's next transfer becomes a
 *   head. A high-fee transfer behind a low-fee one of the same sender waits
 *   for it; the pool does not compute package fee rates (no
 *   child-pays-for-parent). Equal fees go first-seen first.
 *
 *   Replacement: a transfer with the (sender, nonce) of a pending one
 *   replaces it when its fee is strictly higher and the sender's later
 *   pending transfers stay valid after it; otherwise it is refused with
 *   "txn-mempool-conflict" (or the reason a later one would fail). This
 *   lets a wallet unstick a transfer whose fee was too low.
 *
 *   Eviction: a full pool admits a new transfer only when it pays strictly
 *   more than the cheapest queue tail (the last transfer of a sender's
 *   queue), which it then evicts. Evicting only tails never leaves a later
 *   nonce of the same sender orphaned. Equal fees evict the newest first.
 *
 * Reorgs. The node reports a reorg as mempool_block_disconnected for each
 * block from the old tip down to the fork point, mempool_block_connected
 * for each block of the new branch, then mempool_revalidate with the final
 * state. Disconnecting puts a block's transfers back in front of their
 * senders' queues and marks the pool as "in a reorg". While it is, a
 * pending transfer that fails for a reason a later block could undo
 * (insufficient funds, a nonce gap) is held aside instead of dropped;
 * mempool_revalidate merges the held transfers back, keeps exactly what is
 * valid against the final state, and ends the reorg. A nonce replay is
 * final, since connecting blocks only raises nonces. Held transfers are not
 * visible (mempool_has, _get, _count, _foreach, _select) but count
 * against max_txs, so memory stays bounded.
 *
 * Side branches. When the chain discards a side branch, the node offers
 * the branch's transfers that are not in the main chain to mempool_add
 * (reason may be NULL), oldest block first and in block order, so each
 * sender's transfers arrive in nonce order; those still valid are added.
 *
 * Complexity: adding is O(length of the sender's queue), capped by
 * MEMPOOL_MAX_SENDER_TXS; eviction scans the senders, O(senders); selection
 * is O(n log senders). Memory: about 300 bytes per transfer, at most
 * max_txs transfers.
 *
 * Thread safety: not thread-safe. The node uses its pool from two threads
 * (the main loop and the request thread), always under the node's lock;
 * the miner gets copies of the selected transfers.
 */
#ifndef PICKAXE_MEMPOOL_H
#define PICKAXE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "err.h"
#include "state.h"
#include "tx.h"

/* Most pending transfers one sender may add through mempool_add. Transfers
 * returned from disconnected blocks may make a queue longer. */
#define MEMPOOL_MAX_SENDER_TXS 100

typedef struct mempool mempool_t;

/**
 * Creates an empty pool.
 *
 * Returns: the pool (owned by the caller, free with mempool_free), or NULL
 *          when out of memory or max_txs is 0.
 * In:      network_id  the network's id (genesis hash), copied; signatures
 *                      are checked against it.
 *          max_txs     most transfers the pool holds (pending plus held).
 */
mempool_t *mempool_new(const uint8_t network_id[32], size_t max_txs);

/** Frees the pool and its transfers; NULL is harmless; clears *m. */
void mempool_free(mempool_t **m);

/**
 * Offers a transfer to the pool (from a peer, the wallet, or a discarded
 * side branch).
 *
 * Checks run cheapest first: kind, signature present, already pending,
 * nonce and funds against best plus the sender's pending transfers, room
 * in the pool, then the signature itself.
 *
 * Returns: 0 when the transfer is now pending (it may have replaced a
 *          pending one of the same sender and nonce, or evicted the
 *          cheapest queue tail of another sender);
 *          ERR_DUPLICATE "txn-already-in-mempool": same txid pending;
 *          ERR_INVALID with *reason one of
 *            "mempool-coinbase"        a coinbase is never relayed,
 *            "bad-txns-kind"           neither coinbase nor transfer,
 *            "bad-txns-unsigned"       the signature is all zero,
 *            "txn-mempool-conflict"    a pending transfer has this sender
 *                                      and nonce and a fee at least as high,
 *            "too-long-mempool-chain"  the sender already has
 *                                      MEMPOOL_MAX_SENDER_TXS pending,
 *            any reason of state_apply_transfer ("bad-txns-nonce-replay",
 *              "bad-txns-nonce-gap", "bad-txns-insufficient-funds",
 *              "bad-txns-amount", "bad-txns-balance-overflow"), for the
 *              transfer or for a later pending one its replacement would
 *              break,
 *            "bad-txns-sig"            the signature does not verify;
 *          ERR_FULL "mempool-full": the pool is full and the fee is not
 *            above the cheapest evictable transfer;
 *          ERR_NOMEM "out-of-memory".
 *          The pool is unchanged unless 0 is returned.
 * Out:     reason  why it was refused (static string); may be NULL.
 * In:      m       the pool.
 *          best    the best chain's state (borrowed; the one the pool was
 *                  last synced to).
 *          tx      the transfer (borrowed; copied on success).
 */
PX_MUST_CHECK int mempool_add(mempool_t *m, const char **reason,
                              const state_t *best, const tx_t *tx);

/** Returns true when a transfer with this txid is pending. */
bool mempool_has(const mempool_t *m, const uint8_t txid[32]);

/**
 * Returns the pending transfer with this txid, or NULL. The pointer is
 * borrowed and valid until the next call that changes the pool.
 */
const tx_t *mempool_get(const mempool_t *m, const uint8_t txid[32]);

/** Number of pending transfers (held ones excluded). */
size_t mempool_count(const mempool_t *m);

/**
 * The nonce the sender's next transfer should carry: its nonce in best
 * plus its pending transfers (what a wallet signs next).
 * In: best  the state the pool was last synced to (borrowed).
 */
uint64_t mempool_next_nonce(const mempool_t *m, const state_t *best,
                            const uint8_t sender[32]);

/**
 * Visits every pending transfer, each sender's in nonce order (senders in
 * no particular order), so a peer receiving them in this order can add
 * them all. fn returns false to stop early. The pool must not change
 * during the walk; tx and txid are borrowed for the call only.
 */
void mempool_foreach(const mempool_t *m,
                     bool (*fn)(void *ctx, const tx_t *tx,
                                const uint8_t txid[32]),
                     void *ctx);

/**
 * Chooses transfers for a block template, highest fee first among the
 * senders' next transfers (see "Fees" above). The selection, applied in
 * order to best, is valid: each pick is applied to an overlay of best and
 * a sender whose next transfer fails is skipped from then on.
 *
 * Returns: 0; ERR_NOMEM (then *count = 0).
 * Out:     out         up to max_txs transfers, in the order to include
 *                      them (after the coinbase).
 *          count       how many were written.
 *          total_fees  their fees summed (may be NULL).
 * In:      m           the pool (unchanged).
 *          best        the state the block builds on (borrowed).
 *          max_txs     room in out.
 *          max_bytes   most serialized bytes the selection may take.
 */
PX_MUST_CHECK int mempool_select(const mempool_t *m, tx_t *out, size_t *count,
                                 uint64_t *total_fees, const state_t *best,
                                 size_t max_txs, size_t max_bytes);

/**
 * Follows a block connected to the best chain: drops its transfers, any
 * pending transfer whose nonce it used, and any that no longer fits the
 * sender's funds (held instead during a reorg, see above). Only the
 * block's senders are revalidated: no other account can lose funds or
 * nonces through it.
 *
 * Never fails: if memory runs out, affected transfers are dropped and the
 * invariants still hold.
 * In: b           the block (borrowed).
 *     best_after  the best state with b applied (borrowed).
 */
void mempool_block_connected(mempool_t *m, const block_t *b,
                             const state_t *best_after);

/**
 * Follows a block disconnected from the best chain (a reorg): its
 * transfers go back in front of their senders' queues when valid against
 * best_after, and the pool is "in a reorg" until mempool_revalidate.
 * Signatures are not checked again: b must have been fully validated
 * when it was connected. If the pool overflows, the cheapest queue tails
 * are evicted.
 *
 * Never fails: if memory runs out, affected transfers are dropped.
 * In: b           the block (borrowed).
 *     best_after  the best state without b (borrowed).
 */
void mempool_block_disconnected(mempool_t *m, const block_t *b,
                                const state_t *best_after);

/**
 * True between a mempool_block_disconnected and the next mempool_revalidate,
 * so the node's tip-changed handler can call mempool_revalidate only after
 * a reorg (it costs O(pool)).
 */
bool mempool_in_reorg(const mempool_t *m);

/**
 * Revalidates the whole pool against best and ends a reorg: held
 * transfers are merged back into their senders' queues, then each queue
 * keeps its longest prefix valid against best, in nonce order. Call it
 * after the last block of a reorg is connected; harmless at any time.
 *
 * Never fails: if memory runs out, affected transfers are dropped.
 * In: best  the final best state (borrowed).
 */
void mempool_revalidate(mempool_t *m, const state_t *best);

#endif
