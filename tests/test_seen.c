/*
 * Tests for src/node/seen.c: refusals counted by reason (NULL counts as
 * "unknown", reasons past SEEN_MAX_REASONS are not counted), a refused
 * transaction's reason remembered and the map emptied at its bound, and a
 * block's acceptance time kept in wall-clock microseconds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "bytes.h"
#include "seen.h"

static seen_t seen;

static void setup(void)
{
    cr_assert_eq(seen_init(&seen), 0);
}

static void teardown(void)
{
    seen_deinit(&seen);
}

TestSuite(seen, .init = setup, .fini = teardown);

static uint64_t count_of(const seen_tally_t *t, const char *reason)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->reason[i], reason) == 0)
            return t->count[i];
    return 0;
}

Test(seen, refusals_are_counted_by_reason)
{
    seen_tally(&seen.blocks, "high-hash");
    seen_tally(&seen.blocks, "high-hash");
    seen_tally(&seen.blocks, "bad-txnmrklroot");
    seen_tally(&seen.blocks, NULL);
    cr_assert_eq(count_of(&seen.blocks, "high-hash"), 2);
    cr_assert_eq(count_of(&seen.blocks, "bad-txnmrklroot"), 1);
    cr_assert_eq(count_of(&seen.blocks, "unknown"), 1);
    cr_assert_eq(seen.blocks.n, 3);
    cr_assert_eq(seen_total(&seen.blocks), 4);
    cr_assert_eq(seen_total(&seen.txs), 0, "the tallies are separate");
}

Test(seen, reasons_past_the_bound_are_not_counted)
{
    static char names[SEEN_MAX_REASONS + 2][24];
    for (int i = 0; i < SEEN_MAX_REASONS + 2; i++) {
        snprintf(names[i], sizeof names[i], "reason-%d", i);
        seen_tally(&seen.txs, names[i]);
    }
    cr_assert_eq(seen.txs.n, SEEN_MAX_REASONS);
    cr_assert_eq(seen_total(&seen.txs), SEEN_MAX_REASONS);
    cr_assert_eq(count_of(&seen.txs, names[SEEN_MAX_REASONS]), 0);
    seen_tally(&seen.txs, names[0]); /* a known one still counts */
    cr_assert_eq(count_of(&seen.txs, names[0]), 2);
}

static void txid(uint8_t id[32], uint64_t i)
{
    memset(id, 0, 32);
    le64_put(id, i + 1);
}

Test(seen, a_refused_transaction_says_why_until_the_map_is_renewed)
{
    uint8_t a[32], b[32];
    txid(a, 0);
    txid(b, 1);
    seen_tx_refused(&seen, a, "bad-txns-sig");
    cr_assert_str_eq(seen_tx_refusal(&seen, a), "bad-txns-sig");
    cr_assert_null(seen_tx_refusal(&seen, b));
    cr_assert_eq(count_of(&seen.txs, "bad-txns-sig"), 1);
    seen_tx_refused(&seen, a, "bad-txns-nonce-replay"); /* the latest */
    cr_assert_str_eq(seen_tx_refusal(&seen, a), "bad-txns-nonce-replay");

    /* Bounded: at SEEN_MAX_REJECTED entries the map starts again, so the
     * first ones are forgotten while the counts stay. */
    for (uint64_t i = 1; i <= SEEN_MAX_REJECTED; i++) {
        uint8_t id[32];
        txid(id, i);
        seen_tx_refused(&seen, id, "bad-txns-sig");
    }
    cr_assert_null(seen_tx_refusal(&seen, a), "never emptied");
    uint8_t last[32];
    txid(last, SEEN_MAX_REJECTED);
    cr_assert_str_eq(seen_tx_refusal(&seen, last), "bad-txns-sig");
    cr_assert_eq(count_of(&seen.txs, "bad-txns-sig"), 1 + SEEN_MAX_REJECTED);
}

Test(seen, a_block_remembers_when_it_was_accepted)
{
    uint8_t h[32], other[32];
    txid(h, 7);
    txid(other, 8);
    struct timeval before, after;
    gettimeofday(&before, NULL);
    seen_block_accepted(&seen, h);
    gettimeofday(&after, NULL);
    uint64_t t = seen_block_received_us(&seen, h);
    uint64_t lo = (uint64_t)before.tv_sec * 1000000u + (uint64_t)before.tv_usec;
    uint64_t hi = (uint64_t)after.tv_sec * 1000000u + (uint64_t)after.tv_usec;
    cr_assert(t >= lo && t <= hi, "%llu not in [%llu, %llu]",
              (unsigned long long)t, (unsigned long long)lo,
              (unsigned long long)hi);
    cr_assert_eq(seen_block_received_us(&seen, other), 0);
}
