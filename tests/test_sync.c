/*
 * Tests for src/node/sync.c, driven by hand as the node's main loop drives
 * it: sync_turn() to start an exchange, the inbox for its replies,
 * sync_reply() to go on. Covered: the want queue is bounded and keeps one
 * entry per peer for its chain (a block fetch replaces a tip poll) and one
 * for its mempool; forgetting a peer drops its wants and ignores the reply
 * in flight; a whole exchange over p2p_ask() with a fake peer (tip, then
 * headers and blocks), with the chain caught up and nothing asked twice; a
 * silent peer ends its exchange, is held, and its wants are refused; a held
 * peer's want waits (sync is then settled, though not idle); the first pending
 * transactions to arrive cancel the other "once" wants.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "chain_peer.h"
#include "err.h"
#include "fixtures.h"
#include "log.h"
#include "sock.h"
#include "sync.h"
#include "tracker_rig.h"

/* Our side: what the sink was given. */
typedef struct {
    chain_t *chain;
    unsigned blocks, txs;
} ours_t;

static int sink_block(void *ctx, const block_t *b, uint64_t peer)
{
    (void)peer;
    ours_t *o = ctx;
    o->blocks++;
    const char *why = NULL;
    return chain_add_block(o->chain, &why, b);
}

static int sink_tx(void *ctx, const tx_t *tx, const uint8_t txid[32],
                   uint64_t peer)
{
    (void)tx, (void)txid, (void)peer;
    ((ours_t *)ctx)->txs++;
    return 0;
}

static chain_t *chain_of(unsigned height)
{
    chain_t *c = fx_chain(NULL);
    uint8_t miner[32] = {3};
    const chain_node_t *tip = chain_tip(c);
    for (unsigned i = 0; i < height; i++)
        tip = fx_extend(c, tip, miner, NULL, 0, i);
    return c;
}

static void quiet(void)
{
    log_set_level(LOG_ERROR);
}

TestSuite(sync, .init = quiet);

Test(sync, the_queue_is_bounded_and_one_entry_per_peer_and_kind)
{
    sync_t s;
    ours_t o = {0};
    sync_init(&s, NULL, (sync_sink_t){&o, sink_block, sink_tx});
    uint8_t h1[32] = {1}, h2[32] = {2};
    cr_assert_eq(sync_want(&s, 0, SYNC_TIP, NULL, false, 0), ERR_ARG);
    cr_assert_eq(sync_want(&s, 7, SYNC_TIP, NULL, false, 0), 0);
    cr_assert_eq(sync_want(&s, 7, SYNC_TIP, NULL, false, 0), 0);
    cr_assert_eq(s.n, 1, "the same want twice is one");
    cr_assert_eq(sync_want(&s, 7, SYNC_BLOCKS, h1, false, 0), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.queue[0].kind, SYNC_BLOCKS, "a fetch replaces a tip poll");
    cr_assert_eq(sync_want(&s, 7, SYNC_BLOCKS, h2, false, 0), 0);
    cr_assert_eq(sync_want(&s, 7, SYNC_TIP, NULL, false, 0), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.queue[0].kind, SYNC_BLOCKS, "a tip poll adds nothing");
    cr_assert(s.queue[0].has_hash && s.queue[0].hash[0] == 2,
              "the newest orphan is kept");
    cr_assert_eq(sync_want(&s, 7, SYNC_MEMPOOL, NULL, false, 0), 0);
    cr_assert_eq(s.n, 2, "the mempool is an entry of its own");
    for (uint64_t peer = 100; s.n < SYNC_QUEUE_MAX; peer++)
        cr_assert_eq(sync_want(&s, peer, SYNC_TIP, NULL, false, 0), 0);
    cr_assert_eq(sync_want(&s, 99, SYNC_TIP, NULL, false, 0), ERR_FULL);
    cr_assert_eq(s.dropped, 1);
    cr_assert_eq(sync_want(&s, 7, SYNC_BLOCKS, h1, false, 0), 0,
                 "a want that merges still fits a full queue");
    cr_assert_eq(s.n, SYNC_QUEUE_MAX);
    sync_forget(&s, 7);
    cr_assert_eq(s.n, SYNC_QUEUE_MAX - 2);
    for (size_t i = 0; i < s.n; i++)
        cr_assert_neq(s.queue[i].peer, 7);
    cr_assert(!sync_idle(&s));
    sync_deinit(&s);
}

/* Our p2p instance, knowing the fake peer. */
static p2p_t *our_p2p(chain_peer_t *peer, int timeout_ms)
{
    p2p_config_t cfg;
    p2p_config_init(&cfg, params_regtest()->network_id);
    cfg.request_timeout_ms = timeout_ms;
    cfg.request_retries = 0;
    p2p_t *p = p2p_new(&cfg);
    cr_assert_not_null(p);
    wire_peer_t w = chain_peer_wire(peer);
    cr_assert_eq(p2p_add_peer(p, &w), 0);
    return p;
}

/* A fake peer with a chain of `height`, our p2p knowing it, our empty
 * chain, and sync between them. */
typedef struct {
    chain_t *theirs;
    chain_peer_t peer;
    p2p_t *p2p;
    ours_t o;
    sync_t s;
    uint64_t id; /* the peer's */
} rig_t;

static void rig_up(rig_t *r, unsigned height, int timeout_ms, bool silent)
{
    r->theirs = chain_of(height);
    chain_peer_start(&r->peer, r->theirs, timeout_ms);
    atomic_store(&r->peer.silent, silent);
    r->p2p = our_p2p(&r->peer, timeout_ms);
    r->o = (ours_t){chain_of(0), 0, 0};
    sync_init(&r->s, r->p2p, (sync_sink_t){&r->o, sink_block, sink_tx});
    r->id = p2p_node_id(r->peer.p2p);
}

static void rig_down(rig_t *r)
{
    sync_deinit(&r->s);
    p2p_free(&r->p2p);
    chain_peer_stop(&r->peer);
    chain_free(&r->theirs);
    chain_free(&r->o.chain);
}

/* Waits (generously) for the next message in the inbox. */
static void next_message(p2p_t *p2p, p2p_msg_t *m)
{
    uint64_t deadline = sock_now_ms() + 5000;
    while (p2p_receive_data(p2p, m, 50) != 0)
        cr_assert(sock_now_ms() < deadline, "no reply came");
}

/* Runs sync as the main loop would until it is idle (or a deadline). */
static void run_until_idle(sync_t *s, p2p_t *p2p, const chain_t *chain)
{
    uint64_t deadline = sock_now_ms() + 10000;
    while (!sync_idle(s)) {
        cr_assert(sock_now_ms() < deadline, "sync did not finish");
        sync_turn(s, chain, sock_now_ms());
        p2p_msg_t m;
        if (p2p_receive_data(p2p, &m, 20) != 0)
            continue;
        cr_assert_eq(m.source, P2P_FROM_REPLY);
        cr_assert(sync_reply(s, chain, &m, sock_now_ms()));
        p2p_msg_clear(&m);
    }
}

Test(sync, an_exchange_over_p2p_ask_catches_up)
{
    rig_t r;
    rig_up(&r, 20, 1000, false);
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_TIP, NULL, false, sock_now_ms()),
                 0);
    run_until_idle(&r.s, r.p2p, r.o.chain);
    cr_assert_eq(chain_height(r.o.chain), 20);
    cr_assert_eq(r.o.blocks, 20, "each block fetched once");
    cr_assert_eq(atomic_load(&r.peer.asked[CP_TIP]), 1);
    cr_assert_eq(atomic_load(&r.peer.first_type), WIRE_GET_TIP);
    cr_assert_eq(atomic_load(&r.peer.asked[CP_BLOCKS]), 3, "8 + 8 + 4");
    /* The peer is held a moment after an exchange for its chain: a want
     * for it waits in the queue. */
    uint64_t now = sock_now_ms();
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_BLOCKS, NULL, false, now), 0);
    sync_turn(&r.s, r.o.chain, now);
    cr_assert(sync_in_flight(&r.s) == 0 && r.s.n == 1, "held, still queued");
    /* Settled (nothing could be fetched now), though not idle. */
    cr_assert(sync_settled(&r.s, now) && !sync_idle(&r.s));
    cr_assert(!sync_settled(&r.s, now + SYNC_MIN_INTERVAL_MS));
    sync_turn(&r.s, r.o.chain, now + SYNC_MIN_INTERVAL_MS);
    cr_assert(sync_in_flight(&r.s) == 1, "served once the hold is over");
    run_until_idle(&r.s, r.p2p, r.o.chain);
    cr_assert_eq(r.o.blocks, 20, "nothing new to fetch");
    rig_down(&r);
}

Test(sync, a_silent_peer_is_held_and_its_wants_refused, .timeout = 20)
{
    rig_t r;
    rig_up(&r, 3, 200, true);
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_TIP, NULL, false, sock_now_ms()),
                 0);
    sync_turn(&r.s, r.o.chain, sock_now_ms());
    cr_assert_eq(sync_in_flight(&r.s), 1);
    /* Queued meanwhile: dropped when the peer turns out silent. */
    cr_assert_eq(
        sync_want(&r.s, r.id, SYNC_MEMPOOL, NULL, false, sock_now_ms()), 0);
    run_until_idle(&r.s, r.p2p, r.o.chain);
    cr_assert_eq(r.s.n, 0);
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_BLOCKS, NULL, false, sock_now_ms()),
                 ERR_TIMEOUT, "not asked again while held");
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_BLOCKS, NULL, false,
                           sock_now_ms() + SYNC_SILENT_HOLD_MS),
                 0, "asked again once the hold is over");
    cr_assert_eq(chain_height(r.o.chain), 0);
    rig_down(&r);
}

Test(sync, a_forgotten_peers_reply_is_ignored)
{
    rig_t r;
    rig_up(&r, 3, 1000, false);
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_BLOCKS, NULL, false, sock_now_ms()),
                 0);
    sync_turn(&r.s, r.o.chain, sock_now_ms());
    cr_assert_eq(sync_in_flight(&r.s), 1);
    sync_forget(&r.s, r.id); /* a partition cut it off */
    cr_assert(sync_idle(&r.s));
    p2p_msg_t m;
    next_message(r.p2p, &m);
    cr_assert(!sync_reply(&r.s, r.o.chain, &m, sock_now_ms()));
    p2p_msg_clear(&m);
    cr_assert_eq(r.o.blocks, 0);
    rig_down(&r);
}

Test(sync, the_first_pending_transactions_cancel_the_other_once_wants)
{
    fx_key_t alice;
    fx_key(&alice, 1);
    uint8_t bob[32] = {9};
    tx_t txs[2];
    fx_transfer(&txs[0], params_regtest(), &alice, bob, 5, 1, 0);
    fx_transfer(&txs[1], params_regtest(), &alice, bob, 6, 1, 1);
    rig_t r;
    rig_up(&r, 0, 1000, false);
    pthread_mutex_lock(&r.peer.lock); /* its server thread reads them */
    r.peer.mempool = txs;
    r.peer.mempool_n = 2;
    pthread_mutex_unlock(&r.peer.lock);
    uint64_t now = sock_now_ms();
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_MEMPOOL, NULL, true, now), 0);
    cr_assert_eq(sync_want(&r.s, 4242, SYNC_MEMPOOL, NULL, true, now), 0);
    cr_assert_eq(sync_want(&r.s, 4243, SYNC_MEMPOOL, NULL, false, now), 0);
    r.s.max_flights = 1; /* one at a time: the others wait their turn */
    sync_turn(&r.s, r.o.chain, now);
    cr_assert(sync_in_flight(&r.s) == 1 && r.s.n == 2);
    p2p_msg_t m;
    next_message(r.p2p, &m);
    cr_assert(sync_reply(&r.s, r.o.chain, &m, sock_now_ms()));
    p2p_msg_clear(&m);
    cr_assert_eq(r.o.txs, 2);
    cr_assert_eq(r.s.n, 1, "the other once want is gone");
    cr_assert_eq(r.s.queue[0].peer, 4243, "a plain want stays");
    rig_down(&r);
}

Test(sync, a_silent_peer_delays_only_its_own_exchange, .timeout = 20)
{
    /* A silent peer asked first, an honest one second: the honest one's
     * whole exchange is done long before the silent one times out. */
    rig_t r;
    rig_up(&r, 0, 4000, true);
    chain_t *honest_chain = chain_of(5);
    chain_peer_t honest;
    chain_peer_start(&honest, honest_chain, 4000);
    wire_peer_t w = chain_peer_wire(&honest);
    cr_assert_eq(p2p_add_peer(r.p2p, &w), 0);
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_TIP, NULL, false, t0), 0);
    cr_assert_eq(sync_want(&r.s, w.id, SYNC_TIP, NULL, false, t0), 0);
    sync_turn(&r.s, r.o.chain, t0);
    cr_assert_eq(sync_in_flight(&r.s), 2, "side by side");
    while (chain_height(r.o.chain) < 5 || sync_in_flight(&r.s) > 1) {
        cr_assert(sock_now_ms() < t0 + 3000,
                  "the honest exchange waited for the silent peer");
        p2p_msg_t m;
        if (p2p_receive_data(r.p2p, &m, 20) != 0)
            continue;
        cr_assert_eq(m.peer_id, w.id, "only the honest peer answers");
        cr_assert(sync_reply(&r.s, r.o.chain, &m, sock_now_ms()));
        p2p_msg_clear(&m);
    }
    cr_assert_eq(sync_in_flight(&r.s), 1, "the silent one is still waited for");
    run_until_idle(&r.s, r.p2p, r.o.chain); /* its timeout ends it */
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_TIP, NULL, false, sock_now_ms()),
                 ERR_TIMEOUT, "and it is held");
    chain_peer_stop(&honest);
    chain_free(&honest_chain);
    rig_down(&r);
}

Test(sync, silent_newcomers_cannot_take_every_exchange, .timeout = 20)
{
    /* Peers that have not answered yet take at most SYNC_FLIGHTS_UNPROVEN
     * exchanges; the others stay free for peers that answer. */
    rig_t r;
    rig_up(&r, 2, 4000, false);
    uint64_t now = sock_now_ms();
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_TIP, NULL, false, now), 0);
    run_until_idle(&r.s, r.p2p, r.o.chain); /* it has answered now */
    cr_assert_eq(chain_height(r.o.chain), 2);
    /* More silent newcomers than they may take: registered, never
     * answering (nothing listens at their endpoints). */
    enum { NEWCOMERS = SYNC_FLIGHTS_UNPROVEN + 6 };
    for (uint64_t id = 0x5b00; id < 0x5b00 + NEWCOMERS; id++) {
        wire_peer_t p = {.id = id};
        tr_key(p.key, id); /* a key whose id is id */
        snprintf(p.req, sizeof p.req, "tcp://127.0.0.1:%u",
                 (unsigned)(1 + id - 0x5b00));
        snprintf(p.gossip, sizeof p.gossip, "tcp://127.0.0.1:%u",
                 (unsigned)(1 + NEWCOMERS + id - 0x5b00));
        cr_assert_eq(p2p_add_peer(r.p2p, &p), 0);
        cr_assert_eq(sync_want(&r.s, id, SYNC_TIP, NULL, false, now), 0);
    }
    now += SYNC_MIN_INTERVAL_MS; /* the answering peer's hold is over */
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_MEMPOOL, NULL, false, now), 0);
    sync_turn(&r.s, r.o.chain, now);
    cr_assert_eq(sync_in_flight(&r.s), SYNC_FLIGHTS_UNPROVEN + 1,
                 "%zu in flight", sync_in_flight(&r.s));
    cr_assert_eq(r.s.n, NEWCOMERS - SYNC_FLIGHTS_UNPROVEN,
                 "the other newcomers wait");
    /* The answering peer's want, queued last, was started. */
    p2p_msg_t m;
    next_message(r.p2p, &m);
    cr_assert_eq(m.peer_id, r.id);
    cr_assert(sync_reply(&r.s, r.o.chain, &m, sock_now_ms()));
    p2p_msg_clear(&m);
    rig_down(&r);
}

Test(sync, caught_up_with_the_peers_that_answer, .timeout = 20)
{
    /* An answering peer and a silent one, both new: once the answering
     * one's exchange is done, sync is caught up though the silent one is
     * still waited for (not settled). */
    rig_t r;
    rig_up(&r, 0, 4000, true);
    chain_t *honest_chain = chain_of(4);
    chain_peer_t honest;
    chain_peer_start(&honest, honest_chain, 4000);
    wire_peer_t w = chain_peer_wire(&honest);
    cr_assert_eq(p2p_add_peer(r.p2p, &w), 0);
    uint64_t t0 = sock_now_ms();
    cr_assert_not(sync_caught_up(&r.s, t0), "nothing answered yet");
    cr_assert_eq(sync_want(&r.s, r.id, SYNC_TIP, NULL, false, t0), 0);
    cr_assert_eq(sync_want(&r.s, w.id, SYNC_TIP, NULL, false, t0), 0);
    sync_turn(&r.s, r.o.chain, t0);
    cr_assert_not(sync_caught_up(&r.s, t0));
    while (chain_height(r.o.chain) < 4 || sync_in_flight(&r.s) > 1) {
        cr_assert(sock_now_ms() < t0 + 3000, "the honest exchange waited");
        p2p_msg_t m;
        if (p2p_receive_data(r.p2p, &m, 20) != 0)
            continue;
        cr_assert(sync_reply(&r.s, r.o.chain, &m, sock_now_ms()));
        p2p_msg_clear(&m);
    }
    uint64_t now = sock_now_ms();
    cr_assert_not(sync_settled(&r.s, now), "the silent one is in flight");
    cr_assert(sync_caught_up(&r.s, now), "but nothing answering is left");
    chain_peer_stop(&honest);
    chain_free(&honest_chain);
    rig_down(&r);
}
