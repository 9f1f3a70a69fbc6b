/*
 * addrindex — which transactions of the best chain touch an address: the
 * index behind a wallet's history.
 *
 * For every address (x-only key) the index keeps postings: the hash and
 * height of a block and a transaction's place in it, one for the recipient
 * of every coinbase and transfer and one for the sender of every transfer
 * (one in all when they are the same key).
 *
 * It follows the chain lazily. It remembers the hash of the block it
 * indexed at each height; addrindex_sync walks down from the best tip to
 * the highest height where that hash still matches, which is the fork
 * point after a reorg, and indexes the blocks above it. Postings of blocks
 * that left the best chain (a reorg, or a stale branch pruned) are not
 * hunted down there: a query drops them as it meets them, since a posting
 * counts only while the best chain has its block at its height. So the
 * work of a sync is the blocks connected since the last one, and a reorg
 * back and forth can leave a posting twice, which the query also drops.
 *
 * Not thread-safe: the caller holds whatever guards the chain (the node
 * lock).
 */
#ifndef PICKAXE_ADDRINDEX_H
#define PICKAXE_ADDRINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "err.h"

typedef struct addrindex addrindex_t;

/* Where a transaction is on the best chain. */
typedef struct {
    uint32_t height; /* the block's height */
    uint32_t index;  /* the transaction's place in it (0: the coinbase) */
} addrindex_pos_t;

/* Returns an empty index, or NULL when out of memory. */
addrindex_t *addrindex_new(void);

/* Frees the index; NULL is harmless; clears *ix. */
void addrindex_free(addrindex_t **ix);

/*
 * Brings the index up to c's best chain (see above).
 * Returns: 0; ERR_NOMEM, after which the index holds what it held plus
 *          some of the new blocks, and the next sync goes on from there.
 * In:      c   the chain (borrowed; not changed).
 */
PX_MUST_CHECK int addrindex_sync(addrindex_t *ix, const chain_t *c);

/*
 * One page of an address's transactions on c's best chain, newest first
 * (by height, then by place in the block, last first). Syncs first.
 * Returns: 0; ERR_NOMEM.
 * Out:     out     up to max positions, from the skip-th newest on.
 *          n_out   how many were written.
 *          total   how many the address has in all.
 *          All three are written only on success.
 * In:      c       the chain (borrowed).
 *          key     the address's x-only key.
 *          skip    how many of the newest to pass over.
 *          max     room in out.
 */
PX_MUST_CHECK int addrindex_query(addrindex_t *ix, addrindex_pos_t *out,
                                  size_t *n_out, size_t *total,
                                  const chain_t *c, const uint8_t key[32],
                                  size_t skip, size_t max);

#endif
