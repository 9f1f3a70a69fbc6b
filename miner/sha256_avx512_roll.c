/*
 * sha256_avx512_roll — the AVX-512 kernel's scan of several versions of a
 * header at once (kernel.h, version rolling): sixteen nonces per step in the
 * lanes of a 512-bit vector, through sha256d_roll_tmpl.h. The nonce's
 * message schedule is built once for all versions, and the rounds of two
 * versions run interleaved, which the 32 vector registers make possible.
 *
 * A file of its own for its compiler flags: with the schedule in memory and
 * two streams of state in registers, gcc's register-pressure-aware
 * scheduling (-fsched-pressure) measurably helps it and hurts the one-version
 * kernel (benchmarks.md, "Miner").
 *
 * Compiled with -mavx512f -mavx512vl -mavx512bw; only called when kernel.c
 * has seen those features and the OS's ZMM state support.
 */
#include <stdint.h>

#include "kernel_impl.h"
#include "sha256_avx512_ops.h"

/* The one-version template first: the rolled one uses its round macros. */
#include "sha256d_tmpl.h"
/* (kept apart so that include sorting cannot swap them) */
#include "sha256d_roll_tmpl.h"

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
        __m512i w3 = avx512_bswap32(ADD(BC(start + (uint32_t)i), lane));
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
                        avx512_bswap32(ADD(s[j], h7k)), top);
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
