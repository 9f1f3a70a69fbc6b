/*
 * reqlimit — per-connection token buckets for the node's request thread.
 *
 * Each client connection (a ROUTER routing id) has a bucket that holds up
 * to REQLIMIT_BURST tokens and refills at REQLIMIT_RATE tokens a second; a
 * request takes one, and a request that finds the bucket empty is refused
 * ("rate-limited") before it costs the node anything. A new connection
 * starts with a full bucket. REQLIMIT_SLOTS connections are tracked; a new
 * one takes the slot of the one heard from least recently.
 *
 * The limiter cannot switch itself off. Its state is a plain struct inside
 * its owner (no allocation that could fail and leave requests unchecked);
 * the rate, burst and slot count are constants checked when the node is
 * built (a zero or an overflowing one does not compile); tokens are
 * counted in integer thousandths, refilled from the milliseconds elapsed
 * (capped at the time a bucket takes to fill, so neither a long silence nor
 * a clock that jumps can overflow, and a clock that goes back adds
 * nothing); and a bucket never holds more than REQLIMIT_BURST.
 *
 * Thread safety: none; it belongs to the request thread.
 */
#ifndef PICKAXE_REQLIMIT_H
#define PICKAXE_REQLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REQLIMIT_RATE 500   /* requests a second per connection ... */
#define REQLIMIT_BURST 1000 /* ... after a burst of this many */
#define REQLIMIT_SLOTS 64   /* connections tracked */

typedef struct {
    struct {
        uint64_t key;     /* hash of the routing id; 0 = free */
        uint64_t milli;   /* tokens, in thousandths */
        uint64_t last_ms; /* last refill, and recency for eviction */
    } slot[REQLIMIT_SLOTS];
} reqlimit_t;

/* Empties every bucket's slot. */
void reqlimit_init(reqlimit_t *l);

/*
 * Takes a token from the bucket of the connection with this routing id.
 * Returns: true when the request may be served; false when the bucket is
 *          empty (refuse it).
 * In:      id, id_len  the routing id (borrowed; may be empty).
 *          now_ms      a monotonic clock.
 */
bool reqlimit_take(reqlimit_t *l, const uint8_t *id, size_t id_len,
                   uint64_t now_ms);

#endif
