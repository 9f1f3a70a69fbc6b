/*
 * Tests for src/node/reqlimit.c: a connection gets its burst, then is
 * refused until time refills its bucket at the rate; a bucket never holds
 * more than the burst, however long the silence or far the clock jumps;
 * a clock that goes back adds nothing; every connection has its own
 * bucket, and with more connections than slots the limit still holds for
 * each tracked one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "reqlimit.h"

static bool take(reqlimit_t *l, const char *id, uint64_t now)
{
    return reqlimit_take(l, (const uint8_t *)id, strlen(id), now);
}

/* Requests allowed in a row at one instant. */
static unsigned burst(reqlimit_t *l, const char *id, uint64_t now)
{
    unsigned n = 0;
    while (take(l, id, now) && n < 10 * REQLIMIT_BURST)
        n++;
    return n;
}

Test(reqlimit, a_burst_then_refusals_then_the_rate)
{
    reqlimit_t l;
    reqlimit_init(&l);
    uint64_t t = 1000;
    cr_assert_eq(burst(&l, "a", t), REQLIMIT_BURST);
    cr_assert(!take(&l, "a", t), "an empty bucket refuses");
    /* One second refills REQLIMIT_RATE tokens, no more. */
    t += 1000;
    cr_assert_eq(burst(&l, "a", t), REQLIMIT_RATE);
    /* Half the time between two tokens gives none. */
    t += 1000 / REQLIMIT_RATE / 2;
    cr_assert(!take(&l, "a", t));
}

Test(reqlimit, a_long_silence_or_a_far_jump_fills_the_bucket_only)
{
    reqlimit_t l;
    reqlimit_init(&l);
    cr_assert_eq(burst(&l, "a", 5), REQLIMIT_BURST);
    /* Hours, then the end of the clock's range: never more than a burst,
     * and no overflow makes the bucket empty or endless. */
    cr_assert_eq(burst(&l, "a", 5 + 3600ull * 1000), REQLIMIT_BURST);
    cr_assert_eq(burst(&l, "a", UINT64_MAX - 1), REQLIMIT_BURST);
    cr_assert(!take(&l, "a", UINT64_MAX - 1));
}

Test(reqlimit, a_clock_that_goes_back_adds_nothing)
{
    reqlimit_t l;
    reqlimit_init(&l);
    cr_assert_eq(burst(&l, "a", 1000000), REQLIMIT_BURST);
    cr_assert(!take(&l, "a", 10), "earlier time: still empty");
    cr_assert(!take(&l, "a", 1000000));
}

Test(reqlimit, each_connection_has_its_own_bucket)
{
    reqlimit_t l;
    reqlimit_init(&l);
    cr_assert_eq(burst(&l, "a", 1), REQLIMIT_BURST);
    cr_assert(take(&l, "b", 1), "another connection is not held back");
    cr_assert(take(&l, "", 1), "an empty routing id has a bucket too");
    cr_assert(!take(&l, "a", 1));
}

Test(reqlimit, more_connections_than_slots_do_not_lift_the_limit)
{
    reqlimit_t l;
    reqlimit_init(&l);
    char id[16];
    /* REQLIMIT_SLOTS connections, each emptied. */
    for (int i = 0; i < REQLIMIT_SLOTS; i++) {
        snprintf(id, sizeof id, "c%d", i);
        cr_assert_eq(burst(&l, id, 100), REQLIMIT_BURST);
    }
    /* A newcomer takes the least recent slot (c0's) ... */
    cr_assert(take(&l, "newcomer", 100));
    /* ... and every connection still tracked stays limited. */
    for (int i = 1; i < REQLIMIT_SLOTS; i++) {
        snprintf(id, sizeof id, "c%d", i);
        cr_assert(!take(&l, id, 100), "%s got through", id);
    }
}
