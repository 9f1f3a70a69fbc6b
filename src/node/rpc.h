/*
 * rpc — the node's JSON queries: what pickaxe-cli and the wallet service ask
 * a node over its request endpoint.
 *
 * Transport: a wire QUERY message (net/wire.h) whose blob is a JSON object
 *
 *     {"method": "NAME", "params": {...}}        (params may be omitted)
 *
 * answered by a REPLY whose blob is either {"result": VALUE} or
 * {"error": {"code": INT, "message": TEXT}} (code: an err.h code; message:
 * what a person should read, e.g. "bad-txns-insufficient-funds" or
 * "unknown method").
 *
 * Amounts are integers in base units. Hashes are hex in display order.
 * Addresses are bech32m with the network's prefix. Blocks use the seed's
 * field names (json_view.h) plus "raw" (serialized block, hex).
 *
 * Methods:
 *
 *   status      -> {network, height, tip, work (hex), peers (count),
 *                   mempool (count), hashrate (H/s, this node's miner; 0 when
 *                   not mining), mining (bool), threads, kernel, difficulty
 *                   (float, relative to the network's easiest target), bits,
 *                   orphans, forks, node_id, gossip, uptime (s),
 *                   refused: {blocks: {reason: count},
 *                             transactions: {reason: count}},
 *                   tx_relay: {txs (relayed), frames (NEW_TXS frames
 *                             published), known_dropped (peers' NEW_TXS
 *                             items dropped by txid: already pending)},
 *                   busy: false,
 *                   main_loop: {turn_age_ms (since the main loop's current
 *                             turn began; a turn runs from one wait for
 *                             the inbox to the next, so a healthy node,
 *                             idle or not, shows a few ms; the node's start
 *                             counts as its first turn),
 *                             longest_turn_ms (since the start, the current
 *                             turn included), where (the phase the loop is
 *                             in, e.g. "inbox: block from peer")},
 *                   memory: {rss_kib (the process's resident size),
 *                             in_use_kib (what the allocator counts
 *                             allocated), free_kib (free in its heaps, not
 *                             yet given back), mapped_kib (of in_use, in
 *                             blocks mapped on their own); memory.h}}
 *               When the main loop holds the node lock for more than a
 *               quarter of a second (node_query), status answers what it can
 *               read without it: {network, node_id, gossip, uptime, peers,
 *               busy: true, main_loop, stratum}. A main loop whose
 *               turn_age_ms runs into seconds is stuck (LOOPWATCH_STUCK_MS,
 *               loopwatch.h).
 *               Every other method waits for the lock at most a second and
 *               then fails with ERR_FULL and a message that says so ("the
 *               node is running but its main loop has not turned for 12.0
 *               s (stuck in ...)").
 *   getblock    {hash} | {height}  -> block, plus mainChain (bool),
 *               confirmations, and received (wall-clock microseconds since
 *               the Unix epoch when this node accepted the block; absent for
 *               blocks loaded from the store); error ERR_NOT_FOUND
 *   getchain    {from?: height (default 0), limit?: (default 100, max 1000),
 *                newest_first?: bool}
 *               -> [block...] on the best chain
 *   balance     {address} -> {address, confirmed, pending_incoming,
 *               pending_outgoing, available, nonce}
 *               confirmed = best-chain balance; pending_incoming = the
 *               amounts of mempool transfers to the address (spendable
 *               once confirmed); pending_outgoing = amount + fee of its
 *               mempool transfers; available = confirmed minus
 *               pending_outgoing (what it can send now); nonce = the
 *               nonce the account's next transfer must carry (mempool
 *               included). A mistyped address is an ERR_ARG error with the
 *               address module's reason.
 *   balance_after {address, txid} -> {address, txid, balance}
 *   history     {address, page?: from 1 (default 1), limit?: 1..100
 *               (default 20)} -> {address, total, pending (how many of
 *               total are pending), page, limit, pages, items: [tx...]}:
 *               the address's transactions, pending ones first (mempool
 *               order), then those on the best chain newest first (the
 *               address index, addrindex.h: reorgs and pruned branches
 *               leave it). Each item is a json_view tx plus status
 *               ("pending" | "confirmed"), direction ("in", "out", "self":
 *               to itself), and when confirmed height, block, time (the
 *               block's timestamp) and confirmations. Coinbases paying
 *               the address are items of type "coinbase", direction "in".
 *   tx          {txid} -> {txid, status: "pending" | "confirmed" |
 *               "rejected" | "unknown", tx (json_view tx) when known,
 *               height, block, confirmations (when confirmed),
 *               reason (when rejected)}
 *   mempool     -> [tx...] (json_view tx objects)
 *   peers       -> [{id, req, gossip, connected, banned, score, messages,
 *                    bad_messages, responsive, last_answer_age_s}]
 *               responsive is false when the peer's last request from us
 *               timed out (until it answers one again); last_answer_age_s
 *               is the seconds since it last answered one, null when it
 *               never has.
 *   submit      {hex: serialized transaction} -> {txid}; a refused
 *               transaction is an ERR_INVALID error whose message is the
 *               reason (and the node remembers it for `tx`).
 *   generate    {count: 1..1000, address?: default the node's miner
 *               address} -> {hashes: [...], asked, made}: mines that many
 *               blocks at once on the calling thread with the reference
 *               hash; regtest only (ERR_UNSUPPORTED elsewhere). When it
 *               stops early (e.g. the disk is full: the block is refused
 *               and not stored) after making some, the result also has
 *               error: {code, message}, e.g. ERR_FULL "the node could not
 *               store block 47 (height 1047): disk full", and hashes holds
 *               the `made` (< asked) blocks that are on the chain; when it
 *               made none, the answer is that error.
 *   verifychain -> {valid (bool), height, tip, reason and bad_height (when
 *               not valid)}: checks the whole best chain again from genesis
 *               with chain_is_valid_chain (linkage, proof of work, every
 *               block rule and signature, on a fresh state). Holds the
 *               node lock while it runs (tens of milliseconds for thousands
 *               of coinbase-only blocks; a signature check per transfer).
 *   partition   {block_peers: [peer id, ...]} -> {blocked: [...]}: a test
 *               switch, regtest only (ERR_UNSUPPORTED elsewhere). Gossip
 *               from the listed peers (ids as `peers` and `status` show
 *               them) is dropped and they are never asked anything (sync,
 *               tip polls), so two groups that list each other are cut
 *               apart. The list replaces the previous one; an empty list
 *               heals, and peers let back in are asked for their tips at
 *               the main loop's next turn.
 *   stall       {ms: 1..60000} -> {stall_ms}: a test switch, regtest only
 *               (ERR_UNSUPPORTED elsewhere). At its next turn the main loop
 *               holds the node lock for ms milliseconds doing nothing, in
 *               phase "test: stalled (rpc stall)", as a loop stuck in a
 *               long operation would: what `status`, the log and pickaxe-cli
 *               then say is what they say about a stuck node.
 *   stratum     -> {url ("stratum+tcp://HOST:PORT"), start_difficulty,
 *               connections (open), connections_total, refused_full,
 *               disconnected: {score, idle, long_line, slow}, jobs_sent,
 *               templates, clean_jobs, fanout_us (the last clean_jobs,
 *               first connection to last), accepted, stale, duplicate,
 *               low_difficulty, invalid (shares), blocks (accepted by the
 *               chain), blocks_refused, blocks_stale (the tip moved
 *               before the main loop took them), hashrate (H/s estimated
 *               from shares), workers: [{worker (the username), address,
 *               accepted, stale, duplicate, low_difficulty, invalid,
 *               blocks, hashrate, last_share (Unix seconds, null when
 *               none), connections}]}; ERR_UNSUPPORTED without --stratum.
 *               `status` carries the same object without workers as
 *               "stratum" (null without --stratum).
 *
 * Thread safety: rpc_handle runs on the node's request thread with the node
 * lock held (node.c), so it sees the chain, mempool and store as the main
 * loop left them and changes them as the main loop would. rpc_status_busy
 * needs no lock.
 */
#ifndef PICKAXE_RPC_H
#define PICKAXE_RPC_H

#include <jansson.h>

struct node;

/*
 * Answers one query.
 * Returns: a new JSON object {"result": ...} or {"error": {...}}, or NULL
 *          when out of memory.
 * In:      request  the parsed query (borrowed).
 */
json_t *rpc_handle(struct node *n, const json_t *request);

/*
 * The `status` answer that needs no node lock (see status above), for when
 * the lock cannot be had: {"result": {..., "busy": true, "main_loop": ...}}.
 * Returns: a new object, or NULL when out of memory.
 */
json_t *rpc_status_busy(struct node *n);

/* Builds {"error": {"code": code, "message": message}} (new reference). */
json_t *rpc_error(int code, const char *message);

#endif
