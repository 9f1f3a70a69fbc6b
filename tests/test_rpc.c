/*
 * Tests for src/node/rpc.c: the node's JSON queries (rpc.h) answered by a real
 * in-process regtest node (node_new with a temporary data directory, no
 * tracker, no miner; its main loop is not running, so rpc_handle is called
 * directly, as the request thread does; test_node.c runs the loop). Covers
 * each method's answer shape (status's main_loop and its busy variant too),
 * the state it reports after blocks and transfers, and every kind of bad
 * query.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
#include "store_rig.h"

static void start(void)
{
    rr_start("rpc");
}

TestSuite(rpc, .init = start, .fini = nr_free);

Test(rpc, bad_queries_are_refused_with_their_reason)
{
    json_t *q = json_string("status");
    json_t *a = rpc_handle(nr_node, q);
    cr_assert_eq(json_integer_value(
                     json_object_get(json_object_get(a, "error"), "code")),
                 ERR_ARG);
    json_decref(a);
    json_decref(q);
    rr_refused("nosuchmethod", NULL, ERR_ARG, "unknown method");
    rr_refused("status", json_string("x"), ERR_ARG, "params");
    rr_refused("getblock", json_object(), ERR_ARG, "missing hash");
    rr_refused("getblock", json_pack("{s:s}", "hash", "abc"), ERR_ARG,
               "64 hex");
    rr_refused("getblock", json_pack("{s:i}", "height", 99), ERR_NOT_FOUND,
               "no such block");
    rr_refused("getchain", json_pack("{s:i}", "limit", 0), ERR_ARG, "limit");
    rr_refused("balance", json_object(), ERR_ARG, "address");
    /* A one-character typo in an address: the checksum catches it. */
    char typo[100];
    strcpy(typo, rr_alice_addr);
    typo[10] = typo[10] == 'q' ? 'p' : 'q';
    rr_refused("balance", json_pack("{s:s}", "address", typo), ERR_ARG,
               "checksum");
    rr_refused("balance", json_pack("{s:s}", "address", "px1qqqq"), ERR_ARG,
               "");
    rr_refused("submit", json_pack("{s:s}", "hex", "00ff"), ERR_PARSE,
               "malformed transaction");
    rr_refused("generate", json_pack("{s:i}", "count", 0), ERR_ARG, "count");
    rr_refused("stall", json_pack("{s:i}", "ms", 0), ERR_ARG, "1..60000");
    rr_refused("stall", json_pack("{s:i}", "ms", 60001), ERR_ARG, "1..60000");
    rr_refused("stall", NULL, ERR_ARG, "1..60000");
}

Test(rpc, status_and_blocks_follow_the_chain)
{
    json_t *h;
    json_t *s = rr_ok(&h, "status", NULL);
    cr_assert_str_eq(json_string_value(json_object_get(s, "network")),
                     "regtest");
    cr_assert_eq(rr_int_of(s, "height"), 0);
    cr_assert_eq(rr_int_of(s, "mempool"), 0);
    cr_assert_not(json_is_true(json_object_get(s, "mining")));
    cr_assert(json_is_object(
        json_object_get(json_object_get(s, "refused"), "blocks")));
    json_decref(h);

    rr_mine(3, rr_alice_addr);
    s = rr_ok(&h, "status", NULL);
    cr_assert_eq(rr_int_of(s, "height"), 3);
    char tip[65];
    snprintf(tip, sizeof tip, "%s",
             json_string_value(json_object_get(s, "tip")));
    json_decref(h);

    json_t *h2;
    json_t *b = rr_ok(&h2, "getblock", json_pack("{s:i}", "height", 3));
    cr_assert_str_eq(json_string_value(json_object_get(b, "hash")), tip);
    cr_assert_eq(rr_int_of(b, "blockHeight"), 3);
    cr_assert_eq(rr_int_of(b, "previousBlockIndex"), 2);
    cr_assert_eq(rr_int_of(b, "confirmations"), 1);
    cr_assert_not_null(json_string_value(json_object_get(b, "raw")));
    json_decref(h2);
    b = rr_ok(&h2, "getblock", json_pack("{s:s}", "hash", tip));
    cr_assert_eq(rr_int_of(b, "blockHeight"), 3);
    json_decref(h2);

    json_t *c =
        rr_ok(&h2, "getchain", json_pack("{s:i,s:i}", "from", 1, "limit", 10));
    cr_assert_eq(json_array_size(c), 3, "blocks 1..3");
    cr_assert_eq(rr_int_of(json_array_get(c, 0), "blockHeight"), 1);
    json_decref(h2);
    c = rr_ok(&h2, "getchain",
              json_pack("{s:b,s:i}", "newest_first", 1, "limit", 2));
    cr_assert_eq(rr_int_of(json_array_get(c, 0), "blockHeight"), 3);
    cr_assert_eq(rr_int_of(json_array_get(c, 1), "blockHeight"), 2);
    json_decref(h2);

    json_t *v = rr_ok(&h2, "verifychain", NULL);
    cr_assert(json_is_true(json_object_get(v, "valid")), "%s",
              json_dumps(v, JSON_COMPACT));
    json_decref(h2);
}

/* Size of the node's dir/name; 0 when absent. */
static uint64_t store_file_size(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", nr_dir, name);
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/*
 * The disk fills while generate mines: the blocks made before go back with
 * how many were asked and made and why it stopped; the block the store
 * could not keep is not on the chain. No room is real: this test process's
 * file-size limit, past which the kernel refuses the store's writes (EFBIG)
 * as a full disk would (ENOSPC); it lasts only this test's process.
 */
Test(rpc, generate_stopped_by_a_full_disk_returns_what_it_made)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit orig;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &orig), 0);
    rr_mine(3, rr_alice_addr);
    /* 64 KiB more for the store's largest file: a few blocks' worth of
     * log (each block writes some 20 KiB of it), not a hundred. */
    uint64_t big = store_file_size("chain.db-wal");
    if (store_file_size("chain.db") > big)
        big = store_file_size("chain.db");
    sr_set_fsize((rlim_t)(big + 64 * 1024));
    json_t *h;
    json_t *r =
        rr_ok(&h, "generate",
              json_pack("{s:i,s:s}", "count", 100, "address", rr_alice_addr));
    json_t *hashes = json_object_get(r, "hashes");
    json_int_t made = rr_int_of(r, "made");
    cr_assert_eq(rr_int_of(r, "asked"), 100);
    cr_assert(made >= 1 && made < 100, "made %d", (int)made);
    cr_assert_eq(json_array_size(hashes), (size_t)made);
    json_t *err = json_object_get(r, "error");
    cr_assert_eq(rr_int_of(err, "code"), ERR_FULL);
    const char *msg = json_string_value(json_object_get(err, "message"));
    char want[96];
    snprintf(want, sizeof want,
             "could not store block %d (height %d): disk full", (int)made + 1,
             (int)made + 4);
    cr_assert(msg && strstr(msg, want), "message %s lacks %s", msg, want);
    /* Every hash returned is on the best chain, the last one its tip. */
    for (size_t i = 0; i < json_array_size(hashes); i++) {
        json_t *h2;
        json_t *b =
            rr_ok(&h2, "getblock",
                  json_pack("{s:O}", "hash", json_array_get(hashes, i)));
        cr_assert_eq(rr_int_of(b, "blockHeight"), 4 + (json_int_t)i);
        cr_assert(json_is_true(json_object_get(b, "mainChain")));
        json_decref(h2);
    }
    json_t *h2;
    json_t *st = rr_ok(&h2, "status", NULL);
    cr_assert_eq(rr_int_of(st, "height"), 3 + made);
    cr_assert_str_eq(json_string_value(json_object_get(st, "tip")),
                     json_string_value(json_array_get(hashes, made - 1)));
    json_decref(h2);
    json_decref(h);

    /* Still no room: nothing made, so the answer is the error itself. */
    rr_refused("generate",
               json_pack("{s:i,s:s}", "count", 5, "address", rr_alice_addr),
               ERR_FULL, "could not store block 1");

    /* Room again: the node goes on from where it stopped. */
    sr_set_fsize(orig.rlim_cur);
    rr_mine(2, rr_alice_addr);
    st = rr_ok(&h2, "status", NULL);
    cr_assert_eq(rr_int_of(st, "height"), 3 + made + 2);
    json_decref(h2);
    json_t *v = rr_ok(&h2, "verifychain", NULL);
    cr_assert(json_is_true(json_object_get(v, "valid")));
    json_decref(h2);
}

/* The main loop's record (loopwatch.h) in status. This node's main loop
 * never runs, so its only "turn" is the start, still going. */
static void check_main_loop(const json_t *s, const char *where)
{
    json_t *loop = json_object_get(s, "main_loop");
    cr_assert(json_is_object(loop), "%s", json_dumps(s, JSON_COMPACT));
    json_int_t age = rr_int_of(loop, "turn_age_ms");
    json_int_t longest = rr_int_of(loop, "longest_turn_ms");
    cr_assert(age >= 0 && longest >= age, "age %lld, longest %lld",
              (long long)age, (long long)longest);
    cr_assert(age <= 1000 * rr_int_of(s, "uptime") + 1000,
              "the turn cannot be older than the node");
    cr_assert_str_eq(json_string_value(json_object_get(loop, "where")), where);
}

Test(rpc, status_reports_the_main_loop)
{
    json_t *h;
    json_t *s = rr_ok(&h, "status", NULL);
    cr_assert(json_is_false(json_object_get(s, "busy")));
    check_main_loop(s, "start: loading the chain");
    json_decref(h);

    /* What status says when the node lock cannot be had: what needs no
     * lock, marked busy, and nothing of the chain. */
    h = rpc_status_busy(nr_node);
    cr_assert_not_null(h);
    s = json_object_get(h, "result");
    cr_assert(json_is_true(json_object_get(s, "busy")));
    cr_assert_str_eq(json_string_value(json_object_get(s, "network")),
                     "regtest");
    cr_assert_eq(strlen(json_string_value(json_object_get(s, "node_id"))), 16);
    cr_assert_eq(rr_int_of(s, "peers"), 0);
    cr_assert_null(json_object_get(s, "height"));
    cr_assert_null(json_object_get(s, "mempool"));
    check_main_loop(s, "start: loading the chain");
    json_decref(h);
}

Test(rpc, a_transfer_from_pending_to_confirmed)
{
    rr_mine(2, rr_alice_addr); /* rr_alice: 100 coins */
    char hex[TX_MAX_SIZE * 2 + 1];
    rr_transfer_hex(hex, 30 * COIN, 0, true);
    json_t *h;
    json_t *r = rr_ok(&h, "submit", json_pack("{s:s}", "hex", hex));
    char txid[65];
    snprintf(txid, sizeof txid, "%s",
             json_string_value(json_object_get(r, "txid")));
    json_decref(h);

    r = rr_ok(&h, "tx", json_pack("{s:s}", "txid", txid));
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
                     "pending");
    json_decref(h);
    r = rr_ok(&h, "balance", json_pack("{s:s}", "address", rr_alice_addr));
    cr_assert_eq(rr_int_of(r, "confirmed"), 100 * COIN);
    cr_assert_eq(rr_int_of(r, "available"), 70 * COIN - 500);
    cr_assert_eq(rr_int_of(r, "pending_outgoing"), 30 * COIN + 500);
    cr_assert_eq(rr_int_of(r, "pending_incoming"), 0);
    cr_assert_null(json_object_get(r, "pending"), "the old, ambiguous field");
    cr_assert_eq(rr_int_of(r, "nonce"), 1, "the next transfer's nonce");
    json_decref(h);
    r = rr_ok(&h, "balance", json_pack("{s:s}", "address", rr_bob_addr));
    cr_assert_eq(rr_int_of(r, "confirmed"), 0);
    cr_assert_eq(rr_int_of(r, "pending_incoming"), 30 * COIN);
    cr_assert_eq(rr_int_of(r, "pending_outgoing"), 0);
    cr_assert_eq(rr_int_of(r, "available"), 0, "incoming is not spendable yet");
    json_decref(h);
    r = rr_ok(&h, "mempool", NULL);
    cr_assert_eq(json_array_size(r), 1);
    json_decref(h);

    rr_mine(1, rr_bob_addr);
    r = rr_ok(&h, "tx", json_pack("{s:s}", "txid", txid));
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
                     "confirmed");
    cr_assert_eq(rr_int_of(r, "height"), 3);
    cr_assert_eq(rr_int_of(r, "confirmations"), 1);
    json_decref(h);
    r = rr_ok(&h, "balance", json_pack("{s:s}", "address", rr_bob_addr));
    cr_assert_eq(rr_int_of(r, "confirmed"), 30 * COIN + 50 * COIN + 500);
    json_decref(h);
    r = rr_ok(&h, "balance_after",
              json_pack("{s:s,s:s}", "address", rr_alice_addr, "txid", txid));
    cr_assert_eq(rr_int_of(r, "balance"), 70 * COIN - 500);
    json_decref(h);

    /* The same transfer again is a replay now. */
    rr_refused("submit", json_pack("{s:s}", "hex", hex), ERR_INVALID,
               "bad-txns-nonce-replay");
}

Test(rpc, a_refused_transfer_is_remembered_and_counted)
{
    rr_mine(1, rr_alice_addr);
    char hex[TX_MAX_SIZE * 2 + 1];
    rr_transfer_hex(hex, COIN, 0, false);
    rr_refused("submit", json_pack("{s:s}", "hex", hex), ERR_INVALID,
               "bad-txns-unsigned");
    tx_t t;
    uint8_t raw[TX_MAX_SIZE];
    size_t len = strlen(hex) / 2;
    cr_assert_eq(hex_decode(raw, len, hex), 0);
    cr_assert_eq(tx_parse_bytes(&t, raw, len), 0);
    uint8_t id[32];
    char txid[65];
    tx_compute_txid(id, &t);
    hex_from_hash(txid, id);

    json_t *h;
    json_t *r = rr_ok(&h, "tx", json_pack("{s:s}", "txid", txid));
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
                     "rejected");
    cr_assert_str_eq(json_string_value(json_object_get(r, "reason")),
                     "bad-txns-unsigned");
    json_decref(h);
    r = rr_ok(&h, "status", NULL);
    json_t *txs =
        json_object_get(json_object_get(r, "refused"), "transactions");
    cr_assert_eq(rr_int_of(txs, "bad-txns-unsigned"), 1);
    json_decref(h);

    char unknown[65];
    memset(unknown, 'a', 64);
    unknown[64] = '\0';
    r = rr_ok(&h, "tx", json_pack("{s:s}", "txid", unknown));
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
                     "unknown");
    json_decref(h);
}

/* history (rpc_history.c): pending first, then the best chain newest
 * first, paged, each item with its direction and confirmations. */
Test(rpc, history_pending_then_confirmed_paged)
{
    rr_mine(2, rr_alice_addr);
    char hex[TX_MAX_SIZE * 2 + 1];
    rr_transfer_hex(hex, 3 * COIN, 0, true);
    json_t *h;
    rr_ok(&h, "submit", json_pack("{s:s}", "hex", hex));
    json_decref(h);

    json_t *r =
        rr_ok(&h, "history", json_pack("{s:s}", "address", rr_bob_addr));
    cr_assert_eq(rr_int_of(r, "total"), 1);
    cr_assert_eq(rr_int_of(r, "pending"), 1);
    json_t *it = json_array_get(json_object_get(r, "items"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(it, "status")),
                     "pending");
    cr_assert_str_eq(json_string_value(json_object_get(it, "direction")), "in");
    cr_assert_str_eq(json_string_value(json_object_get(it, "from")),
                     rr_alice_addr);
    cr_assert_eq(rr_int_of(it, "amount"), 3 * COIN);
    json_decref(h);

    rr_mine(2, rr_bob_addr); /* the transfer in block 3, then block 4 */
    r = rr_ok(&h, "history",
              json_pack("{s:s,s:i}", "address", rr_alice_addr, "limit", 2));
    /* Alice: the transfer out (block 3), coinbases of blocks 2 and 1. */
    cr_assert_eq(rr_int_of(r, "total"), 3);
    cr_assert_eq(rr_int_of(r, "pending"), 0);
    cr_assert_eq(rr_int_of(r, "pages"), 2);
    json_t *items = json_object_get(r, "items");
    cr_assert_eq(json_array_size(items), 2);
    it = json_array_get(items, 0);
    cr_assert_str_eq(json_string_value(json_object_get(it, "direction")),
                     "out");
    cr_assert_str_eq(json_string_value(json_object_get(it, "status")),
                     "confirmed");
    cr_assert_eq(rr_int_of(it, "height"), 3);
    cr_assert_eq(rr_int_of(it, "confirmations"), 2);
    it = json_array_get(items, 1);
    cr_assert_str_eq(json_string_value(json_object_get(it, "type")),
                     "coinbase");
    cr_assert_eq(rr_int_of(it, "height"), 2);
    json_decref(h);
    r = rr_ok(&h, "history",
              json_pack("{s:s,s:i,s:i}", "address", rr_alice_addr, "limit", 2,
                        "page", 2));
    items = json_object_get(r, "items");
    cr_assert_eq(json_array_size(items), 1);
    cr_assert_eq(rr_int_of(json_array_get(items, 0), "height"), 1);
    json_decref(h);

    rr_refused("history", json_pack("{s:s}", "address", "pxrt1qqqq"), ERR_ARG,
               "");
    rr_refused("history",
               json_pack("{s:s,s:i}", "address", rr_bob_addr, "limit", 101),
               ERR_ARG, "limit");
}
