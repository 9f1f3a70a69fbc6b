/*
 * tracker — the peer registry: who is on the network, and a relay for
 * submitted transactions.
 *
 * Nodes REGISTER with their request and gossip endpoints and a random node
 * id, PING to stay listed, LEAVE when they stop; anyone may ask for PEERS.
 * A peer that has not registered or pinged for peer_timeout_ms expires. The
 * tracker announces every change on its PUB socket (PEER_JOINED, PEER_LEFT),
 * and relays each transaction a wallet submits, as the seed's flow has it:
 * wallet -> tracker -> all peers. Transactions come one per request
 * (SUBMIT_TX, answered ACK: the wallet) or up to WIRE_MAX_TX_BATCH per
 * request (SUBMIT_TXS, answered SUBMITTED, one result per item in order:
 * `pickaxe-cli --tracker submit -`), and leave on PUB in NEW_TXS frames,
 * each transaction behind its txid, as nodes relay among themselves: a
 * frame goes out when it holds WIRE_MAX_TX_BATCH or when tracker_flush()
 * is called, which tracker_run() does at the end of every loop turn (so a
 * transaction leaves within a turn, a few milliseconds). The tracker holds
 * no chain and checks no signature, so it checks a transaction only for
 * plausibility (the size and kind byte of a transfer); nodes validate it
 * for real. Older nodes' single-transaction TX frame is no longer
 * published; nodes still accept it.
 *
 * A PING from an id the tracker does not know is answered PONG{known = 0},
 * which tells the node to REGISTER again: that is how a restarted tracker
 * (whose table is empty) gets its peers back without anyone noticing.
 *
 * Peers are keys. The tracker has a key pair of its own (its identity,
 * identity.h) and three endpoints: a plain one (PORT) that serves what
 * needs no identity -- PEERS, SUBMIT_TX(S), and GET_KEY, which tells a
 * newcomer the tracker's key and keyed port -- a keyed one (CURVE, PORT+2
 * by default) where nodes REGISTER, PING and LEAVE, and the PUB (CURVE,
 * PORT+1). A REGISTER, PING or LEAVE is taken only over the keyed
 * endpoint and only from the key it names (the REGISTER's key, the PING's
 * or LEAVE's node id = that key's id), which CURVE has proved: nobody
 * registers, refreshes or removes another node. A node keeps its key
 * across restarts (the data directory), so a restarted node finds its own
 * entry and updates it in place. A REGISTER whose request or gossip
 * endpoint another live key holds is refused (ERR_DUPLICATE, "endpoint
 * ... is registered under key ..."), never evicts it: the endpoint frees
 * up when that key leaves or expires. (Claiming an endpoint first gains a
 * squatter nothing else: nodes connect to it with the squatter's key, and
 * the real owner's socket never completes that handshake.)
 *
 * tracker_config_t.trust_claims is for a process running without CURVE
 * (PICKAXE_CURVE=off, sock.h): no key is proved, so the keys that
 * requests name are taken as they come. tracker_run() sets it then.
 *
 * The logic (tracker_handle(), tracker_expire()) works on bytes and a clock
 * passed in, without sockets, so it is tested directly; tracker_run() wraps
 * it in a ROUTER socket for requests and a PUB socket for announcements.
 *
 * Thread safety: a tracker is owned by the thread that calls tracker_run()
 * (or tracker_handle()); only tracker_stop() may be called from elsewhere,
 * including from a signal handler.
 */
#ifndef PICKAXE_TRACKER_H
#define PICKAXE_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "err.h"
#include "identity.h"
#include "wire.h"

#define TRACKER_DEFAULT_TIMEOUT_MS 15000
#define TRACKER_DEFAULT_STATUS_MS 5000
/* The tracker's default request port is the network's node port minus this
 * (demo: 18320, PUB 18321), so a tracker and a node run side by side. */
#define TRACKER_PORT_OFFSET 10

typedef struct tracker tracker_t;

typedef struct {
    uint8_t network_id[32];
    uint32_t peer_timeout_ms; /* silence after which a peer expires */
    uint32_t status_ms;       /* interval of the status log line; 0: none */
    size_t max_peers;         /* registrations beyond this are refused */
    identity_t key;           /* the tracker's own (all zero: a fresh one) */
    bool trust_claims;        /* no CURVE: take the keys requests name */
} tracker_config_t;

/* Called with each encoded message the tracker publishes. */
typedef void (*tracker_publish_fn)(void *arg, const uint8_t *msg, size_t len);

/* Fills cfg with defaults for a network. */
void tracker_config_init(tracker_config_t *cfg, const uint8_t network_id[32]);

/*
 * Returns: a tracker with an empty peer table (owned; tracker_free()), or
 *          NULL on bad configuration (zero timeout or max_peers) or no
 *          memory.
 * In:      cfg      copied.
 */
tracker_t *tracker_new(const tracker_config_t *cfg);

/* Frees t and closes its sockets. Accepts NULL; clears *t. */
void tracker_free(tracker_t **t);

/*
 * Directs announcements to fn (tracker_run() installs its PUB socket here;
 * tests install a recorder). fn may be NULL: announcements are dropped.
 */
void tracker_set_publisher(tracker_t *t, tracker_publish_fn fn, void *arg);

/*
 * Answers one request, updating the peer table and publishing what changed
 * (a submitted transaction waits for tracker_flush() or a full batch).
 * Every request gets a reply: a malformed one, another network's, or a type
 * the tracker does not serve gets an ERROR that says why. Another
 * network's or an older wire version's is answered in its own framing, so
 * its sender can read "tracker is on demo, this node on regtest" or
 * "tracker speaks wire version 2, this node 1" (also logged).
 *
 * Returns: 0; ERR_NOMEM when the reply could not be built.
 * Out:     reply    the encoded reply is appended.
 * In:      sender   the key CURVE proved for the request's connection (32
 *                   bytes, borrowed), or NULL for one over the plain
 *                   endpoint.
 *          req, len the request frame (borrowed).
 *          now_ms   the current time on a monotonic clock.
 */
PX_MUST_CHECK int tracker_handle(tracker_t *t, buf_t *reply,
                                 const uint8_t *sender, const uint8_t *req,
                                 size_t len, uint64_t now_ms);

/* The tracker's public key (borrowed; 32 bytes, lives as long as t). */
const uint8_t *tracker_key(const tracker_t *t);

/*
 * Publishes the transactions waiting for relay as one NEW_TXS frame, in
 * the order they were submitted; does nothing when none wait.
 * tracker_handle() publishes a batch by itself only when it fills;
 * tracker_run() calls this at the end of each loop turn, and a caller that
 * drives tracker_handle() directly calls it where its turn ends.
 */
void tracker_flush(tracker_t *t);

/* Transactions accepted for relay and not yet published. */
size_t tracker_pending_txs(const tracker_t *t);

/*
 * Drops every peer silent for longer than the timeout, publishing
 * PEER_LEFT for each.
 * Returns: how many expired.
 */
size_t tracker_expire(tracker_t *t, uint64_t now_ms);

/* Number of registered peers. */
size_t tracker_peer_count(const tracker_t *t);

/*
 * Looks a peer up by id.
 * Returns: 0; ERR_NOT_FOUND.
 * Out:     peer     a copy, written only on success (may be NULL).
 */
PX_MUST_CHECK int tracker_find(const tracker_t *t, wire_peer_t *peer,
                               uint64_t id);

/*
 * Binds the request (ROUTER: plain and keyed) and announcement (PUB,
 * keyed) sockets.
 * Returns: 0; ERR_NET when a bind fails; ERR_ARG when already bound.
 * In:      req_endpoint, pub_endpoint, keyed_endpoint  e.g.
 *          "tcp://0.0.0.0:18320", "tcp://0.0.0.0:18321" and
 *          "tcp://0.0.0.0:18322"; "tcp://HOST:*" picks a free port.
 */
PX_MUST_CHECK int tracker_bind(tracker_t *t, const char *req_endpoint,
                               const char *pub_endpoint,
                               const char *keyed_endpoint);

/* The endpoints actually bound (borrowed), or "" before tracker_bind(). */
const char *tracker_req_endpoint(const tracker_t *t);
const char *tracker_pub_endpoint(const tracker_t *t);
const char *tracker_keyed_endpoint(const tracker_t *t);

/*
 * Serves requests, expires peers and logs a status line every status_ms,
 * until tracker_stop() is called.
 * Returns: 0 after a stop; ERR_ARG when not bound; ERR_NET when polling
 *          fails.
 */
PX_MUST_CHECK int tracker_run(tracker_t *t);

/*
 * Asks tracker_run() to return (within about 100 ms).
 * Thread safety: thread-safe and async-signal-safe.
 */
void tracker_stop(tracker_t *t);

#endif
