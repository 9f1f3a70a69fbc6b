/*
 * server — bound ROUTER socket: requests with their sender, routed replies
 * (see server.h).
 */
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"

struct server {
    void *sock;
    char endpoint[SOCK_ENDPOINT_MAX];
    char keyed[SOCK_ENDPOINT_MAX];
};

server_t *server_new(const char *endpoint)
{
    server_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sock = sock_new(ZMQ_ROUTER);
    if (!s->sock ||
        sock_bind(s->sock, s->endpoint, sizeof s->endpoint, endpoint) != 0) {
        server_free(&s);
        return NULL;
    }
    return s;
}

server_t *server_new_keyed(const char *keyed_endpoint,
                           const char *plain_endpoint, const identity_t *self)
{
    server_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sock = sock_new(ZMQ_ROUTER);
    if (!s->sock || sock_curve_server(s->sock, self) != 0 ||
        sock_bind(s->sock, s->keyed, sizeof s->keyed, keyed_endpoint) != 0 ||
        (plain_endpoint && (sock_plain_server(s->sock) != 0 ||
                            sock_bind(s->sock, s->endpoint, sizeof s->endpoint,
                                      plain_endpoint) != 0))) {
        server_free(&s);
        return NULL;
    }
    if (!plain_endpoint)
        strcpy(s->endpoint, s->keyed);
    return s;
}

const char *server_keyed_endpoint(const server_t *s)
{
    return s->keyed;
}

/* The key CURVE proved for the connection a frame came over, which the
 * ZAP handler (sock.c) put in its User-Id; false for a plain one. */
static bool frame_key(zmq_msg_t *m, uint8_t key[32])
{
    const char *user = zmq_msg_gets(m, "User-Id");
    return user && identity_parse_key(key, user) == 0;
}

void server_free(server_t **s)
{
    if (!s || !*s)
        return;
    sock_close(&(*s)->sock);
    free(*s);
    *s = NULL;
}

const char *server_endpoint(const server_t *s)
{
    return s->endpoint;
}

void *server_socket(server_t *s)
{
    return s->sock;
}

void server_req_clear(server_req_t *req)
{
    if (!req)
        return;
    free(req->data);
    memset(req, 0, sizeof *req);
}

int server_recv(server_t *s, server_req_t *req, int timeout_ms)
{
    if (timeout_ms != 0) {
        int w = sock_wait_readable(s->sock, timeout_ms);
        if (w < 0)
            return w;
        if (w == 0)
            return ERR_TIMEOUT;
    }
    /* Frames: identity, then [""], then the body; at most three. */
    zmq_msg_t f[3];
    int n = 0, rc = 0;
    bool overflow = false;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) < 0) {
            rc = errno == EAGAIN ? ERR_TIMEOUT : ERR_NET;
            zmq_msg_close(&m);
            break;
        }
        int more = zmq_msg_more(&m);
        if (n < 3)
            f[n++] = m;
        else {
            overflow = true;
            zmq_msg_close(&m);
        }
        if (!more)
            break;
    }
    server_req_t r;
    memset(&r, 0, sizeof r);
    if (rc == 0) {
        /* The body is the last frame; a delimiter, when present, is empty. */
        if (overflow || n < 2 || zmq_msg_size(&f[0]) > SERVER_ID_MAX ||
            (n == 3 && zmq_msg_size(&f[1]) != 0))
            rc = ERR_PARSE;
    }
    if (rc == 0) {
        r.id_len = zmq_msg_size(&f[0]);
        memcpy(r.id, zmq_msg_data(&f[0]), r.id_len);
        r.delimiter = n == 3;
        r.keyed = frame_key(&f[n - 1], r.key);
        r.len = zmq_msg_size(&f[n - 1]);
        r.data = malloc(r.len ? r.len : 1);
        if (!r.data)
            rc = ERR_NOMEM;
        else
            memcpy(r.data, zmq_msg_data(&f[n - 1]), r.len);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    if (rc)
        return rc;
    *req = r;
    return 0;
}

int server_reply(server_t *s, const server_req_t *req, const uint8_t *data,
                 size_t len)
{
    int flags = ZMQ_DONTWAIT | ZMQ_SNDMORE;
    if (zmq_send(s->sock, req->id, req->id_len, flags) < 0)
        return ERR_NET;
    if (req->delimiter && zmq_send(s->sock, "", 0, flags) < 0)
        return ERR_NET;
    if (zmq_send(s->sock, data, len, ZMQ_DONTWAIT) < 0)
        return ERR_NET;
    return 0;
}
