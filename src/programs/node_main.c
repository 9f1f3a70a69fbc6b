/*
 * pickaxe-node — run a full node: follow the network, keep the chain, mine.
 */
#include "address.h"
#include "err.h"
#include "log.h"
#include "node.h"
#include "params.h"
#include "sock.h"
#include "wallet.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PICKAXE_VERSION "0.1.0"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: pickaxe-node [options]\n"
        "\n"
        "Runs a pickaxe full node: joins the network through a tracker, keeps\n"
        "the chain with all its forks in --data-dir, gossips blocks and\n"
        "transactions with its peers, and mines on the best tip.\n"
        "\n"
        "options:\n"
        "  --network NAME         demo (default) or regtest\n"
        "  --tracker tcp://H:P    the tracker's request endpoint (none: run alone)\n"
        "  --listen HOST:PORT     answer requests on PORT and publish gossip on\n"
        "                         PORT+1 (default 127.0.0.1:18330 demo,\n"
        "                         127.0.0.1:28330 regtest)\n"
        "  --gossip-port P        publish gossip on P instead of PORT+1\n"
        "  --data-dir DIR         where the chain is kept (default\n"
        "                         ~/.pickaxe/NETWORK); created when missing\n"
        "  --threads N            mining threads, each pinned to a core\n"
        "                         (default: every core)\n"
        "  --miner-address ADDR   who the coinbase pays (default: a key kept in\n"
        "                         DIR/miner.keystore, created on first run)\n"
        "  --no-mine              follow and relay only\n"
        "  --sha-impl NAME        auto (default), generic, openssl, shani,\n"
        "                         shani2, avx2 or avx512\n"
        "  --status-interval S    seconds between status lines (default 5)\n"
        "  --log-level LEVEL      error, warn, info (default) or debug\n"
        "  --help, --version\n"
        "\n"
        "Talk to a running node with pickaxe-cli --node tcp://HOST:PORT.\n"
        "SIGINT or SIGTERM leaves the network cleanly and exits 0.\n");
}

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "pickaxe-node: %s%s%s\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return 2;
}

static int parse_uint(unsigned long *out, const char *s, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > max || s[0] == '-')
        return ERR_ARG;
    *out = v;
    return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int mkdir_p(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s", dir);
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

/* Without --miner-address the node mines to a key of its own, kept beside
 * its chain, so rewards never go to a key nobody holds. */
static int load_miner_key(node_config_t *cfg)
{
    char path[600];
    snprintf(path, sizeof path, "%s/miner.keystore", cfg->data_dir);
    wallet_t *w = NULL;
    bool created = false;
    const char *why = NULL;
    if (wallet_load_or_create(&w, &created, &why, path) != 0) {
        fprintf(stderr, "pickaxe-node: %s: %s\n", path,
                why ? why : "cannot load or create");
        return -1;
    }
    wallet_get_public_key(w, cfg->miner_key);
    char addr[128];
    if (wallet_get_public_key_str(w, cfg->params->hrp, addr, sizeof addr) != 0)
        snprintf(addr, sizeof addr, "?");
    log_info("node", "%s miner key %s: %s", created ? "created" : "using",
             path, addr);
    wallet_free(&w);
    cfg->has_miner_key = true;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"network", required_argument, NULL, 'n'},
        {"tracker", required_argument, NULL, 't'},
        {"listen", required_argument, NULL, 'l'},
        {"gossip-port", required_argument, NULL, 'g'},
        {"data-dir", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 'T'},
        {"miner-address", required_argument, NULL, 'a'},
        {"no-mine", no_argument, NULL, 'N'},
        {"sha-impl", required_argument, NULL, 'i'},
        {"status-interval", required_argument, NULL, 's'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    node_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mine = true;
    snprintf(cfg.impl, sizeof cfg.impl, "auto");
    const char *network = "demo", *listen = NULL, *address = NULL;
    const char *data_dir = NULL;
    unsigned long v;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            network = optarg;
            break;
        case 't':
            if (strlen(optarg) >= sizeof cfg.tracker ||
                strncmp(optarg, "tcp://", 6) != 0)
                return fail("--tracker takes tcp://HOST:PORT", optarg);
            snprintf(cfg.tracker, sizeof cfg.tracker, "%s", optarg);
            break;
        case 'l':
            listen = optarg;
            break;
        case 'g':
            if (parse_uint(&v, optarg, 65535) || v == 0)
                return fail("--gossip-port takes a port number", optarg);
            cfg.gossip_port = (uint16_t)v;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'T':
            if (parse_uint(&v, optarg, 256) || v == 0)
                return fail("--threads takes 1..256", optarg);
            cfg.threads = (unsigned)v;
            break;
        case 'a':
            address = optarg;
            break;
        case 'N':
            cfg.mine = false;
            break;
        case 'i':
            if (strlen(optarg) >= sizeof cfg.impl)
                return fail("unknown --sha-impl", optarg);
            snprintf(cfg.impl, sizeof cfg.impl, "%s", optarg);
            break;
        case 's':
            if (parse_uint(&v, optarg, 3600) || v == 0)
                return fail("--status-interval takes 1..3600 seconds", optarg);
            cfg.status_interval_s = (unsigned)v;
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
            printf("pickaxe-node %s\n", PICKAXE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'pickaxe-node --help'.\n");
            return 2;
        }
    }
    if (optind < argc)
        return fail("unexpected argument", argv[optind]);
    cfg.params = params_get(network);
    if (!cfg.params)
        return fail("unknown --network (demo or regtest)", network);

    char host[NODE_ENDPOINT_MAX] = "127.0.0.1";
    uint16_t port = cfg.params->default_port;
    if (listen && sock_parse_hostport(host, sizeof host, &port, listen) != 0)
        return fail("--listen takes HOST:PORT", listen);
    snprintf(cfg.listen_host, sizeof cfg.listen_host, "%s", host);
    cfg.port = port;

    if (data_dir) {
        if (strlen(data_dir) >= sizeof cfg.data_dir)
            return fail("--data-dir is too long", NULL);
        snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data_dir);
    } else {
        const char *home = getenv("HOME");
        snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/.pickaxe/%s",
                 home ? home : ".", network);
    }

    if (address) {
        const char *why = NULL;
        if (address_decode(cfg.miner_key, &why, cfg.params->hrp, address) != 0)
            return fail("bad --miner-address", why);
        cfg.has_miner_key = true;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    /* Under a file-size limit (ulimit -f) a write past it then fails with
     * EFBIG, which the store reports as no room and the node survives,
     * instead of the signal killing the node. */
    signal(SIGXFSZ, SIG_IGN);

    const char *why = NULL;
    if (mkdir_p(cfg.data_dir) != 0)
        return fprintf(stderr, "pickaxe-node: cannot create %s\n",
                       cfg.data_dir), 1;
    if (!cfg.has_miner_key && load_miner_key(&cfg) != 0)
        return 1;
    node_t *n = node_new(&cfg, &why);
    if (!n)
        return fprintf(stderr, "pickaxe-node: %s\n", why ? why : "cannot start"), 1;
    log_info("node", "%s node: requests on tcp://%s:%u, gossip on port %u",
             cfg.params->name, cfg.listen_host, cfg.port,
             cfg.gossip_port ? cfg.gossip_port : cfg.port + 1);
    node_run(n, &stop_flag);
    node_free(&n);
    log_info("node", "stopped");
    return 0;
}
