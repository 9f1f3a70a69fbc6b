/*
 * Tests for net/p2p.c's asynchronous side and its inbox: p2p_ask() returns
 * at once and the outcome arrives in the inbox, tagged (an answer decoded,
 * a timeout, a reply that does not decode -- scored), its queue is bounded,
 * and a gossiped message reaches the inbox decoded from the very bytes it
 * came in (decoded once, by p2p). Two p2p instances in-process on
 * 127.0.0.1, peers added by hand, and a request server in a thread that
 * answers GET_TIP, stays silent or answers garbage.
 *
 * PUB/SUB loses the first messages of a fresh subscription, so a test that
 * needs a broadcast to arrive repeats it until it does, under a deadline.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "p2p.h"
#include "server.h"
#include "sock.h"
#include "wire.h"

static const uint8_t NET[32] = {0x61, 0x73, 0x6b};

enum { ANSWER, SILENT, GARBAGE };

typedef struct {
    p2p_t *p;
    server_t *srv;
    pthread_t th;
    atomic_int stop;
    atomic_int mode;
    uint32_t height; /* what it answers to GET_TIP */
} peer_fx_t;

static void *serve(void *arg)
{
    peer_fx_t *n = arg;
    buf_t out;
    buf_init(&out);
    while (!atomic_load(&n->stop)) {
        server_req_t req;
        if (server_recv(n->srv, &req, 20) != 0)
            continue;
        int mode = atomic_load(&n->mode);
        if (mode == ANSWER) {
            wire_msg_t tip;
            wire_msg_init(&tip, WIRE_TIP);
            tip.u.tip.height = n->height;
            buf_reset(&out);
            cr_assert_eq(wire_encode(&out, NET, &tip), 0);
            cr_assert_eq(server_reply(n->srv, &req, out.data, out.len), 0);
        } else if (mode == GARBAGE) {
            static const uint8_t junk[] = "not a wire frame";
            cr_assert_eq(server_reply(n->srv, &req, junk, sizeof junk), 0);
        }
        server_req_clear(&req);
    }
    buf_deinit(&out);
    return NULL;
}

static void start(peer_fx_t *n, uint32_t height, int mode)
{
    memset(n, 0, sizeof *n);
    n->height = height;
    atomic_store(&n->mode, mode);
    n->srv = server_new("tcp://127.0.0.1:*");
    cr_assert(n->srv);
    cr_assert_eq(pthread_create(&n->th, NULL, serve, n), 0);
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    strcpy(cfg.request_advertise, server_endpoint(n->srv));
    cfg.request_timeout_ms = 200;
    cfg.request_retries = 0;
    n->p = p2p_new(&cfg);
    cr_assert(n->p);
}

static void stop(peer_fx_t *n)
{
    p2p_free(&n->p);
    atomic_store(&n->stop, 1);
    pthread_join(n->th, NULL);
    server_free(&n->srv);
}

static wire_peer_t peer_of(peer_fx_t *n)
{
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    w.id = p2p_node_id(n->p);
    strcpy(w.req, server_endpoint(n->srv));
    strcpy(w.gossip, p2p_gossip_endpoint(n->p));
    return w;
}

/* Starts a (answering) and b (mode, answering GET_TIP with height), and
 * makes a know b. Returns b as a knows it. */
static wire_peer_t pair_up(peer_fx_t *a, peer_fx_t *b, uint32_t height,
                           int mode)
{
    start(a, 1, ANSWER);
    start(b, height, mode);
    wire_peer_t pb = peer_of(b);
    cr_assert_eq(p2p_add_peer(a->p, &pb), 0);
    return pb;
}

static void pair_down(peer_fx_t *a, peer_fx_t *b)
{
    stop(a);
    stop(b);
}

static void get_tip(buf_t *req)
{
    buf_init(req);
    cr_assert_eq(wire_encode_empty(req, NET, WIRE_GET_TIP), 0);
}

/* Waits (generously) for the next reply in n's inbox, skipping gossip. */
static void next_reply(peer_fx_t *n, p2p_msg_t *m)
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

static void quiet(void)
{
    log_set_level(LOG_ERROR);
}

Test(p2p_ask, the_answer_arrives_in_the_inbox_with_its_tag, .init = quiet,
     .timeout = 10)
{
    peer_fx_t a, b;
    wire_peer_t pb = pair_up(&a, &b, 77, ANSWER);
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
    pair_down(&a, &b);
}

Test(p2p_ask, a_silent_peer_is_a_timeout_that_nobody_waited_for, .init = quiet,
     .timeout = 10)
{
    peer_fx_t a, b;
    wire_peer_t pb = pair_up(&a, &b, 5, SILENT);
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
    pair_down(&a, &b);
}

Test(p2p_ask, a_reply_that_does_not_decode_is_an_outcome_and_scored,
     .init = quiet, .timeout = 10)
{
    peer_fx_t a, b;
    wire_peer_t pb = pair_up(&a, &b, 5, GARBAGE);
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
    pair_down(&a, &b);
}

Test(p2p_ask, the_queue_is_bounded, .init = quiet, .timeout = 20)
{
    peer_fx_t a, b;
    wire_peer_t pb = pair_up(&a, &b, 5, SILENT);
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
    pair_down(&a, &b);
}

Test(p2p_ask, gossip_arrives_decoded_from_its_own_bytes, .init = quiet,
     .timeout = 10)
{
    peer_fx_t a, b;
    wire_peer_t pb = pair_up(&a, &b, 5, ANSWER);
    uint8_t tx[TX_TRANSFER_SIZE];
    memset(tx, 0x5a, sizeof tx);
    buf_t frame;
    buf_init(&frame);
    cr_assert_eq(wire_encode_blob(&frame, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    bool heard = false;
    uint64_t deadline = sock_now_ms() + 5000;
    while (!heard && sock_now_ms() < deadline) {
        cr_assert_eq(p2p_broadcast(b.p, frame.data, frame.len), 0);
        p2p_msg_t m;
        if (p2p_receive_data(a.p, &m, 100) != 0)
            continue;
        cr_assert_eq(m.source, P2P_FROM_PEER);
        cr_assert_eq(m.peer_id, pb.id);
        cr_assert_eq(m.type, WIRE_NEW_TX);
        cr_assert_eq(m.msg.type, WIRE_NEW_TX);
        /* The frame as sent, and the decoded blob inside it. */
        cr_assert_eq(m.len, frame.len);
        cr_assert_eq(memcmp(m.data, frame.data, frame.len), 0);
        cr_assert(m.msg.u.blob.data >= m.data &&
                  m.msg.u.blob.data + m.msg.u.blob.len <= m.data + m.len);
        cr_assert_eq(m.msg.u.blob.len, sizeof tx);
        cr_assert_eq(memcmp(m.msg.u.blob.data, tx, sizeof tx), 0);
        p2p_msg_clear(&m);
        heard = true;
    }
    cr_assert(heard, "the gossip never arrived");
    buf_deinit(&frame);
    pair_down(&a, &b);
}
