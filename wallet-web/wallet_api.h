/*
 * wallet_api — the wallet service: the seed's wallet_api.py in C. An HTTP
 * server (libmicrohttpd) that serves the wallet page and a JSON API, signs
 * transfers with the wallet's key, and talks ZeroMQ to one node (queries,
 * node_link.h) and to the tracker (transaction relay).
 *
 * Endpoints (every reply is JSON; every error is a 4xx or 5xx with
 * {"error": "what is wrong"}; a node that does not answer, or answers that
 * its main loop is stuck holding its lock -- status "busy", or a query
 * refused as busy -- is a 503 that says so):
 *
 *   GET  /wallet/address       {address, network, default_fee}: default_fee
 *                              is the fee of a send that names none
 *                              (AMOUNT_DEFAULT_FEE), in base units
 *   GET  /wallet/balance       {address, confirmed, pending, available, nonce}
 *                              in base units (1 coin = 100,000,000)
 *   POST /connect              checks the node and the tracker:
 *                              {connected, network, height, node, tracker,
 *                               tracker_reachable, tracker_peers}
 *   GET  /blockchain           newest first, ?page=P&limit=N (P from 1) or
 *                              ?from=HEIGHT&limit=N (HEIGHT first, going
 *                              down); N in 1..100 (default 10):
 *                              {height, page, limit, pages, blocks: [...]}
 *   GET  /block/<hash|height>  the block, each transaction with the balances
 *                              of its sender and recipient right after it
 *                              (fromBalanceAfter, toBalanceAfter)
 *   POST /transaction/send     {recipient, amount, fee?, sign?} -> {txid,
 *                              status, via, nonce, amount, fee}
 *   GET  /transaction/<txid>   {txid, status: pending | confirmed (with
 *                              confirmations, height, block) | rejected
 *                              (with reason) | unknown, sent (bool)}
 *   GET  /network              {network, height, tip, difficulty, mempool,
 *                               hashrate: {node, network}, peers: [...]
 *                               (the node's, with responsive),
 *                               refused: {blocks, transactions}, tracker}
 *   GET  /explorer/tree?from=&limit=, /explorer/events?since=&limit=,
 *        /explorer/tips, /explorer/refused/<seq>
 *                              the explorer page's view of the node's block
 *                              tree, event log and branch tips
 *                              (wallet_api_explorer.c, rpc_explorer.h)
 *   GET  anything else         a file of the web root ("/" is wallet_ui.html,
 *                              "/explorer" explorer.html)
 *
 * Amounts in a send are JSON integers in base units, or strings of coins
 * read by amount.h ("1.5" = 150000000 units; its refusals after the field's
 * name), parsed exactly; never JSON reals. A send is built, signed and
 * submitted by transfer_send() (net/transfer.h), as pickaxe-cli's is: with
 * the account's next nonce (the node's balance method), refused when amount
 * + fee exceeds the available balance, signed unless sign is false (an
 * unsigned transfer exists only to show the network refusing it:
 * "bad-txns-unsigned"), then submitted to the tracker (the seed's flow: the
 * tracker relays it to every node). The relay is PUB/SUB, which may drop a
 * message, so when the wallet's own node has not heard of the transfer half
 * a second later, the node gets it straight; the same happens at once when
 * the tracker is unreachable. The send's reply carries the node's verdict
 * (pending, or rejected with the reason). The service remembers every
 * transfer it sent (the last WALLET_API_MAX_SENT), so /transaction/<txid>
 * reports a refusal even when the node kept no trace of it, and hands a
 * remembered transfer the node has lost to it again.
 *
 * Requests are checked before anything else: a body over
 * WALLET_API_MAX_BODY bytes is 413; a POST that is not application/json is
 * 415 (which also makes a browser ask before another site's page may post);
 * a Host header other than the address the service is bound to is refused
 * (DNS rebinding), and so is a POST whose Origin is another site.
 *
 * Threads: libmicrohttpd runs with MHD_USE_INTERNAL_POLLING_THREAD (poll) and
 * without thread-per-connection, so every request is handled, one after
 * another, on one thread, the one that owns the ZeroMQ sockets of the node
 * link (ZeroMQ sockets are single-threaded). A slow node therefore delays
 * other requests, by at most the link's (retries + 1) * timeout_ms.
 *
 * The parsing functions at the top (wallet_api_parse_*) use no sockets and
 * no state: they are what the unit tests check. They are thread-safe.
 */
#ifndef PICKAXE_WALLET_API_H
#define PICKAXE_WALLET_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "params.h"
#include "wallet.h"

/* Largest request body accepted, in bytes. */
#define WALLET_API_MAX_BODY 4096
/* Transfers remembered for /transaction/<txid>. */
#define WALLET_API_MAX_SENT 256
/* Blocks per /blockchain page: default and maximum. */
#define WALLET_API_PAGE_DEFAULT 10
#define WALLET_API_PAGE_MAX 100
/* Size of a buffer that holds any error message of this module. */
#define WALLET_API_ERR_MAX 256

/* ---- request parsing (no sockets, no state) ------------------------------ */

/**
 * Parses an amount field: a JSON integer of base units, or a string of coins
 * (amount_parse_coins() in amount.h).
 *
 * Returns: 0; ERR_ARG when the type is wrong (a real, a bool, ...) or the
 *          value is negative, or zero while allow_zero is false; ERR_PARSE
 *          or ERR_RANGE as amount_parse_coins() in amount.h, and ERR_RANGE
 *          for an integer above MAX_MONEY.
 * Out:     units  (only on success); why  a static phrase (may be NULL).
 * In:      v      the field's value (borrowed; NULL is ERR_ARG).
 */
int wallet_api_parse_amount(uint64_t *units, const char **why, const json_t *v,
                            bool allow_zero);

/* A parsed send request. */
typedef struct {
    char recipient[ADDRESS_MAX_LEN];
    uint8_t recipient_key[32];
    uint64_t amount; /* base units, > 0 */
    uint64_t fee;    /* base units */
    bool sign;
} wallet_api_send_t;

/**
 * Parses and checks the body of POST /transaction/send:
 *   {"recipient": ADDRESS, "amount": AMOUNT, "fee": AMOUNT?, "sign": BOOL?}
 * (fee defaults to AMOUNT_DEFAULT_FEE, sign to true; other fields are
 * refused, so a misspelt field name is not silently ignored).
 *
 * Returns: 0; ERR_RANGE for a body over WALLET_API_MAX_BODY or an amount out
 *          of range; ERR_PARSE when it is not JSON; ERR_ARG for a missing,
 *          unknown or wrongly typed field, a zero or negative amount, a
 *          recipient that does not decode (address_decode()'s reason), or
 *          amount + fee above MAX_MONEY.
 * Out:     out  (only on success).
 *          why  the problem, naming the field (always written on failure).
 * In:      hrp  the network's address prefix.
 *          body, len  the request body (need not be NUL-terminated).
 */
int wallet_api_parse_send(wallet_api_send_t *out, char *why, size_t why_len,
                          const char *hrp, const char *body, size_t len);

/* Which blocks GET /blockchain lists: `limit` blocks, the newest at height
 * tip - offset, going down. */
typedef struct {
    bool by_height; /* ?from= given: offset is computed from the tip */
    uint32_t from;  /* the height of the first block, when by_height */
    uint32_t page;  /* 1-based, when !by_height */
    uint32_t limit;
} wallet_api_chain_query_t;

/**
 * Parses the query parameters of GET /blockchain (each may be NULL).
 * Returns: 0; ERR_ARG when a value is not a whole number in range or page
 *          and from are both given.
 * Out:     q (only on success); why  written on failure.
 */
int wallet_api_parse_chain_query(wallet_api_chain_query_t *q, char *why,
                                 size_t why_len, const char *page,
                                 const char *limit, const char *from);

/**
 * True when a URL path below the web root names a file the service may
 * serve: "/" followed by segments of [A-Za-z0-9._-] that do not start with
 * a dot ("..", hidden files), at most 200 characters.
 */
bool wallet_api_static_path_ok(const char *path);

/* ---- the service -----------------------------------------------------------
 */

typedef struct wallet_api wallet_api_t;

typedef struct {
    const params_t *params; /* the network (borrowed) */
    const wallet_t *wallet; /* the key (borrowed; outlives the service) */
    const char *node;       /* "tcp://HOST:PORT" */
    const char *tracker;    /* "tcp://HOST:PORT" or NULL */
    const char *http_host;  /* address to bind, e.g. "127.0.0.1" */
    uint16_t http_port;     /* 0: any free port (wallet_api_port()) */
    const char *web_root;   /* directory of the page; NULL: API only */
    int timeout_ms;         /* one attempt to reach the node or tracker */
    int retries;            /* further attempts for a node query */
} wallet_api_config_t;

/* Fills cfg with defaults: 127.0.0.1:8080, timeouts 1500 ms, 1 retry. */
void wallet_api_config_init(wallet_api_config_t *cfg);

/**
 * Makes the service (not yet listening).
 * Returns: the service (owned; wallet_api_free()), or NULL with *reason set
 *          (a static phrase) when the configuration is wrong or memory or
 *          sockets ran out.
 */
wallet_api_t *wallet_api_new(const wallet_api_config_t *cfg,
                             const char **reason);

/**
 * Starts serving HTTP on the service's own thread.
 * Returns: 0; ERR_ARG when the host is not a numeric IPv4 or IPv6 address;
 *          ERR_NET when it cannot listen (reason says why).
 */
int wallet_api_start(wallet_api_t *a, const char **reason);

/* The port actually listened on (after wallet_api_start()), else 0. */
uint16_t wallet_api_port(const wallet_api_t *a);

/* Stops serving (waits for the HTTP thread) and frees *a. NULL harmless. */
void wallet_api_free(wallet_api_t **a);

/* Query parameters the API reads (each NULL when absent). */
typedef struct {
    const char *page, *limit, *from;
    const char *since; /* /explorer/events */
} wallet_api_query_t;

/**
 * Answers one API request without any HTTP: what the HTTP thread calls for
 * every request that is not a static file.
 *
 * Returns: a new JSON reply (the body), or NULL for a path that is not part
 *          of the API (then the caller serves a file or 404).
 * Out:     status  the HTTP status.
 * In:      method, path  e.g. "GET", "/wallet/balance".
 *          query   may be NULL.
 *          body, len  the request body (may be NULL when len is 0).
 * Thread safety: call from one thread at a time (the node link's).
 */
json_t *wallet_api_handle(wallet_api_t *a, int *status, const char *method,
                          const char *path, const wallet_api_query_t *query,
                          const char *body, size_t len);

#endif
