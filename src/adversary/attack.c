/*
 * attack — the adversary's catalogue (see attack.h): its kinds in
 * round-robin order, the items builders append, and the funding the money
 * kinds wait for. The builders are attack_tx.c (transactions and batches),
 * attack_block.c (blocks), attack_bytes.c (what is no message),
 * attack_storm.c (the orphan storm), attack_flood.c (the inbox flood) and
 * attack_sybil.c (silent peers), made of the helpers in attack_kit.c;
 * attack_impl.h is what they share.
 */
#include "attack.h"
#include "attack_impl.h"
#include "attack_storm.h"
#include "err.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

/* ---- items ---------------------------------------------------------- */

attack_item_t *attack_push(attack_out_t *out, attack_channel_t ch,
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
    attack_item_t *it = attack_push(out, ATTACK_GOSSIP, WIRE_NEW_BLOCK, reason);
    if (!it || block_serialize(&it->bytes, b) != 0)
        return ERR_NOMEM;
    block_compute_hash(it->id, &b->header);
    return 0;
}

int attack_push_tx(attack_out_t *out, const tx_t *tx, const char *reason)
{
    attack_item_t *it = attack_push(out, ATTACK_GOSSIP, WIRE_NEW_TX, reason);
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

/* ---- catalogue ------------------------------------------------------ */

static const attack_kind_t KINDS[] = {
    {"tx-bad-sig", "bad-txns-sig",
     "a transfer of a miner's coins with a made-up signature",
     attack_tx_bad_sig, false, false},
    {"tx-unsigned", "bad-txns-unsigned", "a transfer with no signature",
     attack_tx_unsigned, false, false},
    {"tx-overspend", "bad-txns-insufficient-funds",
     "a signed transfer from an empty account", attack_tx_overspend, false,
     false},
    {"tx-replay", "bad-txns-nonce-replay",
     "a confirmed transfer sent again (old nonce)", attack_tx_replay, true,
     false},
    {"txs-bad-txid", "bad-txid",
     "a valid transfer in a NEW_TXS batch under another transfer's txid",
     attack_txs_bad_txid, false, false},
    {"txs-malformed", "malformed",
     "bytes that are no transaction in a NEW_TXS batch", attack_txs_malformed,
     false, false},
    {"txs-mixed", "bad-txns-sig",
     "a NEW_TXS batch of a made-up signature, then a valid transfer",
     attack_txs_mixed, false, false},
    {"blk-bad-hash", "high-hash",
     "the newest block with its header changed after mining",
     attack_blk_bad_hash, false, false},
    {"blk-low-work", "high-hash", "a block whose hash misses its target",
     attack_blk_low_work, false, false},
    {"blk-bad-bits", "bad-diffbits",
     "a block with work for the wrong difficulty", attack_blk_bad_bits, false,
     false},
    {"blk-bad-parent", "bad-prevblk", "a block on a block that was refused",
     attack_blk_bad_parent, false, false},
    {"blk-orphan", "orphan", "a block on a parent nobody has",
     attack_blk_orphan, false, false},
    {"blk-stale-fork", "stale-fork",
     "valid work on an old parent: a block in the middle of the chain",
     attack_blk_stale_fork, false, false},
    {"blk-time-future", "time-too-new", "a block from three hours ahead",
     attack_blk_time_future, false, false},
    {"blk-time-past", "time-too-old",
     "a block not after the median of the last 11", attack_blk_time_past, false,
     false},
    {"blk-tampered", "bad-txnmrklroot",
     "an honest block re-sent with a transaction changed", attack_blk_tampered,
     true, false},
    {"blk-bad-merkle", "bad-txnmrklroot",
     "a block whose merkle root is not its transactions'",
     attack_blk_bad_merkle, false, false},
    {"blk-dup-tx", "bad-txns-duplicate",
     "the newest block with its last transaction repeated (same hash)",
     attack_blk_dup_tx, true, false},
    {"blk-double-spend", "bad-txns-nonce-replay",
     "the same coins spent twice in one block", attack_blk_double_spend, false,
     false},
    {"blk-double-spend-across", "bad-txns-nonce-replay",
     "coins spent in an earlier block spent again",
     attack_blk_double_spend_across, false, false},
    {"blk-overspend", "bad-txns-insufficient-funds",
     "a transfer of more than the sender has", attack_blk_overspend, false,
     false},
    {"blk-replay", "bad-txns-nonce-replay",
     "a confirmed transfer included again", attack_blk_replay, false, false},
    {"blk-bad-sig", "bad-txns-sig",
     "a miner's coins taken with a made-up signature", attack_blk_bad_sig,
     false, false},
    {"blk-cb-amount", "bad-cb-amount", "a coinbase paying too much",
     attack_blk_cb_amount, false, false},
    {"blk-cb-multiple", "bad-cb-multiple", "a block with two coinbases",
     attack_blk_cb_multiple, false, false},
    {"blk-cb-height", "bad-cb-height", "a coinbase with the wrong height",
     attack_blk_cb_height, false, false},
    {"blk-oversized", "bad-blk-size", "a block over the size limit",
     attack_blk_oversized, false, false},
    {"blk-truncated", "malformed", "the newest block cut short",
     attack_blk_truncated, false, false},
    {"blk-random", "malformed", "random bytes as a block and as a message",
     attack_blk_random, false, false},
    {"flood-orphans", "orphan", "a burst of blocks on unknown parents",
     attack_flood_orphans, false, false},
    {"flood-requests", "rate-limited",
     "a burst of header, block and garbage requests", attack_flood_requests,
     false, false},
    {"orphan-storm", "orphan",
     "competing valid branches, newest block first, their common root last",
     attack_storm_build, false, true},
    {"inbox-flood", "bad-txns-nonce-replay",
     "one confirmed transfer replayed in a burst of small frames",
     attack_inbox_flood, true, false},
    {"silent-sybils", ATTACK_UNRESPONSIVE,
     "more peers at the tracker that accept connections and never answer",
     attack_silent_sybils, false, false},
};

const attack_kind_t *attack_kinds(size_t *n)
{
    *n = sizeof KINDS / sizeof KINDS[0];
    return KINDS;
}

bool attack_refused(const attack_kind_t *kind)
{
    return strcmp(kind->reason, ATTACK_UNRESPONSIVE) != 0;
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
    account_t a = attack_account(env, env->pub);
    if (a.balance <= 2)
        return attack_tip_block(env, out, NULL, 0, NULL, NULL, false);
    if (a.nonce >= 1)
        return ERR_DUPLICATE;
    tx_t tx;
    int rc = attack_our_transfer(env, &tx, env->pub, a.balance / 2, a.nonce);
    return rc ? rc : attack_push_tx(out, &tx, NULL);
}
