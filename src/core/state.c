/*
 * state — accounts in a hash map, with undo logs and overlays (see state.h).
 *
 * Each account is a small heap record owned by the map it lives in. An
 * overlay holds copies of the accounts it changed; reads look there first,
 * then in the base.
 */
#include "state.h"
#include "err.h"
#include "hashmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct state {
    hashmap_t *accounts; /* key -> account_t*, owned */
    const state_t *base; /* NULL unless an overlay */
};

state_t *state_new(void)
{
    state_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->accounts = hashmap_new();
    if (!s->accounts) {
        free(s);
        return NULL;
    }
    return s;
}

state_t *state_new_overlay(const state_t *base)
{
    state_t *s = state_new();
    if (s)
        s->base = base;
    return s;
}

void state_free(state_t **s)
{
    if (!s || !*s)
        return;
    hashmap_free_with(&(*s)->accounts, free);
    free(*s);
    *s = NULL;
}

void state_get(const state_t *s, account_t *out, const uint8_t key[32])
{
    for (; s; s = s->base) {
        const account_t *a = hashmap_get(s->accounts, key);
        if (a) {
            *out = *a;
            return;
        }
    }
    memset(out, 0, sizeof *out);
}

int state_set(state_t *s, const uint8_t key[32], const account_t *a)
{
    account_t *cur = hashmap_get(s->accounts, key);
    if (cur) {
        *cur = *a;
        return 0;
    }
    cur = malloc(sizeof *cur);
    if (!cur)
        return ERR_NOMEM;
    *cur = *a;
    if (hashmap_put(s->accounts, key, cur) != 0) {
        free(cur);
        return ERR_NOMEM;
    }
    return 0;
}

size_t state_count(const state_t *s)
{
    return hashmap_count(s->accounts);
}

static int undo_push(state_undo_t *u, const uint8_t key[32],
                     const account_t *before)
{
    if (!u)
        return 0;
    if (u->count == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        state_undo_entry_t *e = realloc(u->entries, cap * sizeof *e);
        if (!e)
            return ERR_NOMEM;
        u->entries = e;
        u->cap = cap;
    }
    memcpy(u->entries[u->count].key, key, 32);
    u->entries[u->count].before = *before;
    u->count++;
    return 0;
}

/* Records both accounts' old values, then writes both new values; if any
 * step cannot allocate, everything done so far is put back. */
static int commit_pair(state_t *s, state_undo_t *undo, const uint8_t *k1,
                       const account_t *old1, const account_t *new1,
                       const uint8_t *k2, const account_t *old2,
                       const account_t *new2)
{
    size_t mark = undo ? undo->count : 0;
    if (undo_push(undo, k1, old1) || (k2 && undo_push(undo, k2, old2)))
        goto fail;
    if (state_set(s, k1, new1))
        goto fail;
    if (k2 && state_set(s, k2, new2)) {
        /* k1's record exists now, so putting it back allocates nothing. */
        int back = state_set(s, k1, old1);
        assert(back == 0);
        (void)back;
        goto fail;
    }
    return 0;
fail:
    if (undo)
        undo->count = mark;
    return ERR_NOMEM;
}

int state_apply_transfer(state_t *s, state_undo_t *undo, const char **reason,
                         const tx_t *tx)
{
    const char *why = NULL;
    account_t from, to;
    state_get(s, &from, tx->sender);
    if (tx->amount == 0 || tx->amount > MAX_MONEY || tx->fee > MAX_MONEY ||
        tx->amount + tx->fee > MAX_MONEY)
        why = "bad-txns-amount";
    else if (tx->nonce < from.nonce)
        why = "bad-txns-nonce-replay";
    else if (tx->nonce > from.nonce)
        why = "bad-txns-nonce-gap";
    else if (from.balance < tx->amount + tx->fee)
        why = "bad-txns-insufficient-funds";
    if (why) {
        if (reason)
            *reason = why;
        return ERR_INVALID;
    }

    account_t new_from = from;
    new_from.balance -= tx->amount + tx->fee;
    new_from.nonce++;
    if (memcmp(tx->sender, tx->recipient, 32) == 0) {
        /* Paying oneself: only the fee leaves the account. */
        new_from.balance += tx->amount;
        return commit_pair(s, undo, tx->sender, &from, &new_from, NULL, NULL,
                           NULL);
    }
    state_get(s, &to, tx->recipient);
    if (to.balance > MAX_MONEY - tx->amount) {
        if (reason)
            *reason = "bad-txns-balance-overflow";
        return ERR_INVALID;
    }
    account_t new_to = to;
    new_to.balance += tx->amount;
    return commit_pair(s, undo, tx->sender, &from, &new_from, tx->recipient,
                       &to, &new_to);
}

int state_apply_coinbase(state_t *s, state_undo_t *undo, const char **reason,
                         const tx_t *tx)
{
    account_t to;
    state_get(s, &to, tx->recipient);
    if (tx->amount > MAX_MONEY || to.balance > MAX_MONEY - tx->amount) {
        if (reason)
            *reason = "bad-cb-amount";
        return ERR_INVALID;
    }
    account_t new_to = to;
    new_to.balance += tx->amount;
    return commit_pair(s, undo, tx->recipient, &to, &new_to, NULL, NULL, NULL);
}

int state_revert(state_t *s, const state_undo_t *undo)
{
    static const account_t none = {0};
    int rc = 0;
    for (size_t i = undo->count; i > 0; i--) {
        const state_undo_entry_t *e = &undo->entries[i - 1];
        /* An account the log created goes again, so the map holds only
         * accounts that exist. (In an overlay a zero record must stay: it
         * hides what the base says.) */
        if (!s->base && memcmp(&e->before, &none, sizeof none) == 0) {
            free(hashmap_remove(s->accounts, e->key));
            continue;
        }
        if (state_set(s, e->key, &e->before) != 0)
            rc = ERR_NOMEM;
    }
    return rc;
}

void state_rollback(state_t *s, const state_undo_t *undo)
{
    int rc = state_revert(s, undo);
    assert(rc == 0 && "the log was recorded on another state");
    (void)rc;
}

int state_undo_append(state_undo_t *dst, const state_undo_t *src)
{
    for (size_t i = 0; i < src->count; i++)
        if (undo_push(dst, src->entries[i].key, &src->entries[i].before))
            return ERR_NOMEM;
    return 0;
}

void state_undo_deinit(state_undo_t *undo)
{
    free(undo->entries);
    memset(undo, 0, sizeof *undo);
}
