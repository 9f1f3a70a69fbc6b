/*
 * Tests for src/node/memory.c: the resident size is read, the allocator's
 * figures follow what is allocated and freed, memory_tune() keeps a large
 * buffer mapped after a buffer of the same size was freed (glibc would
 * otherwise have raised its threshold and carved the second one from the
 * heap), and memory_trim() leaves the figures consistent.
 *
 * The allocator's figures are glibc's: under AddressSanitizer, whose
 * allocator replaces glibc's, only the resident size is checked.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define GLIBC_FIGURES 1
#else
#define GLIBC_FIGURES 0
#endif

#define BIG (1024u * 1024)

Test(memory, reads_the_resident_size)
{
    memory_view_t v;
    memory_read(&v);
    cr_assert_gt(v.rss_bytes, 0);
    /* A process that runs Criterion is more than a page and far less than
     * a terabyte. */
    cr_assert_lt(v.rss_bytes, (uint64_t)1 << 40);
}

Test(memory, in_use_follows_allocations)
{
    if (!GLIBC_FIGURES)
        cr_skip_test("the allocator is not glibc's");
    memory_view_t before, during, after;
    memory_read(&before);
    enum { N = 256, SIZE = 1000 };
    char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = malloc(SIZE);
        cr_assert_not_null(p[i]);
        memset(p[i], i, SIZE);
    }
    memory_read(&during);
    cr_assert_geq(during.in_use_bytes, before.in_use_bytes + N * SIZE,
                  "in use %llu, was %llu",
                  (unsigned long long)during.in_use_bytes,
                  (unsigned long long)before.in_use_bytes);
    for (int i = 0; i < N; i++)
        free(p[i]);
    memory_read(&after);
    /* glibc keeps a few freed chunks of each size in a per-thread cache,
     * which it still counts as in use. */
    cr_assert_leq(after.in_use_bytes + (N - 16) * SIZE, during.in_use_bytes);
}

Test(memory, a_large_buffer_stays_mapped_after_one_was_freed)
{
    if (!GLIBC_FIGURES)
        cr_skip_test("the allocator is not glibc's");
    memory_tune();
    /* Freeing a mapped buffer is what raises glibc's threshold. */
    char *first = malloc(4 * BIG);
    cr_assert_not_null(first);
    memset(first, 1, 4 * BIG);
    free(first);
    memory_view_t before, during;
    memory_read(&before);
    char *second = malloc(2 * BIG);
    cr_assert_not_null(second);
    memset(second, 2, 2 * BIG);
    memory_read(&during);
    cr_assert_geq(during.mapped_bytes, before.mapped_bytes + 2 * BIG,
                  "mapped %llu, was %llu: the buffer came from the heap",
                  (unsigned long long)during.mapped_bytes,
                  (unsigned long long)before.mapped_bytes);
    free(second);
}

Test(memory, trim_keeps_what_is_in_use)
{
    memory_view_t before, after;
    char *keep = malloc(BIG / 4);
    cr_assert_not_null(keep);
    memset(keep, 3, BIG / 4);
    memory_read(&before);
    memory_trim();
    memory_read(&after);
    cr_assert_eq(keep[BIG / 4 - 1], 3);
    if (GLIBC_FIGURES) {
        cr_assert_eq(after.in_use_bytes, before.in_use_bytes);
        cr_assert_leq(after.free_bytes, before.free_bytes);
    }
    free(keep);
}
