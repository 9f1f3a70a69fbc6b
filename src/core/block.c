/*
 * block — headers, targets, work, and the serialized block (see block.h).
 *
 * Compact "bits" follow Bitcoin exactly: the top byte is a base-256 exponent
 * (the target's length in bytes), the low 23 bits the mantissa, bit 23 a sign
 * that no valid target has. A decoded target that is negative, zero or wider
 * than 256 bits is refused, so callers never see a meaningless target.
 */
#include "block.h"
#include "err.h"
#include "merkle.h"
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

void block_header_serialize(uint8_t out[BLOCK_HEADER_SIZE],
                            const block_header_t *h)
{
    le32_put(out, h->version);
    memcpy(out + 4, h->prev_hash, 32);
    memcpy(out + 36, h->merkle_root, 32);
    le32_put(out + 68, h->time);
    le32_put(out + 72, h->bits);
    le32_put(out + 76, h->nonce);
}

int block_header_parse(block_header_t *h, const uint8_t *in, size_t len)
{
    if (len != BLOCK_HEADER_SIZE)
        return ERR_PARSE;
    h->version = le32_get(in);
    memcpy(h->prev_hash, in + 4, 32);
    memcpy(h->merkle_root, in + 36, 32);
    h->time = le32_get(in + 68);
    h->bits = le32_get(in + 72);
    h->nonce = le32_get(in + 76);
    return 0;
}

void block_compute_hash(uint8_t hash[32], const block_header_t *h)
{
    uint8_t raw[BLOCK_HEADER_SIZE];
    block_header_serialize(raw, h);
    sha256d(hash, raw, sizeof raw);
}

void block_set_nonce_and_get_hash(uint8_t hash[32], block_header_t *h,
                                  uint32_t nonce)
{
    h->nonce = nonce;
    block_compute_hash(hash, h);
}

int block_bits_to_target(uint256_t *target, uint32_t bits)
{
    unsigned size = bits >> 24;
    uint32_t word = bits & 0x007fffff;
    bool negative = word != 0 && (bits & 0x00800000) != 0;
    bool overflow = word != 0 && (size > 34 || (word > 0xff && size > 33) ||
                                  (word > 0xffff && size > 32));
    if (negative || overflow)
        return ERR_RANGE;
    uint256_t t;
    if (size <= 3) {
        uint256_set_u64(&t, word >> (8 * (3 - size)));
    } else {
        uint256_set_u64(&t, word);
        uint256_shl(&t, &t, 8 * (size - 3));
    }
    if (uint256_is_zero(&t))
        return ERR_RANGE;
    *target = t;
    return 0;
}

uint32_t block_target_to_bits(const uint256_t *target)
{
    unsigned size = (uint256_bits(target) + 7) / 8;
    uint32_t compact;
    if (size <= 3) {
        compact = (uint32_t)(uint256_low64(target) << (8 * (3 - size)));
    } else {
        uint256_t t;
        uint256_shr(&t, target, 8 * (size - 3));
        compact = (uint32_t)uint256_low64(&t);
    }
    /* The mantissa's top bit is the sign: move one byte into the exponent. */
    if (compact & 0x00800000) {
        compact >>= 8;
        size++;
    }
    return compact | (uint32_t)size << 24;
}

bool block_hash_meets_target(const uint8_t hash[32], const uint256_t *target)
{
    uint256_t h;
    uint256_from_le(&h, hash);
    return uint256_cmp(&h, target) <= 0;
}

bool block_check_pow(const block_header_t *h)
{
    uint256_t target;
    if (block_bits_to_target(&target, h->bits) != 0)
        return false;
    uint8_t hash[32];
    block_compute_hash(hash, h);
    return block_hash_meets_target(hash, &target);
}

int block_work_from_bits(uint256_t *work, uint32_t bits)
{
    uint256_t target, denom, one, q;
    int rc = block_bits_to_target(&target, bits);
    if (rc)
        return rc;
    /* 2^256 / (target + 1) does not fit in 256 bits when computed directly;
     * it equals (2^256 - target - 1) / (target + 1) + 1 = ~target/(target+1)+1.
     */
    uint256_set_u64(&one, 1);
    uint256_add(&denom, &target, &one);
    uint256_t inv;
    for (int i = 0; i < 8; i++)
        inv.w[i] = ~target.w[i];
    uint256_div(&q, &inv, &denom);
    uint256_add(work, &q, &one);
    return 0;
}

void block_deinit(block_t *b)
{
    free(b->txs);
    b->txs = NULL;
    b->tx_count = 0;
}

int block_copy(block_t *dst, const block_t *src)
{
    tx_t *txs = NULL;
    if (src->tx_count) {
        txs = malloc(src->tx_count * sizeof *txs);
        if (!txs)
            return ERR_NOMEM;
        memcpy(txs, src->txs, src->tx_count * sizeof *txs);
    }
    dst->header = src->header;
    dst->txs = txs;
    dst->tx_count = src->tx_count;
    return 0;
}

int block_add_tx(block_t *b, const tx_t *tx)
{
    /* tx may be one of b's own transactions, which realloc() moves. */
    tx_t t = *tx;
    tx_t *txs = realloc(b->txs, (b->tx_count + 1) * sizeof *txs);
    if (!txs)
        return ERR_NOMEM;
    txs[b->tx_count++] = t;
    b->txs = txs;
    return 0;
}

size_t block_size(const block_t *b)
{
    size_t n = BLOCK_HEADER_SIZE + 4;
    for (size_t i = 0; i < b->tx_count; i++)
        n += tx_size(&b->txs[i]);
    return n;
}

int block_serialize(buf_t *out, const block_t *b)
{
    uint8_t raw[BLOCK_HEADER_SIZE];
    block_header_serialize(raw, &b->header);
    buf_put(out, raw, sizeof raw);
    buf_put_u32(out, (uint32_t)b->tx_count);
    for (size_t i = 0; i < b->tx_count; i++)
        if (tx_serialize(out, &b->txs[i]) != 0)
            return ERR_NOMEM;
    return out->failed ? ERR_NOMEM : 0;
}

int block_parse(block_t *b, const uint8_t *data, size_t len)
{
    reader_t r = reader_make(data, len);
    const uint8_t *raw;
    block_header_t h;
    uint32_t count;
    if (rd_view(&r, &raw, BLOCK_HEADER_SIZE) || rd_u32(&r, &count) ||
        block_header_parse(&h, raw, BLOCK_HEADER_SIZE) != 0)
        return ERR_PARSE;
    /* Every transaction takes at least TX_COINBASE_SIZE bytes, so a count the
     * remaining bytes cannot hold, or that no block within BLOCK_MAX_SIZE can
     * hold, is refused before anything is allocated. */
    if (count > BLOCK_MAX_TXS || count > r.left / TX_COINBASE_SIZE)
        return ERR_PARSE;
    tx_t *txs = NULL;
    if (count) {
        txs = malloc((size_t)count * sizeof *txs);
        if (!txs)
            return ERR_NOMEM;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (tx_parse(&txs[i], &r) != 0) {
            free(txs);
            return ERR_PARSE;
        }
    }
    if (rd_end(&r) != 0) {
        free(txs);
        return ERR_PARSE;
    }
    b->header = h;
    b->txs = txs;
    b->tx_count = count;
    return 0;
}

int block_compute_merkle_root(uint8_t root[32], const block_t *b)
{
    if (b->tx_count == 0)
        return ERR_INVALID;
    uint8_t(*leaves)[32] = malloc(b->tx_count * sizeof *leaves);
    if (!leaves)
        return ERR_NOMEM;
    for (size_t i = 0; i < b->tx_count; i++)
        tx_leaf_hash(leaves[i], &b->txs[i]);
    bool mutated = false;
    int rc =
        merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, b->tx_count);
    free(leaves);
    if (rc == 0 && mutated)
        rc = ERR_INVALID;
    return rc;
}
