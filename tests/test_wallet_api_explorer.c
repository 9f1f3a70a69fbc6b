/*
 * Tests for wallet-web/wallet_api_explorer.c: the explorer page's
 * endpoints, in-process on a free port, against an absent node: each
 * argument is checked before the node is asked (400 saying what is
 * wrong), a well-formed query that needs the node is a 503, only GET is
 * taken, and /explorer serves explorer.html from the web root. What the
 * node answers is tested in test_rpc_explorer.c and by the browser tests.
 *
 * No Criterion .timeout (wallet_rig.h says why): every socket has its own.
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
#include "wallet_rig.h"

static void start(void)
{
    wr_web_root_new("explroot");
    wr_write_file("explorer.html", "<!doctype html><title>explorer</title>");
    wr_start_default(wr_absent_node(), wr_web_root);
}

static void stop(void)
{
    wr_stop();
    wr_web_root_remove();
}

TestSuite(wallet_api_explorer, .init = start, .fini = stop);

static void expect(uint16_t port, const char *method, const char *path,
                   int status, const char *text)
{
    wr_reply_t r;
    wr_http(&r, port, method, path, NULL, NULL);
    cr_assert_eq(r.status, status, "%s %s: %d %s", method, path, r.status,
                 r.body);
    cr_assert(strstr(r.body, text), "%s %s: %s lacks %s", method, path, r.body,
              text);
}

Test(wallet_api_explorer, arguments_are_checked_before_the_node_is_asked)
{
    uint16_t port = wallet_api_port(wr_api);
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
    uint16_t port = wallet_api_port(wr_api);
    expect(port, "GET", "/explorer/tree?from=5&limit=30", 503, "no answer");
    expect(port, "GET", "/explorer/events?since=12&limit=100", 503,
           "no answer");
    expect(port, "GET", "/explorer/tips", 503, "no answer");
    expect(port, "GET", "/explorer/refused/7", 503, "no answer");
}

Test(wallet_api_explorer, the_page_is_served_at_explorer)
{
    uint16_t port = wallet_api_port(wr_api);
    expect(port, "GET", "/explorer", 200, "<title>explorer</title>");
}
