/*
 * Tests for wallet-web/wallet_api.c: exact coin parsing, amount fields, the
 * send body's checks (every field, every kind of bad input, the size
 * limit), /blockchain's query; then the HTTP server itself, in-process on
 * a free port, against an absent node (503s, never a crash) and against a
 * fake node (insufficient funds, a refused unsigned send and
 * its remembered reason, a status that says the node's main loop is stuck:
 * 503s that say so).
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
#include "server.h"
#include "sock.h"
#include "wallet.h"
#include "wallet_api.h"
#include "wire.h"

/* ---- coins and amounts ------------------------------------------------------
 */

Test(wallet_api, amount_fields)
{
    uint64_t u;
    const char *why;
    json_t *v = json_integer(5);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), 0);
    cr_assert_eq(u, 5);
    json_decref(v);

    v = json_string("0.5");
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), 0);
    cr_assert_eq(u, COIN / 2);
    json_decref(v);

    v = json_integer(0);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_ARG);
    cr_assert(strstr(why, "more than zero"));
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, true), 0);
    cr_assert_eq(u, 0);
    json_decref(v);

    v = json_integer(-1);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, true), ERR_ARG);
    cr_assert(strstr(why, "positive"));
    json_decref(v);

    v = json_integer((json_int_t)MAX_MONEY + 1);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_RANGE);
    json_decref(v);

    v = json_real(1.5);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_ARG);
    cr_assert(strstr(why, "whole number"), "%s", why);
    json_decref(v);

    v = json_true();
    cr_assert_eq(wallet_api_parse_amount(&u, &why, v, false), ERR_ARG);
    json_decref(v);
    cr_assert_eq(wallet_api_parse_amount(&u, &why, NULL, false), ERR_ARG);
}

/* ---- send bodies
 * ---------------------------------------------------------------- */

static char bob[ADDRESS_MAX_LEN];

static void make_bob(void)
{
    wallet_t *w = wallet_new_random();
    cr_assert(w);
    cr_assert_eq(
        wallet_get_public_key_str(w, ADDRESS_HRP_REGTEST, bob, sizeof bob), 0);
    wallet_free(&w);
}

/* Parses a body template in which each "%s" stands for Bob's address. */
static int parse(wallet_api_send_t *s, char *why, const char *tmpl)
{
    char body[WALLET_API_MAX_BODY * 2];
    size_t n = 0;
    for (const char *p = tmpl; *p && n + sizeof bob < sizeof body;) {
        if (p[0] == '%' && p[1] == 's') {
            memcpy(body + n, bob, strlen(bob));
            n += strlen(bob);
            p += 2;
        } else {
            body[n++] = *p++;
        }
    }
    body[n] = '\0';
    return wallet_api_parse_send(s, why, WALLET_API_ERR_MAX,
                                 ADDRESS_HRP_REGTEST, body, n);
}

Test(wallet_api, send_body_accepted, .init = make_bob)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX] = "";
    cr_assert_eq(parse(&s, why, "{\"recipient\": \"%s\", \"amount\": 150}"), 0,
                 "%s", why);
    cr_assert_str_eq(s.recipient, bob);
    cr_assert_eq(s.amount, 150);
    cr_assert_eq(s.fee, AMOUNT_DEFAULT_FEE);
    cr_assert(s.sign);

    cr_assert_eq(parse(&s, why,
                       "{\"recipient\": \"%s\", \"amount\": \"2.5\", "
                       "\"fee\": 0, \"sign\": false}"),
                 0, "%s", why);
    cr_assert_eq(s.amount, 250000000);
    cr_assert_eq(s.fee, 0);
    cr_assert(!s.sign);
}

Test(wallet_api, send_body_refused_naming_the_problem, .init = make_bob)
{
    static const struct {
        const char *body;
        int rc;
        const char *phrase;
    } bad[] = {
        {"not json", ERR_PARSE, "not JSON"},
        {"{\"recipient\": \"%s\", \"amount\": 1", ERR_PARSE, "not JSON"},
        {"[1, 2]", ERR_ARG, "JSON object"},
        {"\"%s\"", ERR_ARG, "JSON object"},
        {"{\"amount\": 1}", ERR_ARG, "\"recipient\" is missing"},
        {"{\"recipient\": 7, \"amount\": 1}", ERR_ARG, "\"recipient\" must be"},
        {"{\"recipient\": \"%s\"}", ERR_ARG, "\"amount\" is missing"},
        {"{\"recipient\": \"%s\", \"amount\": null}", ERR_ARG, "\"amount\""},
        {"{\"recipient\": \"%s\", \"amount\": [1]}", ERR_ARG, "\"amount\""},
        {"{\"recipient\": \"%s\", \"amount\": 0}", ERR_ARG, "more than zero"},
        {"{\"recipient\": \"%s\", \"amount\": \"0\"}", ERR_ARG,
         "more than zero"},
        {"{\"recipient\": \"%s\", \"amount\": -5}", ERR_ARG, "positive"},
        {"{\"recipient\": \"%s\", \"amount\": \"-5\"}", ERR_ARG, "positive"},
        {"{\"recipient\": \"%s\", \"amount\": 1.5}", ERR_ARG, "whole number"},
        {"{\"recipient\": \"%s\", \"amount\": \"0.000000001\"}", ERR_RANGE,
         "8 decimal"},
        {"{\"recipient\": \"%s\", \"amount\": 99999999999999999999999}",
         ERR_PARSE, "too large"},
        {"{\"recipient\": \"%s\", \"amount\": 2100000000000001}", ERR_RANGE,
         "21,000,000"},
        {"{\"recipient\": \"%s\", \"amount\": 2100000000000000, \"fee\": 1}",
         ERR_RANGE, "amount plus fee"},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"fee\": -1}", ERR_ARG,
         "\"fee\" must be positive"},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"fee\": \"x\"}", ERR_PARSE,
         "\"fee\""},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"sign\": \"no\"}", ERR_ARG,
         "\"sign\" must be true or false"},
        {"{\"recipient\": \"%s\", \"ammount\": 1}", ERR_ARG,
         "unknown field \"ammount\""},
        {"{\"recipient\": \"%s\", \"amount\": 1, \"amount\": 2}", ERR_PARSE,
         "not JSON"},
        {"{\"recipient\": \"px1qqqq\", \"amount\": 1}", ERR_ARG,
         "\"recipient\": "},
        {"{\"recipient\": \"\", \"amount\": 1}", ERR_ARG, "empty address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wallet_api_send_t s;
        char why[WALLET_API_ERR_MAX] = "";
        cr_assert_eq(parse(&s, why, bad[i].body), bad[i].rc, "%s -> %s",
                     bad[i].body, why);
        cr_assert(strstr(why, bad[i].phrase), "%s: \"%s\" lacks \"%s\"",
                  bad[i].body, why, bad[i].phrase);
    }
}

Test(wallet_api, send_address_errors_are_address_decodes, .init = make_bob)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX];
    char body[300];
    /* One mistyped character breaks the checksum. */
    char typo[ADDRESS_MAX_LEN];
    snprintf(typo, sizeof typo, "%s", bob);
    size_t i = strlen(typo) - 3;
    typo[i] = typo[i] == 'q' ? 'p' : 'q';
    snprintf(body, sizeof body, "{\"recipient\": \"%s\", \"amount\": 1}", typo);
    cr_assert_eq(
        wallet_api_parse_send(&s, why, sizeof why, "pxrt", body, strlen(body)),
        ERR_ARG);
    cr_assert(strstr(why, "checksum"), "%s", why);
    /* Bob's regtest address is refused on the demo network. */
    snprintf(body, sizeof body, "{\"recipient\": \"%s\", \"amount\": 1}", bob);
    cr_assert_eq(
        wallet_api_parse_send(&s, why, sizeof why, "px", body, strlen(body)),
        ERR_ARG);
    cr_assert(strstr(why, "wrong network prefix"), "%s", why);
}

Test(wallet_api, send_body_size_limit, .init = make_bob)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX];
    char *body = malloc(WALLET_API_MAX_BODY + 2);
    cr_assert(body);
    int n = snprintf(body, WALLET_API_MAX_BODY + 2,
                     "{\"recipient\": \"%s\", \"amount\": 1}", bob);
    /* Pad with spaces (still valid JSON) up to the limit: accepted. */
    memset(body + n, ' ', WALLET_API_MAX_BODY - (size_t)n);
    cr_assert_eq(wallet_api_parse_send(&s, why, sizeof why, "pxrt", body,
                                       WALLET_API_MAX_BODY),
                 0, "%s", why);
    body[WALLET_API_MAX_BODY] = ' ';
    cr_assert_eq(wallet_api_parse_send(&s, why, sizeof why, "pxrt", body,
                                       WALLET_API_MAX_BODY + 1),
                 ERR_RANGE);
    cr_assert(strstr(why, "larger than 4096 bytes"), "%s", why);
    cr_assert_eq(wallet_api_parse_send(&s, why, sizeof why, "pxrt", body, 0),
                 ERR_PARSE);
    cr_assert(strstr(why, "empty"), "%s", why);
    free(body);
}

/* ---- /blockchain queries and static paths
 * ---------------------------------------- */

Test(wallet_api, chain_query)
{
    wallet_api_chain_query_t q;
    char why[WALLET_API_ERR_MAX];
    cr_assert_eq(
        wallet_api_parse_chain_query(&q, why, sizeof why, NULL, NULL, NULL), 0);
    cr_assert(!q.by_height);
    cr_assert_eq(q.page, 1);
    cr_assert_eq(q.limit, WALLET_API_PAGE_DEFAULT);
    cr_assert_eq(
        wallet_api_parse_chain_query(&q, why, sizeof why, "3", "20", NULL), 0);
    cr_assert_eq(q.page, 3);
    cr_assert_eq(q.limit, 20);
    cr_assert_eq(
        wallet_api_parse_chain_query(&q, why, sizeof why, NULL, "5", "0"), 0);
    cr_assert(q.by_height);
    cr_assert_eq(q.from, 0);

    static const char *const bad[][3] = {
        {"0", NULL, NULL},  {"-1", NULL, NULL},          {"x", NULL, NULL},
        {NULL, "0", NULL},  {NULL, "101", NULL},         {NULL, "1.5", NULL},
        {NULL, NULL, "-3"}, {NULL, NULL, "99999999999"}, {"1", NULL, "4"},
        {"", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(wallet_api_parse_chain_query(
                         &q, why, sizeof why, bad[i][0], bad[i][1], bad[i][2]),
                     ERR_ARG, "case %zu", i);
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
