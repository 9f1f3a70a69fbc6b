/*
 * node — lifecycle and main loop (see node.h), and the paths by which a
 * block or a transaction enters the node.
 *
 * Three threads share the node, under one lock (n->lock):
 *
 *   main loop       each turn drains the p2p inbox -- gossiped blocks and
 *                   transactions, the tracker's announcements and relays,
 *                   and the answers to sync's requests -- publishes the
 *                   transactions it accepted as one NEW_TXS frame
 *                   (relay.h), turns the pool's solutions into blocks and
 *                   gives the pool a new job when the tip or the mempool
 *                   changed (mining.h), now and then wants a peer's tip,
 *                   lets sync start its next exchange (sync.h), and prints
 *                   a status line.
 *   request thread  owns the ROUTER socket and answers peers' sync
 *                   requests and the cli's and wallets' queries (serve.h).
 *   watcher         looks at the main loop's turn record (loopwatch.h)
 *                   and logs an error when a turn runs for more than
 *                   LOOPWATCH_STUCK_MS; it never takes the lock.
 *
 * The main loop holds the lock except while it waits for the inbox (a
 * couple of milliseconds at a time, so gossip waits at most that long), and
 * that is the only place it waits: it never waits on a peer. A request to a
 * peer goes out through p2p_ask() and its answer comes back through the
 * inbox like gossip, so a block with an unknown parent queues a fetch that
 * a later turn serves (sync.h), never a nested wait inside accepting a
 * block, and the request thread never sees the chain change under a block
 * being accepted. The tracker is the exception, once: node_run() joins the
 * network before the first turn, with the lock released (the "start" turn
 * of the record).
 *
 * A stuck main loop is visible from outside: each turn notes when it began
 * and which phase it is in in n->watch (loopwatch.h), which `status` reads
 * without the lock when the lock is not to be had (serve.h). A turn ends
 * where the loop goes idle, at its wait for the inbox.
 *
 * A block that came by gossip is relayed as the frame it came in; a
 * NEW_TXS item whose txid the mempool holds is dropped after that lookup
 * alone (in a full mesh each transaction arrives from every peer). What a
 * refusal costs its sender is score.h's; every refusal, orphans included,
 * is counted by reason (seen.h).
 */
#include "node.h"
#include "err.h"
#include "events.h"
#include "hex.h"
#include "log.h"
#include "mining.h"
#include "node_impl.h"
#include "persist.h"
#include "relay.h"
#include "score.h"
#include "serve.h"
#include "sync.h"
#include "template.h"
#include "testswitch.h"
#include "wire.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODE_POLL_MS 2
#define NODE_TIP_POLL_MS 3000
#define NODE_MEMPOOL_MAX 50000
#define NODE_BATCH 64   /* messages of one kind handled per turn */
#define NODE_TURN_MS 20 /* ... or fewer, once the turn has taken this long */
/* At the start, mining waits for the first catch-up at most this long. */
#define NODE_START_SYNC_MS 30000

struct node {
    pthread_mutex_t lock;
    node_config_t cfg;
    const params_t *params;
    uint64_t started_ms;
    /* How the main loop is doing: written by the main loop, read by
     * `status` even when the lock is not to be had. */
    loopwatch_t watch;

    /* Under the lock. */
    chain_t *chain;
    mempool_t *mempool;
    store_t *store;
    bool loading; /* replaying the store: nothing to persist or relay */
    p2p_t *p2p;
    serve_t *serve;
    mining_t mining;
    sync_t sync;
    relay_t relay;
    seen_t seen;
    events_t events;
    testswitch_t switches;
    uint64_t txs_known_dropped; /* NEW_TXS items dropped by txid lookup */

    /* The main loop's own. */
    uint64_t next_status_ms, next_poll_ms;
    size_t poll_cursor;
    bool catching_up; /* the start: no mining before the first catch-up */
    uint64_t catch_up_until_ms;
};

uint64_t node_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- what the parts see (node_impl.h) ------------------------------------ */

void node_lock(node_t *n)
{
    pthread_mutex_lock(&n->lock);
}

void node_unlock(node_t *n)
{
    pthread_mutex_unlock(&n->lock);
}

int node_lock_within(node_t *n, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* pthread_mutex_timedlock's */
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(&n->lock, &until) == 0 ? 0 : ERR_TIMEOUT;
}

const params_t *node_params(const node_t *n)
{
    return n->params;
}

p2p_t *node_p2p(node_t *n)
{
    return n->p2p;
}

const loopwatch_t *node_watch(const node_t *n)
{
    return &n->watch;
}

uint64_t node_uptime_s(const node_t *n)
{
    return (node_now_ms() - n->started_ms) / 1000;
}

const chain_t *node_chain(const node_t *n)
{
    return n->chain;
}

const mempool_t *node_mempool(const node_t *n)
{
    return n->mempool;
}

void node_stats(node_t *n, node_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (n->serve)
        serve_counts(n->serve, &out->requests_limited,
                     &out->requests_malformed);
    out->blocks_relayed = n->relay.blocks;
    out->txs_relayed = n->relay.txs;
    out->tx_frames_relayed = n->relay.tx_frames;
    out->txs_known_dropped = n->txs_known_dropped;
    out->mining = mining_active(&n->mining);
    out->threads = mining_threads(&n->mining);
    out->kernel = mining_kernel(&n->mining);
    out->hashrate = mining_hashrate(&n->mining);
}

const seen_t *node_seen(const node_t *n)
{
    return &n->seen;
}

const events_t *node_events(const node_t *n)
{
    return &n->events;
}

/* Scores a peer's misbehaviour; a ban goes to the event log. */
static bool misbehaving(node_t *n, uint64_t peer, int points, const char *why)
{
    bool banned = p2p_misbehaving(n->p2p, peer, points, why);
    if (banned)
        events_peer_banned(&n->events, peer, why);
    return banned;
}

bool node_miner_key(const node_t *n, uint8_t key[32])
{
    if (n->cfg.has_miner_key)
        memcpy(key, n->cfg.miner_key, 32);
    return n->cfg.has_miner_key;
}

/* Queues a sync want, unless a test partition cuts the peer off. */
static void want(node_t *n, uint64_t peer, sync_kind_t kind,
                 const uint8_t hash[32], bool once)
{
    if (!testswitch_cut(&n->switches, peer))
        sync_want(&n->sync, peer, kind, hash, once, node_now_ms());
}

int node_partition(node_t *n, const uint64_t *ids, size_t count)
{
    uint64_t healed[TESTSWITCH_MAX_CUT];
    size_t n_healed = 0;
    int rc = testswitch_partition(&n->switches, healed, &n_healed, ids, count);
    if (rc)
        return rc;
    for (size_t i = 0; i < count; i++)
        sync_forget(&n->sync, ids[i]);
    /* Healing: the gossip dropped meanwhile is lost, so the main loop
     * catches up with the peers let back in at its next turns, rather than
     * at the next tip poll, seconds away. */
    for (size_t i = 0; i < n_healed; i++) {
        want(n, healed[i], SYNC_TIP, NULL, false);
        want(n, healed[i], SYNC_MEMPOOL, NULL, false);
    }
    return 0;
}

int node_stall(node_t *n, uint64_t ms)
{
    return testswitch_stall(&n->switches, ms);
}

bool node_test_switches(const node_t *n)
{
    return testswitch_enabled(&n->switches);
}

/* ---- chain callbacks ----------------------------------------------------- */

static void on_connected(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    mempool_block_connected(n->mempool, &cn->block, chain_state(n->chain));
}

static void on_disconnected(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    mempool_block_disconnected(n->mempool, &cn->block, chain_state(n->chain));
    if (!n->loading)
        relay_note_returned(&n->relay, &cn->block);
    events_on_disconnected(&n->events, cn);
}

/* A discarded side branch's transfer that the best chain lacks goes back to
 * the mempool and, when taken, out to peers that may never have seen it. */
static void on_discarded(void *ctx, const tx_t *tx)
{
    node_t *n = ctx;
    if (mempool_add(n->mempool, NULL, chain_state(n->chain), tx) == 0 &&
        !n->loading) {
        uint8_t txid[32];
        tx_compute_txid(txid, tx);
        relay_tx(&n->relay, tx, txid);
        mining_mempool_changed(&n->mining);
        events_on_tx_returned(&n->events);
    }
}

static void on_tip(void *ctx, const chain_node_t *tip)
{
    node_t *n = ctx;
    if (mempool_in_reorg(n->mempool))
        mempool_revalidate(n->mempool, chain_state(n->chain));
    events_on_tip(&n->events, tip, relay_returned(&n->relay, n->mempool));
    mining_tip_changed(&n->mining);
    if (!n->loading)
        persist_tip_changed(n->store, tip);
}

static int on_added(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    if (n->loading)
        return 0;
    int rc = persist_block_added(n->store, cn);
    if (rc == 0)
        events_on_added(&n->events, cn, chain_tip(n->chain));
    return rc;
}

static void on_removed(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    if (!n->loading)
        persist_block_removed(n->store, cn);
    events_on_removed(&n->events, cn);
}

/* ---- blocks and transactions --------------------------------------------- */

/*
 * Offers a block to the chain. Where it came from decides the rest:
 *   peer 0           made here: relayed (serialised) when accepted;
 *   peer, gossip     a peer's NEW_BLOCK: judged stale-fork or not first,
 *                    relayed as the frame it came in, and an orphan queues
 *                    a fetch from that peer;
 *   peer, no gossip  fetched by sync: not relayed, and an orphan starts
 *                    nothing (the exchange under way goes on).
 * A consensus refusal is counted and scores the peer.
 */
static int accept_block(node_t *n, const char **reason, const block_t *b,
                        uint64_t peer, const p2p_msg_t *gossip)
{
    const char *why = NULL;
    if (gossip && chain_is_stale_fork(n->chain, &b->header)) {
        /* Gossip only: blocks fetched by sync may build a heavier branch
         * from however deep a fork point. */
        why = "stale-fork";
        seen_tally(&n->seen.blocks, why);
        events_block_refused(&n->events, EVENT_BLOCK_REFUSED, n->chain, b, why,
                             peer);
        misbehaving(n, peer, SCORE_STALE_FORK, why);
        if (reason)
            *reason = why;
        return ERR_INVALID;
    }
    events_call_begin(&n->events, peer, !peer && !gossip);
    int rc = chain_add_block(n->chain, &why, b);
    events_call_end(&n->events);
    if (reason)
        *reason = why;
    uint8_t hash[32];
    block_compute_hash(hash, &b->header);
    if (rc == 0) {
        seen_block_accepted(&n->seen, hash);
        if (gossip)
            relay_block_frame(&n->relay, gossip->data, gossip->len);
        else if (!peer)
            relay_block(&n->relay, b);
    } else if (rc == ERR_ORPHAN) {
        seen_tally(&n->seen.blocks, "orphan");
        events_block_refused(&n->events, EVENT_BLOCK_ORPHAN, n->chain, b,
                             "orphan", peer);
        if (gossip && peer)
            want(n, peer, SYNC_BLOCKS, hash, false);
    } else if (rc == ERR_INVALID) {
        seen_tally(&n->seen.blocks, why);
        events_block_refused(&n->events, EVENT_BLOCK_REFUSED, n->chain, b, why,
                             peer);
        char hex[65];
        hex_from_hash(hex, hash);
        log_info("node", "refused block %.16s... from %s: %s", hex,
                 peer ? "a peer" : "local", why ? why : "?");
        if (peer && why && strcmp(why, "time-too-new") != 0)
            misbehaving(n, peer, SCORE_BAD_BLOCK, why);
    }
    return rc;
}

int node_accept_tx(node_t *n, const char **reason, const tx_t *tx,
                   const uint8_t txid[32], uint64_t peer)
{
    const char *why = NULL;
    int rc = mempool_add(n->mempool, &why, chain_state(n->chain), tx);
    if (reason)
        *reason = why;
    if (rc == ERR_DUPLICATE)
        return rc;
    uint8_t id[32];
    if (!txid) {
        tx_compute_txid(id, tx);
        txid = id;
    }
    if (rc == 0) {
        relay_tx(&n->relay, tx, txid);
        mining_mempool_changed(&n->mining);
        return 0;
    }
    seen_tx_refused(&n->seen, txid, why);
    events_tx_refused(&n->events, txid, why, peer);
    if (peer && why &&
        (strcmp(why, "bad-txns-sig") == 0 ||
         strcmp(why, "bad-txns-unsigned") == 0 ||
         strcmp(why, "mempool-coinbase") == 0))
        misbehaving(n, peer, SCORE_BAD_TX, why);
    return rc;
}

void node_flush_relay(node_t *n)
{
    relay_flush(&n->relay);
}

int node_generate_block(node_t *n, const char **reason, uint8_t hash[32],
                        const uint8_t miner[32])
{
    block_t b;
    int rc = mining_template(&b, n->chain, n->mempool, miner, 0);
    if (rc)
        return rc;
    rc = template_solve(&b);
    if (rc == 0) {
        block_compute_hash(hash, &b.header);
        rc = accept_block(n, reason, &b, 0, NULL);
    }
    block_deinit(&b);
    return rc;
}

/* What sync fetched: blocks as fetched blocks, transactions as gossip
 * would bring them (those already pending cost a lookup). */
static int sync_block(void *ctx, const block_t *b, uint64_t peer)
{
    return accept_block(ctx, NULL, b, peer, NULL);
}

static int sync_tx(void *ctx, const tx_t *tx, const uint8_t txid[32],
                   uint64_t peer)
{
    node_t *n = ctx;
    if (mempool_has(n->mempool, txid))
        return ERR_DUPLICATE;
    return node_accept_tx(n, NULL, tx, txid, peer);
}

/* The pool's solutions, as blocks. */
static void take_solutions(node_t *n)
{
    for (int i = 0; i < NODE_BATCH; i++) {
        block_t b;
        if (mining_next_block(&n->mining, &b, n->chain) != 0)
            return;
        uint8_t hash[32];
        block_compute_hash(hash, &b.header);
        const char *why = NULL;
        int rc = accept_block(n, &why, &b, 0, NULL);
        block_deinit(&b);
        if (rc == 0) {
            char hex[65];
            hex_from_hash(hex, hash);
            log_info("node", "mined block %u %s", chain_height(n->chain), hex);
        } else if (rc != ERR_DUPLICATE) {
            log_warn("node", "our own block was refused: %s", why ? why : "?");
        }
        /* Workers leave the solved job at once. */
        if (!n->catching_up)
            mining_refresh(&n->mining, n->chain, n->mempool, node_now_ms(),
                           false);
    }
}

/* ---- gossip -------------------------------------------------------------- */

/* A peer's batch of transactions, or the tracker's (peer 0: relayed
 * submissions, never scored). One we already hold costs a lookup of
 * its claimed txid, before any parsing or hashing: that is what makes a
 * full mesh, where every transaction arrives from every peer, cheap. A new
 * one is parsed and its txid checked against the claim (a wrong claim is
 * the sender's fault, and it could have made the lookup skip something). */
static void on_new_txs(node_t *n, const wire_msg_t *m, uint64_t peer)
{
    for (size_t i = 0; i < m->u.txs.count; i++) {
        const wire_txitem_t *it = &m->u.txs.items[i];
        if (mempool_has(n->mempool, it->txid)) {
            n->txs_known_dropped++;
            continue;
        }
        tx_t tx;
        uint8_t txid[32];
        const char *fault = NULL;
        if (tx_parse_bytes(&tx, it->tx.data, it->tx.len) != 0) {
            seen_tally(&n->seen.txs, "malformed");
            events_tx_refused(&n->events, NULL, "malformed", peer);
            fault = "malformed transaction";
        } else {
            tx_compute_txid(txid, &tx);
            if (memcmp(txid, it->txid, 32) != 0) {
                seen_tally(&n->seen.txs, "bad-txid");
                events_tx_refused(&n->events, it->txid, "bad-txid", peer);
                fault = "transaction under a wrong txid";
            }
        }
        if (!fault)
            node_accept_tx(n, NULL, &tx, txid, peer);
        else if (peer && misbehaving(n, peer, SCORE_BAD_TX, fault))
            return; /* banned: the rest of its batch is not worth a look */
    }
}

/* A message from the inbox, decoded once by p2p. */
static void on_message(node_t *n, const p2p_msg_t *pm)
{
    uint64_t peer = pm->peer_id;
    if (pm->source == P2P_FROM_REPLY) {
        loopwatch_at(&n->watch, "sync: a peer's reply");
        sync_reply(&n->sync, n->chain, pm, node_now_ms());
        return;
    }
    if (testswitch_cut(&n->switches, peer))
        return; /* a test partition cuts this peer off */
    const wire_msg_t *m = &pm->msg;
    switch (pm->type) {
    case WIRE_NEW_BLOCK: {
        loopwatch_at(&n->watch, "inbox: block from peer");
        block_t b;
        if (block_parse(&b, m->u.blob.data, m->u.blob.len) != 0) {
            seen_tally(&n->seen.blocks, "malformed");
            events_block_refused(&n->events, EVENT_BLOCK_REFUSED, n->chain,
                                 NULL, "malformed", peer);
            misbehaving(n, peer, SCORE_BAD_BLOCK, "malformed block");
            break;
        }
        accept_block(n, NULL, &b, peer, pm);
        block_deinit(&b);
        break;
    }
    case WIRE_NEW_TX:
    case WIRE_TX: {
        loopwatch_at(&n->watch, "inbox: transaction");
        tx_t tx;
        if (tx_parse_bytes(&tx, m->u.blob.data, m->u.blob.len) != 0) {
            seen_tally(&n->seen.txs, "malformed");
            events_tx_refused(&n->events, NULL, "malformed", peer);
            misbehaving(n, peer, SCORE_BAD_TX, "malformed transaction");
            break;
        }
        node_accept_tx(n, NULL, &tx, NULL, peer);
        break;
    }
    case WIRE_NEW_TXS:
        loopwatch_at(&n->watch, "inbox: transactions");
        on_new_txs(n, m, peer);
        break;
    case WIRE_PEER_JOINED:
        loopwatch_at(&n->watch, "inbox: peer joined");
        if (m->u.peer.id != p2p_node_id(n->p2p))
            want(n, m->u.peer.id, SYNC_TIP, NULL, false);
        break;
    default:
        break;
    }
}

/* Handles what the inbox holds, first waiting up to wait_ms (with the
 * node lock released) for something to arrive. */
static void drain_inbox(node_t *n, int wait_ms)
{
    uint64_t until = UINT64_MAX;
    for (int i = 0; i < NODE_BATCH; i++) {
        /* A NEW_TXS frame may hold hundreds of signatures to check: end
         * the turn after NODE_TURN_MS of work, so that the miner's
         * solutions and new jobs never wait long behind them. */
        if (node_now_ms() >= until)
            return;
        p2p_msg_t pm;
        int rc;
        if (i == 0 && wait_ms) {
            /* A turn ends where the loop goes idle (loopwatch.h). */
            loopwatch_turn(&n->watch, node_now_ms());
            loopwatch_at(&n->watch, "inbox: waiting");
            pthread_mutex_unlock(&n->lock);
            rc = p2p_receive_data(n->p2p, &pm, wait_ms);
            loopwatch_at(&n->watch, "inbox: taking the node lock");
            pthread_mutex_lock(&n->lock);
        } else {
            rc = p2p_receive_data(n->p2p, &pm, 0);
        }
        if (rc != 0)
            return;
        if (i == 0)
            until = node_now_ms() + NODE_TURN_MS;
        on_message(n, &pm);
        p2p_msg_clear(&pm);
    }
}

/* Wants the tip of the next peer in turn. */
static void poll_next_peer(node_t *n)
{
    p2p_peer_info_t peers[P2P_MAX_PEERS];
    size_t count = p2p_peers(n->p2p, peers, P2P_MAX_PEERS);
    if (count > P2P_MAX_PEERS)
        count = P2P_MAX_PEERS;
    for (size_t tries = 0; tries < count; tries++) {
        p2p_peer_info_t *p = &peers[n->poll_cursor++ % count];
        if (p->banned || testswitch_cut(&n->switches, p->peer.id))
            continue;
        want(n, p->peer.id, SYNC_TIP, NULL, false);
        return;
    }
}

static void status_line(node_t *n)
{
    const chain_node_t *tip = chain_tip(n->chain);
    char hex[65];
    hex_from_hash(hex, tip->hash);
    log_info("node",
             "height %u tip %.16s... peers %zu hashrate %.2f MH/s "
             "mempool %zu refused blocks %llu",
             tip->height, hex, p2p_peers(n->p2p, NULL, 0),
             mining_hashrate(&n->mining) / 1e6, mempool_count(n->mempool),
             (unsigned long long)seen_total(&n->seen.blocks));
}

/* One turn of the main loop (the wait for the inbox begins it). */
static void turn(node_t *n, volatile sig_atomic_t *stop)
{
    if (testswitch_stall_pending(&n->switches)) {
        loopwatch_at(&n->watch, "test: stalled (rpc stall)");
        testswitch_stall_now(&n->switches, stop); /* the lock held */
    }
    drain_inbox(n, NODE_POLL_MS);
    loopwatch_at(&n->watch, "relay: transactions");
    relay_flush(&n->relay);
    loopwatch_at(&n->watch, "mining: solutions");
    take_solutions(n);
    uint64_t now = node_now_ms();
    if (n->catching_up &&
        (sync_settled(&n->sync, now) || sync_caught_up(&n->sync, now) ||
         now >= n->catch_up_until_ms)) {
        /* Caught up with everyone we knew at the start that answers (or
         * given up waiting): mining no longer risks an old tip. */
        n->catching_up = false;
        log_info("node", "start: caught up with peers in %llu ms%s",
                 (unsigned long long)(now - n->started_ms),
                 now >= n->catch_up_until_ms ? " (gave up waiting)" : "");
        loopwatch_at(&n->watch, "mining: first job");
        mining_refresh(&n->mining, n->chain, n->mempool, now, true);
    } else if (!n->catching_up) {
        loopwatch_at(&n->watch, "mining: new job");
        mining_refresh(&n->mining, n->chain, n->mempool, now, false);
    }
    if (now >= n->next_poll_ms) {
        loopwatch_at(&n->watch, "sync: a peer's tip");
        poll_next_peer(n);
        n->next_poll_ms = now + NODE_TIP_POLL_MS;
    }
    loopwatch_at(&n->watch, "sync: the next request");
    sync_turn(&n->sync, n->chain, now);
    if (now >= n->next_status_ms) {
        loopwatch_at(&n->watch, "status");
        status_line(n);
        n->next_status_ms = now + 1000 * n->cfg.status_interval_s;
    }
}

/* ---- lifecycle ----------------------------------------------------------- */

/* Opens the store and replays it into a new chain. */
static int load_chain(node_t *n, const char **reason)
{
    int rc = persist_open(&n->store, reason, n->cfg.data_dir, n->params);
    if (rc)
        return rc;
    chain_config_t cc = {
        .params = n->params,
        .callbacks = {.ctx = n,
                      .block_connected = on_connected,
                      .block_disconnected = on_disconnected,
                      .tx_discarded = on_discarded,
                      .tip_changed = on_tip,
                      .block_added = on_added,
                      .block_removed = on_removed},
    };
    n->chain = chain_new(&cc);
    if (!n->chain) {
        *reason = "out of memory";
        return ERR_NOMEM;
    }
    n->loading = true;
    size_t loaded = 0, refused = 0;
    rc = persist_load(n->chain, n->store, &loaded, &refused);
    n->loading = false;
    if (rc) {
        *reason = "could not read the block store";
        return rc;
    }
    log_info("node", "%s: loaded %zu blocks from %s, height %u%s",
             n->params->name, loaded, n->cfg.data_dir, chain_height(n->chain),
             refused ? " (some stored blocks were refused)" : "");
    return 0;
}

/* Binds the request and gossip endpoints. */
static int open_network(node_t *n, const char **reason)
{
    const node_config_t *cfg = &n->cfg;
    const char *adv = strcmp(cfg->listen_host, "0.0.0.0") == 0
                          ? "127.0.0.1"
                          : cfg->listen_host;
    char endpoint[SOCK_ENDPOINT_MAX];
    p2p_config_t pc;
    p2p_config_init(&pc, n->params->network_id);
    if (sock_endpoint(endpoint, sizeof endpoint, cfg->listen_host, cfg->port) !=
            0 ||
        sock_endpoint(pc.gossip_bind, sizeof pc.gossip_bind, cfg->listen_host,
                      cfg->gossip_port) != 0 ||
        sock_endpoint(pc.request_advertise, sizeof pc.request_advertise, adv,
                      cfg->port) != 0 ||
        strlen(cfg->tracker) >= sizeof pc.tracker) {
        *reason = "an endpoint is too long";
        return ERR_ARG;
    }
    memcpy(pc.tracker, cfg->tracker, strlen(cfg->tracker) + 1);
    /* A silent peer holds up its own exchange (and one ask worker) for
     * about two seconds, then is backed off (p2p.h). */
    pc.request_timeout_ms = 1000;
    pc.request_retries = 1;
    n->serve = serve_new(n, endpoint);
    if (!n->serve) {
        *reason = "cannot bind the request port (in use?)";
        return ERR_NET;
    }
    n->p2p = p2p_new(&pc);
    if (!n->p2p) {
        *reason = "cannot bind the gossip port (in use?)";
        return ERR_NET;
    }
    return 0;
}

node_t *node_new(const node_config_t *cfg, const char **reason)
{
    node_t *n = calloc(1, sizeof *n);
    if (!n) {
        *reason = "out of memory";
        return NULL;
    }
    n->cfg = *cfg;
    n->params = cfg->params;
    if (!n->cfg.status_interval_s)
        n->cfg.status_interval_s = 5;
    if (!n->cfg.gossip_port)
        n->cfg.gossip_port = (uint16_t)(cfg->port + 1);
    n->started_ms = node_now_ms();
    loopwatch_init(&n->watch, n->started_ms, "start: loading the chain");
    pthread_mutex_init(&n->lock, NULL);
    testswitch_init(&n->switches, n->params);
    n->mempool = mempool_new(n->params->network_id, NODE_MEMPOOL_MAX);
    if (seen_init(&n->seen) != 0 || events_init(&n->events) != 0 ||
        !n->mempool) {
        *reason = "out of memory";
        node_free(&n);
        return NULL;
    }
    if (load_chain(n, reason) != 0 || open_network(n, reason) != 0) {
        node_free(&n);
        return NULL;
    }
    relay_init(&n->relay, n->p2p);
    sync_init(&n->sync, n->p2p, (sync_sink_t){n, sync_block, sync_tx});
    if (mining_init(&n->mining, cfg->mine, cfg->threads, cfg->impl,
                    cfg->miner_key) != 0) {
        *reason = "cannot start the miner (unknown --sha-impl, or one "
                  "this CPU lacks?)";
        node_free(&n);
        return NULL;
    }
    if (cfg->mine)
        log_info("node", "mining on %u threads with the %s kernel",
                 mining_threads(&n->mining), mining_kernel(&n->mining));
    return n;
}

/* The start: join through the tracker, then want every known peer's tip
 * and the pending transactions of the first that answers (they were
 * gossiped before we listened). Mining waits for that catch-up. */
static void start(node_t *n)
{
    if (n->cfg.tracker[0]) {
        loopwatch_at(&n->watch, "start: joining the network");
        pthread_mutex_unlock(&n->lock);
        int rc = p2p_join_network(n->p2p);
        pthread_mutex_lock(&n->lock);
        if (rc)
            log_warn("node",
                     "tracker %s did not answer (%s); carrying on and "
                     "retrying in the background",
                     n->cfg.tracker, err_str(rc));
    }
    loopwatch_at(&n->watch, "start: catching up with peers");
    p2p_peer_info_t peers[P2P_MAX_PEERS];
    size_t count = p2p_peers(n->p2p, peers, P2P_MAX_PEERS);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++)
        want(n, peers[i].peer.id, SYNC_TIP, NULL, false);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++)
        want(n, peers[i].peer.id, SYNC_MEMPOOL, NULL, true);
    uint64_t now = node_now_ms();
    n->catching_up = true;
    n->catch_up_until_ms = now + NODE_START_SYNC_MS;
    n->next_status_ms = now + 1000 * n->cfg.status_interval_s;
    n->next_poll_ms = now + NODE_TIP_POLL_MS;
}

int node_run(node_t *n, volatile sig_atomic_t *stop)
{
    if (serve_start(n->serve) != 0) {
        log_error("node", "cannot start the request thread");
        return ERR_NOMEM;
    }
    /* The start counts as the first turn: a start that hangs is as stuck
     * as any turn. */
    if (loopwatch_start(&n->watch, "node") != 0)
        log_warn("node", "cannot start the main loop's watcher");
    pthread_mutex_lock(&n->lock);
    start(n);
    while (!*stop)
        turn(n, stop);
    loopwatch_stop(&n->watch);
    loopwatch_at(&n->watch, "stopped");
    log_info("node", "stopping: leaving the network");
    mining_pause(&n->mining);
    pthread_mutex_unlock(&n->lock);
    serve_stop(n->serve);
    p2p_leave_network(n->p2p);
    return 0;
}

void node_free(node_t **np)
{
    if (!np || !*np)
        return;
    node_t *n = *np;
    mining_deinit(&n->mining);
    serve_free(&n->serve);
    sync_deinit(&n->sync);
    p2p_free(&n->p2p);
    relay_deinit(&n->relay);
    chain_free(&n->chain);
    mempool_free(&n->mempool);
    store_close(&n->store);
    seen_deinit(&n->seen);
    events_deinit(&n->events);
    loopwatch_deinit(&n->watch);
    pthread_mutex_destroy(&n->lock);
    free(n);
    *np = NULL;
}
