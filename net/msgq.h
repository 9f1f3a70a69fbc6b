/*
 * msgq — a bounded queue of p2p messages, served fairly across senders,
 * that a thread may wait on: p2p's inbox (decoded messages for the node)
 * and its outbox (frames for the PUB socket).
 *
 * Each message goes into the lane of its sender (its peer_id; 0 for the
 * tracker, and for every frame of the outbox, which thus is one plain
 * FIFO). Within a lane messages keep their order; msgq_pop() serves the
 * lanes round-robin, one message from each in turn, so a lane holding
 * thousands of messages delays another lane's next message by at most one
 * message per other lane, never by its own backlog.
 *
 * Bounds. A lane holds at most lane_max messages and the queue at most max
 * (both not counting those pushed with `always`: answers to p2p_ask(),
 * bounded by their own queue and never to be lost). When the queue is full,
 * a push into a lane shorter than the longest lane evicts the newest
 * message of the longest one: a sender that floods loses its own messages,
 * while one that sends no more than anyone else keeps its place. A push
 * into the longest lane of a full queue (or into a full lane) is refused.
 *
 * A push moves the message in (the caller's copy is emptied), a pop moves
 * the next one out. The lanes that hold messages are at most as many as the
 * distinct senders pushed; a lane disappears when it is empty.
 *
 * Thread safety: every function but msgq_new() and msgq_free() may be
 * called from any thread.
 */
#ifndef PICKAXE_MSGQ_H
#define PICKAXE_MSGQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2p.h"

typedef struct msgq msgq_t;

/* Returns an empty queue of at most max (>= 1) messages, at most lane_max
 * (>= 1; clipped to max) of them from one sender (owned; msgq_free()), or
 * NULL. */
msgq_t *msgq_new(size_t max, size_t lane_max);

/* Frees the queue and every message left in it. Accepts NULL; clears *q. */
void msgq_free(msgq_t **q);

/*
 * Appends a message to its sender's lane (msg->peer_id) and wakes a waiting
 * msgq_pop().
 * Returns: 0 (*msg emptied); ERR_FULL when its lane is full, or the queue is
 *          full and no lane is longer than its own (not with always);
 *          ERR_NOMEM (*msg left to the caller).
 * Out:     evicted  when room was made by evicting another sender's newest
 *                   message, that message (owned by the caller, who counts
 *                   it against its sender); else emptied. May be NULL: an
 *                   evicted message is then freed here.
 */
int msgq_push(msgq_t *q, p2p_msg_t *msg, bool always, p2p_msg_t *evicted);

/*
 * Takes the next message, round-robin across lanes, waiting up to
 * timeout_ms for one (0: do not wait; -1: wait forever).
 * Returns: 0; ERR_TIMEOUT when none came.
 * Out:     out   written only on success (owned by the caller).
 */
int msgq_pop(msgq_t *q, p2p_msg_t *out, int timeout_ms);

/* Makes a waiting msgq_pop() return ERR_TIMEOUT at once, or, when none
 * waits, the next one that would wait (a pop with timeout 0 leaves the
 * wake for it). */
void msgq_wake(msgq_t *q);

/* Messages waiting in the lane of sender (always-pushed ones included). */
size_t msgq_lane_count(msgq_t *q, uint64_t sender);

/* Messages waiting in all (always-pushed ones included). */
size_t msgq_count(msgq_t *q);

#endif
