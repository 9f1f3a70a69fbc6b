/*
 * Tests for src/core/block.c: the 80-byte header codec and hash against real
 * Bitcoin headers (genesis, block 1, block 100000, block 125552 and the
 * modern block 794143), compact bits <-> target with Bitcoin Core's
 * arith_uint256 SetCompact/GetCompact vectors, proof of work at the target
 * boundary, work from bits, and the block body codec: round trip, every
 * truncation, trailing bytes, lying tx counts, random input, deep copy.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "block.h"
#include "err.h"
#include "hex.h"

/* ---- helpers ------------------------------------------------------------ */

/* A header from the fields block explorers publish (hashes in display
 * order, i.e. byte-reversed). */
static block_header_t header_from_fields(uint32_t version, const char *prev,
                                         const char *merkle, uint32_t time,
                                         uint32_t bits, uint32_t nonce)
{
    block_header_t h;
    h.version = version;
    cr_assert_eq(hex_to_hash(h.prev_hash, prev), 0);
    cr_assert_eq(hex_to_hash(h.merkle_root, merkle), 0);
    h.time = time;
    h.bits = bits;
    h.nonce = nonce;
    return h;
}

static void expect_hash(const block_header_t *h, const char *want)
{
    uint8_t hash[32];
    char got[HEX_HASH_LEN + 1];
    block_compute_hash(hash, h);
    hex_from_hash(got, hash);
    cr_assert_str_eq(got, want);
}

/* A target from 64 hex digits, most significant first. */
static uint256_t target_from_hex(const char *hex)
{
    uint8_t be[32], le[32];
    cr_assert_eq(hex_decode(be, 32, hex), 0);
    for (int i = 0; i < 32; i++)
        le[i] = be[31 - i];
    uint256_t t;
    uint256_from_le(&t, le);
    return t;
}

static void expect_target(uint32_t bits, const char *hex)
{
    uint256_t got, want = target_from_hex(hex);
    cr_assert_eq(block_bits_to_target(&got, bits), 0, "bits %08x", bits);
    char g[65];
    uint256_to_hex(g, &got);
    cr_assert_eq(uint256_cmp(&got, &want), 0, "bits %08x: got %s want %s", bits,
                 g, hex);
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A block with a coinbase and `transfers` transfers with distinct fields. */
static void sample_block(block_t *b, size_t transfers)
{
    memset(b, 0, sizeof *b);
    b->header.version = 1;
    memset(b->header.prev_hash, 0xab, 32);
    b->header.time = 1764000123;
    b->header.bits = 0x207fffff;
    b->header.nonce = 0xdeadbeef;
    uint8_t miner[32], a[32], c[32];
    memset(miner, 0x11, 32);
    memset(a, 0x22, 32);
    memset(c, 0x33, 32);
    tx_t cb;
    tx_init_coinbase(&cb, 7, 0x0102030405060708ULL, miner, 50 * COIN + 9);
    cr_assert_eq(block_add_tx(b, &cb), 0);
    for (size_t i = 0; i < transfers; i++) {
        tx_t t;
        tx_init_transfer(&t, a, c, 1000 + i, 3 + i, i);
        for (int k = 0; k < 64; k++)
            t.sig[k] = (uint8_t)(k + i + 1); /* not a valid signature; the
                                                codec does not care */
        cr_assert_eq(block_add_tx(b, &t), 0);
    }
    cr_assert_eq(block_compute_merkle_root(b->header.merkle_root, b), 0);
}

static uint8_t *serialize(const block_t *b, size_t *len)
{
    buf_t out = {0};
    cr_assert_eq(block_serialize(&out, b), 0);
    cr_assert_eq(out.len, block_size(b));
    return buf_take(&out, len);
}

/* ---- header -------------------------------------------------------------- */

Test(block, header_round_trip)
{
    block_header_t h = header_from_fields(
        0x20000004,
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
        0x01020304, 0x1a2b3c4d, 0xa1b2c3d4);
    uint8_t raw[BLOCK_HEADER_SIZE];
    block_header_serialize(raw, &h);
    /* Little-endian integers at their Bitcoin offsets. */
    cr_assert_eq(raw[0], 0x04);
    cr_assert_eq(raw[3], 0x20);
    cr_assert_eq(raw[4], 0xff, "prev hash is stored in internal order");
    cr_assert_eq(raw[68], 0x04);
    cr_assert_eq(raw[72], 0x4d);
    cr_assert_eq(raw[79], 0xa1);
    block_header_t back;
    memset(&back, 0x5a, sizeof back);
    cr_assert_eq(block_header_parse(&back, raw, sizeof raw), 0);
    cr_assert_eq(back.version, h.version);
    cr_assert_arr_eq(back.prev_hash, h.prev_hash, 32);
    cr_assert_arr_eq(back.merkle_root, h.merkle_root, 32);
    cr_assert_eq(back.time, h.time);
    cr_assert_eq(back.bits, h.bits);
    cr_assert_eq(back.nonce, h.nonce);
    cr_assert_eq(block_header_parse(&back, raw, 79), ERR_PARSE);
    cr_assert_eq(block_header_parse(&back, raw, 81), ERR_PARSE);
}

Test(block, bitcoin_genesis_hash_and_pow)
{
    block_header_t h = header_from_fields(
        1, "0000000000000000000000000000000000000000000000000000000000000000",
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
        1231006505, 0x1d00ffff, 2083236893);
    /* The header bytes everyone quotes. */
    uint8_t raw[BLOCK_HEADER_SIZE];
    char hex[2 * BLOCK_HEADER_SIZE + 1];
    block_header_serialize(raw, &h);
    hex_encode(hex, raw, sizeof raw);
    cr_assert_str_eq(
        hex, "01000000"
             "0000000000000000000000000000000000000000000000000000000000000000"
             "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
             "29ab5f49ffff001d1dac2b7c");
    expect_hash(
        &h, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    cr_assert(block_check_pow(&h));
    h.nonce++;
    cr_assert_not(block_check_pow(&h), "another nonce misses the target");
}

Test(block, bitcoin_block_1)
{
    block_header_t h = header_from_fields(
        1, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
        "0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098",
        1231469665, 0x1d00ffff, 2573394689u);
    expect_hash(
        &h, "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048");
    cr_assert(block_check_pow(&h));
}

Test(block, bitcoin_block_100000)
{
    block_header_t h = header_from_fields(
        1, "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
        "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
        1293623863, 0x1b04864c, 274148111);
    expect_hash(
        &h, "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506");
    cr_assert(block_check_pow(&h));
}

Test(block, bitcoin_block_125552)
{
    /* The example of the Bitcoin wiki's "Block hashing algorithm" page. */
    block_header_t h = header_from_fields(
        1, "00000000000008a3a41b85b8b29ad444def299fee21793cd8b9e567eab02cd81",
        "2b12fcf1b09288fcaff797d71e950e71ae42b91e8bdb2304758dfcffc2b620e3",
        1305998791, 0x1a44b9f2, 2504433986u);
    expect_hash(
        &h, "00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d");
    cr_assert(block_check_pow(&h));
}

Test(block, bitcoin_block_794143_modern)
{
    /* A 2023 header (BIP-9 version bits, difficulty ~5e13), raw bytes. */
    const char *raw_hex =
        "000080200e102b98a160f4416c8ff0198db9b177523525c9de8a00000000000000"
        "0000003b9b941003024e1afa90199732fdb1366a122ab0a5cacd3f7bcb8cb8815a81"
        "1b560e8864697e051767c0c9fd";
    uint8_t raw[BLOCK_HEADER_SIZE];
    cr_assert_eq(hex_decode(raw, sizeof raw, raw_hex), 0);
    block_header_t h;
    cr_assert_eq(block_header_parse(&h, raw, sizeof raw), 0);
    cr_assert_eq(h.version, 0x20800000);
    cr_assert_eq(h.time, 1686638166);
    cr_assert_eq(h.bits, 0x17057e69);
    cr_assert_eq(h.nonce, 4257857639u);
    char prev[HEX_HASH_LEN + 1];
    hex_from_hash(prev, h.prev_hash);
    cr_assert_str_eq(
        prev,
        "000000000000000000008adec925355277b1b98d19f08f6c41f460a1982b100e");
    expect_hash(
        &h, "0000000000000000000293bf6e86820d867cc4ca13cd98326af85bb3bebab9ac");
    cr_assert(block_check_pow(&h));
    /* At that difficulty a neighbouring nonce fails (odds ~2^-75). */
    h.nonce ^= 1;
    cr_assert_not(block_check_pow(&h));
}

Test(block, set_nonce_and_get_hash)
{
    block_header_t h = header_from_fields(
        1, "0000000000000000000000000000000000000000000000000000000000000000",
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
        1231006505, 0x1d00ffff, 0);
    uint8_t hash[32], again[32];
    block_set_nonce_and_get_hash(hash, &h, 2083236893);
    cr_assert_eq(h.nonce, 2083236893u, "the nonce is stored in the header");
    char got[HEX_HASH_LEN + 1];
    hex_from_hash(got, hash);
    cr_assert_str_eq(
        got,
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    block_compute_hash(again, &h);
    cr_assert_arr_eq(hash, again, 32);
    block_set_nonce_and_get_hash(hash, &h, 1);
    cr_assert_eq(h.nonce, 1u);
    cr_assert(memcmp(hash, again, 32) != 0);
}

/* ---- compact bits -------------------------------------------------------- */

Test(block, bits_to_target_known_values)
{
    expect_target(
        0x1d00ffff,
        "00000000ffff0000000000000000000000000000000000000000000000000000");
    expect_target(
        0x1b0404cb,
        "00000000000404cb000000000000000000000000000000000000000000000000");
    expect_target(
        0x207fffff,
        "7fffff0000000000000000000000000000000000000000000000000000000000");
    /* Bitcoin Core's arith_uint256 SetCompact vectors. */
    expect_target(
        0x01123456,
        "0000000000000000000000000000000000000000000000000000000000000012");
    expect_target(
        0x02008000,
        "0000000000000000000000000000000000000000000000000000000000000080");
    expect_target(
        0x05009234,
        "0000000000000000000000000000000000000000000000000000000092340000");
    expect_target(
        0x04123456,
        "0000000000000000000000000000000000000000000000000000000012345600");
    expect_target(
        0x20123456,
        "1234560000000000000000000000000000000000000000000000000000000000");
    expect_target(
        0x03123456,
        "0000000000000000000000000000000000000000000000000000000000123456");
    /* The widest valid exponents: 33 and 34 bytes with a short mantissa. */
    expect_target(
        0x2100ffff,
        "ffff000000000000000000000000000000000000000000000000000000000000");
    expect_target(
        0x220000ff,
        "ff00000000000000000000000000000000000000000000000000000000000000");
}

Test(block, bits_refused_when_zero_negative_or_overflowing)
{
    static const uint32_t bad[] = {
        0x00000000, /* zero */
        0x00123456, /* size 0: mantissa shifted out, zero */
        0x01003456, /* size 1: zero */
        0x02000056, /* size 2: zero */
        0x1d000000, /* zero mantissa */
        0x04923456, /* sign bit */
        0x01fedcba, /* sign bit */
        0x1d80ffff, /* sign bit */
        0xff123456, /* overflow */
        0x23000001, /* 35 bytes */
        0x22000100, /* 34 bytes, mantissa over 0xff */
        0x21010000, /* 33 bytes, mantissa over 0xffff */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint256_t t;
        uint256_set_u64(&t, 0x77);
        cr_assert_eq(block_bits_to_target(&t, bad[i]), ERR_RANGE, "bits %08x",
                     bad[i]);
        cr_assert_eq(uint256_low64(&t), 0x77, "output untouched on failure");
        uint256_t w;
        cr_assert_eq(block_work_from_bits(&w, bad[i]), ERR_RANGE);
        block_header_t h = {.bits = bad[i]};
        cr_assert_not(block_check_pow(&h));
    }
}

Test(block, target_to_bits_known_values)
{
    struct {
        uint32_t bits;  /* decodes to the target */
        uint32_t canon; /* what GetCompact() gives back */
    } v[] = {
        {0x1d00ffff, 0x1d00ffff}, {0x1b0404cb, 0x1b0404cb},
        {0x207fffff, 0x207fffff}, {0x01123456, 0x01120000},
        {0x02008000, 0x02008000}, {0x05009234, 0x05009234},
        {0x04123456, 0x04123456}, {0x20123456, 0x20123456},
        {0x03123456, 0x03123456}, {0x1b04864c, 0x1b04864c},
        {0x17057e69, 0x17057e69}, {0x2100ffff, 0x2100ffff},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint256_t t, back;
        cr_assert_eq(block_bits_to_target(&t, v[i].bits), 0);
        uint32_t got = block_target_to_bits(&t);
        cr_assert_eq(got, v[i].canon, "bits %08x -> %08x, want %08x", v[i].bits,
                     got, v[i].canon);
        cr_assert_eq(block_bits_to_target(&back, got), 0);
        cr_assert_eq(uint256_cmp(&back, &t), 0, "canonical bits round-trip");
    }
    /* A mantissa whose top bit is set moves a byte into the exponent. */
    uint256_t t;
    uint256_set_u64(&t, 0x80);
    cr_assert_eq(block_target_to_bits(&t), 0x02008000);
    uint256_set_u64(&t, 0x923400);
    cr_assert_eq(block_target_to_bits(&t), 0x04009234);
    /* Rounds down: the low bytes are dropped. */
    uint256_set_u64(&t, 0x12345678);
    cr_assert_eq(block_target_to_bits(&t), 0x04123456);
    uint256_set_u64(&t, 0);
    cr_assert_eq(block_target_to_bits(&t), 0);
}

Test(block, hash_meets_target_at_boundary)
{
    uint256_t target;
    cr_assert_eq(block_bits_to_target(&target, 0x1d00ffff), 0);
    uint8_t hash[32];
    uint256_to_le(hash, &target);
    cr_assert(block_hash_meets_target(hash, &target), "equal meets");
    uint256_t one, above, below;
    uint256_set_u64(&one, 1);
    uint256_add(&above, &target, &one);
    uint256_to_le(hash, &above);
    cr_assert_not(block_hash_meets_target(hash, &target), "one above misses");
    uint256_sub(&below, &target, &one);
    uint256_to_le(hash, &below);
    cr_assert(block_hash_meets_target(hash, &target));
    /* The hash is little-endian: a high last byte is a huge number. */
    memset(hash, 0, 32);
    hash[31] = 1;
    cr_assert_not(block_hash_meets_target(hash, &target));
    /* 2^224 - 1 is above 0xffff * 2^208 although it is shorter in bytes
     * than the hash's top four zero bytes suggest. */
    memset(hash, 0xff, 28);
    memset(hash + 28, 0, 4);
    cr_assert_not(block_hash_meets_target(hash, &target));
}

Test(block, work_from_bits)
{
    uint256_t w;
    cr_assert_eq(block_work_from_bits(&w, 0x1d00ffff), 0);
    cr_assert_eq(uint256_low64(&w), 4295032833ULL, "Bitcoin genesis work");
    cr_assert_eq(uint256_bits(&w), 33);
    cr_assert_eq(block_work_from_bits(&w, 0x207fffff), 0);
    cr_assert_eq(uint256_low64(&w), 2);
    /* Target 0xff: 2^256 / 256 = 2^248. */
    cr_assert_eq(block_work_from_bits(&w, 0x0200ff00), 0);
    uint256_t want;
    uint256_set_u64(&want, 1);
    uint256_shl(&want, &want, 248);
    cr_assert_eq(uint256_cmp(&w, &want), 0);
    /* Target 1: 2^255. */
    cr_assert_eq(block_work_from_bits(&w, 0x01010000), 0);
    uint256_set_u64(&want, 1);
    uint256_shl(&want, &want, 255);
    cr_assert_eq(uint256_cmp(&w, &want), 0);
    /* Harder bits mean more work. */
    uint256_t easy, hard;
    cr_assert_eq(block_work_from_bits(&easy, 0x1d00ffff), 0);
    cr_assert_eq(block_work_from_bits(&hard, 0x1b04864c), 0);
    cr_assert_gt(uint256_cmp(&hard, &easy), 0);
    /* Block 100000: difficulty 14484.16, work = difficulty * 2^32 roughly. */
    double d = uint256_to_double(&hard) / uint256_to_double(&easy);
    cr_assert(d > 14484.1 && d < 14484.2, "difficulty %f", d);
}

/* ---- body ---------------------------------------------------------------- */

Test(block, body_round_trip_with_transfers)
{
    block_t b;
    sample_block(&b, 3);
    size_t len;
    uint8_t *data = serialize(&b, &len);
    cr_assert_eq(len, BLOCK_HEADER_SIZE + 4 + TX_COINBASE_SIZE +
                          3 * TX_TRANSFER_SIZE);
    cr_assert_eq(le32_get(data + BLOCK_HEADER_SIZE), 4, "tx count");
    block_t back;
    cr_assert_eq(block_parse(&back, data, len), 0);
    cr_assert_eq(back.tx_count, 4);
    cr_assert_eq(back.header.nonce, b.header.nonce);
    cr_assert_arr_eq(back.header.merkle_root, b.header.merkle_root, 32);
    cr_assert_eq(back.txs[0].kind, TX_COINBASE);
    cr_assert_eq(back.txs[0].height, 7);
    cr_assert_eq(back.txs[0].extra_nonce, 0x0102030405060708ULL);
    cr_assert_eq(back.txs[0].amount, 50 * COIN + 9);
    for (size_t i = 1; i < 4; i++) {
        cr_assert_eq(back.txs[i].kind, TX_TRANSFER);
        cr_assert_eq(back.txs[i].amount, 1000 + i - 1);
        cr_assert_eq(back.txs[i].fee, 3 + i - 1);
        cr_assert_eq(back.txs[i].nonce, i - 1);
        cr_assert_arr_eq(back.txs[i].sig, b.txs[i].sig, 64);
        cr_assert_arr_eq(back.txs[i].sender, b.txs[i].sender, 32);
        cr_assert_arr_eq(back.txs[i].recipient, b.txs[i].recipient, 32);
    }
    uint8_t root[32];
    cr_assert_eq(block_compute_merkle_root(root, &back), 0);
    cr_assert_arr_eq(root, b.header.merkle_root, 32);
    size_t len2;
    uint8_t *data2 = serialize(&back, &len2);
    cr_assert_eq(len2, len);
    cr_assert_arr_eq(data2, data, len);
    free(data2);
    free(data);
    block_deinit(&back);
    block_deinit(&b);
    cr_assert_null(b.txs);
    cr_assert_eq(b.tx_count, 0);
}

Test(block, empty_body_round_trip)
{
    block_t b = {0};
    b.header.nonce = 5;
    size_t len;
    uint8_t *data = serialize(&b, &len);
    cr_assert_eq(len, BLOCK_HEADER_SIZE + 4);
    block_t back;
    cr_assert_eq(block_parse(&back, data, len), 0);
    cr_assert_eq(back.tx_count, 0);
    cr_assert_eq(back.header.nonce, 5);
    uint8_t root[32];
    cr_assert_eq(block_compute_merkle_root(root, &back), ERR_INVALID,
                 "no transactions, no merkle root");
    block_deinit(&back);
    free(data);
}

Test(block, every_truncation_and_trailing_byte_fail)
{
    block_t b;
    sample_block(&b, 2);
    size_t len;
    uint8_t *data = serialize(&b, &len);
    for (size_t cut = 0; cut < len; cut++) {
        /* A copy of exactly `cut` bytes, so ASan sees any overread. */
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, data, cut);
        block_t out = {.tx_count = 99};
        cr_assert_eq(block_parse(&out, part, cut), ERR_PARSE, "cut %zu", cut);
        cr_assert_eq(out.tx_count, 99, "output untouched on failure");
        free(part);
    }
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, data, len);
    longer[len] = 0;
    block_t out;
    cr_assert_eq(block_parse(&out, longer, len + 1), ERR_PARSE);
    /* A count one too low leaves a whole transaction trailing. */
    le32_put(longer + BLOCK_HEADER_SIZE, 2);
    cr_assert_eq(block_parse(&out, longer, len), ERR_PARSE);
    /* Unknown transaction kind. */
    memcpy(longer, data, len);
    longer[BLOCK_HEADER_SIZE + 4] = 7;
    cr_assert_eq(block_parse(&out, longer, len), ERR_PARSE);
    free(longer);
    free(data);
    block_deinit(&b);
}

/* Caps this test process's address space (Criterion runs each test in its
 * own process) so that allocating for a lying tx count would fail. ASan
 * reserves terabytes of shadow memory, so there the cap cannot be used; an
 * allocation of that size aborts under ASan anyway. */
static void cap_address_space(size_t headroom)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)headroom;
#else
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    if (!pages)
        return;
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = pages * 4096 + headroom;
    setrlimit(RLIMIT_AS, &rl);
#endif
}

Test(block, huge_tx_count_fails_without_allocating)
{
    uint8_t data[BLOCK_HEADER_SIZE + 4 + 200];
    memset(data, 0, sizeof data);
    cap_address_space(64u << 20);
    static const uint32_t counts[] = {UINT32_MAX, 0x80000000u, 100000000u,
                                      1000000u,   4,           1000};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        le32_put(data + BLOCK_HEADER_SIZE, counts[i]);
        block_t out;
        /* 200 zero bytes hold three coinbases and change, never these
         * counts. Allocating first would give ERR_NOMEM here. */
        cr_assert_eq(block_parse(&out, data, sizeof data), ERR_PARSE,
                     "count %u", counts[i]);
    }
}

Test(block, tx_count_above_block_limit_is_refused)
{
    /* block.h: a count that cannot fit in BLOCK_MAX_SIZE is a parse error,
     * even when the data really holds that many transactions. */
    size_t n = BLOCK_MAX_TXS + 1;
    size_t len = BLOCK_HEADER_SIZE + 4 + n * TX_COINBASE_SIZE;
    uint8_t *data = calloc(1, len);
    cr_assert_not_null(data);
    le32_put(data + BLOCK_HEADER_SIZE, (uint32_t)n);
    block_t out;
    cr_assert_eq(block_parse(&out, data, len), ERR_PARSE);
    /* The largest count that fits is accepted. */
    len -= TX_COINBASE_SIZE;
    le32_put(data + BLOCK_HEADER_SIZE, (uint32_t)(n - 1));
    cr_assert_eq(block_parse(&out, data, len), 0);
    cr_assert_eq(out.tx_count, BLOCK_MAX_TXS);
    cr_assert_leq(block_size(&out), BLOCK_MAX_SIZE);
    block_deinit(&out);
    free(data);
}

Test(block, random_bytes_never_crash)
{
    block_t base;
    sample_block(&base, 2);
    size_t vlen;
    uint8_t *valid = serialize(&base, &vlen);
    size_t accepted = 0;
    for (int iter = 0; iter < 4000; iter++) {
        size_t len;
        uint8_t *buf;
        if (iter % 2 == 0) {
            /* Pure noise of any length up to a few transactions. */
            len = (size_t)(rng() % 600);
            buf = malloc(len ? len : 1);
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)rng();
            if (iter % 4 == 0 && len >= BLOCK_HEADER_SIZE + 4)
                le32_put(buf + BLOCK_HEADER_SIZE, (uint32_t)(rng() % 5));
        } else {
            /* A valid block with a few bytes flipped and maybe cut. */
            len = vlen - (iter % 3 == 1 ? (size_t)(rng() % 40) : 0);
            buf = malloc(len);
            memcpy(buf, valid, len);
            for (int k = 0; k < 1 + (int)(rng() % 4); k++)
                buf[BLOCK_HEADER_SIZE + rng() % (len - BLOCK_HEADER_SIZE)] ^=
                    (uint8_t)(1u << (rng() % 8));
        }
        block_t out;
        int rc = block_parse(&out, buf, len);
        cr_assert(rc == 0 || rc == ERR_PARSE, "rc %d", rc);
        if (rc == 0) {
            /* Whatever parses re-serializes to the same bytes. */
            accepted++;
            size_t l2;
            uint8_t *again = serialize(&out, &l2);
            cr_assert_eq(l2, len);
            cr_assert_arr_eq(again, buf, len);
            free(again);
            block_deinit(&out);
        }
        free(buf);
    }
    cr_assert_gt(accepted, 0, "some mutations (e.g. amounts) still parse");
    free(valid);
    block_deinit(&base);
}

Test(block, copy_is_deep)
{
    block_t a;
    sample_block(&a, 2);
    block_t b;
    memset(&b, 0x5a, sizeof b);
    cr_assert_eq(block_copy(&b, &a), 0);
    cr_assert_eq(b.tx_count, a.tx_count);
    cr_assert_neq(b.txs, a.txs, "the copy owns its own array");
    cr_assert_eq(b.header.nonce, a.header.nonce);
    cr_assert_arr_eq(b.header.merkle_root, a.header.merkle_root, 32);
    size_t la, lb;
    uint8_t *sa = serialize(&a, &la), *sb = serialize(&b, &lb);
    cr_assert_eq(la, lb);
    cr_assert_arr_eq(sa, sb, la);
    /* Changing the original leaves the copy alone, and the other way. */
    a.txs[1].amount = 1;
    a.header.nonce = 0;
    cr_assert_eq(b.txs[1].amount, 1000);
    cr_assert_eq(b.header.nonce, 0xdeadbeef);
    b.txs[0].amount = 2;
    cr_assert_eq(a.txs[0].amount, 50 * COIN + 9);
    block_deinit(&a);
    /* The copy survives the original's deinit (ASan: no use after free). */
    cr_assert_eq(b.txs[2].amount, 1001);
    block_deinit(&b);
    free(sa);
    free(sb);

    block_t empty = {0}, e2;
    cr_assert_eq(block_copy(&e2, &empty), 0);
    cr_assert_eq(e2.tx_count, 0);
    block_deinit(&e2);
}

/* Found by tests/fuzz/fuzz_block: appending a transaction of the block's own
 * body (its CVE-2012-2459 mutation, [.. x] -> [.. x x]) read the source
 * after realloc() had freed it. The ASan build of this test caught it. */
Test(block, add_tx_may_append_a_tx_of_its_own_body)
{
    block_t b;
    sample_block(&b, 2);
    for (int i = 0; i < 64; i++) {
        uint8_t want[32], got[32];
        tx_leaf_hash(want, &b.txs[b.tx_count - 1]);
        cr_assert_eq(block_add_tx(&b, &b.txs[b.tx_count - 1]), 0);
        tx_leaf_hash(got, &b.txs[b.tx_count - 1]);
        cr_assert_arr_eq(got, want, 32);
    }
    cr_assert_eq(b.tx_count, 3 + 64);
    block_deinit(&b);
}
