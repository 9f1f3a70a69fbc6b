/*
 * p2p_rig — the p2p tests' shared fixture (see p2p_rig.h).
 */
#include "p2p_rig.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "bytes.h"
#include "log.h"
#include "sock.h"
#include "wire.h"

static void *serve(void *arg)
{
    pr_node_t *n = arg;
    buf_t out;
    buf_init(&out);
    while (!atomic_load(&n->stop)) {
        server_req_t req;
        if (server_recv(n->srv, &req, 20) != 0)
            continue;
        int mode = atomic_load(&n->mode);
        wire_msg_t m;
        if (mode == PR_ANSWER &&
            wire_decode(&m, n->net, req.data, req.len) == 0) {
            bool tip = m.type == WIRE_GET_TIP;
            wire_msg_clear(&m);
            wire_msg_t reply;
            wire_msg_init(&reply, WIRE_TIP);
            reply.u.tip.height = n->height;
            buf_reset(&out);
            cr_assert_eq(wire_encode(&out, n->net, &reply), 0);
            if (tip) /* anything else goes unanswered */
                cr_assert_eq(server_reply(n->srv, &req, out.data, out.len), 0);
        } else if (mode == PR_GARBAGE) {
            static const uint8_t junk[] = "not a wire frame";
            cr_assert_eq(server_reply(n->srv, &req, junk, sizeof junk), 0);
        }
        server_req_clear(&req);
    }
    buf_deinit(&out);
    return NULL;
}

void pr_config(p2p_config_t *cfg, const uint8_t net[32])
{
    p2p_config_init(cfg, net);
    cfg->ping_interval_ms = 150;
    cfg->tracker_timeout_ms = 300;
    cfg->tracker_retries = 0;
    cfg->request_timeout_ms = 300;
    cfg->request_retries = 1;
    cfg->ban_ms = 800;
}

void pr_start(pr_node_t *n, const p2p_config_t *cfg, uint32_t height, int mode)
{
    memset(n, 0, sizeof *n);
    n->height = height;
    memcpy(n->net, cfg->network_id, 32);
    atomic_store(&n->mode, mode);
    p2p_config_t c = *cfg;
    if (identity_key_is_zero(c.key.pub))
        cr_assert_eq(identity_generate(&c.key), 0);
    /* Peers reach the request server with the p2p's key (CURVE). */
    n->srv = server_new_keyed("tcp://127.0.0.1:*", NULL, &c.key);
    cr_assert(n->srv);
    cr_assert_eq(pthread_create(&n->th, NULL, serve, n), 0);
    strcpy(c.request_advertise, server_endpoint(n->srv));
    n->p = p2p_new(&c);
    cr_assert(n->p);
}

void pr_stop(pr_node_t *n)
{
    p2p_free(&n->p);
    cr_assert_null(n->p);
    atomic_store(&n->stop, 1);
    pthread_join(n->th, NULL);
    server_free(&n->srv);
}

wire_peer_t pr_peer_of(const pr_node_t *n)
{
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    memcpy(w.key, p2p_key(n->p), sizeof w.key);
    w.id = p2p_node_id(n->p);
    strcpy(w.req, server_endpoint(n->srv));
    strcpy(w.gossip, p2p_gossip_endpoint(n->p));
    return w;
}

wire_peer_t pr_pair_up(pr_node_t *a, pr_node_t *b, const uint8_t net[32],
                       uint32_t height, int mode)
{
    p2p_config_t cfg;
    pr_config(&cfg, net);
    pr_start(a, &cfg, 1, PR_ANSWER);
    pr_start(b, &cfg, height, mode);
    wire_peer_t pb = pr_peer_of(b);
    cr_assert_eq(p2p_add_peer(a->p, &pb), 0);
    return pb;
}

void pr_pair_down(pr_node_t *a, pr_node_t *b)
{
    pr_stop(a);
    pr_stop(b);
}

bool pr_wait_peers(p2p_t *p, size_t count, int timeout_ms)
{
    uint64_t deadline = sock_now_ms() + (uint64_t)timeout_ms;
    while (sock_now_ms() < deadline) {
        p2p_peer_info_t info[8];
        size_t k = p2p_peers(p, info, 8);
        bool all = k == count;
        for (size_t i = 0; all && i < k; i++)
            all = info[i].connected;
        if (all)
            return true;
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    return false;
}

void pr_tx_from(uint8_t tx[TX_TRANSFER_SIZE], uint64_t sender, uint32_t seq)
{
    memset(tx, 0, TX_TRANSFER_SIZE);
    tx[0] = TX_TRANSFER;
    le64_put(tx + 1, sender);
    le32_put(tx + 9, seq);
}

void *pr_fake_peer(p2p_t *p, uint64_t *id, char ep[SOCK_ENDPOINT_MAX])
{
    identity_t key;
    cr_assert_eq(identity_generate(&key), 0);
    void *pub = sock_new(ZMQ_PUB);
    cr_assert(pub);
    cr_assert_eq(sock_curve_server(pub, &key), 0);
    cr_assert_eq(sock_bind(pub, ep, SOCK_ENDPOINT_MAX, "tcp://127.0.0.1:*"), 0);
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    memcpy(w.key, key.pub, sizeof w.key);
    w.id = wire_key_id(w.key);
    *id = w.id;
    strcpy(w.req, "tcp://127.0.0.1:1");
    strcpy(w.gossip, ep);
    cr_assert_eq(p2p_add_peer(p, &w), 0);
    return pub;
}

void *pr_listen(p2p_t *p)
{
    void *sub = sock_new(ZMQ_SUB);
    cr_assert_not_null(sub);
    cr_assert_eq(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
    identity_t me;
    cr_assert_eq(identity_generate(&me), 0);
    cr_assert_eq(sock_curve_client(sub, &me, p2p_key(p)), 0);
    cr_assert_eq(zmq_connect(sub, p2p_gossip_endpoint(p)), 0);
    uint8_t tx[TX_TRANSFER_SIZE] = {TX_TRANSFER};
    buf_t b;
    buf_init(&b);
    cr_assert_eq(
        wire_encode_blob(&b, p2p_network_id(p), WIRE_NEW_TX, tx, sizeof tx), 0);
    uint64_t deadline = sock_now_ms() + 5000;
    bool heard = false;
    while (!heard && sock_now_ms() < deadline) {
        cr_assert_eq(p2p_broadcast(p, b.data, b.len), 0);
        heard = sock_wait_readable(sub, 50) == 1;
    }
    cr_assert(heard, "the subscription never took hold");
    uint8_t *data;
    size_t len;
    while (sock_wait_readable(sub, 100) == 1 &&
           sock_recv(sub, &data, &len, 0) == 0)
        free(data);
    buf_deinit(&b);
    return sub;
}

static void *respond(void *arg)
{
    pr_responder_t *r = arg;
    while (!atomic_load(&r->stop)) {
        server_req_t req;
        if (server_recv(r->srv, &req, 20) != 0)
            continue;
        pthread_mutex_lock(&r->lock);
        r->requests++;
        r->last_len = req.len < sizeof r->last ? req.len : sizeof r->last;
        memcpy(r->last, req.data, r->last_len);
        bool known = false;
        uint8_t id[8] = {0};
        memcpy(id, req.id, req.id_len < 8 ? req.id_len : 8);
        for (unsigned i = 0; i < r->senders && !known; i++)
            known = memcmp(r->ids[i], id, 8) == 0;
        if (!known && r->senders < 64)
            memcpy(r->ids[r->senders++], id, 8);
        if (r->reply_len)
            cr_assert_eq(server_reply(r->srv, &req, r->reply, r->reply_len), 0);
        pthread_mutex_unlock(&r->lock);
        server_req_clear(&req);
    }
    return NULL;
}

void pr_responder_start(pr_responder_t *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    cr_assert_eq(identity_generate(&r->key), 0);
    r->srv = server_new_keyed("tcp://127.0.0.1:*", NULL, &r->key);
    cr_assert_not_null(r->srv);
    cr_assert_eq(pthread_create(&r->th, NULL, respond, r), 0);
}

void pr_responder_set(pr_responder_t *r, const void *reply, size_t len)
{
    cr_assert_leq(len, sizeof r->reply);
    pthread_mutex_lock(&r->lock);
    memcpy(r->reply, reply, len);
    r->reply_len = len;
    pthread_mutex_unlock(&r->lock);
}

void pr_responder_stop(pr_responder_t *r)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->th, NULL);
    server_free(&r->srv);
    pthread_mutex_destroy(&r->lock);
}

void pr_quiet(void)
{
    log_set_level(LOG_ERROR);
}
