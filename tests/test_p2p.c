/*
 * Tests for net/p2p.c: two or three p2p instances and a tracker, all
 * in-process on 127.0.0.1 with free ports (nodes from p2p_rig.h).
 *
 * Covered: joining through the tracker and seeing each other; broadcasts
 * arriving attributed to the right sender; LEAVE reaching the others as
 * PEER_LEFT; the tracker going down (gossip between known peers carries on)
 * and coming back (nodes register again); request/reply to a peer, with a
 * timeout for a silent one, which marks it unresponsive until it answers again;
 * the misbehaviour API; and p2p_ask(): it returns at once and the outcome
 * arrives in the inbox, tagged (an answer decoded, a timeout, a reply that does
 * not decode -- scored), its queue bounded. What the I/O thread does with each
 * frame is test_p2p_io.c's.
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

#include "p2p_rig.h"
#include "tracker_rig.h"

static const uint8_t NET[32] = {0x70, 0x32, 0x70, 0x74, 0x65, 0x73, 0x74};

/* ---- a tracker in a thread (tracker_rig.h) ------------------------------- */

static bool tracker_try_start(tr_live_t *fx, const char *req, const char *pub)
{
    tracker_config_t cfg;
    tr_live_config(&cfg, NET);
    return tr_try_start(fx, &cfg, req, pub);
}

static void tracker_start(tr_live_t *fx, const char *req, const char *pub)
{
    tracker_config_t cfg;
    tr_live_config(&cfg, NET);
    tr_start(fx, &cfg, req, pub);
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

/* ---- a node: p2p plus a request server (p2p_rig.h) ---------------------- */

static void node_start(pr_node_t *n, const char *tracker,
                       const char *tracker_pub, uint32_t height, bool silent)
{
    p2p_config_t cfg;
    pr_config(&cfg, NET);
    if (tracker)
        strcpy(cfg.tracker, tracker);
    if (tracker_pub)
        strcpy(cfg.tracker_pub, tracker_pub);
    pr_start(n, &cfg, height, silent ? PR_SILENT : PR_ANSWER);
}

static bool knows(pr_node_t *n, pr_node_t *other)
{
    p2p_peer_info_t info;
    return p2p_peer(n->p, &info, p2p_node_id(other->p)) == 0 &&
           strcmp(info.peer.gossip, p2p_gossip_endpoint(other->p)) == 0;
}

/* Broadcasts from `from` until `to` receives one of those messages, checks
 * that it is attributed to `from`. Other traffic in to's inbox is skipped. */
static bool gossip_reaches(pr_node_t *from, pr_node_t *to, int timeout_ms)
{
    static uint32_t seq;
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    uint64_t sender = p2p_node_id(from->p);
    while (sock_now_ms() < deadline) {
        uint8_t tx[TX_TRANSFER_SIZE];
        pr_tx_from(tx, sender, ++seq);
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
static bool tracker_event(pr_node_t *n, uint16_t type, uint64_t about,
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
static bool tracker_sub_live(pr_node_t *n, const char *tracker, int timeout_ms)
{
    reqclient_t *c = reqclient_new(tracker, 500, 1);
    cr_assert(c);
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    bool live = false;
    for (uint32_t seq = 1; !live && sock_now_ms() < deadline; seq++) {
        uint8_t tx[TX_TRANSFER_SIZE];
        pr_tx_from(tx, 0xfeed, seq);
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

/* One time limit for the binary (different ones make Criterion's runner
 * leak under LeakSanitizer). */
TestSuite(p2p, .init = pr_quiet, .timeout = 20);

/* ---- tests --------------------------------------------------------------- */

Test(p2p, join_see_each_other_and_broadcast)
{
    tr_live_t t;
    tracker_start(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    pr_node_t a, b, c;
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
    cr_assert(pr_wait_peers(a.p, 2, 5000), "A sees B and C");
    cr_assert(pr_wait_peers(b.p, 2, 5000), "B sees A and C");
    cr_assert(pr_wait_peers(c.p, 2, 5000), "C sees A and B");
    cr_assert(knows(&a, &b) && knows(&a, &c) && knows(&b, &c) && knows(&c, &a));

    cr_assert(gossip_reaches(&a, &b, 3000), "A -> B");
    cr_assert(gossip_reaches(&a, &c, 3000), "A -> C");
    cr_assert(gossip_reaches(&c, &b, 3000), "C -> B");
    cr_assert(gossip_reaches(&b, &a, 3000), "B -> A");
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(b.p, &info, p2p_node_id(a.p)), 0);
    cr_assert_geq(info.messages, 1);
    cr_assert_eq(info.bad_messages, 0);

    pr_stop(&a);
    pr_stop(&b);
    pr_stop(&c);
    tr_halt(&t);
}

Test(p2p, leave_is_announced)
{
    tr_live_t t;
    tracker_start(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    pr_node_t a, b;
    node_start(&a, t.req, t.pub, 1, false);
    node_start(&b, t.req, t.pub, 2, false);
    cr_assert_eq(p2p_join_network(a.p), 0);
    cr_assert_eq(p2p_join_network(b.p), 0);
    cr_assert(pr_wait_peers(a.p, 1, 5000));
    cr_assert(pr_wait_peers(b.p, 1, 5000));
    /* Make sure A hears the tracker's PUB before B leaves: submit
     * transactions to the tracker until one is relayed into A's inbox. */
    cr_assert(tracker_sub_live(&a, t.req, 5000));
    uint64_t bid = p2p_node_id(b.p);
    p2p_leave_network(b.p);
    cr_assert(tracker_event(&a, WIRE_PEER_LEFT, bid, 5000),
              "A hears that B left");
    cr_assert(pr_wait_peers(a.p, 0, 2000), "A forgot B");
    cr_assert_eq(p2p_peers(b.p, NULL, 0), 0, "B forgot everyone");
    cr_assert_not(p2p_registered(b.p));
    cr_assert_eq(tracker_count(t.req), 1);
    p2p_leave_network(b.p); /* twice is harmless */
    pr_stop(&a);
    pr_stop(&b);
    tr_halt(&t);
}

Test(p2p, tracker_down_then_back)
{
    tr_live_t t;
    tracker_start(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    char req[SOCK_ENDPOINT_MAX], pub[SOCK_ENDPOINT_MAX];
    strcpy(req, t.req);
    strcpy(pub, t.pub);
    pr_node_t a, b;
    node_start(&a, t.req, t.pub, 1, false);
    node_start(&b, t.req, t.pub, 2, false);
    cr_assert_eq(p2p_join_network(a.p), 0);
    cr_assert_eq(p2p_join_network(b.p), 0);
    cr_assert(pr_wait_peers(a.p, 1, 5000));
    cr_assert(pr_wait_peers(b.p, 1, 5000));

    tr_halt(&t);
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

    pr_stop(&a);
    pr_stop(&b);
    tr_halt(&t);
}

Test(p2p, join_without_tracker_keeps_trying)
{
    /* Ports for a tracker that is not there yet: a free port P with P + 1
     * free too (so the node finds the PUB at the default place). Found by
     * binding a tracker there, then stopped; the node binds its own sockets
     * first so that it cannot take them. */
    pr_node_t a;
    node_start(&a, NULL, NULL, 1, false);
    tr_live_t t;
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
            tr_halt(&t);
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
    pr_stop(&a);
    tr_halt(&t);

    /* Joining needs a tracker and a request endpoint. */
    p2p_config_init(&cfg, NET);
    p2p_t *p = p2p_new(&cfg);
    cr_assert(p);
    cr_assert_eq(p2p_join_network(p), ERR_ARG);
    p2p_free(&p);
    cr_assert_null(p);
    p2p_free(NULL);
}

Test(p2p, request_reply_and_timeout)
{
    pr_node_t a, b, c;
    node_start(&a, NULL, NULL, 1, false);
    node_start(&b, NULL, NULL, 77, false);
    node_start(&c, NULL, NULL, 3, true); /* never answers */
    wire_peer_t pb = pr_peer_of(&b), pc = pr_peer_of(&c);
    cr_assert_eq(p2p_add_peer(a.p, &pb), 0);
    cr_assert_eq(p2p_add_peer(a.p, &pc), 0);
    wire_peer_t self = pr_peer_of(&a);
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
    /* c has never answered: one attempt, not the retry as well. */
    cr_assert(took >= 300 - 10 && took < 300 + 1500, "took %llu",
              (unsigned long long)took);
    cr_assert_null(reply);
    cr_assert_eq(p2p_request(a.p, &reply, &len, 0x1234, req.data, req.len),
                 ERR_NOT_FOUND);

    /* Gossip works between peers added by hand, with no tracker at all. */
    wire_peer_t pa = pr_peer_of(&a);
    cr_assert_eq(p2p_add_peer(b.p, &pa), 0);
    cr_assert(gossip_reaches(&a, &b, 3000));
    cr_assert(gossip_reaches(&b, &a, 3000));
    buf_deinit(&req);
    pr_stop(&a);
    pr_stop(&b);
    pr_stop(&c);
}

/* Asks peer for its tip; returns p2p_request's answer. */
static int ask_tip(pr_node_t *from, uint64_t peer)
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

Test(p2p, a_peer_that_stops_answering_is_unresponsive_until_it_answers)
{
    pr_node_t a, b;
    node_start(&a, NULL, NULL, 1, false);
    node_start(&b, NULL, NULL, 5, false);
    wire_peer_t pb = pr_peer_of(&b);
    cr_assert_eq(p2p_add_peer(a.p, &pb), 0);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(!info.unresponsive, "not asked yet: not unresponsive");
    cr_assert_eq(info.last_answer_age_ms, -1, "never answered");
    cr_assert_not(p2p_answering(a.p, pb.id));

    cr_assert_eq(ask_tip(&a, pb.id), 0);
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(!info.unresponsive);
    cr_assert(info.last_answer_age_ms >= 0 && info.last_answer_age_ms < 5000);
    cr_assert(p2p_answering(a.p, pb.id));

    /* It stops answering (its gossip socket stays connected). It has
     * answered before, so it gets the retry as well. */
    atomic_store(&b.mode, PR_SILENT);
    uint64_t t_silent = sock_now_ms();
    cr_assert_eq(ask_tip(&a, pb.id), ERR_TIMEOUT);
    cr_assert_geq(sock_now_ms() - t_silent, 2 * 300 - 10, "one attempt only");
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(info.unresponsive);
    cr_assert(info.last_answer_age_ms >= 0, "it did answer once");
    cr_assert_not(p2p_answering(a.p, pb.id), "its last one timed out");
    p2p_peer_info_t all[4];
    cr_assert_eq(p2p_peers(a.p, all, 4), 1);
    cr_assert(all[0].unresponsive, "the list says so too");
    cr_assert(info.backoff_ms > 0 && info.backoff_ms <= P2P_BACKOFF_FIRST_MS,
              "backed off for %llu ms", (unsigned long long)info.backoff_ms);

    /* It answers again, but lost its turn: while backed off it is not
     * asked at all. */
    atomic_store(&b.mode, PR_ANSWER);
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(ask_tip(&a, pb.id), ERR_TIMEOUT);
    cr_assert_lt(sock_now_ms() - t0, 200, "a backed-off peer was waited for");
    cr_assert_eq(p2p_ask(a.p, pb.id, 1, (const uint8_t *)"x", 1), ERR_TIMEOUT);
    uint64_t ms = info.backoff_ms + 50;
    nanosleep(
        &(struct timespec){(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L},
        NULL);
    cr_assert_eq(ask_tip(&a, pb.id), 0);
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(!info.unresponsive);
    cr_assert_eq(info.backoff_ms, 0, "one answer ends the backoff");
    pr_stop(&a);
    pr_stop(&b);
}

Test(p2p, misbehaving_api_scores_and_bans)
{
    pr_node_t a, b;
    node_start(&a, NULL, NULL, 1, false);
    node_start(&b, NULL, NULL, 2, false);
    wire_peer_t pb = pr_peer_of(&b);
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
    pr_stop(&a);
    pr_stop(&b);
}

Test(p2p, broadcast_and_receive_arguments)
{
    pr_node_t a;
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
    pr_stop(&a);
}

/* ---- p2p_ask(): outcomes in the inbox ------------------------------------ */

static void get_tip(buf_t *req)
{
    buf_init(req);
    cr_assert_eq(wire_encode_empty(req, NET, WIRE_GET_TIP), 0);
}

/* Waits (generously) for the next reply in n's inbox, skipping gossip. */
static void next_reply(pr_node_t *n, p2p_msg_t *m)
{
    uint64_t deadline = sock_now_ms() + 5000;
    while (sock_now_ms() < deadline) {
        if (p2p_receive_data(n->p, m, 50) != 0)
            continue;
        if (m->source == P2P_FROM_REPLY)
            return;
        p2p_msg_clear(m);
    }
    cr_assert(false, "no reply arrived in the inbox");
}

Test(p2p, ask_the_answer_arrives_in_the_inbox_with_its_tag)
{
    pr_node_t a, b;
    wire_peer_t pb = pr_pair_up(&a, &b, NET, 77, PR_ANSWER);
    buf_t req;
    get_tip(&req);
    cr_assert_eq(p2p_ask(a.p, pb.id, 41, req.data, req.len), 0);
    cr_assert_eq(p2p_ask(a.p, pb.id, 42, req.data, req.len), 0);
    /* In the order they were asked, each once. */
    for (uint64_t tag = 41; tag <= 42; tag++) {
        p2p_msg_t m;
        next_reply(&a, &m);
        cr_assert_eq(m.tag, tag);
        cr_assert_eq(m.peer_id, pb.id);
        cr_assert_eq(m.status, 0);
        cr_assert_eq(m.type, WIRE_TIP);
        cr_assert_eq(m.msg.type, WIRE_TIP);
        cr_assert_eq(m.msg.u.tip.height, 77);
        cr_assert(m.data && m.len > WIRE_HEADER_SIZE);
        p2p_msg_clear(&m);
    }
    p2p_msg_t m;
    cr_assert_eq(p2p_receive_data(a.p, &m, 300), ERR_TIMEOUT,
                 "one outcome per request");
    /* An unknown peer is refused at once, and nothing arrives. */
    cr_assert_eq(p2p_ask(a.p, 0x1234, 1, req.data, req.len), ERR_NOT_FOUND);
    cr_assert_eq(p2p_ask(a.p, pb.id, 1, req.data, 0), ERR_ARG);
    cr_assert_eq(p2p_receive_data(a.p, &m, 300), ERR_TIMEOUT);
    buf_deinit(&req);
    pr_pair_down(&a, &b);
}

Test(p2p, ask_a_silent_peer_is_a_timeout_that_nobody_waited_for)
{
    pr_node_t a, b;
    wire_peer_t pb = pr_pair_up(&a, &b, NET, 5, PR_SILENT);
    buf_t req;
    get_tip(&req);
    cr_assert_eq(p2p_ask(a.p, pb.id, 9, req.data, req.len), 0);
    /* p2p_ask returned before the request could have timed out: the
     * outcome is not there yet. */
    p2p_msg_t m;
    cr_assert_eq(p2p_receive_data(a.p, &m, 0), ERR_TIMEOUT);
    next_reply(&a, &m);
    cr_assert_eq(m.tag, 9);
    cr_assert_eq(m.status, ERR_TIMEOUT);
    cr_assert_eq(m.type, 0);
    cr_assert_null(m.data);
    p2p_msg_clear(&m);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert(info.unresponsive);
    cr_assert_eq(info.score, 0, "silence is not misbehaviour");
    buf_deinit(&req);
    pr_pair_down(&a, &b);
}

Test(p2p, ask_a_reply_that_does_not_decode_is_an_outcome_and_scored)
{
    pr_node_t a, b;
    wire_peer_t pb = pr_pair_up(&a, &b, NET, 5, PR_GARBAGE);
    buf_t req;
    get_tip(&req);
    cr_assert_eq(p2p_ask(a.p, pb.id, 3, req.data, req.len), 0);
    p2p_msg_t m;
    next_reply(&a, &m);
    cr_assert_eq(m.tag, 3);
    cr_assert_eq(m.status, ERR_PARSE);
    cr_assert_null(m.data);
    p2p_msg_clear(&m);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, pb.id), 0);
    cr_assert_gt(info.score, 0);
    cr_assert_eq(info.bad_messages, 1);
    buf_deinit(&req);
    pr_pair_down(&a, &b);
}

Test(p2p, ask_the_queue_is_bounded)
{
    pr_node_t a, b;
    wire_peer_t pb = pr_pair_up(&a, &b, NET, 5, PR_SILENT);
    buf_t req;
    get_tip(&req);
    /* One request may be in flight, P2P_MAX_ASKS wait behind it. */
    int queued = 0, rc = 0;
    for (int i = 0; i < P2P_MAX_ASKS + 2; i++) {
        rc = p2p_ask(a.p, pb.id, (uint64_t)i, req.data, req.len);
        if (rc)
            break;
        queued++;
    }
    cr_assert_eq(rc, ERR_FULL);
    cr_assert(queued >= P2P_MAX_ASKS && queued <= P2P_MAX_ASKS + 1, "%d queued",
              queued);
    buf_deinit(&req);
    /* Freeing drops what waits; the request in flight ends by its
     * timeout. */
    pr_pair_down(&a, &b);
}

Test(p2p, backoff_doubles_up_to_its_most)
{
    cr_assert_eq(p2p_backoff_ms(1), P2P_BACKOFF_FIRST_MS);
    cr_assert_eq(p2p_backoff_ms(2), 2 * P2P_BACKOFF_FIRST_MS);
    cr_assert_eq(p2p_backoff_ms(4), 8 * P2P_BACKOFF_FIRST_MS);
    cr_assert_eq(p2p_backoff_ms(40), P2P_BACKOFF_MAX_MS);
    cr_assert_eq(p2p_backoff_ms(4000000000u), P2P_BACKOFF_MAX_MS);
}

Test(p2p, ask_a_silent_peer_does_not_delay_another_peers_answer)
{
    p2p_config_t cfg;
    pr_config(&cfg, NET);
    cfg.request_timeout_ms = 3000; /* a silent peer costs this much */
    cfg.request_retries = 0;
    pr_node_t a, b, c;
    pr_start(&a, &cfg, 1, PR_ANSWER);
    pr_start(&b, &cfg, 5, PR_SILENT);
    pr_start(&c, &cfg, 7, PR_ANSWER);
    wire_peer_t pb = pr_peer_of(&b), pc = pr_peer_of(&c);
    cr_assert_eq(p2p_add_peer(a.p, &pb), 0);
    cr_assert_eq(p2p_add_peer(a.p, &pc), 0);
    buf_t req;
    get_tip(&req);
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(p2p_ask(a.p, pb.id, 1, req.data, req.len), 0);
    cr_assert_eq(p2p_ask(a.p, pc.id, 2, req.data, req.len), 0);
    p2p_msg_t m;
    next_reply(&a, &m);
    cr_assert_eq(m.tag, 2, "the answering peer's outcome comes first");
    cr_assert_eq(m.status, 0);
    cr_assert_lt(sock_now_ms() - t0, 1500, "it waited for the silent peer");
    p2p_msg_clear(&m);
    next_reply(&a, &m);
    cr_assert_eq(m.tag, 1);
    cr_assert_eq(m.status, ERR_TIMEOUT);
    p2p_msg_clear(&m);
    buf_deinit(&req);
    pr_stop(&a);
    pr_stop(&b);
    pr_stop(&c);
}
