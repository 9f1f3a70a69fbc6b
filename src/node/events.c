/*
 * events — the ring and the gathering of one chain call into events (see
 * events.h).
 *
 * The ring is an array indexed by sequence number modulo EVENTS_CAP: event
 * s lives at ring[s % EVENTS_CAP] as long as s > next - 1 - EVENTS_CAP.
 *
 * Pruning reports a branch as: its transfers that went back to the mempool
 * (tx_discarded, any number), then its blocks from the tip down
 * (block_removed). A pruned branch being gathered is therefore closed when
 * a transfer comes after some of its blocks (the next branch's), when a
 * removed block is not the parent of the one removed before it (the next
 * branch had no transfers), and at the end of the call.
 */
#include "events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

int events_init(events_t *e)
{
    memset(e, 0, sizeof *e);
    e->ring = calloc(EVENTS_CAP, sizeof *e->ring);
    e->details = calloc(EVENTS_DETAILS, sizeof *e->details);
    if (!e->ring || !e->details) {
        events_deinit(e);
        return ERR_NOMEM;
    }
    e->next = 1;
    return 0;
}

void events_deinit(events_t *e)
{
    free(e->ring);
    free(e->details);
    e->ring = NULL;
    e->details = NULL;
}

const char *events_kind_name(event_kind_t kind)
{
    static const char *const names[EVENT_KINDS] = {
        "block-accepted", "reorg",      "branch-pruned", "block-refused",
        "block-orphan",   "tx-refused", "peer-banned",
    };
    return (unsigned)kind < EVENT_KINDS ? names[kind] : "?";
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

event_t *events_push(events_t *e, event_kind_t kind)
{
    event_t *ev = &e->ring[e->next % EVENTS_CAP];
    memset(ev, 0, sizeof *ev);
    ev->seq = e->next++;
    ev->time_ms = wall_ms();
    ev->kind = kind;
    if ((unsigned)kind < EVENT_KINDS)
        e->counts[kind]++;
    return ev;
}

uint64_t events_last(const events_t *e)
{
    return e->next - 1;
}

uint64_t events_first(const events_t *e)
{
    return e->next > EVENTS_CAP ? e->next - EVENTS_CAP : 1;
}

const event_detail_t *events_detail(const events_t *e, uint64_t seq)
{
    for (size_t i = 0; seq && i < EVENTS_DETAILS; i++)
        if (e->details[i].seq == seq)
            return &e->details[i];
    return NULL;
}

const event_t *events_get(const events_t *e, uint64_t seq)
{
    if (seq < events_first(e) || seq >= e->next)
        return NULL;
    return &e->ring[seq % EVENTS_CAP];
}

size_t events_since(const events_t *e, const event_t **out, size_t max,
                    uint64_t since, uint64_t *missed)
{
    uint64_t first = events_first(e);
    uint64_t from = since + 1;
    *missed = 0;
    if (from < first) {
        *missed = first - from;
        from = first;
    }
    size_t n = 0;
    for (uint64_t s = from; s < e->next && n < max; s++)
        out[n++] = &e->ring[s % EVENTS_CAP];
    return n;
}

/* ---- refusals and bans --------------------------------------------------- */

void events_block_refused(events_t *e, event_kind_t kind, const chain_t *c,
                          const block_t *b, const char *reason, uint64_t peer)
{
    event_t *ev = events_push(e, kind);
    ev->reason = reason;
    ev->peer = peer;
    if (!b)
        return;
    block_compute_hash(ev->hash, &b->header);
    memcpy(ev->parent, b->header.prev_hash, 32);
    ev->header = b->header;
    ev->has_hash = ev->has_header = true;
    ev->txs = (uint32_t)b->tx_count;
    if (kind == EVENT_BLOCK_REFUSED) {
        event_detail_t *d = &e->details[e->details_next++ % EVENTS_DETAILS];
        d->seq = ev->seq;
        d->count = b->tx_count < EVENTS_DETAIL_TXS ? (uint32_t)b->tx_count
                                                   : EVENTS_DETAIL_TXS;
        memcpy(d->txs, b->txs, d->count * sizeof *d->txs);
    }
    /* Where it claims to belong: its coinbase says, else its parent. */
    const chain_node_t *parent = chain_get(c, b->header.prev_hash);
    if (b->tx_count && b->txs[0].kind == TX_COINBASE) {
        ev->height = b->txs[0].height;
        ev->has_height = true;
    } else if (parent) {
        ev->height = parent->height + 1;
        ev->has_height = true;
    }
}

void events_tx_refused(events_t *e, const uint8_t txid[32], const char *reason,
                       uint64_t peer)
{
    event_t *ev = events_push(e, EVENT_TX_REFUSED);
    ev->reason = reason;
    ev->peer = peer;
    if (txid) {
        memcpy(ev->hash, txid, 32);
        ev->has_hash = true;
    }
}

void events_peer_banned(events_t *e, uint64_t peer, const char *reason)
{
    uint64_t now = wall_ms();
    size_t slots = sizeof e->banned / sizeof e->banned[0];
    for (size_t i = 0; i < slots; i++)
        if (e->banned[i] == peer && now - e->banned_ms[i] < 60000)
            return;
    e->banned[e->banned_next] = peer;
    e->banned_ms[e->banned_next] = now;
    e->banned_next = (e->banned_next + 1) % slots;
    event_t *ev = events_push(e, EVENT_PEER_BANNED);
    ev->peer = peer;
    ev->reason = reason;
}

/* ---- one chain call ------------------------------------------------------ */

void events_call_begin(events_t *e, uint64_t peer, bool mined)
{
    e->in_call = true;
    e->call_peer = peer;
    e->call_mined = mined;
    e->reorg_off = 0;
    e->pruning = false;
}

void events_on_added(events_t *e, const chain_node_t *n,
                     const chain_node_t *tip)
{
    if (!e->in_call)
        return;
    event_t *ev = events_push(e, EVENT_BLOCK_ACCEPTED);
    memcpy(ev->hash, n->hash, 32);
    memcpy(ev->parent, n->block.header.prev_hash, 32);
    ev->height = n->height;
    ev->has_height = ev->has_hash = ev->has_header = true;
    ev->header = n->block.header;
    ev->txs = (uint32_t)n->block.tx_count;
    /* On the tip, or heavier than it: the best chain, at once or through
     * the reorg that chain.c is about to make. */
    ev->best =
        n->parent == tip || uint256_cmp(&n->chain_work, &tip->chain_work) > 0;
    ev->peer = e->call_peer;
    ev->mined = e->call_mined;
}

void events_on_disconnected(events_t *e, const chain_node_t *n)
{
    if (!e->in_call)
        return;
    if (e->reorg_off == 0) {
        memcpy(e->reorg_old_tip, n->hash, 32);
        e->reorg_old_height = n->height;
    }
    e->reorg_off++;
}

void events_on_tip(events_t *e, const chain_node_t *tip, size_t returned)
{
    if (!e->in_call || e->reorg_off == 0)
        return;
    event_t *ev = events_push(e, EVENT_REORG);
    memcpy(ev->hash, tip->hash, 32);
    memcpy(ev->parent, e->reorg_old_tip, 32);
    ev->has_hash = ev->has_height = true;
    ev->height = e->reorg_old_height - e->reorg_off;
    ev->count = e->reorg_off;
    ev->count2 = tip->height - ev->height;
    ev->txs = returned > UINT32_MAX ? UINT32_MAX : (uint32_t)returned;
    ev->peer = e->call_peer;
    e->reorg_off = 0;
}

/* Turns the pruned branch being gathered into its event. */
static void close_prune(events_t *e)
{
    if (!e->pruning)
        return;
    e->pruning = false;
    if (e->prune.count == 0)
        return; /* transfers returned, no block seen: nothing to show */
    event_t *ev = events_push(e, EVENT_BRANCH_PRUNED);
    uint64_t seq = ev->seq, t = ev->time_ms;
    *ev = e->prune;
    ev->seq = seq;
    ev->time_ms = t;
    ev->kind = EVENT_BRANCH_PRUNED;
}

void events_on_tx_returned(events_t *e)
{
    if (!e->in_call)
        return;
    if (e->pruning && e->prune.count > 0)
        close_prune(e);
    if (!e->pruning) {
        memset(&e->prune, 0, sizeof e->prune);
        e->pruning = true;
    }
    e->prune.txs++;
}

void events_on_removed(events_t *e, const chain_node_t *n)
{
    if (!e->in_call)
        return;
    /* Blocks go from the tip down: the next of the same branch is the
     * parent of the last one. */
    if (e->pruning && e->prune.count > 0 &&
        memcmp(e->prune.parent, n->hash, 32) != 0)
        close_prune(e);
    if (!e->pruning) {
        memset(&e->prune, 0, sizeof e->prune);
        e->pruning = true;
    }
    if (e->prune.count == 0) {
        memcpy(e->prune.hash, n->hash, 32);
        e->prune.height = n->height;
        e->prune.has_hash = e->prune.has_height = true;
    }
    memcpy(e->prune.parent, n->block.header.prev_hash, 32);
    e->prune.count++;
}

void events_call_end(events_t *e)
{
    close_prune(e);
    e->in_call = false;
}
