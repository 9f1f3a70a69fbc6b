/*
 * reqclient — lazy pirate request/reply client (see reqclient.h).
 */
#include "reqclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"
#include "log.h"
#include "sock.h"

struct reqclient {
    char endpoint[SOCK_ENDPOINT_MAX];
    void *sock; /* REQ, connected to endpoint; NULL after a failed reset */
    int timeout_ms;
    int retries;
    unsigned resets;
    bool keyed;
    identity_t self;
    uint8_t server_key[32];
};

/* Opens a fresh REQ socket connected to the endpoint. */
static int open_socket(reqclient_t *c)
{
    sock_close(&c->sock);
    void *s = sock_new(ZMQ_REQ);
    if (!s)
        return ERR_NET;
    /* A send must not wait longer than an attempt does. */
    if (zmq_setsockopt(s, ZMQ_SNDTIMEO, &c->timeout_ms, sizeof c->timeout_ms) ||
        (c->keyed && sock_curve_client(s, &c->self, c->server_key) != 0) ||
        zmq_connect(s, c->endpoint) != 0) {
        log_debug("net", "cannot connect to %s: %s", c->endpoint,
                  zmq_strerror(errno));
        zmq_close(s);
        return ERR_NET;
    }
    c->sock = s;
    return 0;
}

reqclient_t *reqclient_new(const char *endpoint, int timeout_ms, int retries)
{
    if (!endpoint || strlen(endpoint) >= SOCK_ENDPOINT_MAX || timeout_ms < 1 ||
        retries < 0)
        return NULL;
    reqclient_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    strcpy(c->endpoint, endpoint);
    c->timeout_ms = timeout_ms;
    c->retries = retries;
    if (open_socket(c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

reqclient_t *reqclient_new_keyed(const char *endpoint, int timeout_ms,
                                 int retries, const identity_t *self,
                                 const uint8_t server_key[32])
{
    if (!endpoint || strlen(endpoint) >= SOCK_ENDPOINT_MAX || timeout_ms < 1 ||
        retries < 0)
        return NULL;
    reqclient_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    strcpy(c->endpoint, endpoint);
    c->timeout_ms = timeout_ms;
    c->retries = retries;
    c->keyed = true;
    c->self = *self;
    memcpy(c->server_key, server_key, 32);
    if (open_socket(c) != 0) {
        identity_wipe(&c->self);
        free(c);
        return NULL;
    }
    return c;
}

void reqclient_free(reqclient_t **c)
{
    if (!c || !*c)
        return;
    sock_close(&(*c)->sock);
    identity_wipe(&(*c)->self);
    free(*c);
    *c = NULL;
}

const char *reqclient_endpoint(const reqclient_t *c)
{
    return c->endpoint;
}

unsigned reqclient_resets(const reqclient_t *c)
{
    return c->resets;
}

/* One attempt: send, then wait at most timeout_ms for the reply. */
static int attempt(reqclient_t *c, uint8_t **reply, size_t *reply_len,
                   const uint8_t *req, size_t len)
{
    if (!c->sock)
        return ERR_NET;
    int rc = sock_send(c->sock, req, len, 0);
    if (rc)
        return rc; /* ERR_TIMEOUT: the queue is full; reset and retry */
    uint64_t deadline = sock_now_ms() + (uint64_t)c->timeout_ms;
    for (;;) {
        uint64_t now = sock_now_ms();
        if (now >= deadline)
            return ERR_TIMEOUT;
        rc = sock_wait_readable(c->sock, (int)(deadline - now));
        if (rc < 0)
            return rc;
        if (rc == 1)
            return sock_recv(c->sock, reply, reply_len, ZMQ_DONTWAIT);
        /* 0: timed out or interrupted by a signal; the loop decides which */
    }
}

int reqclient_request(reqclient_t *c, uint8_t **reply, size_t *reply_len,
                      const uint8_t *req, size_t len)
{
    int rc = ERR_TIMEOUT;
    for (int i = 0; i <= c->retries; i++) {
        rc = attempt(c, reply, reply_len, req, len);
        if (rc == 0 || rc == ERR_NOMEM)
            return rc;
        /* The REQ socket is now waiting for a reply that may never come
         * (or got one we refused): replace it before anything else. */
        c->resets++;
        log_debug("net", "%s: %s (attempt %d of %d), resetting socket",
                  c->endpoint, err_str(rc), i + 1, c->retries + 1);
        int orc = open_socket(c);
        if (orc)
            return orc;
        if (rc == ERR_PARSE)
            return rc; /* the server answered, badly: asking again won't help */
    }
    return rc == ERR_NET ? ERR_NET : ERR_TIMEOUT;
}
