/*
 * Tests for net/tracker.c.
 *
 * The logic first, without sockets, on a clock the test moves: registration
 * and its announcements, refresh, PING of known and unknown peers, expiry,
 * LEAVE, PEERS, transaction relay and its de-duplication, relay in NEW_TXS
 * batches (one frame per flush, in submission order, under the txids nodes
 * compute; a full batch published at once), SUBMIT_TXS with one answer per
 * item, refusals (wrong network, garbage, wrong type, malformed or
 * over-cap SUBMIT_TXS, full table, bad endpoints), and a node that restarts
 * under a new id.
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

/* A test-only network id; the tracker only compares it. */
static const uint8_t NET[32] = {0x70, 0x6b, 0x78, 0x74, 0x65, 0x73, 0x74};
static const uint8_t OTHER[32] = {0x01};

/* ---- recording publisher ----------------------------------------------------
 */

#define MAX_PUB 64
typedef struct {
    uint8_t *msg[MAX_PUB];
    size_t len[MAX_PUB];
    size_t n;
} recorder_t;

static void record(void *arg, const uint8_t *msg, size_t len)
{
    recorder_t *r = arg;
    cr_assert(r->n < MAX_PUB);
    r->msg[r->n] = malloc(len);
    memcpy(r->msg[r->n], msg, len);
    r->len[r->n++] = len;
}

static void recorder_clear(recorder_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->msg[i]);
    r->n = 0;
}

/* Decodes published message i; checks its type. */
static void published(wire_msg_t *m, const recorder_t *r, size_t i,
                      uint16_t type)
{
    cr_assert(i < r->n, "message %zu was not published", i);
    cr_assert_eq(wire_decode(m, NET, r->msg[i], r->len[i]), 0);
    cr_assert_eq(m->type, type, "published %s, wanted %s",
                 wire_type_name(m->type), wire_type_name(type));
}

/* ---- requests
 * ------------------------------------------------------------------- */

static wire_peer_t peer(uint64_t id, int port)
{
    wire_peer_t p;
    memset(&p, 0, sizeof p);
    p.id = id;
    snprintf(p.req, sizeof p.req, "tcp://127.0.0.1:%d", port);
    snprintf(p.gossip, sizeof p.gossip, "tcp://127.0.0.1:%d", port + 1);
    return p;
}

/* Sends one request to the tracker logic and decodes the reply. */
static void ask(tracker_t *t, wire_msg_t *reply, buf_t *reply_buf,
                const wire_msg_t *req, uint64_t now)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(wire_encode(&b, NET, req), 0);
    buf_reset(reply_buf);
    cr_assert_eq(tracker_handle(t, reply_buf, b.data, b.len, now), 0);
    cr_assert_eq(wire_decode(reply, NET, reply_buf->data, reply_buf->len), 0);
    buf_deinit(&b);
}

static void do_register(tracker_t *t, wire_msg_t *reply, buf_t *rb,
                        const wire_peer_t *p, uint64_t now)
{
    wire_msg_t req;
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = *p;
    ask(t, reply, rb, &req, now);
}

static bool do_ping(tracker_t *t, uint64_t id, uint64_t now)
{
    wire_msg_t req, reply;
    buf_t rb;
    buf_init(&rb);
    wire_msg_init(&req, WIRE_PING);
    req.u.node_id = id;
    ask(t, &reply, &rb, &req, now);
    cr_assert_eq(reply.type, WIRE_PONG);
    bool known = reply.u.pong.known;
    cr_assert_eq(reply.u.pong.peers, tracker_peer_count(t));
    buf_deinit(&rb);
    return known;
}

static tracker_t *make_tracker(recorder_t *rec, uint32_t timeout_ms)
{
    tracker_config_t cfg;
    tracker_config_init(&cfg, NET);
    cfg.peer_timeout_ms = timeout_ms;
    tracker_t *t = tracker_new(&cfg);
    cr_assert(t);
    memset(rec, 0, sizeof *rec);
    tracker_set_publisher(t, record, rec);
    return t;
}

Test(tracker, register_announces_and_lists_others)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_peer_t a = peer(0xa, 9000), b = peer(0xb, 9100);
    wire_msg_t reply, m;
    buf_t rb;
    buf_init(&rb);

    do_register(t, &reply, &rb, &a, 1000);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    cr_assert_eq(reply.u.peer_list.count, 0);
    cr_assert_eq(reply.u.peer_list.peer_timeout_ms, 15000);
    wire_msg_clear(&reply);
    published(&m, &rec, 0, WIRE_PEER_JOINED);
    cr_assert_eq(m.u.peer.id, 0xa);
    cr_assert_str_eq(m.u.peer.gossip, "tcp://127.0.0.1:9001");

    do_register(t, &reply, &rb, &b, 1000);
    cr_assert_eq(reply.u.peer_list.count, 1, "B learns of A, not itself");
    cr_assert_eq(reply.u.peer_list.peers[0].id, 0xa);
    cr_assert_str_eq(reply.u.peer_list.peers[0].req, "tcp://127.0.0.1:9000");
    wire_msg_clear(&reply);
    published(&m, &rec, 1, WIRE_PEER_JOINED);
    cr_assert_eq(m.u.peer.id, 0xb);
    cr_assert_eq(tracker_peer_count(t), 2);

    /* Registering again refreshes without a new announcement. */
    do_register(t, &reply, &rb, &a, 2000);
    cr_assert_eq(reply.u.peer_list.count, 1);
    wire_msg_clear(&reply);
    cr_assert_eq(rec.n, 2);
    cr_assert_eq(tracker_peer_count(t), 2);

    /* PEERS lists everybody. */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_PEERS);
    ask(t, &reply, &rb, &req, 2000);
    cr_assert_eq(reply.type, WIRE_PEER_LIST);
    cr_assert_eq(reply.u.peer_list.count, 2);
    wire_msg_clear(&reply);

    wire_peer_t found;
    cr_assert_eq(tracker_find(t, &found, 0xb), 0);
    cr_assert_str_eq(found.req, "tcp://127.0.0.1:9100");
    cr_assert_eq(tracker_find(t, &found, 0xc), ERR_NOT_FOUND);

    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
    cr_assert_null(t);
}

Test(tracker, ping_keeps_alive_and_expiry_announces)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_peer_t a = peer(0xa, 9000), b = peer(0xb, 9100);
    wire_msg_t reply, m;
    buf_t rb;
    buf_init(&rb);
    do_register(t, &reply, &rb, &a, 0);
    wire_msg_clear(&reply);
    do_register(t, &reply, &rb, &b, 0);
    wire_msg_clear(&reply);
    recorder_clear(&rec);

    cr_assert(do_ping(t, 0xa, 10000));
    cr_assert_not(do_ping(t, 0xdead, 10000), "unknown: register again");

    cr_assert_eq(tracker_expire(t, 15000), 0, "not yet past the timeout");
    cr_assert_eq(tracker_expire(t, 15001), 1, "B was silent for 15.001 s");
    cr_assert_eq(rec.n, 1);
    published(&m, &rec, 0, WIRE_PEER_LEFT);
    cr_assert_eq(m.u.peer.id, 0xb);
    cr_assert_eq(tracker_find(t, NULL, 0xb), ERR_NOT_FOUND);
    cr_assert_eq(tracker_find(t, NULL, 0xa), 0);

    /* B's next ping is answered "unknown"; it registers again. */
    cr_assert_not(do_ping(t, 0xb, 16000));
    do_register(t, &reply, &rb, &b, 16000);
    wire_msg_clear(&reply);
    cr_assert(do_ping(t, 0xb, 16001));

    cr_assert_eq(tracker_expire(t, 25001), 1, "A last pinged at 10 s");
    cr_assert_eq(tracker_peer_count(t), 1);
    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker, leave_announces)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_peer_t a = peer(0xa, 9000);
    wire_msg_t reply, m, req;
    buf_t rb;
    buf_init(&rb);
    do_register(t, &reply, &rb, &a, 0);
    wire_msg_clear(&reply);
    recorder_clear(&rec);

    wire_msg_init(&req, WIRE_LEAVE);
    req.u.node_id = 0xa;
    ask(t, &reply, &rb, &req, 1);
    cr_assert_eq(reply.type, WIRE_ACK);
    published(&m, &rec, 0, WIRE_PEER_LEFT);
    cr_assert_eq(m.u.peer.id, 0xa);
    cr_assert_eq(tracker_peer_count(t), 0);

    /* Leaving twice is harmless and silent. */
    ask(t, &reply, &rb, &req, 2);
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(rec.n, 1);
    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
}

/* A plausible transfer (not validly signed: the tracker does not check);
 * distinct seeds give distinct transfers with distinct txids. */
static void transfer_bytes(uint8_t tx[TX_TRANSFER_SIZE], uint16_t seed)
{
    for (size_t i = 0; i < TX_TRANSFER_SIZE; i++)
        tx[i] = (uint8_t)(seed + i);
    tx[1] = (uint8_t)(seed >> 8); /* in the txid's part */
    tx[0] = TX_TRANSFER;
}

/* The txid a node computes for these bytes. */
static void txid_of(uint8_t txid[32], const uint8_t *raw, size_t len)
{
    tx_t tx;
    cr_assert_eq(tx_parse_bytes(&tx, raw, len), 0);
    tx_compute_txid(txid, &tx);
}

/* Checks that published message i is a NEW_TXS frame of count items,
 * item k being transfer_bytes(seed[k]) under its txid. */
static void published_batch(const recorder_t *r, size_t i,
                            const uint16_t *seeds, size_t count)
{
    wire_msg_t m;
    published(&m, r, i, WIRE_NEW_TXS);
    cr_assert_eq(m.u.txs.count, count, "frame %zu holds %u, wanted %zu", i,
                 (unsigned)m.u.txs.count, count);
    for (size_t k = 0; k < count; k++) {
        uint8_t tx[TX_TRANSFER_SIZE], id[32];
        transfer_bytes(tx, seeds[k]);
        txid_of(id, tx, sizeof tx);
        const wire_txitem_t *it = &m.u.txs.items[k];
        cr_assert_eq(it->tx.len, sizeof tx);
        cr_assert_eq(memcmp(it->tx.data, tx, sizeof tx), 0,
                     "item %zu is transfer %u", k, (unsigned)seeds[k]);
        cr_assert_eq(memcmp(it->txid, id, 32), 0, "item %zu's txid", k);
    }
    wire_msg_clear(&m);
}

static void submit_one(tracker_t *t, wire_msg_t *reply, buf_t *rb,
                       uint16_t seed)
{
    uint8_t tx[TX_TRANSFER_SIZE];
    transfer_bytes(tx, seed);
    wire_msg_t req;
    wire_msg_init(&req, WIRE_SUBMIT_TX);
    req.u.blob.data = tx;
    req.u.blob.len = sizeof tx;
    ask(t, reply, rb, &req, 0);
}

Test(tracker, submit_tx_is_relayed_once)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    uint8_t tx[TX_TRANSFER_SIZE];
    transfer_bytes(tx, 7);
    wire_msg_t reply, req;
    buf_t rb;
    buf_init(&rb);

    wire_msg_init(&req, WIRE_SUBMIT_TX);
    req.u.blob.data = tx;
    req.u.blob.len = sizeof tx;
    ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(rec.n, 0, "waits for the end of the turn");
    cr_assert_eq(tracker_pending_txs(t), 1);
    tracker_flush(t);
    cr_assert_eq(tracker_pending_txs(t), 0);
    published_batch(&rec, 0, (const uint16_t[]){7}, 1);
    tracker_flush(t);
    cr_assert_eq(rec.n, 1, "an empty flush publishes nothing");

    /* A retried submission is acknowledged but not relayed again. */
    ask(t, &reply, &rb, &req, 1);
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(tracker_pending_txs(t), 0);
    tracker_flush(t);
    cr_assert_eq(rec.n, 1);

    /* A different transaction is. */
    transfer_bytes(tx, 8);
    ask(t, &reply, &rb, &req, 2);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    published_batch(&rec, 1, (const uint16_t[]){8}, 1);

    /* Implausible ones are refused with a reason. */
    req.u.blob.len = 53;
    ask(t, &reply, &rb, &req, 3);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_PARSE);
    cr_assert(strstr(reply.u.error.reason, "transfer"));
    req.u.blob.len = sizeof tx;
    tx[0] = TX_COINBASE;
    ask(t, &reply, &rb, &req, 4);
    cr_assert_eq(reply.type, WIRE_ERROR);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker, a_turns_submissions_leave_in_one_frame_in_order)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_msg_t reply;
    buf_t rb;
    buf_init(&rb);
    const uint16_t seeds[] = {40, 3, 300, 41, 9};
    for (size_t i = 0; i < 5; i++) {
        submit_one(t, &reply, &rb, seeds[i]);
        cr_assert_eq(reply.type, WIRE_ACK);
    }
    submit_one(t, &reply, &rb, 3); /* a repeat within the turn */
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(rec.n, 0);
    cr_assert_eq(tracker_pending_txs(t), 5);
    tracker_flush(t);
    cr_assert_eq(rec.n, 1, "one frame for the turn");
    published_batch(&rec, 0, seeds, 5);

    /* The next turn's go in a frame of their own. */
    submit_one(t, &reply, &rb, 500);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    published_batch(&rec, 1, (const uint16_t[]){500}, 1);
    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker, a_full_batch_is_published_at_once)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_msg_t reply;
    buf_t rb;
    buf_init(&rb);
    uint16_t seeds[WIRE_MAX_TX_BATCH + 3];
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH + 3; i++)
        seeds[i] = (uint16_t)(1000 + i);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH; i++) {
        cr_assert_eq(rec.n, 0, "published early, at %zu", i);
        submit_one(t, &reply, &rb, seeds[i]);
        cr_assert_eq(reply.type, WIRE_ACK);
    }
    cr_assert_eq(rec.n, 1, "the full batch leaves without a flush");
    cr_assert_eq(tracker_pending_txs(t), 0);
    published_batch(&rec, 0, seeds, WIRE_MAX_TX_BATCH);
    for (size_t i = WIRE_MAX_TX_BATCH; i < WIRE_MAX_TX_BATCH + 3; i++)
        submit_one(t, &reply, &rb, seeds[i]);
    cr_assert_eq(rec.n, 1);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    published_batch(&rec, 1, seeds + WIRE_MAX_TX_BATCH, 3);
    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker, submit_txs_answers_each_item)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_msg_t reply;
    buf_t rb;
    buf_init(&rb);
    submit_one(t, &reply, &rb, 1); /* relayed before: known */
    tracker_flush(t);
    recorder_clear(&rec);

    uint8_t tx[6][TX_TRANSFER_SIZE];
    transfer_bytes(tx[0], 10);
    transfer_bytes(tx[1], 1); /* relayed before */
    transfer_bytes(tx[2], 11);
    tx[2][0] = TX_COINBASE; /* not a transfer */
    transfer_bytes(tx[3], 12);
    transfer_bytes(tx[4], 10); /* repeats item 0 */
    transfer_bytes(tx[5], 13);
    wire_blob_t items[7];
    for (size_t i = 0; i < 6; i++)
        items[i] = (wire_blob_t){tx[i], TX_TRANSFER_SIZE};
    items[6] = (wire_blob_t){tx[5], 53}; /* wrong size */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_SUBMIT_TXS);
    req.u.list.count = 7;
    req.u.list.items = items;
    ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_SUBMITTED, "answered %s",
                 wire_type_name(reply.type));
    cr_assert_eq(reply.u.results.count, 7);
    const int want[7] = {0, 0, ERR_PARSE, 0, 0, 0, ERR_PARSE};
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(reply.u.results.items[i].code, want[i], "item %zu", i);
        if (want[i])
            cr_assert(strstr(reply.u.results.items[i].reason, "transfer"));
        else
            cr_assert_str_eq(reply.u.results.items[i].reason, "");
    }
    wire_msg_clear(&reply);
    cr_assert_eq(rec.n, 0);
    tracker_flush(t);
    cr_assert_eq(rec.n, 1, "one frame for the request");
    published_batch(&rec, 0, (const uint16_t[]){10, 12, 13}, 3);

    /* A full request of new transfers fills a batch: it leaves at once. */
    wire_blob_t *many = calloc(WIRE_MAX_TX_BATCH, sizeof *many);
    uint8_t(*raw)[TX_TRANSFER_SIZE] = calloc(WIRE_MAX_TX_BATCH, sizeof *raw);
    uint16_t seeds[WIRE_MAX_TX_BATCH];
    cr_assert(many && raw);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH; i++) {
        seeds[i] = (uint16_t)(2000 + i);
        transfer_bytes(raw[i], seeds[i]);
        many[i] = (wire_blob_t){raw[i], TX_TRANSFER_SIZE};
    }
    req.u.list.count = WIRE_MAX_TX_BATCH;
    req.u.list.items = many;
    ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_SUBMITTED);
    cr_assert_eq(reply.u.results.count, WIRE_MAX_TX_BATCH);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH; i++)
        cr_assert_eq(reply.u.results.items[i].code, 0);
    wire_msg_clear(&reply);
    cr_assert_eq(rec.n, 2);
    published_batch(&rec, 1, seeds, WIRE_MAX_TX_BATCH);

    /* No transactions at all: no results, nothing published. */
    req.u.list.count = 0;
    ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_SUBMITTED);
    cr_assert_eq(reply.u.results.count, 0);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    free(many);
    free(raw);
    buf_deinit(&rb);
    recorder_clear(&rec);
    tracker_free(&t);
}

/* A SUBMIT_TXS frame with a hand-made payload (so it can lie). */
static void raw_submit_txs(buf_t *b, const buf_t *payload)
{
    buf_init(b);
    buf_put_u32(b, WIRE_MAGIC);
    buf_put_u16(b, WIRE_VERSION);
    buf_put_u16(b, WIRE_SUBMIT_TXS);
    buf_put(b, NET, 32);
    buf_put_u32(b, (uint32_t)payload->len);
    buf_put(b, payload->data, payload->len);
}

/* Hands the tracker a raw frame; checks it answers ERROR with code. */
static void refused_raw(tracker_t *t, const buf_t *frame, int code)
{
    buf_t rb;
    wire_msg_t reply;
    buf_init(&rb);
    cr_assert_eq(tracker_handle(t, &rb, frame->data, frame->len, 0), 0);
    cr_assert_eq(wire_decode(&reply, NET, rb.data, rb.len), 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, code);
    buf_deinit(&rb);
}

Test(tracker, malformed_submit_txs_is_refused)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    uint8_t tx[TX_TRANSFER_SIZE];
    transfer_bytes(tx, 5);
    buf_t p, f;

    /* One over the cap, every item present. */
    buf_init(&p);
    buf_put_u16(&p, WIRE_MAX_TX_BATCH + 1);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH + 1; i++) {
        buf_put_u32(&p, sizeof tx);
        buf_put(&p, tx, sizeof tx);
    }
    raw_submit_txs(&f, &p);
    refused_raw(t, &f, ERR_PARSE);
    buf_deinit(&f);

    /* A count claiming more items than there are. */
    buf_reset(&p);
    buf_put_u16(&p, 3);
    buf_put_u32(&p, sizeof tx);
    buf_put(&p, tx, sizeof tx);
    raw_submit_txs(&f, &p);
    refused_raw(t, &f, ERR_PARSE);
    buf_deinit(&f);

    /* An item whose length runs past the frame. */
    buf_reset(&p);
    buf_put_u16(&p, 1);
    buf_put_u32(&p, sizeof tx + 1);
    buf_put(&p, tx, sizeof tx);
    raw_submit_txs(&f, &p);
    refused_raw(t, &f, ERR_PARSE);
    buf_deinit(&f);

    /* A truncated count, and trailing bytes after the items. */
    buf_reset(&p);
    buf_put_u8(&p, 1);
    raw_submit_txs(&f, &p);
    refused_raw(t, &f, ERR_PARSE);
    buf_deinit(&f);
    buf_reset(&p);
    buf_put_u16(&p, 1);
    buf_put_u32(&p, sizeof tx);
    buf_put(&p, tx, sizeof tx);
    buf_put_u8(&p, 0);
    raw_submit_txs(&f, &p);
    refused_raw(t, &f, ERR_PARSE);
    buf_deinit(&f);

    /* The encoder will not make an over-cap one either. */
    wire_blob_t *many = calloc(WIRE_MAX_TX_BATCH + 1, sizeof *many);
    cr_assert(many);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH + 1; i++)
        many[i] = (wire_blob_t){tx, sizeof tx};
    wire_msg_t req;
    wire_msg_init(&req, WIRE_SUBMIT_TXS);
    req.u.list.count = WIRE_MAX_TX_BATCH + 1;
    req.u.list.items = many;
    buf_reset(&p);
    cr_assert_eq(wire_encode(&p, NET, &req), ERR_ARG);
    free(many);

    tracker_flush(t);
    cr_assert_eq(rec.n, 0, "nothing relayed");
    cr_assert_eq(tracker_pending_txs(t), 0);
    buf_deinit(&p);
    tracker_free(&t);
}

Test(tracker, refusals_say_why)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    buf_t rb, b;
    buf_init(&rb);
    buf_init(&b);
    wire_msg_t reply;

    /* Another network's PING, answered in that network (made-up ids have
     * no name). */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_PING);
    cr_assert_eq(wire_encode(&b, OTHER, &req), 0);
    cr_assert_eq(tracker_handle(t, &rb, b.data, b.len, 0), 0);
    cr_assert_eq(wire_decode(&reply, OTHER, rb.data, rb.len), 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_INVALID);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker is on an unknown network, this node on an "
                     "unknown network");

    /* A newer protocol version: answered in ours, which is all we know. */
    b.data[4]++;
    buf_reset(&rb);
    cr_assert_eq(tracker_handle(t, &rb, b.data, b.len, 0), 0);
    cr_assert_eq(wire_decode(&reply, OTHER, rb.data, rb.len), 0);
    cr_assert_eq(reply.u.error.code, ERR_UNSUPPORTED);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker speaks wire version 2, this node 3");

    /* Garbage. */
    buf_reset(&rb);
    cr_assert_eq(tracker_handle(t, &rb, (const uint8_t *)"hello", 5, 0), 0);
    cr_assert_eq(wire_decode(&reply, NET, rb.data, rb.len), 0);
    cr_assert_eq(reply.u.error.code, ERR_PARSE);

    /* A node request sent to the tracker. */
    wire_msg_init(&req, WIRE_GET_TIP);
    ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_UNSUPPORTED);
    cr_assert(strstr(reply.u.error.reason, "GET_TIP"));

    /* Bad registrations. */
    wire_peer_t p = peer(0, 9000);
    do_register(t, &reply, &rb, &p, 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_ARG);
    p = peer(5, 9000);
    strcpy(p.gossip, "http://x:1");
    do_register(t, &reply, &rb, &p, 0);
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
    req.u.peer = peer(7, 9000);
    buf_t b, rb;
    buf_init(&b);
    buf_init(&rb);
    cr_assert_eq(wire_encode(&b, regtest, &req), 0);
    cr_assert_eq(tracker_handle(t, &rb, b.data, b.len, 0), 0);
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
    cr_assert_eq(tracker_handle(t, &rb, b.data, b.len, 0), 0);
    wire_envelope_t env;
    cr_assert_eq(wire_read_envelope(&env, rb.data, rb.len), 0);
    cr_assert_eq(env.version, WIRE_VERSION - 1, "answered in its version");
    rb.data[4] = WIRE_VERSION; /* the same ERROR in both versions */
    cr_assert_eq(
        wire_decode(&reply, params_demo()->network_id, rb.data, rb.len), 0);
    cr_assert_eq(reply.u.error.code, ERR_UNSUPPORTED);
    cr_assert_str_eq(reply.u.error.reason,
                     "tracker speaks wire version 2, this node 1");
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
        wire_peer_t p = peer((uint64_t)i, 9000 + 10 * i);
        do_register(t, &reply, &rb, &p, 0);
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

Test(tracker, restarted_node_replaces_its_old_entry)
{
    recorder_t rec;
    tracker_t *t = make_tracker(&rec, 15000);
    wire_peer_t old = peer(0x1, 9000), fresh = peer(0x2, 9000);
    wire_msg_t reply, m;
    buf_t rb;
    buf_init(&rb);
    do_register(t, &reply, &rb, &old, 0);
    wire_msg_clear(&reply);
    recorder_clear(&rec);
    do_register(t, &reply, &rb, &fresh, 5);
    cr_assert_eq(reply.u.peer_list.count, 0, "its old self is not a peer");
    wire_msg_clear(&reply);
    cr_assert_eq(tracker_peer_count(t), 1);
    published(&m, &rec, 0, WIRE_PEER_LEFT);
    cr_assert_eq(m.u.peer.id, 0x1);
    published(&m, &rec, 1, WIRE_PEER_JOINED);
    cr_assert_eq(m.u.peer.id, 0x2);
    buf_deinit(&rb);
    recorder_clear(&rec);
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
    cr_assert_eq(tracker_bind(t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"), 0);
    cr_assert_eq(tracker_bind(t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"),
                 ERR_ARG);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_tracker, t), 0);

    void *sub = sock_new(ZMQ_SUB);
    cr_assert_eq(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    cr_assert_eq(zmq_connect(sub, tracker_pub_endpoint(t)), 0);
    reqclient_t *c = reqclient_new(tracker_req_endpoint(t), 2000, 2);
    cr_assert(c);

    /* Slow joiner: submit distinct transactions until one comes through on
     * the SUB socket; from then on the subscription is live. */
    wire_msg_t req, reply, m;
    uint8_t *raw, *pub_raw;
    uint8_t tx[TX_TRANSFER_SIZE];
    bool live = false;
    for (int i = 0; i < 100 && !live; i++) {
        transfer_bytes(tx, (uint8_t)i);
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
        transfer_bytes(batch[i], (uint16_t)(700 + i));
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

    /* Two peers register and are announced. */
    wire_peer_t a = peer(0xa, 9000), b = peer(0xb, 9100);
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = a;
    cr_assert_eq(request(c, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    free(raw);
    req.u.peer = b;
    cr_assert_eq(request(c, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_REGISTER_OK);
    cr_assert_eq(reply.u.peer_list.count, 1);
    cr_assert_eq(reply.u.peer_list.peers[0].id, 0xa);
    wire_msg_clear(&reply);
    free(raw);
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_PEER_JOINED, 3000));
    cr_assert_eq(m.u.peer.id, 0xa);
    free(pub_raw);
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_PEER_JOINED, 3000));
    cr_assert_eq(m.u.peer.id, 0xb);
    free(pub_raw);

    /* A keeps pinging, B falls silent and expires. */
    uint64_t deadline = sock_now_ms() + 6000;
    bool b_left = false;
    while (!b_left && sock_now_ms() < deadline) {
        wire_msg_init(&req, WIRE_PING);
        req.u.node_id = 0xa;
        cr_assert_eq(request(c, &reply, &raw, &req), 0);
        cr_assert_eq(reply.type, WIRE_PONG);
        cr_assert(reply.u.pong.known);
        free(raw);
        if (sub_wait(sub, &m, &pub_raw, WIRE_PEER_LEFT, 200)) {
            cr_assert_eq(m.u.peer.id, 0xb, "only the silent peer expires");
            b_left = true;
            free(pub_raw);
        }
    }
    cr_assert(b_left, "B never expired");
    wire_msg_init(&req, WIRE_PEERS);
    cr_assert_eq(request(c, &reply, &raw, &req), 0);
    cr_assert_eq(reply.type, WIRE_PEER_LIST);
    cr_assert_eq(reply.u.peer_list.count, 1);
    cr_assert_eq(reply.u.peer_list.peers[0].id, 0xa);
    wire_msg_clear(&reply);
    free(raw);

    /* Then A stops pinging and expires too. */
    cr_assert(sub_wait(sub, &m, &pub_raw, WIRE_PEER_LEFT, 5000));
    cr_assert_eq(m.u.peer.id, 0xa);
    free(pub_raw);

    tracker_stop(t);
    pthread_join(th, NULL);
    reqclient_free(&c);
    sock_close(&sub);
    tracker_free(&t);
}
