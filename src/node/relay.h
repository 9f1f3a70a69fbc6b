/*
 * relay — what the node passes on to its peers, and how.
 *
 * Each newly accepted block or transaction is relayed once. A block that
 * came by gossip goes out as the very frame it came in (decoded once, never
 * serialised again); a block mined here is serialised into a NEW_BLOCK
 * frame. Transactions -- from a peer, the tracker, the cli or a wallet --
 * join a batch (txbatch.h) that goes out as one NEW_TXS frame when it holds
 * WIRE_MAX_TX_BATCH or when the main loop's turn ends (relay_flush()), so
 * frames carry one transaction when the network is quiet and hundreds when
 * it is busy.
 *
 * A reorg may return to the mempool transfers that peers only ever saw
 * inside the losing blocks, which those peers therefore do not hold: while
 * the reorg runs, the transfers of each disconnected block are noted
 * (relay_note_returned(), at most RELAY_MAX_RETURNED; a deeper reorg leaves
 * the rest to GET_MEMPOOL), and once the new tip is settled the ones back
 * in the mempool are relayed again (relay_returned()).
 *
 * Thread safety: none; the node uses it under its lock (the p2p calls are
 * thread-safe themselves).
 */
#ifndef PICKAXE_RELAY_H
#define PICKAXE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "mempool.h"
#include "p2p.h"
#include "tx.h"
#include "txbatch.h"

#define RELAY_MAX_RETURNED 4096 /* txids a reorg may hand back for relay */

typedef struct {
    p2p_t *p2p; /* borrowed */
    txbatch_t batch;
    uint8_t (*returned)[32]; /* owned, RELAY_MAX_RETURNED; NULL until used */
    size_t n_returned;
    uint64_t blocks;    /* blocks relayed */
    uint64_t txs;       /* transactions relayed */
    uint64_t tx_frames; /* NEW_TXS frames published */
} relay_t;

/* Sets up relay through p2p (borrowed). */
void relay_init(relay_t *r, p2p_t *p2p);
void relay_deinit(relay_t *r);

/* Relays a block as the NEW_BLOCK frame it came in (borrowed). */
void relay_block_frame(relay_t *r, const uint8_t *frame, size_t len);

/* Relays a block made here (serialised into a NEW_BLOCK frame). */
void relay_block(relay_t *r, const block_t *b);

/* Queues an accepted transaction for the next NEW_TXS frame. */
void relay_tx(relay_t *r, const tx_t *tx, const uint8_t txid[32]);

/* Publishes the queued transactions as one NEW_TXS frame. */
void relay_flush(relay_t *r);

/* Notes the transfers of a block a reorg disconnected. */
void relay_note_returned(relay_t *r, const block_t *b);

/* Relays the noted transfers that are pending in mempool again, and
 * forgets them all. Returns how many were pending (relayed again). */
size_t relay_returned(relay_t *r, const mempool_t *mempool);

#endif
