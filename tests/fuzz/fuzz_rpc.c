/*
 * fuzz_rpc — the node's JSON queries (src/node/rpc.c) as a node answers them:
 * the QUERY text goes through json_loadb() and rpc_handle(), exactly as
 * node.c's serve_query() does, against a real in-process regtest node.
 *
 * The node is made once per process by node_new() with a temporary data
 * directory, no tracker, no miner, and request and gossip sockets on a
 * random 127.0.0.1 port (nothing connects to them); it keeps its state from
 * input to input, so blocks mined by one "generate" are there for the next
 * "getblock". A "generate" of more than 3 blocks is skipped: its cost is
 * mining and storage, not parsing.
 *
 * Properties (rpc.h's contract): every query gets an answer; the answer is
 * an object with exactly one of "result" or "error"; an error has an err.h
 * code and a non-empty message; the answer serializes to JSON that fits a
 * REPLY message.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "node.h"
#include "params.h"
#include "rpc.h"
#include "wire.h"

static node_t *node;
static char data_dir[64];

static void cleanup(void)
{
    node_free(&node);
    if (data_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", data_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz_rpc: could not remove %s\n", data_dir);
    }
}

static void start_node(void)
{
    strcpy(data_dir, "/tmp/pickaxe-fuzz-rpc-XXXXXX");
    if (!mkdtemp(data_dir)) {
        perror("fuzz_rpc: mkdtemp");
        abort();
    }
    atexit(cleanup);
    node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.params = params_regtest();
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data_dir);
    strcpy(cfg.listen_host, "127.0.0.1");
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *why = "?";
    for (int tries = 0; !node && tries < 50; tries++) {
        cfg.port = (uint16_t)(20000 + 2 * (rand() % 20000));
        cfg.gossip_port = (uint16_t)(cfg.port + 1);
        node = node_new(&cfg, &why);
    }
    if (!node) {
        fprintf(stderr, "fuzz_rpc: node_new: %s\n", why);
        abort();
    }
}

/* True for a "generate" that would mine more than a few blocks. */
static bool expensive(const json_t *q)
{
    const char *m = json_string_value(json_object_get(q, "method"));
    if (!m || strcmp(m, "generate") != 0)
        return false;
    json_t *c = json_object_get(json_object_get(q, "params"), "count");
    return json_is_integer(c) && json_integer_value(c) > 3 &&
           json_integer_value(c) <= 1000;
}

static void check_answer(json_t *a)
{
    FUZZ_CHECK(a != NULL);
    FUZZ_CHECK(json_is_object(a) && json_object_size(a) == 1);
    json_t *result = json_object_get(a, "result");
    json_t *error = json_object_get(a, "error");
    FUZZ_CHECK((result != NULL) != (error != NULL));
    if (error) {
        json_t *code = json_object_get(error, "code");
        const char *msg = json_string_value(json_object_get(error, "message"));
        FUZZ_CHECK(json_is_integer(code));
        FUZZ_CHECK(json_integer_value(code) < 0 &&
                   json_integer_value(code) >= ERR_NET);
        FUZZ_CHECK(msg && msg[0]);
    }
    char *text = json_dumps(a, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    FUZZ_CHECK(strlen(text) <= WIRE_MAX_JSON);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!node) {
        log_set_level(LOG_ERROR);
        start_node();
    }
    json_error_t jerr;
    json_t *q = json_loadb((const char *)data, size, 0, &jerr);
    json_t *answer = NULL;
    if (!q) {
        answer = rpc_error(ERR_PARSE, "not JSON");
    } else if (expensive(q)) {
        json_decref(q);
        return 0;
    } else {
        answer = rpc_handle(node, q);
    }
    check_answer(answer);
    json_decref(answer);
    json_decref(q);
    return 0;
}
