/*
 * Tests for src/node/stratum_job.c: Bitcoin block 100000, cut into a
 * Stratum job the way a pool cuts it (coinbase around an 8-byte
 * extra-nonce, merkle branch), encoded as mining.notify, rebuilt from the
 * notify's strings exactly as a Stratum miner rebuilds it, hashes to its
 * published id; the server's own share check agrees; submit fields of the
 * wrong width or version bits outside the mask are refused; a pickaxe
 * template's job, solved by the miner's method, becomes a block the chain
 * accepts, paying the job's recipient; difficulties convert as pools do.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "fixtures.h"
#include "hex.h"
#include "merkle.h"
#include "sha256.h"
#include "stratum_job.h"
#include "template.h"

/* Bitcoin block 100000: its coinbase (txid 8c14f0db...6d87), the other
 * three txids, its header fields and its id. */
static const char *cb100k =
    "01000000010000000000000000000000000000000000000000000000000000000000000000"
    "ffffffff08044c86041b020602ffffffff0100f2052a010000004341041b0e8c2567c125"
    "36aa13357b79a073dc4444acb83c4ec7a0e2f99dd7457516c5817242da796924ca4e9994"
    "7d087fedf9ce467cb9f7c6287078f801df276fdf84ac00000000";
static const char *txids100k[3] = {
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
};
static const char *prev100k =
    "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250";
static const char *id100k =
    "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506";

/* The coinbase's script is exactly 8 bytes (044c86041b020602) and starts
 * at byte 42: a pool would hand out the rest as coinb1 and coinb2. */
#define CB_SPLIT 42

static void job_100k(stratum_work_t *w, uint8_t en1[4], uint8_t en2[4])
{
    uint8_t raw[135];
    cr_assert_eq(strlen(cb100k), 2 * sizeof raw);
    cr_assert_eq(hex_decode(raw, sizeof raw, cb100k), 0);
    memset(w, 0, sizeof *w);
    w->version = 1;
    w->time = 1293623863;
    w->bits = 0x1b04864c;
    cr_assert_eq(hex_to_hash(w->prev_hash, prev100k), 0);
    w->coinb1_len = CB_SPLIT;
    memcpy(w->coinb1, raw, CB_SPLIT);
    memcpy(en1, raw + CB_SPLIT, 4);
    memcpy(en2, raw + CB_SPLIT + 4, 4);
    w->coinb2_len = sizeof raw - CB_SPLIT - 8;
    memcpy(w->coinb2, raw + CB_SPLIT + 8, w->coinb2_len);
    /* Branch of leaf 0: tx 1, then hash(tx 2 || tx 3). */
    uint8_t t[3][32], cat[64];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(hex_to_hash(t[i], txids100k[i]), 0);
    memcpy(w->branch[0], t[0], 32);
    memcpy(cat, t[1], 32);
    memcpy(cat + 32, t[2], 32);
    sha256d(w->branch[1], cat, 64);
    w->branch_len = 2;
}

static const char *str_at(const json_t *a, size_t i)
{
    const char *s = json_string_value(json_array_get(a, i));
    cr_assert_not_null(s, "notify field %zu is a string", i);
    return s;
}

/* A u32 field as a miner reads it: 8 hex digits, big-endian. */
static uint32_t miner_u32(const char *hex)
{
    uint8_t b[4];
    cr_assert_eq(strlen(hex), 8);
    cr_assert_eq(hex_decode(b, 4, hex), 0);
    return be32_get(b);
}

/*
 * What a Stratum miner does with a notify and its own extranonces, written
 * from the protocol rather than from stratum_job.c: coinbase from the hex
 * halves, SHA256d, folded up the branch; prevhash's words swapped back;
 * version, nbits, ntime and the nonce read big-endian and laid down
 * little-endian. Returns the 80-byte header.
 */
static void miner_header(uint8_t hdr[80], const json_t *p, const char *en1,
                         const char *en2, uint32_t nonce, uint32_t version)
{
    char cbhex[2 * (2 * STRATUM_COINB_MAX + 8) + 1];
    snprintf(cbhex, sizeof cbhex, "%s%s%s%s", str_at(p, 2), en1, en2,
             str_at(p, 3));
    uint8_t *cb;
    size_t cblen;
    cr_assert_eq(hex_decode_alloc(&cb, &cblen, cbhex), 0);
    uint8_t root[32], cat[64];
    sha256d(root, cb, cblen);
    free(cb);
    const json_t *branch = json_array_get(p, 4);
    for (size_t i = 0; i < json_array_size(branch); i++) {
        memcpy(cat, root, 32);
        const char *h = json_string_value(json_array_get(branch, i));
        cr_assert_eq(strlen(h), 64);
        cr_assert_eq(hex_decode(cat + 32, 32, h), 0);
        sha256d(root, cat, 64);
    }
    uint8_t prev[32];
    cr_assert_eq(strlen(str_at(p, 1)), 64);
    cr_assert_eq(hex_decode(prev, 32, str_at(p, 1)), 0);
    le32_put(hdr, version ? version : miner_u32(str_at(p, 5)));
    for (int i = 0; i < 32; i += 4)
        le32_put(hdr + 4 + i, be32_get(prev + i));
    memcpy(hdr + 36, root, 32);
    le32_put(hdr + 68, miner_u32(str_at(p, 7)));
    le32_put(hdr + 72, miner_u32(str_at(p, 6)));
    le32_put(hdr + 76, nonce);
}

static void hash_hex(char out[65], const uint8_t hdr[80])
{
    uint8_t h[32];
    sha256d(h, hdr, 80);
    hex_from_hash(out, h);
}

Test(stratum_job, notify_fields_of_block_100000)
{
    stratum_work_t w;
    uint8_t en1[4], en2[4];
    job_100k(&w, en1, en2);
    json_t *p = stratum_job_notify_params(&w, "1a", true);
    cr_assert_not_null(p);
    cr_assert_eq(json_array_size(p), 9);
    cr_assert_str_eq(str_at(p, 0), "1a");
    /* The previous hash with each 4-byte word reversed, as pools send it. */
    cr_assert_str_eq(
        str_at(p, 1),
        "1901125004612a1701c3a621d930d31d36b607df1fccc2160002d01c00000000");
    cr_assert_str_eq(
        str_at(p, 2),
        "0100000001"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "ffffffff08");
    cr_assert_eq(strlen(str_at(p, 3)), 2 * w.coinb2_len);
    cr_assert_eq(strncmp(str_at(p, 3), "ffffffff0100f2052a01", 20), 0);
    cr_assert_eq(json_array_size(json_array_get(p, 4)), 2);
    cr_assert_str_eq(
        json_string_value(json_array_get(json_array_get(p, 4), 0)),
        "c40297f730dd7b5a99567eb8d27b78758f607507c52292d02d4031895b52f2ff");
    cr_assert_str_eq(str_at(p, 5), "00000001"); /* zero-padded */
    cr_assert_str_eq(str_at(p, 6), "1b04864c");
    cr_assert_str_eq(str_at(p, 7), "4d1b2237");
    cr_assert(json_is_true(json_array_get(p, 8)));
    json_decref(p);
}

Test(stratum_job, miner_rebuilds_block_100000)
{
    stratum_work_t w;
    uint8_t en1[4], en2[4];
    job_100k(&w, en1, en2);
    json_t *p = stratum_job_notify_params(&w, "1", false);
    cr_assert_not_null(p);
    cr_assert(json_is_false(json_array_get(p, 8)));
    char en1h[9], en2h[9], id[65];
    hex_encode(en1h, en1, 4);
    hex_encode(en2h, en2, 4);
    uint8_t hdr[80];
    miner_header(hdr, p, en1h, en2h, 274148111, 0);
    hash_hex(id, hdr);
    cr_assert_str_eq(id, id100k);
    /* Another extranonce2 is another merkle root, another hash. */
    miner_header(hdr, p, en1h, "00000000", 274148111, 0);
    hash_hex(id, hdr);
    cr_assert_str_neq(id, id100k);
    json_decref(p);
}

Test(stratum_job, server_checks_the_submit_of_block_100000)
{
    stratum_work_t w;
    uint8_t en1[4], en2[4];
    job_100k(&w, en1, en2);
    char en2h[9];
    hex_encode(en2h, en2, 4);
    stratum_share_t s;
    memcpy(s.extranonce1, en1, 4);
    /* nonce 274148111 = 0x10572b0f; ntime 1293623863 = 0x4d1b2237. */
    cr_assert_eq(
        stratum_job_parse_share(&s, &w, en2h, "4d1b2237", "10572b0f", NULL, 0),
        0);
    cr_assert_eq(s.nonce, 274148111u);
    cr_assert_eq(s.time, 1293623863u);
    cr_assert_eq(s.version, 1u);
    uint8_t hash[32];
    char id[65];
    stratum_job_hash(hash, &w, &s);
    hex_from_hash(id, hash);
    cr_assert_str_eq(id, id100k);
    block_header_t h;
    stratum_job_header(&h, &w, &s);
    cr_assert(block_check_pow(&h));
    /* Its difficulty as published (14484.16...), met by its hash. */
    double d = stratum_job_bits_diff(w.bits);
    cr_assert(fabs(d - 14484.162361225399) < 1e-6, "difficulty %f", d);
    cr_assert_geq(stratum_job_hash_diff(hash), d);
    /* Upper-case hex is the same share. */
    cr_assert_eq(
        stratum_job_parse_share(&s, &w, en2h, "4D1B2237", "10572B0F", NULL, 0),
        0);
    stratum_job_hash(hash, &w, &s);
    hex_from_hash(id, hash);
    cr_assert_str_eq(id, id100k);
}

Test(stratum_job, submit_fields_must_be_eight_hex_digits)
{
    stratum_work_t w;
    uint8_t en1[4], en2[4];
    job_100k(&w, en1, en2);
    stratum_share_t s;
    const char *bad[] = {"",         "0",        "1234567", "123456789",
                         "0000000g", "-0000001", "0x000001"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(stratum_job_parse_share(&s, &w, bad[i], "4d1b2237",
                                             "00000000", NULL, 0),
                     ERR_PARSE, "extranonce2 '%s'", bad[i]);
        cr_assert_eq(stratum_job_parse_share(&s, &w, "00000000", bad[i],
                                             "00000000", NULL, 0),
                     ERR_PARSE, "ntime '%s'", bad[i]);
        cr_assert_eq(stratum_job_parse_share(&s, &w, "00000000", "4d1b2237",
                                             bad[i], NULL, 0),
                     ERR_PARSE, "nonce '%s'", bad[i]);
        cr_assert_eq(stratum_job_parse_share(&s, &w, "00000000", "4d1b2237",
                                             "00000000", bad[i],
                                             STRATUM_VERSION_MASK),
                     ERR_PARSE, "version bits '%s'", bad[i]);
    }
    cr_assert_eq(
        stratum_job_parse_share(&s, &w, NULL, "4d1b2237", "00000000", NULL, 0),
        ERR_PARSE);
}

Test(stratum_job, version_bits_only_under_the_agreed_mask)
{
    stratum_work_t w;
    uint8_t en1[4], en2[4];
    job_100k(&w, en1, en2);
    w.version = 0x20000000;
    stratum_share_t s;
    const char *n = "00000000", *t = "4d1b2237", *e = "00000000";
    /* Without mining.configure there is no mask: refused. */
    cr_assert_eq(stratum_job_parse_share(&s, &w, e, t, n, "00002000", 0),
                 ERR_RANGE);
    /* The rolled bits alone, or the whole rolled version. */
    cr_assert_eq(stratum_job_parse_share(&s, &w, e, t, n, "1fffe000",
                                         STRATUM_VERSION_MASK),
                 0);
    cr_assert_eq(s.version, 0x3fffe000u);
    cr_assert_eq(stratum_job_parse_share(&s, &w, e, t, n, "20004000",
                                         STRATUM_VERSION_MASK),
                 0);
    cr_assert_eq(s.version, 0x20004000u);
    /* A bit outside the mask: bit 12, bit 29 cleared, bit 31. */
    cr_assert_eq(stratum_job_parse_share(&s, &w, e, t, n, "00001000",
                                         STRATUM_VERSION_MASK),
                 ERR_RANGE);
    cr_assert_eq(stratum_job_parse_share(&s, &w, e, t, n, "80000000",
                                         STRATUM_VERSION_MASK),
                 ERR_RANGE);
    cr_assert_eq(stratum_job_parse_share(&s, &w, e, t, n, "20001000",
                                         STRATUM_VERSION_MASK),
                 ERR_RANGE);
    /* A narrower agreed mask narrows what is allowed. */
    cr_assert_eq(
        stratum_job_parse_share(&s, &w, e, t, n, "00004000", 0x00006000), 0);
    cr_assert_eq(
        stratum_job_parse_share(&s, &w, e, t, n, "00008000", 0x00006000),
        ERR_RANGE);
}

Test(stratum_job, pickaxe_template_mined_as_a_stratum_miner_does)
{
    chain_t *c = fx_chain(NULL);
    fx_key_t a, b, payee;
    fx_key(&a, 1);
    fx_key(&b, 2);
    fx_key(&payee, 3);
    for (int i = 0; i < 2; i++)
        fx_extend(c, chain_tip(c), a.pub, NULL, 0, 0);
    tx_t txs[3];
    for (size_t i = 0; i < 3; i++)
        fx_transfer(&txs[i], params_regtest(), &a, b.pub, COIN, 1000, i);
    block_t tpl;
    const chain_node_t *tip = chain_tip(c);
    cr_assert_eq(template_build(&tpl, c, tip, b.pub, txs, 3,
                                tip->block.header.time + 1, 0),
                 0);
    stratum_work_t w;
    cr_assert_eq(stratum_job_from_template(&w, &tpl, payee.pub), 0);
    cr_assert_eq(w.coinb1_len + 8 + w.coinb2_len, TX_COINBASE_SIZE);
    cr_assert_eq(w.branch_len, 2);
    cr_assert_arr_eq(w.coinb2, payee.pub, 32, "coinb2 starts with the payee");
    json_t *p = stratum_job_notify_params(&w, "7", true);
    cr_assert_not_null(p);

    /* Mine it as a miner would, at regtest difficulty, rolling a version
     * bit too. */
    uint256_t target;
    cr_assert_eq(block_bits_to_target(&target, tpl.header.bits), 0);
    uint8_t hdr[80], hash[32];
    uint32_t version = tpl.header.version | 0x00010000;
    uint32_t nonce = 0;
    for (;; nonce++) {
        miner_header(hdr, p, "0a0b0c0d", "01020304", nonce, version);
        sha256d(hash, hdr, 80);
        if (block_hash_meets_target(hash, &target))
            break;
        cr_assert_lt(nonce, 10000);
    }
    json_decref(p);

    stratum_share_t s;
    memcpy(s.extranonce1, "\x0a\x0b\x0c\x0d", 4);
    char nh[9], th[9];
    snprintf(nh, sizeof nh, "%08x", nonce);
    snprintf(th, sizeof th, "%08x", tpl.header.time);
    cr_assert_eq(stratum_job_parse_share(&s, &w, "01020304", th, nh, "00010000",
                                         STRATUM_VERSION_MASK),
                 0);
    uint8_t mine[32];
    stratum_job_hash(mine, &w, &s);
    cr_assert_arr_eq(mine, hash, 32, "the server hashes what the miner did");

    block_t blk;
    uint8_t wrong[32];
    memcpy(wrong, hash, 32);
    wrong[0] ^= 1;
    cr_assert_eq(stratum_job_block(&blk, &tpl, payee.pub, &s, wrong),
                 ERR_INVALID);
    cr_assert_eq(stratum_job_block(&blk, &tpl, payee.pub, &s, hash), 0);
    cr_assert_arr_eq(blk.txs[0].recipient, payee.pub, 32);
    cr_assert_eq(blk.txs[0].extra_nonce, 0x040302010d0c0b0aULL);
    cr_assert_eq(blk.header.version, version);
    const char *why = NULL;
    cr_assert_eq(chain_add_block(c, &why, &blk), 0, "refused: %s",
                 why ? why : "?");
    cr_assert_arr_eq(chain_tip(c)->hash, hash, 32);
    block_deinit(&blk);
    block_deinit(&tpl);
    chain_free(&c);
}

Test(stratum_job, difficulty_and_targets)
{
    uint256_t t, d1;
    /* Difficulty 1 is bits 0x1d00ffff's target exactly. */
    cr_assert_eq(block_bits_to_target(&d1, 0x1d00ffff), 0);
    stratum_job_diff_target(&t, 1.0);
    cr_assert_eq(uint256_cmp(&t, &d1), 0);
    uint256_t half;
    uint256_shr(&half, &d1, 1);
    stratum_job_diff_target(&t, 2.0);
    cr_assert_eq(uint256_cmp(&t, &half), 0);
    /* Below 1: easier, and 2^-16 is 0xffff * 2^224. */
    uint256_t easy;
    uint256_shl(&easy, &d1, 16);
    stratum_job_diff_target(&t, 1.0 / 65536);
    cr_assert_eq(uint256_cmp(&t, &easy), 0);
    /* Tiny or zero difficulty: every hash. */
    stratum_job_diff_target(&t, 1e-30);
    cr_assert_eq(uint256_bits(&t), 256);
    stratum_job_diff_target(&t, 0);
    cr_assert_eq(uint256_bits(&t), 256);
    cr_assert(fabs(stratum_job_bits_diff(0x1d00ffff) - 1.0) < 1e-12);
    cr_assert_eq(stratum_job_bits_diff(0), 0);
}
