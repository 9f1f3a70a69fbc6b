/*
 * sha256_avx512_ops — the lane operations of the SHA256d templates
 * (sha256d_tmpl.h, sha256d_roll_tmpl.h) for sixteen 32-bit lanes of a
 * 512-bit vector: shared by the two AVX-512 kernel files. Only included by
 * files compiled with -mavx512f -mavx512vl -mavx512bw.
 *
 * AVX-512 gives the two things SHA-256 wants from a vector unit: a rotate
 * (vprord), so each rotation is one instruction instead of two shifts and an
 * or, and three-input logic (vpternlogd), so Ch, Maj and each three-way xor
 * of a sigma is one instruction.
 */
#ifndef PICKAXE_SHA256_AVX512_OPS_H
#define PICKAXE_SHA256_AVX512_OPS_H

#include <immintrin.h>

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

/* The byte swap of each 32-bit lane (nonce to message word and back). */
static inline __m512i avx512_bswap32(__m512i x)
{
    const __m512i idx = _mm512_broadcast_i32x4(
        _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    return _mm512_shuffle_epi8(x, idx);
}

#endif
