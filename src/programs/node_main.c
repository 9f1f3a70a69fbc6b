/*
 * pickaxe-node — run a full node: follow the network, keep the chain, mine.
 *
 * Parses the flags into a node_config_t (node.h), makes the data directory
 * and, without --miner-address, the miner's keystore in it, then runs the
 * node until SIGINT or SIGTERM, which end it cleanly with status 0. Flags,
 * messages and exit statuses as every pickaxe program has them
 * (cmdline.h).
 */
#include "address.h"
#include "cmdline.h"
#include "err.h"
#include "keystore.h"
#include "log.h"
#include "memory.h"
#include "node.h"
#include "params.h"
#include "portcheck.h"
#include "sock.h"
#include "tracker.h"
#include "trackerkey.h"
#include "wallet.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        "usage: pickaxe-node [options]\n"
        "\n"
        "Runs a pickaxe full node: joins the network through a tracker, "
        "keeps\n"
        "the chain with all its forks in --data-dir, gossips blocks and\n"
        "transactions with its peers, and mines on the best tip.\n"
        "\n"
        "options:\n"
        "  --network NAME         demo (default) or regtest\n"
        "  --tracker tcp://H:P[#KEY]  the tracker's request endpoint (default\n"
        "                         tcp://127.0.0.1:PORT-10, the network's "
        "local\n"
        "                         tracker; \"none\": run alone); #KEY pins "
        "its\n"
        "                         key (64 hex digits), else it is trusted on\n"
        "                         first use and kept in DIR/known_trackers\n"
        "  --listen HOST:PORT     answer local clients on PORT (plain), "
        "publish\n"
        "                         gossip on PORT+1 and answer peers on PORT+2\n"
        "                         (both CURVE, proving the key in\n"
        "                         DIR/identity.key; default 127.0.0.1:18330\n"
        "                         demo, 127.0.0.1:28330 regtest)\n"
        "  --gossip-port P        publish gossip on P instead of PORT+1\n"
        "  --data-dir DIR         where the chain is kept (default\n"
        "                         ~/.pickaxe/NETWORK); created when missing\n"
        "  --threads N            mining threads, each pinned to a core\n"
        "                         (default: every core)\n"
        "  --miner-address ADDR   who the coinbase pays (default: a key kept "
        "in\n"
        "                         DIR/miner.keystore, created on first run)\n"
        "  --no-mine              follow and relay only\n"
        "  --sha-impl NAME        auto (default), generic, openssl, shani,\n"
        "                         shani2, avx2 or avx512\n"
        "  --status-interval S    seconds between status lines (default 5)\n"
        "  --stratum HOST:PORT    serve Stratum v1 there: any sha256d miner\n"
        "                         mines this node's blocks, paying the "
        "address\n"
        "                         it authorizes as (default: off)\n"
        "  --log-level LEVEL      error, warn, info (default) or debug\n"
        "  --help, --version\n"
        "\n"
        "Talk to a running node with pickaxe-cli --node tcp://HOST:PORT.\n"
        "SIGINT or SIGTERM leaves the network cleanly and exits 0.\n");
}

/* What the flags say: a node_config_t, and the flags that are not one of
 * its fields as they are. */
typedef struct {
    node_config_t cfg;
    const char *network, *listen, *address, *data_dir, *stratum;
    bool no_tracker;
} args_t;

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int ch, const char *arg)
{
    args_t *a = ctx;
    node_config_t *cfg = &a->cfg;
    uint64_t v = 0;
    int st = 0;
    switch (ch) {
    case 'n':
        a->network = arg;
        break;
    case 't': {
        a->no_tracker = strcmp(arg, "none") == 0;
        cfg->tracker[0] = 0;
        if (a->no_tracker)
            break;
        char ep[NODE_ENDPOINT_MAX];
        bool pinned;
        if (trackerkey_split(ep, sizeof ep, cfg->tracker_key, &pinned, arg))
            return cmdline_usage_error("--tracker takes tcp://HOST:PORT or "
                                       "tcp://HOST:PORT#KEY (64 hex digits), "
                                       "not '%s'",
                                       arg);
        st = cmdline_endpoint(cfg->tracker, sizeof cfg->tracker, "--tracker",
                              ep);
        break;
    }
    case 'l':
        a->listen = arg;
        break;
    case 'g':
        st = cmdline_uint(&v, "--gossip-port", arg, 1, 65535, NULL);
        cfg->gossip_port = (uint16_t)v;
        break;
    case 'd':
        a->data_dir = arg;
        break;
    case 'T':
        st = cmdline_uint(&v, "--threads", arg, 1, 256, NULL);
        cfg->threads = (unsigned)v;
        break;
    case 'a':
        a->address = arg;
        break;
    case 'N':
        cfg->mine = false;
        break;
    case 'i':
        if (strlen(arg) >= sizeof cfg->impl)
            return cmdline_usage_error("unknown --sha-impl %s", arg);
        snprintf(cfg->impl, sizeof cfg->impl, "%s", arg);
        break;
    case 's':
        st = cmdline_uint(&v, "--status-interval", arg, 1, 3600, "seconds");
        cfg->status_interval_s = (unsigned)v;
        break;
    case 'S':
        a->stratum = arg;
        break;
    case 'h':
        usage(stdout);
        return CMDLINE_EXIT_OK;
    }
    return st ? st : CMDLINE_GO_ON;
}

static const struct option options[] = {
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
    {"stratum", required_argument, NULL, 'S'},
    {"help", no_argument, NULL, 'h'},
    CMDLINE_OPTIONS_COMMON,
    {NULL, 0, NULL, 0},
};

/* The network, the listening address, the data directory and the miner's
 * address: the flags that need the network to be read. */
static int settle_options(args_t *a)
{
    node_config_t *cfg = &a->cfg;
    int st = cmdline_network(&cfg->params, a->network);
    if (st)
        return st;
    char host[NODE_ENDPOINT_MAX] = "127.0.0.1";
    cfg->port = cfg->params->default_port;
    if (a->listen &&
        sock_parse_hostport(host, sizeof host, &cfg->port, a->listen) != 0)
        return cmdline_usage_error("--listen takes HOST:PORT, not '%s'",
                                   a->listen);
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "%s", host);
    /* Like the wallet: without --tracker, the network's tracker on this
     * machine, so a node started beside the demo joins it instead of
     * mining a chain of its own. */
    if (!cfg->tracker[0] && !a->no_tracker &&
        (st = cmdline_local_tracker(cfg->tracker, sizeof cfg->tracker,
                                    cfg->params)) != 0)
        return st;
    if (a->stratum &&
        (sock_parse_hostport(cfg->stratum_host, sizeof cfg->stratum_host,
                             &cfg->stratum_port, a->stratum) != 0 ||
         cfg->stratum_port == 0))
        return cmdline_usage_error("--stratum takes HOST:PORT, not '%s'",
                                   a->stratum);
    if (a->data_dir && strlen(a->data_dir) >= sizeof cfg->data_dir)
        return cmdline_usage_error("--data-dir is too long");
    if (a->data_dir)
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", a->data_dir);
    else if ((st = cmdline_home_path(cfg->data_dir, sizeof cfg->data_dir, "%s",
                                     cfg->params->name)) != 0)
        return st;
    if (!a->address)
        return 0;
    const char *why = NULL;
    if (address_decode(cfg->miner_key, &why, cfg->params->hrp, a->address) != 0)
        return cmdline_usage_error("bad --miner-address %s: %s", a->address,
                                   why ? why : "malformed");
    cfg->has_miner_key = true;
    return 0;
}

/* Without --miner-address the node mines to a key of its own, kept beside
 * its chain, so rewards never go to a key nobody holds. */
static int load_miner_key(node_config_t *cfg)
{
    char path[600], addr[ADDRESS_MAX_LEN];
    snprintf(path, sizeof path, "%s/miner.keystore", cfg->data_dir);
    wallet_t *w = keystore_open(addr, sizeof addr, path, cfg->params, "node",
                                "miner key", false);
    if (!w)
        return CMDLINE_EXIT_FAIL;
    wallet_get_public_key(w, cfg->miner_key);
    wallet_free(&w);
    cfg->has_miner_key = true;
    return 0;
}

/* Both ports are asked for before the data directory, the keystore or the
 * store are made, so a node that cannot listen leaves nothing behind
 * (portcheck.h). */
static int check_ports(const node_config_t *cfg)
{
    uint16_t ports[3] = {
        cfg->port,
        cfg->gossip_port ? cfg->gossip_port : (uint16_t)(cfg->port + 1),
        cfg->keyed_port ? cfg->keyed_port : (uint16_t)(cfg->port + 2)};
    const char *what[3] = {"request", "gossip", "keyed request"};
    for (int i = 0; i < 3; i++)
        if (portcheck_in_use(cfg->listen_host, ports[i]))
            return cmdline_fail(
                "%s:%u (the %s port) is in use: another node runs there "
                "(the demo's first node listens on 127.0.0.1:18330)? "
                "Choose free ports with --listen HOST:PORT",
                cfg->listen_host, (unsigned)ports[i], what[i]);
    return 0;
}

int main(int argc, char **argv)
{
    cmdline_init("pickaxe-node", LOG_INFO);
    args_t a = {.cfg = {.mine = true, .impl = "auto"}, .network = "demo"};
    int st = cmdline_read(argc, argv, "", options, read_option, &a, false);
    if (st != CMDLINE_GO_ON)
        return st;
    if ((st = settle_options(&a)) != 0)
        return st;
    node_config_t cfg = a.cfg;
    if ((st = check_ports(&cfg)) != 0)
        return st;
    memory_tune();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    /* Under a file-size limit (ulimit -f) a write past it then fails with
     * EFBIG, which the store reports as no room and the node survives,
     * instead of the signal killing the node. */
    signal(SIGXFSZ, SIG_IGN);
    if (cmdline_make_dir(cfg.data_dir) != 0)
        return cmdline_fail("cannot create %s: %s", cfg.data_dir,
                            strerror(errno));
    if (!cfg.has_miner_key && load_miner_key(&cfg) != 0)
        return CMDLINE_EXIT_FAIL;
    char key_path[sizeof cfg.data_dir + 32], why_key[700];
    snprintf(key_path, sizeof key_path, "%s/%s", cfg.data_dir, IDENTITY_FILE);
    bool created = false;
    if (identity_load_or_create(&cfg.key, &created, why_key, sizeof why_key,
                                key_path) != 0)
        return cmdline_fail("%s", why_key);
    char hex[IDENTITY_HEX_LEN + 1];
    identity_key_hex(hex, cfg.key.pub);
    log_info("node", "%s key %s (%s)", created ? "made" : "read", hex,
             key_path);
    const char *why = NULL;
    node_t *n = node_new(&cfg, &why);
    if (!n)
        return cmdline_fail("%s", why ? why : "cannot start");
    log_info("node",
             "%s node: requests on tcp://%s:%u, gossip on port %u, tracker %s",
             cfg.params->name, cfg.listen_host, cfg.port,
             cfg.gossip_port ? cfg.gossip_port : cfg.port + 1,
             cfg.tracker[0] ? cfg.tracker : "none (running alone)");
    node_run(n, &stop_flag);
    node_free(&n);
    identity_wipe(&cfg.key);
    log_info("node", "stopped");
    return CMDLINE_EXIT_OK;
}
