/*
 * node — a full pickaxe node: chain and forks, mempool, block store, miner
 * pool and peer-to-peer gossip, run by one main loop.
 *
 * The main loop owns the chain, the mempool and the store. It drains the
 * p2p inbox (gossiped blocks and transactions, the tracker's announcements
 * and relays, the answers to its own requests to peers) and takes the miner
 * pool's solutions; a request thread answers the node's ROUTER endpoint
 * (peers' sync requests, and the cli's and wallet's JSON queries, rpc.h).
 * Each newly accepted block or transaction is relayed once (relay.h); a
 * block with an unknown parent, a new peer, or a peer that reports more
 * work than ours queues a sync with that peer, which the main loop serves
 * between blocks without ever waiting on the peer (sync.h). When the tip or
 * the mempool changes, the pool gets a new job at once (tip) or within a
 * fraction of a second (mempool, batched; mining.h).
 *
 * Lifecycle: node_new (open the store, replay it, bind sockets, start the
 * pool), node_run (join through the tracker, loop until *stop is set, then
 * leave the network), node_free.
 */
#ifndef PICKAXE_NODE_H
#define PICKAXE_NODE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "identity.h"
#include "params.h"

#define NODE_ENDPOINT_MAX 256
#define NODE_HOST_MAX 200 /* leaves room for "tcp://" and ":PORT" */

typedef struct {
    const params_t *params;          /* required */
    char data_dir[512];              /* required */
    char tracker[NODE_ENDPOINT_MAX]; /* plain endpoint; "" = no tracker */
    uint8_t tracker_key[32];         /* pinned; all zero: trusted on first
                                        use, recorded in the data directory
                                        (net/trackerkey.h) */
    char listen_host[NODE_HOST_MAX]; /* e.g. 127.0.0.1 */
    uint16_t port;                   /* plain requests: cli, wallet */
    uint16_t gossip_port;            /* 0 = port + 1 (CURVE) */
    uint16_t keyed_port;             /* 0 = port + 2: peers' requests
                                        (CURVE), advertised */
    identity_t key; /* who the node is (all zero: a fresh key pair) */
    bool mine;
    unsigned threads; /* 0 = every core */
    char impl[32];    /* kernel name or "auto" */
    bool has_miner_key;
    uint8_t miner_key[32];      /* coinbase recipient */
    unsigned status_interval_s; /* 0 = 5 */
    /* Stratum v1 for outside miners (stratum_server.h); off when no port. */
    char stratum_host[NODE_HOST_MAX];
    uint16_t stratum_port; /* 0 = off */
} node_config_t;

typedef struct node node_t;

/*
 * Opens the data directory (creating it), replays the stored chain, binds
 * the request and gossip sockets and starts the miner pool.
 * Returns: the node, or NULL with *reason set (static text).
 */
node_t *node_new(const node_config_t *cfg, const char **reason);

/* Runs the main loop until *stop becomes non-zero. Returns 0. */
int node_run(node_t *n, volatile sig_atomic_t *stop);

/*
 * Answers one JSON query (rpc.h) as the request thread does: takes the node
 * lock for the answer and calls rpc_handle(). `status` waits for the lock at
 * most a quarter of a second; when the main loop holds it longer (stuck),
 * the answer is what can be read without it, with "busy": true (rpc.h).
 * Returns: a new {"result": ...} or {"error": ...} object, or NULL when out
 *          of memory.
 * In:      request  the parsed query (borrowed).
 * Thread safety: any thread but the main loop's (it holds the lock).
 */
json_t *node_query(node_t *n, const json_t *request);

/* Stops the pool and the network, closes the store; NULL is harmless. */
void node_free(node_t **n);

#endif
