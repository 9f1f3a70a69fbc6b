/*
 * relay — blocks as frames, transactions in batches, and what a reorg
 * returned (see relay.h).
 */
#include "relay.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

void relay_init(relay_t *r, p2p_t *p2p)
{
    memset(r, 0, sizeof *r);
    r->p2p = p2p;
    txbatch_init(&r->batch);
}

void relay_deinit(relay_t *r)
{
    txbatch_deinit(&r->batch);
    free(r->returned);
    r->returned = NULL;
    r->n_returned = 0;
}

void relay_block_frame(relay_t *r, const uint8_t *frame, size_t len)
{
    if (p2p_broadcast(r->p2p, frame, len) == 0)
        r->blocks++;
}

void relay_block(relay_t *r, const block_t *b)
{
    buf_t raw, frame;
    buf_init(&raw);
    buf_init(&frame);
    if (block_serialize(&raw, b) == 0 &&
        wire_encode_blob(&frame, p2p_network_id(r->p2p), WIRE_NEW_BLOCK,
                         raw.data, raw.len) == 0)
        relay_block_frame(r, frame.data, frame.len);
    buf_deinit(&raw);
    buf_deinit(&frame);
}

void relay_flush(relay_t *r)
{
    if (txbatch_count(&r->batch) == 0)
        return;
    buf_t frame;
    buf_init(&frame);
    if (txbatch_encode(&r->batch, &frame, p2p_network_id(r->p2p)) == 0 &&
        p2p_broadcast(r->p2p, frame.data, frame.len) == 0)
        r->tx_frames++;
    buf_deinit(&frame);
    txbatch_clear(&r->batch);
}

void relay_tx(relay_t *r, const tx_t *tx, const uint8_t txid[32])
{
    buf_t raw;
    buf_init(&raw);
    if (tx_serialize(&raw, tx) == 0) {
        if (txbatch_full(&r->batch))
            relay_flush(r);
        if (txbatch_add(&r->batch, txid, raw.data, raw.len) == 0)
            r->txs++;
    }
    buf_deinit(&raw);
}

void relay_note_returned(relay_t *r, const block_t *b)
{
    for (size_t i = 1; i < b->tx_count; i++) {
        if (!r->returned) {
            r->returned = malloc(RELAY_MAX_RETURNED * sizeof *r->returned);
            if (!r->returned)
                return; /* they wait for GET_MEMPOOL */
        }
        if (r->n_returned == RELAY_MAX_RETURNED)
            return; /* a deeper reorg: the rest wait for GET_MEMPOOL */
        tx_compute_txid(r->returned[r->n_returned++], &b->txs[i]);
    }
}

size_t relay_returned(relay_t *r, const mempool_t *mempool)
{
    size_t back = 0;
    for (size_t i = 0; i < r->n_returned; i++) {
        const tx_t *tx = mempool_get(mempool, r->returned[i]);
        if (tx) {
            relay_tx(r, tx, r->returned[i]);
            back++;
        }
    }
    r->n_returned = 0;
    return back;
}
