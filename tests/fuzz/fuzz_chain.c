/*
 * fuzz_chain — chain_add_block (src/core/chain.c) driven by a sequence of
 * operations (tests/fuzz/ops.h): build blocks on any known block, honest or
 * broken in one of the catalogue's ways; offer any of them, in any order,
 * again, or as mutated copies under the same header; whole branches parents
 * last; deep reorgs; pruning. After every call the chain is compared with a
 * reference model kept here:
 *
 *   - the call returns (libFuzzer's -timeout catches a loop), with the
 *     code and reason the model expects: 0, "duplicate", "orphan", or the
 *     refusal the block was built to earn;
 *   - the tree holds exactly the model's blocks: those whose ancestors all
 *     arrived, valid by construction, minus pruned ones; a block built
 *     broken is never in it, and blocks refused for a reason the header
 *     commits to stay refused;
 *   - the best tip is the most-work block of the tree, ties going to the
 *     block that entered the tree first (a side block with equal work
 *     never triggers a reorg, so the first to arrive at that work keeps
 *     the tip; "entered" is when the block and all its ancestors were
 *     present, i.e. the block_added callback);
 *   - balances and nonces of the chain's state, every transfer's place in
 *     the index, and every balance-after-transaction equal a replay from
 *     genesis along the best chain with the harness's own arithmetic
 *     (blockkit.h), and equal the model's accounts of the tip; the
 *     connect and disconnect callbacks see the state of their block;
 *   - the orphan pool holds exactly the model's orphans (first copy of a
 *     hash wins, the oldest goes when full, the descendants of a block
 *     refused for good go with it), within its bound, and
 *     chain_orphan_missing names the right ancestor;
 *   - chain_is_stale_fork judges by work: a block new to the tree is stale
 *     when its branch would have no more work than the best chain
 *     prune_depth blocks under the tip;
 *   - pruning: a block leaves the tree only through block_removed, only off
 *     the best chain and at least prune_depth below the best tip; and a
 *     stale side-branch tip that is not among the last prune_depth blocks
 *     accepted does not survive a call (chain.h's rule);
 *   - the branch tips (chain_get_forks) are the tree's leaves.
 *
 * Each block carries at most three transfers from four fixed keys, all
 * signed once at start-up (blockkit.h), and the chain uses a fixed clock,
 * so an input replays exactly.
 */
#include "fuzz.h"

#include "blockkit.h"
#include "chain.h"
#include "err.h"
#include "log.h"
#include "ops.h"
#include "state.h"

#define MAX_BLOCKS 64 /* genesis included */
#define MAX_OPS 256
#define MAX_TXS 5 /* the most any built block carries */

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Configuration tables (0: the chain's defaults). */
static const size_t orphan_sizes[4] = {0, 3, 8, 24};
static const uint32_t prune_depths[4] = {0, 2, 3, 4};

/* A copy offered: the block itself, or a body the header does not
 * commit to. */
enum { REAL, TAMPERED, DUPLICATED };

typedef struct {
    block_t block;
    uint8_t hash[32];
    uint64_t key; /* hash_key(hash) */
    uint8_t txid[MAX_TXS][32];
    int parent; /* -1 for genesis */
    uint32_t height;
    kit_state_t after; /* accounts after it (its parent's if invalid) */
    int level;         /* KIT_AT_* */
    const char *reason;
    bool valid; /* no fault here or above */
    bool offered;
    /* The model of the chain. */
    bool in_tree;
    const char *remembered; /* refused for good, with this reason */
    int orphan;             /* 0, or the copy (REAL + 1, ...) in the pool */
    uint64_t orphan_seq;
    uint64_t entered;
    /* This call. */
    bool want_added, added, removed;
} fblock_t;

typedef struct {
    const kit_t *kit;
    chain_t *c;
    fblock_t b[MAX_BLOCKS];
    int n;
    size_t max_orphans;
    uint32_t prune_depth;
    uint64_t extra, clock, max_seq;
    int mainv[MAX_BLOCKS]; /* best chain as the callbacks told it */
    int main_len;
    /* Whether the current call changed the tree or the pool, which earns
     * it the full check (a call that changed neither gets the light one:
     * tip, accounts and counts). */
    bool changed;
    uint64_t pool_changes;
    bool trace; /* FUZZ_TRACE set: print every offer */
} world_t;

static world_t W;

/* First 8 bytes of a hash, to compare cheaply before comparing all 32. */
static uint64_t hash_key(const uint8_t hash[32])
{
    uint64_t k;
    memcpy(&k, hash, sizeof k);
    return k;
}

static int find(const world_t *w, const uint8_t hash[32])
{
    uint64_t k = hash_key(hash);
    for (int i = 0; i < w->n; i++)
        if (w->b[i].key == k && memcmp(w->b[i].hash, hash, 32) == 0)
            return i;
    return -1;
}

static void check_accounts(const world_t *w, const kit_state_t *want)
{
    const state_t *s = chain_state(w->c);
    for (int k = 0; k < KIT_KEYS; k++) {
        account_t a;
        state_get(s, &a, w->kit->pub[k]);
        FUZZ_CHECK(a.balance == want->a[k].balance);
        FUZZ_CHECK(a.nonce == want->a[k].nonce);
    }
}

/* ---- callbacks: what the chain reports, checked as it happens ------------ */

static int on_added(void *ctx, const chain_node_t *node)
{
    world_t *w = ctx;
    w->changed = true;
    int i = find(w, node->hash);
    FUZZ_CHECK(i > 0);
    fblock_t *f = &w->b[i];
    FUZZ_CHECK(f->valid && !f->added);
    FUZZ_CHECK(kit_same_block(&node->block, &f->block));
    FUZZ_CHECK(node->parent &&
               node->parent == chain_get(w->c, node->parent->hash));
    FUZZ_CHECK(memcmp(node->parent->hash, w->b[f->parent].hash, 32) == 0);
    FUZZ_CHECK(node->height == f->height);
    FUZZ_CHECK(node->seq > w->max_seq);
    w->max_seq = node->seq;
    f->added = true;
    f->entered = ++w->clock;
    return 0;
}

static void on_connected(void *ctx, const chain_node_t *node)
{
    world_t *w = ctx;
    w->changed = true;
    int i = find(w, node->hash);
    FUZZ_CHECK(i > 0 && node->in_main);
    FUZZ_CHECK(w->main_len > 0 && w->mainv[w->main_len - 1] == w->b[i].parent);
    FUZZ_CHECK(w->main_len < MAX_BLOCKS);
    w->mainv[w->main_len++] = i;
    check_accounts(w, &w->b[i].after);
}

static void on_disconnected(void *ctx, const chain_node_t *node)
{
    world_t *w = ctx;
    w->changed = true;
    int i = find(w, node->hash);
    FUZZ_CHECK(i > 0 && !node->in_main);
    FUZZ_CHECK(w->main_len > 1 && w->mainv[w->main_len - 1] == i);
    w->main_len--;
    check_accounts(w, &w->b[w->b[i].parent].after);
}

static void on_discarded(void *ctx, const tx_t *tx)
{
    world_t *w = ctx;
    uint8_t txid[32];
    FUZZ_CHECK(tx->kind == TX_TRANSFER);
    tx_compute_txid(txid, tx);
    FUZZ_CHECK(chain_find_tx(w->c, NULL, NULL, txid) == ERR_NOT_FOUND);
}

static void on_tip(void *ctx, const chain_node_t *tip)
{
    world_t *w = ctx;
    FUZZ_CHECK(tip == chain_tip(w->c));
    FUZZ_CHECK(w->mainv[w->main_len - 1] == find(w, tip->hash));
}

static void on_removed(void *ctx, const chain_node_t *node)
{
    world_t *w = ctx;
    w->changed = true;
    int i = find(w, node->hash);
    FUZZ_CHECK(i > 0 && !node->in_main && !w->b[i].removed);
    FUZZ_CHECK(node->height + w->prune_depth <= chain_height(w->c));
    /* Not among the last prune_depth blocks accepted (max_seq is the
     * chain's count of accepted blocks: every one went through on_added). */
    FUZZ_CHECK(node->seq + w->prune_depth <= w->max_seq);
    w->b[i].removed = true;
}

/* ---- building ----------------------------------------------------------- */

/* The block `sel` names (ops.h). */
static int select_block(const world_t *w, uint8_t sel)
{
    if (sel < 0x80)
        return w->n - 1 - (int)(sel % (unsigned)w->n);
    const chain_node_t *x = chain_tip(w->c);
    for (int d = sel - 0x80; d > 0 && x->parent; d--)
        x = x->parent;
    int i = find(w, x->hash);
    FUZZ_CHECK(i >= 0);
    return i;
}

/* Builds one block on w->b[parent]; returns its index or -1 when full. */
static int build(world_t *w, int parent, uint8_t kind, uint8_t txs, uint8_t mv)
{
    if (w->n >= MAX_BLOCKS)
        return -1;
    const kit_t *k = w->kit;
    fblock_t *p = &w->b[parent], *f = &w->b[w->n];
    memset(f, 0, sizeof *f);
    f->parent = parent;
    f->height = p->height + 1;
    f->after = p->after;
    int miner = mv & 3;
    int senders[3], variants[3];
    for (int i = 0; i < 3; i++) {
        senders[i] = (txs >> (2 + 2 * i)) & 3;
        variants[i] = (mv >> (2 + i)) & 1 ? KIT_LARGE : KIT_SMALL;
    }
    if (kind < OPS_KIND_BAD_BASE) {
        kit_honest(&f->block, k, &f->after, p->hash, f->height,
                   p->block.header.time + 1, miner, w->extra++, senders,
                   variants, txs & 3);
        f->level = KIT_AT_NONE;
    } else {
        kit_fault_t fault =
            kit_broken(&f->block, k, &p->after, p->hash, f->height,
                       p->block.header.time + 1,
                       (kind - OPS_KIND_BAD_BASE) % OPS_BAD_COUNT, miner,
                       senders[0], &w->extra);
        f->level = fault.level;
        f->reason = fault.reason;
    }
    /* A time inherited from a parent in the future is a fault of its own,
     * checked with the header alone (after bits and hash). */
    if (f->level != KIT_AT_HEADER &&
        (int64_t)f->block.header.time > k->now + CHAIN_MAX_FUTURE_SECONDS) {
        f->level = KIT_AT_HEADER;
        f->reason = "time-too-new";
    }
    if (f->level != KIT_AT_NONE)
        f->after = p->after;
    f->valid = f->level == KIT_AT_NONE && p->valid;
    block_compute_hash(f->hash, &f->block.header);
    f->key = hash_key(f->hash);
    FUZZ_CHECK(find(w, f->hash) < 0); /* extra-nonces keep blocks apart */
    FUZZ_CHECK(f->block.tx_count <= MAX_TXS);
    for (size_t t = 0; t < f->block.tx_count; t++)
        tx_compute_txid(f->txid[t], &f->block.txs[t]);
    return w->n++;
}

/* ---- the model of chain_add_block --------------------------------------- */

static const char *copy_reason(int copy)
{
    return copy == TAMPERED ? "bad-txnmrklroot" : "bad-txns-duplicate";
}

static void model_connect(world_t *w, int i);

/* The orphans descending from a block refused for good can never connect:
 * they leave the pool, refused for good too. */
static void model_drop_descendants(world_t *w, int i)
{
    for (int j = 1; j < w->n; j++)
        if (w->b[j].parent == i && w->b[j].orphan) {
            w->b[j].orphan = 0;
            w->pool_changes++;
            w->b[j].remembered = "bad-prevblk";
            model_drop_descendants(w, j);
        }
}

/* A block (copy) whose parent is in the tree is validated. */
static int model_judge(world_t *w, int i, int copy, const char **why)
{
    fblock_t *f = &w->b[i];
    if (copy != REAL && f->level != KIT_AT_HEADER &&
        f->level != KIT_AT_CONTEXT) {
        *why = copy_reason(copy);
        return ERR_INVALID;
    }
    if (f->level != KIT_AT_NONE) {
        *why = f->reason;
        if (f->level == KIT_AT_CONTEXT || f->level == KIT_AT_STATE)
            f->remembered = f->reason;
        return ERR_INVALID;
    }
    model_connect(w, i);
    return 0;
}

/* A block joins the tree, and the orphans waiting on it follow. */
static void model_connect(world_t *w, int i)
{
    fblock_t *f = &w->b[i];
    FUZZ_CHECK(f->valid && !f->in_tree);
    f->in_tree = true;
    f->want_added = true;
    for (int j = 1; j < w->n; j++) {
        if (w->b[j].parent != i || !w->b[j].orphan)
            continue;
        int copy = w->b[j].orphan - 1;
        w->b[j].orphan = 0;
        w->pool_changes++;
        const char *ignored;
        if (model_judge(w, j, copy, &ignored) != 0 && w->b[j].remembered)
            model_drop_descendants(w, j);
    }
}

static int pool_count(const world_t *w)
{
    int n = 0;
    for (int j = 0; j < w->n; j++)
        n += w->b[j].orphan != 0;
    return n;
}

static void model_pool_add(world_t *w, int i, int copy)
{
    if (w->b[i].orphan)
        return; /* the first copy of a hash stays */
    if ((size_t)pool_count(w) >= w->max_orphans) {
        int oldest = -1;
        for (int j = 0; j < w->n; j++)
            if (w->b[j].orphan &&
                (oldest < 0 || w->b[j].orphan_seq < w->b[oldest].orphan_seq))
                oldest = j;
        w->b[oldest].orphan = 0;
        w->pool_changes++;
    }
    w->b[i].orphan = copy + 1;
    w->pool_changes++;
    w->b[i].orphan_seq = ++w->clock;
}

/* What chain_add_block must answer for a copy of block i; updates the
 * model as the chain should update itself. */
static int model_offer(world_t *w, int i, int copy, const char **why)
{
    fblock_t *f = &w->b[i];
    if (f->in_tree) {
        *why = copy == REAL ? "duplicate" : copy_reason(copy);
        return copy == REAL ? ERR_DUPLICATE : ERR_INVALID;
    }
    const fblock_t *p = &w->b[f->parent]; /* genesis is always in the tree */
    if (f->remembered) {
        *why = f->remembered;
        return ERR_INVALID;
    }
    if (p->in_tree)
        return model_judge(w, i, copy, why);
    if (p->remembered) {
        f->remembered = *why = "bad-prevblk";
        return ERR_INVALID;
    }
    if (f->level == KIT_AT_HEADER) {
        *why = f->reason;
        return ERR_INVALID;
    }
    model_pool_add(w, i, copy);
    *why = "orphan";
    return ERR_ORPHAN;
}

/* ---- checks ------------------------------------------------------------- */

/* The expected tip: most work (height, on regtest), first entered on ties. */
static int model_tip(const world_t *w)
{
    int best = 0;
    for (int i = 1; i < w->n; i++) {
        const fblock_t *f = &w->b[i], *t = &w->b[best];
        if (f->in_tree && (f->height > t->height ||
                           (f->height == t->height && f->entered < t->entered)))
            best = i;
    }
    return best;
}

/* The best chain, replayed from genesis with the harness's arithmetic. */
static void check_best_chain(const world_t *w, int tip)
{
    const kit_t *k = w->kit;
    const chain_node_t *path[MAX_BLOCKS];
    uint32_t h = w->b[tip].height;
    FUZZ_CHECK(chain_height(w->c) == h && chain_at_height(w->c, h + 1) == NULL);
    FUZZ_CHECK(w->main_len == (int)h + 1);
    const chain_node_t *x = chain_tip(w->c);
    for (uint32_t i = h + 1; i-- > 0; x = x->parent) {
        FUZZ_CHECK(x && x->in_main && x->height == i);
        FUZZ_CHECK(chain_at_height(w->c, i) == x);
        FUZZ_CHECK(memcmp(x->hash, w->b[w->mainv[i]].hash, 32) == 0);
        path[i] = x;
    }
    FUZZ_CHECK(x == NULL);
    const chain_node_t **longest;
    size_t len;
    FUZZ_CHECK(chain_get_longest_chain(w->c, &longest, &len) == 0);
    FUZZ_CHECK(len == h + 1 && memcmp(longest, path, len * sizeof *path) == 0);
    free(longest);
    kit_state_t s = {0};
    bool touched[KIT_KEYS] = {0};
    for (uint32_t i = 1; i <= h; i++) {
        const fblock_t *f = &w->b[w->mainv[i]];
        const block_t *b = &f->block;
        for (size_t t = 0; t < b->tx_count; t++) {
            const tx_t *tx = &b->txs[t];
            if (t == 0) {
                kit_apply_coinbase(k, &s, tx);
            } else {
                FUZZ_CHECK(kit_apply_transfer(k, &s, tx));
                touched[kit_key_index(k, tx->sender)] = true;
            }
            touched[kit_key_index(k, tx->recipient)] = true;
            const chain_node_t *where;
            size_t index;
            FUZZ_CHECK(chain_find_tx(w->c, &where, &index, f->txid[t]) == 0);
            FUZZ_CHECK(where == path[i] && index == t);
            uint64_t bal;
            FUZZ_CHECK(chain_balance_after_tx(w->c, &bal, tx->recipient,
                                              f->txid[t]) == 0);
            FUZZ_CHECK(bal == s.a[kit_key_index(k, tx->recipient)].balance);
            if (t > 0) {
                FUZZ_CHECK(chain_balance_after_tx(w->c, &bal, tx->sender,
                                                  f->txid[t]) == 0);
                FUZZ_CHECK(bal == s.a[kit_key_index(k, tx->sender)].balance);
            }
        }
    }
    FUZZ_CHECK(memcmp(&s, &w->b[tip].after, sizeof s) == 0);
    check_accounts(w, &s);
    size_t accounts = 0;
    for (int i = 0; i < KIT_KEYS; i++)
        accounts += touched[i];
    FUZZ_CHECK(state_count(chain_state(w->c)) == accounts);
}

/*
 * chain_is_stale_fork for block i when the best tip is at height best: a
 * block new to the tree, on a parent in it, whose branch with it would have
 * no more work than the best chain prune_depth blocks under its tip. Every
 * block of the tree has the regtest bits, so work is height times one
 * block's; a broken block's bits count for what they claim.
 */
static bool model_stale(const world_t *w, int i, uint32_t best)
{
    const fblock_t *f = &w->b[i];
    if (i == 0 || f->in_tree || !w->b[f->parent].in_tree ||
        best < w->prune_depth)
        return false;
    uint256_t unit, work, total, mark;
    FUZZ_CHECK(block_work_from_bits(&unit, w->kit->params->pow_limit_bits) ==
               0);
    if (block_work_from_bits(&work, f->block.header.bits) != 0)
        return false;
    /* The parent's branch holds f->height blocks, genesis included. */
    uint256_mul_u32(&total, &unit, f->height);
    uint256_add(&total, &total, &work);
    uint256_mul_u32(&mark, &unit, best - w->prune_depth + 1);
    return uint256_cmp(&total, &mark) <= 0;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const void *const *)a;
    uintptr_t y = (uintptr_t) * (const void *const *)b;
    return x < y ? -1 : x > y;
}

static void check_world(world_t *w, bool full)
{
    chain_t *c = w->c;
    int tip = model_tip(w);
    FUZZ_CHECK(find(w, chain_tip(c)->hash) == tip);
    if (!full) {
        size_t in_tree = 0;
        for (int i = 0; i < w->n; i++)
            in_tree += w->b[i].in_tree;
        FUZZ_CHECK(chain_height(c) == w->b[tip].height);
        check_accounts(w, &w->b[tip].after);
        FUZZ_CHECK(chain_block_count(c) == in_tree);
        FUZZ_CHECK(chain_orphan_count(c) == (size_t)pool_count(w));
        return;
    }
    check_best_chain(w, tip);

    size_t in_tree = 0, leaves = 0;
    uint32_t children[MAX_BLOCKS] = {0};
    for (int i = 1; i < w->n; i++)
        if (w->b[i].in_tree)
            children[w->b[i].parent]++;
    uint32_t best = w->b[tip].height;
    for (int i = 0; i < w->n; i++) {
        const fblock_t *f = &w->b[i];
        const chain_node_t *node = chain_get(c, f->hash);
        FUZZ_CHECK((node != NULL) == f->in_tree);
        FUZZ_CHECK(!node || f->valid);
        if (f->orphan) {
            /* The first ancestor neither in the tree nor in the pool (the
             * pool's count is compared below, so it holds no others). */
            uint8_t missing[32];
            FUZZ_CHECK(chain_orphan_missing(c, missing, f->hash));
            int up = i;
            while (w->b[up].parent >= 0 && w->b[w->b[up].parent].orphan)
                up = w->b[up].parent;
            FUZZ_CHECK(memcmp(missing, w->b[w->b[up].parent].hash, 32) == 0);
        }
        /* The transaction index names best-chain places only (the best
         * chain's own transactions were all looked up above). */
        for (size_t t = 0; (!node || !node->in_main) && t < f->block.tx_count;
             t++) {
            const chain_node_t *where;
            size_t index;
            if (chain_find_tx(c, &where, &index, f->txid[t]) != 0)
                continue;
            FUZZ_CHECK(where->in_main && where->height < (uint32_t)w->main_len);
            int j = w->mainv[where->height];
            FUZZ_CHECK(memcmp(w->b[j].hash, where->hash, 32) == 0 &&
                       index < w->b[j].block.tx_count &&
                       memcmp(w->b[j].txid[index], f->txid[t], 32) == 0);
        }
        if (!node)
            continue;
        in_tree++;
        FUZZ_CHECK(node->height == f->height);
        FUZZ_CHECK(node->children == children[i]);
        FUZZ_CHECK(i == 0 ||
                   node->parent == chain_get(c, w->b[f->parent].hash));
        if (children[i])
            continue;
        leaves++;
        /* A stale side-branch tip, not among the last prune_depth blocks
         * accepted (max_seq: every accepted block went through on_added),
         * is pruned by the call that made it stale. */
        if (!node->in_main)
            FUZZ_CHECK(node->height + w->prune_depth > best ||
                       node->seq + w->prune_depth > w->max_seq);
    }
    FUZZ_CHECK(chain_block_count(c) == in_tree);
    size_t pooled = (size_t)pool_count(w);
    FUZZ_CHECK(chain_orphan_count(c) == pooled && pooled <= w->max_orphans);

    /* The branch tips: as many as the leaves, each a leaf, no repeats. */
    const chain_node_t *tips[MAX_BLOCKS];
    FUZZ_CHECK(chain_get_forks(c, tips, MAX_BLOCKS) == leaves);
    FUZZ_CHECK(tips[0] == chain_tip(c));
    for (size_t i = 0; i < leaves; i++) {
        FUZZ_CHECK(chain_get(c, tips[i]->hash) == tips[i] &&
                   tips[i]->children == 0);
        const chain_node_t **fork;
        size_t len;
        FUZZ_CHECK(chain_get_chain_by_fork_id(c, tips[i]->hash, &fork, &len) ==
                   0);
        FUZZ_CHECK(len == tips[i]->height + 1 && fork[len - 1] == tips[i]);
        for (size_t j = 1; j < len; j++)
            FUZZ_CHECK(fork[j]->parent == fork[j - 1]);
        FUZZ_CHECK(fork[0] == chain_at_height(c, 0));
        free(fork);
    }
    qsort(tips, leaves, sizeof tips[0], cmp_ptr);
    for (size_t i = 1; i < leaves; i++)
        FUZZ_CHECK(tips[i - 1] != tips[i]);
}

/* ---- operations --------------------------------------------------------- */

/*
 * chain_verify_block judges a block on its parent as chain_add_block would,
 * without the memory of known blocks and refusals, and changes nothing.
 */
static void check_verify(world_t *w, int i, int copy, const block_t *sent)
{
    const fblock_t *f = &w->b[i];
    if (i == 0)
        return;
    const char *why = NULL, *want_why = "orphan";
    int want = ERR_ORPHAN;
    if (w->b[f->parent].in_tree) {
        bool mutant = copy != REAL && f->level != KIT_AT_HEADER &&
                      f->level != KIT_AT_CONTEXT;
        want = mutant || f->level != KIT_AT_NONE ? ERR_INVALID : 0;
        want_why = mutant ? copy_reason(copy) : f->reason;
    }
    size_t blocks = chain_block_count(w->c);
    int rc = chain_verify_block(w->c, &why, sent);
    FUZZ_CHECK(rc == want);
    FUZZ_CHECK(rc == 0 || (why && strcmp(why, want_why) == 0));
    FUZZ_CHECK(chain_block_count(w->c) == blocks);
}

static void offer(world_t *w, int i, int copy)
{
    fblock_t *f = &w->b[i];
    block_t mutant;
    const block_t *sent = &f->block;
    if (copy == DUPLICATED && f->block.tx_count % 2 == 0)
        copy = TAMPERED; /* the repeat keeps the root only for odd counts */
    if (copy != REAL) {
        if (block_copy(&mutant, &f->block) != 0)
            kit_die("out of memory");
        if (copy == TAMPERED)
            mutant.txs[0].extra_nonce ^= 0x100;
        else if (block_add_tx(&mutant, &mutant.txs[mutant.tx_count - 1]) != 0)
            kit_die("out of memory");
        sent = &mutant;
    }
    for (int j = 0; j < w->n; j++)
        w->b[j].want_added = w->b[j].added = w->b[j].removed = false;
    w->changed = false;
    uint64_t pool_before = w->pool_changes;
    /* The node asks these of gossiped and submitted blocks first. */
    FUZZ_CHECK(chain_is_stale_fork(w->c, &sent->header) ==
               model_stale(w, i, w->b[model_tip(w)].height));
    if (!f->offered || copy != REAL) /* once per block is enough */
        check_verify(w, i, copy, sent);
    const char *want_why = NULL, *why = NULL;
    int want = model_offer(w, i, copy, &want_why);
    if (want == ERR_INVALID && f->remembered)
        model_drop_descendants(w, i);
    int rc = chain_add_block(w->c, &why, sent);
    if (rc != want || (rc != 0 && (!why || strcmp(why, want_why) != 0)) ||
        w->trace)
        fprintf(stderr,
                "block %d (height %u, copy %d): got %d %s, want %d %s\n", i,
                f->height, copy, rc, why ? why : "-", want,
                want_why ? want_why : "-");
    FUZZ_CHECK(rc == want);
    FUZZ_CHECK(rc == 0 || (why && strcmp(why, want_why) == 0));
    if (copy != REAL)
        block_deinit(&mutant);
    else
        f->offered = true;

    for (int j = 0; j < w->n; j++) {
        fblock_t *g = &w->b[j];
        FUZZ_CHECK(g->added == g->want_added);
        if (g->removed) {
            FUZZ_CHECK(g->in_tree && !chain_get(w->c, g->hash));
            g->in_tree = false;
        }
    }
    check_world(w, w->changed || w->pool_changes != pool_before);
}

static void op_pending(world_t *w, uint8_t order)
{
    int list[MAX_BLOCKS], n = 0;
    for (int i = 1; i < w->n; i++)
        if (!w->b[i].offered)
            list[n++] = i;
    if (order % 3 == 2) {
        uint32_t r = order / 3 + 1;
        for (int a = n - 1; a > 0; a--) {
            r = r * 1103515245u + 12345u;
            int b = (int)((r >> 8) % (uint32_t)(a + 1));
            int t = list[a];
            list[a] = list[b];
            list[b] = t;
        }
    }
    for (int i = 0; i < n; i++) /* order 0: newest first */
        offer(w, list[order % 3 == 0 ? n - 1 - i : i], REAL);
}

static void op_branch(world_t *w, int i, uint8_t order)
{
    int list[MAX_BLOCKS], n = 0;
    for (int x = i; x > 0 && !w->b[x].in_tree; x = w->b[x].parent)
        list[n++] = x;
    for (int j = 0; j < n; j++)
        offer(w, order & 1 ? list[n - 1 - j] : list[j], REAL);
}

/* ---- the harness -------------------------------------------------------- */

static int64_t fixed_now(void *ctx)
{
    return ((const kit_t *)ctx)->now;
}

static void world_init(world_t *w, uint8_t cfg_byte)
{
    memset(w, 0, sizeof *w);
    w->kit = kit_get();
    w->trace = getenv("FUZZ_TRACE") != NULL;
    chain_config_t cfg = {
        .params = w->kit->params,
        .prune_depth = prune_depths[(cfg_byte >> 2) & 3],
        .max_orphans = orphan_sizes[cfg_byte & 3],
        .sig_threads = 1,
        .now = fixed_now,
        .now_ctx = (void *)w->kit,
        .callbacks = {.ctx = w,
                      .block_connected = on_connected,
                      .block_disconnected = on_disconnected,
                      .tx_discarded = on_discarded,
                      .tip_changed = on_tip,
                      .block_added = on_added,
                      .block_removed = on_removed},
    };
    w->max_orphans = cfg.max_orphans ? cfg.max_orphans : CHAIN_MAX_ORPHANS;
    w->prune_depth = cfg.prune_depth ? cfg.prune_depth : CHAIN_PRUNE_DEPTH;
    w->c = chain_new(&cfg);
    FUZZ_CHECK(w->c != NULL);
    const chain_node_t *g = chain_tip(w->c);
    fblock_t *f = &w->b[0];
    if (block_copy(&f->block, &g->block) != 0)
        kit_die("out of memory");
    memcpy(f->hash, g->hash, 32);
    f->key = hash_key(f->hash);
    f->parent = -1;
    f->valid = f->in_tree = f->offered = true;
    w->n = 1;
    w->mainv[0] = 0;
    w->main_len = 1;
}

static void world_free(world_t *w)
{
    for (int i = 0; i < w->n; i++)
        block_deinit(&w->b[i].block);
    chain_free(&w->c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    kit_get(); /* sign the pool once, outside the timed runs */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ops_input_t in = {data, size, 0};
    world_t *w = &W;
    world_init(w, ops_next(&in));
    for (int ops = 0; ops_more(&in) && ops < MAX_OPS; ops++) {
        uint8_t op = ops_next(&in) % OPS_CHAIN_COUNT;
        uint8_t a = ops_next(&in);
        int sel = select_block(w, a);
        switch (op) {
        case OPS_CHAIN_BUILD: {
            uint8_t kind = ops_next(&in), txs = ops_next(&in),
                    mv = ops_next(&in);
            build(w, sel, kind, txs, mv);
            break;
        }
        case OPS_CHAIN_EXTEND: {
            uint8_t len = ops_next(&in), txs = ops_next(&in),
                    mv = ops_next(&in);
            for (int j = 0; j <= len % 16 && sel >= 0; j++)
                sel = build(w, sel, 0, txs, mv);
            break;
        }
        case OPS_CHAIN_DELIVER:
            offer(w, sel, REAL);
            break;
        case OPS_CHAIN_MUTATE:
            offer(w, sel, ops_next(&in) & 1 ? DUPLICATED : TAMPERED);
            break;
        case OPS_CHAIN_PENDING:
            op_pending(w, a);
            break;
        case OPS_CHAIN_BRANCH:
            op_branch(w, sel, ops_next(&in));
            break;
        }
    }
    check_world(w, true);
    world_free(w);
    return 0;
}
