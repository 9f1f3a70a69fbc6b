/*
 * banwatch — how pickaxe-adversary learns that honest nodes banned it: the
 * way any outsider could, by asking each peer for its peer list (the public
 * "peers" query, src/node/rpc.h) and looking itself up by node id.
 *
 * Peer answers are data from the network: a reply that is not a REPLY, not
 * JSON, or lists nothing about us is read as "not listed", never trusted
 * further. At most BANWATCH_MAX_PEERS peers are asked per look.
 *
 * Not thread-safe: it uses the p2p instance's request path, which belongs
 * to the adversary's main loop.
 */
#ifndef PICKAXE_BANWATCH_H
#define PICKAXE_BANWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p.h"

/* Peers asked per look. */
#define BANWATCH_MAX_PEERS 32

/* True for a peer not to ask (the adversary's own silent peers). */
typedef bool (*banwatch_skip_fn)(const void *ctx, uint64_t peer_id);

/*
 * Asks each peer (up to BANWATCH_MAX_PEERS, not counting those skipped) how
 * it lists us.
 * Returns: true when any peer lists us as banned.
 * Out:     connected  how many list us as connected (not banned);
 *          asked      how many peers there were to ask.
 * In:      p2p         our identity (borrowed).
 *          network_id  the network's id, for the frames.
 *          skip, ctx   peers not to ask (skip may be NULL: none).
 */
bool banwatch_look(p2p_t *p2p, const uint8_t network_id[32], size_t *connected,
                   size_t *asked, banwatch_skip_fn skip, const void *ctx);

#endif
