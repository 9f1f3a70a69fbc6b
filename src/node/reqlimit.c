/*
 * reqlimit — token buckets in integer thousandths (see reqlimit.h).
 */
#include "reqlimit.h"

#include <string.h>

#define MILLI 1000u
#define FULL ((uint64_t)REQLIMIT_BURST * MILLI)
/* Milliseconds an empty bucket takes to fill: more elapsed time adds
 * nothing, so the refill below never multiplies a large number. */
#define FILL_MS ((FULL + REQLIMIT_RATE - 1) / REQLIMIT_RATE)

_Static_assert(REQLIMIT_RATE >= 1, "a rate of 0 would refuse everything");
_Static_assert(REQLIMIT_BURST >= 1, "a bucket must hold one request");
_Static_assert(REQLIMIT_SLOTS >= 1, "at least one connection is tracked");
/* The largest refill is FILL_MS * REQLIMIT_RATE milli-tokens, about FULL,
 * added to at most FULL: far from the 64-bit limit. */
_Static_assert((uint64_t)REQLIMIT_BURST < UINT32_MAX / MILLI,
               "the bucket's size must fit its arithmetic");
_Static_assert((uint64_t)REQLIMIT_RATE < UINT32_MAX,
               "the rate must fit its arithmetic");

void reqlimit_init(reqlimit_t *l)
{
    memset(l, 0, sizeof *l);
}

/* FNV-1a of the routing id, never 0 (0 marks a free slot). */
static uint64_t key_of(const uint8_t *id, size_t id_len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < id_len; i++)
        h = (h ^ id[i]) * 1099511628211ull;
    return h ? h : 1;
}

bool reqlimit_take(reqlimit_t *l, const uint8_t *id, size_t id_len,
                   uint64_t now_ms)
{
    uint64_t key = key_of(id, id_len);
    size_t victim = 0;
    for (size_t i = 0; i < REQLIMIT_SLOTS; i++) {
        if (l->slot[i].key == key) {
            /* A clock that went back adds nothing, and the bucket keeps
             * the later time, so going forward again adds nothing twice. */
            uint64_t elapsed = 0;
            if (now_ms > l->slot[i].last_ms) {
                elapsed = now_ms - l->slot[i].last_ms;
                l->slot[i].last_ms = now_ms;
            }
            if (elapsed > FILL_MS)
                elapsed = FILL_MS;
            uint64_t milli = l->slot[i].milli + elapsed * REQLIMIT_RATE;
            l->slot[i].milli = milli > FULL ? FULL : milli;
            if (l->slot[i].milli < MILLI)
                return false;
            l->slot[i].milli -= MILLI;
            return true;
        }
        if (l->slot[i].last_ms < l->slot[victim].last_ms)
            victim = i;
    }
    /* A connection not tracked: the least recent one's slot, full bucket
     * less this request. */
    l->slot[victim].key = key;
    l->slot[victim].milli = FULL - MILLI;
    l->slot[victim].last_ms = now_ms;
    return true;
}
