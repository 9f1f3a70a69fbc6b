/*
 * attack_block — builders of invalid blocks (attack_impl.h): first those
 * that break the header and its proof of work, then those that break the
 * body (merkle root, transactions, coinbase, size).
 *
 * Each is a block on the honest tip (attack_tip_block()) or a copy of an
 * honest block (attack_copy_block()) and the tweak that breaks one rule;
 * everything else about the block is right, because a block is refused for
 * the first rule it breaks.
 */
#include "attack_impl.h"
#include "err.h"

#include <string.h>

/* Blocks in one flood of orphans. */
#define ATTACK_ORPHAN_FLOOD 32
/* Transfers that take a block over BLOCK_MAX_SIZE. */
#define ATTACK_OVERSIZE_TXS (BLOCK_MAX_SIZE / TX_TRANSFER_SIZE + 16)

/* ---- blocks: header and proof of work -------------------------------- */

static int later_header(attack_env_t *env, block_t *b)
{
    b->header.time += 1 + (uint32_t)(env->seq++ % 600);
    attack_spoil_pow(&b->header); /* a regtest hash meets its target half
                                     the time */
    return 0;
}

/* The newest honest block with its header changed after it was mined. */
int attack_blk_bad_hash(attack_env_t *env, attack_out_t *out)
{
    return attack_copy_block(env, out, chain_tip(env->chain), later_header,
                             "high-hash");
}

/* Everything right except the work. */
int attack_blk_low_work(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = attack_template_on(env, &b, chain_tip(env->chain), NULL, 0);
    if (rc)
        return rc;
    attack_spoil_pow(&b.header);
    rc = attack_out_push_block(out, &b, "high-hash");
    block_deinit(&b);
    return rc;
}

/* Bits other than the chain expects, with work that meets them: the
 * easiest target when the network is harder (cheap), else half of it. */
static int bad_bits(attack_env_t *env, block_t *b)
{
    uint32_t limit = env->params->pow_limit_bits;
    b->header.bits = b->header.bits != limit
                         ? limit
                         : (limit & 0xff000000u) | ((limit & 0x007fffffu) >> 1);
    return 0;
}

int attack_blk_bad_bits(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, bad_bits, "bad-diffbits", false);
}

/* A child of a block that was refused: first the bad parent (refused and
 * remembered as bad-diffbits), then the child. */
int attack_blk_bad_parent(attack_env_t *env, attack_out_t *out)
{
    block_t parent, child;
    int rc = attack_template_on(env, &parent, chain_tip(env->chain), NULL, 0);
    if (rc)
        return rc;
    bad_bits(env, &parent);
    rc = attack_solve(&parent, env->max_hashes);
    if (rc == 0)
        rc = attack_out_push_block(out, &parent, "bad-diffbits");
    if (rc == 0 && (rc = block_copy(&child, &parent)) == 0) {
        block_compute_hash(child.header.prev_hash, &parent.header);
        child.txs[0].height++;
        child.header.time++;
        rc = attack_finish(env, out, &child, "bad-prevblk", true);
    }
    block_deinit(&parent);
    return rc;
}

/* On a parent nobody has, with the easiest work allowed (an orphan must
 * have real work to be kept). */
static int unknown_parent(attack_env_t *env, block_t *b)
{
    attack_random_bytes(b->header.prev_hash, 32);
    b->header.bits = env->params->pow_limit_bits;
    return 0;
}

int attack_blk_orphan(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, unknown_parent, "orphan", false);
}

int attack_flood_orphans(attack_env_t *env, attack_out_t *out)
{
    int rc = 0;
    for (int i = 0; i < ATTACK_ORPHAN_FLOOD && rc == 0; i++)
        rc = attack_blk_orphan(env, out);
    return rc;
}

/* Valid work on an old parent: a block in the middle of the chain. */
int attack_blk_stale_fork(attack_env_t *env, attack_out_t *out)
{
    uint32_t tip = chain_height(env->chain);
    uint32_t back = CHAIN_PRUNE_DEPTH + 1 + (uint32_t)(env->seq % 4);
    if (tip < back)
        return ERR_NOT_FOUND;
    block_t b;
    int rc = attack_template_on(
        env, &b, chain_at_height(env->chain, tip - back), NULL, 0);
    if (rc)
        return rc;
    return attack_finish(env, out, &b, "stale-fork", false);
}

static int time_future(attack_env_t *env, block_t *b)
{
    b->header.time = attack_header_time(env) + CHAIN_MAX_FUTURE_SECONDS + 3600;
    /* The clock is checked before the difficulty: the easiest work will
     * do, and is all a cheat would spend. */
    b->header.bits = env->params->pow_limit_bits;
    return 0;
}

int attack_blk_time_future(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, time_future, "time-too-new",
                            false);
}

static int time_past(attack_env_t *env, block_t *b)
{
    b->header.time = chain_median_time_past(chain_tip(env->chain));
    return 0;
}

int attack_blk_time_past(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, time_past, "time-too-old",
                            false);
}

/* ---- blocks: body ---------------------------------------------------- */

static int tamper(attack_env_t *env, block_t *b)
{
    tx_t *victim = &b->txs[b->tx_count - 1];
    if (victim->kind == TX_TRANSFER)
        memcpy(victim->recipient, env->pub, 32); /* redirect a payment */
    else
        victim->amount += COIN; /* or mint a coin */
    return 0;
}

/* An honest block from a little back, a transaction changed, re-sent: the
 * header (so the hash) is the honest one. */
int attack_blk_tampered(attack_env_t *env, attack_out_t *out)
{
    uint32_t tip = chain_height(env->chain);
    uint32_t back = (uint32_t)(env->seq++ % 5);
    const chain_node_t *n =
        chain_at_height(env->chain, tip > back ? tip - back : 0);
    return attack_copy_block(env, out, n, tamper, "bad-txnmrklroot");
}

static int random_merkle(attack_env_t *env, block_t *b)
{
    (void)env;
    attack_random_bytes(b->header.merkle_root, 32);
    return 0;
}

int attack_blk_bad_merkle(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, random_merkle, "bad-txnmrklroot",
                            false);
}

static int repeat_last(attack_env_t *env, block_t *b)
{
    (void)env;
    tx_t last = b->txs[b->tx_count - 1]; /* block_add_tx may move txs */
    return block_add_tx(b, &last);
}

/* The newest honest block with its last transaction repeated: Bitcoin's
 * CVE-2012-2459 mutation, same header and hash as the real block. */
int attack_blk_dup_tx(attack_env_t *env, attack_out_t *out)
{
    return attack_copy_block(env, out, chain_tip(env->chain), repeat_last,
                             "bad-txns-duplicate");
}

/* Two transfers of the same coins (the same nonce) in one block. */
int attack_blk_double_spend(attack_env_t *env, attack_out_t *out)
{
    if (!attack_funded(env))
        return ERR_NOT_FOUND;
    account_t a = attack_account(env, env->pub);
    tx_t txs[2];
    uint8_t r1[32], r2[32], s[32];
    attack_random_key(r1, s);
    attack_random_key(r2, s);
    int rc = attack_our_transfer(env, &txs[0], r1, a.balance - 1, a.nonce);
    if (rc == 0)
        rc = attack_our_transfer(env, &txs[1], r2, a.balance - 1, a.nonce);
    return rc ? rc
              : attack_tip_block(env, out, txs, 2, NULL,
                                 "bad-txns-nonce-replay", false);
}

/* Coins spent in an earlier block, spent again to someone else. */
int attack_blk_double_spend_across(attack_env_t *env, attack_out_t *out)
{
    tx_t old, tx;
    if (!attack_funded(env) || !attack_find_transfer(env, &old, env->pub))
        return ERR_NOT_FOUND;
    uint8_t to[32], s[32];
    attack_random_key(to, s);
    int rc = attack_our_transfer(env, &tx, to, old.amount, old.nonce);
    return rc ? rc
              : attack_tip_block(env, out, &tx, 1, NULL,
                                 "bad-txns-nonce-replay", false);
}

int attack_blk_overspend(attack_env_t *env, attack_out_t *out)
{
    account_t a = attack_account(env, env->pub);
    tx_t tx;
    uint8_t to[32], s[32];
    attack_random_key(to, s);
    /* More than the account holds even after this block's coinbase, which
     * pays the adversary first. */
    uint64_t more =
        params_block_subsidy(env->params, chain_height(env->chain) + 1) + COIN;
    uint64_t amount =
        a.balance > MAX_MONEY - 1 - more ? MAX_MONEY - 1 : a.balance + more;
    int rc = attack_our_transfer(env, &tx, to, amount, a.nonce);
    return rc ? rc
              : attack_tip_block(env, out, &tx, 1, NULL,
                                 "bad-txns-insufficient-funds", false);
}

int attack_blk_replay(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    if (!attack_find_transfer(env, &tx, NULL))
        return ERR_NOT_FOUND;
    return attack_tip_block(env, out, &tx, 1, NULL, "bad-txns-nonce-replay",
                            false);
}

/* A miner's coins taken with a made-up signature: nonce and balance are
 * right, so only the signature check can stop it. */
int attack_blk_bad_sig(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    int rc = attack_stolen_transfer(env, &tx);
    return rc ? rc
              : attack_tip_block(env, out, &tx, 1, NULL, "bad-txns-sig", false);
}

static int cb_amount(attack_env_t *env, block_t *b)
{
    b->txs[0].amount += 1 + env->seq % COIN;
    return 0;
}

int attack_blk_cb_amount(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, cb_amount, "bad-cb-amount",
                            true);
}

static int second_coinbase(attack_env_t *env, block_t *b)
{
    (void)env;
    tx_t second = b->txs[0];
    second.extra_nonce ^= 0x5a5a5a5a5a5a5a5aull;
    second.amount = 1;
    return block_add_tx(b, &second) ? ERR_NOMEM : 0;
}

int attack_blk_cb_multiple(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, second_coinbase,
                            "bad-cb-multiple", true);
}

static int cb_height(attack_env_t *env, block_t *b)
{
    b->txs[0].height += 1 + (uint32_t)(env->seq % 100);
    return 0;
}

int attack_blk_cb_height(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, cb_height, "bad-cb-height",
                            true);
}

/* Filler transfers past BLOCK_MAX_SIZE (size is checked first). */
static int oversize(attack_env_t *env, block_t *b)
{
    tx_t filler;
    tx_init_transfer(&filler, env->pub, env->pub, 1, 0, 0);
    for (size_t i = 0; i < ATTACK_OVERSIZE_TXS; i++) {
        filler.nonce = i;
        if (block_add_tx(b, &filler) != 0)
            return ERR_NOMEM;
    }
    return 0;
}

int attack_blk_oversized(attack_env_t *env, attack_out_t *out)
{
    return attack_tip_block(env, out, NULL, 0, oversize, "bad-blk-size", true);
}
