/*
 * http_guard — which HTTP connections the wallet service keeps when clients
 * try to hold them all by being slow (slowloris: a request whose headers
 * arrive a line every few seconds and never end). Pure bookkeeping: no
 * sockets and no clock; the server (wallet_api_http.c) reports what happens
 * to each connection with the time, and closes the ones it is told to.
 *
 * States of a connection:
 *   WAITING    accepted, or answered and kept alive: its next request,
 *              headers and body, must be whole within limits.request_ms of
 *              entering this state. The deadline is counted once: bytes
 *              received do not move it (libmicrohttpd's own time-out is an
 *              idle time-out, which a byte every few seconds keeps off).
 *   ANSWERING  its request is whole; the answer is being made and sent,
 *              within limits.answer_ms (a client that will not read its
 *              answer cannot hold the slot either).
 *   CLOSING    past its deadline or evicted: the server has been told to
 *              close it. It no longer counts against any limit, and its
 *              entry is freed when the server reports it closed.
 *   WAITING -> ANSWERING (http_guard_answering) -> WAITING
 *   (http_guard_answered); any -> CLOSING (http_guard_expired, or evicted
 *   by http_guard_open); any -> free (http_guard_closed).
 *
 * Slots. At most limits.slots connections count at once, and at most
 * limits.per_address of them come from one client address (an IPv4
 * address, or the /64 prefix of an IPv6 one, since one host commonly holds
 * a whole /64). A new connection that would pass a limit is not refused:
 * it evicts a connection that counts, the oldest WAITING one (the earliest
 * to have entered WAITING) of its own address when that address is at its
 * limit, else the oldest WAITING one of any address; when none is waiting,
 * the oldest ANSWERING one. per_address is below slots, so one address can
 * only ever evict its own connections; connections of other addresses are
 * evicted only when several addresses together fill every slot.
 *
 * Why the oldest waiting one: a slowloris connection holds its request
 * open as long as it can, while a browser's request is whole within
 * milliseconds of its connection. So when attacker and user share an
 * address, as every client on this machine shares 127.0.0.1, the per-address
 * limit cannot tell them apart, but eviction can: the user's new connection
 * takes the place of the attacker's oldest, and is answered before the
 * attacker has opened per_address newer ones.
 *
 * Thread safety: none; the server calls it from its one thread.
 */
#ifndef PICKAXE_HTTP_GUARD_H
#define PICKAXE_HTTP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

/* The wallet service's limits (wallet_api.h's defaults). */
#define HTTP_GUARD_SLOTS 1024
#define HTTP_GUARD_PER_ADDRESS 256
#define HTTP_GUARD_REQUEST_MS 10000
#define HTTP_GUARD_ANSWER_MS 60000

typedef struct {
    unsigned slots;       /* connections that count at once, >= 2 */
    unsigned per_address; /* of them from one address, 1 .. slots - 1 */
    unsigned request_ms;  /* to send a whole request, > 0 */
    unsigned answer_ms;   /* to take a whole answer, > 0 */
} http_guard_limits_t;

typedef struct http_guard http_guard_t;

/* Fills l with the HTTP_GUARD_* defaults. */
void http_guard_limits_default(http_guard_limits_t *l);

/* True when l is usable (the ranges above). */
bool http_guard_limits_ok(const http_guard_limits_t *l);

/**
 * Makes an empty guard with room for `capacity` connections in any state
 * (counting or CLOSING; at least limits->slots).
 * Returns: the guard (owned; http_guard_free()), or NULL when the limits
 *          are not usable or memory ran out.
 */
http_guard_t *http_guard_new(const http_guard_limits_t *limits,
                             unsigned capacity);

/* Frees *g and clears the pointer; NULL harmless. */
void http_guard_free(http_guard_t **g);

/**
 * A connection was accepted.
 *
 * Returns: 0; ERR_FULL when the table has no free entry (close the new
 *          connection at once); ERR_ARG for an address that is neither
 *          IPv4 nor IPv6.
 * Out:     id     the connection's handle for the calls below (only on
 *                 success).
 *          evict  the handle (fd) of a connection to close now to make
 *                 room, now CLOSING, or -1 (always written).
 * In:      addr   the client's address (borrowed).
 *          fd     the caller's handle for the connection (its socket).
 */
PX_MUST_CHECK int http_guard_open(http_guard_t *g, unsigned *id, int *evict,
                                  const struct sockaddr *addr, int fd,
                                  uint64_t now_ms);

/* The connection's request is whole: WAITING -> ANSWERING. */
void http_guard_answering(http_guard_t *g, unsigned id, uint64_t now_ms);

/* Its answer went out and it is kept alive: ANSWERING -> WAITING. */
void http_guard_answered(http_guard_t *g, unsigned id, uint64_t now_ms);

/* The server closed it: its entry is free. */
void http_guard_closed(http_guard_t *g, unsigned id);

/**
 * The connections past their deadline at now_ms: each becomes CLOSING and
 * its fd is written to fds (at most max; the rest are found next time).
 * Returns: how many were written.
 */
size_t http_guard_expired(http_guard_t *g, int *fds, size_t max,
                          uint64_t now_ms);

/* Connections that count (not CLOSING): from addr's address (its /64 for
 * IPv6), or from any when addr is NULL. */
unsigned http_guard_count(const http_guard_t *g, const struct sockaddr *addr);

#endif
