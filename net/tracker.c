/*
 * tracker — peer table, request handling and the serving loop (see
 * tracker.h); the relay of submitted transactions is tracker_relay.c, and
 * the state both share is tracker_impl.h.
 *
 * The peer table is a flat array (at most max_peers, a few hundred): lookups
 * are linear, which at this size costs less than keeping an index. Removal
 * moves the last entry into the hole. Each entry remembers when the peer was
 * last heard from (REGISTER or PING); tracker_expire() drops those older than
 * the timeout.
 */
#include "tracker_impl.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "params.h"
#include "server.h"
#include "sock.h"
#include "txbatch.h"

void tracker_config_init(tracker_config_t *cfg, const uint8_t network_id[32])
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->network_id, network_id, 32);
    cfg->peer_timeout_ms = TRACKER_DEFAULT_TIMEOUT_MS;
    cfg->status_ms = TRACKER_DEFAULT_STATUS_MS;
    cfg->max_peers = WIRE_MAX_PEERS;
}

tracker_t *tracker_new(const tracker_config_t *cfg)
{
    if (!cfg || cfg->peer_timeout_ms == 0 || cfg->max_peers == 0)
        return NULL;
    tracker_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *cfg;
    if (identity_key_is_zero(t->cfg.key.pub) &&
        identity_generate(&t->cfg.key) != 0) {
        free(t);
        return NULL;
    }
    t->peers = calloc(cfg->max_peers, sizeof *t->peers);
    if (!t->peers) {
        free(t);
        return NULL;
    }
    txbatch_init(&t->batch);
    atomic_init(&t->stop, 0);
    return t;
}

void tracker_free(tracker_t **t)
{
    if (!t || !*t)
        return;
    server_free(&(*t)->server);
    sock_close(&(*t)->pub);
    txbatch_deinit(&(*t)->batch);
    identity_wipe(&(*t)->cfg.key);
    free((*t)->peers);
    free(*t);
    *t = NULL;
}

void tracker_set_publisher(tracker_t *t, tracker_publish_fn fn, void *arg)
{
    t->publish = fn;
    t->publish_arg = arg;
}

size_t tracker_peer_count(const tracker_t *t)
{
    return t->n_peers;
}

static entry_t *find_id(const tracker_t *t, uint64_t id)
{
    for (size_t i = 0; i < t->n_peers; i++)
        if (t->peers[i].peer.id == id)
            return &t->peers[i];
    return NULL;
}

int tracker_find(const tracker_t *t, wire_peer_t *peer, uint64_t id)
{
    const entry_t *e = find_id(t, id);
    if (!e)
        return ERR_NOT_FOUND;
    if (peer)
        *peer = e->peer;
    return 0;
}

/* ---- announcements ------------------------------------------------------- */

static void announce_peer(tracker_t *t, uint16_t type, const wire_peer_t *p)
{
    wire_msg_t m;
    wire_msg_init(&m, type);
    m.u.peer = *p;
    buf_t b;
    buf_init(&b);
    if (wire_encode(&b, t->cfg.network_id, &m) == 0 && t->publish)
        t->publish(t->publish_arg, b.data, b.len);
    buf_deinit(&b);
}

static void remove_entry(tracker_t *t, entry_t *e, const char *why)
{
    wire_peer_t gone = e->peer;
    *e = t->peers[--t->n_peers];
    t->left++;
    log_info("tracker", "peer %016llx left (%s): %s",
             (unsigned long long)gone.id, why, gone.gossip);
    announce_peer(t, WIRE_PEER_LEFT, &gone);
}

size_t tracker_expire(tracker_t *t, uint64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_peers;) {
        entry_t *e = &t->peers[i];
        if (now_ms > e->last_seen_ms &&
            now_ms - e->last_seen_ms > t->cfg.peer_timeout_ms) {
            remove_entry(t, e, "timed out");
            n++;
        } else {
            i++;
        }
    }
    return n;
}

/* ---- requests ------------------------------------------------------------ */

static bool endpoint_plausible(const char *ep)
{
    return strncmp(ep, "tcp://", 6) == 0 || strncmp(ep, "ipc://", 6) == 0;
}

int tracker_reply_error(tracker_t *t, buf_t *reply, int code, const char *why)
{
    t->bad_requests++;
    return wire_encode_error(reply, t->cfg.network_id, code, why);
}

/*
 * A request of another network or wire version. The node that sent it is
 * told why in its own framing (wire_encode_refusal): answered in ours, the
 * refusal would be one more frame it cannot decode ("bad reply"). The
 * tracker logs the same words.
 */
static int refuse_stranger(tracker_t *t, buf_t *reply, int rc,
                           const uint8_t *req, size_t len)
{
    wire_envelope_t env;
    if (wire_read_envelope(&env, req, len) != 0)
        return tracker_reply_error(t, reply, ERR_PARSE, "malformed message");
    t->bad_requests++;
    char why[WIRE_MAX_STR + 1];
    if (rc == ERR_INVALID)
        snprintf(why, sizeof why, "tracker is on %s, this node on %s",
                 params_network_name(t->cfg.network_id),
                 params_network_name(env.network_id));
    else
        snprintf(why, sizeof why,
                 "tracker speaks wire version %u, this node %u",
                 (unsigned)WIRE_VERSION, (unsigned)env.version);
    log_warn("tracker", "refused a %s: %s", wire_type_name(env.type), why);
    return wire_encode_refusal(reply, &env, rc, why);
}

static int reply_peer_list(tracker_t *t, buf_t *reply, uint16_t type,
                           uint64_t except)
{
    /* At most WIRE_MAX_PEERS fit in one message; the table holds no more
     * than max_peers, which a user may set higher: then the most recently
     * registered are sent (they are at the end of the array). */
    wire_peer_t *list = malloc((t->n_peers ? t->n_peers : 1) * sizeof *list);
    if (!list)
        return ERR_NOMEM;
    size_t n = 0;
    for (size_t i = t->n_peers; i-- > 0 && n < WIRE_MAX_PEERS;)
        if (t->peers[i].peer.id != except)
            list[n++] = t->peers[i].peer;
    wire_msg_t m;
    wire_msg_init(&m, type);
    m.u.peer_list.peer_timeout_ms = t->cfg.peer_timeout_ms;
    m.u.peer_list.count = (uint16_t)n;
    m.u.peer_list.peers = list;
    int rc = wire_encode(reply, t->cfg.network_id, &m);
    free(list);
    return rc;
}

/* Whether a REGISTER, PING or LEAVE speaking for id may be taken from
 * sender; when not, the refusal is encoded into reply (*rc). */
static bool speaks_for(tracker_t *t, buf_t *reply, int *rc,
                       const uint8_t *sender, uint64_t id, const char *what)
{
    char why[WIRE_MAX_STR + 1];
    if (!sender && !t->cfg.trust_claims)
        snprintf(why, sizeof why,
                 "%s is taken only over the tracker's keyed (CURVE) "
                 "endpoint",
                 what);
    else if (sender && wire_key_id(sender) != id)
        snprintf(why, sizeof why,
                 "%s speaks for %016llx, but the connection's key is "
                 "%016llx's",
                 what, (unsigned long long)id,
                 (unsigned long long)wire_key_id(sender));
    else
        return true;
    log_warn("tracker", "refused a %s: %s", what, why);
    *rc = tracker_reply_error(t, reply, ERR_INVALID, why);
    return false;
}

/* Another live key that holds one of p's endpoints, or NULL. */
static const entry_t *holder(const tracker_t *t, const wire_peer_t *p,
                             const char **which)
{
    for (size_t i = 0; i < t->n_peers; i++) {
        const wire_peer_t *o = &t->peers[i].peer;
        if (memcmp(o->key, p->key, WIRE_KEY_SIZE) == 0)
            continue;
        if (strcmp(o->req, p->req) == 0 || strcmp(o->gossip, p->req) == 0)
            *which = p->req;
        else if (strcmp(o->gossip, p->gossip) == 0 ||
                 strcmp(o->req, p->gossip) == 0)
            *which = p->gossip;
        else
            continue;
        return &t->peers[i];
    }
    return NULL;
}

static int handle_register(tracker_t *t, buf_t *reply, const uint8_t *sender,
                           const wire_peer_t *p, uint64_t now_ms)
{
    int rc;
    if (!speaks_for(t, reply, &rc, sender, p->id, "REGISTER"))
        return rc;
    if (sender && memcmp(sender, p->key, WIRE_KEY_SIZE) != 0) {
        /* The ids agree and the keys do not: a forged key, not a typo. */
        log_warn("tracker", "refused a REGISTER: it names a key the "
                            "connection does not hold");
        return tracker_reply_error(t, reply, ERR_INVALID,
                                   "REGISTER names a key the connection "
                                   "does not hold");
    }
    if (!endpoint_plausible(p->req) || !endpoint_plausible(p->gossip))
        return tracker_reply_error(t, reply, ERR_ARG,
                                   "endpoints must be tcp://HOST:PORT");
    const char *which = NULL;
    const entry_t *h = holder(t, p, &which);
    if (h) {
        /* The first holder keeps it (tracker.h): a claim is no proof. */
        char why[2 * WIRE_MAX_STR];
        snprintf(why, sizeof why, "endpoint %s is registered under key %016llx",
                 which, (unsigned long long)h->peer.id);
        why[WIRE_MAX_STR] = '\0'; /* what a wire string holds */
        log_warn("tracker", "refused %016llx: %s", (unsigned long long)p->id,
                 why);
        return tracker_reply_error(t, reply, ERR_DUPLICATE, why);
    }
    entry_t *e = find_id(t, p->id);
    if (e) {
        bool moved = strcmp(e->peer.req, p->req) != 0 ||
                     strcmp(e->peer.gossip, p->gossip) != 0;
        e->peer = *p;
        e->last_seen_ms = now_ms;
        if (moved)
            announce_peer(t, WIRE_PEER_JOINED, p);
    } else {
        if (t->n_peers >= t->cfg.max_peers)
            return tracker_reply_error(t, reply, ERR_FULL, "tracker is full");
        e = &t->peers[t->n_peers++];
        e->peer = *p;
        e->last_seen_ms = now_ms;
        t->joined++;
        log_info("tracker", "peer %016llx joined: req %s gossip %s",
                 (unsigned long long)p->id, p->req, p->gossip);
        announce_peer(t, WIRE_PEER_JOINED, p);
    }
    return reply_peer_list(t, reply, WIRE_REGISTER_OK, p->id);
}

static int handle_ping(tracker_t *t, buf_t *reply, uint64_t id, uint64_t now_ms)
{
    entry_t *e = find_id(t, id);
    if (e)
        e->last_seen_ms = now_ms;
    wire_msg_t m;
    wire_msg_init(&m, WIRE_PONG);
    m.u.pong.known = e != NULL;
    m.u.pong.peers = (uint32_t)t->n_peers;
    return wire_encode(reply, t->cfg.network_id, &m);
}

static int reply_key(tracker_t *t, buf_t *reply)
{
    char host[SOCK_ENDPOINT_MAX];
    uint16_t port = 0;
    if (sock_parse_hostport(host, sizeof host, &port,
                            tracker_keyed_endpoint(t)) != 0)
        return tracker_reply_error(t, reply, ERR_NOT_FOUND,
                                   "the tracker has no keyed endpoint");
    wire_msg_t m;
    wire_msg_init(&m, WIRE_KEY);
    memcpy(m.u.key.key, t->cfg.key.pub, WIRE_KEY_SIZE);
    m.u.key.port = port;
    return wire_encode(reply, t->cfg.network_id, &m);
}

const uint8_t *tracker_key(const tracker_t *t)
{
    return t->cfg.key.pub;
}

int tracker_handle(tracker_t *t, buf_t *reply, const uint8_t *sender,
                   const uint8_t *req, size_t len, uint64_t now_ms)
{
    t->requests++;
    wire_msg_t m;
    int rc = wire_decode(&m, t->cfg.network_id, req, len);
    switch (rc) {
    case 0:
        break;
    case ERR_INVALID:
    case ERR_UNSUPPORTED:
        return refuse_stranger(t, reply, rc, req, len);
    case ERR_NOMEM:
        return ERR_NOMEM;
    default:
        return tracker_reply_error(t, reply, ERR_PARSE, "malformed message");
    }
    switch (m.type) {
    case WIRE_REGISTER:
        rc = handle_register(t, reply, sender, &m.u.peer, now_ms);
        break;
    case WIRE_PING:
        if (speaks_for(t, reply, &rc, sender, m.u.node_id, "PING"))
            rc = handle_ping(t, reply, m.u.node_id, now_ms);
        break;
    case WIRE_GET_KEY:
        rc = reply_key(t, reply);
        break;
    case WIRE_LEAVE: {
        if (!speaks_for(t, reply, &rc, sender, m.u.node_id, "LEAVE"))
            break;
        entry_t *e = find_id(t, m.u.node_id);
        if (e)
            remove_entry(t, e, "left");
        rc = wire_encode_empty(reply, t->cfg.network_id, WIRE_ACK);
        break;
    }
    case WIRE_PEERS:
        rc = reply_peer_list(t, reply, WIRE_PEER_LIST, 0);
        break;
    case WIRE_SUBMIT_TX:
        rc = tracker_relay_tx(t, reply, &m.u.blob);
        break;
    case WIRE_SUBMIT_TXS:
        rc = tracker_relay_txs(t, reply, &m);
        break;
    default: {
        char why[64];
        snprintf(why, sizeof why, "the tracker does not serve %s",
                 wire_type_name(m.type));
        rc = tracker_reply_error(t, reply, ERR_UNSUPPORTED, why);
        break;
    }
    }
    wire_msg_clear(&m);
    return rc;
}

/* ---- sockets ------------------------------------------------------------- */

static void publish_on_pub(void *arg, const uint8_t *msg, size_t len)
{
    tracker_t *t = arg;
    /* PUB never blocks: a slow subscriber loses messages at its high-water
     * mark, which the protocol tolerates (nodes re-ask with PEERS). */
    if (sock_send(t->pub, msg, len, ZMQ_DONTWAIT) != 0)
        log_debug("tracker", "publish failed");
}

int tracker_bind(tracker_t *t, const char *req_endpoint,
                 const char *pub_endpoint, const char *keyed_endpoint)
{
    if (t->server || t->pub)
        return ERR_ARG;
    t->server = server_new_keyed(keyed_endpoint, req_endpoint, &t->cfg.key);
    if (!t->server)
        return ERR_NET;
    t->pub = sock_new(ZMQ_PUB);
    if (!t->pub || sock_curve_server(t->pub, &t->cfg.key) != 0 ||
        sock_bind(t->pub, t->pub_endpoint, sizeof t->pub_endpoint,
                  pub_endpoint) != 0) {
        server_free(&t->server);
        sock_close(&t->pub);
        t->pub_endpoint[0] = '\0';
        return ERR_NET;
    }
    tracker_set_publisher(t, publish_on_pub, t);
    return 0;
}

const char *tracker_req_endpoint(const tracker_t *t)
{
    return t->server ? server_endpoint(t->server) : "";
}

const char *tracker_keyed_endpoint(const tracker_t *t)
{
    return t->server ? server_keyed_endpoint(t->server) : "";
}

const char *tracker_pub_endpoint(const tracker_t *t)
{
    return t->pub_endpoint;
}

void tracker_stop(tracker_t *t)
{
    atomic_store(&t->stop, 1);
}

/* Serves one queued request; false when none was queued. */
static bool serve_one(tracker_t *t, buf_t *reply)
{
    server_req_t req;
    int rc = server_recv(t->server, &req, 0);
    if (rc) {
        if (rc != ERR_TIMEOUT)
            log_debug("tracker", "dropped a request: %s", err_str(rc));
        return rc != ERR_TIMEOUT;
    }
    buf_reset(reply);
    if (tracker_handle(t, reply, req.keyed ? req.key : NULL, req.data, req.len,
                       sock_now_ms()) == 0 &&
        server_reply(t->server, &req, reply->data, reply->len) != 0)
        log_debug("tracker", "could not send a reply");
    server_req_clear(&req);
    return true;
}

int tracker_run(tracker_t *t)
{
    if (!t->server || !t->pub)
        return ERR_ARG;
    t->cfg.trust_claims = t->cfg.trust_claims || !sock_curve_on();
    char key[IDENTITY_HEX_LEN + 1];
    identity_key_hex(key, t->cfg.key.pub);
    log_info("tracker",
             "serving requests on %s (keyed: %s), publishing on %s; key %s",
             tracker_req_endpoint(t), tracker_keyed_endpoint(t),
             t->pub_endpoint, key);
    buf_t reply;
    buf_init(&reply);
    uint64_t now = sock_now_ms();
    uint64_t next_expire = now + 250, next_status = now + t->cfg.status_ms;
    int rc = 0;
    while (!atomic_load(&t->stop)) {
        int w = sock_wait_readable(server_socket(t->server), 100);
        if (w < 0) {
            rc = ERR_NET;
            break;
        }
        /* Serve what is queued, but keep the timers honest under load. */
        for (int i = 0; w == 1 && i < 64 && serve_one(t, &reply); i++)
            ;
        /* The turn's submissions leave together, a few ms after the first
         * arrived at most. */
        tracker_flush(t);
        now = sock_now_ms();
        if (now >= next_expire) {
            tracker_expire(t, now);
            next_expire = now + 250;
        }
        if (t->cfg.status_ms && now >= next_status) {
            log_info("tracker",
                     "status: %zu peers, %llu requests (%llu refused), "
                     "%llu txs relayed in %llu frames (%llu refused), "
                     "%llu joined, %llu left",
                     t->n_peers, (unsigned long long)t->requests,
                     (unsigned long long)t->bad_requests,
                     (unsigned long long)t->txs_relayed,
                     (unsigned long long)t->tx_frames,
                     (unsigned long long)t->txs_refused,
                     (unsigned long long)t->joined,
                     (unsigned long long)t->left);
            next_status = now + t->cfg.status_ms;
        }
    }
    buf_deinit(&reply);
    log_info("tracker", "stopped");
    return rc;
}
