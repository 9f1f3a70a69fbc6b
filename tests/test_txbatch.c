/*
 * Tests for net/txbatch.c: a batch encodes to one NEW_TXS frame holding
 * exactly what was added, in order, with each txid beside its transaction;
 * it refuses to grow past WIRE_MAX_TX_BATCH or to take an empty or
 * oversized transaction; clearing empties it for reuse.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "txbatch.h"

static const uint8_t NET[32] = {7, 7, 7};

static void fake_tx(uint8_t txid[32], uint8_t *raw, size_t len, int i)
{
    memset(txid, i & 0xff, 32);
    txid[0] = (uint8_t)(i >> 8);
    for (size_t k = 0; k < len; k++)
        raw[k] = (uint8_t)(i * 31 + (int)k);
}

Test(txbatch, encodes_what_was_added_in_order)
{
    txbatch_t *b = malloc(sizeof *b);
    txbatch_init(b);
    cr_assert_eq(txbatch_count(b), 0);
    buf_t out;
    buf_init(&out);
    cr_assert_eq(txbatch_encode(b, &out, NET), ERR_ARG, "nothing to send");

    uint8_t txid[32], raw[TX_TRANSFER_SIZE];
    for (int i = 0; i < 5; i++) {
        fake_tx(txid, raw, TX_TRANSFER_SIZE - (size_t)i, i);
        cr_assert_eq(txbatch_add(b, txid, raw, TX_TRANSFER_SIZE - (size_t)i),
                     0);
    }
    cr_assert_eq(txbatch_count(b), 5);
    cr_assert_not(txbatch_full(b));
    cr_assert_eq(txbatch_encode(b, &out, NET), 0);

    wire_msg_t m;
    cr_assert_eq(wire_decode(&m, NET, out.data, out.len), 0);
    cr_assert_eq(m.type, WIRE_NEW_TXS);
    cr_assert_eq(m.u.txs.count, 5);
    for (int i = 0; i < 5; i++) {
        fake_tx(txid, raw, TX_TRANSFER_SIZE - (size_t)i, i);
        cr_assert_eq(memcmp(m.u.txs.items[i].txid, txid, 32), 0, "txid %d", i);
        cr_assert_eq(m.u.txs.items[i].tx.len, TX_TRANSFER_SIZE - (size_t)i);
        cr_assert_eq(
            memcmp(m.u.txs.items[i].tx.data, raw, TX_TRANSFER_SIZE - (size_t)i),
            0, "tx %d", i);
    }
    wire_msg_clear(&m);

    /* Encoding does not empty the batch; clearing does, and it is reused. */
    cr_assert_eq(txbatch_count(b), 5);
    txbatch_clear(b);
    cr_assert_eq(txbatch_count(b), 0);
    fake_tx(txid, raw, 10, 99);
    cr_assert_eq(txbatch_add(b, txid, raw, 10), 0);
    buf_reset(&out);
    cr_assert_eq(txbatch_encode(b, &out, NET), 0);
    cr_assert_eq(wire_decode(&m, NET, out.data, out.len), 0);
    cr_assert_eq(m.u.txs.count, 1);
    cr_assert_eq(m.u.txs.items[0].tx.len, 10);
    cr_assert_eq(memcmp(m.u.txs.items[0].tx.data, raw, 10), 0);
    wire_msg_clear(&m);
    buf_deinit(&out);
    txbatch_deinit(b);
    txbatch_deinit(b); /* harmless twice */
    free(b);
}

Test(txbatch, full_at_the_wire_cap)
{
    txbatch_t *b = malloc(sizeof *b);
    txbatch_init(b);
    uint8_t txid[32], raw[TX_TRANSFER_SIZE];
    for (int i = 0; i < WIRE_MAX_TX_BATCH; i++) {
        cr_assert_not(txbatch_full(b));
        fake_tx(txid, raw, sizeof raw, i);
        cr_assert_eq(txbatch_add(b, txid, raw, sizeof raw), 0);
    }
    cr_assert(txbatch_full(b));
    cr_assert_eq(txbatch_add(b, txid, raw, sizeof raw), ERR_FULL);
    cr_assert_eq(txbatch_count(b), WIRE_MAX_TX_BATCH);

    /* A full batch is still one valid frame. */
    buf_t out;
    buf_init(&out);
    cr_assert_eq(txbatch_encode(b, &out, NET), 0);
    wire_msg_t m;
    cr_assert_eq(wire_decode(&m, NET, out.data, out.len), 0);
    cr_assert_eq(m.u.txs.count, WIRE_MAX_TX_BATCH);
    fake_tx(txid, raw, sizeof raw, WIRE_MAX_TX_BATCH - 1);
    cr_assert_eq(memcmp(m.u.txs.items[WIRE_MAX_TX_BATCH - 1].txid, txid, 32),
                 0);
    wire_msg_clear(&m);
    buf_deinit(&out);
    txbatch_deinit(b);
    free(b);
}

Test(txbatch, refuses_bad_sizes)
{
    txbatch_t b;
    txbatch_init(&b);
    uint8_t txid[32] = {1};
    static uint8_t big[WIRE_MAX_TX_SIZE + 1];
    cr_assert_eq(txbatch_add(&b, txid, big, 0), ERR_ARG);
    cr_assert_eq(txbatch_add(&b, txid, NULL, 5), ERR_ARG);
    cr_assert_eq(txbatch_add(&b, txid, big, sizeof big), ERR_ARG);
    cr_assert_eq(txbatch_count(&b), 0);
    cr_assert_eq(txbatch_add(&b, txid, big, WIRE_MAX_TX_SIZE), 0);
    cr_assert_eq(txbatch_count(&b), 1);
    txbatch_deinit(&b);
}
