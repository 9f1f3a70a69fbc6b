/*
 * banwatch — the adversary looks itself up in honest nodes' peer lists
 * (see banwatch.h).
 */
#include "banwatch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* How one peer's answer lists the node id me: counts it in *connected, and
 * returns true when it is banned. */
static bool read_answer(const uint8_t network_id[32], const uint8_t *raw,
                        size_t len, const char *me, size_t *connected)
{
    wire_msg_t m;
    if (wire_decode(&m, network_id, raw, len) != 0)
        return false;
    bool banned = false;
    json_t *j = m.type == WIRE_REPLY ? json_loadb((const char *)m.u.blob.data,
                                                  m.u.blob.len, 0, NULL)
                                     : NULL;
    size_t k;
    json_t *p;
    json_array_foreach(json_object_get(j, "result"), k, p)
    {
        const char *id = json_string_value(json_object_get(p, "id"));
        if (!id || strcmp(id, me) != 0)
            continue;
        if (json_is_true(json_object_get(p, "banned")))
            banned = true;
        else if (json_is_true(json_object_get(p, "connected")))
            (*connected)++;
    }
    json_decref(j);
    wire_msg_clear(&m);
    return banned;
}

bool banwatch_look(p2p_t *p2p, const uint8_t network_id[32], size_t *connected,
                   size_t *asked, banwatch_skip_fn skip, const void *ctx)
{
    *connected = 0;
    *asked = 0;
    p2p_peer_info_t *all = calloc(P2P_MAX_PEERS, sizeof *all);
    if (!all)
        return false;
    size_t n_all = p2p_peers(p2p, all, P2P_MAX_PEERS), n = 0;
    uint64_t peers[BANWATCH_MAX_PEERS];
    for (size_t i = 0; i < n_all && i < P2P_MAX_PEERS; i++)
        if (n < BANWATCH_MAX_PEERS && !(skip && skip(ctx, all[i].peer.id)))
            peers[n++] = all[i].peer.id;
    free(all);
    *asked = n;
    char me[17];
    snprintf(me, sizeof me, "%016llx", (unsigned long long)p2p_node_id(p2p));
    static const char q[] = "{\"method\":\"peers\"}";
    buf_t frame;
    buf_init(&frame);
    bool banned = false;
    if (wire_encode_blob(&frame, network_id, WIRE_QUERY, q, sizeof q - 1) ==
        0) {
        for (size_t i = 0; i < n; i++) {
            uint8_t *raw = NULL;
            size_t len = 0;
            if (p2p_request(p2p, &raw, &len, peers[i], frame.data, frame.len) !=
                0)
                continue;
            if (read_answer(network_id, raw, len, me, connected))
                banned = true;
            free(raw);
        }
    }
    buf_deinit(&frame);
    return banned;
}
