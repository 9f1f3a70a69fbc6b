/*
 * Tests for the chain (src/core/chain*.c) under hostile delivery orders: valid
 * blocks sent in the worst order a peer can choose (competing orphan branches,
 * newest first, the common root last), orphans whose ancestor is refused, and
 * the stale-fork policy judged by work rather than height.
 *
 * Every test has a time limit: the failure these guard against was a call
 * to chain_add_block that never returned.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fixtures.h"
#include "template.h"

static fx_key_t alice, bob;

static void setup(void)
{
    fx_key(&alice, 1);
    fx_key(&bob, 2);
}

TestSuite(chain_order, .init = setup, .timeout = 20);

/* A small deterministic generator, so every seed is reproducible. */
static uint32_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

typedef struct {
    block_t *v;
    size_t n, cap;
} blocks_t;

static void blocks_push(blocks_t *bs, const block_t *b)
{
    if (bs->n == bs->cap) {
        bs->cap = bs->cap ? bs->cap * 2 : 32;
        bs->v = realloc(bs->v, bs->cap * sizeof *bs->v);
        cr_assert_not_null(bs->v);
    }
    cr_assert_eq(block_copy(&bs->v[bs->n++], b), 0);
}

static void blocks_free(blocks_t *bs)
{
    for (size_t i = 0; i < bs->n; i++)
        block_deinit(&bs->v[i]);
    free(bs->v);
}

/* Builds a branch of `len` blocks on parent in `builder`, appending each
 * to out; returns the hash of its tip. Blocks are added to the builder so
 * the next one has its parent, and copied before the builder may prune. */
static void build_branch(uint8_t tip[32], chain_t *builder,
                         const uint8_t parent[32], size_t len,
                         const uint8_t miner[32], uint64_t tag, blocks_t *out)
{
    uint8_t at[32];
    memcpy(at, parent, 32);
    for (size_t i = 0; i < len; i++) {
        const chain_node_t *p = chain_get(builder, at);
        cr_assert_not_null(p, "builder lost the branch's parent");
        block_t b;
        fx_block(&b, builder, p, miner, NULL, 0, tag * 1000 + i);
        int rc = chain_add_block(builder, NULL, &b);
        cr_assert(rc == 0, "builder refused its own block: %d", rc);
        block_compute_hash(at, &b.header);
        blocks_push(out, &b);
        block_deinit(&b);
    }
    memcpy(tip, at, 32);
}

/*
 * The reproduction: B0 <- S1 <- S2 (several short branches) and
 * B0 <- X1 <- ... <- X14, all delivered before B0, each branch newest first
 * (branches in a seed-dependent order), then B0. Returns the long branch's
 * tip in want_tip; fills `order` with every block in delivery order.
 */
static void worst_order(blocks_t *order, uint8_t want_tip[32], uint64_t seed,
                        size_t shorts, size_t long_len)
{
    chain_t *builder = fx_chain(NULL);
    block_t b0;
    fx_block(&b0, builder, chain_tip(builder), alice.pub, NULL, 0, seed);
    cr_assert_eq(chain_add_block(builder, NULL, &b0), 0);
    uint8_t h0[32];
    block_compute_hash(h0, &b0.header);

    /* Branch k is built into its own list; slot `shorts` is the long one. */
    blocks_t *branch = calloc(shorts + 1, sizeof *branch);
    cr_assert_not_null(branch);
    uint8_t tip[32];
    for (size_t k = 0; k < shorts; k++)
        build_branch(tip, builder, h0, 2, bob.pub, seed * 100 + k + 1,
                     &branch[k]);
    build_branch(want_tip, builder, h0, long_len, alice.pub, seed * 100 + 99,
                 &branch[shorts]);

    /* Branches in a shuffled order, each newest first; the root last. */
    size_t *perm = malloc((shorts + 1) * sizeof *perm);
    cr_assert_not_null(perm);
    for (size_t k = 0; k <= shorts; k++)
        perm[k] = k;
    uint64_t s = seed;
    for (size_t k = shorts; k > 0; k--) {
        size_t j = next_rand(&s) % (k + 1);
        size_t t = perm[k];
        perm[k] = perm[j];
        perm[j] = t;
    }
    for (size_t k = 0; k <= shorts; k++) {
        blocks_t *br = &branch[perm[k]];
        for (size_t i = br->n; i > 0; i--)
            blocks_push(order, &br->v[i - 1]);
    }
    blocks_push(order, &b0);

    for (size_t k = 0; k <= shorts; k++)
        blocks_free(&branch[k]);
    free(branch);
    free(perm);
    block_deinit(&b0);
    chain_free(&builder);
}

/* Delivers `order` to a fresh chain; every call must return. */
static chain_t *deliver(const blocks_t *order)
{
    chain_t *c = fx_chain(NULL);
    for (size_t i = 0; i < order->n; i++) {
        const char *why = NULL;
        int rc = chain_add_block(c, &why, &order->v[i]);
        bool last = i + 1 == order->n;
        cr_assert(last ? rc == 0 : rc == ERR_ORPHAN,
                  "block %zu of %zu: rc %d (%s)", i, order->n, rc,
                  why ? why : "-");
    }
    return c;
}

Test(chain_order, competing_orphan_branches_in_the_worst_order_all_end)
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        blocks_t order = {0};
        uint8_t want[32];
        size_t shorts = 2 + seed % 4;
        worst_order(&order, want, seed, shorts, 14);
        chain_t *c = deliver(&order);
        cr_assert_arr_eq(chain_tip(c)->hash, want, 32,
                         "seed %llu: the long branch must win",
                         (unsigned long long)seed);
        cr_assert_eq(chain_height(c), 15);
        cr_assert_eq(chain_orphan_count(c), 0,
                     "seed %llu: every orphan connected or dropped",
                     (unsigned long long)seed);
        chain_free(&c);
        blocks_free(&order);
    }
}

Test(chain_order, the_same_blocks_in_any_order_end_in_the_same_state)
{
    blocks_t order = {0};
    uint8_t want[32];
    worst_order(&order, want, 42, 4, 10);
    uint64_t s = 7;
    for (int round = 0; round < 12; round++) {
        /* Round 0 is the worst order itself, then random permutations. */
        if (round > 0)
            for (size_t k = order.n - 1; k > 0; k--) {
                size_t j = next_rand(&s) % (k + 1);
                block_t t = order.v[k];
                order.v[k] = order.v[j];
                order.v[j] = t;
            }
        chain_t *c = fx_chain(NULL);
        for (size_t i = 0; i < order.n; i++) {
            int rc = chain_add_block(c, NULL, &order.v[i]);
            cr_assert(rc == 0 || rc == ERR_ORPHAN || rc == ERR_DUPLICATE,
                      "round %d block %zu: rc %d", round, i, rc);
        }
        cr_assert_arr_eq(chain_tip(c)->hash, want, 32, "round %d", round);
        /* In the worst order everything connects. A permutation may send
         * S2 after S1 was pruned; S2 then waits in the pool for a parent
         * that will never come, which only eviction ends. */
        if (round == 0)
            cr_assert_eq(chain_orphan_count(c), 0);
        account_t a;
        state_get(chain_state(c), &a, alice.pub);
        cr_assert_eq(a.balance, 11 * params_regtest()->subsidy,
                     "round %d: alice mined B0 and X1..X10", round);
        state_get(chain_state(c), &a, bob.pub);
        cr_assert_eq(a.balance, 0, "round %d: bob's branches lost", round);
        chain_free(&c);
    }
    blocks_free(&order);
}

Test(chain_order, a_full_pool_of_orphans_on_one_parent_connects_in_one_call)
{
    /* 200 siblings on one parent plus a chain of 50 above one of them:
     * the call that delivers the parent connects all 250 and returns. */
    chain_config_t cfg = {
        .params = params_regtest(), .sig_threads = 1, .max_orphans = 256};
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    chain_t *builder = fx_chain(NULL);
    block_t root;
    fx_block(&root, builder, chain_tip(builder), alice.pub, NULL, 0, 1);
    cr_assert_eq(chain_add_block(builder, NULL, &root), 0);
    uint8_t h0[32], tip[32];
    block_compute_hash(h0, &root.header);
    blocks_t order = {0};
    build_branch(tip, builder, h0, 50, alice.pub, 7, &order);
    for (uint64_t k = 0; k < 200; k++) {
        block_t b;
        fx_block(&b, builder, chain_get(builder, h0), bob.pub, NULL, 0,
                 1000 + k);
        blocks_push(&order, &b);
        block_deinit(&b);
    }
    for (size_t i = order.n; i > 0; i--)
        cr_assert_eq(chain_add_block(c, NULL, &order.v[i - 1]), ERR_ORPHAN);
    cr_assert_eq(chain_orphan_count(c), 250);
    cr_assert_eq(chain_add_block(c, NULL, &root), 0);
    cr_assert_eq(chain_orphan_count(c), 0);
    cr_assert_arr_eq(chain_tip(c)->hash, tip, 32);
    blocks_free(&order);
    block_deinit(&root);
    chain_free(&builder);
    chain_free(&c);
}

Test(chain_order, orphans_of_a_refused_block_are_dropped_with_it)
{
    chain_t *c = fx_chain(NULL);
    chain_t *builder = fx_chain(NULL);
    /* A block paying its miner more than the subsidy (a rule the header
     * commits to through the merkle root), and two children built by hand. */
    block_t bad, kid, grandkid;
    fx_block(&bad, builder, chain_tip(builder), alice.pub, NULL, 0, 1);
    bad.txs[0].amount += 1;
    fx_reseal(&bad);
    fx_block(&kid, builder, chain_tip(builder), alice.pub, NULL, 0, 2);
    block_compute_hash(kid.header.prev_hash, &bad.header);
    kid.txs[0].height = 2;
    fx_reseal(&kid);
    fx_block(&grandkid, builder, chain_tip(builder), alice.pub, NULL, 0, 3);
    block_compute_hash(grandkid.header.prev_hash, &kid.header);
    grandkid.txs[0].height = 3;
    fx_reseal(&grandkid);

    cr_assert_eq(chain_add_block(c, NULL, &grandkid), ERR_ORPHAN);
    cr_assert_eq(chain_add_block(c, NULL, &kid), ERR_ORPHAN);
    cr_assert_eq(chain_orphan_count(c), 2);
    const char *why = NULL;
    cr_assert_eq(chain_add_block(c, &why, &bad), ERR_INVALID);
    cr_assert_str_eq(why, "bad-cb-amount");
    cr_assert_eq(chain_orphan_count(c), 0, "descendants dropped");
    cr_assert_eq(chain_add_block(c, &why, &grandkid), ERR_INVALID);
    cr_assert_str_eq(why, "bad-prevblk", "and remembered as such");
    block_deinit(&bad);
    block_deinit(&kid);
    block_deinit(&grandkid);
    chain_free(&builder);
    chain_free(&c);
}

/* ---- stale forks are judged by work
 * ------------------------------------------ */

/* regtest's genesis and trivial limit, but retargeting every block over a
 * short window, so timestamps set each block's work and mining stays
 * cheap. */
static params_t retargeting(void)
{
    params_t p = *params_regtest();
    p.retarget = true;
    p.target_spacing = 10;
    p.retarget_window = 4;
    return p;
}

/* Extends parent with one block whose time is parent's + gap. */
static const chain_node_t *extend_at(chain_t *c, const chain_node_t *parent,
                                     uint32_t gap, uint64_t tag)
{
    block_t b;
    cr_assert_eq(template_build(&b, c, parent, alice.pub, NULL, 0,
                                parent->block.header.time + gap, tag),
                 0);
    cr_assert_eq(template_solve(&b), 0);
    const char *why = NULL;
    cr_assert_eq(chain_add_block(c, &why, &b), 0, "refused: %s",
                 why ? why : "-");
    uint8_t h[32];
    block_compute_hash(h, &b.header);
    block_deinit(&b);
    return chain_get(c, h);
}

Test(chain_order, a_short_heavy_branch_is_not_stale_below_a_long_light_one)
{
    params_t p = retargeting();
    chain_config_t cfg = {.params = &p, .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    const chain_node_t *g = chain_tip(c);
    /* Light: 40 blocks 100 s apart, all at the easiest target. */
    const chain_node_t *light = g;
    for (int i = 0; i < 40; i++)
        light = extend_at(c, light, 100, 1);
    const chain_node_t *mark = chain_at_height(c, 40 - CHAIN_PRUNE_DEPTH);
    /* Heavy: blocks 1 s apart, each harder than the last, grown while the
     * next one would still leave the branch no heavier than the mark. */
    const chain_node_t *heavy = g;
    block_t next;
    for (int i = 0;; i++) {
        cr_assert(i < 30, "the heavy branch never got heavy");
        cr_assert_eq(template_build(&next, c, heavy, alice.pub, NULL, 0,
                                    heavy->block.header.time + 1, 3),
                     0);
        cr_assert_eq(template_solve(&next), 0);
        uint256_t work, total;
        cr_assert_eq(block_work_from_bits(&work, next.header.bits), 0);
        uint256_add(&total, &heavy->chain_work, &work);
        if (uint256_cmp(&total, &mark->chain_work) > 0)
            break;
        cr_assert(chain_is_stale_fork(c, &next.header),
                  "no heavier than the mark: stale");
        block_deinit(&next);
        heavy = extend_at(c, heavy, 1, 2);
    }
    cr_assert_eq(chain_tip(c), light, "still lighter than the long branch");
    cr_assert(heavy->height + 1 + CHAIN_PRUNE_DEPTH <= 40,
              "by height the next block is stale (height %u)",
              heavy->height + 1);
    /* By work it is not stale. */
    cr_assert_not(chain_is_stale_fork(c, &next.header));
    cr_assert_eq(chain_add_block(c, NULL, &next), 0);
    block_deinit(&next);

    /* A block on an old part of the now-best chain is still stale. */
    const chain_node_t *best = chain_tip(c);
    const chain_node_t *old = best;
    for (int i = 0; i < CHAIN_PRUNE_DEPTH + 1 && old->parent; i++)
        old = old->parent;
    block_t late;
    cr_assert_eq(template_build(&late, c, old, bob.pub, NULL, 0,
                                old->block.header.time + 100, 4),
                 0);
    cr_assert_eq(template_solve(&late), 0);
    cr_assert(chain_is_stale_fork(c, &late.header));
    block_deinit(&late);
    chain_free(&c);
}

Test(chain_order, stale_by_work_agrees_with_height_at_equal_difficulty)
{
    chain_t *c = fx_chain(NULL);
    for (int i = 0; i < 10; i++)
        fx_extend(c, chain_tip(c), alice.pub, NULL, 0, 0);
    /* A block on height h makes a branch tip at h + 1, which is stale when
     * h + 1 + 6 <= 10, i.e. h <= 3. */
    for (uint32_t h = 0; h <= 9; h++) {
        block_t b;
        fx_block(&b, c, chain_at_height(c, h), bob.pub, NULL, 0, 77);
        cr_assert_eq(chain_is_stale_fork(c, &b.header), h <= 3, "height %u", h);
        block_deinit(&b);
    }
    chain_free(&c);
}
