/*
 * Tests for wallet-web/wallet_api_explorer.c: the explorer page's
 * endpoints, in-process on a free port, against an absent node: each
 * argument is checked before the node is asked (400 saying what is
 * wrong), a well-formed query that needs the node is a 503, only GET is
 * taken, and /explorer serves explorer.html from the web root. What the
 * node answers is tested in test_rpc_explorer.c and by the browser tests.
 *
 * No Criterion .timeout (as test_wallet_api.c): every socket has its own.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"
#include "sock.h"
#include "wallet.h"
#include "wallet_api.h"

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
static char web_root[64];

static void start(void)
{
    snprintf(web_root, sizeof web_root, "/tmp/pickaxe-explroot-XXXXXX");
    cr_assert(mkdtemp(web_root));
    char path[128];
    snprintf(path, sizeof path, "%s/explorer.html", web_root);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs("<!doctype html><title>explorer</title>", f);
    fclose(f);
    server_t *s = server_new("tcp://127.0.0.1:*");
    cr_assert(s);
    static char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "%s", server_endpoint(s));
    server_free(&s); /* nothing listens there now */
    test_wallet = wallet_new_random();
    cr_assert(test_wallet);
    wallet_api_config_t cfg;
    wallet_api_config_init(&cfg);
    cfg.params = params_regtest();
    cfg.wallet = test_wallet;
    cfg.node = ep;
    cfg.http_port = 0;
    cfg.web_root = web_root;
    cfg.timeout_ms = 200;
    cfg.retries = 0;
    const char *why = NULL;
    api = wallet_api_new(&cfg, &why);
    cr_assert(api, "%s", why);
    cr_assert_eq(wallet_api_start(api, &why), 0, "%s", why);
}

static void stop(void)
{
    wallet_api_free(&api);
    wallet_free(&test_wallet);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", web_root);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(wallet_api_explorer, .init = start, .fini = stop);

static void expect(uint16_t port, const char *method, const char *path,
                   int status, const char *text)
{
    http_reply_t r;
    http(&r, port, method, path, NULL, NULL);
    cr_assert_eq(r.status, status, "%s %s: %d %s", method, path, r.status,
                 r.body);
    cr_assert(strstr(r.body, text), "%s %s: %s lacks %s", method, path, r.body,
              text);
}

Test(wallet_api_explorer, arguments_are_checked_before_the_node_is_asked)
{
    uint16_t port = wallet_api_port(api);
    expect(port, "GET", "/explorer/tree?limit=0", 400, "from 1 to 500");
    expect(port, "GET", "/explorer/tree?limit=501", 400, "from 1 to 500");
    expect(port, "GET", "/explorer/tree?from=-3", 400, "block height");
    expect(port, "GET", "/explorer/events?since=x", 400, "event number");
    expect(port, "GET", "/explorer/events?limit=1001", 400, "1 to 1000");
    expect(port, "GET", "/explorer/refused/x", 400, "event number");
    expect(port, "GET", "/explorer/refused/0", 400, "event number");
    expect(port, "GET", "/explorer/nothing", 404, "no such endpoint");
    expect(port, "POST", "/explorer/events", 405, "use GET");
}

Test(wallet_api_explorer, well_formed_queries_need_the_node)
{
    uint16_t port = wallet_api_port(api);
    expect(port, "GET", "/explorer/tree?from=5&limit=30", 503, "no answer");
    expect(port, "GET", "/explorer/events?since=12&limit=100", 503,
           "no answer");
    expect(port, "GET", "/explorer/tips", 503, "no answer");
    expect(port, "GET", "/explorer/refused/7", 503, "no answer");
}

Test(wallet_api_explorer, the_page_is_served_at_explorer)
{
    uint16_t port = wallet_api_port(api);
    expect(port, "GET", "/explorer", 200, "<title>explorer</title>");
}
