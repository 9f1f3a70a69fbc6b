/*
 * wallet_api_impl — what the files of the wallet service share, and no one
 * else: the service's state and the helpers that turn a node's answer or
 * failure into a reply.
 *
 *   wallet_api.c        the service's life (new, free), the replies, the
 *                       query handlers (address, balance, connect,
 *                       blockchain, block, network) and the routing;
 *   wallet_api_send.c   sending (POST /transaction/send, through
 *                       net/transfer.h), the memory of sent transfers and
 *                       GET /transaction/<txid>;
 *   wallet_api_explorer.c  the explorer page's queries (tree, events,
 *                       tips);
 *   wallet_api_parse.c  request parsing (pure functions);
 *   wallet_api_http.c   libmicrohttpd: request bodies, checks on headers,
 *                       static files, starting the server.
 *
 * Every handler runs on libmicrohttpd's single internal thread, the only
 * thread that touches the node link and the sent-transfer memory, so
 * neither needs a lock (wallet_api.h, "Threads").
 */
#ifndef PICKAXE_WALLET_API_IMPL_H
#define PICKAXE_WALLET_API_IMPL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "node_link.h"
#include "wallet_api.h"

struct MHD_Daemon;

/* A transfer this service sent, remembered for /transaction/<txid>. */
typedef struct {
    bool used;
    uint8_t txid[32];
    tx_t tx;
    uint64_t sent_ms;
    bool rejected;
    char reason[256];
    char via[16]; /* "tracker+node", "node", "tracker" */
} wallet_api_sent_t;

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
    wallet_api_sent_t sent[WALLET_API_MAX_SENT];
    size_t sent_next;
};

/* ---- replies (wallet_api.c) ---------------------------------------------- */

/* {"error": MESSAGE} with *status = code. */
json_t *wallet_api_error_reply(int *status, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* j with 200, or a 500 when j is NULL (out of memory). */
json_t *wallet_api_ok_reply(int *status, json_t *j);

/* The reply for a failed node or tracker exchange: 503 when nobody
 * answered or the node is busy, 404 for "no such", 400 for a refused
 * argument, else 502. */
json_t *wallet_api_link_failure(int *status, const node_link_error_t *e);

/*
 * Asks the node one query. A node whose main loop is stuck holding its lock
 * (an answer marked busy) counts as a failure: 503, said as pickaxe-cli
 * says it.
 * Returns: the result (json_decref() it), or NULL with *reply the error
 *          to send and *status its status. params is consumed.
 */
json_t *wallet_api_ask(wallet_api_t *a, json_t **reply, int *status,
                       const char *method, json_t *params);

/* ---- small parsers (wallet_api_parse.c) ---------------------------------- */

/* A whole decimal number in [min, max]; false for anything else. */
bool wallet_api_parse_u32(uint32_t *out, const char *s, uint32_t min,
                          uint32_t max);

/* True for 64 hex digits (a block hash or a txid). */
bool wallet_api_is_hex64(const char *s);

/* ---- sending (wallet_api_send.c) ----------------------------------------- */

/* POST /transaction/send. */
json_t *wallet_api_send(wallet_api_t *a, int *status, const char *body,
                        size_t len);

/* GET /transaction/<txid>. */
json_t *wallet_api_tx(wallet_api_t *a, int *status, const char *id);

/* ---- the explorer page (wallet_api_explorer.c) --------------------------- */

/* GET /explorer/tree, /explorer/events, /explorer/tips. */
json_t *wallet_api_explorer(wallet_api_t *a, int *status, const char *path,
                            const wallet_api_query_t *query);

#endif
