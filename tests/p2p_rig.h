/*
 * p2p_rig — what the p2p tests share (test_p2p.c, test_p2p_io.c): a node
 * made of a p2p_t and a request server in a thread that answers GET_TIP,
 * stays silent or answers garbage; a bare PUB socket posing as a peer; and
 * waiting for peers to be connected.
 *
 * Everything binds 127.0.0.1 with free ports. Linked into every test
 * binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_P2P_RIG_H
#define PICKAXE_TEST_P2P_RIG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "p2p.h"
#include "server.h"
#include "tx.h"

/* How a rig node's request server answers. */
enum { PR_ANSWER, PR_SILENT, PR_GARBAGE };

typedef struct {
    p2p_t *p;
    server_t *srv;
    pthread_t th;
    atomic_int stop;
    atomic_int mode; /* PR_*; the test may switch it while it runs */
    uint32_t height; /* what it answers to GET_TIP */
    uint8_t net[32]; /* cfg's network */
} pr_node_t;

/* p2p_config_init() for net with a test's short times: pings every
 * 150 ms, tracker requests of 300 ms without retry, peer requests of
 * 300 ms with one retry, bans of 800 ms. */
void pr_config(p2p_config_t *cfg, const uint8_t net[32]);

/* Starts a node with cfg (its request_advertise is filled in with the
 * server's endpoint), answering GET_TIP with height in mode. Fails the test
 * when it cannot. */
void pr_start(pr_node_t *n, const p2p_config_t *cfg, uint32_t height, int mode);
void pr_stop(pr_node_t *n);

/* Starts a (answering) and b (mode, answering GET_TIP with height) on
 * network net with pr_config()'s times, and makes a know b. Returns b as a
 * knows it. pr_pair_down() stops both. */
wire_peer_t pr_pair_up(pr_node_t *a, pr_node_t *b, const uint8_t net[32],
                       uint32_t height, int mode);
void pr_pair_down(pr_node_t *a, pr_node_t *b);

/* n as a peer: its id, request and gossip endpoints. */
wire_peer_t pr_peer_of(const pr_node_t *n);

/* Waits until p knows exactly `count` peers, all subscribed to. */
bool pr_wait_peers(p2p_t *p, size_t count, int timeout_ms);

/* A transfer's bytes that name their sender and a sequence number, so a
 * test can tell who sent a gossiped message (not a valid transaction). */
void pr_tx_from(uint8_t tx[TX_TRANSFER_SIZE], uint64_t sender, uint32_t seq);

/* A PUB socket bound on a free port, proving a fresh key (CURVE), added to
 * p as a peer (with a request endpoint nobody answers); *id receives its
 * id (the key's) and ep its endpoint. Caller sock_close()s. */
void *pr_fake_peer(p2p_t *p, uint64_t *id, char ep[SOCK_ENDPOINT_MAX]);

/* A SUB socket on p's gossip with its subscription live: p2p_broadcast()s
 * a frame until the SUB hears one (PUB/SUB drops what is sent before),
 * then empties it. Caller sock_close()s. */
void *pr_listen(p2p_t *p);

/* A request endpoint that answers every request with the same bytes (none:
 * stays silent) and keeps the last request, in a thread. */
typedef struct {
    server_t *srv;
    identity_t key; /* what srv proves (CURVE): a peer entry's key */
    pthread_t th;
    atomic_int stop;
    pthread_mutex_t lock; /* over what follows */
    uint8_t reply[4096];
    size_t reply_len;
    uint8_t last[4096];
    size_t last_len;
    unsigned requests;
    unsigned senders; /* distinct routing ids seen, as far as 64 */
    uint8_t ids[64][8];
} pr_responder_t;

void pr_responder_start(pr_responder_t *r);
/* What it answers from now on (copied; len 0: nothing). */
void pr_responder_set(pr_responder_t *r, const void *reply, size_t len);
void pr_responder_stop(pr_responder_t *r);

/* A suite's .init: only errors in the log. */
void pr_quiet(void);

#endif
