/*
 * pickaxe-cli — the command line for a pickaxe node, in the spirit of
 * bitcoin-cli: status, blocks, balances, transactions, sending coins,
 * keystores, and (on regtest) mining blocks on demand.
 *
 * Every command but `newaddress` and `createtx --nonce` talks to one node
 * over its request port with the node's JSON queries (src/node/rpc.h) through
 * net/rpcclient.h, which never waits longer than --timeout. When the node
 * cannot be reached the cli says which of three things it is, and exits 1:
 * nothing listens on the port (a plain TCP connection is refused: said at
 * once, before any query); the node answers `status` but its main loop has
 * not turned for seconds (status answers even then, marked busy); or the
 * port takes connections and nothing answers within the timeout (a stopped
 * or swamped process). The node's own refusals ({"error": {code,
 * message}}) print as "pickaxe-cli: MESSAGE" and exit 1. Bad flags or
 * arguments print one line and exit 2.
 *
 * Output: readable text by default (amounts in coins with 8 decimals and in
 * base units); with --json, the node's answer as JSON, so scripts and the
 * integration tests (tests/integration/run.py) read exactly what the node
 * said. Options may come before or after the command; command options that
 * the command does not take are refused.
 */
#include "address.h"
#include "err.h"
#include "hex.h"
#include "log.h"
#include "loopwatch.h"
#include "params.h"
#include "rpcclient.h"
#include "sock.h"
#include "tracker.h"
#include "tx.h"
#include "wallet.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PICKAXE_VERSION "0.1.0"
#define CLI_DEFAULT_TIMEOUT_MS 10000
#define CLI_GENERATE_TIMEOUT_MS 120000
#define CLI_DEFAULT_FEE 1000
#define CLI_CHAIN_PAGE 1000 /* the node's getchain limit */
#define CLI_PROBE_MS 3000   /* a TCP connection to the node, before asking */
#define CLI_STATUS_PEEK_MS 2000 /* `status` asked to explain a silence */

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Command options, as bits, so each command says which it takes. */
enum {
    OPT_FROM = 1 << 0,
    OPT_LIMIT = 1 << 1,
    OPT_NEWEST = 1 << 2,
    OPT_KEYSTORE = 1 << 3,
    OPT_TO = 1 << 4,
    OPT_AMOUNT = 1 << 5,
    OPT_FEE = 1 << 6,
    OPT_NONCE = 1 << 7,
    OPT_TRACKER = 1 << 8,
};

typedef struct {
    const params_t *params;
    char node[SOCK_ENDPOINT_MAX];
    int timeout_ms; /* 0: the command's default */
    bool json;
    unsigned given; /* OPT_* bits seen */
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
    unsigned opts; /* OPT_* bits the command takes */
    int (*run)(cli_t *cli);
    const char *synopsis;
    const char *help;
} command_t;

static const command_t *find_command(const char *name);

/* ---- small helpers ------------------------------------------------------- */

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pickaxe-cli: %s (see pickaxe-cli --help)\n", line);
    return EXIT_USAGE;
}

static int failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failure(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pickaxe-cli: %s\n", line);
    return EXIT_FAIL;
}

/* Parses a whole decimal number up to max. */
static int parse_u64(uint64_t *out, const char *s, uint64_t max)
{
    if (!s || !*s || s[0] == '-' || s[0] == '+')
        return ERR_ARG;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v > max)
        return ERR_ARG;
    *out = v;
    return 0;
}

/*
 * Reads an amount: a whole number is base units ("150000000"); a number
 * with a decimal point is coins, with at most 8 decimals ("1.5", "2.0").
 */
static int parse_amount(uint64_t *out, const char *s)
{
    const char *dot = s ? strchr(s, '.') : NULL;
    if (!dot)
        return parse_u64(out, s, MAX_MONEY);
    size_t whole_len = (size_t)(dot - s), frac_len = strlen(dot + 1);
    if (whole_len == 0 || whole_len > 8 || frac_len == 0 || frac_len > 8)
        return ERR_ARG;
    char whole[16], frac[16] = "00000000";
    memcpy(whole, s, whole_len);
    whole[whole_len] = '\0';
    memcpy(frac, dot + 1, frac_len);
    uint64_t w, f;
    if (parse_u64(&w, whole, MAX_MONEY / COIN) || parse_u64(&f, frac, COIN - 1))
        return ERR_ARG;
    if (w * COIN + f > MAX_MONEY)
        return ERR_ARG;
    *out = w * COIN + f;
    return 0;
}

/* "12.34500000" for an amount in base units. */
static const char *coins(char buf[32], uint64_t units)
{
    snprintf(buf, 32, "%" PRIu64 ".%08" PRIu64, (uint64_t)(units / COIN),
             (uint64_t)(units % COIN));
    return buf;
}

static uint64_t jint(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v < 0 ? 0 : (uint64_t)v;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

static void print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (text) {
        puts(text);
        free(text);
    }
}

/* Prints "amount: 1.50000000 coins (150000000 units)". */
static void print_amount(const char *label, uint64_t units)
{
    char c[32];
    printf("%-12s %s coins (%" PRIu64 " units)\n", label, coins(c, units),
           units);
}

static void print_time(const char *label, uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char when[64] = "?";
    if (gmtime_r(&tt, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("%-12s %s (%" PRIu64 ")\n", label, when, t);
}

/* Checks an address for --network before asking a node about it, so a
 * typo is reported as such (with address_decode's reason). */
static int check_address(cli_t *cli, const char *what, const char *addr)
{
    uint8_t key[32];
    const char *why = NULL;
    if (address_decode(key, &why, cli->params->hrp, addr) != 0)
        return usage_error("%s %s is not a %s address: %s", what, addr,
                           cli->params->name, why ? why : "malformed");
    return 0;
}

/* ---- talking to the node ------------------------------------------------- */

static int timeout_for(cli_t *cli, int dflt)
{
    return cli->timeout_ms ? cli->timeout_ms : dflt;
}

/*
 * Opens a client. Queries are idempotent, so they are tried up to three
 * times within the timeout (a node that restarts meanwhile still answers);
 * `generate` is not, so it is sent once. A port where nothing listens is
 * reported at once ("nothing listens on ..."), rather than after the whole
 * timeout: ZeroMQ alone would keep trying to connect until then.
 */
static rpcclient_t *open_client(cli_t *cli, const char *endpoint,
                                bool idempotent, int dflt_timeout,
                                const char *daemon)
{
    int total = timeout_for(cli, dflt_timeout);
    int retries = idempotent && total >= 600 ? 2 : 0;
    rpcclient_t *c = rpcclient_new(endpoint, cli->params->network_id,
                                   total / (retries + 1), retries);
    if (!c) {
        failure("cannot open a connection to %s", endpoint);
        return NULL;
    }
    char *why = NULL;
    if (rpcclient_probe(c, total < CLI_PROBE_MS ? total : CLI_PROBE_MS, &why) ==
        ERR_NET) {
        failure("%s; is %s running?", why ? why : endpoint, daemon);
        rpcclient_free(&c);
    }
    free(why);
    return c;
}

/* "800 ms", "12 s", "3 min 20 s". */
static const char *say_ms(char out[32], uint64_t ms)
{
    if (ms < 1000)
        snprintf(out, 32, "%" PRIu64 " ms", ms);
    else if (ms < 10000)
        snprintf(out, 32, "%.1f s", (double)ms / 1000.0);
    else if (ms < 120000)
        snprintf(out, 32, "%" PRIu64 " s", (ms + 500) / 1000);
    else
        snprintf(out, 32, "%" PRIu64 " min %" PRIu64 " s", ms / 60000,
                 ms / 1000 % 60);
    return out;
}

/*
 * Reads the main_loop object of a status answer (rpc.h). Returns true when
 * the loop is stuck: its current turn has run past LOOPWATCH_STUCK_MS (the
 * node's own threshold for logging it). Writes a sentence to say about it.
 */
static bool main_loop_stuck(const json_t *status, char *line, size_t len)
{
    const json_t *loop = json_object_get(status, "main_loop");
    json_int_t age = json_integer_value(json_object_get(loop, "turn_age_ms"));
    const char *where = json_string_value(json_object_get(loop, "where"));
    char t[32];
    say_ms(t, age > 0 ? (uint64_t)age : 0);
    bool stuck = age > LOOPWATCH_STUCK_MS;
    if (stuck)
        snprintf(line, len,
                 "the node is running but its main loop has not turned for "
                 "%s (stuck in \"%s\")",
                 t, where ? where : "?");
    else if (json_is_true(json_object_get(status, "busy")))
        snprintf(line, len,
                 "the node is running but its main loop holds the node lock "
                 "(for %s so far, in \"%s\")",
                 t, where ? where : "?");
    else
        snprintf(line, len,
                 "yet the node answers status and its main loop turns (a "
                 "slow request? try a longer --timeout)");
    return stuck;
}

/*
 * Explains a silence of the node at endpoint, whose message so far is msg
 * ("no answer from ... within 10 s"): nothing listens there (any more); or
 * the node answers `status` (which it does with its main loop stuck,
 * rpc.h) and that says why; or the port takes connections and nothing
 * answers (a stopped or swamped process). `status` is not asked again when
 * it was the silent call. Prints one line.
 */
static void explain_silence(cli_t *cli, const char *endpoint, const char *msg,
                            bool ask_status)
{
    rpcclient_t *peek =
        rpcclient_new(endpoint, cli->params->network_id, CLI_STATUS_PEEK_MS, 0);
    char *why = NULL;
    int rc = peek ? rpcclient_probe(peek, CLI_PROBE_MS, &why) : ERR_NOMEM;
    if (rc == ERR_NET) {
        failure("%s; is the node running?", why ? why : msg);
    } else if (rc == ERR_TIMEOUT || !peek) {
        failure("%s: is the node running?", msg);
    } else {
        json_t *st = NULL;
        char line[512];
        if (ask_status &&
            rpcclient_call(peek, &st, NULL, "status", NULL) == 0 &&
            json_is_object(json_object_get(st, "main_loop"))) {
            main_loop_stuck(st, line, sizeof line);
            failure("%s: %s", msg, line);
        } else {
            failure("%s; the port accepts connections, so the node is "
                    "running but does not answer (stopped, or swamped?)",
                    msg);
        }
        json_decref(st);
    }
    free(why);
    rpcclient_free(&peek);
}

/* Reports a failed call the way the man page says; returns EXIT_FAIL. */
static int call_failed(int rc, char *msg, const char *daemon)
{
    if (rpcclient_no_answer(rc))
        failure("%s: is %s running?", msg ? msg : "no answer", daemon);
    else
        failure("%s", msg ? msg : err_str(rc));
    free(msg);
    return EXIT_FAIL;
}

/* As call_failed, for a call of method to --node: a silence is
 * explained. */
static int node_call_failed(cli_t *cli, int rc, char *msg, const char *method)
{
    if (!rpcclient_no_answer(rc))
        return call_failed(rc, msg, "the node");
    explain_silence(cli, cli->node, msg ? msg : "no answer",
                    strcmp(method, "status") != 0);
    free(msg);
    return EXIT_FAIL;
}

/* Calls a method on --node; on failure prints why and returns NULL. */
static json_t *node_call(cli_t *cli, const char *method, json_t *params,
                         bool idempotent, int dflt_timeout, int *status)
{
    rpcclient_t *once = NULL, *c;
    if (!idempotent)
        c = once = open_client(cli, cli->node, false, dflt_timeout, "the node");
    else if (cli->node_client)
        c = cli->node_client;
    else
        c = cli->node_client =
            open_client(cli, cli->node, true, dflt_timeout, "the node");
    json_t *result = NULL;
    if (!c) {
        json_decref(params);
        *status = EXIT_FAIL;
        return NULL;
    }
    char *msg = NULL;
    int rc = rpcclient_call(c, &result, &msg, method, params);
    json_decref(params);
    rpcclient_free(&once);
    if (rc) {
        *status = node_call_failed(cli, rc, msg, method);
        return NULL;
    }
    *status = EXIT_OK;
    return result;
}

#define QUERY(cli, method, params, status)                                     \
    node_call(cli, method, params, true, CLI_DEFAULT_TIMEOUT_MS, status)

/* ---- commands ------------------------------------------------------------ */

static void print_refused(const char *label, const json_t *tally)
{
    printf("%-12s ", label);
    if (!json_object_size(tally)) {
        printf("none\n");
        return;
    }
    const char *key;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)tally, key, v)
    {
        printf("%s%s %" JSON_INTEGER_FORMAT, first ? "" : ", ", key,
               json_integer_value(v));
        first = false;
    }
    printf("\n");
}

/* The "main loop" line of `status`: how long the current turn has run,
 * where, and the longest turn. */
static void print_main_loop(const json_t *r)
{
    const json_t *loop = json_object_get(r, "main_loop");
    if (!loop)
        return; /* an older node */
    char age[32], longest[32];
    say_ms(age, jint(loop, "turn_age_ms"));
    say_ms(longest, jint(loop, "longest_turn_ms"));
    if (jint(loop, "turn_age_ms") > LOOPWATCH_STUCK_MS)
        printf("%-12s STUCK: no turn for %s, in \"%s\" (longest turn %s)\n",
               "main loop", age, jstr(loop, "where"), longest);
    else if (json_is_true(json_object_get(r, "busy")))
        printf("%-12s holds the node lock: this turn %s so far, in \"%s\" "
               "(longest turn %s)\n",
               "main loop", age, jstr(loop, "where"), longest);
    else
        printf("%-12s turning: this turn %s, in \"%s\" (longest turn %s)\n",
               "main loop", age, jstr(loop, "where"), longest);
}

/* What `status` can show while the main loop holds the node lock. */
static void print_busy_status(const json_t *r)
{
    printf("%-12s %s\n", "network", jstr(r, "network"));
    print_main_loop(r);
    printf("%-12s the main loop holds the node lock: chain, mempool and "
           "mining figures wait for it\n",
           "busy");
    printf("%-12s %" PRIu64 "\n", "peers", jint(r, "peers"));
    printf("%-12s %s\n", "node id", jstr(r, "node_id"));
    printf("%-12s %s\n", "gossip", jstr(r, "gossip"));
    printf("%-12s %" PRIu64 " s\n", "uptime", jint(r, "uptime"));
}

static int cmd_status(cli_t *cli)
{
    int st;
    json_t *r = QUERY(cli, "status", NULL, &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
        json_decref(r);
        return EXIT_OK;
    }
    char line[512];
    bool stuck = main_loop_stuck(r, line, sizeof line);
    if (json_is_true(json_object_get(r, "busy"))) {
        print_busy_status(r);
        json_decref(r);
        return stuck ? failure("%s", line) : EXIT_OK;
    }
    double rate = json_number_value(json_object_get(r, "hashrate"));
    printf("%-12s %s\n", "network", jstr(r, "network"));
    printf("%-12s %" PRIu64 "\n", "height", jint(r, "height"));
    printf("%-12s %s\n", "tip", jstr(r, "tip"));
    printf("%-12s 0x%s\n", "work", jstr(r, "work"));
    printf("%-12s %.4g (bits %s)\n", "difficulty",
           json_number_value(json_object_get(r, "difficulty")),
           jstr(r, "bits"));
    if (json_is_true(json_object_get(r, "mining")))
        printf("%-12s %.2f MH/s on %" PRIu64 " thread%s (%s kernel)\n",
               "hashrate", rate / 1e6, jint(r, "threads"),
               jint(r, "threads") == 1 ? "" : "s", jstr(r, "kernel"));
    else
        printf("%-12s not mining\n", "hashrate");
    printf("%-12s %" PRIu64 "\n", "peers", jint(r, "peers"));
    printf("%-12s %" PRIu64 " transaction%s\n", "mempool", jint(r, "mempool"),
           jint(r, "mempool") == 1 ? "" : "s");
    /* "forks" counts every branch tip the node keeps, the best one too. */
    uint64_t forks = jint(r, "forks");
    printf("%-12s %" PRIu64 " side branch%s, %" PRIu64 " orphan%s\n", "forks",
           forks ? forks - 1 : 0, forks == 2 ? "" : "es", jint(r, "orphans"),
           jint(r, "orphans") == 1 ? "" : "s");
    json_t *refused = json_object_get(r, "refused");
    print_refused("refused blk", json_object_get(refused, "blocks"));
    print_refused("refused tx", json_object_get(refused, "transactions"));
    printf("%-12s %s\n", "node id", jstr(r, "node_id"));
    printf("%-12s %s\n", "gossip", jstr(r, "gossip"));
    printf("%-12s %" PRIu64 " s\n", "uptime", jint(r, "uptime"));
    print_main_loop(r);
    json_decref(r);
    return stuck ? failure("%s", line) : EXIT_OK;
}

static void print_tx_line(const json_t *tx)
{
    char c[32];
    const char *type = jstr(tx, "type");
    if (strcmp(type, "coinbase") == 0) {
        printf("  coinbase %s\n           -> %s  %s\n", jstr(tx, "txid"),
               jstr(tx, "to"), coins(c, jint(tx, "amount")));
    } else {
        char f[32];
        printf("  transfer %s\n           %s -> %s  %s (fee %s, nonce %" PRIu64
               ")\n",
               jstr(tx, "txid"), jstr(tx, "from"), jstr(tx, "to"),
               coins(c, jint(tx, "amount")), coins(f, jint(tx, "fee")),
               jint(tx, "nonce"));
    }
}

static void print_block(const json_t *b)
{
    printf("%-12s %s\n", "block", jstr(b, "hash"));
    json_t *main_chain = json_object_get(b, "mainChain");
    if (main_chain)
        printf("%-12s %" PRIu64 " (%s, %" PRIu64 " confirmation%s)\n", "height",
               jint(b, "blockHeight"),
               json_is_true(main_chain) ? "main chain" : "side branch",
               jint(b, "confirmations"),
               jint(b, "confirmations") == 1 ? "" : "s");
    else
        printf("%-12s %" PRIu64 "\n", "height", jint(b, "blockHeight"));
    printf("%-12s %s\n", "previous", jstr(b, "previousHash"));
    print_time("time", jint(b, "timestamp"));
    printf("%-12s %s\n", "bits", jstr(b, "bits"));
    printf("%-12s %" PRIu64 "\n", "nonce", jint(b, "nonce"));
    printf("%-12s %" PRIu64 "\n", "version", jint(b, "version"));
    printf("%-12s %s\n", "merkle root", jstr(b, "merkleRoot"));
    json_t *txs = json_object_get(b, "data");
    printf("%-12s %zu\n", "transactions", json_array_size(txs));
    size_t i;
    json_t *tx;
    json_array_foreach(txs, i, tx) print_tx_line(tx);
}

static int cmd_getblock(cli_t *cli)
{
    const char *arg = cli->args[0];
    json_t *params;
    uint64_t height;
    if (strlen(arg) == HEX_HASH_LEN) {
        params = json_pack("{s:s}", "hash", arg);
    } else if (parse_u64(&height, arg, UINT32_MAX) == 0) {
        params = json_pack("{s:I}", "height", (json_int_t)height);
    } else {
        return usage_error("getblock takes a block hash (64 hex digits) or a "
                           "height: %s",
                           arg);
    }
    int st;
    json_t *r = QUERY(cli, "getblock", params, &st);
    if (!r)
        return st;
    if (cli->json)
        print_json(r);
    else
        print_block(r);
    json_decref(r);
    return EXIT_OK;
}

static int cmd_getchain(cli_t *cli)
{
    uint64_t from = cli->given & OPT_FROM ? cli->from : 0;
    uint64_t limit = cli->given & OPT_LIMIT ? cli->limit : 100;
    bool newest = cli->given & OPT_NEWEST;
    json_t *all = json_array();
    if (!all)
        return failure("out of memory");
    /* The node sends at most CLI_CHAIN_PAGE blocks per call: ask page by
     * page until the limit or the end of the chain. */
    while (json_array_size(all) < limit) {
        uint64_t want = limit - json_array_size(all);
        if (want > CLI_CHAIN_PAGE)
            want = CLI_CHAIN_PAGE;
        json_t *params = json_pack(
            "{s:I,s:I,s:b}", "from", (json_int_t)(from + json_array_size(all)),
            "limit", (json_int_t)want, "newest_first", newest);
        int st;
        json_t *page = QUERY(cli, "getchain", params, &st);
        if (!page) {
            json_decref(all);
            return st;
        }
        size_t got = json_array_size(page);
        json_array_extend(all, page);
        json_decref(page);
        if (got < want)
            break;
    }
    if (cli->json) {
        print_json(all);
    } else {
        size_t i;
        json_t *b;
        json_array_foreach(all, i, b)
        {
            char when[32] = "?";
            time_t t = (time_t)jint(b, "timestamp");
            struct tm tm;
            if (gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            printf("%8" PRIu64 "  %s  %s  %zu tx\n", jint(b, "blockHeight"),
                   jstr(b, "hash"), when,
                   json_array_size(json_object_get(b, "data")));
        }
    }
    json_decref(all);
    return EXIT_OK;
}

static int cmd_balance(cli_t *cli)
{
    if (check_address(cli, "address", cli->args[0]))
        return EXIT_USAGE;
    int st;
    json_t *r =
        QUERY(cli, "balance", json_pack("{s:s}", "address", cli->args[0]), &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
    } else {
        printf("%-12s %s\n", "address", jstr(r, "address"));
        print_amount("confirmed", jint(r, "confirmed"));
        print_amount("pending", jint(r, "pending"));
        print_amount("available", jint(r, "available"));
        printf("%-12s %" PRIu64 "\n", "next nonce", jint(r, "nonce"));
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_balance_after(cli_t *cli)
{
    if (check_address(cli, "address", cli->args[0]))
        return EXIT_USAGE;
    int st;
    json_t *r = QUERY(
        cli, "balance_after",
        json_pack("{s:s,s:s}", "address", cli->args[0], "txid", cli->args[1]),
        &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
    } else {
        printf("%-12s %s\n%-12s %s\n", "address", jstr(r, "address"), "after",
               jstr(r, "txid"));
        print_amount("balance", jint(r, "balance"));
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_tx(cli_t *cli)
{
    int st;
    json_t *r = QUERY(cli, "tx", json_pack("{s:s}", "txid", cli->args[0]), &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
        json_decref(r);
        return EXIT_OK;
    }
    const char *status = jstr(r, "status");
    printf("%-12s %s\n%-12s %s", "txid", jstr(r, "txid"), "status", status);
    if (strcmp(status, "confirmed") == 0)
        printf(" in block %" PRIu64 " (%" PRIu64 " confirmation%s)\n%-12s %s",
               jint(r, "height"), jint(r, "confirmations"),
               jint(r, "confirmations") == 1 ? "" : "s", "block",
               jstr(r, "block"));
    else if (strcmp(status, "rejected") == 0)
        printf(": %s", jstr(r, "reason"));
    printf("\n");
    json_t *tx = json_object_get(r, "tx");
    if (tx) {
        printf("%-12s %s\n", "type", jstr(tx, "type"));
        if (json_object_get(tx, "from"))
            printf("%-12s %s\n", "from", jstr(tx, "from"));
        printf("%-12s %s\n", "to", jstr(tx, "to"));
        print_amount("amount", jint(tx, "amount"));
        if (json_object_get(tx, "fee")) {
            print_amount("fee", jint(tx, "fee"));
            printf("%-12s %" PRIu64 "\n", "nonce", jint(tx, "nonce"));
        }
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_mempool(cli_t *cli)
{
    int st;
    json_t *r = QUERY(cli, "mempool", NULL, &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
    } else {
        printf("%zu pending transaction%s\n", json_array_size(r),
               json_array_size(r) == 1 ? "" : "s");
        size_t i;
        json_t *tx;
        json_array_foreach(r, i, tx) print_tx_line(tx);
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_peers(cli_t *cli)
{
    int st;
    json_t *r = QUERY(cli, "peers", NULL, &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
    } else if (json_array_size(r) == 0) {
        printf("no peers\n");
    } else {
        printf("%-16s  %-12s %5s %9s %5s %8s  %s\n", "id", "state", "score",
               "messages", "bad", "answered", "request endpoint");
        size_t i;
        json_t *p;
        json_array_foreach(r, i, p)
        {
            /* A stopped process keeps its connections: "connected" says
             * nothing about whether it answers. */
            const char *state =
                json_is_true(json_object_get(p, "banned")) ? "banned"
                : json_is_false(json_object_get(p, "responsive"))
                    ? "unresponsive"
                : json_is_true(json_object_get(p, "connected")) ? "connected"
                                                                : "waiting";
            char answered[32] = "never";
            json_t *age = json_object_get(p, "last_answer_age_s");
            if (json_is_integer(age))
                snprintf(answered, sizeof answered, "%" PRIu64 " s ago",
                         jint(p, "last_answer_age_s"));
            printf("%-16s  %-12s %5" JSON_INTEGER_FORMAT " %9" PRIu64
                   " %5" PRIu64 " %8s  %s\n",
                   jstr(p, "id"), state,
                   json_integer_value(json_object_get(p, "score")),
                   jint(p, "messages"), jint(p, "bad_messages"), answered,
                   jstr(p, "req"));
        }
    }
    json_decref(r);
    return EXIT_OK;
}

/* The tracker endpoint of --tracker, or the network's default one. */
static void tracker_endpoint(cli_t *cli, char *out, size_t len)
{
    if (cli->tracker)
        snprintf(out, len, "%s", cli->tracker);
    else
        snprintf(out, len, "tcp://127.0.0.1:%u",
                 (unsigned)(cli->params->default_port - TRACKER_PORT_OFFSET));
}

/*
 * Hands one transaction (hex) to the node with `submit`, or to the tracker
 * with SUBMIT_TX when --tracker is given. On success writes the txid.
 */
static int submit_hex(cli_t *cli, char txid[HEX_HASH_LEN + 1], const char *hex)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    tx_t tx;
    if (hex_decode_alloc(&raw, &len, hex) != 0 ||
        tx_parse_bytes(&tx, raw, len) != 0) {
        free(raw);
        return failure("not a serialized transaction: %.20s%s", hex,
                       strlen(hex) > 20 ? "..." : "");
    }
    uint8_t id[32];
    tx_compute_txid(id, &tx);
    hex_from_hash(txid, id);
    if (cli->given & OPT_TRACKER) {
        char endpoint[SOCK_ENDPOINT_MAX];
        tracker_endpoint(cli, endpoint, sizeof endpoint);
        if (!cli->tracker_client)
            cli->tracker_client = open_client(
                cli, endpoint, true, CLI_DEFAULT_TIMEOUT_MS, "the tracker");
        rpcclient_t *c = cli->tracker_client;
        if (!c) {
            free(raw);
            return EXIT_FAIL; /* open_client said why */
        }
        char *msg = NULL;
        int rc = rpcclient_submit_tx(c, &msg, raw, len);
        free(raw);
        return rc ? call_failed(rc, msg, "the tracker") : EXIT_OK;
    }
    free(raw);
    int st;
    json_t *r = QUERY(cli, "submit", json_pack("{s:s}", "hex", hex), &st);
    json_decref(r);
    return r ? EXIT_OK : st;
}

static int print_txid(cli_t *cli, const char *txid)
{
    if (cli->json) {
        json_t *o = json_pack("{s:s}", "txid", txid);
        print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", txid);
    }
    return EXIT_OK;
}

/* Lines of `submit -` waiting to go to the node (or with --tracker the
 * tracker) in one SUBMIT_TXS. */
typedef struct {
    char *hex[WIRE_MAX_TX_BATCH];
    uint8_t *raw[WIRE_MAX_TX_BATCH];
    size_t len[WIRE_MAX_TX_BATCH];
    unsigned long line[WIRE_MAX_TX_BATCH];
    size_t n;
    bool one_by_one; /* the node or tracker does not take SUBMIT_TXS */
} submit_batch_t;

static void submit_batch_clear(submit_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->hex[i]);
        free(b->raw[i]);
    }
    b->n = 0;
}

/* Submits one line on its own (to a node or tracker that does not take
 * SUBMIT_TXS); prints its txid or why it failed. */
static int submit_line(cli_t *cli, const char *hex, unsigned long line)
{
    char txid[HEX_HASH_LEN + 1];
    if (submit_hex(cli, txid, hex) != EXIT_OK) {
        fprintf(stderr, "pickaxe-cli: (line %lu)\n", line);
        return EXIT_FAIL;
    }
    return print_txid(cli, txid);
}

/*
 * Sends the waiting lines as one SUBMIT_TXS, to the node or with --tracker
 * to the tracker, and prints, line by line, the txid or the reason it was
 * refused. One round trip (and one lock turn and relay frame at the node,
 * one relay frame at the tracker) for up to WIRE_MAX_TX_BATCH transactions
 * is what lets one client keep the nodes' signature checks busy. A node or
 * tracker that refuses the request itself (an older one: "malformed
 * request", "does not serve SUBMIT_TXS") gets the lines one by one, as
 * before.
 */
static int submit_batch_send(cli_t *cli, submit_batch_t *b)
{
    int st = EXIT_OK;
    if (b->n == 0)
        return st;
    wire_blob_t items[WIRE_MAX_TX_BATCH];
    for (size_t i = 0; i < b->n; i++)
        items[i] = (wire_blob_t){b->raw[i], b->len[i]};
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_SUBMIT_TXS);
    req.u.list.count = (uint16_t)b->n;
    req.u.list.items = items;
    uint8_t *frame = NULL;
    char *msg = NULL;
    bool to_tracker = (cli->given & OPT_TRACKER) != 0;
    const char *peer = to_tracker ? "the tracker" : "the node";
    rpcclient_t **slot = to_tracker ? &cli->tracker_client : &cli->node_client;
    if (!b->one_by_one && !*slot) {
        char endpoint[SOCK_ENDPOINT_MAX];
        if (to_tracker)
            tracker_endpoint(cli, endpoint, sizeof endpoint);
        else
            snprintf(endpoint, sizeof endpoint, "%s", cli->node);
        *slot = open_client(cli, endpoint, true, CLI_DEFAULT_TIMEOUT_MS, peer);
        if (!*slot) { /* open_client said why */
            fprintf(stderr, "pickaxe-cli: (lines %lu-%lu)\n", b->line[0],
                    b->line[b->n - 1]);
            submit_batch_clear(b);
            return EXIT_FAIL;
        }
    }
    rpcclient_t *c = b->one_by_one ? NULL : *slot;
    int rc = c ? rpcclient_request(c, &reply, &frame, &msg, &req) : ERR_NET;
    if (rc == 0 &&
        (reply.type != WIRE_SUBMITTED || reply.u.results.count != b->n)) {
        wire_msg_clear(&reply);
        free(frame);
        rc = ERR_PARSE;
        free(msg);
        msg = strdup("the answer to SUBMIT_TXS does not match it");
    } else if (rc && c && rpcclient_last_error_remote(c)) {
        b->one_by_one = true;
    }
    if (b->one_by_one) {
        free(msg);
        for (size_t i = 0; i < b->n; i++)
            if (submit_line(cli, b->hex[i], b->line[i]) != EXIT_OK)
                st = EXIT_FAIL;
        submit_batch_clear(b);
        return st;
    }
    if (rc) {
        if (to_tracker)
            call_failed(rc, msg, peer);
        else
            node_call_failed(cli, rc, msg, "submit");
        fprintf(stderr, "pickaxe-cli: (lines %lu-%lu)\n", b->line[0],
                b->line[b->n - 1]);
        submit_batch_clear(b);
        return EXIT_FAIL;
    }
    free(msg);
    for (size_t i = 0; i < b->n; i++) {
        const wire_result_t *r = &reply.u.results.items[i];
        if (r->code != 0) {
            failure("%s", r->reason[0] ? r->reason : err_str(r->code));
            fprintf(stderr, "pickaxe-cli: (line %lu)\n", b->line[i]);
            st = EXIT_FAIL;
            continue;
        }
        tx_t tx;
        uint8_t id[32];
        char txid[HEX_HASH_LEN + 1];
        /* Parsed when queued, so this cannot fail. */
        if (tx_parse_bytes(&tx, b->raw[i], b->len[i]) != 0) {
            st = EXIT_FAIL;
            continue;
        }
        tx_compute_txid(id, &tx);
        hex_from_hash(txid, id);
        print_txid(cli, txid);
    }
    wire_msg_clear(&reply);
    free(frame);
    submit_batch_clear(b);
    return st;
}

/* Queues one line of `submit -` for the next SUBMIT_TXS, or reports it
 * when it is not a transaction at all. */
static int submit_batch_add(submit_batch_t *b, const char *hex,
                            unsigned long line)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    tx_t tx;
    char *copy = strdup(hex);
    if (!copy || hex_decode_alloc(&raw, &len, hex) != 0 ||
        tx_parse_bytes(&tx, raw, len) != 0) {
        free(copy);
        free(raw);
        failure("not a serialized transaction: %.20s%s", hex,
                strlen(hex) > 20 ? "..." : "");
        fprintf(stderr, "pickaxe-cli: (line %lu)\n", line);
        return EXIT_FAIL;
    }
    b->hex[b->n] = copy;
    b->raw[b->n] = raw;
    b->len[b->n] = len;
    b->line[b->n] = line;
    b->n++;
    return EXIT_OK;
}

/* Reads stdin a line at a time, and tells whether more is ready without
 * waiting, so `submit -` sends what it has before it blocks on a pipe that
 * a slow writer feeds. */
typedef struct {
    char buf[64 * 1024];
    size_t start, end;
    bool eof;
} line_reader_t;

/* True when a whole line is buffered, or stdin can be read at once. */
static bool line_ready(line_reader_t *r)
{
    if (r->eof || memchr(r->buf + r->start, '\n', r->end - r->start))
        return true;
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

/* The next line, without its end of line, in out (cut at max - 1
 * characters); false at the end of input. */
static bool line_next(line_reader_t *r, char *out, size_t max)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl || (r->eof && r->end > r->start) ||
            r->end - r->start == sizeof r->buf) {
            size_t len =
                nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
            size_t keep = len < max - 1 ? len : max - 1;
            memcpy(out, r->buf + r->start, keep);
            out[keep] = '\0';
            r->start += nl ? len + 1 : len;
            return true;
        }
        if (r->eof)
            return false;
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
        ssize_t got =
            read(STDIN_FILENO, r->buf + r->end, sizeof r->buf - r->end);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            r->eof = true;
        else
            r->end += (size_t)got;
    }
}

static int cmd_submit(cli_t *cli)
{
    if (strcmp(cli->args[0], "-") != 0) {
        char txid[HEX_HASH_LEN + 1];
        int st = submit_hex(cli, txid, cli->args[0]);
        return st ? st : print_txid(cli, txid);
    }
    /* One hex transaction per line on stdin; one txid per line out. They
     * go WIRE_MAX_TX_BATCH at a time, to the node or to the tracker. */
    submit_batch_t *batch = calloc(1, sizeof *batch);
    line_reader_t *in = calloc(1, sizeof *in);
    if (!batch || !in) {
        free(batch);
        free(in);
        return failure("out of memory");
    }
    char line[2 * WIRE_MAX_TX_SIZE + 8];
    int st = EXIT_OK;
    unsigned long n = 0;
    for (;;) {
        /* Nothing more to read right now: send what is waiting first. */
        if (batch->n && !line_ready(in) &&
            submit_batch_send(cli, batch) != EXIT_OK)
            st = EXIT_FAIL;
        if (!line_next(in, line, sizeof line))
            break;
        line[strcspn(line, " \t\r\n")] = '\0';
        if (!line[0])
            continue;
        n++;
        if (batch->one_by_one) {
            if (submit_line(cli, line, n) != EXIT_OK)
                st = EXIT_FAIL;
            continue;
        }
        if (submit_batch_add(batch, line, n) != EXIT_OK)
            st = EXIT_FAIL;
        if (batch->n == WIRE_MAX_TX_BATCH &&
            submit_batch_send(cli, batch) != EXIT_OK)
            st = EXIT_FAIL;
    }
    if (submit_batch_send(cli, batch) != EXIT_OK)
        st = EXIT_FAIL;
    free(batch);
    free(in);
    return st;
}

/* Loads --keystore, saying why not on failure. */
static wallet_t *load_keystore(cli_t *cli)
{
    wallet_t *w = NULL;
    const char *why = NULL;
    int rc = wallet_load(&w, &why, cli->keystore);
    if (rc == ERR_NOT_FOUND) {
        failure("%s: no such keystore (make one with pickaxe-cli newaddress "
                "--keystore %s)",
                cli->keystore, cli->keystore);
        return NULL;
    }
    if (rc) {
        failure("%s: %s", cli->keystore, why ? why : err_str(rc));
        return NULL;
    }
    return w;
}

/* The transfer `send` and `createtx` build: checked flags, then signed. */
static int build_transfer(cli_t *cli, tx_t *tx, uint64_t *amount_out,
                          uint64_t *fee_out, uint64_t *nonce_out, char *from,
                          size_t from_len, bool ask_nonce)
{
    uint64_t amount, fee = CLI_DEFAULT_FEE;
    if (parse_amount(&amount, cli->amount) != 0 || amount == 0)
        return usage_error("--amount takes base units (150000000) or coins "
                           "with a decimal point (1.5): %s",
                           cli->amount);
    if ((cli->given & OPT_FEE) && parse_amount(&fee, cli->fee) != 0)
        return usage_error("--fee takes base units or coins with a decimal "
                           "point: %s",
                           cli->fee);
    if (check_address(cli, "--to", cli->to))
        return EXIT_USAGE;
    const char *why = NULL;
    wallet_t *w = load_keystore(cli);
    if (!w)
        return EXIT_FAIL;
    if (wallet_get_public_key_str(w, cli->params->hrp, from, from_len) != 0) {
        wallet_free(&w);
        return failure("cannot format the wallet's address");
    }
    uint64_t nonce = cli->nonce;
    if (ask_nonce) {
        int st;
        json_t *b =
            QUERY(cli, "balance", json_pack("{s:s}", "address", from), &st);
        if (!b) {
            wallet_free(&w);
            return st;
        }
        nonce = jint(b, "nonce");
        uint64_t available = jint(b, "available");
        json_decref(b);
        if (amount > available || fee > available - amount) {
            char a[32], c[32];
            wallet_free(&w);
            return failure("%s has %s coins available, not enough for %s "
                           "plus a fee of %" PRIu64 " units",
                           from, coins(a, available), coins(c, amount), fee);
        }
    }
    int rc = wallet_create_transaction(w, tx, &why, cli->to, amount, fee, nonce,
                                       true, cli->params->hrp,
                                       cli->params->network_id);
    wallet_free(&w);
    if (rc)
        return failure("cannot make the transaction: %s",
                       why ? why : err_str(rc));
    *amount_out = amount;
    *fee_out = fee;
    *nonce_out = nonce;
    return EXIT_OK;
}

static int tx_hex(char **hex, const tx_t *tx)
{
    buf_t raw;
    buf_init(&raw);
    int rc = tx_serialize(&raw, tx);
    *hex = rc ? NULL : malloc(2 * raw.len + 1);
    if (*hex)
        hex_encode(*hex, raw.data, raw.len);
    buf_deinit(&raw);
    return *hex ? 0 : failure("out of memory");
}

static int cmd_send(cli_t *cli)
{
    tx_t tx;
    uint64_t amount, fee, nonce;
    char from[ADDRESS_MAX_LEN];
    int st = build_transfer(cli, &tx, &amount, &fee, &nonce, from, sizeof from,
                            true);
    if (st)
        return st;
    char *hex;
    if (tx_hex(&hex, &tx))
        return EXIT_FAIL;
    char txid[HEX_HASH_LEN + 1];
    st = submit_hex(cli, txid, hex);
    free(hex);
    if (st)
        return st;
    if (cli->json) {
        json_t *o =
            json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "txid", txid, "from",
                      from, "to", cli->to, "amount", (json_int_t)amount, "fee",
                      (json_int_t)fee, "nonce", (json_int_t)nonce, "via",
                      cli->given & OPT_TRACKER ? "tracker" : "node");
        print_json(o);
        json_decref(o);
    } else {
        char a[32], f[32];
        printf("sent %s coins (%" PRIu64 " units) to %s, fee %s, nonce %" PRIu64
               "\ntxid %s\n",
               coins(a, amount), amount, cli->to, coins(f, fee), nonce, txid);
    }
    return EXIT_OK;
}

static int cmd_createtx(cli_t *cli)
{
    tx_t tx;
    uint64_t amount, fee, nonce;
    char from[ADDRESS_MAX_LEN];
    int st = build_transfer(cli, &tx, &amount, &fee, &nonce, from, sizeof from,
                            !(cli->given & OPT_NONCE));
    if (st)
        return st;
    char *hex;
    if (tx_hex(&hex, &tx))
        return EXIT_FAIL;
    uint8_t id[32];
    char txid[HEX_HASH_LEN + 1];
    tx_compute_txid(id, &tx);
    hex_from_hash(txid, id);
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:I}", "txid", txid, "hex", hex,
                              "nonce", (json_int_t)nonce);
        print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", hex);
    }
    free(hex);
    return EXIT_OK;
}

static int cmd_newaddress(cli_t *cli)
{
    wallet_t *w = NULL;
    bool created = false;
    const char *why = NULL;
    int rc = wallet_load_or_create(&w, &created, &why, cli->keystore);
    if (rc)
        return failure("%s: %s", cli->keystore, why ? why : err_str(rc));
    char addr[ADDRESS_MAX_LEN];
    rc = wallet_get_public_key_str(w, cli->params->hrp, addr, sizeof addr);
    wallet_free(&w);
    if (rc)
        return failure("cannot format the wallet's address");
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:b}", "address", addr, "keystore",
                              cli->keystore, "created", created);
        print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", addr);
        if (!created)
            fprintf(stderr,
                    "pickaxe-cli: %s already existed: this is its "
                    "address (nothing was changed)\n",
                    cli->keystore);
    }
    return EXIT_OK;
}

static int cmd_generate(cli_t *cli)
{
    uint64_t count;
    if (parse_u64(&count, cli->args[0], 1000) || count == 0)
        return usage_error("generate takes a block count of 1..1000: %s",
                           cli->args[0]);
    if ((cli->given & OPT_TO) && check_address(cli, "--to", cli->to))
        return EXIT_USAGE;
    json_t *params = json_pack("{s:I}", "count", (json_int_t)count);
    if (cli->given & OPT_TO)
        json_object_set_new(params, "address", json_string(cli->to));
    int st;
    json_t *r =
        node_call(cli, "generate", params, false, CLI_GENERATE_TIMEOUT_MS, &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
    } else {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(r, "hashes"), i, h)
            printf("%s\n", json_string_value(h));
    }
    /* A node that stopped early (disk full, say) still returns the blocks
     * it made; say how far it got and why, and fail. */
    json_t *err = json_object_get(r, "error");
    if (err) {
        fflush(stdout);
        st = failure("generated %" PRIu64 " of %" PRIu64 " blocks; "
                     "stopped: %s",
                     jint(r, "made"), count, jstr(err, "message"));
    }
    json_decref(r);
    return st;
}

static int cmd_verifychain(cli_t *cli)
{
    int st;
    json_t *r =
        node_call(cli, "verifychain", NULL, true, CLI_GENERATE_TIMEOUT_MS, &st);
    if (!r)
        return st;
    bool valid = json_is_true(json_object_get(r, "valid"));
    if (cli->json)
        print_json(r);
    else if (valid)
        printf("valid: %" PRIu64 " blocks on the best chain, tip %s\n",
               jint(r, "height") + 1, jstr(r, "tip"));
    else
        printf("INVALID at height %" PRIu64 ": %s\n", jint(r, "bad_height"),
               jstr(r, "reason"));
    json_decref(r);
    return valid ? EXIT_OK : EXIT_FAIL;
}

static int cmd_partition(cli_t *cli)
{
    json_t *ids = json_array();
    for (int i = 0; ids && i < cli->nargs; i++)
        json_array_append_new(ids, json_string(cli->args[i]));
    int st;
    json_t *r =
        QUERY(cli, "partition", json_pack("{s:o}", "block_peers", ids), &st);
    if (!r)
        return st;
    if (cli->json) {
        print_json(r);
    } else {
        json_t *b = json_object_get(r, "blocked");
        if (!json_array_size(b))
            printf("no peer is cut off\n");
        size_t i;
        json_t *id;
        json_array_foreach(b, i, id)
            printf("cut off %s\n", json_string_value(id));
    }
    json_decref(r);
    return EXIT_OK;
}

static int cmd_stall(cli_t *cli)
{
    uint64_t ms;
    if (parse_u64(&ms, cli->args[0], 60000) || ms == 0)
        return usage_error("stall takes 1..60000 ms: %s", cli->args[0]);
    int st;
    json_t *r =
        QUERY(cli, "stall", json_pack("{s:I}", "ms", (json_int_t)ms), &st);
    if (!r)
        return st;
    if (cli->json)
        print_json(r);
    else
        printf("the main loop holds the node lock for %" PRIu64
               " ms at its next turn\n",
               jint(r, "stall_ms"));
    json_decref(r);
    return EXIT_OK;
}

static int cmd_tracker_peers(cli_t *cli)
{
    char endpoint[SOCK_ENDPOINT_MAX];
    tracker_endpoint(cli, endpoint, sizeof endpoint);
    rpcclient_t *c =
        open_client(cli, endpoint, true, CLI_DEFAULT_TIMEOUT_MS, "the tracker");
    if (!c)
        return EXIT_FAIL;
    wire_msg_t req, reply;
    wire_msg_init(&req, WIRE_PEERS);
    uint8_t *raw = NULL;
    char *msg = NULL;
    int rc = rpcclient_request(c, &reply, &raw, &msg, &req);
    rpcclient_free(&c);
    if (rc)
        return call_failed(rc, msg, "the tracker");
    if (reply.type != WIRE_PEER_LIST) {
        wire_msg_clear(&reply);
        free(raw);
        return failure("%s answered %s, not a peer list", endpoint,
                       wire_type_name(reply.type));
    }
    json_t *arr = json_array();
    for (uint16_t i = 0; arr && i < reply.u.peer_list.count; i++) {
        const wire_peer_t *p = &reply.u.peer_list.peers[i];
        char id[17];
        snprintf(id, sizeof id, "%016" PRIx64, p->id);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "id", id, "req",
                                             p->req, "gossip", p->gossip));
    }
    wire_msg_clear(&reply);
    free(raw);
    if (cli->json) {
        print_json(arr);
    } else {
        printf("%zu peer%s registered\n", json_array_size(arr),
               json_array_size(arr) == 1 ? "" : "s");
        size_t i;
        json_t *p;
        json_array_foreach(arr, i, p) printf("%s  %s  %s\n", jstr(p, "id"),
                                             jstr(p, "req"), jstr(p, "gossip"));
    }
    json_decref(arr);
    return EXIT_OK;
}

/* ---- the command table and help ------------------------------------------ */

static const command_t commands[] = {
    {"status", 0, 0, 0, cmd_status, "status",
     "The node's height, tip, chain work, difficulty, hashrate, peers,\n"
     "mempool size, side branches, blocks and transactions it refused (by\n"
     "reason), and its main loop: how long the current turn has run and\n"
     "where. A node whose main loop holds the node lock still answers,\n"
     "with what it can tell without it (busy). Exits 1 when the main loop\n"
     "has not turned for over 3 s (\"the node is running but its main loop\n"
     "has not turned for 12 s (stuck in ...)\"). --json: the node's status\n"
     "object as it is (rpc.h: busy, main_loop {turn_age_ms,\n"
     "longest_turn_ms, where}), exit 0 whenever the node answered."},
    {"getblock", 1, 1, 0, cmd_getblock, "getblock <hash|height>",
     "One block, by hash (any branch the node keeps) or by height (best\n"
     "chain). --json: the seed's field names (blockId, previousHash,\n"
     "previousBlockIndex, blockHeight, merkleRoot, timestamp, nonce, data)\n"
     "plus version, bits, raw (the serialized block), mainChain,\n"
     "confirmations and received (when this node accepted it, us since\n"
     "the epoch)."},
    {"getchain", 0, 0, OPT_FROM | OPT_LIMIT | OPT_NEWEST, cmd_getchain,
     "getchain [--from H] [--limit N] [--newest-first]",
     "Blocks of the best chain, oldest first from height H (default 0), at\n"
     "most N (default 100; more than 1000 are fetched page by page); with\n"
     "--newest-first, from H blocks below the tip downwards. --json: an\n"
     "array of blocks as getblock shows them."},
    {"balance", 1, 1, 0, cmd_balance, "balance <address>",
     "An account's confirmed balance (best chain), pending balance (with\n"
     "the mempool's transfers in and out), available balance (confirmed\n"
     "minus pending spends) and the nonce its next transfer must carry.\n"
     "--json: {address, confirmed, pending, available, nonce} in base units."},
    {"balance-after", 2, 2, 0, cmd_balance_after,
     "balance-after <address> <txid>",
     "The account's balance right after a confirmed transaction."},
    {"tx", 1, 1, 0, cmd_tx, "tx <txid>",
     "A transaction's status: pending, confirmed (block, confirmations),\n"
     "rejected (with the node's reason) or unknown."},
    {"mempool", 0, 0, 0, cmd_mempool, "mempool",
     "The pending transactions. --json: an array of transactions."},
    {"peers", 0, 0, 0, cmd_peers, "peers",
     "The node's peers: id, state (banned; unresponsive: its last request\n"
     "from the node timed out; connected; waiting), misbehaviour score,\n"
     "message counts, when it last answered a request. --json: the node's\n"
     "array (responsive, last_answer_age_s: null when never)."},
    {"submit", 1, 1, OPT_TRACKER, cmd_submit,
     "submit <tx-hex|-> [--tracker tcp://H:P]",
     "Hands a signed, serialized transaction to the node (refusals print\n"
     "the node's reason and exit 1), or with --tracker to the tracker,\n"
     "which relays it to every node (it only checks its shape, so check\n"
     "the outcome with `tx`). With - reads one transaction per line from\n"
     "stdin and hands the node (or tracker) up to 256 per request\n"
     "(whatever stdin has ready; one by one to one that takes only one),\n"
     "ready), printing a txid per line, or the reason and line number of a\n"
     "refused one (exit 1). Prints the txid; --json: {\"txid\": ...}."},
    {"send", 0, 0, OPT_KEYSTORE | OPT_TO | OPT_AMOUNT | OPT_FEE | OPT_TRACKER,
     cmd_send,
     "send --keystore F --to ADDR --amount N [--fee N] [--tracker tcp://H:P]",
     "Sends coins from the keystore's account: asks the node for the\n"
     "account's next nonce and available balance (`balance`), signs a\n"
     "transfer and submits it to the node, or with --tracker to the tracker\n"
     "(the seed's wallet -> tracker -> all nodes path). Amounts: a whole\n"
     "number is base units (150000000), a number with a decimal point is\n"
     "coins (1.5 = 150000000 units; write 2.0 for two coins). The fee\n"
     "defaults to 1000 units. --json: {txid, from, to, amount, fee, nonce,\n"
     "via}."},
    {"createtx", 0, 0, OPT_KEYSTORE | OPT_TO | OPT_AMOUNT | OPT_FEE | OPT_NONCE,
     cmd_createtx,
     "createtx --keystore F --to ADDR --amount N [--fee N] [--nonce N]",
     "Like send, but prints the signed transaction (hex) instead of\n"
     "submitting it, for `submit` later or elsewhere. With --nonce it needs\n"
     "no node (offline signing). --json: {txid, hex, nonce}."},
    {"newaddress", 0, 0, OPT_KEYSTORE, cmd_newaddress,
     "newaddress --keystore F",
     "Creates a keystore F (mode 0600, a new random key) and prints its\n"
     "address for --network. Needs no node. An existing keystore is never\n"
     "overwritten: newaddress then prints the address it already holds\n"
     "(and says so on stderr). --json: {address, keystore, created}."},
    {"generate", 1, 1, OPT_TO, cmd_generate, "generate <n> [--to ADDR]",
     "regtest only: the node mines n blocks (1..1000) at once, paying ADDR\n"
     "(default: the node's miner address). Sent once, never retried\n"
     "(default timeout 120 s). Prints the block hashes; --json: {hashes,\n"
     "asked, made}. When the node stops early (e.g. its disk is full) it\n"
     "still prints the hashes of the blocks made, says on stderr\n"
     "\"generated M of N blocks; stopped: REASON\" and exits 1; --json then\n"
     "also has error: {code, message}."},
    {"verifychain", 0, 0, 0, cmd_verifychain, "verifychain",
     "The node checks its whole best chain again from genesis (linkage,\n"
     "proof of work, every rule and signature). Exits 1 when invalid.\n"
     "--json: {valid, height, tip, reason, bad_height}."},
    {"partition", 0, 64, 0, cmd_partition, "partition [PEER-ID...]",
     "regtest only, for tests: the node drops gossip from these peers (ids\n"
     "as `peers` shows them) and never asks them anything; the list\n"
     "replaces the previous one, and no ids heals."},
    {"stall", 1, 1, 0, cmd_stall, "stall <ms>",
     "regtest only, for tests: the node's main loop holds the node lock\n"
     "for ms milliseconds (1..60000) at its next turn, as a loop stuck in a\n"
     "long operation would; `status` then answers busy and says how long\n"
     "the loop has not turned. --json: {stall_ms}."},
    {"tracker-peers", 0, 0, OPT_TRACKER, cmd_tracker_peers,
     "tracker-peers [--tracker tcp://H:P]",
     "The peers registered at the tracker (default: the network's tracker\n"
     "port on 127.0.0.1). --json: [{id, req, gossip}]."},
};

static const command_t *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: pickaxe-cli [--node tcp://HOST:PORT] [--network demo|regtest]\n"
        "                   [--timeout MS] [--json] COMMAND [ARGS...]\n"
        "\n"
        "Talks to a running pickaxe-node over its request port (the node's "
        "JSON\n"
        "queries) and prints what it says: readable text, or JSON with "
        "--json.\n"
        "Amounts are shown in coins with 8 decimals and in base units\n"
        "(1 coin = 100000000 units).\n"
        "\n"
        "options (before or after the command):\n"
        "  --node tcp://HOST:PORT  the node's request endpoint (default\n"
        "                          tcp://127.0.0.1:18330 on demo, :28330 on "
        "regtest)\n"
        "  --network NAME          demo (default) or regtest: the network the "
        "node\n"
        "                          is on (frames and addresses are per "
        "network)\n"
        "  --timeout MS            give up after MS milliseconds without an "
        "answer\n"
        "                          (default 10000; generate and verifychain "
        "120000);\n"
        "                          queries are tried up to 3 times within it\n"
        "  --json                  print JSON instead of text\n"
        "  --log-level LEVEL       error, warn (default), info or debug\n"
        "  --help                  this text; COMMAND --help: that command's\n"
        "  --version\n"
        "\n"
        "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %s\n", commands[i].synopsis);
    fprintf(
        f,
        "\n"
        "command options:\n"
        "  --from H, --limit N, --newest-first   getchain's window\n"
        "  --keystore FILE         the key to send from / to create "
        "(newaddress)\n"
        "  --to ADDR               recipient (send, createtx); payee "
        "(generate)\n"
        "  --amount N, --fee N     base units, or coins with a decimal point "
        "(1.5)\n"
        "  --nonce N               createtx: sign offline with this nonce\n"
        "  --tracker tcp://H:P     submit/send: hand the transaction to this "
        "tracker,\n"
        "                          which relays it to every node, instead of "
        "--node;\n"
        "                          tracker-peers: the tracker to ask (default\n"
        "                          tcp://127.0.0.1:18320 on demo, :28320 on "
        "regtest)\n"
        "\n"
        "exit status: 0 done; 1 the node refused, could not be reached "
        "(\"nothing\n"
        "listens on tcp://...\", said at once), did not answer (\"no answer "
        "from\n"
        "... within 10 s\", with why when the node can tell: its main loop is\n"
        "stuck, or the port takes connections but nothing answers), or a file\n"
        "could not be read; 2 bad flags or arguments.\n"
        "\n"
        "examples:\n"
        "  pickaxe-cli status\n"
        "  pickaxe-cli --network regtest newaddress --keystore alice.key\n"
        "  pickaxe-cli --network regtest generate 101 --to pxrt1...\n"
        "  pickaxe-cli send --keystore alice.key --to px1... --amount 1.5\n"
        "  pickaxe-cli --json getchain --from 100 --limit 10\n");
}

static void command_usage(FILE *f, const command_t *c)
{
    fprintf(f,
            "usage: pickaxe-cli [options] %s\n\n%s\n\n"
            "(pickaxe-cli --help lists the options every command takes)\n",
            c->synopsis, c->help);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    enum {
        O_NODE = 256,
        O_NETWORK,
        O_TIMEOUT,
        O_JSON,
        O_LOG,
        O_HELP,
        O_VERSION,
        O_FROM,
        O_LIMIT,
        O_NEWEST,
        O_KEYSTORE,
        O_TO,
        O_AMOUNT,
        O_FEE,
        O_NONCE,
        O_TRACKER,
    };
    static const struct option opts[] = {
        {"node", required_argument, NULL, O_NODE},
        {"network", required_argument, NULL, O_NETWORK},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"json", no_argument, NULL, O_JSON},
        {"log-level", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {"from", required_argument, NULL, O_FROM},
        {"limit", required_argument, NULL, O_LIMIT},
        {"newest-first", no_argument, NULL, O_NEWEST},
        {"keystore", required_argument, NULL, O_KEYSTORE},
        {"to", required_argument, NULL, O_TO},
        {"amount", required_argument, NULL, O_AMOUNT},
        {"fee", required_argument, NULL, O_FEE},
        {"nonce", required_argument, NULL, O_NONCE},
        {"tracker", required_argument, NULL, O_TRACKER},
        {NULL, 0, NULL, 0},
    };
    cli_t cli;
    memset(&cli, 0, sizeof cli);
    const char *network = "demo", *node = NULL;
    bool help = false;
    uint64_t v;
    /* Quiet by default: a command's output is its answer, not log lines. */
    if (!getenv("PICKAXE_LOG_LEVEL"))
        log_set_level(LOG_WARN);
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (ch) {
        case O_NODE:
            if (strncmp(optarg, "tcp://", 6) != 0 ||
                strlen(optarg) >= sizeof cli.node || !strchr(optarg + 6, ':'))
                return usage_error("--node takes tcp://HOST:PORT: %s", optarg);
            node = optarg;
            break;
        case O_NETWORK:
            network = optarg;
            break;
        case O_TIMEOUT:
            if (parse_u64(&v, optarg, 3600000) || v < 10)
                return usage_error("--timeout takes 10..3600000 ms: %s",
                                   optarg);
            cli.timeout_ms = (int)v;
            break;
        case O_JSON:
            cli.json = true;
            break;
        case O_LOG: {
            log_level_t lvl;
            if (log_parse_level(&lvl, optarg) != 0)
                return usage_error("--log-level takes error, warn, info or "
                                   "debug: %s",
                                   optarg);
            log_set_level(lvl);
            break;
        }
        case O_HELP:
            help = true;
            break;
        case O_VERSION:
            printf("pickaxe-cli %s\n", PICKAXE_VERSION);
            return EXIT_OK;
        case O_FROM:
        case O_LIMIT:
            if (parse_u64(&v, optarg, UINT32_MAX) || (ch == O_LIMIT && v == 0))
                return usage_error(
                    "--%s takes a %s: %s", ch == O_FROM ? "from" : "limit",
                    ch == O_FROM ? "height" : "count >= 1", optarg);
            if (ch == O_FROM)
                cli.from = v, cli.given |= OPT_FROM;
            else
                cli.limit = v, cli.given |= OPT_LIMIT;
            break;
        case O_NEWEST:
            cli.given |= OPT_NEWEST;
            break;
        case O_KEYSTORE:
            cli.keystore = optarg, cli.given |= OPT_KEYSTORE;
            break;
        case O_TO:
            cli.to = optarg, cli.given |= OPT_TO;
            break;
        case O_AMOUNT:
            cli.amount = optarg, cli.given |= OPT_AMOUNT;
            break;
        case O_FEE:
            cli.fee = optarg, cli.given |= OPT_FEE;
            break;
        case O_NONCE:
            if (parse_u64(&v, optarg, UINT64_MAX))
                return usage_error("--nonce takes a number: %s", optarg);
            cli.nonce = v, cli.given |= OPT_NONCE;
            break;
        case O_TRACKER:
            if (strncmp(optarg, "tcp://", 6) != 0 ||
                strlen(optarg) >= SOCK_ENDPOINT_MAX || !strchr(optarg + 6, ':'))
                return usage_error("--tracker takes tcp://HOST:PORT: %s",
                                   optarg);
            cli.tracker = optarg, cli.given |= OPT_TRACKER;
            break;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    const command_t *cmd = NULL;
    if (optind < argc) {
        cmd = find_command(argv[optind]);
        if (!cmd)
            return usage_error("unknown command %s", argv[optind]);
    }
    if (help) {
        if (cmd)
            command_usage(stdout, cmd);
        else
            usage(stdout);
        return EXIT_OK;
    }
    if (!cmd) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cli.args = (const char *const *)argv + optind + 1;
    cli.nargs = argc - optind - 1;
    if (cli.nargs < cmd->min_args || cli.nargs > cmd->max_args)
        return usage_error("usage: pickaxe-cli %s", cmd->synopsis);
    unsigned extra = cli.given & ~cmd->opts;
    for (size_t i = 0; extra && opts[i].name; i++) {
        unsigned bit =
            opts[i].val >= O_FROM ? 1u << (unsigned)(opts[i].val - O_FROM) : 0;
        if (extra & bit)
            return usage_error("%s does not take --%s", cmd->name,
                               opts[i].name);
    }
    if ((cmd->opts & OPT_KEYSTORE) && !cli.keystore)
        return usage_error("%s needs --keystore FILE", cmd->name);
    if ((cmd->opts & OPT_AMOUNT) && (!cli.to || !cli.amount))
        return usage_error("%s needs --to ADDR and --amount N", cmd->name);

    cli.params = params_get(network);
    if (!cli.params)
        return usage_error("unknown --network %s (demo or regtest)", network);
    if (node)
        snprintf(cli.node, sizeof cli.node, "%s", node);
    else
        snprintf(cli.node, sizeof cli.node, "tcp://127.0.0.1:%u",
                 (unsigned)cli.params->default_port);
    int status = cmd->run(&cli);
    rpcclient_free(&cli.node_client);
    rpcclient_free(&cli.tracker_client);
    return status;
}
