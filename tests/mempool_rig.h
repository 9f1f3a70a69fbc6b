/*
 * mempool_rig — what the mempool's tests share (test_mempool.c,
 * test_mempool_select.c): keys, a best state and a pool made afresh for
 * each test, signed transfers, admission that must succeed or fail with a
 * given reason, and blocks applied to the state as the chain would.
 *
 * The tests play the chain themselves: mp_best is the best state, a block
 * is applied to it with state_apply_* (keeping undo data to disconnect
 * it), and the pool is told as the node would tell it.
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_MEMPOOL_RIG_H
#define PICKAXE_TEST_MEMPOOL_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "fixtures.h"
#include "mempool.h"
#include "params.h"
#include "state.h"

#define NET (params_regtest()->network_id)

/* Actors: keys A..F; R is a recipient that never sends. */
enum { A, B, C, D, E, F, R, MP_NKEYS };
extern fx_key_t mp_key[MP_NKEYS];
extern state_t *mp_best;
extern mempool_t *mp_pool;

/* A suite's .init and .fini: fresh keys, state and pool of 1000; freed. */
void mp_setup(void);
void mp_teardown(void);

/* Sets who's account in the best state. */
void mp_fund(int who, uint64_t balance, uint64_t nonce);
/* A transfer signed for regtest. */
void mp_xfer(tx_t *tx, const fx_key_t *from, const uint8_t to[32],
             uint64_t amount, uint64_t fee, uint64_t nonce);
/* A signed transfer from `from` to R. */
tx_t mp_pay(int from, uint64_t amount, uint64_t fee, uint64_t nonce);
/* Signs tx with k whoever the sender is (tx_sign refuses a wrong key). */
void mp_sign_raw(tx_t *tx, const fx_key_t *k);
void mp_txid_of(uint8_t id[32], const tx_t *tx);
/* True when tx waits in the pool. */
bool mp_pending(const tx_t *tx);
/* Offers tx against the best state; fails the test unless it is taken. */
void mp_add_ok(const tx_t *tx);
/* Offers tx; fails the test unless it is refused with code and reason and
 * the pool is unchanged. */
void mp_add_refused(const tx_t *tx, int code, const char *reason);
/* Selects everything and checks that the selection is the whole pool and
 * applies in order to s. Returns the number selected. */
size_t mp_check_pool_applies(const state_t *s);
/* A block paying the coinbase to R, with the given transfers. */
void mp_make_block(block_t *b, const tx_t *txs, size_t n);
/* Applies a block to the best state as the chain would. */
void mp_apply_block(const block_t *b, state_undo_t *undo);

#endif
