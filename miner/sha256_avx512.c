/*
 * sha256_avx512 — sixteen nonces per step in the 32-bit lanes of a 512-bit
 * vector (AVX-512F + BW), through the shared template (sha256d_tmpl.h).
 *
 * AVX-512 gives the two things SHA-256 wants from a vector unit: a rotate
 * (vprord), so each rotation is one instruction instead of two shifts and an
 * or, and three-input logic (vpternlogd), so Ch, Maj and each three-way xor
 * of a sigma is one instruction. The nonce words are byte-swapped with one
 * vpshufb per step. Lanes past the end of the range are hashed but masked
 * out of the result, so a range ending at 0xffffffff never wraps.
 *
 * sha256_avx512_scan_rolled scans several versions of the header at once
 * (kernel.h, version rolling) through sha256d_roll_tmpl.h: the nonce's
 * message schedule is built once for all versions, and two versions run
 * interleaved, which the 32 vector registers make possible.
 *
 * Compiled with -mavx512f -mavx512vl -mavx512bw; only called when kernel.c
 * has seen those features and the OS's ZMM state support.
 */
#include <immintrin.h>
#include <stdint.h>

#include "kernel_impl.h"

#define V __m512i
#define BC(x) _mm512_set1_epi32((int)(x))
#define ADD(x, y) _mm512_add_epi32(x, y)
#define XOR3(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0x96)
#define BS0(x)                                                                 \
    XOR3(_mm512_ror_epi32(x, 2), _mm512_ror_epi32(x, 13),                      \
         _mm512_ror_epi32(x, 22))
#define BS1(x)                                                                 \
    XOR3(_mm512_ror_epi32(x, 6), _mm512_ror_epi32(x, 11),                      \
         _mm512_ror_epi32(x, 25))
#define SS0(x)                                                                 \
    XOR3(_mm512_ror_epi32(x, 7), _mm512_ror_epi32(x, 18),                      \
         _mm512_srli_epi32(x, 3))
#define SS1(x)                                                                 \
    XOR3(_mm512_ror_epi32(x, 17), _mm512_ror_epi32(x, 19),                     \
         _mm512_srli_epi32(x, 10))
/* Truth tables over (a, b, c) = (0xf0, 0xcc, 0xaa). */
#define CH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xca)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xe8)

#include "sha256d_tmpl.h"
#include "sha256d_roll_tmpl.h"

uint64_t sha256_avx512_scan(const kernel_job_t *job, uint32_t start,
                            uint64_t count, kernel_hit_fn fn, void *arg)
{
    const __m512i lane =
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i bswap = _mm512_broadcast_i32x4(
        _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    const __m512i want = BC(0u - job->h7k);
    const __m512i h7k = BC(job->h7k);
    const __m512i top = BC(job->target_top);
    const bool exact = job->target_top == 0;

    for (uint64_t i = 0; i < count; i += 16) {
        __m512i n = ADD(BC(start + (uint32_t)i), lane);
        __m512i s = tmpl_sha256d_sum(job, _mm512_shuffle_epi8(n, bswap));
        __mmask16 m;
        if (exact)
            m = _mm512_cmpeq_epi32_mask(s, want);
        else
            m = _mm512_cmple_epu32_mask(_mm512_shuffle_epi8(ADD(s, h7k), bswap),
                                        top);
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

/* Two versions' round-60 sums; kept out of line so the loop around it stays
 * small. */
static __attribute__((noinline)) void roll_pair(const kernel_job_t *ja,
                                                const kernel_job_t *jb,
                                                __m512i w3, const __m512i *kw,
                                                __m512i out[2])
{
    tmpl_roll_sums(ja, jb, w3, kw, out);
}

uint64_t sha256_avx512_scan_rolled(const kernel_rolljob_t *rj, uint32_t start,
                                   uint64_t count, kernel_roll_hit_fn fn,
                                   void *arg)
{
    const __m512i lane =
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i bswap = _mm512_broadcast_i32x4(
        _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    /* Everything but the midstate is the same in every version. */
    const kernel_job_t *job = &rj->job[0];
    const __m512i want = BC(0u - job->h7k);
    const __m512i h7k = BC(job->h7k);
    const __m512i top = BC(job->target_top);
    const bool exact = job->target_top == 0;
    const unsigned nv = rj->versions; /* even: 2, 4, 8 or 16 */
    __attribute__((aligned(64))) __m512i kw[64];
    __mmask16 m[KERNEL_ROLL_MAX];

    for (uint64_t i = 0; i < count; i += 16) {
        __m512i w3 =
            _mm512_shuffle_epi8(ADD(BC(start + (uint32_t)i), lane), bswap);
        tmpl_roll_schedule(job, w3, kw);
        __mmask16 any = 0;
        for (unsigned v = 0; v < nv; v += 2) {
            __m512i s[2];
            roll_pair(&rj->job[v], &rj->job[v + 1], w3, kw, s);
            for (unsigned j = 0; j < 2; j++) {
                if (exact)
                    m[v + j] = _mm512_cmpeq_epi32_mask(s[j], want);
                else
                    m[v + j] = _mm512_cmple_epu32_mask(
                        _mm512_shuffle_epi8(ADD(s[j], h7k), bswap), top);
                any |= m[v + j];
            }
        }
        if (__builtin_expect(any != 0, 0)) {
            uint64_t left = count - i;
            if (left < 16)
                any &= (__mmask16)((1u << left) - 1);
            /* Nonce order, then version order. */
            while (any) {
                unsigned l = (unsigned)__builtin_ctz(any);
                any &= (__mmask16)(any - 1);
                uint32_t nonce = start + (uint32_t)(i + l);
                for (unsigned v = 0; v < nv; v++) {
                    if (((m[v] >> l) & 1u) &&
                        !kernel_roll_candidate(rj, v, nonce, fn, arg))
                        return i + l + 1;
                }
            }
        }
    }
    return count;
}
