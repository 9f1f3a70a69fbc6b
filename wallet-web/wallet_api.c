/*
 * wallet_api — the wallet service's HTTP API and page (see wallet_api.h).
 *
 * The file has four parts: request parsing (pure functions, unit-tested),
 * the memory of sent transfers, the API handlers (each turns one request
 * into a JSON reply and a status, asking the node through the link), and
 * the libmicrohttpd glue (request bodies, checks on headers, static files).
 *
 * Every handler runs on libmicrohttpd's single internal thread, which is
 * the only thread that touches the node link and the sent-transfer memory,
 * so neither needs a lock.
 */
#include "wallet_api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amount.h"
#include "err.h"
#include "hex.h"
#include "log.h"
#include "node_link.h"
#include "sock.h"

/* How long a send waits for the tracker's relay to reach our node before
 * handing the transfer to the node itself. */
#define WALLET_API_RELAY_WAIT_MS 500

/* ---- request parsing -------------------------------------------------------
 */

int wallet_api_parse_amount(uint64_t *units, const char **why, const json_t *v,
                            bool allow_zero)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    uint64_t u;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0) {
            *why = "must be positive";
            return ERR_ARG;
        }
        if ((uint64_t)i > MAX_MONEY) {
            *why = "is more than the 21,000,000 coins that can ever exist";
            return ERR_RANGE;
        }
        u = (uint64_t)i;
    } else if (json_is_string(v)) {
        int rc = amount_parse_coins(&u, why, json_string_value(v));
        if (rc)
            return rc;
    } else {
        *why = json_is_real(v)
                   ? "must be a whole number of base units (1 coin = "
                     "100000000) or a string of coins such as \"1.5\"; "
                     "fractions as JSON numbers are not exact"
                   : "must be a number of base units or a string of coins";
        return ERR_ARG;
    }
    if (u == 0 && !allow_zero) {
        *why = "must be more than zero";
        return ERR_ARG;
    }
    *units = u;
    return 0;
}

static void put_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

int wallet_api_parse_send(wallet_api_send_t *out, char *why, size_t why_len,
                          const char *hrp, const char *body, size_t len)
{
    if (len > WALLET_API_MAX_BODY) {
        put_why(why, why_len, "the request body is larger than %d bytes",
                WALLET_API_MAX_BODY);
        return ERR_RANGE;
    }
    if (!body || len == 0) {
        put_why(why, why_len,
                "the request body is empty; send a JSON object "
                "{\"recipient\", \"amount\", \"fee\"?, \"sign\"?}");
        return ERR_PARSE;
    }
    json_error_t jerr;
    json_t *j =
        json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!j) {
        if (strstr(jerr.text, "too big"))
            put_why(why, why_len,
                    "a number in the body is too large (amounts are at most "
                    "21,000,000 coins)");
        else
            put_why(why, why_len, "the request body is not JSON: %s",
                    jerr.text);
        return ERR_PARSE;
    }
    int rc = ERR_ARG;
    wallet_api_send_t s;
    memset(&s, 0, sizeof s);
    s.fee = WALLET_API_DEFAULT_FEE;
    s.sign = true;
    const char *key;
    json_t *v;
    const char *phrase = NULL;
    if (!json_is_object(j)) {
        put_why(why, why_len, "the request body must be a JSON object");
        goto done;
    }
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "recipient") && strcmp(key, "amount") &&
            strcmp(key, "fee") && strcmp(key, "sign")) {
            put_why(why, why_len,
                    "unknown field \"%.40s\" (expected recipient, amount, "
                    "fee, sign)",
                    key);
            goto done;
        }
    }
    v = json_object_get(j, "recipient");
    if (!v) {
        put_why(why, why_len, "\"recipient\" is missing");
        goto done;
    }
    if (!json_is_string(v)) {
        put_why(why, why_len, "\"recipient\" must be a string (an address)");
        goto done;
    }
    const char *addr = json_string_value(v);
    if (strlen(addr) >= sizeof s.recipient) {
        put_why(why, why_len, "\"recipient\": address too long");
        goto done;
    }
    if (address_decode(s.recipient_key, &phrase, hrp, addr) != 0) {
        put_why(why, why_len, "\"recipient\": %s",
                phrase ? phrase : "not a valid address");
        goto done;
    }
    memcpy(s.recipient, addr, strlen(addr) + 1);
    v = json_object_get(j, "amount");
    if (!v) {
        put_why(why, why_len, "\"amount\" is missing");
        goto done;
    }
    rc = wallet_api_parse_amount(&s.amount, &phrase, v, false);
    if (rc) {
        put_why(why, why_len, "\"amount\" %s", phrase);
        goto done;
    }
    v = json_object_get(j, "fee");
    if (v) {
        rc = wallet_api_parse_amount(&s.fee, &phrase, v, true);
        if (rc) {
            put_why(why, why_len, "\"fee\" %s", phrase);
            goto done;
        }
    }
    rc = ERR_ARG;
    if (s.amount + s.fee > MAX_MONEY) { /* both <= MAX_MONEY: no overflow */
        put_why(why, why_len,
                "amount plus fee is more than the 21,000,000 coins that can "
                "ever exist");
        rc = ERR_RANGE;
        goto done;
    }
    v = json_object_get(j, "sign");
    if (v) {
        if (!json_is_boolean(v)) {
            put_why(why, why_len, "\"sign\" must be true or false");
            goto done;
        }
        s.sign = json_is_true(v);
    }
    *out = s;
    rc = 0;
done:
    json_decref(j);
    return rc;
}

/* Parses a whole number in [min, max]. */
static bool parse_uint32(uint32_t *out, const char *s, uint32_t min,
                         uint32_t max)
{
    if (!s || !*s || strlen(s) > 10)
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

int wallet_api_parse_chain_query(wallet_api_chain_query_t *q, char *why,
                                 size_t why_len, const char *page,
                                 const char *limit, const char *from)
{
    wallet_api_chain_query_t r = {false, 0, 1, WALLET_API_PAGE_DEFAULT};
    if (page && from) {
        put_why(why, why_len, "give either \"page\" or \"from\", not both");
        return ERR_ARG;
    }
    if (page && !parse_uint32(&r.page, page, 1, 1000000000)) {
        put_why(why, why_len, "\"page\" must be a whole number from 1");
        return ERR_ARG;
    }
    if (limit && !parse_uint32(&r.limit, limit, 1, WALLET_API_PAGE_MAX)) {
        put_why(why, why_len, "\"limit\" must be a whole number from 1 to %d",
                WALLET_API_PAGE_MAX);
        return ERR_ARG;
    }
    if (from) {
        if (!parse_uint32(&r.from, from, 0, UINT32_MAX)) {
            put_why(why, why_len, "\"from\" must be a block height");
            return ERR_ARG;
        }
        r.by_height = true;
    }
    *q = r;
    return 0;
}

bool wallet_api_static_path_ok(const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || len > 200 || path[0] != '/')
        return false;
    bool seg_start = true;
    for (const char *p = path + 1; *p; p++) {
        if (*p == '/') {
            if (seg_start)
                return false; /* empty segment: "//" */
            seg_start = true;
            continue;
        }
        if (seg_start && *p == '.')
            return false;
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
        seg_start = false;
    }
    return true;
}

/* ---- the service's state
 * ----------------------------------------------------- */

typedef struct {
    bool used;
    uint8_t txid[32];
    tx_t tx;
    uint64_t sent_ms;
    bool rejected;
    char reason[256];
    char via[16]; /* "tracker+node", "node", "tracker" */
} sent_tx_t;

struct wallet_api {
    const params_t *params;
    const wallet_t *wallet;
    char address[ADDRESS_MAX_LEN];
    char http_host[64];
    uint16_t http_port;
    char web_root[512];
    node_link_t *link;
    struct MHD_Daemon *mhd;
    uint16_t bound_port;
    bool local_only; /* bound to loopback: check Host headers */
    sent_tx_t sent[WALLET_API_MAX_SENT];
    size_t sent_next;
};

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

static sent_tx_t *sent_find(wallet_api_t *a, const uint8_t txid[32])
{
    for (size_t i = 0; i < WALLET_API_MAX_SENT; i++)
        if (a->sent[i].used && memcmp(a->sent[i].txid, txid, 32) == 0)
            return &a->sent[i];
    return NULL;
}

static sent_tx_t *sent_add(wallet_api_t *a, const tx_t *tx,
                           const uint8_t txid[32])
{
    sent_tx_t *s = sent_find(a, txid);
    if (!s) {
        s = &a->sent[a->sent_next];
        a->sent_next = (a->sent_next + 1) % WALLET_API_MAX_SENT;
    }
    memset(s, 0, sizeof *s);
    s->used = true;
    memcpy(s->txid, txid, 32);
    s->tx = *tx;
    s->sent_ms = sock_now_ms();
    return s;
}

/* ---- replies
 * ------------------------------------------------------------------ */

static json_t *error_reply(int *status, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *error_reply(int *status, int code, const char *fmt, ...)
{
    char msg[WALLET_API_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *status = code;
    return json_pack("{s:s}", "error", msg);
}

/* The reply for a failed node or tracker exchange. */
static json_t *link_failure(int *status, const node_link_error_t *e)
{
    if (!e->remote) {
        if (e->code == ERR_TIMEOUT || e->code == ERR_NET)
            return error_reply(status, MHD_HTTP_SERVICE_UNAVAILABLE, "%s",
                               e->message);
        return error_reply(status, MHD_HTTP_BAD_GATEWAY, "%s", e->message);
    }
    int code = MHD_HTTP_BAD_GATEWAY;
    if (e->code == ERR_NOT_FOUND)
        code = MHD_HTTP_NOT_FOUND;
    else if (e->code == ERR_FULL) /* busy (stuck main loop), rate-limited */
        code = MHD_HTTP_SERVICE_UNAVAILABLE;
    else if (e->code == ERR_ARG || e->code == ERR_PARSE)
        code = MHD_HTTP_BAD_REQUEST;
    return error_reply(status, code, "%s", e->message);
}

static json_t *ok_reply(int *status, json_t *j)
{
    *status = j ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR;
    return j ? j : json_pack("{s:s}", "error", "out of memory");
}

static uint64_t get_u64(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* Asks the node; on failure *reply is the error to send. */
static json_t *ask(wallet_api_t *a, json_t **reply, int *status,
                   const char *method, json_t *params)
{
    json_t *res = NULL;
    node_link_error_t e;
    int rc = node_link_query(a->link, &res, &e, method, params);
    json_decref(params);
    if (rc) {
        *reply = link_failure(status, &e);
        return NULL;
    }
    /* A node whose main loop holds its lock answers status with what it
     * can tell without it (busy, src/node/rpc.h): no height, no tip. For the
     * page that is a node out of service, said as pickaxe-cli says it. */
    if (json_is_true(json_object_get(res, "busy"))) {
        json_t *loop = json_object_get(res, "main_loop");
        const char *where = json_string_value(json_object_get(loop, "where"));
        *reply = error_reply(
            status, MHD_HTTP_SERVICE_UNAVAILABLE,
            "the node is running but its main loop has not turned for %.1f s "
            "(stuck in \"%s\")",
            (double)get_u64(loop, "turn_age_ms") / 1000.0, where ? where : "?");
        json_decref(res);
        return NULL;
    }
    return res;
}

/* ---- handlers
 * ------------------------------------------------------------------ */

static json_t *h_address(wallet_api_t *a, int *status)
{
    return ok_reply(status, json_pack("{s:s,s:s}", "address", a->address,
                                      "network", a->params->name));
}

static json_t *h_balance(wallet_api_t *a, int *status)
{
    json_t *reply = NULL;
    json_t *r = ask(a, &reply, status, "balance",
                    json_pack("{s:s}", "address", a->address));
    return r ? ok_reply(status, r) : reply;
}

static json_t *h_connect(wallet_api_t *a, int *status)
{
    json_t *reply = NULL;
    json_t *st = ask(a, &reply, status, "status", NULL);
    if (!st)
        return reply;
    const char *net = json_string_value(json_object_get(st, "network"));
    if (!net || strcmp(net, a->params->name) != 0) {
        json_decref(st);
        return error_reply(status, MHD_HTTP_BAD_GATEWAY,
                           "the node is on network %s, the wallet on %s",
                           net ? net : "?", a->params->name);
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
    return ok_reply(status, r);
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
    wallet_api_query_t none = {NULL, NULL, NULL};
    if (!query)
        query = &none;
    if (wallet_api_parse_chain_query(&q, why, sizeof why, query->page,
                                     query->limit, query->from) != 0)
        return error_reply(status, MHD_HTTP_BAD_REQUEST, "%s", why);
    json_t *reply = NULL;
    json_t *st = ask(a, &reply, status, "status", NULL);
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
        blocks = ask(a, &reply, status, "getchain",
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
    return ok_reply(status,
                    json_pack("{s:I,s:I,s:i,s:I,s:I,s:o}", "height", height,
                              "page", (json_int_t)(offset / q.limit + 1),
                              "limit", (int)q.limit, "pages",
                              (total + q.limit - 1) / q.limit, "from",
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

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

static json_t *h_block(wallet_api_t *a, int *status, const char *id)
{
    json_t *params;
    uint32_t height;
    if (is_hex64(id))
        params = json_pack("{s:s}", "hash", id);
    else if (parse_uint32(&height, id, 0, UINT32_MAX))
        params = json_pack("{s:I}", "height", (json_int_t)height);
    else
        return error_reply(status, MHD_HTTP_BAD_REQUEST,
                           "a block is named by its height or its 64-hex "
                           "hash");
    json_t *reply = NULL;
    json_t *b = ask(a, &reply, status, "getblock", params);
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
    return ok_reply(status, b);
}

/* After the tracker took a transfer: waits up to WALLET_API_RELAY_WAIT_MS
 * for its relay to reach our node. Returns the node's status for it
 * ("pending", "rejected" with *reason, "confirmed"), or NULL when the node
 * has not heard of it (or does not answer). */
static const char *await_relay(wallet_api_t *a, char *reason, size_t reason_len,
                               const char *txid_hex)
{
    static const char *const known[] = {"pending", "rejected", "confirmed"};
    uint64_t end = sock_now_ms() + WALLET_API_RELAY_WAIT_MS;
    for (;;) {
        json_t *res = NULL;
        json_t *p = json_pack("{s:s}", "txid", txid_hex);
        node_link_error_t e;
        int rc = p ? node_link_query(a->link, &res, &e, "tx", p) : ERR_NOMEM;
        json_decref(p);
        if (rc) {
            json_decref(res);
            return NULL;
        }
        const char *st = json_string_value(json_object_get(res, "status"));
        for (size_t i = 0; st && i < 3; i++) {
            if (strcmp(st, known[i]) == 0) {
                const char *why =
                    json_string_value(json_object_get(res, "reason"));
                snprintf(reason, reason_len, "%s", why ? why : "");
                json_decref(res);
                return known[i];
            }
        }
        json_decref(res);
        if (sock_now_ms() >= end)
            return NULL;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static json_t *h_send(wallet_api_t *a, int *status, const char *body,
                      size_t len)
{
    wallet_api_send_t s;
    char why[WALLET_API_ERR_MAX];
    int rc =
        wallet_api_parse_send(&s, why, sizeof why, a->params->hrp, body, len);
    if (rc == ERR_RANGE && len > WALLET_API_MAX_BODY)
        return error_reply(status, MHD_HTTP_CONTENT_TOO_LARGE, "%s", why);
    if (rc)
        return error_reply(status, MHD_HTTP_BAD_REQUEST, "%s", why);
    json_t *reply = NULL;
    json_t *bal = ask(a, &reply, status, "balance",
                      json_pack("{s:s}", "address", a->address));
    if (!bal)
        return reply;
    uint64_t available = get_u64(bal, "available");
    uint64_t nonce = get_u64(bal, "nonce");
    json_decref(bal);
    if (s.amount + s.fee > available)
        return error_reply(status, MHD_HTTP_BAD_REQUEST,
                           "insufficient funds: amount %" PRIu64
                           " + fee %" PRIu64 " = %" PRIu64
                           " base units, but only %" PRIu64 " are available",
                           s.amount, s.fee, s.amount + s.fee, available);
    tx_t tx;
    const char *phrase = NULL;
    rc = wallet_create_transaction(a->wallet, &tx, &phrase, s.recipient,
                                   s.amount, s.fee, nonce, s.sign,
                                   a->params->hrp, a->params->network_id);
    if (rc)
        return error_reply(status,
                           rc == ERR_ARG ? MHD_HTTP_BAD_REQUEST
                                         : MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "%s", phrase ? phrase : err_str(rc));
    uint8_t txid[32];
    char txid_hex[65];
    tx_compute_txid(txid, &tx);
    hex_from_hash(txid_hex, txid);

    /* The seed's flow: the tracker relays it to every node, ours included.
     * The relay is PUB/SUB, which may drop it, so when our node has not
     * heard of it shortly after, it gets it straight (the node's answer,
     * accepted or why not, is the same either way). */
    node_link_error_t te, ne;
    bool have_tracker = *node_link_tracker(a->link) != '\0';
    int trc =
        have_tracker ? node_link_submit(a->link, &te, true, &tx) : ERR_ARG;
    const char *st = NULL;
    char reason[256] = "";
    if (trc == 0)
        st = await_relay(a, reason, sizeof reason, txid_hex);
    bool direct = st == NULL;
    int nrc = 0;
    if (direct) {
        nrc = node_link_submit(a->link, &ne, false, &tx);
        if (nrc == 0) {
            st = "pending";
        } else if (ne.remote) {
            st = "rejected";
            snprintf(reason, sizeof reason, "%s", ne.message);
        } else if (trc == 0) {
            st = "pending"; /* relayed; our node is just not answering */
        } else {
            log_warn("wallet",
                     "send %.16s...: neither tracker nor node "
                     "answered",
                     txid_hex);
            return error_reply(status, MHD_HTTP_SERVICE_UNAVAILABLE,
                               "nothing was sent: %s; %s",
                               have_tracker ? te.message : "no tracker",
                               ne.message);
        }
    }
    sent_tx_t *rec = sent_add(a, &tx, txid);
    snprintf(rec->via, sizeof rec->via, "%s",
             trc != 0                            ? "node"
             : direct && (nrc == 0 || ne.remote) ? "tracker+node"
                                                 : "tracker");
    if (strcmp(st, "rejected") == 0) {
        rec->rejected = true;
        snprintf(rec->reason, sizeof rec->reason, "%s", reason);
    }
    log_info("wallet",
             "sent %s (%s, %" PRIu64 " units to %.24s..., nonce %" PRIu64
             ") via %s: %s%s%s",
             txid_hex, s.sign ? "signed" : "unsigned", s.amount, s.recipient,
             nonce, rec->via, st, rec->rejected ? ": " : "", rec->reason);
    json_t *r =
        json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:s}", "txid", txid_hex,
                  "status", st, "via", rec->via, "nonce", (json_int_t)nonce,
                  "amount", (json_int_t)s.amount, "fee", (json_int_t)s.fee,
                  "signed", s.sign, "recipient", s.recipient);
    if (r && rec->rejected)
        json_object_set_new(r, "reason", json_string(rec->reason));
    return ok_reply(status, r);
}

static json_t *h_tx(wallet_api_t *a, int *status, const char *id)
{
    uint8_t txid[32];
    if (!is_hex64(id) || hex_to_hash(txid, id) != 0)
        return error_reply(status, MHD_HTTP_BAD_REQUEST,
                           "a transaction id is 64 hex characters");
    json_t *reply = NULL;
    json_t *r = ask(a, &reply, status, "tx", json_pack("{s:s}", "txid", id));
    if (!r)
        return reply;
    sent_tx_t *s = sent_find(a, txid);
    const char *st = json_string_value(json_object_get(r, "status"));
    if (s && st && strcmp(st, "unknown") == 0) {
        if (!s->rejected) {
            /* The node lost it or never got it (a dropped relay, a
             * restart): hand it over again; its answer settles it. */
            node_link_error_t e;
            int rc = node_link_submit(a->link, &e, false, &s->tx);
            if (rc == 0) {
                st = "pending";
            } else if (e.remote) {
                s->rejected = true;
                snprintf(s->reason, sizeof s->reason, "%s", e.message);
            }
        }
        if (s->rejected) {
            st = "rejected";
            json_object_set_new(r, "reason", json_string(s->reason));
        }
        json_object_set_new(r, "status", json_string(st));
    }
    if (!s && st && strcmp(st, "unknown") == 0) {
        json_decref(r);
        return error_reply(status, MHD_HTTP_NOT_FOUND,
                           "unknown transaction: neither the node nor this "
                           "wallet knows it");
    }
    json_object_set_new(r, "sent", json_boolean(s != NULL));
    if (s)
        json_object_set_new(r, "via", json_string(s->via));
    return ok_reply(status, r);
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
    json_t *st = ask(a, &reply, status, "status", NULL);
    if (!st)
        return reply;
    json_t *peers = ask(a, &reply, status, "peers", NULL);
    if (!peers) {
        json_decref(st);
        return reply;
    }
    json_t *recent = ask(
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
    return ok_reply(status, r);
}

/* ---- routing
 * ------------------------------------------------------------------- */

static json_t *wrong_method(int *status, const char *want, const char *path)
{
    return error_reply(status, MHD_HTTP_METHOD_NOT_ALLOWED, "use %s for %s",
                       want, path);
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
        return post ? h_send(a, status, body, len)
                    : wrong_method(status, "POST", path);
    if (strncmp(path, "/transaction/", 13) == 0)
        return get ? h_tx(a, status, path + 13)
                   : wrong_method(status, "GET", path);
    if (strncmp(path, "/block/", 7) == 0)
        return get ? h_block(a, status, path + 7)
                   : wrong_method(status, "GET", path);
    if (strncmp(path, "/wallet/", 8) == 0)
        return error_reply(status, MHD_HTTP_NOT_FOUND, "no such endpoint: %s",
                           path);
    return NULL;
}

/* ---- HTTP
 * ---------------------------------------------------------------------- */

/* One request's state across libmicrohttpd's calls. */
typedef struct {
    char body[WALLET_API_MAX_BODY + 1];
    size_t len;
    bool too_big;
} conn_t;

static enum MHD_Result send_json(struct MHD_Connection *c, int status,
                                 json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        text = strdup("{\"error\":\"out of memory\"}");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        if (!text)
            return MHD_NO;
    }
    size_t n = strlen(text);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status,
                                  const char *msg)
{
    return send_json(c, status, json_pack("{s:s}", "error", msg));
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static enum MHD_Result serve_file(wallet_api_t *a, struct MHD_Connection *c,
                                  const char *url)
{
    if (!a->web_root[0])
        return send_error(c, MHD_HTTP_NOT_FOUND,
                          "this wallet service serves no page (--web-root)");
    const char *path = strcmp(url, "/") == 0 ? "/wallet_ui.html" : url;
    if (!wallet_api_static_path_ok(path))
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such file");
    char full[800];
    snprintf(full, sizeof full, "%s%s", a->web_root, path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such file");
    }
    struct MHD_Response *r =
        MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", content_type(path));
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(
        r, "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' "
        "'unsafe-inline'; frame-ancestors 'none'");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* True when a Host header names this machine's loopback (with any port):
 * a page of another site that rebinds its name to 127.0.0.1 sends its own
 * name, and is refused. */
static bool host_ok(const wallet_api_t *a, const char *host)
{
    if (!a->local_only || !host)
        return true;
    char name[128];
    snprintf(name, sizeof name, "%s", host);
    char *colon = name[0] == '[' ? strstr(name, "]:") : strrchr(name, ':');
    if (colon)
        colon[name[0] == '[' ? 1 : 0] = '\0';
    return strcmp(name, "127.0.0.1") == 0 || strcmp(name, "localhost") == 0 ||
           strcmp(name, "[::1]") == 0;
}

/* Checks made before a body is read: they decide on headers alone. */
static enum MHD_Result check_headers(wallet_api_t *a, struct MHD_Connection *c,
                                     bool post, bool *refused)
{
    *refused = true;
    const char *host =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host_ok(a, host))
        return send_error(c, MHD_HTTP_FORBIDDEN,
                          "this wallet answers only to 127.0.0.1 or "
                          "localhost");
    if (post) {
        const char *origin =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
        char self[200];
        snprintf(self, sizeof self, "http://%s", host ? host : "");
        if (origin && strcmp(origin, "null") != 0 && strcmp(origin, self) != 0)
            return send_error(c, MHD_HTTP_FORBIDDEN,
                              "cross-site requests are refused");
        const char *len = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (len && strtoull(len, NULL, 10) > WALLET_API_MAX_BODY) {
            char msg[100];
            snprintf(msg, sizeof msg,
                     "the request body is larger than %d bytes",
                     WALLET_API_MAX_BODY);
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
        }
        const char *type = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        bool has_body = len && strtoull(len, NULL, 10) > 0;
        bool chunked =
            MHD_lookup_connection_value(
                c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
        if ((has_body || chunked) &&
            (!type || strncasecmp(type, "application/json", 16) != 0))
            return send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "send the body as application/json");
    }
    *refused = false;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    wallet_api_t *a = cls;
    bool post = strcmp(method, "POST") == 0;
    conn_t *cc = *con_cls;
    if (!cc) {
        bool refused;
        enum MHD_Result ret = check_headers(a, c, post, &refused);
        if (refused)
            return ret;
        cc = calloc(1, sizeof *cc);
        if (!cc)
            return MHD_NO;
        *con_cls = cc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (cc->too_big || cc->len + n > WALLET_API_MAX_BODY) {
            cc->too_big = true; /* read and drop the rest */
        } else {
            memcpy(cc->body + cc->len, upload_data, n);
            cc->len += n;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (cc->too_big) {
        char msg[100];
        snprintf(msg, sizeof msg, "the request body is larger than %d bytes",
                 WALLET_API_MAX_BODY);
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
    }
    wallet_api_query_t q = {
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page"),
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"),
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from"),
    };
    int status = MHD_HTTP_OK;
    json_t *reply =
        wallet_api_handle(a, &status, method, url, &q, cc->body, cc->len);
    if (reply) {
        log_debug("wallet", "%s %s -> %d", method, url, status);
        return send_json(c, status, reply);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "no such endpoint for this method");
    return serve_file(a, c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

/* libmicrohttpd's printf-style log callback; the attribute tells clang
 * (-Wformat-nonliteral, in the fuzz build) that fmt is a format. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[300];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("http", "%s", line);
}

int wallet_api_start(wallet_api_t *a, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    struct sockaddr *addr;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, a->http_host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(a->http_port);
        addr = (struct sockaddr *)&v4;
        a->local_only = (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, a->http_host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(a->http_port);
        addr = (struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
        a->local_only = IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr);
    } else {
        *reason = "the HTTP address must be a numeric IP address, e.g. "
                  "127.0.0.1";
        return ERR_ARG;
    }
    /* No MHD_USE_THREAD_PER_CONNECTION and no thread pool: every handler
     * runs on the one internal thread, which owns the node link's ZeroMQ
     * sockets from here on (starting the thread is a full barrier). */
    a->mhd = MHD_start_daemon(
        flags, a->http_port, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR,
        addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a, MHD_OPTION_END);
    if (!a->mhd) {
        *reason = errno == EADDRINUSE ? "the HTTP port is already in use"
                                      : "cannot listen on the HTTP address";
        return ERR_NET;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
    a->bound_port = info ? info->port : a->http_port;
    return 0;
}
