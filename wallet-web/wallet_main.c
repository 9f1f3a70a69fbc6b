/*
 * pickaxe-wallet — the wallet service: a key in a keystore file, an HTTP
 * API and the wallet page on 127.0.0.1, and ZeroMQ links to a node and the
 * tracker (wallet_api.h). Flags, messages and exit statuses as every
 * pickaxe program has them (cmdline.h).
 */
#include "cmdline.h"
#include "err.h"
#include "keystore.h"
#include "log.h"
#include "params.h"
#include "sock.h"
#include "tracker.h"
#include "wallet.h"
#include "wallet_api.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: pickaxe-wallet [options]\n"
        "\n"
        "Runs a wallet: keeps one key in a keystore file (created, mode 0600,\n"
        "when missing), serves the wallet page and its JSON API over HTTP, "
        "and\n"
        "sends signed transfers to the network through the tracker and a "
        "node.\n"
        "\n"
        "options:\n"
        "  --node tcp://H:P       the node to ask (default "
        "tcp://127.0.0.1:PORT,\n"
        "                         the network's default node port)\n"
        "  --tracker tcp://H:P    the tracker that relays sends (default\n"
        "                         tcp://127.0.0.1:PORT-%d; \"none\": node "
        "only)\n"
        "  --http HOST:PORT       where to serve the page (default\n"
        "                         127.0.0.1:8080; HOST is localhost or a "
        "numeric\n"
        "                         address; 0.0.0.0 opens it to the network)\n"
        "  --keystore FILE        the key (default "
        "~/.pickaxe/NETWORK/wallet.keystore)\n"
        "  --network NAME         demo (default) or regtest\n"
        "  --web-root DIR         the page's files (default: wallet-web/ "
        "beside\n"
        "                         the build directory)\n"
        "  --timeout MS           how long one request to the node may take\n"
        "                         (default 1500; one retry)\n"
        "  --print-address        print the wallet's address (creating the\n"
        "                         keystore if needed) and exit\n"
        "  --log-level LEVEL      error, warn, info (default) or debug\n"
        "  --help, --version\n"
        "\n"
        "Open http://HOST:PORT/ in a browser. SIGINT or SIGTERM stops it.\n",
        TRACKER_PORT_OFFSET);
}

/* What the flags say, then what main() makes of it. */
typedef struct {
    const params_t *params;
    const char *network, *http, *web_root, *keystore;
    char node[SOCK_ENDPOINT_MAX], tracker[SOCK_ENDPOINT_MAX];
    bool no_tracker, print_address;
    uint64_t timeout_ms;
    char http_host[64];
    uint16_t http_port;
    char ks[PATH_MAX], root[PATH_MAX];
} opts_t;

/* The page beside the build: <dir of this binary>/../wallet-web. */
static void default_web_root(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    char probe[PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/../wallet-web/wallet_ui.html", exe);
    if (access(probe, R_OK) == 0 && strlen(exe) + 15 < len)
        snprintf(out, len, "%.*s/../wallet-web", (int)(len - 15), exe);
}

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int ch, const char *arg)
{
    opts_t *o = ctx;
    int st = 0;
    switch (ch) {
    case 'n':
        st = cmdline_endpoint(o->node, sizeof o->node, "--node", arg);
        break;
    case 't':
        o->no_tracker = strcmp(arg, "none") == 0;
        if (!o->no_tracker)
            st = cmdline_endpoint(o->tracker, sizeof o->tracker, "--tracker",
                                  arg);
        break;
    case 'H':
        o->http = arg;
        break;
    case 'k':
        o->keystore = arg;
        break;
    case 'N':
        o->network = arg;
        break;
    case 'w':
        o->web_root = arg;
        break;
    case 'T':
        st = cmdline_uint(&o->timeout_ms, "--timeout", arg, 10, 60000, "ms");
        break;
    case 'p':
        o->print_address = true;
        break;
    case 'h':
        usage(stdout);
        return CMDLINE_EXIT_OK;
    }
    return st ? st : CMDLINE_GO_ON;
}

static const struct option options[] = {
    {"node", required_argument, NULL, 'n'},
    {"tracker", required_argument, NULL, 't'},
    {"http", required_argument, NULL, 'H'},
    {"keystore", required_argument, NULL, 'k'},
    {"network", required_argument, NULL, 'N'},
    {"web-root", required_argument, NULL, 'w'},
    {"timeout", required_argument, NULL, 'T'},
    {"print-address", no_argument, NULL, 'p'},
    {"help", no_argument, NULL, 'h'},
    CMDLINE_OPTIONS_COMMON,
    {NULL, 0, NULL, 0},
};

/* Fills in the defaults that depend on the network, and checks what can
 * be checked before anything is opened. */
static int settle_options(opts_t *o)
{
    int st = cmdline_network(&o->params, o->network);
    if (st)
        return st;
    if (!o->node[0] && sock_endpoint(o->node, sizeof o->node, "127.0.0.1",
                                     o->params->default_port) != 0)
        return cmdline_fail("cannot format the node's endpoint");
    if (!o->tracker[0] && !o->no_tracker &&
        (st = cmdline_local_tracker(o->tracker, sizeof o->tracker,
                                    o->params)) != 0)
        return st;
    if (sock_parse_hostport(o->http_host, sizeof o->http_host, &o->http_port,
                            o->http) != 0)
        return cmdline_usage_error(
            "--http takes HOST:PORT, e.g. 127.0.0.1:8080, not '%s'", o->http);
    if (strcmp(o->http_host, "localhost") == 0)
        snprintf(o->http_host, sizeof o->http_host, "127.0.0.1");
    if (o->keystore && strlen(o->keystore) >= sizeof o->ks)
        return cmdline_usage_error("--keystore path is too long");
    if (o->keystore)
        snprintf(o->ks, sizeof o->ks, "%s", o->keystore);
    else if ((st = cmdline_home_path(o->ks, sizeof o->ks, "%s/wallet.keystore",
                                     o->params->name)) != 0)
        return st;
    if (!o->web_root) {
        default_web_root(o->root, sizeof o->root);
        return 0;
    }
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/wallet_ui.html", o->web_root);
    if (access(probe, R_OK) != 0)
        return cmdline_usage_error("--web-root %s has no wallet_ui.html",
                                   o->web_root);
    snprintf(o->root, sizeof o->root, "%s", o->web_root);
    return 0;
}

/* Starts the service, or says why not. */
static wallet_api_t *start_service(const opts_t *o, const wallet_t *w)
{
    wallet_api_config_t cfg;
    wallet_api_config_init(&cfg);
    cfg.params = o->params;
    cfg.wallet = w;
    cfg.node = o->node;
    cfg.tracker = o->tracker[0] ? o->tracker : NULL;
    cfg.http_host = o->http_host;
    cfg.http_port = o->http_port;
    cfg.web_root = o->root[0] ? o->root : NULL;
    cfg.timeout_ms = (int)o->timeout_ms;
    const char *why = NULL;
    wallet_api_t *api = wallet_api_new(&cfg, &why);
    if (!api || wallet_api_start(api, &why) != 0) {
        cmdline_fail("%s (%s)", why ? why : "cannot start", o->http);
        wallet_api_free(&api);
        return NULL;
    }
    if (!o->root[0])
        log_warn("wallet", "no web root found: serving the API only "
                           "(give --web-root DIR)");
    bool v6 = strchr(o->http_host, ':') != NULL;
    log_info("wallet", "%s wallet on http://%s%s%s:%u/ (node %s, tracker %s)",
             o->params->name, v6 ? "[" : "", o->http_host, v6 ? "]" : "",
             wallet_api_port(api), o->node,
             o->tracker[0] ? o->tracker : "none");
    return api;
}

int main(int argc, char **argv)
{
    cmdline_init("pickaxe-wallet", LOG_INFO);
    opts_t o = {
        .network = "demo", .http = "127.0.0.1:8080", .timeout_ms = 1500};
    int st = cmdline_read(argc, argv, "", options, read_option, &o, false);
    if (st != CMDLINE_GO_ON)
        return st;
    if ((st = settle_options(&o)) != 0)
        return st;
    char address[ADDRESS_MAX_LEN];
    wallet_t *w = keystore_open(address, sizeof address, o.ks, o.params,
                                "wallet", "keystore", o.print_address);
    if (!w)
        return CMDLINE_EXIT_FAIL;
    if (o.print_address) {
        printf("%s\n", address);
        wallet_free(&w);
        return CMDLINE_EXIT_OK;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    wallet_api_t *api = start_service(&o, w);
    while (api && !stop_flag) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    st = api ? CMDLINE_EXIT_OK : CMDLINE_EXIT_FAIL;
    wallet_api_free(&api);
    wallet_free(&w);
    if (!st)
        log_info("wallet", "stopped");
    return st;
}
