/*
 * attack_kit — what the builders of the catalogue are made of
 * (attack_impl.h): randomness, the followed chain's accounts and
 * transfers, templates on the honest tip, and proof of work.
 *
 * Most block builders start from a template on the honest tip (what an
 * honest miner would mine now, paying the adversary), break one rule,
 * recompute the merkle root unless the merkle root is the rule broken, and
 * solve. The rule order in chain.c matters: a block is refused for the
 * first rule it breaks, so everything else about it must be right.
 */
#include "attack_impl.h"
#include "err.h"
#include "keys.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>

void attack_random_bytes(uint8_t *p, size_t n)
{
    if (keys_random(p, n) != 0)
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)rand();
}

void attack_random_key(uint8_t pub[32], uint8_t secret[32])
{
    do
        attack_random_bytes(secret, 32);
    while (keys_pubkey_from_secret(pub, secret) != 0);
}

account_t attack_account(const attack_env_t *env, const uint8_t key[32])
{
    account_t a;
    state_get(chain_state(env->chain), &a, key);
    return a;
}

uint32_t attack_header_time(const attack_env_t *env)
{
    return env->now > 0 ? (uint32_t)env->now : 0;
}

int attack_template_on(attack_env_t *env, block_t *b,
                       const chain_node_t *parent, const tx_t *txs, size_t n)
{
    return template_build(b, env->chain, parent, env->pub, txs, n,
                          attack_header_time(env), ++env->seq);
}

/* Recomputes the merkle root (a repeated leaf keeps the old one) and
 * solves. */
static int seal(const attack_env_t *env, block_t *b)
{
    uint8_t root[32];
    if (block_compute_merkle_root(root, b) == 0)
        memcpy(b->header.merkle_root, root, 32);
    return attack_solve(b, env->max_hashes);
}

int attack_finish(const attack_env_t *env, attack_out_t *out, block_t *b,
                  const char *reason, bool reseal)
{
    int rc = reseal ? seal(env, b) : attack_solve(b, env->max_hashes);
    if (rc == 0)
        rc = attack_out_push_block(out, b, reason);
    block_deinit(b);
    return rc;
}

int attack_tip_block(attack_env_t *env, attack_out_t *out, const tx_t *txs,
                     size_t n, attack_tweak_fn tweak, const char *reason,
                     bool reseal)
{
    block_t b;
    int rc = attack_template_on(env, &b, chain_tip(env->chain), txs, n);
    if (rc)
        return rc;
    if (tweak && (rc = tweak(env, &b)) != 0) {
        block_deinit(&b);
        return rc;
    }
    return attack_finish(env, out, &b, reason, reseal);
}

int attack_copy_block(attack_env_t *env, attack_out_t *out,
                      const chain_node_t *n, attack_tweak_fn tweak,
                      const char *reason)
{
    block_t b;
    if (block_copy(&b, &n->block) != 0)
        return ERR_NOMEM;
    int rc = tweak(env, &b);
    if (rc == 0)
        rc = attack_out_push_block(out, &b, reason);
    block_deinit(&b);
    return rc;
}

int attack_solve(block_t *b, uint64_t max_hashes)
{
    uint256_t target, work;
    if (block_bits_to_target(&target, b->header.bits) != 0 ||
        block_work_from_bits(&work, b->header.bits) != 0)
        return ERR_RANGE;
    uint256_t budget;
    uint256_set_u64(&budget, max_hashes);
    if (max_hashes && uint256_cmp(&work, &budget) > 0)
        return ERR_RANGE;
    /* Four times the expected work before giving up: luck varies. */
    uint64_t left = max_hashes ? 4 * max_hashes : UINT64_MAX;
    for (;;) {
        uint8_t hash[32];
        for (uint64_t nonce = 0; nonce <= UINT32_MAX; nonce++) {
            if (left-- == 0)
                return ERR_RANGE;
            block_set_nonce_and_get_hash(hash, &b->header, (uint32_t)nonce);
            if (block_hash_meets_target(hash, &target))
                return 0;
        }
        b->header.time++;
    }
}

void attack_spoil_pow(block_header_t *h)
{
    uint256_t target;
    if (block_bits_to_target(&target, h->bits) != 0)
        return; /* invalid bits already fail */
    for (uint32_t i = 0;; i++) {
        uint8_t hash[32];
        block_set_nonce_and_get_hash(hash, h, h->nonce + i);
        if (!block_hash_meets_target(hash, &target))
            return;
    }
}

bool attack_find_transfer(const attack_env_t *env, tx_t *out,
                          const uint8_t *sender)
{
    const chain_node_t *n = chain_tip(env->chain);
    for (int k = 0; n && k < ATTACK_LOOKBACK; k++, n = n->parent) {
        for (size_t i = n->block.tx_count; i > 1; i--) {
            const tx_t *tx = &n->block.txs[i - 1];
            if (tx->kind == TX_TRANSFER &&
                (!sender || memcmp(tx->sender, sender, 32) == 0)) {
                *out = *tx;
                return true;
            }
        }
    }
    return false;
}

bool attack_find_rich(const attack_env_t *env, uint8_t key[32], account_t *a)
{
    const chain_node_t *n = chain_tip(env->chain);
    for (int k = 0; n && k < ATTACK_LOOKBACK; k++, n = n->parent) {
        const uint8_t *who = n->block.txs[0].recipient;
        if (memcmp(who, env->pub, 32) == 0)
            continue;
        *a = attack_account(env, who);
        if (a->balance >= 2) {
            memcpy(key, who, 32);
            return true;
        }
    }
    return false;
}

int attack_stolen_transfer(const attack_env_t *env, tx_t *tx)
{
    uint8_t victim[32];
    account_t a;
    if (!attack_find_rich(env, victim, &a))
        return ERR_NOT_FOUND;
    tx_init_transfer(tx, victim, env->pub, a.balance - 1, 1, a.nonce);
    attack_random_bytes(tx->sig, sizeof tx->sig);
    return 0;
}

int attack_our_transfer(const attack_env_t *env, tx_t *tx, const uint8_t to[32],
                        uint64_t amount, uint64_t nonce)
{
    tx_init_transfer(tx, env->pub, to, amount, 1, nonce);
    return tx_sign_with_secret(tx, env->secret, env->params->network_id) == 0
               ? 0
               : ERR_NOMEM;
}

bool attack_funded(const attack_env_t *env)
{
    account_t a = attack_account(env, env->pub);
    return a.balance > 2 && a.nonce >= 1;
}
