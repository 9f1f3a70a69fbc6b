/*
 * tally — what pickaxe-adversary counts for each attack kind it sends, and
 * the JSON summary it keeps in --stats FILE for tests and people to read.
 *
 * Per kind: how many attacks were sent and with how many items, how many
 * times the kind could not be built yet (not funded, no parent) or needed
 * more work than the budget, for kinds whose items are valid blocks how
 * many the honest nodes took (landed), and rings of the last TALLY_MAX_IDS
 * ids sent: the attack's items, and the valid transactions sent beside
 * invalid ones (attack_item_t.valid_id), which honest nodes must take.
 *
 * Not thread-safe: the adversary's main loop owns its tallies.
 */
#ifndef PICKAXE_TALLY_H
#define PICKAXE_TALLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "attack.h"

/* Ids kept per kind and ring. */
#define TALLY_MAX_IDS 40

typedef struct {
    uint64_t sent, items, not_ready, over_budget;
    uint64_t landed; /* valid kinds: attacks whose blocks the nodes took */
    char ids[TALLY_MAX_IDS][65];
    size_t next_id, n_ids;
    char valid_ids[TALLY_MAX_IDS][65];
    size_t next_valid, n_valid;
} tally_t;

/* Counts one attack sent: its items, and their ids (all-zero ids, which
 * garbage items have, are not kept). */
void tally_sent(tally_t *t, const attack_out_t *out);

/* The attacks sent over n tallies. */
uint64_t tally_total_sent(const tally_t *t, size_t n);

/*
 * The per-kind object of the stats file:
 *   {NAME: {reason, refused, same_hash, valid, landed, sent, items, not_ready,
 *           over_budget, ids: [...], valid_ids: [...]}, ...}
 * Returns: a new object, or NULL when out of memory.
 * In:      kinds[i] is what t[i] counts (both borrowed); n of each.
 */
json_t *tally_kinds_json(const attack_kind_t *const *kinds, const tally_t *t,
                         size_t n);

/*
 * Writes j to path through a temporary file and a rename, so a reader never
 * sees half a file.
 * Returns: 0; ERR_IO when it cannot be written (nothing replaced);
 *          ERR_RANGE when the path is too long.
 */
int tally_write_file(const char *path, const json_t *j);

#endif
