/*
 * rpc_explorer — the node's queries for watching the chain (the explorer
 * page, `pickaxe-cli chaintips|tree|events`), beside rpc.h's and in the
 * same envelope ({"result": ...} or {"error": {code, message}}). Hashes are
 * hex in display order; times in seconds (block headers) or milliseconds
 * since the epoch (events, "time_ms").
 *
 *   chaintips   -> [{hash, height, branchlen, status, fork, fork_height,
 *                    prune_in?, txs_returned?}]
 *               status: "active" (the best tip, branchlen 0), "valid-fork"
 *               (a side branch the node holds: fork is the best-chain block
 *               it grows from, branchlen its blocks, prune_in the
 *               best-chain blocks still to come before it is discarded),
 *               "pruned" (a side branch discarded lately, from the event
 *               log, newest first: its tip, blocks and the transfers that
 *               went back to the mempool).
 *   tree        {from?, to?: heights; count?: 1..500 heights (default
 *                40) for the one not given: the last `count` up to the
 *                tip by default; at most 500 heights}
 *               -> {height (best), tip, from, to,
 *                   blocks: [{hash, parent, height, time, bits, version,
 *                             merkleRoot, nonce, txs, miner (address),
 *                             work (cumulative, hex), best (bool),
 *                             branch (the tip hash of its branch),
 *                             received? (ms since the epoch when this node
 *                             accepted it)}],
 *                   tips: chaintips' active and valid-fork entries}
 *               Best-chain blocks first, by height, then each side branch
 *               going up (chain_tree.h).
 *   events      {since?: a sequence number (default 0: all held),
 *                max?: 1..1000 (default 500)}
 *               -> {first, last (the oldest and newest held), missed
 *                   (events after `since` no longer held: reload the
 *                   tree), height, tip,
 *                   events: [{seq, time_ms, kind, peer (16 hex digits;
 *                             absent for this node), ...}],
 *                   counts: {kind: events since the start},
 *                   refused: {blocks: {reason: n}, transactions: {...}}
 *                            (since the start, as `status` counts them),
 *                   reasons: {reason: sentence} for every reason named}
 *               Per kind (events.h):
 *                 block-accepted  hash, parent, height, txs, best, mined
 *                 reorg           tip (new), old_tip, fork_height,
 *                                 disconnected, connected, txs_returned
 *                 branch-pruned   tip, fork (the block it grew from),
 *                                 height, blocks, txs_returned
 *                 block-refused   reason, hash?, parent?, height?
 *                                 (claimed), txs?, header? {version,
 *                                 previousHash, merkleRoot, timestamp,
 *                                 bits, nonce}
 *                 block-orphan    as block-refused (reason "orphan")
 *                 tx-refused      reason, txid?
 *                 peer-banned     reason
 *   refusedblock {seq: a block-refused event's number}
 *               -> {seq, hash, reason, sentence, tx_count, transactions:
 *                   [json_view tx, the first EVENTS_DETAIL_TXS]}; the
 *               node keeps them for its last EVENTS_DETAILS refused blocks
 *               (events.h), ERR_NOT_FOUND for older ones.
 *
 * Thread safety: as rpc.h (request thread, node lock held).
 */
#ifndef PICKAXE_RPC_EXPLORER_H
#define PICKAXE_RPC_EXPLORER_H

#include <jansson.h>
#include <stdbool.h>

struct node;

#define RPC_TREE_DEFAULT 40
#define RPC_TREE_MAX 500
#define RPC_EVENTS_DEFAULT 500
#define RPC_EVENTS_MAX 1000
#define RPC_PRUNED_TIPS 16 /* pruned branches chaintips lists */

/* True for the methods answered here. */
bool rpc_explorer_has(const char *method);

/*
 * Answers one of them (rpc_explorer_has(method) is true).
 * Returns: a new {"result": ...} or {"error": ...}, NULL when out of memory.
 */
json_t *rpc_explorer(struct node *n, const char *method, const json_t *params);

#endif
