/*
 * cli_history — pickaxe-cli's history command: an address's transactions
 * as the node's address index has them (rpc.h, `history`), one line each,
 * pending first, then confirmed newest first with their confirmations.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "cmdline.h"

static void print_item(const json_t *tx)
{
    char a[AMOUNT_TEXT_MAX], f[AMOUNT_TEXT_MAX];
    const char *way = cli_jstr(tx, "direction");
    bool coinbase = strcmp(cli_jstr(tx, "type"), "coinbase") == 0;
    bool out = strcmp(way, "out") == 0;
    char status[48];
    if (strcmp(cli_jstr(tx, "status"), "confirmed") == 0)
        snprintf(status, sizeof status, "%" PRIu64 " conf. (block %" PRIu64 ")",
                 cli_jint(tx, "confirmations"), cli_jint(tx, "height"));
    else
        snprintf(status, sizeof status, "pending");
    printf("%-26s %s%s %-9s %s %s", status, out ? "-" : "+",
           amount_format(a, cli_jint(tx, "amount")),
           coinbase                   ? "mined"
           : out                      ? "to"
           : strcmp(way, "self") == 0 ? "to itself"
                                      : "from",
           coinbase ? ""
           : out    ? cli_jstr(tx, "to")
                    : cli_jstr(tx, "from"),
           cli_jstr(tx, "txid"));
    if (!coinbase)
        printf(" (fee %s)", amount_format(f, cli_jint(tx, "fee")));
    printf("\n");
}

static void print_history(const json_t *r)
{
    printf("%" PRIu64 " transaction%s (%" PRIu64 " pending), page %" PRIu64
           " of %" PRIu64 "\n",
           cli_jint(r, "total"), cli_jint(r, "total") == 1 ? "" : "s",
           cli_jint(r, "pending"), cli_jint(r, "page"), cli_jint(r, "pages"));
    size_t i;
    json_t *tx;
    json_array_foreach(json_object_get(r, "items"), i, tx) print_item(tx);
}

int cli_cmd_history(cli_t *cli)
{
    int st = cli_check_address(cli, "address", cli->args[0]);
    if (st)
        return st;
    uint64_t limit = cli->given & CLI_OPT_LIMIT ? cli->limit : 20;
    uint64_t page = cli->given & CLI_OPT_PAGE ? cli->page : 1;
    if (limit > 100)
        return cmdline_usage_error("history takes --limit 1..100");
    return cli_show(cli, "history",
                    json_pack("{s:s,s:I,s:I}", "address", cli->args[0], "page",
                              (json_int_t)page, "limit", (json_int_t)limit),
                    print_history);
}
