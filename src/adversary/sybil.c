/*
 * sybil — silent peers (see sybil.h).
 */
#include "sybil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "identity.h"
#include "log.h"
#include "sock.h"
#include "trackerlink.h"
#include "wire.h"

typedef struct {
    uint64_t id;
    void *req, *pub;     /* bound, never read nor written */
    trackerlink_t *link; /* keeps it registered */
    size_t listed;       /* peers in the tracker's last list (the link's) */
} one_t;

struct sybil {
    uint8_t network_id[32];
    char tracker[SOCK_ENDPOINT_MAX];
    char host[200];
    one_t peers[SYBIL_MAX];
    size_t n;
};

sybil_t *sybil_new(const uint8_t network_id[32], const char *tracker,
                   const char *host)
{
    if (strlen(tracker) >= SOCK_ENDPOINT_MAX || strlen(host) >= 200)
        return NULL;
    sybil_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    memcpy(s->network_id, network_id, 32);
    strcpy(s->tracker, tracker);
    strcpy(s->host, host);
    return s;
}

/* The link's callbacks: a sybil keeps no peers, but remembers how many
 * the tracker listed, so the link does not ask for the list at every PONG. */
static void on_list(void *ctx, const wire_msg_t *m, bool prune)
{
    (void)prune;
    ((one_t *)ctx)->listed = m->u.peer_list.count;
}

static size_t on_known(void *ctx)
{
    return ((one_t *)ctx)->listed;
}

/* Binds a socket of type on host, any port, proving key (CURVE), as a
 * peer's sockets do: a node that connects completes the handshake and then
 * hears nothing. Out: where it is. */
static void *bind_any(const sybil_t *s, int type, const identity_t *key,
                      char *bound, size_t len)
{
    char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "tcp://%s:*", s->host);
    void *sock = sock_new(type);
    if (sock && (sock_curve_server(sock, key) != 0 ||
                 sock_bind(sock, bound, len, ep) != 0))
        sock_close(&sock);
    return sock;
}

int sybil_add(sybil_t *s)
{
    if (s->n >= SYBIL_MAX)
        return ERR_FULL;
    one_t *o = &s->peers[s->n];
    memset(o, 0, sizeof *o);
    trackerlink_config_t tc;
    memset(&tc, 0, sizeof tc);
    /* A key of its own: peers are keys, and the tracker takes a
     * registration only from the key it names. */
    if (identity_generate(&tc.key) != 0)
        return ERR_NOMEM;
    memcpy(tc.self.key, tc.key.pub, WIRE_KEY_SIZE);
    o->id = wire_key_id(tc.key.pub);
    memcpy(tc.network_id, s->network_id, 32);
    strcpy(tc.endpoint, s->tracker);
    tc.self.id = o->id;
    tc.timeout_ms = 1000;
    tc.retries = 1;
    tc.cb = (trackerlink_callbacks_t){o, on_list, on_known};
    o->req = bind_any(s, ZMQ_ROUTER, &tc.key, tc.self.req, sizeof tc.self.req);
    o->pub =
        bind_any(s, ZMQ_PUB, &tc.key, tc.self.gossip, sizeof tc.self.gossip);
    if (!o->req || !o->pub) {
        sock_close(&o->req);
        sock_close(&o->pub);
        identity_wipe(&tc.key);
        return ERR_NET;
    }
    int rc = trackerlink_join(&o->link, &tc);
    identity_wipe(&tc.key); /* the link keeps its own copy */
    if (!o->link) {
        sock_close(&o->req);
        sock_close(&o->pub);
        return rc;
    }
    log_info("sybil", "silent peer %016llx: requests %s, gossip %s",
             (unsigned long long)o->id, tc.self.req, tc.self.gossip);
    s->n++;
    return 0;
}

/* Lets sock process its commands (connections gone, subscriptions) and,
 * for a ROUTER, takes in and drops what arrived, at most max messages. */
static void tend(void *sock, int max)
{
    int events = 0;
    size_t len = sizeof events;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) != 0)
        return;
    for (int i = 0; i < max && (events & ZMQ_POLLIN); i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, ZMQ_DONTWAIT);
        zmq_msg_close(&m);
        if (rc < 0)
            break;
        len = sizeof events;
        if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) != 0)
            break;
    }
}

void sybil_tend(sybil_t *s)
{
    for (size_t i = 0; s && i < s->n; i++) {
        tend(s->peers[i].req, SYBIL_TEND_MAX);
        tend(s->peers[i].pub, 0);
    }
}

size_t sybil_count(const sybil_t *s)
{
    return s->n;
}

uint64_t sybil_id(const sybil_t *s, size_t i)
{
    return i < s->n ? s->peers[i].id : 0;
}

bool sybil_has(const sybil_t *s, uint64_t peer_id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->peers[i].id == peer_id)
            return true;
    return false;
}

void sybil_free(sybil_t **sp)
{
    if (!sp || !*sp)
        return;
    sybil_t *s = *sp;
    for (size_t i = 0; i < s->n; i++) {
        trackerlink_free(&s->peers[i].link);
        sock_close(&s->peers[i].req);
        sock_close(&s->peers[i].pub);
    }
    free(s);
    *sp = NULL;
}
