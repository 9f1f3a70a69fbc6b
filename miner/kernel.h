/*
 * kernel — SHA-256d nonce-scanning kernels and their run-time dispatch.
 *
 * A kernel scans a range of nonces of one 80-byte block header (Bitcoin's
 * serialization: version u32 LE, previous hash [32], merkle root [32], time,
 * bits, nonce u32 LE at offset 76) and reports every nonce whose SHA256d,
 * read as a 256-bit little-endian number, is at most a 32-byte little-endian
 * target. Every kernel has the same interface and must report exactly the
 * same nonces; they differ only in speed:
 *
 *   generic  portable C, one nonce at a time
 *   openssl  OpenSSL's EVP SHA-256 (the reference and the yardstick)
 *   shani    x86 SHA extensions, one nonce at a time
 *   shani2   x86 SHA extensions, two nonces interleaved
 *   avx2     AVX2, eight nonces in the lanes of a 256-bit vector
 *   avx512   AVX-512, sixteen nonces in a 512-bit vector
 *   auto     the fastest kernel this CPU can run (see kernel_auto())
 *
 * A job (kernel_job_t) is prepared once per header and target: the midstate
 * of the first 64 header bytes, the first three rounds of the second block
 * (they read only header words, not the nonce), the nonce-independent parts
 * of its message schedule with the constant padding words folded in. Kernels
 * only read a job, so one job may be scanned by many threads at once.
 *
 * Version rolling (BIP 320). A rolled job (kernel_rolljob_t) covers up to
 * KERNEL_ROLL_MAX headers that differ only in the version bits from
 * KERNEL_ROLL_SHIFT up: header i has version base ^ (i << KERNEL_ROLL_SHIFT),
 * so header 0 is the one given. Their first 64 bytes, hence their midstates,
 * differ; their last 16 bytes, hence the second block's message schedule,
 * do not. A kernel that scans several versions at once computes that
 * schedule once per nonce for all of them (avx512 does: it is the largest
 * nonce-dependent part of the first hash); the others scan one version after
 * the other. Either way every (version, nonce) pair is one full SHA256d, so
 * hashes = nonces x versions.
 *
 * Availability is decided at run time from CPUID and, for the AVX kinds,
 * from the register state the operating system saves (XGETBV). A kernel the
 * CPU lacks is never executed: kernel_scan() refuses it with
 * ERR_UNSUPPORTED. The environment variable PICKAXE_NO_KERNEL (a
 * comma-separated list of kernel names) makes kernels count as unavailable,
 * to test fallbacks or to keep auto off a kernel.
 *
 * Thread safety: every function here is thread-safe; jobs are plain values
 * that are read-only during a scan.
 */
#ifndef PICKAXE_KERNEL_H
#define PICKAXE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KERNEL_HEADER_SIZE 80
#define KERNEL_NONCE_OFFSET 76

/*
 * A prepared scan job. Fields are filled by kernel_job_init() and read by the
 * kernels; callers treat them as opaque except header and target.
 * Words are SHA-256 message/state words (big-endian interpretation).
 */
typedef struct {
    uint8_t header[KERNEL_HEADER_SIZE]; /* nonce bytes are ignored */
    uint8_t target[32];                 /* little-endian */
    uint32_t target_top;                /* top 32 bits of the target */
    uint32_t mid[8];                    /* state after the first 64 bytes */
    uint32_t blk[16];                   /* second block words, W3 = 0 */
    /* First hash, second block: state before round 4 is
     * (r3a + W3, a3, a2, a1, r3e + W3, e3, e2, e1). */
    uint32_t r3a, r3e, a3, a2, a1, e3, e2, e1;
    uint32_t x4, x5, x6;    /* h + K + W of rounds 4..6 (h is fixed there) */
    uint32_t kw[18];        /* K + W of rounds 7..17 (W fixed there) */
    uint32_t w16, w17;      /* schedule words that do not depend on W3 */
    uint32_t c18, c19;      /* W18 = c18 + s0(W3), W19 = c19 + W3 */
    uint32_t c30, c31, c32; /* constant terms of W30, W31, W32 */
    /* Second hash (fixed initial state, 32-byte message + padding). */
    uint32_t h2a1, h2e1; /* after round 0: A1 = h2a1 + W0, E1 = h2e1 + W0 */
    uint32_t h2x1, h2x2, h2x3; /* h + K of rounds 1..3 */
    uint32_t h2kw[16];         /* K + W of rounds 8..15 */
    uint32_t h2s1_256;         /* s1(W15 = 256), constant term of W17 */
    uint32_t h2s0_pad;         /* s0(W8 = 0x80000000), term of W23 */
    uint32_t h2s0_256;         /* s0(W15 = 256), term of W30 */
    /* The candidate test after round 60: with the round's sum s (without
     * K60), H7 = s + h7k. */
    uint32_t h7k;
} kernel_job_t;

/*
 * Called for each nonce whose hash meets the target, in increasing nonce
 * order within one call. hash is the SHA256d in SHA-256 byte order (shown
 * byte-reversed as a block id). Return true to go on scanning, false to stop.
 */
typedef bool (*kernel_hit_fn)(void *arg, uint32_t nonce,
                              const uint8_t hash[32]);

typedef struct kernel kernel_t;

/* Version rolling: bits KERNEL_ROLL_SHIFT .. of the version (BIP 320's
 * general-purpose bits start at 13); at most KERNEL_ROLL_MAX versions. */
#define KERNEL_ROLL_SHIFT 13
#define KERNEL_ROLL_MAX 16

/* One prepared job per version; job[i] hashes version
 * kernel_rolled_version(base, i). */
typedef struct {
    unsigned versions; /* 1, 2, 4, 8 or 16 */
    kernel_job_t job[KERNEL_ROLL_MAX];
} kernel_rolljob_t;

/*
 * Called for each (version, nonce) whose hash meets the target, in
 * increasing nonce order and, for one nonce, increasing version index i
 * (the header's version is kernel_rolled_version(base, i)). Return true to
 * go on scanning, false to stop.
 */
typedef bool (*kernel_roll_hit_fn)(void *arg, unsigned i, uint32_t nonce,
                                   const uint8_t hash[32]);

/*
 * Prepares a job. The nonce bytes of header (76..79) are ignored.
 * Out: job. In: header (80 bytes), target (32 bytes, little-endian).
 */
void kernel_job_init(kernel_job_t *job, const uint8_t header[80],
                     const uint8_t target[32]);

/*
 * Scans nonces start, start+1, ..., start+count-1 (never wrapping past
 * 0xffffffff) and calls fn for each one that meets the job's target.
 * Returns: 0; ERR_RANGE when start + count > 2^32; ERR_UNSUPPORTED when
 *          this CPU cannot run k (nothing is executed).
 * Out:     *scanned (may be NULL) = nonces tried: count, or fewer when fn
 *          asked to stop (then the stopping nonce is the last one counted).
 * In:      k (from kernel_select/kernel_at), job (borrowed), fn, arg.
 */
PX_MUST_CHECK int kernel_scan(const kernel_t *k, uint64_t *scanned,
                              const kernel_job_t *job, uint32_t start,
                              uint64_t count, kernel_hit_fn fn, void *arg);

/* The version of rolled header i of a job whose first header has version
 * base. */
static inline uint32_t kernel_rolled_version(uint32_t base, unsigned i)
{
    return base ^ ((uint32_t)i << KERNEL_ROLL_SHIFT);
}

/*
 * Prepares a rolled job of versions headers (1, 2, 4, 8 or 16; others are
 * rounded down to one of these, 0 to 1): header as given, then with its
 * version rolled. The nonce bytes of header are ignored.
 */
void kernel_rolljob_init(kernel_rolljob_t *rj, const uint8_t header[80],
                         const uint8_t target[32], unsigned versions);

/*
 * Scans nonces start .. start+count-1 of every version of rj and calls fn
 * for each (version, nonce) that meets the target, in the order described
 * at kernel_roll_hit_fn. With rj->versions == 1 this is kernel_scan().
 * Returns: as kernel_scan().
 * Out:     *scanned (may be NULL) = nonces tried, each in every version:
 *          count, or fewer when fn asked to stop (then the stopping nonce
 *          is the last one counted).
 */
PX_MUST_CHECK int kernel_scan_rolled(const kernel_t *k, uint64_t *scanned,
                                     const kernel_rolljob_t *rj, uint32_t start,
                                     uint64_t count, kernel_roll_hit_fn fn,
                                     void *arg);

/* The number of versions k hashes at once, sharing work between them: the
 * rolled job size that makes k fastest (1 when it gains nothing). */
unsigned kernel_roll_versions(const kernel_t *k);

/* The kernel's name ("generic", "avx512", ...). */
const char *kernel_name(const kernel_t *k);

/* Nonces the kernel hashes per step (1, 2, 8 or 16). */
unsigned kernel_lanes(const kernel_t *k);

/* True when this CPU and OS can run k and PICKAXE_NO_KERNEL does not name it.
 */
bool kernel_available(const kernel_t *k);

/* Number of kernels, and the i-th (0 <= i < kernel_count()), in the order of
 * the list above (generic first). */
size_t kernel_count(void);
const kernel_t *kernel_at(size_t i);

/* The kernel called name, available or not; NULL when there is none. */
const kernel_t *kernel_find(const char *name);

/* The fastest available kernel on this machine (never NULL: generic is
 * always available). */
const kernel_t *kernel_auto(void);

/*
 * Resolves a user's choice: a kernel name or "auto".
 * Returns: 0; ERR_ARG for an unknown name; ERR_UNSUPPORTED when the named
 *          kernel cannot run on this CPU.
 * Out:     *k, written only on success.
 */
PX_MUST_CHECK int kernel_select(const kernel_t **k, const char *name);

/*
 * Runs k on known answers (the Bitcoin genesis header around its nonce, and
 * a relaxed target checked against OpenSSL), as a node does at start.
 * Returns: 0; ERR_UNSUPPORTED when unavailable; ERR_INVALID on a wrong answer.
 */
PX_MUST_CHECK int kernel_self_test(const kernel_t *k);

/* SHA256d of the job's header with this nonce, computed in portable C.
 * Out: hash (SHA-256 byte order). */
void kernel_hash(uint8_t hash[32], const kernel_job_t *job, uint32_t nonce);

/* True when hash, read as a 256-bit little-endian number, is <= target. */
bool kernel_hash_meets(const uint8_t hash[32], const uint8_t target[32]);

#endif
