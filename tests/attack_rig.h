/*
 * attack_rig — what the attack catalogue's tests share (test_attack.c,
 * test_attack_storm.c): an honest regtest chain with history -- miners
 * paid, a confirmed transfer to replay, and the adversary funded with a
 * confirmed spend of its own -- a mempool, and the adversary's attack_env_t
 * on that chain.
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_ATTACK_RIG_H
#define PICKAXE_TEST_ATTACK_RIG_H

#include "attack.h"
#include "chain.h"
#include "fixtures.h"
#include "mempool.h"

typedef struct {
    chain_t *c;
    mempool_t *m;
    attack_env_t env;
    fx_key_t miner, user;
} aw_world_t;

/* Builds the world; fails the test when it cannot. aw_deinit() frees it. */
void aw_init(aw_world_t *w);
void aw_deinit(aw_world_t *w);

#endif
