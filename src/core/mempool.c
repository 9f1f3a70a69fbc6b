/*
 * mempool — per-sender nonce queues over two hash maps (see mempool.h for
 * the rules and invariants).
 *
 * The layout is in mempool_impl.h; selection for a block template is in
 * mempool_select.c. This file adds, evicts, answers queries and follows the
 * chain as blocks connect and disconnect.
 *
 * Every rule about nonces and funds is state_apply_transfer's: a check
 * replays the sender's queue on a throwaway overlay of the best state and
 * applies the candidate after it. sender_rebuild is the one place that
 * revalidates a queue (after a block, a reorg, or to merge returned
 * transfers); mempool_add only ever appends to a queue or replaces one of
 * its entries.
 */
#include "mempool.h"
#include "err.h"
#include "hashmap.h"
#include "mempool_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- construction ------------------------------------------------------- */

mempool_t *mempool_new(const uint8_t network_id[32], size_t max_txs)
{
    if (max_txs == 0)
        return NULL;
    mempool_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    memcpy(m->network_id, network_id, 32);
    m->max_txs = max_txs;
    m->by_txid = hashmap_new();
    m->by_sender = hashmap_new();
    if (!m->by_txid || !m->by_sender) {
        hashmap_free(&m->by_txid);
        hashmap_free(&m->by_sender);
        free(m);
        return NULL;
    }
    return m;
}

static void queue_free(void *p)
{
    queue_t *q = p;
    for (size_t i = 0; i < q->count; i++)
        free(q->items[i]);
    free(q->items);
    free(q);
}

void mempool_free(mempool_t **m)
{
    if (!m || !*m)
        return;
    mempool_t *p = *m;
    hashmap_free_with(&p->by_sender, queue_free);
    for (size_t i = 0; i < p->held_count; i++)
        free(p->held[i]);
    free(p->held);
    hashmap_free(&p->by_txid);
    free(p);
    *m = NULL;
}

/* ---- small helpers ------------------------------------------------------ */

static entry_t *entry_new(mempool_t *m, const tx_t *tx)
{
    entry_t *e = malloc(sizeof *e);
    if (!e)
        return NULL;
    e->tx = *tx;
    tx_compute_txid(e->txid, tx);
    e->seq = m->next_seq++;
    e->indexed = false;
    return e;
}

/* Frees an entry that is in no queue, unindexing it first. Does not touch
 * m->count (callers account for queue sizes themselves). */
static void entry_discard(mempool_t *m, entry_t *e)
{
    if (e->indexed)
        hashmap_remove(m->by_txid, e->txid);
    free(e);
}

/* Moves an entry that is in no queue to the held list; drops it when the
 * list cannot grow (a held transfer is a best effort anyway). */
static void entry_hold(mempool_t *m, entry_t *e)
{
    if (e->indexed) {
        hashmap_remove(m->by_txid, e->txid);
        e->indexed = false;
    }
    if (m->held_count == m->held_cap) {
        size_t cap = m->held_cap ? m->held_cap * 2 : 16;
        entry_t **h = realloc(m->held, cap * sizeof *h);
        if (!h) {
            free(e);
            return;
        }
        m->held = h;
        m->held_cap = cap;
    }
    m->held[m->held_count++] = e;
}

static int queue_reserve(queue_t *q, size_t n)
{
    if (n <= q->cap)
        return 0;
    size_t cap = q->cap ? q->cap : 4;
    while (cap < n)
        cap *= 2;
    entry_t **items = realloc(q->items, cap * sizeof *items);
    if (!items)
        return ERR_NOMEM;
    q->items = items;
    q->cap = cap;
    return 0;
}

/* Returns the sender's queue, creating an empty one (in by_sender) when
 * there is none; NULL when out of memory. */
static queue_t *queue_obtain(mempool_t *m, const uint8_t sender[32])
{
    queue_t *q = hashmap_get(m->by_sender, sender);
    if (q)
        return q;
    q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    memcpy(q->sender, sender, 32);
    if (hashmap_put(m->by_sender, sender, q) != 0) {
        free(q);
        return NULL;
    }
    return q;
}

/* Removes an empty queue from by_sender and frees it. */
static void queue_release_if_empty(mempool_t *m, queue_t *q)
{
    if (q->count > 0)
        return;
    hashmap_remove(m->by_sender, q->sender);
    queue_free(q);
}

/* Evicts the last entry of a queue (never orphans a later nonce). */
static void queue_pop_tail(mempool_t *m, queue_t *q)
{
    entry_discard(m, q->items[--q->count]);
    m->count--;
    queue_release_if_empty(m, q);
}

/* ---- eviction ----------------------------------------------------------- */

typedef struct {
    const uint8_t *exclude; /* sender whose queue may not be chosen, or NULL */
    queue_t *best;
} cheapest_ctx_t;

/* True when tail a should be evicted before tail b: lower fee, then newer. */
static bool evicts_before(const entry_t *a, const entry_t *b)
{
    if (a->tx.fee != b->tx.fee)
        return a->tx.fee < b->tx.fee;
    return a->seq > b->seq;
}

static bool cheapest_cb(void *ctx, const uint8_t key[32], void *value)
{
    cheapest_ctx_t *c = ctx;
    queue_t *q = value;
    if (c->exclude && memcmp(key, c->exclude, 32) == 0)
        return true;
    if (!c->best || evicts_before(q->items[q->count - 1],
                                  c->best->items[c->best->count - 1]))
        c->best = q;
    return true;
}

/* The queue whose tail is the cheapest to evict, or NULL. O(senders). */
static queue_t *cheapest_tail(const mempool_t *m, const uint8_t *exclude)
{
    cheapest_ctx_t c = {exclude, NULL};
    hashmap_foreach(m->by_sender, cheapest_cb, &c);
    return c.best;
}

/* Restores pending + held <= max_txs: held transfers go first (newest
 * first), since they are only a chance of being valid after a reorg while
 * pending ones are valid now; then the cheapest tails. */
static void trim(mempool_t *m)
{
    while (m->count + m->held_count > m->max_txs) {
        queue_t *q;
        if (m->held_count > 0)
            free(m->held[--m->held_count]);
        else if ((q = cheapest_tail(m, NULL)))
            queue_pop_tail(m, q);
        else
            break; /* unreachable: nothing left to trim */
    }
}

/* ---- adding ------------------------------------------------------------- */

/*
 * Replays q on an overlay of best with tx at position pos (replacing
 * q->items[pos] when pos < q->count, appended when pos == q->count).
 * Returns 0, ERR_INVALID with *why from state_apply_transfer, or ERR_NOMEM.
 */
static int queue_check(const queue_t *q, const state_t *best, size_t pos,
                       const tx_t *tx, const char **why)
{
    size_t n = q ? q->count : 0;
    state_t *ov = state_new_overlay(best);
    if (!ov) {
        *why = "out-of-memory";
        return ERR_NOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i <= n && rc == 0; i++) {
        const tx_t *t = i == pos ? tx : i < n ? &q->items[i]->tx : NULL;
        if (t)
            rc = state_apply_transfer(ov, NULL, why, t);
    }
    if (rc == ERR_NOMEM)
        *why = "out-of-memory";
    state_free(&ov);
    return rc;
}

int mempool_add(mempool_t *m, const char **reason, const state_t *best,
                const tx_t *tx)
{
    const char *why = NULL;
    int rc = ERR_INVALID;
    uint8_t txid[32];
    queue_t *q, *victim = NULL;
    entry_t *e = NULL;
    size_t n, pos;
    bool replace = false, new_queue;

    if (tx->kind == TX_COINBASE) {
        why = "mempool-coinbase";
        goto refuse;
    }
    if (tx->kind != TX_TRANSFER) {
        why = "bad-txns-kind";
        goto refuse;
    }
    if (tx_is_unsigned(tx)) {
        why = "bad-txns-unsigned";
        goto refuse;
    }
    tx_compute_txid(txid, tx);
    if (hashmap_get(m->by_txid, txid)) {
        why = "txn-already-in-mempool";
        rc = ERR_DUPLICATE;
        goto refuse;
    }

    /* Where the transfer goes in its sender's queue: over a pending one
     * with its nonce (replacement), or after the last (anything else; the
     * state then says replay or gap when the nonce does not follow). */
    q = hashmap_get(m->by_sender, tx->sender);
    n = q ? q->count : 0;
    pos = n;
    if (q && tx->nonce >= q->items[0]->tx.nonce &&
        tx->nonce - q->items[0]->tx.nonce < n) {
        pos = (size_t)(tx->nonce - q->items[0]->tx.nonce);
        replace = true;
        if (tx->fee <= q->items[pos]->tx.fee) {
            why = "txn-mempool-conflict";
            goto refuse;
        }
    }
    rc = queue_check(q, best, pos, tx, &why);
    if (rc != 0)
        goto refuse;
    rc = ERR_INVALID;
    if (!replace && n >= MEMPOOL_MAX_SENDER_TXS) {
        why = "too-long-mempool-chain";
        goto refuse;
    }
    /* A replacement keeps the count; an append into a full pool must pay
     * more than some other sender's tail (its own sender's tail is about to
     * be the new transfer, so that queue is not a candidate). */
    if (!replace && m->count + m->held_count >= m->max_txs) {
        victim = cheapest_tail(m, tx->sender);
        if (!victim || tx->fee <= victim->items[victim->count - 1]->tx.fee) {
            why = "mempool-full";
            rc = ERR_FULL;
            goto refuse;
        }
    }
    /* The expensive check last. */
    if (!tx_verify_signature(tx, m->network_id)) {
        why = "bad-txns-sig";
        goto refuse;
    }

    /* Allocate everything, then change the pool (so failure leaves it as
     * it was). */
    rc = ERR_NOMEM;
    why = "out-of-memory";
    e = entry_new(m, tx);
    if (!e)
        goto refuse;
    new_queue = q == NULL;
    if (!q && !(q = queue_obtain(m, tx->sender)))
        goto refuse;
    if (queue_reserve(q, n + 1) != 0 ||
        hashmap_put(m->by_txid, e->txid, e) != 0) {
        if (new_queue)
            queue_release_if_empty(m, q);
        goto refuse;
    }
    e->indexed = true;
    if (replace) {
        entry_t *old = q->items[pos];
        q->items[pos] = e;
        entry_discard(m, old);
    } else {
        q->items[q->count++] = e;
        m->count++;
        if (victim)
            queue_pop_tail(m, victim);
    }
    return 0;

refuse:
    free(e);
    if (reason)
        *reason = why;
    return rc;
}

/* ---- queries ------------------------------------------------------------ */

bool mempool_has(const mempool_t *m, const uint8_t txid[32])
{
    return hashmap_get(m->by_txid, txid) != NULL;
}

const tx_t *mempool_get(const mempool_t *m, const uint8_t txid[32])
{
    const entry_t *e = hashmap_get(m->by_txid, txid);
    return e ? &e->tx : NULL;
}

size_t mempool_count(const mempool_t *m)
{
    return m->count;
}

uint64_t mempool_next_nonce(const mempool_t *m, const state_t *best,
                            const uint8_t sender[32])
{
    account_t a;
    state_get(best, &a, sender);
    const queue_t *q = hashmap_get(m->by_sender, sender);
    if (q && q->items[q->count - 1]->tx.nonce >= a.nonce)
        return q->items[q->count - 1]->tx.nonce + 1;
    return a.nonce;
}

typedef struct {
    bool (*fn)(void *ctx, const tx_t *tx, const uint8_t txid[32]);
    void *ctx;
} foreach_ctx_t;

static bool foreach_cb(void *ctx, const uint8_t key[32], void *value)
{
    const foreach_ctx_t *f = ctx;
    const queue_t *q = value;
    (void)key;
    for (size_t i = 0; i < q->count; i++)
        if (!f->fn(f->ctx, &q->items[i]->tx, q->items[i]->txid))
            return false;
    return true;
}

void mempool_foreach(const mempool_t *m,
                     bool (*fn)(void *ctx, const tx_t *tx,
                                const uint8_t txid[32]),
                     void *ctx)
{
    foreach_ctx_t f = {fn, ctx};
    hashmap_foreach(m->by_sender, foreach_cb, &f);
}

/* ---- revalidation ------------------------------------------------------- */

typedef struct {
    entry_t *e;
    size_t order; /* position before sorting: makes the sort stable */
} sort_item_t;

static int by_nonce_then_order(const void *pa, const void *pb)
{
    const sort_item_t *a = pa, *b = pb;
    if (a->e->tx.nonce != b->e->tx.nonce)
        return a->e->tx.nonce < b->e->tx.nonce ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int by_sender_then_order(const void *pa, const void *pb)
{
    const sort_item_t *a = pa, *b = pb;
    int c = memcmp(a->e->tx.sender, b->e->tx.sender, 32);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

/*
 * Rebuilds one sender's queue from its pending entries and `extra` (owned
 * entries of that sender, not indexed; this function takes them over).
 * Sorted by nonce; where two share a nonce, extra wins when extra_first,
 * the pending one otherwise. Entries whose nonce best has used are
 * dropped; the rest are applied in order to an overlay of best, and the
 * queue keeps the prefix that applies. From the first failure on, entries
 * are held when a reorg is under way (a later block may fund or un-gap
 * them) and dropped otherwise. Adjusts m->count; never fails (on
 * allocation failure the sender's entries are dropped).
 */
static void sender_rebuild(mempool_t *m, const uint8_t sender[32],
                           entry_t **extra, size_t n_extra, const state_t *best,
                           bool extra_first)
{
    queue_t *q = hashmap_get(m->by_sender, sender);
    size_t nq = q ? q->count : 0, n = nq + n_extra, kept = 0;
    if (n == 0)
        return;
    sort_item_t *all = malloc(n * sizeof *all);
    state_t *ov = state_new_overlay(best);
    if (!all || !ov) {
        for (size_t i = 0; i < n_extra; i++)
            entry_discard(m, extra[i]);
        for (size_t i = 0; i < nq; i++) /* the last pop frees q */
            queue_pop_tail(m, q);
        free(all);
        state_free(&ov);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bool from_extra = extra_first ? i < n_extra : i >= nq;
        all[i].e = from_extra ? extra[extra_first ? i : i - nq]
                              : q->items[extra_first ? i - n_extra : i];
        all[i].order = i;
    }
    if (q) {
        m->count -= q->count;
        q->count = 0; /* the entries now live in `all` */
    }
    qsort(all, n, sizeof *all, by_nonce_then_order);

    account_t acct;
    state_get(best, &acct, sender);
    bool failed = false, hold = false;
    for (size_t i = 0; i < n; i++) {
        entry_t *e = all[i].e;
        uint64_t nonce = e->tx.nonce; /* e may be freed below */
        bool same_nonce_as_kept =
            kept > 0 && all[kept - 1].e->tx.nonce == nonce;
        if (same_nonce_as_kept || nonce < acct.nonce) {
            entry_discard(m, e); /* a loser of a conflict, or a replay */
            continue;
        }
        if (failed) {
            if (hold)
                entry_hold(m, e);
            else
                entry_discard(m, e);
            continue;
        }
        const char *why;
        int rc = state_apply_transfer(ov, NULL, &why, &e->tx);
        if (rc == 0 && !e->indexed) {
            if (hashmap_put(m->by_txid, e->txid, e) == 0)
                e->indexed = true;
            else
                rc = ERR_NOMEM;
        }
        if (rc == 0) {
            all[kept++].e = e;
            continue;
        }
        bool may_hold = m->in_reorg && rc == ERR_INVALID;
        if (may_hold)
            entry_hold(m, e);
        else
            entry_discard(m, e);
        /* The next entry with this nonce (a conflict's loser) may still
         * fit where the preferred one did not. */
        if (rc == ERR_INVALID && i + 1 < n && all[i + 1].e->tx.nonce == nonce)
            continue;
        failed = true;
        hold = may_hold;
    }
    state_free(&ov);

    if (kept > 0 &&
        (!(q = queue_obtain(m, sender)) || queue_reserve(q, kept) != 0)) {
        for (size_t i = 0; i < kept; i++)
            entry_discard(m, all[i].e);
        kept = 0;
    }
    for (size_t i = 0; i < kept; i++)
        q->items[i] = all[i].e;
    if (q) {
        q->count = kept;
        m->count += kept;
        queue_release_if_empty(m, q);
    }
    free(all);
}

/* Drops every pending transfer (the way out when memory is too short to
 * revalidate properly). O(n * senders), only on that path. */
static void drop_all_pending(mempool_t *m)
{
    queue_t *q;
    while ((q = cheapest_tail(m, NULL)))
        queue_pop_tail(m, q);
}

/* Calls sender_rebuild for each group of same-sender entries in list
 * (owned, not indexed), keeping each group's order. Frees the list. */
static void rebuild_groups(mempool_t *m, entry_t **list, size_t n,
                           const state_t *best, bool extra_first)
{
    sort_item_t *s = malloc((n ? n : 1) * sizeof *s);
    entry_t **group = malloc((n ? n : 1) * sizeof *group);
    if (!s || !group) {
        for (size_t i = 0; i < n; i++)
            free(list[i]);
        free(s);
        free(group);
        free(list);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        s[i].e = list[i];
        s[i].order = i;
    }
    qsort(s, n, sizeof *s, by_sender_then_order);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && memcmp(s[j].e->tx.sender, s[i].e->tx.sender, 32) == 0) {
            group[j - i] = s[j].e;
            j++;
        }
        uint8_t sender[32];
        memcpy(sender, s[i].e->tx.sender, 32);
        sender_rebuild(m, sender, group, j - i, best, extra_first);
        i = j;
    }
    free(s);
    free(group);
    free(list);
}

typedef struct {
    uint8_t (*keys)[32];
    size_t n;
} keys_ctx_t;

static bool collect_keys_cb(void *ctx, const uint8_t key[32], void *value)
{
    keys_ctx_t *k = ctx;
    (void)value;
    memcpy(k->keys[k->n++], key, 32);
    return true;
}

void mempool_block_connected(mempool_t *m, const block_t *b,
                             const state_t *best_after)
{
    /* Only the block's senders can have lost funds or nonces. Each is
     * rebuilt once (a sender may have many transfers in the block); the
     * block's own transfers go as replays. */
    hashmap_t *seen = hashmap_new();
    for (size_t i = 0; i < b->tx_count; i++) {
        const tx_t *tx = &b->txs[i];
        if (tx->kind != TX_TRANSFER || !hashmap_get(m->by_sender, tx->sender))
            continue;
        if (seen && hashmap_get(seen, tx->sender))
            continue;
        /* Without the map (no memory) a sender may be rebuilt twice:
         * harmless, only slower. */
        if (seen && hashmap_put(seen, tx->sender, (void *)tx) != 0)
            hashmap_free(&seen);
        sender_rebuild(m, tx->sender, NULL, 0, best_after, false);
    }
    hashmap_free(&seen);
}

void mempool_block_disconnected(mempool_t *m, const block_t *b,
                                const state_t *best_after)
{
    m->in_reorg = true;
    entry_t **list = malloc((b->tx_count ? b->tx_count : 1) * sizeof *list);
    if (!list)
        return; /* the block's transfers are lost to the pool; allowed */
    size_t n = 0;
    for (size_t i = 0; i < b->tx_count; i++) {
        if (b->txs[i].kind != TX_TRANSFER)
            continue;
        /* A missing one makes a gap; the rebuild then drops or holds the
         * sender's later ones. */
        entry_t *e = entry_new(m, &b->txs[i]);
        if (e)
            list[n++] = e;
    }
    rebuild_groups(m, list, n, best_after, true);
    trim(m);
}

bool mempool_in_reorg(const mempool_t *m)
{
    return m->in_reorg;
}

void mempool_revalidate(mempool_t *m, const state_t *best)
{
    m->in_reorg = false;

    /* Held transfers first, merged with their senders' queues (on a nonce
     * both have, the pending one wins: it was valid more recently). */
    entry_t **held = m->held;
    size_t n_held = m->held_count;
    m->held = NULL;
    m->held_count = m->held_cap = 0;
    if (held)
        rebuild_groups(m, held, n_held, best, false);

    /* Then every sender (rebuilding one twice is harmless). by_sender may
     * not change during a walk, so the keys are copied out first. */
    size_t senders = hashmap_count(m->by_sender);
    keys_ctx_t k = {malloc((senders ? senders : 1) * sizeof *k.keys), 0};
    if (!k.keys) {
        drop_all_pending(m);
        return;
    }
    hashmap_foreach(m->by_sender, collect_keys_cb, &k);
    for (size_t i = 0; i < k.n; i++)
        sender_rebuild(m, k.keys[i], NULL, 0, best, false);
    free(k.keys);
    trim(m);
}
