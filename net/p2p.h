/*
 * p2p — a node's view of the network: the seed's p2p.py in C, on ZeroMQ.
 *
 * A p2p_t publishes our gossip on one PUB socket and listens to every peer on
 * a SUB socket of its own, so each message that arrives is attributable to
 * the peer that sent it (a single SUB connected to many publishers could not
 * tell them apart). Peers come from the tracker (REGISTER_OK, PEER_JOINED,
 * PEER_LEFT on its PUB; trackerlink.h) or from p2p_add_peer(). Everything
 * that arrives -- gossip from peers, the tracker's announcements and relayed
 * transactions, and the answers to our asynchronous requests -- lands in
 * one inbox that the node drains with p2p_receive_data(). Each inbox
 * message is decoded once, by p2p, and handed over with the bytes it was
 * decoded from, so a receiver acts on the decoded message and may forward
 * the bytes as they came (a relayed block is the frame received).
 *
 * Requests to one peer (GET_HEADERS, ...) go two ways. p2p_ask() queues the
 * request and returns at once; a worker thread sends it with the lazy
 * pirate's timeouts and retries (reqclient.h) and the outcome arrives in the
 * inbox (P2P_FROM_REPLY), so a caller that must not wait on a peer -- the
 * node's main loop -- never does. Requests to different peers run side by
 * side (asker.h: one lane per peer, up to P2P_ASK_THREADS at once), so a
 * slow or silent peer delays its own answers only. p2p_request() sends and
 * waits, for callers that may. Either way p2p notes how the peer answered:
 * a peer whose last request timed out is "unresponsive" until it answers
 * one again, however connected its gossip socket looks (a stopped process
 * keeps its TCP connections open).
 *
 * Backoff. A peer that does not answer loses its turn: after its k-th
 * unanswered request in a row it is not asked again for
 * P2P_BACKOFF_FIRST_MS * 2^(k-1) (at most P2P_BACKOFF_MAX_MS), and requests
 * to it meanwhile fail at once with ERR_TIMEOUT, without going out. One
 * answer ends its backoff. A peer that has never answered gets one attempt
 * per request, not request_retries more. So a crowd of silent peers costs a
 * node fewer and fewer time-outs, never a stall.
 *
 * Threads. ZeroMQ sockets are single-threaded, so each socket has exactly
 * one owner:
 *
 *   I/O thread      owns the PUB socket, the tracker SUB and every peer SUB.
 *                   It zmq_poll()s them together with an eventfd that other
 *                   threads write to wake it. It publishes what
 *                   p2p_broadcast() queued in the outbox, checks every
 *                   incoming frame (wire_decode(): a malformed or foreign
 *                   frame is dropped and counted against its sender), pushes
 *                   good ones into the inbox, and reconciles its SUB sockets
 *                   with the peer map whenever the map changes (and every
 *                   half second, for bans that expire).
 *   tracker link    (between p2p_join_network() and p2p_leave_network())
 *                   owns the request client to the tracker (trackerlink.h).
 *   ask workers     (from the first p2p_ask(), up to P2P_ASK_THREADS) send
 *                   the queued requests, one peer's in order, different
 *                   peers' side by side, and push each outcome into the
 *                   inbox.
 *   callers         any thread may call the functions below (except
 *                   p2p_new/p2p_free). They touch only the shared state,
 *                   under one mutex: the peer map (peertab.h), the inbox,
 *                   the outbox and the ask queue. p2p_request() borrows a
 *                   peer's cached request client out of the map for the
 *                   duration of the call (a mutex hand-over, which ZeroMQ
 *                   allows) or makes a temporary one when another thread
 *                   has it.
 *
 * Fair share. The inbox has a lane per peer and the node is served from
 * them round-robin (msgq.h), so a peer's backlog delays only its own
 * frames. Each peer's frames may take at most peer_inbox_max messages and
 * peer_inbox_bytes bytes of the inbox at a time; past that, its new frames
 * are dropped (and counted), not anyone else's; and when the inbox as a
 * whole is full, a frame of a peer with fewer waiting takes the place of
 * the newest frame of the peer with the most (counted as that peer's
 * drop). A peer that floods batches of transactions or blocks, or a stream
 * of small frames, faster than the node can check them therefore costs the
 * node a bounded amount of memory and delays honest peers' gossip by at
 * most one frame per turn.
 * Dropping is not misbehaviour -- an honest peer may simply be faster than
 * we are -- and what is dropped is caught up by sync like any lost gossip.
 * Answers to p2p_ask() are never dropped: there is at most one per queued
 * request, and at most P2P_MAX_ASKS are queued.
 *
 * Misbehaviour. Each peer has a score; malformed frames, another network's
 * frames and message types that have no business on a gossip socket add
 * points automatically (score.h), and the node adds points for what only it
 * can judge (an invalid block) with p2p_misbehaving(). A frame of another
 * wire version is none of these: it may come from an honest node of an
 * older or newer build, so it is dropped and logged ("peer speaks wire
 * version 1, this node 2", once per version a peer speaks), not scored. At
 * ban_threshold the peer's key is banned for ban_ms: its SUB socket is
 * closed, requests to it are refused, and it is reconnected when the ban
 * expires. Bans are kept by key (peertab.h), never by an endpoint that
 * someone else could announce.
 *
 * Identity. A p2p_t has a key pair (p2p_config_t.key, identity.h); its
 * node id is the key's. Its PUB proves the key (CURVE, sock.h), and it
 * subscribes to a peer's gossip and sends it requests only with that
 * peer's key as the server key, so what arrives on a peer's SUB, and every
 * answer from a peer, comes from the holder of that key whoever announced
 * the endpoint. The tracker is reached the same way (trackerlink.h: its
 * key pinned, or trusted on first use and remembered).
 *
 * PUB/SUB may drop messages (a subscriber that is slow to join misses the
 * first ones; a full queue drops more), so the node must not rely on gossip
 * alone: it syncs over requests when it joins, when a peer appears and
 * when a block's parent is unknown (DESIGN.md).
 *
 * Peers are removed only by the tracker's PEER_LEFT or by leaving: a tracker
 * that restarts with an empty table must not make us forget peers that are
 * still alive.
 */
#ifndef PICKAXE_P2P_H
#define PICKAXE_P2P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "identity.h"
#include "sock.h"
#include "wire.h"

#define P2P_MAX_PEERS WIRE_MAX_PEERS
/* Requests p2p_ask() keeps queued; beyond, it refuses (ERR_FULL). */
#define P2P_MAX_ASKS 64
/* Requests p2p_ask() runs at once, each to a different peer. */
#define P2P_ASK_THREADS 32
/* A peer's backoff after its first unanswered request, doubled at each
 * next one, up to the most. */
#define P2P_BACKOFF_FIRST_MS 2000
#define P2P_BACKOFF_MAX_MS (5 * 60 * 1000)

typedef struct p2p p2p_t;

typedef struct {
    uint8_t network_id[32];
    /* The tracker's plain request endpoint, "" for none (peers then come
     * only from p2p_add_peer()), and its PUB endpoint ("" = request port +
     * 1); its key (all zero: learned from the tracker, trusted on first use
     * and recorded in known_trackers when that is not "") and its keyed
     * endpoint come as trackerlink.h describes. */
    char tracker[SOCK_ENDPOINT_MAX];
    char tracker_pub[SOCK_ENDPOINT_MAX];
    uint8_t tracker_key[WIRE_KEY_SIZE];
    char known_trackers[512];
    /* Where our PUB binds ("tcp://0.0.0.0:18331"; "tcp://127.0.0.1:*" for
     * any free port) and what peers are told to connect to ("" = the bound
     * endpoint, with 0.0.0.0 shown as 127.0.0.1). */
    char gossip_bind[SOCK_ENDPOINT_MAX];
    char gossip_advertise[SOCK_ENDPOINT_MAX];
    /* The node's keyed request endpoint (its ROUTER, see server.h, proving
     * key) as peers should reach it; required to join through a tracker. */
    char request_advertise[SOCK_ENDPOINT_MAX];
    identity_t key;         /* who we are (all zero: a fresh key pair) */
    int request_timeout_ms; /* per attempt, p2p_request() */
    int request_retries;
    int tracker_timeout_ms; /* per attempt, REGISTER / PING / LEAVE */
    int tracker_retries;
    uint32_t ping_interval_ms; /* 0: a third of the tracker's peer timeout */
    int ban_threshold;         /* score at which a peer is banned
                                  (SCORE_BAN_THRESHOLD, score.h) */
    uint32_t ban_ms;           /* how long a ban lasts */
    size_t inbox_max;          /* messages waiting; beyond, a new one takes
                                  the place of the newest of the peer with
                                  the most waiting, or drops (msgq.h) */
    size_t peer_inbox_max;     /* messages of one peer waiting; beyond,
                                  that peer's new ones drop */
    size_t peer_inbox_bytes;   /* bytes of one peer's frames waiting in the
                                  inbox; beyond, that peer's new ones drop
                                  (one frame always fits) */
} p2p_config_t;

/* Where a received message came from. */
typedef enum {
    P2P_FROM_PEER = 0,    /* a peer's gossip (NEW_BLOCK, NEW_TX(S), TIP) */
    P2P_FROM_TRACKER = 1, /* PEER_JOINED, PEER_LEFT, NEW_TXS, TX */
    P2P_FROM_REPLY = 2,   /* the outcome of a p2p_ask() */
} p2p_source_t;

/*
 * One inbox item: a message decoded once, with the frame it came in.
 * For P2P_FROM_REPLY, status says whether there is a message at all: 0
 * with the peer's reply decoded (which may be an ERROR: the peer's own
 * refusal), or what p2p_request() would have returned (ERR_TIMEOUT,
 * ERR_NET, ERR_NOT_FOUND, ...; ERR_PARSE, ERR_UNSUPPORTED or ERR_INVALID
 * when the reply did not decode -- the peer has been scored), with type 0,
 * no data and an empty msg.
 */
typedef struct {
    p2p_source_t source;
    uint64_t peer_id; /* the sender (0 for the tracker) */
    uint16_t type;    /* msg.type (0 for a reply that did not come) */
    wire_msg_t msg;   /* decoded; borrows from data */
    uint8_t *data;    /* the whole frame as received (owned; p2p_msg_clear()) */
    size_t len;
    uint64_t tag; /* P2P_FROM_REPLY: the tag given to p2p_ask() */
    int status;   /* P2P_FROM_REPLY: see above; 0 otherwise */
} p2p_msg_t;

/* A snapshot of one peer, for display and tests. */
typedef struct {
    wire_peer_t peer;
    bool connected; /* the I/O thread has a SUB socket on its gossip */
    bool banned;
    int score;
    uint64_t messages;     /* good frames received from it */
    uint64_t bad_messages; /* frames dropped as malformed or misplaced */
    uint64_t dropped;      /* good frames dropped: its inbox share was full
                              (or the inbox was, and its lane the longest) */
    uint64_t queued;       /* its frames waiting in the inbox now */
    bool unresponsive;     /* the last request we sent it timed out */
    uint64_t backoff_ms;   /* how long until it may be asked again; 0: now */
    int64_t last_answer_age_ms; /* since it last answered one; -1: never */
} p2p_peer_info_t;

/* Fills cfg with defaults for a network: no tracker, gossip on
 * tcp://127.0.0.1:* (tests) -- a node sets its real endpoints. */
void p2p_config_init(p2p_config_t *cfg, const uint8_t network_id[32]);

/*
 * Binds the gossip PUB socket and starts the I/O thread. Does not contact
 * the tracker (p2p_join_network() does).
 * Returns: the instance (owned; p2p_free()), or NULL when the configuration
 *          is invalid, the bind fails or a thread cannot start (logged).
 * In:      cfg      copied.
 * Thread safety: call from one thread; the result may then be shared.
 */
p2p_t *p2p_new(const p2p_config_t *cfg);

/*
 * Leaves the network (when joined), stops the threads, closes every socket
 * and frees what is left in the inbox. Accepts NULL; clears *p.
 * Thread safety: no other thread may be using *p.
 */
void p2p_free(p2p_t **p);

/*
 * Registers with the tracker, takes its peer list, subscribes to its
 * announcements and starts the tracker thread (pings, re-registration).
 * Returns: 0 when the tracker answered; ERR_TIMEOUT or ERR_NET when it did
 *          not, ERR_FULL when it refused us as full -- the tracker thread
 *          keeps trying in the background (trackerlink.h), so the node can
 *          carry on; ERR_INVALID when the tracker refused us otherwise (its
 *          reason is logged); ERR_ARG when no tracker or request endpoint is
 *          configured; ERR_DUPLICATE when already joined.
 */
PX_MUST_CHECK int p2p_join_network(p2p_t *p);

/*
 * Sends LEAVE to the tracker, stops the tracker thread, forgets every peer
 * and closes their SUB sockets. Our PUB socket stays bound (a later join
 * reuses it). Harmless when not joined.
 */
void p2p_leave_network(p2p_t *p);

/*
 * Adds or updates a peer by hand (a --peer flag, or peers remembered from a
 * previous run). Ignored when it is ourselves.
 * Returns: 0; ERR_ARG when the peer has no key, its id is not its key's
 *          or an endpoint is invalid;
 *          ERR_FULL when the map holds P2P_MAX_PEERS.
 */
PX_MUST_CHECK int p2p_add_peer(p2p_t *p, const wire_peer_t *peer);

/*
 * Queues a frame for our PUB socket; the I/O thread sends it to every
 * subscriber.
 * Returns: 0; ERR_ARG when len is 0 or over WIRE_MAX_MSG_SIZE; ERR_FULL when
 *          inbox_max frames are already waiting to go out; ERR_NOMEM.
 * In:      data, len   a complete wire frame (copied).
 */
PX_MUST_CHECK int p2p_broadcast(p2p_t *p, const uint8_t *data, size_t len);

/* Encodes msg for our network and broadcasts it. Returns as wire_encode()
 * and p2p_broadcast(). */
PX_MUST_CHECK int p2p_broadcast_msg(p2p_t *p, const wire_msg_t *msg);

/*
 * Takes the oldest message from the inbox, waiting up to timeout_ms for one
 * (0: do not wait; -1: wait forever).
 * Returns: 0; ERR_TIMEOUT when none came.
 * Out:     msg      written only on success; release with p2p_msg_clear().
 */
PX_MUST_CHECK int p2p_receive_data(p2p_t *p, p2p_msg_t *msg, int timeout_ms);

/* Ends a p2p_receive_data() that waits (it returns ERR_TIMEOUT), or the
 * next one that would wait: how another thread tells the inbox's reader
 * that something besides a message wants its attention. */
void p2p_wake(p2p_t *p);

/* Frees msg->msg and msg->data and empties msg. Accepts NULL. */
void p2p_msg_clear(p2p_msg_t *msg);

/*
 * Sends a request to one peer's request endpoint and waits for the reply,
 * with the configured timeout and retries. A reply marks the peer
 * responsive, notes the time and ends its backoff; ERR_TIMEOUT marks it
 * unresponsive and backs it off (p2p_peer_info_t, "Backoff" above).
 * Returns: 0; ERR_NOT_FOUND when the peer is unknown or banned;
 *          ERR_TIMEOUT (also at once, sending nothing, while the peer is
 *          backed off); ERR_NET; ERR_NOMEM.
 * Out:     reply (malloc'd, owned by the caller) and reply_len, only on
 *          success.
 */
PX_MUST_CHECK int p2p_request(p2p_t *p, uint8_t **reply, size_t *reply_len,
                              uint64_t peer_id, const uint8_t *req,
                              size_t req_len);

/*
 * Queues a request to one peer and returns at once. An ask worker sends
 * it as p2p_request() would (same timeouts, retries and responsiveness
 * marks); its outcome arrives in the inbox as exactly one P2P_FROM_REPLY
 * message carrying tag (p2p_msg_t says what it holds). Requests to one
 * peer are sent one at a time in the order they were queued; requests to
 * different peers side by side.
 * Returns: 0 (an outcome will arrive); ERR_NOT_FOUND when the peer is
 *          unknown or banned, ERR_TIMEOUT when it is backed off (nothing
 *          sent), ERR_ARG when len is 0 or over
 *          WIRE_MAX_MSG_SIZE, ERR_FULL when P2P_MAX_ASKS requests wait,
 *          ERR_NOMEM (nothing will arrive).
 * In:      req, len   a complete wire frame (copied).
 *          tag        the caller's, handed back with the outcome.
 */
int p2p_ask(p2p_t *p, uint64_t peer_id, uint64_t tag, const uint8_t *req,
            size_t len);

/*
 * Counts misbehaviour against a peer; at the threshold it is banned.
 * Returns: true when the peer is banned (now or already).
 * In:      reason   for the log (borrowed).
 */
bool p2p_misbehaving(p2p_t *p, uint64_t peer_id, int points,
                     const char *reason);

/*
 * Copies up to max peers into out.
 * Returns: the number of peers known (may exceed max).
 */
size_t p2p_peers(p2p_t *p, p2p_peer_info_t *out, size_t max);

/*
 * Looks up one peer.
 * Returns: 0; ERR_NOT_FOUND.
 */
PX_MUST_CHECK int p2p_peer(p2p_t *p, p2p_peer_info_t *out, uint64_t peer_id);

/* True when the peer has answered a request and its last one did not time
 * out (p2p_peer_info_t's last_answer_age_ms >= 0 and !unresponsive),
 * without the rest of p2p_peer()'s snapshot: cheap enough to ask per want. */
bool p2p_answering(p2p_t *p, uint64_t peer_id);

/* How long a peer is backed off after its fails-th unanswered request in a
 * row (>= 1): P2P_BACKOFF_FIRST_MS doubled fails - 1 times, at most
 * P2P_BACKOFF_MAX_MS. */
uint64_t p2p_backoff_ms(unsigned fails);

/* Our node id (our key's, wire_key_id()). */
uint64_t p2p_node_id(const p2p_t *p);

/* Our public key (borrowed; 32 bytes, lives as long as p). */
const uint8_t *p2p_key(const p2p_t *p);

/* Our key pair (borrowed; lives as long as p), for a request server that
 * must prove the same key (server_new_keyed()). */
const identity_t *p2p_identity(const p2p_t *p);

/* The network id we speak (borrowed; 32 bytes, lives as long as p). */
const uint8_t *p2p_network_id(const p2p_t *p);

/* Our gossip endpoint as advertised (borrowed; lives as long as p). */
const char *p2p_gossip_endpoint(const p2p_t *p);

/* True while the tracker knows us (the last REGISTER or PING succeeded). */
bool p2p_registered(p2p_t *p);

#endif
