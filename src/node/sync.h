/*
 * sync — catching up from a peer over request/reply.
 *
 * Gossip can drop messages, so a node never relies on it alone: when it
 * starts, when a peer joins, when a block arrives whose parent it lacks, and
 * when a peer reports more work than ours, it asks that peer. The exchange
 * is Bitcoin's: our block locator (GET_HEADERS) -> the peer's best-chain
 * headers after the last block we share (HEADERS, up to 2,000) -> the blocks
 * we lack (GET_BLOCKS / BLOCKS, a few at a time), each validated as any
 * other; repeated until the peer has nothing new. Every request has a
 * timeout and retries (p2p_request), so an unresponsive peer costs seconds,
 * never a hang, and a peer that sends invalid blocks is scored and dropped.
 * Pending transactions are caught up the same way (GET_MEMPOOL) when a node
 * starts and when a test partition heals.
 */
#ifndef PICKAXE_SYNC_H
#define PICKAXE_SYNC_H

#include <stdint.h>

struct node;

/*
 * Downloads and validates what peer has and we lack.
 * Returns: 0 when caught up with the peer; ERR_TIMEOUT / ERR_NET /
 *          ERR_NOT_FOUND (peer gone or banned); ERR_INVALID when the peer
 *          sent something invalid (it has been scored).
 * Out:     *added (may be NULL) blocks accepted.
 */
int sync_with_peer(struct node *n, uint64_t peer, uint64_t *added);

/* Asks peer for its tip and syncs when it has more work than we do. */
int sync_poll_peer(struct node *n, uint64_t peer);

/*
 * Asks peer for its pending transactions (GET_MEMPOOL) and offers those we
 * lack to our mempool (each checked, and relayed when accepted, like
 * gossip). Transactions travel by gossip alone otherwise, so a node that
 * was not listening when they passed -- one that just started, or one
 * that a partition cut off -- would not see them before a block has them.
 * Returns: 0; as sync_with_peer() when the peer does not answer;
 *          ERR_TIMEOUT, without asking, when it did not answer lately.
 * Out:     *added (may be NULL) transactions accepted.
 */
int sync_mempool_from_peer(struct node *n, uint64_t peer, uint64_t *added);

#endif
