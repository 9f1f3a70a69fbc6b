/*
 * deliver — how pickaxe-adversary puts an attack's items (attack.h) on the
 * network: gossip items are published on its own gossip socket, as any
 * peer publishes (framed for the network, or as they are when the item is
 * a raw frame); request items are sent to every honest node's request
 * endpoint, each on a fresh connection (a new routing id each time)
 * without waiting for answers, as a flood of strangers would. Sybil items
 * are not sent: pickaxe-adversary registers them (sybil.h).
 *
 * Not thread-safe: it uses the p2p instance of the adversary's main loop.
 */
#ifndef PICKAXE_DELIVER_H
#define PICKAXE_DELIVER_H

#include <stdint.h>

#include "attack.h"
#include "banwatch.h"
#include "p2p.h"

/* Peers a request item is sent to, at most. */
#define DELIVER_MAX_PEERS 32

/*
 * Sends every item of out (borrowed).
 * In:  p2p         our identity (borrowed); network_id  for the frames.
 *      skip, ctx   peers request items are not sent to (skip may be NULL:
 *                  none): the adversary's own silent peers, which would
 *                  only pile them up unread in this very process.
 */
void deliver_items(p2p_t *p2p, const uint8_t network_id[32],
                   const attack_out_t *out, banwatch_skip_fn skip,
                   const void *ctx);

#endif
