/*
 * Tests for net/rpcclient.c against an in-process fake node: a ROUTER
 * server (server.h) on 127.0.0.1 in a thread that decodes each QUERY and
 * answers as told (a result echoing the request, a node error, a WIRE
 * ERROR, gibberish, another network's frame, or nothing at all). Checks
 * that results and node errors come back as rpc.h says, that every failure
 * has a readable message, and that silence ends within the retries'
 * time budget, said as a person would say it ("within 1 s" for three
 * attempts of 333 ms); and that a plain TCP probe tells a port where
 * nothing listens from a server that takes connections and stays silent.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "params.h"
#include "rpcclient.h"
#include "server.h"
#include "sock.h"
#include "wire.h"

typedef enum {
    ANSWER,      /* {"result": {"method": M, "params": P}} */
    NODE_ERROR,  /* {"error": {"code": ERR_NOT_FOUND, "message": ...}} */
    WIRE_ERR,    /* a wire ERROR frame */
    GIBBERISH,   /* bytes that are no wire frame */
    NOT_JSON,    /* a REPLY whose text is not JSON */
    OTHER_NET,   /* a REPLY under the demo network's id */
    TIMEOUT_ERR, /* a node error carrying ERR_TIMEOUT as its code */
    SILENT,      /* never answers */
} behaviour_t;

typedef struct {
    server_t *srv;
    behaviour_t mode;
    atomic_int stop;
    atomic_int received;
    atomic_int submits;
} fake_t;

static const uint8_t *net_id(void)
{
    return params_regtest()->network_id;
}

static void reply_blob(fake_t *f, const server_req_t *req, const uint8_t *id,
                       const char *text)
{
    buf_t out;
    buf_init(&out);
    cr_assert_eq(wire_encode_blob(&out, id, WIRE_REPLY, text, strlen(text)), 0);
    cr_assert_eq(server_reply(f->srv, req, out.data, out.len), 0);
    buf_deinit(&out);
}

static void answer(fake_t *f, const server_req_t *req)
{
    wire_msg_t m;
    if (wire_decode(&m, net_id(), req->data, req->len) != 0)
        return;
    buf_t out;
    buf_init(&out);
    if (m.type == WIRE_SUBMIT_TX) {
        atomic_fetch_add(&f->submits, 1);
        if (m.u.blob.len == 3) /* the test's "bad" transaction */
            cr_assert_eq(
                wire_encode_error(&out, net_id(), ERR_INVALID, "bad-txns-sig"),
                0);
        else
            cr_assert_eq(wire_encode_empty(&out, net_id(), WIRE_ACK), 0);
        cr_assert_eq(server_reply(f->srv, req, out.data, out.len), 0);
    } else if (m.type == WIRE_PEERS) {
        wire_msg_t r;
        wire_peer_t p = {.key = {0, 0, 0, 0, 0, 0, 0, 42, 1}, .id = 42};
        strcpy(p.req, "tcp://127.0.0.1:1");
        strcpy(p.gossip, "tcp://127.0.0.1:2");
        wire_msg_init(&r, WIRE_PEER_LIST);
        r.u.peer_list.peer_timeout_ms = 1000;
        r.u.peer_list.count = 1;
        r.u.peer_list.peers = &p;
        cr_assert_eq(wire_encode(&out, net_id(), &r), 0);
        cr_assert_eq(server_reply(f->srv, req, out.data, out.len), 0);
    } else if (m.type == WIRE_QUERY) {
        json_t *q =
            json_loadb((const char *)m.u.blob.data, m.u.blob.len, 0, NULL);
        char *text = NULL;
        switch (f->mode) {
        case ANSWER: {
            json_t *params = json_object_get(q, "params");
            json_t *r = json_pack("{s:{s:O,s:O}}", "result", "method",
                                  json_object_get(q, "method"), "params",
                                  params ? params : json_null());
            text = json_dumps(r, JSON_COMPACT);
            json_decref(r);
            reply_blob(f, req, net_id(), text);
            break;
        }
        case NODE_ERROR:
            reply_blob(f, req, net_id(),
                       "{\"error\":{\"code\":-6,\"message\":\"no such "
                       "block\"}}");
            break;
        case TIMEOUT_ERR:
            reply_blob(f, req, net_id(),
                       "{\"error\":{\"code\":-11,\"message\":\"slow\"}}");
            break;
        case WIRE_ERR:
            cr_assert_eq(
                wire_encode_error(&out, net_id(), ERR_ARG, "malformed request"),
                0);
            cr_assert_eq(server_reply(f->srv, req, out.data, out.len), 0);
            break;
        case GIBBERISH:
            cr_assert_eq(server_reply(f->srv, req, (const uint8_t *)"hello", 5),
                         0);
            break;
        case NOT_JSON:
            reply_blob(f, req, net_id(), "{nope");
            break;
        case OTHER_NET:
            reply_blob(f, req, params_demo()->network_id, "{\"result\":1}");
            break;
        case SILENT:
            break;
        }
        free(text);
        json_decref(q);
    }
    buf_deinit(&out);
    wire_msg_clear(&m);
}

static void *serve(void *arg)
{
    fake_t *f = arg;
    while (!atomic_load(&f->stop)) {
        server_req_t req;
        if (server_recv(f->srv, &req, 20) != 0)
            continue;
        atomic_fetch_add(&f->received, 1);
        answer(f, &req);
        server_req_clear(&req);
    }
    return NULL;
}

static pthread_t start(fake_t *f, behaviour_t mode)
{
    memset(f, 0, sizeof *f);
    f->srv = server_new("tcp://127.0.0.1:*");
    cr_assert(f->srv);
    f->mode = mode;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, serve, f), 0);
    return t;
}

static void stop(fake_t *f, pthread_t t)
{
    atomic_store(&f->stop, 1);
    pthread_join(t, NULL);
    server_free(&f->srv);
}

Test(rpcclient, result_carries_method_and_params)
{
    fake_t f;
    pthread_t t = start(&f, ANSWER);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 1);
    cr_assert(c);
    json_t *params = json_pack("{s:i}", "height", 7);
    json_t *result = NULL;
    char *msg = (char *)"untouched";
    cr_assert_eq(rpcclient_call(c, &result, &msg, "getblock", params), 0);
    cr_assert_null(msg, "no message on success");
    cr_assert_str_eq(json_string_value(json_object_get(result, "method")),
                     "getblock");
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(result, "params"), "height")),
                 7);
    json_decref(result);
    /* No params: the query carries none. */
    cr_assert_eq(rpcclient_call(c, &result, NULL, "status", NULL), 0);
    cr_assert(json_is_null(json_object_get(result, "params")));
    json_decref(result);
    json_decref(params);
    rpcclient_free(&c);
    cr_assert_null(c);
    rpcclient_free(&c); /* harmless twice */
    stop(&f, t);
}

Test(rpcclient, node_error_gives_code_and_message)
{
    fake_t f;
    pthread_t t = start(&f, NODE_ERROR);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 1);
    json_t *result = NULL;
    char *msg = NULL;
    int rc = rpcclient_call(c, &result, &msg, "getblock", NULL);
    cr_assert_eq(rc, ERR_NOT_FOUND);
    cr_assert_null(result);
    cr_assert_str_eq(msg, "no such block");
    cr_assert(!rpcclient_no_answer(rc));
    free(msg);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, node_timeout_code_is_not_no_answer)
{
    fake_t f;
    pthread_t t = start(&f, TIMEOUT_ERR);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 0);
    json_t *result = NULL;
    char *msg = NULL;
    int rc = rpcclient_call(c, &result, &msg, "status", NULL);
    cr_assert_eq(rc, ERR_INVALID);
    cr_assert_str_eq(msg, "slow");
    free(msg);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, wire_error_frame)
{
    fake_t f;
    pthread_t t = start(&f, WIRE_ERR);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 0);
    json_t *result = NULL;
    char *msg = NULL;
    cr_assert_eq(rpcclient_call(c, &result, &msg, "status", NULL), ERR_ARG);
    cr_assert_str_eq(msg, "malformed request");
    free(msg);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, malformed_replies_are_parse_errors)
{
    behaviour_t modes[] = {GIBBERISH, NOT_JSON};
    for (size_t i = 0; i < 2; i++) {
        fake_t f;
        pthread_t t = start(&f, modes[i]);
        rpcclient_t *c =
            rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 0);
        json_t *result = NULL;
        char *msg = NULL;
        cr_assert_eq(rpcclient_call(c, &result, &msg, "status", NULL),
                     ERR_PARSE);
        cr_assert(msg && strstr(msg, server_endpoint(f.srv)), "%s", msg);
        free(msg);
        rpcclient_free(&c);
        stop(&f, t);
    }
}

Test(rpcclient, another_network_is_named)
{
    fake_t f;
    pthread_t t = start(&f, OTHER_NET);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 0);
    json_t *result = NULL;
    char *msg = NULL;
    cr_assert_eq(rpcclient_call(c, &result, &msg, "status", NULL), ERR_INVALID);
    cr_assert(strstr(msg, "demo network, not regtest"), "%s", msg);
    free(msg);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, silence_is_no_answer_within_budget)
{
    fake_t f;
    pthread_t t = start(&f, SILENT);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 150, 2);
    json_t *result = NULL;
    char *msg = NULL;
    uint64_t t0 = sock_now_ms();
    int rc = rpcclient_call(c, &result, &msg, "status", NULL);
    uint64_t took = sock_now_ms() - t0;
    cr_assert_eq(rc, ERR_TIMEOUT);
    cr_assert(rpcclient_no_answer(rc));
    cr_assert(strstr(msg, "no answer from tcp://127.0.0.1:"), "%s", msg);
    cr_assert(took >= 400 && took < 2000, "took %llu ms",
              (unsigned long long)took);
    free(msg);
    rpcclient_free(&c);
    /* Three attempts reached the server (each on a fresh socket). */
    uint64_t deadline = sock_now_ms() + 1000;
    while (atomic_load(&f.received) < 3 && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    cr_assert_eq(atomic_load(&f.received), 3);
    stop(&f, t);
}

Test(rpcclient, nobody_listening)
{
    /* Find a port nobody listens on: bind one, note it, release it. */
    server_t *s = server_new("tcp://127.0.0.1:*");
    char endpoint[SOCK_ENDPOINT_MAX];
    strcpy(endpoint, server_endpoint(s));
    server_free(&s);
    rpcclient_t *c = rpcclient_new(endpoint, net_id(), 100, 1);
    cr_assert(c);
    char *msg = NULL;
    json_t *result = NULL;
    int rc = rpcclient_call(c, &result, &msg, "status", NULL);
    cr_assert(rpcclient_no_answer(rc));
    cr_assert(strstr(msg, endpoint));
    free(msg);
    rpcclient_free(&c);
}

Test(rpcclient, the_budget_is_said_in_seconds)
{
    fake_t f;
    pthread_t t = start(&f, SILENT);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 333, 2);
    json_t *result = NULL;
    char *msg = NULL;
    cr_assert(
        rpcclient_no_answer(rpcclient_call(c, &result, &msg, "status", NULL)));
    cr_assert(strstr(msg, " within 1 s"), "%s", msg);
    free(msg);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, a_probe_tells_nothing_listening_from_silence)
{
    /* A silent server takes TCP connections. */
    fake_t f;
    pthread_t t = start(&f, SILENT);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 100, 0);
    char *why = NULL;
    cr_assert_eq(rpcclient_probe(c, 2000, &why), 0);
    cr_assert_null(why);
    rpcclient_free(&c);
    stop(&f, t);

    /* A port nobody listens on refuses them: one the kernel gave a plain
     * socket that is closed again (ZeroMQ would close its own later, on
     * its I/O thread). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    char endpoint[SOCK_ENDPOINT_MAX];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%u",
             (unsigned)ntohs(sa.sin_port));
    c = rpcclient_new(endpoint, net_id(), 100, 0);
    cr_assert_eq(rpcclient_probe(c, 2000, &why), ERR_NET);
    cr_assert_not_null(why);
    char want[SOCK_ENDPOINT_MAX + 64];
    snprintf(want, sizeof want, "nothing listens on %s (connection refused)",
             endpoint);
    cr_assert_str_eq(why, want);
    free(why);
    rpcclient_free(&c);
}

Test(rpcclient, submit_tx_ack_and_refusal)
{
    fake_t f;
    pthread_t t = start(&f, ANSWER);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 1);
    char *msg = NULL;
    uint8_t good[10] = {1}, bad[3] = {1};
    cr_assert_eq(rpcclient_submit_tx(c, &msg, good, sizeof good), 0);
    cr_assert_null(msg);
    cr_assert_eq(rpcclient_submit_tx(c, &msg, bad, sizeof bad), ERR_INVALID);
    cr_assert_str_eq(msg, "bad-txns-sig");
    free(msg);
    cr_assert_eq(atomic_load(&f.submits), 2);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, any_request_peer_list)
{
    fake_t f;
    pthread_t t = start(&f, ANSWER);
    rpcclient_t *c = rpcclient_new(server_endpoint(f.srv), net_id(), 2000, 1);
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_PEERS);
    uint8_t *raw = NULL;
    cr_assert_eq(rpcclient_request(c, &reply, &raw, NULL, &req), 0);
    cr_assert_eq(reply.type, WIRE_PEER_LIST);
    cr_assert_eq(reply.u.peer_list.count, 1);
    cr_assert_eq(reply.u.peer_list.peers[0].id, 42);
    cr_assert_str_eq(reply.u.peer_list.peers[0].gossip, "tcp://127.0.0.1:2");
    wire_msg_clear(&reply);
    free(raw);
    rpcclient_free(&c);
    stop(&f, t);
}

Test(rpcclient, bad_arguments)
{
    cr_assert_null(rpcclient_new("127.0.0.1:5", net_id(), 100, 0));
    cr_assert_null(rpcclient_new("tcp://127.0.0.1:5", net_id(), 0, 0));
    cr_assert_null(rpcclient_new("tcp://127.0.0.1:5", net_id(), 100, -1));
    rpcclient_t *c = rpcclient_new("tcp://127.0.0.1:5", net_id(), 100, 0);
    cr_assert(c);
    cr_assert_str_eq(rpcclient_endpoint(c), "tcp://127.0.0.1:5");
    json_t *result = NULL, *arr = json_array();
    char *msg = NULL;
    cr_assert_eq(rpcclient_call(c, &result, &msg, "", NULL), ERR_ARG);
    free(msg);
    cr_assert_eq(rpcclient_call(c, &result, &msg, "status", arr), ERR_ARG);
    cr_assert(msg);
    free(msg);
    json_decref(arr);
    rpcclient_free(&c);
}
