/*
 * Tests for src/programs/portcheck.c: a port with a listener is taken, the
 * same port once the listener is gone is free, and a name that does not
 * resolve is left to the real bind.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portcheck.h"

/* A listener on 127.0.0.1 at a port the kernel picks; returns its fd. */
static int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 1), 0);
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

Test(portcheck, a_listener_makes_the_port_taken, .timeout = 10)
{
    uint16_t port;
    int fd = listen_any(&port);
    cr_assert(portcheck_in_use("127.0.0.1", port));
    cr_assert(portcheck_in_use("localhost", port));
    close(fd);
    cr_assert_not(portcheck_in_use("127.0.0.1", port));
}

Test(portcheck, an_unknown_host_is_left_to_the_bind, .timeout = 10)
{
    cr_assert_not(portcheck_in_use("no-such-host.invalid", 18330));
}
