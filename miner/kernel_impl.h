/*
 * kernel_impl — what the kernel files share with the dispatcher (kernel.c).
 *
 * Private to miner/: each kernel file exports one scan function with the
 * contract below, and uses kernel_candidate() to turn a lane that passed the
 * cheap early test into a verified hit. Nothing here is for other modules.
 */
#ifndef PICKAXE_KERNEL_IMPL_H
#define PICKAXE_KERNEL_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

/* SHA-256 round constants and initial state (FIPS 180-4). */
extern const uint32_t kernel_k[64];
extern const uint32_t kernel_iv[8];

/*
 * The scan contract shared by every kernel: scan nonces start ..
 * start+count-1 (the caller guarantees start + count <= 2^32 and count > 0),
 * call fn for every verified hit in nonce order, and return how many nonces
 * were tried (count, or up to and including the nonce where fn returned
 * false).
 */
typedef uint64_t (*kernel_scan_fn)(const kernel_job_t *job, uint32_t start,
                                   uint64_t count, kernel_hit_fn fn, void *arg);

uint64_t sha256_generic_scan(const kernel_job_t *job, uint32_t start,
                             uint64_t count, kernel_hit_fn fn, void *arg);
uint64_t sha256_openssl_scan(const kernel_job_t *job, uint32_t start,
                             uint64_t count, kernel_hit_fn fn, void *arg);
uint64_t sha256_shani_scan(const kernel_job_t *job, uint32_t start,
                           uint64_t count, kernel_hit_fn fn, void *arg);
uint64_t sha256_shani2_scan(const kernel_job_t *job, uint32_t start,
                            uint64_t count, kernel_hit_fn fn, void *arg);
uint64_t sha256_avx2_scan(const kernel_job_t *job, uint32_t start,
                          uint64_t count, kernel_hit_fn fn, void *arg);
uint64_t sha256_avx512_scan(const kernel_job_t *job, uint32_t start,
                            uint64_t count, kernel_hit_fn fn, void *arg);

/* The rolled-scan contract: as kernel_scan_fn over every version of rj
 * (rj->versions >= 2), reporting hits in kernel_roll_hit_fn's order. Only
 * kernels that share work between versions have one. */
typedef uint64_t (*kernel_scan_rolled_fn)(const kernel_rolljob_t *rj,
                                          uint32_t start, uint64_t count,
                                          kernel_roll_hit_fn fn, void *arg);

uint64_t sha256_avx512_scan_rolled(const kernel_rolljob_t *rj, uint32_t start,
                                   uint64_t count, kernel_roll_hit_fn fn,
                                   void *arg);

/*
 * A nonce passed a kernel's early test (the top 32 bits of its hash are at
 * most the target's). Recomputes the full hash in portable C, compares it
 * with the whole target, and calls fn on a hit.
 * Returns: false when fn asked to stop scanning, true otherwise.
 */
bool kernel_candidate(const kernel_job_t *job, uint32_t nonce, kernel_hit_fn fn,
                      void *arg);

/*
 * As kernel_candidate for version i of a rolled job: recomputes the hash of
 * (rj->job[i], nonce) in portable C and calls fn(arg, i, nonce, hash) on a
 * hit. Returns: false when fn asked to stop, true otherwise.
 */
bool kernel_roll_candidate(const kernel_rolljob_t *rj, unsigned i,
                           uint32_t nonce, kernel_roll_hit_fn fn, void *arg);

/* The 32-bit word the early test compares: top 32 bits of the hash as a
 * little-endian number is bswap(H7), H7 = round-60 sum + job->h7k. */
static inline bool kernel_top_passes(const kernel_job_t *job, uint32_t sum)
{
    return __builtin_bswap32(sum + job->h7k) <= job->target_top;
}

#endif
