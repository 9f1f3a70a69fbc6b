/*
 * tx — transactions: wire form, ids, sighash and signatures (see tx.h).
 *
 * Every hash here is computed over a serialization built in a fixed-size
 * stack buffer (at most TX_MAX_SIZE bytes), so hashing a transaction never
 * allocates. The unsigned serialization is the full one minus the trailing
 * 64-byte signature of a transfer; a coinbase has no signature, so its
 * unsigned and full serializations are the same bytes.
 *
 * Parsing is strict: the kind byte must be known and every field present.
 * It works on a copy of the reader and commits the cursor and the
 * transaction only when the whole transaction was read, so a failed parse
 * leaves both untouched.
 */
#include "tx.h"
#include "err.h"
#include "keys.h"
#include "sha256.h"

#include <assert.h>
#include <string.h>

#define TX_SIG_OFFSET TX_TRANSFER_UNSIGNED_SIZE

static const char sighash_tag[] = "pickaxe/tx";

void tx_init_coinbase(tx_t *tx, uint32_t height, uint64_t extra_nonce,
                      const uint8_t recipient[32], uint64_t amount)
{
    memset(tx, 0, sizeof *tx);
    tx->kind = TX_COINBASE;
    tx->height = height;
    tx->extra_nonce = extra_nonce;
    memcpy(tx->recipient, recipient, 32);
    tx->amount = amount;
}

void tx_init_transfer(tx_t *tx, const uint8_t sender[32],
                      const uint8_t recipient[32], uint64_t amount,
                      uint64_t fee, uint64_t nonce)
{
    memset(tx, 0, sizeof *tx);
    tx->kind = TX_TRANSFER;
    memcpy(tx->sender, sender, 32);
    memcpy(tx->recipient, recipient, 32);
    tx->amount = amount;
    tx->fee = fee;
    tx->nonce = nonce;
}

size_t tx_size(const tx_t *tx)
{
    assert(tx->kind == TX_COINBASE || tx->kind == TX_TRANSFER);
    return tx->kind == TX_COINBASE ? TX_COINBASE_SIZE : TX_TRANSFER_SIZE;
}

/* Writes the full serialization to out; returns its length. */
static size_t encode(uint8_t out[TX_MAX_SIZE], const tx_t *tx)
{
    uint8_t *p = out;
    *p++ = tx->kind;
    if (tx->kind == TX_COINBASE) {
        le32_put(p, tx->height);
        p += 4;
        le64_put(p, tx->extra_nonce);
        p += 8;
        memcpy(p, tx->recipient, 32);
        p += 32;
        le64_put(p, tx->amount);
        p += 8;
        assert(p - out == TX_COINBASE_SIZE);
    } else {
        assert(tx->kind == TX_TRANSFER);
        memcpy(p, tx->sender, 32);
        p += 32;
        memcpy(p, tx->recipient, 32);
        p += 32;
        le64_put(p, tx->amount);
        p += 8;
        le64_put(p, tx->fee);
        p += 8;
        le64_put(p, tx->nonce);
        p += 8;
        assert(p - out == TX_SIG_OFFSET);
        memcpy(p, tx->sig, 64);
        p += 64;
        assert(p - out == TX_TRANSFER_SIZE);
    }
    return (size_t)(p - out);
}

/* Length of the serialization without the signature. */
static size_t unsigned_len(const tx_t *tx)
{
    return tx->kind == TX_COINBASE ? TX_COINBASE_SIZE
                                   : TX_TRANSFER_UNSIGNED_SIZE;
}

int tx_serialize(buf_t *out, const tx_t *tx)
{
    uint8_t b[TX_MAX_SIZE];
    size_t n = encode(b, tx);
    return buf_put(out, b, n);
}

static int parse_coinbase(tx_t *tx, reader_t *r)
{
    int rc = rd_u32(r, &tx->height);
    if (rc == 0)
        rc = rd_u64(r, &tx->extra_nonce);
    if (rc == 0)
        rc = rd_bytes(r, tx->recipient, 32);
    if (rc == 0)
        rc = rd_u64(r, &tx->amount);
    return rc;
}

static int parse_transfer(tx_t *tx, reader_t *r)
{
    int rc = rd_bytes(r, tx->sender, 32);
    if (rc == 0)
        rc = rd_bytes(r, tx->recipient, 32);
    if (rc == 0)
        rc = rd_u64(r, &tx->amount);
    if (rc == 0)
        rc = rd_u64(r, &tx->fee);
    if (rc == 0)
        rc = rd_u64(r, &tx->nonce);
    if (rc == 0)
        rc = rd_bytes(r, tx->sig, 64);
    return rc;
}

int tx_parse(tx_t *tx, reader_t *r)
{
    reader_t cur = *r;
    tx_t t;
    memset(&t, 0, sizeof t);
    int rc = rd_u8(&cur, &t.kind);
    if (rc)
        return rc;
    switch (t.kind) {
    case TX_COINBASE:
        rc = parse_coinbase(&t, &cur);
        break;
    case TX_TRANSFER:
        rc = parse_transfer(&t, &cur);
        break;
    default:
        return ERR_PARSE;
    }
    if (rc)
        return ERR_PARSE;
    *tx = t;
    *r = cur;
    return 0;
}

int tx_parse_bytes(tx_t *tx, const uint8_t *data, size_t len)
{
    reader_t r = reader_make(data, len);
    tx_t t;
    int rc = tx_parse(&t, &r);
    if (rc == 0)
        rc = rd_end(&r);
    if (rc == 0)
        *tx = t;
    return rc;
}

void tx_compute_txid(uint8_t txid[32], const tx_t *tx)
{
    uint8_t b[TX_MAX_SIZE];
    encode(b, tx);
    sha256d(txid, b, unsigned_len(tx));
}

void tx_leaf_hash(uint8_t leaf[32], const tx_t *tx)
{
    uint8_t b[TX_MAX_SIZE];
    size_t n = encode(b, tx);
    sha256d(leaf, b, n);
}

void tx_sighash(uint8_t msg[32], const tx_t *tx, const uint8_t network_id[32])
{
    /* BIP-340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || data). */
    uint8_t b[32 + 32 + 32 + TX_MAX_SIZE];
    sha256(b, sighash_tag, sizeof sighash_tag - 1);
    memcpy(b + 32, b, 32);
    memcpy(b + 64, network_id, 32);
    encode(b + 96, tx);
    sha256(msg, b, 96 + unsigned_len(tx));
}

bool tx_is_unsigned(const tx_t *tx)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < sizeof tx->sig; i++)
        acc |= tx->sig[i];
    return acc == 0;
}

bool tx_verify_signature(const tx_t *tx, const uint8_t network_id[32])
{
    if (tx->kind != TX_TRANSFER || tx_is_unsigned(tx))
        return false;
    uint8_t msg[32];
    tx_sighash(msg, tx, network_id);
    return keys_verify(tx->sig, msg, tx->sender);
}

int tx_sign(tx_t *tx, const struct keys_keypair *kp,
            const uint8_t network_id[32])
{
    if (tx->kind != TX_TRANSFER)
        return ERR_ARG;
    uint8_t pub[32];
    keys_keypair_xonly(pub, kp);
    if (memcmp(pub, tx->sender, 32) != 0)
        return ERR_ARG;
    uint8_t msg[32], sig[64];
    tx_sighash(msg, tx, network_id);
    int rc = keys_sign(sig, kp, msg);
    if (rc == 0)
        memcpy(tx->sig, sig, 64);
    return rc;
}

int tx_sign_with_secret(tx_t *tx, const uint8_t seckey[32],
                        const uint8_t network_id[32])
{
    keys_keypair_t kp;
    int rc = keys_keypair_from_secret(&kp, seckey);
    if (rc == 0)
        rc = tx_sign(tx, &kp, network_id);
    keys_keypair_wipe(&kp);
    return rc;
}
