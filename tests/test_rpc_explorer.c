/*
 * Tests for src/node/rpc_explorer.c: chaintips, tree and events answered
 * by a real in-process regtest node (as test_rpc.c: node_new with a
 * temporary data directory, rpc_handle called directly). Forks, reorgs and
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
#include "rpc.h"

static node_t *node;
static char dir[64];
static fx_key_t alice, bob;
static char alice_addr[100], bob_addr[100];

static void start(void)
{
    strcpy(dir, "/tmp/pickaxe-rpcx-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.params = params_regtest();
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    strcpy(cfg.listen_host, "127.0.0.1");
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *why = "?";
    for (int tries = 0; !node && tries < 50; tries++) {
        cfg.port = (uint16_t)(20000 + 2 * (rand() % 20000));
        node = node_new(&cfg, &why);
    }
    cr_assert_not_null(node, "node_new: %s", why);
    fx_key(&alice, 1);
    fx_key(&bob, 2);
    cr_assert_eq(
        address_encode(alice_addr, sizeof alice_addr, "pxrt", alice.pub), 0);
    cr_assert_eq(address_encode(bob_addr, sizeof bob_addr, "pxrt", bob.pub), 0);
}

static void stop(void)
{
    node_free(&node);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(rpc_explorer, .init = start, .fini = stop);

/* Asks the node; returns the whole answer (caller json_decref). */
static json_t *ask(const char *method, json_t *params)
{
    json_t *q = json_pack("{s:s}", "method", method);
    if (params)
        json_object_set_new(q, "params", params);
    json_t *a = rpc_handle(node, q);
    json_decref(q);
    cr_assert_not_null(a);
    cr_assert(json_object_size(a) == 1, "one of result or error");
    return a;
}

/* The result of a call that must succeed (borrowed from *holder). */
static json_t *ok(json_t **holder, const char *method, json_t *params)
{
    *holder = ask(method, params);
    json_t *r = json_object_get(*holder, "result");
    cr_assert_not_null(r, "%s failed: %s", method,
                       json_dumps(*holder, JSON_COMPACT));
    return r;
}

/* Expects an error with this code whose message contains `text`. */
static void refused(const char *method, json_t *params, int code,
                    const char *text)
{
    json_t *a = ask(method, params);
    json_t *e = json_object_get(a, "error");
    cr_assert_not_null(e, "%s should fail", method);
    cr_assert_eq(json_integer_value(json_object_get(e, "code")), code, "%s: %s",
                 method, json_dumps(a, JSON_COMPACT));
    const char *msg = json_string_value(json_object_get(e, "message"));
    cr_assert(msg && strstr(msg, text), "%s: message %s lacks %s", method,
              msg ? msg : "(none)", text);
    json_decref(a);
}

static json_int_t int_of(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

static void mine(int count, const char *to)
{
    json_t *h;
    json_t *r = ok(&h, "generate",
                   json_pack("{s:i,s:s}", "count", count, "address", to));
    cr_assert_eq(json_array_size(json_object_get(r, "hashes")), (size_t)count);
    cr_assert_eq(json_integer_value(json_object_get(r, "made")), count);
    cr_assert_eq(json_integer_value(json_object_get(r, "asked")), count);
    cr_assert_null(json_object_get(r, "error"));
    json_decref(h);
}

/* A transfer from alice, signed (or not), as hex. */
static void transfer_hex(char *hex, uint64_t amount, uint64_t nonce, bool sign)
{
    tx_t t;
    if (sign)
        fx_transfer(&t, params_regtest(), &alice, bob.pub, amount, 500, nonce);
    else
        tx_init_transfer(&t, alice.pub, bob.pub, amount, 500, nonce);
    buf_t raw;
    buf_init(&raw);
    cr_assert_eq(tx_serialize(&raw, &t), 0);
    hex_encode(hex, raw.data, raw.len);
    buf_deinit(&raw);
}

Test(rpc_explorer, tree_lists_a_window_of_the_best_chain)
{
    mine(12, alice_addr);
    json_t *h;
    json_t *r = ok(&h, "tree", json_pack("{s:i}", "count", 5));
    cr_assert_eq(int_of(r, "height"), 12);
    cr_assert_eq(int_of(r, "from"), 8);
    cr_assert_eq(int_of(r, "to"), 12);
    json_t *blocks = json_object_get(r, "blocks");
    cr_assert_eq(json_array_size(blocks), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *b = json_array_get(blocks, i);
        cr_assert_eq(int_of(b, "height"), 8 + (json_int_t)i);
        cr_assert(json_is_true(json_object_get(b, "best")));
        cr_assert_str_eq(json_string_value(json_object_get(b, "miner")),
                         alice_addr);
        cr_assert_eq(int_of(b, "txs"), 1);
        cr_assert_str_eq(json_string_value(json_object_get(b, "branch")),
                         json_string_value(json_object_get(r, "tip")));
        cr_assert_gt(int_of(b, "received"), 1600000000000LL, "ms since epoch");
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

    r = ok(&h, "tree", json_pack("{s:i,s:i}", "from", 0, "to", 2));
    cr_assert_eq(json_array_size(json_object_get(r, "blocks")), 3);
    json_decref(h);
    refused("tree", json_pack("{s:i,s:i}", "from", 5, "to", 4), ERR_ARG,
            "at most 500");
    refused("tree", json_pack("{s:i,s:i}", "from", 0, "to", 500), ERR_ARG,
            "at most 500");
    refused("tree", json_pack("{s:s}", "from", "x"), ERR_ARG, "heights");
    refused("tree", json_pack("{s:i}", "count", 0), ERR_ARG, "count");
}

Test(rpc_explorer, chaintips_has_the_active_tip)
{
    mine(3, alice_addr);
    json_t *h;
    json_t *r = ok(&h, "chaintips", NULL);
    cr_assert_eq(json_array_size(r), 1);
    json_t *t = json_array_get(r, 0);
    cr_assert_eq(int_of(t, "height"), 3);
    cr_assert_eq(int_of(t, "branchlen"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(t, "status")), "active");
    cr_assert_null(json_object_get(t, "prune_in"));
    json_decref(h);
}

Test(rpc_explorer, events_since_n_with_reasons_in_words)
{
    mine(2, alice_addr);
    char hex[TX_MAX_SIZE * 2 + 1];
    transfer_hex(hex, COIN, 0, false);
    refused("submit", json_pack("{s:s}", "hex", hex), ERR_INVALID,
            "bad-txns-unsigned");
    json_t *h;
    json_t *r = ok(&h, "events", NULL);
    cr_assert_eq(int_of(r, "first"), 1);
    cr_assert_eq(int_of(r, "last"), 3);
    cr_assert_eq(int_of(r, "missed"), 0);
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
    cr_assert_eq(int_of(counts, "block-accepted"), 2);
    cr_assert_eq(int_of(counts, "tx-refused"), 1);
    cr_assert_eq(
        int_of(json_object_get(json_object_get(r, "refused"), "transactions"),
               "bad-txns-unsigned"),
        1);
    json_decref(h);

    /* Since 2: the refusal only; since the last: nothing; max bounds. */
    r = ok(&h, "events", json_pack("{s:i}", "since", 2));
    cr_assert_eq(json_array_size(json_object_get(r, "events")), 1);
    json_decref(h);
    r = ok(&h, "events", json_pack("{s:i}", "since", 3));
    cr_assert_eq(json_array_size(json_object_get(r, "events")), 0);
    json_decref(h);
    r = ok(&h, "events", json_pack("{s:i,s:i}", "since", 0, "max", 1));
    cr_assert_eq(json_array_size(json_object_get(r, "events")), 1);
    cr_assert_eq(int_of(json_array_get(json_object_get(r, "events"), 0), "seq"),
                 1);
    json_decref(h);
    refused("events", json_pack("{s:i}", "since", -1), ERR_ARG, "since");
    refused("refusedblock", json_pack("{s:i}", "seq", 3), ERR_NOT_FOUND,
            "no refused block");
    refused("refusedblock", json_pack("{s:s}", "seq", "x"), ERR_ARG,
            "event number");
    refused("events", json_pack("{s:i}", "max", 1001), ERR_ARG, "1..1000");
}
