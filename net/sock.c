/*
 * sock — the shared ZeroMQ context, socket options, frames and endpoints
 * (see sock.h).
 */
#include "sock.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "wire.h"

static void *g_ctx;
static bool g_curve;
static pthread_once_t g_ctx_once = PTHREAD_ONCE_INIT;

/* ---- the ZAP handler ------------------------------------------------------
 *
 * A request is [version, request id, domain, address, routing id,
 * mechanism, credentials...]; the reply [version, request id, status code,
 * status text, user id, metadata]. Every client is let in: who may do
 * what is the servers' business, once they know the key. */

#define ZAP_FRAMES 8

static void zap_reply(void *rep, const zmq_msg_t *reqid, const char *code,
                      const char *user)
{
    zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(rep, zmq_msg_data((zmq_msg_t *)reqid), zmq_msg_size(reqid),
             ZMQ_SNDMORE);
    zmq_send(rep, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(rep, "", 0, ZMQ_SNDMORE);
    zmq_send(rep, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(rep, "", 0, 0);
}

static void *zap_main(void *arg)
{
    void *rep = arg;
    for (;;) {
        zmq_msg_t f[ZAP_FRAMES];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, rep, 0) < 0) {
                zmq_msg_close(&m);
                for (int i = 0; i < n; i++)
                    zmq_msg_close(&f[i]);
                if (errno == EINTR)
                    break;
                return NULL; /* the context is going away */
            }
            more = zmq_msg_more(&m);
            if (n < ZAP_FRAMES)
                f[n++] = m;
            else
                zmq_msg_close(&m);
        }
        if (more)
            continue;
        char user[2 * 32 + 1] = "";
        bool curve = n >= 7 && zmq_msg_size(&f[5]) == 5 &&
                     memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0;
        if (curve && zmq_msg_size(&f[6]) == 32)
            identity_key_hex(user, zmq_msg_data(&f[6]));
        if (n >= 2)
            zap_reply(rep, &f[1], curve && !user[0] ? "400" : "200", user);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
    }
}

/* Binds the ZAP endpoint before anything else can use the context, so no
 * CURVE server ever accepts a client without learning its key. */
static void zap_start(void)
{
    void *rep = zmq_socket(g_ctx, ZMQ_REP);
    pthread_t t;
    if (!rep || zmq_bind(rep, "inproc://zeromq.zap.01") != 0 ||
        pthread_create(&t, NULL, zap_main, rep) != 0) {
        log_error("net", "cannot start the ZAP handler: %s",
                  zmq_strerror(errno));
        if (rep)
            zmq_close(rep);
        return;
    }
    pthread_detach(t);
}

static void ctx_create(void)
{
    const char *env = getenv("PICKAXE_CURVE");
    g_curve = !(env && strcmp(env, "off") == 0);
    g_ctx = zmq_ctx_new();
    if (!g_ctx) {
        log_error("net", "cannot create ZeroMQ context: %s",
                  zmq_strerror(errno));
        return;
    }
    if (g_curve && !zmq_has("curve")) {
        log_error("net", "this libzmq has no CURVE: running in plain text");
        g_curve = false;
    }
    if (g_curve)
        zap_start();
    else
        log_warn("net", "PICKAXE_CURVE=off: no keys are proved and nothing "
                        "is encrypted");
}

bool sock_curve_on(void)
{
    pthread_once(&g_ctx_once, ctx_create);
    return g_curve;
}

static int z85(char out[41], const uint8_t key[32])
{
    return zmq_z85_encode(out, key, 32) ? 0 : ERR_NET;
}

int sock_curve_server(void *s, const identity_t *self)
{
    if (!sock_curve_on())
        return 0;
    int one = 1;
    char sec[41];
    int rc = z85(sec, self->sec);
    if (rc == 0 && (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) ||
                    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40) ||
                    zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "pickaxe", 7)))
        rc = ERR_NET;
    explicit_bzero(sec, sizeof sec);
    return rc;
}

int sock_plain_server(void *s)
{
    int zero = 0;
    if (!sock_curve_on())
        return 0;
    /* The ZAP domain stays (ZeroMQ cannot clear it): the handler then sees
     * the plain clients too, and lets them in without a User-Id. */
    return zmq_setsockopt(s, ZMQ_CURVE_SERVER, &zero, sizeof zero) ? ERR_NET
                                                                   : 0;
}

int sock_curve_client(void *s, const identity_t *self,
                      const uint8_t server_key[32])
{
    if (!sock_curve_on())
        return 0;
    char pub[41], sec[41], srv[41];
    int rc = z85(pub, self->pub) || z85(sec, self->sec) || z85(srv, server_key)
                 ? ERR_NET
                 : 0;
    if (rc == 0 && (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, srv, 40) ||
                    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) ||
                    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40)))
        rc = ERR_NET;
    explicit_bzero(sec, sizeof sec);
    return rc;
}

void *sock_context(void)
{
    pthread_once(&g_ctx_once, ctx_create);
    return g_ctx;
}

void *sock_new(int type)
{
    void *ctx = sock_context();
    if (!ctx)
        return NULL;
    void *s = zmq_socket(ctx, type);
    if (!s) {
        log_error("net", "zmq_socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int linger = 0;
    int64_t maxmsg = WIRE_MAX_MSG_SIZE;
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg)) {
        log_error("net", "zmq_setsockopt: %s", zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

void sock_close(void **s)
{
    if (s && *s) {
        zmq_close(*s);
        *s = NULL;
    }
}

int sock_bind(void *s, char *bound, size_t bound_len, const char *endpoint)
{
    if (zmq_bind(s, endpoint) != 0) {
        log_error("net", "cannot bind %s: %s", endpoint, zmq_strerror(errno));
        return ERR_NET;
    }
    if (bound && bound_len) {
        char tmp[SOCK_ENDPOINT_MAX];
        size_t n = sizeof tmp;
        if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, tmp, &n) != 0)
            return ERR_NET;
        tmp[sizeof tmp - 1] = '\0';
        if (strlen(tmp) >= bound_len)
            return ERR_RANGE;
        strcpy(bound, tmp);
    }
    return 0;
}

static int err_from_errno(void)
{
    return errno == EAGAIN ? ERR_TIMEOUT : ERR_NET;
}

int sock_send(void *s, const void *data, size_t len, int flags)
{
    if (zmq_send(s, data, len, flags) < 0)
        return err_from_errno();
    return 0;
}

int sock_recv(void *s, uint8_t **data, size_t *len, int flags)
{
    zmq_msg_t msg;
    int frames = 0, rc = 0;
    uint8_t *copy = NULL;
    size_t n = 0;
    for (;;) {
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, s, frames ? 0 : flags) < 0) {
            rc = err_from_errno();
            zmq_msg_close(&msg);
            break;
        }
        frames++;
        int more = zmq_msg_more(&msg);
        if (!more && frames == 1) {
            n = zmq_msg_size(&msg);
            copy = malloc(n ? n : 1);
            if (copy)
                memcpy(copy, zmq_msg_data(&msg), n);
            else
                rc = ERR_NOMEM;
        }
        zmq_msg_close(&msg);
        if (!more)
            break;
    }
    if (rc == 0 && frames > 1)
        rc = ERR_PARSE;
    if (rc) {
        free(copy);
        return rc;
    }
    *data = copy;
    *len = n;
    return 0;
}

int sock_wait_readable(void *s, int timeout_ms)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : ERR_NET;
    return rc > 0 && (item.revents & ZMQ_POLLIN) ? 1 : 0;
}

uint64_t sock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct timespec sock_deadline_in(uint32_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int sock_parse_hostport(char *host, size_t host_len, uint16_t *port,
                        const char *text)
{
    if (!text)
        return ERR_ARG;
    if (strncmp(text, "tcp://", 6) == 0)
        text += 6;
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return ERR_ARG;
    size_t hl = (size_t)(colon - text);
    /* A bare IPv6 address has colons of its own: it must be bracketed. */
    if (text[0] == '[' ? text[hl - 1] != ']' : memchr(text, ':', hl) != NULL)
        return ERR_ARG;
    for (size_t i = 0; i < hl; i++)
        if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] > 0x7e)
            return ERR_ARG;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || colon[1] == '+' ||
        colon[1] == '-' || p == 0 || p > 65535)
        return ERR_ARG;
    if (hl >= host_len)
        return ERR_ARG;
    memcpy(host, text, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int sock_endpoint(char *out, size_t out_len, const char *host, unsigned port)
{
    int n = snprintf(out, out_len, "tcp://%s:%u", host, port);
    return n < 0 || (size_t)n >= out_len ? ERR_RANGE : 0;
}

/* Connects fd to addr, waiting until deadline_ms. Returns 0, ERR_TIMEOUT,
 * or ERR_NET with *err set. */
static int probe_one(int fd, const struct addrinfo *ai, uint64_t deadline_ms,
                     int *err)
{
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS) {
        *err = errno;
        return ERR_NET;
    }
    uint64_t now = sock_now_ms();
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int r = poll(&pfd, 1, now < deadline_ms ? (int)(deadline_ms - now) : 0);
    if (r == 0)
        return ERR_TIMEOUT;
    int so = 0;
    socklen_t len = sizeof so;
    if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) != 0)
        so = errno;
    *err = so;
    return so == 0 ? 0 : ERR_NET;
}

int sock_probe(const char *endpoint, int timeout_ms, int *errnum)
{
    char host[SOCK_ENDPOINT_MAX];
    uint16_t port;
    if (timeout_ms < 0 ||
        sock_parse_hostport(host, sizeof host, &port, endpoint) != 0)
        return ERR_ARG;
    char *name = host;
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[') { /* [::1] -> ::1 */
        host[hl - 1] = '\0';
        name = host + 1;
    }
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int err = 0, rc = ERR_NET;
    if (getaddrinfo(name, service, &hints, &res) != 0)
        res = NULL;
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    for (const struct addrinfo *ai = res; ai && rc == ERR_NET;
         ai = ai->ai_next) {
        int fd = socket(ai->ai_family,
                        ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        rc = probe_one(fd, ai, deadline, &err);
        close(fd);
    }
    if (res)
        freeaddrinfo(res);
    if (rc == ERR_NET && errnum)
        *errnum = err;
    return rc;
}
