/*
 * portcheck — is a TCP port already taken, asked before a program creates
 * anything on disk.
 *
 * A node that finds its ports taken only when it binds them has by then
 * made its data directory, its miner's keystore and its store; on a machine
 * where the demo runs, `pickaxe-node` with its defaults did exactly that.
 * Asking first lets it refuse with nothing left behind.
 *
 * The probe binds a plain socket with SO_REUSEADDR, as ZeroMQ's listeners
 * do, so connections of an earlier run lingering in TIME_WAIT do not count
 * as taken; a listener does. The answer holds only for the moment it is
 * given: the caller still handles a bind that fails later.
 */
#ifndef PICKAXE_PORTCHECK_H
#define PICKAXE_PORTCHECK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Returns: true when something listens on (or holds) HOST:PORT, so that a
 *          listener of ours could not bind it; false when it is free or the
 *          host cannot be resolved (the real bind then says why).
 * In:      host   "*" (every address), a name or a numeric address.
 *          port   1..65535.
 * Thread safety: thread-safe.
 */
bool portcheck_in_use(const char *host, uint16_t port);

#endif
