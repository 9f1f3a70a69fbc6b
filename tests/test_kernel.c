/*
 * Tests for miner/kernel.c: the kernel table, selection and refusal of a
 * kernel the CPU lacks (never executed), auto's preference, job
 * preparation, rolled jobs (sizes, versions, which kernels roll) and the
 * rolled scan's argument checks. Each kernel's own properties are tested by
 * the file mirroring it (tests/test_sha256_<kernel>.c, through
 * kernel_checks.h).
 */
#include "kernel_checks.h"

/* ---- dispatch ---- */

Test(kernel, table_lists_every_kernel_once)
{
    const char *names[] = {"generic", "openssl", "shani",
                           "shani2",  "avx2",    "avx512"};
    cr_assert_eq(kernel_count(), 6);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq(kernel_name(kernel_at(i)), names[i]);
        cr_assert_eq(kernel_find(names[i]), kernel_at(i));
    }
    cr_assert_null(kernel_at(6));
    cr_assert_null(kernel_find("auto"));
    cr_assert_eq(kernel_lanes(kernel_find("avx512")), 16);
    cr_assert_eq(kernel_lanes(kernel_find("avx2")), 8);
    cr_assert_eq(kernel_lanes(kernel_find("shani2")), 2);
}

Test(kernel, select_resolves_auto_and_refuses_unknown)
{
    const kernel_t *k = NULL;
    cr_assert_eq(kernel_select(&k, "auto"), 0);
    cr_assert_not_null(k);
    cr_assert(kernel_available(k));
    cr_assert_eq(k, kernel_auto());
    cr_assert_eq(kernel_select(&k, "sse9"), ERR_ARG);
    cr_assert_eq(kernel_select(&k, "generic"), 0);
    cr_assert_str_eq(kernel_name(k), "generic");
}

/* Forcing a kernel the machine cannot run is an error, not SIGILL: shown
 * here by hiding kernels, as a CPU without them would. */
Test(kernel, unavailable_kernel_is_refused_not_run)
{
    setenv("PICKAXE_NO_KERNEL", "avx512,shani2,shani,avx2", 1);
    const char *hidden[] = {"avx512", "shani2", "shani", "avx2"};
    uint8_t header[80] = {0}, target[32];
    memset(target, 0xff, 32);
    kernel_job_t job;
    kernel_job_init(&job, header, target);
    for (size_t i = 0; i < 4; i++) {
        const kernel_t *k = kernel_find(hidden[i]), *sel = NULL;
        cr_assert(!kernel_available(k));
        cr_assert_eq(kernel_select(&sel, hidden[i]), ERR_UNSUPPORTED);
        cr_assert_null(sel);
        hits_t h;
        hits_init(&h, 16);
        uint64_t scanned = 77;
        cr_assert_eq(kernel_scan(k, &scanned, &job, 0, 16, collect, &h),
                     ERR_UNSUPPORTED);
        cr_assert_eq(h.n, 0);
        cr_assert_eq(scanned, 77, "output written on failure");
        cr_assert_eq(kernel_self_test(k), ERR_UNSUPPORTED);
        hits_free(&h);
    }
    /* auto falls back to what is left. */
    cr_assert_str_eq(kernel_name(kernel_auto()), "generic");
    unsetenv("PICKAXE_NO_KERNEL");
}

Test(kernel, auto_prefers_avx512_then_shani2)
{
    const kernel_t *a = kernel_auto();
    const kernel_t *avx512 = kernel_find("avx512");
    const kernel_t *shani2 = kernel_find("shani2");
    if (kernel_available(avx512))
        cr_assert_eq(a, avx512);
    else if (kernel_available(shani2))
        cr_assert_eq(a, shani2);
    else
        cr_assert(kernel_available(a));
}

Test(kernel, job_ignores_header_nonce)
{
    uint8_t h1[80], h2[80], target[32] = {0};
    for (int i = 0; i < 80; i++)
        h1[i] = (uint8_t)(i * 7);
    memcpy(h2, h1, 80);
    le32_put(h2 + 76, 0xdeadbeef);
    kernel_job_t a, b;
    kernel_job_init(&a, h1, target);
    kernel_job_init(&b, h2, target);
    uint8_t x[32], y[32], ref[32];
    kernel_hash(x, &a, 42);
    kernel_hash(y, &b, 42);
    cr_assert_arr_eq(x, y, 32);
    ref_hash(ref, h1, 42);
    cr_assert_arr_eq(x, ref, 32);
}

/* ---- rolled jobs ---- */

Test(kernel, rolljob_sizes_and_versions)
{
    uint8_t header[80] = {0}, target[32];
    memset(target, 0xff, 32);
    le32_put(header, 0x20000001u);
    static const unsigned ask[][2] = {{0, 1},   {1, 1},    {2, 2},  {3, 2},
                                      {7, 4},   {8, 8},    {15, 8}, {16, 16},
                                      {17, 16}, {1000, 16}};
    for (size_t a = 0; a < sizeof ask / sizeof ask[0]; a++) {
        kernel_rolljob_t rj;
        kernel_rolljob_init(&rj, header, target, ask[a][0]);
        cr_assert_eq(rj.versions, ask[a][1], "asked %u, got %u", ask[a][0],
                     rj.versions);
        for (unsigned i = 0; i < rj.versions; i++) {
            uint32_t v = le32_get(rj.job[i].header);
            cr_assert_eq(v, 0x20000001u ^ (i << 13));
            /* Only bits 13..16 move; the rest is the header's. */
            cr_assert_eq(v & ~(uint32_t)0x1e000, 0x20000001u);
            cr_assert_arr_eq(rj.job[i].header + 4, header + 4, 72);
        }
    }
    /* Index 0 is the header itself, so a one-version job is a plain one. */
    cr_assert_eq(kernel_rolled_version(0x20000000u, 0), 0x20000000u);
    cr_assert_eq(kernel_rolled_version(1, 15), 1u ^ (15u << 13));
}

Test(kernel, roll_versions_per_kernel)
{
    cr_assert_eq(kernel_roll_versions(kernel_find("avx512")), KERNEL_ROLL_MAX);
    static const char *const one[] = {"generic", "openssl", "shani", "shani2",
                                      "avx2"};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        cr_assert_eq(kernel_roll_versions(kernel_find(one[i])), 1, "%s",
                     one[i]);
}

Test(kernel, rolled_scan_refuses_what_kernel_scan_refuses)
{
    uint8_t header[80] = {1}, target[32];
    memset(target, 0xff, 32);
    kernel_rolljob_t rj;
    kernel_rolljob_init(&rj, header, target, 4);
    roll_hits_t h;
    roll_hits_init(&h, 4);
    const kernel_t *k = kernel_find("generic");
    cr_assert_eq(
        kernel_scan_rolled(k, NULL, &rj, 0xffffffffu, 2, roll_collect, &h),
        ERR_RANGE);
    uint64_t scanned = 7;
    cr_assert_eq(kernel_scan_rolled(k, &scanned, &rj, 3, 0, roll_collect, &h),
                 0);
    cr_assert_eq(scanned, 0);
    cr_assert_eq(h.n, 0);
    free(h.hits);
}
