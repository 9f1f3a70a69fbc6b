/*
 * node_link — queries and submissions to a node and the tracker (see
 * node_link.h).
 */
#include "node_link.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "reqclient.h"
#include "wire.h"

struct node_link {
    const params_t *params;
    reqclient_t *node;
    reqclient_t *tracker; /* NULL: no tracker */
};

static void set_err(node_link_error_t *err, int code, bool remote,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_err(node_link_error_t *err, int code, bool remote,
                    const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    err->remote = remote;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

node_link_t *node_link_new(const params_t *params, const char *node,
                           const char *tracker, int timeout_ms, int retries)
{
    if (!params || !node)
        return NULL;
    node_link_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->params = params;
    l->node = reqclient_new(node, timeout_ms, retries);
    if (tracker && *tracker)
        l->tracker = reqclient_new(tracker, timeout_ms, 0);
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
    reqclient_free(&(*l)->node);
    reqclient_free(&(*l)->tracker);
    free(*l);
    *l = NULL;
}

const char *node_link_node(const node_link_t *l)
{
    return reqclient_endpoint(l->node);
}

const char *node_link_tracker(const node_link_t *l)
{
    return l->tracker ? reqclient_endpoint(l->tracker) : "";
}

/* Sends one encoded request and decodes the reply into *m (which borrows
 * from *raw: the caller frees both). */
static int exchange(node_link_t *l, reqclient_t *c, const char *who,
                    wire_msg_t *m, uint8_t **raw, node_link_error_t *err,
                    const buf_t *req)
{
    size_t len = 0;
    int rc = reqclient_request(c, raw, &len, req->data, req->len);
    if (rc) {
        set_err(err, rc, false, "%s %s did not answer (%s)", who,
                reqclient_endpoint(c), err_str(rc));
        return rc;
    }
    rc = wire_decode(m, l->params->network_id, *raw, len);
    if (rc) {
        free(*raw);
        *raw = NULL;
        set_err(err, rc == ERR_NOMEM ? rc : ERR_PARSE, false, "%s %s: %s", who,
                reqclient_endpoint(c),
                rc == ERR_INVALID ? "it is on another network"
                                  : "malformed reply");
        return rc == ERR_NOMEM ? rc : ERR_PARSE;
    }
    if (m->type == WIRE_ERROR) {
        int code = m->u.error.code < 0 ? m->u.error.code : ERR_INVALID;
        set_err(err, code, true, "%s", m->u.error.reason);
        wire_msg_clear(m);
        free(*raw);
        *raw = NULL;
        return code;
    }
    return 0;
}

/* Reads {"result": ...} or {"error": {code, message}} from a REPLY. */
static int read_reply(json_t **result, node_link_error_t *err,
                      const wire_msg_t *m)
{
    if (m->type != WIRE_REPLY) {
        set_err(err, ERR_PARSE, false, "the node answered %s to a query",
                wire_type_name(m->type));
        return ERR_PARSE;
    }
    json_t *j =
        json_loadb((const char *)m->u.blob.data, m->u.blob.len, 0, NULL);
    json_t *res = json_object_get(j, "result");
    json_t *e = json_object_get(j, "error");
    if (res) {
        *result = json_incref(res);
        json_decref(j);
        return 0;
    }
    if (json_is_object(e)) {
        json_int_t code = json_integer_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        int c = code < 0 && code >= ERR_NET ? (int)code : ERR_INVALID;
        set_err(err, c, true, "%s", msg ? msg : err_str(c));
        json_decref(j);
        return c;
    }
    json_decref(j);
    set_err(err, ERR_PARSE, false, "the node's reply is not a result");
    return ERR_PARSE;
}

int node_link_query(node_link_t *l, json_t **result, node_link_error_t *err,
                    const char *method, const json_t *params)
{
    json_t *q = json_pack("{s:s}", "method", method);
    if (q && params)
        json_object_set(q, "params", (json_t *)params);
    char *text = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    if (!text) {
        set_err(err, ERR_NOMEM, false, "out of memory");
        return ERR_NOMEM;
    }
    buf_t req;
    buf_init(&req);
    int rc = wire_encode_blob(&req, l->params->network_id, WIRE_QUERY, text,
                              strlen(text));
    free(text);
    if (rc) {
        buf_deinit(&req);
        set_err(err, rc, false, "cannot encode the query (%s)", err_str(rc));
        return rc;
    }
    wire_msg_t m;
    uint8_t *raw = NULL;
    rc = exchange(l, l->node, "node", &m, &raw, err, &req);
    buf_deinit(&req);
    if (rc)
        return rc;
    rc = read_reply(result, err, &m);
    wire_msg_clear(&m);
    free(raw);
    return rc;
}

int node_link_submit(node_link_t *l, node_link_error_t *err, bool to_tracker,
                     const tx_t *tx)
{
    reqclient_t *c = to_tracker ? l->tracker : l->node;
    const char *who = to_tracker ? "tracker" : "node";
    if (!c) {
        set_err(err, ERR_ARG, false, "no tracker configured");
        return ERR_ARG;
    }
    buf_t raw_tx, req;
    buf_init(&raw_tx);
    buf_init(&req);
    int rc = tx_serialize(&raw_tx, tx);
    if (rc == 0)
        rc = wire_encode_blob(&req, l->params->network_id, WIRE_SUBMIT_TX,
                              raw_tx.data, raw_tx.len);
    buf_deinit(&raw_tx);
    if (rc) {
        buf_deinit(&req);
        set_err(err, rc, false, "cannot encode the transaction (%s)",
                err_str(rc));
        return rc;
    }
    wire_msg_t m;
    uint8_t *raw = NULL;
    rc = exchange(l, c, who, &m, &raw, err, &req);
    buf_deinit(&req);
    if (rc)
        return rc;
    if (m.type != WIRE_ACK) {
        set_err(err, ERR_PARSE, false, "the %s answered %s to a transaction",
                who, wire_type_name(m.type));
        rc = ERR_PARSE;
    }
    wire_msg_clear(&m);
    free(raw);
    return rc;
}

int node_link_tracker_peers(node_link_t *l, size_t *count,
                            node_link_error_t *err)
{
    if (!l->tracker) {
        set_err(err, ERR_ARG, false, "no tracker configured");
        return ERR_ARG;
    }
    buf_t req;
    buf_init(&req);
    int rc = wire_encode_empty(&req, l->params->network_id, WIRE_PEERS);
    if (rc) {
        buf_deinit(&req);
        set_err(err, rc, false, "cannot encode PEERS");
        return rc;
    }
    wire_msg_t m;
    uint8_t *raw = NULL;
    rc = exchange(l, l->tracker, "tracker", &m, &raw, err, &req);
    buf_deinit(&req);
    if (rc)
        return rc;
    if (m.type == WIRE_PEER_LIST) {
        *count = m.u.peer_list.count;
    } else {
        set_err(err, ERR_PARSE, false, "the tracker answered %s to PEERS",
                wire_type_name(m.type));
        rc = ERR_PARSE;
    }
    wire_msg_clear(&m);
    free(raw);
    return rc;
}
