/*
 * chain — block tree, validation, fork choice, reorgs, pruning and orphans
 * (see chain.h for the states a block goes through).
 *
 * Data kept beside the tree, all for the best chain only:
 *   main[]    best-chain nodes by height;
 *   state     accounts at the tip; each best-chain node keeps the undo log
 *             that takes the state back to its parent;
 *   txindex   txid -> (node, index) for every best-chain transaction;
 *   history   account -> list of (height, index, balance after), appended as
 *             blocks connect and popped as they disconnect, answering
 *             "balance after a transaction" by binary search.
 * And for the whole tree: `leaves` (every node without children, so pruning
 * looks only at branch tips), `invalid` (hashes refused for reasons the
 * header commits to) and the orphan pool.
 *
 * Validation order (cheap before expensive): proof of work and bits, time,
 * parent, expected difficulty, median time, size and structure, merkle root,
 * coinbase, amounts, then nonces and balances against the state, then
 * signatures (in parallel, sigcheck.h). A block on the best tip is checked on
 * the best state itself and rolled back on failure; a block elsewhere on an
 * overlay (state.h) built by rewinding to the fork point.
 */
#include "chain.h"
#include "difficulty.h"
#include "err.h"
#include "hashmap.h"
#include "log.h"
#include "sigcheck.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How many refused hashes are remembered before the memory is cleared. */
#define CHAIN_MAX_INVALID 20000

typedef struct {
    chain_node_t *node;
    uint32_t index;
} txloc_t;

/* An account's balance at the end of a best-chain block that touched it. */
typedef struct {
    uint32_t height;
    uint64_t balance;
} hist_entry_t;

typedef struct {
    hist_entry_t *v;
    size_t n, cap;
} hist_t;

typedef struct orphan {
    block_t block;
    uint8_t hash[32];
    struct orphan *prev_sibling, *next_sibling; /* same parent */
    struct orphan *older, *newer;               /* pool age order */
} orphan_t;

struct chain {
    chain_config_t cfg;
    const params_t *params;
    hashmap_t *nodes;   /* hash -> chain_node_t*, owned */
    hashmap_t *leaves;  /* hash -> chain_node_t*, borrowed */
    hashmap_t *invalid; /* hash -> const char* reason (static strings) */
    hashmap_t *orphans; /* hash -> orphan_t*, owned */
    hashmap_t *orphans_by_parent; /* parent hash -> newest orphan_t* naming
                                     it (borrowed; siblings linked) */
    orphan_t *oldest_orphan, *newest_orphan;
    hashmap_t *txindex; /* txid -> txloc_t*, owned */
    hashmap_t *history; /* account -> hist_t*, owned */
    chain_node_t **main;
    size_t main_len, main_cap;
    state_t *state;
    uint64_t seq;
};

/* ---- small helpers ----------------------------------------------------------
 */

static int64_t now_of(const chain_t *c)
{
    return c->cfg.now ? c->cfg.now(c->cfg.now_ctx) : (int64_t)time(NULL);
}

static void set_reason(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t chain_median_time_past(const chain_node_t *node)
{
    uint32_t times[CHAIN_MTP_SPAN];
    size_t n = 0;
    for (; node && n < CHAIN_MTP_SPAN; node = node->parent)
        times[n++] = node->block.header.time;
    if (n == 0)
        return 0;
    qsort(times, n, sizeof times[0], cmp_u32);
    return times[n / 2];
}

uint32_t chain_next_bits(const chain_t *c, const chain_node_t *parent)
{
    const params_t *p = c->params;
    if (!p->retarget)
        return p->pow_limit_bits;
    size_t want = (size_t)p->retarget_window + 1;
    if (want > (size_t)parent->height + 1)
        want = (size_t)parent->height + 1;
    difficulty_sample_t *w = malloc(want * sizeof *w);
    if (!w)
        return p->pow_limit_bits; /* refused later as bad-diffbits at worst */
    const chain_node_t *n = parent;
    for (size_t i = want; i > 0; i--, n = n->parent) {
        w[i - 1].time = n->block.header.time;
        w[i - 1].bits = n->block.header.bits;
    }
    uint32_t bits = difficulty_next_bits(p, w, want);
    free(w);
    return bits;
}

static void remember_invalid(chain_t *c, const uint8_t hash[32],
                             const char *why)
{
    if (hashmap_count(c->invalid) >= CHAIN_MAX_INVALID) {
        hashmap_free(&c->invalid);
        c->invalid = hashmap_new();
        if (!c->invalid)
            return;
    }
    hashmap_put(c->invalid, hash, (void *)why);
}

/* ---- validation
 * ----------------------------------------------------------------- */

/* Checks that need only the header itself and the clock. */
static int check_header_alone(const chain_t *c, const char **reason,
                              const block_header_t *h, const uint8_t hash[32])
{
    uint256_t target, limit;
    block_bits_to_target(&limit, c->params->pow_limit_bits);
    if (block_bits_to_target(&target, h->bits) != 0 ||
        uint256_cmp(&target, &limit) > 0) {
        set_reason(reason, "bad-diffbits");
        return ERR_INVALID;
    }
    if (!block_hash_meets_target(hash, &target)) {
        set_reason(reason, "high-hash");
        return ERR_INVALID;
    }
    if ((int64_t)h->time > now_of(c) + CHAIN_MAX_FUTURE_SECONDS) {
        set_reason(reason, "time-too-new");
        return ERR_INVALID;
    }
    return 0;
}

/* Checks of the header against its parent. */
static int check_header_context(const chain_t *c, const char **reason,
                                const block_header_t *h,
                                const chain_node_t *parent)
{
    if (h->version < 1) {
        set_reason(reason, "bad-version");
        return ERR_INVALID;
    }
    if (h->bits != chain_next_bits(c, parent)) {
        set_reason(reason, "bad-diffbits");
        return ERR_INVALID;
    }
    if (h->time <= chain_median_time_past(parent)) {
        set_reason(reason, "time-too-old");
        return ERR_INVALID;
    }
    return 0;
}

/*
 * Structure, merkle root, coinbase and amounts. *committed is set once the
 * merkle root has been shown to match: from then on the header commits to
 * the body, so a failure is a property of the block hash itself.
 */
static int check_body(const chain_t *c, const char **reason, bool *committed,
                      uint64_t *fees_out, const block_t *b, uint32_t height)
{
    *committed = false;
    if (block_size(b) > BLOCK_MAX_SIZE) {
        set_reason(reason, "bad-blk-size");
        return ERR_INVALID;
    }
    if (b->tx_count == 0) {
        set_reason(reason, "bad-blk-length");
        return ERR_INVALID;
    }
    uint8_t root[32];
    int rc = block_compute_merkle_root(root, b);
    if (rc == ERR_INVALID) {
        set_reason(reason, "bad-txns-duplicate");
        return ERR_INVALID;
    }
    if (rc)
        return rc;
    if (memcmp(root, b->header.merkle_root, 32) != 0) {
        set_reason(reason, "bad-txnmrklroot");
        return ERR_INVALID;
    }
    *committed = true;

    if (b->txs[0].kind != TX_COINBASE) {
        set_reason(reason, "bad-cb-missing");
        return ERR_INVALID;
    }
    if (b->txs[0].height != height) {
        set_reason(reason, "bad-cb-height");
        return ERR_INVALID;
    }
    uint64_t fees = 0;
    for (size_t i = 1; i < b->tx_count; i++) {
        const tx_t *tx = &b->txs[i];
        if (tx->kind == TX_COINBASE) {
            set_reason(reason, "bad-cb-multiple");
            return ERR_INVALID;
        }
        if (tx->amount == 0 || tx->amount > MAX_MONEY || tx->fee > MAX_MONEY ||
            tx->amount + tx->fee > MAX_MONEY) {
            set_reason(reason, "bad-txns-amount");
            return ERR_INVALID;
        }
        fees += tx->fee;
        if (fees > MAX_MONEY) {
            set_reason(reason, "bad-txns-fee-range");
            return ERR_INVALID;
        }
    }
    if (b->txs[0].amount > params_block_subsidy(c->params, height) + fees) {
        set_reason(reason, "bad-cb-amount");
        return ERR_INVALID;
    }

    /* Equal txids with different signatures have different leaves, so the
     * merkle check above cannot see them. */
    if (b->tx_count > 1) {
        hashmap_t *seen = hashmap_new();
        if (!seen)
            return ERR_NOMEM;
        uint8_t(*ids)[32] = malloc(b->tx_count * sizeof *ids);
        if (!ids) {
            hashmap_free(&seen);
            return ERR_NOMEM;
        }
        rc = 0;
        for (size_t i = 0; i < b->tx_count && rc == 0; i++) {
            tx_compute_txid(ids[i], &b->txs[i]);
            if (hashmap_get(seen, ids[i])) {
                set_reason(reason, "bad-txns-duplicate");
                rc = ERR_INVALID;
            } else if (hashmap_put(seen, ids[i], ids[i]) != 0) {
                rc = ERR_NOMEM;
            }
        }
        free(ids);
        hashmap_free(&seen);
        if (rc)
            return rc;
    }
    *fees_out = fees;
    return 0;
}

/* Applies a block's transactions to s in order (coinbase first), checking
 * nonces and balances. On failure s is restored and undo left as it was. */
static int apply_block(state_t *s, state_undo_t *undo, const char **reason,
                       const block_t *b)
{
    state_undo_t local = {0};
    state_undo_t *u = undo ? undo : &local;
    size_t mark = u->count;
    int rc = state_apply_coinbase(s, u, reason, &b->txs[0]);
    for (size_t i = 1; i < b->tx_count && rc == 0; i++)
        rc = state_apply_transfer(s, u, reason, &b->txs[i]);
    if (rc) {
        state_undo_t tail = {u->entries + mark, u->count - mark, 0};
        state_revert(s, &tail);
        u->count = mark;
    }
    state_undo_deinit(&local);
    return rc;
}

/*
 * Builds an overlay holding the state right after `parent`: rewinds the best
 * chain to the fork point, then replays the branch up to parent.
 */
static int state_at(const chain_t *c, state_t **out, const chain_node_t *parent)
{
    state_t *ov = state_new_overlay(c->state);
    if (!ov)
        return ERR_NOMEM;
    size_t depth = 0;
    const chain_node_t *fork = parent;
    while (!fork->in_main) {
        fork = fork->parent;
        depth++;
    }
    int rc = 0;
    for (size_t h = c->main_len - 1; h > fork->height && rc == 0; h--)
        rc = state_revert(ov, &c->main[h]->undo);
    if (rc == 0 && depth) {
        const chain_node_t **path = malloc(depth * sizeof *path);
        if (!path) {
            rc = ERR_NOMEM;
        } else {
            size_t i = depth;
            for (const chain_node_t *n = parent; n != fork; n = n->parent)
                path[--i] = n;
            /* Every branch block was validated when it arrived, so replay
             * cannot fail except for memory. */
            for (i = 0; i < depth && rc == 0; i++)
                rc = apply_block(ov, NULL, NULL, &path[i]->block);
            free(path);
        }
    }
    if (rc) {
        state_free(&ov);
        return rc == ERR_INVALID ? ERR_NOMEM : rc;
    }
    *out = ov;
    return 0;
}

/*
 * Full validation of a block on parent. When parent is the best tip the
 * block is applied to the best state and left applied (its changes in
 * *undo) on success; otherwise it is checked on an overlay.
 * *cacheable says whether a refusal belongs to the hash for good.
 */
static int validate(chain_t *c, const char **reason, bool *cacheable,
                    state_undo_t *undo, const block_t *b,
                    const uint8_t hash[32], const chain_node_t *parent)
{
    *cacheable = false;
    int rc = check_header_alone(c, reason, &b->header, hash);
    if (rc)
        return rc;     /* cheap to check again, and time-too-new can change */
    *cacheable = true; /* from here on, refusals follow from the header */
    rc = check_header_context(c, reason, &b->header, parent);
    if (rc)
        return rc;
    uint32_t height = parent->height + 1;
    uint64_t fees = 0;
    bool committed;
    rc = check_body(c, reason, &committed, &fees, b, height);
    *cacheable = committed;
    if (rc)
        return rc;

    bool on_tip = parent == c->main[c->main_len - 1];
    state_t *view = c->state;
    if (!on_tip && (rc = state_at(c, &view, parent)) != 0)
        return rc;
    size_t mark = undo->count;
    rc = apply_block(view, undo, reason, b);
    if (rc == 0) {
        size_t bad;
        rc = sigcheck_verify(&bad, reason, b->txs, b->tx_count,
                             c->params->network_id,
                             c->cfg.sig_threads ? c->cfg.sig_threads
                                                : sigcheck_default_threads());
        if (rc && on_tip) {
            state_undo_t tail = {undo->entries + mark, undo->count - mark, 0};
            state_revert(view, &tail);
            undo->count = mark;
        }
    }
    if (!on_tip) {
        state_free(&view);
        undo->count = mark;
    }
    return rc;
}

/* ---- best-chain bookkeeping
 * ----------------------------------------------------- */

static int hist_push(chain_t *c, const uint8_t key[32], uint32_t height)
{
    hist_t *h = hashmap_get(c->history, key);
    if (!h) {
        h = calloc(1, sizeof *h);
        if (!h || hashmap_put(c->history, key, h) != 0) {
            free(h);
            return ERR_NOMEM;
        }
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4;
        hist_entry_t *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return ERR_NOMEM;
        h->v = v;
        h->cap = cap;
    }
    account_t a;
    state_get(c->state, &a, key);
    h->v[h->n++] = (hist_entry_t){height, a.balance};
    return 0;
}

static void hist_pop(chain_t *c, const uint8_t key[32], uint32_t height)
{
    hist_t *h = hashmap_get(c->history, key);
    while (h && h->n && h->v[h->n - 1].height == height)
        h->n--;
}

/* Records the txids of a block just applied to the best state, and each
 * touched account's balance after the block (a balance after any single
 * transaction is then the previous entry plus a replay of part of one
 * block: see chain_balance_after_tx). */
static int index_block(chain_t *c, chain_node_t *n)
{
    const block_t *b = &n->block;
    for (size_t i = 0; i < b->tx_count; i++) {
        uint8_t txid[32];
        tx_compute_txid(txid, &b->txs[i]);
        txloc_t *loc = malloc(sizeof *loc);
        if (!loc)
            return ERR_NOMEM;
        *loc = (txloc_t){n, (uint32_t)i};
        txloc_t *old = hashmap_get(c->txindex, txid);
        if (hashmap_put(c->txindex, txid, loc) != 0) {
            free(loc);
            return ERR_NOMEM;
        }
        free(old);
    }
    for (size_t i = 0; i < n->undo.count; i++) {
        const uint8_t *key = n->undo.entries[i].key;
        hist_t *h = hashmap_get(c->history, key);
        if (h && h->n && h->v[h->n - 1].height == n->height)
            continue;
        if (hist_push(c, key, n->height) != 0)
            return ERR_NOMEM;
    }
    return 0;
}

static void unindex_block(chain_t *c, chain_node_t *n)
{
    const block_t *b = &n->block;
    for (size_t i = 0; i < b->tx_count; i++) {
        uint8_t txid[32];
        tx_compute_txid(txid, &b->txs[i]);
        txloc_t *loc = hashmap_get(c->txindex, txid);
        if (loc && loc->node == n)
            free(hashmap_remove(c->txindex, txid));
    }
    for (size_t i = 0; i < n->undo.count; i++)
        hist_pop(c, n->undo.entries[i].key, n->height);
}

static int main_push(chain_t *c, chain_node_t *n)
{
    if (c->main_len == c->main_cap) {
        size_t cap = c->main_cap ? c->main_cap * 2 : 1024;
        chain_node_t **m = realloc(c->main, cap * sizeof *m);
        if (!m)
            return ERR_NOMEM;
        c->main = m;
        c->main_cap = cap;
    }
    c->main[c->main_len++] = n;
    n->in_main = true;
    return 0;
}

/* Connects n (whose parent is the tip) whose changes are already applied to
 * the state and recorded in n->undo. */
static int finish_connect(chain_t *c, chain_node_t *n)
{
    int rc = main_push(c, n);
    if (rc == 0)
        rc = index_block(c, n);
    if (rc == 0 && c->cfg.callbacks.block_connected)
        c->cfg.callbacks.block_connected(c->cfg.callbacks.ctx, n);
    return rc;
}

static void disconnect_tip(chain_t *c)
{
    chain_node_t *n = c->main[c->main_len - 1];
    unindex_block(c, n);
    state_revert(c->state, &n->undo);
    state_undo_deinit(&n->undo);
    n->in_main = false;
    c->main_len--;
    if (c->cfg.callbacks.block_disconnected)
        c->cfg.callbacks.block_disconnected(c->cfg.callbacks.ctx, n);
}

/* Makes target (more work than the tip, already validated) the best tip. */
static int reorganize(chain_t *c, chain_node_t *target)
{
    size_t depth = 0;
    chain_node_t *fork = target;
    while (!fork->in_main) {
        fork = fork->parent;
        depth++;
    }
    chain_node_t **path = malloc(depth * sizeof *path);
    if (!path)
        return ERR_NOMEM;
    size_t i = depth;
    for (chain_node_t *n = target; n != fork; n = n->parent)
        path[--i] = n;
    size_t old_len = c->main_len;
    if (old_len - 1 - fork->height > 0)
        log_info("chain", "reorganizing: %zu blocks off, %zu on, fork at %u",
                 old_len - 1 - fork->height, depth, fork->height);
    while (c->main_len - 1 > fork->height)
        disconnect_tip(c);
    int rc = 0;
    for (i = 0; i < depth && rc == 0; i++) {
        rc = apply_block(c->state, &path[i]->undo, NULL, &path[i]->block);
        if (rc == 0)
            rc = finish_connect(c, path[i]);
    }
    free(path);
    /* Only memory can fail here; the best chain is then the branch as far as
     * it got, which is still a valid chain. */
    return rc == ERR_INVALID ? ERR_NOMEM : rc;
}

/* ---- tree -------------------------------------------------------------------
 */

static void node_free(chain_node_t *n)
{
    if (!n)
        return;
    block_deinit(&n->block);
    state_undo_deinit(&n->undo);
    free(n);
}

static chain_node_t *node_new(chain_t *c, const block_t *b,
                              const uint8_t hash[32], chain_node_t *parent)
{
    chain_node_t *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    if (block_copy(&n->block, b) != 0) {
        free(n);
        return NULL;
    }
    memcpy(n->hash, hash, 32);
    n->parent = parent;
    n->height = parent ? parent->height + 1 : 0;
    uint256_t work;
    block_work_from_bits(&work, b->header.bits);
    if (parent)
        uint256_add(&n->chain_work, &parent->chain_work, &work);
    else
        n->chain_work = work;
    n->seq = ++c->seq;
    return n;
}

static int tree_insert(chain_t *c, chain_node_t *n)
{
    if (hashmap_put(c->nodes, n->hash, n) != 0)
        return ERR_NOMEM;
    if (hashmap_put(c->leaves, n->hash, n) != 0) {
        hashmap_remove(c->nodes, n->hash);
        return ERR_NOMEM;
    }
    if (n->parent) {
        n->parent->children++;
        hashmap_remove(c->leaves, n->parent->hash);
    }
    return 0;
}

typedef struct {
    chain_t *c;
    chain_node_t **victims;
    size_t n, cap;
} prune_scan_t;

static bool collect_stale_leaf(void *ctx, const uint8_t key[32], void *value)
{
    (void)key;
    prune_scan_t *s = ctx;
    chain_node_t *leaf = value;
    chain_t *c = s->c;
    uint32_t depth = c->cfg.prune_depth;
    uint32_t best = (uint32_t)(c->main_len - 1);
    if (leaf->in_main || leaf->height + depth > best ||
        leaf->seq + depth > c->seq)
        return true;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        chain_node_t **v = realloc(s->victims, cap * sizeof *v);
        if (!v)
            return false;
        s->victims = v;
        s->cap = cap;
    }
    s->victims[s->n++] = leaf;
    return true;
}

/* Removes one stale branch ending at leaf, offering its unique transfers. */
static void discard_branch(chain_t *c, chain_node_t *leaf)
{
    size_t len = 0;
    for (chain_node_t *n = leaf; !n->in_main && n->children <= 1;
         n = n->parent) {
        len++;
        if (n->parent && n->parent->children > 1)
            break;
    }
    chain_node_t **seg = malloc((len ? len : 1) * sizeof *seg);
    if (!seg)
        return; /* tried again at the next prune */
    size_t i = len;
    for (chain_node_t *n = leaf; i > 0; n = n->parent)
        seg[--i] = n;
    log_info("chain", "discarding a side branch of %zu blocks (tip height %u)",
             len, leaf->height);
    for (i = 0; i < len; i++) {
        const block_t *b = &seg[i]->block;
        for (size_t t = 1; t < b->tx_count; t++) {
            uint8_t txid[32];
            tx_compute_txid(txid, &b->txs[t]);
            if (!hashmap_get(c->txindex, txid) && c->cfg.callbacks.tx_discarded)
                c->cfg.callbacks.tx_discarded(c->cfg.callbacks.ctx, &b->txs[t]);
        }
    }
    chain_node_t *top_parent = seg[0]->parent;
    for (i = len; i > 0; i--) {
        hashmap_remove(c->nodes, seg[i - 1]->hash);
        hashmap_remove(c->leaves, seg[i - 1]->hash);
        if (c->cfg.callbacks.block_removed)
            c->cfg.callbacks.block_removed(c->cfg.callbacks.ctx, seg[i - 1]);
        node_free(seg[i - 1]);
    }
    free(seg);
    if (top_parent) {
        top_parent->children--;
        if (top_parent->children == 0)
            hashmap_put(c->leaves, top_parent->hash, top_parent);
    }
}

static void prune(chain_t *c)
{
    prune_scan_t s = {c, NULL, 0, 0};
    hashmap_foreach(c->leaves, collect_stale_leaf, &s);
    for (size_t i = 0; i < s.n; i++)
        discard_branch(c, s.victims[i]);
    free(s.victims);
}

/* ---- orphans ----------------------------------------------------------------
 */

/*
 * The orphan pool holds blocks whose parent is unknown. Each orphan is in
 * three structures at once: `orphans` (by its own hash, for duplicates and
 * chain_orphan_missing), `orphans_by_parent` (the head of a list of the
 * orphans that name the same parent, so connecting a block finds its waiting
 * children with one lookup), and the age list (oldest first, so a full pool
 * evicts in O(1)). An orphan leaves all three at once.
 */

static void orphan_free(orphan_t *o)
{
    if (o) {
        block_deinit(&o->block);
        free(o);
    }
}

/* Takes o out of the pool's three structures; the caller owns it then. */
static void orphan_unlink(chain_t *c, orphan_t *o)
{
    hashmap_remove(c->orphans, o->hash);
    if (o->prev_sibling)
        o->prev_sibling->next_sibling = o->next_sibling;
    else if (o->next_sibling)
        /* Replaces an existing key's value: cannot fail. */
        (void)hashmap_put(c->orphans_by_parent, o->block.header.prev_hash,
                          o->next_sibling);
    else
        hashmap_remove(c->orphans_by_parent, o->block.header.prev_hash);
    if (o->next_sibling)
        o->next_sibling->prev_sibling = o->prev_sibling;
    if (o->older)
        o->older->newer = o->newer;
    else
        c->oldest_orphan = o->newer;
    if (o->newer)
        o->newer->older = o->older;
    else
        c->newest_orphan = o->older;
    o->prev_sibling = o->next_sibling = o->older = o->newer = NULL;
}

static int orphan_add(chain_t *c, const block_t *b, const uint8_t hash[32])
{
    if (hashmap_get(c->orphans, hash))
        return 0;
    if (hashmap_count(c->orphans) >= c->cfg.max_orphans && c->oldest_orphan) {
        orphan_t *oldest = c->oldest_orphan;
        orphan_unlink(c, oldest);
        orphan_free(oldest);
    }
    orphan_t *o = calloc(1, sizeof *o);
    if (!o || block_copy(&o->block, b) != 0) {
        free(o);
        return ERR_NOMEM;
    }
    memcpy(o->hash, hash, 32);
    orphan_t *first = hashmap_get(c->orphans_by_parent, b->header.prev_hash);
    if (hashmap_put(c->orphans, hash, o) != 0) {
        orphan_free(o);
        return ERR_NOMEM;
    }
    if (hashmap_put(c->orphans_by_parent, b->header.prev_hash, o) != 0) {
        hashmap_remove(c->orphans, hash);
        orphan_free(o);
        return ERR_NOMEM;
    }
    o->next_sibling = first;
    if (first)
        first->prev_sibling = o;
    o->older = c->newest_orphan;
    if (c->newest_orphan)
        c->newest_orphan->newer = o;
    else
        c->oldest_orphan = o;
    c->newest_orphan = o;
    return 0;
}

/* Takes every orphan waiting on parent out of the pool, oldest first
 * (linked through next_sibling); the caller owns the list. */
static orphan_t *orphan_take_children(chain_t *c, const uint8_t parent[32])
{
    orphan_t *newest_first = hashmap_get(c->orphans_by_parent, parent);
    orphan_t *list = NULL;
    while (newest_first) {
        orphan_t *o = newest_first;
        newest_first = o->next_sibling;
        orphan_unlink(c, o);
        o->next_sibling = list;
        list = o;
    }
    return list;
}

bool chain_orphan_missing(const chain_t *c, uint8_t missing[32],
                          const uint8_t hash[32])
{
    const orphan_t *o = hashmap_get(c->orphans, hash);
    if (!o)
        return false;
    /* Bounded by the pool's size, so a cycle of fake parents cannot loop. */
    for (size_t steps = 0; steps <= c->cfg.max_orphans; steps++) {
        const orphan_t *up = hashmap_get(c->orphans, o->block.header.prev_hash);
        if (!up)
            break;
        o = up;
    }
    memcpy(missing, o->block.header.prev_hash, 32);
    return true;
}

size_t chain_orphan_count(const chain_t *c)
{
    return hashmap_count(c->orphans);
}

/* ---- adding blocks
 * ------------------------------------------------------------- */

/* True when two transactions serialize to the same bytes. */
static bool same_tx(const tx_t *a, const tx_t *b)
{
    buf_t x, y;
    buf_init(&x);
    buf_init(&y);
    bool same = tx_serialize(&x, a) == 0 && tx_serialize(&y, b) == 0 &&
                x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    buf_deinit(&x);
    buf_deinit(&y);
    return same;
}

/*
 * A block whose header we already have. An exact copy is a duplicate. A
 * different body under the same header was changed after mining (a
 * transaction tampered with, or the duplicated-transaction mutation): the
 * header's merkle root does not commit to it, so it is refused with the
 * reason the body earns, and never remembered -- the hash is the real
 * block's.
 */
static int check_known(const chain_node_t *known, const char **reason,
                       const block_t *b)
{
    bool same = b->tx_count == known->block.tx_count;
    for (size_t i = 0; same && i < b->tx_count; i++)
        same = same_tx(&b->txs[i], &known->block.txs[i]);
    if (same) {
        set_reason(reason, "duplicate");
        return ERR_DUPLICATE;
    }
    uint8_t root[32];
    int rc = b->tx_count ? block_compute_merkle_root(root, b) : ERR_INVALID;
    if (rc == ERR_NOMEM)
        return rc;
    set_reason(reason, rc == ERR_INVALID && b->tx_count ? "bad-txns-duplicate"
                       : b->tx_count                    ? "bad-txnmrklroot"
                                                        : "bad-blk-length");
    return ERR_INVALID;
}

/*
 * Validates one block and puts it in the tree. A block whose parent is
 * unknown goes to the orphan pool when may_orphan is set, and is otherwise
 * dropped (reason "orphan"): an orphan being connected is never put back.
 * Does not prune: chain_add_block prunes once its whole call is done, so no
 * branch is discarded under blocks still being connected to it.
 */
static int add_one(chain_t *c, const char **reason, const block_t *b,
                   const uint8_t hash[32], bool may_orphan)
{
    const chain_node_t *known = hashmap_get(c->nodes, hash);
    if (known)
        return check_known(known, reason, b);
    const char *known_bad = hashmap_get(c->invalid, hash);
    if (known_bad) {
        set_reason(reason, known_bad);
        return ERR_INVALID;
    }
    chain_node_t *parent = hashmap_get(c->nodes, b->header.prev_hash);
    if (!parent) {
        if (hashmap_get(c->invalid, b->header.prev_hash)) {
            set_reason(reason, "bad-prevblk");
            remember_invalid(c, hash, "bad-prevblk");
            return ERR_INVALID;
        }
        /* Only blocks with real work may wait for their parent. */
        int rc = check_header_alone(c, reason, &b->header, hash);
        if (rc)
            return rc;
        rc = may_orphan ? orphan_add(c, b, hash) : 0;
        if (rc)
            return rc;
        set_reason(reason, "orphan");
        return ERR_ORPHAN;
    }

    bool on_tip = parent == c->main[c->main_len - 1];
    state_undo_t undo = {0};
    bool cacheable = false;
    const char *why = NULL;
    int rc = validate(c, &why, &cacheable, &undo, b, hash, parent);
    if (rc) {
        state_undo_deinit(&undo);
        set_reason(reason, why);
        if (rc == ERR_INVALID && cacheable)
            remember_invalid(c, hash, why);
        return rc;
    }
    chain_node_t *n = node_new(c, b, hash, parent);
    rc = n ? 0 : ERR_NOMEM;
    if (rc == 0 && c->cfg.callbacks.block_added)
        rc = c->cfg.callbacks.block_added(c->cfg.callbacks.ctx, n);
    if (rc == 0 && tree_insert(c, n) != 0)
        rc = ERR_NOMEM;
    if (rc) {
        if (on_tip)
            state_revert(c->state, &undo);
        state_undo_deinit(&undo);
        node_free(n);
        set_reason(reason, rc == ERR_NOMEM ? "out-of-memory" : "not-stored");
        return rc;
    }
    const chain_node_t *old_tip = c->main[c->main_len - 1];
    if (on_tip) {
        n->undo = undo;
        rc = finish_connect(c, n);
    } else {
        state_undo_deinit(&undo);
        if (uint256_cmp(&n->chain_work, &old_tip->chain_work) > 0)
            rc = reorganize(c, n);
    }
    if (c->main[c->main_len - 1] != old_tip && c->cfg.callbacks.tip_changed)
        c->cfg.callbacks.tip_changed(c->cfg.callbacks.ctx,
                                     c->main[c->main_len - 1]);
    return rc;
}

/* Drops the orphans that descend from a block refused for a reason its
 * header commits to: they can never connect. Bounded by the pool's size,
 * since every orphan visited has left the pool. */
static void drop_descendants(chain_t *c, const uint8_t refused[32],
                             uint8_t (*queue)[32], size_t cap)
{
    size_t qn = 0;
    memcpy(queue[qn++], refused, 32);
    while (qn) {
        uint8_t parent[32];
        memcpy(parent, queue[--qn], 32);
        orphan_t *o = orphan_take_children(c, parent);
        while (o) {
            orphan_t *next = o->next_sibling;
            remember_invalid(c, o->hash, "bad-prevblk");
            if (qn < cap)
                memcpy(queue[qn++], o->hash, 32);
            orphan_free(o);
            o = next;
        }
    }
}

/*
 * Connects the orphans that were waiting on `hash` (just accepted), then
 * theirs, and so on. Each orphan is taken out of the pool before it is
 * offered, and an offered orphan is never put back (add_one without
 * may_orphan), so every orphan is visited at most once: the work is bounded
 * by the pool's size. Nothing is pruned until the caller is done, so every
 * parent stays in the tree while its children are connected.
 *
 * The queue holds at most one hash per orphan that was in the pool, plus the
 * first block; it is sized for that up front and never grows.
 */
static void connect_orphans(chain_t *c, const uint8_t hash[32])
{
    size_t cap = hashmap_count(c->orphans) + 1;
    if (cap == 1)
        return;
    uint8_t(*queue)[32] = malloc(cap * sizeof *queue);
    if (!queue)
        return; /* they stay in the pool and follow a later block */
    size_t qn = 0;
    memcpy(queue[qn++], hash, 32);
    while (qn) {
        uint8_t parent[32];
        memcpy(parent, queue[--qn], 32);
        orphan_t *o = orphan_take_children(c, parent);
        while (o) {
            orphan_t *next = o->next_sibling;
            const char *why = NULL;
            int rc = add_one(c, &why, &o->block, o->hash, false);
            if (rc == 0) {
                if (qn < cap)
                    memcpy(queue[qn++], o->hash, 32);
            } else {
                log_debug("chain", "orphan refused: %s", why ? why : "?");
                /* Only header-committed refusals are remembered; a body
                 * that does not match its header may yet come in its real
                 * form, so children of such a copy keep waiting. */
                if (rc == ERR_INVALID && hashmap_get(c->invalid, o->hash))
                    drop_descendants(c, o->hash, queue + qn, cap - qn);
            }
            orphan_free(o);
            o = next;
        }
    }
    free(queue);
}

int chain_add_block(chain_t *c, const char **reason, const block_t *block)
{
    uint8_t hash[32];
    block_compute_hash(hash, &block->header);
    int rc = add_one(c, reason, block, hash, true);
    if (rc == ERR_INVALID && hashmap_get(c->invalid, hash) &&
        hashmap_get(c->orphans_by_parent, hash)) {
        size_t cap = hashmap_count(c->orphans) + 1;
        uint8_t(*queue)[32] = malloc(cap * sizeof *queue);
        if (queue)
            drop_descendants(c, hash, queue, cap);
        free(queue);
    }
    if (rc)
        return rc;
    connect_orphans(c, hash);
    prune(c);
    return 0;
}

bool chain_is_stale_fork(const chain_t *c, const block_header_t *h)
{
    const chain_node_t *parent = hashmap_get(c->nodes, h->prev_hash);
    size_t depth = c->cfg.prune_depth;
    if (!parent || c->main_len <= depth)
        return false;
    uint8_t hash[32];
    block_compute_hash(hash, h);
    if (hashmap_get(c->nodes, hash))
        return false;
    /* Judged by work, not height: a long branch of easy blocks (a clock
     * far off moves the retarget) may sit above the best tip's height yet
     * be far lighter, and a short heavy one below it may be about to win.
     * Stale means: with this block, the branch would still have no more
     * work than the best chain had prune_depth blocks ago. Bits the header
     * merely claims cannot make a block look stale; a claim of more work
     * only lets it through to the full check of its proof of work. */
    uint256_t work, total;
    if (block_work_from_bits(&work, h->bits) != 0)
        return false;
    if (uint256_add(&total, &parent->chain_work, &work))
        return false;
    const chain_node_t *mark = c->main[c->main_len - 1 - depth];
    return uint256_cmp(&total, &mark->chain_work) <= 0;
}

int chain_verify_block(chain_t *c, const char **reason, const block_t *block)
{
    uint8_t hash[32];
    block_compute_hash(hash, &block->header);
    chain_node_t *parent = hashmap_get(c->nodes, block->header.prev_hash);
    if (!parent) {
        set_reason(reason, "orphan");
        return ERR_ORPHAN;
    }
    /* Validate on an overlay even on the tip, so nothing is changed. */
    state_t *view;
    bool cacheable;
    int rc = check_header_alone(c, reason, &block->header, hash);
    if (rc == 0)
        rc = check_header_context(c, reason, &block->header, parent);
    uint64_t fees;
    if (rc == 0)
        rc =
            check_body(c, reason, &cacheable, &fees, block, parent->height + 1);
    if (rc)
        return rc;
    if ((rc = state_at(c, &view, parent)) != 0)
        return rc;
    rc = apply_block(view, NULL, reason, block);
    state_free(&view);
    if (rc == 0)
        rc = sigcheck_verify(NULL, reason, block->txs, block->tx_count,
                             c->params->network_id,
                             c->cfg.sig_threads ? c->cfg.sig_threads
                                                : sigcheck_default_threads());
    return rc;
}

/* ---- construction
 * ------------------------------------------------------------ */

chain_t *chain_new(const chain_config_t *cfg)
{
    if (!cfg || !cfg->params)
        return NULL;
    chain_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = *cfg;
    c->params = cfg->params;
    if (!c->cfg.prune_depth)
        c->cfg.prune_depth = CHAIN_PRUNE_DEPTH;
    if (!c->cfg.max_orphans)
        c->cfg.max_orphans = CHAIN_MAX_ORPHANS;
    c->nodes = hashmap_new();
    c->leaves = hashmap_new();
    c->invalid = hashmap_new();
    c->orphans = hashmap_new();
    c->orphans_by_parent = hashmap_new();
    c->txindex = hashmap_new();
    c->history = hashmap_new();
    c->state = state_new();
    block_t genesis = {0};
    chain_node_t *g = NULL;
    if (!c->nodes || !c->leaves || !c->invalid || !c->orphans ||
        !c->orphans_by_parent || !c->txindex || !c->history || !c->state ||
        params_genesis_block(c->params, &genesis) != 0)
        goto fail;
    uint8_t hash[32];
    block_compute_hash(hash, &genesis.header);
    g = node_new(c, &genesis, hash, NULL);
    block_deinit(&genesis);
    /* The genesis coinbase pays a key nobody holds; it is not applied. */
    if (!g || tree_insert(c, g) != 0 || main_push(c, g) != 0)
        goto fail;
    return c;
fail:
    if (g && !hashmap_get(c->nodes, g->hash))
        node_free(g);
    block_deinit(&genesis);
    chain_free(&c);
    return NULL;
}

static bool free_node_cb(void *ctx, const uint8_t key[32], void *value)
{
    (void)ctx;
    (void)key;
    node_free(value);
    return true;
}

static bool free_orphan_cb(void *ctx, const uint8_t key[32], void *value)
{
    (void)ctx;
    (void)key;
    orphan_free(value);
    return true;
}

static bool free_hist_cb(void *ctx, const uint8_t key[32], void *value)
{
    (void)ctx;
    (void)key;
    hist_t *h = value;
    free(h->v);
    free(h);
    return true;
}

static bool free_plain_cb(void *ctx, const uint8_t key[32], void *value)
{
    (void)ctx;
    (void)key;
    free(value);
    return true;
}

void chain_free(chain_t **cp)
{
    if (!cp || !*cp)
        return;
    chain_t *c = *cp;
    if (c->nodes)
        hashmap_foreach(c->nodes, free_node_cb, NULL);
    if (c->orphans)
        hashmap_foreach(c->orphans, free_orphan_cb, NULL);
    if (c->history)
        hashmap_foreach(c->history, free_hist_cb, NULL);
    if (c->txindex)
        hashmap_foreach(c->txindex, free_plain_cb, NULL);
    hashmap_free(&c->nodes);
    hashmap_free(&c->leaves);
    hashmap_free(&c->invalid);
    hashmap_free(&c->orphans);
    hashmap_free(&c->orphans_by_parent);
    hashmap_free(&c->txindex);
    hashmap_free(&c->history);
    state_free(&c->state);
    free(c->main);
    free(c);
    *cp = NULL;
}

/* ---- queries ----------------------------------------------------------------
 */

const chain_node_t *chain_tip(const chain_t *c)
{
    return c->main[c->main_len - 1];
}

uint32_t chain_height(const chain_t *c)
{
    return (uint32_t)(c->main_len - 1);
}

const chain_node_t *chain_get(const chain_t *c, const uint8_t hash[32])
{
    return hashmap_get(c->nodes, hash);
}

const chain_node_t *chain_at_height(const chain_t *c, uint32_t height)
{
    return height < c->main_len ? c->main[height] : NULL;
}

const params_t *chain_params(const chain_t *c)
{
    return c->params;
}

size_t chain_block_count(const chain_t *c)
{
    return hashmap_count(c->nodes);
}

const state_t *chain_state(const chain_t *c)
{
    return c->state;
}

static int path_to(const chain_node_t *tip, const chain_node_t ***blocks,
                   size_t *n)
{
    size_t len = (size_t)tip->height + 1;
    const chain_node_t **v = malloc(len * sizeof *v);
    if (!v)
        return ERR_NOMEM;
    for (const chain_node_t *x = tip; x; x = x->parent)
        v[x->height] = x;
    *blocks = v;
    *n = len;
    return 0;
}

int chain_get_longest_chain(const chain_t *c, const chain_node_t ***blocks,
                            size_t *n)
{
    return path_to(chain_tip(c), blocks, n);
}

int chain_get_chain_by_fork_id(const chain_t *c, const uint8_t fork_id[32],
                               const chain_node_t ***blocks, size_t *n)
{
    const chain_node_t *tip = hashmap_get(c->leaves, fork_id);
    if (!tip)
        return ERR_NOT_FOUND;
    return path_to(tip, blocks, n);
}

typedef struct {
    const chain_node_t **tips;
    size_t max, n;
    const chain_node_t *best;
} forks_scan_t;

static bool collect_fork(void *ctx, const uint8_t key[32], void *value)
{
    (void)key;
    forks_scan_t *s = ctx;
    if (value != s->best) {
        if (s->n + 1 < s->max)
            s->tips[s->n + 1] = value;
        s->n++;
    }
    return true;
}

size_t chain_get_forks(const chain_t *c, const chain_node_t **tips, size_t max)
{
    forks_scan_t s = {tips, max, 0, chain_tip(c)};
    if (max)
        tips[0] = s.best;
    hashmap_foreach(c->leaves, collect_fork, &s);
    return s.n + 1;
}

int chain_find_tx(const chain_t *c, const chain_node_t **node, size_t *index,
                  const uint8_t txid[32])
{
    const txloc_t *loc = hashmap_get(c->txindex, txid);
    if (!loc)
        return ERR_NOT_FOUND;
    if (node)
        *node = loc->node;
    if (index)
        *index = loc->index;
    return 0;
}

int chain_balance_after_tx(const chain_t *c, uint64_t *balance,
                           const uint8_t key[32], const uint8_t txid[32])
{
    const txloc_t *loc = hashmap_get(c->txindex, txid);
    if (!loc)
        return ERR_NOT_FOUND;
    uint32_t height = loc->node->height;
    /* Balance at the end of the previous block that touched the account... */
    const hist_t *h = hashmap_get(c->history, key);
    size_t lo = 0, hi = h ? h->n : 0;
    while (lo < hi) { /* first entry with height >= `height` */
        size_t mid = (lo + hi) / 2;
        if (h->v[mid].height < height)
            lo = mid + 1;
        else
            hi = mid;
    }
    account_t acct = {lo ? h->v[lo - 1].balance : 0, 0};
    /* ...then replay this block up to and including the transaction. The
     * block is valid, so only the balance is followed here. */
    const block_t *b = &loc->node->block;
    for (size_t i = 0; i <= loc->index; i++) {
        const tx_t *tx = &b->txs[i];
        if (tx->kind == TX_TRANSFER && memcmp(tx->sender, key, 32) == 0)
            acct.balance -= tx->amount + tx->fee;
        if (memcmp(tx->recipient, key, 32) == 0)
            acct.balance += tx->amount;
    }
    *balance = acct.balance;
    return 0;
}

size_t chain_get_locator(const chain_t *c, uint8_t (*hashes)[32], size_t max)
{
    size_t n = 0;
    uint64_t step = 1;
    int64_t h = (int64_t)c->main_len - 1;
    while (h > 0 && n + 1 < max) {
        memcpy(hashes[n++], c->main[h]->hash, 32);
        if (n >= 10)
            step *= 2;
        h -= (int64_t)step;
    }
    if (n < max)
        memcpy(hashes[n++], c->main[0]->hash, 32);
    return n;
}

const chain_node_t *chain_find_fork(const chain_t *c,
                                    const uint8_t (*hashes)[32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const chain_node_t *x = hashmap_get(c->nodes, hashes[i]);
        if (x && x->in_main)
            return x;
    }
    return c->main[0];
}

/* ---- whole-chain check ------------------------------------------------------
 */

bool chain_is_valid_chain(const params_t *p, const block_t *const *blocks,
                          size_t n, const char **reason, uint32_t *bad_height)
{
    chain_config_t cfg = {.params = p};
    chain_t *c = chain_new(&cfg);
    bool ok = c != NULL;
    if (!ok)
        set_reason(reason, "out-of-memory");
    if (ok) {
        uint8_t first[32];
        if (n)
            block_compute_hash(first, &blocks[0]->header);
        if (n == 0 || memcmp(first, c->main[0]->hash, 32) != 0) {
            set_reason(reason, "bad-genesis");
            if (bad_height)
                *bad_height = 0;
            ok = false;
        }
    }
    for (size_t i = 1; ok && i < n; i++) {
        const char *why = NULL;
        int rc = chain_add_block(c, &why, blocks[i]);
        if (rc == 0 && (chain_height(c) != i || !chain_tip(c)->in_main)) {
            why = "bad-prevblk"; /* does not extend the previous block */
            rc = ERR_INVALID;
        }
        if (rc) {
            set_reason(reason, rc == ERR_ORPHAN ? "bad-prevblk" : why);
            if (bad_height)
                *bad_height = (uint32_t)i;
            ok = false;
        }
    }
    chain_free(&c);
    return ok;
}
