/*
 * mempool_impl — the pool's layout, shared by mempool.c (adding, eviction,
 * queries, following the chain) and mempool_select.c (choosing transfers
 * for a block). Private to src/core/mempool*.c.
 *
 * Every transfer lives in one heap entry_t. A pending entry is "indexed":
 * by_txid maps its txid to it, and it sits in its sender's queue_t, an array
 * sorted by nonce, reached through by_sender. A queue is in by_sender only
 * while non-empty. A held entry (only between a disconnect and
 * mempool_revalidate) is in the held array and in neither map.
 */
#ifndef PICKAXE_MEMPOOL_IMPL_H
#define PICKAXE_MEMPOOL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"
#include "mempool.h"

typedef struct {
    tx_t tx;
    uint8_t txid[32];
    uint64_t seq; /* arrival order: breaks fee ties, first seen first */
    bool indexed; /* in by_txid (and a queue) */
} entry_t;

typedef struct {
    uint8_t sender[32];
    entry_t **items; /* owned entries, nonces contiguous and ascending */
    size_t count;
    size_t cap;
} queue_t;

struct mempool {
    uint8_t network_id[32];
    size_t max_txs;
    hashmap_t *by_txid;   /* txid -> entry_t*, pending entries */
    hashmap_t *by_sender; /* sender key -> queue_t*, non-empty queues */
    size_t count;         /* pending entries */
    entry_t **held;       /* held entries (owned), see mempool.h "reorgs" */
    size_t held_count;
    size_t held_cap;
    bool in_reorg;
    uint64_t next_seq;
};

#endif
