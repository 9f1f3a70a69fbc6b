/*
 * Tests for wallet-web/wallet_api.c and wallet_api_http.c: the HTTP
 * server itself, in-process on a free port, against an absent node (503s,
 * never a crash) and against a fake node (insufficient funds, a refused
 * unsigned send and its remembered reason, a status that says the node's
 * main loop is stuck: 503s that say so). Request parsing is
 * test_wallet_api_parse.c's.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "amount.h"
#include "err.h"
#include "fixtures.h"
#include "server.h"
#include "sock.h"
#include "wallet.h"
#include "wallet_api.h"
#include "wallet_rig.h"
#include "wire.h"

static char bob[ADDRESS_MAX_LEN];

/* Bob's address: where the sends of these tests go. */
static void make_bob(void)
{
    fx_key_t k;
    fx_key(&k, 9);
    cr_assert_eq(address_encode(bob, sizeof bob, ADDRESS_HRP_REGTEST, k.pub),
                 0);
}

/* ---- the HTTP server, in-process (wallet_rig.h) ------------------------ */

static void start_api(const char *node, const char *web_root)
{
    make_bob();
    wr_start_default(node, web_root);
    cr_assert_neq(wallet_api_port(wr_api), 0);
}

/* A node endpoint nothing listens on. */
static void absent_node(void)
{
    start_api(wr_absent_node(), NULL);
}

Test(wallet_api, http_without_a_node, .init = absent_node, .fini = wr_stop)
{
    uint16_t port = wallet_api_port(wr_api);
    wr_reply_t r;

    wr_http(&r, port, "GET", "/wallet/address", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"address\":\"pxrt1"), "%s", r.body);
    /* The page's default fee is the one every tool uses. */
    char fee[40];
    snprintf(fee, sizeof fee, "\"default_fee\":%d", AMOUNT_DEFAULT_FEE);
    cr_assert(strstr(r.body, fee), "%s", r.body);

    wr_http(&r, port, "GET", "/wallet/balance", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"no answer from tcp://127.0.0.1:"),
              "%s", r.body);

    wr_http(&r, port, "POST", "/connect", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);

    /* Bad input is refused before the node is asked. */
    const char *json = "Content-Type: application/json\r\n";
    wr_http(&r, port, "POST", "/transaction/send", json, "{nope");
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "not JSON"), "%s", r.body);
    wr_http(&r, port, "POST", "/transaction/send", json, "{\"amount\": 1}");
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "recipient"), "%s", r.body);

    /* A well-formed send needs the node: 503, and the service lives on. */
    char body[256];
    snprintf(body, sizeof body, "{\"recipient\":\"%s\",\"amount\":\"1\"}", bob);
    wr_http(&r, port, "POST", "/transaction/send", json, body);
    cr_assert_eq(r.status, 503, "%s", r.body);

    char *big = malloc(WALLET_API_MAX_BODY + 100);
    memset(big, ' ', WALLET_API_MAX_BODY + 99);
    big[WALLET_API_MAX_BODY + 99] = '\0';
    wr_http(&r, port, "POST", "/transaction/send", json, big);
    cr_assert_eq(r.status, 413, "%s", r.body);
    cr_assert(strstr(r.body, "larger than 4096"), "%s", r.body);
    free(big);

    wr_http(&r, port, "POST", "/transaction/send",
            "Content-Type: text/plain\r\n", body);
    cr_assert_eq(r.status, 415, "%s", r.body);
    wr_http(&r, port, "POST", "/transaction/send",
            "Content-Type: application/json\r\nOrigin: http://evil.example\r\n",
            body);
    cr_assert_eq(r.status, 403, "%s", r.body);

    wr_http(&r, port, "GET", "/transaction/xyz", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    wr_http(&r, port, "GET", "/block/-1", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    wr_http(&r, port, "GET", "/blockchain?limit=1000", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "limit"), "%s", r.body);
    /* History: its paging is checked before the node is asked. */
    wr_http(&r, port, "GET", "/wallet/history?limit=101", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "limit"), "%s", r.body);
    wr_http(&r, port, "GET", "/wallet/history?from=3", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "page"), "%s", r.body);
    wr_http(&r, port, "GET", "/wallet/history?page=2&limit=5", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);
    wr_http(&r, port, "POST", "/wallet/history", NULL, NULL);
    cr_assert_eq(r.status, 405, "%s", r.body);
    wr_http(&r, port, "PUT", "/wallet/address", NULL, NULL);
    cr_assert_eq(r.status, 405, "%s", r.body);
    wr_http(&r, port, "GET", "/transaction/send", NULL, NULL);
    cr_assert_eq(r.status, 405, "%s", r.body);
    wr_http(&r, port, "GET", "/", NULL, NULL);
    cr_assert_eq(r.status, 404, "%s", r.body);
    cr_assert(strstr(r.body, "\"error\""), "%s", r.body);

    /* Still alive and still the same key. */
    wr_http(&r, port, "GET", "/wallet/address", NULL, NULL);
    cr_assert_eq(r.status, 200);
}

static void absent_node_with_page(void)
{
    wr_web_root_new("webroot");
    wr_write_file("wallet_ui.html", "<!doctype html><title>wallet</title>");
    wr_write_file("secret.keystore", "");
    start_api(wr_absent_node(), wr_web_root);
}

static void remove_page(void)
{
    wr_stop();
    wr_web_root_remove();
}

Test(wallet_api, http_serves_the_page_and_checks_hosts,
     .init = absent_node_with_page, .fini = remove_page)
{
    uint16_t port = wallet_api_port(wr_api);
    wr_reply_t r;
    wr_http(&r, port, "GET", "/", NULL, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "<title>wallet</title>"));
    wr_http(&r, port, "GET", "/wallet_ui.html", NULL, NULL);
    cr_assert_eq(r.status, 200);
    wr_http(&r, port, "GET", "/../wallet_ui.html", NULL, NULL);
    cr_assert_eq(r.status, 404);
    wr_http(&r, port, "GET", "/missing.js", NULL, NULL);
    cr_assert_eq(r.status, 404);

    /* A page of another site whose name resolves to 127.0.0.1 (DNS
     * rebinding) sends its own Host: refused. */
    int fd = wr_dial(NULL, port);
    const char *req = "GET /wallet/address HTTP/1.1\r\nHost: evil.example\r\n"
                      "Connection: close\r\n\r\n";
    send(fd, req, strlen(req), MSG_NOSIGNAL);
    char buf[2048] = "";
    ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_WAITALL);
    close(fd);
    cr_assert(n > 0);
    cr_assert(strncmp(buf, "HTTP/1.1 403", 12) == 0, "%s", buf);
}

/* ---- against a fake node
 * --------------------------------------------------------------- */

/* Answers balance (100 units available), tx ("unknown") and refuses every
 * SUBMIT_TX as unsigned, until told to stop. */
typedef struct {
    server_t *srv;
    atomic_bool stop;
    pthread_t thread;
} fake_node_t;

static fake_node_t fake;

static void reply_json(server_t *s, const server_req_t *req, const char *text)
{
    buf_t out;
    buf_init(&out);
    cr_assert_eq(wire_encode_blob(&out, params_regtest()->network_id,
                                  WIRE_REPLY, text, strlen(text)),
                 0);
    cr_assert_eq(server_reply(s, req, out.data, out.len), 0);
    buf_deinit(&out);
}

static void *fake_node_run(void *arg)
{
    (void)arg;
    while (!atomic_load(&fake.stop)) {
        server_req_t req;
        if (server_recv(fake.srv, &req, 50) != 0)
            continue;
        wire_msg_t m;
        if (wire_decode(&m, params_regtest()->network_id, req.data, req.len) ==
            0) {
            if (m.type == WIRE_QUERY) {
                char q[512];
                snprintf(q, sizeof q, "%.*s", (int)m.u.blob.len,
                         (const char *)m.u.blob.data);
                if (strstr(q, "\"balance\""))
                    reply_json(fake.srv, &req,
                               "{\"result\":{\"confirmed\":100,\"pending\":"
                               "100,\"available\":100,\"nonce\":3}}");
                else if (strstr(q, "\"tx\""))
                    reply_json(fake.srv, &req,
                               "{\"result\":{\"status\":\"unknown\"}}");
                else if (strstr(q, "\"status\""))
                    /* A node whose main loop is stuck with its lock. */
                    reply_json(fake.srv, &req,
                               "{\"result\":{\"network\":\"regtest\","
                               "\"busy\":true,\"main_loop\":{\"turn_age_ms\":"
                               "12000,\"longest_turn_ms\":12000,\"where\":"
                               "\"inbox: block from peer\"}}}");
                else
                    reply_json(fake.srv, &req,
                               "{\"error\":{\"code\":-9,\"message\":"
                               "\"unknown method\"}}");
            } else if (m.type == WIRE_SUBMIT_TX) {
                buf_t out;
                buf_init(&out);
                cr_assert_eq(
                    wire_encode_error(&out, params_regtest()->network_id,
                                      ERR_INVALID, "bad-txns-unsigned"),
                    0);
                cr_assert_eq(server_reply(fake.srv, &req, out.data, out.len),
                             0);
                buf_deinit(&out);
            }
            wire_msg_clear(&m);
        }
        server_req_clear(&req);
    }
    return NULL;
}

static void fake_node_start(void)
{
    fake.srv = server_new("tcp://127.0.0.1:*");
    cr_assert(fake.srv);
    atomic_store(&fake.stop, false);
    cr_assert_eq(pthread_create(&fake.thread, NULL, fake_node_run, NULL), 0);
    start_api(server_endpoint(fake.srv), NULL);
}

static void fake_node_stop(void)
{
    wr_stop();
    atomic_store(&fake.stop, true);
    pthread_join(fake.thread, NULL);
    server_free(&fake.srv);
}

Test(wallet_api, http_sends_against_a_fake_node, .init = fake_node_start,
     .fini = fake_node_stop)
{
    uint16_t port = wallet_api_port(wr_api);
    const char *json = "Content-Type: application/json\r\n";
    wr_reply_t r;
    wr_http(&r, port, "GET", "/wallet/balance", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"available\":100"), "%s", r.body);

    /* 95 + the default fee is more than the 100 available. */
    char body[256];
    snprintf(body, sizeof body, "{\"recipient\":\"%s\",\"amount\":95}", bob);
    wr_http(&r, port, "POST", "/transaction/send", json, body);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "insufficient funds"), "%s", r.body);
    cr_assert(strstr(r.body, "has 0.000001 coins available, not enough for "
                             "0.00000095 plus a fee of 0.0001"),
              "%s", r.body);

    /* An unsigned send: the node refuses it; the reply and later the
     * transaction's status carry the reason, with the account's nonce. */
    snprintf(body, sizeof body,
             "{\"recipient\":\"%s\",\"amount\":50,\"fee\":1,\"sign\":false}",
             bob);
    wr_http(&r, port, "POST", "/transaction/send", json, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"status\":\"rejected\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"reason\":\"bad-txns-unsigned\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"nonce\":3"), "%s", r.body);
    cr_assert(strstr(r.body, "\"via\":\"node\""), "%s", r.body);
    const char *t = strstr(r.body, "\"txid\":\"");
    cr_assert(t);
    char txid[65];
    snprintf(txid, sizeof txid, "%.64s", t + 8);

    char path[100];
    snprintf(path, sizeof path, "/transaction/%s", txid);
    wr_http(&r, port, "GET", path, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"status\":\"rejected\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"reason\":\"bad-txns-unsigned\""), "%s", r.body);

    /* A txid nobody knows. */
    wr_http(
        &r, port, "GET",
        "/transaction/00000000000000000000000000000000000000000000000000000000"
        "00000000",
        NULL, NULL);
    cr_assert_eq(r.status, 404, "%s", r.body);

    /* The node's own errors pass through with a fitting status. */
    wr_http(&r, port, "GET", "/block/5", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "unknown method"), "%s", r.body);

    /* A status that says busy (no height, no tip) is a node out of
     * service, with why. */
    const char *paths[] = {"/network", "/blockchain"};
    for (int i = 0; i < 2; i++) {
        wr_http(&r, port, "GET", paths[i], NULL, NULL);
        cr_assert_eq(r.status, 503, "%s: %s", paths[i], r.body);
        cr_assert(strstr(r.body, "main loop has not turned for 12.0 s (stuck "
                                 "in \\\"inbox: block from peer\\\")"),
                  "%s: %s", paths[i], r.body);
    }
    wr_http(&r, port, "POST", "/connect", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);
}
