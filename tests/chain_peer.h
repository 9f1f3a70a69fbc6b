/*
 * chain_peer — a fake peer for the tests: a chain it serves, a request
 * server (a thread answering GET_TIP, GET_HEADERS, GET_BLOCKS and
 * GET_MEMPOOL the way a node's request thread does) and a p2p instance of
 * its own for gossip. It counts what it is asked, can be told to fall
 * silent, and can understate its tip (answer GET_TIP with genesis), so a
 * test can tell a fetch that followed a tip poll from one that did not.
 *
 * chain_peer_answer() is the answering alone, a pure function of a chain
 * and a request frame, for tests that drive an exchange by hand.
 */
#ifndef PICKAXE_TEST_CHAIN_PEER_H
#define PICKAXE_TEST_CHAIN_PEER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "chain.h"
#include "p2p.h"
#include "server.h"
#include "wire.h"

typedef struct {
    chain_t *chain; /* borrowed; the test changes it under `lock` only */
    pthread_mutex_t lock;
    server_t *srv;
    p2p_t *p2p;
    pthread_t th;
    atomic_int stop;
    atomic_bool silent;     /* answer nothing */
    atomic_bool understate; /* GET_TIP answers genesis */
    atomic_uint asked[4];   /* GET_TIP, GET_HEADERS, GET_BLOCKS, other */
    atomic_uint first_type; /* the type of the first request, 0: none */
    const tx_t *mempool;    /* what GET_MEMPOOL answers (borrowed) */
    size_t mempool_n;
} chain_peer_t;

enum { CP_TIP, CP_HEADERS, CP_BLOCKS, CP_OTHER };

/*
 * The answer of a peer whose chain is `chain` to one request frame,
 * encoded into out (emptied first). understate: GET_TIP answers genesis.
 * max_headers caps a HEADERS reply (honest peers may send fewer than
 * WIRE_MAX_HEADERS). txs, n_txs: what GET_MEMPOOL answers.
 */
void chain_peer_answer(buf_t *out, const chain_t *chain, const uint8_t *req,
                       size_t len, bool understate, size_t max_headers,
                       const tx_t *txs, size_t n_txs);

/* Starts the server thread and the p2p instance (request timeout
 * timeout_ms, no retries) for chain (borrowed). */
void chain_peer_start(chain_peer_t *p, chain_t *chain, int timeout_ms);

void chain_peer_stop(chain_peer_t *p);

/* The peer as others add it (p2p_add_peer()). */
wire_peer_t chain_peer_wire(chain_peer_t *p);

#endif
