/*
 * fuzz_tx — tx_parse and tx_parse_bytes (src/core/tx.c): the transactions that
 * arrive in SUBMIT_TX, TX, NEW_TX and MEMPOOL messages and in rpc "submit".
 *
 * Properties:
 *   - tx_parse_bytes accepts exactly one whole transaction, and what it
 *     accepts serializes back to the same bytes (tx_size() bytes);
 *   - tx_parse over the input as a stream of transactions (how block bodies
 *     are read) consumes exactly tx_size() bytes per transaction, round-trips
 *     each, and on failure leaves the reader and the output untouched;
 *   - ids, hashes, the JSON view and signature checking never crash on a
 *     parsed transaction (signature verification runs libsecp256k1 on
 *     arbitrary keys and signatures, as a node does for a peer's transfer).
 */
#include "fuzz.h"

#include "bytes.h"
#include "err.h"
#include "json_view.h"
#include "params.h"
#include "tx.h"

static void check_roundtrip(const tx_t *tx, const uint8_t *raw, size_t len)
{
    FUZZ_CHECK(tx->kind == TX_COINBASE || tx->kind == TX_TRANSFER);
    FUZZ_CHECK(tx_size(tx) == len);
    buf_t b;
    buf_init(&b);
    FUZZ_CHECK(tx_serialize(&b, tx) == 0);
    FUZZ_CHECK(b.len == len && memcmp(b.data, raw, len) == 0);
    buf_deinit(&b);
}

static void exercise(const tx_t *tx, const uint8_t network_id[32])
{
    uint8_t h[32], leaf[32], msg[32];
    tx_compute_txid(h, tx);
    tx_leaf_hash(leaf, tx);
    tx_sighash(msg, tx, network_id);
    /* A coinbase has no signature: its id is its leaf hash. */
    if (tx->kind == TX_COINBASE)
        FUZZ_CHECK(memcmp(h, leaf, 32) == 0);
    bool ok = tx_verify_signature(tx, network_id);
    if (tx->kind != TX_TRANSFER || tx_is_unsigned(tx))
        FUZZ_CHECK(!ok);
    json_t *v = json_view_tx(tx, "pxrt");
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const params_t *p = params_regtest();
    tx_t tx, untouched;
    memset(&untouched, 0x5a, sizeof untouched);

    memcpy(&tx, &untouched, sizeof tx);
    int rc = tx_parse_bytes(&tx, data, size);
    if (rc == 0) {
        check_roundtrip(&tx, data, size);
        exercise(&tx, p->network_id);
    } else {
        FUZZ_CHECK(rc == ERR_PARSE);
        FUZZ_CHECK(memcmp(&tx, &untouched, sizeof tx) == 0);
    }

    /* The same bytes as a stream of transactions. */
    reader_t r = reader_make(data, size);
    size_t count = 0;
    for (;;) {
        reader_t before = r;
        memcpy(&tx, &untouched, sizeof tx);
        if (tx_parse(&tx, &r) != 0) {
            FUZZ_CHECK(r.p == before.p && r.left == before.left);
            FUZZ_CHECK(memcmp(&tx, &untouched, sizeof tx) == 0);
            break;
        }
        size_t used = before.left - r.left;
        FUZZ_CHECK(r.p == before.p + used);
        check_roundtrip(&tx, before.p, used);
        count++;
    }
    /* tx_parse_bytes accepts exactly the inputs that are one transaction. */
    FUZZ_CHECK((rc == 0) == (count == 1 && r.left == 0));
    return 0;
}
