/*
 * tally — the adversary's counts per attack kind (see tally.h).
 */
#include "tally.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hex.h"

/* Keeps id in a ring of the last TALLY_MAX_IDS. */
static void keep_id(char ring[][65], size_t *next, size_t *n,
                    const uint8_t id[32])
{
    static const uint8_t zero[32];
    if (memcmp(id, zero, 32) == 0)
        return;
    hex_from_hash(ring[*next], id);
    *next = (*next + 1) % TALLY_MAX_IDS;
    if (*n < TALLY_MAX_IDS)
        (*n)++;
}

void tally_sent(tally_t *t, const attack_out_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        keep_id(t->ids, &t->next_id, &t->n_ids, out->items[i].id);
        keep_id(t->valid_ids, &t->next_valid, &t->n_valid,
                out->items[i].valid_id);
    }
    t->sent++;
    t->items += out->count;
}

uint64_t tally_total_sent(const tally_t *t, size_t n)
{
    uint64_t sent = 0;
    for (size_t k = 0; k < n; k++)
        sent += t[k].sent;
    return sent;
}

/* A ring's ids as a JSON array, oldest kept first once it has wrapped. */
static json_t *ids_json(const char ring[][65], size_t next, size_t n)
{
    json_t *a = json_array();
    size_t first = n < TALLY_MAX_IDS ? 0 : next;
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a,
                              json_string(ring[(first + i) % TALLY_MAX_IDS]));
    return a;
}

json_t *tally_kinds_json(const attack_kind_t *const *kinds, const tally_t *t,
                         size_t n)
{
    json_t *o = json_object();
    for (size_t k = 0; o && k < n; k++) {
        const tally_t *st = &t[k];
        json_t *v = json_pack(
            "{s:s,s:b,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "reason",
            kinds[k]->reason, "refused", attack_refused(kinds[k]), "same_hash",
            kinds[k]->same_hash, "valid", kinds[k]->valid, "landed",
            (json_int_t)st->landed, "sent", (json_int_t)st->sent, "items",
            (json_int_t)st->items, "not_ready", (json_int_t)st->not_ready,
            "over_budget", (json_int_t)st->over_budget, "ids",
            ids_json(st->ids, st->next_id, st->n_ids), "valid_ids",
            ids_json(st->valid_ids, st->next_valid, st->n_valid));
        if (!v || json_object_set_new(o, kinds[k]->name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int tally_write_file(const char *path, const json_t *j)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return ERR_RANGE;
    if (json_dump_file(j, tmp, JSON_INDENT(1)) != 0) {
        remove(tmp);
        return ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return ERR_IO;
    }
    return 0;
}
