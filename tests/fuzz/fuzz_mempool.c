/*
 * fuzz_mempool — the mempool (src/core/mempool.c) following a chain
 * (src/core/chain.c), wired as the node wires them (src/node/node.c:
 * connects, disconnects and discarded transfers go to the pool, and a tip
 * change after a reorg revalidates it), driven by a sequence of operations
 * (tests/fuzz/ops.h): transfers offered (fresh, replayed, with nonce gaps,
 * replacing a pending one, broken), blocks mined from the pool's selection,
 * side branches that stay behind, get pruned, or win a reorg.
 *
 * Properties, checked after every operation and inside the callbacks:
 *
 *   - what mempool.h promises after every public call: one queue per
 *     sender, nonces contiguous from the sender's nonce on the best
 *     chain, the queue payable from the sender's balance alone, no txid
 *     twice, count within max_txs, no pending transfer on the best chain,
 *     only signed transfers (each is one of the harness's own, signed
 *     ones), not left in a reorg, next_nonce, has and get agreeing;
 *   - each mempool_add (offered here, or a pruned branch's transfer
 *     offered by the chain's callback) answers exactly as mempool.h says
 *     for the pool as it was: coinbase, unsigned, already pending, replace
 *     only for a strictly higher fee, nonce replay or gap, funds, a full
 *     pool evicting another sender's cheapest tail, then the signature;
 *     and the pool changes exactly as it says;
 *   - mempool_select takes queue heads, highest fee first, as many as
 *     allowed, and the block built from it is valid;
 *   - at every tip change, each sender's queue is exactly the longest run
 *     of (transfers pending before, plus those of every disconnected
 *     block) that is valid on the new best state, in nonce order:
 *     transfers of disconnected blocks come back when still valid, and
 *     nothing already mined stays (when the reorg cannot have overflowed
 *     the pool; otherwise each queue is a prefix of that run);
 *   - nothing else changes the pool: revalidating a synced pool changes
 *     nothing, and a block that moves no tip leaves it alone.
 */
#include "fuzz.h"

#include "blockkit.h"
#include "chain.h"
#include "err.h"
#include "log.h"
#include "mempool.h"
#include "ops.h"
#include "state.h"

#define MAX_OPS 256
#define MAX_BUILT 160
#define MAX_RETURNED 1024

int LLVMFuzzerInitialize(int *argc, char ***argv);

static const size_t pool_sizes[4] = {1000, 3, 6, 12};
static const uint32_t prune_depths[4] = {0, 2, 3, 4};

/* The pool as seen through mempool_foreach, by kit sender and nonce
 * order. */
typedef struct {
    tx_t q[KIT_KEYS][KIT_NONCES];
    int len[KIT_KEYS];
} view_t;

typedef struct {
    const kit_t *kit;
    chain_t *c;
    mempool_t *m;
    size_t max_txs;
    uint64_t extra;
    int built;
    view_t synced;               /* the pool as last checked */
    tx_t returned[MAX_RETURNED]; /* transfers disconnected since then */
    size_t nreturned;
    bool trace;
} world_t;

static world_t W;

static bool same_tx(const tx_t *a, const tx_t *b)
{
    return a->kind == b->kind && memcmp(a->sender, b->sender, 32) == 0 &&
           memcmp(a->recipient, b->recipient, 32) == 0 &&
           a->amount == b->amount && a->fee == b->fee && a->nonce == b->nonce &&
           memcmp(a->sig, b->sig, 64) == 0;
}

static bool same_view(const view_t *a, const view_t *b)
{
    for (int s = 0; s < KIT_KEYS; s++) {
        if (a->len[s] != b->len[s])
            return false;
        for (int i = 0; i < a->len[s]; i++)
            if (!same_tx(&a->q[s][i], &b->q[s][i]))
                return false;
    }
    return true;
}

static int view_count(const view_t *v)
{
    int n = 0;
    for (int s = 0; s < KIT_KEYS; s++)
        n += v->len[s];
    return n;
}

static void best_state(const world_t *w, kit_state_t *out)
{
    const state_t *s = chain_state(w->c);
    for (int k = 0; k < KIT_KEYS; k++) {
        account_t a;
        state_get(s, &a, w->kit->pub[k]);
        out->a[k].balance = a.balance;
        out->a[k].nonce = a.nonce;
    }
}

typedef struct {
    const world_t *w;
    view_t *v;
} collect_t;

static bool collect(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    collect_t *c = ctx;
    uint8_t id[32];
    tx_compute_txid(id, tx);
    FUZZ_CHECK(memcmp(id, txid, 32) == 0);
    int s = kit_key_index(c->w->kit, tx->sender);
    FUZZ_CHECK(s >= 0 && c->v->len[s] < KIT_NONCES);
    c->v->q[s][c->v->len[s]++] = *tx;
    return true;
}

/*
 * The pool now, checked against mempool.h's invariants on the best state.
 */
static void observe(const world_t *w, view_t *v)
{
    memset(v->len, 0, sizeof v->len);
    collect_t c = {w, v};
    mempool_foreach(w->m, collect, &c);
    kit_state_t best;
    best_state(w, &best);
    FUZZ_CHECK(!mempool_in_reorg(w->m));
    FUZZ_CHECK(mempool_count(w->m) == (size_t)view_count(v));
    FUZZ_CHECK(mempool_count(w->m) <= w->max_txs);
    for (int s = 0; s < KIT_KEYS; s++) {
        /* Each sender's queue pays from its own balance alone. */
        kit_state_t alone = best;
        for (int i = 0; i < v->len[s]; i++) {
            const tx_t *tx = &v->q[s][i];
            FUZZ_CHECK(tx->nonce == best.a[s].nonce + (uint64_t)i);
            FUZZ_CHECK(kit_transfer(w->kit, &alone, tx) == NULL);
            /* Signed: one of the kit's own transfers, byte for byte. */
            bool ours = false;
            for (int k = 0; k < KIT_VARIANTS && tx->nonce < KIT_NONCES; k++)
                ours |= same_tx(tx, &w->kit->tx[s][tx->nonce][k]);
            FUZZ_CHECK(ours);
            uint8_t txid[32];
            tx_compute_txid(txid, tx);
            FUZZ_CHECK(mempool_has(w->m, txid));
            const tx_t *got = mempool_get(w->m, txid);
            FUZZ_CHECK(got && same_tx(got, tx));
            FUZZ_CHECK(chain_find_tx(w->c, NULL, NULL, txid) == ERR_NOT_FOUND);
        }
        FUZZ_CHECK(
            mempool_next_nonce(w->m, chain_state(w->c), w->kit->pub[s]) ==
            best.a[s].nonce + (uint64_t)v->len[s]);
    }
}

/* ---- the model of mempool_add -------------------------------------------- */

static bool pending(const view_t *v, const tx_t *tx)
{
    uint8_t id[32], other[32];
    tx_compute_txid(id, tx);
    for (int s = 0; s < KIT_KEYS; s++)
        for (int i = 0; i < v->len[s]; i++) {
            tx_compute_txid(other, &v->q[s][i]);
            if (memcmp(id, other, 32) == 0)
                return true;
        }
    return false;
}

/*
 * What mempool_add must answer for tx on the pool v (best: the best
 * state); sig_ok: whether its signature verifies. Out: *after, the pool
 * afterwards when it is accepted, and *victims, the senders one of whose
 * tails it may evict instead (bit per sender; 0: nothing evicted).
 */
static int expect_add(const world_t *w, const view_t *v,
                      const kit_state_t *best, const tx_t *tx, bool sig_ok,
                      const char **why, view_t *after, unsigned *victims)
{
    static const uint8_t zero[64] = {0};
    *victims = 0;
    if (tx->kind == TX_COINBASE) {
        *why = "mempool-coinbase";
        return ERR_INVALID;
    }
    if (memcmp(tx->sig, zero, 64) == 0) {
        *why = "bad-txns-unsigned";
        return ERR_INVALID;
    }
    if (pending(v, tx)) {
        *why = "txn-already-in-mempool";
        return ERR_DUPLICATE;
    }
    int s = kit_key_index(w->kit, tx->sender);
    FUZZ_CHECK(s >= 0);
    const tx_t *q = v->q[s];
    int n = v->len[s], pos = n;
    if (n > 0 && tx->nonce >= q[0].nonce &&
        tx->nonce - q[0].nonce < (uint64_t)n) {
        pos = (int)(tx->nonce - q[0].nonce);
        if (tx->fee <= q[pos].fee) {
            *why = "txn-mempool-conflict";
            return ERR_INVALID;
        }
    }
    kit_state_t t = *best;
    for (int i = 0; i <= n; i++) {
        const tx_t *x = i == pos ? tx : i < n ? &q[i] : NULL;
        if (x && (*why = kit_transfer(w->kit, &t, x)) != NULL)
            return ERR_INVALID;
    }
    if (pos == n && (size_t)view_count(v) >= w->max_txs) {
        /* Another sender's cheapest tail, if this one pays more. */
        uint64_t min = UINT64_MAX;
        for (int o = 0; o < KIT_KEYS; o++)
            if (o != s && v->len[o] && v->q[o][v->len[o] - 1].fee < min)
                min = v->q[o][v->len[o] - 1].fee;
        if (min == UINT64_MAX || tx->fee <= min) {
            *why = "mempool-full";
            return ERR_FULL;
        }
        for (int o = 0; o < KIT_KEYS; o++)
            if (o != s && v->len[o] && v->q[o][v->len[o] - 1].fee == min)
                *victims |= 1u << o;
    }
    if (!sig_ok) {
        *why = "bad-txns-sig";
        return ERR_INVALID;
    }
    *after = *v;
    after->q[s][pos] = *tx;
    if (pos == n)
        after->len[s]++;
    return 0;
}

/* Offers tx to the pool and checks the answer and the pool after it. */
static void offer_tx(world_t *w, const tx_t *tx, bool sig_ok)
{
    view_t before, after, now;
    observe(w, &before);
    kit_state_t best;
    best_state(w, &best);
    const char *want_why = NULL, *why = NULL;
    unsigned victims;
    int want =
        expect_add(w, &before, &best, tx, sig_ok, &want_why, &after, &victims);
    int rc = mempool_add(w->m, &why, chain_state(w->c), tx);
    if (rc != want || (rc && (!why || strcmp(why, want_why))) || w->trace)
        fprintf(stderr, "offer nonce %llu fee %llu: got %d %s, want %d %s\n",
                (unsigned long long)tx->nonce, (unsigned long long)tx->fee, rc,
                why ? why : "-", want, want_why ? want_why : "-");
    FUZZ_CHECK(rc == want);
    FUZZ_CHECK(rc == 0 || (why && strcmp(why, want_why) == 0));
    observe(w, &now);
    if (rc != 0) {
        FUZZ_CHECK(same_view(&now, &before));
    } else if (!victims) {
        FUZZ_CHECK(same_view(&now, &after));
    } else {
        bool one = false;
        for (int o = 0; o < KIT_KEYS && !one; o++) {
            if (!(victims & (1u << o)))
                continue;
            view_t e = after;
            e.len[o]--;
            one = same_view(&now, &e);
        }
        FUZZ_CHECK(one);
    }
    w->synced = now;
}

/* ---- chain callbacks (node.c's wiring, plus checks) ---------------------- */

static void on_connected(void *ctx, const chain_node_t *node)
{
    world_t *w = ctx;
    mempool_block_connected(w->m, &node->block, chain_state(w->c));
}

static void on_disconnected(void *ctx, const chain_node_t *node)
{
    world_t *w = ctx;
    for (size_t i = 1; i < node->block.tx_count; i++) {
        FUZZ_CHECK(w->nreturned < MAX_RETURNED);
        w->returned[w->nreturned++] = node->block.txs[i];
    }
    mempool_block_disconnected(w->m, &node->block, chain_state(w->c));
}

static void on_discarded(void *ctx, const tx_t *tx)
{
    world_t *w = ctx;
    view_t now;
    observe(w, &now);
    FUZZ_CHECK(same_view(&now, &w->synced));
    offer_tx(w, tx, true); /* it came out of a validated block */
}

/*
 * After a tip change each sender's queue is the longest run, from its new
 * nonce, of the transfers pending before and those disconnected since,
 * that its balance pays.
 */
static void on_tip(void *ctx, const chain_node_t *tip)
{
    world_t *w = ctx;
    if (mempool_in_reorg(w->m))
        mempool_revalidate(w->m, chain_state(w->c));
    view_t now;
    observe(w, &now);
    kit_state_t best;
    best_state(w, &best);
    bool exact = (size_t)view_count(&w->synced) + w->nreturned <= w->max_txs;
    if (w->trace)
        fprintf(stderr, "tip %u: %zu returned, %d pending before, %d now\n",
                tip->height, w->nreturned, view_count(&w->synced),
                view_count(&now));
    for (int s = 0; s < KIT_KEYS; s++) {
        kit_state_t t = best;
        int i = 0;
        for (;;) {
            /* The candidate with the next nonce: pending, or returned. */
            uint64_t want = best.a[s].nonce + (uint64_t)i;
            const tx_t *cand = NULL;
            for (int j = 0; j < w->synced.len[s]; j++)
                if (w->synced.q[s][j].nonce == want)
                    cand = &w->synced.q[s][j];
            for (size_t j = 0; j < w->nreturned; j++)
                if (kit_key_index(w->kit, w->returned[j].sender) == s &&
                    w->returned[j].nonce == want) {
                    FUZZ_CHECK(!cand || same_tx(cand, &w->returned[j]));
                    cand = &w->returned[j];
                }
            if (!cand || kit_transfer(w->kit, &t, cand) != NULL)
                break;
            if (i < now.len[s])
                FUZZ_CHECK(same_tx(&now.q[s][i], cand));
            i++;
        }
        FUZZ_CHECK(now.len[s] <= i);
        if (exact)
            FUZZ_CHECK(now.len[s] == i);
    }
    w->synced = now;
    w->nreturned = 0;
}

/* ---- blocks -------------------------------------------------------------- */

/* The accounts after `node`, replayed from genesis with the kit's rules. */
static void state_after(const world_t *w, const chain_node_t *node,
                        kit_state_t *out)
{
    const chain_node_t *path[MAX_BUILT + 1];
    size_t n = 0;
    for (; node && node->parent; node = node->parent) {
        FUZZ_CHECK(n < MAX_BUILT + 1);
        path[n++] = node;
    }
    memset(out, 0, sizeof *out);
    while (n-- > 0) {
        const block_t *b = &path[n]->block;
        kit_apply_coinbase(w->kit, out, &b->txs[0]);
        for (size_t i = 1; i < b->tx_count; i++)
            FUZZ_CHECK(kit_apply_transfer(w->kit, out, &b->txs[i]));
    }
}

/* Offers a block; checks the answer, and that the pool moved only with the
 * tip (through on_tip) or a pruned branch (through on_discarded). */
static void deliver(world_t *w, const block_t *b, int want)
{
    observe(w, &w->synced);
    w->nreturned = 0;
    const char *why = NULL;
    int rc = chain_add_block(w->c, &why, b);
    if (rc != want || w->trace)
        fprintf(stderr, "block: got %d %s, want %d\n", rc, why ? why : "-",
                want);
    FUZZ_CHECK(rc == want);
    FUZZ_CHECK(w->nreturned == 0); /* every reorg ends with a tip change */
    view_t now;
    observe(w, &now);
    FUZZ_CHECK(same_view(&now, &w->synced));
}

static void op_mine(world_t *w, uint8_t max, uint8_t mv)
{
    if (w->built >= MAX_BUILT)
        return;
    const kit_t *k = w->kit;
    view_t v;
    observe(w, &v);
    tx_t sel[3];
    size_t count = 99;
    uint64_t fees = 0;
    size_t room = max % 4;
    FUZZ_CHECK(mempool_select(w->m, sel, &count, &fees, chain_state(w->c), room,
                              BLOCK_MAX_SIZE) == 0);
    size_t total = (size_t)view_count(&v);
    FUZZ_CHECK(count == (room < total ? room : total));
    /* Heads only, highest fee first. */
    int head[KIT_KEYS] = {0};
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        int s = kit_key_index(k, sel[i].sender);
        FUZZ_CHECK(s >= 0 && head[s] < v.len[s]);
        FUZZ_CHECK(same_tx(&sel[i], &v.q[s][head[s]]));
        for (int o = 0; o < KIT_KEYS; o++)
            if (head[o] < v.len[o])
                FUZZ_CHECK(v.q[o][head[o]].fee <= sel[i].fee);
        head[s]++;
        sum += sel[i].fee;
    }
    FUZZ_CHECK(fees == sum);
    const chain_node_t *tip = chain_tip(w->c);
    uint32_t height = tip->height + 1;
    block_t b;
    kit_assemble(&b, k, tip->hash, height, tip->block.header.time + 1, mv & 3,
                 params_block_subsidy(k->params, height) + fees, w->extra++,
                 sel, count);
    kit_seal(&b);
    w->built++;
    deliver(w, &b, 0);
    uint8_t hash[32];
    block_compute_hash(hash, &b.header);
    FUZZ_CHECK(memcmp(chain_tip(w->c)->hash, hash, 32) == 0);
    block_deinit(&b);
}

static void op_fork(world_t *w, uint8_t depth, uint8_t len, uint8_t txs,
                    uint8_t mv)
{
    const kit_t *k = w->kit;
    const chain_node_t *fork = chain_tip(w->c);
    for (int d = depth % 8; d > 0 && fork->parent; d--)
        fork = fork->parent;
    kit_state_t s;
    state_after(w, fork, &s);
    block_t b[8];
    int n = len % 8 + 1;
    if (w->built + n > MAX_BUILT)
        return;
    int senders[3], variants[3];
    for (int i = 0; i < 3; i++) {
        senders[i] = (txs >> (2 + 2 * i)) & 3;
        variants[i] = (mv >> (2 + i)) & 1 ? KIT_LARGE : KIT_SMALL;
    }
    uint8_t prev[32];
    memcpy(prev, fork->hash, 32);
    uint32_t time = fork->block.header.time;
    for (int i = 0; i < n; i++) {
        kit_honest(&b[i], k, &s, prev, fork->height + 1 + (uint32_t)i,
                   time + 1 + (uint32_t)i, (mv + i) & 3, w->extra++, senders,
                   variants, txs & 3);
        block_compute_hash(prev, &b[i].header);
        /* Vary the senders along the branch. */
        senders[0] = (senders[0] + 1) % KIT_KEYS;
    }
    w->built += n;
    for (int i = 0; i < n; i++) {
        if (mv & 0x80)
            deliver(w, &b[n - 1 - i], i == n - 1 ? 0 : ERR_ORPHAN);
        else
            deliver(w, &b[i], 0);
    }
    for (int i = 0; i < n; i++)
        block_deinit(&b[i]);
}

/* ---- the harness --------------------------------------------------------- */

static int64_t fixed_now(void *ctx)
{
    return ((const kit_t *)ctx)->now;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    kit_get();
    return 0;
}

static void run(world_t *w, ops_input_t *in)
{
    const kit_t *k = w->kit;
    for (int ops = 0; ops_more(in) && ops < MAX_OPS; ops++) {
        uint8_t op = ops_next(in) % OPS_POOL_COUNT;
        switch (op) {
        case OPS_POOL_OFFER: {
            int s = ops_next(in) % KIT_KEYS;
            int delta = ops_next(in) % 5 - 2;
            int v = ops_next(in) % KIT_VARIANTS;
            int64_t nonce = (int64_t)mempool_next_nonce(w->m, chain_state(w->c),
                                                        k->pub[s]) +
                            delta;
            if (nonce >= 0 && nonce < KIT_NONCES)
                offer_tx(w, &k->tx[s][nonce][v], true);
            break;
        }
        case OPS_POOL_TAMPER: {
            int s = ops_next(in) % KIT_KEYS;
            uint8_t how = ops_next(in) % 3;
            uint64_t nonce =
                mempool_next_nonce(w->m, chain_state(w->c), k->pub[s]);
            tx_t tx;
            if (how == 2)
                tx_init_coinbase(&tx, 1, 0, k->pub[s], COIN);
            else if (nonce < KIT_NONCES)
                tx = k->tx[s][nonce][KIT_SMALL];
            else
                break;
            if (how == 0)
                tx.sig[3] ^= 0x10;
            else if (how == 1)
                memset(tx.sig, 0, sizeof tx.sig);
            offer_tx(w, &tx, false);
            break;
        }
        case OPS_POOL_MINE: {
            uint8_t max = ops_next(in), mv = ops_next(in);
            op_mine(w, max, mv);
            break;
        }
        case OPS_POOL_FORK: {
            uint8_t depth = ops_next(in), len = ops_next(in),
                    txs = ops_next(in);
            op_fork(w, depth, len, txs, ops_next(in));
            break;
        }
        case OPS_POOL_REVALIDATE: {
            view_t before, after;
            observe(w, &before);
            mempool_revalidate(w->m, chain_state(w->c));
            observe(w, &after);
            FUZZ_CHECK(same_view(&before, &after));
            break;
        }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ops_input_t in = {data, size, 0};
    world_t *w = &W;
    memset(w, 0, sizeof *w);
    w->kit = kit_get();
    w->trace = getenv("FUZZ_TRACE") != NULL;
    uint8_t cfg_byte = ops_next(&in);
    w->max_txs = pool_sizes[cfg_byte & 3];
    chain_config_t cfg = {
        .params = w->kit->params,
        .prune_depth = prune_depths[(cfg_byte >> 2) & 3],
        .sig_threads = 1,
        .now = fixed_now,
        .now_ctx = (void *)w->kit,
        .callbacks = {.ctx = w,
                      .block_connected = on_connected,
                      .block_disconnected = on_disconnected,
                      .tx_discarded = on_discarded,
                      .tip_changed = on_tip},
    };
    w->c = chain_new(&cfg);
    w->m = mempool_new(w->kit->params->network_id, w->max_txs);
    FUZZ_CHECK(w->c && w->m);
    run(w, &in);
    view_t v;
    observe(w, &v);
    mempool_free(&w->m);
    chain_free(&w->c);
    return 0;
}
