/*
 * fuzz_wire — wire_decode and wire_peek (net/wire.c): every byte a peer, the
 * tracker, the cli or the wallet can send a node or the tracker goes through
 * them first.
 *
 * Properties:
 *   - what wire_decode accepts, wire_encode accepts too and encodes back to
 *     the very same bytes (the codec is canonical: no field is ignored and
 *     no two encodings mean the same message);
 *   - a decoded message's borrowed pointers (blobs, hashes, headers) point
 *     into the input, and its counts respect their caps;
 *   - wire_peek agrees with wire_decode about the envelope: when peek
 *     refuses, decode refuses with the same code, and when decode accepts,
 *     peek accepts with the same type;
 *   - a message of another network is ERR_INVALID and decodes (with its own
 *     network id) exactly like ours would: the network id gates nothing but
 *     itself;
 *   - a refused message leaves the output untouched, and error codes are
 *     the documented ones.
 * What a node does next with a decoded payload is exercised too: blocks,
 * transactions and headers go to their own parsers and JSON text to jansson.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>

#include "block.h"
#include "err.h"
#include "params.h"
#include "tx.h"
#include "wire.h"

static bool inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
    const uint8_t *q = p;
    return n == 0 ||
           (q >= data && n <= size && q - data <= (ptrdiff_t)(size - n));
}

static void parse_block(const wire_blob_t *blob)
{
    block_t b;
    if (block_parse(&b, blob->data, blob->len) == 0)
        block_deinit(&b);
}

static void parse_tx(const wire_blob_t *blob)
{
    tx_t tx;
    (void)tx_parse_bytes(&tx, blob->data, blob->len);
}

/* Checks the payload's invariants and hands it to the next parser. */
static void check_payload(const wire_msg_t *m, const uint8_t *data, size_t size)
{
    switch (m->type) {
    case WIRE_ERROR:
        FUZZ_CHECK(strlen(m->u.error.reason) <= WIRE_MAX_STR);
        break;
    case WIRE_REGISTER:
    case WIRE_PEER_JOINED:
    case WIRE_PEER_LEFT:
        FUZZ_CHECK(wire_str_valid(m->u.peer.req));
        FUZZ_CHECK(wire_str_valid(m->u.peer.gossip));
        break;
    case WIRE_REGISTER_OK:
    case WIRE_PEER_LIST:
        FUZZ_CHECK(m->u.peer_list.count <= WIRE_MAX_PEERS);
        for (size_t i = 0; i < m->u.peer_list.count; i++) {
            FUZZ_CHECK(wire_str_valid(m->u.peer_list.peers[i].req));
            FUZZ_CHECK(wire_str_valid(m->u.peer_list.peers[i].gossip));
        }
        break;
    case WIRE_SUBMIT_TX:
    case WIRE_TX:
    case WIRE_NEW_TX:
        FUZZ_CHECK(inside(m->u.blob.data, m->u.blob.len, data, size));
        FUZZ_CHECK(m->u.blob.len >= 1 && m->u.blob.len <= WIRE_MAX_TX_SIZE);
        parse_tx(&m->u.blob);
        break;
    case WIRE_NEW_BLOCK:
        FUZZ_CHECK(inside(m->u.blob.data, m->u.blob.len, data, size));
        FUZZ_CHECK(m->u.blob.len >= WIRE_MIN_BLOCK_SIZE &&
                   m->u.blob.len <= WIRE_MAX_BLOCK_SIZE);
        parse_block(&m->u.blob);
        break;
    case WIRE_QUERY:
    case WIRE_REPLY: {
        FUZZ_CHECK(inside(m->u.blob.data, m->u.blob.len, data, size));
        FUZZ_CHECK(memchr(m->u.blob.data, 0, m->u.blob.len) == NULL);
        json_t *j =
            json_loadb((const char *)m->u.blob.data, m->u.blob.len, 0, NULL);
        json_decref(j);
        break;
    }
    case WIRE_GET_HEADERS:
        FUZZ_CHECK(m->u.get_headers.count <= WIRE_MAX_LOCATOR);
        FUZZ_CHECK(inside(m->u.get_headers.hashes,
                          (size_t)m->u.get_headers.count * 32, data, size));
        break;
    case WIRE_HEADERS:
        FUZZ_CHECK(m->u.headers.count <= WIRE_MAX_HEADERS);
        FUZZ_CHECK(inside(m->u.headers.headers,
                          (size_t)m->u.headers.count * BLOCK_HEADER_SIZE, data,
                          size));
        for (size_t i = 0; i < m->u.headers.count; i++) {
            block_header_t h;
            FUZZ_CHECK(block_header_parse(
                           &h, m->u.headers.headers + i * BLOCK_HEADER_SIZE,
                           BLOCK_HEADER_SIZE) == 0);
        }
        break;
    case WIRE_GET_BLOCKS:
        FUZZ_CHECK(m->u.get_blocks.count <= WIRE_MAX_GET_BLOCKS);
        FUZZ_CHECK(inside(m->u.get_blocks.hashes,
                          (size_t)m->u.get_blocks.count * 32, data, size));
        break;
    case WIRE_NEW_TXS:
        FUZZ_CHECK(m->u.txs.count <= WIRE_MAX_TX_BATCH);
        for (size_t i = 0; i < m->u.txs.count; i++) {
            const wire_txitem_t *it = &m->u.txs.items[i];
            FUZZ_CHECK(inside(it->txid, 32, data, size));
            FUZZ_CHECK(inside(it->tx.data, it->tx.len, data, size));
            FUZZ_CHECK(it->tx.len >= 1 && it->tx.len <= WIRE_MAX_TX_SIZE);
            parse_tx(&it->tx);
        }
        break;
    case WIRE_SUBMITTED:
        FUZZ_CHECK(m->u.results.count <= WIRE_MAX_TX_BATCH);
        for (size_t i = 0; i < m->u.results.count; i++)
            FUZZ_CHECK(strlen(m->u.results.items[i].reason) <= WIRE_MAX_STR);
        break;
    case WIRE_BLOCKS:
    case WIRE_MEMPOOL:
    case WIRE_SUBMIT_TXS:
        FUZZ_CHECK(m->u.list.count <= (m->type == WIRE_BLOCKS ? WIRE_MAX_BLOCKS
                                       : m->type == WIRE_MEMPOOL
                                           ? WIRE_MAX_MEMPOOL
                                           : WIRE_MAX_TX_BATCH));
        for (size_t i = 0; i < m->u.list.count; i++) {
            const wire_blob_t *it = &m->u.list.items[i];
            FUZZ_CHECK(inside(it->data, it->len, data, size));
            if (m->type == WIRE_BLOCKS)
                parse_block(it);
            else
                parse_tx(it);
        }
        break;
    default:
        break;
    }
}

/* Decodes for one network id and checks every property; returns the code. */
static int decode_and_check(const uint8_t net[32], const uint8_t *data,
                            size_t size)
{
    wire_msg_t m, untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    memcpy(&m, &untouched, sizeof m);
    int rc = wire_decode(&m, net, data, size);
    uint16_t type = 0xa5a5;
    int prc = wire_peek(&type, net, data, size);

    FUZZ_CHECK(rc == 0 || rc == ERR_PARSE || rc == ERR_UNSUPPORTED ||
               rc == ERR_INVALID || rc == ERR_NOMEM);
    FUZZ_CHECK(prc == 0 || prc == ERR_PARSE || prc == ERR_UNSUPPORTED ||
               prc == ERR_INVALID);
    if (prc != 0)
        FUZZ_CHECK(rc == prc);
    if (rc != 0) {
        FUZZ_CHECK(memcmp(&m, &untouched, sizeof m) == 0);
        return rc;
    }
    FUZZ_CHECK(prc == 0 && type == m.type);
    FUZZ_CHECK(wire_type_known(m.type));
    FUZZ_CHECK(size >= WIRE_HEADER_SIZE);
    check_payload(&m, data, size);

    buf_t out;
    buf_init(&out);
    int erc = wire_encode(&out, net, &m);
    FUZZ_CHECK(erc == 0);
    FUZZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
    buf_deinit(&out);
    wire_msg_clear(&m);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *ours = params_regtest()->network_id;
    int rc = decode_and_check(ours, data, size);
    /* Another network's message: the same decoder, with its id. */
    if (rc == ERR_INVALID) {
        FUZZ_CHECK(size >= WIRE_HEADER_SIZE);
        uint8_t theirs[32];
        memcpy(theirs, data + 8, 32);
        FUZZ_CHECK(memcmp(theirs, ours, 32) != 0);
        FUZZ_CHECK(decode_and_check(theirs, data, size) != ERR_INVALID);
    }
    return 0;
}
