/*
 * branch — blocks on a branch the chain has not seen (see branch.h).
 *
 * The rules are the chain's, restated on a window of samples instead of a
 * walk up the tree: the retarget reads min(height + 1, window + 1) blocks
 * up to the parent, the median time min(height + 1, CHAIN_MTP_SPAN). The
 * branch keeps the newest max(window + 1, CHAIN_MTP_SPAN) samples (fewer
 * near genesis), which is all either rule can ask for.
 */
#include "branch.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

/* Samples the rules can ask for on this network. */
static size_t wanted(const params_t *p)
{
    size_t w = p->retarget ? (size_t)p->retarget_window + 1 : 0;
    return w > CHAIN_MTP_SPAN ? w : CHAIN_MTP_SPAN;
}

int branch_start(branch_t *br, const chain_t *c, const chain_node_t *parent)
{
    const params_t *p = chain_params(c);
    size_t want = wanted(p);
    if (want > BRANCH_MAX_SAMPLES)
        return ERR_RANGE;
    if (want > (size_t)parent->height + 1)
        want = (size_t)parent->height + 1;
    memset(br, 0, sizeof *br);
    br->params = p;
    memcpy(br->tip, parent->hash, 32);
    br->height = parent->height;
    const chain_node_t *n = parent;
    for (size_t i = want; i > 0 && n; i--, n = n->parent) {
        br->recent[i - 1].time = n->block.header.time;
        br->recent[i - 1].bits = n->block.header.bits;
    }
    br->n = want;
    return 0;
}

uint32_t branch_next_bits(const branch_t *br)
{
    const params_t *p = br->params;
    if (!p->retarget)
        return p->pow_limit_bits;
    size_t want = (size_t)p->retarget_window + 1;
    if (want > br->n)
        want = br->n;
    return difficulty_next_bits(p, br->recent + br->n - want, want);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

uint32_t branch_median_time_past(const branch_t *br)
{
    uint32_t times[CHAIN_MTP_SPAN];
    size_t n = br->n < CHAIN_MTP_SPAN ? br->n : CHAIN_MTP_SPAN;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        times[i] = br->recent[br->n - n + i].time;
    qsort(times, n, sizeof times[0], cmp_u32);
    return times[n / 2];
}

int branch_template(const branch_t *br, block_t *block, const uint8_t miner[32],
                    uint32_t time, uint64_t extra_nonce)
{
    uint32_t height = br->height + 1;
    block_t b = {0};
    tx_t cb;
    tx_init_coinbase(&cb, height, extra_nonce, miner,
                     params_block_subsidy(br->params, height));
    int rc = block_add_tx(&b, &cb);
    if (rc == 0) {
        uint32_t mtp = branch_median_time_past(br);
        b.header.version = 1;
        memcpy(b.header.prev_hash, br->tip, 32);
        b.header.time = time > mtp ? time : mtp + 1;
        b.header.bits = branch_next_bits(br);
        b.header.nonce = 0;
        rc = block_compute_merkle_root(b.header.merkle_root, &b);
    }
    if (rc) {
        block_deinit(&b);
        return ERR_NOMEM; /* one coinbase: nothing else can fail */
    }
    *block = b;
    return 0;
}

int branch_extend(branch_t *br, const block_header_t *h)
{
    if (memcmp(h->prev_hash, br->tip, 32) != 0)
        return ERR_ARG;
    if (br->n == wanted(br->params)) {
        memmove(br->recent, br->recent + 1, (br->n - 1) * sizeof br->recent[0]);
        br->n--;
    }
    br->recent[br->n].time = h->time;
    br->recent[br->n].bits = h->bits;
    br->n++;
    block_compute_hash(br->tip, h);
    br->height++;
    return 0;
}
