/*
 * node_link — the wallet service's line to one node and the tracker: JSON
 * queries (rpc.h) to the node, and transaction submissions (SUBMIT_TX) to
 * the tracker or the node.
 *
 * Each destination has a lazy-pirate client (reqclient.h), so no call waits
 * longer than (retries + 1) * timeout_ms: a node that is down makes a query
 * fail with ERR_TIMEOUT after that long, and the next query tries again on a
 * fresh socket. Nothing here remembers that a destination was down.
 *
 * Errors come back in a node_link_error_t so the caller can tell the three
 * cases a person needs told apart: the destination did not answer
 * (remote = false: ERR_TIMEOUT, ERR_NET); it answered with an error of its
 * own (remote = true: its err.h code and message, e.g. "no such block" or
 * "bad-txns-unsigned"); or it answered with something that is not a reply
 * (ERR_PARSE, remote = false).
 *
 * Thread safety: not thread-safe. A link holds ZeroMQ sockets, which belong
 * to one thread: the wallet service makes the link before it starts its HTTP
 * thread (a full memory barrier) and then uses it on that thread only.
 */
#ifndef PICKAXE_NODE_LINK_H
#define PICKAXE_NODE_LINK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "params.h"
#include "tx.h"

typedef struct node_link node_link_t;

typedef struct {
    int code;          /* an err.h code */
    bool remote;       /* true: the node or tracker answered with an error */
    char message[256]; /* what a person should read */
} node_link_error_t;

/*
 * Makes a link. ZeroMQ connects in the background, so absent servers are not
 * an error here.
 *
 * Returns: the link (owned; node_link_free()), or NULL when an endpoint is
 *          malformed or sockets or memory ran out.
 * In:      params      the network (borrowed; lives for the process).
 *          node        the node's request endpoint, "tcp://HOST:PORT".
 *          tracker     the tracker's request endpoint, or NULL for none.
 *          timeout_ms  one attempt's wait; retries  attempts after the first.
 */
node_link_t *node_link_new(const params_t *params, const char *node,
                           const char *tracker, int timeout_ms, int retries);

/* Closes the sockets and frees *l. NULL and *l == NULL are harmless. */
void node_link_free(node_link_t **l);

/* The endpoints (borrowed; "" for no tracker). */
const char *node_link_node(const node_link_t *l);
const char *node_link_tracker(const node_link_t *l);

/*
 * Asks the node one query: {"method": method, "params": params}.
 *
 * Returns: 0 with *result set;
 *          the node's code (remote = true) when it answered with an error;
 *          ERR_TIMEOUT or ERR_NET when it did not answer;
 *          ERR_PARSE when the reply is not a well-formed REPLY;
 *          ERR_NOMEM.
 * Out:     result  the reply's "result" (new reference), only on success.
 *          err     what went wrong, written on failure (may be NULL).
 * In:      method  a method name from rpc.h.
 *          params  an object (borrowed) or NULL.
 */
int node_link_query(node_link_t *l, json_t **result, node_link_error_t *err,
                    const char *method, const json_t *params);

/*
 * Submits a transaction (SUBMIT_TX) to the tracker, which relays it to every
 * node, or straight to the node.
 *
 * Returns: 0 when it was acknowledged (the node accepted it or already had
 *          it; the tracker only checks that it looks like a transfer);
 *          the refusal's code (remote = true) with its reason, e.g.
 *          "bad-txns-unsigned";
 *          ERR_TIMEOUT or ERR_NET when it did not answer;
 *          ERR_ARG when to_tracker is true and the link has no tracker;
 *          ERR_PARSE, ERR_NOMEM.
 * Out:     err  written on failure (may be NULL).
 */
int node_link_submit(node_link_t *l, node_link_error_t *err, bool to_tracker,
                     const tx_t *tx);

/*
 * Asks the tracker how many peers it lists (PEERS).
 * Returns: 0 with *count set; otherwise as node_link_submit().
 */
int node_link_tracker_peers(node_link_t *l, size_t *count,
                            node_link_error_t *err);

#endif
