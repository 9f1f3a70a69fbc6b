/*
 * node_link — queries and submissions to a node and the tracker (see
 * node_link.h): the wallet's view of two rpcclients (net/rpcclient.h),
 * with failures sorted into "the server refused" and "the exchange failed",
 * which the HTTP layer maps to 4xx and 5xx.
 */
#include "node_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rpcclient.h"
#include "wire.h"

struct node_link {
    rpcclient_t *node;
    rpcclient_t *tracker; /* NULL: no tracker */
};

/* Fills err from a failed call on c and frees msg. Returns rc. */
static int fail(node_link_error_t *err, rpcclient_t *c, int rc, char *msg)
{
    if (err) {
        err->code = rc;
        err->remote = rpcclient_last_error_remote(c);
        snprintf(err->message, sizeof err->message, "%s",
                 msg ? msg : err_str(rc));
    }
    free(msg);
    return rc;
}

static int fail_local(node_link_error_t *err, int rc, const char *msg)
{
    if (err) {
        err->code = rc;
        err->remote = false;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return rc;
}

node_link_t *node_link_new(const params_t *params, const char *node,
                           const char *tracker, int timeout_ms, int retries)
{
    if (!params || !node)
        return NULL;
    node_link_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->node = rpcclient_new(node, params->network_id, timeout_ms, retries);
    if (tracker && *tracker)
        l->tracker = rpcclient_new(tracker, params->network_id, timeout_ms, 0);
    if (!l->node || (tracker && *tracker && !l->tracker)) {
        node_link_free(&l);
        return NULL;
    }
    return l;
}

void node_link_free(node_link_t **l)
{
    if (!l || !*l)
        return;
    rpcclient_free(&(*l)->node);
    rpcclient_free(&(*l)->tracker);
    free(*l);
    *l = NULL;
}

const char *node_link_node(const node_link_t *l)
{
    return rpcclient_endpoint(l->node);
}

const char *node_link_tracker(const node_link_t *l)
{
    return l->tracker ? rpcclient_endpoint(l->tracker) : "";
}

int node_link_query(node_link_t *l, json_t **result, node_link_error_t *err,
                    const char *method, const json_t *params)
{
    char *msg = NULL;
    int rc = rpcclient_call(l->node, result, &msg, method, params);
    return rc ? fail(err, l->node, rc, msg) : 0;
}

int node_link_submit(node_link_t *l, node_link_error_t *err, bool to_tracker,
                     const tx_t *tx)
{
    rpcclient_t *c = to_tracker ? l->tracker : l->node;
    if (!c)
        return fail_local(err, ERR_ARG, "no tracker configured");
    buf_t raw;
    buf_init(&raw);
    if (tx_serialize(&raw, tx) != 0) {
        buf_deinit(&raw);
        return fail_local(err, ERR_NOMEM, "out of memory");
    }
    char *msg = NULL;
    int rc = rpcclient_submit_tx(c, &msg, raw.data, raw.len);
    buf_deinit(&raw);
    return rc ? fail(err, c, rc, msg) : 0;
}

int node_link_tracker_peers(node_link_t *l, size_t *count,
                            node_link_error_t *err)
{
    if (!l->tracker)
        return fail_local(err, ERR_ARG, "no tracker configured");
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_PEERS);
    uint8_t *raw = NULL;
    char *msg = NULL;
    int rc = rpcclient_request(l->tracker, &reply, &raw, &msg, &req);
    if (rc)
        return fail(err, l->tracker, rc, msg);
    if (reply.type == WIRE_PEER_LIST)
        *count = reply.u.peer_list.count;
    else
        rc = fail_local(err, ERR_PARSE,
                        "the tracker did not answer PEERS "
                        "with a peer list");
    wire_msg_clear(&reply);
    free(raw);
    return rc;
}
