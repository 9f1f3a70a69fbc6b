/*
 * stratum_session — one connection's protocol state machine (see
 * stratum_session.h).
 */
#include "stratum_session.h"
#include "address.h"
#include "err.h"
#include "hex.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What each kind of misbehaviour costs (STRATUM_SCORE_MAX disconnects). */
#define SCORE_NOT_JSON 10
#define SCORE_MALFORMED 10
#define SCORE_UNAUTHORIZED 5
#define SCORE_DUPLICATE 5
#define SCORE_LOW 2
#define SCORE_FLOOD 1

void stratum_session_init(stratum_session_t *s, const stratum_env_t *env,
                          const uint8_t extranonce1[4], uint64_t now_ms)
{
    memset(s, 0, sizeof *s);
    memcpy(s->extranonce1, extranonce1, STRATUM_EXTRANONCE1_SIZE);
    s->worker_slot = -1;
    stratum_vardiff_init(&s->vd, env->start_diff, now_ms);
    s->tokens = STRATUM_MSG_BURST;
    s->tokens_ms = s->created_ms = s->last_ms = now_ms;
}

bool stratum_session_mining(const stratum_session_t *s)
{
    return s->subscribed && s->authorized;
}

/* Appends obj as one line; takes obj. */
static int emit(buf_t *out, json_t *obj)
{
    if (!obj)
        return ERR_NOMEM;
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!text)
        return ERR_NOMEM;
    int rc = buf_put(out, text, strlen(text));
    free(text);
    return rc ? rc : buf_put_u8(out, '\n');
}

/* {"id", "result", "error": null}; takes result. */
static int reply(buf_t *out, json_t *id, json_t *result)
{
    return emit(out,
                json_pack("{s:O,s:o,s:n}", "id", id ? id : json_null(),
                          "result", result ? result : json_null(), "error"));
}

/* {"id", "result": null or false, "error": [code, message, null]}. */
static int refuse_as(buf_t *out, json_t *id, int code, const char *message,
                     bool result_false)
{
    return emit(out,
                json_pack("{s:O,s:o,s:[i,s,n]}", "id", id ? id : json_null(),
                          "result", result_false ? json_false() : json_null(),
                          "error", code, message));
}

static int refuse(buf_t *out, json_t *id, int code, const char *message)
{
    return refuse_as(out, id, code, message, false);
}

static int notification(buf_t *out, const char *method, json_t *params)
{
    if (!params)
        return ERR_NOMEM;
    return emit(out, json_pack("{s:n,s:s,s:o}", "id", "method", method,
                               "params", params));
}

int stratum_session_notify(stratum_session_t *s, const stratum_env_t *env,
                           buf_t *out, bool clean, uint64_t now_ms)
{
    (void)now_ms;
    if (!stratum_session_mining(s))
        return 0;
    const stratum_tpl_t *t = env->tpl(env->ctx, 0);
    if (!t)
        return 0;
    int rc;
    if (s->sent_diff != s->vd.diff) {
        rc = notification(out, "mining.set_difficulty",
                          json_pack("[f]", s->vd.diff));
        if (rc)
            return rc;
        s->sent_diff = s->vd.diff;
    }
    stratum_work_t w = t->work;
    stratum_job_set_payee(&w, s->payee);
    if (++s->next_job == 0)
        s->next_job = 1;
    uint32_t id = s->next_job;
    s->jobs[id % STRATUM_SESSION_JOBS].id = id;
    s->jobs[id % STRATUM_SESSION_JOBS].seq = t->seq;
    s->jobs[id % STRATUM_SESSION_JOBS].diff = s->vd.diff;
    char idhex[9];
    snprintf(idhex, sizeof idhex, "%x", id);
    return notification(out, "mining.notify",
                        stratum_job_notify_params(&w, idhex, clean));
}

/* ---- methods ------------------------------------------------------------- */

static int m_subscribe(stratum_session_t *s, const stratum_env_t *env,
                       buf_t *out, json_t *id, uint64_t now_ms)
{
    char en1[2 * STRATUM_EXTRANONCE1_SIZE + 1], sub[17];
    hex_encode(en1, s->extranonce1, STRATUM_EXTRANONCE1_SIZE);
    snprintf(sub, sizeof sub, "%s%08x", en1, (unsigned)(s->created_ms));
    int rc =
        reply(out, id,
              json_pack("[[[s,s],[s,s]],s,i]", "mining.set_difficulty", sub,
                        "mining.notify", sub, en1, STRATUM_EXTRANONCE2_SIZE));
    bool was = s->subscribed;
    s->subscribed = true;
    if (rc == 0 && !was)
        rc = stratum_session_notify(s, env, out, true, now_ms);
    return rc;
}

static int m_authorize(stratum_session_t *s, const stratum_env_t *env,
                       buf_t *out, json_t *id, const json_t *params,
                       uint64_t now_ms)
{
    const char *user = json_string_value(json_array_get(params, 0));
    size_t len = user ? strlen(user) : 0;
    if (!user || len == 0 || len > STRATUM_WORKER_MAX) {
        s->score += SCORE_MALFORMED;
        return refuse_as(out, id, 24,
                         "the username must be a pickaxe address, "
                         "optionally ADDRESS.WORKER",
                         true);
    }
    char addr[STRATUM_WORKER_MAX + 1];
    memcpy(addr, user, len + 1);
    char *dot = strchr(addr, '.');
    if (dot)
        *dot = 0;
    uint8_t payee[32];
    const char *why = NULL;
    if (address_decode(payee, &why, env->hrp, addr) != 0) {
        s->score += SCORE_UNAUTHORIZED;
        char msg[STRATUM_WORKER_MAX + 160];
        snprintf(msg, sizeof msg, "'%s' is not a pickaxe %s address: %s", addr,
                 env->hrp, why ? why : "not an address");
        return refuse_as(out, id, 24, msg, true);
    }
    bool was = stratum_session_mining(s);
    bool same = s->authorized && memcmp(payee, s->payee, 32) == 0;
    memcpy(s->worker, user, len + 1);
    memcpy(s->payee, payee, 32);
    s->authorized = true;
    s->worker_slot = env->worker(env->ctx, s->worker);
    int rc = reply(out, id, json_true());
    /* A new payee is a new coinbase: a new job. */
    if (rc == 0 && (!was || !same))
        rc = stratum_session_notify(s, env, out, true, now_ms);
    return rc;
}

static int m_configure(stratum_session_t *s, buf_t *out, json_t *id,
                       const json_t *params)
{
    const json_t *exts = json_array_get(params, 0);
    const json_t *opts = json_array_get(params, 1);
    if (!json_is_array(exts) || (opts && !json_is_object(opts))) {
        s->score += SCORE_MALFORMED;
        return refuse(out, id, 20, "mining.configure takes [[ext...], {...}]");
    }
    json_t *r = json_object();
    if (!r)
        return ERR_NOMEM;
    size_t i;
    const json_t *e;
    json_array_foreach(exts, i, e)
    {
        const char *name = json_string_value(e);
        if (!name || i >= 16)
            continue;
        if (strcmp(name, "version-rolling") != 0) {
            json_object_set_new(r, name, json_false());
            continue;
        }
        uint32_t want = 0xffffffffu;
        const char *m =
            json_string_value(json_object_get(opts, "version-rolling.mask"));
        uint8_t b[4];
        if (m && strlen(m) == 8 && hex_decode(b, 4, m) == 0)
            want = be32_get(b);
        s->mask = want & STRATUM_VERSION_MASK;
        char hex[9];
        snprintf(hex, sizeof hex, "%08x", s->mask);
        json_object_set_new(r, "version-rolling", json_true());
        json_object_set_new(r, "version-rolling.mask", json_string(hex));
    }
    return reply(out, id, r);
}

static int m_suggest(stratum_session_t *s, const stratum_env_t *env, buf_t *out,
                     json_t *id, const json_t *params, uint64_t now_ms)
{
    const json_t *v = json_array_get(params, 0);
    double d = NAN;
    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (json_is_string(v)) {
        const char *t = json_string_value(v);
        char *end;
        d = strtod(t, &end);
        if (end == t || *end)
            d = NAN;
    }
    if (!(d > 0) || isinf(d)) {
        s->score += SCORE_MALFORMED;
        return refuse(out, id, 20, "the difficulty must be a positive number");
    }
    stratum_vardiff_set(&s->vd, d, now_ms);
    int rc = reply(out, id, json_true());
    /* From the next job on: one now. */
    if (rc == 0)
        rc = stratum_session_notify(s, env, out, false, now_ms);
    return rc;
}

/* The 64-bit key of an accepted share for the duplicate check. */
static bool seen_share(stratum_session_t *s, const stratum_tpl_t *t,
                       const uint8_t hash[32], bool add)
{
    if (memcmp(s->dup_prev, t->work.prev_hash, 32) != 0) {
        /* A new tip: shares of older jobs are stale anyway. */
        memcpy(s->dup_prev, t->work.prev_hash, 32);
        s->dup_count = 0;
    }
    uint64_t key = le64_get(hash);
    size_t n = s->dup_count < STRATUM_DUP_MAX ? s->dup_count : STRATUM_DUP_MAX;
    for (size_t i = 0; i < n; i++)
        if (s->dups[i] == key)
            return true;
    if (add) /* a ring: the oldest key goes when it is full */
        s->dups[s->dup_count++ % STRATUM_DUP_MAX] = key;
    return false;
}

static void note(stratum_session_t *s, const stratum_env_t *env,
                 stratum_outcome_t what, double diff, uint64_t now_ms)
{
    if (what == STRATUM_SHARE_ACCEPTED)
        s->accepted++;
    else
        s->refused++;
    if (s->worker_slot >= 0)
        env->share(env->ctx, s->worker_slot, what, diff, now_ms);
}

static int m_submit(stratum_session_t *s, const stratum_env_t *env, buf_t *out,
                    json_t *id, const json_t *params, uint64_t now_ms)
{
    if (!s->subscribed) {
        s->score += SCORE_UNAUTHORIZED;
        return refuse(out, id, 25, "Not subscribed");
    }
    size_t n = json_array_size(params);
    const char *f[6] = {0};
    for (size_t i = 0; i < n && i < 6; i++)
        f[i] = json_string_value(json_array_get(params, i));
    if (!s->authorized || !f[0] || strcmp(f[0], s->worker) != 0) {
        s->score += SCORE_UNAUTHORIZED;
        note(s, env, STRATUM_SHARE_INVALID, 0, now_ms);
        return refuse(out, id, 24, "Unauthorized worker");
    }
    bool vnull = n == 6 && json_is_null(json_array_get(params, 5));
    if (n < 5 || n > 6 || !f[1] || !f[2] || !f[3] || !f[4] ||
        (n == 6 && !f[5] && !vnull)) {
        s->score += SCORE_MALFORMED;
        note(s, env, STRATUM_SHARE_INVALID, 0, now_ms);
        return refuse(out, id, 20,
                      "mining.submit takes [worker, job_id, "
                      "extranonce2, ntime, nonce, version_bits?]");
    }
    char *end;
    unsigned long jid = strtoul(f[1], &end, 16);
    const stratum_tpl_t *t = NULL;
    double diff = 0;
    if (*f[1] && !*end && strlen(f[1]) <= 8 && jid) {
        size_t k = jid % STRATUM_SESSION_JOBS;
        if (s->jobs[k].id == jid) {
            t = env->tpl(env->ctx, s->jobs[k].seq);
            diff = s->jobs[k].diff;
        }
    }
    if (!t) {
        note(s, env, STRATUM_SHARE_STALE, 0, now_ms);
        return refuse(out, id, 21, "Job not found (stale)");
    }
    stratum_share_t sh;
    memcpy(sh.extranonce1, s->extranonce1, sizeof sh.extranonce1);
    int rc = stratum_job_parse_share(&sh, &t->work, f[2], f[3], f[4],
                                     n == 6 ? f[5] : NULL, s->mask);
    if (rc == 0 && (sh.time < t->work.time ||
                    sh.time - t->work.time > STRATUM_NTIME_AHEAD))
        rc = ERR_INVALID;
    if (rc) {
        s->score += SCORE_MALFORMED;
        note(s, env, STRATUM_SHARE_INVALID, 0, now_ms);
        return refuse(out, id, 20,
                      rc == ERR_PARSE   ? "extranonce2, ntime, nonce and "
                                          "version bits are 8 hex digits each"
                      : rc == ERR_RANGE ? "version bits outside the mask "
                                          "agreed with mining.configure"
                                        : "ntime out of range");
    }
    stratum_work_t w = t->work;
    stratum_job_set_payee(&w, s->payee);
    uint8_t hash[32];
    stratum_job_hash(hash, &w, &sh);
    if (seen_share(s, t, hash, false)) {
        s->score += SCORE_DUPLICATE;
        note(s, env, STRATUM_SHARE_DUPLICATE, 0, now_ms);
        return refuse(out, id, 22, "Duplicate share");
    }
    uint256_t target;
    stratum_job_diff_target(&target, diff);
    bool block = block_hash_meets_target(hash, &t->net_target);
    bool met = block_hash_meets_target(hash, &target);
    if (!block && !met) {
        s->score += SCORE_LOW;
        note(s, env, STRATUM_SHARE_LOW, 0, now_ms);
        return refuse(out, id, 23, "Low difficulty share");
    }
    seen_share(s, t, hash, true);
    /* On an easy network a share may meet the network target but not the
     * job's difficulty: it counts at the network's. */
    double credit = met ? diff : t->net_diff;
    note(s, env, STRATUM_SHARE_ACCEPTED, credit, now_ms);
    stratum_vardiff_share(&s->vd, credit);
    if (block) {
        block_t b;
        rc = stratum_job_block(&b, &t->tpl, s->payee, &sh, hash);
        if (rc == ERR_NOMEM)
            return rc;
        if (rc == 0)
            env->block(env->ctx, s->worker_slot, &b);
    }
    rc = reply(out, id, json_true());
    if (rc == 0 && stratum_vardiff_retarget(&s->vd, now_ms) > 0)
        rc = stratum_session_notify(s, env, out, false, now_ms);
    return rc;
}

/* Token bucket: false when the session is over its message rate. */
static bool within_rate(stratum_session_t *s, uint64_t now_ms)
{
    if (now_ms > s->tokens_ms) {
        s->tokens +=
            (double)(now_ms - s->tokens_ms) / 1000.0 * STRATUM_MSG_RATE;
        if (s->tokens > STRATUM_MSG_BURST)
            s->tokens = STRATUM_MSG_BURST;
        s->tokens_ms = now_ms;
    }
    if (s->tokens < 1)
        return false;
    s->tokens -= 1;
    return true;
}

static int dispatch(stratum_session_t *s, const stratum_env_t *env, buf_t *out,
                    json_t *req, uint64_t now_ms)
{
    json_t *id = json_object_get(req, "id");
    const char *method = json_string_value(json_object_get(req, "method"));
    if (!method) {
        /* A miner's answer to something of ours: nothing to do. */
        if (json_object_get(req, "result") || json_object_get(req, "error"))
            return 0;
        s->score += SCORE_MALFORMED;
        return refuse(out, id, 20, "a request needs a \"method\"");
    }
    json_t *params = json_object_get(req, "params");
    if (params && !json_is_array(params) && !json_is_null(params)) {
        s->score += SCORE_MALFORMED;
        return refuse(out, id, 20, "\"params\" must be an array");
    }
    if (strcmp(method, "mining.submit") == 0)
        return m_submit(s, env, out, id, params, now_ms);
    if (strcmp(method, "mining.subscribe") == 0)
        return m_subscribe(s, env, out, id, now_ms);
    if (strcmp(method, "mining.authorize") == 0)
        return m_authorize(s, env, out, id, params, now_ms);
    if (strcmp(method, "mining.configure") == 0)
        return m_configure(s, out, id, params);
    if (strcmp(method, "mining.suggest_difficulty") == 0)
        return m_suggest(s, env, out, id, params, now_ms);
    if (strcmp(method, "mining.extranonce.subscribe") == 0) {
        s->extranonce_sub = true; /* extranonce1 never changes */
        return reply(out, id, json_true());
    }
    if (strcmp(method, "mining.ping") == 0)
        return reply(out, id, json_string("pong"));
    return refuse(out, id, 20, "Unknown method");
}

int stratum_session_line(stratum_session_t *s, const stratum_env_t *env,
                         buf_t *out, const char *line, size_t len,
                         uint64_t now_ms)
{
    s->last_ms = now_ms;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return 0;
    /* Over the rate, a line costs a point unless it was an accepted share:
     * a fast miner's shares in flight when its difficulty rises (an ASIC
     * starting at a CPU miner's difficulty sends thousands a second until
     * its next job) are work, not a flood, and give their token back. A
     * flood of anything else ends within STRATUM_MSG_BURST +
     * STRATUM_SCORE_MAX lines. */
    bool over = !within_rate(s, now_ms);
    uint64_t accepted = s->accepted;
    json_error_t jerr;
    json_t *req = json_loadb(line, len, 0, &jerr);
    int rc;
    if (!json_is_object(req)) {
        s->score += SCORE_NOT_JSON;
        rc = refuse(out, NULL, 20, "not a JSON-RPC request");
    } else {
        rc = dispatch(s, env, out, req, now_ms);
    }
    json_decref(req);
    if (s->accepted > accepted) {
        if (!over && s->tokens + 1 <= STRATUM_MSG_BURST)
            s->tokens += 1;
    } else if (over) {
        s->score += SCORE_FLOOD;
    }
    if (rc)
        return rc;
    return s->score >= STRATUM_SCORE_MAX ? ERR_INVALID : 0;
}

int stratum_session_tick(stratum_session_t *s, const stratum_env_t *env,
                         buf_t *out, uint64_t now_ms)
{
    if (!stratum_session_mining(s))
        return 0;
    if (stratum_vardiff_retarget(&s->vd, now_ms) > 0)
        return stratum_session_notify(s, env, out, false, now_ms);
    return 0;
}
