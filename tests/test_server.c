/*
 * Tests for net/server.c and net/sock.c: REQ and DEALER envelopes are
 * answered to the right client; malformed envelopes are refused without
 * harm; a frame over WIRE_MAX_MSG_SIZE never reaches the application;
 * HOST:PORT parsing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "server.h"
#include "sock.h"
#include "wire.h"

static void *connect_to(int type, const char *endpoint)
{
    void *s = sock_new(type);
    cr_assert(s);
    int timeout = 3000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cr_assert_eq(zmq_connect(s, endpoint), 0);
    return s;
}

Test(server, req_and_dealer_envelopes)
{
    server_t *srv = server_new("tcp://127.0.0.1:*");
    cr_assert(srv);
    cr_assert(strncmp(server_endpoint(srv), "tcp://127.0.0.1:", 16) == 0);
    cr_assert_neq(strcmp(server_endpoint(srv), "tcp://127.0.0.1:*"), 0);

    void *req = connect_to(ZMQ_REQ, server_endpoint(srv));
    void *dealer = connect_to(ZMQ_DEALER, server_endpoint(srv));
    cr_assert_eq(sock_send(req, "from-req", 8, 0), 0);
    cr_assert_eq(sock_send(dealer, "from-dealer", 11, 0), 0);

    for (int i = 0; i < 2; i++) {
        server_req_t r;
        cr_assert_eq(server_recv(srv, &r, 3000), 0);
        if (r.len == 8) {
            cr_assert(r.delimiter);
            cr_assert_eq(memcmp(r.data, "from-req", 8), 0);
            cr_assert_eq(server_reply(srv, &r, (const uint8_t *)"R", 1), 0);
        } else {
            cr_assert_not(r.delimiter);
            cr_assert_eq(memcmp(r.data, "from-dealer", 11), 0);
            cr_assert_eq(server_reply(srv, &r, (const uint8_t *)"D", 1), 0);
        }
        server_req_clear(&r);
    }
    uint8_t *data;
    size_t len;
    cr_assert_eq(sock_recv(req, &data, &len, 0), 0);
    cr_assert_eq(len, 1);
    cr_assert_eq(data[0], 'R');
    free(data);
    cr_assert_eq(sock_recv(dealer, &data, &len, 0), 0);
    cr_assert_eq(len, 1);
    cr_assert_eq(data[0], 'D');
    free(data);

    sock_close(&req);
    sock_close(&dealer);
    cr_assert_null(req);
    server_free(&srv);
    cr_assert_null(srv);
    server_free(NULL);
}

Test(server, malformed_envelopes_refused)
{
    server_t *srv = server_new("tcp://127.0.0.1:*");
    cr_assert(srv);
    void *dealer = connect_to(ZMQ_DEALER, server_endpoint(srv));
    /* Four frames, then a non-empty "delimiter", then a good one. */
    zmq_send(dealer, "a", 1, ZMQ_SNDMORE);
    zmq_send(dealer, "b", 1, ZMQ_SNDMORE);
    zmq_send(dealer, "c", 1, ZMQ_SNDMORE);
    zmq_send(dealer, "d", 1, 0);
    zmq_send(dealer, "x", 1, ZMQ_SNDMORE);
    zmq_send(dealer, "y", 1, 0);
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(dealer, "ok", 2, 0);
    server_req_t r;
    cr_assert_eq(server_recv(srv, &r, 3000), ERR_PARSE);
    cr_assert_eq(server_recv(srv, &r, 3000), ERR_PARSE);
    cr_assert_eq(server_recv(srv, &r, 3000), 0);
    cr_assert_eq(r.len, 2);
    cr_assert(r.delimiter);
    server_req_clear(&r);
    cr_assert_eq(server_recv(srv, &r, 50), ERR_TIMEOUT);
    sock_close(&dealer);
    server_free(&srv);
}

Test(server, oversized_frame_never_delivered)
{
    server_t *srv = server_new("tcp://127.0.0.1:*");
    cr_assert(srv);
    /* A raw socket without our MAXMSGSIZE, so it will send the frame. */
    void *dealer = zmq_socket(sock_context(), ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(dealer, server_endpoint(srv)), 0);
    size_t big = WIRE_MAX_MSG_SIZE + 1;
    uint8_t *p = calloc(1, big);
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(dealer, p, big, 0);
    server_req_t r;
    cr_assert_eq(server_recv(srv, &r, 1000), ERR_TIMEOUT);
    /* A client that behaves is still served. */
    void *req = connect_to(ZMQ_REQ, server_endpoint(srv));
    cr_assert_eq(sock_send(req, p, 100, 0), 0);
    cr_assert_eq(server_recv(srv, &r, 3000), 0);
    cr_assert_eq(r.len, 100);
    server_req_clear(&r);
    free(p);
    zmq_close(dealer);
    sock_close(&req);
    server_free(&srv);
}

Test(server, bind_failure)
{
    server_t *a = server_new("tcp://127.0.0.1:*");
    cr_assert(a);
    cr_assert_null(server_new(server_endpoint(a)), "address in use");
    cr_assert_null(server_new("bogus://x"));
    server_free(&a);
}
