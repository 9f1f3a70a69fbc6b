/*
 * Tests for src/adversary/tally.c: what the adversary counts per attack
 * kind (attacks, items, the rings of the last ids, all-zero ids left out),
 * the stats file's per-kind object, and its write through a rename.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "hex.h"
#include "tally.h"

/* An attack of n items whose ids are seed, seed+1, ...; every other item
 * carries a valid transfer beside it. */
static attack_out_t attack(attack_item_t *items, size_t n, uint8_t seed)
{
    memset(items, 0, n * sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i].id[0] = (uint8_t)(seed + i);
        items[i].id[31] = 1;
        if (i % 2)
            items[i].valid_id[5] = (uint8_t)(seed + i);
    }
    attack_out_t out = {items, n, n};
    return out;
}

Test(tally, counts_attacks_items_and_ids)
{
    tally_t t;
    memset(&t, 0, sizeof t);
    attack_item_t items[3];
    attack_out_t out = attack(items, 3, 10);
    tally_sent(&t, &out);
    cr_assert_eq(t.sent, 1);
    cr_assert_eq(t.items, 3);
    cr_assert_eq(t.n_ids, 3);
    cr_assert_eq(t.n_valid, 1, "zero valid ids are not kept");
    char hex[65];
    hex_from_hash(hex, items[0].id);
    cr_assert_str_eq(t.ids[0], hex);

    /* A garbage item (all-zero id) counts as an item, not an id. */
    attack_item_t junk;
    memset(&junk, 0, sizeof junk);
    attack_out_t g = {&junk, 1, 1};
    tally_sent(&t, &g);
    cr_assert_eq(t.sent, 2);
    cr_assert_eq(t.items, 4);
    cr_assert_eq(t.n_ids, 3);

    tally_t all[2] = {t, t};
    cr_assert_eq(tally_total_sent(all, 2), 4);
}

Test(tally, the_rings_keep_the_last_ids_oldest_first)
{
    tally_t t;
    memset(&t, 0, sizeof t);
    attack_item_t items[1];
    for (int i = 0; i < TALLY_MAX_IDS + 5; i++) {
        attack_out_t out = attack(items, 1, (uint8_t)i);
        tally_sent(&t, &out);
    }
    cr_assert_eq(t.n_ids, TALLY_MAX_IDS);
    attack_kind_t kind = {.name = "k", .reason = "bad-k"};
    const attack_kind_t *kinds[1] = {&kind};
    json_t *o = tally_kinds_json(kinds, &t, 1);
    cr_assert_not_null(o);
    json_t *k = json_object_get(o, "k");
    cr_assert_str_eq(json_string_value(json_object_get(k, "reason")), "bad-k");
    cr_assert_eq(json_integer_value(json_object_get(k, "sent")),
                 TALLY_MAX_IDS + 5);
    json_t *ids = json_object_get(k, "ids");
    cr_assert_eq(json_array_size(ids), TALLY_MAX_IDS);
    /* The oldest kept is attack 5, the newest attack TALLY_MAX_IDS + 4. */
    attack_out_t first = attack(items, 1, 5);
    char hex[65];
    hex_from_hash(hex, first.items[0].id);
    cr_assert_str_eq(json_string_value(json_array_get(ids, 0)), hex);
    attack_out_t last = attack(items, 1, TALLY_MAX_IDS + 4);
    hex_from_hash(hex, last.items[0].id);
    cr_assert_str_eq(json_string_value(json_array_get(ids, TALLY_MAX_IDS - 1)),
                     hex);
    json_decref(o);
}

Test(tally, the_file_is_replaced_whole)
{
    char dir[] = "/tmp/pickaxe-tally-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/stats.json", dir);
    json_t *j = json_pack("{s:i}", "sent", 3);
    cr_assert_eq(tally_write_file(path, j), 0);
    json_t *back = json_load_file(path, 0, NULL);
    cr_assert(json_equal(j, back));
    json_decref(back);
    char tmp[140];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_assert_neq(access(tmp, F_OK), 0, "no temporary file left");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir/stats.json", dir);
    cr_assert_eq(tally_write_file(missing, j), ERR_IO);
    json_decref(j);
    unlink(path);
    cr_assert_eq(rmdir(dir), 0);
}
