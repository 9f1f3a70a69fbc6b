/*
 * sock — the ZeroMQ plumbing every net module shares.
 *
 * One ZeroMQ context serves the whole process (sock_context()); it is created
 * on first use and lives until exit, so no module has to agree with another
 * on who terminates it. Sockets are made by sock_new(), which applies the
 * options pickaxe wants on every socket:
 *
 *   ZMQ_LINGER 0          closing never waits for unsent messages, so a
 *                         program stops promptly even when a peer is gone;
 *   ZMQ_MAXMSGSIZE        WIRE_MAX_MSG_SIZE: a peer that sends a larger frame
 *                         is disconnected by ZeroMQ before we buffer it.
 *
 * CURVE. Sockets that carry a peer's words are secured with ZeroMQ's CURVE
 * (zmq_curve(7)): a server socket (ROUTER, PUB) proves the key pair it is
 * given, and a client (REQ, SUB) connects only to the key it expects, so
 * an endpoint answered by anyone else stays silent and everything on the
 * wire is encrypted. The context runs a ZAP handler (the ZeroMQ
 * authentication protocol, rfc.zeromq.org 27) on an inproc socket from the
 * start, before any server exists: it lets every client in and hands the
 * client's public key to the server as the message property "User-Id" (64
 * hex digits), which is how a server learns who asks (server.h). With
 * PICKAXE_CURVE=off in the environment CURVE is off for the whole process
 * (sock_curve_on()): the same endpoints, in plain text, no keys proved --
 * for measuring what encryption costs (benchmarks.md), never for a
 * network one cares about.
 *
 * ZeroMQ sockets are not thread-safe. A socket belongs to the thread that
 * uses it; it may move to another thread only across a full memory barrier
 * (a mutex hand-over), as zmq_socket(3) allows.
 *
 * Also here: the monotonic clock the net modules time out with, the
 * "HOST:PORT" / "tcp://HOST:PORT" endpoint strings of the --listen flags,
 * and a plain TCP probe of an endpoint (ZeroMQ connects in the background
 * and retries for ever, so it cannot tell "nothing listens" from "nobody
 * answers"; a bare connect() can).
 */
#ifndef PICKAXE_SOCK_H
#define PICKAXE_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "identity.h"

#define SOCK_ENDPOINT_MAX 256 /* with the NUL; a wire string fits */

/*
 * Returns: the process's ZeroMQ context, or NULL when it cannot be created.
 * Thread safety: thread-safe.
 */
void *sock_context(void);

/*
 * Creates a socket with pickaxe's standard options (see above).
 * Returns: the socket (owned; close with sock_close()), or NULL.
 * In:      type     ZMQ_REQ, ZMQ_ROUTER, ZMQ_PUB, ZMQ_SUB, ...
 */
void *sock_new(int type);

/* True unless PICKAXE_CURVE=off was in the environment at the first call
 * (see above). Thread-safe. */
bool sock_curve_on(void);

/*
 * Makes s a CURVE server with the key pair self for the binds that follow
 * (ZeroMQ takes a socket's security options at each bind); a no-op when
 * CURVE is off.
 * Returns: 0; ERR_NET when ZeroMQ refuses an option.
 */
PX_MUST_CHECK int sock_curve_server(void *s, const identity_t *self);

/* Makes the binds that follow on s plain (no CURVE), e.g. an endpoint for
 * local clients next to a server's keyed one. Returns: 0; ERR_NET. */
PX_MUST_CHECK int sock_plain_server(void *s);

/*
 * Makes s a CURVE client that proves self and accepts only a server
 * holding server_key, for the connects that follow; a no-op when CURVE is
 * off.
 * Returns: 0; ERR_NET when ZeroMQ refuses an option.
 */
PX_MUST_CHECK int sock_curve_client(void *s, const identity_t *self,
                                    const uint8_t server_key[32]);

/* Closes *s when it is not NULL and clears it. */
void sock_close(void **s);

/*
 * Binds s and reads back the endpoint actually bound, which differs from the
 * request for "tcp://HOST:*" (an ephemeral port).
 * Returns: 0; ERR_NET when the bind fails (address in use, bad endpoint).
 * Out:     bound    the bound endpoint, NUL-terminated (may be NULL).
 */
PX_MUST_CHECK int sock_bind(void *s, char *bound, size_t bound_len,
                            const char *endpoint);

/*
 * Sends one frame.
 * Returns: 0; ERR_TIMEOUT when it would block past the socket's send timeout
 *          (or at once with ZMQ_DONTWAIT); ERR_NET on another failure.
 */
PX_MUST_CHECK int sock_send(void *s, const void *data, size_t len, int flags);

/*
 * Receives one whole message (all frames) and returns its last frame.
 * Returns: 0; ERR_TIMEOUT when nothing is ready (ZMQ_DONTWAIT or receive
 *          timeout); ERR_PARSE when the message has more than one frame
 *          (it is drained); ERR_NOMEM; ERR_NET.
 * Out:     *data    malloc'd copy of the frame (owned by the caller), and
 *          *len     its size; written only on success.
 */
PX_MUST_CHECK int sock_recv(void *s, uint8_t **data, size_t *len, int flags);

/*
 * Waits until s has a message to read.
 * Returns: 1 readable; 0 timed out (or interrupted by a signal); ERR_NET.
 * In:      timeout_ms  -1 waits forever.
 */
PX_MUST_CHECK int sock_wait_readable(void *s, int timeout_ms);

/* Milliseconds on a monotonic clock. Thread-safe. */
uint64_t sock_now_ms(void);

/* The CLOCK_MONOTONIC time ms from now, as pthread_cond_timedwait() wants
 * it for a condition variable set up on that clock (so a change of the
 * wall clock neither shortens nor stretches a wait). Thread-safe. */
struct timespec sock_deadline_in(uint32_t ms);

/*
 * Splits "HOST:PORT" (HOST may be "*", a name, an IPv4 address or an IPv6
 * address in brackets) or "tcp://HOST:PORT".
 * Returns: 0; ERR_ARG when malformed or the port is not 1..65535.
 * Out:     host (NUL-terminated, without "tcp://"), *port; only on success.
 */
PX_MUST_CHECK int sock_parse_hostport(char *host, size_t host_len,
                                      uint16_t *port, const char *text);

/*
 * Whether anything accepts TCP connections at endpoint: opens a plain TCP
 * connection (no ZeroMQ, nothing sent) and closes it at once.
 * Returns: 0 when a connection was accepted; ERR_NET when every address of
 *          the host refused or failed (*errnum: the last errno, e.g.
 *          ECONNREFUSED when nothing listens on the port; 0 when the host
 *          name did not resolve); ERR_TIMEOUT when no answer to the
 *          connection attempt came within timeout_ms (a host that drops
 *          packets); ERR_ARG for a malformed endpoint.
 * Out:     errnum   may be NULL; written for ERR_NET.
 * In:      endpoint "tcp://HOST:PORT" (HOST a name or an address, IPv6 in
 *                   brackets).
 */
PX_MUST_CHECK int sock_probe(const char *endpoint, int timeout_ms, int *errnum);

/*
 * Formats "tcp://HOST:PORT".
 * Returns: 0; ERR_RANGE when it does not fit in out_len.
 */
PX_MUST_CHECK int sock_endpoint(char *out, size_t out_len, const char *host,
                                unsigned port);

#endif
