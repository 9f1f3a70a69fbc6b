/*
 * p2p_io — the I/O thread: the one owner of the PUB socket, the tracker's
 * SUB and every peer's SUB (p2p.h, "Threads").
 *
 * Each turn it reconciles its SUBs with the peer map when the map changed
 * (or every P2P_RECONCILE_MS, for bans that expire), polls every socket
 * and the wake eventfd together, publishes what the outbox holds, and reads
 * at most BURST frames from each readable SUB before looking at the
 * others, so one busy peer cannot starve the rest. Every frame is decoded
 * here, once: a good one goes into the inbox with its bytes, within its
 * sender's share; a bad one is dropped and scored against its sender
 * (score.h), except a frame of another wire version, which is logged, not
 * scored (p2p.h, "Misbehaviour").
 */
#include "p2p_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "score.h"

/* Frames read from one socket before looking at the others. */
#define BURST 64

void p2p_wake_io(p2p_t *p)
{
    uint64_t one = 1;
    /* A full counter (never in practice) still wakes the poll. */
    if (write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_debug("p2p", "wake: %s", strerror(errno));
}

/*
 * Queues a decoded inbox message; takes ownership of m and data (freed when
 * the message is dropped). Caller holds the lock.
 * Returns false when it was dropped (inbox full).
 */
static bool inbox_push(p2p_t *p, p2p_source_t src, uint64_t peer_id,
                       wire_msg_t *m, uint8_t *data, size_t len)
{
    p2p_msg_t msg = {.source = src,
                     .peer_id = peer_id,
                     .type = m->type,
                     .msg = *m,
                     .data = data,
                     .len = len};
    p2p_msg_t evicted;
    if (msgq_push(p->inbox, &msg, false, &evicted) == 0) {
        if (evicted.data) /* the inbox was full: a flooder's frame made room */
            p2p_drop_evicted(p, &evicted);
        return true;
    }
    p->inbox_dropped++;
    if (p->inbox_dropped == 1 || p->inbox_dropped % 1000 == 0)
        log_warn("p2p", "inbox full: %llu messages dropped",
                 (unsigned long long)p->inbox_dropped);
    p2p_msg_clear(&msg);
    return false;
}

void p2p_drop_evicted(p2p_t *p, p2p_msg_t *m)
{
    peertab_entry_t *e = peertab_find(&p->tab, m->peer_id);
    if (e) {
        e->inbox_bytes -= m->len < e->inbox_bytes ? m->len : e->inbox_bytes;
        if (e->dropped++ % 1000 == 0)
            log_warn("p2p",
                     "peer %016llx: the inbox is full and it has the most "
                     "waiting; %llu frames dropped",
                     (unsigned long long)m->peer_id,
                     (unsigned long long)e->dropped);
    }
    p2p_msg_clear(m);
}

void p2p_score_frame(p2p_t *p, peertab_entry_t *e, int rc, uint16_t type)
{
    if (rc == ERR_NOMEM)
        return;
    uint64_t now = sock_now_ms();
    e->bad_messages++;
    if (rc == 0)
        peertab_score(&p->tab, e, SCORE_MISPLACED, wire_type_name(type), now);
    else if (rc == ERR_INVALID)
        peertab_score(&p->tab, e, SCORE_WRONG_NETWORK,
                      "another network's message", now);
    else if (rc == ERR_UNSUPPORTED)
        peertab_score(&p->tab, e, SCORE_WRONG_VERSION, "unsupported version",
                      now);
    else
        peertab_score(&p->tab, e, SCORE_MALFORMED, "malformed message", now);
}

/* A SUB on endpoint that hears only the holder of key (CURVE). */
static void *open_sub(p2p_t *p, const char *endpoint, const uint8_t *key)
{
    void *s = sock_new(ZMQ_SUB);
    if (!s)
        return NULL;
    if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0 ||
        sock_curve_client(s, &p->cfg.key, key) != 0 ||
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
        p2p_sub_t *s = &p->subs[i];
        peertab_entry_t *e = peertab_find(&p->tab, s->peer_id);
        if (e && strcmp(e->peer.gossip, s->gossip) == 0 &&
            !peertab_banned(&p->tab, e->peer.key, now)) {
            i++;
            continue;
        }
        if (e)
            e->connected = false;
        log_debug("p2p", "unsubscribing from %s", s->gossip);
        sock_close(&s->sock);
        *s = p->subs[--p->n_subs];
    }
    for (size_t i = 0; i < p->tab.n; i++) {
        peertab_entry_t *e = &p->tab.peers[i];
        bool have = false;
        for (size_t j = 0; j < p->n_subs && !have; j++)
            have = p->subs[j].peer_id == e->peer.id;
        e->connected = have;
        if (have || peertab_banned(&p->tab, e->peer.key, now) ||
            p->n_subs >= P2P_MAX_PEERS)
            continue;
        void *s = open_sub(p, e->peer.gossip, e->peer.key);
        if (!s)
            continue;
        p2p_sub_t *sub = &p->subs[p->n_subs++];
        sub->peer_id = e->peer.id;
        strcpy(sub->gossip, e->peer.gossip);
        sub->sock = s;
        e->connected = true;
        log_debug("p2p", "subscribed to %s", e->peer.gossip);
    }
    /* The tracker's PUB once the link knows the tracker's key. */
    uint8_t tkey[WIRE_KEY_SIZE];
    bool want_tracker = p->joined && p->tracker_pub[0] && p->link &&
                        trackerlink_key(p->link, tkey);
    if (want_tracker && !p->tracker_sub)
        p->tracker_sub = open_sub(p, p->tracker_pub, tkey);
    else if (!want_tracker && p->tracker_sub)
        sock_close(&p->tracker_sub);
    p->tab.dirty = false;
}

static bool gossip_type(uint16_t type)
{
    return type == WIRE_NEW_BLOCK || type == WIRE_NEW_TX ||
           type == WIRE_NEW_TXS || type == WIRE_TIP;
}

/* Checks one frame from a peer and queues it decoded, or scores the peer.
 * Takes ownership of data. */
static void from_peer(p2p_t *p, uint64_t peer_id, uint8_t *data, size_t len)
{
    wire_msg_t m;
    int rc = wire_decode(&m, p->cfg.network_id, data, len);
    pthread_mutex_lock(&p->lock);
    peertab_entry_t *e = peertab_find(&p->tab, peer_id);
    if (e && rc == 0 && gossip_type(m.type)) {
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
        } else {
            if (inbox_push(p, P2P_FROM_PEER, peer_id, &m, data, len))
                e->inbox_bytes += len;
            else /* its lane is full, or the inbox and its lane longest */
                e->dropped++;
            pthread_mutex_unlock(&p->lock);
            return;
        }
    } else if (e && rc == ERR_UNSUPPORTED) {
        /* Not garbage: a node of another build (p2p.h, "Misbehaviour"). */
        wire_envelope_t env;
        if (wire_read_envelope(&env, data, len) == 0) {
            if (env.version != e->other_version)
                log_warn("p2p",
                         "peer %016llx speaks wire version %u, this node %u",
                         (unsigned long long)peer_id, (unsigned)env.version,
                         (unsigned)WIRE_VERSION);
            e->other_version = env.version;
        } else {
            p2p_score_frame(p, e, rc, 0);
        }
    } else if (e) { /* (gone: removed while the frame was in flight) */
        p2p_score_frame(p, e, rc, rc == 0 ? m.type : 0);
    }
    pthread_mutex_unlock(&p->lock);
    if (rc == 0)
        wire_msg_clear(&m);
    free(data);
}

/* Handles one frame from the tracker's PUB. Takes ownership of data. */
static void from_tracker(p2p_t *p, uint8_t *data, size_t len)
{
    wire_msg_t m;
    if (wire_decode(&m, p->cfg.network_id, data, len) != 0) {
        log_debug("p2p", "dropped a malformed frame from the tracker");
        free(data);
        return;
    }
    bool keep = false;
    pthread_mutex_lock(&p->lock);
    switch (m.type) {
    case WIRE_PEER_JOINED:
        keep = !peertab_is_self(&p->tab, &m.u.peer);
        if (keep)
            peertab_upsert(&p->tab, &m.u.peer, false);
        break;
    case WIRE_PEER_LEFT: {
        peertab_entry_t *e = peertab_find(&p->tab, m.u.peer.id);
        if (e && memcmp(e->peer.key, m.u.peer.key, WIRE_KEY_SIZE) == 0)
            peertab_remove(&p->tab, m.u.peer.id);
        keep = !peertab_is_self(&p->tab, &m.u.peer);
        break;
    }
    case WIRE_NEW_TXS: /* submitted transactions, batched */
    case WIRE_TX:      /* the same, one per frame (older trackers) */
        keep = true;
        break;
    default: /* nothing else belongs on the tracker's PUB */
        break;
    }
    if (keep)
        inbox_push(p, P2P_FROM_TRACKER, 0, &m, data, len);
    pthread_mutex_unlock(&p->lock);
    if (!keep) {
        wire_msg_clear(&m);
        free(data);
    }
}

static void drain_outbox(p2p_t *p)
{
    p2p_msg_t m;
    while (msgq_pop(p->outbox, &m, 0) == 0) {
        /* PUB drops at its high-water mark rather than block. */
        if (sock_send(p->pub, m.data, m.len, ZMQ_DONTWAIT) != 0)
            log_debug("p2p", "publish dropped");
        p2p_msg_clear(&m);
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
                peertab_entry_t *e = peertab_find(&p->tab, peer_id);
                if (e) {
                    e->bad_messages++;
                    peertab_score(&p->tab, e, SCORE_MALFORMED,
                                  "multi-frame message", sock_now_ms());
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

void *p2p_io_main(void *arg)
{
    p2p_t *p = arg;
    zmq_pollitem_t items[2 + P2P_MAX_PEERS];
    uint64_t ids[P2P_MAX_PEERS];
    uint64_t next_reconcile = 0;
    while (!atomic_load(&p->io_stop)) {
        pthread_mutex_lock(&p->lock);
        uint64_t now = sock_now_ms();
        if (p->tab.dirty || now >= next_reconcile) {
            reconcile(p);
            next_reconcile = now + P2P_RECONCILE_MS;
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
        int rc = zmq_poll(items, (int)n, P2P_RECONCILE_MS);
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
