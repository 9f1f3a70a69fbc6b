/*
 * validate — block-validation benchmark (see validate.h).
 *
 *   pickaxe-bench validate [--rounds N] [--threads N] [--json]
 *
 * Figures: transfers verified per second inside a full block with 1 thread
 * and with N threads, libsecp256k1's bare single-thread verification rate
 * on the same signatures (keys parsed and messages hashed beforehand), and
 * the ratios (per-core efficiency and scaling).
 */
#include "validate.h"
#include "chain.h"
#include "cmdline.h"
#include "err.h"
#include "keys.h"
#include "params.h"
#include "sigcheck.h"
#include "template.h"

#include <getopt.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SENDERS 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: pickaxe-bench validate [--rounds N] [--threads N] [--json]\n"
           "\n"
           "Times full validation of a block filled to the size limit with "
           "signed\n"
           "transfers: on one signature thread, on N threads (default: every "
           "core),\n"
           "and the raw single-thread libsecp256k1 verification rate as "
           "yardstick.\n");
}

static chain_t *funded_chain(unsigned threads, uint8_t keys[SENDERS][32],
                             uint8_t secrets[SENDERS][32])
{
    chain_config_t cfg = {.params = params_regtest(), .sig_threads = threads};
    chain_t *c = chain_new(&cfg);
    if (!c)
        return NULL;
    for (int i = 0; i < SENDERS; i++) {
        block_t b;
        const chain_node_t *tip = chain_tip(c);
        if (template_build(&b, c, tip, keys[i], NULL, 0,
                           tip->block.header.time + 1, 0) != 0 ||
            template_solve(&b) != 0 || chain_add_block(c, NULL, &b) != 0) {
            chain_free(&c);
            return NULL;
        }
        block_deinit(&b);
    }
    (void)secrets;
    return c;
}

static double time_verify(chain_t *c, const block_t *b, int rounds)
{
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        const char *why = NULL;
        double t0 = now_s();
        int rc = chain_verify_block(c, &why, b);
        double dt = now_s() - t0;
        if (rc != 0) {
            fprintf(stderr, "pickaxe-bench: benchmark block refused: %s\n",
                    why ? why : err_str(rc));
            return -1;
        }
        if (dt < best)
            best = dt;
    }
    return best;
}

typedef struct {
    uint64_t rounds, threads;
    int json;
} validate_opts_t;

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int ch, const char *arg)
{
    validate_opts_t *o = ctx;
    int st = 0;
    if (ch == 'r')
        st = cmdline_uint(&o->rounds, "--rounds", arg, 1, 1000, NULL);
    else if (ch == 't')
        st = cmdline_uint(&o->threads, "--threads", arg, 1, 64, NULL);
    else if (ch == 'j')
        o->json = 1;
    else if (ch == 'h')
        return usage(stdout), CMDLINE_EXIT_OK;
    return st ? st : CMDLINE_GO_ON;
}

int bench_validate_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rounds", required_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    validate_opts_t o = {5, sigcheck_default_threads(), 0};
    int st = cmdline_read(argc, argv, "", opts, read_option, &o, false);
    if (st != CMDLINE_GO_ON)
        return st;
    int rounds = (int)o.rounds, json = o.json;
    unsigned threads = (unsigned)o.threads;

    uint8_t secrets[SENDERS][32], keys[SENDERS][32];
    for (int i = 0; i < SENDERS; i++) {
        memset(secrets[i], i + 1, 32);
        if (keys_pubkey_from_secret(keys[i], secrets[i]) != 0)
            return 1;
    }
    if (!json)
        fprintf(
            stderr,
            "pickaxe-bench: building a full block of signed transfers...\n");
    chain_t *one = funded_chain(1, keys, secrets);
    chain_t *many = funded_chain(threads, keys, secrets);
    if (!one || !many) {
        fprintf(stderr, "pickaxe-bench: could not build the benchmark chain\n");
        return 1;
    }
    /* Transfers round-robin over the senders, nonce after nonce. */
    size_t max = (BLOCK_MAX_SIZE - BLOCK_HEADER_SIZE - 4 - TX_COINBASE_SIZE) /
                 TX_TRANSFER_SIZE;
    tx_t *txs = calloc(max, sizeof *txs);
    if (!txs)
        return 1;
    for (size_t i = 0; i < max; i++) {
        int s = (int)(i % SENDERS);
        tx_init_transfer(&txs[i], keys[s], keys[(s + 1) % SENDERS], 1000, 1,
                         i / SENDERS);
        if (tx_sign_with_secret(&txs[i], secrets[s],
                                params_regtest()->network_id) != 0)
            return 1;
    }
    block_t b;
    const chain_node_t *tip = chain_tip(one);
    if (template_build(&b, one, tip, keys[0], txs, max,
                       tip->block.header.time + 1, 0) != 0 ||
        template_solve(&b) != 0)
        return 1;

    /* The yardstick: libsecp256k1's verification alone, on keys parsed and
     * messages hashed beforehand (block validation also parses each key and
     * computes each sighash, so it can only come close). */
    secp256k1_xonly_pubkey *pubs = calloc(max, sizeof *pubs);
    uint8_t(*msgs)[32] = calloc(max, sizeof *msgs);
    if (!pubs || !msgs)
        return 1;
    const secp256k1_context *ctx = keys_context();
    for (size_t i = 0; i < max; i++) {
        if (!secp256k1_xonly_pubkey_parse(ctx, &pubs[i], txs[i].sender))
            return 1;
        tx_sighash(msgs[i], &txs[i], params_regtest()->network_id);
    }
    double raw_best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        for (size_t i = 0; i < max; i++)
            if (!secp256k1_schnorrsig_verify(ctx, txs[i].sig, msgs[i], 32,
                                             &pubs[i]))
                return 1;
        double dt = now_s() - t0;
        if (dt < raw_best)
            raw_best = dt;
    }
    free(pubs);
    free(msgs);
    double t1 = time_verify(one, &b, rounds);
    double tn = time_verify(many, &b, rounds);
    if (t1 < 0 || tn < 0)
        return 1;
    double raw_rate = (double)max / raw_best;
    double rate1 = (double)max / t1, raten = (double)max / tn;
    if (json) {
        printf("{\"transfers\": %zu, \"block_bytes\": %zu, \"threads\": %u, "
               "\"libsecp256k1_verify_per_s\": %.0f, \"block_1t_per_s\": %.0f, "
               "\"block_nt_per_s\": %.0f, \"efficiency_1t\": %.3f, "
               "\"scaling\": %.3f}\n",
               max, block_size(&b), threads, raw_rate, rate1, raten,
               rate1 / raw_rate, raten / rate1);
    } else {
        printf("block: %zu transfers, %zu bytes (best of %d rounds)\n", max,
               block_size(&b), rounds);
        printf("  libsecp256k1 verify,  1 thread : %9.0f /s\n", raw_rate);
        printf("  block validation,     1 thread : %9.0f /s  (%.0f %% of "
               "libsecp256k1)\n",
               rate1, 100 * rate1 / raw_rate);
        printf("  block validation, %2u threads   : %9.0f /s  (%.2fx of 1 "
               "thread)\n",
               threads, raten, raten / rate1);
    }
    block_deinit(&b);
    free(txs);
    chain_free(&one);
    chain_free(&many);
    return 0;
}
