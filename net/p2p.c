/*
 * p2p — peer map, inbox and outbox, the I/O thread and the tracker thread
 * (see p2p.h for the threading model).
 *
 * Shared state, all under p->lock:
 *   peers[]        the peer map: who we know, their scores and cached
 *                  request clients (checked out by p2p_request());
 *   bans[]         gossip endpoints banned, with the time the ban ends;
 *   inbox          messages for the node (a FIFO list, inbox_cond signals);
 *   outbox         frames waiting for the PUB socket (a FIFO list);
 *   peers_dirty    the map changed: the I/O thread must reconcile its SUBs;
 *   joined, registered, tracker_stop   the tracker thread's state.
 * Sockets are never shared: subs[], tracker_sub and pub belong to the I/O
 * thread; the tracker request client to the tracker thread (it is made in
 * p2p_join_network() and handed over at pthread_create(), a full barrier).
 *
 * Lock order: p->lock is the only lock, and no ZeroMQ call that can block is
 * made while holding it (zmq_connect and zmq_close return at once; requests
 * run unlocked).
 */
#include "p2p.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "params.h"
#include "reqclient.h"

/* Points for what the I/O thread finds wrong with a peer's frame. */
#define SCORE_MALFORMED 20
#define SCORE_WRONG_NETWORK 100 /* not even on our network: ban at once */
#define SCORE_MISPLACED 10      /* a type that does not belong on gossip */

#define RECONCILE_MS 500
#define MAX_BANS 64
/* Frames read from one socket before looking at the others. */
#define BURST 64

typedef struct item {
    struct item *next;
    p2p_msg_t msg;
} item_t;

typedef struct {
    item_t *head, *tail;
    size_t n;
} queue_t;

typedef struct {
    wire_peer_t peer;
    int score;
    reqclient_t *rc; /* cached request client; NULL while checked out */
    bool manual;     /* added by p2p_add_peer(): the tracker cannot drop it */
    bool connected;
    uint64_t messages, bad_messages, dropped;
    size_t inbox_bytes;      /* of its frames waiting in the inbox */
    bool unresponsive;       /* its last request timed out */
    uint64_t last_answer_ms; /* when it last answered one; 0: never */
    uint16_t other_version;  /* the last other wire version it was seen to
                                speak (logged once per change); 0: none */
} entry_t;

typedef struct {
    char gossip[WIRE_MAX_STR + 1];
    uint64_t until_ms;
} ban_t;

typedef struct {
    uint64_t peer_id;
    char gossip[WIRE_MAX_STR + 1];
    void *sock;
} sub_t;

struct p2p {
    p2p_config_t cfg;
    uint64_t node_id;
    char gossip[SOCK_ENDPOINT_MAX];      /* advertised */
    char tracker_pub[SOCK_ENDPOINT_MAX]; /* resolved */

    pthread_mutex_t lock;
    pthread_cond_t inbox_cond;
    pthread_cond_t tracker_cond;
    entry_t peers[P2P_MAX_PEERS];
    size_t n_peers;
    ban_t bans[MAX_BANS];
    size_t n_bans;
    queue_t inbox, outbox;
    uint64_t inbox_dropped;
    bool peers_dirty;
    bool joined, registered, tracker_stop;

    /* I/O thread */
    pthread_t io_thread;
    bool io_started;
    atomic_int io_stop;
    int wake_fd;
    void *pub;
    void *tracker_sub;
    sub_t subs[P2P_MAX_PEERS];
    size_t n_subs;

    /* tracker thread */
    pthread_t tracker_thread;
    bool tracker_started;
    reqclient_t *tracker_rc;
    uint32_t tracker_timeout_ms; /* peer timeout the tracker announced */
};

/* ---- small helpers ------------------------------------------------------- */

/* An absolute CLOCK_MONOTONIC time ms from now, for the condition variables
 * (which are set up to use that clock, so a change of the wall clock
 * neither shortens nor stretches a wait). */
static struct timespec deadline_in(uint32_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void wake_io(p2p_t *p)
{
    uint64_t one = 1;
    /* A full counter (never in practice) still wakes the poll. */
    if (write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_debug("p2p", "wake: %s", strerror(errno));
}

static void queue_push(queue_t *q, item_t *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
}

static item_t *queue_pop(queue_t *q)
{
    item_t *it = q->head;
    if (it) {
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    return it;
}

static void queue_free(queue_t *q)
{
    item_t *it;
    while ((it = queue_pop(q))) {
        free(it->msg.data);
        free(it);
    }
}

void p2p_msg_clear(p2p_msg_t *msg)
{
    if (!msg)
        return;
    free(msg->data);
    memset(msg, 0, sizeof *msg);
}

/* Caller holds the lock. */
static entry_t *find_peer(p2p_t *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_peers; i++)
        if (p->peers[i].peer.id == id)
            return &p->peers[i];
    return NULL;
}

/* Caller holds the lock. Expired bans are forgotten here. */
static bool is_banned(p2p_t *p, const char *gossip, uint64_t now)
{
    for (size_t i = 0; i < p->n_bans;) {
        if (p->bans[i].until_ms <= now) {
            p->bans[i] = p->bans[--p->n_bans];
            continue;
        }
        if (strcmp(p->bans[i].gossip, gossip) == 0)
            return true;
        i++;
    }
    return false;
}

/* Caller holds the lock. */
static void ban(p2p_t *p, const char *gossip, uint64_t until)
{
    for (size_t i = 0; i < p->n_bans; i++)
        if (strcmp(p->bans[i].gossip, gossip) == 0) {
            p->bans[i].until_ms = until;
            return;
        }
    size_t slot = p->n_bans < MAX_BANS ? p->n_bans++ : 0;
    if (slot == 0 && p->n_bans == MAX_BANS) {
        /* Full: replace the ban that ends first. */
        for (size_t i = 1; i < MAX_BANS; i++)
            if (p->bans[i].until_ms < p->bans[slot].until_ms)
                slot = i;
    }
    strcpy(p->bans[slot].gossip, gossip);
    p->bans[slot].until_ms = until;
}

static bool is_self(const p2p_t *p, const wire_peer_t *peer)
{
    return peer->id == p->node_id || strcmp(peer->gossip, p->gossip) == 0;
}

/* Adds or updates a peer. Caller holds the lock. Returns 0 or ERR_FULL. */
static int upsert_peer(p2p_t *p, const wire_peer_t *peer, bool manual)
{
    if (is_self(p, peer))
        return 0;
    entry_t *e = find_peer(p, peer->id);
    if (!e) {
        /* The same endpoint under a new id is the same node restarted. */
        for (size_t i = 0; i < p->n_peers; i++)
            if (strcmp(p->peers[i].peer.gossip, peer->gossip) == 0) {
                e = &p->peers[i];
                break;
            }
    }
    if (e) {
        if (strcmp(e->peer.req, peer->req) != 0) {
            reqclient_free(&e->rc);
            e->unresponsive = false; /* a new endpoint: not asked yet */
        }
        e->peer = *peer;
        e->manual = e->manual || manual;
    } else {
        if (p->n_peers >= P2P_MAX_PEERS)
            return ERR_FULL;
        e = &p->peers[p->n_peers++];
        memset(e, 0, sizeof *e);
        e->peer = *peer;
        e->manual = manual;
        log_info("p2p", "peer %016llx: gossip %s, requests %s",
                 (unsigned long long)peer->id, peer->gossip, peer->req);
    }
    p->peers_dirty = true;
    return 0;
}

/* Caller holds the lock. */
static void remove_peer(p2p_t *p, uint64_t id)
{
    entry_t *e = find_peer(p, id);
    if (!e)
        return;
    log_info("p2p", "peer %016llx gone", (unsigned long long)id);
    reqclient_free(&e->rc);
    *e = p->peers[--p->n_peers];
    p->peers_dirty = true;
}

/* Caller holds the lock. */
static void clear_peers(p2p_t *p)
{
    for (size_t i = 0; i < p->n_peers; i++)
        reqclient_free(&p->peers[i].rc);
    p->n_peers = 0;
    p->peers_dirty = true;
}

/* Scores a peer; returns true when it is (now) banned. Caller holds lock. */
static bool score_locked(p2p_t *p, entry_t *e, int points, const char *why)
{
    uint64_t now = sock_now_ms();
    if (is_banned(p, e->peer.gossip, now))
        return true;
    e->score += points;
    log_warn("p2p", "peer %016llx misbehaves (+%d = %d): %s",
             (unsigned long long)e->peer.id, points, e->score,
             why ? why : "unspecified");
    if (e->score < p->cfg.ban_threshold)
        return false;
    log_warn("p2p", "peer %016llx banned for %u ms",
             (unsigned long long)e->peer.id, p->cfg.ban_ms);
    ban(p, e->peer.gossip, now + p->cfg.ban_ms);
    e->score = 0;
    p->peers_dirty = true;
    return true;
}

/* Queues an inbox item; takes ownership of data. Caller holds the lock.
 * Returns false when the item was dropped (inbox full). */
static bool inbox_push(p2p_t *p, p2p_source_t src, uint64_t peer_id,
                       uint16_t type, uint8_t *data, size_t len)
{
    item_t *it = malloc(sizeof *it);
    if (!it || p->inbox.n >= p->cfg.inbox_max) {
        p->inbox_dropped++;
        if (p->inbox_dropped == 1 || p->inbox_dropped % 1000 == 0)
            log_warn("p2p", "inbox full: %llu messages dropped",
                     (unsigned long long)p->inbox_dropped);
        free(it);
        free(data);
        return false;
    }
    it->msg.source = src;
    it->msg.peer_id = peer_id;
    it->msg.type = type;
    it->msg.data = data;
    it->msg.len = len;
    queue_push(&p->inbox, it);
    pthread_cond_signal(&p->inbox_cond);
    return true;
}

/* ---- I/O thread ---------------------------------------------------------- */

static void *open_sub(const char *endpoint)
{
    void *s = sock_new(ZMQ_SUB);
    if (!s)
        return NULL;
    if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0 ||
        zmq_connect(s, endpoint) != 0) {
        log_warn("p2p", "cannot subscribe to %s: %s", endpoint,
                 zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Makes the SUB sockets match the peer map. I/O thread, lock held. */
static void reconcile(p2p_t *p)
{
    uint64_t now = sock_now_ms();
    for (size_t i = 0; i < p->n_subs;) {
        sub_t *s = &p->subs[i];
        entry_t *e = find_peer(p, s->peer_id);
        if (e && strcmp(e->peer.gossip, s->gossip) == 0 &&
            !is_banned(p, s->gossip, now)) {
            i++;
            continue;
        }
        if (e)
            e->connected = false;
        log_debug("p2p", "unsubscribing from %s", s->gossip);
        sock_close(&s->sock);
        *s = p->subs[--p->n_subs];
    }
    for (size_t i = 0; i < p->n_peers; i++) {
        entry_t *e = &p->peers[i];
        bool have = false;
        for (size_t j = 0; j < p->n_subs && !have; j++)
            have = p->subs[j].peer_id == e->peer.id;
        e->connected = have;
        if (have || is_banned(p, e->peer.gossip, now) ||
            p->n_subs >= P2P_MAX_PEERS)
            continue;
        void *s = open_sub(e->peer.gossip);
        if (!s)
            continue;
        sub_t *sub = &p->subs[p->n_subs++];
        sub->peer_id = e->peer.id;
        strcpy(sub->gossip, e->peer.gossip);
        sub->sock = s;
        e->connected = true;
        log_debug("p2p", "subscribed to %s", e->peer.gossip);
    }
    bool want_tracker = p->joined && p->tracker_pub[0];
    if (want_tracker && !p->tracker_sub)
        p->tracker_sub = open_sub(p->tracker_pub);
    else if (!want_tracker && p->tracker_sub)
        sock_close(&p->tracker_sub);
    p->peers_dirty = false;
}

static bool gossip_type(uint16_t type)
{
    return type == WIRE_NEW_BLOCK || type == WIRE_NEW_TX ||
           type == WIRE_NEW_TXS || type == WIRE_TIP;
}

/* Checks one frame from a peer and queues it, or scores the peer. */
static void from_peer(p2p_t *p, uint64_t peer_id, uint8_t *data, size_t len)
{
    wire_msg_t m;
    wire_msg_init(&m, 0);
    int rc = wire_decode(&m, p->cfg.network_id, data, len);
    uint16_t type = m.type;
    if (rc == 0)
        wire_msg_clear(&m);
    pthread_mutex_lock(&p->lock);
    entry_t *e = find_peer(p, peer_id);
    if (!e) { /* removed while the frame was in flight */
        pthread_mutex_unlock(&p->lock);
        free(data);
        return;
    }
    if (rc == 0 && gossip_type(type)) {
        e->messages++;
        /* Over its share, unless nothing of its is waiting (so a frame
         * larger than the share still gets through, one at a time). */
        if (e->inbox_bytes && e->inbox_bytes + len > p->cfg.peer_inbox_bytes) {
            if (e->dropped++ % 1000 == 0)
                log_warn("p2p",
                         "peer %016llx: its share of the inbox is "
                         "full; %llu frames dropped",
                         (unsigned long long)peer_id,
                         (unsigned long long)e->dropped);
            pthread_mutex_unlock(&p->lock);
            free(data);
            return;
        }
        if (inbox_push(p, P2P_FROM_PEER, peer_id, type, data, len))
            e->inbox_bytes += len;
        pthread_mutex_unlock(&p->lock);
        return;
    }
    wire_envelope_t env;
    if (rc == ERR_UNSUPPORTED && wire_read_envelope(&env, data, len) == 0) {
        /* Not garbage: a node of another build (p2p.h, "Misbehaviour"). */
        if (env.version != e->other_version)
            log_warn("p2p", "peer %016llx speaks wire version %u, this node %u",
                     (unsigned long long)peer_id, (unsigned)env.version,
                     (unsigned)WIRE_VERSION);
        e->other_version = env.version;
        pthread_mutex_unlock(&p->lock);
        free(data);
        return;
    }
    e->bad_messages++;
    if (rc == 0)
        score_locked(p, e, SCORE_MISPLACED, wire_type_name(type));
    else if (rc == ERR_INVALID)
        score_locked(p, e, SCORE_WRONG_NETWORK, "another network's message");
    else
        score_locked(p, e, SCORE_MALFORMED, "malformed message");
    pthread_mutex_unlock(&p->lock);
    free(data);
}

/* Handles one frame from the tracker's PUB. */
static void from_tracker(p2p_t *p, uint8_t *data, size_t len)
{
    wire_msg_t m;
    if (wire_decode(&m, p->cfg.network_id, data, len) != 0) {
        log_debug("p2p", "dropped a malformed frame from the tracker");
        free(data);
        return;
    }
    pthread_mutex_lock(&p->lock);
    switch (m.type) {
    case WIRE_PEER_JOINED:
        if (!is_self(p, &m.u.peer))
            upsert_peer(p, &m.u.peer, false);
        break;
    case WIRE_PEER_LEFT: {
        entry_t *e = find_peer(p, m.u.peer.id);
        if (e && strcmp(e->peer.gossip, m.u.peer.gossip) == 0)
            remove_peer(p, m.u.peer.id);
        break;
    }
    case WIRE_NEW_TXS: /* submitted transactions, batched */
    case WIRE_TX:      /* the same, one per frame (older trackers) */
        break;
    default:
        m.type = 0; /* nothing else belongs on the tracker's PUB */
        break;
    }
    bool self = (m.type == WIRE_PEER_JOINED || m.type == WIRE_PEER_LEFT) &&
                is_self(p, &m.u.peer);
    if (m.type && !self)
        inbox_push(p, P2P_FROM_TRACKER, 0, m.type, data, len);
    else
        free(data);
    pthread_mutex_unlock(&p->lock);
    wire_msg_clear(&m);
}

static void drain_outbox(p2p_t *p)
{
    for (;;) {
        pthread_mutex_lock(&p->lock);
        item_t *it = queue_pop(&p->outbox);
        pthread_mutex_unlock(&p->lock);
        if (!it)
            return;
        /* PUB drops at its high-water mark rather than block. */
        if (sock_send(p->pub, it->msg.data, it->msg.len, ZMQ_DONTWAIT) != 0)
            log_debug("p2p", "publish dropped");
        free(it->msg.data);
        free(it);
    }
}

/* Reads what is queued on one SUB socket, at most BURST frames. */
static void read_sub(p2p_t *p, void *sock, uint64_t peer_id, bool tracker)
{
    for (int i = 0; i < BURST; i++) {
        uint8_t *data;
        size_t len;
        int rc = sock_recv(sock, &data, &len, ZMQ_DONTWAIT);
        if (rc == ERR_TIMEOUT || rc == ERR_NET || rc == ERR_NOMEM)
            return;
        if (rc == ERR_PARSE) { /* a multi-frame message */
            if (!tracker) {
                pthread_mutex_lock(&p->lock);
                entry_t *e = find_peer(p, peer_id);
                if (e) {
                    e->bad_messages++;
                    score_locked(p, e, SCORE_MALFORMED, "multi-frame message");
                }
                pthread_mutex_unlock(&p->lock);
            }
            continue;
        }
        if (tracker)
            from_tracker(p, data, len);
        else
            from_peer(p, peer_id, data, len);
    }
}

static void *io_main(void *arg)
{
    p2p_t *p = arg;
    zmq_pollitem_t items[2 + P2P_MAX_PEERS];
    uint64_t ids[P2P_MAX_PEERS];
    uint64_t next_reconcile = 0;
    while (!atomic_load(&p->io_stop)) {
        pthread_mutex_lock(&p->lock);
        uint64_t now = sock_now_ms();
        if (p->peers_dirty || now >= next_reconcile) {
            reconcile(p);
            next_reconcile = now + RECONCILE_MS;
        }
        pthread_mutex_unlock(&p->lock);

        /* The sockets are ours alone; the lock only guarded the map. */
        size_t n = 0;
        items[n++] = (zmq_pollitem_t){NULL, p->wake_fd, ZMQ_POLLIN, 0};
        void *tsub = p->tracker_sub;
        if (tsub)
            items[n++] = (zmq_pollitem_t){tsub, 0, ZMQ_POLLIN, 0};
        size_t first_sub = n;
        for (size_t i = 0; i < p->n_subs; i++) {
            ids[i] = p->subs[i].peer_id;
            items[n++] = (zmq_pollitem_t){p->subs[i].sock, 0, ZMQ_POLLIN, 0};
        }
        int rc = zmq_poll(items, (int)n, RECONCILE_MS);
        if (rc < 0 && errno != EINTR) {
            log_error("p2p", "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        if (rc <= 0)
            continue;
        if (items[0].revents & ZMQ_POLLIN) {
            uint64_t v;
            if (read(p->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                log_debug("p2p", "wake read: %s", strerror(errno));
        }
        drain_outbox(p);
        if (tsub && (items[1].revents & ZMQ_POLLIN))
            read_sub(p, tsub, 0, true);
        for (size_t i = first_sub; i < n; i++)
            if (items[i].revents & ZMQ_POLLIN)
                read_sub(p, items[i].socket, ids[i - first_sub], false);
    }
    drain_outbox(p);
    return NULL;
}

/* ---- tracker thread ------------------------------------------------------ */

/* One request to the tracker, decoded. Tracker thread (or join). */
static int tracker_ask(p2p_t *p, reqclient_t *rc, wire_msg_t *reply,
                       uint8_t **raw, const wire_msg_t *req)
{
    buf_t b;
    buf_init(&b);
    int r = wire_encode(&b, p->cfg.network_id, req);
    if (r) {
        buf_deinit(&b);
        return r;
    }
    size_t len;
    r = reqclient_request(rc, raw, &len, b.data, b.len);
    buf_deinit(&b);
    if (r)
        return r;
    r = wire_decode(reply, p->cfg.network_id, *raw, len);
    wire_envelope_t env;
    if (r && r != ERR_NOMEM && wire_read_envelope(&env, *raw, len) == 0 &&
        (r == ERR_INVALID || r == ERR_UNSUPPORTED)) {
        /* A tracker of another network or wire version that answers in
         * its own framing: not garbage, a tracker we cannot use. */
        if (r == ERR_INVALID)
            log_warn("p2p", "tracker %s: tracker is on %s, this node on %s",
                     p->cfg.tracker, params_network_name(env.network_id),
                     params_network_name(p->cfg.network_id));
        else
            log_warn("p2p",
                     "tracker %s: tracker speaks wire version %u, this "
                     "node %u",
                     p->cfg.tracker, (unsigned)env.version,
                     (unsigned)WIRE_VERSION);
        free(*raw);
        return ERR_INVALID;
    }
    if (r) {
        free(*raw);
        log_warn("p2p", "tracker sent a bad reply: %s", err_str(r));
        return ERR_PARSE;
    }
    if (reply->type == WIRE_ERROR) {
        log_warn("p2p", "tracker %s refused %s: %s (%s)", p->cfg.tracker,
                 wire_type_name(req->type), reply->u.error.reason,
                 err_str(reply->u.error.code));
        wire_msg_clear(reply);
        free(*raw);
        return ERR_INVALID;
    }
    return 0;
}

/* Adds the tracker's peers to the map. With prune, also drops the peers we
 * learned from the tracker that it no longer lists: the way a lost
 * PEER_LEFT is made up for. REGISTER_OK does not prune, because right after
 * a tracker restart its list is missing every node that has not registered
 * again yet. */
static void merge_peer_list(p2p_t *p, const wire_msg_t *m, bool prune)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; prune && i < p->n_peers;) {
        bool listed = false;
        for (size_t j = 0; j < m->u.peer_list.count && !listed; j++)
            listed = m->u.peer_list.peers[j].id == p->peers[i].peer.id;
        if (listed || p->peers[i].manual)
            i++;
        else
            remove_peer(p, p->peers[i].peer.id);
    }
    for (size_t i = 0; i < m->u.peer_list.count; i++)
        if (upsert_peer(p, &m->u.peer_list.peers[i], false) == ERR_FULL)
            break;
    p->tracker_timeout_ms = m->u.peer_list.peer_timeout_ms;
    pthread_mutex_unlock(&p->lock);
    wake_io(p);
}

static int do_register(p2p_t *p, reqclient_t *rc)
{
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer.id = p->node_id;
    strcpy(req.u.peer.req, p->cfg.request_advertise);
    strcpy(req.u.peer.gossip, p->gossip);
    int r = tracker_ask(p, rc, &reply, &raw, &req);
    if (r)
        return r;
    if (reply.type != WIRE_REGISTER_OK) {
        wire_msg_clear(&reply);
        free(raw);
        return ERR_PARSE;
    }
    merge_peer_list(p, &reply, false);
    log_info("p2p", "registered with %s as %016llx: %u peers", p->cfg.tracker,
             (unsigned long long)p->node_id, (unsigned)reply.u.peer_list.count);
    wire_msg_clear(&reply);
    free(raw);
    return 0;
}

static int do_peers(p2p_t *p, reqclient_t *rc)
{
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_PEERS);
    int r = tracker_ask(p, rc, &reply, &raw, &req);
    if (r)
        return r;
    if (reply.type == WIRE_PEER_LIST)
        merge_peer_list(p, &reply, true);
    wire_msg_clear(&reply);
    free(raw);
    return 0;
}

/* PING. Returns 0 (known), ERR_NOT_FOUND (register again) or an error. */
static int do_ping(p2p_t *p, reqclient_t *rc, uint32_t *tracker_peers)
{
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_PING);
    req.u.node_id = p->node_id;
    int r = tracker_ask(p, rc, &reply, &raw, &req);
    if (r)
        return r;
    if (reply.type != WIRE_PONG)
        r = ERR_PARSE;
    else if (!reply.u.pong.known)
        r = ERR_NOT_FOUND;
    else
        *tracker_peers = reply.u.pong.peers;
    wire_msg_clear(&reply);
    free(raw);
    return r;
}

static uint32_t ping_interval(p2p_t *p)
{
    if (p->cfg.ping_interval_ms)
        return p->cfg.ping_interval_ms;
    pthread_mutex_lock(&p->lock);
    uint32_t t = p->tracker_timeout_ms;
    pthread_mutex_unlock(&p->lock);
    return t ? (t / 3 ? t / 3 : 1) : 5000;
}

static void set_registered(p2p_t *p, bool v)
{
    pthread_mutex_lock(&p->lock);
    p->registered = v;
    pthread_mutex_unlock(&p->lock);
}

/* Sleeps until the deadline or a stop; returns true on stop. */
static bool tracker_sleep(p2p_t *p, uint32_t ms)
{
    struct timespec ts = deadline_in(ms);
    pthread_mutex_lock(&p->lock);
    while (!p->tracker_stop &&
           pthread_cond_timedwait(&p->tracker_cond, &p->lock, &ts) == 0)
        ;
    bool stop = p->tracker_stop;
    pthread_mutex_unlock(&p->lock);
    return stop;
}

static void *tracker_main(void *arg)
{
    p2p_t *p = arg;
    reqclient_t *rc = p->tracker_rc;
    bool down_logged = false;
    while (!tracker_sleep(p, ping_interval(p))) {
        pthread_mutex_lock(&p->lock);
        bool registered = p->registered;
        size_t known = p->n_peers;
        pthread_mutex_unlock(&p->lock);
        int r;
        uint32_t tracker_peers = 0;
        if (registered) {
            r = do_ping(p, rc, &tracker_peers);
            if (r == ERR_NOT_FOUND) {
                log_info("p2p", "tracker does not know us: registering again");
                r = do_register(p, rc);
            } else if (r == 0 && tracker_peers != known + 1) {
                /* An announcement may have been lost: ask for the list. */
                do_peers(p, rc);
            }
        } else {
            r = do_register(p, rc);
        }
        /* Not registered (or no longer sure we are): the next round
         * REGISTERs, which is idempotent, instead of PINGing. */
        set_registered(p, r == 0);
        if (r == 0) {
            if (down_logged)
                log_info("p2p", "tracker %s is back", p->cfg.tracker);
            down_logged = false;
        } else if (r == ERR_TIMEOUT || r == ERR_NET) {
            if (!down_logged)
                log_warn("p2p",
                         "tracker %s unreachable (%s); carrying on with %zu "
                         "known peers",
                         p->cfg.tracker, err_str(r), known);
            down_logged = true;
        }
    }
    pthread_mutex_lock(&p->lock);
    bool registered = p->registered;
    pthread_mutex_unlock(&p->lock);
    if (registered) {
        /* One short attempt: leaving must not hang on a dead tracker; the
         * tracker expires us anyway. */
        reqclient_t *quick =
            reqclient_new(p->cfg.tracker, p->cfg.tracker_timeout_ms, 0);
        if (quick) {
            wire_msg_t req, reply;
            uint8_t *raw;
            wire_msg_init(&req, WIRE_LEAVE);
            req.u.node_id = p->node_id;
            if (tracker_ask(p, quick, &reply, &raw, &req) == 0) {
                wire_msg_clear(&reply);
                free(raw);
            }
            reqclient_free(&quick);
        }
        set_registered(p, false);
    }
    return NULL;
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
    cfg->ban_threshold = 100;
    cfg->ban_ms = 10 * 60 * 1000;
    cfg->inbox_max = 10000;
    cfg->peer_inbox_bytes = 16u * 1024 * 1024;
}

static bool config_ok(const p2p_config_t *c)
{
    return c->request_timeout_ms > 0 && c->request_retries >= 0 &&
           c->tracker_timeout_ms > 0 && c->tracker_retries >= 0 &&
           c->ban_threshold > 0 && c->inbox_max > 0 &&
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
    p->node_id = cfg->node_id;
    while (p->node_id == 0)
        if (getrandom(&p->node_id, sizeof p->node_id, 0) !=
            (ssize_t)sizeof p->node_id) {
            free(p);
            return NULL;
        }
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->inbox_cond, &ca);
    pthread_cond_init(&p->tracker_cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&p->io_stop, 0);

    char bound[SOCK_ENDPOINT_MAX];
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->pub = sock_new(ZMQ_PUB);
    if (p->wake_fd < 0 || !p->pub ||
        sock_bind(p->pub, bound, sizeof bound, cfg->gossip_bind) != 0 ||
        advertised_gossip(p, bound) != 0 || resolve_tracker_pub(p) != 0) {
        log_error("p2p", "cannot set up gossip on %s", cfg->gossip_bind);
        p2p_free(&p);
        return NULL;
    }
    if (pthread_create(&p->io_thread, NULL, io_main, p) != 0) {
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
    p2p_leave_network(p);
    if (p->io_started) {
        atomic_store(&p->io_stop, 1);
        wake_io(p);
        pthread_join(p->io_thread, NULL);
    }
    for (size_t i = 0; i < p->n_subs; i++)
        sock_close(&p->subs[i].sock);
    sock_close(&p->tracker_sub);
    sock_close(&p->pub);
    clear_peers(p);
    queue_free(&p->inbox);
    queue_free(&p->outbox);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    pthread_cond_destroy(&p->inbox_cond);
    pthread_cond_destroy(&p->tracker_cond);
    pthread_mutex_destroy(&p->lock);
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
    reqclient_t *rc = reqclient_new(p->cfg.tracker, p->cfg.tracker_timeout_ms,
                                    p->cfg.tracker_retries);
    if (!rc)
        return ERR_ARG;
    int r = do_register(p, rc);
    if (r == ERR_INVALID || r == ERR_PARSE) {
        reqclient_free(&rc);
        return ERR_INVALID;
    }
    pthread_mutex_lock(&p->lock);
    p->joined = true;
    p->registered = r == 0;
    p->tracker_stop = false;
    p->peers_dirty = true; /* subscribe to the tracker's PUB */
    pthread_mutex_unlock(&p->lock);
    wake_io(p);
    p->tracker_rc = rc;
    if (pthread_create(&p->tracker_thread, NULL, tracker_main, p) != 0) {
        reqclient_free(&p->tracker_rc);
        pthread_mutex_lock(&p->lock);
        p->joined = false;
        p->peers_dirty = true;
        pthread_mutex_unlock(&p->lock);
        return ERR_NOMEM;
    }
    p->tracker_started = true;
    if (r)
        log_warn("p2p", "tracker %s did not answer (%s); will keep trying",
                 p->cfg.tracker, err_str(r));
    return r;
}

void p2p_leave_network(p2p_t *p)
{
    if (p->tracker_started) {
        pthread_mutex_lock(&p->lock);
        p->tracker_stop = true;
        pthread_cond_signal(&p->tracker_cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->tracker_thread, NULL);
        p->tracker_started = false;
        reqclient_free(&p->tracker_rc);
    }
    pthread_mutex_lock(&p->lock);
    bool was = p->joined;
    p->joined = false;
    p->registered = false;
    clear_peers(p);
    pthread_mutex_unlock(&p->lock);
    wake_io(p);
    if (was)
        log_info("p2p", "left the network");
}

int p2p_add_peer(p2p_t *p, const wire_peer_t *peer)
{
    if (!peer || peer->id == 0 || !wire_str_valid(peer->req) ||
        !wire_str_valid(peer->gossip))
        return ERR_ARG;
    pthread_mutex_lock(&p->lock);
    int r = upsert_peer(p, peer, true);
    pthread_mutex_unlock(&p->lock);
    wake_io(p);
    return r;
}

int p2p_broadcast(p2p_t *p, const uint8_t *data, size_t len)
{
    if (!data || len == 0 || len > WIRE_MAX_MSG_SIZE)
        return ERR_ARG;
    item_t *it = malloc(sizeof *it);
    uint8_t *copy = malloc(len);
    if (!it || !copy) {
        free(it);
        free(copy);
        return ERR_NOMEM;
    }
    memcpy(copy, data, len);
    memset(&it->msg, 0, sizeof it->msg);
    it->msg.data = copy;
    it->msg.len = len;
    pthread_mutex_lock(&p->lock);
    bool full = p->outbox.n >= p->cfg.inbox_max;
    if (!full)
        queue_push(&p->outbox, it);
    pthread_mutex_unlock(&p->lock);
    if (full) {
        free(copy);
        free(it);
        return ERR_FULL;
    }
    wake_io(p);
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
    struct timespec ts = deadline_in(timeout_ms > 0 ? (uint32_t)timeout_ms : 0);
    pthread_mutex_lock(&p->lock);
    while (!p->inbox.head && timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&p->inbox_cond, &p->lock);
        else if (pthread_cond_timedwait(&p->inbox_cond, &p->lock, &ts) != 0)
            break;
    }
    item_t *it = queue_pop(&p->inbox);
    if (it && it->msg.source == P2P_FROM_PEER) {
        entry_t *e = find_peer(p, it->msg.peer_id);
        if (e) /* (a peer removed and added again starts from 0) */
            e->inbox_bytes -=
                it->msg.len < e->inbox_bytes ? it->msg.len : e->inbox_bytes;
    }
    pthread_mutex_unlock(&p->lock);
    if (!it)
        return ERR_TIMEOUT;
    *msg = it->msg;
    free(it);
    return 0;
}

int p2p_request(p2p_t *p, uint8_t **reply, size_t *reply_len, uint64_t peer_id,
                const uint8_t *req, size_t req_len)
{
    char endpoint[SOCK_ENDPOINT_MAX];
    pthread_mutex_lock(&p->lock);
    entry_t *e = find_peer(p, peer_id);
    if (!e || is_banned(p, e->peer.gossip, sock_now_ms())) {
        pthread_mutex_unlock(&p->lock);
        return ERR_NOT_FOUND;
    }
    strcpy(endpoint, e->peer.req);
    reqclient_t *rc = e->rc; /* check the cached client out */
    e->rc = NULL;
    pthread_mutex_unlock(&p->lock);

    if (!rc)
        rc = reqclient_new(endpoint, p->cfg.request_timeout_ms,
                           p->cfg.request_retries);
    if (!rc)
        return ERR_NET;
    int r = reqclient_request(rc, reply, reply_len, req, req_len);

    /* Check it back in, unless the peer moved, left, or another thread
     * cached one meanwhile; and note whether the peer answered. */
    pthread_mutex_lock(&p->lock);
    e = find_peer(p, peer_id);
    if (e && r == 0) {
        e->unresponsive = false;
        e->last_answer_ms = sock_now_ms();
    } else if (e && r == ERR_TIMEOUT) {
        e->unresponsive = true;
    }
    if (e && !e->rc && strcmp(e->peer.req, endpoint) == 0) {
        e->rc = rc;
        rc = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    reqclient_free(&rc);
    return r;
}

bool p2p_misbehaving(p2p_t *p, uint64_t peer_id, int points, const char *reason)
{
    pthread_mutex_lock(&p->lock);
    entry_t *e = find_peer(p, peer_id);
    bool banned = e && score_locked(p, e, points, reason);
    bool dirty = p->peers_dirty;
    pthread_mutex_unlock(&p->lock);
    if (dirty)
        wake_io(p);
    return banned;
}

static void info_of(p2p_t *p, p2p_peer_info_t *out, const entry_t *e,
                    uint64_t now)
{
    out->peer = e->peer;
    out->connected = e->connected;
    out->banned = is_banned(p, e->peer.gossip, now);
    out->score = e->score;
    out->messages = e->messages;
    out->bad_messages = e->bad_messages;
    out->dropped = e->dropped;
    out->unresponsive = e->unresponsive;
    out->last_answer_age_ms = e->last_answer_ms == 0 ? -1
                              : now > e->last_answer_ms
                                  ? (int64_t)(now - e->last_answer_ms)
                                  : 0;
}

size_t p2p_peers(p2p_t *p, p2p_peer_info_t *out, size_t max)
{
    pthread_mutex_lock(&p->lock);
    uint64_t now = sock_now_ms();
    size_t n = p->n_peers;
    for (size_t i = 0; i < n && i < max; i++)
        info_of(p, &out[i], &p->peers[i], now);
    pthread_mutex_unlock(&p->lock);
    return n;
}

int p2p_peer(p2p_t *p, p2p_peer_info_t *out, uint64_t peer_id)
{
    pthread_mutex_lock(&p->lock);
    entry_t *e = find_peer(p, peer_id);
    if (e)
        info_of(p, out, e, sock_now_ms());
    pthread_mutex_unlock(&p->lock);
    return e ? 0 : ERR_NOT_FOUND;
}

uint64_t p2p_node_id(const p2p_t *p)
{
    return p->node_id;
}

const char *p2p_gossip_endpoint(const p2p_t *p)
{
    return p->gossip;
}

bool p2p_registered(p2p_t *p)
{
    pthread_mutex_lock(&p->lock);
    bool r = p->registered;
    pthread_mutex_unlock(&p->lock);
    return r;
}
