/*
 * server — the answering side of request/reply: a bound ROUTER socket.
 *
 * The tracker and the node daemon answer requests (REGISTER, GET_HEADERS,
 * QUERY, ...) from REQ clients (reqclient.h) and DEALER clients. A ROUTER
 * socket prefixes each request with the identity of the connection it came
 * from; server_recv() hands back that identity with the request body, and
 * server_reply() routes the answer to it. Unlike REP, a ROUTER never gets
 * stuck in a send/receive state: a request may go unanswered (the client
 * times out and resets), and several may be outstanding at once.
 *
 * Accepted envelopes: [identity, "", body] (a REQ client) and
 * [identity, body] (a DEALER sending bare frames); the reply mirrors the
 * envelope. Anything else is drained and refused with ERR_PARSE.
 * ZMQ_MAXMSGSIZE is set, so an oversized request drops its connection.
 *
 * Keys. A server made by server_new_keyed() proves a key pair (CURVE,
 * sock.h) on its keyed endpoint, and may listen on a plain endpoint too
 * (the same socket, bound a second time without CURVE: ZeroMQ takes the
 * security options at each bind). A request that came over the keyed
 * endpoint carries the client's public key, proved by CURVE
 * (server_req_t.keyed); one over the plain endpoint carries none, and a
 * server serves it only what needs no identity.
 *
 * Thread safety: not thread-safe; a server belongs to the thread that polls
 * it.
 */
#ifndef PICKAXE_SERVER_H
#define PICKAXE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "identity.h"
#include "sock.h"

#define SERVER_ID_MAX 255 /* ZeroMQ routing ids are at most 255 bytes */

typedef struct server server_t;

/* One received request: who asked, and what. */
typedef struct {
    uint8_t id[SERVER_ID_MAX];
    size_t id_len;
    bool delimiter; /* the client sent an empty delimiter frame (REQ) */
    bool keyed;     /* it came over CURVE: key is the client's */
    uint8_t key[32];
    uint8_t *data; /* owned; freed by server_req_clear() */
    size_t len;
} server_req_t;

/*
 * Creates a ROUTER socket and binds it.
 * Returns: the server (owned; free with server_free()), or NULL when the
 *          bind fails (the reason is logged).
 * In:      endpoint   "tcp://HOST:PORT", or "tcp://HOST:*" for any free port.
 */
server_t *server_new(const char *endpoint);

/*
 * Creates a ROUTER socket that proves self on keyed_endpoint and, when
 * plain_endpoint is not NULL, also listens there without CURVE.
 * Returns: as server_new().
 * In:      self     copied.
 */
server_t *server_new_keyed(const char *keyed_endpoint,
                           const char *plain_endpoint, const identity_t *self);

/* The keyed endpoint actually bound (borrowed), "" for a plain server. */
const char *server_keyed_endpoint(const server_t *s);

/* Closes the socket and frees s. Accepts NULL; clears *s. */
void server_free(server_t **s);

/* The plain endpoint actually bound, e.g. with the chosen port, or the
 * keyed one when there is no plain one (borrowed). */
const char *server_endpoint(const server_t *s);

/* The ROUTER socket, for zmq_poll() (borrowed; do not close). */
void *server_socket(server_t *s);

/*
 * Receives one request.
 * Returns: 0; ERR_TIMEOUT when none arrived within timeout_ms (0: do not
 *          wait; -1: wait forever); ERR_PARSE when a malformed envelope was
 *          received and dropped; ERR_NOMEM; ERR_NET.
 * Out:     req      filled only on success; release with server_req_clear().
 */
PX_MUST_CHECK int server_recv(server_t *s, server_req_t *req, int timeout_ms);

/*
 * Sends a reply to the client that sent req. Never blocks: when the client
 * is gone or its queue is full the reply is dropped (the client retries).
 * Returns: 0; ERR_NET when ZeroMQ refused the frames.
 */
PX_MUST_CHECK int server_reply(server_t *s, const server_req_t *req,
                               const uint8_t *data, size_t len);

/* Frees req->data and empties req. Accepts NULL. */
void server_req_clear(server_req_t *req);

#endif
