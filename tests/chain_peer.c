/*
 * chain_peer — a fake peer serving a chain (see chain_peer.h).
 */
#include "chain_peer.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static void answer_blocks(buf_t *out, const uint8_t *net, const chain_t *chain,
                          const wire_msg_t *req)
{
    buf_t raws[WIRE_MAX_BLOCKS];
    wire_blob_t items[WIRE_MAX_BLOCKS];
    uint16_t n = 0;
    for (uint16_t i = 0; i < req->u.get_blocks.count && n < WIRE_MAX_BLOCKS;
         i++) {
        const chain_node_t *x =
            chain_get(chain, req->u.get_blocks.hashes + 32 * (size_t)i);
        if (!x)
            continue;
        buf_init(&raws[n]);
        cr_assert_eq(block_serialize(&raws[n], &x->block), 0);
        items[n].data = raws[n].data;
        items[n].len = raws[n].len;
        n++;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_BLOCKS);
    r.u.list.count = n;
    r.u.list.items = items;
    cr_assert_eq(wire_encode(out, net, &r), 0);
    for (uint16_t i = 0; i < n; i++)
        buf_deinit(&raws[i]);
}

static void answer_headers(buf_t *out, const uint8_t *net, const chain_t *chain,
                           const wire_msg_t *req, size_t max_headers)
{
    const chain_node_t *fork =
        chain_find_fork(chain, (const uint8_t(*)[32])req->u.get_headers.hashes,
                        req->u.get_headers.count);
    uint8_t *hdrs = malloc((size_t)WIRE_MAX_HEADERS * BLOCK_HEADER_SIZE);
    cr_assert_not_null(hdrs);
    uint16_t n = 0;
    for (uint32_t h = fork->height + 1; n < max_headers && n < WIRE_MAX_HEADERS;
         h++) {
        const chain_node_t *x = chain_at_height(chain, h);
        if (!x)
            break;
        block_header_serialize(hdrs + (size_t)n * BLOCK_HEADER_SIZE,
                               &x->block.header);
        n++;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_HEADERS);
    r.u.headers.count = n;
    r.u.headers.headers = hdrs;
    cr_assert_eq(wire_encode(out, net, &r), 0);
    free(hdrs);
}

static void answer_mempool(buf_t *out, const uint8_t *net, const tx_t *txs,
                           size_t n)
{
    buf_t *raws = calloc(n + 1, sizeof *raws);
    wire_blob_t *items = calloc(n + 1, sizeof *items);
    cr_assert(raws && items);
    for (size_t i = 0; i < n; i++) {
        buf_init(&raws[i]);
        cr_assert_eq(tx_serialize(&raws[i], &txs[i]), 0);
        items[i].data = raws[i].data;
        items[i].len = raws[i].len;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_MEMPOOL);
    r.u.list.count = (uint16_t)n;
    r.u.list.items = items;
    cr_assert_eq(wire_encode(out, net, &r), 0);
    for (size_t i = 0; i < n; i++)
        buf_deinit(&raws[i]);
    free(raws);
    free(items);
}

void chain_peer_answer(buf_t *out, const chain_t *chain, const uint8_t *req,
                       size_t len, bool understate, size_t max_headers,
                       const tx_t *txs, size_t n_txs)
{
    const uint8_t *net = chain_params(chain)->network_id;
    wire_msg_t m;
    cr_assert_eq(wire_decode(&m, net, req, len), 0);
    buf_reset(out);
    if (m.type == WIRE_GET_TIP) {
        const chain_node_t *tip =
            understate ? chain_at_height(chain, 0) : chain_tip(chain);
        wire_msg_t r;
        wire_msg_init(&r, WIRE_TIP);
        r.u.tip.height = tip->height;
        memcpy(r.u.tip.tip, tip->hash, 32);
        uint256_to_le(r.u.tip.work, &tip->chain_work);
        cr_assert_eq(wire_encode(out, net, &r), 0);
    } else if (m.type == WIRE_GET_HEADERS) {
        answer_headers(out, net, chain, &m, max_headers);
    } else if (m.type == WIRE_GET_BLOCKS) {
        answer_blocks(out, net, chain, &m);
    } else if (m.type == WIRE_GET_MEMPOOL) {
        answer_mempool(out, net, txs, n_txs);
    } else {
        cr_assert_eq(wire_encode_error(out, net, ERR_ARG, "not served"), 0);
    }
    wire_msg_clear(&m);
}

static void *serve(void *arg)
{
    chain_peer_t *p = arg;
    const uint8_t *net = chain_params(p->chain)->network_id;
    buf_t out;
    buf_init(&out);
    while (!atomic_load(&p->stop)) {
        server_req_t req;
        if (server_recv(p->srv, &req, 20) != 0)
            continue;
        uint16_t type = 0;
        if (wire_peek(&type, net, req.data, req.len) == 0) {
            unsigned k = type == WIRE_GET_TIP       ? CP_TIP
                         : type == WIRE_GET_HEADERS ? CP_HEADERS
                         : type == WIRE_GET_BLOCKS  ? CP_BLOCKS
                                                    : CP_OTHER;
            atomic_fetch_add(&p->asked[k], 1);
            unsigned none = 0;
            atomic_compare_exchange_strong(&p->first_type, &none, type);
        }
        if (!atomic_load(&p->silent)) {
            pthread_mutex_lock(&p->lock);
            chain_peer_answer(&out, p->chain, req.data, req.len,
                              atomic_load(&p->understate), WIRE_MAX_HEADERS,
                              p->mempool, p->mempool_n);
            pthread_mutex_unlock(&p->lock);
            /* A reply that cannot go out is the node's time-out to see. */
            if (server_reply(p->srv, &req, out.data, out.len) != 0)
                fprintf(stderr, "chain_peer: a reply was not sent\n");
        }
        server_req_clear(&req);
    }
    buf_deinit(&out);
    return NULL;
}

void chain_peer_start(chain_peer_t *p, chain_t *chain, int timeout_ms)
{
    memset(p, 0, sizeof *p);
    p->chain = chain;
    pthread_mutex_init(&p->lock, NULL);
    p2p_config_t cfg;
    p2p_config_init(&cfg, chain_params(chain)->network_id);
    cr_assert_eq(identity_generate(&cfg.key), 0);
    p->srv = server_new_keyed("tcp://127.0.0.1:*", NULL, &cfg.key);
    cr_assert_not_null(p->srv);
    strcpy(cfg.request_advertise, server_endpoint(p->srv));
    cfg.request_timeout_ms = timeout_ms;
    cfg.request_retries = 0;
    p->p2p = p2p_new(&cfg);
    cr_assert_not_null(p->p2p);
    cr_assert_eq(pthread_create(&p->th, NULL, serve, p), 0);
}

void chain_peer_stop(chain_peer_t *p)
{
    atomic_store(&p->stop, 1);
    pthread_join(p->th, NULL);
    p2p_free(&p->p2p);
    server_free(&p->srv);
    pthread_mutex_destroy(&p->lock);
}

wire_peer_t chain_peer_wire(chain_peer_t *p)
{
    wire_peer_t w;
    memset(&w, 0, sizeof w);
    memcpy(w.key, p2p_key(p->p2p), sizeof w.key);
    w.id = p2p_node_id(p->p2p);
    strcpy(w.req, server_endpoint(p->srv));
    strcpy(w.gossip, p2p_gossip_endpoint(p->p2p));
    return w;
}
