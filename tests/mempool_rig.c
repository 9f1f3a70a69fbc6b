/*
 * mempool_rig — the mempool tests' shared fixture (see mempool_rig.h).
 */
#include "mempool_rig.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

fx_key_t mp_key[MP_NKEYS];
state_t *mp_best;
mempool_t *mp_pool;

void mp_setup(void)
{
    for (int i = 0; i < MP_NKEYS; i++)
        fx_key(&mp_key[i], (uint8_t)(i + 1));
    mp_best = state_new();
    mp_pool = mempool_new(NET, 1000);
    cr_assert_not_null(mp_best);
    cr_assert_not_null(mp_pool);
}

void mp_teardown(void)
{
    mempool_free(&mp_pool);
    state_free(&mp_best);
}

void mp_fund(int who, uint64_t balance, uint64_t nonce)
{
    account_t a = {balance, nonce};
    cr_assert_eq(state_set(mp_best, mp_key[who].pub, &a), 0);
}

/* A transfer signed for regtest. */
void mp_xfer(tx_t *tx, const fx_key_t *from, const uint8_t to[32],
             uint64_t amount, uint64_t fee, uint64_t nonce)
{
    fx_transfer(tx, params_regtest(), from, to, amount, fee, nonce);
}

/* A signed transfer from `from` to R. */
tx_t mp_pay(int from, uint64_t amount, uint64_t fee, uint64_t nonce)
{
    tx_t tx;
    mp_xfer(&tx, &mp_key[from], mp_key[R].pub, amount, fee, nonce);
    return tx;
}

/* Signs tx with k whoever the sender is (tx_sign refuses a wrong key). */
void mp_sign_raw(tx_t *tx, const fx_key_t *k)
{
    keys_keypair_t kp;
    uint8_t msg[32];
    cr_assert_eq(keys_keypair_from_secret(&kp, k->secret), 0);
    tx_sighash(msg, tx, NET);
    cr_assert_eq(keys_sign(tx->sig, &kp, msg), 0);
    keys_keypair_wipe(&kp);
}

void mp_txid_of(uint8_t id[32], const tx_t *tx)
{
    tx_compute_txid(id, tx);
}

bool mp_pending(const tx_t *tx)
{
    uint8_t id[32];
    mp_txid_of(id, tx);
    return mempool_has(mp_pool, id);
}

void mp_add_ok(const tx_t *tx)
{
    const char *why = "(none)";
    int rc = mempool_add(mp_pool, &why, mp_best, tx);
    cr_assert_eq(rc, 0, "refused: %s (%d)", why, rc);
    cr_assert(mp_pending(tx));
}

void mp_add_refused(const tx_t *tx, int code, const char *reason)
{
    const char *why = NULL;
    size_t before = mempool_count(mp_pool);
    int rc = mempool_add(mp_pool, &why, mp_best, tx);
    cr_assert_eq(rc, code, "rc %d, want %d (reason %s)", rc, code,
                 why ? why : "(null)");
    cr_assert_not_null(why);
    cr_assert_str_eq(why, reason);
    cr_assert_eq(mempool_count(mp_pool), before, "a refusal changed the pool");
}

/* Selects everything and checks that the selection is the whole pool and
 * applies in order to s. Returns the number selected. */
size_t mp_check_pool_applies(const state_t *s)
{
    size_t n_pool = mempool_count(mp_pool), n = 99;
    tx_t *sel = calloc(n_pool + 1, sizeof *sel);
    cr_assert_not_null(sel);
    cr_assert_eq(mempool_select(mp_pool, sel, &n, NULL, s, n_pool + 1,
                                (n_pool + 1) * TX_TRANSFER_SIZE),
                 0);
    cr_assert_eq(n, n_pool, "selected %zu of %zu pending", n, n_pool);
    state_t *ov = state_new_overlay(s);
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        cr_assert_eq(state_apply_transfer(ov, NULL, &why, &sel[i]), 0,
                     "selection #%zu fails: %s", i, why);
    }
    state_free(&ov);
    free(sel);
    return n;
}

/* A block paying the coinbase to R, with the given transfers. */
void mp_make_block(block_t *b, const tx_t *txs, size_t n)
{
    tx_t cb;
    memset(b, 0, sizeof *b);
    tx_init_coinbase(&cb, 1, 0, mp_key[R].pub, 50);
    cr_assert_eq(block_add_tx(b, &cb), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(block_add_tx(b, &txs[i]), 0);
}

/* Applies a block to the best state as the chain would. */
void mp_apply_block(const block_t *b, state_undo_t *undo)
{
    const char *why = NULL;
    cr_assert_eq(state_apply_coinbase(mp_best, undo, &why, &b->txs[0]), 0);
    for (size_t i = 1; i < b->tx_count; i++)
        cr_assert_eq(state_apply_transfer(mp_best, undo, &why, &b->txs[i]), 0,
                     "block tx %zu invalid: %s", i, why);
}
