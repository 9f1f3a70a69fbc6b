/*
 * chain_tree — branch tips and windows of the tree (see chain_tree.h).
 *
 * Both start from `leaves` (chain_impl.h), the nodes without children:
 * the best tip and every side branch's tip. A side branch is walked from
 * its tip down to the best chain, which is all of it, since every branch
 * ends on the best chain (genesis is on it). Side branches are short:
 * pruning discards one prune_depth blocks after it falls behind.
 *
 * When one side branch forks off another, their walks share blocks; a
 * window emits a shared block once, from the first walk that reaches it,
 * and later walks stop there (a block is shared only when it has more than
 * one child, so only those are looked up).
 */
#include "chain_tree.h"
#include "chain_impl.h"

#include <stdlib.h>
#include <string.h>

/* Best-chain blocks still to come before chain.c's prune() discards the
 * branch ending at leaf: it is discarded once its tip is prune_depth
 * blocks below the best tip and prune_depth blocks have entered the tree
 * since it did, and each best-chain block moves both counts by one. */
static uint32_t prune_in(const chain_t *c, const chain_node_t *leaf)
{
    uint64_t depth = c->cfg.prune_depth;
    uint64_t best = c->main_len - 1;
    uint64_t by_height =
        leaf->height + depth > best ? leaf->height + depth - best : 0;
    uint64_t by_seq =
        leaf->seq + depth > c->seq ? leaf->seq + depth - c->seq : 0;
    uint64_t k = by_height > by_seq ? by_height : by_seq;
    /* Pruning runs at the end of every add: a branch still here lives
     * through at least one more block (one that failed to be discarded
     * for lack of memory goes at the next). */
    return k ? (uint32_t)k : 1;
}

typedef struct {
    const chain_t *c;
    chain_tip_info_t *tips; /* [0] the best tip, [1..stored] side tips */
    size_t room;            /* side tips that fit */
    size_t stored, n;       /* side tips kept, and seen */
} tips_scan_t;

/* Orders side tips: higher first, then the one that entered first. */
static bool tip_before(const chain_tip_info_t *a, const chain_tip_info_t *b)
{
    if (a->tip->height != b->tip->height)
        return a->tip->height > b->tip->height;
    return a->tip->seq < b->tip->seq;
}

static bool collect_tip(void *ctx, const uint8_t key[32], void *value)
{
    (void)key;
    tips_scan_t *s = ctx;
    const chain_node_t *leaf = value;
    if (leaf->in_main)
        return true;
    s->n++;
    if (s->room == 0)
        return true;
    chain_tip_info_t t = {leaf, leaf, 0, prune_in(s->c, leaf),
                          CHAIN_TIP_VALID_FORK};
    while (!t.fork->in_main) {
        t.fork = t.fork->parent;
        t.branch_len++;
    }
    /* Insertion into the sorted side tips (there are few). When they are
     * all taken, t replaces the last one if it comes before it. */
    size_t i;
    if (s->stored == s->room) {
        if (!tip_before(&t, &s->tips[s->stored]))
            return true;
        i = s->stored;
    } else {
        i = ++s->stored;
    }
    while (i > 1 && tip_before(&t, &s->tips[i - 1])) {
        s->tips[i] = s->tips[i - 1];
        i--;
    }
    s->tips[i] = t;
    return true;
}

size_t chain_tips(const chain_t *c, chain_tip_info_t *tips, size_t max)
{
    const chain_node_t *best = c->main[c->main_len - 1];
    tips_scan_t s = {c, tips, max ? max - 1 : 0, 0, 0};
    if (max)
        tips[0] = (chain_tip_info_t){best, best, 0, 0, CHAIN_TIP_ACTIVE};
    hashmap_foreach(c->leaves, collect_tip, &s);
    return s.n + 1;
}

typedef struct {
    const chain_t *c;
    chain_tree_entry_t *v;
    size_t n, cap;
    uint32_t from, to;
    hashmap_t *shared; /* shared side blocks already emitted */
    int rc;
} window_t;

static int push(window_t *w, const chain_node_t *node, const chain_node_t *tip)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        chain_tree_entry_t *v = realloc(w->v, cap * sizeof *v);
        if (!v)
            return ERR_NOMEM;
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = (chain_tree_entry_t){node, tip};
    return 0;
}

/* Emits one side branch's blocks in the window, lowest first. */
static bool walk_branch(void *ctx, const uint8_t key[32], void *value)
{
    (void)key;
    window_t *w = ctx;
    const chain_node_t *leaf = value;
    if (leaf->in_main)
        return true;
    size_t start = w->n;
    for (const chain_node_t *x = leaf; !x->in_main && x->height >= w->from;
         x = x->parent) {
        if (x->children > 1) {
            if (hashmap_get(w->shared, x->hash))
                break;
            if (hashmap_put(w->shared, x->hash, (void *)x) != 0) {
                w->rc = ERR_NOMEM;
                return false;
            }
        }
        if (x->height <= w->to && push(w, x, leaf) != 0) {
            w->rc = ERR_NOMEM;
            return false;
        }
    }
    /* The walk went down; the window lists each branch going up. */
    for (size_t i = start, j = w->n; i + 1 < j; i++, j--) {
        chain_tree_entry_t t = w->v[i];
        w->v[i] = w->v[j - 1];
        w->v[j - 1] = t;
    }
    return true;
}

int chain_tree_window(const chain_t *c, chain_tree_entry_t **entries, size_t *n,
                      uint32_t from, uint32_t to)
{
    if (from > to)
        return ERR_ARG;
    window_t w = {c, NULL, 0, 0, from, to, hashmap_new(), 0};
    if (!w.shared)
        return ERR_NOMEM;
    const chain_node_t *best = c->main[c->main_len - 1];
    for (uint64_t h = from; h <= to && h < c->main_len && w.rc == 0; h++)
        if (push(&w, c->main[h], best) != 0)
            w.rc = ERR_NOMEM;
    if (w.rc == 0)
        hashmap_foreach(c->leaves, walk_branch, &w);
    hashmap_free(&w.shared);
    if (w.rc) {
        free(w.v);
        return w.rc;
    }
    *entries = w.v;
    *n = w.n;
    return 0;
}
