/*
 * Tests for net/wire.c: every message type round-trips; every truncation of
 * every encoding is refused; random and mutated bytes never crash (this file
 * also runs under ASan+UBSan, and every decode reads from an exactly-sized
 * heap copy so an over-read is caught); the wrong network, version and magic
 * are refused with their own codes; counts over a cap are refused by both
 * the encoder and the decoder.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"

static const uint8_t NET[32] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                1,    2,    3,    4,    5,    6,    7,    8,
                                9,    10,   11,   12,   13,   14,   15,   16,
                                17,   18,   19,   20,   21,   22,   23,   24};
static const uint8_t OTHER_NET[32] = {0x99};

static const uint16_t ALL_TYPES[] = {
    WIRE_ACK,         WIRE_ERROR,     WIRE_SUBMIT_TX,   WIRE_QUERY,
    WIRE_REPLY,       WIRE_REGISTER,  WIRE_REGISTER_OK, WIRE_PING,
    WIRE_PONG,        WIRE_LEAVE,     WIRE_PEERS,       WIRE_PEER_LIST,
    WIRE_PEER_JOINED, WIRE_PEER_LEFT, WIRE_TX,          WIRE_HELLO,
    WIRE_GET_TIP,     WIRE_TIP,       WIRE_GET_HEADERS, WIRE_HEADERS,
    WIRE_GET_BLOCKS,  WIRE_BLOCKS,    WIRE_GET_MEMPOOL, WIRE_MEMPOOL,
    WIRE_NEW_BLOCK,   WIRE_NEW_TX,    WIRE_NEW_TXS,     WIRE_SUBMIT_TXS,
    WIRE_SUBMITTED,   WIRE_GET_KEY,   WIRE_KEY,
};
#define N_TYPES (sizeof ALL_TYPES / sizeof ALL_TYPES[0])

/* Backing storage for the sample messages' borrowed pointers. */
static uint8_t tx_bytes[TX_TRANSFER_SIZE];
static uint8_t block_a[WIRE_MIN_BLOCK_SIZE + 53];
static uint8_t block_b[WIRE_MIN_BLOCK_SIZE + 7];
static uint8_t hashes[5 * 32];
static uint8_t headers[3 * BLOCK_HEADER_SIZE];
static wire_peer_t peers[3];
static wire_blob_t blobs[2];
static wire_txitem_t txitems[3];
static wire_result_t results[3];
static const char json[] = "{\"method\":\"status\",\"params\":[]}";

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static void sample(wire_msg_t *m, uint16_t type)
{
    fill(tx_bytes, sizeof tx_bytes, 1);
    fill(block_a, sizeof block_a, 2);
    fill(block_b, sizeof block_b, 3);
    fill(hashes, sizeof hashes, 4);
    fill(headers, sizeof headers, 5);
    for (int i = 0; i < 3; i++) {
        fill(peers[i].key, sizeof peers[i].key, (uint8_t)(10 + i));
        peers[i].id = wire_key_id(peers[i].key);
        snprintf(peers[i].req, sizeof peers[i].req, "tcp://10.0.0.%d:9000",
                 i + 1);
        snprintf(peers[i].gossip, sizeof peers[i].gossip,
                 "tcp://10.0.0.%d:9001", i + 1);
    }
    wire_msg_init(m, type);
    switch (type) {
    case WIRE_ERROR:
        m->u.error.code = ERR_INVALID;
        strcpy(m->u.error.reason, "bad signature");
        break;
    case WIRE_REGISTER:
    case WIRE_PEER_JOINED:
    case WIRE_PEER_LEFT:
        m->u.peer = peers[1];
        break;
    case WIRE_REGISTER_OK:
    case WIRE_PEER_LIST:
        m->u.peer_list.peer_timeout_ms = 15000;
        m->u.peer_list.count = 3;
        m->u.peer_list.peers = peers;
        break;
    case WIRE_PING:
    case WIRE_LEAVE:
        m->u.node_id = 0xdeadbeefcafef00dULL;
        break;
    case WIRE_PONG:
        m->u.pong.known = true;
        m->u.pong.peers = 7;
        break;
    case WIRE_SUBMIT_TX:
    case WIRE_TX:
    case WIRE_NEW_TX:
        m->u.blob.data = tx_bytes;
        m->u.blob.len = sizeof tx_bytes;
        break;
    case WIRE_NEW_BLOCK:
        m->u.blob.data = block_a;
        m->u.blob.len = sizeof block_a;
        break;
    case WIRE_QUERY:
    case WIRE_REPLY:
        m->u.blob.data = (const uint8_t *)json;
        m->u.blob.len = strlen(json);
        break;
    case WIRE_HELLO:
        m->u.hello.node_id = 42;
        m->u.hello.tip.height = 1234;
        memcpy(m->u.hello.tip.tip, hashes, 32);
        memcpy(m->u.hello.tip.work, hashes + 32, 32);
        break;
    case WIRE_TIP:
        m->u.tip.height = 99;
        memcpy(m->u.tip.tip, hashes + 64, 32);
        memcpy(m->u.tip.work, hashes + 96, 32);
        break;
    case WIRE_GET_HEADERS:
        m->u.get_headers.count = 4;
        m->u.get_headers.hashes = hashes;
        memcpy(m->u.get_headers.stop, hashes + 128, 32);
        break;
    case WIRE_HEADERS:
        m->u.headers.count = 3;
        m->u.headers.headers = headers;
        break;
    case WIRE_GET_BLOCKS:
        m->u.get_blocks.count = 5;
        m->u.get_blocks.hashes = hashes;
        break;
    case WIRE_BLOCKS:
        blobs[0] = (wire_blob_t){block_a, sizeof block_a};
        blobs[1] = (wire_blob_t){block_b, sizeof block_b};
        m->u.list.count = 2;
        m->u.list.items = blobs;
        break;
    case WIRE_MEMPOOL:
    case WIRE_SUBMIT_TXS:
        blobs[0] = (wire_blob_t){tx_bytes, sizeof tx_bytes};
        blobs[1] = (wire_blob_t){tx_bytes, 53};
        m->u.list.count = 2;
        m->u.list.items = blobs;
        break;
    case WIRE_NEW_TXS:
        for (int i = 0; i < 3; i++) {
            txitems[i].txid = hashes + 32 * i;
            txitems[i].tx = (wire_blob_t){tx_bytes, sizeof tx_bytes - 9u * i};
        }
        m->u.txs.count = 3;
        m->u.txs.items = txitems;
        break;
    case WIRE_SUBMITTED:
        memset(results, 0, sizeof results);
        results[1].code = ERR_INVALID;
        strcpy(results[1].reason, "bad-txns-nonce-replay");
        results[2].code = ERR_PARSE;
        strcpy(results[2].reason, "malformed transaction");
        m->u.results.count = 3;
        m->u.results.items = results;
        break;
    case WIRE_KEY:
        fill(m->u.key.key, sizeof m->u.key.key, 9);
        m->u.key.port = 18322;
        break;
    default:
        break;
    }
}

static void encode_sample(buf_t *b, uint16_t type)
{
    wire_msg_t m;
    sample(&m, type);
    buf_init(b);
    cr_assert_eq(wire_encode(b, NET, &m), 0, "encode %s", wire_type_name(type));
}

/* Decodes from an exactly-sized heap copy so ASan sees any over-read. */
static int decode_copy(wire_msg_t *m, const uint8_t *net, const uint8_t *data,
                       size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    cr_assert(copy);
    if (len)
        memcpy(copy, data, len);
    int rc = wire_decode(m, net, copy, len);
    if (rc == 0) {
        /* Whatever decodes must re-encode to the very same bytes. */
        buf_t again;
        buf_init(&again);
        cr_assert_eq(wire_encode(&again, net, m), 0);
        cr_assert_eq(again.len, len);
        cr_assert_eq(memcmp(again.data, copy, len), 0);
        buf_deinit(&again);
        wire_msg_clear(m);
    }
    free(copy);
    return rc;
}

Test(wire, round_trip_every_type)
{
    for (size_t t = 0; t < N_TYPES; t++) {
        buf_t b;
        encode_sample(&b, ALL_TYPES[t]);
        wire_msg_t m;
        cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0, "decode %s",
                     wire_type_name(ALL_TYPES[t]));
        cr_assert_eq(m.type, ALL_TYPES[t]);
        buf_t again;
        buf_init(&again);
        cr_assert_eq(wire_encode(&again, NET, &m), 0);
        cr_assert_eq(again.len, b.len);
        cr_assert_eq(memcmp(again.data, b.data, b.len), 0);
        uint16_t peeked;
        cr_assert_eq(wire_peek(&peeked, NET, b.data, b.len), 0);
        cr_assert_eq(peeked, ALL_TYPES[t]);
        wire_msg_clear(&m);
        buf_deinit(&again);
        buf_deinit(&b);
    }
}

Test(wire, decoded_fields)
{
    buf_t b;
    wire_msg_t m;

    encode_sample(&b, WIRE_REGISTER_OK);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.peer_list.peer_timeout_ms, 15000);
    cr_assert_eq(m.u.peer_list.count, 3);
    cr_assert_eq(m.u.peer_list.peers[2].id, peers[2].id);
    cr_assert_str_eq(m.u.peer_list.peers[2].req, "tcp://10.0.0.3:9000");
    cr_assert_str_eq(m.u.peer_list.peers[2].gossip, "tcp://10.0.0.3:9001");
    wire_msg_clear(&m);
    buf_deinit(&b);

    encode_sample(&b, WIRE_BLOCKS);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.list.count, 2);
    cr_assert_eq(m.u.list.items[1].len, sizeof block_b);
    cr_assert_eq(memcmp(m.u.list.items[1].data, block_b, sizeof block_b), 0);
    wire_msg_clear(&m);
    buf_deinit(&b);

    encode_sample(&b, WIRE_NEW_TXS);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.txs.count, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(memcmp(m.u.txs.items[i].txid, hashes + 32 * i, 32), 0);
        cr_assert_eq(m.u.txs.items[i].tx.len, sizeof tx_bytes - 9u * i);
        cr_assert_eq(
            memcmp(m.u.txs.items[i].tx.data, tx_bytes, m.u.txs.items[i].tx.len),
            0);
    }
    wire_msg_clear(&m);
    buf_deinit(&b);

    encode_sample(&b, WIRE_SUBMITTED);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.results.count, 3);
    cr_assert_eq(m.u.results.items[0].code, 0);
    cr_assert_str_eq(m.u.results.items[0].reason, "");
    cr_assert_eq(m.u.results.items[1].code, ERR_INVALID);
    cr_assert_str_eq(m.u.results.items[1].reason, "bad-txns-nonce-replay");
    cr_assert_eq(m.u.results.items[2].code, ERR_PARSE);
    wire_msg_clear(&m);
    buf_deinit(&b);

    encode_sample(&b, WIRE_SUBMIT_TXS);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.list.count, 2);
    cr_assert_eq(m.u.list.items[1].len, 53);
    wire_msg_clear(&m);
    buf_deinit(&b);

    encode_sample(&b, WIRE_ERROR);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.error.code, ERR_INVALID);
    cr_assert_str_eq(m.u.error.reason, "bad signature");
    wire_msg_clear(&m);
    buf_deinit(&b);

    encode_sample(&b, WIRE_HELLO);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(m.u.hello.node_id, 42);
    cr_assert_eq(m.u.hello.tip.height, 1234);
    cr_assert_eq(memcmp(m.u.hello.tip.work, hashes + 32, 32), 0);
    wire_msg_clear(&m);
    buf_deinit(&b);
}

Test(wire, every_truncation_fails)
{
    for (size_t t = 0; t < N_TYPES; t++) {
        buf_t b;
        encode_sample(&b, ALL_TYPES[t]);
        for (size_t len = 0; len < b.len; len++) {
            wire_msg_t m;
            /* As sent: the envelope's length no longer matches. */
            cr_assert_eq(decode_copy(&m, NET, b.data, len), ERR_PARSE,
                         "%s cut to %zu", wire_type_name(ALL_TYPES[t]), len);
            if (len < WIRE_HEADER_SIZE)
                continue;
            /* With the envelope's length fixed up, so the payload decoder
             * itself meets the truncation. */
            uint8_t *cut = malloc(len);
            memcpy(cut, b.data, len);
            le32_put(cut + WIRE_HEADER_SIZE - 4,
                     (uint32_t)(len - WIRE_HEADER_SIZE));
            cr_assert_eq(decode_copy(&m, NET, cut, len), ERR_PARSE,
                         "%s payload cut to %zu", wire_type_name(ALL_TYPES[t]),
                         len - WIRE_HEADER_SIZE);
            free(cut);
        }
        buf_deinit(&b);
    }
}

Test(wire, trailing_bytes_refused)
{
    for (size_t t = 0; t < N_TYPES; t++) {
        buf_t b;
        encode_sample(&b, ALL_TYPES[t]);
        buf_put_u8(&b, 0);
        uint32_t plen = le32_get(b.data + WIRE_HEADER_SIZE - 4);
        le32_put(b.data + WIRE_HEADER_SIZE - 4, plen + 1);
        wire_msg_t m;
        cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE, "%s",
                     wire_type_name(ALL_TYPES[t]));
        buf_deinit(&b);
    }
}

Test(wire, wrong_network_version_magic)
{
    buf_t b;
    wire_msg_t m;
    uint16_t type;
    encode_sample(&b, WIRE_PING);

    cr_assert_eq(decode_copy(&m, OTHER_NET, b.data, b.len), ERR_INVALID);
    cr_assert_eq(wire_peek(&type, OTHER_NET, b.data, b.len), ERR_INVALID);

    b.data[4] = WIRE_VERSION + 1;
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_UNSUPPORTED);
    cr_assert_eq(wire_peek(&type, NET, b.data, b.len), ERR_UNSUPPORTED);
    b.data[4] = WIRE_VERSION;

    b.data[0] ^= 1;
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    b.data[0] ^= 1;

    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), 0);
    buf_deinit(&b);
}

/* Any pickaxe frame's envelope reads, whatever its version or network. */
Test(wire, envelope_reads_whatever_the_version_and_network)
{
    buf_t b;
    wire_envelope_t env;
    encode_sample(&b, WIRE_PING);
    b.data[4] = 1; /* the version before NEW_TXS and SUBMIT_TXS */
    memcpy(b.data + 8, OTHER_NET, 32);
    cr_assert_eq(wire_read_envelope(&env, b.data, b.len), 0);
    cr_assert_eq(env.version, 1);
    cr_assert_eq(env.type, WIRE_PING);
    cr_assert_arr_eq(env.network_id, OTHER_NET, 32);
    cr_assert_eq(wire_read_envelope(&env, b.data, WIRE_HEADER_SIZE - 1),
                 ERR_PARSE);
    b.data[0] ^= 1;
    cr_assert_eq(wire_read_envelope(&env, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);
}

/* A refusal goes out in the refused frame's framing: an old node and a
 * node of another network can both decode it. */
Test(wire, refusal_is_framed_as_the_refused_frame)
{
    cr_assert_eq(WIRE_VERSION, 3, "keyed peers made version 3");
    buf_t old, out;
    buf_init(&out);
    encode_sample(&old, WIRE_PING);
    old.data[4] = WIRE_VERSION - 1;
    memcpy(old.data + 8, OTHER_NET, 32);
    wire_envelope_t env;
    cr_assert_eq(wire_read_envelope(&env, old.data, old.len), 0);
    cr_assert_eq(wire_encode_refusal(&out, &env, ERR_UNSUPPORTED, "too old"),
                 0);
    wire_envelope_t got;
    cr_assert_eq(wire_read_envelope(&got, out.data, out.len), 0);
    cr_assert_eq(got.version, WIRE_VERSION - 1);
    cr_assert_eq(got.type, WIRE_ERROR);
    cr_assert_arr_eq(got.network_id, OTHER_NET, 32);
    /* The ERROR payload is the same in both versions: as the old node
     * would, read it with the version it expects. */
    wire_msg_t m;
    cr_assert_eq(decode_copy(&m, OTHER_NET, out.data, out.len),
                 ERR_UNSUPPORTED);
    out.data[4] = WIRE_VERSION;
    cr_assert_eq(wire_decode(&m, OTHER_NET, out.data, out.len), 0);
    cr_assert_eq(m.type, WIRE_ERROR);
    cr_assert_eq(m.u.error.code, ERR_UNSUPPORTED);
    cr_assert_str_eq(m.u.error.reason, "too old");
    wire_msg_clear(&m);

    /* A newer version's ERROR may look otherwise: ours is sent. */
    env.version = WIRE_VERSION + 1;
    buf_reset(&out);
    cr_assert_eq(wire_encode_refusal(&out, &env, ERR_UNSUPPORTED, "new"), 0);
    cr_assert_eq(wire_read_envelope(&got, out.data, out.len), 0);
    cr_assert_eq(got.version, WIRE_VERSION);
    buf_deinit(&old);
    buf_deinit(&out);
}

Test(wire, unknown_type_refused)
{
    buf_t b;
    wire_msg_t m;
    encode_sample(&b, WIRE_ACK);
    le16_put(b.data + 6, 0x7777);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    uint16_t type;
    cr_assert_eq(wire_peek(&type, NET, b.data, b.len), 0);
    cr_assert_eq(type, 0x7777);
    cr_assert_not(wire_type_known(0x7777));
    wire_msg_init(&m, 0x7777);
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    buf_deinit(&b);
}

/* Builds an envelope around a raw payload. */
static void raw_msg(buf_t *b, uint16_t type, const uint8_t *payload, size_t len)
{
    buf_init(b);
    buf_put_u32(b, WIRE_MAGIC);
    buf_put_u16(b, WIRE_VERSION);
    buf_put_u16(b, type);
    buf_put(b, NET, 32);
    buf_put_u32(b, (uint32_t)len);
    buf_put(b, payload, len);
}

static void check_count_cap(uint16_t type, size_t cap, size_t item,
                            size_t extra)
{
    /* cap + 1 items of the right size, so only the count is wrong */
    size_t n = cap + 1;
    size_t len = 2 + n * item + extra;
    uint8_t *p = calloc(1, len);
    le16_put(p, (uint16_t)n);
    buf_t b;
    wire_msg_t m;
    raw_msg(&b, type, p, len);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE, "%s",
                 wire_type_name(type));
    buf_deinit(&b);
    /* cap items: accepted */
    le16_put(p, (uint16_t)cap);
    raw_msg(&b, type, p, len - item);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), 0, "%s at cap",
                 wire_type_name(type));
    buf_deinit(&b);
    free(p);
}

Test(wire, oversize_counts_refused)
{
    check_count_cap(WIRE_HEADERS, WIRE_MAX_HEADERS, BLOCK_HEADER_SIZE, 0);
    check_count_cap(WIRE_GET_BLOCKS, WIRE_MAX_GET_BLOCKS, 32, 0);
    check_count_cap(WIRE_GET_HEADERS, WIRE_MAX_LOCATOR, 32, 32);
}

/* count items of a tx batch (NEW_TXS when with_txid, else SUBMIT_TXS),
 * each a 1-byte transaction; count_field may lie about count. */
static void tx_batch_payload(buf_t *p, uint16_t count_field, size_t count,
                             bool with_txid)
{
    buf_init(p);
    buf_put_u16(p, count_field);
    for (size_t i = 0; i < count; i++) {
        uint8_t id[32];
        memset(id, (int)i, sizeof id);
        if (with_txid)
            buf_put(p, id, 32);
        buf_put_u32(p, 1);
        buf_put_u8(p, 0x01);
    }
}

Test(wire, tx_batches_capped)
{
    for (int k = 0; k < 2; k++) {
        uint16_t type = k ? WIRE_NEW_TXS : WIRE_SUBMIT_TXS;
        buf_t p, b;
        wire_msg_t m;
        /* At the cap: accepted. */
        tx_batch_payload(&p, WIRE_MAX_TX_BATCH, WIRE_MAX_TX_BATCH, k);
        raw_msg(&b, type, p.data, p.len);
        cr_assert_eq(decode_copy(&m, NET, b.data, b.len), 0, "%s at cap",
                     wire_type_name(type));
        buf_deinit(&b);
        buf_deinit(&p);
        /* One over, with every item's bytes present: refused. */
        tx_batch_payload(&p, WIRE_MAX_TX_BATCH + 1, WIRE_MAX_TX_BATCH + 1, k);
        raw_msg(&b, type, p.data, p.len);
        cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE,
                     "%s over cap", wire_type_name(type));
        buf_deinit(&b);
        buf_deinit(&p);
        /* A count that claims more items than there are bytes. */
        tx_batch_payload(&p, 200, 3, k);
        raw_msg(&b, type, p.data, p.len);
        cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
        buf_deinit(&b);
        buf_deinit(&p);
        /* An empty transaction inside a batch. */
        tx_batch_payload(&p, 2, 2, k);
        p.data[p.len - 5] = 0; /* the last item's length: 1 -> 0 ... */
        p.len--;               /* ... and its byte gone */
        raw_msg(&b, type, p.data, p.len);
        cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
        buf_deinit(&b);
        buf_deinit(&p);
    }

    /* A transaction over WIRE_MAX_TX_SIZE inside NEW_TXS. */
    buf_t p, b;
    wire_msg_t m;
    uint8_t id[32] = {0};
    buf_init(&p);
    buf_put_u16(&p, 1);
    buf_put(&p, id, 32);
    buf_put_u32(&p, WIRE_MAX_TX_SIZE + 1);
    for (size_t i = 0; i < WIRE_MAX_TX_SIZE + 1; i++)
        buf_put_u8(&p, 1);
    raw_msg(&b, WIRE_NEW_TXS, p.data, p.len);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);
    buf_deinit(&p);

    /* SUBMITTED: over the cap, and an answer whose reason is unprintable. */
    buf_init(&p);
    buf_put_u16(&p, WIRE_MAX_TX_BATCH + 1);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH + 1; i++) {
        buf_put_u32(&p, 0);
        buf_put_u16(&p, 0);
    }
    raw_msg(&b, WIRE_SUBMITTED, p.data, p.len);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);
    buf_reset(&p);
    buf_put_u16(&p, 1);
    buf_put_u32(&p, (uint32_t)ERR_INVALID);
    buf_put_u16(&p, 2);
    buf_put_u8(&p, 'x');
    buf_put_u8(&p, '\n');
    raw_msg(&b, WIRE_SUBMITTED, p.data, p.len);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);
    buf_deinit(&p);

    /* The encoder refuses the same: over the cap, a missing txid, an
     * unprintable reason. */
    wire_txitem_t *many = calloc(WIRE_MAX_TX_BATCH + 1, sizeof *many);
    for (size_t i = 0; i < WIRE_MAX_TX_BATCH + 1; i++)
        many[i] = (wire_txitem_t){id, {id, 1}};
    buf_init(&b);
    wire_msg_init(&m, WIRE_NEW_TXS);
    m.u.txs.count = WIRE_MAX_TX_BATCH + 1;
    m.u.txs.items = many;
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    m.u.txs.count = WIRE_MAX_TX_BATCH;
    cr_assert_eq(wire_encode(&b, NET, &m), 0);
    buf_reset(&b);
    many[0].txid = NULL;
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    free(many);
    wire_result_t bad = {ERR_INVALID, "a\tb"};
    wire_msg_init(&m, WIRE_SUBMITTED);
    m.u.results.count = 1;
    m.u.results.items = &bad;
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    cr_assert_eq(b.len, 0);
    buf_deinit(&b);
}

Test(wire, oversize_counts_refused_more)
{

    /* A count claiming more items than there are bytes. */
    uint8_t p[2 + 4 + 1];
    le16_put(p, 3);
    le32_put(p + 2, 1);
    p[6] = 1;
    buf_t b;
    wire_msg_t m;
    raw_msg(&b, WIRE_MEMPOOL, p, sizeof p);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);

    /* A peer list over its cap, and a huge count with no bytes behind it. */
    uint8_t q[6];
    le32_put(q, 0);
    le16_put(q + 4, WIRE_MAX_PEERS + 1);
    raw_msg(&b, WIRE_PEER_LIST, q, sizeof q);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);
    le16_put(q + 4, 0xffff);
    raw_msg(&b, WIRE_BLOCKS, q + 4, 2);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);

    /* The encoder refuses the same. */
    wire_msg_init(&m, WIRE_HEADERS);
    m.u.headers.count = WIRE_MAX_HEADERS + 1;
    m.u.headers.headers = calloc(WIRE_MAX_HEADERS + 1, BLOCK_HEADER_SIZE);
    buf_init(&b);
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    cr_assert_eq(b.len, 0);
    free((void *)m.u.headers.headers);
    wire_msg_init(&m, WIRE_BLOCKS);
    m.u.list.count = WIRE_MAX_BLOCKS + 1;
    m.u.list.items = blobs;
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    buf_deinit(&b);
}

Test(wire, oversize_payload_refused)
{
    /* WIRE_MAX_BLOCKS blocks of the largest size do not fit in one message:
     * the encoder says so instead of emitting what nobody would accept. */
    uint8_t *big = calloc(1, WIRE_MAX_BLOCK_SIZE);
    wire_blob_t items[WIRE_MAX_BLOCKS];
    for (int i = 0; i < WIRE_MAX_BLOCKS; i++)
        items[i] = (wire_blob_t){big, WIRE_MAX_BLOCK_SIZE};
    wire_msg_t m;
    wire_msg_init(&m, WIRE_BLOCKS);
    m.u.list.count = WIRE_MAX_BLOCKS;
    m.u.list.items = items;
    buf_t b;
    buf_init(&b);
    buf_put_u8(&b, 0xaa);
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_RANGE);
    cr_assert_eq(b.len, 1, "the buffer is restored on failure");
    buf_deinit(&b);

    /* A declared payload length over the cap. */
    buf_init(&b);
    buf_put_u32(&b, WIRE_MAGIC);
    buf_put_u16(&b, WIRE_VERSION);
    buf_put_u16(&b, WIRE_BLOCKS);
    buf_put(&b, NET, 32);
    buf_put_u32(&b, WIRE_MAX_PAYLOAD + 1);
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_deinit(&b);

    /* Blobs out of their limits. */
    buf_init(&b);
    cr_assert_eq(
        wire_encode_blob(&b, NET, WIRE_NEW_TX, big, WIRE_MAX_TX_SIZE + 1),
        ERR_ARG);
    cr_assert_eq(
        wire_encode_blob(&b, NET, WIRE_NEW_BLOCK, big, WIRE_MIN_BLOCK_SIZE - 1),
        ERR_ARG);
    cr_assert_eq(wire_encode_blob(&b, NET, WIRE_QUERY, "{\0}", 3), ERR_ARG);
    cr_assert_eq(wire_encode_blob(&b, NET, WIRE_SUBMIT_TX, big, 0), ERR_ARG);
    cr_assert_eq(b.len, 0);
    buf_deinit(&b);
    free(big);
}

Test(wire, strings_checked)
{
    wire_msg_t m;
    buf_t b;
    buf_init(&b);
    sample(&m, WIRE_REGISTER);
    m.u.peer.req[0] = '\0';
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);
    sample(&m, WIRE_REGISTER);
    m.u.peer.gossip[3] = '\n';
    cr_assert_eq(wire_encode(&b, NET, &m), ERR_ARG);

    /* On the wire: a control character inside an endpoint. */
    sample(&m, WIRE_PEER_JOINED);
    cr_assert_eq(wire_encode(&b, NET, &m), 0);
    b.data[WIRE_HEADER_SIZE + WIRE_KEY_SIZE + 2 + 3] = 0x01;
    cr_assert_eq(decode_copy(&m, NET, b.data, b.len), ERR_PARSE);
    buf_reset(&b);

    /* An error reason is sanitised and truncated, never refused. */
    char longr[600];
    memset(longr, 'x', sizeof longr - 1);
    longr[sizeof longr - 1] = '\0';
    longr[5] = '\t';
    cr_assert_eq(wire_encode_error(&b, NET, ERR_FULL, longr), 0);
    cr_assert_eq(wire_decode(&m, NET, b.data, b.len), 0);
    cr_assert_eq(strlen(m.u.error.reason), WIRE_MAX_STR);
    cr_assert_eq(m.u.error.reason[5], '?');
    cr_assert_eq(m.u.error.code, ERR_FULL);
    buf_deinit(&b);

    cr_assert(wire_str_valid("tcp://127.0.0.1:1"));
    cr_assert_not(wire_str_valid(""));
    cr_assert_not(wire_str_valid(NULL));
    cr_assert_not(wire_str_valid(longr));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

Test(wire, random_bytes_never_crash)
{
    uint8_t buf[512];
    wire_msg_t m;
    for (int i = 0; i < 20000; i++) {
        size_t len = rnd() % sizeof buf;
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rnd();
        cr_assert_neq(decode_copy(&m, NET, buf, len), 0);
        /* A valid envelope around random payload bytes of a real type. */
        if (len >= WIRE_HEADER_SIZE) {
            le32_put(buf, WIRE_MAGIC);
            le16_put(buf + 4, WIRE_VERSION);
            le16_put(buf + 6, ALL_TYPES[rnd() % N_TYPES]);
            memcpy(buf + 8, NET, 32);
            le32_put(buf + 40, (uint32_t)(len - WIRE_HEADER_SIZE));
            int rc = decode_copy(&m, NET, buf, len);
            cr_assert(rc == 0 || rc == ERR_PARSE);
        }
    }
}

Test(wire, mutations_never_crash)
{
    for (size_t t = 0; t < N_TYPES; t++) {
        buf_t b;
        encode_sample(&b, ALL_TYPES[t]);
        for (int i = 0; i < 400; i++) {
            uint8_t *p = malloc(b.len);
            memcpy(p, b.data, b.len);
            int flips = 1 + (int)(rnd() % 4);
            for (int k = 0; k < flips; k++)
                p[WIRE_HEADER_SIZE - 4 +
                  rnd() % (b.len - WIRE_HEADER_SIZE + 4)] = (uint8_t)rnd();
            wire_msg_t m;
            int rc = decode_copy(&m, NET, p, b.len);
            cr_assert(rc == 0 || rc == ERR_PARSE, "rc %d", rc);
            free(p);
        }
        buf_deinit(&b);
    }
}

Test(wire, clear_is_harmless)
{
    wire_msg_clear(NULL);
    wire_msg_t m;
    sample(&m, WIRE_PEER_LIST);
    wire_msg_clear(&m); /* hand-filled: owns nothing */
    wire_msg_clear(&m);
    cr_assert_eq(m.type, 0);
}
