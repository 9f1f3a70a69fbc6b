/*
 * Tests for src/node/relay.c, through a real p2p_t whose PUB socket a
 * bare SUB socket of the test listens to: transactions wait for the flush
 * and leave as one NEW_TXS frame, in order, under their txids; a gossiped
 * block goes out as the very frame it came in and a block made here as a
 * NEW_BLOCK frame of its bytes; and after a reorg only the returned
 * transfers that are pending in the mempool are relayed again.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "p2p.h"
#include "relay.h"
#include "sock.h"
#include "wire.h"

#include "mempool_rig.h"
#include "p2p_rig.h"

static p2p_t *p2p;
static void *sub;
static relay_t relay;

static void setup(void)
{
    log_set_level(LOG_ERROR);
    mp_setup();
    p2p_config_t cfg;
    p2p_config_init(&cfg, NET);
    p2p = p2p_new(&cfg);
    cr_assert_not_null(p2p);
    sub = pr_listen(p2p);
    relay_init(&relay, p2p);
}

static void teardown(void)
{
    relay_deinit(&relay);
    sock_close(&sub);
    p2p_free(&p2p);
    mp_teardown();
}

TestSuite(relay, .init = setup, .fini = teardown, .timeout = 20);

/* The next frame published, decoded (its bytes in *raw, owned); false
 * when none comes within timeout_ms. */
static bool next_frame(wire_msg_t *m, uint8_t **raw, size_t *len,
                       int timeout_ms)
{
    if (sock_wait_readable(sub, timeout_ms) != 1)
        return false;
    cr_assert_eq(sock_recv(sub, raw, len, 0), 0);
    cr_assert_eq(wire_decode(m, NET, *raw, *len), 0);
    return true;
}

/* Checks that frame m is a NEW_TXS of exactly txs[0..n-1], in order. */
static void is_batch_of(const wire_msg_t *m, const tx_t *txs, size_t n)
{
    cr_assert_eq(m->type, WIRE_NEW_TXS);
    cr_assert_eq(m->u.txs.count, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t id[32];
        tx_compute_txid(id, &txs[i]);
        cr_assert_arr_eq(m->u.txs.items[i].txid, id, 32, "item %zu", i);
        buf_t raw;
        buf_init(&raw);
        cr_assert_eq(tx_serialize(&raw, &txs[i]), 0);
        cr_assert_eq(m->u.txs.items[i].tx.len, raw.len);
        cr_assert_eq(memcmp(m->u.txs.items[i].tx.data, raw.data, raw.len), 0);
        buf_deinit(&raw);
    }
}

Test(relay, transactions_wait_for_the_flush_and_leave_in_one_frame)
{
    mp_fund(A, 100, 0);
    tx_t txs[3];
    for (int i = 0; i < 3; i++) {
        txs[i] = mp_pay(A, 1, 1, (uint64_t)i);
        uint8_t id[32];
        tx_compute_txid(id, &txs[i]);
        relay_tx(&relay, &txs[i], id);
    }
    wire_msg_t m;
    uint8_t *raw;
    size_t len;
    cr_assert_not(next_frame(&m, &raw, &len, 200), "sent before the flush");
    relay_flush(&relay);
    cr_assert(next_frame(&m, &raw, &len, 3000));
    is_batch_of(&m, txs, 3);
    wire_msg_clear(&m);
    free(raw);
    cr_assert_eq(relay.txs, 3);
    cr_assert_eq(relay.tx_frames, 1);
    relay_flush(&relay); /* nothing queued: nothing sent */
    cr_assert_not(next_frame(&m, &raw, &len, 200));
    cr_assert_eq(relay.tx_frames, 1);
}

Test(relay, a_gossiped_block_goes_out_as_it_came_and_a_mined_one_serialised)
{
    block_t b;
    mp_make_block(&b, NULL, 0);
    buf_t bytes, frame;
    buf_init(&bytes);
    buf_init(&frame);
    cr_assert_eq(block_serialize(&bytes, &b), 0);
    cr_assert_eq(
        wire_encode_blob(&frame, NET, WIRE_NEW_BLOCK, bytes.data, bytes.len),
        0);
    wire_msg_t m;
    uint8_t *raw;
    size_t len;
    relay_block_frame(&relay, frame.data, frame.len);
    cr_assert(next_frame(&m, &raw, &len, 3000));
    cr_assert_eq(len, frame.len);
    cr_assert_eq(memcmp(raw, frame.data, len), 0, "not the frame received");
    wire_msg_clear(&m);
    free(raw);

    relay_block(&relay, &b);
    cr_assert(next_frame(&m, &raw, &len, 3000));
    cr_assert_eq(m.type, WIRE_NEW_BLOCK);
    cr_assert_eq(m.u.blob.len, bytes.len);
    cr_assert_eq(memcmp(m.u.blob.data, bytes.data, bytes.len), 0);
    wire_msg_clear(&m);
    free(raw);
    cr_assert_eq(relay.blocks, 2);
    buf_deinit(&bytes);
    buf_deinit(&frame);
    block_deinit(&b);
}

/* A reorg disconnected a block of two transfers; only the one back in the
 * mempool (the other is, say, in the new branch) goes out again. */
Test(relay, only_returned_transfers_pending_in_the_mempool_go_out_again)
{
    mp_fund(A, 100, 0);
    mp_fund(B, 100, 0);
    tx_t txs[2] = {mp_pay(A, 5, 1, 0), mp_pay(B, 5, 1, 0)};
    mp_add_ok(&txs[0]);
    block_t b;
    mp_make_block(&b, txs, 2);
    relay_note_returned(&relay, &b);
    cr_assert_eq(relay.n_returned, 2);
    relay_returned(&relay, mp_pool);
    cr_assert_eq(relay.n_returned, 0, "forgotten once relayed");
    relay_flush(&relay);
    wire_msg_t m;
    uint8_t *raw;
    size_t len;
    cr_assert(next_frame(&m, &raw, &len, 3000));
    is_batch_of(&m, txs, 1);
    wire_msg_clear(&m);
    free(raw);
    cr_assert_eq(relay.txs, 1);
    block_deinit(&b);
}
