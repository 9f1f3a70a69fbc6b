/*
 * tracker_rig — what the tracker's tests share (test_tracker.c,
 * test_tracker_relay.c): a tracker driven without sockets on a clock the
 * test moves, whose publisher records what it would publish; peers,
 * requests and their decoded replies; and plausible transfers.
 *
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_TRACKER_RIG_H
#define PICKAXE_TEST_TRACKER_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include "bytes.h"
#include "sock.h"
#include "tracker.h"
#include "tx.h"
#include "wire.h"

/* A test-only network id; the tracker only compares it. */
extern const uint8_t tr_net[32];

/* What the tracker published, in order. */
#define TR_MAX_PUB 64
typedef struct {
    uint8_t *msg[TR_MAX_PUB];
    size_t len[TR_MAX_PUB];
    size_t n;
} tr_recorder_t;

/* The publisher tr_make_tracker() installs (arg: a tr_recorder_t). */
void tr_record(void *arg, const uint8_t *msg, size_t len);

/* Frees what was recorded; the recorder is empty again. */
void tr_recorder_clear(tr_recorder_t *r);

/* Decodes published message i; checks its type. */
void tr_published(wire_msg_t *m, const tr_recorder_t *r, size_t i,
                  uint16_t type);

/* The made-up key of node id (its first eight bytes the id, big-endian,
 * so that wire_key_id() gives id back). */
void tr_key(uint8_t key[WIRE_KEY_SIZE], uint64_t id);

/* Peer id (its key tr_key(id)) with endpoints on 127.0.0.1, port
 * (requests) and port + 1. */
wire_peer_t tr_peer(uint64_t id, int port);

/* Sends one request to the tracker logic, as if over the keyed endpoint
 * from the key the request speaks for (a REGISTER's key, a PING's or
 * LEAVE's tr_key(id); none for the rest), and decodes the reply. */
void tr_ask(tracker_t *t, wire_msg_t *reply, buf_t *reply_buf,
            const wire_msg_t *req, uint64_t now);

/* As tr_ask(), from sender (32 bytes, or NULL: the plain endpoint). */
void tr_ask_as(tracker_t *t, wire_msg_t *reply, buf_t *reply_buf,
               const uint8_t *sender, const wire_msg_t *req, uint64_t now);

/* REGISTER p at time now. */
void tr_register(tracker_t *t, wire_msg_t *reply, buf_t *rb,
                 const wire_peer_t *p, uint64_t now);

/* A tracker with this peer timeout publishing into rec (emptied). */
tracker_t *tr_make_tracker(tr_recorder_t *rec, uint32_t timeout_ms);

/* A plausible transfer (not validly signed: the tracker does not check);
 * distinct seeds give distinct transfers with distinct txids. */
void tr_transfer_bytes(uint8_t tx[TX_TRANSFER_SIZE], uint16_t seed);

/* ---- a tracker running in a thread, on sockets ---- */

typedef struct {
    tracker_t *t;
    pthread_t th;
    char req[SOCK_ENDPOINT_MAX], pub[SOCK_ENDPOINT_MAX],
        keyed[SOCK_ENDPOINT_MAX]; /* bound */
} tr_live_t;

/* tracker_config_init() for net with a test's times: peers expire after
 * 3 s, no status lines. */
void tr_live_config(tracker_config_t *cfg, const uint8_t net[32]);

/* Binds a tracker of cfg at req and pub ("tcp://127.0.0.1:*" for a free
 * port; its keyed endpoint at req's port + 2, or a free port too) and
 * runs its loop in a thread. Returns false, with nothing left
 * running, when the bind fails. */
bool tr_try_start(tr_live_t *fx, const tracker_config_t *cfg, const char *req,
                  const char *pub);

/* tr_try_start(), the bind retried for up to three seconds; fails the test
 * when it never succeeds. */
void tr_start(tr_live_t *fx, const tracker_config_t *cfg, const char *req,
              const char *pub);

/* Stops the loop, joins its thread, frees the tracker. */
void tr_halt(tr_live_t *fx);

#endif
