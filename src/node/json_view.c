/*
 * json_view — JSON views of blocks and transactions (see json_view.h).
 */
#include "json_view.h"
#include "address.h"
#include "hex.h"

#include <stdio.h>
#include <stdlib.h>

/* Sets key to a new value, taking the reference; false when out of memory. */
static bool put(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0;
}

static json_t *hash_str(const uint8_t hash[32])
{
    char hex[HEX_HASH_LEN + 1];
    hex_from_hash(hex, hash);
    return json_string(hex);
}

static json_t *address_str(const uint8_t key[32], const char *hrp)
{
    char addr[128];
    if (address_encode(addr, sizeof addr, hrp, key) != 0) {
        /* A key that is not a curve point (the genesis "nobody") still
         * shows as hex, so the view never fails on chain data. */
        char hex[65];
        hex_encode(hex, key, 32);
        return json_string(hex);
    }
    return json_string(addr);
}

json_t *json_view_tx(const tx_t *tx, const char *hrp)
{
    json_t *o = json_object();
    uint8_t txid[32];
    tx_compute_txid(txid, tx);
    bool ok = o && put(o, "txid", hash_str(txid)) &&
              put(o, "to", address_str(tx->recipient, hrp)) &&
              put(o, "amount", json_integer((json_int_t)tx->amount));
    if (ok && tx->kind == TX_COINBASE) {
        ok = put(o, "type", json_string("coinbase")) &&
             put(o, "height", json_integer(tx->height)) &&
             put(o, "extraNonce", json_integer((json_int_t)tx->extra_nonce));
    } else if (ok) {
        char sig[129] = "";
        if (!tx_is_unsigned(tx))
            hex_encode(sig, tx->sig, sizeof tx->sig);
        ok = put(o, "type", json_string("transfer")) &&
             put(o, "from", address_str(tx->sender, hrp)) &&
             put(o, "fee", json_integer((json_int_t)tx->fee)) &&
             put(o, "nonce", json_integer((json_int_t)tx->nonce)) &&
             put(o, "signature", json_string(sig));
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *json_view_block(const block_t *b, uint32_t height, const char *hrp,
                        bool with_raw)
{
    json_t *o = json_object();
    json_t *data = json_array();
    uint8_t hash[32];
    char bits[9];
    block_compute_hash(hash, &b->header);
    snprintf(bits, sizeof bits, "%08x", b->header.bits);
    bool ok = o && data;
    for (size_t i = 0; ok && i < b->tx_count; i++)
        ok = json_array_append_new(data, json_view_tx(&b->txs[i], hrp)) == 0;
    ok = ok &&
         put(o, "previousBlockIndex", json_integer((json_int_t)height - 1)) &&
         put(o, "blockId", hash_str(hash)) &&
         put(o, "previousHash", hash_str(b->header.prev_hash)) &&
         put(o, "nonce", json_integer(b->header.nonce)) &&
         put(o, "hash", hash_str(hash)) &&
         put(o, "timestamp", json_integer(b->header.time)) &&
         put(o, "blockHeight", json_integer(height)) &&
         put(o, "merkleRoot", hash_str(b->header.merkle_root)) &&
         put(o, "version", json_integer(b->header.version)) &&
         put(o, "bits", json_string(bits)) && put(o, "data", json_incref(data));
    if (ok && with_raw) {
        buf_t raw;
        buf_init(&raw);
        char *hex = NULL;
        if (block_serialize(&raw, b) == 0 &&
            (hex = malloc(2 * raw.len + 1)) != NULL) {
            hex_encode(hex, raw.data, raw.len);
            ok = put(o, "raw", json_string(hex));
        } else {
            ok = false;
        }
        free(hex);
        buf_deinit(&raw);
    }
    json_decref(data);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
