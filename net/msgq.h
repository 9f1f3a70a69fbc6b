/*
 * msgq — a bounded FIFO of p2p messages that a thread may wait on: p2p's
 * inbox (decoded messages for the node) and its outbox (frames for the PUB
 * socket).
 *
 * A push moves the message in (the caller's copy is emptied), a pop moves
 * the oldest one out. At most `max` wait, except those pushed with `always`
 * (answers to p2p_ask(): bounded by their own queue, and never to be lost).
 *
 * Thread safety: every function but msgq_new() and msgq_free() may be
 * called from any thread.
 */
#ifndef PICKAXE_MSGQ_H
#define PICKAXE_MSGQ_H

#include <stdbool.h>
#include <stddef.h>

#include "p2p.h"

typedef struct msgq msgq_t;

/* Returns an empty queue of at most max (>= 1) messages (owned;
 * msgq_free()), or NULL. */
msgq_t *msgq_new(size_t max);

/* Frees the queue and every message left in it. Accepts NULL; clears *q. */
void msgq_free(msgq_t **q);

/*
 * Appends a message and wakes a waiting msgq_pop().
 * Returns: 0 (*msg emptied); ERR_FULL when max wait and not always, or
 *          ERR_NOMEM (*msg left to the caller).
 */
int msgq_push(msgq_t *q, p2p_msg_t *msg, bool always);

/*
 * Takes the oldest message, waiting up to timeout_ms for one (0: do not
 * wait; -1: wait forever).
 * Returns: 0; ERR_TIMEOUT when none came.
 * Out:     out   written only on success (owned by the caller).
 */
int msgq_pop(msgq_t *q, p2p_msg_t *out, int timeout_ms);

/* Makes a waiting msgq_pop() return ERR_TIMEOUT at once, or, when none
 * waits, the next one that would wait (a pop with timeout 0 leaves the
 * wake for it). */
void msgq_wake(msgq_t *q);

#endif
