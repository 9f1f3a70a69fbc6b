/*
 * tx — pickaxe's two kinds of transaction, their wire form, ids and
 * signatures.
 *
 * pickaxe uses an account model. A coinbase (the seed's "assign an amount to
 * a wallet") creates coins for the miner of a block; a transfer moves coins
 * from the account of its sender's public key to a recipient, paying a fee to
 * the miner, and carries the sender's account nonce (sequence number) for
 * replay protection and ordering.
 *
 * Serialized forms (all integers little-endian, fixed width):
 *
 *   coinbase (TX_COINBASE_SIZE = 53 bytes)
 *     kind u8 = 0 | height u32 | extra_nonce u64 | recipient [32] | amount u64
 *     The 8-byte extra-nonce starts at TX_COINBASE_EXTRANONCE_OFFSET, so a
 *     mining job is "prefix (5 bytes) + extra-nonce + suffix (40 bytes)".
 *
 *   transfer (TX_TRANSFER_SIZE = 153 bytes)
 *     kind u8 = 1 | sender [32] | recipient [32] | amount u64 | fee u64 |
 *     nonce u64 | signature [64]
 *
 * Public keys are BIP-340 x-only keys (32 bytes); a recipient is the x-only
 * key an address encodes (see address.h). An all-zero signature means
 * "unsigned" and is refused by tx_verify_signature().
 *
 * Ids and hashes:
 *   txid      = SHA256d(serialization without the signature); for a coinbase,
 *               which has none, the whole serialization.
 *   leaf hash = SHA256d(full serialization, signature included) — the merkle
 *               leaf, so a block header commits to every signature.
 *   sighash   = BIP-340 tagged hash "pickaxe/tx" of
 *               (network id [32] || serialization without the signature),
 *               so a transfer signed for one network is invalid on another.
 *
 * tx_t is a plain value type (no pointers): copy it with assignment.
 */
#ifndef PICKAXE_TX_H
#define PICKAXE_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "err.h"

#define TX_COINBASE 0
#define TX_TRANSFER 1

#define TX_COINBASE_SIZE 53
#define TX_COINBASE_EXTRANONCE_OFFSET 5
#define TX_TRANSFER_SIZE 153
#define TX_TRANSFER_UNSIGNED_SIZE 89
#define TX_MAX_SIZE TX_TRANSFER_SIZE

#define COIN 100000000ULL
/* No amount, balance or sum of fees may exceed this. */
#define MAX_MONEY (21000000ULL * COIN)

typedef struct {
    uint8_t kind; /* TX_COINBASE or TX_TRANSFER */
    /* coinbase only */
    uint32_t height;
    uint64_t extra_nonce;
    /* transfer only */
    uint8_t sender[32]; /* x-only public key */
    uint64_t fee;
    uint64_t nonce; /* the sender account's sequence number */
    uint8_t sig[64];
    /* both */
    uint8_t recipient[32]; /* x-only public key */
    uint64_t amount;
} tx_t;

/* Fills a coinbase. */
void tx_init_coinbase(tx_t *tx, uint32_t height, uint64_t extra_nonce,
                      const uint8_t recipient[32], uint64_t amount);

/* Fills an unsigned transfer (signature all zero). */
void tx_init_transfer(tx_t *tx, const uint8_t sender[32],
                      const uint8_t recipient[32], uint64_t amount,
                      uint64_t fee, uint64_t nonce);

/* Serialized size of tx: TX_COINBASE_SIZE or TX_TRANSFER_SIZE. */
size_t tx_size(const tx_t *tx);

/* Appends the full serialization. Returns 0 or ERR_NOMEM. */
PX_MUST_CHECK int tx_serialize(buf_t *out, const tx_t *tx);

/*
 * Reads one transaction from r.
 * Returns: 0; ERR_PARSE on an unknown kind or truncated input.
 * Out:     tx, written only on success.
 */
PX_MUST_CHECK int tx_parse(tx_t *tx, reader_t *r);

/* Parses exactly one transaction filling the whole buffer. */
PX_MUST_CHECK int tx_parse_bytes(tx_t *tx, const uint8_t *data, size_t len);

/* txid: SHA256d of the serialization without the signature. */
void tx_compute_txid(uint8_t txid[32], const tx_t *tx);

/* Merkle leaf: SHA256d of the full serialization. */
void tx_leaf_hash(uint8_t leaf[32], const tx_t *tx);

/* The 32-byte message a transfer's signature signs on a given network. */
void tx_sighash(uint8_t msg[32], const tx_t *tx, const uint8_t network_id[32]);

/* True when the signature is all zero (an unsigned transfer). */
bool tx_is_unsigned(const tx_t *tx);

/*
 * Checks a transfer's BIP-340 signature against its sender key on a network.
 * Returns: true only for a transfer with a valid signature.
 * Thread safety: thread-safe (uses a read-only verification context).
 */
bool tx_verify_signature(const tx_t *tx, const uint8_t network_id[32]);

struct keys_keypair; /* keys.h */

/**
 * Signs a transfer for a network: fills tx->sig with a BIP-340 signature of
 * tx_sighash(tx, network_id), made with fresh auxiliary randomness.
 *
 * Returns: 0;
 *          ERR_ARG when tx is not a transfer, or when the keypair's public
 *          key is not tx->sender (the signature could never verify);
 *          ERR_IO or ERR_CRYPTO when signing fails (see keys_sign()).
 * Out:     tx->sig, written only on success.
 * In:      tx          the transfer to sign (its other fields are borrowed).
 *          kp          the sender's keypair (borrowed).
 *          network_id  the network's id (its genesis block hash).
 * Thread safety: thread-safe for distinct tx.
 */
PX_MUST_CHECK int tx_sign(tx_t *tx, const struct keys_keypair *kp,
                          const uint8_t network_id[32]);

/**
 * tx_sign() from a raw 32-byte secret key; the temporary keypair is wiped.
 *
 * Returns: as tx_sign(), and ERR_INVALID when seckey is not a valid secret
 *          key.
 * In:      seckey  32 bytes (borrowed; the caller wipes them).
 * Thread safety: thread-safe for distinct tx.
 */
PX_MUST_CHECK int tx_sign_with_secret(tx_t *tx, const uint8_t seckey[32],
                                      const uint8_t network_id[32]);

#endif
