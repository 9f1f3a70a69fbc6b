/*
 * chain_query — read-only questions about the tree and the best chain:
 * the tip, blocks by hash or height, whole chains, forks and locators.
 */
#include "chain.h"
#include "chain_impl.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

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
