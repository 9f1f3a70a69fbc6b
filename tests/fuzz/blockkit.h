/*
 * blockkit — regtest blocks for the stateful harnesses (fuzz_chain,
 * fuzz_mempool): four fixed keys, a pool of transfers signed once per
 * process, a small account model of its own, and a builder of solved blocks
 * on any parent, whether or not a chain holds that parent yet.
 *
 * Signing is what makes blocks slow, so every transfer a harness may use is
 * signed once, at the first kit_get(), for each (sender, nonce, variant)
 * with nonces below KIT_NONCES; harnesses only pick from that pool. The
 * signatures use fixed auxiliary data, so every run builds the same bytes
 * (and libFuzzer's inputs replay the same way).
 *
 * The account model (kit_state_t) is the harnesses' reference: plain
 * arithmetic over the rules state.h states (nonce equal to the account's,
 * amount + fee within the balance, coinbase first in a block), written
 * apart from src/core/state.c so that the chain's state can be checked against
 * it.
 *
 * Regtest: bits 0x207fffff, so about every other nonce solves a block, and
 * every valid block has the same work (a chain's work is its height).
 *
 * Broken blocks (kit_broken) follow the adversary's catalogue, one kind per
 * OPS_BAD_* of ops.h, each with the reason the chain must give.
 *
 * Header-only (static inline), since a harness links only its own object
 * and the library. Not thread-safe; the harnesses run in one thread.
 */
#ifndef PICKAXE_FUZZ_BLOCKKIT_H
#define PICKAXE_FUZZ_BLOCKKIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "chain.h"
#include "err.h"
#include "keys.h"
#include "ops.h"
#include "params.h"
#include "tx.h"

#define KIT_KEYS 4
#define KIT_NONCES 24
/* Harness clock: far enough after genesis that no honest block is "new". */
#define KIT_NOW_OFFSET 100000

/* Variants of a pre-signed transfer from sender s. */
enum {
    KIT_SMALL, /* 1 coin to s+1, fee 1000 */
    KIT_LARGE, /* 2 coins to s+2, fee 3000: replaces KIT_SMALL in a pool */
    KIT_HUGE,  /* 20 million coins to s+3: never affordable here */
    KIT_TWIN,  /* half a coin to s+1, fee 1000: KIT_SMALL's equal in a pool */
    KIT_VARIANTS
};

typedef struct {
    uint64_t balance, nonce;
} kit_acct_t;

typedef struct {
    kit_acct_t a[KIT_KEYS];
} kit_state_t;

typedef struct {
    const params_t *params;
    int64_t now;
    uint8_t secret[KIT_KEYS][32];
    uint8_t pub[KIT_KEYS][32];
    tx_t tx[KIT_KEYS][KIT_NONCES][KIT_VARIANTS];
} kit_t;

static inline void kit_die(const char *what)
{
    fprintf(stderr, "blockkit: %s\n", what);
    abort();
}

static inline void kit_sign(const kit_t *k, tx_t *tx, int sender)
{
    static const uint8_t aux[32] = {0};
    keys_keypair_t kp;
    uint8_t msg[32];
    tx_sighash(msg, tx, k->params->network_id);
    if (keys_keypair_from_secret(&kp, k->secret[sender]) != 0 ||
        keys_sign_with_aux(tx->sig, &kp, msg, aux) != 0)
        kit_die("cannot sign");
    keys_keypair_wipe(&kp);
}

/* The process's kit, built on first use. */
static inline const kit_t *kit_get(void)
{
    static kit_t *kit;
    if (kit)
        return kit;
    kit_t *k = calloc(1, sizeof *k);
    if (!k)
        kit_die("out of memory");
    k->params = params_regtest();
    k->now = (int64_t)k->params->genesis_time + KIT_NOW_OFFSET;
    for (int i = 0; i < KIT_KEYS; i++) {
        memset(k->secret[i], 0x41 + i, 32);
        if (keys_pubkey_from_secret(k->pub[i], k->secret[i]) != 0)
            kit_die("bad key");
    }
    static const uint64_t amount[KIT_VARIANTS] = {COIN, 2 * COIN,
                                                  20000000 * COIN, COIN / 2};
    static const uint64_t fee[KIT_VARIANTS] = {1000, 3000, 1, 1000};
    static const int to[KIT_VARIANTS] = {1, 2, 3, 1};
    for (int s = 0; s < KIT_KEYS; s++)
        for (int n = 0; n < KIT_NONCES; n++)
            for (int v = 0; v < KIT_VARIANTS; v++) {
                tx_t *tx = &k->tx[s][n][v];
                tx_init_transfer(tx, k->pub[s], k->pub[(s + to[v]) % KIT_KEYS],
                                 amount[v], fee[v], (uint64_t)n);
                kit_sign(k, tx, s);
            }
    kit = k;
    return kit;
}

/* Index of a kit key, or -1. */
static inline int kit_key_index(const kit_t *k, const uint8_t key[32])
{
    for (int i = 0; i < KIT_KEYS; i++)
        if (memcmp(k->pub[i], key, 32) == 0)
            return i;
    return -1;
}

/*
 * Applies a transfer to the model when the rules allow it. Returns NULL
 * (applied), or the reason state.h gives, in its order: "bad-txns-amount",
 * "bad-txns-nonce-replay", "bad-txns-nonce-gap",
 * "bad-txns-insufficient-funds" (s unchanged). Keys outside the kit never
 * hold coins here.
 */
static inline const char *kit_transfer(const kit_t *k, kit_state_t *s,
                                       const tx_t *tx)
{
    int from = kit_key_index(k, tx->sender);
    int to = kit_key_index(k, tx->recipient);
    if (tx->kind != TX_TRANSFER || to < 0 || tx->amount == 0 ||
        tx->amount > MAX_MONEY || tx->fee > MAX_MONEY - tx->amount)
        return "bad-txns-amount";
    kit_acct_t none = {0, 0};
    kit_acct_t *a = from >= 0 ? &s->a[from] : &none;
    if (tx->nonce < a->nonce)
        return "bad-txns-nonce-replay";
    if (tx->nonce > a->nonce)
        return "bad-txns-nonce-gap";
    if (a->balance < tx->amount + tx->fee)
        return "bad-txns-insufficient-funds";
    /* No balance here comes near MAX_MONEY, so no overflow either. */
    a->balance -= tx->amount + tx->fee;
    a->nonce++;
    s->a[to].balance += tx->amount;
    return NULL;
}

static inline bool kit_apply_transfer(const kit_t *k, kit_state_t *s,
                                      const tx_t *tx)
{
    return kit_transfer(k, s, tx) == NULL;
}

static inline void kit_apply_coinbase(const kit_t *k, kit_state_t *s,
                                      const tx_t *tx)
{
    int to = kit_key_index(k, tx->recipient);
    if (to >= 0)
        s->a[to].balance += tx->amount;
}

/* The pre-signed transfer from sender with the sender's nonce in s, or NULL
 * when the pool has none that far. */
static inline const tx_t *kit_next_tx(const kit_t *k, const kit_state_t *s,
                                      int sender, int variant)
{
    uint64_t n = s->a[sender].nonce;
    return n < KIT_NONCES ? &k->tx[sender][n][variant] : NULL;
}

/* True when two blocks serialize to the same bytes. */
static inline bool kit_same_block(const block_t *a, const block_t *b)
{
    buf_t x, y;
    buf_init(&x);
    buf_init(&y);
    bool same = block_serialize(&x, a) == 0 && block_serialize(&y, b) == 0 &&
                x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    buf_deinit(&x);
    buf_deinit(&y);
    return same;
}

/* Searches nonces until the header meets its bits (solved true) or misses
 * them (solved false). */
static inline void kit_solve(block_header_t *h, bool solved)
{
    for (h->nonce = 0; block_check_pow(h) != solved; h->nonce++)
        if (h->nonce == UINT32_MAX)
            kit_die("no nonce");
}

/* Sets the merkle root from the body (when it has one) and solves. */
static inline void kit_seal(block_t *b)
{
    if (block_compute_merkle_root(b->header.merkle_root, b) != 0)
        memset(b->header.merkle_root, 0, 32);
    kit_solve(&b->header, true);
}

/*
 * An unsolved block: version 1, regtest bits, a coinbase paying `miner`
 * `amount` at `height`, then txs[0..n-1].
 */
static inline void kit_assemble(block_t *out, const kit_t *k,
                                const uint8_t prev[32], uint32_t height,
                                uint32_t time, int miner, uint64_t amount,
                                uint64_t extra_nonce, const tx_t *txs, size_t n)
{
    memset(out, 0, sizeof *out);
    tx_t cb;
    tx_init_coinbase(&cb, height, extra_nonce, k->pub[miner], amount);
    if (block_add_tx(out, &cb) != 0)
        kit_die("out of memory");
    for (size_t i = 0; i < n; i++)
        if (block_add_tx(out, &txs[i]) != 0)
            kit_die("out of memory");
    out->header.version = 1;
    memcpy(out->header.prev_hash, prev, 32);
    out->header.time = time;
    out->header.bits = k->params->pow_limit_bits;
}

/*
 * An honest block on a parent whose accounts are *s: up to want (0-3)
 * transfers, the i-th from senders[i] in variant variants[i], each kept only
 * when the branch can pay it (checked on the model after the coinbase, as
 * the chain applies it); the coinbase pays the subsidy plus the fees.
 * Out: out (solved; the caller block_deinit()s), *s = accounts after it.
 */
static inline void kit_honest(block_t *out, const kit_t *k, kit_state_t *s,
                              const uint8_t prev[32], uint32_t height,
                              uint32_t time, int miner, uint64_t extra_nonce,
                              const int *senders, const int *variants, int want)
{
    tx_t txs[3];
    size_t n = 0;
    uint64_t fees = 0;
    kit_state_t work = *s;
    /* The coinbase is credited first; its amount depends on the fees, so
     * pick on a copy that assumes the subsidy alone, which is less. */
    uint64_t subsidy = params_block_subsidy(k->params, height);
    work.a[miner].balance += subsidy;
    for (int i = 0; i < want && i < 3; i++) {
        const tx_t *tx = kit_next_tx(k, &work, senders[i], variants[i]);
        if (tx && kit_apply_transfer(k, &work, tx)) {
            txs[n++] = *tx;
            fees += tx->fee;
        }
    }
    kit_assemble(out, k, prev, height, time, miner, subsidy + fees, extra_nonce,
                 txs, n);
    kit_seal(out);
    /* Replay for the resulting accounts, with the real coinbase. */
    kit_apply_coinbase(k, s, &out->txs[0]);
    for (size_t i = 1; i < out->tx_count; i++)
        if (!kit_apply_transfer(k, s, &out->txs[i]))
            kit_die("honest block does not replay");
}

/* Where the chain refuses a broken block (its checks run cheapest first). */
enum {
    KIT_AT_NONE,    /* nowhere: valid on a valid parent */
    KIT_AT_HEADER,  /* by the header alone: never an orphan, never remembered */
    KIT_AT_CONTEXT, /* against the parent: remembered, whatever the body */
    KIT_AT_BODY,    /* before the header commits to the body: not remembered */
    KIT_AT_STATE,   /* after the merkle root matched: remembered */
};

typedef struct {
    int level;          /* KIT_AT_* */
    const char *reason; /* the chain's reason */
} kit_fault_t;

/* A sender (trying s first) whose next transfer in variant v the accounts
 * after crediting `subsidy` to the miner can pay; -1 when none. */
static inline int kit_payer(const kit_t *k, const kit_state_t *s, int miner,
                            uint64_t subsidy, int first, int v)
{
    kit_state_t t = *s;
    t.a[miner].balance += subsidy;
    for (int j = 0; j < KIT_KEYS; j++) {
        int who = (first + j) % KIT_KEYS;
        const tx_t *tx = kit_next_tx(k, &t, who, v);
        kit_state_t u = t;
        if (tx && kit_apply_transfer(k, &u, tx))
            return who;
    }
    return -1;
}

/*
 * A block of the broken kind `bad` (OPS_BAD_*, ops.h) at `height` on the
 * parent `prev` whose accounts are *s, or of the nearest kind this branch
 * allows (the money kinds need a sender with coins and nonces left; the
 * fallback is OPS_BAD_CB_AMOUNT). first: the sender tried first; *extra:
 * the next coinbase extra-nonce (advanced). The block is solved, unless
 * missing its target is the fault.
 * Returns: where the chain refuses it and with which reason, on a parent
 *          it holds.
 */
static inline kit_fault_t kit_broken(block_t *out, const kit_t *k,
                                     const kit_state_t *s,
                                     const uint8_t prev[32], uint32_t height,
                                     uint32_t time, int bad, int miner,
                                     int first, uint64_t *extra)
{
    uint64_t subsidy = params_block_subsidy(k->params, height);
    tx_t txs[2];
    size_t n = 0;
    int who = -1;
    switch (bad) {
    case OPS_BAD_SIG:
    case OPS_BAD_UNSIGNED:
    case OPS_BAD_DOUBLE:
        who = kit_payer(k, s, miner, subsidy, first, KIT_SMALL);
        if (who < 0) {
            bad = OPS_BAD_CB_AMOUNT;
            break;
        }
        txs[n++] = *kit_next_tx(k, s, who, KIT_SMALL);
        if (bad == OPS_BAD_SIG)
            txs[0].sig[7] ^= 0x20;
        else if (bad == OPS_BAD_UNSIGNED)
            memset(txs[0].sig, 0, sizeof txs[0].sig);
        else
            txs[n++] = *kit_next_tx(k, s, who, KIT_LARGE);
        break;
    case OPS_BAD_REPLAY:
    case OPS_BAD_GAP:
    case OPS_BAD_OVERSPEND:
        for (int j = 0; j < KIT_KEYS && who < 0; j++) {
            int x = (first + j) % KIT_KEYS;
            uint64_t nonce = s->a[x].nonce;
            if (bad == OPS_BAD_REPLAY && nonce > 0 && nonce <= KIT_NONCES)
                txs[0] = k->tx[x][nonce - 1][KIT_SMALL], who = x;
            else if (bad == OPS_BAD_GAP && nonce + 1 < KIT_NONCES)
                txs[0] = k->tx[x][nonce + 1][KIT_SMALL], who = x;
            else if (bad == OPS_BAD_OVERSPEND && nonce < KIT_NONCES)
                txs[0] = k->tx[x][nonce][KIT_HUGE], who = x;
        }
        if (who < 0)
            bad = OPS_BAD_CB_AMOUNT;
        else
            n = 1;
        break;
    case OPS_BAD_DUP_TXID:
        txs[0] = k->tx[first][0][KIT_SMALL];
        txs[1] = txs[0];
        txs[1].sig[9] ^= 0x04;
        n = 2;
        break;
    default:
        break;
    }
    kit_assemble(out, k, prev, height, time, miner, subsidy, (*extra)++, txs,
                 n);
    block_t *b = out;
    static const struct {
        int level;
        const char *reason;
    } what[OPS_BAD_COUNT] = {
        [OPS_BAD_HASH] = {KIT_AT_HEADER, "high-hash"},
        [OPS_BAD_BITS_EASY] = {KIT_AT_HEADER, "bad-diffbits"},
        [OPS_BAD_BITS_HARD] = {KIT_AT_CONTEXT, "bad-diffbits"},
        [OPS_BAD_TIME_FUTURE] = {KIT_AT_HEADER, "time-too-new"},
        [OPS_BAD_TIME_PAST] = {KIT_AT_CONTEXT, "time-too-old"},
        [OPS_BAD_VERSION] = {KIT_AT_CONTEXT, "bad-version"},
        [OPS_BAD_MERKLE] = {KIT_AT_BODY, "bad-txnmrklroot"},
        [OPS_BAD_CB_AMOUNT] = {KIT_AT_STATE, "bad-cb-amount"},
        [OPS_BAD_CB_HEIGHT] = {KIT_AT_STATE, "bad-cb-height"},
        [OPS_BAD_CB_MULTIPLE] = {KIT_AT_STATE, "bad-cb-multiple"},
        [OPS_BAD_SIG] = {KIT_AT_STATE, "bad-txns-sig"},
        [OPS_BAD_UNSIGNED] = {KIT_AT_STATE, "bad-txns-unsigned"},
        [OPS_BAD_REPLAY] = {KIT_AT_STATE, "bad-txns-nonce-replay"},
        [OPS_BAD_DOUBLE] = {KIT_AT_STATE, "bad-txns-nonce-replay"},
        [OPS_BAD_GAP] = {KIT_AT_STATE, "bad-txns-nonce-gap"},
        [OPS_BAD_OVERSPEND] = {KIT_AT_STATE, "bad-txns-insufficient-funds"},
        [OPS_BAD_DUP_TXID] = {KIT_AT_STATE, "bad-txns-duplicate"},
    };
    kit_fault_t fault = {what[bad].level, what[bad].reason};
    switch (bad) {
    case OPS_BAD_BITS_EASY:
        b->header.bits = 0x2100ffff; /* a target above the limit */
        break;
    case OPS_BAD_BITS_HARD:
        b->header.bits = 0x203fffff; /* half the limit: still cheap */
        break;
    case OPS_BAD_TIME_FUTURE:
        b->header.time = (uint32_t)(k->now + CHAIN_MAX_FUTURE_SECONDS + 1);
        break;
    case OPS_BAD_TIME_PAST:
        /* Every valid chain's median time is at least genesis's. */
        b->header.time = k->params->genesis_time;
        break;
    case OPS_BAD_VERSION:
        b->header.version = 0;
        break;
    case OPS_BAD_CB_AMOUNT:
        b->txs[0].amount = subsidy + 1;
        break;
    case OPS_BAD_CB_HEIGHT:
        b->txs[0].height = height + 1;
        break;
    case OPS_BAD_CB_MULTIPLE: {
        tx_t cb = b->txs[0];
        cb.extra_nonce = (*extra)++;
        if (block_add_tx(b, &cb) != 0)
            kit_die("out of memory");
        break;
    }
    default:
        break;
    }
    kit_seal(b);
    if (bad == OPS_BAD_MERKLE) {
        b->header.merkle_root[0] ^= 1;
        kit_solve(&b->header, true);
    } else if (bad == OPS_BAD_HASH) {
        kit_solve(&b->header, false);
    }
    return fault;
}

#endif
