/*
 * sha256_avx2 — eight nonces per step in the 32-bit lanes of a 256-bit
 * vector, through the shared template (sha256d_tmpl.h).
 *
 * AVX2 has no vector rotate and no three-input logic, so a rotation is two
 * shifts and an or and each sigma costs eleven instructions; that is why
 * this kernel trails the SHA extensions on CPUs that have both. Lanes past
 * the end of the range are hashed but masked out, so a range ending at
 * 0xffffffff never wraps. The unsigned comparison of the early test is done
 * as min(x, top) == x, since AVX2 compares only signed.
 *
 * Compiled with -mavx2; only called when kernel.c has seen AVX2 and the
 * OS's YMM state support.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernel_impl.h"

#define V __m256i
#define BC(x) _mm256_set1_epi32((int)(x))
#define ADD(x, y) _mm256_add_epi32(x, y)
#define XOR(x, y) _mm256_xor_si256(x, y)
#define ROR(x, n)                                                              \
    _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define BS0(x) XOR(XOR(ROR(x, 2), ROR(x, 13)), ROR(x, 22))
#define BS1(x) XOR(XOR(ROR(x, 6), ROR(x, 11)), ROR(x, 25))
#define SS0(x) XOR(XOR(ROR(x, 7), ROR(x, 18)), _mm256_srli_epi32(x, 3))
#define SS1(x) XOR(XOR(ROR(x, 17), ROR(x, 19)), _mm256_srli_epi32(x, 10))
#define CH(e, f, g) XOR(g, _mm256_and_si256(e, XOR(f, g)))
#define MAJ(a, b, c)                                                           \
    _mm256_or_si256(_mm256_and_si256(a, b),                                    \
                    _mm256_and_si256(c, _mm256_or_si256(a, b)))

#include "sha256d_tmpl.h"

uint64_t sha256_avx2_scan(const kernel_job_t *job, uint32_t start,
                          uint64_t count, kernel_hit_fn fn, void *arg)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i bswap =
        _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                         3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    const __m256i want = BC(0u - job->h7k);
    const __m256i h7k = BC(job->h7k);
    const __m256i top = BC(job->target_top);
    const bool exact = job->target_top == 0;

    for (uint64_t i = 0; i < count; i += 8) {
        __m256i n = ADD(BC(start + (uint32_t)i), lane);
        __m256i s = tmpl_sha256d_sum(job, _mm256_shuffle_epi8(n, bswap));
        __m256i eq;
        if (exact) {
            eq = _mm256_cmpeq_epi32(s, want);
        } else {
            __m256i t = _mm256_shuffle_epi8(ADD(s, h7k), bswap);
            eq = _mm256_cmpeq_epi32(_mm256_min_epu32(t, top), t);
        }
        unsigned m = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq));
        if (__builtin_expect(m != 0, 0)) {
            uint64_t left = count - i;
            if (left < 8)
                m &= (1u << left) - 1;
            while (m) {
                unsigned l = (unsigned)__builtin_ctz(m);
                m &= m - 1;
                if (!kernel_candidate(job, start + (uint32_t)(i + l), fn, arg))
                    return i + l + 1;
            }
        }
    }
    return count;
}
