/*
 * serve — the node's request thread: its ROUTER endpoint (server.h), where
 * peers ask for tips, headers, blocks and pending transactions, and the cli
 * and wallets query and submit.
 *
 * The thread answers one request at a time, so that the main loop never
 * waits on a client and a node that is itself syncing from a peer still
 * answers that peer. Each answer takes the node lock for its own time only
 * and waits for it at most SERVE_LOCK_WAIT_MS (a JSON query: node_query(),
 * whose `status` waits SERVE_STATUS_WAIT_MS and then answers without the
 * lock); a request that cannot have it is refused as busy (ERR_FULL,
 * saying how long the main loop has not turned and where), since one that
 * waited for ever would hold up every status behind it. SUBMIT_TXS takes
 * the lock per transaction, so the main loop is never held up for a whole
 * batch of signature checks.
 *
 * Request flood control: each client connection has a token bucket
 * (reqlimit.h) for the peer protocol's requests and for frames that are
 * not well-formed requests of our network; a request over the budget is
 * answered "rate-limited" without taking the node lock, so a flood costs
 * the main loop nothing and honest peers (ZeroMQ's ROUTER serves
 * connections in turn) still get their answers. Queries and submitted
 * transactions (QUERY, SUBMIT_TX, SUBMIT_TXS: the cli and wallets) are not
 * limited here.
 *
 * A request of another wire version or network comes from a node of
 * another build or one pointed at the wrong network, not from a broken
 * one: it is refused in the sender's own framing (wire_encode_refusal),
 * saying why ("this node speaks wire version 2, not 1"), and is not
 * counted as malformed.
 *
 * Lifecycle: serve_new() binds (node_new() reports a port in use),
 * serve_start() starts the thread (node_run()), serve_stop() stops it,
 * serve_free() closes the socket.
 *
 * Thread safety: serve_counts() may be called from any thread; the rest
 * from the node's owner.
 */
#ifndef PICKAXE_SERVE_H
#define PICKAXE_SERVE_H

#include <stdint.h>

#include "node.h"

/* `status` waits this long for the node lock, then answers without it. */
#define SERVE_STATUS_WAIT_MS 250
/* Any other request waits this long, then is refused as busy. */
#define SERVE_LOCK_WAIT_MS 1000

typedef struct serve serve_t;

/*
 * Binds the request endpoints for node n (borrowed; must outlive the
 * serve_t): the plain one (endpoint: pickaxe-cli, the wallet service) and
 * the keyed one, proving key (CURVE: peers). Both serve every request; a
 * GET_KEY is answered with the key and the keyed endpoint's port.
 * Returns: the server (owned; serve_free()), or NULL when the bind fails
 *          or memory runs out.
 */
serve_t *serve_new(node_t *n, const char *endpoint, const char *keyed,
                   const identity_t *key);

/* Starts the request thread. Returns 0 or ERR_NOMEM. */
int serve_start(serve_t *s);

/* Stops the request thread and waits for it (within SERVE_LOCK_WAIT_MS and
 * a poll); harmless when it is not running. */
void serve_stop(serve_t *s);

/* Stops the thread when running, closes the socket. Accepts NULL; clears
 * *s. */
void serve_free(serve_t **s);

/* Requests refused by the rate limiter, and frames that were not
 * well-formed requests (of any network or version). Thread-safe. */
void serve_counts(serve_t *s, uint64_t *limited, uint64_t *malformed);

#endif
