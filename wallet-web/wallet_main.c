/*
 * pickaxe-wallet — the wallet service: a key in a keystore file, an HTTP
 * API and the wallet page on 127.0.0.1, and ZeroMQ links to a node and the
 * tracker (wallet_api.h).
 */
#include "err.h"
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PICKAXE_VERSION "0.1.0"

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

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "pickaxe-wallet: %s%s%s\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return 2;
}

/* mkdir -p of a file's directory, mode 0700 for what it creates. */
static int mkdir_parent(const char *file)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", file);
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    *slash = '\0';
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

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

static bool endpoint_ok(const char *e)
{
    char host[SOCK_ENDPOINT_MAX];
    uint16_t port;
    return strncmp(e, "tcp://", 6) == 0 && strlen(e) < SOCK_ENDPOINT_MAX &&
           sock_parse_hostport(host, sizeof host, &port, e) == 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"node", required_argument, NULL, 'n'},
        {"tracker", required_argument, NULL, 't'},
        {"http", required_argument, NULL, 'H'},
        {"keystore", required_argument, NULL, 'k'},
        {"network", required_argument, NULL, 'N'},
        {"web-root", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 'T'},
        {"print-address", no_argument, NULL, 'p'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *node = NULL, *tracker = NULL, *http = "127.0.0.1:8080";
    const char *keystore = NULL, *network = "demo", *web_root = NULL;
    bool print_address = false;
    long timeout_ms = 1500;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            node = optarg;
            break;
        case 't':
            tracker = optarg;
            break;
        case 'H':
            http = optarg;
            break;
        case 'k':
            keystore = optarg;
            break;
        case 'N':
            network = optarg;
            break;
        case 'w':
            web_root = optarg;
            break;
        case 'T': {
            char *end;
            timeout_ms = strtol(optarg, &end, 10);
            if (!*optarg || *end || timeout_ms < 10 || timeout_ms > 60000)
                return fail("--timeout takes 10..60000 milliseconds", optarg);
            break;
        }
        case 'p':
            print_address = true;
            break;
        case 'L': {
            log_level_t lvl;
            if (log_parse_level(&lvl, optarg) != 0)
                return fail("--log-level takes error, warn, info or debug",
                            optarg);
            log_set_level(lvl);
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("pickaxe-wallet %s\n", PICKAXE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'pickaxe-wallet --help'.\n");
            return 2;
        }
    }
    if (optind < argc)
        return fail("unexpected argument", argv[optind]);
    const params_t *params = params_get(network);
    if (!params)
        return fail("unknown --network (demo or regtest)", network);

    char node_ep[SOCK_ENDPOINT_MAX], tracker_ep[SOCK_ENDPOINT_MAX] = "";
    if (node) {
        if (!endpoint_ok(node))
            return fail("--node takes tcp://HOST:PORT", node);
        snprintf(node_ep, sizeof node_ep, "%s", node);
    } else {
        if (sock_endpoint(node_ep, sizeof node_ep, "127.0.0.1",
                          params->default_port) != 0)
            return fail("cannot format the node's endpoint", NULL);
    }
    if (tracker && strcmp(tracker, "none") != 0) {
        if (!endpoint_ok(tracker))
            return fail("--tracker takes tcp://HOST:PORT or none", tracker);
        snprintf(tracker_ep, sizeof tracker_ep, "%s", tracker);
    } else if (!tracker) {
        if (sock_endpoint(tracker_ep, sizeof tracker_ep, "127.0.0.1",
                          params->default_port - TRACKER_PORT_OFFSET) != 0)
            return fail("cannot format the tracker's endpoint", NULL);
    }

    char http_host[64];
    uint16_t http_port;
    if (sock_parse_hostport(http_host, sizeof http_host, &http_port, http) != 0)
        return fail("--http takes HOST:PORT, e.g. 127.0.0.1:8080", http);
    if (strcmp(http_host, "localhost") == 0)
        snprintf(http_host, sizeof http_host, "127.0.0.1");

    char ks[PATH_MAX];
    if (keystore) {
        if (strlen(keystore) >= sizeof ks)
            return fail("--keystore path is too long", NULL);
        snprintf(ks, sizeof ks, "%s", keystore);
    } else {
        const char *home = getenv("HOME");
        snprintf(ks, sizeof ks, "%s/.pickaxe/%s/wallet.keystore",
                 home ? home : ".", params->name);
    }

    char root[PATH_MAX] = "";
    if (web_root) {
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/wallet_ui.html", web_root);
        if (access(probe, R_OK) != 0)
            return fail("--web-root has no wallet_ui.html", web_root);
        snprintf(root, sizeof root, "%s", web_root);
    } else {
        default_web_root(root, sizeof root);
    }

    if (mkdir_parent(ks) != 0)
        return fprintf(stderr,
                       "pickaxe-wallet: cannot create the directory "
                       "of %s: %s\n",
                       ks, strerror(errno)),
               1;
    wallet_t *w = NULL;
    bool created = false;
    const char *why = NULL;
    if (wallet_load_or_create(&w, &created, &why, ks) != 0)
        return fprintf(stderr, "pickaxe-wallet: %s: %s\n", ks,
                       why ? why : "cannot load or create the keystore"),
               1;
    char address[ADDRESS_MAX_LEN];
    if (wallet_get_public_key_str(w, params->hrp, address, sizeof address)) {
        wallet_free(&w);
        return fail("cannot format the address of", ks);
    }
    if (print_address) {
        printf("%s\n", address);
        wallet_free(&w);
        return 0;
    }
    log_info("wallet", "%s keystore %s: %s", created ? "created" : "using", ks,
             address);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    wallet_api_config_t cfg;
    wallet_api_config_init(&cfg);
    cfg.params = params;
    cfg.wallet = w;
    cfg.node = node_ep;
    cfg.tracker = tracker_ep[0] ? tracker_ep : NULL;
    cfg.http_host = http_host;
    cfg.http_port = http_port;
    cfg.web_root = root[0] ? root : NULL;
    cfg.timeout_ms = (int)timeout_ms;
    wallet_api_t *api = wallet_api_new(&cfg, &why);
    if (!api || wallet_api_start(api, &why) != 0) {
        fprintf(stderr, "pickaxe-wallet: %s (%s)\n", why ? why : "cannot start",
                http);
        wallet_api_free(&api);
        wallet_free(&w);
        return 1;
    }
    if (!root[0])
        log_warn("wallet", "no web root found: serving the API only "
                           "(give --web-root DIR)");
    bool v6 = strchr(http_host, ':') != NULL;
    char host_shown[80];
    snprintf(host_shown, sizeof host_shown, "%s%s%s", v6 ? "[" : "", http_host,
             v6 ? "]" : "");
    log_info("wallet", "%s wallet on http://%s:%u/ (node %s, tracker %s)",
             params->name, host_shown, wallet_api_port(api), node_ep,
             tracker_ep[0] ? tracker_ep : "none");
    while (!stop_flag) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    wallet_api_free(&api);
    wallet_free(&w);
    log_info("wallet", "stopped");
    return 0;
}
