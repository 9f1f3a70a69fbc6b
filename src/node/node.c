/*
 * node — lifecycle and main loop (see node.h). The node's state is
 * node_state.h's; the paths by which a block or a transaction enters the
 * node are node_accept.c's, and what the node's parts see of it (node_impl.h)
 * node_access.c's.
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
 * The main loop holds the lock except while it waits for the inbox, and
 * that is the only place it waits: it never waits on a peer. The wait is
 * event-driven: it ends when a message arrives, when the miner's pool
 * queues a solution (mining_set_notify), when another thread leaves the
 * node lock (node_unlock: a query may have queued a sync want, a
 * transaction or a test stall), or at the loop's next timer (tip poll,
 * status line, the start's catch-up, a changed mempool's job, sync's next
 * want or reply deadline), so an idle node sleeps instead of polling. A request
 * to a peer goes out through p2p_ask() and its answer comes back through the
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
#include "memory.h"
#include "mining.h"
#include "node_impl.h"
#include "node_state.h"
#include "persist.h"
#include "relay.h"
#include "score.h"
#include "serve.h"
#include "stratum_server.h"
#include "sync.h"
#include "testswitch.h"
#include "trackerkey.h"
#include "wire.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t node_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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
        else if (peer && node_misbehaving(n, peer, SCORE_BAD_TX, fault))
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
            node_misbehaving(n, peer, SCORE_BAD_BLOCK, "malformed block");
            break;
        }
        node_accept_block(n, NULL, &b, peer, pm);
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
            node_misbehaving(n, peer, SCORE_BAD_TX, "malformed transaction");
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
            node_want(n, m->u.peer.id, SYNC_TIP, NULL, false);
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
        if (i == 0) {
            /* A turn ends where the loop goes idle and the next begins
             * where it wakes (loopwatch.h). */
            loopwatch_idle(&n->watch, node_now_ms());
            loopwatch_at(&n->watch, "inbox: waiting");
            pthread_mutex_unlock(&n->lock);
            rc = p2p_receive_data(n->p2p, &pm, wait_ms);
            loopwatch_turn(&n->watch, node_now_ms());
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
        node_want(n, p->peer.id, SYNC_TIP, NULL, false);
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
    /* A miner with no peers extends a chain nobody else sees: the blocks
     * it finds are lost when it joins a network. Said at every status line
     * until a peer comes, not once, so it cannot scroll by unnoticed. */
    if (n->cfg.mine && p2p_peers(n->p2p, NULL, 0) == 0)
        log_warn("node",
                 "MINING ALONE: 0 peers, so these blocks are on a private "
                 "chain; tracker %s (start one, or pass --tracker "
                 "tcp://HOST:PORT)",
                 n->cfg.tracker[0] ? n->cfg.tracker : "none");
}

/* How long the main loop may wait for its inbox: until its next timer,
 * at most NODE_IDLE_MAX_MS. */
static int wait_ms(node_t *n, uint64_t now)
{
    uint64_t due = now + NODE_IDLE_MAX_MS;
    uint64_t timers[] = {
        n->next_poll_ms,
        n->next_status_ms,
        n->catching_up ? n->catch_up_until_ms : UINT64_MAX,
        /* While catching up the miner has no job to refresh. */
        n->catching_up ? UINT64_MAX : mining_due_ms(&n->mining),
        sync_due_ms(&n->sync, now),
    };
    for (size_t i = 0; i < sizeof timers / sizeof *timers; i++)
        if (timers[i] < due)
            due = timers[i];
    if (testswitch_stall_pending(&n->switches) || due <= now)
        return 0;
    return (int)(due - now);
}

/* One turn of the main loop (the wait for the inbox begins it). */
static void turn(node_t *n, volatile sig_atomic_t *stop)
{
    if (testswitch_stall_pending(&n->switches)) {
        loopwatch_at(&n->watch, "test: stalled (rpc stall)");
        testswitch_stall_now(&n->switches, stop); /* the lock held */
    }
    drain_inbox(n, wait_ms(n, node_now_ms()));
    loopwatch_at(&n->watch, "relay: transactions");
    relay_flush(&n->relay);
    loopwatch_at(&n->watch, "mining: solutions");
    node_take_solutions(n);
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
    if (n->stratum && !n->catching_up) {
        loopwatch_at(&n->watch, "stratum: new job");
        stratum_server_refresh(n->stratum, n->chain, n->mempool, now, false);
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
    if (now >= n->next_trim_ms) {
        /* What the node freed goes back to the system (memory.h). */
        loopwatch_at(&n->watch, "memory: trim");
        memory_trim();
        n->next_trim_ms = now + MEMORY_TRIM_INTERVAL_MS;
    }
}

/* The pool's solution callback (a worker thread, the pool's lock held). */
static void wake_main_loop(void *ctx)
{
    node_t *n = ctx;
    p2p_wake(n->p2p);
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
        .callbacks = node_chain_callbacks(n),
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
    char keyed[SOCK_ENDPOINT_MAX];
    if (sock_endpoint(endpoint, sizeof endpoint, cfg->listen_host, cfg->port) !=
            0 ||
        sock_endpoint(keyed, sizeof keyed, cfg->listen_host, cfg->keyed_port) !=
            0 ||
        sock_endpoint(pc.gossip_bind, sizeof pc.gossip_bind, cfg->listen_host,
                      cfg->gossip_port) != 0 ||
        sock_endpoint(pc.request_advertise, sizeof pc.request_advertise, adv,
                      cfg->keyed_port) != 0 ||
        strlen(cfg->tracker) >= sizeof pc.tracker ||
        snprintf(pc.known_trackers, sizeof pc.known_trackers, "%s/%s",
                 cfg->data_dir,
                 TRACKERKEY_FILE) >= (int)sizeof pc.known_trackers) {
        *reason = "an endpoint is too long";
        return ERR_ARG;
    }
    memcpy(pc.tracker, cfg->tracker, strlen(cfg->tracker) + 1);
    memcpy(pc.tracker_key, cfg->tracker_key, sizeof pc.tracker_key);
    pc.key = n->cfg.key;
    /* A silent peer holds up its own exchange (and one ask worker) for
     * about two seconds, then is backed off (p2p.h). */
    pc.request_timeout_ms = 1000;
    pc.request_retries = 1;
    n->serve = serve_new(n, endpoint, keyed, &n->cfg.key);
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
    if (!n->cfg.keyed_port)
        n->cfg.keyed_port = (uint16_t)(cfg->port + 2);
    if (identity_key_is_zero(n->cfg.key.pub) &&
        identity_generate(&n->cfg.key) != 0) {
        *reason = "cannot make a key pair";
        free(n);
        return NULL;
    }
    n->started_ms = node_now_ms();
    loopwatch_init(&n->watch, n->started_ms, "start: loading the chain");
    pthread_mutex_init(&n->lock, NULL);
    testswitch_init(&n->switches, n->params);
    n->mempool = mempool_new(n->params->network_id, NODE_MEMPOOL_MAX);
    n->addrindex = addrindex_new();
    if (seen_init(&n->seen) != 0 || events_init(&n->events) != 0 ||
        !n->mempool || !n->addrindex) {
        *reason = "out of memory";
        node_free(&n);
        return NULL;
    }
    if (load_chain(n, reason) != 0 || open_network(n, reason) != 0) {
        node_free(&n);
        return NULL;
    }
    relay_init(&n->relay, n->p2p);
    sync_init(&n->sync, n->p2p,
              (sync_sink_t){n, node_sync_block, node_sync_tx});
    if (mining_init(&n->mining, cfg->mine, cfg->threads, cfg->impl,
                    cfg->miner_key) != 0) {
        *reason = "cannot start the miner (unknown --sha-impl, or one "
                  "this CPU lacks?)";
        node_free(&n);
        return NULL;
    }
    mining_set_notify(&n->mining, wake_main_loop, n);
    if (cfg->mine)
        log_info("node", "mining on %u threads with the %s kernel",
                 mining_threads(&n->mining), mining_kernel(&n->mining));
    if (cfg->stratum_port) {
        stratum_config_t sc = {.params = n->params, .port = cfg->stratum_port};
        snprintf(sc.host, sizeof sc.host, "%s", cfg->stratum_host);
        n->stratum = stratum_server_new(&sc, reason);
        if (!n->stratum) {
            node_free(&n);
            return NULL;
        }
    }
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
                     "tracker %s %s (%s); carrying on and retrying in the "
                     "background",
                     n->cfg.tracker,
                     rc == ERR_FULL ? "refused us" : "did not answer",
                     err_str(rc));
    }
    loopwatch_at(&n->watch, "start: catching up with peers");
    p2p_peer_info_t peers[P2P_MAX_PEERS];
    size_t count = p2p_peers(n->p2p, peers, P2P_MAX_PEERS);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++)
        node_want(n, peers[i].peer.id, SYNC_TIP, NULL, false);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++)
        node_want(n, peers[i].peer.id, SYNC_MEMPOOL, NULL, true);
    uint64_t now = node_now_ms();
    n->catching_up = true;
    n->catch_up_until_ms = now + NODE_START_SYNC_MS;
    n->next_status_ms = now + 1000 * n->cfg.status_interval_s;
    n->next_trim_ms = now + MEMORY_TRIM_INTERVAL_MS;
    n->next_poll_ms = now + NODE_TIP_POLL_MS;
}

int node_run(node_t *n, volatile sig_atomic_t *stop)
{
    if (serve_start(n->serve) != 0 ||
        (n->stratum && stratum_server_start(n->stratum) != 0)) {
        log_error("node", "cannot start the request or Stratum thread");
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
    stratum_server_free(&n->stratum);
    serve_free(&n->serve);
    sync_deinit(&n->sync);
    p2p_free(&n->p2p);
    relay_deinit(&n->relay);
    chain_free(&n->chain);
    mempool_free(&n->mempool);
    addrindex_free(&n->addrindex);
    store_close(&n->store);
    seen_deinit(&n->seen);
    events_deinit(&n->events);
    loopwatch_deinit(&n->watch);
    pthread_mutex_destroy(&n->lock);
    free(n);
    *np = NULL;
}
