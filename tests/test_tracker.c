/*
 * Tests for net/tracker.c.
 *
 * The logic first, without sockets, on a clock the test moves
 * (tracker_rig.h): registration and its announcements, refresh, PING of
 * known and unknown peers, expiry, LEAVE, PEERS, refusals (wrong network or
 * version, garbage, wrong type, full table, bad endpoints), and a node that
 * restarts under a new id. The relay of submitted transactions is
 * test_tracker_relay.c's.
 *
 * Then the real thing: the tracker loop in a thread on 127.0.0.1 with free
 * ports, a SUB socket on its PUB, two peers registering through reqclient,
 * PEER_JOINED seen, submitted transactions relayed (SUBMIT_TX and
 * SUBMIT_TXS, each turn's as one NEW_TXS frame), and both peers expiring
 * with PEER_LEFT.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "params.h"
#include "reqclient.h"
#include "sock.h"
#include "tracker.h"
#include "wire.h"

#include "tracker_rig.h"

#define NET tr_net
static const uint8_t OTHER[32] = {0x01};

static bool tr_ping(tracker_t *t, uint64_t id, uint64_t now)
{
    wire_msg_t req, reply;
    buf_t rb;
    buf_init(&rb);
    wire_msg_init(&req, WIRE_PING);
    req.u.node_id = id;
    tr_ask(t, &reply, &rb, &req, now);
    cr_assert_eq(reply.type, WIRE_PONG);
    bool known = reply.u.pong.known;
    cr_assert_eq(reply.u.pong.peers, tracker_peer_count(t));
    buf_deinit(&rb);
    return known;
}

Test(tracker, register_announces_and_lists_others)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_peer_t a = tr_peer(0xa, 9000), b = tr_peer(0xb, 9100);
    wire_msg_t reply, m;
    buf_t rb;
    buf_init(&rb);

    tr_register(t, &reply, &rb, &a, 1000);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    cr_assert_eq(reply.u.peer_list.count, 0);
    cr_assert_eq(reply.u.peer_list.peer_timeout_ms, 15000);
    wire_msg_clear(&reply);
    tr_published(&m, &rec, 0, WIRE_PEER_JOINED);
    cr_assert_eq(m.u.peer.id, 0xa);
    cr_assert_str_eq(m.u.peer.gossip, "tcp://127.0.0.1:9001");

    tr_register(t, &reply, &rb, &b, 1000);
    cr_assert_eq(reply.u.peer_list.count, 1, "B learns of A, not itself");
    cr_assert_eq(reply.u.peer_list.peers[0].id, 0xa);
    cr_assert_str_eq(reply.u.peer_list.peers[0].req, "tcp://127.0.0.1:9000");
    wire_msg_clear(&reply);
    tr_published(&m, &rec, 1, WIRE_PEER_JOINED);
    cr_assert_eq(m.u.peer.id, 0xb);
    cr_assert_eq(tracker_peer_count(t), 2);

    /* Registering again refreshes without a new announcement. */
    tr_register(t, &reply, &rb, &a, 2000);
    cr_assert_eq(reply.u.peer_list.count, 1);
    wire_msg_clear(&reply);
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(tracker_peer_count(t), 2);

    /* PEERS lists everybody. */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_PEERS);
    tr_ask(t, &reply, &rb, &req, 2000);
    cr_assert_eq(reply.type, WIRE_PEER_LIST);
    cr_assert_eq(reply.u.peer_list.count, 2);
    wire_msg_clear(&reply);

    wire_peer_t found;
    cr_assert_eq(tracker_find(t, &found, 0xb), 0);
    cr_assert_str_eq(found.req, "tcp://127.0.0.1:9100");
    cr_assert_eq(tracker_find(t, &found, 0xc), ERR_NOT_FOUND);

    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
    cr_assert_null(t);
}

Test(tracker, ping_keeps_alive_and_expiry_announces)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_peer_t a = tr_peer(0xa, 9000), b = tr_peer(0xb, 9100);
    wire_msg_t reply, m;
    buf_t rb;
    buf_init(&rb);
    tr_register(t, &reply, &rb, &a, 0);
    wire_msg_clear(&reply);
    tr_register(t, &reply, &rb, &b, 0);
    wire_msg_clear(&reply);
    tr_recorder_clear(&rec);

    cr_assert(tr_ping(t, 0xa, 10000));
    cr_assert_not(tr_ping(t, 0xdead, 10000), "unknown: register again");

    cr_assert_eq(tracker_expire(t, 15000), 0, "not yet past the timeout");
    cr_assert_eq(tracker_expire(t, 15001), 1, "B was silent for 15.001 s");
    cr_assert_eq(rec.n, 1);
    tr_published(&m, &rec, 0, WIRE_PEER_LEFT);
    cr_assert_eq(m.u.peer.id, 0xb);
    cr_assert_eq(tracker_find(t, NULL, 0xb), ERR_NOT_FOUND);
    cr_assert_eq(tracker_find(t, NULL, 0xa), 0);

    /* B's next ping is answered "unknown"; it registers again. */
    cr_assert_not(tr_ping(t, 0xb, 16000));
    tr_register(t, &reply, &rb, &b, 16000);
    wire_msg_clear(&reply);
    cr_assert(tr_ping(t, 0xb, 16001));

    cr_assert_eq(tracker_expire(t, 25001), 1, "A last pinged at 10 s");
    cr_assert_eq(tracker_peer_count(t), 1);
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker, leave_announces)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_peer_t a = tr_peer(0xa, 9000);
    wire_msg_t reply, m, req;
    buf_t rb;
    buf_init(&rb);
    tr_register(t, &reply, &rb, &a, 0);
    wire_msg_clear(&reply);
    tr_recorder_clear(&rec);

    wire_msg_init(&req, WIRE_LEAVE);
    req.u.node_id = 0xa;
    tr_ask(t, &reply, &rb, &req, 1);
    cr_assert_eq(reply.type, WIRE_ACK);
    tr_published(&m, &rec, 0, WIRE_PEER_LEFT);
    cr_assert_eq(m.u.peer.id, 0xa);
    cr_assert_eq(tracker_peer_count(t), 0);

    /* Leaving twice is harmless and silent. */
    tr_ask(t, &reply, &rb, &req, 2);
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(rec.n, 1);
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker, refusals_say_why)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    buf_t rb, b;
    buf_init(&rb);
    buf_init(&b);
    wire_msg_t reply;

    /* Another network's PING, answered in that network (made-up ids have
     * no name). */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_PING);
    cr_assert_eq(wire_encode(&b, OTHER, &req), 0);
    cr_assert_eq(tracker_handle(t, &rb, NULL, b.data, b.len, 0), 0);
    cr_assert_eq(wire_decode(&reply, OTHER, rb.data, rb.len), 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker is on an unknown network, this node on an "
                     "unknown network");

    /* A newer protocol version: answered in ours, which is all we know. */
    b.data[4]++;
    buf_reset(&rb);
    cr_assert_eq(tracker_handle(t, &rb, NULL, b.data, b.len, 0), 0);
    cr_assert_eq(wire_decode(&reply, OTHER, rb.data, rb.len), 0);
    cr_assert_eq(reply.u.error.code, ERR_UNSUPPORTED);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker speaks wire version 3, this node 4");

    /* Garbage. */
    buf_reset(&rb);
    cr_assert_eq(tracker_handle(t, &rb, NULL, (const uint8_t *)"hello", 5, 0),
                 0);
    cr_assert_eq(wire_decode(&reply, NET, rb.data, rb.len), 0);
    cr_assert_eq(reply.u.error.code, ERR_PARSE);

    /* A node request sent to the tracker. */
    wire_msg_init(&req, WIRE_GET_TIP);
    tr_ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_UNSUPPORTED);
    cr_assert(strstr(reply.u.error.reason, "GET_TIP"));

    /* Bad registrations. */
    wire_peer_t p = tr_peer(5, 9000);
    strcpy(p.gossip, "http://x:1");
    tr_register(t, &reply, &rb, &p, 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(tracker_peer_count(t), 0);
    cr_assert_eq(rec.n, 0, "nothing announced");
    buf_deinit(&rb);
    buf_deinit(&b);
    tracker_free(&t);
}

/*
 * A node of another network, or of the wire version before NEW_TXS and
 * SUBMIT_TXS, is told so in a frame it can read: its own network and
 * version.
 */
Test(tracker, a_node_of_another_network_or_version_is_told_so)
{
    tracker_config_t cfg;
    tracker_config_init(&cfg, params_demo()->network_id);
    tracker_t *t = tracker_new(&cfg);
    cr_assert(t);
    const uint8_t *regtest = params_regtest()->network_id;
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = tr_peer(7, 9000);
    buf_t b, rb;
    buf_init(&b);
    buf_init(&rb);
    cr_assert_eq(wire_encode(&b, regtest, &req), 0);
    cr_assert_eq(tracker_handle(t, &rb, NULL, b.data, b.len, 0), 0);
    cr_assert_eq(wire_decode(&reply, regtest, rb.data, rb.len), 0,
                 "the regtest node reads the answer");
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker is on demo, this node on regtest");
    cr_assert_eq(tracker_peer_count(t), 0);

    /* A demo node of the previous version. */
    buf_reset(&b);
    buf_reset(&rb);
    cr_assert_eq(wire_encode(&b, params_demo()->network_id, &req), 0);
    b.data[4] = WIRE_VERSION - 1;
    cr_assert_eq(tracker_handle(t, &rb, NULL, b.data, b.len, 0), 0);
    wire_envelope_t env;
    cr_assert_eq(wire_read_envelope(&env, rb.data, rb.len), 0);
    cr_assert_eq(env.version, WIRE_VERSION - 1, "answered in its version");
    rb.data[4] = WIRE_VERSION; /* the same ERROR in both versions */
    cr_assert_eq(
        wire_decode(&reply, params_demo()->network_id, rb.data, rb.len), 0);
    cr_assert_eq(reply.u.error.code, ERR_UNSUPPORTED);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker speaks wire version 3, this node 2");
    cr_assert_eq(tracker_peer_count(t), 0);
    buf_deinit(&b);
    buf_deinit(&rb);
    tracker_free(&t);
}

Test(tracker, full_table_refuses)
{
    tracker_config_t cfg;
    tracker_config_init(&cfg, NET);
    cfg.max_peers = 2;
    tracker_t *t = tracker_new(&cfg);
    cr_assert(t);
    wire_msg_t reply;
    buf_t rb;
    buf_init(&rb);
    for (int i = 1; i <= 3; i++) {
        wire_peer_t p = tr_peer((uint64_t)i, 9000 + 10 * i);
        tr_register(t, &reply, &rb, &p, 0);
        if (i <= 2)
            cr_assert_eq(reply.type, WIRE_REGISTER_OK);
        else {
            cr_assert_eq(reply.type, WIRE_ERROR);
            cr_assert_eq(reply.u.error.code, ERR_FULL);
        }
        wire_msg_clear(&reply);
    }
    cr_assert_eq(tracker_peer_count(t), 2);
    buf_deinit(&rb);
    tracker_free(&t);

    cfg.max_peers = 0;
    cr_assert_null(tracker_new(&cfg));
    tracker_free(NULL);
}

Test(tracker, a_restarted_node_keeps_its_entry)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_peer_t before = tr_peer(0x1, 9000), after = tr_peer(0x1, 9200);
    wire_msg_t reply, m;
    buf_t rb;
    buf_init(&rb);
    tr_register(t, &reply, &rb, &before, 0);
    wire_msg_clear(&reply);
    tr_recorder_clear(&rec);
    /* The same key (kept in its data directory), new ports. */
    tr_register(t, &reply, &rb, &after, 5);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    cr_assert_eq(reply.u.peer_list.count, 0, "its old self is not a peer");
    wire_msg_clear(&reply);
    cr_assert_eq(tracker_peer_count(t), 1);
    cr_assert_eq(rec.n, 1, "moved: announced again, nothing left");
    tr_published(&m, &rec, 0, WIRE_PEER_JOINED);
    cr_assert_str_eq(m.u.peer.req, "tcp://127.0.0.1:9200");
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

/* The impersonation: a new key registering an honest node's gossip
 * endpoint (and its own request endpoint) is refused and evicts nothing. */
Test(tracker, another_key_cannot_take_registered_endpoints)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_peer_t honest = tr_peer(0x1, 9000), impostor = tr_peer(0x666, 9500);
    snprintf(impostor.gossip, sizeof impostor.gossip, "%s", honest.gossip);
    wire_msg_t reply;
    buf_t rb;
    buf_init(&rb);
    tr_register(t, &reply, &rb, &honest, 0);
    wire_msg_clear(&reply);
    tr_recorder_clear(&rec);

    tr_register(t, &reply, &rb, &impostor, 5);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_DUPLICATE);
    cr_assert(strstr(reply.u.error.reason,
                     "is registered under key 0000000000000001"),
              "%s", reply.u.error.reason);
    cr_assert_eq(rec.n, 0, "no PEER_LEFT, no PEER_JOINED");
    wire_peer_t listed;
    cr_assert_eq(tracker_find(t, &listed, 0x1), 0);
    cr_assert_str_eq(listed.req, honest.req, "the honest entry is intact");
    cr_assert_eq(tracker_find(t, NULL, 0x666), ERR_NOT_FOUND);

    /* Its request endpoint as the impostor's gossip: refused too. */
    impostor = tr_peer(0x666, 9500);
    snprintf(impostor.gossip, sizeof impostor.gossip, "%s", honest.req);
    tr_register(t, &reply, &rb, &impostor, 6);
    cr_assert_eq(reply.u.error.code, ERR_DUPLICATE);
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

/* REGISTER, PING and LEAVE speak for a key: taken only from it, and never
 * over the plain endpoint. */
Test(tracker, only_the_key_itself_registers_pings_or_leaves)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_peer_t a = tr_peer(0xa, 9000);
    uint8_t b_key[WIRE_KEY_SIZE], forged[WIRE_KEY_SIZE];
    tr_key(b_key, 0xb);
    wire_msg_t reply, req;
    buf_t rb;
    buf_init(&rb);
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = a;
    tr_ask_as(t, &reply, &rb, b_key, &req, 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    cr_assert(strstr(reply.u.error.reason, "the connection's key"), "%s",
              reply.u.error.reason);
    /* The same id, another key: a forged key is no proof either. */
    memcpy(forged, a.key, sizeof forged);
    forged[31] ^= 1;
    tr_ask_as(t, &reply, &rb, forged, &req, 0);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    tr_ask_as(t, &reply, &rb, NULL, &req, 0);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    cr_assert(strstr(reply.u.error.reason, "keyed (CURVE) endpoint"), "%s",
              reply.u.error.reason);
    cr_assert_eq(tracker_peer_count(t), 0);

    tr_register(t, &reply, &rb, &a, 0); /* from a's own key */
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    wire_msg_clear(&reply);
    tr_recorder_clear(&rec);
    wire_msg_init(&req, WIRE_LEAVE);
    req.u.node_id = 0xa;
    tr_ask_as(t, &reply, &rb, b_key, &req, 1);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    wire_msg_init(&req, WIRE_PING);
    req.u.node_id = 0xa;
    tr_ask_as(t, &reply, &rb, NULL, &req, 1);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    cr_assert_eq(tracker_peer_count(t), 1, "still registered");
    cr_assert_eq(rec.n, 0);
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

/* ---- over sockets
 * ------------------------------------------------------------- */

static void *run_tracker(void *arg)
{
    cr_assert_eq(tracker_run(arg), 0);
    return NULL;
}

/* Waits for the next message of a type on sub, skipping others. */
static bool sub_wait(void *sub, wire_msg_t *m, uint8_t **raw, uint16_t type,
                     int timeout_ms)
{
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    while (sock_now_ms() < deadline) {
        if (sock_wait_readable(sub, 50) != 1)
            continue;
        uint8_t *data;
        size_t len;
        if (sock_recv(sub, &data, &len, ZMQ_DONTWAIT) != 0)
            continue;
        if (wire_decode(m, NET, data, len) == 0) {
            if (m->type == type) {
                *raw = data;
                return true;
            }
            wire_msg_clear(m);
        }
        free(data);
    }
    return false;
}

static int request(reqclient_t *c, wire_msg_t *reply, uint8_t **raw,
                   const wire_msg_t *req)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(wire_encode(&b, NET, req), 0);
    size_t len;
    int rc = reqclient_request(c, raw, &len, b.data, b.len);
    buf_deinit(&b);
    if (rc == 0)
        cr_assert_eq(wire_decode(reply, NET, *raw, len), 0);
    return rc;
}

Test(tracker, over_sockets, .timeout = 20)
{
    tracker_config_t cfg;
    tracker_config_init(&cfg, NET);
    cfg.peer_timeout_ms = 1500;
    tracker_t *t = tracker_new(&cfg);
    cr_assert(t);
    cr_assert_eq(tracker_bind(t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                              "tcp://127.0.0.1:*"),
                 0);
    cr_assert_eq(tracker_bind(t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*",
                              "tcp://127.0.0.1:*"),
                 ERR_ARG);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_tracker, t), 0);

    identity_t ida, idb;
    cr_assert_eq(identity_generate(&ida), 0);
    cr_assert_eq(identity_generate(&idb), 0);
    void *sub = sock_new(ZMQ_SUB);
    cr_assert_eq(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    cr_assert_eq(sock_curve_client(sub, &idb, tracker_key(t)), 0);
    cr_assert_eq(zmq_connect(sub, tracker_pub_endpoint(t)), 0);
    reqclient_t *c = reqclient_new(tracker_req_endpoint(t), 2000, 2);
    reqclient_t *ca = reqclient_new_keyed(tracker_keyed_endpoint(t), 2000, 2,
                                          &ida, tracker_key(t));
    reqclient_t *cb = reqclient_new_keyed(tracker_keyed_endpoint(t), 2000, 2,
                                          &idb, tracker_key(t));
    cr_assert(c && ca && cb);

    /* The plain endpoint tells a newcomer the key and the keyed port. */
    wire_msg_t kreq, kreply;
    uint8_t *kraw;
    wire_msg_init(&kreq, WIRE_GET_KEY);
    cr_assert_eq(request(c, &kreply, &kraw, &kreq), 0);
    cr_assert_eq(kreply.type, WIRE_KEY);
    cr_assert_arr_eq(kreply.u.key.key, tracker_key(t), WIRE_KEY_SIZE);
    char keyed[SOCK_ENDPOINT_MAX];
    cr_assert_eq(
        sock_endpoint(keyed, sizeof keyed, "127.0.0.1", kreply.u.key.port), 0);
    cr_assert_str_eq(keyed, tracker_keyed_endpoint(t));
    free(kraw);

    /* Slow joiner: submit distinct transactions until one comes through on
     * the SUB socket; from then on the subscription is live. */
    wire_msg_t req, reply, m;
    uint8_t *raw, *pub_raw;
    uint8_t tx[TX_TRANSFER_SIZE];
    bool live = false;
    for (int i = 0; i < 100 && !live; i++) {
        tr_transfer_bytes(tx, (uint8_t)i);
        wire_msg_init(&req, WIRE_SUBMIT_TX);
        req.u.blob.data = tx;
        req.u.blob.len = sizeof tx;
        cr_assert_eq(request(c, &reply, &raw, &req), 0);
        cr_assert_eq(reply.type, WIRE_ACK);
        free(raw);
        live = sub_wait(sub, &m, &pub_raw, WIRE_NEW_TXS, 100);
    }
    cr_assert(live, "subscription never became live");
    cr_assert_eq(m.u.txs.count, 1, "the loop's turn ends with a flush");
    cr_assert_eq(memcmp(m.u.txs.items[0].tx.data, tx, sizeof tx), 0,
                 "the relayed transaction is the one submitted");
    wire_msg_clear(&m);
    free(pub_raw);

    /* A SUBMIT_TXS is answered item by item and relayed as one frame. */
    uint8_t batch[3][TX_TRANSFER_SIZE];
    wire_blob_t items[3];
    for (int i = 0; i < 3; i++) {
        tr_transfer_bytes(batch[i], (uint16_t)(700 + i));
        items[i] = (wire_blob_t){batch[i], TX_TRANSFER_SIZE};
    }
    wire_msg_init(&req, WIRE_SUBMIT_TXS);
    req.u.list.count = 3;
    req.u.list.items = items;
    cr_assert_eq(request(c, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_SUBMITTED);
    cr_assert_eq(reply.u.results.count, 3);
    wire_msg_clear(&reply);
    free(raw);
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_NEW_TXS, 3000));
    cr_assert_eq(m.u.txs.count, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(
            memcmp(m.u.txs.items[i].tx.data, batch[i], TX_TRANSFER_SIZE), 0);
    wire_msg_clear(&m);
    free(pub_raw);

    /* Two peers register, each over CURVE with its own key, and are
     * announced; neither can register in the other's name, nor anyone over
     * the plain endpoint. */
    wire_peer_t a = tr_peer(0xa, 9000), b = tr_peer(0xb, 9100);
    memcpy(a.key, ida.pub, WIRE_KEY_SIZE);
    a.id = wire_key_id(a.key);
    memcpy(b.key, idb.pub, WIRE_KEY_SIZE);
    b.id = wire_key_id(b.key);
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = a;
    cr_assert_eq(request(cb, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_ERROR, "B cannot register A's key");
    free(raw);
    cr_assert_eq(request(c, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_ERROR, "nor can the plain endpoint");
    free(raw);
    cr_assert_eq(request(ca, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    free(raw);
    req.u.peer = b;
    cr_assert_eq(request(cb, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    cr_assert_eq(reply.u.peer_list.count, 1);
    cr_assert_eq(reply.u.peer_list.peers[0].id, a.id);
    cr_assert_arr_eq(reply.u.peer_list.peers[0].key, ida.pub, WIRE_KEY_SIZE);
    wire_msg_clear(&reply);
    free(raw);
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_PEER_JOINED, 3000));
    cr_assert_eq(m.u.peer.id, a.id);
    free(pub_raw);
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_PEER_JOINED, 3000));
    cr_assert_eq(m.u.peer.id, b.id);
    free(pub_raw);

    /* A keeps pinging, B falls silent and expires. */
    uint64_t deadline = sock_now_ms() + 6000;
    bool b_left = false;
    while (!b_left && sock_now_ms() < deadline) {
        wire_msg_init(&req, WIRE_PING);
        req.u.node_id = a.id;
        cr_assert_eq(request(ca, &reply, &raw, &req), 0);
        cr_assert_eq(reply.type, WIRE_PONG);
        cr_assert(reply.u.pong.known);
        free(raw);
        if (sub_wait(sub, &m, &pub_raw, WIRE_PEER_LEFT, 200)) {
            cr_assert_eq(m.u.peer.id, b.id, "only the silent peer expires");
            b_left = true;
            free(pub_raw);
        }
    }
    cr_assert(b_left, "B never expired");
    wire_msg_init(&req, WIRE_PEERS);
    cr_assert_eq(request(c, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_PEER_LIST);
    cr_assert_eq(reply.u.peer_list.count, 1);
    cr_assert_eq(reply.u.peer_list.peers[0].id, a.id);
    wire_msg_clear(&reply);
    free(raw);

    /* Then A stops pinging and expires too. */
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_PEER_LEFT, 5000));
    cr_assert_eq(m.u.peer.id, a.id);
    free(pub_raw);

    tracker_stop(t);
    pthread_join(th, NULL);
    reqclient_free(&c);
    reqclient_free(&ca);
    reqclient_free(&cb);
    sock_close(&sub);
    tracker_free(&t);
}
