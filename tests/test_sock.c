/*
 * Tests for net/sock.c: endpoint strings ("HOST:PORT", "tcp://HOST:PORT")
 * parsed and formatted; a bind on a wildcard port reads back the port it
 * got; one frame sent and received whole; a message of several frames
 * refused (and drained, so the next one is read); waiting for a readable
 * socket times out; a plain TCP probe tells a listening port from one where
 * nothing listens; the monotonic clock and its deadlines move forward.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "sock.h"

Test(sock, parse_hostport)
{
    char host[64];
    uint16_t port = 0;
    cr_assert_eq(
        sock_parse_hostport(host, sizeof host, &port, "127.0.0.1:9000"), 0);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 9000);
    cr_assert_eq(sock_parse_hostport(host, sizeof host, &port,
                                     "tcp://node.example:65535"),
                 0);
    cr_assert_str_eq(host, "node.example");
    cr_assert_eq(port, 65535);
    cr_assert_eq(sock_parse_hostport(host, sizeof host, &port, "*:1"), 0);
    cr_assert_str_eq(host, "*");
    cr_assert_eq(sock_parse_hostport(host, sizeof host, &port, "[::1]:80"), 0);
    cr_assert_str_eq(host, "[::1]");

    port = 7;
    const char *bad[] = {"",        "9000",          ":9000", "h:",    "h:0",
                         "h:65536", "h:-1",          "h:+5",  "h:12x", "::1:80",
                         "a b:1",   "h:99999999999", NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(sock_parse_hostport(host, sizeof host, &port, bad[i]),
                     ERR_ARG, "%s", bad[i]);
    cr_assert_eq(port, 7);
    cr_assert_eq(sock_parse_hostport(host, 4, &port, "longhost:1"), ERR_ARG);

    char ep[32];
    cr_assert_eq(sock_endpoint(ep, sizeof ep, "127.0.0.1", 9001), 0);
    cr_assert_str_eq(ep, "tcp://127.0.0.1:9001");
    cr_assert_eq(sock_endpoint(ep, 10, "127.0.0.1", 9001), ERR_RANGE);
}

Test(sock, bind_reads_back_the_port_it_got)
{
    void *s = sock_new(ZMQ_PUB);
    cr_assert_not_null(s);
    char bound[SOCK_ENDPOINT_MAX];
    cr_assert_eq(sock_bind(s, bound, sizeof bound, "tcp://127.0.0.1:*"), 0);
    char host[64];
    uint16_t port = 0;
    cr_assert_eq(sock_parse_hostport(host, sizeof host, &port, bound), 0, "%s",
                 bound);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_gt(port, 0);
    void *t = sock_new(ZMQ_PUB);
    cr_assert_eq(sock_bind(t, NULL, 0, bound), ERR_NET, "address in use");
    sock_close(&t);
    sock_close(&s);
    cr_assert_null(s);
    sock_close(&s); /* harmless */
}

/* A connected PAIR of sockets over inproc. */
static void pair(void **a, void **b, const char *name)
{
    *a = sock_new(ZMQ_PAIR);
    *b = sock_new(ZMQ_PAIR);
    cr_assert(*a && *b);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://test-sock-%s", name);
    cr_assert_eq(zmq_bind(*a, ep), 0);
    cr_assert_eq(zmq_connect(*b, ep), 0);
}

Test(sock, a_frame_goes_through_whole_and_several_are_refused)
{
    void *a, *b;
    pair(&a, &b, "frames");
    uint8_t *data = NULL;
    size_t len = 0;
    cr_assert_eq(sock_recv(b, &data, &len, ZMQ_DONTWAIT), ERR_TIMEOUT);
    cr_assert_eq(sock_wait_readable(b, 20), 0);

    cr_assert_eq(sock_send(a, "hello", 5, 0), 0);
    cr_assert_eq(sock_wait_readable(b, 1000), 1);
    cr_assert_eq(sock_recv(b, &data, &len, 0), 0);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(data, "hello", 5), 0);
    free(data);

    /* Two frames: refused and drained; the next message reads whole. */
    cr_assert_eq(zmq_send(a, "one", 3, ZMQ_SNDMORE), 3);
    cr_assert_eq(zmq_send(a, "two", 3, 0), 3);
    cr_assert_eq(sock_send(a, "three", 5, 0), 0);
    cr_assert_eq(sock_wait_readable(b, 1000), 1);
    cr_assert_eq(sock_recv(b, &data, &len, 0), ERR_PARSE);
    cr_assert_eq(sock_recv(b, &data, &len, 0), 0);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(data, "three", 5), 0);
    free(data);
    sock_close(&a);
    sock_close(&b);
}

/* A port of 127.0.0.1 where nothing listens: one the kernel handed out
 * and took back (a plain socket closes at once; ZeroMQ's close
 * asynchronously). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t alen = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

Test(sock, a_probe_tells_a_listener_from_nothing)
{
    void *s = sock_new(ZMQ_ROUTER);
    char bound[SOCK_ENDPOINT_MAX];
    cr_assert_eq(sock_bind(s, bound, sizeof bound, "tcp://127.0.0.1:*"), 0);
    int errnum = -1;
    cr_assert_eq(sock_probe(bound, 1000, &errnum), 0);
    sock_close(&s);
    char none[SOCK_ENDPOINT_MAX];
    cr_assert_eq(sock_endpoint(none, sizeof none, "127.0.0.1", free_port()), 0);
    int rc = sock_probe(none, 1000, &errnum);
    cr_assert_eq(rc, ERR_NET, "%s", err_str(rc));
    cr_assert_eq(errnum, ECONNREFUSED, "%s", strerror(errnum));
    cr_assert_eq(sock_probe("not an endpoint", 1000, &errnum), ERR_ARG);
}

Test(sock, the_clock_moves_forward)
{
    uint64_t t0 = sock_now_ms();
    nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    uint64_t t1 = sock_now_ms();
    cr_assert_geq(t1 - t0, 19);
    struct timespec now, later = sock_deadline_in(1500);
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ahead = (double)(later.tv_sec - now.tv_sec) +
                   (double)(later.tv_nsec - now.tv_nsec) / 1e9;
    cr_assert(ahead > 1.4 && ahead <= 1.5, "%.3f s ahead", ahead);
    cr_assert_not_null(sock_context());
    cr_assert_eq(sock_context(), sock_context(), "one context");
}
