/*
 * cli_stratum — pickaxe-cli's `stratum`: what the node's Stratum server
 * (pickaxe-node --stratum) serves and what its outside miners did, worker
 * by worker; and the line `status` prints about it.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

/* "1.23 MH/s" */
static const char *say_rate(char out[32], double hs)
{
    static const char *units[] = {"H/s",  "kH/s", "MH/s",
                                  "GH/s", "TH/s", "PH/s"};
    int u = 0;
    while (hs >= 1000 && u < 5) {
        hs /= 1000;
        u++;
    }
    snprintf(out, 32, "%.2f %s", hs, units[u]);
    return out;
}

void cli_print_stratum_line(const json_t *st)
{
    if (!json_is_object(st))
        return;
    char rate[32];
    printf("%-12s %s: %" PRIu64 " connection%s, %s, %" PRIu64
           " shares, %" PRIu64 " block%s\n",
           "stratum", cli_jstr(st, "url"), cli_jint(st, "connections"),
           cli_jint(st, "connections") == 1 ? "" : "s",
           say_rate(rate, json_number_value(json_object_get(st, "hashrate"))),
           cli_jint(st, "accepted"), cli_jint(st, "blocks"),
           cli_jint(st, "blocks") == 1 ? "" : "s");
}

static void print_stratum(const json_t *r)
{
    char rate[32];
    const json_t *d = json_object_get(r, "disconnected");
    printf("%-13s %s\n", "url", cli_jstr(r, "url"));
    printf("%-13s %" PRIu64 " open, %" PRIu64 " since start, %" PRIu64
           " refused (full)\n",
           "connections", cli_jint(r, "connections"),
           cli_jint(r, "connections_total"), cli_jint(r, "refused_full"));
    printf("%-13s %" PRIu64 " misbehaving, %" PRIu64 " idle, %" PRIu64
           " line too long, %" PRIu64 " not reading\n",
           "disconnected", cli_jint(d, "score"), cli_jint(d, "idle"),
           cli_jint(d, "long_line"), cli_jint(d, "slow"));
    printf("%-13s %" PRIu64 " templates (%" PRIu64 " new tips), %" PRIu64
           " jobs sent, last clean_jobs fan-out %" PRIu64 " us\n",
           "jobs", cli_jint(r, "templates"), cli_jint(r, "clean_jobs"),
           cli_jint(r, "jobs_sent"), cli_jint(r, "fanout_us"));
    printf("%-13s %" PRIu64 " accepted, %" PRIu64 " stale, %" PRIu64
           " duplicate, %" PRIu64 " low difficulty, %" PRIu64 " invalid\n",
           "shares", cli_jint(r, "accepted"), cli_jint(r, "stale"),
           cli_jint(r, "duplicate"), cli_jint(r, "low_difficulty"),
           cli_jint(r, "invalid"));
    printf("%-13s %" PRIu64 " accepted by the chain, %" PRIu64
           " refused, %" PRIu64 " stale (the tip moved first)\n",
           "blocks", cli_jint(r, "blocks"), cli_jint(r, "blocks_refused"),
           cli_jint(r, "blocks_stale"));
    printf("%-13s %s (from shares)\n", "hashrate",
           say_rate(rate, json_number_value(json_object_get(r, "hashrate"))));
    const json_t *ws = json_object_get(r, "workers");
    if (json_array_size(ws) == 0) {
        printf("no workers yet: point a miner at %s\n", cli_jstr(r, "url"));
        return;
    }
    printf("\n%5s %8s %6s %5s %5s %5s %6s %12s %12s  %s\n", "conn", "accepted",
           "stale", "dup", "low", "bad", "blocks", "hashrate", "last share",
           "worker");
    size_t i;
    const json_t *w;
    json_array_foreach(ws, i, w)
    {
        char last[32] = "never";
        json_int_t t = json_integer_value(json_object_get(w, "last_share"));
        if (t > 0) {
            long ago = (long)(time(NULL) - (time_t)t);
            snprintf(last, sizeof last, "%ld s ago", ago < 0 ? 0 : ago);
        }
        printf(
            "%5" PRIu64 " %8" PRIu64 " %6" PRIu64 " %5" PRIu64 " %5" PRIu64
            " %5" PRIu64 " %6" PRIu64 " %12s %12s  %s\n",
            cli_jint(w, "connections"), cli_jint(w, "accepted"),
            cli_jint(w, "stale"), cli_jint(w, "duplicate"),
            cli_jint(w, "low_difficulty"), cli_jint(w, "invalid"),
            cli_jint(w, "blocks"),
            say_rate(rate, json_number_value(json_object_get(w, "hashrate"))),
            last, cli_jstr(w, "worker"));
    }
}

int cli_cmd_stratum(cli_t *cli)
{
    return cli_show(cli, "stratum", NULL, print_stratum);
}
