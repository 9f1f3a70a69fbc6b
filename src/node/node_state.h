/*
 * node_state — the node's own state, shared by the three files that make
 * up the node itself: node.c (lifecycle and main loop), node_access.c (what
 * the node's parts see of it, node_impl.h) and node_accept.c (the paths by
 * which a block or a transaction enters the node, and the chain's
 * callbacks). Nothing else includes it: the node's parts (serve, rpc,
 * mining, sync, ...) go through node_impl.h.
 *
 * Locking is node.c's essay: everything below `lock` except the fields
 * marked otherwise is read and written only under it.
 */
#ifndef PICKAXE_NODE_STATE_H
#define PICKAXE_NODE_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "events.h"
#include "loopwatch.h"
#include "mempool.h"
#include "mining.h"
#include "node_impl.h"
#include "p2p.h"
#include "persist.h"
#include "relay.h"
#include "seen.h"
#include "serve.h"
#include "stratum_server.h"
#include "sync.h"
#include "testswitch.h"

/* The longest the main loop sleeps with nothing due: how quickly it sees
 * node_run's stop flag (a signal handler's: a signal does not end the
 * wait). */
#define NODE_IDLE_MAX_MS 250
#define NODE_TIP_POLL_MS 3000
#define NODE_MEMPOOL_MAX 50000
#define NODE_BATCH 64   /* messages of one kind handled per turn */
#define NODE_TURN_MS 20 /* ... or fewer, once the turn has taken this long */
/* At the start, mining waits for the first catch-up at most this long. */
#define NODE_START_SYNC_MS 30000

struct node {
    pthread_mutex_t lock;
    node_config_t cfg;
    const params_t *params;
    uint64_t started_ms;
    /* How the main loop is doing: written by the main loop, read by
     * `status` even when the lock is not to be had. */
    loopwatch_t watch;

    /* Under the lock. */
    chain_t *chain;
    mempool_t *mempool;
    store_t *store;
    bool loading; /* replaying the store: nothing to persist or relay */
    p2p_t *p2p;
    serve_t *serve;
    mining_t mining;
    stratum_server_t *stratum; /* NULL: no --stratum; set once in node_new */
    sync_t sync;
    relay_t relay;
    seen_t seen;
    events_t events;
    testswitch_t switches;
    uint64_t txs_known_dropped; /* NEW_TXS items dropped by txid lookup */
    addrindex_t *addrindex;     /* the `history` query's, filled lazily */

    /* The main loop's own. */
    uint64_t next_status_ms, next_poll_ms, next_trim_ms;
    size_t poll_cursor;
    bool catching_up; /* the start: no mining before the first catch-up */
    uint64_t catch_up_until_ms;
};

/* ---- node_access.c ---- */

/* Scores a peer's misbehaviour; a ban goes to the event log. Returns
 * p2p_misbehaving()'s answer: true when the peer is now banned. */
bool node_misbehaving(node_t *n, uint64_t peer, int points, const char *why);

/* Queues a sync want, unless a test partition cuts the peer off. */
void node_want(node_t *n, uint64_t peer, sync_kind_t kind,
               const uint8_t hash[32], bool once);

/* ---- node_accept.c ---- */

/*
 * Offers a block to the chain; peer and gossip say where it came from (see
 * node_accept.c). Returns chain_add_block()'s answer, or ERR_INVALID with
 * *reason "stale-fork" for gossip on a branch too far behind.
 */
int node_accept_block(node_t *n, const char **reason, const block_t *b,
                      uint64_t peer, const p2p_msg_t *gossip);

/* Sync's sink (sync_sink_t): fetched blocks and transactions. */
int node_sync_block(void *ctx, const block_t *b, uint64_t peer);
int node_sync_tx(void *ctx, const tx_t *tx, const uint8_t txid[32],
                 uint64_t peer);

/* Turns the pool's solutions and the Stratum miners' blocks into blocks
 * offered to the chain (at most NODE_BATCH of each a call). */
void node_take_solutions(node_t *n);

/* The chain's callbacks into the node: the mempool, relay, the event log
 * and the store follow the chain through them. */
chain_callbacks_t node_chain_callbacks(node_t *n);

#endif
