/*
 * node_rig — a real in-process regtest node for the tests that need one
 * (test_node.c, test_rpc.c, test_rpc_explorer.c, test_serve.c,
 * test_transfer.c): a temporary data directory, no tracker, no miner, its
 * request endpoint on a free port of 127.0.0.1, and (when asked) its main
 * loop turning in a thread of the test, stopped the way pickaxe-node stops
 * it (a signal's flag).
 *
 * One node per test process (Criterion runs each test in its own).
 * Linked into every test binary (every .c file in tests/ not named test_*).
 */
#ifndef PICKAXE_TEST_NODE_RIG_H
#define PICKAXE_TEST_NODE_RIG_H

#include <stdint.h>

#include "node.h"

/* The node, its request port, its data directory. */
extern node_t *nr_node;
extern uint16_t nr_port;
extern char nr_dir[64];

/* Makes the node in a new /tmp/pickaxe-NAME-XXXXXX directory; fails the
 * test when it cannot. Its main loop does not run yet. */
void nr_new(const char *name);

/* Runs node_run in a thread until nr_free() (SIGUSR1 sets its stop flag,
 * as pickaxe-node's signal handler does). */
void nr_run(void);

/* Stops the main loop if it runs, frees the node, removes the directory. */
void nr_free(void);

#endif
