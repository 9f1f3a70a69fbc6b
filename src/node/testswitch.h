/*
 * testswitch — the node's test switches, regtest only: a partition that
 * cuts this node off from chosen peers, and a stall of the main loop.
 *
 * The integration tests use them (rpc "partition" and "stall", rpc.h) to
 * split a network in two and to make a node look stuck. Whether they work
 * at all is decided here, once, from the network: on any network but
 * regtest every switch refuses with ERR_UNSUPPORTED and the partition cuts
 * no one.
 *
 * Partition: a list of peer ids (at most TESTSWITCH_MAX_CUT) whose gossip
 * the node drops and whom it never asks anything. Setting a new list
 * replaces the old one; the peers that were on the old list and are not on
 * the new one are let back in, and the caller learns which, so that it can
 * catch up with them at once.
 *
 * Stall: the main loop holds the node lock for the given time at its next
 * turn, doing nothing.
 *
 * Thread safety: none; the node calls it under its lock.
 */
#ifndef PICKAXE_TESTSWITCH_H
#define PICKAXE_TESTSWITCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"

#define TESTSWITCH_MAX_CUT 64
#define TESTSWITCH_STALL_MAX_MS 60000

typedef struct {
    bool enabled; /* regtest */
    uint64_t cut[TESTSWITCH_MAX_CUT];
    size_t n_cut;
    uint64_t stall_ms; /* 0: none pending */
} testswitch_t;

/* Sets the switches up for a network, all off. */
void testswitch_init(testswitch_t *t, const params_t *params);

/* True when the switches work on this network (regtest). */
bool testswitch_enabled(const testswitch_t *t);

/*
 * Replaces the partition with ids[0..n-1] (0 ids: no partition).
 * Returns: 0; ERR_UNSUPPORTED off regtest; ERR_RANGE when n is over
 *          TESTSWITCH_MAX_CUT; ERR_ARG for a peer id 0.
 * Out:     healed   the ids let back in (room for TESTSWITCH_MAX_CUT),
 *          n_healed how many; written only on success.
 */
int testswitch_partition(testswitch_t *t, uint64_t *healed, size_t *n_healed,
                         const uint64_t *ids, size_t n);

/* True when the partition cuts this peer off (never for peer 0, the
 * tracker, or off regtest). */
bool testswitch_cut(const testswitch_t *t, uint64_t peer);

/*
 * Asks the main loop to stall for ms at its next turn.
 * Returns: 0; ERR_UNSUPPORTED off regtest; ERR_RANGE outside
 *          1..TESTSWITCH_STALL_MAX_MS.
 */
int testswitch_stall(testswitch_t *t, uint64_t ms);

/* True when a stall was asked for. */
bool testswitch_stall_pending(const testswitch_t *t);

/* Stalls the calling thread (the main loop, lock held) for the time asked,
 * or until *stop is set, doing nothing; then clears the request. */
void testswitch_stall_now(testswitch_t *t, volatile sig_atomic_t *stop);

#endif
