/*
 * sha256_shani2 — the x86 SHA-extension kernel, two nonces interleaved, so two
 * independent sha256rnds2 chains keep the SHA unit busy while each waits out
 * its latency. The rounds are in sha256d_shani_tmpl.h, shared with the other
 * SHA-NI kernel.
 *
 * Compiled with -msha -msse4.1; only called when kernel.c has seen SHA,
 * SSSE3 and SSE4.1 in CPUID.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernel_impl.h"

#define WAYS 2
#include "sha256d_shani_tmpl.h"

uint64_t sha256_shani2_scan(const kernel_job_t *job, uint32_t start,
                            uint64_t count, kernel_hit_fn fn, void *arg)
{
    shani_ctx_t c;
    shani_ctx_init(&c, job);
    /* With a zero top target word the early test is H7 == 0. */
    const uint32_t want = 0u - kernel_iv[7];
    const bool exact = job->target_top == 0;
    uint32_t nonce[WAYS], h7[WAYS];
    for (uint64_t i = 0; i < count; i += WAYS) {
        for (int l = 0; l < WAYS; l++)
            nonce[l] = start + (uint32_t)i + (uint32_t)l;
        shani_sums(&c, nonce, h7);
        for (int l = 0; l < WAYS && i + (uint64_t)l < count; l++) {
            bool cand = exact ? h7[l] == want
                              : __builtin_bswap32(h7[l] + kernel_iv[7]) <=
                                    job->target_top;
            if (cand && !kernel_candidate(job, nonce[l], fn, arg))
                return i + (uint64_t)l + 1;
        }
    }
    return count;
}
