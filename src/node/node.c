/*
 * node — lifecycle, main loop, gossip, requests and mining (see node.h).
 *
 * Two threads share the chain, mempool and store under one lock (n->lock):
 *
 *   main loop       each turn drains the p2p inbox (NEW_BLOCK, NEW_TXS,
 *                   NEW_TX, the tracker's NEW_TXS and TX, PEER_JOINED),
 *                   publishes the transactions it accepted as one NEW_TXS
 *                   frame (see "Transaction relay"), takes the pool's
 *                   solutions and submits them as blocks, gives the pool a
 *                   new job when the tip changed (at once) or the mempool
 *                   changed (at most every NODE_JOB_REFRESH_MS), now and
 *                   then asks a peer for its tip, and prints a status line.
 *   request thread  owns the ROUTER socket and answers peers' sync requests
 *                   and the cli's and wallets' queries.
 *   watcher         looks at the main loop's turn record (loopwatch.h)
 *                   and logs an error when a turn runs for more than
 *                   LOOPWATCH_STUCK_MS; it never takes the lock.
 *
 * The main loop holds the lock except while it waits: for the inbox (a
 * couple of milliseconds at a time, so gossip waits at most that long) and
 * for a peer's answer during a sync (sync.c). So a node that is waiting on a
 * peer still answers that peer, and two nodes syncing from each other never
 * wait on each other.
 *
 * A stuck main loop is visible from outside. Each turn notes when it began
 * and which phase it is in ("inbox: block from peer", "mining: solutions",
 * "sync: waiting for a peer", ...) in n->watch, which any thread reads
 * without the lock. A JSON query is parsed and answered on the request
 * thread with the lock held for the answer alone (node_query); `status`
 * waits for the lock at most NODE_STATUS_WAIT_MS and otherwise answers what
 * it can read without it -- the main loop's record, uptime, peers -- marked
 * "busy", so a loop that spins with the lock held (no gossip, no mining, no
 * other answer) is told apart from a node that is merely gone. Every
 * other request waits for the lock at most NODE_LOCK_WAIT_MS and is then
 * refused as busy (ERR_FULL, saying how long the loop has not turned and
 * where): the request thread serves one request at a time, so one that
 * waited for ever would hold up every status behind it. A turn ends where
 * the loop goes idle, at its wait for the inbox, so an idle loop shows a
 * turn of a couple of milliseconds.
 *
 * Transaction relay: every transaction this node accepts -- from a peer, the
 * tracker, the cli or a wallet -- joins relay_batch (txbatch.h), which goes
 * out as one NEW_TXS frame when it holds WIRE_MAX_TX_BATCH or at the end of
 * the main loop's turn, so frames carry one transaction when the network is
 * quiet and hundreds when it is busy. A NEW_TXS item whose txid the mempool
 * holds is dropped after that lookup alone: in a full mesh a node receives
 * each transaction from every peer, and only the first copy is parsed,
 * hashed and checked. The request thread takes SUBMIT_TXS batches and
 * admits them one transaction per lock turn. Gossip may still miss a node,
 * so a node asks a peer for its mempool when it starts and when a test
 * partition heals (sync.h).
 *
 * Misbehaviour scoring: a block refused by a consensus rule costs its sender
 * NODE_BAD_BLOCK_POINTS (a ban at p2p's threshold); a block refused for a
 * reason that can change (time-too-new) or that is merely an orphan costs
 * nothing. A gossiped block on a branch already stale on arrival
 * (chain_is_stale_fork) is refused as "stale-fork" and costs a little: it
 * may carry valid work, and an honest node that was cut off could send one
 * before it catches up. Transactions with bad signatures cost a little, as
 * does a NEW_TXS item that does not parse or is not what its txid claims;
 * nonce and funds refusals cost nothing, because honest races produce them.
 * Every refusal, orphans included, is counted by reason (rpc status).
 *
 * Request flood control: the request thread gives each client connection a
 * token bucket (NODE_REQ_RATE a second, NODE_REQ_BURST at once) for the
 * peer protocol's requests and for frames it cannot decode; a request over
 * the budget is answered "rate-limited" without taking the node lock, so a
 * flood costs the main loop nothing and honest peers (ZeroMQ's ROUTER
 * serves connections in turn) still get their answers. Queries and
 * submitted transactions (SUBMIT_TX, SUBMIT_TXS: the cli and wallets) are
 * not limited here.
 */
#include "node.h"
#include "err.h"
#include "hex.h"
#include "log.h"
#include "node_impl.h"
#include "persist.h"
#include "rpc.h"
#include "sync.h"
#include "template.h"
#include "wire.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define NODE_POLL_MS 2
/* How often the request thread checks for stop. */
#define NODE_SERVE_WAIT_MS 50
#define NODE_JOB_REFRESH_MS 250
#define NODE_TIP_POLL_MS 3000
#define NODE_BAD_BLOCK_POINTS 25
#define NODE_BAD_TX_POINTS 5
#define NODE_MEMPOOL_MAX 50000
#define NODE_BATCH 64   /* messages of one kind handled per turn */
#define NODE_TURN_MS 20 /* ... or fewer, once the turn has taken this long */
#define NODE_STALE_FORK_POINTS 10
#define NODE_REQ_RATE 500       /* requests a second per connection ... */
#define NODE_REQ_BURST 1000     /* ... after a burst of this many */
#define NODE_REQ_SLOTS 64       /* connections tracked (least recent evicted) */
#define NODE_STATUS_WAIT_MS 250 /* `status` waits this long for the lock */
#define NODE_LOCK_WAIT_MS 1000  /* any other request this long, then "busy" */

uint64_t node_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void node_tally(node_tally_t *t, const char *reason)
{
    if (!reason)
        reason = "unknown";
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->reason[i], reason) == 0) {
            t->count[i]++;
            return;
        }
    }
    if (t->n < NODE_MAX_REASONS) {
        t->reason[t->n] = reason;
        t->count[t->n++] = 1;
    }
}

bool node_peer_blocked(const node_t *n, uint64_t peer)
{
    for (size_t i = 0; peer && i < n->n_blocked; i++)
        if (n->blocked[i] == peer)
            return true;
    return false;
}

uint64_t node_block_received_us(const node_t *n, const uint8_t hash[32])
{
    return n->received ? (uint64_t)(uintptr_t)hashmap_get(n->received, hash)
                       : 0;
}

/* Notes when a block was accepted, for `getblock` (propagation latency). */
static void note_received(node_t *n, const block_t *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    if (n->received && hashmap_count(n->received) >= NODE_MAX_RECEIVED)
        hashmap_free(&n->received);
    if (!n->received)
        n->received = hashmap_new();
    uint8_t hash[32];
    block_compute_hash(hash, &b->header);
    if (n->received)
        hashmap_put(n->received, hash, (void *)(uintptr_t)us);
}

/* ---- chain callbacks ----------------------------------------------------- */

static void on_connected(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    mempool_block_connected(n->mempool, &cn->block, chain_state(n->chain));
}

static void relay_tx(node_t *n, const tx_t *tx, const uint8_t txid[32]);

static void on_disconnected(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    mempool_block_disconnected(n->mempool, &cn->block, chain_state(n->chain));
    if (n->loading)
        return;
    for (size_t i = 1; i < cn->block.tx_count; i++) {
        if (!n->returned) {
            n->returned = malloc(NODE_MAX_RETURNED * sizeof *n->returned);
            if (!n->returned)
                return;
        }
        if (n->n_returned == NODE_MAX_RETURNED)
            return; /* a deeper reorg: the rest wait for GET_MEMPOOL */
        tx_compute_txid(n->returned[n->n_returned++], &cn->block.txs[i]);
    }
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
        relay_tx(n, tx, txid);
        n->job_dirty = true;
    }
}

/* Relays the transfers a reorg returned that are still pending once the
 * mempool has settled on the new tip. */
static void relay_returned(node_t *n)
{
    for (size_t i = 0; i < n->n_returned; i++) {
        const tx_t *tx = mempool_get(n->mempool, n->returned[i]);
        if (tx)
            relay_tx(n, tx, n->returned[i]);
    }
    n->n_returned = 0;
}

static void on_tip(void *ctx, const chain_node_t *tip)
{
    node_t *n = ctx;
    if (mempool_in_reorg(n->mempool))
        mempool_revalidate(n->mempool, chain_state(n->chain));
    relay_returned(n);
    n->job_urgent = true;
    if (!n->loading)
        persist_tip_changed(n->store, tip);
}

static int on_added(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    return n->loading ? 0 : persist_block_added(n->store, cn);
}

static void on_removed(void *ctx, const chain_node_t *cn)
{
    node_t *n = ctx;
    if (!n->loading)
        persist_block_removed(n->store, cn);
}

/* ---- blocks and transactions --------------------------------------------- */

static void relay(node_t *n, uint16_t type, const buf_t *payload)
{
    buf_t frame;
    buf_init(&frame);
    if (wire_encode_blob(&frame, n->params->network_id, type, payload->data,
                         payload->len) != 0 ||
        p2p_broadcast(n->p2p, frame.data, frame.len) != 0)
        log_debug("node", "could not relay a frame");
    buf_deinit(&frame);
}

int node_accept_block(node_t *n, const char **reason, const block_t *b,
                      uint64_t peer, bool do_relay)
{
    const char *why = NULL;
    int rc;
    if (peer && do_relay && chain_is_stale_fork(n->chain, &b->header)) {
        /* Gossip only: blocks fetched by sync may build a heavier branch
         * from however deep a fork point. */
        why = "stale-fork";
        node_tally(&n->refused_blocks, why);
        p2p_misbehaving(n->p2p, peer, NODE_STALE_FORK_POINTS, why);
        if (reason)
            *reason = why;
        return ERR_INVALID;
    }
    rc = chain_add_block(n->chain, &why, b);
    if (reason)
        *reason = why;
    if (rc == 0) {
        note_received(n, b);
        if (do_relay) {
            buf_t raw;
            buf_init(&raw);
            if (block_serialize(&raw, b) == 0) {
                relay(n, WIRE_NEW_BLOCK, &raw);
                n->blocks_relayed++;
            }
            buf_deinit(&raw);
        }
    } else if (rc == ERR_ORPHAN) {
        node_tally(&n->refused_blocks, "orphan");
        if (peer)
            sync_with_peer(n, peer, NULL);
    } else if (rc == ERR_INVALID) {
        node_tally(&n->refused_blocks, why);
        uint8_t hash[32];
        char hex[65];
        block_compute_hash(hash, &b->header);
        hex_from_hash(hex, hash);
        log_info("node", "refused block %.16s... from %s: %s", hex,
                 peer ? "a peer" : "local", why ? why : "?");
        if (peer && why && strcmp(why, "time-too-new") != 0)
            p2p_misbehaving(n->p2p, peer, NODE_BAD_BLOCK_POINTS, why);
    }
    return rc;
}

static void remember_rejected(node_t *n, const tx_t *tx, const char *why)
{
    uint8_t txid[32];
    tx_compute_txid(txid, tx);
    if (hashmap_count(n->rejected) >= NODE_MAX_REJECTED) {
        hashmap_free(&n->rejected);
        n->rejected = hashmap_new();
        if (!n->rejected)
            return;
    }
    hashmap_put(n->rejected, txid, (void *)(why ? why : "rejected"));
}

void node_flush_relay(node_t *n)
{
    if (txbatch_count(&n->relay_batch) == 0)
        return;
    buf_t frame;
    buf_init(&frame);
    if (txbatch_encode(&n->relay_batch, &frame, n->params->network_id) == 0 &&
        p2p_broadcast(n->p2p, frame.data, frame.len) == 0)
        n->tx_frames_relayed++;
    buf_deinit(&frame);
    txbatch_clear(&n->relay_batch);
}

/* Queues an accepted transaction for the next NEW_TXS frame. */
static void relay_tx(node_t *n, const tx_t *tx, const uint8_t txid[32])
{
    buf_t raw;
    buf_init(&raw);
    if (tx_serialize(&raw, tx) == 0) {
        if (txbatch_full(&n->relay_batch))
            node_flush_relay(n);
        if (txbatch_add(&n->relay_batch, txid, raw.data, raw.len) == 0)
            n->txs_relayed++;
    }
    buf_deinit(&raw);
}

int node_accept_tx(node_t *n, const char **reason, const tx_t *tx,
                   const uint8_t txid[32], uint64_t peer)
{
    const char *why = NULL;
    int rc = mempool_add(n->mempool, &why, chain_state(n->chain), tx);
    if (reason)
        *reason = why;
    if (rc == 0) {
        uint8_t id[32];
        if (!txid) {
            tx_compute_txid(id, tx);
            txid = id;
        }
        relay_tx(n, tx, txid);
        n->job_dirty = true;
    } else if (rc != ERR_DUPLICATE) {
        node_tally(&n->refused_txs, why);
        remember_rejected(n, tx, why);
        if (peer && why &&
            (strcmp(why, "bad-txns-sig") == 0 ||
             strcmp(why, "bad-txns-unsigned") == 0 ||
             strcmp(why, "mempool-coinbase") == 0))
            p2p_misbehaving(n->p2p, peer, NODE_BAD_TX_POINTS, why);
    }
    return rc;
}

/* ---- mining -------------------------------------------------------------- */

static void job_release(node_job_t *j)
{
    if (j->live) {
        block_deinit(&j->tpl);
        job_parts_deinit(&j->parts);
    }
    memset(j, 0, sizeof *j);
}

/* Chooses mempool transfers and builds a template on the tip. */
static int build_template(node_t *n, block_t *tpl, const uint8_t miner[32],
                          uint64_t extra_nonce)
{
    size_t room = (BLOCK_MAX_SIZE - BLOCK_HEADER_SIZE - 4 - TX_COINBASE_SIZE);
    size_t max = room / TX_TRANSFER_SIZE;
    tx_t *txs = malloc(max * sizeof *txs);
    if (!txs)
        return ERR_NOMEM;
    size_t count = 0;
    int rc = mempool_select(n->mempool, txs, &count, NULL,
                            chain_state(n->chain), max, room);
    const chain_node_t *tip = chain_tip(n->chain);
    if (rc == 0)
        rc = template_build(tpl, n->chain, tip, miner, txs, count,
                            (uint32_t)time(NULL), extra_nonce);
    free(txs);
    return rc;
}

static void update_job(node_t *n)
{
    n->job_urgent = false;
    n->job_dirty = false;
    n->job_ms = node_now_ms();
    if (!n->pool)
        return;
    uint64_t extra;
    if (getrandom(&extra, sizeof extra, 0) != (ssize_t)sizeof extra)
        extra = node_now_ms();
    node_job_t next = {0};
    if (build_template(n, &next.tpl, n->cfg.miner_key, extra) != 0) {
        log_warn("node", "could not build a block template");
        return;
    }
    pool_job_t job;
    next.job_id = ++n->next_job_id;
    if (job_from_template(&job, &next.parts, &next.tpl, next.job_id) != 0) {
        block_deinit(&next.tpl);
        log_warn("node", "could not make a mining job");
        return;
    }
    next.live = true;
    job_release(&n->jobs[1]);
    n->jobs[1] = n->jobs[0];
    n->jobs[0] = next;
    if (pool_set_job(n->pool, &job) != 0)
        log_warn("node", "the miner refused the job");
}

static void take_solutions(node_t *n)
{
    pool_solution_t sol;
    for (int i = 0;
         i < NODE_BATCH && n->pool && pool_next_solution(n->pool, &sol, 0) == 0;
         i++) {
        node_job_t *j = NULL;
        for (int k = 0; k < 2; k++)
            if (n->jobs[k].live && n->jobs[k].job_id == sol.job_id)
                j = &n->jobs[k];
        /* A job older than the previous one, or one whose parent is no
         * longer the tip (our own block or a peer's got there first):
         * submitting it would only make a competing sibling. */
        if (!j || memcmp(j->tpl.header.prev_hash, chain_tip(n->chain)->hash,
                         32) != 0) {
            n->stale_solutions++;
            continue;
        }
        block_t b;
        if (job_apply_solution(&b, &j->tpl, &sol) != 0) {
            log_warn("node", "a solution did not match its job");
            continue;
        }
        const char *why = NULL;
        int rc = node_accept_block(n, &why, &b, 0, true);
        if (rc == 0) {
            char hex[65];
            hex_from_hash(hex, sol.hash);
            log_info("node", "mined block %u %s", chain_height(n->chain), hex);
        } else if (rc != ERR_DUPLICATE) {
            log_warn("node", "our own block was refused: %s", why ? why : "?");
        }
        block_deinit(&b);
        if (n->job_urgent)
            update_job(n); /* workers leave the solved job at once */
    }
}

int node_generate_block(node_t *n, const char **reason, uint8_t hash[32],
                        const uint8_t miner[32])
{
    block_t b;
    int rc = build_template(n, &b, miner, 0);
    if (rc)
        return rc;
    rc = template_solve(&b);
    if (rc == 0) {
        block_compute_hash(hash, &b.header);
        rc = node_accept_block(n, reason, &b, 0, true);
    }
    block_deinit(&b);
    return rc;
}

double node_hashrate(const node_t *n)
{
    return n->pool ? pool_hashrate(n->pool) : 0.0;
}

/* ---- requests ------------------------------------------------------------ */

static void reply_msg(node_t *n, const server_req_t *req, const wire_msg_t *m)
{
    buf_t out;
    buf_init(&out);
    if (wire_encode(&out, n->params->network_id, m) == 0 &&
        server_reply(n->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
}

static void reply_error(node_t *n, const server_req_t *req, int code,
                        const char *reason)
{
    buf_t out;
    buf_init(&out);
    if (wire_encode_error(&out, n->params->network_id, code, reason) == 0 &&
        server_reply(n->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
}

static void fill_tip(node_t *n, wire_tip_t *t)
{
    const chain_node_t *tip = chain_tip(n->chain);
    t->height = tip->height;
    memcpy(t->tip, tip->hash, 32);
    uint256_to_le(t->work, &tip->chain_work);
}

static void serve_headers(node_t *n, const server_req_t *req,
                          const wire_msg_t *m)
{
    const chain_node_t *fork =
        chain_find_fork(n->chain, (const uint8_t(*)[32])m->u.get_headers.hashes,
                        m->u.get_headers.count);
    uint8_t *hdrs = malloc((size_t)WIRE_MAX_HEADERS * BLOCK_HEADER_SIZE);
    if (!hdrs) {
        reply_error(n, req, ERR_NOMEM, "out of memory");
        return;
    }
    uint16_t count = 0;
    static const uint8_t zero[32];
    bool has_stop = memcmp(m->u.get_headers.stop, zero, 32) != 0;
    for (uint32_t h = fork->height + 1; count < WIRE_MAX_HEADERS; h++) {
        const chain_node_t *x = chain_at_height(n->chain, h);
        if (!x)
            break;
        block_header_serialize(hdrs + (size_t)count * BLOCK_HEADER_SIZE,
                               &x->block.header);
        count++;
        if (has_stop && memcmp(x->hash, m->u.get_headers.stop, 32) == 0)
            break;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_HEADERS);
    r.u.headers.count = count;
    r.u.headers.headers = hdrs;
    reply_msg(n, req, &r);
    free(hdrs);
}

static void serve_blocks(node_t *n, const server_req_t *req,
                         const wire_msg_t *m)
{
    buf_t raws[WIRE_MAX_BLOCKS];
    wire_blob_t items[WIRE_MAX_BLOCKS];
    uint16_t count = 0;
    size_t total = 0;
    for (uint16_t i = 0; i < m->u.get_blocks.count && count < WIRE_MAX_BLOCKS;
         i++) {
        const chain_node_t *x =
            chain_get(n->chain, m->u.get_blocks.hashes + 32 * (size_t)i);
        if (!x)
            continue;
        buf_init(&raws[count]);
        if (block_serialize(&raws[count], &x->block) != 0 ||
            total + raws[count].len + 4 > WIRE_MAX_PAYLOAD - 2) {
            buf_deinit(&raws[count]);
            break;
        }
        total += raws[count].len + 4;
        items[count].data = raws[count].data;
        items[count].len = raws[count].len;
        count++;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_BLOCKS);
    r.u.list.count = count;
    r.u.list.items = items;
    reply_msg(n, req, &r);
    for (uint16_t i = 0; i < count; i++)
        buf_deinit(&raws[i]);
}

typedef struct {
    buf_t *bufs;
    wire_blob_t *items;
    size_t n, max;
} mempool_dump_t;

static bool dump_tx(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    (void)txid;
    mempool_dump_t *d = ctx;
    if (d->n >= d->max)
        return false;
    buf_init(&d->bufs[d->n]);
    if (tx_serialize(&d->bufs[d->n], tx) != 0)
        return false;
    d->items[d->n].data = d->bufs[d->n].data;
    d->items[d->n].len = d->bufs[d->n].len;
    d->n++;
    return true;
}

static void serve_mempool(node_t *n, const server_req_t *req)
{
    size_t max = mempool_count(n->mempool);
    if (max > WIRE_MAX_MEMPOOL)
        max = WIRE_MAX_MEMPOOL;
    mempool_dump_t d = {calloc(max + 1, sizeof(buf_t)),
                        calloc(max + 1, sizeof(wire_blob_t)), 0, max};
    if (d.bufs && d.items)
        mempool_foreach(n->mempool, dump_tx, &d);
    wire_msg_t r;
    wire_msg_init(&r, WIRE_MEMPOOL);
    r.u.list.count = (uint16_t)d.n;
    r.u.list.items = d.items;
    reply_msg(n, req, &r);
    for (size_t i = 0; i < d.n; i++)
        buf_deinit(&d.bufs[i]);
    free(d.bufs);
    free(d.items);
}

/* Takes the node lock, waiting at most ms. Returns 0 or ERR_TIMEOUT. */
static int lock_within(node_t *n, unsigned ms)
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

/* The error a request gets when the lock was not to be had within
 * NODE_LOCK_WAIT_MS: the main loop holds it (the request thread is the
 * only other taker), and its record says for how long and where. */
static void busy_reason(node_t *n, char *out, size_t len)
{
    loopwatch_view_t v;
    loopwatch_read(&n->watch, &v, node_now_ms());
    double s = (double)v.turn_age_ms / 1000.0;
    if (v.turn_age_ms > LOOPWATCH_STUCK_MS)
        snprintf(out, len,
                 "the node is running but its main loop has not turned for "
                 "%.1f s (stuck in \"%s\"); only status answers meanwhile",
                 s, v.where ? v.where : "?");
    else
        snprintf(out, len,
                 "the node is busy: its main loop holds the node lock (this "
                 "turn %.1f s so far, in \"%s\"); try again",
                 s, v.where ? v.where : "?");
}

json_t *node_query(node_t *n, const json_t *request)
{
    const char *method = json_string_value(json_object_get(request, "method"));
    if (method && strcmp(method, "status") == 0) {
        /* `status` is how one finds out that the main loop is stuck with
         * the lock held: it must answer then too. */
        if (lock_within(n, NODE_STATUS_WAIT_MS) != 0)
            return rpc_status_busy(n);
    } else if (lock_within(n, NODE_LOCK_WAIT_MS) != 0) {
        char why[WIRE_MAX_STR + 1];
        busy_reason(n, why, sizeof why);
        return rpc_error(ERR_FULL, why);
    }
    json_t *answer = rpc_handle(n, request);
    pthread_mutex_unlock(&n->lock);
    return answer;
}

/* A JSON query (rpc.h): parsed and answered without the node lock but for
 * node_query's time inside it. */
static void serve_query(node_t *n, const server_req_t *req)
{
    wire_msg_t m;
    int rc = wire_decode(&m, n->params->network_id, req->data, req->len);
    if (rc) {
        reply_error(n, req, rc,
                    rc == ERR_INVALID ? "wrong network" : "malformed request");
        return;
    }
    json_error_t jerr;
    json_t *q = json_loadb((const char *)m.u.blob.data, m.u.blob.len, 0, &jerr);
    wire_msg_clear(&m);
    json_t *answer = q ? node_query(n, q) : rpc_error(ERR_PARSE, "not JSON");
    json_decref(q);
    char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    if (!text) {
        reply_error(n, req, ERR_NOMEM, "out of memory");
        return;
    }
    buf_t out;
    buf_init(&out);
    if (wire_encode_blob(&out, n->params->network_id, WIRE_REPLY, text,
                         strlen(text)) != 0)
        reply_error(n, req, ERR_RANGE, "reply too large");
    else if (server_reply(n->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
    free(text);
}

static void serve_submit(node_t *n, const server_req_t *req,
                         const wire_msg_t *m)
{
    tx_t tx;
    if (tx_parse_bytes(&tx, m->u.blob.data, m->u.blob.len) != 0) {
        reply_error(n, req, ERR_PARSE, "malformed transaction");
        return;
    }
    const char *why = NULL;
    int rc = node_accept_tx(n, &why, &tx, NULL, 0);
    if (rc == 0 || rc == ERR_DUPLICATE) {
        wire_msg_t r;
        wire_msg_init(&r, WIRE_ACK);
        reply_msg(n, req, &r);
    } else {
        reply_error(n, req, rc, why ? why : err_str(rc));
    }
}

/*
 * SUBMIT_TXS: many transactions in one request, one answer each. Runs
 * without the node lock except around each mempool admission, so the main
 * loop (blocks, peers' gossip) is never held up for a whole batch of
 * signature checks. The accepted ones leave in NEW_TXS frames as usual.
 */
static void serve_submit_batch(node_t *n, const server_req_t *req)
{
    wire_msg_t m;
    int rc = wire_decode(&m, n->params->network_id, req->data, req->len);
    if (rc) {
        reply_error(n, req, rc,
                    rc == ERR_INVALID ? "wrong network" : "malformed request");
        return;
    }
    wire_result_t *res =
        calloc(m.u.list.count ? m.u.list.count : 1, sizeof *res);
    if (!res) {
        reply_error(n, req, ERR_NOMEM, "out of memory");
        wire_msg_clear(&m);
        return;
    }
    for (size_t i = 0; i < m.u.list.count; i++) {
        tx_t tx;
        uint8_t txid[32];
        const char *why = NULL;
        if (tx_parse_bytes(&tx, m.u.list.items[i].data,
                           m.u.list.items[i].len) != 0) {
            res[i].code = ERR_PARSE;
            strcpy(res[i].reason, "malformed transaction");
            continue;
        }
        tx_compute_txid(txid, &tx);
        if (lock_within(n, NODE_LOCK_WAIT_MS) != 0) {
            /* This one and the rest: the main loop keeps the lock. */
            for (size_t k = i; k < m.u.list.count; k++) {
                res[k].code = ERR_FULL;
                busy_reason(n, res[k].reason, sizeof res[k].reason);
            }
            break;
        }
        rc = node_accept_tx(n, &why, &tx, txid, 0);
        pthread_mutex_unlock(&n->lock);
        if (rc != 0 && rc != ERR_DUPLICATE) {
            res[i].code = rc;
            snprintf(res[i].reason, sizeof res[i].reason, "%s",
                     why ? why : err_str(rc));
        }
    }
    /* (Without the lock, the main loop flushes them at the end of its
     * turn.) */
    if (lock_within(n, NODE_LOCK_WAIT_MS) == 0) {
        node_flush_relay(n);
        pthread_mutex_unlock(&n->lock);
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_SUBMITTED);
    r.u.results.count = m.u.list.count;
    r.u.results.items = res;
    reply_msg(n, req, &r);
    free(res);
    wire_msg_clear(&m);
}

static void serve_one(node_t *n, const server_req_t *req)
{
    wire_msg_t m;
    int rc = wire_decode(&m, n->params->network_id, req->data, req->len);
    if (rc) {
        reply_error(n, req, rc,
                    rc == ERR_INVALID ? "wrong network" : "malformed request");
        return;
    }
    wire_msg_t r;
    switch (m.type) {
    case WIRE_HELLO:
    case WIRE_GET_TIP:
        wire_msg_init(&r, WIRE_TIP);
        fill_tip(n, &r.u.tip);
        reply_msg(n, req, &r);
        break;
    case WIRE_GET_HEADERS:
        serve_headers(n, req, &m);
        break;
    case WIRE_GET_BLOCKS:
        serve_blocks(n, req, &m);
        break;
    case WIRE_GET_MEMPOOL:
        serve_mempool(n, req);
        break;
    case WIRE_SUBMIT_TX:
        serve_submit(n, req, &m);
        break;
    default:
        reply_error(n, req, ERR_ARG, "not a request this node answers");
        break;
    }
    wire_msg_clear(&m);
}

/* Per-connection token buckets of the request thread (owned by it). */
typedef struct {
    struct {
        uint64_t key; /* hash of the ROUTER routing id; 0 = free */
        double tokens;
        uint64_t last_ms; /* last refill, and recency for eviction */
    } slot[NODE_REQ_SLOTS];
} req_limiter_t;

static uint64_t routing_key(const server_req_t *req)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < req->id_len; i++)
        h = (h ^ req->id[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* Takes a token from the connection's bucket; false when it is empty. */
static bool req_allowed(req_limiter_t *l, const server_req_t *req)
{
    uint64_t key = routing_key(req), now = node_now_ms();
    size_t victim = 0;
    for (size_t i = 0; i < NODE_REQ_SLOTS; i++) {
        if (l->slot[i].key == key) {
            double t = l->slot[i].tokens + (double)(now - l->slot[i].last_ms) *
                                               NODE_REQ_RATE / 1000.0;
            l->slot[i].tokens = t > NODE_REQ_BURST ? NODE_REQ_BURST : t;
            l->slot[i].last_ms = now;
            if (l->slot[i].tokens < 1.0)
                return false;
            l->slot[i].tokens -= 1.0;
            return true;
        }
        if (l->slot[i].last_ms < l->slot[victim].last_ms)
            victim = i;
    }
    l->slot[victim].key = key;
    l->slot[victim].tokens = NODE_REQ_BURST - 1;
    l->slot[victim].last_ms = now;
    return true;
}

/* Whether a request counts against its connection's budget: the peer
 * protocol's requests and anything that is not a well-formed request of our
 * network. */
static bool req_limited_kind(const node_t *n, const server_req_t *req,
                             bool *malformed)
{
    uint16_t type = 0;
    *malformed =
        wire_peek(&type, n->params->network_id, req->data, req->len) != 0;
    return *malformed || (type != WIRE_QUERY && type != WIRE_SUBMIT_TX &&
                          type != WIRE_SUBMIT_TXS);
}

/* The request thread: answers peers, the cli and wallets while the main
 * loop may be waiting on a peer itself (two nodes syncing from each other
 * would otherwise each wait for the other's answer until both time out). */
static void *serve_thread(void *arg)
{
    node_t *n = arg;
    req_limiter_t *limiter = calloc(1, sizeof *limiter);
    while (!atomic_load(&n->server_stop)) {
        server_req_t req;
        if (server_recv(n->server, &req, NODE_SERVE_WAIT_MS) != 0)
            continue;
        bool malformed = false;
        if (limiter && req_limited_kind(n, &req, &malformed) &&
            !req_allowed(limiter, &req)) {
            atomic_fetch_add(&n->requests_limited, 1);
            reply_error(n, &req, ERR_FULL, "rate-limited");
            server_req_clear(&req);
            continue;
        }
        if (malformed)
            atomic_fetch_add(&n->requests_malformed, 1);
        uint16_t type = 0;
        if (!malformed &&
            wire_peek(&type, n->params->network_id, req.data, req.len) == 0 &&
            (type == WIRE_SUBMIT_TXS || type == WIRE_QUERY)) {
            /* These take the lock themselves: per transaction, and for
             * the query's answer alone. */
            if (type == WIRE_SUBMIT_TXS)
                serve_submit_batch(n, &req);
            else
                serve_query(n, &req);
            server_req_clear(&req);
            continue;
        }
        if (lock_within(n, NODE_LOCK_WAIT_MS) == 0) {
            serve_one(n, &req);
            pthread_mutex_unlock(&n->lock);
        } else {
            char why[WIRE_MAX_STR + 1];
            busy_reason(n, why, sizeof why);
            reply_error(n, &req, ERR_FULL, why);
        }
        server_req_clear(&req);
    }
    free(limiter);
    return NULL;
}

/* ---- gossip -------------------------------------------------------------- */

/* A peer's batch of transactions, or the tracker's (peer 0: relayed
 * submissions, never scored). One we already hold costs a lookup of
 * its claimed txid, before any parsing or hashing: that is what makes a
 * full mesh, where every transaction arrives from every peer, cheap. A new
 * one is parsed and its txid checked against the claim (a wrong claim is
 * the sender's fault, and it could have made the lookup skip something). */
static void handle_new_txs(node_t *n, const wire_msg_t *m, uint64_t peer)
{
    for (size_t i = 0; i < m->u.txs.count; i++) {
        const wire_txitem_t *it = &m->u.txs.items[i];
        if (mempool_has(n->mempool, it->txid)) {
            n->txs_known_dropped++;
            continue;
        }
        tx_t tx;
        uint8_t txid[32];
        if (tx_parse_bytes(&tx, it->tx.data, it->tx.len) != 0) {
            node_tally(&n->refused_txs, "malformed");
            if (peer && p2p_misbehaving(n->p2p, peer, NODE_BAD_TX_POINTS,
                                        "malformed transaction"))
                return;
            continue;
        }
        tx_compute_txid(txid, &tx);
        if (memcmp(txid, it->txid, 32) != 0) {
            node_tally(&n->refused_txs, "bad-txid");
            if (peer && p2p_misbehaving(n->p2p, peer, NODE_BAD_TX_POINTS,
                                        "transaction under a wrong txid"))
                return;
            continue;
        }
        node_accept_tx(n, NULL, &tx, txid, peer);
    }
}

static void handle_gossip(node_t *n, const p2p_msg_t *pm)
{
    wire_msg_t m;
    if (node_peer_blocked(n, pm->peer_id))
        return; /* a test partition cuts this peer off */
    if (wire_decode(&m, n->params->network_id, pm->data, pm->len) != 0)
        return; /* p2p already checked and scored it */
    switch (m.type) {
    case WIRE_NEW_BLOCK: {
        loopwatch_at(&n->watch, "inbox: block from peer");
        block_t b;
        if (block_parse(&b, m.u.blob.data, m.u.blob.len) != 0) {
            node_tally(&n->refused_blocks, "malformed");
            if (pm->peer_id)
                p2p_misbehaving(n->p2p, pm->peer_id, NODE_BAD_BLOCK_POINTS,
                                "malformed block");
            break;
        }
        node_accept_block(n, NULL, &b, pm->peer_id, true);
        block_deinit(&b);
        break;
    }
    case WIRE_NEW_TX:
    case WIRE_TX: {
        loopwatch_at(&n->watch, "inbox: transaction");
        tx_t tx;
        if (tx_parse_bytes(&tx, m.u.blob.data, m.u.blob.len) != 0) {
            node_tally(&n->refused_txs, "malformed");
            if (pm->peer_id)
                p2p_misbehaving(n->p2p, pm->peer_id, NODE_BAD_TX_POINTS,
                                "malformed transaction");
            break;
        }
        node_accept_tx(n, NULL, &tx, NULL, pm->peer_id);
        break;
    }
    case WIRE_NEW_TXS:
        loopwatch_at(&n->watch, "inbox: transactions");
        handle_new_txs(n, &m, pm->peer_id);
        break;
    case WIRE_PEER_JOINED:
        loopwatch_at(&n->watch, "inbox: peer joined");
        if (m.u.peer.id != p2p_node_id(n->p2p))
            sync_poll_peer(n, m.u.peer.id);
        break;
    default:
        break;
    }
    wire_msg_clear(&m);
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
        handle_gossip(n, &pm);
        p2p_msg_clear(&pm);
    }
}

/* Asks the next peer in turn for its tip; syncs when it is ahead. */
static void poll_next_peer(node_t *n)
{
    p2p_peer_info_t peers[P2P_MAX_PEERS];
    size_t count = p2p_peers(n->p2p, peers, P2P_MAX_PEERS);
    if (count > P2P_MAX_PEERS)
        count = P2P_MAX_PEERS;
    for (size_t tries = 0; tries < count; tries++) {
        p2p_peer_info_t *p = &peers[n->poll_cursor++ % count];
        if (p->banned)
            continue;
        sync_poll_peer(n, p->peer.id);
        return;
    }
}

/* Asks every peer for its tip, then for its pending transactions (after a
 * test partition heals, rpc.c: the gossip we dropped meanwhile is lost). */
static void poll_all_peers(node_t *n)
{
    p2p_peer_info_t peers[P2P_MAX_PEERS];
    size_t count = p2p_peers(n->p2p, peers, P2P_MAX_PEERS);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++)
        if (!peers[i].banned)
            sync_poll_peer(n, peers[i].peer.id);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS; i++)
        if (!peers[i].banned)
            sync_mempool_from_peer(n, peers[i].peer.id, NULL);
}

static void status_line(node_t *n)
{
    const chain_node_t *tip = chain_tip(n->chain);
    char hex[65];
    hex_from_hash(hex, tip->hash);
    uint64_t refused = 0;
    for (size_t i = 0; i < n->refused_blocks.n; i++)
        refused += n->refused_blocks.count[i];
    log_info("node",
             "height %u tip %.16s... peers %zu hashrate %.2f MH/s "
             "mempool %zu refused blocks %llu",
             tip->height, hex, p2p_peers(n->p2p, NULL, 0),
             node_hashrate(n) / 1e6, mempool_count(n->mempool),
             (unsigned long long)refused);
}

/* Holds the lock for n->stall_ms without doing anything, as a turn stuck
 * in a long operation would (rpc "stall", regtest only: the tests of what
 * a stuck node looks like from outside). */
static void stall(node_t *n, volatile sig_atomic_t *stop)
{
    loopwatch_at(&n->watch, "test: stalled (rpc stall)");
    uint64_t until = node_now_ms() + n->stall_ms;
    n->stall_ms = 0;
    while (!*stop && node_now_ms() < until)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
}

/* ---- lifecycle ----------------------------------------------------------- */

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
    txbatch_init(&n->relay_batch);
    n->rejected = hashmap_new();
    n->mempool = mempool_new(n->params->network_id, NODE_MEMPOOL_MAX);
    int rc = persist_open(&n->store, reason, cfg->data_dir, n->params);
    if (rc || !n->rejected || !n->mempool) {
        if (!rc)
            *reason = "out of memory";
        node_free(&n);
        return NULL;
    }
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
        node_free(&n);
        return NULL;
    }
    n->loading = true;
    size_t loaded = 0, refused = 0;
    rc = persist_load(n->chain, n->store, &loaded, &refused);
    n->loading = false;
    if (rc) {
        *reason = "could not read the block store";
        node_free(&n);
        return NULL;
    }
    log_info("node", "%s: loaded %zu blocks from %s, height %u%s",
             n->params->name, loaded, cfg->data_dir, chain_height(n->chain),
             refused ? " (some stored blocks were refused)" : "");

    const char *adv = strcmp(cfg->listen_host, "0.0.0.0") == 0
                          ? "127.0.0.1"
                          : cfg->listen_host;
    char endpoint[SOCK_ENDPOINT_MAX];
    p2p_config_t pc;
    p2p_config_init(&pc, n->params->network_id);
    if (sock_endpoint(endpoint, sizeof endpoint, cfg->listen_host, cfg->port) !=
            0 ||
        sock_endpoint(pc.gossip_bind, sizeof pc.gossip_bind, cfg->listen_host,
                      n->cfg.gossip_port) != 0 ||
        sock_endpoint(pc.request_advertise, sizeof pc.request_advertise, adv,
                      cfg->port) != 0 ||
        strlen(cfg->tracker) >= sizeof pc.tracker) {
        *reason = "an endpoint is too long";
        node_free(&n);
        return NULL;
    }
    memcpy(pc.tracker, cfg->tracker, strlen(cfg->tracker) + 1);
    /* The main loop waits on peers' answers: keep a silent peer's cost at
     * about two seconds. */
    pc.request_timeout_ms = 1000;
    pc.request_retries = 1;
    n->server = server_new(endpoint);
    if (!n->server) {
        *reason = "cannot bind the request port (in use?)";
        node_free(&n);
        return NULL;
    }
    n->p2p = p2p_new(&pc);
    if (!n->p2p) {
        *reason = "cannot bind the gossip port (in use?)";
        node_free(&n);
        return NULL;
    }
    if (cfg->mine) {
        n->pool = pool_new(cfg->threads, cfg->impl[0] ? cfg->impl : "auto");
        if (!n->pool) {
            *reason = "cannot start the miner (unknown --sha-impl, or one "
                      "this CPU lacks?)";
            node_free(&n);
            return NULL;
        }
        log_info("node", "mining on %u threads with the %s kernel",
                 pool_threads(n->pool), pool_kernel(n->pool));
    }
    return n;
}

int node_run(node_t *n, volatile sig_atomic_t *stop)
{
    pthread_t server;
    atomic_store(&n->server_stop, false);
    if (pthread_create(&server, NULL, serve_thread, n) != 0) {
        log_error("node", "cannot start the request thread");
        return ERR_NOMEM;
    }
    /* The start counts as the first turn: a start that hangs is as stuck
     * as any turn. */
    if (loopwatch_start(&n->watch, "node") != 0)
        log_warn("node", "cannot start the main loop's watcher");
    pthread_mutex_lock(&n->lock);
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
    /* Catch up with everyone we know before mining on an old tip. */
    loopwatch_at(&n->watch, "start: catching up with peers");
    p2p_peer_info_t peers[P2P_MAX_PEERS];
    size_t count = p2p_peers(n->p2p, peers, P2P_MAX_PEERS);
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS && !*stop; i++)
        sync_poll_peer(n, peers[i].peer.id);
    /* And take the pending transactions of the first peer that answers:
     * they were gossiped before we listened. */
    loopwatch_at(&n->watch, "start: pending transactions from peers");
    for (size_t i = 0; i < count && i < P2P_MAX_PEERS && !*stop; i++)
        if (sync_mempool_from_peer(n, peers[i].peer.id, NULL) == 0)
            break;
    update_job(n);
    n->next_status_ms = node_now_ms() + 1000 * n->cfg.status_interval_s;
    n->next_poll_ms = node_now_ms() + NODE_TIP_POLL_MS;

    while (!*stop) {
        if (n->stall_ms)
            stall(n, stop);
        drain_inbox(n, NODE_POLL_MS);
        loopwatch_at(&n->watch, "relay: transactions");
        node_flush_relay(n);
        loopwatch_at(&n->watch, "mining: solutions");
        take_solutions(n);
        uint64_t now = node_now_ms();
        if (n->job_urgent ||
            (n->job_dirty && now - n->job_ms >= NODE_JOB_REFRESH_MS)) {
            loopwatch_at(&n->watch, "mining: new job");
            update_job(n);
        }
        if (n->poll_all) {
            loopwatch_at(&n->watch, "sync: asking every peer");
            n->poll_all = false;
            poll_all_peers(n);
        }
        if (now >= n->next_poll_ms) {
            loopwatch_at(&n->watch, "sync: asking a peer for its tip");
            poll_next_peer(n);
            n->next_poll_ms = now + NODE_TIP_POLL_MS;
        }
        if (now >= n->next_status_ms) {
            loopwatch_at(&n->watch, "status");
            status_line(n);
            n->next_status_ms = now + 1000 * n->cfg.status_interval_s;
        }
    }
    loopwatch_stop(&n->watch);
    loopwatch_at(&n->watch, "stopped");
    log_info("node", "stopping: leaving the network");
    if (n->pool)
        pool_pause(n->pool);
    pthread_mutex_unlock(&n->lock);
    atomic_store(&n->server_stop, true);
    pthread_join(server, NULL);
    p2p_leave_network(n->p2p);
    return 0;
}

void node_free(node_t **np)
{
    if (!np || !*np)
        return;
    node_t *n = *np;
    pool_free(&n->pool);
    p2p_free(&n->p2p);
    server_free(&n->server);
    for (int k = 0; k < 2; k++)
        job_release(&n->jobs[k]);
    chain_free(&n->chain);
    mempool_free(&n->mempool);
    store_close(&n->store);
    hashmap_free(&n->rejected);
    hashmap_free(&n->received);
    txbatch_deinit(&n->relay_batch);
    free(n->returned);
    loopwatch_deinit(&n->watch);
    pthread_mutex_destroy(&n->lock);
    free(n);
    *np = NULL;
}
