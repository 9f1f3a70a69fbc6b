/*
 * Tests for events (src/node/events.c): the ring's numbering, wrap-around
 * and "since N" reads with their bounds, and the gathering of one chain
 * call's callbacks into accepted, reorg and branch-pruned events, driven
 * by a real regtest chain wired as the node wires it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "chain.h"
#include "events.h"
#include "fixtures.h"

static fx_key_t miner, bob;

static void setup(void)
{
    fx_key(&miner, 4);
    fx_key(&bob, 2);
}

TestSuite(events, .init = setup, .timeout = 60);

Test(events, numbers_start_at_one_and_since_reads_in_order)
{
    events_t e;
    cr_assert_eq(events_init(&e), 0);
    cr_assert_eq(events_last(&e), 0);
    cr_assert_eq(events_first(&e), 1);
    const event_t *out[8];
    uint64_t missed = 99;
    cr_assert_eq(events_since(&e, out, 8, 0, &missed), 0);
    cr_assert_eq(missed, 0);
    for (int i = 0; i < 5; i++)
        events_push(&e, EVENT_TX_REFUSED)->txs = (uint32_t)i;
    cr_assert_eq(events_last(&e), 5);
    size_t n = events_since(&e, out, 8, 2, &missed);
    cr_assert_eq(n, 3);
    cr_assert_eq(missed, 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(out[i]->seq, 3 + i);
        cr_assert_eq(out[i]->txs, 2 + i);
        cr_assert_eq(out[i]->kind, EVENT_TX_REFUSED);
        cr_assert_gt(out[i]->time_ms, 0);
    }
    /* Up to date, and ahead of the log (a node that restarted): nothing. */
    cr_assert_eq(events_since(&e, out, 8, 5, &missed), 0);
    cr_assert_eq(events_since(&e, out, 8, 1000, &missed), 0);
    /* max bounds a read; the rest comes with the next. */
    cr_assert_eq(events_since(&e, out, 2, 0, &missed), 2);
    cr_assert_eq(out[1]->seq, 2);
    cr_assert_eq(e.counts[EVENT_TX_REFUSED], 5);
    events_deinit(&e);
}

Test(events, the_ring_wraps_and_says_what_was_missed)
{
    events_t e;
    cr_assert_eq(events_init(&e), 0);
    uint64_t total = 2 * EVENTS_CAP + 10;
    for (uint64_t i = 1; i <= total; i++)
        events_push(&e, EVENT_BLOCK_REFUSED)->height = (uint32_t)i;
    cr_assert_eq(events_last(&e), total);
    cr_assert_eq(events_first(&e), total - EVENTS_CAP + 1);
    const event_t *out[4];
    uint64_t missed = 0;
    size_t n = events_since(&e, out, 4, 0, &missed);
    cr_assert_eq(n, 4);
    cr_assert_eq(missed, total - EVENTS_CAP);
    cr_assert_eq(out[0]->seq, events_first(&e));
    cr_assert_eq(out[0]->height, (uint32_t)events_first(&e),
                 "the oldest held is the event that got that number");
    n = events_since(&e, out, 4, total - 2, &missed);
    cr_assert_eq(n, 2);
    cr_assert_eq(missed, 0);
    cr_assert_eq(out[1]->seq, total);
    cr_assert_eq(out[1]->height, (uint32_t)total);
    cr_assert_eq(e.counts[EVENT_BLOCK_REFUSED], total, "counts never wrap");
    events_deinit(&e);
}

Test(events, kinds_have_names)
{
    cr_assert_str_eq(events_kind_name(EVENT_BLOCK_ACCEPTED), "block-accepted");
    cr_assert_str_eq(events_kind_name(EVENT_REORG), "reorg");
    cr_assert_str_eq(events_kind_name(EVENT_BRANCH_PRUNED), "branch-pruned");
    cr_assert_str_eq(events_kind_name(EVENT_BLOCK_REFUSED), "block-refused");
    cr_assert_str_eq(events_kind_name(EVENT_PEER_BANNED), "peer-banned");
    cr_assert_str_eq(events_kind_name(EVENT_KINDS), "?");
}

Test(events, a_ban_is_logged_once_a_minute)
{
    events_t e;
    cr_assert_eq(events_init(&e), 0);
    events_peer_banned(&e, 7, "bad-txns-sig");
    events_peer_banned(&e, 7, "bad-txns-sig");
    events_peer_banned(&e, 8, "high-hash");
    cr_assert_eq(events_last(&e), 2);
    cr_assert_eq(e.counts[EVENT_PEER_BANNED], 2);
    events_deinit(&e);
}

/* ---- a chain wired as the node wires it ---------------------------------- */

typedef struct {
    events_t e;
    chain_t *c;
    size_t returned; /* transfers a reorg "gave back" (as relay reports) */
} wired_t;

static void w_added_tip(wired_t *w, const chain_node_t *n)
{
    events_on_added(&w->e, n, chain_tip(w->c));
}

static int cb_added(void *ctx, const chain_node_t *n)
{
    w_added_tip(ctx, n);
    return 0;
}

static void cb_disconnected(void *ctx, const chain_node_t *n)
{
    wired_t *w = ctx;
    w->returned += n->block.tx_count - 1;
    events_on_disconnected(&w->e, n);
}

static void cb_tip(void *ctx, const chain_node_t *tip)
{
    wired_t *w = ctx;
    events_on_tip(&w->e, tip, w->returned);
    w->returned = 0;
}

static void cb_discarded(void *ctx, const tx_t *tx)
{
    (void)tx;
    wired_t *w = ctx;
    events_on_tx_returned(&w->e);
}

static void cb_removed(void *ctx, const chain_node_t *n)
{
    wired_t *w = ctx;
    events_on_removed(&w->e, n);
}

static void wire(wired_t *w)
{
    memset(w, 0, sizeof *w);
    cr_assert_eq(events_init(&w->e), 0);
    chain_callbacks_t cb = {.ctx = w,
                            .block_added = cb_added,
                            .block_disconnected = cb_disconnected,
                            .tip_changed = cb_tip,
                            .tx_discarded = cb_discarded,
                            .block_removed = cb_removed};
    w->c = fx_chain(&cb);
    cr_assert_not_null(w->c);
}

static void unwire(wired_t *w)
{
    chain_free(&w->c);
    events_deinit(&w->e);
}

/* Adds a block on parent within one gathered call, as peer. */
static const chain_node_t *offer(wired_t *w, const chain_node_t *parent,
                                 const tx_t *txs, size_t n, uint64_t tag,
                                 uint64_t peer)
{
    block_t b;
    fx_block(&b, w->c, parent, miner.pub, txs, n, tag);
    uint8_t hash[32];
    block_compute_hash(hash, &b.header);
    events_call_begin(&w->e, peer, peer == 0);
    const char *why = NULL;
    int rc = chain_add_block(w->c, &why, &b);
    events_call_end(&w->e);
    block_deinit(&b);
    cr_assert_eq(rc, 0, "refused: %s", why ? why : "?");
    return chain_get(w->c, hash);
}

/* The newest event of a kind, or NULL. */
static const event_t *newest(const events_t *e, event_kind_t kind)
{
    const event_t *out[EVENTS_CAP];
    uint64_t missed;
    size_t n = events_since(e, out, EVENTS_CAP, 0, &missed);
    for (size_t i = n; i > 0; i--)
        if (out[i - 1]->kind == kind)
            return out[i - 1];
    return NULL;
}

Test(events, accepted_blocks_say_best_or_side_and_where_from)
{
    wired_t w;
    wire(&w);
    const chain_node_t *g = chain_tip(w.c);
    const chain_node_t *a1 = offer(&w, g, NULL, 0, 1, 0);
    const event_t *ev = newest(&w.e, EVENT_BLOCK_ACCEPTED);
    cr_assert_not_null(ev);
    cr_assert_arr_eq(ev->hash, a1->hash, 32);
    cr_assert_arr_eq(ev->parent, g->hash, 32);
    cr_assert_eq(ev->height, 1);
    cr_assert(ev->best);
    cr_assert(ev->mined);
    cr_assert_eq(ev->txs, 1);
    /* A rival at the same height from peer 42: a side branch (a tie keeps
     * the first seen). */
    const chain_node_t *b1 = offer(&w, g, NULL, 0, 2, 42);
    ev = newest(&w.e, EVENT_BLOCK_ACCEPTED);
    cr_assert_arr_eq(ev->hash, b1->hash, 32);
    cr_assert(!ev->best);
    cr_assert(!ev->mined);
    cr_assert_eq(ev->peer, 42);
    cr_assert_null(newest(&w.e, EVENT_REORG));
    /* Outside a call (loading the store), nothing is logged. */
    uint64_t last = events_last(&w.e);
    fx_extend(w.c, chain_tip(w.c), miner.pub, NULL, 0, 3);
    cr_assert_eq(events_last(&w.e), last);
    unwire(&w);
}

Test(events, a_reorg_is_one_event_with_depth_tips_and_returned_txs)
{
    wired_t w;
    wire(&w);
    for (int i = 0; i < 3; i++)
        offer(&w, chain_tip(w.c), NULL, 0, 10 + (uint64_t)i, 0);
    const chain_node_t *fork = chain_tip(w.c);
    /* The branch that will lose: 2 blocks on fork, the second with a
     * transfer of the miner's coins. */
    offer(&w, fork, NULL, 0, 20, 0);
    tx_t t;
    fx_transfer(&t, params_regtest(), &miner, bob.pub, COIN, 1000, 0);
    const chain_node_t *old1 = offer(&w, chain_tip(w.c), &t, 1, 21, 0);
    uint8_t old_tip[32];
    memcpy(old_tip, old1->hash, 32);
    uint32_t fork_height = fork->height;
    /* A heavier branch of 3 from peer 9 on fork. */
    const chain_node_t *x = fork;
    x = offer(&w, x, NULL, 0, 30, 9);
    x = offer(&w, x, NULL, 0, 31, 9);
    cr_assert_null(newest(&w.e, EVENT_REORG), "a tie does not reorg");
    x = offer(&w, x, NULL, 0, 32, 9);
    cr_assert_eq(chain_tip(w.c), x);
    const event_t *ev = newest(&w.e, EVENT_REORG);
    cr_assert_not_null(ev);
    cr_assert_arr_eq(ev->hash, x->hash, 32);
    cr_assert_arr_eq(ev->parent, old_tip, 32);
    cr_assert_eq(ev->height, fork_height);
    cr_assert_eq(ev->count, 2, "two blocks off");
    cr_assert_eq(ev->count2, 3, "three on");
    cr_assert_eq(ev->txs, 1, "the transfer went back");
    cr_assert_eq(ev->peer, 9);
    /* The block that caused it was logged first, as joining the best
     * chain (through this reorg). */
    const event_t *acc = newest(&w.e, EVENT_BLOCK_ACCEPTED);
    cr_assert_arr_eq(acc->hash, x->hash, 32);
    cr_assert(acc->best);
    cr_assert_lt(acc->seq, ev->seq);
    unwire(&w);
}

Test(events, a_pruned_branch_is_one_event_per_branch)
{
    wired_t w;
    wire(&w);
    for (int i = 0; i < 5; i++)
        offer(&w, chain_tip(w.c), NULL, 0, 40 + (uint64_t)i, 0);
    /* Two side branches: two blocks on height 3, one block on height 4. */
    const chain_node_t *s1 = offer(&w, chain_at_height(w.c, 3), NULL, 0, 50, 5);
    s1 = offer(&w, s1, NULL, 0, 51, 5);
    uint8_t s1_tip[32], s2_tip[32];
    memcpy(s1_tip, s1->hash, 32);
    const chain_node_t *s2 = offer(&w, chain_at_height(w.c, 4), NULL, 0, 52, 6);
    memcpy(s2_tip, s2->hash, 32);
    uint8_t at3[32], at4[32];
    memcpy(at3, chain_at_height(w.c, 3)->hash, 32);
    memcpy(at4, chain_at_height(w.c, 4)->hash, 32);
    uint64_t before = w.e.counts[EVENT_BRANCH_PRUNED];
    for (int i = 0; i < CHAIN_PRUNE_DEPTH + 2; i++)
        offer(&w, chain_tip(w.c), NULL, 0, 60 + (uint64_t)i, 0);
    cr_assert_eq(w.e.counts[EVENT_BRANCH_PRUNED], before + 2);
    const event_t *out[EVENTS_CAP];
    uint64_t missed;
    size_t n = events_since(&w.e, out, EVENTS_CAP, 0, &missed);
    bool saw1 = false, saw2 = false;
    for (size_t i = 0; i < n; i++) {
        if (out[i]->kind != EVENT_BRANCH_PRUNED)
            continue;
        if (memcmp(out[i]->hash, s1_tip, 32) == 0) {
            saw1 = true;
            cr_assert_eq(out[i]->count, 2);
            cr_assert_eq(out[i]->height, 5);
            cr_assert_arr_eq(out[i]->parent, at3, 32);
        } else if (memcmp(out[i]->hash, s2_tip, 32) == 0) {
            saw2 = true;
            cr_assert_eq(out[i]->count, 1);
            cr_assert_arr_eq(out[i]->parent, at4, 32);
        }
        cr_assert_eq(out[i]->txs, 0);
    }
    cr_assert(saw1 && saw2);
    unwire(&w);
}

Test(events, a_refused_block_claims_its_height_and_parent)
{
    wired_t w;
    wire(&w);
    offer(&w, chain_tip(w.c), NULL, 0, 70, 0);
    block_t b;
    fx_block(&b, w.c, chain_tip(w.c), miner.pub, NULL, 0, 71);
    b.header.merkle_root[0] ^= 1; /* tampered */
    events_block_refused(&w.e, EVENT_BLOCK_REFUSED, w.c, &b, "bad-txnmrklroot",
                         77);
    const event_t *ev = newest(&w.e, EVENT_BLOCK_REFUSED);
    cr_assert_not_null(ev);
    cr_assert_str_eq(ev->reason, "bad-txnmrklroot");
    cr_assert_eq(ev->peer, 77);
    cr_assert(ev->has_height && ev->has_header && ev->has_hash);
    cr_assert_eq(ev->height, 2);
    cr_assert_arr_eq(ev->parent, chain_tip(w.c)->hash, 32);
    uint8_t hash[32];
    block_compute_hash(hash, &b.header);
    cr_assert_arr_eq(ev->hash, hash, 32);
    /* Its transactions are kept for its details: the coinbase here. */
    const event_detail_t *d = events_detail(&w.e, ev->seq);
    cr_assert_not_null(d);
    cr_assert_eq(d->count, 1);
    cr_assert_eq(d->txs[0].kind, TX_COINBASE);
    cr_assert_eq(d->txs[0].height, 2);
    cr_assert_null(events_detail(&w.e, ev->seq + 1000));
    /* Without a coinbase, the height comes from the parent; with an
     * unknown parent, there is none. */
    b.txs[0].kind = TX_TRANSFER;
    events_block_refused(&w.e, EVENT_BLOCK_REFUSED, w.c, &b, "bad-cb-missing",
                         77);
    cr_assert_eq(newest(&w.e, EVENT_BLOCK_REFUSED)->height, 2);
    b.header.prev_hash[0] ^= 1;
    events_block_refused(&w.e, EVENT_BLOCK_ORPHAN, w.c, &b, "orphan", 77);
    cr_assert(!newest(&w.e, EVENT_BLOCK_ORPHAN)->has_height);
    b.txs[0].kind = TX_COINBASE;
    events_block_refused(&w.e, EVENT_BLOCK_REFUSED, w.c, NULL, "malformed", 3);
    ev = newest(&w.e, EVENT_BLOCK_REFUSED);
    cr_assert(!ev->has_hash && !ev->has_header && !ev->has_height);
    block_deinit(&b);
    unwire(&w);
}

Test(events, details_are_kept_for_the_last_refused_blocks_only)
{
    wired_t w;
    wire(&w);
    block_t b;
    fx_block(&b, w.c, chain_tip(w.c), miner.pub, NULL, 0, 80);
    uint64_t first = events_last(&w.e) + 1;
    for (int i = 0; i < EVENTS_DETAILS + 5; i++)
        events_block_refused(&w.e, EVENT_BLOCK_REFUSED, w.c, &b, "high-hash",
                             1);
    cr_assert_null(events_detail(&w.e, first), "the oldest gave its room");
    cr_assert_null(events_detail(&w.e, first + 4));
    cr_assert_not_null(events_detail(&w.e, first + 5));
    cr_assert_not_null(events_detail(&w.e, events_last(&w.e)));
    /* Orphans and unparsable bytes keep none. */
    events_block_refused(&w.e, EVENT_BLOCK_ORPHAN, w.c, &b, "orphan", 1);
    cr_assert_null(events_detail(&w.e, events_last(&w.e)));
    events_block_refused(&w.e, EVENT_BLOCK_REFUSED, w.c, NULL, "malformed", 1);
    cr_assert_null(events_detail(&w.e, events_last(&w.e)));
    block_deinit(&b);
    unwire(&w);
}
