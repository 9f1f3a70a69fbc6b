/*
 * mempool_select — chooses the transfers for a block template: greedy over
 * the heads of the senders' queues, kept in a binary heap ordered by fee,
 * then arrival (see mempool.h, "Fees").
 */
#include "err.h"
#include "mempool.h"
#include "mempool_impl.h"

#include <stdlib.h>

/* A sender's next candidate during selection. */
typedef struct {
    const queue_t *q;
    size_t next;
} head_t;

/* True when head a should be mined before head b. */
static bool mines_before(const head_t *a, const head_t *b)
{
    const entry_t *x = a->q->items[a->next], *y = b->q->items[b->next];
    if (x->tx.fee != y->tx.fee)
        return x->tx.fee > y->tx.fee;
    return x->seq < y->seq;
}

static void heap_sift_down(head_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < n && mines_before(&h[l], &h[top]))
            top = l;
        if (r < n && mines_before(&h[r], &h[top]))
            top = r;
        if (top == i)
            return;
        head_t t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

typedef struct {
    head_t *heads;
    size_t n;
} collect_ctx_t;

static bool collect_heads_cb(void *ctx, const uint8_t key[32], void *value)
{
    collect_ctx_t *c = ctx;
    (void)key;
    c->heads[c->n].q = value;
    c->heads[c->n].next = 0;
    c->n++;
    return true;
}

int mempool_select(const mempool_t *m, tx_t *out, size_t *count,
                   uint64_t *total_fees, const state_t *best, size_t max_txs,
                   size_t max_bytes)
{
    size_t senders = hashmap_count(m->by_sender), n = 0, bytes = 0;
    uint64_t fees = 0;
    *count = 0;
    if (total_fees)
        *total_fees = 0;
    if (senders == 0 || max_txs == 0)
        return 0;
    collect_ctx_t c = {malloc(senders * sizeof(head_t)), 0};
    state_t *ov = state_new_overlay(best);
    if (!c.heads || !ov) {
        free(c.heads);
        state_free(&ov);
        return ERR_NOMEM;
    }
    hashmap_foreach(m->by_sender, collect_heads_cb, &c);
    size_t h = c.n;
    for (size_t i = h / 2; i-- > 0;)
        heap_sift_down(c.heads, h, i);

    int rc = 0;
    while (h > 0 && n < max_txs) {
        head_t *top = &c.heads[0];
        const tx_t *tx = &top->q->items[top->next]->tx;
        size_t size = tx_size(tx);
        /* Every transfer has the same size: if this one does not fit,
         * none does. */
        if (bytes + size > max_bytes)
            break;
        const char *why;
        bool drop_sender = false;
        if (tx->fee > MAX_MONEY - fees) {
            drop_sender = true; /* cannot happen with real balances */
        } else if ((rc = state_apply_transfer(ov, NULL, &why, tx)) == 0) {
            out[n++] = *tx;
            bytes += size;
            fees += tx->fee;
        } else if (rc == ERR_NOMEM) {
            break;
        } else {
            /* A nonce the state already used (the pool is behind best):
             * skip just this one. Anything else: the sender's later
             * transfers cannot be valid either. */
            account_t a;
            state_get(ov, &a, tx->sender);
            drop_sender = tx->nonce >= a.nonce;
            rc = 0;
        }
        if (!drop_sender && ++top->next < top->q->count) {
            heap_sift_down(c.heads, h, 0);
        } else {
            c.heads[0] = c.heads[--h];
            heap_sift_down(c.heads, h, 0);
        }
    }
    free(c.heads);
    state_free(&ov);
    if (rc != 0)
        return rc;
    *count = n;
    if (total_fees)
        *total_fees = fees;
    return 0;
}
