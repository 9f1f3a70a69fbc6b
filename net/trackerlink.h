/*
 * trackerlink — a node's standing with the tracker: REGISTER, then PING on
 * a timer, on a thread of its own.
 *
 * trackerlink_join() registers once, on the caller's thread, and starts the
 * link's thread whether or not the tracker answered: the thread PINGs every
 * ping interval (a third of the peer timeout the tracker announced, unless
 * configured), REGISTERs again when the tracker answers "unknown" (it
 * restarted) or when the last attempt failed, and asks for the peer list
 * (PEERS) when a PONG's peer count differs from ours (an announcement was
 * lost). While the tracker is unreachable it keeps trying, logging once
 * that it went and once that it came back. A tracker that refuses us as
 * full is asked again too, after a wait that doubles with each refusal
 * (from the ping interval up to TRACKERLINK_FULL_MAX_MS). trackerlink_free()
 * stops the thread and sends LEAVE once, briefly (the tracker expires us
 * anyway).
 *
 * Keys. Before its first REGISTER (and again after the tracker stopped
 * answering) the link asks the tracker's plain endpoint GET_KEY, checks
 * the key it presents (trackerkey.h: pinned, remembered, or trusted on
 * first use and recorded), and from then on talks to the tracker's keyed
 * endpoint (the asked host, the port the KEY names) over CURVE, proving
 * our key, which is the one REGISTER names. A key that fails the check is
 * refused: logged once as an error naming both keys, and nothing more is
 * sent to that tracker (trackerlink_join() returns ERR_INVALID, or the
 * link's thread stops trying). A tracker that refuses the REGISTER because
 * another key holds our endpoints (ERR_DUPLICATE) is asked again on the
 * next round: the endpoint frees up when that key expires.
 *
 * Peer lists reach the owner through a callback: REGISTER_OK's without
 * pruning (right after a tracker restart its list lacks every node that
 * has not registered again yet), PEER_LIST's with pruning (the way a lost
 * PEER_LEFT is made up for).
 *
 * Thread safety: trackerlink_registered() may be called from any thread;
 * the rest from the owner's. The callbacks run on the link's thread (or
 * the caller of trackerlink_join()) with no lock of the link held.
 */
#ifndef PICKAXE_TRACKERLINK_H
#define PICKAXE_TRACKERLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "sock.h"
#include "wire.h"

/* The longest wait between two REGISTERs a full tracker refused. */
#define TRACKERLINK_FULL_MAX_MS 60000

typedef struct trackerlink trackerlink_t;

typedef struct {
    void *ctx;
    /* A REGISTER_OK or PEER_LIST (prune: drop the tracker's peers it no
     * longer lists). */
    void (*peer_list)(void *ctx, const wire_msg_t *list, bool prune);
    /* How many peers the owner knows (compared with PONG's count). */
    size_t (*known)(void *ctx);
} trackerlink_callbacks_t;

typedef struct {
    uint8_t network_id[32];
    char endpoint[SOCK_ENDPOINT_MAX];   /* the tracker's plain endpoint */
    wire_peer_t self;                   /* what we register as */
    identity_t key;                     /* ours: self.key's pair */
    uint8_t tracker_key[WIRE_KEY_SIZE]; /* pinned; all zero: not pinned */
    char known_trackers[512];           /* trackerkey.h's file; "": none */
    int timeout_ms;                     /* per attempt, >= 1 */
    int retries;                        /* >= 0 */
    uint32_t ping_interval_ms;          /* 0: a third of the peer timeout */
    trackerlink_callbacks_t cb;
} trackerlink_config_t;

/*
 * Registers with the tracker and starts the link's thread.
 * Returns: 0 when the tracker answered; ERR_TIMEOUT or ERR_NET when it did
 *          not, ERR_FULL when it refused us as full (the link is made and
 *          keeps trying); ERR_INVALID when the tracker refused us otherwise
 *          or answered nonsense (no link: *out stays NULL); ERR_ARG for a
 *          bad configuration; ERR_NOMEM.
 * Out:     out   the link (owned; trackerlink_free()), on 0, ERR_TIMEOUT,
 *                ERR_NET and ERR_FULL.
 * In:      cfg   copied.
 */
int trackerlink_join(trackerlink_t **out, const trackerlink_config_t *cfg);

/* Stops the thread, sends LEAVE when registered (one short attempt) and
 * frees the link. Accepts NULL; clears *l. */
void trackerlink_free(trackerlink_t **l);

/* True while the tracker knows us (the last REGISTER or PING succeeded). */
bool trackerlink_registered(trackerlink_t *l);

/* The tracker's key, once the link has checked it. Any thread.
 * Returns: true with key written; false when not known (yet). */
bool trackerlink_key(trackerlink_t *l, uint8_t key[WIRE_KEY_SIZE]);

#endif
