/*
 * Tests for src/core/state.c: transfers and coinbases applied to accounts,
 * every refusal of state_apply_transfer with its reason and an unchanged state,
 * self-transfers, the MAX_MONEY limits, undo logs that restore every account
 * exactly, and overlays that read through to a base they never change.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"
#include "state.h"

static uint8_t alice[32], bob[32], carol[32], dave[32];

static void setup(void)
{
    memset(alice, 0xa1, 32);
    memset(bob, 0xb2, 32);
    memset(carol, 0xc3, 32);
    memset(dave, 0xd4, 32);
}

TestSuite(state, .init = setup);

static void set(state_t *s, const uint8_t key[32], uint64_t balance,
                uint64_t nonce)
{
    account_t a = {balance, nonce};
    cr_assert_eq(state_set(s, key, &a), 0);
}

static void expect(const state_t *s, const uint8_t key[32], uint64_t balance,
                   uint64_t nonce)
{
    account_t a;
    state_get(s, &a, key);
    cr_assert_eq(a.balance, balance, "balance %llu, want %llu",
                 (unsigned long long)a.balance, (unsigned long long)balance);
    cr_assert_eq(a.nonce, nonce, "nonce %llu, want %llu",
                 (unsigned long long)a.nonce, (unsigned long long)nonce);
}

static tx_t transfer(const uint8_t from[32], const uint8_t to[32],
                     uint64_t amount, uint64_t fee, uint64_t nonce)
{
    tx_t t;
    tx_init_transfer(&t, from, to, amount, fee, nonce);
    return t;
}

static tx_t coinbase(const uint8_t to[32], uint64_t amount)
{
    tx_t t;
    tx_init_coinbase(&t, 1, 0, to, amount);
    return t;
}

Test(state, unknown_accounts_read_as_zero)
{
    state_t *s = state_new();
    cr_assert_not_null(s);
    account_t a = {99, 99};
    state_get(s, &a, alice);
    cr_assert_eq(a.balance, 0);
    cr_assert_eq(a.nonce, 0);
    cr_assert_eq(state_count(s), 0);
    set(s, alice, 5, 6);
    expect(s, alice, 5, 6);
    set(s, alice, 7, 8);
    expect(s, alice, 7, 8);
    cr_assert_eq(state_count(s), 1);
    expect(s, bob, 0, 0);
    state_free(&s);
    cr_assert_null(s);
    state_free(&s);
    state_free(NULL);
}

Test(state, transfer_applies)
{
    state_t *s = state_new();
    set(s, alice, 100, 0);
    set(s, bob, 10, 4);
    state_undo_t undo = {0};
    const char *why = "untouched";
    tx_t t = transfer(alice, bob, 30, 2, 0);
    cr_assert_eq(state_apply_transfer(s, &undo, &why, &t), 0);
    cr_assert_str_eq(why, "untouched", "no reason on success");
    expect(s, alice, 68, 1);
    expect(s, bob, 40, 4); /* a recipient's nonce does not move */
    cr_assert_eq(undo.count, 2);
    cr_assert_arr_eq(undo.entries[0].key, alice, 32);
    cr_assert_eq(undo.entries[0].before.balance, 100);
    cr_assert_eq(undo.entries[0].before.nonce, 0);
    cr_assert_arr_eq(undo.entries[1].key, bob, 32);
    cr_assert_eq(undo.entries[1].before.balance, 10);
    /* The next transfer needs the next nonce; a new recipient appears. */
    t = transfer(alice, carol, 68 - 8, 8, 1);
    cr_assert_eq(state_apply_transfer(s, NULL, NULL, &t), 0,
                 "spending everything, without undo or reason");
    expect(s, alice, 0, 2);
    expect(s, carol, 60, 0);
    state_undo_deinit(&undo);
    cr_assert_eq(undo.count, 0);
    cr_assert_null(undo.entries);
    state_free(&s);
}

/* Applies t, expects `reason`, and checks nothing changed. */
static void expect_refused(state_t *s, const tx_t *t, const char *reason)
{
    /* An undo log that already holds an entry, which must survive. */
    state_undo_t undo = {0};
    set(s, dave, 1, 0);
    tx_t dummy = transfer(dave, dave, 1, 0, 0);
    cr_assert_eq(state_apply_transfer(s, &undo, NULL, &dummy), 0);
    size_t undo0 = undo.count;

    account_t from0, to0;
    state_get(s, &from0, t->sender);
    state_get(s, &to0, t->recipient);
    size_t count0 = state_count(s);

    const char *why = NULL;
    cr_assert_eq(state_apply_transfer(s, &undo, &why, t), ERR_INVALID,
                 "expected %s", reason);
    cr_assert_not_null(why);
    cr_assert_str_eq(why, reason);
    cr_assert_eq(undo.count, undo0, "the undo log gained nothing");
    cr_assert_eq(state_count(s), count0, "no account was created");
    account_t from1, to1;
    state_get(s, &from1, t->sender);
    state_get(s, &to1, t->recipient);
    cr_assert_eq(from1.balance, from0.balance);
    cr_assert_eq(from1.nonce, from0.nonce);
    cr_assert_eq(to1.balance, to0.balance);
    cr_assert_eq(to1.nonce, to0.nonce);
    /* Without a reason pointer it still refuses. */
    cr_assert_eq(state_apply_transfer(s, NULL, NULL, t), ERR_INVALID);
    state_undo_deinit(&undo);
}

Test(state, every_refusal_leaves_state_unchanged)
{
    state_t *s = state_new();
    set(s, alice, 100, 3);
    set(s, bob, MAX_MONEY - 5, 0);
    tx_t t;

    t = transfer(alice, carol, 0, 1, 3);
    expect_refused(s, &t, "bad-txns-amount");
    t = transfer(alice, carol, MAX_MONEY + 1, 0, 3);
    expect_refused(s, &t, "bad-txns-amount");
    t = transfer(alice, carol, 1, MAX_MONEY + 1, 3);
    expect_refused(s, &t, "bad-txns-amount");
    t = transfer(alice, carol, MAX_MONEY, 1, 3);
    expect_refused(s, &t, "bad-txns-amount");
    t = transfer(alice, carol, UINT64_MAX, UINT64_MAX, 3);
    expect_refused(s, &t, "bad-txns-amount");
    t = transfer(alice, carol, 1, UINT64_MAX, 3);
    expect_refused(s, &t, "bad-txns-amount");

    t = transfer(alice, carol, 10, 1, 2);
    expect_refused(s, &t, "bad-txns-nonce-replay");
    t = transfer(alice, carol, 10, 1, 0);
    expect_refused(s, &t, "bad-txns-nonce-replay");
    t = transfer(alice, carol, 10, 1, 4);
    expect_refused(s, &t, "bad-txns-nonce-gap");
    t = transfer(alice, carol, 10, 1, UINT64_MAX);
    expect_refused(s, &t, "bad-txns-nonce-gap");

    t = transfer(alice, carol, 100, 1, 3);
    expect_refused(s, &t, "bad-txns-insufficient-funds");
    t = transfer(alice, carol, 1, 100, 3);
    expect_refused(s, &t, "bad-txns-insufficient-funds");
    t = transfer(carol, alice, 1, 0, 0); /* an account never seen */
    expect_refused(s, &t, "bad-txns-insufficient-funds");

    t = transfer(alice, bob, 6, 0, 3);
    expect_refused(s, &t, "bad-txns-balance-overflow");
    t = transfer(alice, bob, 99, 1, 3);
    expect_refused(s, &t, "bad-txns-balance-overflow");

    /* The boundaries themselves are fine. */
    t = transfer(alice, bob, 5, 0, 3);
    cr_assert_eq(state_apply_transfer(s, NULL, NULL, &t), 0);
    expect(s, bob, MAX_MONEY, 0);
    t = transfer(alice, carol, 94, 1, 4);
    cr_assert_eq(state_apply_transfer(s, NULL, NULL, &t), 0,
                 "amount + fee == balance");
    expect(s, alice, 0, 5);
    state_free(&s);
}

Test(state, max_money_in_one_transfer)
{
    state_t *s = state_new();
    set(s, alice, MAX_MONEY, 0);
    tx_t t = transfer(alice, bob, MAX_MONEY - 10, 10, 0);
    cr_assert_eq(state_apply_transfer(s, NULL, NULL, &t), 0);
    expect(s, alice, 0, 1);
    expect(s, bob, MAX_MONEY - 10, 0);
    state_free(&s);
}

Test(state, self_transfer_pays_only_the_fee)
{
    state_t *s = state_new();
    set(s, alice, 100, 7);
    state_undo_t undo = {0};
    tx_t t = transfer(alice, alice, 60, 3, 7);
    cr_assert_eq(state_apply_transfer(s, &undo, NULL, &t), 0);
    expect(s, alice, 97, 8);
    cr_assert_eq(undo.count, 1, "one account changed");
    /* It still needs amount + fee available, like any transfer. */
    t = transfer(alice, alice, 95, 3, 8);
    expect_refused(s, &t, "bad-txns-insufficient-funds");
    /* Near MAX_MONEY a self-transfer cannot overflow the balance. */
    set(s, bob, MAX_MONEY, 0);
    t = transfer(bob, bob, MAX_MONEY - 1, 1, 0);
    cr_assert_eq(state_apply_transfer(s, &undo, NULL, &t), 0);
    expect(s, bob, MAX_MONEY - 1, 1);
    cr_assert_eq(state_revert(s, &undo), 0);
    expect(s, alice, 100, 7);
    expect(s, bob, MAX_MONEY, 0);
    state_undo_deinit(&undo);
    state_free(&s);
}

Test(state, coinbase_credits_up_to_max_money)
{
    state_t *s = state_new();
    state_undo_t undo = {0};
    tx_t cb = coinbase(alice, 50);
    cr_assert_eq(state_apply_coinbase(s, &undo, NULL, &cb), 0);
    expect(s, alice, 50, 0);
    cr_assert_eq(undo.count, 1);
    cr_assert_eq(undo.entries[0].before.balance, 0);

    set(s, bob, MAX_MONEY - 50, 2);
    cb = coinbase(bob, 50);
    cr_assert_eq(state_apply_coinbase(s, NULL, NULL, &cb), 0);
    expect(s, bob, MAX_MONEY, 2);
    const char *why = NULL;
    cb = coinbase(bob, 1);
    cr_assert_eq(state_apply_coinbase(s, &undo, &why, &cb), ERR_INVALID);
    cr_assert_str_eq(why, "bad-cb-amount");
    expect(s, bob, MAX_MONEY, 2);
    cb = coinbase(carol, MAX_MONEY + 1);
    why = NULL;
    cr_assert_eq(state_apply_coinbase(s, &undo, &why, &cb), ERR_INVALID);
    cr_assert_str_eq(why, "bad-cb-amount");
    cb = coinbase(carol, UINT64_MAX);
    cr_assert_eq(state_apply_coinbase(s, &undo, NULL, &cb), ERR_INVALID);
    expect(s, carol, 0, 0);
    cr_assert_eq(undo.count, 1, "refusals log nothing");
    state_undo_deinit(&undo);
    state_free(&s);
}

/* The k-th block's worth of changes over four accounts (alice sends two
 * transfers a block, the others one), logged in undo. */
static void apply_block(state_t *s, state_undo_t *undo, uint64_t k)
{
    tx_t cb = coinbase(dave, 50 + k);
    cr_assert_eq(state_apply_coinbase(s, undo, NULL, &cb), 0);
    tx_t t[] = {
        transfer(alice, bob, 10, 1, 2 * k),
        transfer(bob, carol, 5, 1, k),
        transfer(alice, carol, 7, 2, 2 * k + 1),
        transfer(carol, alice, 3, 0, k),
        transfer(dave, dave, 20, 4, k),
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const char *why = NULL;
        cr_assert_eq(state_apply_transfer(s, undo, &why, &t[i]), 0,
                     "tx %zu: %s", i, why ? why : "");
    }
}

Test(state, undo_log_revert_restores_exactly)
{
    state_t *s = state_new();
    set(s, alice, 1000, 0);
    set(s, bob, 500, 0);
    set(s, carol, 100, 0);
    set(s, dave, 100, 0);
    state_undo_t b1 = {0}, b2 = {0};
    apply_block(s, &b1, 0);
    account_t after1[4];
    const uint8_t *keys[4] = {alice, bob, carol, dave};
    for (int i = 0; i < 4; i++)
        state_get(s, &after1[i], keys[i]);
    apply_block(s, &b2, 1);
    expect(s, alice, 1000 - 11 - 9 + 3 - 11 - 9 + 3, 4);

    /* Disconnect the second block: exactly the state after the first. */
    cr_assert_eq(state_revert(s, &b2), 0);
    for (int i = 0; i < 4; i++)
        expect(s, keys[i], after1[i].balance, after1[i].nonce);
    cr_assert_gt(b2.count, 0, "the log is left as it was");
    /* Then the first: the original state. */
    cr_assert_eq(state_revert(s, &b1), 0);
    expect(s, alice, 1000, 0);
    expect(s, bob, 500, 0);
    expect(s, carol, 100, 0);
    expect(s, dave, 100, 0);

    /* A log appended from both reverts both in one go. */
    state_undo_t both = {0}, b1b = {0}, b2b = {0};
    apply_block(s, &b1b, 0);
    apply_block(s, &b2b, 1);
    cr_assert_eq(state_undo_append(&both, &b1b), 0);
    cr_assert_eq(state_undo_append(&both, &b2b), 0);
    cr_assert_eq(both.count, b1b.count + b2b.count);
    cr_assert_eq(state_revert(s, &both), 0);
    expect(s, alice, 1000, 0);
    expect(s, bob, 500, 0);
    expect(s, carol, 100, 0);
    expect(s, dave, 100, 0);

    /* Accounts the log created read as never seen again, and are gone
     * from the map, not kept as zero records. */
    state_undo_t fresh = {0};
    uint8_t eve[32];
    memset(eve, 0xe5, 32);
    size_t accounts = state_count(s);
    tx_t t = transfer(alice, eve, 1, 0, 0);
    cr_assert_eq(state_apply_transfer(s, &fresh, NULL, &t), 0);
    expect(s, eve, 1, 0);
    cr_assert_eq(state_count(s), accounts + 1);
    cr_assert_eq(state_revert(s, &fresh), 0);
    expect(s, eve, 0, 0);
    expect(s, alice, 1000, 0);
    cr_assert_eq(state_count(s), accounts, "eve's record was left behind");

    state_undo_deinit(&b1);
    state_undo_deinit(&b2);
    state_undo_deinit(&b1b);
    state_undo_deinit(&b2b);
    state_undo_deinit(&both);
    state_undo_deinit(&fresh);
    state_free(&s);
}

Test(state, overlay_reads_through_and_never_writes_base)
{
    state_t *base = state_new();
    set(base, alice, 100, 0);
    set(base, bob, 7, 0);
    state_t *o = state_new_overlay(base);
    cr_assert_not_null(o);
    expect(o, alice, 100, 0);
    expect(o, bob, 7, 0);
    expect(o, carol, 0, 0);
    cr_assert_eq(state_count(o), 0, "an overlay starts empty");

    state_undo_t undo = {0};
    tx_t t = transfer(alice, carol, 30, 1, 0);
    cr_assert_eq(state_apply_transfer(o, &undo, NULL, &t), 0);
    expect(o, alice, 69, 1);
    expect(o, carol, 30, 0);
    expect(base, alice, 100, 0);
    expect(base, carol, 0, 0);
    cr_assert_eq(state_count(base), 2);

    /* Checks in the overlay see the overlay's values. */
    t = transfer(alice, carol, 69, 1, 0);
    expect_refused(o, &t, "bad-txns-nonce-replay");
    t = transfer(alice, carol, 69, 1, 1);
    expect_refused(o, &t, "bad-txns-insufficient-funds");

    /* A later change to an account the overlay never touched shows
     * through (the base may change while no overlay is in use). */
    set(base, bob, 8, 0);
    expect(o, bob, 8, 0);

    /* Reverting in the overlay restores the base's values there. */
    cr_assert_eq(state_revert(o, &undo), 0);
    expect(o, alice, 100, 0);
    expect(o, carol, 0, 0);
    expect(base, alice, 100, 0);
    state_undo_deinit(&undo);
    state_free(&o);
    expect(base, alice, 100, 0);
    state_free(&base);
}

Test(state, overlay_rewinds_base_history)
{
    /* The chain's use: the base is the best tip; an overlay undoes the
     * tip's block (a log made on the base) and applies a competing one. */
    state_t *base = state_new();
    set(base, alice, 1000, 0);
    set(base, bob, 500, 0);
    set(base, carol, 100, 0);
    set(base, dave, 100, 0);
    state_undo_t tip = {0};
    apply_block(base, &tip, 0);
    account_t at_tip[4];
    const uint8_t *keys[4] = {alice, bob, carol, dave};
    for (int i = 0; i < 4; i++)
        state_get(base, &at_tip[i], keys[i]);
    size_t base_count = state_count(base);

    state_t *o = state_new_overlay(base);
    cr_assert_eq(state_revert(o, &tip), 0);
    expect(o, alice, 1000, 0);
    expect(o, bob, 500, 0);
    expect(o, carol, 100, 0);
    expect(o, dave, 100, 0);
    /* A competing block on the fork point. */
    tx_t t = transfer(alice, dave, 999, 1, 0);
    cr_assert_eq(state_apply_transfer(o, NULL, NULL, &t), 0);
    expect(o, alice, 0, 1);
    expect(o, dave, 1099, 0);
    /* An overlay over the overlay reads through both. */
    state_t *o2 = state_new_overlay(o);
    expect(o2, dave, 1099, 0);
    expect(o2, bob, 500, 0);
    state_free(&o2);

    for (int i = 0; i < 4; i++)
        expect(base, keys[i], at_tip[i].balance, at_tip[i].nonce);
    cr_assert_eq(state_count(base), base_count);
    state_free(&o);
    state_undo_deinit(&tip);
    state_free(&base);
}
