/*
 * rpc_rig — the node queries the RPC tests share (see rpc_rig.h).
 */
#include "rpc_rig.h"

#include <criterion/criterion.h>
#include <string.h>

#include "address.h"
#include "bytes.h"
#include "hex.h"
#include "node_rig.h"
#include "params.h"
#include "rpc.h"
#include "tx.h"

fx_key_t rr_alice, rr_bob;
char rr_alice_addr[100], rr_bob_addr[100];

void rr_start(const char *name)
{
    nr_new(name);
    fx_key(&rr_alice, 1);
    fx_key(&rr_bob, 2);
    cr_assert_eq(address_encode(rr_alice_addr, sizeof rr_alice_addr, "pxrt",
                                rr_alice.pub),
                 0);
    cr_assert_eq(
        address_encode(rr_bob_addr, sizeof rr_bob_addr, "pxrt", rr_bob.pub), 0);
}

json_t *rr_ask(const char *method, json_t *params)
{
    json_t *q = json_pack("{s:s}", "method", method);
    if (params)
        json_object_set_new(q, "params", params);
    json_t *a = rpc_handle(nr_node, q);
    json_decref(q);
    cr_assert_not_null(a);
    cr_assert(json_object_size(a) == 1, "one of result or error");
    return a;
}

json_t *rr_ok(json_t **holder, const char *method, json_t *params)
{
    *holder = rr_ask(method, params);
    json_t *r = json_object_get(*holder, "result");
    cr_assert_not_null(r, "%s failed: %s", method,
                       json_dumps(*holder, JSON_COMPACT));
    return r;
}

void rr_refused(const char *method, json_t *params, int code, const char *text)
{
    json_t *a = rr_ask(method, params);
    json_t *e = json_object_get(a, "error");
    cr_assert_not_null(e, "%s should fail", method);
    cr_assert_eq(json_integer_value(json_object_get(e, "code")), code, "%s: %s",
                 method, json_dumps(a, JSON_COMPACT));
    const char *msg = json_string_value(json_object_get(e, "message"));
    cr_assert(msg && strstr(msg, text), "%s: message %s lacks %s", method,
              msg ? msg : "(none)", text);
    json_decref(a);
}

json_int_t rr_int_of(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

void rr_mine(int count, const char *to)
{
    json_t *h;
    json_t *r = rr_ok(&h, "generate",
                      json_pack("{s:i,s:s}", "count", count, "address", to));
    cr_assert_eq(json_array_size(json_object_get(r, "hashes")), (size_t)count);
    cr_assert_eq(json_integer_value(json_object_get(r, "made")), count);
    cr_assert_eq(json_integer_value(json_object_get(r, "asked")), count);
    cr_assert_null(json_object_get(r, "error"));
    json_decref(h);
}

void rr_transfer_hex(char *hex, uint64_t amount, uint64_t nonce, bool sign)
{
    tx_t t;
    if (sign)
        fx_transfer(&t, params_regtest(), &rr_alice, rr_bob.pub, amount, 500,
                    nonce);
    else
        tx_init_transfer(&t, rr_alice.pub, rr_bob.pub, amount, 500, nonce);
    buf_t raw;
    buf_init(&raw);
    cr_assert_eq(tx_serialize(&raw, &t), 0);
    hex_encode(hex, raw.data, raw.len);
    buf_deinit(&raw);
}
