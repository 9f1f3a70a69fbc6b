/*
 * sha256_generic — the portable C kernel: one nonce at a time through the
 * shared SHA256d template (sha256d_tmpl.h), so it uses the same midstate,
 * precomputed rounds and early exit as the SIMD kernels. It runs on any CPU
 * and is the fallback of kernel_auto().
 */
#include <stdint.h>

#include "kernel_impl.h"

#define V uint32_t
#define BC(x) ((uint32_t)(x))
#define ADD(x, y) ((uint32_t)((x) + (y)))
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BS0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define BS1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define SS0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SS1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))

#include "sha256d_tmpl.h"

uint64_t sha256_generic_scan(const kernel_job_t *job, uint32_t start,
                             uint64_t count, kernel_hit_fn fn, void *arg)
{
    /* With a zero top target word the test is H7 == 0, i.e. sum == -h7k. */
    const uint32_t want = 0u - job->h7k;
    const bool exact = job->target_top == 0;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t nonce = (uint32_t)(start + i);
        uint32_t s = tmpl_sha256d_sum(job, __builtin_bswap32(nonce));
        bool cand = exact ? s == want : kernel_top_passes(job, s);
        if (cand && !kernel_candidate(job, nonce, fn, arg))
            return i + 1;
    }
    return count;
}
