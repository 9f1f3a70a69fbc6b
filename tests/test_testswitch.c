/*
 * Tests for src/node/testswitch.c: the switches work on regtest only; a
 * partition cuts the listed peers (never peer 0, the tracker), a new list
 * replaces the old and says who was let back in, bad lists are refused
 * whole; a stall is pending until taken, within its bounds.
 */
#include <criterion/criterion.h>
#include <signal.h>

#include "err.h"
#include "testswitch.h"

Test(testswitch, off_regtest_every_switch_refuses)
{
    testswitch_t t;
    testswitch_init(&t, params_get("demo"));
    cr_assert(!testswitch_enabled(&t));
    uint64_t ids[1] = {7}, healed[TESTSWITCH_MAX_CUT];
    size_t n = 99;
    cr_assert_eq(testswitch_partition(&t, healed, &n, ids, 1), ERR_UNSUPPORTED);
    cr_assert_eq(n, 99, "nothing written");
    cr_assert(!testswitch_cut(&t, 7));
    cr_assert_eq(testswitch_stall(&t, 100), ERR_UNSUPPORTED);
    cr_assert(!testswitch_stall_pending(&t));
}

Test(testswitch, a_partition_cuts_replaces_and_heals)
{
    testswitch_t t;
    testswitch_init(&t, params_regtest());
    cr_assert(testswitch_enabled(&t));
    uint64_t healed[TESTSWITCH_MAX_CUT];
    size_t n;
    uint64_t first[3] = {1, 2, 3};
    cr_assert_eq(testswitch_partition(&t, healed, &n, first, 3), 0);
    cr_assert_eq(n, 0);
    cr_assert(testswitch_cut(&t, 2) && !testswitch_cut(&t, 4));
    cr_assert(!testswitch_cut(&t, 0), "the tracker is never cut");
    uint64_t second[2] = {3, 4};
    cr_assert_eq(testswitch_partition(&t, healed, &n, second, 2), 0);
    cr_assert_eq(n, 2);
    cr_assert(healed[0] == 1 && healed[1] == 2);
    cr_assert(!testswitch_cut(&t, 1) && testswitch_cut(&t, 4));
    cr_assert_eq(testswitch_partition(&t, healed, &n, NULL, 0), 0);
    cr_assert(n == 2 && healed[0] == 3 && healed[1] == 4);
    cr_assert(!testswitch_cut(&t, 3));
}

Test(testswitch, a_bad_list_changes_nothing)
{
    testswitch_t t;
    testswitch_init(&t, params_regtest());
    uint64_t healed[TESTSWITCH_MAX_CUT], ids[TESTSWITCH_MAX_CUT + 1];
    size_t n;
    for (size_t i = 0; i <= TESTSWITCH_MAX_CUT; i++)
        ids[i] = i + 1;
    cr_assert_eq(testswitch_partition(&t, healed, &n, ids, 1), 0);
    cr_assert_eq(
        testswitch_partition(&t, healed, &n, ids, TESTSWITCH_MAX_CUT + 1),
        ERR_RANGE);
    uint64_t zero[2] = {5, 0};
    cr_assert_eq(testswitch_partition(&t, healed, &n, zero, 2), ERR_ARG);
    cr_assert(testswitch_cut(&t, 1) && !testswitch_cut(&t, 5),
              "the earlier partition stands");
}

Test(testswitch, a_stall_is_pending_until_taken)
{
    testswitch_t t;
    testswitch_init(&t, params_regtest());
    cr_assert_eq(testswitch_stall(&t, 0), ERR_RANGE);
    cr_assert_eq(testswitch_stall(&t, TESTSWITCH_STALL_MAX_MS + 1), ERR_RANGE);
    cr_assert(!testswitch_stall_pending(&t));
    cr_assert_eq(testswitch_stall(&t, 5000), 0);
    cr_assert(testswitch_stall_pending(&t));
    volatile sig_atomic_t stop = 1; /* returns at once, and clears it */
    testswitch_stall_now(&t, &stop);
    cr_assert(!testswitch_stall_pending(&t));
}
