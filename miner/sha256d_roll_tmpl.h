/*
 * sha256d_roll_tmpl — SHA256d of one nonce per lane in two versions of a
 * header at once (version rolling, kernel.h), written for any lane type
 * with 32 registers to spare: included by sha256_avx512.c after
 * sha256d_tmpl.h, whose operation macros (V, BC, ADD, BS0, BS1, SS0, SS1,
 * CH, MAJ) and round macros (TMPL_RND, TMPL_RND_E) it uses. No include
 * guard: it is a template.
 *
 * Two savings over hashing each header on its own with sha256d_tmpl.h:
 *
 * 1. Versions differ only in the first 64 bytes, so the second block's
 *    message schedule W18..W63 (the part that depends on the nonce; with
 *    K added) is built once per nonce by tmpl_roll_schedule() and read
 *    from memory by every version. That is about 460 of the 2,850 vector
 *    instructions of one 16-nonce step; shared over 16 versions, ~15 % less
 *    work per hash.
 *
 * 2. tmpl_roll_sums() runs the rounds of two versions interleaved. Each
 *    round of one stream is a dependency chain of about five instructions'
 *    latency for 17 instructions of work; a single stream keeps a 4-pipe
 *    vector unit only ~80 % busy, two independent streams keep it near
 *    full. Two streams need 16 state registers: the message words live in
 *    memory (the first hash's shared schedule, then each stream's second-
 *    hash schedule, built before its rounds), so everything fits in 32
 *    registers without spilling the state.
 *
 * Defines:
 *   tmpl_roll_schedule(job, w3, kw): kw[18..63] = W[i] + K[i] of the first
 *     hash's second block for nonce word w3 (job: any version's job).
 *   tmpl_roll_sums(ja, jb, w3, kw, out): out[0], out[1] = the round-60 sums
 *     (see sha256d_tmpl.h) of versions ja and jb, given tmpl_roll_schedule's
 *     kw for the same w3.
 */

/* The same round in both streams: state names end in 0 and 1. */
#define TMPLR_R2(A, B, C, D, E, F, G, H, X0, X1)                               \
    do {                                                                       \
        TMPL_RND(A##0, B##0, C##0, D##0, E##0, F##0, G##0, H##0, X0);          \
        TMPL_RND(A##1, B##1, C##1, D##1, E##1, F##1, G##1, H##1, X1);          \
    } while (0)

#define TMPLR_R2E(A, B, C, D, E, F, G, H, X0, X1)                              \
    do {                                                                       \
        TMPL_RND_E(A##0, B##0, C##0, D##0, E##0, F##0, G##0, H##0, X0);        \
        TMPL_RND_E(A##1, B##1, C##1, D##1, E##1, F##1, G##1, H##1, X1);        \
    } while (0)

/* Round i of the first hash: K + W shared, from kw. */
#define TMPLR_R2S(A, B, C, D, E, F, G, H, i)                                   \
    TMPLR_R2(A, B, C, D, E, F, G, H, ADD(H##0, kw[i]), ADD(H##1, kw[i]))

/* A round whose K + W is a job constant (the same in every version). */
#define TMPLR_R2C(A, B, C, D, E, F, G, H, kwv)                                 \
    TMPLR_R2(A, B, C, D, E, F, G, H, ADD(H##0, BC(kwv)), ADD(H##1, BC(kwv)))

/* Round i of the second hash: each stream's own K + W. */
#define TMPLR_R2W(A, B, C, D, E, F, G, H, i)                                   \
    TMPLR_R2(A, B, C, D, E, F, G, H, ADD(H##0, ka[i]), ADD(H##1, kb[i]))

/* Eight rounds from i (i = 2 mod 8: the names rotate from g). */
#define TMPLR_R8(R, i)                                                         \
    R(g, h, a, b, c, d, e, f, (i));                                            \
    R(f, g, h, a, b, c, d, e, (i) + 1);                                        \
    R(e, f, g, h, a, b, c, d, (i) + 2);                                        \
    R(d, e, f, g, h, a, b, c, (i) + 3);                                        \
    R(c, d, e, f, g, h, a, b, (i) + 4);                                        \
    R(b, c, d, e, f, g, h, a, (i) + 5);                                        \
    R(a, b, c, d, e, f, g, h, (i) + 6);                                        \
    R(h, a, b, c, d, e, f, g, (i) + 7)

/* Schedule into memory: w (holding W[i-16]) becomes W[i]; kw[i] = W[i] + K. */
#define TMPLR_SCH(kw, i, w, wm2, wm7, wm15)                                    \
    do {                                                                       \
        w = ADD(ADD(SS1(wm2), wm7), ADD(SS0(wm15), w));                        \
        kw[i] = ADD(w, BC(kernel_k[i]));                                       \
    } while (0)

#define TMPLR_PUT(kw, i, w) kw[i] = ADD(w, BC(kernel_k[i]))

/* W[i0+1] .. W[i0+15] with the generic recurrence (i0 a multiple of 16). */
#define TMPLR_SCH_1_15(kw, i0)                                                 \
    TMPLR_SCH(kw, (i0) + 1, x1, x15, x10, x2);                                 \
    TMPLR_SCH(kw, (i0) + 2, x2, x0, x11, x3);                                  \
    TMPLR_SCH(kw, (i0) + 3, x3, x1, x12, x4);                                  \
    TMPLR_SCH(kw, (i0) + 4, x4, x2, x13, x5);                                  \
    TMPLR_SCH(kw, (i0) + 5, x5, x3, x14, x6);                                  \
    TMPLR_SCH(kw, (i0) + 6, x6, x4, x15, x7);                                  \
    TMPLR_SCH(kw, (i0) + 7, x7, x5, x0, x8);                                   \
    TMPLR_SCH(kw, (i0) + 8, x8, x6, x1, x9);                                   \
    TMPLR_SCH(kw, (i0) + 9, x9, x7, x2, x10);                                  \
    TMPLR_SCH(kw, (i0) + 10, x10, x8, x3, x11);                                \
    TMPLR_SCH(kw, (i0) + 11, x11, x9, x4, x12);                                \
    TMPLR_SCH(kw, (i0) + 12, x12, x10, x5, x13);                               \
    TMPLR_SCH(kw, (i0) + 13, x13, x11, x6, x14);                               \
    TMPLR_SCH(kw, (i0) + 14, x14, x12, x7, x15);                               \
    TMPLR_SCH(kw, (i0) + 15, x15, x13, x8, x0)

static inline void tmpl_roll_schedule(const kernel_job_t *job, V w3, V kw[64])
{
    V x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15;

    /* As in sha256d_tmpl.h: W16, W17 are job constants, W18..W32 have
     * precomputed nonce-independent terms, the padding words are folded. */
    x0 = BC(job->w16);
    x1 = BC(job->w17);
    x2 = ADD(BC(job->c18), SS0(w3));
    TMPLR_PUT(kw, 18, x2);
    x3 = ADD(BC(job->c19), w3);
    TMPLR_PUT(kw, 19, x3);
    x4 = ADD(SS1(x2), BC(0x80000000u));
    TMPLR_PUT(kw, 20, x4);
    x5 = SS1(x3);
    TMPLR_PUT(kw, 21, x5);
    x6 = ADD(SS1(x4), BC(640u));
    TMPLR_PUT(kw, 22, x6);
    x7 = ADD(SS1(x5), x0);
    TMPLR_PUT(kw, 23, x7);
    x8 = ADD(SS1(x6), x1);
    TMPLR_PUT(kw, 24, x8);
    x9 = ADD(SS1(x7), x2);
    TMPLR_PUT(kw, 25, x9);
    x10 = ADD(SS1(x8), x3);
    TMPLR_PUT(kw, 26, x10);
    x11 = ADD(SS1(x9), x4);
    TMPLR_PUT(kw, 27, x11);
    x12 = ADD(SS1(x10), x5);
    TMPLR_PUT(kw, 28, x12);
    x13 = ADD(SS1(x11), x6);
    TMPLR_PUT(kw, 29, x13);
    x14 = ADD(ADD(SS1(x12), x7), BC(job->c30));
    TMPLR_PUT(kw, 30, x14);
    x15 = ADD(ADD(SS1(x13), x8), BC(job->c31));
    TMPLR_PUT(kw, 31, x15);
    x0 = ADD(ADD(SS1(x14), x9), BC(job->c32));
    TMPLR_PUT(kw, 32, x0);
    TMPLR_SCH_1_15(kw, 32);
    TMPLR_SCH(kw, 48, x0, x14, x9, x1);
    TMPLR_SCH_1_15(kw, 48);
}

/* The second hash's message schedule for one stream whose first hash ended
 * in words x0..x7: kw[1..3] = W (their K is in the job's h2x*), kw[4..7],
 * kw[16..59] = W + K, kw[60] = W60 (K60 is in the job's h7k). */
static inline void tmpl_roll_schedule2(const kernel_job_t *job, V x0, V x1,
                                       V x2, V x3, V x4, V x5, V x6, V x7,
                                       V kw[64])
{
    V x8, x9, x10, x11, x12, x13, x14, x15;

    kw[1] = x1;
    kw[2] = x2;
    kw[3] = x3;
    TMPLR_PUT(kw, 4, x4);
    TMPLR_PUT(kw, 5, x5);
    TMPLR_PUT(kw, 6, x6);
    TMPLR_PUT(kw, 7, x7);
    /* W8..W15 are padding: 0x80000000, six zeros, 256. */
    x0 = ADD(x0, SS0(x1));
    TMPLR_PUT(kw, 16, x0);
    x1 = ADD(ADD(x1, SS0(x2)), BC(job->h2s1_256));
    TMPLR_PUT(kw, 17, x1);
    x2 = ADD(ADD(SS1(x0), SS0(x3)), x2);
    TMPLR_PUT(kw, 18, x2);
    x3 = ADD(ADD(SS1(x1), SS0(x4)), x3);
    TMPLR_PUT(kw, 19, x3);
    x4 = ADD(ADD(SS1(x2), SS0(x5)), x4);
    TMPLR_PUT(kw, 20, x4);
    x5 = ADD(ADD(SS1(x3), SS0(x6)), x5);
    TMPLR_PUT(kw, 21, x5);
    x6 = ADD(ADD(SS1(x4), SS0(x7)), ADD(x6, BC(256u)));
    TMPLR_PUT(kw, 22, x6);
    x7 = ADD(ADD(SS1(x5), x0), ADD(x7, BC(job->h2s0_pad)));
    TMPLR_PUT(kw, 23, x7);
    x8 = ADD(ADD(SS1(x6), x1), BC(0x80000000u));
    TMPLR_PUT(kw, 24, x8);
    x9 = ADD(SS1(x7), x2);
    TMPLR_PUT(kw, 25, x9);
    x10 = ADD(SS1(x8), x3);
    TMPLR_PUT(kw, 26, x10);
    x11 = ADD(SS1(x9), x4);
    TMPLR_PUT(kw, 27, x11);
    x12 = ADD(SS1(x10), x5);
    TMPLR_PUT(kw, 28, x12);
    x13 = ADD(SS1(x11), x6);
    TMPLR_PUT(kw, 29, x13);
    x14 = ADD(ADD(SS1(x12), x7), BC(job->h2s0_256));
    TMPLR_PUT(kw, 30, x14);
    x15 = ADD(ADD(SS1(x13), x8), ADD(SS0(x0), BC(256u)));
    TMPLR_PUT(kw, 31, x15);
    TMPLR_SCH(kw, 32, x0, x14, x9, x1);
    TMPLR_SCH_1_15(kw, 32);
    TMPLR_SCH(kw, 48, x0, x14, x9, x1);
    TMPLR_SCH(kw, 49, x1, x15, x10, x2);
    TMPLR_SCH(kw, 50, x2, x0, x11, x3);
    TMPLR_SCH(kw, 51, x3, x1, x12, x4);
    TMPLR_SCH(kw, 52, x4, x2, x13, x5);
    TMPLR_SCH(kw, 53, x5, x3, x14, x6);
    TMPLR_SCH(kw, 54, x6, x4, x15, x7);
    TMPLR_SCH(kw, 55, x7, x5, x0, x8);
    TMPLR_SCH(kw, 56, x8, x6, x1, x9);
    TMPLR_SCH(kw, 57, x9, x7, x2, x10);
    TMPLR_SCH(kw, 58, x10, x8, x3, x11);
    TMPLR_SCH(kw, 59, x11, x9, x4, x12);
    kw[60] = ADD(ADD(SS1(x10), x5), ADD(SS0(x13), x12));
}

static inline void tmpl_roll_sums(const kernel_job_t *ja,
                                  const kernel_job_t *jb, V w3, const V kw[64],
                                  V out[2])
{
    V a0, b0, c0, d0, e0, f0, g0, h0, a1, b1, c1, d1, e1, f1, g1, h1;
    V ka[64], kb[64];

    /* ---- first hash, second block: the state before round 4 (rounds
     * 0..2 in the job, round 3 two adds), as in sha256d_tmpl.h ---- */
#define TMPLR_START(s, job)                                                    \
    e##s = ADD(BC(job->r3a), w3);                                              \
    f##s = BC(job->a3);                                                        \
    g##s = BC(job->a2);                                                        \
    h##s = BC(job->a1);                                                        \
    a##s = ADD(BC(job->r3e), w3);                                              \
    b##s = BC(job->e3);                                                        \
    c##s = BC(job->e2);                                                        \
    d##s = BC(job->e1)
    TMPLR_START(0, ja);
    TMPLR_START(1, jb);
    TMPLR_R2(e, f, g, h, a, b, c, d, BC(ja->x4), BC(jb->x4));
    TMPLR_R2(d, e, f, g, h, a, b, c, BC(ja->x5), BC(jb->x5));
    TMPLR_R2(c, d, e, f, g, h, a, b, BC(ja->x6), BC(jb->x6));
    TMPLR_R2C(b, c, d, e, f, g, h, a, ja->kw[7]);
    TMPLR_R2C(a, b, c, d, e, f, g, h, ja->kw[8]);
    TMPLR_R2C(h, a, b, c, d, e, f, g, ja->kw[9]);
    TMPLR_R2C(g, h, a, b, c, d, e, f, ja->kw[10]);
    TMPLR_R2C(f, g, h, a, b, c, d, e, ja->kw[11]);
    TMPLR_R2C(e, f, g, h, a, b, c, d, ja->kw[12]);
    TMPLR_R2C(d, e, f, g, h, a, b, c, ja->kw[13]);
    TMPLR_R2C(c, d, e, f, g, h, a, b, ja->kw[14]);
    TMPLR_R2C(b, c, d, e, f, g, h, a, ja->kw[15]);
    TMPLR_R2C(a, b, c, d, e, f, g, h, ja->kw[16]);
    TMPLR_R2C(h, a, b, c, d, e, f, g, ja->kw[17]);
    TMPLR_R8(TMPLR_R2S, 18);
    TMPLR_R8(TMPLR_R2S, 26);
    TMPLR_R8(TMPLR_R2S, 34);
    TMPLR_R8(TMPLR_R2S, 42);
    TMPLR_R8(TMPLR_R2S, 50);
    TMPLR_R2S(g, h, a, b, c, d, e, f, 58);
    TMPLR_R2S(f, g, h, a, b, c, d, e, 59);
    TMPLR_R2S(e, f, g, h, a, b, c, d, 60);
    TMPLR_R2S(d, e, f, g, h, a, b, c, 61);
    TMPLR_R2S(c, d, e, f, g, h, a, b, 62);
    TMPLR_R2S(b, c, d, e, f, g, h, a, 63);

    /* The first hash's words are the second hash's message. */
    V w0a = ADD(a0, BC(ja->mid[0])), w0b = ADD(a1, BC(jb->mid[0]));
    tmpl_roll_schedule2(ja, w0a, ADD(b0, BC(ja->mid[1])),
                        ADD(c0, BC(ja->mid[2])), ADD(d0, BC(ja->mid[3])),
                        ADD(e0, BC(ja->mid[4])), ADD(f0, BC(ja->mid[5])),
                        ADD(g0, BC(ja->mid[6])), ADD(h0, BC(ja->mid[7])), ka);
    tmpl_roll_schedule2(jb, w0b, ADD(b1, BC(jb->mid[1])),
                        ADD(c1, BC(jb->mid[2])), ADD(d1, BC(jb->mid[3])),
                        ADD(e1, BC(jb->mid[4])), ADD(f1, BC(jb->mid[5])),
                        ADD(g1, BC(jb->mid[6])), ADD(h1, BC(jb->mid[7])), kb);

    /* ---- second hash: round 0 from the fixed initial state is two adds;
     * its constants do not depend on the version ---- */
#define TMPLR_START2(s, w0)                                                    \
    h##s = ADD(w0, BC(ja->h2a1));                                              \
    a##s = BC(kernel_iv[0]);                                                   \
    b##s = BC(kernel_iv[1]);                                                   \
    c##s = BC(kernel_iv[2]);                                                   \
    d##s = ADD(w0, BC(ja->h2e1));                                              \
    e##s = BC(kernel_iv[4]);                                                   \
    f##s = BC(kernel_iv[5]);                                                   \
    g##s = BC(kernel_iv[6])
    TMPLR_START2(0, w0a);
    TMPLR_START2(1, w0b);
    TMPLR_R2(h, a, b, c, d, e, f, g, ADD(ka[1], BC(ja->h2x1)),
             ADD(kb[1], BC(ja->h2x1)));
    TMPLR_R2(g, h, a, b, c, d, e, f, ADD(ka[2], BC(ja->h2x2)),
             ADD(kb[2], BC(ja->h2x2)));
    TMPLR_R2(f, g, h, a, b, c, d, e, ADD(ka[3], BC(ja->h2x3)),
             ADD(kb[3], BC(ja->h2x3)));
    TMPLR_R2W(e, f, g, h, a, b, c, d, 4);
    TMPLR_R2W(d, e, f, g, h, a, b, c, 5);
    TMPLR_R2W(c, d, e, f, g, h, a, b, 6);
    TMPLR_R2W(b, c, d, e, f, g, h, a, 7);
    TMPLR_R2C(a, b, c, d, e, f, g, h, ja->h2kw[8]);
    TMPLR_R2C(h, a, b, c, d, e, f, g, ja->h2kw[9]);
    TMPLR_R2C(g, h, a, b, c, d, e, f, ja->h2kw[10]);
    TMPLR_R2C(f, g, h, a, b, c, d, e, ja->h2kw[11]);
    TMPLR_R2C(e, f, g, h, a, b, c, d, ja->h2kw[12]);
    TMPLR_R2C(d, e, f, g, h, a, b, c, ja->h2kw[13]);
    TMPLR_R2C(c, d, e, f, g, h, a, b, ja->h2kw[14]);
    TMPLR_R2C(b, c, d, e, f, g, h, a, ja->h2kw[15]);
    TMPLR_R2W(a, b, c, d, e, f, g, h, 16);
    TMPLR_R2W(h, a, b, c, d, e, f, g, 17);
    TMPLR_R8(TMPLR_R2W, 18);
    TMPLR_R8(TMPLR_R2W, 26);
    TMPLR_R8(TMPLR_R2W, 34);
    TMPLR_R8(TMPLR_R2W, 42);
    TMPLR_R2W(g, h, a, b, c, d, e, f, 50);
    TMPLR_R2W(f, g, h, a, b, c, d, e, 51);
    TMPLR_R2W(e, f, g, h, a, b, c, d, 52);
    TMPLR_R2W(d, e, f, g, h, a, b, c, 53);
    TMPLR_R2W(c, d, e, f, g, h, a, b, 54);
    TMPLR_R2W(b, c, d, e, f, g, h, a, 55);
    TMPLR_R2W(a, b, c, d, e, f, g, h, 56);
    /* From here on only e matters: H7 = e after round 60 + IV7. */
    TMPLR_R2E(h, a, b, c, d, e, f, g, ADD(g0, ka[57]), ADD(g1, kb[57]));
    TMPLR_R2E(g, h, a, b, c, d, e, f, ADD(f0, ka[58]), ADD(f1, kb[58]));
    TMPLR_R2E(f, g, h, a, b, c, d, e, ADD(e0, ka[59]), ADD(e1, kb[59]));
    /* Round 60 in roles (e f g h a b c d): new e = d-role + T1, K60 left to
     * the caller (job->h7k). */
    out[0] = ADD(ADD(ADD(h0, d0), ADD(ka[60], CH(a0, b0, c0))), BS1(a0));
    out[1] = ADD(ADD(ADD(h1, d1), ADD(kb[60], CH(a1, b1, c1))), BS1(a1));
#undef TMPLR_START
#undef TMPLR_START2
}

#undef TMPL_RND
#undef TMPL_RND_E
#undef TMPLR_R2
#undef TMPLR_R2E
#undef TMPLR_R2S
#undef TMPLR_R2C
#undef TMPLR_R2W
#undef TMPLR_R8
#undef TMPLR_SCH
#undef TMPLR_PUT
#undef TMPLR_SCH_1_15
