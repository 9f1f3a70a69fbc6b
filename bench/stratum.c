/*
 * stratum — shares checked a second (see stratum.h).
 *
 * The session is driven with a fake clock 10 ms a line (within its message
 * rate) and its score and vardiff window held still, so every line is a
 * whole check rather than a refusal for flooding or a new difficulty.
 */
#include "stratum.h"
#include "address.h"
#include "chain.h"
#include "cmdline.h"
#include "keys.h"
#include "params.h"
#include "stratum_session.h"
#include "template.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRANSFERS 1000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    stratum_tpl_t tpl;
    uint64_t accepted, refused;
} bench_srv_t;

static const stratum_tpl_t *b_tpl(void *ctx, uint32_t seq)
{
    bench_srv_t *b = ctx;
    return !seq || seq == b->tpl.seq ? &b->tpl : NULL;
}

static void b_share(void *ctx, int worker, stratum_outcome_t what, double diff,
                    uint64_t now)
{
    (void)worker, (void)diff, (void)now;
    bench_srv_t *b = ctx;
    if (what == STRATUM_SHARE_ACCEPTED)
        b->accepted++;
    else
        b->refused++;
}

static void b_block(void *ctx, int worker, block_t *blk)
{
    (void)ctx, (void)worker;
    block_deinit(blk);
}

static int b_worker(void *ctx, const char *name)
{
    (void)ctx, (void)name;
    return 0;
}

typedef struct {
    uint64_t seconds;
    int json;
} stratum_opts_t;

static int read_option(void *ctx, int ch, const char *arg)
{
    stratum_opts_t *o = ctx;
    int st = 0;
    if (ch == 's')
        st = cmdline_uint(&o->seconds, "--seconds", arg, 1, 600, "seconds");
    else if (ch == 'j')
        o->json = 1;
    else if (ch == 'h') {
        printf("usage: pickaxe-bench stratum [--seconds S] [--json]\n\n"
               "Shares a second on one thread: checked with the reference "
               "hash, and\nwhole mining.submit lines handled by a session "
               "(S seconds each, default 3).\n");
        return CMDLINE_EXIT_OK;
    }
    return st ? st : CMDLINE_GO_ON;
}

/* A template with TRANSFERS unsigned transfers (their signatures are not
 * what a share check looks at). */
static int make_template(bench_srv_t *b)
{
    chain_config_t cfg = {.params = params_regtest()};
    chain_t *c = chain_new(&cfg);
    if (!c)
        return 1;
    tx_t *txs = calloc(TRANSFERS, sizeof *txs);
    uint8_t from[32] = {1}, to[32] = {2};
    for (int i = 0; txs && i < TRANSFERS; i++)
        tx_init_transfer(&txs[i], from, to, 1000, 10, (uint64_t)i);
    const chain_node_t *tip = chain_tip(c);
    static const uint8_t nobody[32];
    int rc = !txs || template_build(&b->tpl.tpl, c, tip, nobody, txs, TRANSFERS,
                                    tip->block.header.time + 1, 0);
    free(txs);
    chain_free(&c);
    if (rc || stratum_job_from_template(&b->tpl.work, &b->tpl.tpl, nobody))
        return 1;
    b->tpl.seq = 1;
    uint256_set_u64(&b->tpl.net_target, 0); /* no share is a block */
    b->tpl.net_diff = 1e30;
    return 0;
}

int bench_stratum_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seconds", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    stratum_opts_t o = {3, 0};
    int st = cmdline_read(argc, argv, "", opts, read_option, &o, false);
    if (st != CMDLINE_GO_ON)
        return st;
    bench_srv_t b;
    memset(&b, 0, sizeof b);
    if (make_template(&b) != 0) {
        fprintf(stderr, "pickaxe-bench: cannot build a template\n");
        return 1;
    }

    /* The share check alone. */
    stratum_share_t sh = {.time = b.tpl.work.time,
                          .version = b.tpl.work.version};
    uint256_t target;
    stratum_job_diff_target(&target, 1.0);
    uint8_t hash[32];
    uint64_t checks = 0, met = 0;
    double t0 = now_s(), t1 = t0;
    while (t1 - t0 < (double)o.seconds) {
        for (int i = 0; i < 4096; i++, checks++) {
            sh.nonce = (uint32_t)checks;
            be32_put(sh.extranonce2, (uint32_t)(checks >> 32));
            stratum_job_hash(hash, &b.tpl.work, &sh);
            met += block_hash_meets_target(hash, &target);
        }
        t1 = now_s();
    }
    double check_rate = (double)checks / (t1 - t0);

    /* Whole submit lines through a session. */
    stratum_env_t env = {.ctx = &b,
                         .tpl = b_tpl,
                         .share = b_share,
                         .block = b_block,
                         .worker = b_worker,
                         .hrp = params_regtest()->hrp,
                         .start_diff = 1e-9};
    stratum_session_t s;
    uint64_t clock_ms = 1000;
    stratum_session_init(&s, &env, (const uint8_t *)"\1\2\3\4", clock_ms);
    uint8_t secret[32], key[32];
    memset(secret, 7, sizeof secret);
    char addr[128], line[512];
    if (keys_pubkey_from_secret(key, secret) != 0 ||
        address_encode(addr, sizeof addr, env.hrp, key) != 0)
        return 1;
    buf_t out;
    buf_init(&out);
    snprintf(line, sizeof line,
             "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n");
    int rc =
        stratum_session_line(&s, &env, &out, line, strlen(line) - 1, clock_ms);
    snprintf(line, sizeof line,
             "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"%s\"]}",
             addr);
    rc |= stratum_session_line(&s, &env, &out, line, strlen(line), clock_ms);
    if (rc) {
        fprintf(stderr, "pickaxe-bench: the session refused to log in\n");
        return 1;
    }
    uint64_t lines = 0;
    t0 = t1 = now_s();
    while (t1 - t0 < (double)o.seconds) {
        for (int i = 0; i < 1024; i++, lines++) {
            int n = snprintf(line, sizeof line,
                             "{\"id\":%llu,\"method\":\"mining.submit\","
                             "\"params\":[\"%s\",\"1\",\"%08x\",\"%08x\","
                             "\"%08x\"]}",
                             (unsigned long long)lines, addr,
                             (unsigned)(lines >> 32), b.tpl.work.time,
                             (unsigned)lines);
            clock_ms += 10;
            s.score = 0;
            s.vd.shares = 0;
            s.vd.since_ms = clock_ms;
            buf_reset(&out);
            if (stratum_session_line(&s, &env, &out, line, (size_t)n,
                                     clock_ms) != 0) {
                fprintf(stderr, "pickaxe-bench: the session ended\n");
                return 1;
            }
        }
        t1 = now_s();
    }
    buf_deinit(&out);
    double line_rate = (double)lines / (t1 - t0);
    block_deinit(&b.tpl.tpl);
    if (o.json)
        printf("{\"checks_per_s\":%.0f,\"submits_per_s\":%.0f,"
               "\"branch\":%zu,\"accepted\":%llu,\"refused\":%llu}\n",
               check_rate, line_rate, b.tpl.work.branch_len,
               (unsigned long long)b.accepted, (unsigned long long)b.refused);
    else
        printf("share checks (reference hash, %zu-level branch): %.0f/s\n"
               "mining.submit lines through a session:            %.0f/s "
               "(%llu accepted, %llu refused)\n",
               b.tpl.work.branch_len, check_rate, line_rate,
               (unsigned long long)b.accepted, (unsigned long long)b.refused);
    (void)met;
    return 0;
}
