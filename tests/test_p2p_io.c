/*
 * Tests for net/p2p_io.c, the I/O thread: what it does with each frame
 * that arrives. A gossiped message reaches the inbox decoded from the very
 * bytes it came in (decoded once); garbage, another network's frames and
 * message types with no place on gossip are scored until the peer is
 * banned -- its socket really closed, seen from the peer's end -- and it
 * is heard again when the ban ends; a frame of the previous wire version
 * is logged once and not scored, the peer's current frames still get in;
 * and a flooding peer is held to its share of the inbox while another's
 * frames get in.
 *
 * Peers are p2p_rig.h nodes or bare PUB sockets posing as peers. PUB/SUB
 * loses the first messages of a fresh subscription, so a test that needs a
 * frame to arrive repeats it until it does, under a deadline.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "p2p.h"
#include "sock.h"
#include "wire.h"

#include "p2p_rig.h"

static const uint8_t NET[32] = {0x69, 0x6f};

/* One time limit for the binary (different ones make Criterion's runner
 * leak under LeakSanitizer). */
TestSuite(p2p_io, .init = pr_quiet, .timeout = 20);

static void start_node(pr_node_t *n)
{
    p2p_config_t cfg;
    pr_config(&cfg, NET);
    pr_start(n, &cfg, 1, PR_ANSWER);
}

Test(p2p_io, gossip_arrives_decoded_from_its_own_bytes)
{
    pr_node_t a, b;
    wire_peer_t pb = pr_pair_up(&a, &b, NET, 5, PR_ANSWER);
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
    pr_pair_down(&a, &b);
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

Test(p2p_io, misbehaving_peer_is_banned_then_forgiven)
{
    pr_node_t a;
    start_node(&a);
    /* A rogue publisher A subscribes to as a peer. */
    identity_t rogue_key;
    cr_assert_eq(identity_generate(&rogue_key), 0);
    void *rogue = sock_new(ZMQ_PUB);
    char rogue_ep[SOCK_ENDPOINT_MAX];
    cr_assert_eq(sock_curve_server(rogue, &rogue_key), 0);
    cr_assert_eq(
        sock_bind(rogue, rogue_ep, sizeof rogue_ep, "tcp://127.0.0.1:*"), 0);
    void *watch = watch_connections(rogue, "rogue");
    wire_peer_t r;
    memset(&r, 0, sizeof r);
    memcpy(r.key, rogue_key.pub, sizeof r.key);
    r.id = wire_key_id(r.key);
    strcpy(r.req, "tcp://127.0.0.1:1");
    strcpy(r.gossip, rogue_ep);
    cr_assert_eq(p2p_add_peer(a.p, &r), 0);
    cr_assert(pr_wait_peers(a.p, 1, 3000));
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
    pr_tx_from(tx, r.id, 1);
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
    pr_stop(&a);
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

/*
 * Gossip of the wire version before NEW_TXS and SUBMIT_TXS comes from an
 * honest node of an older build: dropped and logged (once), never scored as
 * malformed, and the peer's frames of this version still get in.
 */

Test(p2p_io, a_peer_of_the_previous_version_is_told_apart_from_garbage,
     .init = cr_redirect_stderr)
{
    log_set_level(LOG_WARN);
    pr_node_t a;
    start_node(&a);
    char old_ep[SOCK_ENDPOINT_MAX];
    uint64_t old_id;
    void *old = pr_fake_peer(a.p, &old_id, old_ep);
    cr_assert(pr_wait_peers(a.p, 1, 3000));

    uint8_t tx[TX_TRANSFER_SIZE];
    pr_tx_from(tx, old_id, 1);
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
            got = m.peer_id == old_id && m.type == WIRE_NEW_TX;
            p2p_msg_clear(&m);
        }
    }
    cr_assert(got, "the peer's current frames get in");
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a.p, &info, old_id), 0);
    cr_assert_eq(info.score, 0, "not scored");
    cr_assert_eq(info.bad_messages, 0, "not counted as malformed");
    cr_assert_not(info.banned);
    cr_assert_gt(info.messages, 0);
    buf_deinit(&now);
    buf_deinit(&before);
    sock_close(&old);
    pr_stop(&a);
    char says[96];
    snprintf(says, sizeof says,
             "peer %016llx speaks wire version %d, this "
             "node %d",
             (unsigned long long)old_id, WIRE_VERSION - 1, WIRE_VERSION);
    cr_assert_eq(lines_with(says, "[p2p]"), 1, "logged once");
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

Test(p2p_io, flooding_peer_held_to_its_inbox_share)
{
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    cfg.peer_inbox_bytes = 2000; /* about ten NEW_TX frames */
    p2p_t *a = p2p_new(&cfg);
    cr_assert(a);
    char flood_ep[SOCK_ENDPOINT_MAX], calm_ep[SOCK_ENDPOINT_MAX];
    uint64_t flood_id = 0xf100d, calm_id = 0xca1;
    void *flood = pr_fake_peer(a, &flood_id, flood_ep);
    void *calm = pr_fake_peer(a, &calm_id, calm_ep);
    uint8_t tx[TX_TRANSFER_SIZE];
    buf_t ff, cf;
    buf_init(&ff);
    buf_init(&cf);
    pr_tx_from(tx, flood_id, 1);
    cr_assert_eq(wire_encode_blob(&ff, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    pr_tx_from(tx, calm_id, 1);
    cr_assert_eq(wire_encode_blob(&cf, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    until_heard(a, flood, flood_id, &ff);
    until_heard(a, calm, calm_id, &cf);

    /* The node is busy (nobody drains the inbox) while one peer floods. */
    uint64_t before = peer_messages(a, flood_id);
    for (int i = 0; i < 200; i++)
        cr_assert_eq(sock_send(flood, ff.data, ff.len, 0), 0);
    uint64_t deadline = sock_now_ms() + 5000;
    while (peer_messages(a, flood_id) < before + 200 &&
           sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    cr_assert_eq(peer_messages(a, flood_id), before + 200,
                 "every flooded frame was read");
    before = peer_messages(a, calm_id);
    cr_assert_eq(sock_send(calm, cf.data, cf.len, 0), 0);
    deadline = sock_now_ms() + 3000;
    while (peer_messages(a, calm_id) == before && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);

    size_t from_flood = 0, from_calm = 0;
    p2p_msg_t m;
    while (p2p_receive_data(a, &m, 50) == 0) {
        from_flood += m.peer_id == flood_id;
        from_calm += m.peer_id == calm_id;
        p2p_msg_clear(&m);
    }
    cr_assert_eq(from_calm, 1, "the calm peer's frame got in");
    cr_assert_geq(from_flood, 1);
    cr_assert_leq(from_flood * ff.len, 2000 + ff.len,
                  "%zu flooded frames waited", from_flood);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a, &info, flood_id), 0);
    cr_assert_eq(info.dropped, 200 - from_flood);
    cr_assert_not(info.banned, "dropping is not misbehaviour");
    cr_assert_eq(p2p_peer(a, &info, calm_id), 0);
    cr_assert_eq(info.dropped, 0);

    /* Its share frees up as the node reads: it is heard again. */
    until_heard(a, flood, flood_id, &ff);

    buf_deinit(&ff);
    buf_deinit(&cf);
    sock_close(&flood);
    sock_close(&calm);
    p2p_free(&a);
}

Test(p2p_io, a_flood_of_small_frames_costs_only_the_flooder)
{
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    cfg.inbox_max = 50; /* bytes are no limit here: frames are */
    p2p_t *a = p2p_new(&cfg);
    cr_assert(a);
    char flood_ep[SOCK_ENDPOINT_MAX], calm_ep[SOCK_ENDPOINT_MAX];
    uint64_t flood_id = 0, calm_id = 0;
    void *flood = pr_fake_peer(a, &flood_id, flood_ep);
    void *calm = pr_fake_peer(a, &calm_id, calm_ep);
    uint8_t tx[TX_TRANSFER_SIZE];
    buf_t ff, cf;
    buf_init(&ff);
    buf_init(&cf);
    pr_tx_from(tx, flood_id, 1);
    cr_assert_eq(wire_encode_blob(&ff, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    pr_tx_from(tx, calm_id, 1);
    cr_assert_eq(wire_encode_blob(&cf, NET, WIRE_NEW_TX, tx, sizeof tx), 0);
    until_heard(a, flood, flood_id, &ff);
    until_heard(a, calm, calm_id, &cf);

    /* The node is busy while one peer fills the whole inbox ... */
    uint64_t before = peer_messages(a, flood_id);
    for (int i = 0; i < 200; i++)
        cr_assert_eq(sock_send(flood, ff.data, ff.len, 0), 0);
    uint64_t deadline = sock_now_ms() + 5000;
    while (peer_messages(a, flood_id) < before + 200 &&
           sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    cr_assert_eq(peer_messages(a, flood_id), before + 200);
    p2p_peer_info_t info;
    cr_assert_eq(p2p_peer(a, &info, flood_id), 0);
    cr_assert_eq(info.queued, 50, "the flooder holds the inbox");
    /* ... and an honest peer's frames still get in, each of them. */
    before = peer_messages(a, calm_id);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sock_send(calm, cf.data, cf.len, 0), 0);
    deadline = sock_now_ms() + 3000;
    while (peer_messages(a, calm_id) < before + 5 && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    cr_assert_eq(p2p_peer(a, &info, calm_id), 0);
    cr_assert_eq(info.dropped, 0, "none of the honest peer's frames dropped");
    cr_assert_eq(info.queued, 5);

    /* Served in turns: the honest frames come among the first. */
    size_t from_flood = 0, from_calm = 0, calm_last_at = 0, i = 0;
    p2p_msg_t m;
    while (p2p_receive_data(a, &m, 50) == 0) {
        i++;
        from_flood += m.peer_id == flood_id;
        if (m.peer_id == calm_id) {
            from_calm++;
            calm_last_at = i;
        }
        p2p_msg_clear(&m);
    }
    cr_assert_eq(from_calm, 5);
    cr_assert_eq(from_flood, 45, "the flooder made room");
    cr_assert_leq(calm_last_at, 10, "the honest frames waited behind %zu",
                  calm_last_at);
    cr_assert_eq(p2p_peer(a, &info, flood_id), 0);
    cr_assert_eq(info.dropped, 200 - 45, "the drops are the flooder's own");
    cr_assert_not(info.banned, "dropping is not misbehaviour");

    buf_deinit(&ff);
    buf_deinit(&cf);
    sock_close(&flood);
    sock_close(&calm);
    p2p_free(&a);
}
