/*
 * kernel_checks — the properties every SHA-256d kernel must have, written
 * once and instantiated per kernel by the tests that mirror the kernel
 * files (tests/test_sha256_<kernel>.c) with KERNEL_TESTS(name) and
 * KERNEL_ROLL_TESTS(name), so the report says which kernel failed which
 * property:
 *   - real Bitcoin headers (genesis, block 1, 100000, 125552, 840000; each
 *     first checked to hash to its published id with OpenSSL) scanned around
 *     their nonce with the target of their own bits: exactly the block's
 *     nonce is found, with the published hash;
 *   - agreement with OpenSSL, nonce by nonce, on random headers and relaxed
 *     targets of several shapes (many hits, all candidates, regtest-like);
 *   - a range ending at 0xffffffff stops there; ranges of every length
 *     modulo the lane count;
 *   - targets equal to a hash (found) and one below it (not found), for both
 *     the zero-top-word early test and the general one;
 *   - the hit callback can stop a scan; the start-up self-test passes;
 *   - version rolling (kernel_scan_rolled): the real headers above with
 *     their version moved to another roll index are found at that index
 *     only; every (version, nonce) pair agrees with OpenSSL, reported in
 *     (nonce, version) order, for every job size; stopping mid-nonce.
 * A kernel this CPU lacks is skipped with a message. Counts are smaller under
 * the sanitizers so the suites stay fast there too.
 *
 * A header of static helpers for test files only; a file uses what it
 * needs (KC_STATIC keeps the rest from warning).
 */
#ifndef PICKAXE_TESTS_KERNEL_CHECKS_H
#define PICKAXE_TESTS_KERNEL_CHECKS_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "err.h"
#include "hex.h"
#include "kernel.h"
#include "sha256.h"
#include "uint256.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCALE 8 /* sanitizer builds: fewer nonces */
#else
#define SCALE 1
#endif

#define KC_STATIC static __attribute__((unused))

/* ---- helpers ---- */

typedef struct {
    uint32_t *nonces;
    uint8_t (*hashes)[32];
    size_t n, cap;
    size_t stop_after; /* 0 = never stop */
} hits_t;

KC_STATIC void hits_init(hits_t *h, size_t cap)
{
    memset(h, 0, sizeof *h);
    h->nonces = malloc(cap * sizeof *h->nonces);
    h->hashes = malloc(cap * sizeof *h->hashes);
    h->cap = cap;
    cr_assert(h->nonces && h->hashes);
}

KC_STATIC void hits_free(hits_t *h)
{
    free(h->nonces);
    free(h->hashes);
}

KC_STATIC bool collect(void *arg, uint32_t nonce, const uint8_t hash[32])
{
    hits_t *h = arg;
    cr_assert_lt(h->n, h->cap, "more hits than expected");
    h->nonces[h->n] = nonce;
    memcpy(h->hashes[h->n], hash, 32);
    h->n++;
    return !(h->stop_after && h->n == h->stop_after);
}

KC_STATIC const kernel_t *need(const char *name)
{
    const kernel_t *k = kernel_find(name);
    cr_assert_not_null(k, "kernel %s missing from the table", name);
    if (!kernel_available(k))
        cr_skip_test("kernel %s: this CPU cannot run it", name);
    return k;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
KC_STATIC uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

KC_STATIC void ref_hash(uint8_t out[32], uint8_t header[80], uint32_t nonce)
{
    le32_put(header + KERNEL_NONCE_OFFSET, nonce);
    sha256d(out, header, 80);
}

/* Scans [start, start+count) with k and checks every nonce against OpenSSL.
 * Returns the number of hits. */
KC_STATIC size_t check_range(const kernel_t *k, const uint8_t header_in[80],
                             const uint8_t target[32], uint32_t start,
                             uint64_t count)
{
    uint8_t header[80];
    memcpy(header, header_in, 80);
    kernel_job_t job;
    kernel_job_init(&job, header, target);
    hits_t h;
    hits_init(&h, count + 1);
    uint64_t scanned = 0;
    cr_assert_eq(kernel_scan(k, &scanned, &job, start, count, collect, &h), 0);
    cr_assert_eq(scanned, count);
    size_t j = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t n = (uint32_t)(start + i);
        uint8_t want[32];
        ref_hash(want, header, n);
        bool hit = kernel_hash_meets(want, target);
        bool got = j < h.n && h.nonces[j] == n;
        cr_assert_eq(hit, got, "%s: nonce %u: OpenSSL says %s, kernel %s",
                     kernel_name(k), n, hit ? "hit" : "miss",
                     got ? "hit" : "miss");
        if (got) {
            cr_assert_arr_eq(h.hashes[j], want, 32, "%s: nonce %u: hash",
                             kernel_name(k), n);
            j++;
        }
    }
    cr_assert_eq(j, h.n, "%s: hits outside the range", kernel_name(k));
    hits_free(&h);
    return j;
}

/* ---- real Bitcoin blocks ---- */

typedef struct {
    const char *header; /* 160 hex characters, as serialized */
    const char *id;     /* published block hash, display order */
} real_block_t;

static const real_block_t real_blocks[] = {
    {/* genesis */
     "0100000000000000000000000000000000000000000000000000000000000000"
     "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
     "4b1e5e4a29ab5f49ffff001d1dac2b7c",
     "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
    {/* block 1 */
     "010000006fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000"
     "000000982051fd1e4ba744bbbe680e1fee14677ba1a3c3540bf7b1cdb606e85723"
     "3e0e61bc6649ffff001d01e36299",
     "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"},
    {/* block 100000 */
     "0100000050120119172a610421a6c3011dd330d9df07b63616c2cc1f1cd0020000"
     "0000006657a9252aacd5c0b2940996ecff952228c3067cc38d4885efb5a4ac4247"
     "e9f337221b4d4c86041b0f2b5710",
     "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506"},
    {/* block 125552, the Bitcoin wiki's hashing example */
     "0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000"
     "000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc"
     "122bc7f5d74df2b9441a42a14695",
     "00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d"},
    {/* block 840000 (April 2024), difficulty about 8.6e13 */
     "00e05f2aab948491071265ad552351d0ad625745668da54b017201000000000000"
     "0000004f89a5d73bd4d4887f25981fe81892ccafda10c27f52d6f3dd28183a7c41"
     "1b03b7072366194203177d9863ea",
     "0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5"},
};

KC_STATIC void check_real_blocks(const kernel_t *k)
{
    const uint32_t half = 4096 / SCALE;
    for (size_t b = 0; b < sizeof real_blocks / sizeof real_blocks[0]; b++) {
        uint8_t header[80], hash[32], target[32];
        char shown[65];
        cr_assert_eq(hex_decode(header, 80, real_blocks[b].header), 0);
        sha256d(hash, header, 80);
        hex_from_hash(shown, hash);
        cr_assert_str_eq(shown, real_blocks[b].id, "block %zu: OpenSSL", b);

        uint32_t nonce = le32_get(header + 76), bits = le32_get(header + 72);
        uint256_t t;
        cr_assert_eq(block_bits_to_target(&t, bits), 0);
        uint256_to_le(target, &t);
        memset(header + 76, 0xa5, 4); /* the kernel must not read it */
        kernel_job_t job;
        kernel_job_init(&job, header, target);

        uint32_t start = nonce > half ? nonce - half : 0;
        uint64_t end = (uint64_t)nonce + half;
        if (end > 0xffffffffu)
            end = 0xffffffffu;
        hits_t h;
        hits_init(&h, 4);
        cr_assert_eq(
            kernel_scan(k, NULL, &job, start, end - start + 1, collect, &h), 0);
        cr_assert_eq(h.n, 1, "%s, block %zu: %zu hits", kernel_name(k), b, h.n);
        cr_assert_eq(h.nonces[0], nonce, "%s, block %zu: nonce", kernel_name(k),
                     b);
        hex_from_hash(shown, h.hashes[0]);
        cr_assert_str_eq(shown, real_blocks[b].id, "%s, block %zu: hash",
                         kernel_name(k), b);
        hits_free(&h);
    }
}

/* ---- random agreement with OpenSSL ---- */

KC_STATIC void random_header(uint8_t header[80])
{
    for (int i = 0; i < 80; i += 8)
        le64_put(header + i, rnd());
}

KC_STATIC void check_random(const kernel_t *k)
{
    uint8_t header[80], target[32];
    /* Top word 0x0fffffff: about one nonce in 16 hits. */
    const int headers = 96 / SCALE;
    size_t total_hits = 0;
    for (int i = 0; i < headers; i++) {
        random_header(header);
        memset(target, 0xff, 32);
        le32_put(target + 28, 0x0fffffffu);
        uint32_t start = (uint32_t)rnd();
        if (start > 0xfffff000u)
            start = 0xfffff000u;
        total_hits += check_range(k, header, target, start, 4096 + (i % 17));
    }
    cr_assert_gt(total_hits, (size_t)headers * 4096 / 32);

    /* Every nonce passes the early test; the low words decide (half). */
    random_header(header);
    memset(target, 0, 32);
    le32_put(target + 28, 0xffffffffu);
    le32_put(target + 24, 0x7fffffffu);
    check_range(k, header, target, 77, 1000);

    /* Regtest's bits 0x207fffff: target 0x7fffff << 232. */
    random_header(header);
    uint256_t t;
    cr_assert_eq(block_bits_to_target(&t, 0x207fffffu), 0);
    uint256_to_le(target, &t);
    check_range(k, header, target, 1u << 31, 1000);

    /* Top word 1: the early test rarely passes and the full compare must
     * still refuse the near misses it lets through. */
    random_header(header);
    memset(target, 0xff, 32);
    le32_put(target + 28, 1);
    check_range(k, header, target, 12345, 2000);
}

/* ---- range edges ---- */

KC_STATIC void check_ranges(const kernel_t *k)
{
    uint8_t header[80], target[32];
    random_header(header);
    memset(target, 0xff, 32);
    le32_put(target + 28, 0x3fffffffu); /* about one in four */

    /* Ending exactly at 0xffffffff: no wrap to nonce 0. */
    for (uint32_t len = 1; len <= 40; len++)
        check_range(k, header, target, 0xffffffffu - len + 1, len);
    check_range(k, header, target, 0xfffffc00u, 1024);
    /* Every length modulo 16 from an odd start. */
    for (uint32_t len = 1; len <= 33; len++)
        check_range(k, header, target, 1000001, len);

    /* Past the end of the nonce space: refused, nothing scanned. */
    kernel_job_t job;
    kernel_job_init(&job, header, target);
    hits_t h;
    hits_init(&h, 1);
    cr_assert_eq(kernel_scan(k, NULL, &job, 0xffffffffu, 2, collect, &h),
                 ERR_RANGE);
    cr_assert_eq(
        kernel_scan(k, NULL, &job, 0, ((uint64_t)1 << 32) + 1, collect, &h),
        ERR_RANGE);
    cr_assert_eq(h.n, 0);
    uint64_t scanned = 99;
    cr_assert_eq(kernel_scan(k, &scanned, &job, 5, 0, collect, &h), 0);
    cr_assert_eq(scanned, 0);
    hits_free(&h);
}

/* ---- exact boundaries ---- */

KC_STATIC void scan_one(const kernel_t *k, hits_t *h, const uint8_t header[80],
                        const uint8_t target[32], uint32_t nonce)
{
    kernel_job_t job;
    kernel_job_init(&job, header, target);
    /* A small range around the nonce, so SIMD lanes see neighbours too. */
    uint32_t start = nonce >= 7 ? nonce - 7 : 0;
    cr_assert_eq(kernel_scan(k, NULL, &job, start, 20, collect, h), 0);
}

/* target = hash - 1 (the hash is never zero here). */
KC_STATIC void minus_one(uint8_t t[32], const uint8_t hash[32])
{
    memcpy(t, hash, 32);
    for (int i = 0; i < 32; i++) {
        if (t[i]--)
            break;
    }
}

KC_STATIC bool reported(const hits_t *h, uint32_t nonce)
{
    for (size_t i = 0; i < h->n; i++) {
        if (h->nonces[i] == nonce)
            return true;
    }
    return false;
}

KC_STATIC void check_boundaries(const kernel_t *k)
{
    uint8_t header[80], hash[32], target[32];
    hits_t h;

    /* General early test: a random hash's top word is not zero. */
    for (int i = 0; i < 8; i++) {
        random_header(header);
        uint32_t nonce = (uint32_t)rnd() | 1;
        ref_hash(hash, header, nonce);
        hits_init(&h, 32);
        scan_one(k, &h, header, hash, nonce);
        cr_assert(reported(&h, nonce), "%s: target == hash not found",
                  kernel_name(k));
        hits_free(&h);
        minus_one(target, hash);
        hits_init(&h, 32);
        scan_one(k, &h, header, target, nonce);
        cr_assert(!reported(&h, nonce), "%s: target == hash - 1 found",
                  kernel_name(k));
        hits_free(&h);
    }

    /* Zero top word (the H7 == 0 test): the genesis block's own hash. */
    cr_assert_eq(hex_decode(header, 80, real_blocks[0].header), 0);
    uint32_t nonce = le32_get(header + 76);
    sha256d(hash, header, 80);
    hits_init(&h, 32);
    scan_one(k, &h, header, hash, nonce);
    cr_assert(h.n == 1 && h.nonces[0] == nonce, "%s: genesis, target == hash",
              kernel_name(k));
    hits_free(&h);
    minus_one(target, hash);
    hits_init(&h, 32);
    scan_one(k, &h, header, target, nonce);
    cr_assert_eq(h.n, 0, "%s: genesis, target == hash - 1", kernel_name(k));
    hits_free(&h);
}

/* ---- stopping ---- */

KC_STATIC void check_stop(const kernel_t *k)
{
    uint8_t header[80], target[32];
    random_header(header);
    memset(target, 0xff, 32); /* every nonce hits */
    kernel_job_t job;
    kernel_job_init(&job, header, target);
    hits_t h;
    hits_init(&h, 100);
    h.stop_after = 5;
    uint64_t scanned = 0;
    cr_assert_eq(kernel_scan(k, &scanned, &job, 10, 100, collect, &h), 0);
    cr_assert_eq(h.n, 5);
    cr_assert_eq(scanned, 5, "%s: scanned %llu", kernel_name(k),
                 (unsigned long long)scanned);
    cr_assert_eq(h.nonces[4], 14);
    hits_free(&h);
}

/* ---- version rolling ---- */

typedef struct {
    uint32_t nonce;
    unsigned i;
    uint8_t hash[32];
} roll_hit_t;

typedef struct {
    roll_hit_t *hits;
    size_t n, cap;
    size_t stop_after; /* 0 = never stop */
} roll_hits_t;

KC_STATIC void roll_hits_init(roll_hits_t *h, size_t cap)
{
    memset(h, 0, sizeof *h);
    h->hits = malloc(cap * sizeof *h->hits);
    h->cap = cap;
    cr_assert_not_null(h->hits);
}

KC_STATIC bool roll_collect(void *arg, unsigned i, uint32_t nonce,
                            const uint8_t hash[32])
{
    roll_hits_t *h = arg;
    cr_assert_lt(h->n, h->cap, "more hits than expected");
    h->hits[h->n].nonce = nonce;
    h->hits[h->n].i = i;
    memcpy(h->hits[h->n].hash, hash, 32);
    h->n++;
    return !(h->stop_after && h->n == h->stop_after);
}

KC_STATIC void check_rolled_real_blocks(const kernel_t *k)
{
    const uint32_t half = 512 / SCALE;
    for (size_t b = 0; b < sizeof real_blocks / sizeof real_blocks[0]; b++) {
        uint8_t header[80], target[32];
        char shown[65];
        cr_assert_eq(hex_decode(header, 80, real_blocks[b].header), 0);
        uint32_t nonce = le32_get(header + 76), bits = le32_get(header + 72);
        uint256_t t;
        cr_assert_eq(block_bits_to_target(&t, bits), 0);
        uint256_to_le(target, &t);
        /* The block's real version is roll index `at` of the job. */
        const unsigned at = (unsigned)(3 + 5 * b) % KERNEL_ROLL_MAX;
        const uint32_t real = le32_get(header);
        le32_put(header, kernel_rolled_version(real, at));
        kernel_rolljob_t rj;
        kernel_rolljob_init(&rj, header, target, KERNEL_ROLL_MAX);
        cr_assert_eq(rj.versions, KERNEL_ROLL_MAX);
        cr_assert_eq(le32_get(rj.job[at].header), real);

        uint32_t start = nonce > half ? nonce - half : 0;
        uint64_t end = (uint64_t)nonce + half;
        if (end > 0xffffffffu)
            end = 0xffffffffu;
        roll_hits_t h;
        roll_hits_init(&h, 4);
        uint64_t scanned = 0;
        cr_assert_eq(kernel_scan_rolled(k, &scanned, &rj, start,
                                        end - start + 1, roll_collect, &h),
                     0);
        cr_assert_eq(scanned, end - start + 1);
        cr_assert_eq(h.n, 1, "%s, block %zu: %zu hits", kernel_name(k), b, h.n);
        cr_assert_eq(h.hits[0].nonce, nonce, "%s, block %zu: nonce",
                     kernel_name(k), b);
        cr_assert_eq(h.hits[0].i, at, "%s, block %zu: version index %u",
                     kernel_name(k), b, h.hits[0].i);
        hex_from_hash(shown, h.hits[0].hash);
        cr_assert_str_eq(shown, real_blocks[b].id, "%s, block %zu: hash",
                         kernel_name(k), b);
        free(h.hits);
    }
}

/* Scans [start, start+count) of `versions` versions of header and checks
 * every (version, nonce) pair and the order against OpenSSL. */
KC_STATIC size_t check_rolled_range(const kernel_t *k,
                                    const uint8_t header_in[80],
                                    const uint8_t target[32], unsigned versions,
                                    uint32_t start, uint64_t count)
{
    uint8_t header[80];
    memcpy(header, header_in, 80);
    const uint32_t base = le32_get(header);
    kernel_rolljob_t rj;
    kernel_rolljob_init(&rj, header, target, versions);
    cr_assert_eq(rj.versions, versions);
    roll_hits_t h;
    roll_hits_init(&h, count * versions + 1);
    uint64_t scanned = 0;
    cr_assert_eq(
        kernel_scan_rolled(k, &scanned, &rj, start, count, roll_collect, &h),
        0);
    cr_assert_eq(scanned, count);
    size_t j = 0;
    for (uint64_t n = 0; n < count; n++) {
        for (unsigned i = 0; i < versions; i++) {
            uint32_t nonce = (uint32_t)(start + n);
            uint8_t want[32];
            le32_put(header, kernel_rolled_version(base, i));
            ref_hash(want, header, nonce);
            bool hit = kernel_hash_meets(want, target);
            bool got = j < h.n && h.hits[j].nonce == nonce && h.hits[j].i == i;
            cr_assert_eq(hit, got,
                         "%s, %u versions: (%u, nonce %u): OpenSSL says %s, "
                         "kernel %s",
                         kernel_name(k), versions, i, nonce,
                         hit ? "hit" : "miss", got ? "hit" : "miss");
            if (got) {
                cr_assert_arr_eq(h.hits[j].hash, want, 32,
                                 "%s: (%u, nonce %u): hash", kernel_name(k), i,
                                 nonce);
                j++;
            }
        }
    }
    cr_assert_eq(j, h.n, "%s: hits outside the range", kernel_name(k));
    free(h.hits);
    return j;
}

KC_STATIC void check_rolled_random(const kernel_t *k)
{
    uint8_t header[80], target[32];
    size_t total = 0;
    for (unsigned versions = 2; versions <= KERNEL_ROLL_MAX; versions *= 2) {
        random_header(header);
        memset(target, 0xff, 32);
        le32_put(target + 28, 0x0fffffffu); /* about one in 16 */
        total += check_rolled_range(k, header, target, versions,
                                    (uint32_t)rnd() & 0x7fffffffu,
                                    1024 / SCALE + versions + 3);
        /* Up to the end of the nonce space, a length not a multiple of 16. */
        check_rolled_range(k, header, target, versions, 0xffffffffu - 36, 37);
        /* Regtest's bits: about every other pair hits. */
        uint256_t t;
        cr_assert_eq(block_bits_to_target(&t, 0x207fffffu), 0);
        uint256_to_le(target, &t);
        check_rolled_range(k, header, target, versions, 5, 50);
    }
    /* 30 x (1024 / SCALE) pairs at about 1 in 16: expect ~1,900 / SCALE. */
    cr_assert_gt(total, (size_t)1000 / SCALE);
}

KC_STATIC void check_rolled_stop(const kernel_t *k)
{
    uint8_t header[80], target[32];
    random_header(header);
    memset(target, 0xff, 32); /* every pair hits */
    kernel_rolljob_t rj;
    kernel_rolljob_init(&rj, header, target, 4);
    roll_hits_t h;
    roll_hits_init(&h, 100);
    h.stop_after = 6; /* nonce 10 in versions 0..3, nonce 11 in 0..1 */
    uint64_t scanned = 0;
    cr_assert_eq(
        kernel_scan_rolled(k, &scanned, &rj, 10, 100, roll_collect, &h), 0);
    cr_assert_eq(h.n, 6);
    cr_assert_eq(scanned, 2, "%s: scanned %llu", kernel_name(k),
                 (unsigned long long)scanned);
    cr_assert(h.hits[3].nonce == 10 && h.hits[3].i == 3);
    cr_assert(h.hits[5].nonce == 11 && h.hits[5].i == 1);
    free(h.hits);
}

/* One kernel's tests on one-version jobs (kernel_scan). */
#define KERNEL_TESTS(K)                                                        \
    Test(kernel, K##_real_blocks, .timeout = 60)                               \
    {                                                                          \
        check_real_blocks(need(#K));                                           \
    }                                                                          \
    Test(kernel, K##_agrees_with_openssl, .timeout = 60)                       \
    {                                                                          \
        check_random(need(#K));                                                \
    }                                                                          \
    Test(kernel, K##_range_edges, .timeout = 60)                               \
    {                                                                          \
        check_ranges(need(#K));                                                \
    }                                                                          \
    Test(kernel, K##_exact_boundaries, .timeout = 60)                          \
    {                                                                          \
        check_boundaries(need(#K));                                            \
    }                                                                          \
    Test(kernel, K##_callback_stops_scan)                                      \
    {                                                                          \
        check_stop(need(#K));                                                  \
    }                                                                          \
    Test(kernel, K##_self_test)                                                \
    {                                                                          \
        cr_assert_eq(kernel_self_test(need(#K)), 0);                           \
    }

/* One kernel's tests on rolled jobs (kernel_scan_rolled). */
#define KERNEL_ROLL_TESTS(K)                                                   \
    Test(kernel, K##_rolled_real_blocks, .timeout = 60)                        \
    {                                                                          \
        check_rolled_real_blocks(need(#K));                                    \
    }                                                                          \
    Test(kernel, K##_rolled_agrees_with_openssl, .timeout = 60)                \
    {                                                                          \
        check_rolled_random(need(#K));                                         \
    }                                                                          \
    Test(kernel, K##_rolled_callback_stops_scan)                               \
    {                                                                          \
        check_rolled_stop(need(#K));                                           \
    }

#endif
