/*
 * seen — tallies and two bounded maps (see seen.h).
 */
#include "seen.h"

#include <string.h>
#include <time.h>

#include "err.h"

int seen_init(seen_t *s)
{
    memset(s, 0, sizeof *s);
    s->rejected = hashmap_new();
    s->received = hashmap_new();
    if (!s->rejected || !s->received) {
        seen_deinit(s);
        return ERR_NOMEM;
    }
    return 0;
}

void seen_deinit(seen_t *s)
{
    hashmap_free(&s->rejected);
    hashmap_free(&s->received);
}

void seen_tally(seen_tally_t *t, const char *reason)
{
    if (!reason)
        reason = "unknown";
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->reason[i], reason) == 0) {
            t->count[i]++;
            return;
        }
    }
    if (t->n < SEEN_MAX_REASONS) {
        t->reason[t->n] = reason;
        t->count[t->n++] = 1;
    }
}

uint64_t seen_total(const seen_tally_t *t)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < t->n; i++)
        sum += t->count[i];
    return sum;
}

/* Stores key -> value in *map, starting a fresh map when it holds max
 * entries. The old one is let go only once the new one exists, so the map
 * is never NULL; out of memory, the entry is simply not kept. */
static void put_bounded(hashmap_t **map, size_t max, const uint8_t key[32],
                        void *value)
{
    if (hashmap_count(*map) >= max) {
        hashmap_t *fresh = hashmap_new();
        if (!fresh)
            return;
        hashmap_free(map);
        *map = fresh;
    }
    if (hashmap_put(*map, key, value) != 0)
        return; /* out of memory: this one is not remembered */
}

void seen_tx_refused(seen_t *s, const uint8_t txid[32], const char *reason)
{
    seen_tally(&s->txs, reason);
    put_bounded(&s->rejected, SEEN_MAX_REJECTED, txid,
                (void *)(reason ? reason : "rejected"));
}

const char *seen_tx_refusal(const seen_t *s, const uint8_t txid[32])
{
    return hashmap_get(s->rejected, txid);
}

void seen_block_accepted(seen_t *s, const uint8_t hash[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    put_bounded(&s->received, SEEN_MAX_RECEIVED, hash,
                (void *)(uintptr_t)(us ? us : 1));
}

uint64_t seen_block_received_us(const seen_t *s, const uint8_t hash[32])
{
    return (uint64_t)(uintptr_t)hashmap_get(s->received, hash);
}
