/*
 * Tests for net/p2p.c: two or three p2p instances and a tracker, all
 * in-process on 127.0.0.1 with free ports.
 *
 * Covered: joining through the tracker and seeing each other; broadcasts
 * arriving attributed to the right sender; LEAVE reaching the others as
 * PEER_LEFT; the tracker going down (gossip between known peers carries on)
 * and coming back (nodes register again); request/reply to a peer, with a
 * timeout for a silent one, which marks it unresponsive until it answers
 * again; misbehaviour scoring, banning and the ban's end;
 * a flooding peer held to its share of the inbox while another's frames
 * still get in.
 *
 * PUB/SUB loses the first messages of a fresh subscription (the slow joiner),
 * so a test that needs a broadcast to arrive repeats it until it does, under
 * a deadline, instead of sleeping and hoping.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "p2p.h"
#include "params.h"
#include "reqclient.h"
#include "server.h"
#include "sock.h"
#include "tracker.h"
#include "wire.h"

static const uint8_t NET[32] = {0x70, 0x32, 0x70, 0x74, 0x65, 0x73, 0x74};

/* ---- a tracker in a thread ----------------------------------------------- */

typedef struct {
    tracker_t *t;
    pthread_t th;
    char req[SOCK_ENDPOINT_MAX], pub[SOCK_ENDPOINT_MAX];
} tracker_fx_t;

static void *tracker_thread(void *arg)
{
    cr_assert_eq(tracker_run(arg), 0);
    return NULL;
}

static bool tracker_try_start(tracker_fx_t *fx, const char *req,
                              const char *pub)
{
    tracker_config_t cfg;
    tracker_config_init(&cfg, NET);
    cfg.peer_timeout_ms = 3000;
    cfg.status_ms = 0;
    fx->t = tracker_new(&cfg);
    cr_assert(fx->t);
    if (tracker_bind(fx->t, req, pub) != 0) {
        tracker_free(&fx->t);
        return false;
    }
    strcpy(fx->req, tracker_req_endpoint(fx->t));
    strcpy(fx->pub, tracker_pub_endpoint(fx->t));
    cr_assert_eq(pthread_create(&fx->th, NULL, tracker_thread, fx->t), 0);
    return true;
}

/* ZeroMQ closes sockets in the background, so a port just released may be
 * busy for a moment; and while nobody listens on it, a node's reconnecting
 * socket can (rarely) be given that very port as its source and connect to
 * itself, until ZeroMQ drops the nonsense connection. Binding again is
 * therefore retried for up to three seconds. */
static void tracker_start(tracker_fx_t *fx, const char *req, const char *pub)
{
    uint64_t deadline = sock_now_ms() + 3000;
    bool ok;
    while (!(ok = tracker_try_start(fx, req, pub)) && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    cr_assert(ok, "bind %s %s", req, pub);
}

static void tracker_halt(tracker_fx_t *fx)
{
    tracker_stop(fx->t);
    pthread_join(fx->th, NULL);
    tracker_free(&fx->t);
}

/* Asks the tracker how many peers it has; -1 when it does not answer. */
static int tracker_count(const char *endpoint)
{
    reqclient_t *c = reqclient_new(endpoint, 500, 0);
    cr_assert(c);
    buf_t b;
    buf_init(&b);
    cr_assert_eq(wire_encode_empty(&b, NET, WIRE_PEERS), 0);
    uint8_t *raw;
    size_t len;
    int n = -1;
    if (reqclient_request(c, &raw, &len, b.data, b.len) == 0) {
        wire_msg_t m;
        cr_assert_eq(wire_decode(&m, NET, raw, len), 0);
        cr_assert_eq(m.type, WIRE_PEER_LIST);
        n = m.u.peer_list.count;
        wire_msg_clear(&m);
        free(raw);
    }
    buf_deinit(&b);
    reqclient_free(&c);
    return n;
}

/* ---- a node: p2p plus a request server in a thread ----------------------- */

typedef struct {
    p2p_t *p;
    server_t *srv;
    pthread_t th;
    atomic_int stop;
    atomic_bool silent; /* the test may switch it while the server runs */
    uint32_t height;    /* what it answers to GET_TIP */
} node_t;

static void *node_server(void *arg)
{
    node_t *n = arg;
    buf_t out;
    buf_init(&out);
    while (!atomic_load(&n->stop)) {
        server_req_t req;
        if (server_recv(n->srv, &req, 20) != 0)
            continue;
        wire_msg_t m;
        if (!atomic_load(&n->silent) &&
            wire_decode(&m, NET, req.data, req.len) == 0 &&
            m.type == WIRE_GET_TIP) {
            wire_msg_t tip;
            wire_msg_init(&tip, WIRE_TIP);
            tip.u.tip.height = n->height;
            buf_reset(&out);
            cr_assert_eq(wire_encode(&out, NET, &tip), 0);
            cr_assert_eq(server_reply(n->srv, &req, out.data, out.len), 0);
        }
        server_req_clear(&req);
    }
    buf_deinit(&out);
    return NULL;
}

static void node_start(node_t *n, const char *tracker, const char *tracker_pub,
                       uint32_t height, bool silent)
{
    memset(n, 0, sizeof *n);
    n->height = height;
    atomic_store(&n->silent, silent);
    n->srv = server_new("tcp://127.0.0.1:*");
    cr_assert(n->srv);
    cr_assert_eq(pthread_create(&n->th, NULL, node_server, n), 0);
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    if (tracker)
        strcpy(cfg.tracker, tracker);
    if (tracker_pub)
        strcpy(cfg.tracker_pub, tracker_pub);
    strcpy(cfg.request_advertise, server_endpoint(n->srv));
    cfg.ping_interval_ms = 150;
    cfg.tracker_timeout_ms = 300;
    cfg.tracker_retries = 0;
    cfg.request_timeout_ms = 300;
    cfg.request_retries = 1;
    cfg.ban_ms = 800;
    n->p = p2p_new(&cfg);
    cr_assert(n->p);
}

static void node_stop(node_t *n)
{
    p2p_free(&n->p);
    cr_assert_null(n->p);
    atomic_store(&n->stop, 1);
    pthread_join(n->th, NULL);
    server_free(&n->srv);
}

static wire_peer_t peer_of(node_t *n)
{
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    w.id = p2p_node_id(n->p);
    strcpy(w.req, server_endpoint(n->srv));
    strcpy(w.gossip, p2p_gossip_endpoint(n->p));
    return w;
}

/*
 * Watches the connections made to a bound socket (zmq_socket_monitor), so a
 * test sees from the other end whether a node really opened or closed its
 * socket, not only what the node says about it.
 */
static void *watch_connections(void *s, const char *name)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://watch-%s", name);
    cr_assert_eq(
        zmq_socket_monitor(s, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED),
        0);
    void *w = sock_new(ZMQ_PAIR);
    cr_assert_not_null(w);
    cr_assert_eq(zmq_connect(w, ep), 0);
    return w;
}

/* Waits up to timeout_ms for `event` on a watch, passing over others. */
static bool saw_connection_event(void *w, uint16_t event, int timeout_ms)
{
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    for (uint64_t now; (now = sock_now_ms()) < deadline;) {
        if (sock_wait_readable(w, (int)(deadline - now)) != 1)
            continue;
        /* Two frames, which arrive together: the event id and value (6
         * bytes), then the peer's address. */
        uint8_t head[6];
        char addr[256];
        int n = zmq_recv(w, head, sizeof head, 0);
        cr_assert_geq(zmq_recv(w, addr, sizeof addr, 0), 0);
        uint16_t got;
        memcpy(&got, head, sizeof got);
        if (n == (int)sizeof head && got == event)
            return true;
    }
    return false;
}

/* Waits until n knows exactly `count` peers, all subscribed to. */
static bool wait_peers(node_t *n, size_t count, int timeout_ms)
{
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    while (sock_now_ms() < deadline) {
        p2p_peer_info_t info[8];
        size_t k = p2p_peers(n->p, info, 8);
        bool all = k == count;
        for (size_t i = 0; all && i < k; i++)
            all = info[i].connected;
        if (all)
            return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static bool knows(node_t *n, node_t *other)
{
    p2p_peer_info_t info;
    return p2p_peer(n->p, &info, p2p_node_id(other->p)) == 0 &&
           strcmp(info.peer.gossip, p2p_gossip_endpoint(other->p)) == 0;
}

/* A NEW_TX whose bytes name its sender, so attribution can be checked. */
static void tx_from(uint8_t tx[TX_TRANSFER_SIZE], uint64_t sender, uint32_t seq)
{
    memset(tx, 0, TX_TRANSFER_SIZE);
    tx[0] = TX_TRANSFER;
    le64_put(tx + 1, sender);
    le32_put(tx + 9, seq);
}

/* Broadcasts from `from` until `to` receives one of those messages, checks
 * that it is attributed to `from`. Other traffic in to's inbox is skipped. */
static bool gossip_reaches(node_t *from, node_t *to, int timeout_ms)
{
    static uint32_t seq;
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    uint64_t sender = p2p_node_id(from->p);
    while (sock_now_ms() < deadline) {
        uint8_t tx[TX_TRANSFER_SIZE];
        tx_from(tx, sender, ++seq);
        buf_t b;
        buf_init(&b);
        cr_assert_eq(wire_encode_blob(&b, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
        cr_assert_eq(p2p_broadcast(from->p, b.data, b.len), 0);
        buf_deinit(&b);
        uint64_t until = sock_now_ms() + 100;
        p2p_msg_t m;
        while (sock_now_ms() < until && p2p_receive_data(to->p, &m, 20) == 0) {
            bool found = false;
            wire_msg_t w;
            if (m.source == P2P_FROM_PEER && m.type == WIRE_NEW_TX) {
                cr_assert_eq(wire_decode(&w, NET, m.data, m.len), 0);
                uint64_t claimed = le64_get(w.u.blob.data + 1);
                cr_assert_eq(m.peer_id, claimed,
                             "a message from %016llx was attributed to "
                             "%016llx",
                             (unsigned long long)claimed,
                             (unsigned long long)m.peer_id);
                found = claimed == sender;
            }
            p2p_msg_clear(&m);
            if (found)
                return true;
        }
    }
    return false;
}

/* Waits for an inbox message from the tracker of a type about a peer. */
static bool tracker_event(node_t *n, uint16_t type, uint64_t about,
                          int timeout_ms)
{
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    p2p_msg_t m;
    while (sock_now_ms() < deadline) {
        if (p2p_receive_data(n->p, &m, 50) != 0)
            continue;
        bool hit = false;
        if (m.source == P2P_FROM_TRACKER && m.type == type) {
            wire_msg_t w;
            cr_assert_eq(wire_decode(&w, NET, m.data, m.len), 0);
            hit = w.u.peer.id == about;
        }
        p2p_msg_clear(&m);
        if (hit)
            return true;
    }
    return false;
}

/* Submits distinct transactions to the tracker until n's inbox receives one
 * relayed (a NEW_TXS frame from the tracker, which reaches the inbox like a
 * peer's): n's tracker subscription is then live. */
static bool tracker_sub_live(node_t *n, const char *tracker, int timeout_ms)
{
    reqclient_t *c = reqclient_new(tracker, 500, 1);
    cr_assert(c);
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    bool live = false;
    for (uint32_t seq = 1; !live && sock_now_ms() < deadline; seq++) {
        uint8_t tx[TX_TRANSFER_SIZE];
        tx_from(tx, 0xfeed, seq);
        buf_t b;
        buf_init(&b);
        cr_assert_eq(wire_encode_blob(&b, NET, WIRE_SUBMIT_TX, tx, sizeof tx),
                     0);
        uint8_t *raw;
        size_t len;
        if (reqclient_request(c, &raw, &len, b.data, b.len) == 0)
            free(raw);
        buf_deinit(&b);
        p2p_msg_t m;
        while (!live && p2p_receive_data(n->p, &m, 50) == 0) {
            live = m.source == P2P_FROM_TRACKER && m.type == WIRE_NEW_TXS &&
                   m.peer_id == 0 &&
                   m.len == WIRE_HEADER_SIZE + 2 + 32 + 4 + sizeof tx;
            p2p_msg_clear(&m);
        }
    }
    reqclient_free(&c);
    return live;
}

static void quiet(void)
{
    log_set_level(LOG_ERROR);
}

/* ---- tests --------------------------------------------------------------- */

Test(p2p, join_see_each_other_and_broadcast, .init = quiet, .timeout = 10)
{
    tracker_fx_t t;
    tracker_start(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    node_t a, b, c;
    node_start(&a, t.req, t.pub, 1, false);
    node_start(&b, t.req, t.pub, 2, false);
    node_start(&c, t.req, t.pub, 3, false);
    cr_assert_eq(p2p_join_network(a.p), 0);
    cr_assert_eq(p2p_join_network(a.p), ERR_DUPLICATE);
    cr_assert_eq(p2p_join_network(b.p), 0);
    cr_assert_eq(p2p_join_network(c.p), 0);
    cr_assert(p2p_registered(a.p));

    /* B and C got A from REGISTER_OK; A learns of them from PEER_JOINED or,
     * if that was lost, from the PEERS its pings trigger. */
    cr_assert(wait_peers(&a, 2, 5000), "A sees B and C");
    cr_assert(wait_peers(&b, 2, 5000), "B sees A and C");
    cr_assert(wait_peers(&c, 2, 5000), "C sees A and B");
    cr_assert(knows(&a, &b) && knows(&a, &c) && knows(&b, &c) && knows(&c, &a));

    cr_assert(gossip_reaches(&a, &b, 3000), "A -> B");
    cr_assert(gossip_reaches(&a, &c, 3000), "A -> C");
    cr_assert(gossip_reaches(&c, &b, 3000), "C -> B");
    cr_assert(gossip_reaches(&b, &a, 3000), "B -> A");
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(b.p, &info, p2p_node_id(a.p)), 0);
    cr_assert_geq(info.messages, 1);
    cr_assert_eq(info.bad_messages, 0);

    node_stop(&a);
    node_stop(&b);
    node_stop(&c);
    tracker_halt(&t);
}

Test(p2p, leave_is_announced, .init = quiet, .timeout = 10)
{
    tracker_fx_t t;
    tracker_start(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    node_t a, b;
    node_start(&a, t.req, t.pub, 1, false);
    node_start(&b, t.req, t.pub, 2, false);
    cr_assert_eq(p2p_join_network(a.p), 0);
    cr_assert_eq(p2p_join_network(b.p), 0);
    cr_assert(wait_peers(&a, 1, 5000));
    cr_assert(wait_peers(&b, 1, 5000));
    /* Make sure A hears the tracker's PUB before B leaves: submit
     * transactions to the tracker until one is relayed into A's inbox. */
    cr_assert(tracker_sub_live(&a, t.req, 5000));
    uint64_t bid = p2p_node_id(b.p);
    p2p_leave_network(b.p);
    cr_assert(tracker_event(&a, WIRE_PEER_LEFT, bid, 5000),
              "A hears that B left");
    cr_assert(wait_peers(&a, 0, 2000), "A forgot B");
    cr_assert_eq(p2p_peers(b.p, NULL, 0), 0, "B forgot everyone");
    cr_assert_not(p2p_registered(b.p));
    cr_assert_eq(tracker_count(t.req), 1);
    p2p_leave_network(b.p); /* twice is harmless */
    node_stop(&a);
    node_stop(&b);
    tracker_halt(&t);
}

Test(p2p, tracker_down_then_back, .init = quiet, .timeout = 10)
{
    tracker_fx_t t;
    tracker_start(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    char req[SOCK_ENDPOINT_MAX], pub[SOCK_ENDPOINT_MAX];
    strcpy(req, t.req);
    strcpy(pub, t.pub);
    node_t a, b;
    node_start(&a, t.req, t.pub, 1, false);
    node_start(&b, t.req, t.pub, 2, false);
    cr_assert_eq(p2p_join_network(a.p), 0);
    cr_assert_eq(p2p_join_network(b.p), 0);
    cr_assert(wait_peers(&a, 1, 5000));
    cr_assert(wait_peers(&b, 1, 5000));

    tracker_halt(&t);
    /* Let the nodes notice: their pings time out. */
    uint64_t deadline = sock_now_ms() + 3000;
    while (sock_now_ms() < deadline &&
           (p2p_registered(a.p) || p2p_registered(b.p)))
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    cr_assert_not(p2p_registered(a.p), "A noticed the tracker is gone");

    cr_assert(gossip_reaches(&a, &b, 3000), "A -> B without a tracker");
    cr_assert(gossip_reaches(&b, &a, 3000), "B -> A without a tracker");
    cr_assert(knows(&a, &b), "peers are kept while the tracker is down");

    /* The tracker restarts empty on the same ports; both register again. */
    tracker_start(&t, req, pub);
    deadline = sock_now_ms() + 4000;
    while (sock_now_ms() < deadline && tracker_count(t.req) != 2)
        ;
    cr_assert_eq(tracker_count(t.req), 2, "both nodes registered again");
    cr_assert(gossip_reaches(&a, &b, 3000));

    node_stop(&a);
    node_stop(&b);
    tracker_halt(&t);
}

Test(p2p, join_without_tracker_keeps_trying, .init = quiet, .timeout = 10)
{
    /* Ports for a tracker that is not there yet: a free port P with P + 1
     * free too (so the node finds the PUB at the default place). Found by
     * binding a tracker there, then stopped; the node binds its own sockets
     * first so that it cannot take them. */
    node_t a;
    node_start(&a, NULL, NULL, 1, false);
    tracker_fx_t t;
    char ep[SOCK_ENDPOINT_MAX], pub[SOCK_ENDPOINT_MAX];
    bool found = false;
    for (int i = 0; i < 50 && !found; i++) {
        server_t *probe = server_new("tcp://127.0.0.1:*");
        cr_assert(probe);
        strcpy(ep, server_endpoint(probe));
        server_free(&probe);
        char host[64];
        uint16_t port;
        cr_assert_eq(sock_parse_hostport(host, sizeof host, &port, ep), 0);
        cr_assert_eq(sock_endpoint(pub, sizeof pub, host, (unsigned)port + 1),
                     0);
        found = tracker_try_start(&t, ep, pub);
        if (found)
            tracker_halt(&t);
        else
            nanosleep(&(struct timespec){0, 20000000L}, NULL);
    }
    cr_assert(found, "no pair of free ports");
    /* Now that the address is known, give A a p2p that uses it (the PUB
     * endpoint left to its default, port + 1). */
    p2p_free(&a.p);
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    strcpy(cfg.tracker, ep);
    strcpy(cfg.request_advertise, server_endpoint(a.srv));
    cfg.ping_interval_ms = 150;
    cfg.tracker_timeout_ms = 300;
    cfg.tracker_retries = 0;
    a.p = p2p_new(&cfg);
    cr_assert(a.p);
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(p2p_join_network(a.p), ERR_TIMEOUT);
    cr_assert_lt(sock_now_ms() - t0, 2000, "join gives up in bounded time");
    cr_assert_not(p2p_registered(a.p));
    /* A tracker turns up at that address: the node registers by itself, and
     * hears the tracker's PUB at port + 1. */
    tracker_start(&t, ep, pub);
    uint64_t deadline = sock_now_ms() + 4000;
    while (sock_now_ms() < deadline && !p2p_registered(a.p))
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    cr_assert(p2p_registered(a.p));
    cr_assert_eq(tracker_count(t.req), 1);
    cr_assert(tracker_sub_live(&a, t.req, 5000));
    node_stop(&a);
    tracker_halt(&t);

    /* Joining needs a tracker and a request endpoint. */
    p2p_config_init(&cfg, NET);
    p2p_t *p = p2p_new(&cfg);
    cr_assert(p);
    cr_assert_eq(p2p_join_network(p), ERR_ARG);
    p2p_free(&p);
    cr_assert_null(p);
    p2p_free(NULL);
}

Test(p2p, request_reply_and_timeout, .init = quiet, .timeout = 10)
{
    node_t a, b, c;
    node_start(&a, NULL, NULL, 1, false);
    node_start(&b, NULL, NULL, 77, false);
    node_start(&c, NULL, NULL, 3, true); /* never answers */
    wire_peer_t pb = peer_of(&b), pc = peer_of(&c);
    cr_assert_eq(p2p_add_peer(a.p, &pb), 0);
    cr_assert_eq(p2p_add_peer(a.p, &pc), 0);
    wire_peer_t self = peer_of(&a);
    cr_assert_eq(p2p_add_peer(a.p, &self), 0);
    cr_assert_eq(p2p_peers(a.p, NULL, 0), 2, "ourselves is not a peer");
    wire_peer_t bad = pb;
    bad.id = 0;
    cr_assert_eq(p2p_add_peer(a.p, &bad), ERR_ARG);

    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, NET, WIRE_GET_TIP), 0);
    for (int i = 0; i < 3; i++) { /* the cached client is reused */
        uint8_t *reply;
        size_t len;
        cr_assert_eq(p2p_request(a.p, &reply, &len, pb.id, req.data, req.len),
                     0);
        wire_msg_t m;
        cr_assert_eq(wire_decode(&m, NET, reply, len), 0);
        cr_assert_eq(m.type, WIRE_TIP);
        cr_assert_eq(m.u.tip.height, 77);
        free(reply);
    }

    uint8_t *reply = NULL;
    size_t len = 0;
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(p2p_request(a.p, &reply, &len, pc.id, req.data, req.len),
                 ERR_TIMEOUT);
    uint64_t took = sock_now_ms() - t0;
    cr_assert(took >= 2 * 300 - 10 && took < 2 * 300 + 1500, "took %llu",
              (unsigned long long)took);
    cr_assert_null(reply);
    cr_assert_eq(p2p_request(a.p, &reply, &len, 0x1234, req.data, req.len),
                 ERR_NOT_FOUND);

    /* Gossip works between peers added by hand, with no tracker at all. */
    wire_peer_t pa = peer_of(&a);
    cr_assert_eq(p2p_add_peer(b.p, &pa), 0);
    cr_assert(gossip_reaches(&a, &b, 3000));
    cr_assert(gossip_reaches(&b, &a, 3000));
    buf_deinit(&req);
    node_stop(&a);
    node_stop(&b);
    node_stop(&c);
}

/* Asks peer for its tip; returns p2p_request's answer. */
static int ask_tip(node_t *from, uint64_t peer)
{
    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, NET, WIRE_GET_TIP), 0);
    uint8_t *reply = NULL;
    size_t len = 0;
    int rc = p2p_request(from->p, &reply, &len, peer, req.data, req.len);
    free(reply);
    buf_deinit(&req);
    return rc;
}

Test(p2p, a_peer_that_stops_answering_is_unresponsive_until_it_answers,
     .init = quiet, .timeout = 10)
{
    node_t a, b;
    node_start(&a, NULL, NULL, 1, false);
    node_start(&b, NULL, NULL, 5, false);
    wire_peer_t pb = peer_of(&b);
    cr_assert_eq(p2p_add_peer(a.p, &pb), 0);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(!info.unresponsive, "not asked yet: not unresponsive");
    cr_assert_eq(info.last_answer_age_ms, -1, "never answered");

    cr_assert_eq(ask_tip(&a, pb.id), 0);
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(!info.unresponsive);
    cr_assert(info.last_answer_age_ms >= 0 && info.last_answer_age_ms < 5000);

    /* It stops answering (its gossip socket stays connected). */
    atomic_store(&b.silent, true);
    cr_assert_eq(ask_tip(&a, pb.id), ERR_TIMEOUT);
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(info.unresponsive);
    cr_assert(info.last_answer_age_ms >= 0, "it did answer once");
    p2p_peer_info_t all[4];
    cr_assert_eq(p2p_peers(a.p, all, 4), 1);
    cr_assert(all[0].unresponsive, "the list says so too");

    /* It answers again. */
    atomic_store(&b.silent, false);
    cr_assert_eq(ask_tip(&a, pb.id), 0);
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(!info.unresponsive);
    node_stop(&a);
    node_stop(&b);
}

Test(p2p, misbehaving_peer_is_banned_then_forgiven, .init = quiet,
     .timeout = 10)
{
    node_t a;
    node_start(&a, NULL, NULL, 1, false);
    /* A rogue publisher A subscribes to as a peer. */
    void *rogue = sock_new(ZMQ_PUB);
    char rogue_ep[SOCK_ENDPOINT_MAX];
    cr_assert_eq(
        sock_bind(rogue, rogue_ep, sizeof rogue_ep, "tcp://127.0.0.1:*"), 0);
    void *watch = watch_connections(rogue, "rogue");
    wire_peer_t r;
    memset(&r, 0, sizeof r);
    r.id = 0x666;
    strcpy(r.req, "tcp://127.0.0.1:1");
    strcpy(r.gossip, rogue_ep);
    cr_assert_eq(p2p_add_peer(a.p, &r), 0);
    cr_assert(wait_peers(&a, 1, 3000));
    cr_assert(saw_connection_event(watch, ZMQ_EVENT_ACCEPTED, 3000),
              "the rogue saw A's subscription connect");

    /* Garbage, another network's frames, and a type that has no place on
     * gossip, until A bans it. */
    static const uint8_t OTHER[32] = {9};
    buf_t wrong, misplaced;
    buf_init(&wrong);
    buf_init(&misplaced);
    cr_assert_eq(wire_encode_empty(&wrong, OTHER, WIRE_GET_TIP), 0);
    cr_assert_eq(wire_encode_empty(&misplaced, NET, WIRE_PEERS), 0);
    p2p_peer_info_t info;
    uint64_t deadline = sock_now_ms() + 5000;
    bool banned = false;
    while (!banned && sock_now_ms() < deadline) {
        cr_assert_eq(sock_send(rogue, "\x01\x02garbage", 9, 0), 0);
        cr_assert_eq(sock_send(rogue, misplaced.data, misplaced.len, 0), 0);
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
        cr_assert_eq(p2p_peer(a.p, &info, r.id), 0);
        banned = info.banned;
    }
    cr_assert(banned, "A banned the rogue");
    cr_assert_gt(info.bad_messages, 0);
    cr_assert_eq(info.messages, 0);
    p2p_msg_t m;
    cr_assert_eq(p2p_receive_data(a.p, &m, 0), ERR_TIMEOUT,
                 "nothing from the rogue reached the inbox");
    uint8_t *reply;
    size_t len;
    cr_assert_eq(
        p2p_request(a.p, &reply, &len, r.id, misplaced.data, misplaced.len),
        ERR_NOT_FOUND, "no requests to a banned peer");
    /* Seen from the rogue's end: A's connection goes away (a socket only
     * forgotten, or left open unread, would not disconnect). */
    cr_assert(saw_connection_event(watch, ZMQ_EVENT_DISCONNECTED, 3000),
              "its socket was closed");

    /* The ban ends (ban_ms = 800): A listens again, and good gossip from
     * the reformed peer arrives. */
    cr_assert(saw_connection_event(watch, ZMQ_EVENT_ACCEPTED, 4000),
              "A connects again when the ban ends");
    deadline = sock_now_ms() + 4000;
    do
        cr_assert_eq(p2p_peer(a.p, &info, r.id), 0);
    while ((info.banned || !info.connected) && sock_now_ms() < deadline);
    cr_assert(!info.banned && info.connected);
    uint8_t tx[TX_TRANSFER_SIZE];
    tx_from(tx, r.id, 1);
    buf_t good;
    buf_init(&good);
    cr_assert_eq(wire_encode_blob(&good, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    bool got = false;
    deadline = sock_now_ms() + 3000;
    while (!got && sock_now_ms() < deadline) {
        cr_assert_eq(sock_send(rogue, good.data, good.len, 0), 0);
        if (p2p_receive_data(a.p, &m, 50) == 0) {
            got = m.peer_id == r.id && m.type == WIRE_NEW_TX;
            p2p_msg_clear(&m);
        }
    }
    cr_assert(got);

    /* The wrong network alone bans at once. */
    cr_assert_eq(sock_send(rogue, wrong.data, wrong.len, 0), 0);
    deadline = sock_now_ms() + 3000;
    do {
        cr_assert_eq(sock_send(rogue, wrong.data, wrong.len, 0), 0);
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
        cr_assert_eq(p2p_peer(a.p, &info, r.id), 0);
    } while (!info.banned && sock_now_ms() < deadline);
    cr_assert(info.banned);

    buf_deinit(&wrong);
    buf_deinit(&misplaced);
    buf_deinit(&good);
    cr_assert_eq(zmq_socket_monitor(rogue, NULL, 0), 0);
    sock_close(&watch);
    sock_close(&rogue);
    node_stop(&a);
}

/* Every line of the redirected stderr (criterion/redirect.h) that holds
 * `what`. Call once, at the end: it closes the test's stderr. */
static int lines_with(const char *what, const char *module)
{
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, what) && (!module || strstr(line, module)))
            n++;
    return n;
}

/* A node that registers at a tracker of another network learns why, and
 * both say so in the same words; nothing calls the answer a bad reply. */
Test(p2p, a_tracker_of_another_network_says_so, .init = cr_redirect_stderr,
     .timeout = 10)
{
    log_set_level(LOG_WARN);
    tracker_config_t tcfg;
    tracker_config_init(&tcfg, params_demo()->network_id);
    tcfg.status_ms = 0;
    tracker_fx_t fx;
    fx.t = tracker_new(&tcfg);
    cr_assert(fx.t);
    cr_assert_eq(tracker_bind(fx.t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"),
                 0);
    cr_assert_eq(pthread_create(&fx.th, NULL, tracker_thread, fx.t), 0);

    p2p_config_t cfg;
    p2p_config_init(&cfg, params_regtest()->network_id);
    strcpy(cfg.tracker, tracker_req_endpoint(fx.t));
    strcpy(cfg.request_advertise, "tcp://127.0.0.1:1");
    cfg.tracker_timeout_ms = 1000;
    cfg.tracker_retries = 0;
    p2p_t *p = p2p_new(&cfg);
    cr_assert(p);
    cr_assert_eq(p2p_join_network(p), ERR_INVALID, "refused, not unanswered");
    cr_assert_not(p2p_registered(p));
    p2p_free(&p);
    tracker_halt(&fx);
    /* Read last: it closes stderr. */
    const char *says = "tracker is on demo, this node on regtest";
    FILE *f = cr_get_redirected_stderr();
    char line[2048];
    int tracker_says = 0, node_says = 0, bad_reply = 0;
    while (fgets(line, sizeof line, f)) {
        tracker_says += strstr(line, "[tracker]") && strstr(line, says);
        node_says += strstr(line, "[p2p]") && strstr(line, says);
        bad_reply += strstr(line, "bad reply") != NULL;
    }
    cr_assert_eq(tracker_says, 1, "the tracker says why");
    cr_assert_eq(node_says, 1, "the node says why");
    cr_assert_eq(bad_reply, 0);
}

/*
 * Gossip of the wire version before NEW_TXS and SUBMIT_TXS comes from an
 * honest node of an older build: dropped and logged (once), never scored as
 * malformed, and the peer's frames of this version still get in.
 */
Test(p2p, a_peer_of_the_previous_version_is_told_apart_from_garbage,
     .init = cr_redirect_stderr, .timeout = 10)
{
    log_set_level(LOG_WARN);
    node_t a;
    node_start(&a, NULL, NULL, 1, false);
    void *old = sock_new(ZMQ_PUB);
    char old_ep[SOCK_ENDPOINT_MAX];
    cr_assert_eq(sock_bind(old, old_ep, sizeof old_ep, "tcp://127.0.0.1:*"), 0);
    wire_peer_t r;
    memset(&r, 0, sizeof r);
    r.id = 0x01d;
    strcpy(r.req, "tcp://127.0.0.1:1");
    strcpy(r.gossip, old_ep);
    cr_assert_eq(p2p_add_peer(a.p, &r), 0);
    cr_assert(wait_peers(&a, 1, 3000));

    uint8_t tx[TX_TRANSFER_SIZE];
    tx_from(tx, r.id, 1);
    buf_t now, before;
    buf_init(&now);
    buf_init(&before);
    cr_assert_eq(wire_encode_blob(&now, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    cr_assert_eq(wire_encode_blob(&before, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    before.data[4] = WIRE_VERSION - 1;
    /* Old frames, then a current one, until the current one arrives: by
     * then the old ones sent after the subscription took hold have been
     * read (a connection keeps the order). */
    bool got = false;
    uint64_t deadline = sock_now_ms() + 5000;
    while (!got && sock_now_ms() < deadline) {
        for (int i = 0; i < 20; i++)
            cr_assert_eq(sock_send(old, before.data, before.len, 0), 0);
        cr_assert_eq(sock_send(old, now.data, now.len, 0), 0);
        p2p_msg_t m;
        if (p2p_receive_data(a.p, &m, 50) == 0) {
            got = m.peer_id == r.id && m.type == WIRE_NEW_TX;
            p2p_msg_clear(&m);
        }
    }
    cr_assert(got, "the peer's current frames get in");
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, r.id), 0);
    cr_assert_eq(info.score, 0, "not scored");
    cr_assert_eq(info.bad_messages, 0, "not counted as malformed");
    cr_assert_not(info.banned);
    cr_assert_gt(info.messages, 0);
    buf_deinit(&now);
    buf_deinit(&before);
    sock_close(&old);
    node_stop(&a);
    cr_assert_eq(lines_with("peer 000000000000001d speaks wire version 1, "
                            "this node 2",
                            "[p2p]"),
                 1, "logged once");
}

Test(p2p, misbehaving_api_scores_and_bans, .init = quiet, .timeout = 10)
{
    node_t a, b;
    node_start(&a, NULL, NULL, 1, false);
    node_start(&b, NULL, NULL, 2, false);
    wire_peer_t pb = peer_of(&b);
    cr_assert_eq(p2p_add_peer(a.p, &pb), 0);
    cr_assert_not(p2p_misbehaving(a.p, pb.id, 60, "invalid block"));
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert_eq(info.score, 60);
    cr_assert_not(info.banned);
    cr_assert(p2p_misbehaving(a.p, pb.id, 60, "invalid block"));
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(info.banned);
    cr_assert_not(p2p_misbehaving(a.p, 0x999, 100, "unknown peer"));
    node_stop(&a);
    node_stop(&b);
}

Test(p2p, broadcast_and_receive_arguments, .init = quiet)
{
    node_t a;
    node_start(&a, NULL, NULL, 1, false);
    cr_assert_eq(p2p_broadcast(a.p, (const uint8_t *)"x", 0), ERR_ARG);
    cr_assert_eq(p2p_broadcast(a.p, NULL, 3), ERR_ARG);
    wire_msg_t m;
    wire_msg_init(&m, WIRE_NEW_TX); /* an empty transaction: refused */
    cr_assert_eq(p2p_broadcast_msg(a.p, &m), ERR_ARG);
    p2p_msg_t in;
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(p2p_receive_data(a.p, &in, 100), ERR_TIMEOUT);
    cr_assert_geq(sock_now_ms() - t0, 95);
    p2p_msg_clear(NULL);
    node_stop(&a);
}

/* A PUB socket posing as a peer of p. */
static void *fake_peer(p2p_t *p, uint64_t id, char ep[SOCK_ENDPOINT_MAX])
{
    void *pub = sock_new(ZMQ_PUB);
    cr_assert(pub);
    cr_assert_eq(sock_bind(pub, ep, SOCK_ENDPOINT_MAX, "tcp://127.0.0.1:*"), 0);
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    w.id = id;
    strcpy(w.req, "tcp://127.0.0.1:1");
    strcpy(w.gossip, ep);
    cr_assert_eq(p2p_add_peer(p, &w), 0);
    return pub;
}

/* Sends frames from pub until one reaches p's inbox (the subscription is
 * live), then empties the inbox. */
static void until_heard(p2p_t *p, void *pub, uint64_t id, const buf_t *frame)
{
    uint64_t deadline = sock_now_ms() + 3000;
    bool heard = false;
    while (!heard && sock_now_ms() < deadline) {
        cr_assert_eq(sock_send(pub, frame->data, frame->len, 0), 0);
        p2p_msg_t m;
        while (p2p_receive_data(p, &m, 20) == 0) {
            heard = heard || m.peer_id == id;
            p2p_msg_clear(&m);
        }
    }
    cr_assert(heard, "peer %llx heard", (unsigned long long)id);
}

/* Good frames p has read from peer id (0 when it does not know it). No
 * assertion here: it is polled in loops. */
static uint64_t peer_messages(p2p_t *p, uint64_t id)
{
    p2p_peer_info_t info;
    return p2p_peer(p, &info, id) == 0 ? info.messages : 0;
}

Test(p2p, flooding_peer_held_to_its_inbox_share, .init = quiet, .timeout = 10)
{
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    cfg.peer_inbox_bytes = 2000; /* about ten NEW_TX frames */
    p2p_t *a = p2p_new(&cfg);
    cr_assert(a);
    char flood_ep[SOCK_ENDPOINT_MAX], calm_ep[SOCK_ENDPOINT_MAX];
    void *flood = fake_peer(a, 0xf100d, flood_ep);
    void *calm = fake_peer(a, 0xca1, calm_ep);
    uint8_t tx[TX_TRANSFER_SIZE];
    buf_t ff, cf;
    buf_init(&ff);
    buf_init(&cf);
    tx_from(tx, 0xf100d, 1);
    cr_assert_eq(wire_encode_blob(&ff, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    tx_from(tx, 0xca1, 1);
    cr_assert_eq(wire_encode_blob(&cf, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    until_heard(a, flood, 0xf100d, &ff);
    until_heard(a, calm, 0xca1, &cf);

    /* The node is busy (nobody drains the inbox) while one peer floods. */
    uint64_t before = peer_messages(a, 0xf100d);
    for (int i = 0; i < 200; i++)
        cr_assert_eq(sock_send(flood, ff.data, ff.len, 0), 0);
    uint64_t deadline = sock_now_ms() + 5000;
    while (peer_messages(a, 0xf100d) < before + 200 && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    cr_assert_eq(peer_messages(a, 0xf100d), before + 200,
                 "every flooded frame was read");
    before = peer_messages(a, 0xca1);
    cr_assert_eq(sock_send(calm, cf.data, cf.len, 0), 0);
    deadline = sock_now_ms() + 3000;
    while (peer_messages(a, 0xca1) == before && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);

    size_t from_flood = 0, from_calm = 0;
    p2p_msg_t m;
    while (p2p_receive_data(a, &m, 50) == 0) {
        from_flood += m.peer_id == 0xf100d;
        from_calm += m.peer_id == 0xca1;
        p2p_msg_clear(&m);
    }
    cr_assert_eq(from_calm, 1, "the calm peer's frame got in");
    cr_assert_geq(from_flood, 1);
    cr_assert_leq(from_flood * ff.len, 2000 + ff.len,
                  "%zu flooded frames waited", from_flood);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a, &info, 0xf100d), 0);
    cr_assert_eq(info.dropped, 200 - from_flood);
    cr_assert_not(info.banned, "dropping is not misbehaviour");
    cr_assert_eq(p2p_peer(a, &info, 0xca1), 0);
    cr_assert_eq(info.dropped, 0);

    /* Its share frees up as the node reads: it is heard again. */
    until_heard(a, flood, 0xf100d, &ff);

    buf_deinit(&ff);
    buf_deinit(&cf);
    sock_close(&flood);
    sock_close(&calm);
    p2p_free(&a);
}
