/*
 * p2p_impl — what the files that make up p2p share (p2p.c: lifecycle, the
 * public calls, the ask workers and the tracker link's callbacks; p2p_io.c:
 * the I/O thread, which owns every socket and checks every frame). See
 * p2p.h for the threading model.
 *
 * Private to net/p2p*.c; nothing else includes it.
 *
 * The inbox (decoded messages for the node) and the outbox (frames for the
 * PUB socket) are msgq.h queues, which lock themselves. Shared state, all
 * under p->lock:
 *   tab            the peer map and bans, with cached request clients
 *                  (checked out by p2p_request()); tab.dirty: the I/O
 *                  thread must reconcile its SUBs;
 *   inbox_dropped  messages dropped because the inbox was full;
 *   joined, link   whether we joined through the tracker, and its link.
 * Sockets are never shared: subs[], tracker_sub and pub belong to the I/O
 * thread; the tracker's request client to the link (trackerlink.c).
 *
 * Lock order: p->lock, then the link's own lock (p2p_registered()) or a
 * queue's (the inbox's); the link and the asker call back into p2p with
 * none of their locks held. No ZeroMQ call that can block is made while
 * holding p->lock (zmq_connect and zmq_close return at once; requests run
 * unlocked).
 */
#ifndef PICKAXE_P2P_IMPL_H
#define PICKAXE_P2P_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "asker.h"
#include "msgq.h"
#include "p2p.h"
#include "peertab.h"
#include "trackerlink.h"

/* How often the I/O thread reconciles its SUBs with the map at the
 * latest (bans expire), and so the longest it waits in one poll. */
#define P2P_RECONCILE_MS 500

typedef struct {
    uint64_t peer_id;
    char gossip[WIRE_MAX_STR + 1];
    void *sock;
} p2p_sub_t;

struct p2p {
    p2p_config_t cfg;
    uint64_t node_id;
    char gossip[SOCK_ENDPOINT_MAX];      /* advertised */
    char tracker_pub[SOCK_ENDPOINT_MAX]; /* resolved */

    pthread_mutex_t lock;
    peertab_t tab;
    msgq_t *inbox, *outbox; /* thread-safe themselves (msgq.h) */
    uint64_t inbox_dropped;
    bool joined;
    trackerlink_t *link;

    /* I/O thread */
    pthread_t io_thread;
    bool io_started;
    atomic_int io_stop;
    int wake_fd;
    void *pub;
    void *tracker_sub;
    p2p_sub_t subs[P2P_MAX_PEERS];
    size_t n_subs;

    asker_t *asker; /* p2p_ask()'s worker (asker.h) */
};

/* The I/O thread's body (pthread_create's start routine; arg is the p2p_t).
 * It runs until io_stop is set and the thread woken. */
void *p2p_io_main(void *arg);

/* Wakes the I/O thread's poll (the outbox has frames, the map changed, or
 * it must stop). Any thread. */
void p2p_wake_io(p2p_t *p);

/* Accounts for and frees a peer's frame evicted from the inbox to make room
 * for another peer's (msgq.h): it counts as that peer's drop. Caller holds
 * the lock. */
void p2p_drop_evicted(p2p_t *p, p2p_msg_t *m);

/* Scores a peer for a frame that failed wire_decode() with rc, or (rc 0)
 * decoded to a type that does not belong where it came. Caller holds the
 * lock. Running out of memory is not the peer's doing. */
void p2p_score_frame(p2p_t *p, peertab_entry_t *e, int rc, uint16_t type);

#endif
