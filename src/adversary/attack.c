/*
 * attack — builders of invalid blocks, transactions and messages (see
 * attack.h). Each builder is small on purpose: it is a readable statement of
 * one way to cheat, next to the rule that stops it.
 *
 * Most block builders start from a template on the honest tip (what an
 * honest miner would mine now, paying the adversary), break one rule,
 * recompute the merkle root unless the merkle root is the rule broken, and
 * solve. The rule order in chain.c matters: a block is refused for the first
 * rule it breaks, so everything else about it must be right.
 */
#include "attack.h"
#include "attack_storm.h"
#include "err.h"
#include "keys.h"
#include "state.h"
#include "template.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

/* How far back builders look for a block or transaction to reuse. */
#define ATTACK_LOOKBACK 2000
/* Blocks in one flood of orphans, request frames in one request flood. */
#define ATTACK_ORPHAN_FLOOD 32
#define ATTACK_REQUEST_FLOOD 1500
/* Transfers that take a block over BLOCK_MAX_SIZE. */
#define ATTACK_OVERSIZE_TXS (BLOCK_MAX_SIZE / TX_TRANSFER_SIZE + 16)

/* ---- items ------------------------------------------------------------------
 */

static attack_item_t *push(attack_out_t *out, attack_channel_t ch,
                           uint16_t type, const char *reason)
{
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        attack_item_t *v = realloc(out->items, cap * sizeof *v);
        if (!v)
            return NULL;
        out->items = v;
        out->cap = cap;
    }
    attack_item_t *it = &out->items[out->count++];
    memset(it, 0, sizeof *it);
    it->channel = ch;
    it->type = type;
    it->reason = reason;
    buf_init(&it->bytes);
    return it;
}

int attack_out_push_block(attack_out_t *out, const block_t *b,
                          const char *reason)
{
    attack_item_t *it = push(out, ATTACK_GOSSIP, WIRE_NEW_BLOCK, reason);
    if (!it || block_serialize(&it->bytes, b) != 0)
        return ERR_NOMEM;
    block_compute_hash(it->id, &b->header);
    return 0;
}

static int push_tx(attack_out_t *out, const tx_t *tx, const char *reason)
{
    attack_item_t *it = push(out, ATTACK_GOSSIP, WIRE_NEW_TX, reason);
    if (!it || tx_serialize(&it->bytes, tx) != 0)
        return ERR_NOMEM;
    tx_compute_txid(it->id, tx);
    return 0;
}

void attack_out_clear(attack_out_t *out)
{
    for (size_t i = 0; i < out->count; i++)
        buf_deinit(&out->items[i].bytes);
    free(out->items);
    memset(out, 0, sizeof *out);
}

/* ---- small helpers
 * -------------------------------------------------------------- */

static void random_bytes(uint8_t *p, size_t n)
{
    if (keys_random(p, n) != 0)
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)rand();
}

static void random_key(uint8_t pub[32], uint8_t secret[32])
{
    do
        random_bytes(secret, 32);
    while (keys_pubkey_from_secret(pub, secret) != 0);
}

static account_t account(const attack_env_t *env, const uint8_t key[32])
{
    account_t a;
    state_get(chain_state(env->chain), &a, key);
    return a;
}

static uint32_t header_time(const attack_env_t *env)
{
    return env->now > 0 ? (uint32_t)env->now : 0;
}

/* A template on parent paying the adversary, with transfers txs. */
static int template_on(attack_env_t *env, block_t *b,
                       const chain_node_t *parent, const tx_t *txs, size_t n)
{
    return template_build(b, env->chain, parent, env->pub, txs, n,
                          header_time(env), ++env->seq);
}

static int tip_template(attack_env_t *env, block_t *b, const tx_t *txs,
                        size_t n)
{
    return template_on(env, b, chain_tip(env->chain), txs, n);
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

/* Seals and pushes b, then frees it. */
static int finish(const attack_env_t *env, attack_out_t *out, block_t *b,
                  const char *reason, bool reseal)
{
    int rc = reseal ? seal(env, b) : attack_solve(b, env->max_hashes);
    if (rc == 0)
        rc = attack_out_push_block(out, b, reason);
    block_deinit(b);
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

/* Changes the nonce until the hash misses the header's own target. */
static void spoil_pow(block_header_t *h)
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

/* The most recent best-chain transfer (sent by `sender` when not NULL). */
static bool find_transfer(const attack_env_t *env, tx_t *out,
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

/* An account someone else owns that has coins: a recent miner. */
static bool find_rich(const attack_env_t *env, uint8_t key[32], account_t *a)
{
    const chain_node_t *n = chain_tip(env->chain);
    for (int k = 0; n && k < ATTACK_LOOKBACK; k++, n = n->parent) {
        const uint8_t *who = n->block.txs[0].recipient;
        if (memcmp(who, env->pub, 32) == 0)
            continue;
        *a = account(env, who);
        if (a->balance >= 2) {
            memcpy(key, who, 32);
            return true;
        }
    }
    return false;
}

/* A transfer from the adversary's key, signed. */
static int our_transfer(const attack_env_t *env, tx_t *tx, const uint8_t to[32],
                        uint64_t amount, uint64_t nonce)
{
    tx_init_transfer(tx, env->pub, to, amount, 1, nonce);
    return tx_sign_with_secret(tx, env->secret, env->params->network_id) == 0
               ? 0
               : ERR_NOMEM;
}

bool attack_funded(const attack_env_t *env)
{
    account_t a = account(env, env->pub);
    return a.balance > 2 && a.nonce >= 1;
}

/* ---- transactions
 * ------------------------------------------------------------ */

/* A transfer from a miner's account, signed by nobody who owns it. */
static int b_tx_bad_sig(attack_env_t *env, attack_out_t *out)
{
    uint8_t victim[32];
    account_t a;
    if (!find_rich(env, victim, &a))
        return ERR_NOT_FOUND;
    tx_t tx;
    tx_init_transfer(&tx, victim, env->pub, a.balance - 1, 1, a.nonce);
    random_bytes(tx.sig, sizeof tx.sig);
    return push_tx(out, &tx, "bad-txns-sig");
}

static int b_tx_unsigned(attack_env_t *env, attack_out_t *out)
{
    uint8_t victim[32];
    account_t a;
    if (!find_rich(env, victim, &a)) {
        memcpy(victim, env->pub, 32);
        a = account(env, env->pub);
    }
    tx_t tx;
    tx_init_transfer(&tx, victim, env->pub, 1 + env->seq++ % 1000, 1, a.nonce);
    return push_tx(out, &tx, "bad-txns-unsigned");
}

/* Correctly signed by a key that owns nothing. */
static int b_tx_overspend(attack_env_t *env, attack_out_t *out)
{
    uint8_t pub[32], secret[32];
    random_key(pub, secret);
    tx_t tx;
    tx_init_transfer(&tx, pub, env->pub, COIN, 1, 0);
    int rc = tx_sign_with_secret(&tx, secret, env->params->network_id);
    explicit_bzero(secret, sizeof secret);
    return rc ? ERR_NOMEM : push_tx(out, &tx, "bad-txns-insufficient-funds");
}

/* A confirmed transfer, sent again. */
static int b_tx_replay(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    if (!find_transfer(env, &tx, NULL))
        return ERR_NOT_FOUND;
    return push_tx(out, &tx, "bad-txns-nonce-replay");
}

/* ---- transaction batches (NEW_TXS)
 * ------------------------------------------------------------ */

/*
 * NEW_TXS carries each transaction behind the txid its sender claims, so a
 * receiver can drop one it holds after a lookup, before parsing anything.
 * A receiver that does parse an item must check the claim, refuse an item
 * that is no transaction, and judge every item on its own: one bad item
 * does not make the frame's others bad. These kinds send a whole frame
 * (type 0), built here because a blob cannot say what they lie about.
 */

/* Appends one NEW_TXS frame of n items, sent as is. Out: *item. */
static int push_txs(attack_item_t **item, attack_out_t *out,
                    const attack_env_t *env, const wire_txitem_t *items,
                    size_t n, const char *reason)
{
    attack_item_t *it = push(out, ATTACK_GOSSIP, 0, reason);
    if (!it)
        return ERR_NOMEM;
    wire_msg_t m;
    wire_msg_init(&m, WIRE_NEW_TXS);
    m.u.txs.count = (uint16_t)n;
    m.u.txs.items = items;
    if (wire_encode(&it->bytes, env->params->network_id, &m) != 0)
        return ERR_NOMEM;
    *item = it;
    return 0;
}

/* A valid transfer of our own behind the txid of another one (the same
 * transfer with one unit more): only checking the claim stops it. */
static int b_txs_bad_txid(attack_env_t *env, attack_out_t *out)
{
    if (!attack_funded(env))
        return ERR_NOT_FOUND;
    account_t a = account(env, env->pub);
    uint8_t to[32], s[32];
    random_key(to, s);
    tx_t tx;
    int rc = our_transfer(env, &tx, to, 1 + env->seq++ % 1000, a.nonce);
    if (rc)
        return rc;
    tx_t other = tx;
    other.amount++;
    uint8_t claim[32];
    tx_compute_txid(claim, &other);
    buf_t raw;
    buf_init(&raw);
    wire_txitem_t item = {.txid = claim};
    attack_item_t *it = NULL;
    rc = tx_serialize(&raw, &tx) ? ERR_NOMEM : 0;
    if (rc == 0) {
        item.tx.data = raw.data;
        item.tx.len = raw.len;
        rc = push_txs(&it, out, env, &item, 1, "bad-txid");
    }
    if (rc == 0)
        tx_compute_txid(it->id, &tx); /* the transfer that must stay out */
    buf_deinit(&raw);
    return rc;
}

/* Bytes of about a transfer's length that are no transaction (a kind
 * that does not exist, or a transfer cut short), behind a made-up txid. */
static int b_txs_malformed(attack_env_t *env, attack_out_t *out)
{
    uint8_t junk[TX_TRANSFER_SIZE], claim[32];
    random_bytes(junk, sizeof junk);
    random_bytes(claim, sizeof claim);
    size_t len = sizeof junk;
    if (env->seq++ % 2) {
        junk[0] = (uint8_t)(TX_TRANSFER + 1 + junk[0] % (255 - TX_TRANSFER));
    } else {
        junk[0] = TX_TRANSFER;
        len -= 1 + env->seq % 64;
    }
    wire_txitem_t item = {.txid = claim, .tx = {junk, len}};
    attack_item_t *it;
    return push_txs(&it, out, env, &item, 1, "malformed");
}

/* One frame, each item behind its true txid: a miner's coins taken with a
 * made-up signature (as tx-bad-sig), then a valid transfer of our own (one
 * unit to ourselves: the same txid until it is confirmed). The bad item
 * comes first, so a receiver that gave up on the frame at it would never
 * take the valid one. */
static int b_txs_mixed(attack_env_t *env, attack_out_t *out)
{
    uint8_t victim[32];
    account_t v;
    if (!attack_funded(env) || !find_rich(env, victim, &v))
        return ERR_NOT_FOUND;
    tx_t txs[2];
    tx_init_transfer(&txs[0], victim, env->pub, v.balance - 1, 1, v.nonce);
    random_bytes(txs[0].sig, sizeof txs[0].sig);
    int rc =
        our_transfer(env, &txs[1], env->pub, 1, account(env, env->pub).nonce);
    if (rc)
        return rc;
    uint8_t ids[2][32];
    buf_t raw[2];
    wire_txitem_t items[2];
    for (int i = 0; i < 2; i++) {
        buf_init(&raw[i]);
        tx_compute_txid(ids[i], &txs[i]);
        if (tx_serialize(&raw[i], &txs[i]) != 0)
            rc = ERR_NOMEM;
        items[i] = (wire_txitem_t){ids[i], {raw[i].data, raw[i].len}};
    }
    attack_item_t *it = NULL;
    if (rc == 0)
        rc = push_txs(&it, out, env, items, 2, "bad-txns-sig");
    if (rc == 0) {
        memcpy(it->id, ids[0], 32);
        memcpy(it->valid_id, ids[1], 32);
    }
    env->seq++;
    buf_deinit(&raw[0]);
    buf_deinit(&raw[1]);
    return rc;
}

/* ---- blocks: header and proof of work --------------------------------------
 */

/* The newest honest block with its header changed after it was mined. */
static int b_blk_bad_hash(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    if (block_copy(&b, &chain_tip(env->chain)->block) != 0)
        return ERR_NOMEM;
    b.header.time += 1 + (uint32_t)(env->seq++ % 600);
    spoil_pow(&b.header); /* a regtest hash meets its target half the time */
    int rc = attack_out_push_block(out, &b, "high-hash");
    block_deinit(&b);
    return rc;
}

/* Everything right except the work. */
static int b_blk_low_work(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    spoil_pow(&b.header);
    rc = attack_out_push_block(out, &b, "high-hash");
    block_deinit(&b);
    return rc;
}

/* Bits other than the chain expects, with work that meets them: the
 * easiest target when the network is harder (cheap), else half of it. */
static int build_bad_bits(attack_env_t *env, block_t *b)
{
    int rc = tip_template(env, b, NULL, 0);
    if (rc)
        return rc;
    uint32_t limit = env->params->pow_limit_bits;
    b->header.bits = b->header.bits != limit
                         ? limit
                         : (limit & 0xff000000u) | ((limit & 0x007fffffu) >> 1);
    rc = attack_solve(b, env->max_hashes);
    if (rc)
        block_deinit(b);
    return rc;
}

static int b_blk_bad_bits(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = build_bad_bits(env, &b);
    if (rc)
        return rc;
    rc = attack_out_push_block(out, &b, "bad-diffbits");
    block_deinit(&b);
    return rc;
}

/* A child of a block that was refused: first the bad parent (refused and
 * remembered as bad-diffbits), then the child. */
static int b_blk_bad_parent(attack_env_t *env, attack_out_t *out)
{
    block_t parent, child;
    int rc = build_bad_bits(env, &parent);
    if (rc)
        return rc;
    rc = attack_out_push_block(out, &parent, "bad-diffbits");
    if (rc == 0 && (rc = block_copy(&child, &parent)) == 0) {
        block_compute_hash(child.header.prev_hash, &parent.header);
        child.txs[0].height++;
        child.header.time++;
        rc = finish(env, out, &child, "bad-prevblk", true);
    }
    block_deinit(&parent);
    return rc;
}

/* On a parent nobody has, with the easiest work allowed (an orphan must
 * have real work to be kept). */
static int build_orphan(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    random_bytes(b.header.prev_hash, 32);
    b.header.bits = env->params->pow_limit_bits;
    return finish(env, out, &b, "orphan", false);
}

static int b_blk_orphan(attack_env_t *env, attack_out_t *out)
{
    return build_orphan(env, out);
}

static int b_flood_orphans(attack_env_t *env, attack_out_t *out)
{
    int rc = 0;
    for (int i = 0; i < ATTACK_ORPHAN_FLOOD && rc == 0; i++)
        rc = build_orphan(env, out);
    return rc;
}

/* Valid work on an old parent: a block in the middle of the chain. */
static int b_blk_stale_fork(attack_env_t *env, attack_out_t *out)
{
    uint32_t tip = chain_height(env->chain);
    uint32_t back = CHAIN_PRUNE_DEPTH + 1 + (uint32_t)(env->seq % 4);
    if (tip < back)
        return ERR_NOT_FOUND;
    block_t b;
    int rc =
        template_on(env, &b, chain_at_height(env->chain, tip - back), NULL, 0);
    if (rc)
        return rc;
    return finish(env, out, &b, "stale-fork", false);
}

static int b_blk_time_future(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    b.header.time = header_time(env) + CHAIN_MAX_FUTURE_SECONDS + 3600;
    /* The clock is checked before the difficulty: the easiest work will
     * do, and is all a cheat would spend. */
    b.header.bits = env->params->pow_limit_bits;
    return finish(env, out, &b, "time-too-new", false);
}

static int b_blk_time_past(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    b.header.time = chain_median_time_past(chain_tip(env->chain));
    return finish(env, out, &b, "time-too-old", false);
}

/* ---- blocks: body ----------------------------------------------------------
 */

/* An honest block from a little back, a transaction changed, re-sent: the
 * header (so the hash) is the honest one. */
static int b_blk_tampered(attack_env_t *env, attack_out_t *out)
{
    uint32_t tip = chain_height(env->chain);
    uint32_t back = (uint32_t)(env->seq++ % 5);
    const chain_node_t *n =
        chain_at_height(env->chain, tip > back ? tip - back : 0);
    block_t b;
    if (block_copy(&b, &n->block) != 0)
        return ERR_NOMEM;
    tx_t *victim = &b.txs[b.tx_count - 1];
    if (victim->kind == TX_TRANSFER)
        memcpy(victim->recipient, env->pub, 32); /* redirect a payment */
    else
        victim->amount += COIN; /* or mint a coin */
    int rc = attack_out_push_block(out, &b, "bad-txnmrklroot");
    block_deinit(&b);
    return rc;
}

static int b_blk_bad_merkle(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    random_bytes(b.header.merkle_root, 32);
    return finish(env, out, &b, "bad-txnmrklroot", false);
}

/* The newest honest block with its last transaction repeated: Bitcoin's
 * CVE-2012-2459 mutation, same header and hash as the real block. */
static int b_blk_dup_tx(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    if (block_copy(&b, &chain_tip(env->chain)->block) != 0)
        return ERR_NOMEM;
    tx_t last = b.txs[b.tx_count - 1]; /* block_add_tx may move txs */
    int rc = block_add_tx(&b, &last);
    if (rc == 0)
        rc = attack_out_push_block(out, &b, "bad-txns-duplicate");
    block_deinit(&b);
    return rc;
}

/* Two transfers of the same coins (the same nonce) in one block. */
static int b_blk_double_spend(attack_env_t *env, attack_out_t *out)
{
    if (!attack_funded(env))
        return ERR_NOT_FOUND;
    account_t a = account(env, env->pub);
    tx_t txs[2];
    uint8_t r1[32], r2[32], s[32];
    random_key(r1, s);
    random_key(r2, s);
    int rc = our_transfer(env, &txs[0], r1, a.balance - 1, a.nonce);
    if (rc == 0)
        rc = our_transfer(env, &txs[1], r2, a.balance - 1, a.nonce);
    block_t b;
    if (rc == 0 && (rc = tip_template(env, &b, txs, 2)) == 0)
        rc = finish(env, out, &b, "bad-txns-nonce-replay", false);
    return rc;
}

/* Coins spent in an earlier block, spent again to someone else. */
static int b_blk_double_spend_across(attack_env_t *env, attack_out_t *out)
{
    tx_t old, tx;
    if (!attack_funded(env) || !find_transfer(env, &old, env->pub))
        return ERR_NOT_FOUND;
    uint8_t to[32], s[32];
    random_key(to, s);
    int rc = our_transfer(env, &tx, to, old.amount, old.nonce);
    block_t b;
    if (rc == 0 && (rc = tip_template(env, &b, &tx, 1)) == 0)
        rc = finish(env, out, &b, "bad-txns-nonce-replay", false);
    return rc;
}

static int b_blk_overspend(attack_env_t *env, attack_out_t *out)
{
    account_t a = account(env, env->pub);
    tx_t tx;
    uint8_t to[32], s[32];
    random_key(to, s);
    /* More than the account holds even after this block's coinbase, which
     * pays the adversary first. */
    uint64_t more =
        params_block_subsidy(env->params, chain_height(env->chain) + 1) + COIN;
    uint64_t amount =
        a.balance > MAX_MONEY - 1 - more ? MAX_MONEY - 1 : a.balance + more;
    int rc = our_transfer(env, &tx, to, amount, a.nonce);
    block_t b;
    if (rc == 0 && (rc = tip_template(env, &b, &tx, 1)) == 0)
        rc = finish(env, out, &b, "bad-txns-insufficient-funds", false);
    return rc;
}

static int b_blk_replay(attack_env_t *env, attack_out_t *out)
{
    tx_t tx;
    if (!find_transfer(env, &tx, NULL))
        return ERR_NOT_FOUND;
    block_t b;
    int rc = tip_template(env, &b, &tx, 1);
    if (rc == 0)
        rc = finish(env, out, &b, "bad-txns-nonce-replay", false);
    return rc;
}

/* A miner's coins taken with a made-up signature: nonce and balance are
 * right, so only the signature check can stop it. */
static int b_blk_bad_sig(attack_env_t *env, attack_out_t *out)
{
    uint8_t victim[32];
    account_t a;
    if (!find_rich(env, victim, &a))
        return ERR_NOT_FOUND;
    tx_t tx;
    tx_init_transfer(&tx, victim, env->pub, a.balance - 1, 1, a.nonce);
    random_bytes(tx.sig, sizeof tx.sig);
    block_t b;
    int rc = tip_template(env, &b, &tx, 1);
    if (rc == 0)
        rc = finish(env, out, &b, "bad-txns-sig", false);
    return rc;
}

static int b_blk_cb_amount(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    b.txs[0].amount += 1 + env->seq % COIN;
    return finish(env, out, &b, "bad-cb-amount", true);
}

static int b_blk_cb_multiple(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    tx_t second = b.txs[0];
    second.extra_nonce ^= 0x5a5a5a5a5a5a5a5aull;
    second.amount = 1;
    if (block_add_tx(&b, &second) != 0) {
        block_deinit(&b);
        return ERR_NOMEM;
    }
    return finish(env, out, &b, "bad-cb-multiple", true);
}

static int b_blk_cb_height(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    b.txs[0].height += 1 + (uint32_t)(env->seq % 100);
    return finish(env, out, &b, "bad-cb-height", true);
}

/* Over BLOCK_MAX_SIZE with filler transfers (size is checked first). */
static int b_blk_oversized(attack_env_t *env, attack_out_t *out)
{
    block_t b;
    int rc = tip_template(env, &b, NULL, 0);
    if (rc)
        return rc;
    tx_t filler;
    tx_init_transfer(&filler, env->pub, env->pub, 1, 0, 0);
    for (size_t i = 0; i < ATTACK_OVERSIZE_TXS && rc == 0; i++) {
        filler.nonce = i;
        rc = block_add_tx(&b, &filler);
    }
    if (rc) {
        block_deinit(&b);
        return ERR_NOMEM;
    }
    return finish(env, out, &b, "bad-blk-size", true);
}

/* ---- bytes
 * ------------------------------------------------------------------- */

/* The newest honest block cut short. */
static int b_blk_truncated(attack_env_t *env, attack_out_t *out)
{
    attack_item_t *it = push(out, ATTACK_GOSSIP, WIRE_NEW_BLOCK, "malformed");
    if (!it || block_serialize(&it->bytes, &chain_tip(env->chain)->block))
        return ERR_NOMEM;
    /* Keep at least what a frame needs to carry a block at all. */
    size_t min = WIRE_MIN_BLOCK_SIZE, len = it->bytes.len;
    it->bytes.len = min + (len - min) / 2; /* a block is longer than min */
    env->seq++;
    return 0;
}

/* Random bytes as a block, and random bytes as a whole frame. */
static int b_blk_random(attack_env_t *env, attack_out_t *out)
{
    uint8_t junk[512];
    attack_item_t *it = push(out, ATTACK_GOSSIP, WIRE_NEW_BLOCK, "malformed");
    size_t len = WIRE_MIN_BLOCK_SIZE + env->seq++ % 300;
    random_bytes(junk, len);
    le32_put(junk + BLOCK_HEADER_SIZE, 0xfffffff0u); /* never a real count */
    if (!it || buf_put(&it->bytes, junk, len) != 0)
        return ERR_NOMEM;
    it = push(out, ATTACK_GOSSIP, 0, "malformed");
    random_bytes(junk, sizeof junk);
    if (!it || buf_put(&it->bytes, junk, 64 + env->seq % 400) != 0)
        return ERR_NOMEM;
    return 0;
}

/* Requests for everything, and garbage, to each node's request endpoint. */
static int b_flood_requests(attack_env_t *env, attack_out_t *out)
{
    const uint8_t *net = env->params->network_id;
    const chain_node_t *genesis = chain_at_height(env->chain, 0);
    uint8_t hashes[WIRE_MAX_BLOCKS][32];
    const chain_node_t *n = chain_tip(env->chain);
    for (int i = 0; i < WIRE_MAX_BLOCKS; i++) {
        memcpy(hashes[i], n->hash, 32);
        if (n->parent)
            n = n->parent;
    }
    for (int i = 0; i < ATTACK_REQUEST_FLOOD; i++) {
        attack_item_t *it = push(out, ATTACK_REQUEST, 0, "rate-limited");
        if (!it)
            return ERR_NOMEM;
        wire_msg_t m;
        int rc;
        switch (i % 3) {
        case 0: /* every header from genesis: the most a node will send */
            wire_msg_init(&m, WIRE_GET_HEADERS);
            m.u.get_headers.count = 1;
            m.u.get_headers.hashes = genesis->hash;
            memset(m.u.get_headers.stop, 0, 32);
            rc = wire_encode(&it->bytes, net, &m);
            break;
        case 1: /* the newest blocks */
            wire_msg_init(&m, WIRE_GET_BLOCKS);
            m.u.get_blocks.count = WIRE_MAX_BLOCKS;
            m.u.get_blocks.hashes = &hashes[0][0];
            rc = wire_encode(&it->bytes, net, &m);
            break;
        default: { /* garbage */
            uint8_t junk[96];
            it->reason = "malformed"; /* when within the budget */
            random_bytes(junk, sizeof junk);
            rc = buf_put(&it->bytes, junk, sizeof junk);
            break;
        }
        }
        if (rc)
            return ERR_NOMEM;
    }
    env->seq++;
    return 0;
}

/* ---- catalogue
 * ----------------------------------------------------------------- */

static const attack_kind_t KINDS[] = {
    {"tx-bad-sig", "bad-txns-sig",
     "a transfer of a miner's coins with a made-up signature", b_tx_bad_sig,
     false, false},
    {"tx-unsigned", "bad-txns-unsigned", "a transfer with no signature",
     b_tx_unsigned, false, false},
    {"tx-overspend", "bad-txns-insufficient-funds",
     "a signed transfer from an empty account", b_tx_overspend, false, false},
    {"tx-replay", "bad-txns-nonce-replay",
     "a confirmed transfer sent again (old nonce)", b_tx_replay, true, false},
    {"txs-bad-txid", "bad-txid",
     "a valid transfer in a NEW_TXS batch under another transfer's txid",
     b_txs_bad_txid, false, false},
    {"txs-malformed", "malformed",
     "bytes that are no transaction in a NEW_TXS batch", b_txs_malformed, false,
     false},
    {"txs-mixed", "bad-txns-sig",
     "a NEW_TXS batch of a made-up signature, then a valid transfer",
     b_txs_mixed, false, false},
    {"blk-bad-hash", "high-hash",
     "the newest block with its header changed after mining", b_blk_bad_hash,
     false, false},
    {"blk-low-work", "high-hash", "a block whose hash misses its target",
     b_blk_low_work, false, false},
    {"blk-bad-bits", "bad-diffbits",
     "a block with work for the wrong difficulty", b_blk_bad_bits, false,
     false},
    {"blk-bad-parent", "bad-prevblk", "a block on a block that was refused",
     b_blk_bad_parent, false, false},
    {"blk-orphan", "orphan", "a block on a parent nobody has", b_blk_orphan,
     false, false},
    {"blk-stale-fork", "stale-fork",
     "valid work on an old parent: a block in the middle of the chain",
     b_blk_stale_fork, false, false},
    {"blk-time-future", "time-too-new", "a block from three hours ahead",
     b_blk_time_future, false, false},
    {"blk-time-past", "time-too-old",
     "a block not after the median of the last 11", b_blk_time_past, false,
     false},
    {"blk-tampered", "bad-txnmrklroot",
     "an honest block re-sent with a transaction changed", b_blk_tampered, true,
     false},
    {"blk-bad-merkle", "bad-txnmrklroot",
     "a block whose merkle root is not its transactions'", b_blk_bad_merkle,
     false, false},
    {"blk-dup-tx", "bad-txns-duplicate",
     "the newest block with its last transaction repeated (same hash)",
     b_blk_dup_tx, true, false},
    {"blk-double-spend", "bad-txns-nonce-replay",
     "the same coins spent twice in one block", b_blk_double_spend, false,
     false},
    {"blk-double-spend-across", "bad-txns-nonce-replay",
     "coins spent in an earlier block spent again", b_blk_double_spend_across,
     false, false},
    {"blk-overspend", "bad-txns-insufficient-funds",
     "a transfer of more than the sender has", b_blk_overspend, false, false},
    {"blk-replay", "bad-txns-nonce-replay",
     "a confirmed transfer included again", b_blk_replay, false, false},
    {"blk-bad-sig", "bad-txns-sig",
     "a miner's coins taken with a made-up signature", b_blk_bad_sig, false,
     false},
    {"blk-cb-amount", "bad-cb-amount", "a coinbase paying too much",
     b_blk_cb_amount, false, false},
    {"blk-cb-multiple", "bad-cb-multiple", "a block with two coinbases",
     b_blk_cb_multiple, false, false},
    {"blk-cb-height", "bad-cb-height", "a coinbase with the wrong height",
     b_blk_cb_height, false, false},
    {"blk-oversized", "bad-blk-size", "a block over the size limit",
     b_blk_oversized, false, false},
    {"blk-truncated", "malformed", "the newest block cut short",
     b_blk_truncated, false, false},
    {"blk-random", "malformed", "random bytes as a block and as a message",
     b_blk_random, false, false},
    {"flood-orphans", "orphan", "a burst of blocks on unknown parents",
     b_flood_orphans, false, false},
    {"flood-requests", "rate-limited",
     "a burst of header, block and garbage requests", b_flood_requests, false,
     false},
    {"orphan-storm", "orphan",
     "competing valid branches, newest block first, their common root last",
     attack_storm_build, false, true},
};

const attack_kind_t *attack_kinds(size_t *n)
{
    *n = sizeof KINDS / sizeof KINDS[0];
    return KINDS;
}

const attack_kind_t *attack_find(const char *name)
{
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (strcmp(KINDS[i].name, name) == 0)
            return &KINDS[i];
    return NULL;
}

int attack_build(const attack_kind_t *kind, attack_env_t *env,
                 attack_out_t *out)
{
    size_t before = out->count;
    int rc = kind->build(env, out);
    if (rc == 0 && out->count == before)
        rc = ERR_NOT_FOUND;
    return rc;
}

int attack_build_funding(attack_env_t *env, attack_out_t *out)
{
    account_t a = account(env, env->pub);
    if (a.balance <= 2) {
        block_t b;
        int rc = tip_template(env, &b, NULL, 0);
        if (rc)
            return rc;
        return finish(env, out, &b, NULL, false);
    }
    if (a.nonce >= 1)
        return ERR_DUPLICATE;
    tx_t tx;
    int rc = our_transfer(env, &tx, env->pub, a.balance / 2, a.nonce);
    return rc ? rc : push_tx(out, &tx, NULL);
}
