/*
 * sha256_avx512 — sixteen nonces per step in the 32-bit lanes of a 512-bit
 * vector (AVX-512F + BW), through the shared template (sha256d_tmpl.h).
 *
 * The lane operations (rotates, three-input logic) are in
 * sha256_avx512_ops.h. The nonce words are byte-swapped with one vpshufb
 * per step. Lanes past the end of the range are hashed but masked out of
 * the result, so a range ending at 0xffffffff never wraps. Several versions
 * of a header at once (version rolling) are sha256_avx512_roll.c's.
 *
 * Compiled with -mavx512f -mavx512vl -mavx512bw; only called when kernel.c
 * has seen those features and the OS's ZMM state support.
 */
#include <stdint.h>

#include "kernel_impl.h"

#include "sha256_avx512_ops.h"
#include "sha256d_tmpl.h"

uint64_t sha256_avx512_scan(const kernel_job_t *job, uint32_t start,
                            uint64_t count, kernel_hit_fn fn, void *arg)
{
    const __m512i lane =
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i want = BC(0u - job->h7k);
    const __m512i h7k = BC(job->h7k);
    const __m512i top = BC(job->target_top);
    const bool exact = job->target_top == 0;

    for (uint64_t i = 0; i < count; i += 16) {
        __m512i n = ADD(BC(start + (uint32_t)i), lane);
        __m512i s = tmpl_sha256d_sum(job, avx512_bswap32(n));
        __mmask16 m;
        if (exact)
            m = _mm512_cmpeq_epi32_mask(s, want);
        else
            m = _mm512_cmple_epu32_mask(avx512_bswap32(ADD(s, h7k)), top);
        if (__builtin_expect(m != 0, 0)) {
            uint64_t left = count - i;
            if (left < 16)
                m &= (__mmask16)((1u << left) - 1);
            while (m) {
                unsigned l = (unsigned)__builtin_ctz(m);
                m &= (__mmask16)(m - 1);
                if (!kernel_candidate(job, start + (uint32_t)(i + l), fn, arg))
                    return i + l + 1;
            }
        }
    }
    return count;
}
