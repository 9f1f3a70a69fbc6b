/*
 * tracker_impl — what the tracker's files share (tracker.c: the peer
 * table, request handling and the serving loop; tracker_relay.c: the relay
 * of submitted transactions).
 *
 * Private to net/tracker*.c; nothing else includes it. Not thread-safe,
 * as tracker.h says: one thread runs the loop (only `stop` is touched by
 * another).
 */
#ifndef PICKAXE_TRACKER_IMPL_H
#define PICKAXE_TRACKER_IMPL_H

#include <stdatomic.h>

#include "server.h"
#include "sock.h"
#include "tracker.h"
#include "txbatch.h"

#define RECENT_TXS 256

typedef struct {
    wire_peer_t peer;
    uint64_t last_seen_ms;
} entry_t;

struct tracker {
    tracker_config_t cfg;
    entry_t *peers;
    size_t n_peers;

    tracker_publish_fn publish;
    void *publish_arg;

    uint8_t recent[RECENT_TXS][32]; /* digests of relayed transactions */
    size_t recent_next;
    size_t recent_n;
    txbatch_t batch; /* relayed transactions not yet published */

    /* counters for the status line */
    uint64_t requests, bad_requests, txs_relayed, tx_frames, txs_refused,
        joined, left;

    server_t *server;
    void *pub;
    char pub_endpoint[SOCK_ENDPOINT_MAX];
    atomic_int stop;
};

/* Encodes an ERROR reply (code, why) and counts the refusal.
 * Returns wire_encode()'s result. */
int tracker_reply_error(tracker_t *t, buf_t *reply, int code, const char *why);

/* SUBMIT_TX: the transaction checked and queued for relay; ACK, or an
 * ERROR saying why it was refused. Returns 0 or ERR_NOMEM. */
int tracker_relay_tx(tracker_t *t, buf_t *reply, const wire_blob_t *tx);

/* SUBMIT_TXS: each item checked and relayed as SUBMIT_TX would be, one
 * answer per item in the same order (SUBMITTED). Returns 0 or ERR_NOMEM. */
int tracker_relay_txs(tracker_t *t, buf_t *reply, const wire_msg_t *m);

#endif
