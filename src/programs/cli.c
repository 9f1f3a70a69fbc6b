/*
 * cli — pickaxe-cli's plumbing (see cli.h): talking to the node and the
 * tracker, and printing their answers.
 *
 * When the node cannot be reached the cli says which of three things it
 * is: nothing listens on the port (a plain TCP connection is refused: said
 * at once, before any query); the node answers `status` but its main loop
 * has not turned for seconds (status answers even then, marked busy); or
 * the port takes connections and nothing answers within the timeout (a
 * stopped or swamped process).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "amount.h"
#include "cmdline.h"
#include "err.h"
#include "loopwatch.h"
#include "tracker.h"

#define CLI_PROBE_MS 3000       /* a TCP connection to the node, first */
#define CLI_STATUS_PEEK_MS 2000 /* `status` asked to explain a silence */

/* ---- printing ------------------------------------------------------------ */

uint64_t cli_jint(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v < 0 ? 0 : (uint64_t)v;
}

const char *cli_jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

void cli_print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (text) {
        puts(text);
        free(text);
    }
}

void cli_print_amount(const char *label, uint64_t units)
{
    char c[AMOUNT_TEXT_MAX];
    printf("%-12s %s coins (%" PRIu64 " units)\n", label,
           amount_format(c, units), units);
}

void cli_print_time(const char *label, uint64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char when[64] = "?";
    if (gmtime_r(&tt, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("%-12s %s (%" PRIu64 ")\n", label, when, t);
}

/* A typo is reported as such, with address_decode's reason, rather than
 * as whatever the node would say. */
int cli_check_address(const cli_t *cli, const char *what, const char *addr)
{
    uint8_t key[32];
    const char *why = NULL;
    if (address_decode(key, &why, cli->params->hrp, addr) != 0)
        return cmdline_usage_error("%s %s is not a %s address: %s", what, addr,
                                   cli->params->name, why ? why : "malformed");
    return 0;
}

/* ---- talking to the node ------------------------------------------------- */

static int timeout_for(const cli_t *cli, int dflt)
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
rpcclient_t *cli_open_client(cli_t *cli, const char *endpoint, bool idempotent,
                             int dflt_timeout, const char *daemon)
{
    int total = timeout_for(cli, dflt_timeout);
    int retries = idempotent && total >= 600 ? 2 : 0;
    rpcclient_t *c = rpcclient_new(endpoint, cli->params->network_id,
                                   total / (retries + 1), retries);
    if (!c) {
        cmdline_fail("cannot open a connection to %s", endpoint);
        return NULL;
    }
    char *why = NULL;
    if (rpcclient_probe(c, total < CLI_PROBE_MS ? total : CLI_PROBE_MS, &why) ==
        ERR_NET) {
        cmdline_fail("%s; is %s running?", why ? why : endpoint, daemon);
        rpcclient_free(&c);
    }
    free(why);
    return c;
}

const char *cli_say_ms(char out[32], uint64_t ms)
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

/* The loop is stuck when its current turn has run past LOOPWATCH_STUCK_MS,
 * the node's own threshold for logging it. */
bool cli_main_loop_stuck(const json_t *status, char *line, size_t len)
{
    const json_t *loop = json_object_get(status, "main_loop");
    json_int_t age = json_integer_value(json_object_get(loop, "turn_age_ms"));
    const char *where = json_string_value(json_object_get(loop, "where"));
    char t[32];
    cli_say_ms(t, age > 0 ? (uint64_t)age : 0);
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
        cmdline_fail("%s; is the node running?", why ? why : msg);
    } else if (rc == ERR_TIMEOUT || !peek) {
        cmdline_fail("%s: is the node running?", msg);
    } else {
        json_t *st = NULL;
        char line[512];
        if (ask_status &&
            rpcclient_call(peek, &st, NULL, "status", NULL) == 0 &&
            json_is_object(json_object_get(st, "main_loop"))) {
            cli_main_loop_stuck(st, line, sizeof line);
            cmdline_fail("%s: %s", msg, line);
        } else {
            cmdline_fail("%s; the port accepts connections, so the node is "
                         "running but does not answer (stopped, or swamped?)",
                         msg);
        }
        json_decref(st);
    }
    free(why);
    rpcclient_free(&peek);
}

int cli_call_failed(int rc, char *msg, const char *daemon)
{
    if (rpcclient_no_answer(rc))
        cmdline_fail("%s: is %s running?", msg ? msg : "no answer", daemon);
    else
        cmdline_fail("%s", msg ? msg : err_str(rc));
    free(msg);
    return CMDLINE_EXIT_FAIL;
}

int cli_node_call_failed(cli_t *cli, int rc, char *msg, const char *method)
{
    if (!rpcclient_no_answer(rc))
        return cli_call_failed(rc, msg, "the node");
    explain_silence(cli, cli->node, msg ? msg : "no answer",
                    strcmp(method, "status") != 0);
    free(msg);
    return CMDLINE_EXIT_FAIL;
}

json_t *cli_node_call(cli_t *cli, const char *method, json_t *params,
                      bool idempotent, int dflt_timeout, int *status)
{
    rpcclient_t *once = NULL, *c;
    if (!idempotent)
        c = once =
            cli_open_client(cli, cli->node, false, dflt_timeout, "the node");
    else if (cli->node_client)
        c = cli->node_client;
    else
        c = cli->node_client =
            cli_open_client(cli, cli->node, true, dflt_timeout, "the node");
    json_t *result = NULL;
    if (!c) {
        json_decref(params);
        *status = CMDLINE_EXIT_FAIL;
        return NULL;
    }
    char *msg = NULL;
    int rc = rpcclient_call(c, &result, &msg, method, params);
    json_decref(params);
    rpcclient_free(&once);
    if (rc) {
        *status = cli_node_call_failed(cli, rc, msg, method);
        return NULL;
    }
    *status = CMDLINE_EXIT_OK;
    return result;
}

int cli_show(cli_t *cli, const char *method, json_t *params,
             void (*text)(const json_t *answer))
{
    int st;
    json_t *r = CLI_QUERY(cli, method, params, &st);
    if (!r)
        return st;
    if (cli->json)
        cli_print_json(r);
    else
        text(r);
    json_decref(r);
    return CMDLINE_EXIT_OK;
}

/* The tracker's request port is the node's minus TRACKER_PORT_OFFSET. */
void cli_tracker_endpoint(const cli_t *cli, char *out, size_t len)
{
    if (cli->tracker)
        snprintf(out, len, "%s", cli->tracker);
    else
        snprintf(out, len, "tcp://127.0.0.1:%u",
                 (unsigned)(cli->params->default_port - TRACKER_PORT_OFFSET));
}
