/*
 * fuzz_stratum — a Stratum connection's lines (src/node/stratum_session.c)
 * as the server feeds them: the input, cut at newlines, is one miner's
 * conversation with a fresh session on a regtest template (built once per
 * process), with the clock moving 10 ms a line.
 *
 * Properties: the session answers 0, or ERR_INVALID once its score reaches
 * the limit (after which the server stops feeding it), never anything
 * else; everything it writes is whole lines, each a JSON object that is
 * either an answer (with "id" and exactly one of a non-null "result" or a
 * non-null "error") or a notification the protocol has (set_difficulty,
 * notify); an error is [code 20..25, message, null]; the output per line
 * stays bounded; a block handed over pays the authorized address and
 * meets its bits.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>

#include "address.h"
#include "err.h"
#include "params.h"
#include "stratum_session.h"
#include "template.h"

static stratum_tpl_t tpl;
static bool ready;
static stratum_session_t *live; /* the session being fed */

static const stratum_tpl_t *f_tpl(void *ctx, uint32_t seq)
{
    (void)ctx;
    return !seq || seq == tpl.seq ? &tpl : NULL;
}

static void f_share(void *ctx, int worker, stratum_outcome_t what, double diff,
                    uint64_t now)
{
    (void)ctx, (void)worker, (void)now;
    FUZZ_CHECK(what <= STRATUM_SHARE_INVALID);
    FUZZ_CHECK(diff >= 0);
}

static void f_block(void *ctx, int worker, block_t *b)
{
    (void)ctx, (void)worker;
    FUZZ_CHECK(live && live->authorized);
    FUZZ_CHECK(memcmp(b->txs[0].recipient, live->payee, 32) == 0);
    FUZZ_CHECK(block_check_pow(&b->header));
    block_deinit(b);
}

static int f_worker(void *ctx, const char *name)
{
    (void)ctx;
    FUZZ_CHECK(strlen(name) <= STRATUM_WORKER_MAX);
    return 0;
}

static void setup(void)
{
    chain_config_t cfg = {.params = params_regtest()};
    chain_t *c = chain_new(&cfg);
    static const uint8_t nobody[32];
    FUZZ_CHECK(c);
    const chain_node_t *tip = chain_tip(c);
    FUZZ_CHECK(template_build(&tpl.tpl, c, tip, nobody, NULL, 0,
                              tip->block.header.time + 1, 0) == 0);
    FUZZ_CHECK(stratum_job_from_template(&tpl.work, &tpl.tpl, nobody) == 0);
    FUZZ_CHECK(block_bits_to_target(&tpl.net_target, tpl.tpl.header.bits) == 0);
    tpl.net_diff = stratum_job_bits_diff(tpl.tpl.header.bits);
    tpl.seq = 1;
    chain_free(&c);
    ready = true;
}

static void check_output(const buf_t *out)
{
    size_t start = 0;
    for (size_t i = 0; i < out->len; i++) {
        if (out->data[i] != '\n')
            continue;
        json_t *m =
            json_loadb((const char *)out->data + start, i - start, 0, NULL);
        FUZZ_CHECK(json_is_object(m));
        const char *method = json_string_value(json_object_get(m, "method"));
        if (method) {
            FUZZ_CHECK(strcmp(method, "mining.set_difficulty") == 0 ||
                       strcmp(method, "mining.notify") == 0);
            FUZZ_CHECK(json_is_array(json_object_get(m, "params")));
        } else {
            FUZZ_CHECK(json_object_get(m, "id"));
            json_t *r = json_object_get(m, "result");
            json_t *e = json_object_get(m, "error");
            FUZZ_CHECK(r && e);
            FUZZ_CHECK(json_is_null(e) || !json_is_true(r));
            if (!json_is_null(e)) {
                json_int_t code = json_integer_value(json_array_get(e, 0));
                FUZZ_CHECK(json_array_size(e) == 3 && code >= 20 && code <= 25);
                FUZZ_CHECK(json_string_length(json_array_get(e, 1)) > 0);
            }
        }
        json_decref(m);
        start = i + 1;
    }
    FUZZ_CHECK(start == out->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    stratum_env_t env = {.tpl = f_tpl,
                         .share = f_share,
                         .block = f_block,
                         .worker = f_worker,
                         .hrp = params_regtest()->hrp,
                         .start_diff = 1e-9};
    stratum_session_t s;
    uint64_t now = 1000;
    stratum_session_init(&s, &env, (const uint8_t *)"\1\2\3\4", now);
    live = &s;
    buf_t out;
    buf_init(&out);
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        size_t len = i - start;
        if (len > STRATUM_LINE_MAX)
            break; /* the server drops such a connection */
        buf_reset(&out);
        now += 10;
        int rc = stratum_session_line(&s, &env, &out,
                                      (const char *)data + start, len, now);
        FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_NOMEM);
        check_output(&out);
        FUZZ_CHECK(out.len < 64 * 1024);
        if (rc)
            break;
        start = i + 1;
    }
    buf_deinit(&out);
    live = NULL;
    return 0;
}
