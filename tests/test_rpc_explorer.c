/*
 * Tests for src/node/rpc_explorer.c: chaintips, tree and events answered
 * by a real in-process regtest node (as test_rpc.c: node_rig.h's node,
 * asked through rpc_rig.h with rpc_handle called directly). Forks, reorgs and
 * pruning reach the event log through the chain's callbacks, which
 * test_events.c drives; the browser tests watch them on a real network.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "err.h"
#include "fixtures.h"
#include "hex.h"
#include "node.h"
#include "node_rig.h"
#include "rpc.h"
#include "rpc_rig.h"

static void start(void)
{
    rr_start("rpcx");
}

TestSuite(rpc_explorer, .init = start, .fini = nr_free);

Test(rpc_explorer, tree_lists_a_window_of_the_best_chain)
{
    rr_mine(12, rr_alice_addr);
    json_t *h;
    json_t *r = rr_ok(&h, "tree", json_pack("{s:i}", "count", 5));
    cr_assert_eq(rr_int_of(r, "height"), 12);
    cr_assert_eq(rr_int_of(r, "from"), 8);
    cr_assert_eq(rr_int_of(r, "to"), 12);
    json_t *blocks = json_object_get(r, "blocks");
    cr_assert_eq(json_array_size(blocks), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *b = json_array_get(blocks, i);
        cr_assert_eq(rr_int_of(b, "height"), 8 + (json_int_t)i);
        cr_assert(json_is_true(json_object_get(b, "best")));
        cr_assert_str_eq(json_string_value(json_object_get(b, "miner")),
                         rr_alice_addr);
        cr_assert_eq(rr_int_of(b, "txs"), 1);
        cr_assert_str_eq(json_string_value(json_object_get(b, "branch")),
                         json_string_value(json_object_get(r, "tip")));
        cr_assert_gt(rr_int_of(b, "received"), 1600000000000LL,
                     "ms since epoch");
        if (i)
            cr_assert_str_eq(json_string_value(json_object_get(b, "parent")),
                             json_string_value(json_object_get(
                                 json_array_get(blocks, i - 1), "hash")));
    }
    json_t *tips = json_object_get(r, "tips");
    cr_assert_eq(json_array_size(tips), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(tips, 0), "status")),
        "active");
    json_decref(h);

    r = rr_ok(&h, "tree", json_pack("{s:i,s:i}", "from", 0, "to", 2));
    cr_assert_eq(json_array_size(json_object_get(r, "blocks")), 3);
    json_decref(h);
    rr_refused("tree", json_pack("{s:i,s:i}", "from", 5, "to", 4), ERR_ARG,
               "at most 500");
    rr_refused("tree", json_pack("{s:i,s:i}", "from", 0, "to", 500), ERR_ARG,
               "at most 500");
    rr_refused("tree", json_pack("{s:s}", "from", "x"), ERR_ARG, "heights");
    rr_refused("tree", json_pack("{s:i}", "count", 0), ERR_ARG, "count");
}

Test(rpc_explorer, chaintips_has_the_active_tip)
{
    rr_mine(3, rr_alice_addr);
    json_t *h;
    json_t *r = rr_ok(&h, "chaintips", NULL);
    cr_assert_eq(json_array_size(r), 1);
    json_t *t = json_array_get(r, 0);
    cr_assert_eq(rr_int_of(t, "height"), 3);
    cr_assert_eq(rr_int_of(t, "branchlen"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(t, "status")), "active");
    cr_assert_null(json_object_get(t, "prune_in"));
    json_decref(h);
}

Test(rpc_explorer, events_since_n_with_reasons_in_words)
{
    rr_mine(2, rr_alice_addr);
    char hex[TX_MAX_SIZE * 2 + 1];
    rr_transfer_hex(hex, COIN, 0, false);
    rr_refused("submit", json_pack("{s:s}", "hex", hex), ERR_INVALID,
               "bad-txns-unsigned");
    json_t *h;
    json_t *r = rr_ok(&h, "events", NULL);
    cr_assert_eq(rr_int_of(r, "first"), 1);
    cr_assert_eq(rr_int_of(r, "last"), 3);
    cr_assert_eq(rr_int_of(r, "missed"), 0);
    json_t *ev = json_object_get(r, "events");
    cr_assert_eq(json_array_size(ev), 3);
    json_t *a = json_array_get(ev, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "kind")),
                     "block-accepted");
    cr_assert(json_is_true(json_object_get(a, "mined")));
    cr_assert(json_is_true(json_object_get(a, "best")));
    cr_assert_null(json_object_get(a, "peer"), "made here: no peer");
    json_t *x = json_array_get(ev, 2);
    cr_assert_str_eq(json_string_value(json_object_get(x, "kind")),
                     "tx-refused");
    cr_assert_str_eq(json_string_value(json_object_get(x, "reason")),
                     "bad-txns-unsigned");
    cr_assert_eq(strlen(json_string_value(json_object_get(x, "txid"))), 64);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r, "reasons"), "bad-txns-unsigned")),
                     "a transfer carries no signature");
    json_t *counts = json_object_get(r, "counts");
    cr_assert_eq(rr_int_of(counts, "block-accepted"), 2);
    cr_assert_eq(rr_int_of(counts, "tx-refused"), 1);
    cr_assert_eq(rr_int_of(json_object_get(json_object_get(r, "refused"),
                                           "transactions"),
                           "bad-txns-unsigned"),
                 1);
    json_decref(h);

    /* Since 2: the refusal only; since the last: nothing; max bounds. */
    r = rr_ok(&h, "events", json_pack("{s:i}", "since", 2));
    cr_assert_eq(json_array_size(json_object_get(r, "events")), 1);
    json_decref(h);
    r = rr_ok(&h, "events", json_pack("{s:i}", "since", 3));
    cr_assert_eq(json_array_size(json_object_get(r, "events")), 0);
    json_decref(h);
    r = rr_ok(&h, "events", json_pack("{s:i,s:i}", "since", 0, "max", 1));
    cr_assert_eq(json_array_size(json_object_get(r, "events")), 1);
    cr_assert_eq(
        rr_int_of(json_array_get(json_object_get(r, "events"), 0), "seq"), 1);
    json_decref(h);
    rr_refused("events", json_pack("{s:i}", "since", -1), ERR_ARG, "since");
    rr_refused("refusedblock", json_pack("{s:i}", "seq", 3), ERR_NOT_FOUND,
               "no refused block");
    rr_refused("refusedblock", json_pack("{s:s}", "seq", "x"), ERR_ARG,
               "event number");
    rr_refused("events", json_pack("{s:i}", "max", 1001), ERR_ARG, "1..1000");
}
