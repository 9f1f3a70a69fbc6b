/*
 * pickaxe-tracker — the peer registry and transaction relay of a pickaxe
 * network (net/tracker.h has the protocol).
 *
 * Parses the flags, binds the request port and the announcement port
 * (request port + 1 unless --pub-port says otherwise) and serves until
 * SIGINT or SIGTERM, which end it cleanly with status 0. Bad flags print one
 * line saying what is wrong and exit with status 2; a port that cannot be
 * bound exits with status 1.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "params.h"
#include "sock.h"
#include "tracker.h"

#ifndef PICKAXE_VERSION
#define PICKAXE_VERSION "0.1.0"
#endif

static tracker_t *volatile g_tracker; /* for the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    tracker_t *t = g_tracker;
    if (t)
        tracker_stop(t);
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: pickaxe-tracker [OPTIONS]\n"
"\n"
"The peer registry of a pickaxe network. Nodes register with it, ping it to\n"
"stay listed and get the list of their peers from it; it announces peers\n"
"joining and leaving, and relays transactions that wallets submit to every\n"
"node. It holds no blockchain: nodes keep mining and gossiping with the\n"
"peers they know while it is down, and register again when it is back.\n"
"\n"
"Options:\n"
"  -l, --listen HOST:PORT   answer requests (REGISTER, PING, LEAVE, PEERS,\n"
"                           SUBMIT_TX, SUBMIT_TXS) on HOST:PORT; use 0.0.0.0\n"
"                           to accept other machines (default 127.0.0.1 and\n"
"                           the network's node port minus %d: demo %u,\n"
"                           regtest %u)\n"
"  -p, --pub-port P         publish peer events and relayed transactions on\n"
"                           port P (default: PORT + 1)\n"
"  -n, --network NAME       demo or regtest (default demo); nodes of another\n"
"                           network are refused\n"
"  -t, --peer-timeout SECS  forget a peer silent for this long (default %d)\n"
"  -L, --log-level LEVEL    error, warn, info or debug (default info)\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the version and exit\n"
"\n"
"Example: pickaxe-tracker --listen 0.0.0.0:18320 --network demo\n"
"  then start nodes with --tracker tcp://THIS-HOST:18320\n",
            TRACKER_PORT_OFFSET,
            (unsigned)(params_demo()->default_port - TRACKER_PORT_OFFSET),
            (unsigned)(params_regtest()->default_port - TRACKER_PORT_OFFSET),
            TRACKER_DEFAULT_TIMEOUT_MS / 1000);
}

/* Prints one line about a bad flag; returns the exit status for it. */
static int bad_flag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_flag(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pickaxe-tracker: %s (see --help)\n", line);
    return 2;
}

/* Parses a decimal integer in [min, max]. Returns 0 or ERR_ARG. */
static int parse_uint(unsigned long *out, const char *s, unsigned long min,
                      unsigned long max)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return ERR_ARG;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < min || v > max)
        return ERR_ARG;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"pub-port", required_argument, NULL, 'p'},
        {"network", required_argument, NULL, 'n'},
        {"peer-timeout", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *network = "demo";
    unsigned long pub_port = 0, timeout_s = TRACKER_DEFAULT_TIMEOUT_MS / 1000;
    log_level_t level = LOG_INFO;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":l:p:n:t:L:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'p':
            if (parse_uint(&pub_port, optarg, 1, 65535))
                return bad_flag("--pub-port wants a port 1..65535, not '%s'",
                                optarg);
            break;
        case 'n':
            network = optarg;
            break;
        case 't':
            if (parse_uint(&timeout_s, optarg, 1, 86400))
                return bad_flag(
                    "--peer-timeout wants seconds 1..86400, not '%s'", optarg);
            break;
        case 'L':
            if (log_parse_level(&level, optarg))
                return bad_flag("--log-level wants error, warn, info or "
                                "debug, not '%s'",
                                optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("pickaxe-tracker %s (wire protocol %d)\n", PICKAXE_VERSION,
                   WIRE_VERSION);
            return 0;
        case ':':
            return bad_flag("%s needs a value", argv[optind - 1]);
        default:
            return bad_flag("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad_flag("unexpected argument '%s'", argv[optind]);
    log_set_level(level);

    const params_t *params = params_get(network);
    if (!params)
        return bad_flag("unknown network '%s' (demo or regtest)", network);

    char host[SOCK_ENDPOINT_MAX];
    uint16_t port = (uint16_t)(params->default_port - TRACKER_PORT_OFFSET);
    strcpy(host, "127.0.0.1");
    if (listen && sock_parse_hostport(host, sizeof host, &port, listen))
        return bad_flag("--listen wants HOST:PORT, not '%s'", listen);
    if (!pub_port) {
        if (port == 65535)
            return bad_flag("--listen port %s leaves no room for PORT + 1; "
                            "give --pub-port",
                            listen);
        pub_port = (unsigned long)port + 1;
    }
    if (pub_port == port)
        return bad_flag("--pub-port must differ from the request port");

    char req_ep[SOCK_ENDPOINT_MAX], pub_ep[SOCK_ENDPOINT_MAX];
    if (sock_endpoint(req_ep, sizeof req_ep, host, port) ||
        sock_endpoint(pub_ep, sizeof pub_ep, host, (unsigned)pub_port))
        return bad_flag("--listen host '%s' is too long", host);

    tracker_config_t cfg;
    tracker_config_init(&cfg, params->network_id);
    cfg.peer_timeout_ms = (uint32_t)(timeout_s * 1000);
    tracker_t *t = tracker_new(&cfg);
    if (!t) {
        fprintf(stderr, "pickaxe-tracker: out of memory\n");
        return 1;
    }
    if (tracker_bind(t, req_ep, pub_ep) != 0) {
        fprintf(stderr, "pickaxe-tracker: cannot listen on %s and %s\n",
                req_ep, pub_ep);
        tracker_free(&t);
        return 1;
    }
    log_info("tracker", "network %s, peer timeout %lu s", params->name,
             timeout_s);

    g_tracker = t;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = tracker_run(t);
    g_tracker = NULL;
    tracker_free(&t);
    if (rc) {
        fprintf(stderr, "pickaxe-tracker: %s\n", err_str(rc));
        return 1;
    }
    return 0;
}
