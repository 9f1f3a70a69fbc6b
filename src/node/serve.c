/*
 * serve — the request thread (see serve.h).
 *
 * What the thread owns: the ROUTER socket (server.h) and the rate limiter.
 * What it borrows: the node, through node_impl.h, under the node lock for
 * each answer.
 */
#include "serve.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "node_impl.h"
#include "params.h"
#include "reqlimit.h"
#include "rpc.h"
#include "server.h"
#include "wire.h"

/* How often the request thread checks for stop (each check is a wake-up
 * of an idle node). */
#define SERVE_WAIT_MS 100

struct serve {
    node_t *node; /* borrowed */
    server_t *server;
    reqlimit_t limiter;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_uint_fast64_t limited, malformed;
    /* The last stranger's framing logged (refuse_stranger()), so a node of
     * another version or network that keeps asking is logged once. */
    wire_envelope_t told;
    uint8_t key[32];     /* the node's public key (GET_KEY) */
    uint16_t keyed_port; /* of the keyed endpoint as bound */
};

/* Why the lock could not be had: the main loop holds it (the request thread
 * is the only other taker), and its record says for how long and where. */
static void busy_reason(node_t *n, char *out, size_t len)
{
    loopwatch_view_t v;
    loopwatch_read(node_watch(n), &v, node_now_ms());
    double s = (double)v.turn_age_ms / 1000.0;
    if (v.turn_age_ms > LOOPWATCH_STUCK_MS)
        snprintf(out, len,
                 "the node is running but its main loop has not turned for "
                 "%.1f s (stuck in \"%s\"); only status answers meanwhile",
                 s, v.where ? v.where : "?");
    else
        snprintf(out, len,
                 "the node is busy: its main loop holds the node lock (this "
                 "turn %.1f s so far, in \"%s\"); try again",
                 s, v.where ? v.where : "?");
}

/* A JSON query, as node.h says. */
json_t *node_query(node_t *n, const json_t *request)
{
    const char *method = json_string_value(json_object_get(request, "method"));
    if (method && strcmp(method, "status") == 0) {
        /* `status` is how one finds out that the main loop is stuck with
         * the lock held: it must answer then too. */
        if (node_lock_within(n, SERVE_STATUS_WAIT_MS) != 0)
            return rpc_status_busy(n);
    } else if (node_lock_within(n, SERVE_LOCK_WAIT_MS) != 0) {
        char why[WIRE_MAX_STR + 1];
        busy_reason(n, why, sizeof why);
        return rpc_error(ERR_FULL, why);
    }
    json_t *answer = rpc_handle(n, request);
    node_unlock(n);
    return answer;
}

static const uint8_t *net_id(const serve_t *s)
{
    return node_params(s->node)->network_id;
}

static void reply_msg(serve_t *s, const server_req_t *req, const wire_msg_t *m)
{
    buf_t out;
    buf_init(&out);
    if (wire_encode(&out, net_id(s), m) == 0 &&
        server_reply(s->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
}

static void reply_error(serve_t *s, const server_req_t *req, int code,
                        const char *reason)
{
    buf_t out;
    buf_init(&out);
    if (wire_encode_error(&out, net_id(s), code, reason) == 0 &&
        server_reply(s->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
}

/* Decodes a request; on failure answers why. Returns 0 or the error. */
static int decode(serve_t *s, wire_msg_t *m, const server_req_t *req)
{
    int rc = wire_decode(m, net_id(s), req->data, req->len);
    if (rc)
        reply_error(s, req, rc,
                    rc == ERR_INVALID ? "wrong network" : "malformed request");
    return rc;
}

/*
 * A request of another wire version or network is not garbage: it comes
 * from a node of another build, or one pointed at the wrong network. It is
 * told why in its own framing (wire_encode_refusal), as the tracker and p2p
 * do, so that it reads a refusal instead of one more frame it cannot decode
 * ("bad reply"), and it is not counted as malformed. Request thread, no
 * lock. Returns false when req is not such a frame (rc from wire_peek()).
 */
static bool refuse_stranger(serve_t *s, const server_req_t *req, int rc)
{
    wire_envelope_t env;
    if ((rc != ERR_UNSUPPORTED && rc != ERR_INVALID) ||
        wire_read_envelope(&env, req->data, req->len) != 0)
        return false;
    char why[WIRE_MAX_STR + 1];
    if (rc == ERR_INVALID)
        snprintf(why, sizeof why, "this node is on the %s network, not %s",
                 params_network_name(net_id(s)),
                 params_network_name(env.network_id));
    else
        snprintf(why, sizeof why, "this node speaks wire version %u, not %u",
                 (unsigned)WIRE_VERSION, (unsigned)env.version);
    if (env.version != s->told.version ||
        memcmp(env.network_id, s->told.network_id, 32) != 0) {
        log_warn("node", "refused a %s: %s", wire_type_name(env.type), why);
        s->told = env;
    }
    buf_t out;
    buf_init(&out);
    if (wire_encode_refusal(&out, &env, rc, why) == 0 &&
        server_reply(s->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
    return true;
}

/* ---- the peer protocol (under the lock) ---------------------------------- */

static void serve_tip(serve_t *s, const server_req_t *req)
{
    const chain_node_t *tip = chain_tip(node_chain(s->node));
    wire_msg_t r;
    wire_msg_init(&r, WIRE_TIP);
    r.u.tip.height = tip->height;
    memcpy(r.u.tip.tip, tip->hash, 32);
    uint256_to_le(r.u.tip.work, &tip->chain_work);
    reply_msg(s, req, &r);
}

static void serve_headers(serve_t *s, const server_req_t *req,
                          const wire_msg_t *m)
{
    const chain_t *chain = node_chain(s->node);
    const chain_node_t *fork =
        chain_find_fork(chain, (const uint8_t(*)[32])m->u.get_headers.hashes,
                        m->u.get_headers.count);
    uint8_t *hdrs = malloc((size_t)WIRE_MAX_HEADERS * BLOCK_HEADER_SIZE);
    if (!hdrs) {
        reply_error(s, req, ERR_NOMEM, "out of memory");
        return;
    }
    uint16_t count = 0;
    static const uint8_t zero[32];
    bool has_stop = memcmp(m->u.get_headers.stop, zero, 32) != 0;
    for (uint32_t h = fork->height + 1; count < WIRE_MAX_HEADERS; h++) {
        const chain_node_t *x = chain_at_height(chain, h);
        if (!x)
            break;
        block_header_serialize(hdrs + (size_t)count * BLOCK_HEADER_SIZE,
                               &x->block.header);
        count++;
        if (has_stop && memcmp(x->hash, m->u.get_headers.stop, 32) == 0)
            break;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_HEADERS);
    r.u.headers.count = count;
    r.u.headers.headers = hdrs;
    reply_msg(s, req, &r);
    free(hdrs);
}

static void serve_blocks(serve_t *s, const server_req_t *req,
                         const wire_msg_t *m)
{
    buf_t raws[WIRE_MAX_BLOCKS];
    wire_blob_t items[WIRE_MAX_BLOCKS];
    uint16_t count = 0;
    size_t total = 0;
    for (uint16_t i = 0; i < m->u.get_blocks.count && count < WIRE_MAX_BLOCKS;
         i++) {
        const chain_node_t *x = chain_get(
            node_chain(s->node), m->u.get_blocks.hashes + 32 * (size_t)i);
        if (!x)
            continue;
        buf_init(&raws[count]);
        if (block_serialize(&raws[count], &x->block) != 0 ||
            total + raws[count].len + 4 > WIRE_MAX_PAYLOAD - 2) {
            buf_deinit(&raws[count]);
            break;
        }
        total += raws[count].len + 4;
        items[count].data = raws[count].data;
        items[count].len = raws[count].len;
        count++;
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_BLOCKS);
    r.u.list.count = count;
    r.u.list.items = items;
    reply_msg(s, req, &r);
    for (uint16_t i = 0; i < count; i++)
        buf_deinit(&raws[i]);
}

typedef struct {
    buf_t *bufs;
    wire_blob_t *items;
    size_t n, max;
} mempool_dump_t;

static bool dump_tx(void *ctx, const tx_t *tx, const uint8_t txid[32])
{
    (void)txid;
    mempool_dump_t *d = ctx;
    if (d->n >= d->max)
        return false;
    buf_init(&d->bufs[d->n]);
    if (tx_serialize(&d->bufs[d->n], tx) != 0)
        return false;
    d->items[d->n].data = d->bufs[d->n].data;
    d->items[d->n].len = d->bufs[d->n].len;
    d->n++;
    return true;
}

static void serve_mempool(serve_t *s, const server_req_t *req)
{
    const mempool_t *mp = node_mempool(s->node);
    size_t max = mempool_count(mp);
    if (max > WIRE_MAX_MEMPOOL)
        max = WIRE_MAX_MEMPOOL;
    mempool_dump_t d = {calloc(max + 1, sizeof(buf_t)),
                        calloc(max + 1, sizeof(wire_blob_t)), 0, max};
    if (d.bufs && d.items)
        mempool_foreach(mp, dump_tx, &d);
    wire_msg_t r;
    wire_msg_init(&r, WIRE_MEMPOOL);
    r.u.list.count = (uint16_t)d.n;
    r.u.list.items = d.items;
    reply_msg(s, req, &r);
    for (size_t i = 0; i < d.n; i++)
        buf_deinit(&d.bufs[i]);
    free(d.bufs);
    free(d.items);
}

static void serve_submit(serve_t *s, const server_req_t *req,
                         const wire_msg_t *m)
{
    tx_t tx;
    if (tx_parse_bytes(&tx, m->u.blob.data, m->u.blob.len) != 0) {
        reply_error(s, req, ERR_PARSE, "malformed transaction");
        return;
    }
    const char *why = NULL;
    int rc = node_accept_tx(s->node, &why, &tx, NULL, 0);
    if (rc == 0 || rc == ERR_DUPLICATE) {
        wire_msg_t r;
        wire_msg_init(&r, WIRE_ACK);
        reply_msg(s, req, &r);
    } else {
        reply_error(s, req, rc, why ? why : err_str(rc));
    }
}

/* One request of the peer protocol, or SUBMIT_TX; the lock is held. */
static void serve_one(serve_t *s, const server_req_t *req)
{
    wire_msg_t m;
    if (decode(s, &m, req) != 0)
        return;
    switch (m.type) {
    case WIRE_HELLO:
    case WIRE_GET_TIP:
        serve_tip(s, req);
        break;
    case WIRE_GET_HEADERS:
        serve_headers(s, req, &m);
        break;
    case WIRE_GET_BLOCKS:
        serve_blocks(s, req, &m);
        break;
    case WIRE_GET_MEMPOOL:
        serve_mempool(s, req);
        break;
    case WIRE_SUBMIT_TX:
        serve_submit(s, req, &m);
        break;
    default:
        reply_error(s, req, ERR_ARG, "not a request this node answers");
        break;
    }
    wire_msg_clear(&m);
}

/* ---- queries and batches (taking the lock themselves) -------------------- */

/* A JSON query (rpc.h): parsed and answered without the node lock but for
 * node_query's time inside it. */
static void serve_query(serve_t *s, const server_req_t *req)
{
    wire_msg_t m;
    if (decode(s, &m, req) != 0)
        return;
    json_error_t jerr;
    json_t *q = json_loadb((const char *)m.u.blob.data, m.u.blob.len, 0, &jerr);
    wire_msg_clear(&m);
    json_t *answer =
        q ? node_query(s->node, q) : rpc_error(ERR_PARSE, "not JSON");
    json_decref(q);
    char *text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    if (!text) {
        reply_error(s, req, ERR_NOMEM, "out of memory");
        return;
    }
    buf_t out;
    buf_init(&out);
    if (wire_encode_blob(&out, net_id(s), WIRE_REPLY, text, strlen(text)) != 0)
        reply_error(s, req, ERR_RANGE, "reply too large");
    else if (server_reply(s->server, req, out.data, out.len) != 0)
        log_debug("node", "could not send a reply");
    buf_deinit(&out);
    free(text);
}

/* SUBMIT_TXS: many transactions in one request, one answer each, the lock
 * taken around each mempool admission only. The accepted ones leave in
 * NEW_TXS frames as usual. */
static void serve_submit_batch(serve_t *s, const server_req_t *req)
{
    wire_msg_t m;
    if (decode(s, &m, req) != 0)
        return;
    wire_result_t *res =
        calloc(m.u.list.count ? m.u.list.count : 1, sizeof *res);
    if (!res) {
        reply_error(s, req, ERR_NOMEM, "out of memory");
        wire_msg_clear(&m);
        return;
    }
    for (size_t i = 0; i < m.u.list.count; i++) {
        tx_t tx;
        uint8_t txid[32];
        const char *why = NULL;
        if (tx_parse_bytes(&tx, m.u.list.items[i].data,
                           m.u.list.items[i].len) != 0) {
            res[i].code = ERR_PARSE;
            strcpy(res[i].reason, "malformed transaction");
            continue;
        }
        tx_compute_txid(txid, &tx);
        if (node_lock_within(s->node, SERVE_LOCK_WAIT_MS) != 0) {
            /* This one and the rest: the main loop keeps the lock. */
            for (size_t k = i; k < m.u.list.count; k++) {
                res[k].code = ERR_FULL;
                busy_reason(s->node, res[k].reason, sizeof res[k].reason);
            }
            break;
        }
        int rc = node_accept_tx(s->node, &why, &tx, txid, 0);
        node_unlock(s->node);
        if (rc != 0 && rc != ERR_DUPLICATE) {
            res[i].code = rc;
            snprintf(res[i].reason, sizeof res[i].reason, "%s",
                     why ? why : err_str(rc));
        }
    }
    /* (Without the lock, the main loop flushes them at the end of its
     * turn.) */
    if (node_lock_within(s->node, SERVE_LOCK_WAIT_MS) == 0) {
        node_flush_relay(s->node);
        node_unlock(s->node);
    }
    wire_msg_t r;
    wire_msg_init(&r, WIRE_SUBMITTED);
    r.u.results.count = m.u.list.count;
    r.u.results.items = res;
    reply_msg(s, req, &r);
    free(res);
    wire_msg_clear(&m);
}

/* ---- the thread ---------------------------------------------------------- */

/* Whether a request counts against its connection's budget: the peer
 * protocol's requests and anything that is not a well-formed request of our
 * network. */
static bool limited_kind(const serve_t *s, const server_req_t *req,
                         int *peek_rc, uint16_t *type)
{
    *type = 0;
    *peek_rc = wire_peek(type, net_id(s), req->data, req->len);
    return *peek_rc != 0 || (*type != WIRE_QUERY && *type != WIRE_SUBMIT_TX &&
                             *type != WIRE_SUBMIT_TXS);
}

static void handle(serve_t *s, const server_req_t *req, uint64_t now_ms)
{
    int peek_rc;
    uint16_t type;
    if (limited_kind(s, req, &peek_rc, &type) &&
        !reqlimit_take(&s->limiter, req->id, req->id_len, now_ms)) {
        atomic_fetch_add(&s->limited, 1);
        reply_error(s, req, ERR_FULL, "rate-limited");
        return;
    }
    if (peek_rc != 0 && refuse_stranger(s, req, peek_rc))
        return;
    bool malformed = peek_rc != 0;
    if (malformed)
        atomic_fetch_add(&s->malformed, 1);
    if (!malformed && type == WIRE_GET_KEY) {
        wire_msg_t r;
        wire_msg_init(&r, WIRE_KEY);
        memcpy(r.u.key.key, s->key, sizeof s->key);
        r.u.key.port = s->keyed_port;
        reply_msg(s, req, &r);
    } else if (!malformed && type == WIRE_SUBMIT_TXS) {
        serve_submit_batch(s, req);
    } else if (!malformed && type == WIRE_QUERY) {
        serve_query(s, req);
    } else if (node_lock_within(s->node, SERVE_LOCK_WAIT_MS) == 0) {
        serve_one(s, req);
        node_unlock(s->node);
    } else {
        char why[WIRE_MAX_STR + 1];
        busy_reason(s->node, why, sizeof why);
        reply_error(s, req, ERR_FULL, why);
    }
}

static void *serve_main(void *arg)
{
    serve_t *s = arg;
    while (!atomic_load(&s->stop)) {
        server_req_t req;
        if (server_recv(s->server, &req, SERVE_WAIT_MS) != 0)
            continue;
        handle(s, &req, node_now_ms());
        server_req_clear(&req);
    }
    return NULL;
}

serve_t *serve_new(node_t *n, const char *endpoint, const char *keyed,
                   const identity_t *key)
{
    serve_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->node = n;
    reqlimit_init(&s->limiter);
    atomic_init(&s->stop, false);
    atomic_init(&s->limited, 0);
    atomic_init(&s->malformed, 0);
    s->server = server_new_keyed(keyed, endpoint, key);
    char host[SOCK_ENDPOINT_MAX];
    if (!s->server ||
        sock_parse_hostport(host, sizeof host, &s->keyed_port,
                            server_keyed_endpoint(s->server)) != 0) {
        server_free(&s->server);
        free(s);
        return NULL;
    }
    memcpy(s->key, key->pub, sizeof s->key);
    return s;
}

int serve_start(serve_t *s)
{
    if (s->started)
        return 0;
    atomic_store(&s->stop, false);
    if (pthread_create(&s->thread, NULL, serve_main, s) != 0)
        return ERR_NOMEM;
    s->started = true;
    return 0;
}

void serve_stop(serve_t *s)
{
    if (!s || !s->started)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    s->started = false;
}

void serve_free(serve_t **sp)
{
    if (!sp || !*sp)
        return;
    serve_stop(*sp);
    server_free(&(*sp)->server);
    free(*sp);
    *sp = NULL;
}

void serve_counts(serve_t *s, uint64_t *limited, uint64_t *malformed)
{
    *limited = atomic_load(&s->limited);
    *malformed = atomic_load(&s->malformed);
}
