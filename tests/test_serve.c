/*
 * Tests for src/node/serve.c, the node's request thread, over its real
 * ROUTER endpoint (an in-process regtest node, node_rig.h, asked through a
 * reqclient as a peer asks): a peer's request is answered; a request of
 * the previous wire version or of another network is refused in the
 * asker's own framing, saying why, and is not counted as malformed, so a
 * node of the previous version is told, not blamed; garbage is answered
 * as malformed and counted; and a connection that floods the peer
 * protocol is refused as rate-limited.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "chain.h"
#include "err.h"
#include "node.h"
#include "node_impl.h"
#include "params.h"
#include "reqclient.h"
#include "wire.h"

#include "node_rig.h"

static reqclient_t *client;

static void start(void)
{
    nr_new("serve");
    nr_run();
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%u",
             (unsigned)nr_port);
    client = reqclient_new(endpoint, 5000, 0);
    cr_assert_not_null(client);
}

static void stop(void)
{
    reqclient_free(&client);
    nr_free();
}

TestSuite(serve, .init = start, .fini = stop, .timeout = 30);

#define NET (params_regtest()->network_id)

/* Sends frame, returns the reply's bytes (owned) in *reply. */
static void send_frame(uint8_t **reply, size_t *len, const buf_t *frame)
{
    int rc = reqclient_request(client, reply, len, frame->data, frame->len);
    cr_assert_eq(rc, 0, "no reply: %s", err_str(rc));
}

/* The count of status' requests_refused.<what>; 0 when absent. */
static json_int_t refused_count(const char *what)
{
    json_t *q = json_pack("{s:s}", "method", "status");
    json_t *a = node_query(nr_node, q);
    json_decref(q);
    json_t *r =
        json_object_get(json_object_get(a, "result"), "requests_refused");
    cr_assert(json_is_object(r), "status has no requests_refused");
    json_int_t n = json_integer_value(json_object_get(r, what));
    json_decref(a);
    return n;
}

/* Reads an ERROR reply framed in version `version` on network `net`: its
 * envelope must say so; the payload (the same in every version so far) is
 * then read as this build reads it. */
static void read_refusal(wire_msg_t *m, uint8_t *raw, size_t len,
                         uint16_t version, const uint8_t net[32])
{
    wire_envelope_t env;
    cr_assert_eq(wire_read_envelope(&env, raw, len), 0);
    cr_assert_eq(env.version, version, "framed in version %u, not %u",
                 (unsigned)env.version, (unsigned)version);
    cr_assert_eq(env.type, WIRE_ERROR);
    cr_assert_arr_eq(env.network_id, net, 32);
    le16_put(raw + 4, WIRE_VERSION);
    cr_assert_eq(wire_decode(m, net, raw, len), 0);
    cr_assert_eq(m->type, WIRE_ERROR);
}

Test(serve, answers_a_tip_request)
{
    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, NET, WIRE_GET_TIP), 0);
    uint8_t *raw;
    size_t len;
    send_frame(&raw, &len, &req);
    wire_msg_t m;
    cr_assert_eq(wire_decode(&m, NET, raw, len), 0);
    cr_assert_eq(m.type, WIRE_TIP);
    cr_assert_eq(m.u.tip.height, 0);
    cr_assert_eq(node_lock_within(nr_node, 5000), 0);
    const chain_node_t *genesis = chain_tip(node_chain(nr_node));
    cr_assert_arr_eq(m.u.tip.tip, genesis->hash, 32);
    node_unlock(nr_node);
    wire_msg_clear(&m);
    free(raw);
    buf_deinit(&req);
}

/* A node one version behind asks for the tip: it is told, in a frame of
 * its own version, that the versions differ, and nothing counts it as a
 * malformed request. */
Test(serve, an_older_version_is_told_in_its_own_framing)
{
    cr_assert_geq(WIRE_VERSION - 1, WIRE_MIN_VERSION);
    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, NET, WIRE_GET_TIP), 0);
    le16_put(req.data + 4, WIRE_VERSION - 1);
    uint8_t *raw;
    size_t len;
    send_frame(&raw, &len, &req);
    wire_msg_t m;
    read_refusal(&m, raw, len, WIRE_VERSION - 1, NET);
    cr_assert_eq(m.u.error.code, ERR_UNSUPPORTED);
    char want[64];
    snprintf(want, sizeof want, "this node speaks wire version %u, not %u",
             (unsigned)WIRE_VERSION, (unsigned)WIRE_VERSION - 1);
    cr_assert_str_eq(m.u.error.reason, want);
    wire_msg_clear(&m);
    free(raw);
    buf_deinit(&req);
    cr_assert_eq(refused_count("malformed"), 0, "counted as malformed");
}

Test(serve, another_network_is_told_in_its_own_framing)
{
    const uint8_t *demo = params_demo()->network_id;
    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, demo, WIRE_GET_TIP), 0);
    uint8_t *raw;
    size_t len;
    send_frame(&raw, &len, &req);
    wire_msg_t m;
    read_refusal(&m, raw, len, WIRE_VERSION, demo);
    cr_assert_eq(m.u.error.code, ERR_INVALID);
    cr_assert_str_eq(m.u.error.reason,
                     "this node is on the regtest network, not demo");
    wire_msg_clear(&m);
    free(raw);
    buf_deinit(&req);
    cr_assert_eq(refused_count("malformed"), 0, "counted as malformed");
}

Test(serve, garbage_is_answered_and_counted_as_malformed)
{
    buf_t req;
    buf_init(&req);
    cr_assert_eq(buf_put(&req, "not a request at all", 20), 0);
    uint8_t *raw;
    size_t len;
    send_frame(&raw, &len, &req);
    wire_msg_t m;
    cr_assert_eq(wire_decode(&m, NET, raw, len), 0);
    cr_assert_eq(m.type, WIRE_ERROR);
    cr_assert_eq(m.u.error.code, ERR_PARSE);
    wire_msg_clear(&m);
    free(raw);
    buf_deinit(&req);
    cr_assert_eq(refused_count("malformed"), 1);
}

/* One connection asking for the tip as fast as it can runs out of its
 * budget: it is refused as rate-limited, and status counts it. */
Test(serve, a_flood_of_requests_is_rate_limited)
{
    buf_t req;
    buf_init(&req);
    cr_assert_eq(wire_encode_empty(&req, NET, WIRE_GET_TIP), 0);
    bool limited = false;
    for (int i = 0; i < 10000 && !limited; i++) {
        uint8_t *raw;
        size_t len;
        send_frame(&raw, &len, &req);
        wire_msg_t m;
        cr_assert_eq(wire_decode(&m, NET, raw, len), 0);
        limited = m.type == WIRE_ERROR && m.u.error.code == ERR_FULL &&
                  strcmp(m.u.error.reason, "rate-limited") == 0;
        if (!limited)
            cr_assert_eq(m.type, WIRE_TIP);
        wire_msg_clear(&m);
        free(raw);
    }
    buf_deinit(&req);
    cr_assert(limited, "never rate-limited");
    cr_assert_geq(refused_count("rate-limited"), 1);
}
