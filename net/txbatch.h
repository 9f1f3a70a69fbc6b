/*
 * txbatch — transactions waiting to be relayed together as one NEW_TXS
 * frame (wire.h).
 *
 * Relaying each transaction in a frame of its own costs every peer a
 * ZeroMQ frame, a thread wakeup and a lock round per transaction; in a
 * full mesh each node receives every transaction from each of its peers,
 * so that per-frame cost, not the signature check, bounded how many
 * transfers a second reached every mempool. A node instead adds each
 * transaction it newly accepts to a batch and publishes the batch as one
 * frame when it is full or when its main loop ends a turn (so a quiet
 * node still relays within a turn, a couple of milliseconds, while a busy
 * one sends hundreds per frame).
 *
 * States: empty -> filling (txbatch_add) -> full (txbatch_full: at
 * WIRE_MAX_TX_BATCH transactions) -> empty again (txbatch_clear, after
 * txbatch_encode). A batch keeps copies of what it is given.
 *
 * Thread safety: not thread-safe; the node uses it under its lock.
 */
#ifndef PICKAXE_TXBATCH_H
#define PICKAXE_TXBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "err.h"
#include "wire.h"

typedef struct {
    buf_t bytes; /* the transactions, back to back */
    size_t count;
    uint8_t txid[WIRE_MAX_TX_BATCH][32];
    size_t offset[WIRE_MAX_TX_BATCH]; /* into bytes */
    size_t len[WIRE_MAX_TX_BATCH];
} txbatch_t;

/* Sets up an empty batch (embedded in its owner; txbatch_deinit()). */
void txbatch_init(txbatch_t *b);

/* Frees what the batch holds. Harmless twice. */
void txbatch_deinit(txbatch_t *b);

/*
 * Adds one transaction.
 * Returns: 0; ERR_FULL when the batch already holds WIRE_MAX_TX_BATCH
 *          (encode and clear it first); ERR_ARG when len is 0 or over
 *          WIRE_MAX_TX_SIZE; ERR_NOMEM (the batch is unchanged).
 * In:      txid      the transaction's id (copied).
 *          raw, len  its serialization (copied).
 */
PX_MUST_CHECK int txbatch_add(txbatch_t *b, const uint8_t txid[32],
                              const uint8_t *raw, size_t len);

/* Transactions waiting. */
size_t txbatch_count(const txbatch_t *b);

/* True when no more fit. */
bool txbatch_full(const txbatch_t *b);

/*
 * Encodes everything waiting as one NEW_TXS frame, appended to out; the
 * batch is unchanged.
 * Returns: 0; ERR_ARG when the batch is empty; otherwise as wire_encode().
 */
PX_MUST_CHECK int txbatch_encode(const txbatch_t *b, buf_t *out,
                                 const uint8_t network_id[32]);

/* Empties the batch (keeps its memory for the next one). */
void txbatch_clear(txbatch_t *b);

#endif
