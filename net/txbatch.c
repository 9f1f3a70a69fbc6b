/*
 * txbatch — a NEW_TXS frame in the making (see txbatch.h). The
 * transactions are copied back to back into one growable buffer and
 * remembered by offset, so adding is one append and the buffer's memory is
 * reused from batch to batch.
 */
#include "txbatch.h"

#include <string.h>

#include "err.h"

void txbatch_init(txbatch_t *b)
{
    buf_init(&b->bytes);
    b->count = 0;
}

void txbatch_deinit(txbatch_t *b)
{
    buf_deinit(&b->bytes);
    b->count = 0;
}

int txbatch_add(txbatch_t *b, const uint8_t txid[32], const uint8_t *raw,
                size_t len)
{
    if (!raw || len == 0 || len > WIRE_MAX_TX_SIZE)
        return ERR_ARG;
    if (b->count >= WIRE_MAX_TX_BATCH)
        return ERR_FULL;
    size_t at = b->bytes.len;
    if (buf_put(&b->bytes, raw, len) != 0) {
        b->bytes.len = at;
        b->bytes.failed = false;
        return ERR_NOMEM;
    }
    memcpy(b->txid[b->count], txid, 32);
    b->offset[b->count] = at;
    b->len[b->count] = len;
    b->count++;
    return 0;
}

size_t txbatch_count(const txbatch_t *b)
{
    return b->count;
}

bool txbatch_full(const txbatch_t *b)
{
    return b->count >= WIRE_MAX_TX_BATCH;
}

int txbatch_encode(const txbatch_t *b, buf_t *out, const uint8_t network_id[32])
{
    if (b->count == 0)
        return ERR_ARG;
    wire_txitem_t items[WIRE_MAX_TX_BATCH];
    for (size_t i = 0; i < b->count; i++) {
        items[i].txid = b->txid[i];
        items[i].tx.data = b->bytes.data + b->offset[i];
        items[i].tx.len = b->len[i];
    }
    wire_msg_t m;
    wire_msg_init(&m, WIRE_NEW_TXS);
    m.u.txs.count = (uint16_t)b->count;
    m.u.txs.items = items;
    return wire_encode(out, network_id, &m);
}

void txbatch_clear(txbatch_t *b)
{
    buf_reset(&b->bytes);
    b->count = 0;
}
