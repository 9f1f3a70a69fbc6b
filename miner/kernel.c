/*
 * kernel — job preparation, CPU feature detection and dispatch (kernel.h).
 *
 * This file holds no target-specific instruction: it is compiled for the
 * baseline x86-64 and only reads CPUID and, when the OS has enabled XSAVE,
 * XCR0 through XGETBV. A kernel is available when the CPU reports every
 * instruction set it uses AND the OS saves the registers it touches (YMM for
 * AVX2; YMM, ZMM and opmask state for AVX-512); otherwise it would fault.
 *
 * The detected features are computed once (pthread_once); the
 * PICKAXE_NO_KERNEL list is read on each query so tests can change it.
 *
 * kernel_auto() prefers, among available kernels: avx512, shani2, shani,
 * avx2, generic. That order is measured, not assumed. On the 2-core AMD EPYC
 * this project is benchmarked on (a Zen 4 core: SHA-NI, and AVX-512 executed
 * as two 256-bit halves), per CPU-second of one worker: avx512 33.8 MH/s on
 * one version and about 41 rolling 16 versions (as node jobs allow), shani2
 * 28.1, shani 17.4, avx2 13.3, generic 2.8, OpenSSL 6.2 (benchmarks.md,
 * "Miner"). shani2 beats shani because sha256rnds2 has a 4-cycle latency
 * but issues every cycle, so one stream leaves the unit idle most of the
 * time; AVX2 (no rotate, no three-input logic, 8 lanes) trails both.
 *
 * Rolled jobs (kernel_scan_rolled) go to a kernel's own rolled scan when it
 * has one; otherwise each chunk of nonces is scanned version after version
 * and the chunk's hits are put in (nonce, version) order before they are
 * reported, so every kernel reports the same hits in the same order.
 */
#include "kernel.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "hex.h"
#include "kernel_impl.h"
#include "sha256.h"

const uint32_t kernel_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

const uint32_t kernel_iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* ---- scalar SHA-256 pieces for job preparation and verification ---- */

static inline uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}
static inline uint32_t bs0(uint32_t x)
{
    return ror(x, 2) ^ ror(x, 13) ^ ror(x, 22);
}
static inline uint32_t bs1(uint32_t x)
{
    return ror(x, 6) ^ ror(x, 11) ^ ror(x, 25);
}
static inline uint32_t ss0(uint32_t x)
{
    return ror(x, 7) ^ ror(x, 18) ^ (x >> 3);
}
static inline uint32_t ss1(uint32_t x)
{
    return ror(x, 17) ^ ror(x, 19) ^ (x >> 10);
}
static inline uint32_t ch(uint32_t e, uint32_t f, uint32_t g)
{
    return g ^ (e & (f ^ g));
}
static inline uint32_t maj(uint32_t a, uint32_t b, uint32_t c)
{
    return (a & b) | (c & (a | b));
}

/* Rounds [from, to) of one compression on s[8] with the full schedule w. */
static void rounds(uint32_t s[8], const uint32_t w[64], int from, int to)
{
    for (int i = from; i < to; i++) {
        uint32_t t1 =
            s[7] + bs1(s[4]) + ch(s[4], s[5], s[6]) + kernel_k[i] + w[i];
        uint32_t t2 = bs0(s[0]) + maj(s[0], s[1], s[2]);
        memmove(s + 1, s, 7 * sizeof *s);
        s[4] += t1;
        s[0] = t1 + t2;
    }
}

static void expand(uint32_t w[64])
{
    for (int i = 16; i < 64; i++)
        w[i] = ss1(w[i - 2]) + w[i - 7] + ss0(w[i - 15]) + w[i - 16];
}

/* state += compress(block of 16 words). */
static void compress(uint32_t state[8], const uint32_t block[16])
{
    uint32_t w[64], s[8];
    memcpy(w, block, 16 * sizeof *w);
    expand(w);
    memcpy(s, state, sizeof s);
    rounds(s, w, 0, 64);
    for (int i = 0; i < 8; i++)
        state[i] += s[i];
}

void kernel_job_init(kernel_job_t *job, const uint8_t header[80],
                     const uint8_t target[32])
{
    memset(job, 0, sizeof *job);
    memcpy(job->header, header, KERNEL_HEADER_SIZE);
    memset(job->header + KERNEL_NONCE_OFFSET, 0, 4);
    memcpy(job->target, target, 32);
    job->target_top = le32_get(target + 28);

    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = be32_get(job->header + 4 * i);
    memcpy(job->mid, kernel_iv, sizeof job->mid);
    compress(job->mid, w);

    uint32_t *b = job->blk;
    for (int i = 0; i < 4; i++)
        b[i] = be32_get(job->header + 64 + 4 * i);
    b[4] = 0x80000000u;
    b[15] = 80 * 8;

    /* Rounds 0..2 read only W0..W2; round 3 adds W3 to a fixed sum. */
    uint32_t s[8], full[64] = {0};
    memcpy(full, b, 16 * sizeof *full);
    memcpy(s, job->mid, sizeof s);
    rounds(s, full, 0, 3);
    uint32_t p = s[7] + bs1(s[4]) + ch(s[4], s[5], s[6]) + kernel_k[3];
    job->r3a = p + bs0(s[0]) + maj(s[0], s[1], s[2]);
    job->r3e = s[3] + p;
    job->a3 = s[0];
    job->a2 = s[1];
    job->a1 = s[2];
    job->e3 = s[4];
    job->e2 = s[5];
    job->e1 = s[6];
    job->x4 = job->e1 + kernel_k[4] + b[4];
    job->x5 = job->e2 + kernel_k[5] + b[5];
    job->x6 = job->e3 + kernel_k[6] + b[6];
    for (int i = 7; i < 16; i++)
        job->kw[i] = kernel_k[i] + b[i];
    job->w16 = ss1(b[14]) + b[9] + ss0(b[1]) + b[0];
    job->w17 = ss1(b[15]) + b[10] + ss0(b[2]) + b[1];
    job->kw[16] = kernel_k[16] + job->w16;
    job->kw[17] = kernel_k[17] + job->w17;
    job->c18 = ss1(job->w16) + b[11] + b[2];
    job->c19 = ss1(job->w17) + b[12] + ss0(b[4]);
    job->c30 = ss0(b[15]) + b[14];
    job->c31 = ss0(job->w16) + b[15];
    job->c32 = ss0(job->w17) + job->w16;

    /* Second hash: fixed initial state; W8 = 0x80000000, W15 = 256. */
    const uint32_t *iv = kernel_iv;
    uint32_t p0 = iv[7] + bs1(iv[4]) + ch(iv[4], iv[5], iv[6]) + kernel_k[0];
    job->h2e1 = iv[3] + p0;
    job->h2a1 = p0 + bs0(iv[0]) + maj(iv[0], iv[1], iv[2]);
    job->h2x1 = iv[6] + kernel_k[1];
    job->h2x2 = iv[5] + kernel_k[2];
    job->h2x3 = iv[4] + kernel_k[3];
    for (int i = 8; i < 16; i++)
        job->h2kw[i] = kernel_k[i];
    job->h2kw[8] += 0x80000000u;
    job->h2kw[15] += 256;
    job->h2s1_256 = ss1(256);
    job->h2s0_pad = ss0(0x80000000u);
    job->h2s0_256 = ss0(256);
    job->h7k = kernel_k[60] + iv[7];
}

void kernel_hash(uint8_t hash[32], const kernel_job_t *job, uint32_t nonce)
{
    uint32_t st[8], w[16];
    memcpy(st, job->mid, sizeof st);
    memcpy(w, job->blk, sizeof w);
    w[3] = __builtin_bswap32(nonce); /* nonce is little-endian in the header */
    compress(st, w);
    memset(w, 0, sizeof w);
    memcpy(w, st, sizeof st);
    w[8] = 0x80000000u;
    w[15] = 256;
    memcpy(st, kernel_iv, sizeof st);
    compress(st, w);
    for (int i = 0; i < 8; i++)
        be32_put(hash + 4 * i, st[i]);
}

bool kernel_hash_meets(const uint8_t hash[32], const uint8_t target[32])
{
    for (int i = 31; i >= 0; i--) {
        if (hash[i] != target[i])
            return hash[i] < target[i];
    }
    return true;
}

bool kernel_candidate(const kernel_job_t *job, uint32_t nonce, kernel_hit_fn fn,
                      void *arg)
{
    uint8_t hash[32];
    kernel_hash(hash, job, nonce);
    if (!kernel_hash_meets(hash, job->target))
        return true;
    return fn(arg, nonce, hash);
}

bool kernel_roll_candidate(const kernel_rolljob_t *rj, unsigned i,
                           uint32_t nonce, kernel_roll_hit_fn fn, void *arg)
{
    uint8_t hash[32];
    kernel_hash(hash, &rj->job[i], nonce);
    if (!kernel_hash_meets(hash, rj->job[i].target))
        return true;
    return fn(arg, i, nonce, hash);
}

void kernel_rolljob_init(kernel_rolljob_t *rj, const uint8_t header[80],
                         const uint8_t target[32], unsigned versions)
{
    unsigned n = 1;
    while (n * 2 <= versions && n * 2 <= KERNEL_ROLL_MAX)
        n *= 2;
    rj->versions = n;
    uint8_t h[KERNEL_HEADER_SIZE];
    memcpy(h, header, sizeof h);
    const uint32_t base = le32_get(header);
    for (unsigned i = 0; i < n; i++) {
        le32_put(h, kernel_rolled_version(base, i));
        kernel_job_init(&rj->job[i], h, target);
    }
}

/* ---- CPU features ---- */

enum {
    F_SSE41 = 1 << 0,
    F_SSSE3 = 1 << 1,
    F_SHA = 1 << 2,
    F_AVX2 = 1 << 3,   /* instructions and YMM state */
    F_AVX512 = 1 << 4, /* F, VL, BW and ZMM + opmask state */
};

static unsigned cpu_features;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    /* XGETBV is part of XSAVE; only called when CPUID says OSXSAVE. */
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static void detect_cpu(void)
{
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    bool osxsave = c & bit_OSXSAVE;
    bool avx = c & bit_AVX;
    if (c & bit_SSE4_1)
        f |= F_SSE41;
    if (c & bit_SSSE3)
        f |= F_SSSE3;
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    bool ymm_state = (xcr0 & 0x6) == 0x6;   /* SSE, AVX */
    bool zmm_state = (xcr0 & 0xe6) == 0xe6; /* + opmask, ZMM */
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (b & bit_SHA)
            f |= F_SHA;
        if (avx && ymm_state && (b & bit_AVX2))
            f |= F_AVX2;
        if (avx && zmm_state && (b & bit_AVX512F) && (b & bit_AVX512VL) &&
            (b & bit_AVX512BW))
            f |= F_AVX512;
    }
    cpu_features = f;
}

static unsigned features(void)
{
    pthread_once(&cpu_once, detect_cpu);
    return cpu_features;
}

/* ---- the kernel table ---- */

struct kernel {
    const char *name;
    unsigned lanes;
    unsigned needs; /* F_* bits */
    kernel_scan_fn scan;
    /* Several versions at once (NULL: one after the other), and the job
     * size it is fastest with. */
    kernel_scan_rolled_fn scan_rolled;
    unsigned roll_versions;
};

/* Listed in the order of kernel.h; AUTO_ORDER below is by speed. */
static const struct kernel kernels[] = {
    {"generic", 1, 0, sha256_generic_scan, NULL, 1},
    {"openssl", 1, 0, sha256_openssl_scan, NULL, 1},
    {"shani", 1, F_SHA | F_SSE41 | F_SSSE3, sha256_shani_scan, NULL, 1},
    {"shani2", 2, F_SHA | F_SSE41 | F_SSSE3, sha256_shani2_scan, NULL, 1},
    {"avx2", 8, F_AVX2, sha256_avx2_scan, NULL, 1},
    {"avx512", 16, F_AVX512, sha256_avx512_scan, sha256_avx512_scan_rolled,
     KERNEL_ROLL_MAX},
};
#define N_KERNELS (sizeof kernels / sizeof kernels[0])

/* Fastest first, as measured (see the opening comment). */
static const char *const auto_order[] = {"avx512", "shani2", "shani", "avx2",
                                         "generic"};

static bool disabled_by_env(const char *name)
{
    const char *list = getenv("PICKAXE_NO_KERNEL");
    if (!list)
        return false;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

const char *kernel_name(const kernel_t *k)
{
    return k->name;
}

unsigned kernel_lanes(const kernel_t *k)
{
    return k->lanes;
}

unsigned kernel_roll_versions(const kernel_t *k)
{
    return k->roll_versions;
}

bool kernel_available(const kernel_t *k)
{
    return (features() & k->needs) == k->needs && !disabled_by_env(k->name);
}

size_t kernel_count(void)
{
    return N_KERNELS;
}

const kernel_t *kernel_at(size_t i)
{
    return i < N_KERNELS ? &kernels[i] : NULL;
}

const kernel_t *kernel_find(const char *name)
{
    for (size_t i = 0; i < N_KERNELS; i++) {
        if (strcmp(kernels[i].name, name) == 0)
            return &kernels[i];
    }
    return NULL;
}

const kernel_t *kernel_auto(void)
{
    for (size_t i = 0; i < sizeof auto_order / sizeof auto_order[0]; i++) {
        const kernel_t *k = kernel_find(auto_order[i]);
        if (k && kernel_available(k))
            return k;
    }
    return &kernels[0]; /* generic runs everywhere */
}

int kernel_select(const kernel_t **k, const char *name)
{
    if (strcmp(name, "auto") == 0) {
        *k = kernel_auto();
        return 0;
    }
    const kernel_t *found = kernel_find(name);
    if (!found)
        return ERR_ARG;
    if (!kernel_available(found))
        return ERR_UNSUPPORTED;
    *k = found;
    return 0;
}

int kernel_scan(const kernel_t *k, uint64_t *scanned, const kernel_job_t *job,
                uint32_t start, uint64_t count, kernel_hit_fn fn, void *arg)
{
    if (count > ((uint64_t)1 << 32) - start)
        return ERR_RANGE;
    if (!kernel_available(k))
        return ERR_UNSUPPORTED;
    uint64_t n = count ? k->scan(job, start, count, fn, arg) : 0;
    if (scanned)
        *scanned = n;
    return 0;
}

/* ---- rolled scans for kernels without their own ---- */

/* A kernel that hashes one version at a time scans a chunk of nonces in
 * every version, then reports the chunk's hits in (nonce, version) order. */
#define ROLL_CHUNK 64

typedef struct {
    uint32_t nonce;
    unsigned i;
    uint8_t hash[32];
} roll_hit_t;

typedef struct {
    roll_hit_t hits[ROLL_CHUNK * KERNEL_ROLL_MAX];
    size_t n;
    unsigned i;
} roll_chunk_t;

static bool roll_collect(void *arg, uint32_t nonce, const uint8_t hash[32])
{
    roll_chunk_t *c = arg;
    roll_hit_t *h = &c->hits[c->n++]; /* at most one per (nonce, version) */
    h->nonce = nonce;
    h->i = c->i;
    memcpy(h->hash, hash, 32);
    return true;
}

static uint64_t scan_versions_in_turn(const kernel_t *k,
                                      const kernel_rolljob_t *rj,
                                      uint32_t start, uint64_t count,
                                      kernel_roll_hit_fn fn, void *arg)
{
    static _Thread_local roll_chunk_t c;
    for (uint64_t done = 0; done < count; done += ROLL_CHUNK) {
        uint64_t n = count - done < ROLL_CHUNK ? count - done : ROLL_CHUNK;
        uint32_t at = start + (uint32_t)done;
        c.n = 0;
        for (c.i = 0; c.i < rj->versions; c.i++)
            k->scan(&rj->job[c.i], at, n, roll_collect, &c);
        /* Insertion sort: hits are rare, the chunk small. */
        for (size_t a = 1; a < c.n; a++) {
            roll_hit_t h = c.hits[a];
            size_t b = a;
            while (b > 0 && (c.hits[b - 1].nonce > h.nonce ||
                             (c.hits[b - 1].nonce == h.nonce &&
                              c.hits[b - 1].i > h.i))) {
                c.hits[b] = c.hits[b - 1];
                b--;
            }
            c.hits[b] = h;
        }
        for (size_t a = 0; a < c.n; a++) {
            if (!fn(arg, c.hits[a].i, c.hits[a].nonce, c.hits[a].hash))
                return (uint64_t)(c.hits[a].nonce - start) + 1;
        }
    }
    return count;
}

/* kernel_scan() of a one-version rolled job: the hit callback gains i. */
typedef struct {
    kernel_roll_hit_fn fn;
    void *arg;
} roll_one_t;

static bool roll_one_hit(void *arg, uint32_t nonce, const uint8_t hash[32])
{
    const roll_one_t *o = arg;
    return o->fn(o->arg, 0, nonce, hash);
}

int kernel_scan_rolled(const kernel_t *k, uint64_t *scanned,
                       const kernel_rolljob_t *rj, uint32_t start,
                       uint64_t count, kernel_roll_hit_fn fn, void *arg)
{
    if (count > ((uint64_t)1 << 32) - start)
        return ERR_RANGE;
    if (!kernel_available(k))
        return ERR_UNSUPPORTED;
    uint64_t n = 0;
    if (count == 0) {
        n = 0;
    } else if (rj->versions <= 1) {
        roll_one_t o = {fn, arg};
        n = k->scan(&rj->job[0], start, count, roll_one_hit, &o);
    } else if (k->scan_rolled) {
        n = k->scan_rolled(rj, start, count, fn, arg);
    } else {
        n = scan_versions_in_turn(k, rj, start, count, fn, arg);
    }
    if (scanned)
        *scanned = n;
    return 0;
}

/* ---- self-test ---- */

static const char genesis_hex[] =
    "0100000000000000000000000000000000000000000000000000000000000000"
    "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
    "4b1e5e4a29ab5f49ffff001d1dac2b7c";
#define GENESIS_NONCE 2083236893u

typedef struct {
    uint32_t nonces[64];
    uint8_t hashes[64][32];
    size_t n;
    bool overflow;
} self_hits_t;

static bool collect(void *arg, uint32_t nonce, const uint8_t hash[32])
{
    self_hits_t *h = arg;
    if (h->n == 64) {
        h->overflow = true;
        return false;
    }
    h->nonces[h->n] = nonce;
    memcpy(h->hashes[h->n], hash, 32);
    h->n++;
    return true;
}

int kernel_self_test(const kernel_t *k)
{
    if (!kernel_available(k))
        return ERR_UNSUPPORTED;
    uint8_t header[80], target[32] = {0}, want[32];
    if (hex_decode(header, sizeof header, genesis_hex) != 0)
        return ERR_INVALID;
    /* bits 0x1d00ffff: target = 0xffff << 208, i.e. bytes 26..27. */
    target[26] = 0xff;
    target[27] = 0xff;
    kernel_job_t job;
    kernel_job_init(&job, header, target);
    self_hits_t hits = {0};
    if (kernel_scan(k, NULL, &job, GENESIS_NONCE - 100, 200, collect, &hits) !=
        0)
        return ERR_INVALID;
    sha256d(want, header, sizeof header);
    if (hits.n != 1 || hits.nonces[0] != GENESIS_NONCE ||
        memcmp(hits.hashes[0], want, 32) != 0)
        return ERR_INVALID;

    /* A relaxed target (about 1 in 16) over a range crossing lane groups,
     * every hit and miss checked against OpenSSL. */
    memset(target, 0xff, sizeof target);
    target[31] = 0x0f;
    kernel_job_init(&job, header, target);
    memset(&hits, 0, sizeof hits);
    const uint32_t start = 1000003, count = 301;
    if (kernel_scan(k, NULL, &job, start, count, collect, &hits) != 0 ||
        hits.overflow)
        return ERR_INVALID;
    size_t j = 0;
    for (uint32_t n = start; n < start + count; n++) {
        uint8_t h[32];
        le32_put(header + KERNEL_NONCE_OFFSET, n);
        sha256d(h, header, sizeof header);
        bool hit = kernel_hash_meets(h, target);
        bool reported = j < hits.n && hits.nonces[j] == n;
        if (hit != reported || (hit && memcmp(h, hits.hashes[j], 32) != 0))
            return ERR_INVALID;
        j += reported;
    }
    return j == hits.n ? 0 : ERR_INVALID;
}
