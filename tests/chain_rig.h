/*
 * chain_rig — what the chain's tests share (test_chain.c and the tests of
 * its files: test_chain_validate.c, test_chain_orphans.c,
 * test_chain_index.c, test_chain_query.c): four keys, a chain alice has
 * mined on, balances, and a block that must be refused with its reason.
 * Blocks themselves come from fixtures.h.
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_CHAIN_RIG_H
#define PICKAXE_TEST_CHAIN_RIG_H

#include <stdint.h>

#include "chain.h"
#include "fixtures.h"

extern fx_key_t ch_alice, ch_bob, ch_carol, ch_miner;

/* A suite's .init: the four keys. */
void ch_setup(void);

/* key's balance at the chain's tip. */
uint64_t ch_balance(const chain_t *c, const uint8_t key[32]);

/* A regtest chain where alice has mined `blocks` blocks (50 coins each). */
chain_t *ch_funded_chain(int blocks, const chain_callbacks_t *cb);

/* Adds b and expects it refused (ERR_INVALID) with `reason`. */
void ch_expect_refused(chain_t *c, const block_t *b, const char *reason);

#endif
