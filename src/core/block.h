/*
 * block — the seed's Block: Bitcoin's 80-byte header plus a transaction body.
 *
 * Header (80 bytes, little-endian): version u32 | previous hash [32] |
 * merkle root [32] | time u32 | bits u32 | nonce u32. The block hash (the
 * seed's blockId and hash) is SHA256d(header); proof of work holds when that
 * hash, read as a 256-bit little-endian number, is at most the target that
 * `bits` encodes in Bitcoin's compact form. Real Bitcoin headers hash to their
 * published ids with this code.
 *
 * Body: tx count u32, then the transactions (tx.h), coinbase first. A parsed
 * block owns its transaction array; block_t values are moved, not copied,
 * unless with block_copy().
 *
 * Not thread-safe; a block is owned by one thread at a time.
 */
#ifndef PICKAXE_BLOCK_H
#define PICKAXE_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "err.h"
#include "tx.h"
#include "uint256.h"

#define BLOCK_HEADER_SIZE 80
/* Consensus limit on a serialized block (header + body). */
#define BLOCK_MAX_SIZE (1024 * 1024)
#define BLOCK_MAX_TXS                                                          \
    ((BLOCK_MAX_SIZE - BLOCK_HEADER_SIZE - 4) / TX_COINBASE_SIZE)

typedef struct {
    uint32_t version;
    uint8_t prev_hash[32];
    uint8_t merkle_root[32];
    uint32_t time;
    uint32_t bits;
    uint32_t nonce;
} block_header_t;

typedef struct {
    block_header_t header;
    tx_t *txs; /* owned; txs[0] is the coinbase */
    size_t tx_count;
} block_t;

/* ---- header ----------------------------------------------------------------
 */

void block_header_serialize(uint8_t out[BLOCK_HEADER_SIZE],
                            const block_header_t *h);
/* Returns 0, or ERR_PARSE when len != 80. */
int block_header_parse(block_header_t *h, const uint8_t *in, size_t len);

/* The seed's computeHash: SHA256d of the 80-byte header. */
void block_compute_hash(uint8_t hash[32], const block_header_t *h);

/* The seed's setNonceAndGetHash: sets h->nonce and returns the new hash. */
void block_set_nonce_and_get_hash(uint8_t hash[32], block_header_t *h,
                                  uint32_t nonce);

/* ---- targets and work -----------------------------------------------------
 */

/*
 * Decodes compact bits into a target (Bitcoin's encoding).
 * Returns: 0; ERR_RANGE when bits is negative, zero, or overflows 256 bits.
 */
PX_MUST_CHECK int block_bits_to_target(uint256_t *target, uint32_t bits);

/* Encodes a target in compact form, rounding down as Bitcoin does. */
uint32_t block_target_to_bits(const uint256_t *target);

/* True when hash (as a little-endian number) <= target. */
bool block_hash_meets_target(const uint8_t hash[32], const uint256_t *target);

/* True when the header's hash meets its own bits (false on invalid bits). */
bool block_check_pow(const block_header_t *h);

/*
 * Expected number of hashes to find a block at bits: 2^256 / (target + 1).
 * Returns: 0; ERR_RANGE on invalid bits.
 */
PX_MUST_CHECK int block_work_from_bits(uint256_t *work, uint32_t bits);

/* ---- body
 * -------------------------------------------------------------------- */

/* Frees the transaction array; the block is empty afterwards. */
void block_deinit(block_t *b);

/* Deep copy. Returns 0 or ERR_NOMEM (dst untouched on failure). */
PX_MUST_CHECK int block_copy(block_t *dst, const block_t *src);

/* Appends a transaction to the body. Returns 0 or ERR_NOMEM. */
PX_MUST_CHECK int block_add_tx(block_t *b, const tx_t *tx);

/* Appends header and body. Returns 0 or ERR_NOMEM. */
PX_MUST_CHECK int block_serialize(buf_t *out, const block_t *b);

/* Serialized size in bytes. */
size_t block_size(const block_t *b);

/*
 * Parses a whole block; every byte of data must be used.
 * Returns: 0; ERR_PARSE on truncation, trailing bytes, a tx count that cannot
 *          fit in BLOCK_MAX_SIZE or in the data, or an unknown tx kind;
 *          ERR_NOMEM.
 * Out:     b, written only on success (the caller then owns it).
 */
PX_MUST_CHECK int block_parse(block_t *b, const uint8_t *data, size_t len);

/*
 * Merkle root over the leaf hashes of the body (merkle.h).
 * Returns: 0; ERR_INVALID when the tree pairs two equal siblings (which
 *          catches the CVE-2012-2459 mutation, as Bitcoin does: a repeat
 *          that is not paired, like [a b a], passes here and is refused by
 *          the chain's txid check) or when the body is empty; ERR_NOMEM.
 */
PX_MUST_CHECK int block_compute_merkle_root(uint8_t root[32], const block_t *b);

#endif
