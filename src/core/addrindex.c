/*
 * addrindex — which transactions of the best chain touch an address (see
 * addrindex.h for how it follows the chain).
 */
#include "addrindex.h"

#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

/* One transaction of one block, as an address's list holds it. */
typedef struct {
    uint8_t hash[32]; /* the block's */
    uint32_t height;
    uint32_t index;
} posting_t;

typedef struct {
    posting_t *v;
    size_t n, cap;
} postings_t;

struct addrindex {
    hashmap_t *by_key;   /* x-only key -> postings_t (owned) */
    uint8_t (*done)[32]; /* the hash of the block indexed at each height */
    size_t n_done, cap_done;
};

static void postings_free(void *p)
{
    postings_t *l = p;
    free(l->v);
    free(l);
}

addrindex_t *addrindex_new(void)
{
    addrindex_t *ix = calloc(1, sizeof *ix);
    if (ix && !(ix->by_key = hashmap_new())) {
        free(ix);
        return NULL;
    }
    return ix;
}

void addrindex_free(addrindex_t **ix)
{
    if (!ix || !*ix)
        return;
    hashmap_free_with(&(*ix)->by_key, postings_free);
    free((*ix)->done);
    free(*ix);
    *ix = NULL;
}

static int post(addrindex_t *ix, const uint8_t key[32], const posting_t *p)
{
    postings_t *l = hashmap_get(ix->by_key, key);
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l)
            return ERR_NOMEM;
        if (hashmap_put(ix->by_key, key, l) != 0) {
            free(l);
            return ERR_NOMEM;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        posting_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ERR_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *p;
    return 0;
}

/* Posts every transaction of the best chain's block at height h. */
static int index_block(addrindex_t *ix, const chain_node_t *node)
{
    const block_t *b = &node->block;
    for (size_t i = 0; i < b->tx_count; i++) {
        const tx_t *tx = &b->txs[i];
        posting_t p = {.height = node->height, .index = (uint32_t)i};
        memcpy(p.hash, node->hash, 32);
        int rc = post(ix, tx->recipient, &p);
        if (!rc && tx->kind == TX_TRANSFER &&
            memcmp(tx->sender, tx->recipient, 32) != 0)
            rc = post(ix, tx->sender, &p);
        if (rc)
            return rc;
    }
    return 0;
}

int addrindex_sync(addrindex_t *ix, const chain_t *c)
{
    uint32_t tip = chain_height(c);
    size_t h = ix->n_done < (size_t)tip + 1 ? ix->n_done : (size_t)tip + 1;
    /* Down to the fork point: every height below it is indexed as the
     * best chain has it now. */
    while (h > 0 && memcmp(ix->done[h - 1],
                           chain_at_height(c, (uint32_t)h - 1)->hash, 32) != 0)
        h--;
    if (ix->cap_done < (size_t)tip + 1) {
        size_t cap = ix->cap_done ? ix->cap_done : 64;
        while (cap < (size_t)tip + 1)
            cap *= 2;
        uint8_t(*done)[32] = realloc(ix->done, cap * sizeof *done);
        if (!done)
            return ERR_NOMEM;
        ix->done = done;
        ix->cap_done = cap;
    }
    ix->n_done = h;
    for (; h <= tip; h++) {
        const chain_node_t *node = chain_at_height(c, (uint32_t)h);
        int rc = index_block(ix, node);
        if (rc)
            return rc; /* a block half posted is posted again: dropped */
        memcpy(ix->done[h], node->hash, 32);
        ix->n_done = h + 1;
    }
    return 0;
}

/* Newest first: higher block, then later place in it. */
static int newest_first(const void *a, const void *b)
{
    const posting_t *x = a, *y = b;
    if (x->height != y->height)
        return x->height < y->height ? 1 : -1;
    if (x->index != y->index)
        return x->index < y->index ? 1 : -1;
    return 0;
}

int addrindex_query(addrindex_t *ix, addrindex_pos_t *out, size_t *n_out,
                    size_t *total, const chain_t *c, const uint8_t key[32],
                    size_t skip, size_t max)
{
    int rc = addrindex_sync(ix, c);
    if (rc)
        return rc;
    postings_t *l = hashmap_get(ix->by_key, key);
    size_t kept = 0;
    if (l) {
        /* Drop what left the best chain, then order and drop twins (a
         * block indexed again after a reorg back). */
        uint32_t tip = chain_height(c);
        for (size_t i = 0; i < l->n; i++) {
            const posting_t *p = &l->v[i];
            if (p->height <= tip &&
                memcmp(chain_at_height(c, p->height)->hash, p->hash, 32) == 0)
                l->v[kept++] = *p;
        }
        qsort(l->v, kept, sizeof *l->v, newest_first);
        size_t w = 0;
        for (size_t i = 0; i < kept; i++)
            if (w == 0 || newest_first(&l->v[w - 1], &l->v[i]) != 0)
                l->v[w++] = l->v[i];
        kept = l->n = w;
    }
    size_t n = 0;
    for (size_t i = skip; i < kept && n < max; i++, n++)
        out[n] = (addrindex_pos_t){l->v[i].height, l->v[i].index};
    *n_out = n;
    *total = kept;
    return 0;
}
