/*
 * state — account balances and nonces, with undo.
 *
 * The chain keeps one state_t for its best tip. Applying a transaction
 * checks it against the state (nonce, balance, overflow) and records the
 * accounts it touched in an undo log, so a block can be disconnected exactly
 * (state_revert) during a reorg, or rolled back when a later check in the
 * same block fails.
 *
 * An overlay (state_new_overlay) is a state whose reads fall through to a
 * base state it does not change: the chain uses one to evaluate a block on a
 * side branch — undo the main chain back to the fork point and apply the
 * branch, all inside the overlay — without touching the best-chain state.
 *
 * An account is (balance, nonce); one never seen reads as (0, 0). A
 * transfer is valid against a state when its nonce equals the sender's nonce,
 * amount + fee fits in the sender's balance, and nothing exceeds MAX_MONEY.
 *
 * Not thread-safe. A base must outlive its overlays and must not change
 * while an overlay over it is in use.
 */
#ifndef PICKAXE_STATE_H
#define PICKAXE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "tx.h"

typedef struct {
    uint64_t balance;
    uint64_t nonce; /* transfers sent so far = the next transfer's nonce */
} account_t;

typedef struct state state_t;

/* One account's value before a change. */
typedef struct {
    uint8_t key[32];
    account_t before;
} state_undo_entry_t;

/* A log of changes, oldest first. Zero-initialised = empty. */
typedef struct {
    state_undo_entry_t *entries; /* owned */
    size_t count;
    size_t cap;
} state_undo_t;

/* Returns an empty state, or NULL when out of memory. */
state_t *state_new(void);

/* Returns an empty overlay over base (borrowed), or NULL. */
state_t *state_new_overlay(const state_t *base);

/* Frees s (NULL is harmless) and clears the pointer. */
void state_free(state_t **s);

/* Out: *out = the account of key ((0,0) when never seen). */
void state_get(const state_t *s, account_t *out, const uint8_t key[32]);

/* Sets an account. Returns 0 or ERR_NOMEM (unchanged on failure). */
PX_MUST_CHECK int state_set(state_t *s, const uint8_t key[32],
                            const account_t *a);

/* Number of accounts stored in s itself (not counting an overlay's base). */
size_t state_count(const state_t *s);

/*
 * Checks a transfer against s and applies it (sender pays amount + fee and
 * its nonce advances; recipient receives amount). The signature is not
 * checked here (tx_verify_signature does that).
 * Returns: 0; ERR_INVALID with *reason one of "bad-txns-nonce-replay" (nonce
 *          already used), "bad-txns-nonce-gap" (nonce ahead of the account),
 *          "bad-txns-amount" (zero amount, or amount + fee overflows or
 *          exceeds MAX_MONEY), "bad-txns-insufficient-funds",
 *          "bad-txns-balance-overflow" (recipient would pass MAX_MONEY);
 *          ERR_NOMEM. On any failure s is unchanged.
 * Out:     undo (may be NULL) gains an entry per account changed.
 */
PX_MUST_CHECK int state_apply_transfer(state_t *s, state_undo_t *undo,
                                       const char **reason, const tx_t *tx);

/*
 * Credits a coinbase's amount to its recipient (the amount's limit against
 * subsidy + fees is the chain's check).
 * Returns: 0; ERR_INVALID "bad-cb-amount" when the balance would pass
 *          MAX_MONEY; ERR_NOMEM. On failure s is unchanged.
 */
PX_MUST_CHECK int state_apply_coinbase(state_t *s, state_undo_t *undo,
                                       const char **reason, const tx_t *tx);

/* Restores every account in undo, newest change first; an account the log
 * created is removed again (an overlay keeps its zero record instead, since
 * that hides the base's). The log itself is left as it was (an overlay
 * replays main-chain logs it must not consume).
 * Returns 0 or ERR_NOMEM (only when s is not the state the log was
 * recorded on, as when an overlay replays the best chain's logs). */
PX_MUST_CHECK int state_revert(state_t *s, const state_undo_t *undo);

/* state_revert on the state the log was recorded on (a failed block rolled
 * back, the tip disconnected). Every account the log names has a record in
 * s then, so nothing is allocated and nothing can fail. */
void state_rollback(state_t *s, const state_undo_t *undo);

/* Appends the entries of src to dst. Returns 0 or ERR_NOMEM. */
PX_MUST_CHECK int state_undo_append(state_undo_t *dst, const state_undo_t *src);

void state_undo_deinit(state_undo_t *undo);

#endif
