/*
 * sha256d_shani_tmpl — SHA256d of WAYS header nonces with the x86 SHA
 * extensions, interleaved: every step is written once and repeated for each
 * way, so the WAYS independent dependency chains fill the 4-cycle latency
 * of sha256rnds2. Included by sha256_shani.c (WAYS 1) and sha256_shani2.c
 * (WAYS 2) after defining WAYS; those files are compiled with -msha
 * -msse4.1. No include guard: it is a template.
 *
 * SHA-NI keeps the state as two vectors, ABEF and CDGH, and sha256rnds2 does
 * two rounds with K + W given in the low two lanes of its message operand.
 * What is skipped relative to two plain compressions: rounds 0..1 of the
 * header's second block (they read only header words; the state after them
 * is per job), the message additions of rounds 4..15 of the first hash and
 * 8..15 of the second (padding words, K + W per job), and the last two
 * rounds of the second hash: after round 61 the F lane already holds the
 * value that ends up as the hash's last word H7 - IV7.
 */

typedef struct {
    __m128i abef, cdgh;     /* first hash, after rounds 0..1 of block 2 */
    __m128i w0, w1, w2, w3; /* W0..3 (W3 = 0), W4..7, W8..11, W12..15 */
    __m128i kw[4];          /* K + W for rounds 4..15 (index 1..3) */
    __m128i mid_abef, mid_cdgh, iv_abef, iv_cdgh;
    __m128i h2w2, h2w3, h2kw[4]; /* second hash: W8..11, W12..15, K + W */
} shani_ctx_t;

static inline __m128i shani_k(int i)
{
    return _mm_loadu_si128((const __m128i *)(kernel_k + i));
}

static void shani_ctx_init(shani_ctx_t *c, const kernel_job_t *job)
{
    const uint32_t *m = job->mid, *b = job->blk, *iv = kernel_iv;
    /* _mm_set_epi32 lists lanes high to low: ABEF has A in the top lane. */
    c->abef =
        _mm_set_epi32((int)job->a2, (int)job->a1, (int)job->e2, (int)job->e1);
    c->cdgh = _mm_set_epi32((int)m[0], (int)m[1], (int)m[4], (int)m[5]);
    c->mid_abef = _mm_set_epi32((int)m[0], (int)m[1], (int)m[4], (int)m[5]);
    c->mid_cdgh = _mm_set_epi32((int)m[2], (int)m[3], (int)m[6], (int)m[7]);
    c->iv_abef = _mm_set_epi32((int)iv[0], (int)iv[1], (int)iv[4], (int)iv[5]);
    c->iv_cdgh = _mm_set_epi32((int)iv[2], (int)iv[3], (int)iv[6], (int)iv[7]);
    c->w0 = _mm_loadu_si128((const __m128i *)(b + 0));
    c->w1 = _mm_loadu_si128((const __m128i *)(b + 4));
    c->w2 = _mm_loadu_si128((const __m128i *)(b + 8));
    c->w3 = _mm_loadu_si128((const __m128i *)(b + 12));
    c->kw[0] = _mm_add_epi32(c->w0, shani_k(0));
    c->kw[1] = _mm_add_epi32(c->w1, shani_k(4));
    c->kw[2] = _mm_add_epi32(c->w2, shani_k(8));
    c->kw[3] = _mm_add_epi32(c->w3, shani_k(12));
    c->h2w2 = _mm_set_epi32(0, 0, 0, (int)0x80000000u);
    c->h2w3 = _mm_set_epi32(256, 0, 0, 0);
    c->h2kw[2] = _mm_add_epi32(c->h2w2, shani_k(8));
    c->h2kw[3] = _mm_add_epi32(c->h2w3, shani_k(12));
}

/* Four rounds: A holds ABEF and C CDGH before and after. */
#define SH_QR(A, C, msg)                                                       \
    do {                                                                       \
        C = _mm_sha256rnds2_epu32(C, A, msg);                                  \
        A = _mm_sha256rnds2_epu32(A, C, _mm_shuffle_epi32(msg, 0x0e));         \
    } while (0)

/* Next four schedule words from the last sixteen (m0 oldest). */
#define SH_SCHED(m0, m1, m2, m3)                                               \
    _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m0, m1),           \
                                       _mm_alignr_epi8(m3, m2, 4)),            \
                         m3)

#define FOR_WAYS _Pragma("GCC unroll 4") for (int l = 0; l < WAYS; l++)

/* For each way, h7[l] = H7 - IV7 of the hash of nonce[l]'s header, where
 * H7 is the last state word of the second hash. */
static inline void shani_sums(const shani_ctx_t *c, const uint32_t *nonce,
                              uint32_t *h7)
{
    __m128i A[WAYS], C[WAYS], m0[WAYS], m1[WAYS], m2[WAYS], m3[WAYS];

    /* First hash, second block: rounds 2..3 carry the nonce in W3. */
    FOR_WAYS
    {
        m0[l] = _mm_insert_epi32(c->w0, (int)__builtin_bswap32(nonce[l]), 3);
        m1[l] = c->w1;
        m2[l] = c->w2;
        m3[l] = c->w3;
        C[l] = c->cdgh;
        A[l] = c->abef;
        __m128i msg = _mm_add_epi32(m0[l], shani_k(0));
        /* After these two rounds ABEF is in C: swap the names back. */
        C[l] = _mm_sha256rnds2_epu32(C[l], A[l], _mm_shuffle_epi32(msg, 0x0e));
        __m128i t = A[l];
        A[l] = C[l];
        C[l] = t;
    }
    _Pragma("GCC unroll 4") for (int q = 1; q < 4; q++)
        FOR_WAYS SH_QR(A[l], C[l], c->kw[q]);
    _Pragma("GCC unroll 12") for (int r = 16; r < 64; r += 4)
    {
        FOR_WAYS
        {
            __m128i n = SH_SCHED(m0[l], m1[l], m2[l], m3[l]);
            m0[l] = m1[l];
            m1[l] = m2[l];
            m2[l] = m3[l];
            m3[l] = n;
            SH_QR(A[l], C[l], _mm_add_epi32(n, shani_k(r)));
        }
    }

    /* The first hash's state is the second hash's message, reordered from
     * ABEF/CDGH to W0..3 = ABCD and W4..7 = EFGH. */
    FOR_WAYS
    {
        __m128i abef = _mm_add_epi32(A[l], c->mid_abef);
        __m128i cdgh = _mm_add_epi32(C[l], c->mid_cdgh);
        m0[l] = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b);
        m1[l] = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b);
        m2[l] = c->h2w2;
        m3[l] = c->h2w3;
        A[l] = c->iv_abef;
        C[l] = c->iv_cdgh;
        SH_QR(A[l], C[l], _mm_add_epi32(m0[l], shani_k(0)));
    }
    FOR_WAYS SH_QR(A[l], C[l], _mm_add_epi32(m1[l], shani_k(4)));
    FOR_WAYS SH_QR(A[l], C[l], c->h2kw[2]);
    FOR_WAYS SH_QR(A[l], C[l], c->h2kw[3]);
    _Pragma("GCC unroll 11") for (int r = 16; r < 60; r += 4)
    {
        FOR_WAYS
        {
            __m128i n = SH_SCHED(m0[l], m1[l], m2[l], m3[l]);
            m0[l] = m1[l];
            m1[l] = m2[l];
            m2[l] = m3[l];
            m3[l] = n;
            SH_QR(A[l], C[l], _mm_add_epi32(n, shani_k(r)));
        }
    }
    /* Rounds 60..61 only: the new ABEF's F lane is e after round 60. */
    FOR_WAYS
    {
        __m128i n = SH_SCHED(m0[l], m1[l], m2[l], m3[l]);
        C[l] = _mm_sha256rnds2_epu32(C[l], A[l], _mm_add_epi32(n, shani_k(60)));
        h7[l] = (uint32_t)_mm_cvtsi128_si32(C[l]);
    }
}

#undef SH_QR
#undef SH_SCHED
#undef FOR_WAYS
