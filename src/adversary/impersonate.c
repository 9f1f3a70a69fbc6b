/*
 * impersonate — REGISTER under honest nodes' endpoints (see impersonate.h).
 */
#include "impersonate.h"

#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "log.h"
#include "reqclient.h"
#include "rpcclient.h"
#include "sock.h"
#include "wire.h"

/* The tracker's key and keyed endpoint, from GET_KEY on its plain one. */
static int tracker_key(uint8_t key[WIRE_KEY_SIZE], char *keyed, size_t len,
                       p2p_t *p2p, const char *tracker)
{
    rpcclient_t *c = rpcclient_new(tracker, p2p_network_id(p2p), 1000, 0);
    if (!c)
        return ERR_NET;
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_GET_KEY);
    uint8_t *raw = NULL;
    char *msg = NULL;
    int rc = rpcclient_request(c, &reply, &raw, &msg, &req);
    rpcclient_free(&c);
    free(msg);
    if (rc)
        return rc;
    char host[SOCK_ENDPOINT_MAX];
    uint16_t port;
    if (reply.type != WIRE_KEY ||
        sock_parse_hostport(host, sizeof host, &port, tracker) != 0 ||
        sock_endpoint(keyed, len, host, reply.u.key.port) != 0)
        rc = ERR_PARSE;
    else
        memcpy(key, reply.u.key.key, WIRE_KEY_SIZE);
    wire_msg_clear(&reply);
    free(raw);
    return rc;
}

/* One REGISTER as `victim`'s gossip under a fresh key. */
static void one(impersonate_tally_t *t, p2p_t *p2p, const char *keyed,
                const uint8_t tkey[WIRE_KEY_SIZE], const char *own_req,
                const wire_peer_t *victim)
{
    identity_t fresh;
    if (identity_generate(&fresh) != 0)
        return;
    reqclient_t *c = reqclient_new_keyed(keyed, 1000, 0, &fresh, tkey);
    wire_msg_t req;
    wire_msg_init(&req, WIRE_REGISTER);
    memcpy(req.u.peer.key, fresh.pub, WIRE_KEY_SIZE);
    req.u.peer.id = wire_key_id(fresh.pub);
    snprintf(req.u.peer.req, sizeof req.u.peer.req, "%s", own_req);
    snprintf(req.u.peer.gossip, sizeof req.u.peer.gossip, "%s", victim->gossip);
    buf_t b;
    buf_init(&b);
    uint8_t *raw = NULL;
    size_t len = 0;
    int rc = !c || wire_encode(&b, p2p_network_id(p2p), &req) != 0
                 ? ERR_NET
                 : reqclient_request(c, &raw, &len, b.data, b.len);
    t->tried++;
    wire_msg_t reply;
    if (rc == 0 && wire_decode(&reply, p2p_network_id(p2p), raw, len) == 0) {
        if (reply.type == WIRE_REGISTER_OK) {
            t->accepted++;
            log_warn("adversary",
                     "the tracker took %016llx's gossip "
                     "endpoint %s under our key",
                     (unsigned long long)victim->id, victim->gossip);
        } else {
            t->refused++;
            log_info("adversary", "impersonating %016llx refused: %s",
                     (unsigned long long)victim->id,
                     reply.type == WIRE_ERROR ? reply.u.error.reason : "?");
        }
        wire_msg_clear(&reply);
    } else {
        t->unanswered++;
    }
    free(raw);
    buf_deinit(&b);
    reqclient_free(&c);
    identity_wipe(&fresh);
}

int impersonate_round(impersonate_tally_t *tally, p2p_t *p2p,
                      const char *tracker, const char *own_req)
{
    uint8_t tkey[WIRE_KEY_SIZE];
    char keyed[SOCK_ENDPOINT_MAX];
    int rc = tracker_key(tkey, keyed, sizeof keyed, p2p, tracker);
    if (rc)
        return rc;
    p2p_peer_info_t peers[IMPERSONATE_MAX_PER_ROUND];
    size_t n = p2p_peers(p2p, peers, IMPERSONATE_MAX_PER_ROUND);
    for (size_t i = 0; i < n && i < IMPERSONATE_MAX_PER_ROUND; i++)
        one(tally, p2p, keyed, tkey, own_req, &peers[i].peer);
    return 0;
}
