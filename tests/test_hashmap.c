/*
 * Tests for src/core/hashmap.c: put/get/replace/remove, growth to 100,000
 * entries, backward-shift deletion (removing many keys in random order, also
 * from long probe runs of keys that share a home slot, never loses another
 * key), foreach, and freeing.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "hashmap.h"
#include "sha256.h"

/* Key i: a hash, like the ids the map really holds. */
static void key_of(uint8_t key[32], uint32_t i)
{
    uint8_t b[4];
    le32_put(b, i);
    sha256(key, b, sizeof b);
}

/* Value i: any non-NULL pointer that says which key it belongs to. */
static void *val_of(uint32_t i)
{
    return (void *)(uintptr_t)(i + 1);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static void shuffle(uint32_t *a, size_t n)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(rng() % (i + 1));
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

Test(hashmap, put_get_replace_remove)
{
    hashmap_t *m = hashmap_new();
    cr_assert_not_null(m);
    uint8_t a[32], b[32];
    key_of(a, 1);
    key_of(b, 2);
    cr_assert_eq(hashmap_count(m), 0);
    cr_assert_null(hashmap_get(m, a));
    cr_assert_null(hashmap_remove(m, a));

    cr_assert_eq(hashmap_put(m, a, val_of(10)), 0);
    cr_assert_eq(hashmap_get(m, a), val_of(10));
    cr_assert_null(hashmap_get(m, b));
    cr_assert_eq(hashmap_count(m), 1);

    cr_assert_eq(hashmap_put(m, a, val_of(11)), 0);
    cr_assert_eq(hashmap_get(m, a), val_of(11), "replaced");
    cr_assert_eq(hashmap_count(m), 1, "a replacement adds no entry");

    cr_assert_eq(hashmap_put(m, b, val_of(20)), 0);
    cr_assert_eq(hashmap_count(m), 2);

    /* The map copies keys: changing the caller's buffer changes nothing. */
    uint8_t c[32];
    memcpy(c, a, 32);
    c[0] ^= 1;
    cr_assert_null(hashmap_get(m, c));
    uint8_t tmp[32];
    memcpy(tmp, c, 32);
    cr_assert_eq(hashmap_put(m, tmp, val_of(30)), 0);
    memset(tmp, 0, 32);
    cr_assert_eq(hashmap_get(m, c), val_of(30));
    cr_assert_null(hashmap_get(m, tmp));

    cr_assert_eq(hashmap_remove(m, a), val_of(11));
    cr_assert_null(hashmap_get(m, a));
    cr_assert_eq(hashmap_count(m), 2);
    cr_assert_null(hashmap_remove(m, a), "removing twice");
    cr_assert_eq(hashmap_count(m), 2);
    cr_assert_eq(hashmap_get(m, b), val_of(20));
    cr_assert_eq(hashmap_get(m, c), val_of(30));

    /* NULL marks an empty slot, so it cannot be stored. */
    cr_assert_eq(hashmap_put(m, a, NULL), ERR_ARG);
    cr_assert_null(hashmap_get(m, a));
    cr_assert_eq(hashmap_put(m, b, NULL), ERR_ARG);
    cr_assert_eq(hashmap_get(m, b), val_of(20), "unchanged on refusal");
    cr_assert_eq(hashmap_count(m), 2);
    hashmap_free(&m);
    cr_assert_null(m);
}

Test(hashmap, grows_to_100k)
{
    enum { N = 100000 };
    hashmap_t *m = hashmap_new();
    uint8_t k[32];
    for (uint32_t i = 0; i < N; i++) {
        key_of(k, i);
        cr_assert_eq(hashmap_put(m, k, val_of(i)), 0);
        /* Spot checks while the table grows through every size. */
        if ((i & (i - 1)) == 0) {
            for (uint32_t j = 0; j <= i; j += 1 + i / 64) {
                key_of(k, j);
                cr_assert_eq(hashmap_get(m, k), val_of(j), "%u after %u", j, i);
            }
        }
    }
    cr_assert_eq(hashmap_count(m), N);
    for (uint32_t i = 0; i < N; i++) {
        key_of(k, i);
        cr_assert_eq(hashmap_get(m, k), val_of(i), "key %u", i);
    }
    for (uint32_t i = N; i < N + 1000; i++) {
        key_of(k, i);
        cr_assert_null(hashmap_get(m, k));
    }
    hashmap_free(&m);
}

/* Inserts keys[0..n-1], removes a random half, checks every key, then
 * removes the rest and checks again. */
static void remove_half_and_check(uint8_t (*keys)[32], size_t n)
{
    hashmap_t *m = hashmap_new();
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(hashmap_put(m, keys[i], val_of((uint32_t)i)), 0);
    cr_assert_eq(hashmap_count(m), n);
    uint32_t *order = malloc(n * sizeof *order);
    bool *gone = calloc(n, sizeof *gone);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    shuffle(order, n);
    for (size_t r = 0; r < n / 2; r++) {
        uint32_t i = order[r];
        cr_assert_eq(hashmap_remove(m, keys[i]), val_of(i));
        gone[i] = true;
        /* Every few removals, every key is where it should be. */
        if (r % 97 == 0 || n < 300) {
            for (size_t j = 0; j < n; j++)
                cr_assert_eq(hashmap_get(m, keys[j]),
                             gone[j] ? NULL : val_of((uint32_t)j),
                             "key %zu after removing %zu keys", j, r + 1);
        }
    }
    cr_assert_eq(hashmap_count(m), n - n / 2);
    for (size_t j = 0; j < n; j++)
        cr_assert_eq(hashmap_get(m, keys[j]),
                     gone[j] ? NULL : val_of((uint32_t)j), "key %zu", j);
    /* Put the removed ones back, then remove everything. */
    for (size_t r = 0; r < n / 2; r++)
        cr_assert_eq(hashmap_put(m, keys[order[r]], val_of(order[r])), 0);
    cr_assert_eq(hashmap_count(m), n);
    shuffle(order, n);
    for (size_t r = 0; r < n; r++) {
        cr_assert_eq(hashmap_remove(m, keys[order[r]]), val_of(order[r]));
        if (r + 1 < n)
            cr_assert_eq(hashmap_get(m, keys[order[n - 1]]),
                         val_of(order[n - 1]));
    }
    cr_assert_eq(hashmap_count(m), 0);
    for (size_t j = 0; j < n; j++)
        cr_assert_null(hashmap_get(m, keys[j]));
    free(order);
    free(gone);
    hashmap_free(&m);
}

Test(hashmap, removal_keeps_other_keys_findable)
{
    enum { N = 20000 };
    uint8_t(*keys)[32] = malloc(N * sizeof *keys);
    for (uint32_t i = 0; i < N; i++)
        key_of(keys[i], i);
    remove_half_and_check(keys, N);
    free(keys);
}

Test(hashmap, removal_in_long_probe_runs)
{
    /* The slot depends on the first 16 bytes only, so keys that share them
     * share a home slot: 40 groups of 12 make long runs that overlap and
     * (for some seeds) wrap around the end of the table — the cases where
     * backward shifting must decide which entries may move. */
    enum { GROUPS = 40, PER = 12, N = GROUPS * PER };
    uint8_t(*keys)[32] = malloc(N * sizeof *keys);
    for (uint32_t g = 0; g < GROUPS; g++) {
        uint8_t prefix[32];
        key_of(prefix, 1000000 + g);
        for (uint32_t j = 0; j < PER; j++) {
            uint8_t *k = keys[g * PER + j];
            memcpy(k, prefix, 16);
            memset(k + 16, 0, 16);
            le32_put(k + 16, j);
            k[31] = (uint8_t)g;
        }
    }
    for (int round = 0; round < 20; round++)
        remove_half_and_check(keys, N);
    free(keys);
}

Test(hashmap, small_tables_every_removal_order)
{
    /* Few keys, many orders: each pass starts from a fresh table of the
     * smallest size, where runs wrap around most often. */
    enum { N = 11 };
    uint8_t keys[N][32];
    for (int round = 0; round < 300; round++) {
        for (uint32_t i = 0; i < N; i++) {
            /* Half the keys collide on the same home slot. */
            key_of(keys[i], i % 2 ? 777 : (uint32_t)(round * N + i));
            if (i % 2)
                le32_put(keys[i] + 16, i);
        }
        remove_half_and_check(keys, N);
    }
}

typedef struct {
    size_t visits;
    uint64_t sum;
    size_t stop_after;
} walk_t;

static bool visit(void *ctx, const uint8_t key[32], void *value)
{
    walk_t *w = ctx;
    uint8_t want[32];
    uint32_t i = (uint32_t)((uintptr_t)value - 1);
    key_of(want, i);
    cr_assert_arr_eq(key, want, 32, "the key beside value %u", i);
    w->visits++;
    w->sum += i;
    return w->visits != w->stop_after;
}

Test(hashmap, foreach_visits_all_once)
{
    enum { N = 5000 };
    hashmap_t *m = hashmap_new();
    uint8_t k[32];
    for (uint32_t i = 0; i < N; i++) {
        key_of(k, i);
        hashmap_put(m, k, val_of(i));
    }
    for (uint32_t i = 0; i < N; i += 3) {
        key_of(k, i);
        hashmap_remove(m, k);
    }
    walk_t w = {0};
    hashmap_foreach(m, visit, &w);
    uint64_t want = 0;
    size_t count = 0;
    for (uint32_t i = 0; i < N; i++)
        if (i % 3) {
            want += i;
            count++;
        }
    cr_assert_eq(w.visits, count);
    cr_assert_eq(w.visits, hashmap_count(m));
    cr_assert_eq(w.sum, want);

    walk_t stop = {.stop_after = 10};
    hashmap_foreach(m, visit, &stop);
    cr_assert_eq(stop.visits, 10, "false stops the walk");

    hashmap_t *empty = hashmap_new();
    walk_t none = {0};
    hashmap_foreach(empty, visit, &none);
    cr_assert_eq(none.visits, 0);
    hashmap_free(&empty);
    hashmap_free(&m);
}

Test(hashmap, free_null_is_harmless)
{
    hashmap_free(NULL);
    hashmap_t *m = NULL;
    hashmap_free(&m);
    cr_assert_null(m);
    m = hashmap_new();
    hashmap_free(&m);
    cr_assert_null(m);
    hashmap_free(&m);
}

static size_t freed_values;
static uint64_t freed_sum;

static void count_free(void *value)
{
    freed_values++;
    freed_sum += (uint64_t)(uintptr_t)value;
}

Test(hashmap, free_with_hands_every_value_over_once)
{
    hashmap_t *m = hashmap_new();
    cr_assert(m);
    uint64_t want = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        uint8_t k[32];
        key_of(k, i);
        cr_assert_eq(hashmap_put(m, k, val_of(i)), 0);
        want += (uint64_t)(uintptr_t)val_of(i);
    }
    for (uint32_t i = 0; i < 1000; i += 3) { /* removed: not freed */
        uint8_t k[32];
        key_of(k, i);
        cr_assert_not_null(hashmap_remove(m, k));
        want -= (uint64_t)(uintptr_t)val_of(i);
    }
    hashmap_free_with(&m, count_free);
    cr_assert_null(m);
    cr_assert_eq(freed_values, 1000 - 334);
    cr_assert_eq(freed_sum, want);
    hashmap_free_with(&m, count_free);
    hashmap_free_with(NULL, count_free);
    cr_assert_eq(freed_values, 1000 - 334, "NULL is harmless");
}
