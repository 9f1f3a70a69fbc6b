/*
 * sync — the node's side of catching up from peers: what to ask whom, and
 * when.
 *
 * Gossip can drop messages, so a node never relies on it alone. When it
 * starts, when a peer joins, every few seconds (one peer in turn), and when
 * a test partition heals, it wants a peer's tip (SYNC_TIP: fetch what the
 * peer has when its chain has more work); when a gossiped block's parent is
 * unknown, it wants the blocks of the peer that sent it (SYNC_BLOCKS); when
 * it starts and when a partition heals, it wants a peer's pending
 * transactions (SYNC_MEMPOOL). Each want goes into a bounded queue
 * (SYNC_QUEUE_MAX), one entry per peer for its chain (a SYNC_BLOCKS want
 * replaces a queued SYNC_TIP of the same peer, a SYNC_TIP adds nothing to a
 * queued SYNC_BLOCKS) and one for its mempool; a full queue drops new wants
 * (and counts them): the next tip poll catches up what they would have.
 *
 * The main loop serves the queue between blocks and never waits on a peer:
 * sync_turn() starts the queued wants whose peers may be asked -- each
 * request goes out through p2p_ask() -- and returns; a reply comes back
 * through the inbox and sync_reply() takes it, hands the blocks or
 * transactions it carries to the node (the sink), and sends the next
 * request of that exchange, until the exchange is done. A block fetched
 * this way that turns out to be an orphan does not start another exchange:
 * the one under way goes on anyway. The block exchange itself is
 * net/catchup.h's (locator -> headers -> blocks, bounded).
 *
 * Exchanges with different peers run side by side (at most SYNC_FLIGHTS,
 * one per peer), so a peer that is slow to answer, or never does, delays
 * its own exchange only. Peers that have not answered lately (new, or
 * unresponsive: p2p.h) may take at most SYNC_FLIGHTS_UNPROVEN of them: a
 * crowd of silent peers that just registered cannot keep the peers that do
 * answer waiting for a free exchange.
 *
 * Per-peer holds keep a peer from being asked too often: an exchange for a
 * peer's chain holds that peer for SYNC_MIN_INTERVAL_MS (orphans between
 * two exchanges wait in the orphan pool and the next one usually resolves
 * them), and a peer that did not answer (timeout, network error) is held
 * for SYNC_SILENT_HOLD_MS with its queued wants dropped, and wants for it
 * are refused meanwhile: a peer that gossips orphans and never answers
 * costs one request timeout per SYNC_SILENT_HOLD_MS, on its own lane of the
 * ask worker (asker.h), not the main loop's or another peer's. A reply that is
 * not what was asked scores the peer (SCORE_BAD_REPLY, score.h); a refusal
 * ("busy", "rate-limited") does not. An exchange whose reply has not come after
 * SYNC_REPLY_DEADLINE_MS is abandoned as if the peer were silent.
 *
 * Thread safety: none. The node calls every function under its lock: the
 * main loop all of them, the request thread sync_want() and sync_forget()
 * (rpc "partition").
 */
#ifndef PICKAXE_SYNC_H
#define PICKAXE_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "block.h"
#include "catchup.h"
#include "chain.h"
#include "p2p.h"
#include "tx.h"

#define SYNC_QUEUE_MAX 128
#define SYNC_HOLD_SLOTS 64
/* Exchanges in flight at once (one per peer), and how many of them may be
 * with peers that have not answered lately. */
#define SYNC_FLIGHTS 24
#define SYNC_FLIGHTS_UNPROVEN 16
/* At most one exchange for a peer's chain this often. */
#define SYNC_MIN_INTERVAL_MS 1000
/* A peer that did not answer is not asked again for this long. */
#define SYNC_SILENT_HOLD_MS 30000
/* An exchange whose reply has not come by then is abandoned. */
#define SYNC_REPLY_DEADLINE_MS 10000
/* Locator rounds in one exchange (each up to WIRE_MAX_HEADERS blocks). */
#define SYNC_MAX_ROUNDS 10000

typedef enum {
    SYNC_TIP = 1, /* the peer's tip; its blocks when it is ahead */
    SYNC_BLOCKS,  /* the peer's blocks, now */
    SYNC_MEMPOOL, /* the peer's pending transactions */
} sync_kind_t;

/* Where what sync fetches goes (the node). */
typedef struct {
    void *ctx;
    /* A block fetched from peer; returns the chain's answer
     * (catchup_block_fn's contract). */
    int (*block)(void *ctx, const block_t *b, uint64_t peer);
    /* A pending transaction of peer's; returns 0 when taken. */
    int (*tx)(void *ctx, const tx_t *tx, const uint8_t txid[32], uint64_t peer);
} sync_sink_t;

typedef struct {
    uint64_t peer;
    sync_kind_t kind;
    bool once;        /* SYNC_MEMPOOL: the first answer cancels the others */
    bool has_hash;    /* SYNC_BLOCKS: the orphan that asked for it ... */
    uint8_t hash[32]; /* ... (when on the chain by then: nothing to do) */
} sync_want_t;

typedef struct sync sync_t;

/* One exchange in flight. */
typedef struct {
    sync_t *s; /* its sync (for the block callback) */
    bool busy;
    bool proven; /* its peer had answered lately when it began */
    sync_want_t cur;
    uint64_t tag;
    uint64_t deadline_ms;
    catchup_t x;
    buf_t req;
} sync_flight_t;

struct sync {
    p2p_t *p2p; /* borrowed */
    sync_sink_t sink;
    sync_want_t queue[SYNC_QUEUE_MAX];
    size_t n;
    struct {
        uint64_t peer, until_ms;
        bool silent;
    } hold[SYNC_HOLD_SLOTS];
    /* The exchanges in flight. */
    sync_flight_t flight[SYNC_FLIGHTS];
    size_t max_flights; /* SYNC_FLIGHTS (tests may lower it) */
    uint64_t next_tag;
    /* Counters, for the log and status. */
    uint64_t dropped;   /* wants not queued: full, or the peer silent */
    uint64_t exchanges; /* exchanges started */
    uint64_t answered;  /* exchanges that ended with the peer's answer */
};

/* Sets up an empty queue; p2p is borrowed. */
void sync_init(sync_t *s, p2p_t *p2p, sync_sink_t sink);

/* Abandons the exchange in flight and frees what sync holds. */
void sync_deinit(sync_t *s);

/*
 * Queues a want (see above for how wants merge).
 * Returns: 0 when queued or merged; ERR_TIMEOUT when the peer is held as
 *          silent; ERR_FULL when the queue is full; ERR_ARG for peer 0.
 *          Refused wants are counted in dropped.
 * In:      hash   SYNC_BLOCKS: the orphan's hash (may be NULL).
 *          once   SYNC_MEMPOOL: see sync_want_t.
 */
int sync_want(sync_t *s, uint64_t peer, sync_kind_t kind,
              const uint8_t hash[32], bool once, uint64_t now_ms);

/* Drops every want of peer and abandons its exchange in flight (its reply
 * will be ignored): a test partition cut it off. */
void sync_forget(sync_t *s, uint64_t peer);

/* Main loop: abandons the exchanges past their deadline, then starts the
 * queued wants whose peers may be asked, while exchanges are free. */
void sync_turn(sync_t *s, const chain_t *chain, uint64_t now_ms);

/*
 * Main loop: a P2P_FROM_REPLY message. When it answers an exchange in
 * flight, takes it (blocks and transactions to the sink) and sends the
 * exchange's next request, or ends it.
 * Returns: true when the reply was the one awaited (false: stale or not
 *          sync's, ignored).
 */
bool sync_reply(sync_t *s, const chain_t *chain, const p2p_msg_t *m,
                uint64_t now_ms);

/* When sync_turn() next has something to do on its own (monotonic ms):
 * the earliest deadline of the exchanges in flight, or, while a flight is
 * free, the end of the hold on a queued want's peer that has no exchange
 * in flight (now_ms when one may be served now); UINT64_MAX when nothing
 * is queued or flying. A reply needs no deadline: it comes through the
 * inbox. */
uint64_t sync_due_ms(const sync_t *s, uint64_t now_ms);

/* True when nothing is queued or in flight. */
bool sync_idle(const sync_t *s);

/* The number of exchanges in flight. */
size_t sync_in_flight(const sync_t *s);

/* True when nothing is in flight and no queued want may be served at now_ms
 * (each waits for its peer's hold to end): what could be fetched now has
 * been. In a busy network the queue is seldom empty -- gossip brings
 * orphans, tip polls come every few seconds -- so this, not sync_idle(),
 * says that a catch-up is over. */
bool sync_settled(const sync_t *s, uint64_t now_ms);

/* True when some exchange has been answered and what could be fetched now
 * from the peers that answer (p2p.h: answered, and not unresponsive) has
 * been: nothing of theirs in flight or servable. Peers that have never
 * answered may still be waited for: a node that starts among many silent
 * peers need not wait out every one's time-out before it mines. */
bool sync_caught_up(const sync_t *s, uint64_t now_ms);

#endif
