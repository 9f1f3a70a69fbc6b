/*
 * attack_impl — what the files of the attack catalogue share (attack.c:
 * the catalogue, its items and the funding; attack_kit.c: the helpers
 * builders are made of; attack_tx.c, attack_block.c, attack_bytes.c: the
 * builders of invalid transactions, blocks and bytes; attack_storm.c: the
 * orphan storm; attack_flood.c and attack_sybil.c: the inbox flood and the
 * silent peers).
 *
 * Private to src/adversary/attack*.c; nothing else includes it.
 *
 * A builder is a readable statement of one way to cheat: most block
 * builders are a block on the honest tip (attack_tip_block()) or a copy of
 * an honest block (attack_copy_block()) with one change, the tweak, made
 * by a function a few lines long next to the builder.
 */
#ifndef PICKAXE_ATTACK_IMPL_H
#define PICKAXE_ATTACK_IMPL_H

#include "attack.h"
#include "state.h"
#include "tx.h"

/* How far back builders look for a block or transaction to reuse. */
#define ATTACK_LOOKBACK 2000

/* ---- items (attack.c) ---- */

/* Appends an empty item; NULL when out of memory. */
attack_item_t *attack_push(attack_out_t *out, attack_channel_t ch,
                           uint16_t type, const char *reason);

/* Appends a transaction item for gossip (NEW_TX) with its txid as id.
 * Returns: 0 or ERR_NOMEM. */
PX_MUST_CHECK int attack_push_tx(attack_out_t *out, const tx_t *tx,
                                 const char *reason);

/* ---- helpers (attack_kit.c) ---- */

/* Random bytes from the system, or (should it fail) from rand(): an
 * attack needs variety, not secrecy. */
void attack_random_bytes(uint8_t *p, size_t n);

/* A fresh key pair nobody uses. */
void attack_random_key(uint8_t pub[32], uint8_t secret[32]);

/* The account of key as the followed chain has it at its tip. */
account_t attack_account(const attack_env_t *env, const uint8_t key[32]);

/* The header time builders use: env->now, or 0 before the epoch. */
uint32_t attack_header_time(const attack_env_t *env);

/* A template on parent paying the adversary, with transfers txs.
 * Returns: 0 (b owned by the caller) or template_build()'s error. */
PX_MUST_CHECK int attack_template_on(attack_env_t *env, block_t *b,
                                     const chain_node_t *parent,
                                     const tx_t *txs, size_t n);

/* Changes a block a builder made before it is solved (tip) or pushed
 * (copy). Returns 0 or an error code (ERR_NOMEM). */
typedef int (*attack_tweak_fn)(attack_env_t *env, block_t *b);

/*
 * A block on the honest tip paying the adversary, with transfers txs,
 * changed by tweak (NULL: none), its merkle root recomputed when reseal,
 * solved and pushed for gossip with reason.
 * Returns: 0; ERR_RANGE when its work exceeds the budget; the tweak's or
 *          the template's error.
 */
PX_MUST_CHECK int attack_tip_block(attack_env_t *env, attack_out_t *out,
                                   const tx_t *txs, size_t n,
                                   attack_tweak_fn tweak, const char *reason,
                                   bool reseal);

/*
 * A copy of the honest block n changed by tweak and pushed as it is, not
 * solved again: its header, so its hash, is the honest one unless the
 * tweak changed it.
 * Returns: 0, the tweak's error, or ERR_NOMEM.
 */
PX_MUST_CHECK int attack_copy_block(attack_env_t *env, attack_out_t *out,
                                    const chain_node_t *n,
                                    attack_tweak_fn tweak, const char *reason);

/* Solves b (merkle root recomputed first when reseal), pushes it with
 * reason, and frees it whatever happens. Returns: 0, ERR_RANGE, ERR_NOMEM. */
PX_MUST_CHECK int attack_finish(const attack_env_t *env, attack_out_t *out,
                                block_t *b, const char *reason, bool reseal);

/* Changes the nonce until the hash misses the header's own target. */
void attack_spoil_pow(block_header_t *h);

/* The most recent best-chain transfer (sent by `sender` when not NULL).
 * Returns false when there is none within ATTACK_LOOKBACK blocks. */
bool attack_find_transfer(const attack_env_t *env, tx_t *out,
                          const uint8_t *sender);

/* An account someone else owns that has coins (a recent miner): its key
 * and account. Returns false when there is none within ATTACK_LOOKBACK. */
bool attack_find_rich(const attack_env_t *env, uint8_t key[32], account_t *a);

/*
 * A transfer of a recent miner's coins (all but one unit) to the
 * adversary, with a made-up signature: nonce and balance are right, so only
 * the signature check can stop it.
 * Returns: 0, or ERR_NOT_FOUND when no one else has coins yet.
 */
PX_MUST_CHECK int attack_stolen_transfer(const attack_env_t *env, tx_t *tx);

/* A transfer from the adversary's key, signed. Returns 0 or ERR_NOMEM. */
PX_MUST_CHECK int attack_our_transfer(const attack_env_t *env, tx_t *tx,
                                      const uint8_t to[32], uint64_t amount,
                                      uint64_t nonce);

/* ---- builders (attack_fn), one per kind of the catalogue ---- */

/* attack_tx.c */
int attack_tx_bad_sig(attack_env_t *env, attack_out_t *out);
int attack_tx_unsigned(attack_env_t *env, attack_out_t *out);
int attack_tx_overspend(attack_env_t *env, attack_out_t *out);
int attack_tx_replay(attack_env_t *env, attack_out_t *out);
int attack_txs_bad_txid(attack_env_t *env, attack_out_t *out);
int attack_txs_malformed(attack_env_t *env, attack_out_t *out);
int attack_txs_mixed(attack_env_t *env, attack_out_t *out);
/* attack_block.c */
int attack_blk_bad_hash(attack_env_t *env, attack_out_t *out);
int attack_blk_low_work(attack_env_t *env, attack_out_t *out);
int attack_blk_bad_bits(attack_env_t *env, attack_out_t *out);
int attack_blk_bad_parent(attack_env_t *env, attack_out_t *out);
int attack_blk_orphan(attack_env_t *env, attack_out_t *out);
int attack_flood_orphans(attack_env_t *env, attack_out_t *out);
int attack_blk_stale_fork(attack_env_t *env, attack_out_t *out);
int attack_blk_time_future(attack_env_t *env, attack_out_t *out);
int attack_blk_time_past(attack_env_t *env, attack_out_t *out);
int attack_blk_tampered(attack_env_t *env, attack_out_t *out);
int attack_blk_bad_merkle(attack_env_t *env, attack_out_t *out);
int attack_blk_dup_tx(attack_env_t *env, attack_out_t *out);
int attack_blk_double_spend(attack_env_t *env, attack_out_t *out);
int attack_blk_double_spend_across(attack_env_t *env, attack_out_t *out);
int attack_blk_overspend(attack_env_t *env, attack_out_t *out);
int attack_blk_replay(attack_env_t *env, attack_out_t *out);
int attack_blk_bad_sig(attack_env_t *env, attack_out_t *out);
int attack_blk_cb_amount(attack_env_t *env, attack_out_t *out);
int attack_blk_cb_multiple(attack_env_t *env, attack_out_t *out);
int attack_blk_cb_height(attack_env_t *env, attack_out_t *out);
int attack_blk_oversized(attack_env_t *env, attack_out_t *out);
/* attack_bytes.c */
int attack_blk_truncated(attack_env_t *env, attack_out_t *out);
int attack_blk_random(attack_env_t *env, attack_out_t *out);
int attack_flood_requests(attack_env_t *env, attack_out_t *out);
/* attack_flood.c */
int attack_inbox_flood(attack_env_t *env, attack_out_t *out);
/* attack_sybil.c */
int attack_silent_sybils(attack_env_t *env, attack_out_t *out);

#endif
