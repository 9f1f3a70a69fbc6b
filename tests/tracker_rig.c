/*
 * tracker_rig — the tracker tests' shared fixture (see tracker_rig.h).
 */
#include "tracker_rig.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const uint8_t tr_net[32] = {0x70, 0x6b, 0x78, 0x74, 0x65, 0x73, 0x74};

void tr_record(void *arg, const uint8_t *msg, size_t len)
{
    tr_recorder_t *r = arg;
    cr_assert(r->n < TR_MAX_PUB);
    r->msg[r->n] = malloc(len);
    memcpy(r->msg[r->n], msg, len);
    r->len[r->n++] = len;
}

void tr_recorder_clear(tr_recorder_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->msg[i]);
    r->n = 0;
}

/* Decodes published message i; checks its type. */
void tr_published(wire_msg_t *m, const tr_recorder_t *r, size_t i,
                  uint16_t type)
{
    cr_assert(i < r->n, "message %zu was not published", i);
    cr_assert_eq(wire_decode(m, tr_net, r->msg[i], r->len[i]), 0);
    cr_assert_eq(m->type, type, "published %s, wanted %s",
                 wire_type_name(m->type), wire_type_name(type));
}

void tr_key(uint8_t key[WIRE_KEY_SIZE], uint64_t id)
{
    memset(key, 0x5a, WIRE_KEY_SIZE);
    for (int i = 0; i < 8; i++)
        key[i] = (uint8_t)(id >> (56 - 8 * i));
}

wire_peer_t tr_peer(uint64_t id, int port)
{
    wire_peer_t p;
    memset(&p, 0, sizeof p);
    tr_key(p.key, id);
    p.id = id;
    snprintf(p.req, sizeof p.req, "tcp://127.0.0.1:%d", port);
    snprintf(p.gossip, sizeof p.gossip, "tcp://127.0.0.1:%d", port + 1);
    return p;
}

void tr_ask(tracker_t *t, wire_msg_t *reply, buf_t *reply_buf,
            const wire_msg_t *req, uint64_t now)
{
    uint8_t key[WIRE_KEY_SIZE];
    const uint8_t *sender = NULL;
    if (req->type == WIRE_REGISTER) {
        sender = req->u.peer.key;
    } else if (req->type == WIRE_PING || req->type == WIRE_LEAVE) {
        tr_key(key, req->u.node_id);
        sender = key;
    }
    tr_ask_as(t, reply, reply_buf, sender, req, now);
}

void tr_ask_as(tracker_t *t, wire_msg_t *reply, buf_t *reply_buf,
               const uint8_t *sender, const wire_msg_t *req, uint64_t now)
{
    buf_t b;
    buf_init(&b);
    cr_assert_eq(wire_encode(&b, tr_net, req), 0);
    buf_reset(reply_buf);
    cr_assert_eq(tracker_handle(t, reply_buf, sender, b.data, b.len, now), 0);
    cr_assert_eq(wire_decode(reply, tr_net, reply_buf->data, reply_buf->len),
                 0);
    buf_deinit(&b);
}

void tr_register(tracker_t *t, wire_msg_t *reply, buf_t *rb,
                 const wire_peer_t *p, uint64_t now)
{
    wire_msg_t req;
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = *p;
    tr_ask(t, reply, rb, &req, now);
}

tracker_t *tr_make_tracker(tr_recorder_t *rec, uint32_t timeout_ms)
{
    tracker_config_t cfg;
    tracker_config_init(&cfg, tr_net);
    cfg.peer_timeout_ms = timeout_ms;
    tracker_t *t = tracker_new(&cfg);
    cr_assert(t);
    memset(rec, 0, sizeof *rec);
    tracker_set_publisher(t, tr_record, rec);
    return t;
}

/* A plausible transfer (not validly signed: the tracker does not check);
 * distinct seeds give distinct transfers with distinct txids. */
void tr_transfer_bytes(uint8_t tx[TX_TRANSFER_SIZE], uint16_t seed)
{
    for (size_t i = 0; i < TX_TRANSFER_SIZE; i++)
        tx[i] = (uint8_t)(seed + i);
    tx[1] = (uint8_t)(seed >> 8); /* in the txid's part */
    tx[0] = TX_TRANSFER;
}

static void *tracker_thread(void *arg)
{
    cr_assert_eq(tracker_run(arg), 0);
    return NULL;
}

void tr_live_config(tracker_config_t *cfg, const uint8_t net[32])
{
    tracker_config_init(cfg, net);
    cfg->peer_timeout_ms = 3000;
    cfg->status_ms = 0;
}

bool tr_try_start(tr_live_t *fx, const tracker_config_t *cfg, const char *req,
                  const char *pub)
{
    fx->t = tracker_new(cfg);
    cr_assert(fx->t);
    char keyed[SOCK_ENDPOINT_MAX] = "tcp://127.0.0.1:*",
         host[SOCK_ENDPOINT_MAX];
    uint16_t port;
    if (sock_parse_hostport(host, sizeof host, &port, req) == 0)
        cr_assert_eq(sock_endpoint(keyed, sizeof keyed, host, port + 2u), 0);
    if (tracker_bind(fx->t, req, pub, keyed) != 0) {
        tracker_free(&fx->t);
        return false;
    }
    strcpy(fx->req, tracker_req_endpoint(fx->t));
    strcpy(fx->pub, tracker_pub_endpoint(fx->t));
    strcpy(fx->keyed, tracker_keyed_endpoint(fx->t));
    cr_assert_eq(pthread_create(&fx->th, NULL, tracker_thread, fx->t), 0);
    return true;
}

/* ZeroMQ closes sockets in the background, so a port just released may be
 * busy for a moment; and while nobody listens on it, a node's reconnecting
 * socket can (rarely) be given that very port as its source and connect to
 * itself, until ZeroMQ drops the nonsense connection. Binding again is
 * therefore retried for up to three seconds. */
void tr_start(tr_live_t *fx, const tracker_config_t *cfg, const char *req,
              const char *pub)
{
    uint64_t deadline = sock_now_ms() + 3000;
    bool ok;
    while (!(ok = tr_try_start(fx, cfg, req, pub)) && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 20000000L}, NULL);
    cr_assert(ok, "bind %s %s", req, pub);
}

void tr_halt(tr_live_t *fx)
{
    tracker_stop(fx->t);
    pthread_join(fx->th, NULL);
    tracker_free(&fx->t);
}
