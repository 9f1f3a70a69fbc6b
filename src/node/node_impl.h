/*
 * node_impl — the node's state, shared by the files that make up the node
 * (node.c: lifecycle, main loop, gossip, requests, mining; sync.c: catching
 * up from peers; rpc.c: JSON queries). Nothing outside these files includes
 * it, but for tests that must hold the lock themselves (test_rpc.c). Every
 * field is used under `lock` (see node.c for the threads), except the
 * atomics and `watch`, which any thread reads without it.
 */
#ifndef PICKAXE_NODE_IMPL_H
#define PICKAXE_NODE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "hashmap.h"
#include "job.h"
#include "loopwatch.h"
#include "mempool.h"
#include "node.h"
#include "p2p.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "txbatch.h"

#define NODE_MAX_REASONS 64
#define NODE_MAX_REJECTED 4096
#define NODE_MAX_RECEIVED 100000 /* blocks whose arrival time is kept */
#define NODE_MAX_BLOCKED 64      /* peers a test partition may cut off */
#define NODE_SYNC_SLOTS 64
#define NODE_MAX_RETURNED 4096 /* txids a reorg may hand back for relay */

/* Refusals counted by reason (reasons are static strings). */
typedef struct {
    const char *reason[NODE_MAX_REASONS];
    uint64_t count[NODE_MAX_REASONS];
    size_t n;
} node_tally_t;

/* A template the pool may still be solving. */
typedef struct {
    bool live;
    uint64_t job_id;
    block_t tpl;
    job_parts_t parts;
} node_job_t;

struct node {
    /* Held by whichever thread works on the fields below (node.c). */
    pthread_mutex_t lock;
    atomic_bool server_stop;
    node_config_t cfg;
    const params_t *params;
    chain_t *chain;
    mempool_t *mempool;
    store_t *store;
    p2p_t *p2p;
    server_t *server;
    pool_t *pool;
    bool loading; /* replaying the store: nothing to persist */
    bool syncing; /* inside sync_with_peer */

    node_job_t jobs[2]; /* current and previous */
    uint64_t next_job_id;
    bool job_urgent; /* the tip changed */
    bool job_dirty;  /* the mempool changed */
    uint64_t job_ms; /* when the current job was made */

    node_tally_t refused_blocks, refused_txs;
    /* Requests refused by the request thread without the lock. */
    atomic_uint_fast64_t requests_limited, requests_malformed;
    /* How the main loop is doing (loopwatch.h): written by the main loop,
     * read by `status` even when the lock is not to be had. */
    loopwatch_t watch;
    hashmap_t *rejected; /* txid -> reason (static), bounded */
    hashmap_t *received; /* block hash -> wall-clock microseconds when this
                            node accepted it (as a pointer), bounded */

    /* Test partition (rpc "partition", regtest only): peers whose gossip is
     * dropped and whom we never ask anything. */
    uint64_t blocked[NODE_MAX_BLOCKED];
    size_t n_blocked;
    uint64_t stall_ms; /* rpc "stall" (regtest only): the main loop holds
                          the lock this long at its next turn */
    bool poll_all;     /* peers were let back in: the main loop asks every peer
                          for its tip at its next turn */

    /* Until when each recent peer is not to be asked anything (sync.c): a
     * flood of orphans from one peer must not become a flood of requests to
     * it, and a silent peer must not stall the main loop again and again. */
    struct {
        uint64_t peer, until;
    } sync_hold[NODE_SYNC_SLOTS];

    uint64_t started_ms;
    uint64_t next_status_ms, next_poll_ms;
    size_t poll_cursor;
    uint64_t blocks_relayed, txs_relayed;
    /* Accepted transactions not yet relayed: published as one NEW_TXS
     * frame when full or at the end of a main-loop turn (node_flush_relay). */
    txbatch_t relay_batch;
    uint64_t tx_frames_relayed; /* NEW_TXS frames published */
    uint64_t txs_known_dropped; /* NEW_TXS items dropped by txid lookup */
    uint64_t stale_solutions;   /* found for a template no longer on the tip */
    /* Transfers of blocks a reorg disconnected, by txid: once the reorg is
     * over, those back in the mempool are relayed again, since peers that
     * only ever saw them inside the losing blocks do not hold them. */
    uint8_t (*returned)[32];
    size_t n_returned;
};

/* Counts one refusal. */
void node_tally(node_tally_t *t, const char *reason);

/*
 * Offers a block to the chain, as received from peer (0: local).
 * Returns the chain's answer (chain_add_block); relays it when accepted and
 * relay is set; on an unknown parent syncs from the peer; on a consensus
 * refusal counts it and scores the peer.
 */
int node_accept_block(node_t *n, const char **reason, const block_t *b,
                      uint64_t peer, bool relay);

/* Offers a transaction to the mempool; queues it for relay (relay_batch)
 * when accepted. txid is its id when the caller has computed it, else
 * NULL. Returns mempool_add's answer. */
int node_accept_tx(node_t *n, const char **reason, const tx_t *tx,
                   const uint8_t txid[32], uint64_t peer);

/* Publishes the transactions waiting in relay_batch as one NEW_TXS frame. */
void node_flush_relay(node_t *n);

/*
 * Mines a block on the tip on the calling thread (regtest: `generate`).
 * Returns: 0 with hash set; node_accept_block's refusal otherwise, e.g.
 *          ERR_FULL or ERR_IO with reason "not-stored" when the store could
 *          not keep the block (the block is then not on the chain either);
 *          template errors (with reason untouched).
 * Out:     reason  why it was refused (static string; may be NULL).
 */
int node_generate_block(node_t *n, const char **reason, uint8_t hash[32],
                        const uint8_t miner[32]);

/* Hashes per second of this node's miner (0 when not mining). */
double node_hashrate(const node_t *n);

uint64_t node_now_ms(void);

/* True when a test partition cuts this peer off (see rpc "partition"). */
bool node_peer_blocked(const node_t *n, uint64_t peer);

/* Wall-clock microseconds when this node accepted the block, or 0 when it
 * does not know (loaded from the store, or forgotten). */
uint64_t node_block_received_us(const node_t *n, const uint8_t hash[32]);

#endif
