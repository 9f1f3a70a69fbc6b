/*
 * Tests for src/node/stratum_session.c, driven through a fake server: the
 * order of answers and notifications a miner sees (subscribe, authorize,
 * set_difficulty before the first job), every refusal code of
 * mining.submit, a share that meets the network target handed over as a
 * block paying the authorized address, difficulty judged per job, and the
 * score that ends floods and non-JSON.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "address.h"
#include "err.h"
#include "fixtures.h"
#include "hex.h"
#include "stratum_session.h"
#include "template.h"

typedef struct {
    stratum_tpl_t tpl;
    bool stale;    /* env->tpl answers NULL for every seq */
    int shares[5]; /* by stratum_outcome_t */
    int blocks;
    block_t last;
} fake_t;

static const stratum_tpl_t *f_tpl(void *ctx, uint32_t seq)
{
    fake_t *f = ctx;
    if (f->stale || (seq && seq != f->tpl.seq))
        return NULL;
    return &f->tpl;
}

static void f_share(void *ctx, int worker, stratum_outcome_t what, double diff,
                    uint64_t now)
{
    (void)worker, (void)diff, (void)now;
    ((fake_t *)ctx)->shares[what]++;
}

static void f_block(void *ctx, int worker, block_t *b)
{
    (void)worker;
    fake_t *f = ctx;
    if (f->blocks++)
        block_deinit(&f->last);
    f->last = *b;
}

static int f_worker(void *ctx, const char *name)
{
    (void)ctx, (void)name;
    return 0;
}

static fake_t fake;
static stratum_env_t env;
static chain_t *chain;
static fx_key_t payee;
static char addr[128];

static void setup(void)
{
    memset(&fake, 0, sizeof fake);
    chain = fx_chain(NULL);
    fx_key(&payee, 9);
    fx_key_t a;
    fx_key(&a, 1);
    fx_extend(chain, chain_tip(chain), a.pub, NULL, 0, 0);
    const chain_node_t *tip = chain_tip(chain);
    cr_assert_eq(template_build(&fake.tpl.tpl, chain, tip, a.pub, NULL, 0,
                                tip->block.header.time + 1, 0),
                 0);
    static const uint8_t nobody[32];
    cr_assert_eq(
        stratum_job_from_template(&fake.tpl.work, &fake.tpl.tpl, nobody), 0);
    fake.tpl.seq = 1;
    /* A network target no share meets unless a test lowers it. */
    uint256_set_u64(&fake.tpl.net_target, 0);
    fake.tpl.net_diff = 1e30;
    env = (stratum_env_t){.ctx = &fake,
                          .tpl = f_tpl,
                          .share = f_share,
                          .block = f_block,
                          .worker = f_worker,
                          .hrp = params_regtest()->hrp,
                          .start_diff = 1e-9};
    cr_assert_eq(address_encode(addr, sizeof addr, env.hrp, payee.pub), 0);
}

static void teardown(void)
{
    block_deinit(&fake.tpl.tpl);
    if (fake.blocks)
        block_deinit(&fake.last);
    chain_free(&chain);
}

TestSuite(stratum_session, .init = setup, .fini = teardown, .timeout = 30);

/* Sends a line; returns the messages written, as a JSON array. */
static json_t *say(stratum_session_t *s, const char *line, int *rc)
{
    buf_t out;
    buf_init(&out);
    int r = stratum_session_line(s, &env, &out, line, strlen(line), 1000);
    if (rc)
        *rc = r;
    else
        cr_assert_eq(r, 0, "line '%s' ended the session", line);
    json_t *all = json_array();
    size_t start = 0;
    for (size_t i = 0; i < out.len; i++)
        if (out.data[i] == '\n') {
            json_t *m =
                json_loadb((const char *)out.data + start, i - start, 0, NULL);
            cr_assert_not_null(m, "each line is JSON");
            json_array_append_new(all, m);
            start = i + 1;
        }
    cr_assert_eq(start, out.len, "output ends with a newline");
    buf_deinit(&out);
    return all;
}

static int error_code(const json_t *m)
{
    return (int)json_integer_value(
        json_array_get(json_object_get(m, "error"), 0));
}

static const char *method(const json_t *m)
{
    const char *s = json_string_value(json_object_get(m, "method"));
    return s ? s : "";
}

/* Subscribed and authorized; returns the first job's id. */
static void login(stratum_session_t *s, char job_id[16])
{
    json_t *r = say(s,
                    "{\"id\":1,\"method\":\"mining.subscribe\","
                    "\"params\":[\"t/1\"]}",
                    NULL);
    cr_assert_eq(json_array_size(r), 1, "no job before authorize");
    json_t *res = json_object_get(json_array_get(r, 0), "result");
    cr_assert_str_eq(json_string_value(json_array_get(res, 1)), "0a0b0c0d");
    cr_assert_eq(json_integer_value(json_array_get(res, 2)), 4);
    json_decref(r);
    char line[300];
    snprintf(line, sizeof line,
             "{\"id\":2,\"method\":\"mining.authorize\",\"params\":"
             "[\"%s.w\",\"x\"]}",
             addr);
    r = say(s, line, NULL);
    cr_assert_eq(json_array_size(r), 3);
    cr_assert(json_is_true(json_object_get(json_array_get(r, 0), "result")));
    cr_assert_str_eq(method(json_array_get(r, 1)), "mining.set_difficulty");
    cr_assert_str_eq(method(json_array_get(r, 2)), "mining.notify");
    json_t *p = json_object_get(json_array_get(r, 2), "params");
    cr_assert(json_is_true(json_array_get(p, 8)), "the first job is clean");
    snprintf(job_id, 16, "%s", json_string_value(json_array_get(p, 0)));
    json_decref(r);
}

static void new_session(stratum_session_t *s)
{
    stratum_session_init(s, &env, (const uint8_t *)"\x0a\x0b\x0c\x0d", 1000);
}

/* A nonce whose share (extranonce2 0) meets target, or misses it. */
static uint32_t find_nonce(const stratum_session_t *s, double diff, bool meet)
{
    stratum_work_t w = fake.tpl.work;
    stratum_job_set_payee(&w, payee.pub);
    stratum_share_t sh = {.time = w.time, .version = w.version};
    memcpy(sh.extranonce1, s->extranonce1, 4);
    uint256_t t;
    stratum_job_diff_target(&t, diff);
    uint8_t h[32];
    for (sh.nonce = 0;; sh.nonce++) {
        stratum_job_hash(h, &w, &sh);
        if (block_hash_meets_target(h, &t) == meet)
            return sh.nonce;
        cr_assert_lt(sh.nonce, 100000);
    }
}

static json_t *submit(stratum_session_t *s, const char *worker, const char *job,
                      uint32_t nonce)
{
    char line[400];
    snprintf(line, sizeof line,
             "{\"id\":5,\"method\":\"mining.submit\",\"params\":[\"%s\","
             "\"%s\",\"00000000\",\"%08x\",\"%08x\"]}",
             worker, job, fake.tpl.work.time, nonce);
    return say(s, line, NULL);
}

Test(stratum_session, submit_refusal_codes)
{
    stratum_session_t s;
    new_session(&s);
    char w[200], job[16];
    snprintf(w, sizeof w, "%s.w", addr);
    json_t *r = submit(&s, w, "1", 0);
    cr_assert_eq(error_code(json_array_get(r, 0)), 25);
    json_decref(r);
    login(&s, job);
    r = submit(&s, "someone.else", job, 0);
    cr_assert_eq(error_code(json_array_get(r, 0)), 24);
    json_decref(r);
    r = submit(&s, w, "ffff", 0);
    cr_assert_eq(error_code(json_array_get(r, 0)), 21);
    json_decref(r);
    r = say(&s, "{\"id\":6,\"method\":\"mining.submit\",\"params\":[\"x\",1]}",
            NULL);
    cr_assert(error_code(json_array_get(r, 0)) == 24);
    json_decref(r);

    uint32_t good = find_nonce(&s, 1e-9, true);
    r = submit(&s, w, job, good);
    cr_assert(json_is_true(json_object_get(json_array_get(r, 0), "result")));
    json_decref(r);
    r = submit(&s, w, job, good);
    cr_assert_eq(error_code(json_array_get(r, 0)), 22);
    json_decref(r);
    uint32_t low = find_nonce(&s, 1e-9, false);
    r = submit(&s, w, job, low);
    cr_assert_eq(error_code(json_array_get(r, 0)), 23);
    json_decref(r);
    cr_assert_eq(fake.blocks, 0);
    /* The tip moved: the job is stale. */
    fake.stale = true;
    r = submit(&s, w, job, good + 1);
    cr_assert_eq(error_code(json_array_get(r, 0)), 21);
    json_decref(r);
    cr_assert_eq(fake.shares[STRATUM_SHARE_ACCEPTED], 1);
    cr_assert_eq(fake.shares[STRATUM_SHARE_DUPLICATE], 1);
    cr_assert_eq(fake.shares[STRATUM_SHARE_LOW], 1);
    cr_assert_eq(fake.shares[STRATUM_SHARE_STALE], 2);
}

Test(stratum_session, network_target_share_is_a_block_for_the_payee)
{
    stratum_session_t s;
    new_session(&s);
    char w[200], job[16];
    snprintf(w, sizeof w, "%s.w", addr);
    login(&s, job);
    cr_assert_eq(
        block_bits_to_target(&fake.tpl.net_target, fake.tpl.tpl.header.bits),
        0);
    /* A share at the job's difficulty that also meets regtest's target. */
    uint32_t n = find_nonce(&s, 2e-9, true);
    json_t *r = submit(&s, w, job, n);
    cr_assert(json_is_true(json_object_get(json_array_get(r, 0), "result")));
    json_decref(r);
    cr_assert_eq(fake.blocks, 1);
    cr_assert_arr_eq(fake.last.txs[0].recipient, payee.pub, 32);
    const char *why = NULL;
    cr_assert_eq(chain_add_block(chain, &why, &fake.last), 0, "%s",
                 why ? why : "");
}

Test(stratum_session, difficulty_applies_from_the_next_job)
{
    stratum_session_t s;
    new_session(&s);
    char w[200], job1[16];
    snprintf(w, sizeof w, "%s.w", addr);
    login(&s, job1);
    json_t *r = say(&s,
                    "{\"id\":7,\"method\":\"mining.suggest_difficulty\","
                    "\"params\":[\"1000\"]}",
                    NULL);
    cr_assert_eq(json_array_size(r), 3);
    cr_assert_str_eq(method(json_array_get(r, 1)), "mining.set_difficulty");
    cr_assert_float_eq(json_number_value(json_array_get(
                           json_object_get(json_array_get(r, 1), "params"), 0)),
                       1000, 1e-9);
    const char *job2 = json_string_value(
        json_array_get(json_object_get(json_array_get(r, 2), "params"), 0));
    cr_assert_str_neq(job2, job1);
    uint32_t n = find_nonce(&s, 1e-9, true);
    json_t *a = submit(&s, w, job2, n);
    cr_assert_eq(error_code(json_array_get(a, 0)), 23, "job 2 is at 1000");
    json_decref(a);
    a = submit(&s, w, job1, n);
    cr_assert(json_is_true(json_object_get(json_array_get(a, 0), "result")),
              "job 1 keeps its own difficulty");
    json_decref(a);
    json_decref(r);
}

Test(stratum_session, unknown_methods_answered_bad_input_scored)
{
    stratum_session_t s;
    new_session(&s);
    json_t *r =
        say(&s, "{\"id\":3,\"method\":\"mining.nope\",\"params\":[]}", NULL);
    cr_assert_eq(error_code(json_array_get(r, 0)), 20);
    cr_assert_eq(
        json_integer_value(json_object_get(json_array_get(r, 0), "id")), 3);
    json_decref(r);
    cr_assert_eq(s.score, 0, "an unknown method costs nothing");
    int rc = 0;
    int i;
    for (i = 0; i < 20 && rc == 0; i++)
        json_decref(say(&s, "not json", &rc));
    cr_assert_eq(rc, ERR_INVALID);
    cr_assert_eq(i, STRATUM_SCORE_MAX / 10);
}

Test(stratum_session, floods_end_the_session)
{
    stratum_session_t s;
    new_session(&s);
    int rc = 0, i;
    /* All at the same instant: the burst, then each costs a point. */
    for (i = 0; i < 1000 && rc == 0; i++)
        json_decref(say(&s, "{\"id\":1,\"method\":\"mining.ping\"}", &rc));
    cr_assert_eq(rc, ERR_INVALID);
    cr_assert_eq(i, (int)STRATUM_MSG_BURST + STRATUM_SCORE_MAX);
}

/* An ASIC at a CPU miner's difficulty: a thousand good shares at one
 * instant, far over the message rate, are work and end nothing; junk at
 * the same pace would (above). */
Test(stratum_session, a_burst_of_good_shares_is_not_a_flood)
{
    stratum_session_t s;
    new_session(&s);
    char w[200], job[16], line[400];
    snprintf(w, sizeof w, "%s.w", addr);
    login(&s, job);
    stratum_work_t wk = fake.tpl.work;
    stratum_job_set_payee(&wk, payee.pub);
    stratum_share_t sh = {.time = wk.time, .version = wk.version};
    memcpy(sh.extranonce1, s.extranonce1, 4);
    uint256_t t;
    stratum_job_diff_target(&t, 1e-9);
    uint8_t h[32];
    int sent = 0;
    for (sh.nonce = 0; sent < 1000; sh.nonce++) {
        stratum_job_hash(h, &wk, &sh);
        if (!block_hash_meets_target(h, &t))
            continue;
        snprintf(line, sizeof line,
                 "{\"id\":5,\"method\":\"mining.submit\",\"params\":[\"%s\","
                 "\"%s\",\"00000000\",\"%08x\",\"%08x\"]}",
                 w, job, sh.time, sh.nonce);
        json_t *r = say(&s, line, NULL);
        cr_assert(json_is_true(json_object_get(json_array_get(r, 0), "result")),
                  "share %d", sent);
        json_decref(r);
        sent++;
    }
    cr_assert_eq(s.score, 0);
    cr_assert_eq(fake.shares[STRATUM_SHARE_ACCEPTED], 1000);
}

Test(stratum_session, configure_version_rolling_mask)
{
    stratum_session_t s;
    new_session(&s);
    json_t *r = say(&s,
                    "{\"id\":1,\"method\":\"mining.configure\",\"params\":"
                    "[[\"version-rolling\",\"minimum-difficulty\"],"
                    "{\"version-rolling.mask\":\"00fff000\"}]}",
                    NULL);
    json_t *res = json_object_get(json_array_get(r, 0), "result");
    cr_assert(json_is_true(json_object_get(res, "version-rolling")));
    cr_assert_str_eq(
        json_string_value(json_object_get(res, "version-rolling.mask")),
        "00ffe000");
    cr_assert(json_is_false(json_object_get(res, "minimum-difficulty")));
    cr_assert_eq(s.mask, 0x00ffe000u);
    json_decref(r);
}
