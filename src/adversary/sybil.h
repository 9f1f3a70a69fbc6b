/*
 * sybil — silent peers: registrations at the tracker, each with a request
 * endpoint and a gossip endpoint of its own that accept connections and
 * never answer nor publish (the silent-sybils attack, attack.h).
 *
 * Each sybil is a bound ROUTER (requests arrive and are never answered:
 * the asker waits out its time-out) and a bound PUB (subscribers connect
 * and hear nothing), registered under a random node id through a tracker
 * link of its own (trackerlink.h), which keeps it registered with PINGs
 * until the set is freed (LEAVE). At most SYBIL_MAX are made.
 *
 * The owner must call sybil_tend() often (every turn of its loop): ZeroMQ
 * frees a connection that went away, and takes in what arrived, only when
 * the socket's own thread calls into it, so sockets nobody touches keep
 * every connection they ever had (hundreds of KiB a second while peers
 * come and go). Tending reads and throws away what arrived, at most
 * SYBIL_TEND_MAX messages a socket, and answers nothing.
 *
 * Not thread-safe: the set belongs to the adversary's main loop (each link
 * runs its own thread, which touches none of the set's sockets).
 */
#ifndef PICKAXE_SYBIL_H
#define PICKAXE_SYBIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYBIL_MAX 256
/* Requests one sybil's ROUTER takes in (and drops) per sybil_tend(). */
#define SYBIL_TEND_MAX 64

typedef struct sybil sybil_t;

/*
 * An empty set of silent peers for the tracker at `tracker` (its request
 * endpoint), with their ports opened on host.
 * Returns: the set (owned; sybil_free()), or NULL (out of memory, or a
 *          string too long).
 */
sybil_t *sybil_new(const uint8_t network_id[32], const char *tracker,
                   const char *host);

/*
 * Opens one more silent peer's two endpoints and registers it.
 * Returns: 0 (registered, or the link keeps trying); ERR_FULL at
 *          SYBIL_MAX; ERR_NET when a port cannot be opened; ERR_INVALID
 *          when the tracker refused it; ERR_NOMEM.
 */
PX_MUST_CHECK int sybil_add(sybil_t *s);

/* Lets every socket of the set process what happened to its connections
 * and drops the requests that arrived. Accepts NULL. */
void sybil_tend(sybil_t *s);

/* How many silent peers the set holds. */
size_t sybil_count(const sybil_t *s);

/* The node id of the i-th (i < sybil_count()). */
uint64_t sybil_id(const sybil_t *s, size_t i);

/* True when peer_id is one of the set's. */
bool sybil_has(const sybil_t *s, uint64_t peer_id);

/* Leaves (LEAVE for each), closes every socket and frees the set. Accepts
 * NULL; clears *s. */
void sybil_free(sybil_t **s);

#endif
