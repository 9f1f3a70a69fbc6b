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

/* ---- the HTTP server, in-process
 * ---------------------------------------------
 *
 * These tests carry no Criterion .timeout: with parallel jobs, Criterion
 * 2.4's runner leaks a timer record per timed test, which LeakSanitizer
 * reports. Every socket here has its own timeout (SO_RCVTIMEO, the node
 * link's), and scripts/run-tests.sh bounds the whole binary.
 */

/* ---- the HTTP server, in-process
 * ------------------------------------------------------ */

typedef struct {
    int status;
    char body[8192];
} http_reply_t;

/* One HTTP/1.1 request on a fresh connection ("Connection: close"). */
static void http(http_reply_t *r, uint16_t port, const char *method,
                 const char *path, const char *extra_headers, const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n =
        snprintf(head, sizeof head,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 method, path, port, extra_headers ? extra_headers : "", blen);
    cr_assert_eq(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    if (blen)
        send(fd, body, blen, MSG_NOSIGNAL); /* the server may refuse early */
    char buf[16384];
    size_t got = 0;
    for (;;) {
        ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    buf[got] = '\0';
    cr_assert(sscanf(buf, "HTTP/1.%*d %d", &r->status) == 1, "reply: %s", buf);
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(r->body, sizeof r->body, "%s", b ? b + 4 : "");
}

static wallet_t *test_wallet;
static wallet_api_t *api;

static void start_api(const char *node, const char *web_root)
{
    make_bob();
    test_wallet = wallet_new_random();
    cr_assert(test_wallet);
    wallet_api_config_t cfg;
    wallet_api_config_init(&cfg);
    cfg.params = params_regtest();
    cfg.wallet = test_wallet;
    cfg.node = node;
    cfg.tracker = NULL;
    cfg.http_port = 0;
    cfg.web_root = web_root;
    cfg.timeout_ms = 200;
    cfg.retries = 0;
    const char *why = NULL;
    api = wallet_api_new(&cfg, &why);
    cr_assert(api, "%s", why);
    cr_assert_eq(wallet_api_start(api, &why), 0, "%s", why);
    cr_assert_neq(wallet_api_port(api), 0);
}

static void stop_api(void)
{
    wallet_api_free(&api);
    wallet_free(&test_wallet);
}

/* A port nothing listens on: bound, then released. */
static void absent_node(void)
{
    server_t *s = server_new("tcp://127.0.0.1:*");
    cr_assert(s);
    static char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "%s", server_endpoint(s));
    server_free(&s);
    start_api(ep, NULL);
}

Test(wallet_api, http_without_a_node, .init = absent_node, .fini = stop_api)
{
    uint16_t port = wallet_api_port(api);
    http_reply_t r;

    http(&r, port, "GET", "/wallet/address", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"address\":\"pxrt1"), "%s", r.body);
    /* The page's default fee is the one every tool uses. */
    char fee[40];
    snprintf(fee, sizeof fee, "\"default_fee\":%d", AMOUNT_DEFAULT_FEE);
    cr_assert(strstr(r.body, fee), "%s", r.body);

    http(&r, port, "GET", "/wallet/balance", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);
    cr_assert(strstr(r.body, "\"error\":\"no answer from tcp://127.0.0.1:"),
              "%s", r.body);

    http(&r, port, "POST", "/connect", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);

    /* Bad input is refused before the node is asked. */
    const char *json = "Content-Type: application/json\r\n";
    http(&r, port, "POST", "/transaction/send", json, "{nope");
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "not JSON"), "%s", r.body);
    http(&r, port, "POST", "/transaction/send", json, "{\"amount\": 1}");
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "recipient"), "%s", r.body);

    /* A well-formed send needs the node: 503, and the service lives on. */
    char body[256];
    snprintf(body, sizeof body, "{\"recipient\":\"%s\",\"amount\":\"1\"}", bob);
    http(&r, port, "POST", "/transaction/send", json, body);
    cr_assert_eq(r.status, 503, "%s", r.body);

    char *big = malloc(WALLET_API_MAX_BODY + 100);
    memset(big, ' ', WALLET_API_MAX_BODY + 99);
    big[WALLET_API_MAX_BODY + 99] = '\0';
    http(&r, port, "POST", "/transaction/send", json, big);
    cr_assert_eq(r.status, 413, "%s", r.body);
    cr_assert(strstr(r.body, "larger than 4096"), "%s", r.body);
    free(big);

    http(&r, port, "POST", "/transaction/send", "Content-Type: text/plain\r\n",
         body);
    cr_assert_eq(r.status, 415, "%s", r.body);
    http(&r, port, "POST", "/transaction/send",
         "Content-Type: application/json\r\nOrigin: http://evil.example\r\n",
         body);
    cr_assert_eq(r.status, 403, "%s", r.body);

    http(&r, port, "GET", "/transaction/xyz", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    http(&r, port, "GET", "/block/-1", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    http(&r, port, "GET", "/blockchain?limit=1000", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "limit"), "%s", r.body);
    /* History: its paging is checked before the node is asked. */
    http(&r, port, "GET", "/wallet/history?limit=101", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "limit"), "%s", r.body);
    http(&r, port, "GET", "/wallet/history?from=3", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "page"), "%s", r.body);
    http(&r, port, "GET", "/wallet/history?page=2&limit=5", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);
    http(&r, port, "POST", "/wallet/history", NULL, NULL);
    cr_assert_eq(r.status, 405, "%s", r.body);
    http(&r, port, "PUT", "/wallet/address", NULL, NULL);
    cr_assert_eq(r.status, 405, "%s", r.body);
    http(&r, port, "GET", "/transaction/send", NULL, NULL);
    cr_assert_eq(r.status, 405, "%s", r.body);
    http(&r, port, "GET", "/", NULL, NULL);
    cr_assert_eq(r.status, 404, "%s", r.body);
    cr_assert(strstr(r.body, "\"error\""), "%s", r.body);

    /* Still alive and still the same key. */
    http(&r, port, "GET", "/wallet/address", NULL, NULL);
    cr_assert_eq(r.status, 200);
}

static char web_root[64];

static void absent_node_with_page(void)
{
    snprintf(web_root, sizeof web_root, "/tmp/pickaxe-webroot-XXXXXX");
    cr_assert(mkdtemp(web_root));
    char path[128];
    snprintf(path, sizeof path, "%s/wallet_ui.html", web_root);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("<!doctype html><title>wallet</title>", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/secret.keystore", web_root);
    f = fopen(path, "w");
    fclose(f);
    server_t *s = server_new("tcp://127.0.0.1:*");
    static char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "%s", server_endpoint(s));
    server_free(&s);
    start_api(ep, web_root);
}

static void remove_page(void)
{
    stop_api();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", web_root);
    cr_assert_eq(system(cmd), 0);
}

Test(wallet_api, http_serves_the_page_and_checks_hosts,
     .init = absent_node_with_page, .fini = remove_page)
{
    uint16_t port = wallet_api_port(api);
    http_reply_t r;
    http(&r, port, "GET", "/", NULL, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "<title>wallet</title>"));
    http(&r, port, "GET", "/wallet_ui.html", NULL, NULL);
    cr_assert_eq(r.status, 200);
    http(&r, port, "GET", "/../wallet_ui.html", NULL, NULL);
    cr_assert_eq(r.status, 404);
    http(&r, port, "GET", "/missing.js", NULL, NULL);
    cr_assert_eq(r.status, 404);

    /* A page of another site whose name resolves to 127.0.0.1 (DNS
     * rebinding) sends its own Host: refused. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
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
    stop_api();
    atomic_store(&fake.stop, true);
    pthread_join(fake.thread, NULL);
    server_free(&fake.srv);
}

Test(wallet_api, http_sends_against_a_fake_node, .init = fake_node_start,
     .fini = fake_node_stop)
{
    uint16_t port = wallet_api_port(api);
    const char *json = "Content-Type: application/json\r\n";
    http_reply_t r;
    http(&r, port, "GET", "/wallet/balance", NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"available\":100"), "%s", r.body);

    /* 95 + the default fee is more than the 100 available. */
    char body[256];
    snprintf(body, sizeof body, "{\"recipient\":\"%s\",\"amount\":95}", bob);
    http(&r, port, "POST", "/transaction/send", json, body);
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
    http(&r, port, "POST", "/transaction/send", json, body);
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
    http(&r, port, "GET", path, NULL, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"status\":\"rejected\""), "%s", r.body);
    cr_assert(strstr(r.body, "\"reason\":\"bad-txns-unsigned\""), "%s", r.body);

    /* A txid nobody knows. */
    http(&r, port, "GET",
         "/transaction/00000000000000000000000000000000000000000000000000000000"
         "00000000",
         NULL, NULL);
    cr_assert_eq(r.status, 404, "%s", r.body);

    /* The node's own errors pass through with a fitting status. */
    http(&r, port, "GET", "/block/5", NULL, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert(strstr(r.body, "unknown method"), "%s", r.body);

    /* A status that says busy (no height, no tip) is a node out of
     * service, with why. */
    const char *paths[] = {"/network", "/blockchain"};
    for (int i = 0; i < 2; i++) {
        http(&r, port, "GET", paths[i], NULL, NULL);
        cr_assert_eq(r.status, 503, "%s: %s", paths[i], r.body);
        cr_assert(strstr(r.body, "main loop has not turned for 12.0 s (stuck "
                                 "in \\\"inbox: block from peer\\\")"),
                  "%s: %s", paths[i], r.body);
    }
    http(&r, port, "POST", "/connect", NULL, NULL);
    cr_assert_eq(r.status, 503, "%s", r.body);
}
