/*
 * sync — the want queue, the per-peer holds and the exchanges in flight
 * (see sync.h). A flight is free when !busy; a reply belongs to the flight
 * of its peer when it carries that flight's tag (tags are never reused).
 */
#include "sync.h"

#include <string.h>

#include "err.h"
#include "log.h"
#include "score.h"
#include "wire.h"

/* ---- holds ------------------------------------------------------------- */

/* The slot of a peer in the hold table, taking the one that ends first
 * when the peer has none. */
static size_t hold_slot(sync_t *s, uint64_t peer)
{
    size_t oldest = 0;
    for (size_t i = 0; i < SYNC_HOLD_SLOTS; i++) {
        if (s->hold[i].peer == peer)
            return i;
        if (s->hold[i].until_ms < s->hold[oldest].until_ms)
            oldest = i;
    }
    s->hold[oldest].peer = peer;
    s->hold[oldest].until_ms = 0;
    s->hold[oldest].silent = false;
    return oldest;
}

static void hold(sync_t *s, uint64_t peer, uint64_t until_ms, bool silent)
{
    size_t i = hold_slot(s, peer);
    if (s->hold[i].until_ms < until_ms) {
        s->hold[i].until_ms = until_ms;
        s->hold[i].silent = silent;
    }
}

/* True when peer is held at now_ms (as silent, with silent_only). */
static bool held(const sync_t *s, uint64_t peer, uint64_t now_ms,
                 bool silent_only)
{
    for (size_t i = 0; i < SYNC_HOLD_SLOTS; i++)
        if (s->hold[i].peer == peer)
            return now_ms < s->hold[i].until_ms &&
                   (s->hold[i].silent || !silent_only);
    return false;
}

/* ---- the queue ----------------------------------------------------------- */

static bool chain_kind(sync_kind_t k)
{
    return k == SYNC_TIP || k == SYNC_BLOCKS;
}

static void drop_at(sync_t *s, size_t i)
{
    memmove(&s->queue[i], &s->queue[i + 1], (s->n - i - 1) * sizeof *s->queue);
    s->n--;
}

int sync_want(sync_t *s, uint64_t peer, sync_kind_t kind,
              const uint8_t hash[32], bool once, uint64_t now_ms)
{
    if (peer == 0)
        return ERR_ARG;
    if (held(s, peer, now_ms, true)) {
        s->dropped++;
        return ERR_TIMEOUT;
    }
    for (size_t i = 0; i < s->n; i++) {
        sync_want_t *w = &s->queue[i];
        if (w->peer != peer || chain_kind(w->kind) != chain_kind(kind))
            continue;
        if (kind == SYNC_BLOCKS) { /* supersedes a tip poll; newest orphan */
            w->kind = SYNC_BLOCKS;
            w->has_hash = hash != NULL;
            if (hash)
                memcpy(w->hash, hash, 32);
        }
        w->once = w->once && once;
        return 0;
    }
    if (s->n == SYNC_QUEUE_MAX) {
        s->dropped++;
        return ERR_FULL;
    }
    sync_want_t *w = &s->queue[s->n++];
    memset(w, 0, sizeof *w);
    w->peer = peer;
    w->kind = kind;
    w->once = once;
    w->has_hash = hash != NULL;
    if (hash)
        memcpy(w->hash, hash, 32);
    return 0;
}

/* Drops the queued wants of a peer (all, or its chain's only). */
static void drop_peer(sync_t *s, uint64_t peer)
{
    for (size_t i = 0; i < s->n;)
        if (s->queue[i].peer == peer)
            drop_at(s, i);
        else
            i++;
}

static sync_flight_t *flight_of(sync_t *s, uint64_t peer)
{
    for (size_t i = 0; i < SYNC_FLIGHTS; i++)
        if (s->flight[i].busy && s->flight[i].cur.peer == peer)
            return &s->flight[i];
    return NULL;
}

static void abandon(sync_flight_t *f)
{
    f->busy = false; /* its reply no longer matches a flight's tag */
    catchup_deinit(&f->x);
}

void sync_forget(sync_t *s, uint64_t peer)
{
    drop_peer(s, peer);
    sync_flight_t *f = flight_of(s, peer);
    if (f)
        abandon(f);
}

/* ---- exchanges --------------------------------------------------------- */

static int take_block(void *ctx, const block_t *b)
{
    sync_flight_t *f = ctx;
    return f->s->sink.block(f->s->sink.ctx, b, f->cur.peer);
}

/* Ends an exchange with rc (fault: with ERR_PARSE). */
static void end(sync_t *s, sync_flight_t *f, const chain_t *chain, int rc,
                const char *fault, uint64_t now_ms)
{
    uint64_t peer = f->cur.peer;
    if (rc == ERR_TIMEOUT || rc == ERR_NET) {
        /* Silent: it must not cost a request timeout again and again. */
        hold(s, peer, now_ms + SYNC_SILENT_HOLD_MS, true);
        drop_peer(s, peer);
    } else if (rc == ERR_PARSE && fault) {
        p2p_misbehaving(s->p2p, peer, SCORE_BAD_REPLY, fault);
    }
    if (rc == 0 || rc == ERR_FULL) /* (busy, rate-limited: an answer) */
        s->answered++;
    if (rc == 0 && f->cur.kind == SYNC_MEMPOOL && f->cur.once) {
        /* One peer's pending transactions were what we wanted. */
        for (size_t i = 0; i < s->n;) {
            if (s->queue[i].kind == SYNC_MEMPOOL && s->queue[i].once)
                drop_at(s, i);
            else
                i++;
        }
    }
    if (chain_kind(f->cur.kind) && catchup_added(&f->x))
        log_info("sync", "%llu blocks from peer %016llx, height now %u",
                 (unsigned long long)catchup_added(&f->x),
                 (unsigned long long)peer, chain_height(chain));
    if (rc && rc != ERR_FULL)
        log_debug("sync", "peer %016llx: %s%s%s", (unsigned long long)peer,
                  err_str(rc), fault ? ": " : "", fault ? fault : "");
    abandon(f);
}

/* Sends the exchange's request in f->req. */
static void send_req(sync_t *s, sync_flight_t *f, const chain_t *chain,
                     uint64_t now_ms)
{
    int rc = p2p_ask(s->p2p, f->cur.peer, f->tag, f->req.data, f->req.len);
    if (rc) {
        end(s, f, chain, rc, NULL, now_ms); /* e.g. gone or banned */
        return;
    }
    f->deadline_ms = now_ms + SYNC_REPLY_DEADLINE_MS;
}

static void start(sync_t *s, sync_flight_t *f, const chain_t *chain,
                  const sync_want_t *w, bool proven, uint64_t now_ms)
{
    f->cur = *w;
    f->tag = ++s->next_tag;
    f->busy = true;
    f->proven = proven;
    s->exchanges++;
    int rc = 0;
    if (w->kind == SYNC_MEMPOOL) {
        buf_reset(&f->req);
        rc = wire_encode_empty(&f->req, p2p_network_id(s->p2p),
                               WIRE_GET_MEMPOOL);
    } else {
        hold(s, w->peer, now_ms + SYNC_MIN_INTERVAL_MS, false);
        rc = catchup_begin(&f->x, &f->req, p2p_network_id(s->p2p), chain,
                           w->kind == SYNC_TIP, SYNC_MAX_ROUNDS, take_block, f);
    }
    if (rc)
        end(s, f, chain, rc, NULL, now_ms);
    else
        send_req(s, f, chain, now_ms);
}

/* True when the peer answered a request lately (p2p_answering()). */
static bool proven(const sync_t *s, uint64_t peer)
{
    return p2p_answering(s->p2p, peer);
}

void sync_turn(sync_t *s, const chain_t *chain, uint64_t now_ms)
{
    size_t max = s->max_flights < SYNC_FLIGHTS ? s->max_flights : SYNC_FLIGHTS;
    size_t unproven = 0;
    sync_flight_t *idle = NULL;
    for (size_t i = 0; i < max; i++) {
        sync_flight_t *f = &s->flight[i];
        if (f->busy && now_ms >= f->deadline_ms) {
            log_warn("sync", "peer %016llx: no reply in %u ms; giving up",
                     (unsigned long long)f->cur.peer, SYNC_REPLY_DEADLINE_MS);
            end(s, f, chain, ERR_TIMEOUT, NULL, now_ms);
        }
        unproven += f->busy && !f->proven;
        if (!f->busy && !idle)
            idle = f;
    }
    for (size_t i = 0; idle && i < s->n;) {
        sync_want_t w = s->queue[i];
        if (held(s, w.peer, now_ms, false) || flight_of(s, w.peer)) {
            i++;
            continue;
        }
        bool known = proven(s, w.peer);
        if (!known && unproven >= SYNC_FLIGHTS_UNPROVEN) {
            i++;
            continue;
        }
        drop_at(s, i);
        if (w.kind == SYNC_BLOCKS && w.has_hash && chain_get(chain, w.hash))
            continue; /* the orphan found its parent meanwhile */
        start(s, idle, chain, &w, known, now_ms);
        if (idle->busy)
            unproven += !known;
        idle = NULL;
        for (size_t j = 0; j < max && !idle; j++)
            if (!s->flight[j].busy)
                idle = &s->flight[j];
    }
}

/* The peer's pending transactions, each offered to the sink. */
static int take_mempool(sync_t *s, sync_flight_t *f, const wire_msg_t *m,
                        const char **fault)
{
    uint64_t count = 0;
    for (size_t i = 0; i < m->u.list.count; i++) {
        tx_t tx;
        uint8_t txid[32];
        if (tx_parse_bytes(&tx, m->u.list.items[i].data,
                           m->u.list.items[i].len) != 0) {
            *fault = "a pending transaction that does not parse";
            return ERR_PARSE;
        }
        tx_compute_txid(txid, &tx);
        if (s->sink.tx(s->sink.ctx, &tx, txid, f->cur.peer) == 0)
            count++;
    }
    if (count)
        log_info("sync", "%llu pending transactions from peer %016llx",
                 (unsigned long long)count, (unsigned long long)f->cur.peer);
    return 0;
}

bool sync_reply(sync_t *s, const chain_t *chain, const p2p_msg_t *m,
                uint64_t now_ms)
{
    if (m->source != P2P_FROM_REPLY)
        return false;
    sync_flight_t *f = flight_of(s, m->peer_id);
    if (!f || m->tag != f->tag)
        return false;
    const char *fault = NULL;
    int rc = m->status;
    if (rc == 0 && f->cur.kind == SYNC_MEMPOOL) {
        if (m->msg.type == WIRE_ERROR) {
            rc = ERR_FULL; /* busy or rate-limited: an answer */
        } else if (m->msg.type != WIRE_MEMPOOL) {
            rc = ERR_PARSE;
            fault = "a reply of another type than asked";
        } else {
            rc = take_mempool(s, f, &m->msg, &fault);
        }
    } else if (rc == 0) {
        rc = catchup_reply(&f->x, &f->req, &fault, chain, &m->msg);
        if (rc == 0 && !catchup_done(&f->x)) {
            send_req(s, f, chain, now_ms);
            return true;
        }
    }
    end(s, f, chain, rc, fault, now_ms);
    return true;
}

size_t sync_in_flight(const sync_t *s)
{
    size_t n = 0;
    for (size_t i = 0; i < SYNC_FLIGHTS; i++)
        n += s->flight[i].busy;
    return n;
}

bool sync_idle(const sync_t *s)
{
    return sync_in_flight(s) == 0 && s->n == 0;
}

/* When held(peer) ends: now_ms when it is not held. */
static uint64_t hold_ends(const sync_t *s, uint64_t peer, uint64_t now_ms)
{
    for (size_t i = 0; i < SYNC_HOLD_SLOTS; i++)
        if (s->hold[i].peer == peer && now_ms < s->hold[i].until_ms)
            return s->hold[i].until_ms;
    return now_ms;
}

uint64_t sync_due_ms(const sync_t *s, uint64_t now_ms)
{
    size_t max = s->max_flights < SYNC_FLIGHTS ? s->max_flights : SYNC_FLIGHTS;
    uint64_t due = UINT64_MAX;
    size_t busy = 0, unproven = 0;
    for (size_t f = 0; f < max; f++) {
        if (!s->flight[f].busy)
            continue;
        busy++; /* the reply itself comes through the inbox */
        unproven += !s->flight[f].proven;
        if (s->flight[f].deadline_ms < due)
            due = s->flight[f].deadline_ms;
    }
    if (busy >= max)
        return due;
    /* A queued want may start, as sync_turn() decides, when its peer has
     * no exchange in flight and, for a peer that has not answered lately,
     * when an unproven flight is free; then when its peer's hold ends. */
    for (size_t i = 0; i < s->n; i++) {
        uint64_t peer = s->queue[i].peer;
        bool flying = false;
        for (size_t f = 0; f < max && !flying; f++)
            flying = s->flight[f].busy && s->flight[f].cur.peer == peer;
        if (flying || (unproven >= SYNC_FLIGHTS_UNPROVEN && !proven(s, peer)))
            continue;
        uint64_t t = hold_ends(s, peer, now_ms);
        if (t < due)
            due = t;
    }
    return due;
}

bool sync_settled(const sync_t *s, uint64_t now_ms)
{
    if (sync_in_flight(s))
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (!held(s, s->queue[i].peer, now_ms, false))
            return false;
    return true;
}

bool sync_caught_up(const sync_t *s, uint64_t now_ms)
{
    if (!s->answered)
        return false;
    for (size_t i = 0; i < SYNC_FLIGHTS; i++)
        if (s->flight[i].busy && proven(s, s->flight[i].cur.peer))
            return false;
    for (size_t i = 0; i < s->n; i++)
        if (!held(s, s->queue[i].peer, now_ms, false) &&
            proven(s, s->queue[i].peer))
            return false;
    return true;
}

void sync_init(sync_t *s, p2p_t *p2p, sync_sink_t sink)
{
    memset(s, 0, sizeof *s);
    s->p2p = p2p;
    s->sink = sink;
    s->max_flights = SYNC_FLIGHTS;
    for (size_t i = 0; i < SYNC_FLIGHTS; i++) {
        s->flight[i].s = s;
        buf_init(&s->flight[i].req);
    }
}

void sync_deinit(sync_t *s)
{
    for (size_t i = 0; i < SYNC_FLIGHTS; i++) {
        abandon(&s->flight[i]);
        buf_deinit(&s->flight[i].req);
    }
    s->n = 0;
}
