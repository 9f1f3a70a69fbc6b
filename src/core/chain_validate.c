/*
 * chain_validate — the block rules: a header alone, a header against its
 * parent, the body, then the transfers against the state they build on.
 *
 * Validation order (cheap before expensive): proof of work and bits, time,
 * parent, expected difficulty, median time, size and structure, merkle root,
 * coinbase, amounts, then nonces and balances against the state, then
 * signatures (in parallel, sigcheck.h). A block on the best tip is checked on
 * the best state itself and rolled back on failure; a block elsewhere on an
 * overlay (state.h) built by rewinding to the fork point.
 */
#include "chain.h"
#include "chain_impl.h"
#include "difficulty.h"
#include "err.h"
#include "sigcheck.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_of(const chain_t *c)
{
    return c->cfg.now ? c->cfg.now(c->cfg.now_ctx) : (int64_t)time(NULL);
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
    /* c->window was sized for retarget_window + 1 samples by chain_new: no
     * allocation here, so a block is never judged by bits that a shortage
     * of memory made up. */
    difficulty_sample_t *w = c->window;
    const chain_node_t *n = parent;
    for (size_t i = want; i > 0; i--, n = n->parent) {
        w[i - 1].time = n->block.header.time;
        w[i - 1].bits = n->block.header.bits;
    }
    return difficulty_next_bits(p, w, want);
}

/* Checks that need only the header itself and the clock. */
int chain_check_header_alone(const chain_t *c, const char **reason,
                             const block_header_t *h, const uint8_t hash[32])
{
    uint256_t target, limit;
    if (block_bits_to_target(&limit, c->params->pow_limit_bits) != 0 ||
        block_bits_to_target(&target, h->bits) != 0 ||
        uint256_cmp(&target, &limit) > 0) {
        chain_set_reason(reason, "bad-diffbits");
        return ERR_INVALID;
    }
    if (!block_hash_meets_target(hash, &target)) {
        chain_set_reason(reason, "high-hash");
        return ERR_INVALID;
    }
    if ((int64_t)h->time > now_of(c) + CHAIN_MAX_FUTURE_SECONDS) {
        chain_set_reason(reason, "time-too-new");
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
        chain_set_reason(reason, "bad-version");
        return ERR_INVALID;
    }
    if (h->bits != chain_next_bits(c, parent)) {
        chain_set_reason(reason, "bad-diffbits");
        return ERR_INVALID;
    }
    if (h->time <= chain_median_time_past(parent)) {
        chain_set_reason(reason, "time-too-old");
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
        chain_set_reason(reason, "bad-blk-size");
        return ERR_INVALID;
    }
    if (b->tx_count == 0) {
        chain_set_reason(reason, "bad-blk-length");
        return ERR_INVALID;
    }
    uint8_t root[32];
    int rc = block_compute_merkle_root(root, b);
    if (rc == ERR_INVALID) {
        chain_set_reason(reason, "bad-txns-duplicate");
        return ERR_INVALID;
    }
    if (rc)
        return rc;
    if (memcmp(root, b->header.merkle_root, 32) != 0) {
        chain_set_reason(reason, "bad-txnmrklroot");
        return ERR_INVALID;
    }
    *committed = true;

    if (b->txs[0].kind != TX_COINBASE) {
        chain_set_reason(reason, "bad-cb-missing");
        return ERR_INVALID;
    }
    if (b->txs[0].height != height) {
        chain_set_reason(reason, "bad-cb-height");
        return ERR_INVALID;
    }
    uint64_t fees = 0;
    for (size_t i = 1; i < b->tx_count; i++) {
        const tx_t *tx = &b->txs[i];
        if (tx->kind == TX_COINBASE) {
            chain_set_reason(reason, "bad-cb-multiple");
            return ERR_INVALID;
        }
        if (tx->amount == 0 || tx->amount > MAX_MONEY || tx->fee > MAX_MONEY ||
            tx->amount + tx->fee > MAX_MONEY) {
            chain_set_reason(reason, "bad-txns-amount");
            return ERR_INVALID;
        }
        fees += tx->fee;
        if (fees > MAX_MONEY) {
            chain_set_reason(reason, "bad-txns-fee-range");
            return ERR_INVALID;
        }
    }
    if (b->txs[0].amount > params_block_subsidy(c->params, height) + fees) {
        chain_set_reason(reason, "bad-cb-amount");
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
                chain_set_reason(reason, "bad-txns-duplicate");
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
int chain_apply_block(state_t *s, state_undo_t *undo, const char **reason,
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
        state_rollback(s, &tail);
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
                rc = chain_apply_block(ov, NULL, NULL, &path[i]->block);
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
int chain_validate(chain_t *c, const char **reason, bool *cacheable,
                   state_undo_t *undo, const block_t *b, const uint8_t hash[32],
                   const chain_node_t *parent)
{
    *cacheable = false;
    int rc = chain_check_header_alone(c, reason, &b->header, hash);
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
    rc = chain_apply_block(view, undo, reason, b);
    if (rc == 0) {
        size_t bad;
        rc = sigcheck_verify(&bad, reason, b->txs, b->tx_count,
                             c->params->network_id,
                             c->cfg.sig_threads ? c->cfg.sig_threads
                                                : sigcheck_default_threads());
        if (rc && on_tip) {
            state_undo_t tail = {undo->entries + mark, undo->count - mark, 0};
            state_rollback(view, &tail);
            undo->count = mark;
        }
    }
    if (!on_tip) {
        state_free(&view);
        undo->count = mark;
    }
    return rc;
}

int chain_verify_block(chain_t *c, const char **reason, const block_t *block)
{
    uint8_t hash[32];
    block_compute_hash(hash, &block->header);
    chain_node_t *parent = hashmap_get(c->nodes, block->header.prev_hash);
    if (!parent) {
        chain_set_reason(reason, "orphan");
        return ERR_ORPHAN;
    }
    /* Validate on an overlay even on the tip, so nothing is changed. */
    state_t *view;
    bool cacheable;
    int rc = chain_check_header_alone(c, reason, &block->header, hash);
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
    rc = chain_apply_block(view, NULL, reason, block);
    state_free(&view);
    if (rc == 0)
        rc = sigcheck_verify(NULL, reason, block->txs, block->tx_count,
                             c->params->network_id,
                             c->cfg.sig_threads ? c->cfg.sig_threads
                                                : sigcheck_default_threads());
    return rc;
}

/* ---- whole-chain check --------------------------------------------------- */

bool chain_is_valid_chain(const params_t *p, const block_t *const *blocks,
                          size_t n, const char **reason, uint32_t *bad_height)
{
    chain_config_t cfg = {.params = p};
    chain_t *c = chain_new(&cfg);
    bool ok = c != NULL;
    if (!ok)
        chain_set_reason(reason, "out-of-memory");
    if (ok) {
        uint8_t first[32];
        if (n)
            block_compute_hash(first, &blocks[0]->header);
        if (n == 0 || memcmp(first, c->main[0]->hash, 32) != 0) {
            chain_set_reason(reason, "bad-genesis");
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
            chain_set_reason(reason, rc == ERR_ORPHAN ? "bad-prevblk" : why);
            if (bad_height)
                *bad_height = (uint32_t)i;
            ok = false;
        }
    }
    chain_free(&c);
    return ok;
}
