/*
 * p2p — lifecycle, the public calls, the ask workers and the tracker link's
 * callbacks; the I/O thread is p2p_io.c and the state both share, with its
 * locking rules, is p2p_impl.h. See p2p.h for the threading model.
 */
#include "p2p_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "reqclient.h"
#include "score.h"

void p2p_msg_clear(p2p_msg_t *msg)
{
    if (!msg)
        return;
    wire_msg_clear(&msg->msg);
    free(msg->data);
    memset(msg, 0, sizeof *msg);
}

/* ---- ask workers --------------------------------------------------------- */

/* Runs one p2p_ask() request on an ask worker and pushes its outcome
 * into the inbox. Outcomes bypass inbox_max: each was queued under
 * P2P_MAX_ASKS, and a caller waiting for one must get it. */
static void answer(void *ctx, uint64_t peer_id, uint64_t tag,
                   const uint8_t *req, size_t len)
{
    p2p_t *p = ctx;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = p2p_request(p, &raw, &raw_len, peer_id, req, len);
    p2p_msg_t out = {.source = P2P_FROM_REPLY, .peer_id = peer_id, .tag = tag};
    if (rc == 0) {
        rc = wire_decode(&out.msg, p->cfg.network_id, raw, raw_len);
        if (rc == 0) {
            out.type = out.msg.type;
            out.data = raw;
            out.len = raw_len;
        } else {
            free(raw);
            pthread_mutex_lock(&p->lock);
            peertab_entry_t *e = peertab_find(&p->tab, peer_id);
            if (e) /* the reply did not decode */
                p2p_score_frame(p, e, rc, 0);
            bool dirty = p->tab.dirty;
            pthread_mutex_unlock(&p->lock);
            if (dirty)
                p2p_wake_io(p);
        }
    }
    out.status = rc;
    if (msgq_push(p->inbox, &out, true, NULL) != 0) {
        log_error("p2p", "out of memory: the answer of peer %016llx is lost",
                  (unsigned long long)peer_id);
        p2p_msg_clear(&out);
    }
}

/* ---- the tracker link's callbacks -----------------------------------------
 */

/* Adds the tracker's peers to the map. With prune, also drops the peers we
 * learned from the tracker that it no longer lists (see trackerlink.h). */
static void on_peer_list(void *ctx, const wire_msg_t *m, bool prune)
{
    p2p_t *p = ctx;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; prune && i < p->tab.n;) {
        bool listed = false;
        for (size_t j = 0; j < m->u.peer_list.count && !listed; j++)
            listed = m->u.peer_list.peers[j].id == p->tab.peers[i].peer.id;
        if (listed || p->tab.peers[i].manual)
            i++;
        else
            peertab_remove(&p->tab, p->tab.peers[i].peer.id);
    }
    for (size_t i = 0; i < m->u.peer_list.count; i++)
        if (peertab_upsert(&p->tab, &m->u.peer_list.peers[i], false) ==
            ERR_FULL)
            break;
    pthread_mutex_unlock(&p->lock);
    p2p_wake_io(p);
}

static size_t on_known(void *ctx)
{
    p2p_t *p = ctx;
    pthread_mutex_lock(&p->lock);
    size_t n = p->tab.n;
    pthread_mutex_unlock(&p->lock);
    return n;
}

/* ---- public API ---------------------------------------------------------- */

void p2p_config_init(p2p_config_t *cfg, const uint8_t network_id[32])
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->network_id, network_id, 32);
    strcpy(cfg->gossip_bind, "tcp://127.0.0.1:*");
    cfg->request_timeout_ms = 2000;
    cfg->request_retries = 2;
    cfg->tracker_timeout_ms = 1000;
    cfg->tracker_retries = 1;
    cfg->ban_threshold = SCORE_BAN_THRESHOLD;
    cfg->ban_ms = 10 * 60 * 1000;
    cfg->inbox_max = 10000;
    cfg->peer_inbox_max = 1000;
    cfg->peer_inbox_bytes = 16u * 1024 * 1024;
}

static bool config_ok(const p2p_config_t *c)
{
    return c->request_timeout_ms > 0 && c->request_retries >= 0 &&
           c->tracker_timeout_ms > 0 && c->tracker_retries >= 0 &&
           c->ban_threshold > 0 && c->inbox_max > 0 && c->peer_inbox_max > 0 &&
           c->peer_inbox_bytes > 0 && c->gossip_bind[0] &&
           memchr(c->tracker, 0, sizeof c->tracker) &&
           memchr(c->tracker_pub, 0, sizeof c->tracker_pub) &&
           memchr(c->gossip_bind, 0, sizeof c->gossip_bind) &&
           memchr(c->gossip_advertise, 0, sizeof c->gossip_advertise) &&
           memchr(c->request_advertise, 0, sizeof c->request_advertise);
}

/* What peers should connect to: the advertised endpoint, else the bound
 * one with a wildcard host shown as loopback. */
static int advertised_gossip(p2p_t *p, const char *bound)
{
    if (p->cfg.gossip_advertise[0]) {
        strcpy(p->gossip, p->cfg.gossip_advertise);
    } else {
        char host[SOCK_ENDPOINT_MAX];
        uint16_t port;
        if (sock_parse_hostport(host, sizeof host, &port, bound))
            return ERR_ARG;
        if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0) {
            log_warn("p2p",
                     "gossip bound to %s; advertising 127.0.0.1 "
                     "(set an advertised endpoint for other hosts)",
                     bound);
            strcpy(host, "127.0.0.1");
        }
        if (sock_endpoint(p->gossip, sizeof p->gossip, host, port))
            return ERR_ARG;
    }
    return wire_str_valid(p->gossip) ? 0 : ERR_ARG;
}

static int resolve_tracker_pub(p2p_t *p)
{
    if (!p->cfg.tracker[0])
        return 0;
    if (p->cfg.tracker_pub[0]) {
        strcpy(p->tracker_pub, p->cfg.tracker_pub);
        return 0;
    }
    char host[SOCK_ENDPOINT_MAX];
    uint16_t port;
    if (sock_parse_hostport(host, sizeof host, &port, p->cfg.tracker) ||
        port == 65535)
        return ERR_ARG;
    return sock_endpoint(p->tracker_pub, sizeof p->tracker_pub, host,
                         (unsigned)port + 1);
}

p2p_t *p2p_new(const p2p_config_t *cfg)
{
    if (!cfg || !config_ok(cfg))
        return NULL;
    p2p_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = *cfg;
    p->wake_fd = -1;
    if (identity_key_is_zero(p->cfg.key.pub) &&
        identity_generate(&p->cfg.key) != 0) {
        free(p);
        return NULL;
    }
    p->node_id = wire_key_id(p->cfg.key.pub);
    pthread_mutex_init(&p->lock, NULL);
    atomic_init(&p->io_stop, 0);
    p->inbox = msgq_new(cfg->inbox_max, cfg->peer_inbox_max);
    p->outbox = msgq_new(cfg->inbox_max, cfg->inbox_max); /* one lane */

    char bound[SOCK_ENDPOINT_MAX];
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->pub = sock_new(ZMQ_PUB);
    if (!p->inbox || !p->outbox || p->wake_fd < 0 || !p->pub ||
        sock_curve_server(p->pub, &p->cfg.key) != 0 ||
        sock_bind(p->pub, bound, sizeof bound, cfg->gossip_bind) != 0 ||
        advertised_gossip(p, bound) != 0 || resolve_tracker_pub(p) != 0) {
        log_error("p2p", "cannot set up gossip on %s", cfg->gossip_bind);
        p2p_free(&p);
        return NULL;
    }
    peertab_init(&p->tab, p->node_id, p->gossip, cfg->ban_threshold,
                 cfg->ban_ms);
    p->asker = asker_new(answer, p, P2P_MAX_ASKS, P2P_ASK_THREADS);
    if (!p->asker) {
        p2p_free(&p);
        return NULL;
    }
    if (pthread_create(&p->io_thread, NULL, p2p_io_main, p) != 0) {
        p2p_free(&p);
        return NULL;
    }
    p->io_started = true;
    log_info("p2p", "node %016llx gossiping on %s",
             (unsigned long long)p->node_id, p->gossip);
    return p;
}

void p2p_free(p2p_t **pp)
{
    if (!pp || !*pp)
        return;
    p2p_t *p = *pp;
    asker_free(&p->asker); /* a request in flight ends within its timeouts */
    p2p_leave_network(p);
    if (p->io_started) {
        atomic_store(&p->io_stop, 1);
        p2p_wake_io(p);
        pthread_join(p->io_thread, NULL);
    }
    for (size_t i = 0; i < p->n_subs; i++)
        sock_close(&p->subs[i].sock);
    sock_close(&p->tracker_sub);
    sock_close(&p->pub);
    peertab_clear(&p->tab);
    msgq_free(&p->inbox);
    msgq_free(&p->outbox);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    pthread_mutex_destroy(&p->lock);
    identity_wipe(&p->cfg.key);
    free(p);
    *pp = NULL;
}

int p2p_join_network(p2p_t *p)
{
    if (!p->cfg.tracker[0] || !wire_str_valid(p->cfg.request_advertise))
        return ERR_ARG;
    pthread_mutex_lock(&p->lock);
    bool joined = p->joined;
    pthread_mutex_unlock(&p->lock);
    if (joined)
        return ERR_DUPLICATE;
    trackerlink_config_t tc;
    memset(&tc, 0, sizeof tc);
    memcpy(tc.network_id, p->cfg.network_id, 32);
    strcpy(tc.endpoint, p->cfg.tracker);
    tc.self.id = p->node_id;
    memcpy(tc.self.key, p->cfg.key.pub, WIRE_KEY_SIZE);
    tc.key = p->cfg.key;
    memcpy(tc.tracker_key, p->cfg.tracker_key, WIRE_KEY_SIZE);
    strcpy(tc.known_trackers, p->cfg.known_trackers);
    strcpy(tc.self.req, p->cfg.request_advertise);
    strcpy(tc.self.gossip, p->gossip);
    tc.timeout_ms = p->cfg.tracker_timeout_ms;
    tc.retries = p->cfg.tracker_retries;
    tc.ping_interval_ms = p->cfg.ping_interval_ms;
    tc.cb = (trackerlink_callbacks_t){p, on_peer_list, on_known};
    trackerlink_t *link;
    int r = trackerlink_join(&link, &tc);
    if (!link)
        return r;
    pthread_mutex_lock(&p->lock);
    p->link = link;
    p->joined = true;
    p->tab.dirty = true; /* subscribe to the tracker's PUB */
    pthread_mutex_unlock(&p->lock);
    p2p_wake_io(p);
    return r;
}

void p2p_leave_network(p2p_t *p)
{
    pthread_mutex_lock(&p->lock);
    bool was = p->joined;
    trackerlink_t *link = p->link;
    p->joined = false;
    p->link = NULL;
    pthread_mutex_unlock(&p->lock);
    trackerlink_free(&link); /* LEAVE */
    pthread_mutex_lock(&p->lock);
    peertab_clear(&p->tab);
    pthread_mutex_unlock(&p->lock);
    p2p_wake_io(p);
    if (was)
        log_info("p2p", "left the network");
}

int p2p_add_peer(p2p_t *p, const wire_peer_t *peer)
{
    if (!peer || identity_key_is_zero(peer->key) ||
        peer->id != wire_key_id(peer->key) || !wire_str_valid(peer->req) ||
        !wire_str_valid(peer->gossip))
        return ERR_ARG;
    pthread_mutex_lock(&p->lock);
    int r = peertab_upsert(&p->tab, peer, true);
    pthread_mutex_unlock(&p->lock);
    p2p_wake_io(p);
    return r;
}

int p2p_broadcast(p2p_t *p, const uint8_t *data, size_t len)
{
    if (!data || len == 0 || len > WIRE_MAX_MSG_SIZE)
        return ERR_ARG;
    p2p_msg_t m = {.data = malloc(len), .len = len};
    if (!m.data)
        return ERR_NOMEM;
    memcpy(m.data, data, len);
    int rc = msgq_push(p->outbox, &m, false, NULL);
    if (rc) {
        p2p_msg_clear(&m);
        return rc;
    }
    p2p_wake_io(p);
    return 0;
}

int p2p_broadcast_msg(p2p_t *p, const wire_msg_t *msg)
{
    buf_t b;
    buf_init(&b);
    int r = wire_encode(&b, p->cfg.network_id, msg);
    if (r == 0)
        r = p2p_broadcast(p, b.data, b.len);
    buf_deinit(&b);
    return r;
}

int p2p_receive_data(p2p_t *p, p2p_msg_t *msg, int timeout_ms)
{
    int rc = msgq_pop(p->inbox, msg, timeout_ms);
    if (rc == 0 && msg->source == P2P_FROM_PEER) {
        pthread_mutex_lock(&p->lock);
        peertab_entry_t *e = peertab_find(&p->tab, msg->peer_id);
        if (e) /* (a peer removed and added again starts from 0) */
            e->inbox_bytes -=
                msg->len < e->inbox_bytes ? msg->len : e->inbox_bytes;
        pthread_mutex_unlock(&p->lock);
    }
    return rc;
}

uint64_t p2p_backoff_ms(unsigned fails)
{
    uint64_t ms = P2P_BACKOFF_FIRST_MS;
    for (unsigned i = 1; i < fails && ms < P2P_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < P2P_BACKOFF_MAX_MS ? ms : P2P_BACKOFF_MAX_MS;
}

int p2p_request(p2p_t *p, uint8_t **reply, size_t *reply_len, uint64_t peer_id,
                const uint8_t *req, size_t req_len)
{
    char endpoint[SOCK_ENDPOINT_MAX];
    pthread_mutex_lock(&p->lock);
    uint64_t now = sock_now_ms();
    peertab_entry_t *e = peertab_find(&p->tab, peer_id);
    if (!e || peertab_banned(&p->tab, e->peer.key, now)) {
        pthread_mutex_unlock(&p->lock);
        return ERR_NOT_FOUND;
    }
    if (now < e->retry_ms) { /* backed off: it lost its turn */
        pthread_mutex_unlock(&p->lock);
        return ERR_TIMEOUT;
    }
    strcpy(endpoint, e->peer.req);
    uint8_t key[WIRE_KEY_SIZE];
    memcpy(key, e->peer.key, sizeof key);
    reqclient_t *rc = e->rc; /* check the cached client out */
    e->rc = NULL;
    /* A peer that has never answered gets one attempt: a retry guards
     * against a request lost on a live connection, and a peer never heard
     * from has shown none (p2p.h, "Backoff"). */
    int retries = e->last_answer_ms ? p->cfg.request_retries : 0;
    pthread_mutex_unlock(&p->lock);

    if (!rc)
        rc = reqclient_new_keyed(endpoint, p->cfg.request_timeout_ms, retries,
                                 &p->cfg.key, key);
    if (!rc)
        return ERR_NET;
    int r = reqclient_request(rc, reply, reply_len, req, req_len);

    /* Check it back in, unless the peer moved, left, or another thread
     * cached one meanwhile; and note whether the peer answered. */
    pthread_mutex_lock(&p->lock);
    e = peertab_find(&p->tab, peer_id);
    if (e && r == 0) {
        e->unresponsive = false;
        e->last_answer_ms = sock_now_ms();
        e->fails = 0;
        e->retry_ms = 0;
    } else if (e && r == ERR_TIMEOUT) {
        e->unresponsive = true;
        e->fails++;
        e->retry_ms = sock_now_ms() + p2p_backoff_ms(e->fails);
    }
    if (e && !e->rc && retries == p->cfg.request_retries &&
        strcmp(e->peer.req, endpoint) == 0) {
        e->rc = rc;
        rc = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    reqclient_free(&rc);
    return r;
}

int p2p_ask(p2p_t *p, uint64_t peer_id, uint64_t tag, const uint8_t *req,
            size_t len)
{
    if (!req || len == 0 || len > WIRE_MAX_MSG_SIZE)
        return ERR_ARG;
    pthread_mutex_lock(&p->lock);
    uint64_t now = sock_now_ms();
    peertab_entry_t *e = peertab_find(&p->tab, peer_id);
    bool known = e && !peertab_banned(&p->tab, e->peer.key, now);
    bool backed_off = known && now < e->retry_ms;
    pthread_mutex_unlock(&p->lock);
    if (!known)
        return ERR_NOT_FOUND;
    if (backed_off)
        return ERR_TIMEOUT;
    return asker_push(p->asker, peer_id, tag, req, len);
}

bool p2p_misbehaving(p2p_t *p, uint64_t peer_id, int points, const char *reason)
{
    pthread_mutex_lock(&p->lock);
    peertab_entry_t *e = peertab_find(&p->tab, peer_id);
    bool banned = e && peertab_score(&p->tab, e, points, reason, sock_now_ms());
    bool dirty = p->tab.dirty;
    pthread_mutex_unlock(&p->lock);
    if (dirty)
        p2p_wake_io(p);
    return banned;
}

static void info_of(p2p_t *p, p2p_peer_info_t *out, const peertab_entry_t *e,
                    uint64_t now)
{
    out->peer = e->peer;
    out->connected = e->connected;
    out->banned = peertab_banned(&p->tab, e->peer.key, now);
    out->score = peertab_score_at(e, now);
    out->messages = e->messages;
    out->bad_messages = e->bad_messages;
    out->dropped = e->dropped;
    out->queued = msgq_lane_count(p->inbox, e->peer.id);
    out->unresponsive = e->unresponsive;
    out->backoff_ms = e->retry_ms > now ? e->retry_ms - now : 0;
    out->last_answer_age_ms = e->last_answer_ms == 0 ? -1
                              : now > e->last_answer_ms
                                  ? (int64_t)(now - e->last_answer_ms)
                                  : 0;
}

size_t p2p_peers(p2p_t *p, p2p_peer_info_t *out, size_t max)
{
    pthread_mutex_lock(&p->lock);
    uint64_t now = sock_now_ms();
    size_t n = p->tab.n;
    for (size_t i = 0; i < n && i < max; i++)
        info_of(p, &out[i], &p->tab.peers[i], now);
    pthread_mutex_unlock(&p->lock);
    return n;
}

int p2p_peer(p2p_t *p, p2p_peer_info_t *out, uint64_t peer_id)
{
    pthread_mutex_lock(&p->lock);
    peertab_entry_t *e = peertab_find(&p->tab, peer_id);
    if (e)
        info_of(p, out, e, sock_now_ms());
    pthread_mutex_unlock(&p->lock);
    return e ? 0 : ERR_NOT_FOUND;
}

bool p2p_answering(p2p_t *p, uint64_t peer_id)
{
    pthread_mutex_lock(&p->lock);
    peertab_entry_t *e = peertab_find(&p->tab, peer_id);
    bool r = e && e->last_answer_ms != 0 && !e->unresponsive;
    pthread_mutex_unlock(&p->lock);
    return r;
}

uint64_t p2p_node_id(const p2p_t *p)
{
    return p->node_id;
}

const uint8_t *p2p_key(const p2p_t *p)
{
    return p->cfg.key.pub;
}

const identity_t *p2p_identity(const p2p_t *p)
{
    return &p->cfg.key;
}

const uint8_t *p2p_network_id(const p2p_t *p)
{
    return p->cfg.network_id;
}

const char *p2p_gossip_endpoint(const p2p_t *p)
{
    return p->gossip;
}

bool p2p_registered(p2p_t *p)
{
    pthread_mutex_lock(&p->lock);
    bool r = p->joined && p->link && trackerlink_registered(p->link);
    pthread_mutex_unlock(&p->lock);
    return r;
}

void p2p_wake(p2p_t *p)
{
    msgq_wake(p->inbox);
}
