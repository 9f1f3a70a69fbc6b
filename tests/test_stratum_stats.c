/*
 * Tests for src/node/stratum_stats.c: outcomes counted per worker, the
 * hashrate estimated from accepted difficulty and decaying without shares,
 * blocks, the overflow slot, and the JSON the cli and status read.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stratum_stats.h"

Test(stratum_stats, counts_and_json)
{
    stratum_stats_t st;
    cr_assert_eq(stratum_stats_init(&st), 0);
    int a = stratum_stats_worker(&st, "pxrt1abc.rig");
    int b = stratum_stats_worker(&st, "pxrt1def");
    cr_assert_neq(a, b);
    cr_assert_eq(stratum_stats_worker(&st, "pxrt1abc.rig"), a);
    stratum_stats_connection(&st, a, +1);
    stratum_stats_share(&st, a, STRATUM_SHARE_ACCEPTED, 2.0, 1000);
    stratum_stats_share(&st, a, STRATUM_SHARE_ACCEPTED, 2.0, 1000);
    stratum_stats_share(&st, a, STRATUM_SHARE_STALE, 0, 1000);
    stratum_stats_share(&st, a, STRATUM_SHARE_DUPLICATE, 0, 1000);
    stratum_stats_share(&st, b, STRATUM_SHARE_LOW, 0, 1000);
    stratum_stats_share(&st, b, STRATUM_SHARE_INVALID, 0, 1000);
    stratum_stats_block(&st, a, STRATUM_BLOCK_ACCEPTED);
    stratum_stats_block(&st, b, STRATUM_BLOCK_REFUSED);
    stratum_stats_block(&st, b, STRATUM_BLOCK_STALE);
    json_t *j = stratum_stats_json(&st, 1000, true);
    cr_assert_not_null(j);
    cr_assert_eq(json_integer_value(json_object_get(j, "accepted")), 2);
    cr_assert_eq(json_integer_value(json_object_get(j, "blocks")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "blocks_refused")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "blocks_stale")), 1);
    json_t *w = json_array_get(json_object_get(j, "workers"), (size_t)a);
    cr_assert_str_eq(json_string_value(json_object_get(w, "worker")),
                     "pxrt1abc.rig");
    cr_assert_str_eq(json_string_value(json_object_get(w, "address")),
                     "pxrt1abc");
    cr_assert_eq(json_integer_value(json_object_get(w, "stale")), 1);
    cr_assert_eq(json_integer_value(json_object_get(w, "duplicate")), 1);
    cr_assert_eq(json_integer_value(json_object_get(w, "connections")), 1);
    cr_assert(json_is_integer(json_object_get(w, "last_share")));
    json_t *wb = json_array_get(json_object_get(j, "workers"), (size_t)b);
    cr_assert_eq(json_integer_value(json_object_get(wb, "low_difficulty")), 1);
    cr_assert_eq(json_integer_value(json_object_get(wb, "invalid")), 1);
    cr_assert(json_is_null(json_object_get(wb, "last_share")));
    json_decref(j);
    j = stratum_stats_json(&st, 1000, false);
    cr_assert_null(json_object_get(j, "workers"));
    json_decref(j);
    stratum_stats_deinit(&st);
}

/* Difficulty 1 a second is 2^32 hashes a second: the estimate says so
 * within a few percent after a minute and after an hour, and decays by
 * 1/e per time constant once the shares stop. */
Test(stratum_stats, hashrate_from_shares)
{
    stratum_stats_t st;
    cr_assert_eq(stratum_stats_init(&st), 0);
    int w = stratum_stats_worker(&st, "w");
    double rate = 4294967296.0;
    cr_assert_eq(stratum_stats_hashrate(&st.workers[w], 0), 0);
    uint64_t t = 1000;
    for (int i = 0; i < 60; i++, t += 1000)
        stratum_stats_share(&st, w, STRATUM_SHARE_ACCEPTED, 1.0, t);
    double r = stratum_stats_hashrate(&st.workers[w], t);
    cr_assert(fabs(r / rate - 1) < 0.05, "after a minute: %g", r);
    for (int i = 0; i < 3600; i++, t += 1000)
        stratum_stats_share(&st, w, STRATUM_SHARE_ACCEPTED, 1.0, t);
    r = stratum_stats_hashrate(&st.workers[w], t);
    cr_assert(fabs(r / rate - 1) < 0.02, "after an hour: %g", r);
    double later = stratum_stats_hashrate(
        &st.workers[w], t + (uint64_t)(STRATUM_RATE_TAU_S * 1000));
    cr_assert(fabs(later / r - 1 / M_E) < 0.01, "%g", later);
    stratum_stats_deinit(&st);
}

Test(stratum_stats, overflow_shares_the_last_slot)
{
    stratum_stats_t st;
    cr_assert_eq(stratum_stats_init(&st), 0);
    char name[32];
    int last = -1;
    for (int i = 0; i < STRATUM_WORKERS_MAX + 10; i++) {
        snprintf(name, sizeof name, "w%d", i);
        last = stratum_stats_worker(&st, name);
        cr_assert(last >= 0 && last < STRATUM_WORKERS_MAX);
    }
    cr_assert_eq(last, STRATUM_WORKERS_MAX - 1);
    cr_assert_str_eq(st.workers[last].name, "(others)");
    stratum_stats_deinit(&st);
}
