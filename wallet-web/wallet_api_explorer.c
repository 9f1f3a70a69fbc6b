/*
 * wallet_api_explorer — the explorer page's endpoints (wallet_api.h):
 * the node's tree, events and chaintips queries (rpc_explorer.h), passed
 * through with their arguments checked here first, so a bad one is a 400
 * that says what is wrong before the node is asked.
 *
 *   GET /explorer/tree?from=H&limit=N     tree {from?, count?: N (1..500)}
 *   GET /explorer/events?since=S&limit=N  events {since?, max?: N
 *                                          (1..1000)}
 *   GET /explorer/tips                    chaintips
 *   GET /explorer/refused/<seq>           refusedblock {seq}: the first
 *                                          transactions of a refused block
 *
 * The page polls /explorer/events with the last sequence number it saw
 * every 0.3 s and asks for the tree again when something happened
 * to the chain: each poll is one query to the node.
 */
#include "wallet_api_impl.h"

#include <microhttpd.h>
#include <string.h>

static json_t *h_tree(wallet_api_t *a, int *status, const wallet_api_query_t *q)
{
    json_t *params = json_object();
    uint32_t v;
    if (q->from) {
        if (!wallet_api_parse_u32(&v, q->from, 0, UINT32_MAX)) {
            json_decref(params);
            return wallet_api_error_reply(status, MHD_HTTP_BAD_REQUEST,
                                          "\"from\" must be a block height");
        }
        json_object_set_new(params, "from", json_integer((json_int_t)v));
    }
    if (q->limit) {
        if (!wallet_api_parse_u32(&v, q->limit, 1, 500)) {
            json_decref(params);
            return wallet_api_error_reply(
                status, MHD_HTTP_BAD_REQUEST,
                "\"limit\" must be a whole number from 1 to 500");
        }
        json_object_set_new(params, "count", json_integer((json_int_t)v));
    }
    json_t *reply = NULL;
    json_t *r = wallet_api_ask(a, &reply, status, "tree", params);
    return r ? wallet_api_ok_reply(status, r) : reply;
}

static json_t *h_events(wallet_api_t *a, int *status,
                        const wallet_api_query_t *q)
{
    json_t *params = json_object();
    uint32_t v;
    if (q->since) {
        if (!wallet_api_parse_u32(&v, q->since, 0, UINT32_MAX)) {
            json_decref(params);
            return wallet_api_error_reply(
                status, MHD_HTTP_BAD_REQUEST,
                "\"since\" must be an event number (a whole number)");
        }
        json_object_set_new(params, "since", json_integer((json_int_t)v));
    }
    if (q->limit) {
        if (!wallet_api_parse_u32(&v, q->limit, 1, 1000)) {
            json_decref(params);
            return wallet_api_error_reply(
                status, MHD_HTTP_BAD_REQUEST,
                "\"limit\" must be a whole number from 1 to 1000");
        }
        json_object_set_new(params, "max", json_integer((json_int_t)v));
    }
    json_t *reply = NULL;
    json_t *r = wallet_api_ask(a, &reply, status, "events", params);
    return r ? wallet_api_ok_reply(status, r) : reply;
}

json_t *wallet_api_explorer(wallet_api_t *a, int *status, const char *path,
                            const wallet_api_query_t *q)
{
    wallet_api_query_t none = {0};
    if (!q)
        q = &none;
    if (strcmp(path, "/explorer/tree") == 0)
        return h_tree(a, status, q);
    if (strcmp(path, "/explorer/events") == 0)
        return h_events(a, status, q);
    if (strcmp(path, "/explorer/tips") == 0) {
        json_t *reply = NULL;
        json_t *r = wallet_api_ask(a, &reply, status, "chaintips", NULL);
        return r ? wallet_api_ok_reply(status, r) : reply;
    }
    if (strncmp(path, "/explorer/refused/", 18) == 0) {
        uint32_t seq;
        if (!wallet_api_parse_u32(&seq, path + 18, 1, UINT32_MAX))
            return wallet_api_error_reply(status, MHD_HTTP_BAD_REQUEST,
                                          "a refused block is named by its "
                                          "event number");
        json_t *reply = NULL;
        json_t *r = wallet_api_ask(a, &reply, status, "refusedblock",
                                   json_pack("{s:I}", "seq", (json_int_t)seq));
        return r ? wallet_api_ok_reply(status, r) : reply;
    }
    return wallet_api_error_reply(status, MHD_HTTP_NOT_FOUND,
                                  "no such endpoint: %s", path);
}
