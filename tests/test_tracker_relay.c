/*
 * Tests for net/tracker_relay.c, without sockets (tracker_rig.h): a
 * submitted transaction is relayed once (a retried submission is a plain
 * ACK), a turn's submissions leave in one NEW_TXS frame in submission
 * order under the txids nodes compute, a full batch is published at once,
 * SUBMIT_TXS gets one answer per item, and a malformed or over-cap
 * SUBMIT_TXS is refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tracker.h"
#include "tx.h"
#include "wire.h"

#include "tracker_rig.h"

#define NET tr_net

/* The txid a node computes for these bytes. */
static void txid_of(uint8_t txid[32], const uint8_t *raw, size_t len)
{
    tx_t tx;
    cr_assert_eq(tx_parse_bytes(&tx, raw, len), 0);
    tx_compute_txid(txid, &tx);
}

/* Checks that published message i is a NEW_TXS frame of count items,
 * item k being transfer_bytes(seed[k]) under its txid. */
static void published_batch(const tr_recorder_t *r, size_t i,
                            const uint16_t *seeds, size_t count)
{
    wire_msg_t m;
    tr_published(&m, r, i, WIRE_NEW_TXS);
    cr_assert_eq(m.u.txs.count, count, "frame %zu holds %u, wanted %zu", i,
                 (unsigned)m.u.txs.count, count);
    for (size_t k = 0; k < count; k++) {
        uint8_t tx[TX_TRANSFER_SIZE], id[32];
        tr_transfer_bytes(tx, seeds[k]);
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
    tr_transfer_bytes(tx, seed);
    wire_msg_t req;
    wire_msg_init(&req, WIRE_SUBMIT_TX);
    req.u.blob.data = tx;
    req.u.blob.len = sizeof tx;
    tr_ask(t, reply, rb, &req, 0);
}

Test(tracker_relay, submit_tx_is_relayed_once)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    uint8_t tx[TX_TRANSFER_SIZE];
    tr_transfer_bytes(tx, 7);
    wire_msg_t reply, req;
    buf_t rb;
    buf_init(&rb);

    wire_msg_init(&req, WIRE_SUBMIT_TX);
    req.u.blob.data = tx;
    req.u.blob.len = sizeof tx;
    tr_ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(rec.n, 0, "waits for the end of the turn");
    cr_assert_eq(tracker_pending_txs(t), 1);
    tracker_flush(t);
    cr_assert_eq(tracker_pending_txs(t), 0);
    published_batch(&rec, 0, (const uint16_t[]){7}, 1);
    tracker_flush(t);
    cr_assert_eq(rec.n, 1, "an empty flush publishes nothing");

    /* A retried submission is acknowledged but not relayed again. */
    tr_ask(t, &reply, &rb, &req, 1);
    cr_assert_eq(reply.type, WIRE_ACK);
    cr_assert_eq(tracker_pending_txs(t), 0);
    tracker_flush(t);
    cr_assert_eq(rec.n, 1);

    /* A different transaction is. */
    tr_transfer_bytes(tx, 8);
    tr_ask(t, &reply, &rb, &req, 2);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    published_batch(&rec, 1, (const uint16_t[]){8}, 1);

    /* Implausible ones are refused with a reason. */
    req.u.blob.len = 53;
    tr_ask(t, &reply, &rb, &req, 3);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, ERR_PARSE);
    cr_assert(strstr(reply.u.error.reason, "transfer"));
    req.u.blob.len = sizeof tx;
    tx[0] = TX_COINBASE;
    tr_ask(t, &reply, &rb, &req, 4);
    cr_assert_eq(reply.type, WIRE_ERROR);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker_relay, a_turns_submissions_leave_in_one_frame_in_order)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
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
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker_relay, a_full_batch_is_published_at_once)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
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
    tr_recorder_clear(&rec);
    tracker_free(&t);
}

Test(tracker_relay, submit_txs_answers_each_item)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    wire_msg_t reply;
    buf_t rb;
    buf_init(&rb);
    submit_one(t, &reply, &rb, 1); /* relayed before: known */
    tracker_flush(t);
    tr_recorder_clear(&rec);

    uint8_t tx[6][TX_TRANSFER_SIZE];
    tr_transfer_bytes(tx[0], 10);
    tr_transfer_bytes(tx[1], 1); /* relayed before */
    tr_transfer_bytes(tx[2], 11);
    tx[2][0] = TX_COINBASE; /* not a transfer */
    tr_transfer_bytes(tx[3], 12);
    tr_transfer_bytes(tx[4], 10); /* repeats item 0 */
    tr_transfer_bytes(tx[5], 13);
    wire_blob_t items[7];
    for (size_t i = 0; i < 6; i++)
        items[i] = (wire_blob_t){tx[i], TX_TRANSFER_SIZE};
    items[6] = (wire_blob_t){tx[5], 53}; /* wrong size */
    wire_msg_t req;
    wire_msg_init(&req, WIRE_SUBMIT_TXS);
    req.u.list.count = 7;
    req.u.list.items = items;
    tr_ask(t, &reply, &rb, &req, 0);
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
        tr_transfer_bytes(raw[i], seeds[i]);
        many[i] = (wire_blob_t){raw[i], TX_TRANSFER_SIZE};
    }
    req.u.list.count = WIRE_MAX_TX_BATCH;
    req.u.list.items = many;
    tr_ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_SUBMITTED);
    cr_assert_eq(reply.u.results.count, WIRE_MAX_TX_BATCH);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH; i++)
        cr_assert_eq(reply.u.results.items[i].code, 0);
    wire_msg_clear(&reply);
    cr_assert_eq(rec.n, 2);
    published_batch(&rec, 1, seeds, WIRE_MAX_TX_BATCH);

    /* No transactions at all: no results, nothing published. */
    req.u.list.count = 0;
    tr_ask(t, &reply, &rb, &req, 0);
    cr_assert_eq(reply.type, WIRE_SUBMITTED);
    cr_assert_eq(reply.u.results.count, 0);
    tracker_flush(t);
    cr_assert_eq(rec.n, 2);
    free(many);
    free(raw);
    buf_deinit(&rb);
    tr_recorder_clear(&rec);
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
    cr_assert_eq(tracker_handle(t, &rb, NULL, frame->data, frame->len, 0), 0);
    cr_assert_eq(wire_decode(&reply, NET, rb.data, rb.len), 0);
    cr_assert_eq(reply.type, WIRE_ERROR);
    cr_assert_eq(reply.u.error.code, code);
    buf_deinit(&rb);
}

Test(tracker_relay, malformed_submit_txs_is_refused)
{
    tr_recorder_t rec;
    tracker_t *t = tr_make_tracker(&rec, 15000);
    uint8_t tx[TX_TRANSFER_SIZE];
    tr_transfer_bytes(tx, 5);
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
