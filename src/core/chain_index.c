/*
 * chain_index — the best chain's transaction index (txid -> block and
 * position) and each account's balance history, kept as blocks connect and
 * disconnect, and the queries they answer.
 */
#include "chain.h"
#include "chain_impl.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

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
int chain_index_block(chain_t *c, chain_node_t *n)
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

void chain_unindex_block(chain_t *c, chain_node_t *n)
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

static void hist_free(void *p)
{
    hist_t *h = p;
    free(h->v);
    free(h);
}

void chain_index_free(chain_t *c)
{
    hashmap_free_with(&c->history, hist_free);
    hashmap_free_with(&c->txindex, free);
}

/* ---- queries ------------------------------------------------------------- */

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
