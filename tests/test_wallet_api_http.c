/*
 * Tests for wallet-web/wallet_api_http.c: the page's files are a fixed list
 * (the service's sources beside them, "..", other spellings: not served),
 * Origin "null" is not this page, and the connection guard at work in a
 * real server with small limits: a request dribbled a line at a time is
 * closed at its deadline, an address at its limit gives up its own oldest
 * slow connection for a new one (which is answered) and never another
 * address's.
 *
 * No node is running: the requests used here (files, /wallet/address, a
 * refused POST) never ask one. Every socket has its own time-out
 * (SO_RCVTIMEO, poll), so no Criterion .timeout is needed.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "params.h"
#include "server.h"
#include "sock.h"
#include "wallet.h"
#include "wallet_api.h"
#include "wallet_rig.h"

Test(wallet_api_http, page_files)
{
    const char *file, *type;
    static const char *const ok[][2] = {
        {"/", "wallet_ui.html"},
        {"/wallet_ui.html", "wallet_ui.html"},
        {"/explorer", "explorer.html"},
        {"/explorer.html", "explorer.html"},
        {"/common.js", "common.js"},
        {"/script.js", "script.js"},
        {"/style.css", "style.css"},
        {"/explorer.js", "explorer.js"},
        {"/explorer.css", "explorer.css"},
        {"/vendor/bootstrap.min.css", "vendor/bootstrap.min.css"},
        {"/vendor/bootstrap.bundle.min.js", "vendor/bootstrap.bundle.min.js"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_assert(wallet_api_page_file(&file, &type, ok[i][0]), "%s", ok[i][0]);
        cr_assert_str_eq(file, ok[i][1]);
    }
    cr_assert(wallet_api_page_file(&file, &type, "/script.js"));
    cr_assert_str_eq(type, "text/javascript; charset=utf-8");
    cr_assert(wallet_api_page_file(&file, &type, "/"));
    cr_assert_str_eq(type, "text/html; charset=utf-8");
    cr_assert(wallet_api_page_file(&file, &type, "/style.css"));
    cr_assert_str_eq(type, "text/css; charset=utf-8");

    static const char *const refused[] = {
        "",
        "script.js",
        "/wallet_api.c",
        "/wallet_api.h",
        "/wallet_api_http.c",
        "/http_guard.c",
        "/wallet_main.c",
        "/vendor/bootstrap-LICENSE.txt",
        "/vendor/",
        "/vendor",
        "/explorer/",
        "/script.js/",
        "/script.jsx",
        "/Script.js",
        "//script.js",
        "/./script.js",
        "/../script.js",
        "/vendor/../script.js",
        "/script.js/../wallet_api.c",
        "/%2e%2e/README.md",
        "/.git/HEAD",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_assert(!wallet_api_page_file(&file, &type, refused[i]), "%s",
                  refused[i]);
    cr_assert(!wallet_api_page_file(&file, &type, NULL));
}

/* ---- a server with small limits ---------------------------------------- */

/* A web root like the real one: the page's files beside sources. */
static void start(void)
{
    wr_web_root_new("webroot");
    wr_write_file("wallet_ui.html", "<!doctype html><title>wallet</title>");
    wr_write_file("script.js", "'use strict';");
    wr_write_file("wallet_api.c", "#include \"wallet_api.h\"");
    wr_write_file("secret.keystore", "key");

    wallet_api_config_t cfg;
    wr_config(&cfg, wr_absent_node(), wr_web_root);
    cfg.limits.slots = 8;
    cfg.limits.per_address = 4;
    cfg.limits.request_ms = 1000;
    cfg.limits.answer_ms = 5000;
    wr_start(&cfg);
}

static void stop(void)
{
    wr_stop();
    wr_web_root_remove();
}

/* A connection to the service from source address `from`. */
static int dial(const char *from)
{
    return wr_dial(from, wallet_api_port(wr_api));
}

static void say(int fd, const char *text)
{
    cr_assert_eq(send(fd, text, strlen(text), MSG_NOSIGNAL),
                 (ssize_t)strlen(text));
}

/* A request that starts and does not end. */
static int slow(const char *from)
{
    int fd = dial(from);
    say(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    return fd;
}

/* True when the service closed fd within ms (its end, or a reset). */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0)
        return false;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* One whole request from `from`: the status (the reply in *r). */
static int request(wr_reply_t *r, const char *from, const char *method,
                   const char *path, const char *headers)
{
    wr_http_from(r, from, wallet_api_port(wr_api), method, path, headers, NULL);
    return r->status;
}

Test(wallet_api_http, serves_only_the_page, .init = start, .fini = stop)
{
    wr_reply_t r;
    cr_assert_eq(request(&r, "127.0.0.1", "GET", "/", NULL), 200);
    cr_assert(strstr(r.body, "<title>wallet</title>"));
    cr_assert_eq(request(&r, "127.0.0.1", "GET", "/script.js", NULL), 200);
    cr_assert_str_eq(r.body, "'use strict';");
    const char *hidden[] = {"/wallet_api.c", "/secret.keystore",
                            "/../wallet_api.c", "/explorer.js"};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(request(&r, "127.0.0.1", "GET", hidden[i], NULL), 404,
                     "%s", hidden[i]);
        cr_assert(!strstr(r.body, "#include"), "%s: %s", hidden[i], r.body);
    }
}

Test(wallet_api_http, origin_null_is_not_this_page, .init = start, .fini = stop)
{
    wr_reply_t r;
    char self[80];
    cr_assert_eq(
        request(&r, "127.0.0.1", "POST", "/connect", "Origin: null\r\n"), 403);
    cr_assert(strstr(r.body, "cross-site"), "%s", r.body);
    snprintf(self, sizeof self, "Origin: http://127.0.0.1:%u\r\n",
             wallet_api_port(wr_api));
    /* The page's own Origin gets as far as asking the (absent) node. */
    cr_assert_eq(request(&r, "127.0.0.1", "POST", "/connect", self), 503, "%s",
                 r.body);
}

Test(wallet_api_http, a_dribbled_request_is_closed_at_its_deadline,
     .init = start, .fini = stop)
{
    int fd = slow("127.0.0.1");
    uint64_t t0 = sock_now_ms();
    bool closed = false;
    /* A header line every 100 ms: an idle time-out would never fire. */
    for (int i = 0; i < 50 && !closed; i++) {
        char line[40];
        snprintf(line, sizeof line, "X-Slow-%d: 1\r\n", i);
        if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
            break; /* closed under us: the check below sees it */
        closed = closed_within(fd, 100);
    }
    closed = closed || closed_within(fd, 100);
    uint64_t took = sock_now_ms() - t0;
    close(fd);
    cr_assert(closed, "still open after %llu ms", (unsigned long long)took);
    cr_assert_geq(took, 900, "closed after %llu ms, before its deadline",
                  (unsigned long long)took);
}

Test(wallet_api_http, an_address_at_its_limit_gives_up_its_own_oldest,
     .init = start, .fini = stop)
{
    int other[4], mine[4];
    for (int i = 0; i < 4; i++)
        other[i] = slow("127.0.0.2");
    for (int i = 0; i < 4; i++)
        mine[i] = slow("127.0.0.1");
    /* Every slot is taken; 127.0.0.1 is at its limit. A whole request
     * from it is answered, and its oldest slow connection made room. */
    wr_reply_t r;
    cr_assert_eq(request(&r, "127.0.0.1", "GET", "/wallet/address", NULL), 200,
                 "%s", r.body);
    cr_assert(closed_within(mine[0], 3000), "the oldest is closed");
    for (int i = 1; i < 4; i++)
        cr_assert(!closed_within(mine[i], 0), "mine[%d]", i);
    for (int i = 0; i < 4; i++)
        cr_assert(!closed_within(other[i], 0), "another address's [%d]", i);
    for (int i = 0; i < 4; i++) {
        close(other[i]);
        close(mine[i]);
    }
}
