/*
 * trackerkey — which key a node expects its tracker to hold: pinned on the
 * command line, or trusted on first use and remembered, as SSH's
 * known_hosts does for hosts.
 *
 * A tracker is named "tcp://HOST:PORT" (its plain endpoint) or
 * "tcp://HOST:PORT#KEY" with KEY its public key in 64 hex digits
 * (pickaxe-tracker logs it at start; identity.h). Asked GET_KEY on the
 * plain endpoint, a tracker answers with its key and the port of its
 * keyed endpoint (wire.h, KEY); everything after that -- REGISTER, PING,
 * LEAVE and its PUB -- goes over CURVE with that key (trackerlink.h).
 *
 * The key a tracker presents is checked before anything is sent to it:
 *
 *   pinned (#KEY)          it must be the pinned key;
 *   recorded               it must be the key recorded for that endpoint
 *                          in the known-trackers file (one line per
 *                          tracker: "tcp://HOST:PORT HEX");
 *   neither                it is trusted and recorded (first use).
 *
 * Any other key is refused with a sentence that names both keys and the
 * file, and nothing more is sent to that tracker: a tracker whose key
 * changed is indistinguishable from an impostor at its address.
 *
 * Thread safety: reentrant; two processes that share a file may each add
 * a line for a tracker they both meet for the first time (the first line
 * for an endpoint is the one that counts).
 */
#ifndef PICKAXE_TRACKERKEY_H
#define PICKAXE_TRACKERKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "wire.h"

#define TRACKERKEY_FILE "known_trackers"

/*
 * Splits "ENDPOINT#KEY" into the endpoint and the key.
 * Returns: 0 (*pinned false and key untouched when there is no '#');
 *          ERR_ARG when what follows '#' is not 64 hex digits or the
 *          endpoint does not fit.
 */
PX_MUST_CHECK int trackerkey_split(char *endpoint, size_t endpoint_len,
                                   uint8_t key[WIRE_KEY_SIZE], bool *pinned,
                                   const char *text);

/*
 * Checks the key a tracker presents against the pinned one, else against
 * the file (recording it when the file has none for the endpoint).
 * Returns: 0 when it is to be trusted (*first: it was recorded now);
 *          ERR_INVALID when refused, *why saying so; ERR_IO when the file
 *          cannot be written (the key is trusted for now; *why says so).
 * In:      pinned     32 bytes, or NULL; path may be "" (no file).
 */
PX_MUST_CHECK int trackerkey_check(bool *first, char *why, size_t why_len,
                                   const char *path, const char *endpoint,
                                   const uint8_t *pinned,
                                   const uint8_t presented[WIRE_KEY_SIZE]);

#endif
