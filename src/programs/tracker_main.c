/*
 * pickaxe-tracker — the peer registry and transaction relay of a pickaxe
 * network (net/tracker.h has the protocol).
 *
 * Parses the flags, binds the request port and the announcement port
 * (request port + 1 unless --pub-port says otherwise) and serves until
 * SIGINT or SIGTERM, which end it cleanly with status 0. Flags, messages
 * and exit statuses as every pickaxe program has them (cmdline.h): a bad
 * flag is one line and status 2; a port that cannot be bound, status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "err.h"
#include "log.h"
#include "params.h"
#include "sock.h"
#include "tracker.h"

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
            "usage: pickaxe-tracker [options]\n"
            "\n"
            "The peer registry of a pickaxe network. Nodes register with it, "
            "ping it to\n"
            "stay listed and get the list of their peers from it; it "
            "announces peers\n"
            "joining and leaving, and relays transactions that wallets submit "
            "to every\n"
            "node. It holds no blockchain: nodes keep mining and gossiping "
            "with the\n"
            "peers they know while it is down, and register again when it is "
            "back.\n"
            "\n"
            "options:\n"
            "  -l, --listen HOST:PORT   answer requests (REGISTER, PING, "
            "LEAVE, PEERS,\n"
            "                           SUBMIT_TX, SUBMIT_TXS) on HOST:PORT; "
            "use 0.0.0.0\n"
            "                           to accept other machines (default "
            "127.0.0.1 and\n"
            "                           the network's node port minus %d: "
            "demo %u,\n"
            "                           regtest %u)\n"
            "  -p, --pub-port P         publish peer events and relayed "
            "transactions on\n"
            "                           port P (default: PORT + 1; CURVE)\n"
            "  -k, --keyed-port P       take REGISTER, PING and LEAVE over "
            "CURVE on\n"
            "                           port P (default: PORT + 2); PORT "
            "itself answers\n"
            "                           PEERS, SUBMIT_TX(S) and GET_KEY in "
            "plain text\n"
            "  -d, --data-dir DIR       where the tracker's key is kept "
            "(identity.key,\n"
            "                           made on first start; default "
            "~/.pickaxe/NETWORK-tracker)\n"
            "  -n, --network NAME       demo or regtest (default demo); nodes "
            "of another\n"
            "                           network are refused\n"
            "  -t, --peer-timeout SECS  forget a peer silent for this long "
            "(default %d)\n"
            "  -L, --log-level LEVEL    error, warn, info (default) or debug\n"
            "  -h, --help, -V, --version\n"
            "\n"
            "Example: pickaxe-tracker --listen 0.0.0.0:18320 --network demo\n"
            "  then start nodes with --tracker tcp://THIS-HOST:18320 (or\n"
            "  tcp://THIS-HOST:18320#KEY with the key it logs at start)\n",
            TRACKER_PORT_OFFSET,
            (unsigned)(params_demo()->default_port - TRACKER_PORT_OFFSET),
            (unsigned)(params_regtest()->default_port - TRACKER_PORT_OFFSET),
            TRACKER_DEFAULT_TIMEOUT_MS / 1000);
}

typedef struct {
    const char *listen, *network, *data_dir;
    uint64_t pub_port, keyed_port, timeout_s;
} opts_t;

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int c, const char *arg)
{
    opts_t *o = ctx;
    int st = 0;
    if (c == 'l')
        o->listen = arg;
    else if (c == 'p')
        st = cmdline_uint(&o->pub_port, "--pub-port", arg, 1, 65535, NULL);
    else if (c == 'k')
        st = cmdline_uint(&o->keyed_port, "--keyed-port", arg, 1, 65535, NULL);
    else if (c == 'd')
        o->data_dir = arg;
    else if (c == 'n')
        o->network = arg;
    else if (c == 't')
        st = cmdline_uint(&o->timeout_s, "--peer-timeout", arg, 1, 86400,
                          "seconds");
    else if (c == 'L')
        st = cmdline_log_level(arg);
    else if (c == 'h')
        return usage(stdout), CMDLINE_EXIT_OK;
    else if (c == 'V') {
        char version[32];
        snprintf(version, sizeof version, "wire protocol %d", WIRE_VERSION);
        return cmdline_version(version);
    }
    return st ? st : CMDLINE_GO_ON;
}

static const struct option options[] = {
    {"listen", required_argument, NULL, 'l'},
    {"pub-port", required_argument, NULL, 'p'},
    {"keyed-port", required_argument, NULL, 'k'},
    {"data-dir", required_argument, NULL, 'd'},
    {"network", required_argument, NULL, 'n'},
    {"peer-timeout", required_argument, NULL, 't'},
    {"log-level", required_argument, NULL, 'L'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The two endpoints to bind, from --listen and --pub-port. */
static int endpoints(const opts_t *o, const params_t *params, char *req_ep,
                     char *pub_ep, char *keyed_ep, size_t len)
{
    char host[SOCK_ENDPOINT_MAX] = "127.0.0.1";
    uint16_t port = (uint16_t)(params->default_port - TRACKER_PORT_OFFSET);
    if (o->listen && sock_parse_hostport(host, sizeof host, &port, o->listen))
        return cmdline_usage_error("--listen takes HOST:PORT, not '%s'",
                                   o->listen);
    uint64_t pub_port = o->pub_port;
    if ((!pub_port || !o->keyed_port) && port >= 65534)
        return cmdline_usage_error("--listen port %s leaves no room for "
                                   "PORT + 1 and PORT + 2; give --pub-port "
                                   "and --keyed-port",
                                   o->listen);
    uint64_t keyed_port = o->keyed_port ? o->keyed_port : (uint64_t)port + 2;
    if (!pub_port)
        pub_port = (uint64_t)port + 1;
    if (pub_port == port || keyed_port == port || keyed_port == pub_port)
        return cmdline_usage_error("the request, --pub-port and --keyed-port "
                                   "ports must differ");
    if (sock_endpoint(req_ep, len, host, port) ||
        sock_endpoint(pub_ep, len, host, (unsigned)pub_port) ||
        sock_endpoint(keyed_ep, len, host, (unsigned)keyed_port))
        return cmdline_usage_error("--listen host '%s' is too long", host);
    return 0;
}

int main(int argc, char **argv)
{
    cmdline_init("pickaxe-tracker", LOG_INFO);
    opts_t o = {.network = "demo",
                .timeout_s = TRACKER_DEFAULT_TIMEOUT_MS / 1000};
    int st = cmdline_read(argc, argv, "l:p:k:d:n:t:L:hV", options, read_option,
                          &o, false);
    if (st != CMDLINE_GO_ON)
        return st;
    const params_t *params;
    if ((st = cmdline_network(&params, o.network)) != 0)
        return st;
    char req_ep[SOCK_ENDPOINT_MAX], pub_ep[SOCK_ENDPOINT_MAX],
        keyed_ep[SOCK_ENDPOINT_MAX];
    if ((st = endpoints(&o, params, req_ep, pub_ep, keyed_ep, sizeof req_ep)) !=
        0)
        return st;
    tracker_config_t cfg;
    tracker_config_init(&cfg, params->network_id);
    cfg.peer_timeout_ms = (uint32_t)(o.timeout_s * 1000);
    char dir[512], path[600], why[700];
    if (o.data_dir)
        snprintf(dir, sizeof dir, "%s", o.data_dir);
    else if ((st = cmdline_home_path(dir, sizeof dir, "%s-tracker",
                                     params->name)) != 0)
        return st;
    if (cmdline_make_dir(dir) != 0)
        return cmdline_fail("cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/%s", dir, IDENTITY_FILE);
    if (identity_load_or_create(&cfg.key, NULL, why, sizeof why, path) != 0)
        return cmdline_fail("%s", why);
    tracker_t *t = tracker_new(&cfg);
    identity_wipe(&cfg.key);
    if (!t)
        return cmdline_fail("out of memory");
    if (tracker_bind(t, req_ep, pub_ep, keyed_ep) != 0) {
        tracker_free(&t);
        return cmdline_fail("cannot listen on %s, %s and %s", req_ep, pub_ep,
                            keyed_ep);
    }
    log_info("tracker", "network %s, peer timeout %llu s", params->name,
             (unsigned long long)o.timeout_s);
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
    return rc ? cmdline_fail("%s", err_str(rc)) : CMDLINE_EXIT_OK;
}
