/*
 * wallet_api — the wallet service (see wallet_api.h): its life, its
 * replies, the handlers that answer from the node's queries, and the
 * routing of a request to its handler. Sending is in wallet_api_send.c,
 * request parsing in wallet_api_parse.c, HTTP in wallet_api_http.c
 * (wallet_api_impl.h says what they share).
 */
#include "wallet_api.h"

#include <math.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "err.h"
#include "wallet_api_impl.h"

/* ---- the service's life -------------------------------------------------- */

void wallet_api_config_init(wallet_api_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->http_host = "127.0.0.1";
    cfg->http_port = 8080;
    cfg->timeout_ms = 1500;
    cfg->retries = 1;
}

wallet_api_t *wallet_api_new(const wallet_api_config_t *cfg,
                             const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (!cfg->params || !cfg->wallet || !cfg->node || !cfg->http_host) {
        *reason = "missing network, wallet, node or HTTP address";
        return NULL;
    }
    if (strlen(cfg->http_host) >= 64 ||
        (cfg->web_root && strlen(cfg->web_root) >= 512)) {
        *reason = "HTTP address or web root too long";
        return NULL;
    }
    wallet_api_t *a = calloc(1, sizeof *a);
    if (!a) {
        *reason = "out of memory";
        return NULL;
    }
    a->params = cfg->params;
    a->wallet = cfg->wallet;
    snprintf(a->http_host, sizeof a->http_host, "%s", cfg->http_host);
    a->http_port = cfg->http_port;
    if (cfg->web_root)
        snprintf(a->web_root, sizeof a->web_root, "%s", cfg->web_root);
    if (wallet_get_public_key_str(a->wallet, a->params->hrp, a->address,
                                  sizeof a->address) != 0) {
        *reason = "cannot encode the wallet's address";
        free(a);
        return NULL;
    }
    a->link = node_link_new(a->params, cfg->node, cfg->tracker,
                            cfg->timeout_ms > 0 ? cfg->timeout_ms : 1500,
                            cfg->retries >= 0 ? cfg->retries : 0);
    if (!a->link) {
        *reason = "bad node or tracker endpoint (tcp://HOST:PORT)";
        free(a);
        return NULL;
    }
    return a;
}

uint16_t wallet_api_port(const wallet_api_t *a)
{
    return a->bound_port;
}

void wallet_api_free(wallet_api_t **a)
{
    if (!a || !*a)
        return;
    if ((*a)->mhd)
        MHD_stop_daemon((*a)->mhd);
    node_link_free(&(*a)->link);
    free(*a);
    *a = NULL;
}

/* ---- replies ------------------------------------------------------------- */

json_t *wallet_api_error_reply(int *status, int code, const char *fmt, ...)
{
    char msg[WALLET_API_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *status = code;
    return json_pack("{s:s}", "error", msg);
}

json_t *wallet_api_link_failure(int *status, const node_link_error_t *e)
{
    if (!e->remote) {
        if (e->code == ERR_TIMEOUT || e->code == ERR_NET)
            return wallet_api_error_reply(status, MHD_HTTP_SERVICE_UNAVAILABLE,
                                          "%s", e->message);
        return wallet_api_error_reply(status, MHD_HTTP_BAD_GATEWAY, "%s",
                                      e->message);
    }
    int code = MHD_HTTP_BAD_GATEWAY;
    if (e->code == ERR_NOT_FOUND)
        code = MHD_HTTP_NOT_FOUND;
    else if (e->code == ERR_FULL) /* busy (stuck main loop), rate-limited */
        code = MHD_HTTP_SERVICE_UNAVAILABLE;
    else if (e->code == ERR_ARG || e->code == ERR_PARSE)
        code = MHD_HTTP_BAD_REQUEST;
    return wallet_api_error_reply(status, code, "%s", e->message);
}

json_t *wallet_api_ok_reply(int *status, json_t *j)
{
    *status = j ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR;
    return j ? j : json_pack("{s:s}", "error", "out of memory");
}

static uint64_t get_u64(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

json_t *wallet_api_ask(wallet_api_t *a, json_t **reply, int *status,
                       const char *method, json_t *params)
{
    json_t *res = NULL;
    node_link_error_t e;
    int rc = node_link_query(a->link, &res, &e, method, params);
    json_decref(params);
    if (rc) {
        *reply = wallet_api_link_failure(status, &e);
        return NULL;
    }
    /* A node whose main loop holds its lock answers status with what it
     * can tell without it (busy, src/node/rpc.h): no height, no tip. For the
     * page that is a node out of service, said as pickaxe-cli says it. */
    if (json_is_true(json_object_get(res, "busy"))) {
        json_t *loop = json_object_get(res, "main_loop");
        const char *where = json_string_value(json_object_get(loop, "where"));
        *reply = wallet_api_error_reply(
            status, MHD_HTTP_SERVICE_UNAVAILABLE,
            "the node is running but its main loop has not turned for %.1f s "
            "(stuck in \"%s\")",
            (double)get_u64(loop, "turn_age_ms") / 1000.0, where ? where : "?");
        json_decref(res);
        return NULL;
    }
    return res;
}

/* ---- handlers ------------------------------------------------------------ */

static json_t *h_address(wallet_api_t *a, int *status)
{
    return wallet_api_ok_reply(
        status, json_pack("{s:s,s:s,s:I}", "address", a->address, "network",
                          a->params->name, "default_fee",
                          (json_int_t)AMOUNT_DEFAULT_FEE));
}

static json_t *h_balance(wallet_api_t *a, int *status)
{
    json_t *reply = NULL;
    json_t *r = wallet_api_ask(a, &reply, status, "balance",
                               json_pack("{s:s}", "address", a->address));
    return r ? wallet_api_ok_reply(status, r) : reply;
}

static json_t *h_connect(wallet_api_t *a, int *status)
{
    json_t *reply = NULL;
    json_t *st = wallet_api_ask(a, &reply, status, "status", NULL);
    if (!st)
        return reply;
    const char *net = json_string_value(json_object_get(st, "network"));
    if (!net || strcmp(net, a->params->name) != 0) {
        json_decref(st);
        return wallet_api_error_reply(
            status, MHD_HTTP_BAD_GATEWAY,
            "the node is on network %s, the wallet on %s", net ? net : "?",
            a->params->name);
    }
    json_t *r = json_pack(
        "{s:b,s:s,s:O,s:O,s:s,s:s,s:s}", "connected", 1, "network",
        a->params->name, "height", json_object_get(st, "height"), "peers",
        json_object_get(st, "peers"), "node", node_link_node(a->link),
        "tracker", node_link_tracker(a->link), "address", a->address);
    json_decref(st);
    if (r && *node_link_tracker(a->link)) {
        size_t peers = 0;
        node_link_error_t e;
        bool up = node_link_tracker_peers(a->link, &peers, &e) == 0;
        json_object_set_new(r, "tracker_reachable", json_boolean(up));
        if (up)
            json_object_set_new(r, "tracker_peers",
                                json_integer((json_int_t)peers));
        else
            json_object_set_new(r, "tracker_error", json_string(e.message));
    }
    return wallet_api_ok_reply(status, r);
}

/* Trims a block view for the page: no raw bytes; adds miner and txCount. */
static void trim_block(json_t *b)
{
    json_object_del(b, "raw");
    json_t *data = json_object_get(b, "data");
    json_object_set_new(b, "txCount",
                        json_integer((json_int_t)json_array_size(data)));
    json_t *cb = json_array_get(data, 0);
    json_t *to = json_object_get(cb, "to");
    if (to)
        json_object_set(b, "miner", to);
}

static json_t *h_blockchain(wallet_api_t *a, int *status,
                            const wallet_api_query_t *query)
{
    wallet_api_chain_query_t q;
    char why[WALLET_API_ERR_MAX];
    wallet_api_query_t none = {NULL, NULL, NULL, NULL};
    if (!query)
        query = &none;
    if (wallet_api_parse_chain_query(&q, why, sizeof why, query->page,
                                     query->limit, query->from) != 0)
        return wallet_api_error_reply(status, MHD_HTTP_BAD_REQUEST, "%s", why);
    json_t *reply = NULL;
    json_t *st = wallet_api_ask(a, &reply, status, "status", NULL);
    if (!st)
        return reply;
    json_int_t height = json_integer_value(json_object_get(st, "height"));
    json_decref(st);
    json_int_t offset;
    if (q.by_height)
        offset = q.from >= height ? 0 : height - q.from;
    else
        offset = (json_int_t)(q.page - 1) * q.limit;
    json_t *blocks = NULL;
    if (offset <= height) {
        blocks =
            wallet_api_ask(a, &reply, status, "getchain",
                           json_pack("{s:I,s:i,s:b}", "from", offset, "limit",
                                     (int)q.limit, "newest_first", 1));
        if (!blocks)
            return reply;
    } else {
        blocks = json_array();
    }
    size_t i;
    json_t *b;
    json_array_foreach(blocks, i, b) trim_block(b);
    json_int_t total = height + 1;
    return wallet_api_ok_reply(
        status,
        json_pack("{s:I,s:I,s:i,s:I,s:I,s:o}", "height", height, "page",
                  (json_int_t)(offset / q.limit + 1), "limit", (int)q.limit,
                  "pages", (total + q.limit - 1) / q.limit, "from",
                  height - offset, "blocks", blocks));
}

/* Adds the balance of `field`'s address right after the transaction. */
static void add_balance_after(wallet_api_t *a, json_t *tx, const char *field,
                              const char *out_field)
{
    json_t *addr = json_object_get(tx, field);
    json_t *txid = json_object_get(tx, "txid");
    if (!json_is_string(addr) || !json_is_string(txid))
        return;
    /* The genesis coinbase pays a key that is no valid address (shown as
     * hex): the node would refuse to look it up. */
    if (strncmp(json_string_value(addr), a->params->hrp,
                strlen(a->params->hrp)) != 0)
        return;
    json_t *res = NULL;
    json_t *p = json_pack("{s:O,s:O}", "address", addr, "txid", txid);
    node_link_error_t e;
    if (p && node_link_query(a->link, &res, &e, "balance_after", p) == 0)
        json_object_set(tx, out_field, json_object_get(res, "balance"));
    json_decref(p);
    json_decref(res);
}

static json_t *h_block(wallet_api_t *a, int *status, const char *id)
{
    json_t *params;
    uint32_t height;
    if (wallet_api_is_hex64(id))
        params = json_pack("{s:s}", "hash", id);
    else if (wallet_api_parse_u32(&height, id, 0, UINT32_MAX))
        params = json_pack("{s:I}", "height", (json_int_t)height);
    else
        return wallet_api_error_reply(
            status, MHD_HTTP_BAD_REQUEST,
            "a block is named by its height or its 64-hex "
            "hash");
    json_t *reply = NULL;
    json_t *b = wallet_api_ask(a, &reply, status, "getblock", params);
    if (!b)
        return reply;
    trim_block(b);
    size_t i;
    json_t *tx;
    json_array_foreach(json_object_get(b, "data"), i, tx)
    {
        if (i >= 500)
            break; /* a bounded number of lookups per request */
        add_balance_after(a, tx, "from", "fromBalanceAfter");
        add_balance_after(a, tx, "to", "toBalanceAfter");
    }
    return wallet_api_ok_reply(status, b);
}

/* Expected hashes to find a block of these compact bits: 2^256 / target. */
static double bits_work(uint32_t bits)
{
    int exp = (int)(bits >> 24);
    double mant = (double)(bits & 0x007fffff);
    if (mant == 0)
        return 0;
    return ldexp(1.0 / mant, 256 - 8 * (exp - 3));
}

/* Network hashrate from the work and time span of recent blocks. */
static json_t *estimate_hashrate(const json_t *blocks)
{
    size_t n = json_array_size(blocks);
    /* The genesis block's time is fixed long ago: leave it out. */
    if (n && json_integer_value(json_object_get(json_array_get(blocks, n - 1),
                                                "blockHeight")) == 0)
        n--;
    if (n < 2)
        return json_null();
    double work = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        const char *bits = json_string_value(
            json_object_get(json_array_get(blocks, i), "bits"));
        if (bits)
            work += bits_work((uint32_t)strtoul(bits, NULL, 16));
    }
    json_int_t newest = json_integer_value(
        json_object_get(json_array_get(blocks, 0), "timestamp"));
    json_int_t oldest = json_integer_value(
        json_object_get(json_array_get(blocks, n - 1), "timestamp"));
    if (newest <= oldest)
        return json_null();
    return json_real(work / (double)(newest - oldest));
}

static json_t *h_network(wallet_api_t *a, int *status)
{
    json_t *reply = NULL;
    json_t *st = wallet_api_ask(a, &reply, status, "status", NULL);
    if (!st)
        return reply;
    json_t *peers = wallet_api_ask(a, &reply, status, "peers", NULL);
    if (!peers) {
        json_decref(st);
        return reply;
    }
    json_t *recent = wallet_api_ask(
        a, &reply, status, "getchain",
        json_pack("{s:i,s:i,s:b}", "from", 0, "limit", 20, "newest_first", 1));
    json_decref(reply); /* an estimate is optional */
    json_t *r = json_pack(
        "{s:O,s:O,s:O,s:O,s:O,s:O,s:s,s:{s:O,s:o},s:O,s:O,s:O,s:O,s:O,s:o,"
        "s:O}",
        "network", json_object_get(st, "network"), "height",
        json_object_get(st, "height"), "tip", json_object_get(st, "tip"),
        "difficulty", json_object_get(st, "difficulty"), "bits",
        json_object_get(st, "bits"), "mempool", json_object_get(st, "mempool"),
        "node", node_link_node(a->link), "hashrate", "node",
        json_object_get(st, "hashrate"), "network", estimate_hashrate(recent),
        "mining", json_object_get(st, "mining"), "threads",
        json_object_get(st, "threads"), "kernel", json_object_get(st, "kernel"),
        "uptime", json_object_get(st, "uptime"), "forks",
        json_object_get(st, "forks"), "peers", peers, "refused",
        json_object_get(st, "refused"));
    json_decref(recent);
    json_decref(st);
    if (r && *node_link_tracker(a->link)) {
        size_t count = 0;
        node_link_error_t e;
        bool up = node_link_tracker_peers(a->link, &count, &e) == 0;
        json_t *t = json_pack("{s:s,s:b}", "endpoint",
                              node_link_tracker(a->link), "reachable", up);
        if (t && up)
            json_object_set_new(t, "peers", json_integer((json_int_t)count));
        json_object_set_new(r, "tracker", t);
    }
    return wallet_api_ok_reply(status, r);
}

/* ---- routing ------------------------------------------------------------- */

static json_t *wrong_method(int *status, const char *want, const char *path)
{
    return wallet_api_error_reply(status, MHD_HTTP_METHOD_NOT_ALLOWED,
                                  "use %s for %s", want, path);
}

json_t *wallet_api_handle(wallet_api_t *a, int *status, const char *method,
                          const char *path, const wallet_api_query_t *query,
                          const char *body, size_t len)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (strcmp(path, "/wallet/address") == 0)
        return get ? h_address(a, status) : wrong_method(status, "GET", path);
    if (strcmp(path, "/wallet/balance") == 0)
        return get ? h_balance(a, status) : wrong_method(status, "GET", path);
    if (strcmp(path, "/connect") == 0)
        return post ? h_connect(a, status) : wrong_method(status, "POST", path);
    if (strcmp(path, "/blockchain") == 0)
        return get ? h_blockchain(a, status, query)
                   : wrong_method(status, "GET", path);
    if (strcmp(path, "/network") == 0)
        return get ? h_network(a, status) : wrong_method(status, "GET", path);
    if (strcmp(path, "/transaction/send") == 0)
        return post ? wallet_api_send(a, status, body, len)
                    : wrong_method(status, "POST", path);
    if (strncmp(path, "/transaction/", 13) == 0)
        return get ? wallet_api_tx(a, status, path + 13)
                   : wrong_method(status, "GET", path);
    if (strncmp(path, "/block/", 7) == 0)
        return get ? h_block(a, status, path + 7)
                   : wrong_method(status, "GET", path);
    if (strncmp(path, "/explorer/", 10) == 0)
        return get ? wallet_api_explorer(a, status, path, query)
                   : wrong_method(status, "GET", path);
    if (strncmp(path, "/wallet/", 8) == 0)
        return wallet_api_error_reply(status, MHD_HTTP_NOT_FOUND,
                                      "no such endpoint: %s", path);
    return NULL;
}
