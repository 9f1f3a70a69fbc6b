/*
 * Tests for net/transfer.c, the one path by which pickaxe-cli and the
 * wallet service send coins. Against a real in-process regtest node
 * (node_new, its main loop on a thread, asked over its request port with
 * rpcclient as the tools ask it): a transfer the node takes, with the
 * account's nonce from the node, then the next one's from its mempool; a
 * transfer over the available balance refused before anything is signed
 * or sent; an unsigned one the node refuses, with its reason. Without a
 * node: what is refused before the account is asked (and that it is not
 * asked), offline signing with a given nonce, a failing account lookup,
 * and reading the node's balance answer.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "amount.h"
#include "err.h"
#include "node.h"
#include "node_rig.h"
#include "rpcclient.h"
#include "transfer.h"
#include "wallet.h"

/* ---- callbacks that count their calls ----------------------------------- */

typedef struct {
    rpcclient_t *node; /* NULL: the account callback fails */
    int accounts, submits;
} io_ctx_t;

static int ask_account(void *ctx, transfer_account_t *out, char *why,
                       size_t why_len, const char *address)
{
    io_ctx_t *c = ctx;
    c->accounts++;
    if (!c->node) {
        snprintf(why, why_len, "no answer from the node within 1 s");
        return ERR_TIMEOUT;
    }
    json_t *p = json_pack("{s:s}", "address", address);
    json_t *r = NULL;
    char *msg = NULL;
    int rc = rpcclient_call(c->node, &r, &msg, "balance", p);
    json_decref(p);
    if (rc == 0)
        rc = transfer_account_from_json(out, r);
    else
        snprintf(why, why_len, "%s", msg ? msg : err_str(rc));
    json_decref(r);
    free(msg);
    return rc;
}

static int submit(void *ctx, char *why, size_t why_len, const tx_t *tx,
                  const char *txid_hex)
{
    io_ctx_t *c = ctx;
    c->submits++;
    uint8_t id[32];
    char hex[HEX_HASH_LEN + 1];
    tx_compute_txid(id, tx);
    hex_from_hash(hex, id);
    cr_assert_str_eq(hex, txid_hex, "the txid handed over is the tx's");
    buf_t raw;
    buf_init(&raw);
    cr_assert_eq(tx_serialize(&raw, tx), 0);
    char *msg = NULL;
    int rc = rpcclient_submit_tx(c->node, &msg, raw.data, raw.len);
    buf_deinit(&raw);
    if (rc)
        snprintf(why, why_len, "%s", msg ? msg : err_str(rc));
    free(msg);
    return rc;
}

static wallet_t *alice;
static char alice_addr[ADDRESS_MAX_LEN], bob_addr[ADDRESS_MAX_LEN];

static void make_keys(void)
{
    alice = wallet_new_random();
    wallet_t *bob = wallet_new_random();
    cr_assert(alice && bob);
    cr_assert_eq(wallet_get_public_key_str(alice, ADDRESS_HRP_REGTEST,
                                           alice_addr, sizeof alice_addr),
                 0);
    cr_assert_eq(wallet_get_public_key_str(bob, ADDRESS_HRP_REGTEST, bob_addr,
                                           sizeof bob_addr),
                 0);
    wallet_free(&bob);
}

static transfer_request_t request(uint64_t amount)
{
    transfer_request_t r = {
        .wallet = alice,
        .params = params_regtest(),
        .recipient = bob_addr,
        .amount = amount,
        .fee = AMOUNT_DEFAULT_FEE,
        .sign = true,
    };
    return r;
}

/* ---- without a node -------------------------------------------------------
 */

Test(transfer, bad_requests_are_refused_before_the_node_is_asked,
     .init = make_keys)
{
    io_ctx_t ctx = {0};
    transfer_io_t io = {ask_account, submit, &ctx};
    transfer_result_t res;
    transfer_request_t req = request(COIN);

    char demo_addr[ADDRESS_MAX_LEN];
    cr_assert_eq(wallet_get_public_key_str(alice, ADDRESS_HRP_DEMO, demo_addr,
                                           sizeof demo_addr),
                 0);
    req.recipient = demo_addr;
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_BAD_REQUEST);
    cr_assert(strstr(res.reason, "is not a regtest address"), "%s", res.reason);

    req = request(0);
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_BAD_REQUEST);
    cr_assert_str_eq(res.reason, "the amount must be more than zero");

    req = request(MAX_MONEY);
    req.fee = 1;
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_BAD_REQUEST);
    cr_assert(strstr(res.reason, "21,000,000"), "%s", res.reason);

    req = request(UINT64_MAX);
    req.fee = UINT64_MAX;
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_BAD_REQUEST);

    cr_assert_eq(ctx.accounts, 0, "the node was asked about a bad request");
    cr_assert_eq(ctx.submits, 0);
    wallet_free(&alice);
}

Test(transfer, offline_signing_with_a_given_nonce, .init = make_keys)
{
    transfer_request_t req = request(150000000);
    req.has_nonce = true;
    req.nonce = 41;
    transfer_result_t res;
    cr_assert_eq(transfer_send(&res, &req, NULL), 0, "%s", res.reason);
    cr_assert_eq(res.refused, TRANSFER_OK);
    cr_assert_str_eq(res.reason, "");
    cr_assert_str_eq(res.from, alice_addr);
    cr_assert_eq(res.nonce, 41);
    cr_assert_eq(res.tx.nonce, 41);
    cr_assert_eq(res.tx.amount, 150000000);
    cr_assert_eq(res.tx.fee, AMOUNT_DEFAULT_FEE);
    cr_assert(tx_verify_signature(&res.tx, params_regtest()->network_id));
    cr_assert_not(tx_verify_signature(&res.tx, params_demo()->network_id),
                  "signed for regtest only");
    uint8_t id[32];
    char hex[HEX_HASH_LEN + 1];
    tx_compute_txid(id, &res.tx);
    hex_from_hash(hex, id);
    cr_assert_str_eq(res.txid_hex, hex);

    /* Unsigned on request: the signature stays all zero. */
    req.sign = false;
    cr_assert_eq(transfer_send(&res, &req, NULL), 0);
    cr_assert_not(tx_verify_signature(&res.tx, params_regtest()->network_id));
    wallet_free(&alice);
}

Test(transfer, a_failed_account_lookup_says_why, .init = make_keys)
{
    io_ctx_t ctx = {0}; /* no node: the lookup fails */
    transfer_io_t io = {ask_account, submit, &ctx};
    transfer_request_t req = request(COIN);
    transfer_result_t res;
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_TIMEOUT);
    cr_assert_eq(res.refused, TRANSFER_NO_ACCOUNT);
    cr_assert_str_eq(res.reason, "no answer from the node within 1 s");
    cr_assert_eq(ctx.accounts, 1);
    cr_assert_eq(ctx.submits, 0);

    /* No way to ask, and no nonce given. */
    transfer_io_t none = {NULL, submit, &ctx};
    cr_assert_eq(transfer_send(&res, &req, &none), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_NO_ACCOUNT);
    cr_assert_eq(ctx.submits, 0);
    wallet_free(&alice);
}

Test(transfer, the_nodes_balance_answer_is_checked)
{
    transfer_account_t a = {7, 7};
    const char *bad[] = {
        "{}",
        "{\"nonce\": 1}",
        "{\"available\": 1}",
        "{\"nonce\": -1, \"available\": 5}",
        "{\"nonce\": 1, \"available\": -5}",
        "{\"nonce\": \"1\", \"available\": 5}",
        "{\"nonce\": 1, \"available\": 5.5}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        cr_assert(j, "%s", bad[i]);
        cr_assert_eq(transfer_account_from_json(&a, j), ERR_PARSE, "%s",
                     bad[i]);
        json_decref(j);
    }
    cr_assert_eq(a.nonce, 7, "written on failure");
    json_t *j = json_pack("{s:I,s:I,s:I}", "confirmed", (json_int_t)9,
                          "available", (json_int_t)5, "nonce", (json_int_t)3);
    cr_assert_eq(transfer_account_from_json(&a, j), 0);
    cr_assert_eq(a.nonce, 3);
    cr_assert_eq(a.available, 5);
    json_decref(j);
}

/* ---- against a node --------------------------------------------------------
 */

static rpcclient_t *client;

static json_t *call(const char *method, json_t *params)
{
    json_t *r = NULL;
    char *msg = NULL;
    int rc = rpcclient_call(client, &r, &msg, method, params);
    cr_assert_eq(rc, 0, "%s: %s", method, msg ? msg : err_str(rc));
    json_decref(params);
    return r;
}

static void start_node(void)
{
    make_keys();
    nr_new("transfer");
    nr_run();
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%u",
             (unsigned)nr_port);
    client = rpcclient_new(endpoint, params_regtest()->network_id, 5000, 0);
    cr_assert_not_null(client);
}

static void stop_node(void)
{
    rpcclient_free(&client);
    nr_free();
    wallet_free(&alice);
}

/* The node's view of a transaction: its status and its amount. */
static void check_tx(const char *txid, const char *status, uint64_t amount,
                     uint64_t nonce)
{
    json_t *r = call("tx", json_pack("{s:s}", "txid", txid));
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")), status);
    json_t *tx = json_object_get(r, "tx");
    cr_assert_eq(json_integer_value(json_object_get(tx, "amount")),
                 (json_int_t)amount);
    cr_assert_eq(json_integer_value(json_object_get(tx, "nonce")),
                 (json_int_t)nonce);
    cr_assert_str_eq(json_string_value(json_object_get(tx, "from")),
                     alice_addr);
    json_decref(r);
}

Test(transfer, the_node_takes_it_with_the_accounts_nonce, .init = start_node,
     .fini = stop_node)
{
    json_decref(call(
        "generate", json_pack("{s:i,s:s}", "count", 1, "address", alice_addr)));
    io_ctx_t ctx = {client, 0, 0};
    transfer_io_t io = {ask_account, submit, &ctx};
    transfer_request_t req = request(150000000);
    transfer_result_t res;
    cr_assert_eq(transfer_send(&res, &req, &io), 0, "%s", res.reason);
    cr_assert_eq(res.refused, TRANSFER_OK);
    cr_assert_eq(res.nonce, 0);
    cr_assert_eq(res.available, 50 * COIN, "one block's subsidy");
    cr_assert_str_eq(res.from, alice_addr);
    check_tx(res.txid_hex, "pending", 150000000, 0);

    /* The next one carries the next nonce, which the node counts from its
     * mempool; what it sees available has gone down. */
    req = request(2 * COIN);
    cr_assert_eq(transfer_send(&res, &req, &io), 0, "%s", res.reason);
    cr_assert_eq(res.nonce, 1);
    cr_assert_eq(res.available, 50 * COIN - 150000000 - AMOUNT_DEFAULT_FEE);
    check_tx(res.txid_hex, "pending", 2 * COIN, 1);
    cr_assert_eq(ctx.accounts, 2);
    cr_assert_eq(ctx.submits, 2);
}

Test(transfer, more_than_available_is_refused_before_signing,
     .init = start_node, .fini = stop_node)
{
    io_ctx_t ctx = {client, 0, 0};
    transfer_io_t io = {ask_account, submit, &ctx};
    transfer_request_t req = request(COIN);
    transfer_result_t res;
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_NO_FUNDS);
    char want[300];
    snprintf(want, sizeof want,
             "insufficient funds: %s has 0 coins available, not enough for 1 "
             "plus a fee of 0.0001",
             alice_addr);
    cr_assert_str_eq(res.reason, want);
    cr_assert_eq(ctx.submits, 0);

    /* Exactly the balance, fee included, goes through; a unit more not. */
    json_decref(call(
        "generate", json_pack("{s:i,s:s}", "count", 1, "address", alice_addr)));
    req = request(50 * COIN - AMOUNT_DEFAULT_FEE + 1);
    cr_assert_eq(transfer_send(&res, &req, &io), ERR_ARG);
    cr_assert_eq(res.refused, TRANSFER_NO_FUNDS);
    req = request(50 * COIN - AMOUNT_DEFAULT_FEE);
    cr_assert_eq(transfer_send(&res, &req, &io), 0, "%s", res.reason);
    cr_assert_eq(ctx.submits, 1);
}

Test(transfer, an_unsigned_transfer_is_refused_by_the_node, .init = start_node,
     .fini = stop_node)
{
    json_decref(call(
        "generate", json_pack("{s:i,s:s}", "count", 1, "address", alice_addr)));
    io_ctx_t ctx = {client, 0, 0};
    transfer_io_t io = {ask_account, submit, &ctx};
    transfer_request_t req = request(COIN);
    req.sign = false;
    transfer_result_t res;
    cr_assert_neq(transfer_send(&res, &req, &io), 0);
    cr_assert_eq(res.refused, TRANSFER_NOT_SUBMITTED);
    cr_assert(strstr(res.reason, "bad-txns-unsigned"), "%s", res.reason);
    cr_assert_eq(ctx.submits, 1);
    cr_assert_eq(strlen(res.txid_hex), HEX_HASH_LEN, "the refused tx's id");
}
