/*
 * portcheck — is a TCP port already taken (see portcheck.h).
 */
#include "portcheck.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool portcheck_in_use(const char *host, uint16_t port)
{
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    /* "[::1]", as --listen writes an IPv6 address, resolves without its
     * brackets. */
    char bare[256];
    size_t len = strlen(host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']' &&
        len - 2 < sizeof bare) {
        memcpy(bare, host + 1, len - 2);
        bare[len - 2] = 0;
        host = bare;
    }
    const char *name = strcmp(host, "*") == 0 ? NULL : host;
    if (getaddrinfo(name, service, &hints, &res) != 0)
        return false;
    bool taken = false;
    /* One address suffices: the first is what the listener binds too. */
    if (res) {
        int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
        if (fd >= 0) {
            int on = 1;
            (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
            taken = bind(fd, res->ai_addr, res->ai_addrlen) != 0 &&
                    errno == EADDRINUSE;
            close(fd);
        }
    }
    freeaddrinfo(res);
    return taken;
}
