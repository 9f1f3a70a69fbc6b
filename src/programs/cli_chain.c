/*
 * cli_chain — pickaxe-cli's questions about the chain and its accounts:
 * status, getblock, getchain, balance, balance-after, tx, mempool and
 * verifychain. Each asks the node one query (getchain: a page at a time)
 * and prints its answer as text, or with --json as the node said it.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "amount.h"
#include "cmdline.h"
#include "hex.h"
#include "loopwatch.h"

#define CLI_CHAIN_PAGE 1000 /* the node's getchain limit */

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
    cli_say_ms(age, cli_jint(loop, "turn_age_ms"));
    cli_say_ms(longest, cli_jint(loop, "longest_turn_ms"));
    if (cli_jint(loop, "turn_age_ms") > LOOPWATCH_STUCK_MS)
        printf("%-12s STUCK: no turn for %s, in \"%s\" (longest turn %s)\n",
               "main loop", age, cli_jstr(loop, "where"), longest);
    else if (json_is_true(json_object_get(r, "busy")))
        printf("%-12s holds the node lock: this turn %s so far, in \"%s\" "
               "(longest turn %s)\n",
               "main loop", age, cli_jstr(loop, "where"), longest);
    else
        printf("%-12s turning: this turn %s, in \"%s\" (longest turn %s)\n",
               "main loop", age, cli_jstr(loop, "where"), longest);
}

/* What `status` can show while the main loop holds the node lock. */
static void print_busy_status(const json_t *r)
{
    printf("%-12s %s\n", "network", cli_jstr(r, "network"));
    print_main_loop(r);
    printf("%-12s the main loop holds the node lock: chain, mempool and "
           "mining figures wait for it\n",
           "busy");
    printf("%-12s %" PRIu64 "\n", "peers", cli_jint(r, "peers"));
    cli_print_stratum_line(json_object_get(r, "stratum"));
    printf("%-12s %s\n", "node id", cli_jstr(r, "node_id"));
    printf("%-12s %s\n", "gossip", cli_jstr(r, "gossip"));
    printf("%-12s %" PRIu64 " s\n", "uptime", cli_jint(r, "uptime"));
}

int cli_cmd_status(cli_t *cli)
{
    int st;
    json_t *r = CLI_QUERY(cli, "status", NULL, &st);
    if (!r)
        return st;
    if (cli->json) {
        cli_print_json(r);
        json_decref(r);
        return CMDLINE_EXIT_OK;
    }
    char line[512];
    bool stuck = cli_main_loop_stuck(r, line, sizeof line);
    if (json_is_true(json_object_get(r, "busy"))) {
        print_busy_status(r);
        json_decref(r);
        return stuck ? cmdline_fail("%s", line) : CMDLINE_EXIT_OK;
    }
    double rate = json_number_value(json_object_get(r, "hashrate"));
    printf("%-12s %s\n", "network", cli_jstr(r, "network"));
    printf("%-12s %" PRIu64 "\n", "height", cli_jint(r, "height"));
    printf("%-12s %s\n", "tip", cli_jstr(r, "tip"));
    printf("%-12s 0x%s\n", "work", cli_jstr(r, "work"));
    /* Two decimals at every size, as the wallet page shows it. */
    printf("%-12s %.2f (bits %s)\n", "difficulty",
           json_number_value(json_object_get(r, "difficulty")),
           cli_jstr(r, "bits"));
    if (json_is_true(json_object_get(r, "mining")))
        printf("%-12s %.2f MH/s on %" PRIu64 " thread%s (%s kernel)\n",
               "hashrate", rate / 1e6, cli_jint(r, "threads"),
               cli_jint(r, "threads") == 1 ? "" : "s", cli_jstr(r, "kernel"));
    else
        printf("%-12s not mining\n", "hashrate");
    printf("%-12s %" PRIu64 "\n", "peers", cli_jint(r, "peers"));
    printf("%-12s %" PRIu64 " transaction%s\n", "mempool",
           cli_jint(r, "mempool"), cli_jint(r, "mempool") == 1 ? "" : "s");
    /* "forks" counts every branch tip the node keeps, the best one too. */
    uint64_t forks = cli_jint(r, "forks");
    printf("%-12s %" PRIu64 " side branch%s, %" PRIu64 " orphan%s\n", "forks",
           forks ? forks - 1 : 0, forks == 2 ? "" : "es",
           cli_jint(r, "orphans"), cli_jint(r, "orphans") == 1 ? "" : "s");
    json_t *refused = json_object_get(r, "refused");
    print_refused("refused blk", json_object_get(refused, "blocks"));
    print_refused("refused tx", json_object_get(refused, "transactions"));
    cli_print_stratum_line(json_object_get(r, "stratum"));
    printf("%-12s %s\n", "node id", cli_jstr(r, "node_id"));
    printf("%-12s %s\n", "gossip", cli_jstr(r, "gossip"));
    printf("%-12s %" PRIu64 " s\n", "uptime", cli_jint(r, "uptime"));
    print_main_loop(r);
    json_decref(r);
    return stuck ? cmdline_fail("%s", line) : CMDLINE_EXIT_OK;
}

static void print_tx_line(const json_t *tx)
{
    char c[AMOUNT_TEXT_MAX];
    const char *type = cli_jstr(tx, "type");
    if (strcmp(type, "coinbase") == 0) {
        printf("  coinbase %s\n           -> %s  %s\n", cli_jstr(tx, "txid"),
               cli_jstr(tx, "to"), amount_format(c, cli_jint(tx, "amount")));
    } else {
        char f[AMOUNT_TEXT_MAX];
        printf("  transfer %s\n           %s -> %s  %s (fee %s, nonce %" PRIu64
               ")\n",
               cli_jstr(tx, "txid"), cli_jstr(tx, "from"), cli_jstr(tx, "to"),
               amount_format(c, cli_jint(tx, "amount")),
               amount_format(f, cli_jint(tx, "fee")), cli_jint(tx, "nonce"));
    }
}

static void print_block(const json_t *b)
{
    printf("%-12s %s\n", "block", cli_jstr(b, "hash"));
    json_t *main_chain = json_object_get(b, "mainChain");
    if (main_chain)
        printf("%-12s %" PRIu64 " (%s, %" PRIu64 " confirmation%s)\n", "height",
               cli_jint(b, "blockHeight"),
               json_is_true(main_chain) ? "main chain" : "side branch",
               cli_jint(b, "confirmations"),
               cli_jint(b, "confirmations") == 1 ? "" : "s");
    else
        printf("%-12s %" PRIu64 "\n", "height", cli_jint(b, "blockHeight"));
    printf("%-12s %s\n", "previous", cli_jstr(b, "previousHash"));
    cli_print_time("time", cli_jint(b, "timestamp"));
    printf("%-12s %s\n", "bits", cli_jstr(b, "bits"));
    printf("%-12s %" PRIu64 "\n", "nonce", cli_jint(b, "nonce"));
    /* In hex, where the rolled bits 13..16 (BIP 320) can be read. */
    printf("%-12s 0x%08" PRIx64 "\n", "version", cli_jint(b, "version"));
    printf("%-12s %s\n", "merkle root", cli_jstr(b, "merkleRoot"));
    json_t *txs = json_object_get(b, "data");
    printf("%-12s %zu\n", "transactions", json_array_size(txs));
    size_t i;
    json_t *tx;
    json_array_foreach(txs, i, tx) print_tx_line(tx);
}

int cli_cmd_getblock(cli_t *cli)
{
    const char *arg = cli->args[0];
    json_t *params;
    uint64_t height;
    if (strlen(arg) == HEX_HASH_LEN) {
        params = json_pack("{s:s}", "hash", arg);
    } else if (cmdline_parse_u64(&height, arg, 0, UINT32_MAX) == 0) {
        params = json_pack("{s:I}", "height", (json_int_t)height);
    } else {
        return cmdline_usage_error(
            "getblock takes a block hash (64 hex digits) or a "
            "height: %s",
            arg);
    }
    return cli_show(cli, "getblock", params, print_block);
}

int cli_cmd_getchain(cli_t *cli)
{
    bool oldest = cli->given & CLI_OPT_OLDEST;
    uint64_t limit = cli->given & CLI_OPT_LIMIT ? cli->limit : 100;
    /* The node counts a newest-first window in blocks below the tip; the
     * cli takes a height, as people read one, and asks the tip for it. */
    uint64_t from = cli->given & CLI_OPT_FROM ? cli->from : 0;
    if (!oldest && (cli->given & CLI_OPT_FROM)) {
        int st;
        json_t *s = CLI_QUERY(cli, "status", NULL, &st);
        if (!s)
            return st;
        uint64_t tip = cli_jint(s, "height");
        json_decref(s);
        from = cli->from >= tip ? 0 : tip - cli->from;
    }
    json_t *all = json_array();
    if (!all)
        return cmdline_fail("out of memory");
    /* The node sends at most CLI_CHAIN_PAGE blocks per call: ask page by
     * page until the limit or the end of the chain. */
    while (json_array_size(all) < limit) {
        uint64_t want = limit - json_array_size(all);
        if (want > CLI_CHAIN_PAGE)
            want = CLI_CHAIN_PAGE;
        json_t *params = json_pack(
            "{s:I,s:I,s:b}", "from", (json_int_t)(from + json_array_size(all)),
            "limit", (json_int_t)want, "newest_first", !oldest);
        int st;
        json_t *page = CLI_QUERY(cli, "getchain", params, &st);
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
        cli_print_json(all);
    } else {
        size_t i;
        json_t *b;
        json_array_foreach(all, i, b)
        {
            char when[32] = "?";
            time_t t = (time_t)cli_jint(b, "timestamp");
            struct tm tm;
            if (gmtime_r(&t, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            printf("%8" PRIu64 "  %s  %s  %zu tx\n", cli_jint(b, "blockHeight"),
                   cli_jstr(b, "hash"), when,
                   json_array_size(json_object_get(b, "data")));
        }
    }
    json_decref(all);
    return CMDLINE_EXIT_OK;
}

static void print_balance(const json_t *r)
{
    printf("%-12s %s\n", "address", cli_jstr(r, "address"));
    cli_print_amount("confirmed", cli_jint(r, "confirmed"));
    /* The change still waiting for a block, each way: the same words as
     * the wallet page and the JSON (pending_incoming, pending_outgoing). */
    char c[AMOUNT_TEXT_MAX];
    uint64_t in = cli_jint(r, "pending_incoming");
    uint64_t out = cli_jint(r, "pending_outgoing");
    printf("%-12s +%s coins incoming (%" PRIu64 " units)\n", "pending",
           amount_format(c, in), in);
    printf("%-12s -%s coins outgoing (%" PRIu64 " units)\n", "pending",
           amount_format(c, out), out);
    cli_print_amount("available", cli_jint(r, "available"));
    printf("%-12s %" PRIu64 "\n", "next nonce", cli_jint(r, "nonce"));
}

int cli_cmd_balance(cli_t *cli)
{
    if (cli_check_address(cli, "address", cli->args[0]))
        return CMDLINE_EXIT_USAGE;
    return cli_show(cli, "balance", json_pack("{s:s}", "address", cli->args[0]),
                    print_balance);
}

static void print_balance_after(const json_t *r)
{
    printf("%-12s %s\n%-12s %s\n", "address", cli_jstr(r, "address"), "after",
           cli_jstr(r, "txid"));
    cli_print_amount("balance", cli_jint(r, "balance"));
}

int cli_cmd_balance_after(cli_t *cli)
{
    if (cli_check_address(cli, "address", cli->args[0]))
        return CMDLINE_EXIT_USAGE;
    return cli_show(
        cli, "balance_after",
        json_pack("{s:s,s:s}", "address", cli->args[0], "txid", cli->args[1]),
        print_balance_after);
}

static void print_tx(const json_t *r)
{
    const char *status = cli_jstr(r, "status");
    printf("%-12s %s\n%-12s %s", "txid", cli_jstr(r, "txid"), "status", status);
    if (strcmp(status, "confirmed") == 0)
        printf(" in block %" PRIu64 " (%" PRIu64 " confirmation%s)\n%-12s %s",
               cli_jint(r, "height"), cli_jint(r, "confirmations"),
               cli_jint(r, "confirmations") == 1 ? "" : "s", "block",
               cli_jstr(r, "block"));
    else if (strcmp(status, "rejected") == 0)
        printf(": %s", cli_jstr(r, "reason"));
    printf("\n");
    json_t *tx = json_object_get(r, "tx");
    if (!tx)
        return;
    printf("%-12s %s\n", "type", cli_jstr(tx, "type"));
    if (json_object_get(tx, "from"))
        printf("%-12s %s\n", "from", cli_jstr(tx, "from"));
    printf("%-12s %s\n", "to", cli_jstr(tx, "to"));
    cli_print_amount("amount", cli_jint(tx, "amount"));
    if (json_object_get(tx, "fee")) {
        cli_print_amount("fee", cli_jint(tx, "fee"));
        printf("%-12s %" PRIu64 "\n", "nonce", cli_jint(tx, "nonce"));
    }
}

int cli_cmd_tx(cli_t *cli)
{
    return cli_show(cli, "tx", json_pack("{s:s}", "txid", cli->args[0]),
                    print_tx);
}

static void print_mempool(const json_t *r)
{
    printf("%zu pending transaction%s\n", json_array_size(r),
           json_array_size(r) == 1 ? "" : "s");
    size_t i;
    const json_t *tx;
    json_array_foreach(r, i, tx) print_tx_line(tx);
}

int cli_cmd_mempool(cli_t *cli)
{
    return cli_show(cli, "mempool", NULL, print_mempool);
}

int cli_cmd_verifychain(cli_t *cli)
{
    int st;
    json_t *r = cli_node_call(cli, "verifychain", NULL, true,
                              CLI_GENERATE_TIMEOUT_MS, &st);
    if (!r)
        return st;
    bool valid = json_is_true(json_object_get(r, "valid"));
    if (cli->json)
        cli_print_json(r);
    else if (valid)
        printf("valid: %" PRIu64 " blocks on the best chain, tip %s\n",
               cli_jint(r, "height") + 1, cli_jstr(r, "tip"));
    else
        printf("INVALID at height %" PRIu64 ": %s\n", cli_jint(r, "bad_height"),
               cli_jstr(r, "reason"));
    json_decref(r);
    return valid ? CMDLINE_EXIT_OK : CMDLINE_EXIT_FAIL;
}
