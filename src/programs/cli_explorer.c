/*
 * cli_explorer — pickaxe-cli's commands for watching the chain
 * (rpc_explorer.h): the branch tips the node holds or pruned lately, the
 * block tree in a window of heights, and the event log since a sequence
 * number, with each refusal's rule in words.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmdline.h"

/* The first 16 hex digits of a hash field ("?" when absent). */
static const char *short_hash(char out[17], const json_t *o, const char *key)
{
    snprintf(out, 17, "%.16s", cli_jstr(o, key));
    return out;
}

static void print_tips(const json_t *r)
{
    printf("%-10s %8s %9s %8s  %s\n", "status", "height", "branchlen",
           "prune in", "tip");
    size_t i;
    const json_t *t;
    json_array_foreach(r, i, t)
    {
        char prune[24] = "-";
        if (json_object_get(t, "prune_in"))
            snprintf(prune, sizeof prune, "%" PRIu64, cli_jint(t, "prune_in"));
        printf("%-10s %8" PRIu64 " %9" PRIu64 " %8s  %s\n",
               cli_jstr(t, "status"), cli_jint(t, "height"),
               cli_jint(t, "branchlen"), prune, cli_jstr(t, "hash"));
    }
}

int cli_cmd_chaintips(cli_t *cli)
{
    return cli_show(cli, "chaintips", NULL, print_tips);
}

static void print_tree(const json_t *r)
{
    printf("best height %" PRIu64 ", heights %" PRIu64 "..%" PRIu64 "\n",
           cli_jint(r, "height"), cli_jint(r, "from"), cli_jint(r, "to"));
    printf("%8s %-5s %-16s %-16s %4s  %s\n", "height", "", "hash", "parent",
           "txs", "miner");
    size_t i;
    const json_t *b;
    json_array_foreach(json_object_get(r, "blocks"), i, b)
    {
        char h[17], p[17];
        printf("%8" PRIu64 " %-5s %-16s %-16s %4" PRIu64 "  %s\n",
               cli_jint(b, "height"),
               json_is_true(json_object_get(b, "best")) ? "best" : "side",
               short_hash(h, b, "hash"), short_hash(p, b, "parent"),
               cli_jint(b, "txs"), cli_jstr(b, "miner"));
    }
}

int cli_cmd_tree(cli_t *cli)
{
    json_t *params = json_object();
    if (params && (cli->given & CLI_OPT_FROM))
        json_object_set_new(params, "from",
                            json_integer((json_int_t)cli->from));
    if (params && (cli->given & CLI_OPT_LIMIT)) {
        if (cli->limit > 500) {
            json_decref(params);
            return cmdline_usage_error("tree: --limit is 1..500 heights");
        }
        uint64_t from = cli->given & CLI_OPT_FROM ? cli->from : 0;
        if (cli->given & CLI_OPT_FROM)
            json_object_set_new(
                params, "to",
                json_integer((json_int_t)(from + cli->limit - 1)));
        else
            json_object_set_new(params, "count",
                                json_integer((json_int_t)cli->limit));
    }
    return cli_show(cli, "tree", params, print_tree);
}

/* One line about an event. */
static void print_event(const json_t *e, const json_t *reasons)
{
    char h[17], p[17], when[16] = "?";
    time_t t = (time_t)(cli_jint(e, "time_ms") / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%H:%M:%S", &tm);
    const char *kind = cli_jstr(e, "kind");
    const char *peer = json_object_get(e, "peer") ? cli_jstr(e, "peer") : NULL;
    printf("%6" PRIu64 " %s %-14s ", cli_jint(e, "seq"), when, kind);
    if (strcmp(kind, "block-accepted") == 0)
        printf("%s at %" PRIu64 " onto the %s, %s%s", short_hash(h, e, "hash"),
               cli_jint(e, "height"),
               json_is_true(json_object_get(e, "best")) ? "best chain"
                                                        : "side branch",
               json_is_true(json_object_get(e, "mined")) ? "mined here"
               : peer                                    ? "from "
                                                         : "local",
               json_is_true(json_object_get(e, "mined")) || !peer ? "" : peer);
    else if (strcmp(kind, "reorg") == 0)
        printf("%" PRIu64 " block(s) off, %" PRIu64 " on, fork at %" PRIu64
               ": tip %s (was %s), %" PRIu64 " transaction(s) back in the "
               "mempool",
               cli_jint(e, "disconnected"), cli_jint(e, "connected"),
               cli_jint(e, "fork_height"), short_hash(h, e, "tip"),
               short_hash(p, e, "old_tip"), cli_jint(e, "txs_returned"));
    else if (strcmp(kind, "branch-pruned") == 0)
        printf("%" PRIu64 " block(s) up to %s at %" PRIu64 ", %" PRIu64
               " transaction(s) back in the mempool",
               cli_jint(e, "blocks"), short_hash(h, e, "tip"),
               cli_jint(e, "height"), cli_jint(e, "txs_returned"));
    else {
        const char *reason = cli_jstr(e, "reason");
        const char *said = json_string_value(json_object_get(reasons, reason));
        if (json_object_get(e, "hash"))
            printf("%s ", short_hash(h, e, "hash"));
        else if (json_object_get(e, "txid"))
            printf("%s ", short_hash(h, e, "txid"));
        printf("%s%s%s%s%s", reason, said ? ": " : "", said ? said : "",
               peer ? " (peer " : "", peer ? peer : "");
        if (peer)
            printf(")");
    }
    printf("\n");
}

static void print_events(const json_t *r)
{
    const json_t *reasons = json_object_get(r, "reasons");
    if (cli_jint(r, "missed"))
        printf("(%" PRIu64 " older events are no longer held)\n",
               cli_jint(r, "missed"));
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r, "events"), i, e)
        print_event(e, reasons);
    printf("last event %" PRIu64 "; ask again with `events %" PRIu64
           "` for what follows\n",
           cli_jint(r, "last"), cli_jint(r, "last"));
}

int cli_cmd_events(cli_t *cli)
{
    json_t *params = json_object();
    if (cli->nargs == 1) {
        uint64_t since;
        int st =
            cmdline_uint(&since, "events", cli->args[0], 0, INT64_MAX, NULL);
        if (st) {
            json_decref(params);
            return st;
        }
        json_object_set_new(params, "since", json_integer((json_int_t)since));
    }
    if (cli->given & CLI_OPT_LIMIT) {
        if (cli->limit > 1000) {
            json_decref(params);
            return cmdline_usage_error("events: --limit is 1..1000 events");
        }
        json_object_set_new(params, "max",
                            json_integer((json_int_t)cli->limit));
    }
    return cli_show(cli, "events", params, print_events);
}
