/*
 * node_impl — what the node's parts see of it: the request thread
 * (serve.c), the JSON queries (rpc.c), and tests that must hold the node
 * lock themselves. The node's state is private to node.c; its parts go
 * through these functions, and each part keeps its own state (mining.h,
 * sync.h, relay.h, seen.h, testswitch.h, serve.h).
 *
 * Two kinds of access. Without the lock, from any thread: the network
 * parameters, the p2p instance (thread-safe itself), the main loop's turn
 * record and the uptime, none of which change after node_new(). Everything
 * else only with the node lock held (node_lock(), node_lock_within()): the
 * chain, the mempool, the counters and the accept paths, exactly as the
 * main loop uses them.
 */
#ifndef PICKAXE_NODE_IMPL_H
#define PICKAXE_NODE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "events.h"
#include "loopwatch.h"
#include "mempool.h"
#include "node.h"
#include "p2p.h"
#include "seen.h"
#include "tx.h"

/* ---- the lock ------------------------------------------------------------ */

void node_lock(node_t *n);
void node_unlock(node_t *n);

/* Takes the node lock, waiting at most ms. Returns 0 or ERR_TIMEOUT. */
int node_lock_within(node_t *n, unsigned ms);

/* ---- without the lock ---------------------------------------------------- */

const params_t *node_params(const node_t *n);
p2p_t *node_p2p(node_t *n);
const loopwatch_t *node_watch(const node_t *n);
uint64_t node_uptime_s(const node_t *n);
uint64_t node_now_ms(void);

/* ---- under the lock ------------------------------------------------------ */

const chain_t *node_chain(const node_t *n);
const mempool_t *node_mempool(const node_t *n);

/* What the node remembers of what it was offered: refusals by reason,
 * why recent transactions were refused, when recent blocks arrived. */
const seen_t *node_seen(const node_t *n);

/* The event log (events.h): what happened to the chain, for watchers. */
const events_t *node_events(const node_t *n);

/* What `status` reports beyond the chain and node_seen(). */
typedef struct {
    uint64_t requests_limited;   /* refused by the rate limiter */
    uint64_t requests_malformed; /* frames that were not requests */
    uint64_t blocks_relayed, txs_relayed;
    uint64_t tx_frames_relayed; /* NEW_TXS frames published */
    uint64_t txs_known_dropped; /* NEW_TXS items dropped by txid lookup */
    bool mining;
    unsigned threads;
    const char *kernel; /* "none" when not mining */
    double hashrate;    /* this node's miner, hashes a second */
} node_stats_t;

void node_stats(node_t *n, node_stats_t *out);

/* The configured coinbase recipient; false when none was given. */
bool node_miner_key(const node_t *n, uint8_t key[32]);

/*
 * Offers a transaction to the mempool, as received from peer (0: local:
 * the cli, a wallet, the tracker); queues it for relay when accepted.
 * txid is its id when the caller has computed it, else NULL.
 * Returns: mempool_add()'s answer (0, ERR_DUPLICATE, ERR_INVALID with
 *          *reason, ...).
 */
int node_accept_tx(node_t *n, const char **reason, const tx_t *tx,
                   const uint8_t txid[32], uint64_t peer);

/* Publishes the accepted transactions waiting for relay (one NEW_TXS). */
void node_flush_relay(node_t *n);

/*
 * Mines a block on the tip on the calling thread (regtest: `generate`).
 * Returns: 0 with hash set; the chain's refusal otherwise, e.g. ERR_FULL
 *          or ERR_IO with reason "not-stored" when the store could not keep
 *          the block (the block is then not on the chain either); template
 *          errors (with reason untouched).
 * Out:     reason  why it was refused (static string; may be NULL).
 */
int node_generate_block(node_t *n, const char **reason, uint8_t hash[32],
                        const uint8_t miner[32]);

/*
 * The test partition (testswitch.h, regtest only): replaces the list of
 * peers cut off. Peers cut off are forgotten by sync; peers let back in are
 * asked for their tips and pending transactions at the main loop's next
 * turns.
 * Returns: testswitch_partition()'s answer.
 */
int node_partition(node_t *n, const uint64_t *ids, size_t count);

/* The stall switch (testswitch.h, regtest only). Returns
 * testswitch_stall()'s answer. */
int node_stall(node_t *n, uint64_t ms);

/* True when the test switches work here (regtest; testswitch.h). */
bool node_test_switches(const node_t *n);

#endif
