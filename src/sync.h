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

#endif
