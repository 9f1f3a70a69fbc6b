/*
 * rpcclient — the asking side of the node's JSON queries (src/node/rpc.h): what
 * pickaxe-cli and the wallet service use to talk to a node, and to hand a
 * transaction to a node or a tracker.
 *
 * A call encodes {"method": M, "params": P} as a wire QUERY (net/wire.h) for
 * the client's network, sends it through a lazy-pirate request client
 * (reqclient.h: each attempt waits at most timeout_ms, a silent server gets
 * a fresh socket and the request again, up to `retries` more times), and
 * decodes the REPLY: {"result": V} becomes V, {"error": {code, message}}
 * becomes the code and the message. So a call never blocks for longer than
 * (retries + 1) * timeout_ms.
 *
 * Every failure comes with a message a person can read (*err_msg, owned by
 * the caller), so a command-line tool prints it as it is:
 *
 *   the node refused     the node's own message ("unknown method",
 *                        "bad-txns-nonce-replay", "no such block") and the
 *                        node's err.h code;
 *   nobody answered      ERR_TIMEOUT (or ERR_NET when no socket could be
 *                        made): "no answer from tcp://H:P within 10 s"
 *                        (the whole budget, all attempts);
 *   another network      ERR_INVALID: "tcp://H:P is a regtest node, not
 *                        demo" (its reply did not decode under our id);
 *   gibberish            ERR_PARSE: a reply that is not a REPLY with a JSON
 *                        object of one of the two shapes above.
 *
 * ZeroMQ connects in the background and keeps retrying, so "nobody
 * answered" covers both a port where nothing listens and a process that
 * accepts connections but does not answer; rpcclient_probe() tells the two
 * apart with a plain TCP connection.
 *
 * A node never sends ERR_TIMEOUT or ERR_NET as its own error code; should
 * one arrive it is returned as ERR_INVALID, so that those two codes always
 * mean "no answer" (rpcclient_no_answer()).
 *
 * Requests may be sent more than once (that is what the retries are), so
 * methods called with retries > 0 should be idempotent: every query is,
 * and so is `submit` (a known transaction is a duplicate), but `generate`
 * is not: call it on a client made with retries = 0.
 *
 * Thread safety: not thread-safe; a client belongs to one thread at a time
 * (like the reqclient inside it).
 */
#ifndef PICKAXE_RPCCLIENT_H
#define PICKAXE_RPCCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"

typedef struct rpcclient rpcclient_t;

/*
 * Creates a client for a node's (or a tracker's) request endpoint.
 * ZeroMQ connects in the background: an absent server is not an error here.
 *
 * Returns: the client (owned; rpcclient_free()), or NULL when the endpoint
 *          is malformed or too long, timeout_ms < 1, retries < 0, or memory
 *          or sockets ran out.
 * In:      endpoint    "tcp://HOST:PORT" (copied).
 *          network_id  the network's id (params_t.network_id; copied).
 *          timeout_ms  how long one attempt waits for its reply.
 *          retries     attempts after the first.
 */
rpcclient_t *rpcclient_new(const char *endpoint, const uint8_t network_id[32],
                           int timeout_ms, int retries);

/* Closes the socket and frees c. Accepts NULL and *c == NULL; clears *c. */
void rpcclient_free(rpcclient_t **c);

/*
 * Calls one method of the node's JSON queries (src/node/rpc.h).
 *
 * Returns: 0; the node's error code (err.h) when it answered with an error;
 *          ERR_TIMEOUT or ERR_NET when nobody answered; ERR_INVALID when
 *          the server is on another network; ERR_PARSE for a malformed
 *          reply; ERR_ARG when method is empty or params is not an object;
 *          ERR_NOMEM.
 * Out:     result   the "result" value (new reference; json_decref()),
 *                   written only on success.
 *          err_msg  on failure, what went wrong (malloc'd; the caller
 *                   frees it); NULL on success. May be NULL.
 * In:      c        the client.
 *          method   e.g. "status".
 *          params   a JSON object (borrowed), or NULL for none.
 */
PX_MUST_CHECK int rpcclient_call(rpcclient_t *c, json_t **result,
                                 char **err_msg, const char *method,
                                 const json_t *params);

/*
 * Hands a serialized transaction to a node or a tracker with a wire
 * SUBMIT_TX. A node validates it against its mempool and answers ACK (also
 * for one it already has) or an ERROR with the reason; a tracker checks
 * only its shape and relays it to every node on its PUB socket.
 *
 * Returns: 0 on ACK; the server's error code with *err_msg its reason;
 *          otherwise as rpcclient_call().
 * Out:     err_msg  as rpcclient_call().
 * In:      raw, len the transaction as tx_serialize() writes it (borrowed).
 */
PX_MUST_CHECK int rpcclient_submit_tx(rpcclient_t *c, char **err_msg,
                                      const uint8_t *raw, size_t len);

/*
 * Sends any wire message and decodes the answer (e.g. PEERS to a tracker,
 * which answers PEER_LIST). An ERROR answer is turned into its code and
 * reason, so on success reply->type is never WIRE_ERROR.
 *
 * Returns: 0; otherwise as rpcclient_submit_tx().
 * Out:     reply    the decoded answer, borrowing from *raw; written only
 *                   on success; wire_msg_clear() it, then free(*raw).
 *          raw      the reply frame (malloc'd), written only on success.
 *          err_msg  as rpcclient_call().
 * In:      req      the message to send (borrowed).
 */
PX_MUST_CHECK int rpcclient_request(rpcclient_t *c, wire_msg_t *reply,
                                    uint8_t **raw, char **err_msg,
                                    const wire_msg_t *req);

/*
 * Whether anything accepts TCP connections at the client's endpoint (a
 * plain connect(), nothing sent: sock_probe()).
 * Returns: 0 when something accepts them; ERR_NET when nothing does
 *          ("nothing listens on tcp://H:P (connection refused)", or the
 *          connection failed another way); ERR_TIMEOUT when the host did not
 *          answer the connection attempt within timeout_ms.
 * Out:     why      on failure, that sentence (malloc'd; the caller frees
 *                   it); NULL on success. May be NULL.
 */
PX_MUST_CHECK int rpcclient_probe(const rpcclient_t *c, int timeout_ms,
                                  char **why);

/* True when rc (returned by a call above) means that nobody answered. */
bool rpcclient_no_answer(int rc);

/* True when the last failed call failed because the server answered with an
 * error of its own (a refusal), false when the exchange itself failed (no
 * answer, another network, a malformed reply). */
bool rpcclient_last_error_remote(const rpcclient_t *c);

/* The endpoint the client talks to (borrowed; lives as long as c). */
const char *rpcclient_endpoint(const rpcclient_t *c);

#endif
