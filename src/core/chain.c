/*
 * chain — the block tree, fork choice, reorgs and pruning (see chain.h for
 * the states a block goes through, chain_impl.h for the data kept beside
 * the tree and the files that share it).
 *
 * A block offered to chain_add_block is looked up (duplicate, remembered
 * refusal, unknown parent -> chain_orphans.c), validated on its parent
 * (chain_validate.c), stored through the block_added callback and put in
 * the tree; then either connected to the best chain, or, when its branch
 * has more work than the best chain, the best chain is reorganised onto it.
 * The orphans that waited on it follow, and stale branches are pruned once
 * the whole call is done.
 */
#include "chain.h"
#include "chain_impl.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void chain_remember_invalid(chain_t *c, const uint8_t hash[32], const char *why)
{
    /* Not remembering costs only a re-check of a re-sent copy, so a failure
     * to allocate here is no error; but the map is replaced only once its
     * successor exists, so c->invalid is never NULL. */
    if (hashmap_count(c->invalid) >= CHAIN_MAX_INVALID) {
        hashmap_t *fresh = hashmap_new();
        if (!fresh)
            return;
        hashmap_free(&c->invalid);
        c->invalid = fresh;
    }
    if (hashmap_put(c->invalid, hash, (void *)why) != 0)
        log_debug("chain", "out of memory: a refused block is not remembered");
}

/* ---- best-chain bookkeeping ---------------------------------------------- */

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
 * the state and recorded in n->undo. All or nothing: on failure (memory) n
 * is taken off the best chain again, its changes are rolled back and its
 * undo log is emptied, so the tip, the state and the index still agree. */
static int finish_connect(chain_t *c, chain_node_t *n)
{
    int rc = main_push(c, n);
    if (rc == 0 && (rc = chain_index_block(c, n)) != 0) {
        chain_unindex_block(c, n); /* what was indexed before the failure */
        c->main_len--;
        n->in_main = false;
    }
    if (rc) {
        state_rollback(c->state, &n->undo);
        state_undo_deinit(&n->undo);
        return rc;
    }
    if (c->cfg.callbacks.block_connected)
        c->cfg.callbacks.block_connected(c->cfg.callbacks.ctx, n);
    return 0;
}

static void disconnect_tip(chain_t *c)
{
    chain_node_t *n = c->main[c->main_len - 1];
    chain_unindex_block(c, n);
    state_rollback(c->state, &n->undo);
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
        rc = chain_apply_block(c->state, &path[i]->undo, NULL, &path[i]->block);
        if (rc == 0)
            rc = finish_connect(c, path[i]);
    }
    free(path);
    /* Only memory can fail here; the best chain is then the branch as far as
     * it got, which is still a valid chain. */
    return rc == ERR_INVALID ? ERR_NOMEM : rc;
}

/* ---- tree ---------------------------------------------------------------- */

static void node_free(void *p)
{
    chain_node_t *n = p;
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
    /* The bits passed chain_check_header_alone (genesis: the network's own),
     * so they always decode; were they not to, the block would count no
     * work rather than an undefined amount. */
    uint256_t work;
    if (block_work_from_bits(&work, b->header.bits) != 0)
        uint256_set_u64(&work, 0);
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
    /* The branch's own leaf has just left `leaves`, so this put needs no
     * room (hashmap.h) and cannot fail; were it to, the parent would only
     * stay out of pruning and of chain_get_forks. */
    if (top_parent && --top_parent->children == 0 &&
        hashmap_put(c->leaves, top_parent->hash, top_parent) != 0)
        log_warn("chain", "a block that lost its last child is not a leaf");
}

static void prune(chain_t *c)
{
    prune_scan_t s = {c, NULL, 0, 0};
    hashmap_foreach(c->leaves, collect_stale_leaf, &s);
    for (size_t i = 0; i < s.n; i++)
        discard_branch(c, s.victims[i]);
    free(s.victims);
}

/* ---- adding blocks ------------------------------------------------------- */

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
        chain_set_reason(reason, "duplicate");
        return ERR_DUPLICATE;
    }
    uint8_t root[32];
    int rc = b->tx_count ? block_compute_merkle_root(root, b) : ERR_INVALID;
    if (rc == ERR_NOMEM)
        return rc;
    chain_set_reason(reason, rc == ERR_INVALID && b->tx_count
                                 ? "bad-txns-duplicate"
                             : b->tx_count ? "bad-txnmrklroot"
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
/* Reports a new tip, if the tip is no longer old_tip. */
static void tell_tip(const chain_t *c, const chain_node_t *old_tip)
{
    if (c->main[c->main_len - 1] != old_tip && c->cfg.callbacks.tip_changed)
        c->cfg.callbacks.tip_changed(c->cfg.callbacks.ctx,
                                     c->main[c->main_len - 1]);
}

/*
 * A block already in the tree, off the best chain although it has more work
 * than the tip: connecting it failed for lack of memory when it came. Its
 * copy retries, so a chain that ran short of memory catches up with the
 * blocks it holds.
 */
static bool connect_failed_before(const chain_t *c, const chain_node_t *n)
{
    return !n->in_main &&
           uint256_cmp(&n->chain_work, &c->main[c->main_len - 1]->chain_work) >
               0;
}

int chain_add_one(chain_t *c, const char **reason, const block_t *b,
                  const uint8_t hash[32], bool may_orphan)
{
    chain_node_t *known = hashmap_get(c->nodes, hash);
    if (known) {
        int rc = check_known(known, reason, b);
        if (rc != ERR_DUPLICATE || !connect_failed_before(c, known))
            return rc;
        const chain_node_t *old_tip = c->main[c->main_len - 1];
        rc = reorganize(c, known);
        tell_tip(c, old_tip);
        chain_set_reason(reason, rc ? "out-of-memory" : NULL);
        return rc;
    }
    const char *known_bad = hashmap_get(c->invalid, hash);
    if (known_bad) {
        chain_set_reason(reason, known_bad);
        return ERR_INVALID;
    }
    chain_node_t *parent = hashmap_get(c->nodes, b->header.prev_hash);
    if (!parent) {
        if (hashmap_get(c->invalid, b->header.prev_hash)) {
            chain_set_reason(reason, "bad-prevblk");
            chain_remember_invalid(c, hash, "bad-prevblk");
            return ERR_INVALID;
        }
        /* Only blocks with real work may wait for their parent. */
        int rc = chain_check_header_alone(c, reason, &b->header, hash);
        if (rc)
            return rc;
        rc = may_orphan ? chain_orphan_add(c, b, hash) : 0;
        if (rc)
            return rc;
        chain_set_reason(reason, "orphan");
        return ERR_ORPHAN;
    }

    bool on_tip = parent == c->main[c->main_len - 1];
    state_undo_t undo = {0};
    bool cacheable = false;
    const char *why = NULL;
    int rc = chain_validate(c, &why, &cacheable, &undo, b, hash, parent);
    if (rc) {
        state_undo_deinit(&undo);
        chain_set_reason(reason, why);
        if (rc == ERR_INVALID && cacheable)
            chain_remember_invalid(c, hash, why);
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
            state_rollback(c->state, &undo);
        state_undo_deinit(&undo);
        node_free(n);
        chain_set_reason(reason,
                         rc == ERR_NOMEM ? "out-of-memory" : "not-stored");
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
    tell_tip(c, old_tip);
    /* The block is in the tree, but not (or not yet all of its branch) on
     * the best chain: offering it again retries (connect_failed_before). */
    if (rc)
        chain_set_reason(reason, "out-of-memory");
    return rc;
}

int chain_add_block(chain_t *c, const char **reason, const block_t *block)
{
    uint8_t hash[32];
    block_compute_hash(hash, &block->header);
    int rc = chain_add_one(c, reason, block, hash, true);
    if (rc == ERR_INVALID && hashmap_get(c->invalid, hash))
        chain_orphans_drop_refused(c, hash);
    if (rc)
        return rc;
    chain_connect_orphans(c, hash);
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

/* ---- construction -------------------------------------------------------- */

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
    if (c->params->retarget)
        c->window = malloc(((size_t)c->params->retarget_window + 1) *
                           sizeof *c->window);
    block_t genesis = {0};
    chain_node_t *g = NULL;
    if (!c->nodes || !c->leaves || !c->invalid || !c->orphans ||
        !c->orphans_by_parent || !c->txindex || !c->history || !c->state ||
        (c->params->retarget && !c->window) ||
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

void chain_free(chain_t **cp)
{
    if (!cp || !*cp)
        return;
    chain_t *c = *cp;
    hashmap_free_with(&c->nodes, node_free);
    chain_orphans_free(c);
    chain_index_free(c);
    hashmap_free(&c->leaves);
    hashmap_free(&c->invalid);
    hashmap_free(&c->orphans_by_parent);
    state_free(&c->state);
    free(c->window);
    free(c->main);
    free(c);
    *cp = NULL;
}
