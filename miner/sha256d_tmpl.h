/*
 * sha256d_tmpl — the SHA256d of one header nonce per lane, written once for
 * any lane type: included by sha256_generic.c (V = uint32_t), sha256_avx2.c
 * (8 lanes) and sha256_avx512.c (16 lanes), each of which defines the
 * operations below first. No include guard: it is a template.
 *
 * Required before inclusion:
 *   V               the lane vector type
 *   BC(x)           broadcast a uint32_t to every lane
 *   ADD(x, y)       lane-wise addition mod 2^32
 *   BS0, BS1        SHA-256 big sigmas (Σ0, Σ1)
 *   SS0, SS1        SHA-256 small sigmas (σ0, σ1)
 *   CH(e, f, g)     choose;  MAJ(a, b, c) majority
 *
 * Defines: static V tmpl_sha256d_sum(const kernel_job_t *job, V w3)
 * returning, for each lane's nonce word W3 (the nonce byte-swapped, as the
 * message word SHA-256 reads), the sum s of round 60 of the second hash
 * without its constant K60. The hash's last state word is H7 = s + job->h7k,
 * so a caller tests the top 32 bits of the hash (bswap(H7)) without running
 * rounds 61..63 at all; when the target's top word is zero the test is just
 * s == -job->h7k.
 *
 * What is skipped relative to two plain compressions (see kernel_job_t):
 * first hash: rounds 0..2 (precomputed), round 3 reduced to two adds, K+W
 * folded for the padding rounds 4..17, nonce-independent schedule terms of
 * W16..W32 precomputed; second hash: round 0 reduced to two adds, K+W folded
 * for its padding rounds 8..15, zero padding words dropped from W16..W31,
 * rounds 57..59 compute only e (their a is never read), round 60 only its
 * sum, rounds 61..63 not at all, and W61..W63 are never built.
 */

/* One round: a..h are variable names rotated by the caller; X is h + K + W.
 * Writes the new e into D and the new a into H. */
#define TMPL_RND(A, B, C, D, E, F, G, H, X)                                    \
    do {                                                                       \
        V t1_ = ADD(ADD(X, CH(E, F, G)), BS1(E));                              \
        D = ADD(D, t1_);                                                       \
        H = ADD(t1_, ADD(BS0(A), MAJ(A, B, C)));                               \
    } while (0)

/* A round whose new a is never read: only the new e. */
#define TMPL_RND_E(A, B, C, D, E, F, G, H, X)                                  \
    do {                                                                       \
        V t1_ = ADD(ADD(X, CH(E, F, G)), BS1(E));                              \
        D = ADD(D, t1_);                                                       \
    } while (0)

/* Round i with message word w (K added here). */
#define TMPL_RK(A, B, C, D, E, F, G, H, i, w)                                  \
    TMPL_RND(A, B, C, D, E, F, G, H, ADD(H, ADD(w, BC(kernel_k[i]))))

/* Round with a job constant kw = K + W. */
#define TMPL_RC(A, B, C, D, E, F, G, H, kwv)                                   \
    TMPL_RND(A, B, C, D, E, F, G, H, ADD(H, BC(kwv)))

/* Schedule: w (holding W[i-16]) becomes W[i]. */
#define TMPL_SCH(w, wm2, wm7, wm15)                                            \
    w = ADD(ADD(SS1(wm2), wm7), ADD(SS0(wm15), w))

/* Rounds i0+1 .. i0+15 with the generic schedule (i0 a multiple of 16). */
#define TMPL_ROUNDS_1_15(i0)                                                   \
    TMPL_SCH(x1, x15, x10, x2);                                                \
    TMPL_RK(h, a, b, c, d, e, f, g, (i0) + 1, x1);                             \
    TMPL_SCH(x2, x0, x11, x3);                                                 \
    TMPL_RK(g, h, a, b, c, d, e, f, (i0) + 2, x2);                             \
    TMPL_SCH(x3, x1, x12, x4);                                                 \
    TMPL_RK(f, g, h, a, b, c, d, e, (i0) + 3, x3);                             \
    TMPL_SCH(x4, x2, x13, x5);                                                 \
    TMPL_RK(e, f, g, h, a, b, c, d, (i0) + 4, x4);                             \
    TMPL_SCH(x5, x3, x14, x6);                                                 \
    TMPL_RK(d, e, f, g, h, a, b, c, (i0) + 5, x5);                             \
    TMPL_SCH(x6, x4, x15, x7);                                                 \
    TMPL_RK(c, d, e, f, g, h, a, b, (i0) + 6, x6);                             \
    TMPL_SCH(x7, x5, x0, x8);                                                  \
    TMPL_RK(b, c, d, e, f, g, h, a, (i0) + 7, x7);                             \
    TMPL_SCH(x8, x6, x1, x9);                                                  \
    TMPL_RK(a, b, c, d, e, f, g, h, (i0) + 8, x8);                             \
    TMPL_SCH(x9, x7, x2, x10);                                                 \
    TMPL_RK(h, a, b, c, d, e, f, g, (i0) + 9, x9);                             \
    TMPL_SCH(x10, x8, x3, x11);                                                \
    TMPL_RK(g, h, a, b, c, d, e, f, (i0) + 10, x10);                           \
    TMPL_SCH(x11, x9, x4, x12);                                                \
    TMPL_RK(f, g, h, a, b, c, d, e, (i0) + 11, x11);                           \
    TMPL_SCH(x12, x10, x5, x13);                                               \
    TMPL_RK(e, f, g, h, a, b, c, d, (i0) + 12, x12);                           \
    TMPL_SCH(x13, x11, x6, x14);                                               \
    TMPL_RK(d, e, f, g, h, a, b, c, (i0) + 13, x13);                           \
    TMPL_SCH(x14, x12, x7, x15);                                               \
    TMPL_RK(c, d, e, f, g, h, a, b, (i0) + 14, x14);                           \
    TMPL_SCH(x15, x13, x8, x0);                                                \
    TMPL_RK(b, c, d, e, f, g, h, a, (i0) + 15, x15)

static inline V tmpl_sha256d_sum(const kernel_job_t *job, V w3)
{
    V a, b, c, d, e, f, g, h;
    V x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15;

    /* ---- first hash, second block ----
     * Round i works on the names rotated right by i mod 8; rounds 0..2 are
     * in the job and round 3 is two adds, so the state enters round 4 with
     * the a-role in name e. */
    e = ADD(BC(job->r3a), w3);
    f = BC(job->a3);
    g = BC(job->a2);
    h = BC(job->a1);
    a = ADD(BC(job->r3e), w3);
    b = BC(job->e3);
    c = BC(job->e2);
    d = BC(job->e1);
    TMPL_RND(e, f, g, h, a, b, c, d, BC(job->x4));
    TMPL_RND(d, e, f, g, h, a, b, c, BC(job->x5));
    TMPL_RND(c, d, e, f, g, h, a, b, BC(job->x6));
    TMPL_RC(b, c, d, e, f, g, h, a, job->kw[7]);
    TMPL_RC(a, b, c, d, e, f, g, h, job->kw[8]);
    TMPL_RC(h, a, b, c, d, e, f, g, job->kw[9]);
    TMPL_RC(g, h, a, b, c, d, e, f, job->kw[10]);
    TMPL_RC(f, g, h, a, b, c, d, e, job->kw[11]);
    TMPL_RC(e, f, g, h, a, b, c, d, job->kw[12]);
    TMPL_RC(d, e, f, g, h, a, b, c, job->kw[13]);
    TMPL_RC(c, d, e, f, g, h, a, b, job->kw[14]);
    TMPL_RC(b, c, d, e, f, g, h, a, job->kw[15]);
    /* W16, W17 do not depend on the nonce; later words only partly. */
    TMPL_RC(a, b, c, d, e, f, g, h, job->kw[16]);
    TMPL_RC(h, a, b, c, d, e, f, g, job->kw[17]);
    x0 = BC(job->w16);
    x1 = BC(job->w17);
    x2 = ADD(BC(job->c18), SS0(w3));
    TMPL_RK(g, h, a, b, c, d, e, f, 18, x2);
    x3 = ADD(BC(job->c19), w3);
    TMPL_RK(f, g, h, a, b, c, d, e, 19, x3);
    x4 = ADD(SS1(x2), BC(0x80000000u));
    TMPL_RK(e, f, g, h, a, b, c, d, 20, x4);
    x5 = SS1(x3);
    TMPL_RK(d, e, f, g, h, a, b, c, 21, x5);
    x6 = ADD(SS1(x4), BC(640u));
    TMPL_RK(c, d, e, f, g, h, a, b, 22, x6);
    x7 = ADD(SS1(x5), x0);
    TMPL_RK(b, c, d, e, f, g, h, a, 23, x7);
    x8 = ADD(SS1(x6), x1);
    TMPL_RK(a, b, c, d, e, f, g, h, 24, x8);
    x9 = ADD(SS1(x7), x2);
    TMPL_RK(h, a, b, c, d, e, f, g, 25, x9);
    x10 = ADD(SS1(x8), x3);
    TMPL_RK(g, h, a, b, c, d, e, f, 26, x10);
    x11 = ADD(SS1(x9), x4);
    TMPL_RK(f, g, h, a, b, c, d, e, 27, x11);
    x12 = ADD(SS1(x10), x5);
    TMPL_RK(e, f, g, h, a, b, c, d, 28, x12);
    x13 = ADD(SS1(x11), x6);
    TMPL_RK(d, e, f, g, h, a, b, c, 29, x13);
    x14 = ADD(ADD(SS1(x12), x7), BC(job->c30));
    TMPL_RK(c, d, e, f, g, h, a, b, 30, x14);
    x15 = ADD(ADD(SS1(x13), x8), BC(job->c31));
    TMPL_RK(b, c, d, e, f, g, h, a, 31, x15);
    x0 = ADD(ADD(SS1(x14), x9), BC(job->c32));
    TMPL_RK(a, b, c, d, e, f, g, h, 32, x0);
    TMPL_ROUNDS_1_15(32);
    TMPL_SCH(x0, x14, x9, x1);
    TMPL_RK(a, b, c, d, e, f, g, h, 48, x0);
    TMPL_ROUNDS_1_15(48);

    /* The first hash's words are the second hash's message. */
    x0 = ADD(a, BC(job->mid[0]));
    x1 = ADD(b, BC(job->mid[1]));
    x2 = ADD(c, BC(job->mid[2]));
    x3 = ADD(d, BC(job->mid[3]));
    x4 = ADD(e, BC(job->mid[4]));
    x5 = ADD(f, BC(job->mid[5]));
    x6 = ADD(g, BC(job->mid[6]));
    x7 = ADD(h, BC(job->mid[7]));

    /* ---- second hash ----
     * Round 0 from the fixed initial state is two adds; the state enters
     * round 1 with the a-role in name h. */
    h = ADD(x0, BC(job->h2a1));
    a = BC(kernel_iv[0]);
    b = BC(kernel_iv[1]);
    c = BC(kernel_iv[2]);
    d = ADD(x0, BC(job->h2e1));
    e = BC(kernel_iv[4]);
    f = BC(kernel_iv[5]);
    g = BC(kernel_iv[6]);
    TMPL_RND(h, a, b, c, d, e, f, g, ADD(x1, BC(job->h2x1)));
    TMPL_RND(g, h, a, b, c, d, e, f, ADD(x2, BC(job->h2x2)));
    TMPL_RND(f, g, h, a, b, c, d, e, ADD(x3, BC(job->h2x3)));
    TMPL_RK(e, f, g, h, a, b, c, d, 4, x4);
    TMPL_RK(d, e, f, g, h, a, b, c, 5, x5);
    TMPL_RK(c, d, e, f, g, h, a, b, 6, x6);
    TMPL_RK(b, c, d, e, f, g, h, a, 7, x7);
    TMPL_RC(a, b, c, d, e, f, g, h, job->h2kw[8]);
    TMPL_RC(h, a, b, c, d, e, f, g, job->h2kw[9]);
    TMPL_RC(g, h, a, b, c, d, e, f, job->h2kw[10]);
    TMPL_RC(f, g, h, a, b, c, d, e, job->h2kw[11]);
    TMPL_RC(e, f, g, h, a, b, c, d, job->h2kw[12]);
    TMPL_RC(d, e, f, g, h, a, b, c, job->h2kw[13]);
    TMPL_RC(c, d, e, f, g, h, a, b, job->h2kw[14]);
    TMPL_RC(b, c, d, e, f, g, h, a, job->h2kw[15]);
    /* W8..W15 are padding: 0x80000000, six zeros, 256. */
    x0 = ADD(x0, SS0(x1));
    TMPL_RK(a, b, c, d, e, f, g, h, 16, x0);
    x1 = ADD(ADD(x1, SS0(x2)), BC(job->h2s1_256));
    TMPL_RK(h, a, b, c, d, e, f, g, 17, x1);
    x2 = ADD(ADD(SS1(x0), SS0(x3)), x2);
    TMPL_RK(g, h, a, b, c, d, e, f, 18, x2);
    x3 = ADD(ADD(SS1(x1), SS0(x4)), x3);
    TMPL_RK(f, g, h, a, b, c, d, e, 19, x3);
    x4 = ADD(ADD(SS1(x2), SS0(x5)), x4);
    TMPL_RK(e, f, g, h, a, b, c, d, 20, x4);
    x5 = ADD(ADD(SS1(x3), SS0(x6)), x5);
    TMPL_RK(d, e, f, g, h, a, b, c, 21, x5);
    x6 = ADD(ADD(SS1(x4), SS0(x7)), ADD(x6, BC(256u)));
    TMPL_RK(c, d, e, f, g, h, a, b, 22, x6);
    x7 = ADD(ADD(SS1(x5), x0), ADD(x7, BC(job->h2s0_pad)));
    TMPL_RK(b, c, d, e, f, g, h, a, 23, x7);
    x8 = ADD(ADD(SS1(x6), x1), BC(0x80000000u));
    TMPL_RK(a, b, c, d, e, f, g, h, 24, x8);
    x9 = ADD(SS1(x7), x2);
    TMPL_RK(h, a, b, c, d, e, f, g, 25, x9);
    x10 = ADD(SS1(x8), x3);
    TMPL_RK(g, h, a, b, c, d, e, f, 26, x10);
    x11 = ADD(SS1(x9), x4);
    TMPL_RK(f, g, h, a, b, c, d, e, 27, x11);
    x12 = ADD(SS1(x10), x5);
    TMPL_RK(e, f, g, h, a, b, c, d, 28, x12);
    x13 = ADD(SS1(x11), x6);
    TMPL_RK(d, e, f, g, h, a, b, c, 29, x13);
    x14 = ADD(ADD(SS1(x12), x7), BC(job->h2s0_256));
    TMPL_RK(c, d, e, f, g, h, a, b, 30, x14);
    x15 = ADD(ADD(SS1(x13), x8), ADD(SS0(x0), BC(256u)));
    TMPL_RK(b, c, d, e, f, g, h, a, 31, x15);
    TMPL_SCH(x0, x14, x9, x1);
    TMPL_RK(a, b, c, d, e, f, g, h, 32, x0);
    TMPL_ROUNDS_1_15(32);
    TMPL_SCH(x0, x14, x9, x1);
    TMPL_RK(a, b, c, d, e, f, g, h, 48, x0);
    TMPL_SCH(x1, x15, x10, x2);
    TMPL_RK(h, a, b, c, d, e, f, g, 49, x1);
    TMPL_SCH(x2, x0, x11, x3);
    TMPL_RK(g, h, a, b, c, d, e, f, 50, x2);
    TMPL_SCH(x3, x1, x12, x4);
    TMPL_RK(f, g, h, a, b, c, d, e, 51, x3);
    TMPL_SCH(x4, x2, x13, x5);
    TMPL_RK(e, f, g, h, a, b, c, d, 52, x4);
    TMPL_SCH(x5, x3, x14, x6);
    TMPL_RK(d, e, f, g, h, a, b, c, 53, x5);
    TMPL_SCH(x6, x4, x15, x7);
    TMPL_RK(c, d, e, f, g, h, a, b, 54, x6);
    TMPL_SCH(x7, x5, x0, x8);
    TMPL_RK(b, c, d, e, f, g, h, a, 55, x7);
    TMPL_SCH(x8, x6, x1, x9);
    TMPL_RK(a, b, c, d, e, f, g, h, 56, x8);
    /* From here on only e matters: H7 = e after round 60 + IV7. */
    TMPL_SCH(x9, x7, x2, x10);
    TMPL_RND_E(h, a, b, c, d, e, f, g, ADD(g, ADD(x9, BC(kernel_k[57]))));
    TMPL_SCH(x10, x8, x3, x11);
    TMPL_RND_E(g, h, a, b, c, d, e, f, ADD(f, ADD(x10, BC(kernel_k[58]))));
    TMPL_SCH(x11, x9, x4, x12);
    TMPL_RND_E(f, g, h, a, b, c, d, e, ADD(e, ADD(x11, BC(kernel_k[59]))));
    TMPL_SCH(x12, x10, x5, x13);
    /* Round 60 in roles (e f g h a b c d): new e = d-role + T1. */
    return ADD(ADD(ADD(h, d), ADD(x12, CH(a, b, c))), BS1(a));
}

/* TMPL_RND and TMPL_RND_E stay defined for sha256d_roll_tmpl.h. */
#undef TMPL_RK
#undef TMPL_RC
#undef TMPL_SCH
#undef TMPL_ROUNDS_1_15
