/*
 * seen — what the node remembers of the blocks and transactions it was
 * offered, for its status and queries: refusals counted by reason, why each
 * recent transaction was refused (`tx` answers "rejected" with it), and
 * when each recent block was accepted (`getblock`'s "received", for
 * propagation latency).
 *
 * Everything is bounded: SEEN_MAX_REASONS reasons are counted (refusals for
 * a further reason are not), and the two maps are emptied when they reach
 * SEEN_MAX_REJECTED and SEEN_MAX_RECEIVED entries. Memory running out
 * costs a memory, never the node: a map that cannot grow or be replaced
 * keeps what it has, and seen_init() is the only call that can fail.
 *
 * Thread safety: none; the node uses it under its lock.
 */
#ifndef PICKAXE_SEEN_H
#define PICKAXE_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"

#define SEEN_MAX_REASONS 64
#define SEEN_MAX_REJECTED 4096   /* transactions whose refusal is kept */
#define SEEN_MAX_RECEIVED 100000 /* blocks whose arrival time is kept */

/* Refusals counted by reason (reasons are static strings). */
typedef struct {
    const char *reason[SEEN_MAX_REASONS];
    uint64_t count[SEEN_MAX_REASONS];
    size_t n;
} seen_tally_t;

typedef struct {
    seen_tally_t blocks, txs; /* refusals by reason */
    hashmap_t *rejected;      /* txid -> reason (static string) */
    hashmap_t *received;      /* block hash -> wall-clock microseconds */
} seen_t;

/* Returns 0 or ERR_NOMEM (nothing to free then). */
int seen_init(seen_t *s);
void seen_deinit(seen_t *s);

/* Counts one refusal (reason NULL: "unknown"). */
void seen_tally(seen_tally_t *t, const char *reason);

/* The sum of a tally's counts. */
uint64_t seen_total(const seen_tally_t *t);

/* Counts a transaction's refusal and remembers its reason (static). */
void seen_tx_refused(seen_t *s, const uint8_t txid[32], const char *reason);

/* Why this transaction was refused lately, or NULL. */
const char *seen_tx_refusal(const seen_t *s, const uint8_t txid[32]);

/* Notes that a block was accepted now (wall clock). */
void seen_block_accepted(seen_t *s, const uint8_t hash[32]);

/* Wall-clock microseconds when the block was accepted, or 0 when not known
 * (loaded from the store, or forgotten). */
uint64_t seen_block_received_us(const seen_t *s, const uint8_t hash[32]);

#endif
