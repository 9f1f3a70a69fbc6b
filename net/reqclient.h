/*
 * reqclient — a request/reply client that never blocks forever: ZeroMQ's
 * "lazy pirate" pattern (zguide, chapter 4).
 *
 * A REQ socket alternates strictly between send and receive; when a reply
 * never comes (the server is down, slow, or dropped the request) the socket
 * is stuck in "expecting a reply". So each attempt sends the request and
 * polls for at most timeout_ms; on silence the socket is closed (linger 0:
 * the request is thrown away), a fresh one is connected to the same endpoint,
 * and the request is sent again, up to `retries` more times. A request thus
 * costs at most (retries + 1) * timeout_ms. A late reply to an abandoned
 * attempt dies with the socket that asked, so a reply always answers the
 * request that was last sent.
 *
 * States: READY (socket connected, nothing outstanding) -> request sent ->
 * reply received -> READY; or -> timed out -> socket replaced -> READY.
 * Requests may be repeated, so they should be idempotent (everything in the
 * pickaxe protocols is: REGISTER refreshes, SUBMIT_TX of a known transaction
 * is a duplicate).
 *
 * Thread safety: not thread-safe; a client belongs to one thread at a time
 * (it may be handed to another thread under a mutex).
 */
#ifndef PICKAXE_REQCLIENT_H
#define PICKAXE_REQCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "identity.h"

typedef struct reqclient reqclient_t;

/*
 * Creates a client and connects it (ZeroMQ connects in the background, so an
 * absent server is not an error here).
 *
 * Returns: the client (owned; free with reqclient_free()), or NULL when the
 *          endpoint is malformed, an argument is out of range, or memory or
 *          sockets ran out.
 * In:      endpoint    "tcp://host:port" (copied).
 *          timeout_ms  how long one attempt waits for its reply, >= 1.
 *          retries     attempts after the first, >= 0.
 */
reqclient_t *reqclient_new(const char *endpoint, int timeout_ms, int retries);

/*
 * As reqclient_new(), for a server's keyed endpoint: every socket the
 * client opens proves self and talks only to a server holding server_key
 * (CURVE, sock.h), so a reply can come from no one else; one that holds
 * another key never completes the handshake, which looks like silence
 * (ERR_TIMEOUT).
 * In:      self, server_key   copied.
 */
reqclient_t *reqclient_new_keyed(const char *endpoint, int timeout_ms,
                                 int retries, const identity_t *self,
                                 const uint8_t server_key[32]);

/* Closes the socket and frees c. Accepts NULL and *c == NULL; clears *c. */
void reqclient_free(reqclient_t **c);

/*
 * Sends a request and waits for its reply, resetting the socket and
 * retrying on silence.
 *
 * Returns: 0; ERR_TIMEOUT when no attempt got a reply; ERR_NET when the
 *          socket could not be (re)created or sent on; ERR_PARSE when the
 *          reply had more than one frame; ERR_NOMEM.
 * Out:     reply       malloc'd reply frame (owned by the caller), and
 *          reply_len   its size; both written only on success.
 * In:      c           the client.
 *          req, len    the request frame (borrowed).
 */
PX_MUST_CHECK int reqclient_request(reqclient_t *c, uint8_t **reply,
                                    size_t *reply_len, const uint8_t *req,
                                    size_t len);

/* The endpoint the client talks to (borrowed; lives as long as c). */
const char *reqclient_endpoint(const reqclient_t *c);

/* Number of socket resets so far (each timed-out attempt makes one). */
unsigned reqclient_resets(const reqclient_t *c);

#endif
