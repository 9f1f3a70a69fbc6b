/*
 * stratum_job — jobs, notify fields and shares (see stratum_job.h).
 */
#include "stratum_job.h"
#include "bytes.h"
#include "hex.h"
#include "job.h"
#include "merkle.h"
#include "sha256.h"

#include <math.h>
#include <string.h>

int stratum_job_from_template(stratum_work_t *work, const block_t *tpl,
                              const uint8_t recipient[32])
{
    if (tpl->tx_count == 0 || tpl->txs[0].kind != TX_COINBASE)
        return ERR_ARG;
    /* The branch is the built-in miner's: job.h computes it. */
    pool_job_t pj;
    job_parts_t parts;
    int rc = job_from_template(&pj, &parts, tpl, 0);
    if (rc)
        return rc;
    if (parts.branch_len > STRATUM_BRANCH_MAX) {
        job_parts_deinit(&parts);
        return ERR_ARG;
    }
    tx_t cb = tpl->txs[0];
    memcpy(cb.recipient, recipient, 32);
    buf_t b;
    buf_init(&b);
    if (tx_serialize(&b, &cb) != 0 || b.len != TX_COINBASE_SIZE) {
        buf_deinit(&b);
        job_parts_deinit(&parts);
        return ERR_NOMEM;
    }
    stratum_work_t w;
    memset(&w, 0, sizeof w);
    w.version = tpl->header.version;
    w.time = tpl->header.time;
    w.bits = tpl->header.bits;
    memcpy(w.prev_hash, tpl->header.prev_hash, 32);
    w.coinb1_len = TX_COINBASE_EXTRANONCE_OFFSET;
    memcpy(w.coinb1, b.data, w.coinb1_len);
    w.coinb2_len = TX_COINBASE_SIZE - TX_COINBASE_EXTRANONCE_OFFSET - 8;
    memcpy(w.coinb2, b.data + TX_COINBASE_EXTRANONCE_OFFSET + 8, w.coinb2_len);
    w.branch_len = parts.branch_len;
    memcpy(w.branch, parts.branch, parts.branch_len * 32);
    buf_deinit(&b);
    job_parts_deinit(&parts);
    *work = w;
    return 0;
}

void stratum_job_set_payee(stratum_work_t *work, const uint8_t recipient[32])
{
    memcpy(work->coinb2, recipient, 32);
}

/* A u32 as miners read it: big-endian hex, 8 digits. */
static json_t *u32_hex(uint32_t v)
{
    char s[9];
    static const char digits[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--, v >>= 4)
        s[i] = digits[v & 15];
    s[8] = 0;
    return json_string(s);
}

static json_t *bytes_hex(const uint8_t *data, size_t len)
{
    char s[2 * STRATUM_COINB_MAX + 1];
    hex_encode(s, data, len);
    return json_string(s);
}

json_t *stratum_job_notify_params(const stratum_work_t *work,
                                  const char *job_id, bool clean)
{
    /* Each 4-byte word of the previous hash reversed: miners load it as
     * eight little-endian words and hash them big-endian. */
    uint8_t prev[32];
    for (int i = 0; i < 32; i += 4)
        for (int k = 0; k < 4; k++)
            prev[i + k] = work->prev_hash[i + 3 - k];
    json_t *branch = json_array();
    for (size_t i = 0; branch && i < work->branch_len; i++)
        json_array_append_new(branch, bytes_hex(work->branch[i], 32));
    json_t *p = json_array();
    if (!p || !branch) {
        json_decref(p);
        json_decref(branch);
        return NULL;
    }
    json_array_append_new(p, json_string(job_id));
    json_array_append_new(p, bytes_hex(prev, 32));
    json_array_append_new(p, bytes_hex(work->coinb1, work->coinb1_len));
    json_array_append_new(p, bytes_hex(work->coinb2, work->coinb2_len));
    json_array_append_new(p, branch);
    json_array_append_new(p, u32_hex(work->version));
    json_array_append_new(p, u32_hex(work->bits));
    json_array_append_new(p, u32_hex(work->time));
    json_array_append_new(p, json_boolean(clean));
    if (json_array_size(p) != 9) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* Exactly 8 hex digits, read as a big-endian u32 (or as 4 bytes). */
static int hex8(uint8_t out[4], const char *s)
{
    if (!s || strlen(s) != 8)
        return ERR_PARSE;
    return hex_decode(out, 4, s) == 0 ? 0 : ERR_PARSE;
}

int stratum_job_parse_share(stratum_share_t *share, const stratum_work_t *work,
                            const char *extranonce2, const char *ntime,
                            const char *nonce, const char *vbits, uint32_t mask)
{
    uint8_t en2[4], t[4], n[4], v[4];
    if (hex8(en2, extranonce2) || hex8(t, ntime) || hex8(n, nonce))
        return ERR_PARSE;
    uint32_t version = work->version;
    if (vbits) {
        if (hex8(v, vbits))
            return ERR_PARSE;
        uint32_t bits = be32_get(v);
        /* Some miners send the rolled bits alone, others the whole rolled
         * version: either way, only bits under the mask may differ. */
        bool alone = (bits & ~mask) == 0;
        bool whole = (bits & ~mask) == (work->version & ~mask);
        if (!mask || !(alone || whole))
            return ERR_RANGE;
        version = (work->version & ~mask) | (bits & mask);
    }
    memcpy(share->extranonce2, en2, sizeof en2);
    share->time = be32_get(t);
    share->nonce = be32_get(n);
    share->version = version;
    return 0;
}

void stratum_job_header(block_header_t *header, const stratum_work_t *work,
                        const stratum_share_t *share)
{
    uint8_t cb[2 * STRATUM_COINB_MAX + 8];
    size_t len = 0;
    memcpy(cb, work->coinb1, work->coinb1_len);
    len += work->coinb1_len;
    memcpy(cb + len, share->extranonce1, STRATUM_EXTRANONCE1_SIZE);
    len += STRATUM_EXTRANONCE1_SIZE;
    memcpy(cb + len, share->extranonce2, STRATUM_EXTRANONCE2_SIZE);
    len += STRATUM_EXTRANONCE2_SIZE;
    memcpy(cb + len, work->coinb2, work->coinb2_len);
    len += work->coinb2_len;
    uint8_t leaf[32];
    sha256d(leaf, cb, len);
    header->version = share->version;
    memcpy(header->prev_hash, work->prev_hash, 32);
    merkle_root_from_branch(header->merkle_root, leaf,
                            (const uint8_t(*)[32])work->branch,
                            work->branch_len);
    header->time = share->time;
    header->bits = work->bits;
    header->nonce = share->nonce;
}

void stratum_job_hash(uint8_t hash[32], const stratum_work_t *work,
                      const stratum_share_t *share)
{
    block_header_t h;
    stratum_job_header(&h, work, share);
    block_compute_hash(hash, &h);
}

int stratum_job_block(block_t *block, const block_t *tpl,
                      const uint8_t recipient[32], const stratum_share_t *share,
                      const uint8_t expect[32])
{
    block_t b;
    if (tpl->tx_count == 0 || tpl->txs[0].kind != TX_COINBASE)
        return ERR_INVALID;
    if (block_copy(&b, tpl) != 0)
        return ERR_NOMEM;
    uint8_t en[8];
    memcpy(en, share->extranonce1, STRATUM_EXTRANONCE1_SIZE);
    memcpy(en + STRATUM_EXTRANONCE1_SIZE, share->extranonce2,
           STRATUM_EXTRANONCE2_SIZE);
    b.txs[0].extra_nonce = le64_get(en);
    memcpy(b.txs[0].recipient, recipient, 32);
    int rc = block_compute_merkle_root(b.header.merkle_root, &b);
    if (rc) {
        block_deinit(&b);
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID;
    }
    b.header.version = share->version;
    b.header.time = share->time;
    b.header.nonce = share->nonce;
    uint8_t hash[32];
    block_compute_hash(hash, &b.header);
    if (memcmp(hash, expect, 32) != 0) {
        block_deinit(&b);
        return ERR_INVALID;
    }
    *block = b;
    return 0;
}

/* Difficulty 1: 0xffff * 2^208, as a double. */
#define DIFF1 (65535.0 * 0x1p208)

void stratum_job_diff_target(uint256_t *target, double difficulty)
{
    double t = difficulty > 0 ? DIFF1 / difficulty : INFINITY;
    if (!(t < 0x1p256)) {
        memset(target, 0, sizeof *target);
        uint256_t one;
        uint256_set_u64(&one, 1);
        uint256_sub(target, target, &one); /* wraps to 2^256 - 1 */
        return;
    }
    if (t < 1)
        t = 1;
    int e;
    double f = frexp(t, &e); /* t = f * 2^e, f in [0.5, 1) */
    uint64_t mant = (uint64_t)ldexp(f, 53);
    uint256_set_u64(target, mant);
    if (e >= 53)
        uint256_shl(target, target, (unsigned)(e - 53));
    else
        uint256_shr(target, target, (unsigned)(53 - e));
}

double stratum_job_hash_diff(const uint8_t hash[32])
{
    uint256_t h;
    uint256_from_le(&h, hash);
    double d = uint256_to_double(&h);
    return d > 0 ? DIFF1 / d : INFINITY;
}

double stratum_job_bits_diff(uint32_t bits)
{
    uint256_t t;
    if (block_bits_to_target(&t, bits) != 0)
        return 0;
    double d = uint256_to_double(&t);
    return d > 0 ? DIFF1 / d : 0;
}
