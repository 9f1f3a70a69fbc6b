/*
 * cli — what the files of pickaxe-cli share: the parsed command line, the
 * command table's entry, talking to the node and the tracker, and printing
 * answers. cli_main.c parses the flags and runs one command; the commands
 * live by concept in cli_chain.c (status, blocks, balances, transactions),
 * cli_wallet.c (keystores and sending), cli_submit.c (signed transactions
 * from elsewhere), cli_explorer.c (tips, the tree, events) and cli_network.c
 * (peers, the tracker, regtest's switches).
 *
 * Every command returns the process's exit status (cmdline.h): 0 done; 1
 * the node refused, could not be reached or a file could not be read
 * (said on stderr); 2 bad arguments.
 *
 * Not thread-safe: pickaxe-cli has one thread.
 */
#ifndef PICKAXE_CLI_H
#define PICKAXE_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hex.h"
#include "params.h"
#include "rpcclient.h"
#include "sock.h"

#define CLI_DEFAULT_TIMEOUT_MS 10000
#define CLI_GENERATE_TIMEOUT_MS 120000

/* Command options, as bits, so each command says which it takes. The
 * order is the order of their flags in cli_main.c's option table. */
enum {
    CLI_OPT_FROM = 1 << 0,
    CLI_OPT_LIMIT = 1 << 1,
    CLI_OPT_NEWEST = 1 << 2,
    CLI_OPT_KEYSTORE = 1 << 3,
    CLI_OPT_TO = 1 << 4,
    CLI_OPT_AMOUNT = 1 << 5,
    CLI_OPT_FEE = 1 << 6,
    CLI_OPT_NONCE = 1 << 7,
    CLI_OPT_TRACKER = 1 << 8,
};

typedef struct {
    const params_t *params;
    char node[SOCK_ENDPOINT_MAX];
    int timeout_ms; /* 0: the command's default */
    bool json;
    unsigned given; /* CLI_OPT_* bits seen */
    uint64_t from, limit, nonce;
    const char *keystore, *to, *amount, *fee, *tracker;
    const char *const *args; /* the command's positional arguments */
    int nargs;
    /* Clients kept for the whole command (one connection for `submit -`'s
     * thousands of transactions), made on first use. */
    rpcclient_t *node_client, *tracker_client;
} cli_t;

typedef struct {
    const char *name;
    int min_args, max_args;
    unsigned opts; /* CLI_OPT_* bits the command takes */
    int (*run)(cli_t *cli);
    const char *synopsis;
    const char *help;
} cli_command_t;

/* ---- talking to the node and the tracker (cli.c) ------------------------ */

/*
 * Opens a client to endpoint. Idempotent queries are tried up to three
 * times within the timeout; others once. A port where nothing listens is
 * said at once ("nothing listens on ...; is DAEMON running?") and NULL
 * returned, as for any failure (said on stderr).
 */
rpcclient_t *cli_open_client(cli_t *cli, const char *endpoint, bool idempotent,
                             int dflt_timeout, const char *daemon);

/*
 * Calls method on --node (on the command's kept client when idempotent).
 * Returns: the result (json_decref() it), or NULL after saying why, with
 *          *status the exit status. params is consumed.
 */
json_t *cli_node_call(cli_t *cli, const char *method, json_t *params,
                      bool idempotent, int dflt_timeout, int *status);

/* A query: idempotent, with the default timeout. */
#define CLI_QUERY(cli, method, params, status)                                 \
    cli_node_call(cli, method, params, true, CLI_DEFAULT_TIMEOUT_MS, status)

/*
 * A query whose answer is shown: as the node said it with --json, else as
 * text() writes it. params is consumed.
 * Returns: the exit status (0, or 1 after saying why the query failed).
 */
int cli_show(cli_t *cli, const char *method, json_t *params,
             void (*text)(const json_t *answer));

/* Says why a call to daemon failed and frees msg; returns 1. */
int cli_call_failed(int rc, char *msg, const char *daemon);

/* As cli_call_failed() for a call of method to --node: a silence is
 * explained (nothing listens, main loop stuck, or not answering). */
int cli_node_call_failed(cli_t *cli, int rc, char *msg, const char *method);

/* The tracker endpoint of --tracker, or the network's default one. */
void cli_tracker_endpoint(const cli_t *cli, char *out, size_t len);

/* Writes a sentence about status's main_loop object (rpc.h) to line;
 * returns true when the loop is stuck (past LOOPWATCH_STUCK_MS). */
bool cli_main_loop_stuck(const json_t *status, char *line, size_t len);

/* "800 ms", "12 s", "3 min 20 s". */
const char *cli_say_ms(char out[32], uint64_t ms);

/* ---- printing (cli.c) --------------------------------------------------- */

void cli_print_json(const json_t *v);

/* Prints "label        1.5 coins (150000000 units)". */
void cli_print_amount(const char *label, uint64_t units);

/* Prints "label        2024-01-02 03:04:05 UTC (1704164645)". */
void cli_print_time(const char *label, uint64_t t);

/* A non-negative integer field of a node's answer (0 when absent). */
uint64_t cli_jint(const json_t *o, const char *key);

/* A string field of a node's answer ("?" when absent). */
const char *cli_jstr(const json_t *o, const char *key);

/* Checks an address for --network before asking a node about it. Returns
 * 0, or 2 after saying "WHAT ADDR is not a NETWORK address: WHY". */
int cli_check_address(const cli_t *cli, const char *what, const char *addr);

/* ---- submitting (cli_submit.c) ------------------------------------------- */

/*
 * Hands one serialized transaction (hex) to the node with `submit`, or
 * with --tracker to the tracker with SUBMIT_TX.
 * Returns: 0 with txid written; 1 after saying why (not a transaction,
 *          refused, no answer).
 */
int cli_submit_hex(cli_t *cli, char txid[HEX_HASH_LEN + 1], const char *hex);

/* ---- the commands ---------------------------------------------------------
 */

int cli_cmd_status(cli_t *cli);
int cli_cmd_getblock(cli_t *cli);
int cli_cmd_getchain(cli_t *cli);
int cli_cmd_balance(cli_t *cli);
int cli_cmd_balance_after(cli_t *cli);
int cli_cmd_tx(cli_t *cli);
int cli_cmd_mempool(cli_t *cli);
int cli_cmd_verifychain(cli_t *cli);
int cli_cmd_peers(cli_t *cli);
int cli_cmd_tracker_peers(cli_t *cli);
int cli_cmd_generate(cli_t *cli);
int cli_cmd_partition(cli_t *cli);
int cli_cmd_stall(cli_t *cli);
int cli_cmd_submit(cli_t *cli);
int cli_cmd_send(cli_t *cli);
int cli_cmd_createtx(cli_t *cli);
int cli_cmd_newaddress(cli_t *cli);
int cli_cmd_chaintips(cli_t *cli);
int cli_cmd_tree(cli_t *cli);
int cli_cmd_events(cli_t *cli);

#endif
