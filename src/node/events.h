/*
 * events — the node's log of what happened to its chain, for people
 * watching it (the explorer page, `pickaxe-cli events`): blocks accepted
 * (onto the best chain or a side branch, from which peer or mined here),
 * reorgs, side branches pruned, blocks and transactions refused, blocks
 * held as orphans, peers banned.
 *
 * A bounded ring: each event gets the next sequence number (1, 2, ...),
 * and once the ring holds EVENTS_CAP events each new one replaces the
 * oldest. A reader asks for the events after the last number it saw
 * (events_since); when the ring has moved past that number, the reader
 * learns how many it missed and can start again from the tree itself.
 * Counts by kind cover every event since the start, wrapped or not.
 *
 * What one chain_add_block call does reaches the node through the chain's
 * callbacks, one block at a time; a call opened with events_call_begin()
 * gathers them into whole events: each block added (best or side, as it
 * stood against the tip when it came), one reorg (blocks off, blocks on,
 * transactions back in the mempool) and one event per side branch pruned
 * (its blocks, and its transfers that went back to the mempool), which
 * events_call_end() closes.
 *
 * Thread safety: none; the node uses it under its lock.
 */
#ifndef PICKAXE_EVENTS_H
#define PICKAXE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "tx.h"

#define EVENTS_CAP 4096
/* Refused blocks whose first transactions are kept for their details, and
 * how many of each. */
#define EVENTS_DETAILS 128
#define EVENTS_DETAIL_TXS 12

typedef enum {
    EVENT_BLOCK_ACCEPTED,
    EVENT_REORG,
    EVENT_BRANCH_PRUNED,
    EVENT_BLOCK_REFUSED,
    EVENT_BLOCK_ORPHAN,
    EVENT_TX_REFUSED,
    EVENT_PEER_BANNED,
    EVENT_KINDS
} event_kind_t;

/*
 * One event. Which fields mean something depends on the kind:
 *
 *   block-accepted  hash, parent, height, txs (in the block), best (joined
 *                   the best chain, directly or through the reorg that
 *                   follows), peer (0: made here, mined = true, or handed
 *                   in locally)
 *   reorg           hash (new tip), parent (old tip), height (the fork's),
 *                   count (blocks disconnected), count2 (connected), txs
 *                   (transfers of the disconnected blocks back in the
 *                   mempool)
 *   branch-pruned   hash (the branch's tip), parent (the block it grew
 *                   from), height (the tip's), count (blocks), txs
 *                   (transfers back in the mempool)
 *   block-refused   hash, parent (claimed), height (claimed: the
 *                   coinbase's, else the parent's + 1; has_height),
 *                   reason, peer, header, txs; has_header is false for
 *                   bytes that did not parse (reason "malformed"); the
 *                   last EVENTS_DETAILS refused blocks keep their first
 *                   transactions (events_detail())
 *   block-orphan    as block-refused; reason "orphan"
 *   tx-refused      hash (txid; has_header false), reason, peer
 *   peer-banned     peer, reason (the last misbehaviour)
 */
typedef struct {
    uint64_t seq;
    uint64_t time_ms; /* wall clock, ms since the epoch */
    event_kind_t kind;
    uint64_t peer;
    const char *reason; /* static string, or NULL */
    uint8_t hash[32];
    uint8_t parent[32];
    uint32_t height;
    uint32_t count, count2, txs;
    bool best, mined, has_height, has_hash, has_header;
    block_header_t header;
} event_t;

/* The first transactions of a refused block (events_detail()). */
typedef struct {
    uint64_t seq;   /* the block-refused event's; 0: unused */
    uint32_t count; /* kept (at most EVENTS_DETAIL_TXS) */
    tx_t txs[EVENTS_DETAIL_TXS];
} event_detail_t;

typedef struct {
    event_t *ring;           /* EVENTS_CAP entries, owned */
    event_detail_t *details; /* EVENTS_DETAILS entries, owned */
    uint64_t details_next;
    uint64_t next; /* the sequence number the next event gets (from 1) */
    uint64_t counts[EVENT_KINDS];
    /* The call being gathered (events_call_begin .. _end). */
    bool in_call;
    uint64_t call_peer;
    bool call_mined;
    uint32_t reorg_off;
    uint8_t reorg_old_tip[32];
    uint32_t reorg_old_height;
    event_t prune; /* a pruned branch being gathered */
    bool pruning;
    /* Peers whose ban was logged lately: a banned peer's messages already
     * in the inbox report the ban again. */
    uint64_t banned[16], banned_ms[16];
    size_t banned_next;
} events_t;

/* Returns 0 or ERR_NOMEM (nothing to free then). */
int events_init(events_t *e);
void events_deinit(events_t *e);

/* The kind's name as the JSON says it ("block-accepted", ...). */
const char *events_kind_name(event_kind_t kind);

/*
 * Appends an event of this kind, stamped now with the next sequence
 * number, and returns it for the caller to fill (zeroed but for seq, time
 * and kind). The pointer is valid until the next push.
 */
event_t *events_push(events_t *e, event_kind_t kind);

/* The newest event's number (0 when none yet), and the oldest the ring
 * still holds (newest + 1 when empty). */
uint64_t events_last(const events_t *e);
uint64_t events_first(const events_t *e);

/* The transactions kept of the refused block of event seq, or NULL when
 * none are (the bytes did not parse, or newer refusals took the room). */
const event_detail_t *events_detail(const events_t *e, uint64_t seq);

/* The event numbered seq, or NULL when the ring does not hold it. */
const event_t *events_get(const events_t *e, uint64_t seq);

/*
 * The events numbered after `since`, oldest first, at most max.
 * Returns: how many were written to out (borrowed pointers into the ring,
 *          valid until the next push).
 * Out:     *missed  events after `since` that the ring no longer holds.
 */
size_t events_since(const events_t *e, const event_t **out, size_t max,
                    uint64_t since, uint64_t *missed);

/* ---- refusals and bans --------------------------------------------------- */

/*
 * A block refused (EVENT_BLOCK_REFUSED) or held for its unknown parent
 * (EVENT_BLOCK_ORPHAN), as peer (0: here) sent it. b is NULL for bytes
 * that did not parse; c (borrowed) tells the claimed height when the
 * coinbase does not.
 */
void events_block_refused(events_t *e, event_kind_t kind, const chain_t *c,
                          const block_t *b, const char *reason, uint64_t peer);

/* A transaction refused; txid NULL for bytes that did not parse. */
void events_tx_refused(events_t *e, const uint8_t txid[32], const char *reason,
                       uint64_t peer);

/* A peer banned for reason (its last misbehaviour); the same peer's ban
 * is logged once a minute at most. */
void events_peer_banned(events_t *e, uint64_t peer, const char *reason);

/* ---- gathering one chain_add_block call --------------------------------- */

/* Opens a call: blocks it adds came from peer (0: here; mined: the node's
 * miner or generate). */
void events_call_begin(events_t *e, uint64_t peer, bool mined);

/* The chain's block_added callback: n joins the tree, whose best tip is
 * still tip. */
void events_on_added(events_t *e, const chain_node_t *n,
                     const chain_node_t *tip);

/* The chain's block_disconnected callback. */
void events_on_disconnected(events_t *e, const chain_node_t *n);

/* The chain's tip_changed callback, with the transfers that the reorg (if
 * any) gave back to the mempool. */
void events_on_tip(events_t *e, const chain_node_t *tip, size_t returned);

/* A pruned branch's transfer went back to the mempool (tx_discarded). */
void events_on_tx_returned(events_t *e);

/* The chain's block_removed callback (pruning, tip first). */
void events_on_removed(events_t *e, const chain_node_t *n);

/* Closes the call: a pruned branch being gathered becomes its event. */
void events_call_end(events_t *e);

#endif
