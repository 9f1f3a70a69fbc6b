/*
 * rpcclient — JSON queries to a node over a lazy-pirate request client
 * (see rpcclient.h).
 */
#include "rpcclient.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "params.h"
#include "reqclient.h"
#include "sock.h"

struct rpcclient {
    reqclient_t *req;
    uint8_t network_id[32];
    int timeout_ms;
    int retries;
    bool remote; /* the last failure was the server's own error */
};

/* Sets *err_msg (when wanted) to a formatted, malloc'd message. */
static void say(char **err_msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(char **err_msg, const char *fmt, ...)
{
    if (!err_msg)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err_msg, fmt, ap) < 0)
        *err_msg = NULL;
    va_end(ap);
}

rpcclient_t *rpcclient_new(const char *endpoint, const uint8_t network_id[32],
                           int timeout_ms, int retries)
{
    if (!endpoint || strncmp(endpoint, "tcp://", 6) != 0 || !network_id ||
        timeout_ms < 1 || retries < 0)
        return NULL;
    rpcclient_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->req = reqclient_new(endpoint, timeout_ms, retries);
    if (!c->req) {
        free(c);
        return NULL;
    }
    memcpy(c->network_id, network_id, 32);
    c->timeout_ms = timeout_ms;
    c->retries = retries;
    return c;
}

void rpcclient_free(rpcclient_t **c)
{
    if (!c || !*c)
        return;
    reqclient_free(&(*c)->req);
    free(*c);
    *c = NULL;
}

bool rpcclient_last_error_remote(const rpcclient_t *c)
{
    return c->remote;
}

const char *rpcclient_endpoint(const rpcclient_t *c)
{
    return reqclient_endpoint(c->req);
}

bool rpcclient_no_answer(int rc)
{
    return rc == ERR_TIMEOUT || rc == ERR_NET;
}

/* "800 ms", "1.5 s", "10 s": a budget as a person would say it (a 10 s
 * budget split into three attempts is 9999 ms, and is 10 s). */
static void say_duration(char out[32], int ms)
{
    if (ms < 990) {
        snprintf(out, 32, "%d ms", ms);
        return;
    }
    int tenths = (ms + 50) / 100;
    if (tenths % 10 == 0)
        snprintf(out, 32, "%d s", tenths / 10);
    else
        snprintf(out, 32, "%d.%d s", tenths / 10, tenths % 10);
}

int rpcclient_probe(const rpcclient_t *c, int timeout_ms, char **why)
{
    if (why)
        *why = NULL;
    const char *ep = rpcclient_endpoint(c);
    int err = 0;
    int rc = sock_probe(ep, timeout_ms, &err);
    char took[32];
    say_duration(took, timeout_ms);
    if (rc == ERR_TIMEOUT)
        say(why, "%s did not take a connection within %s", ep, took);
    else if (rc == ERR_NET && err == ECONNREFUSED)
        say(why, "nothing listens on %s (connection refused)", ep);
    else if (rc == ERR_NET && err == 0)
        say(why, "cannot find the host of %s", ep);
    else if (rc == ERR_NET)
        say(why, "cannot connect to %s (%s)", ep, strerror(err));
    else if (rc)
        say(why, "%s: %s", ep, err_str(rc));
    return rc == 0 || rc == ERR_TIMEOUT ? rc : ERR_NET;
}

/* A code the server sent, made safe to return (see rpcclient.h). */
static int server_code(json_int_t code)
{
    if (code >= 0 || code < ERR_NET || rpcclient_no_answer((int)code))
        return ERR_INVALID;
    return (int)code;
}

int rpcclient_request(rpcclient_t *c, wire_msg_t *reply, uint8_t **raw,
                      char **err_msg, const wire_msg_t *req)
{
    if (err_msg)
        *err_msg = NULL;
    c->remote = false;
    buf_t out;
    buf_init(&out);
    int rc = wire_encode(&out, c->network_id, req);
    if (rc) {
        buf_deinit(&out);
        say(err_msg, "cannot encode the request: %s", err_str(rc));
        return rc;
    }
    uint8_t *frame = NULL;
    size_t len = 0;
    rc = reqclient_request(c->req, &frame, &len, out.data, out.len);
    buf_deinit(&out);
    if (rc) {
        if (rpcclient_no_answer(rc)) {
            char budget[32];
            say_duration(budget, c->timeout_ms * (c->retries + 1));
            say(err_msg, "no answer from %s within %s", rpcclient_endpoint(c),
                budget);
        } else
            say(err_msg, "%s: %s", rpcclient_endpoint(c), err_str(rc));
        return rc;
    }
    wire_msg_t m;
    rc = wire_decode(&m, c->network_id, frame, len);
    wire_envelope_t env;
    if ((rc == ERR_INVALID || rc == ERR_UNSUPPORTED) &&
        wire_read_envelope(&env, frame, len) != 0)
        rc = ERR_PARSE; /* cannot happen: wire_decode read the envelope */
    if (rc == ERR_INVALID) {
        const params_t *theirs = params_by_network_id(env.network_id);
        say(err_msg, "%s is on the %s network, not %s", rpcclient_endpoint(c),
            theirs ? theirs->name : "another",
            params_network_name(c->network_id));
    } else if (rc == ERR_UNSUPPORTED) {
        say(err_msg, "%s speaks wire version %u, this program %u",
            rpcclient_endpoint(c), (unsigned)env.version,
            (unsigned)WIRE_VERSION);
    } else if (rc) {
        say(err_msg, "%s sent a malformed reply", rpcclient_endpoint(c));
    } else if (m.type == WIRE_ERROR) {
        c->remote = true;
        rc = server_code(m.u.error.code);
        say(err_msg, "%s", m.u.error.reason);
        wire_msg_clear(&m);
    }
    if (rc) {
        free(frame);
        return rc;
    }
    *reply = m;
    *raw = frame;
    return 0;
}

int rpcclient_call(rpcclient_t *c, json_t **result, char **err_msg,
                   const char *method, const json_t *params)
{
    if (err_msg)
        *err_msg = NULL;
    if (!method || !*method || (params && !json_is_object(params))) {
        say(err_msg, "a call needs a method and an object of params");
        return ERR_ARG;
    }
    json_t *q = json_pack("{s:s}", "method", method);
    if (q && params)
        json_object_set(q, "params", (json_t *)params);
    char *text = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    if (!text) {
        say(err_msg, "out of memory");
        return ERR_NOMEM;
    }
    wire_msg_t req;
    wire_msg_init(&req, WIRE_QUERY);
    req.u.blob.data = (const uint8_t *)text;
    req.u.blob.len = strlen(text);
    wire_msg_t reply;
    uint8_t *raw = NULL;
    int rc = rpcclient_request(c, &reply, &raw, err_msg, &req);
    free(text);
    if (rc)
        return rc;
    json_t *answer = NULL;
    if (reply.type == WIRE_REPLY)
        answer = json_loadb((const char *)reply.u.blob.data, reply.u.blob.len,
                            0, NULL);
    wire_msg_clear(&reply);
    free(raw);
    json_t *res = json_object_get(answer, "result");
    json_t *err = json_object_get(answer, "error");
    if (res) {
        *result = json_incref(res);
    } else if (json_is_object(err)) {
        c->remote = true;
        const char *msg = json_string_value(json_object_get(err, "message"));
        json_t *code = json_object_get(err, "code");
        rc = json_is_integer(code) ? server_code(json_integer_value(code))
                                   : ERR_INVALID;
        say(err_msg, "%s", msg ? msg : err_str(rc));
    } else {
        rc = ERR_PARSE;
        say(err_msg, "%s sent a reply that is not a JSON query answer",
            rpcclient_endpoint(c));
    }
    json_decref(answer);
    return rc;
}

int rpcclient_submit_tx(rpcclient_t *c, char **err_msg, const uint8_t *raw,
                        size_t len)
{
    wire_msg_t req;
    wire_msg_init(&req, WIRE_SUBMIT_TX);
    req.u.blob.data = raw;
    req.u.blob.len = len;
    wire_msg_t reply;
    uint8_t *frame = NULL;
    int rc = rpcclient_request(c, &reply, &frame, err_msg, &req);
    if (rc)
        return rc;
    if (reply.type != WIRE_ACK) {
        say(err_msg, "%s answered %s to a transaction", rpcclient_endpoint(c),
            wire_type_name(reply.type));
        rc = ERR_PARSE;
    }
    wire_msg_clear(&reply);
    free(frame);
    return rc;
}
