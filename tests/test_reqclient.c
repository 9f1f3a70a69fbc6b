/*
 * Tests for net/reqclient.c against an in-process ROUTER server (server.h)
 * on 127.0.0.1 that answers, drops some requests, or never answers: a
 * dropped request is retried on a fresh socket; silence ends in ERR_TIMEOUT
 * after (retries + 1) attempts, bounded in time; a server that appears
 * later is reached by the same client.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "err.h"
#include "reqclient.h"
#include "server.h"
#include "sock.h"

typedef enum { ECHO, DROP_ODD, SILENT } mode_t_;

typedef struct {
    server_t *srv;
    mode_t_ mode;
    atomic_int stop;
    atomic_int received;
} srv_ctx_t;

static void *serve(void *arg)
{
    srv_ctx_t *c = arg;
    while (!atomic_load(&c->stop)) {
        server_req_t req;
        if (server_recv(c->srv, &req, 20) != 0)
            continue;
        int n = atomic_fetch_add(&c->received, 1) + 1;
        bool answer = c->mode == ECHO || (c->mode == DROP_ODD && n % 2 == 0);
        if (answer)
            cr_assert_eq(server_reply(c->srv, &req, req.data, req.len), 0);
        server_req_clear(&req);
    }
    return NULL;
}

static pthread_t start(srv_ctx_t *c, const char *endpoint, mode_t_ mode)
{
    memset(c, 0, sizeof *c);
    /* ZeroMQ closes sockets in the background: a port released a moment
     * ago may still be busy, so binding is retried for up to a second. */
    uint64_t deadline = sock_now_ms() + 1000;
    while (!(c->srv = server_new(endpoint)) && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    cr_assert(c->srv, "bind %s", endpoint);
    c->mode = mode;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, serve, c), 0);
    return t;
}

static void stop(srv_ctx_t *c, pthread_t t)
{
    atomic_store(&c->stop, 1);
    pthread_join(t, NULL);
    server_free(&c->srv);
}

Test(reqclient, echo)
{
    srv_ctx_t s;
    pthread_t t = start(&s, "tcp://127.0.0.1:*", ECHO);
    reqclient_t *c = reqclient_new(server_endpoint(s.srv), 2000, 1);
    cr_assert(c);
    for (int i = 0; i < 5; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "hello %d", i);
        uint8_t *reply = NULL;
        size_t len = 0;
        cr_assert_eq(
            reqclient_request(c, &reply, &len, (uint8_t *)msg, (size_t)n), 0);
        cr_assert_eq(len, (size_t)n);
        cr_assert_eq(memcmp(reply, msg, len), 0);
        free(reply);
    }
    cr_assert_eq(reqclient_resets(c), 0);
    reqclient_free(&c);
    cr_assert_null(c);
    stop(&s, t);
}

Test(reqclient, dropped_request_is_retried)
{
    srv_ctx_t s;
    pthread_t t = start(&s, "tcp://127.0.0.1:*", DROP_ODD);
    reqclient_t *c = reqclient_new(server_endpoint(s.srv), 300, 3);
    cr_assert(c);
    for (int i = 0; i < 3; i++) {
        uint8_t *reply = NULL;
        size_t len = 0;
        cr_assert_eq(
            reqclient_request(c, &reply, &len, (const uint8_t *)"abc", 3), 0);
        cr_assert_eq(len, 3);
        cr_assert_eq(memcmp(reply, "abc", 3), 0);
        free(reply);
    }
    /* Every request's first attempt was dropped and answered on a reset
     * socket. */
    cr_assert_eq(reqclient_resets(c), 3);
    cr_assert_eq(atomic_load(&s.received), 6);
    reqclient_free(&c);
    stop(&s, t);
}

Test(reqclient, silent_server_times_out)
{
    srv_ctx_t s;
    pthread_t t = start(&s, "tcp://127.0.0.1:*", SILENT);
    reqclient_t *c = reqclient_new(server_endpoint(s.srv), 200, 2);
    cr_assert(c);
    uint8_t *reply = (uint8_t *)"untouched";
    size_t len = 12345;
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(reqclient_request(c, &reply, &len, (const uint8_t *)"x", 1),
                 ERR_TIMEOUT);
    uint64_t took = sock_now_ms() - t0;
    cr_assert(took >= 3 * 200 - 10, "took %llu ms", (unsigned long long)took);
    cr_assert(took < 3 * 200 + 1500, "took %llu ms", (unsigned long long)took);
    cr_assert_str_eq((char *)reply, "untouched", "outputs untouched");
    cr_assert_eq(len, 12345);
    cr_assert_eq(reqclient_resets(c), 3);
    cr_assert_eq(atomic_load(&s.received), 3, "one request per attempt");
    reqclient_free(&c);
    stop(&s, t);
}

Test(reqclient, server_that_comes_later)
{
    /* Find a free port, then leave it free. */
    server_t *probe = server_new("tcp://127.0.0.1:*");
    cr_assert(probe);
    char endpoint[SOCK_ENDPOINT_MAX];
    strcpy(endpoint, server_endpoint(probe));
    server_free(&probe);

    reqclient_t *c = reqclient_new(endpoint, 150, 0);
    cr_assert(c);
    uint8_t *reply;
    size_t len;
    cr_assert_eq(reqclient_request(c, &reply, &len, (const uint8_t *)"1", 1),
                 ERR_TIMEOUT);

    srv_ctx_t s;
    pthread_t t = start(&s, endpoint, ECHO);
    /* ZeroMQ reconnects in the background; within a few attempts the same
     * client gets through. */
    int rc = ERR_TIMEOUT;
    for (int i = 0; i < 40 && rc != 0; i++)
        rc = reqclient_request(c, &reply, &len, (const uint8_t *)"2", 1);
    cr_assert_eq(rc, 0);
    cr_assert_eq(len, 1);
    cr_assert_eq(reply[0], '2');
    free(reply);
    reqclient_free(&c);
    stop(&s, t);
}

Test(reqclient, bad_arguments)
{
    cr_assert_null(reqclient_new("not an endpoint", 100, 1));
    cr_assert_null(reqclient_new("tcp://127.0.0.1:5555", 0, 1));
    cr_assert_null(reqclient_new("tcp://127.0.0.1:5555", 100, -1));
    cr_assert_null(reqclient_new(NULL, 100, 1));
    reqclient_free(NULL);
    reqclient_t *c = NULL;
    reqclient_free(&c);
}
