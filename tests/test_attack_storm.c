/*
 * Tests for src/adversary/attack_storm.c: the orphan storm's shape (the
 * root last and on the tip, every other block on a block of the storm,
 * one long branch and the short ones, real work at the bits the chain
 * expects, newest first), and the regression it exists for: a chain fed
 * its valid blocks in that worst order takes them all, every call returns,
 * and the long branch ends as the best chain.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "attack.h"
#include "attack_storm.h"
#include "block.h"
#include "chain.h"
#include "err.h"
#include "params.h"
#include "wire.h"

#include "attack_rig.h"

/* One time limit for the binary (different ones make Criterion's runner
 * leak under LeakSanitizer). */
TestSuite(attack_storm, .timeout = 60);

/* One storm's blocks, parsed, with what the items say about them. */
typedef struct {
    block_t b[ATTACK_STORM_BLOCKS];
    uint8_t hash[ATTACK_STORM_BLOCKS][32];
    uint32_t depth[ATTACK_STORM_BLOCKS]; /* blocks above the root's parent */
} storm_t;

static int storm_index(const storm_t *s, const uint8_t hash[32])
{
    for (int i = 0; i < ATTACK_STORM_BLOCKS; i++)
        if (memcmp(s->hash[i], hash, 32) == 0)
            return i;
    return -1;
}

/* Builds a storm on the tip and checks its shape: the root (last item)
 * on the tip, every other block on a block of the storm, one branch of
 * ATTACK_STORM_LONG blocks and ATTACK_STORM_SHORT of ATTACK_STORM_SHORT_LEN
 * above the root, each block's work real and at the bits the chain
 * expects, sent newest first with the long branch's tip first. */
static void storm_build(storm_t *s, attack_env_t *env, attack_out_t *out)
{
    const chain_node_t *tip = chain_tip(env->chain);
    cr_assert_eq(attack_build(attack_find("orphan-storm"), env, out), 0);
    cr_assert_eq(out->count, ATTACK_STORM_BLOCKS);
    for (int i = 0; i < ATTACK_STORM_BLOCKS; i++) {
        const attack_item_t *it = &out->items[i];
        cr_assert_eq(it->channel, ATTACK_GOSSIP);
        cr_assert_eq(it->type, WIRE_NEW_BLOCK);
        cr_assert_eq(block_parse(&s->b[i], it->bytes.data, it->bytes.len), 0);
        block_compute_hash(s->hash[i], &s->b[i].header);
        cr_assert_eq(memcmp(s->hash[i], it->id, 32), 0);
        cr_assert(block_check_pow(&s->b[i].header), "item %d: no work", i);
        cr_assert_eq(s->b[i].header.bits,
                     chain_next_bits(env->chain, tip)); /* regtest: fixed */
        cr_assert_eq(storm_index(s, s->hash[i]), i, "item %d repeated", i);
    }
    int root = ATTACK_STORM_BLOCKS - 1;
    cr_assert_null(out->items[root].reason, "the root is taken");
    cr_assert_eq(memcmp(s->b[root].header.prev_hash, tip->hash, 32), 0,
                 "the root is on the tip");
    cr_assert_null(chain_get(env->chain, s->hash[root]), "a new root");
    bool is_parent[ATTACK_STORM_BLOCKS] = {false};
    size_t on_root = 0;
    for (int i = 0; i < root; i++) {
        cr_assert_str_eq(out->items[i].reason, "orphan");
        uint32_t d = 0;
        int at = i;
        while (at != root) {
            /* A parent is in the storm and sent after its child. */
            int up = storm_index(s, s->b[at].header.prev_hash);
            cr_assert_gt(up, at, "item %d: parent %d", at, up);
            is_parent[up] = true;
            at = up;
            d++;
        }
        s->depth[i] = d + 1;
        on_root += d == 1;
        if (i > 0)
            cr_assert_leq(s->depth[i], s->depth[i - 1], "newest first");
    }
    s->depth[root] = 1;
    cr_assert_eq(on_root, ATTACK_STORM_SHORT + 1, "branches from the root");
    cr_assert_eq(s->depth[0], 1 + ATTACK_STORM_LONG,
                 "the long branch's tip is sent first");
    size_t short_tips = 0;
    for (int i = 1; i < root; i++) {
        if (is_parent[i])
            continue;
        cr_assert_eq(s->depth[i], 1 + ATTACK_STORM_SHORT_LEN, "item %d", i);
        short_tips++;
    }
    cr_assert_eq(short_tips, ATTACK_STORM_SHORT);
    cr_assert_not(is_parent[0]);
}

static void storm_clear(storm_t *s)
{
    for (int i = 0; i < ATTACK_STORM_BLOCKS; i++)
        block_deinit(&s->b[i]);
}

Test(attack_storm, shape)
{
    aw_world_t w;
    aw_init(&w);
    const attack_kind_t *kind = attack_find("orphan-storm");
    cr_assert_not_null(kind);
    cr_assert(kind->valid);
    cr_assert_str_eq(kind->reason, "orphan");
    storm_t s;
    attack_out_t out = {0};
    uint32_t height = chain_height(w.c);
    storm_build(&s, &w.env, &out);
    cr_assert_eq(chain_height(w.c), height, "building sends nothing");
    storm_clear(&s);
    attack_out_clear(&out);
    aw_deinit(&w);
}

/*
 * The regression: a chain fed the storm's blocks in the storm's order.
 * Every block but the root waits as an orphan; the root's call connects
 * them all, prunes the short branches it leaves behind, and returns; the
 * best tip is the long branch's. Several storms in a row, each on the tip
 * the last left: which short branch a chain walks first varies with the
 * blocks' hashes, and once one was walked before the long branch,
 * chain_add_block never returned.
 */
Test(attack_storm, every_call_returns)
{
    aw_world_t w;
    aw_init(&w);
    for (int round = 0; round < 12; round++) {
        storm_t s;
        attack_out_t out = {0};
        uint32_t height = chain_height(w.c);
        storm_build(&s, &w.env, &out);
        for (int i = 0; i < ATTACK_STORM_BLOCKS - 1; i++) {
            const char *why = NULL;
            cr_assert_eq(chain_add_block(w.c, &why, &s.b[i]), ERR_ORPHAN,
                         "round %d item %d: %s", round, i, why ? why : "?");
        }
        const char *why = NULL;
        cr_assert_eq(chain_add_block(w.c, &why, &s.b[ATTACK_STORM_BLOCKS - 1]),
                     0, "round %d, the root: %s", round, why ? why : "?");
        cr_assert_eq(memcmp(chain_tip(w.c)->hash, s.hash[0], 32), 0,
                     "round %d: the long branch's tip is the best tip", round);
        cr_assert_eq(chain_height(w.c), height + 1 + ATTACK_STORM_LONG);
        for (int i = 0; i < ATTACK_STORM_BLOCKS; i++) {
            uint8_t missing[32];
            cr_assert_not(chain_orphan_missing(w.c, missing, s.hash[i]),
                          "round %d item %d still waits", round, i);
        }
        storm_clear(&s);
        attack_out_clear(&out);
    }
    aw_deinit(&w);
}

/* On demo the whole storm must fit in one attack's budget: at the easiest
 * difficulty (a new network) it does, and its blocks carry the bits the
 * chain computes, so a chain takes them all; with a budget below the
 * storm's work nothing is hashed and the kind reports ERR_RANGE. */
Test(attack_storm, on_demo_within_the_budget)
{
    chain_config_t cfg = {.params = params_demo(), .sig_threads = 1};
    chain_t *c = chain_new(&cfg);
    cr_assert_not_null(c);
    fx_key_t adv;
    fx_key(&adv, 4);
    attack_env_t env = {.params = params_demo(),
                        .chain = c,
                        .now = (int64_t)time(NULL),
                        .max_hashes = 1u << 22};
    memcpy(env.secret, adv.secret, 32);
    memcpy(env.pub, adv.pub, 32);
    const attack_kind_t *kind = attack_find("orphan-storm");

    attack_out_t out = {0};
    env.max_hashes = 1u << 20; /* 17 blocks of 2^16 hashes do not fit */
    cr_assert_eq(attack_build(kind, &env, &out), ERR_RANGE);
    cr_assert_eq(out.count, 0);

    env.max_hashes = 1u << 22;
    cr_assert_eq(attack_build(kind, &env, &out), 0);
    cr_assert_eq(out.count, ATTACK_STORM_BLOCKS);
    for (size_t i = 0; i < out.count; i++) {
        block_t b;
        cr_assert_eq(
            block_parse(&b, out.items[i].bytes.data, out.items[i].bytes.len),
            0);
        const char *why = NULL;
        int rc = chain_add_block(c, &why, &b);
        cr_assert_eq(rc, i + 1 < out.count ? ERR_ORPHAN : 0, "item %zu: %s", i,
                     why ? why : "?");
        block_deinit(&b);
    }
    cr_assert_eq(memcmp(chain_tip(c)->hash, out.items[0].id, 32), 0);
    cr_assert_eq(chain_height(c), 1 + ATTACK_STORM_LONG);
    attack_out_clear(&out);
    chain_free(&c);
}
