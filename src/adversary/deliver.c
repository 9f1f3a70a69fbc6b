/*
 * deliver — an attack's items onto the network (see deliver.h).
 */
#include "deliver.h"

#include <stdlib.h>
#include <zmq.h>

#include "log.h"
#include "sock.h"
#include "wire.h"

/* The request items, to every honest node's request endpoint. */
static void flood(p2p_t *p2p, const attack_out_t *out, banwatch_skip_fn skip,
                  const void *ctx)
{
    p2p_peer_info_t *all = calloc(P2P_MAX_PEERS, sizeof *all);
    if (!all)
        return;
    size_t n_all = p2p_peers(p2p, all, P2P_MAX_PEERS), n = 0;
    p2p_peer_info_t peers[DELIVER_MAX_PEERS];
    for (size_t i = 0; i < n_all && i < P2P_MAX_PEERS; i++)
        if (n < DELIVER_MAX_PEERS && !(skip && skip(ctx, all[i].peer.id)))
            peers[n++] = all[i];
    free(all);
    for (size_t p = 0; p < n; p++) {
        void *s = sock_new(ZMQ_DEALER);
        if (!s)
            continue;
        int linger = 2000, hwm = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        /* A peer's request endpoint answers only CURVE clients that know
         * its key, as any peer does; we prove our own key. */
        if (sock_curve_client(s, p2p_identity(p2p), peers[p].peer.key) == 0 &&
            zmq_connect(s, peers[p].peer.req) == 0)
            for (size_t i = 0; i < out->count; i++)
                if (out->items[i].channel == ATTACK_REQUEST)
                    zmq_send(s, out->items[i].bytes.data,
                             out->items[i].bytes.len, ZMQ_DONTWAIT);
        sock_close(&s); /* ZMQ_LINGER lets the queue drain meanwhile */
    }
}

void deliver_items(p2p_t *p2p, const uint8_t network_id[32],
                   const attack_out_t *out, banwatch_skip_fn skip,
                   const void *ctx)
{
    bool requests = false;
    for (size_t i = 0; i < out->count; i++) {
        const attack_item_t *it = &out->items[i];
        if (it->channel == ATTACK_REQUEST) {
            requests = true;
            continue;
        }
        if (it->channel == ATTACK_SYBIL) /* registrations: sybil.h's */
            continue;
        if (it->type == 0) {
            if (p2p_broadcast(p2p, it->bytes.data, it->bytes.len) != 0)
                log_debug("adversary", "could not send a %zu-byte frame",
                          it->bytes.len);
            continue;
        }
        buf_t frame;
        buf_init(&frame);
        if (wire_encode_blob(&frame, network_id, it->type, it->bytes.data,
                             it->bytes.len) != 0)
            log_warn("adversary", "could not frame a %zu-byte item",
                     it->bytes.len);
        else if (p2p_broadcast(p2p, frame.data, frame.len) != 0)
            log_debug("adversary", "could not send a %zu-byte item",
                      it->bytes.len);
        buf_deinit(&frame);
    }
    if (requests)
        flood(p2p, out, skip, ctx);
}
