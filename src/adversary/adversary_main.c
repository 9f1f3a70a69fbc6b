/*
 * pickaxe-adversary — a malicious peer that never stops: it joins like a
 * node, follows the honest chain, and keeps publishing every kind of invalid
 * block and transaction in the catalogue (attack.h), round-robin at --rate
 * a second, each logged and counted by kind.
 *
 * Valid blocks (orphan-storm: competing branches in the order that once
 * froze a node). Honest nodes take them and move their tip, so the next
 * attacks must build on the new tip, not on the one we followed before:
 * after a valid kind, attacks pause until we have asked a peer for its tip
 * (ADV_RESYNC_MS later, when the nodes have taken the blocks) and synced.
 * We do not take our own blocks on trust: sent while a ban we have not
 * noticed yet is in force, they are dropped, and building on them would
 * make every attack after them an orphan. That sync also tells whether the
 * honest nodes took them (the long branch's tip, the first item, is then on
 * the chain we follow): `landed` in the stats.
 *
 * Joining. An identity is a fresh key pair (identity.h; the node id is the
 * key's), a request endpoint (a ROUTER proving that key, answering on its
 * own thread, so honest nodes that ask us for our tip get an answer at
 * once and never wait on us) and a gossip endpoint (our PUB, proving it
 * too), both on fresh ports, registered with the tracker; honest nodes
 * subscribe to it as to any peer. The chain is followed as a node follows it:
 * gossiped blocks from honest peers, and every half second a peer's tip, then
 * locator -> headers
 * -> blocks when it is ahead.
 *
 * Coming back (the heuristic). Honest nodes ban a gossip endpoint after a
 * few invalid blocks. The adversary notices the way any outsider could:
 * every few hundred milliseconds it asks each honest node for its peer list
 * (the public "peers" query) and looks itself up. When any node lists it as
 * banned, it leaves and joins again under a new key with new ports (a ban
 * is kept by key, so a new key is a new peer -- keys cost nothing, which is
 * why honest nodes also remember the host of each banned key, peertab.h), waits
 * until the honest nodes have subscribed to the new endpoint, and carries on
 * where the round-robin was. --rotate-after N also rotates after N attacks
 * whatever happens.
 *
 * Money. Kinds that spend (double spends, ...) need coins: the adversary
 * mines one valid block paying itself and makes one valid transfer, as a
 * real attacker would, before those kinds start (they are skipped until
 * then). Work at the network's difficulty beyond --work-budget hashes is
 * not attempted: on the demo network those kinds are skipped once the
 * difficulty has climbed, and the cheap ones go on.
 *
 * --stats FILE keeps a JSON summary up to date (every second and at exit):
 * the adversary's address (every block it mines pays it), and per kind the
 * reason expected, whether its items are valid blocks (valid), how many
 * were sent or skipped, for valid kinds how many the honest nodes took
 * (landed), the ids of the last blocks and transactions sent, and the ids
 * of valid transactions sent beside invalid ones (valid_ids), for tests to
 * look for.
 *
 * Silent peers (silent-sybils). Each such attack registers
 * ATTACK_SYBILS_PER_BUILD more peers at the tracker that never answer
 * (sybil.h), up to --sybils; once there are that many the kind is skipped.
 * They stay registered until the adversary stops; "sybils" in the stats.
 *
 * Its pieces: the catalogue (attack.h), the counts and the stats file
 * (tally.h), putting items on the network (deliver.h), the ban check
 * (banwatch.h), the silent peers (sybil.h); this file joins, follows and
 * runs the round-robin.
 */
#include "address.h"
#include "attack.h"
#include "banwatch.h"
#include "catchup.h"
#include "chain.h"
#include "cmdline.h"
#include "deliver.h"
#include "err.h"
#include "hex.h"
#include "impersonate.h"
#include "keys.h"
#include "log.h"
#include "p2p.h"
#include "params.h"
#include "server.h"
#include "sock.h"
#include "sybil.h"
#include "tally.h"
#include "wire.h"

#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ADV_FOLLOW_MS 500    /* how often we ask a peer for its tip */
#define ADV_RESYNC_MS 200    /* after valid blocks: when we ask again */
#define ADV_BAN_CHECK_MS 300 /* how often we look ourselves up */
#define ADV_STATS_MS 1000
#define ADV_FUND_MS 2000      /* how often funding is tried again */
#define ADV_JOIN_WAIT_MS 4000 /* longest wait for peers to subscribe */
#define ADV_SETTLE_MS 150     /* subscriptions reach our PUB after connect */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct {
    /* configuration */
    const params_t *params;
    char tracker[SOCK_ENDPOINT_MAX];
    char host[200]; /* leaves room for "tcp://" and ":*" */
    double rate;
    uint64_t rotate_after;
    double duration;
    const char *stats_path;
    const attack_kind_t *kinds[64];
    size_t nkinds;
    /* "impersonate" among --attacks: a registration attack, not an item
     * the catalogue builds (impersonate.h). */
    bool impersonate;
    impersonate_tally_t imp;
    uint64_t next_impersonate;

    /* the honest chain as we follow it */
    chain_t *chain;
    attack_env_t env;

    /* identity */
    p2p_t *p2p;
    server_t *server;
    pthread_t server_thread;
    atomic_bool server_stop;
    bool server_running;
    pthread_mutex_t tip_lock; /* guards tip, read by the server thread */
    wire_tip_t tip;
    uint64_t identities, since_rotation;
    bool banned;

    /* counters */
    tally_t stats[64];
    /* The valid attack whose landing the next sync checks (NULL: none),
     * and the block that is on the honest chain when it landed. */
    tally_t *landing;
    uint8_t landing_tip[32];
    uint64_t funding_sent;
    size_t cursor;      /* the next kind in turn */
    size_t peer_cursor; /* the next peer to follow */

    /* silent peers (silent-sybils), made on first need */
    sybil_t *sybils;
    uint64_t max_sybils;
} adv_t;

/* ---- the request endpoint ------------------------------------------------ */

static void answer(adv_t *a, const server_req_t *req)
{
    wire_msg_t m, r;
    int rc;
    buf_t out;
    buf_init(&out);
    if (wire_decode(&m, a->params->network_id, req->data, req->len) != 0) {
        rc = wire_encode_error(&out, a->params->network_id, ERR_PARSE,
                               "malformed");
    } else {
        switch (m.type) {
        case WIRE_HELLO:
        case WIRE_GET_TIP:
            wire_msg_init(&r, WIRE_TIP);
            pthread_mutex_lock(&a->tip_lock);
            r.u.tip = a->tip;
            pthread_mutex_unlock(&a->tip_lock);
            rc = wire_encode(&out, a->params->network_id, &r);
            break;
        case WIRE_GET_HEADERS: /* we have nothing they lack */
            wire_msg_init(&r, WIRE_HEADERS);
            rc = wire_encode(&out, a->params->network_id, &r);
            break;
        case WIRE_GET_BLOCKS:
            wire_msg_init(&r, WIRE_BLOCKS);
            rc = wire_encode(&out, a->params->network_id, &r);
            break;
        case WIRE_GET_MEMPOOL:
            wire_msg_init(&r, WIRE_MEMPOOL);
            rc = wire_encode(&out, a->params->network_id, &r);
            break;
        default:
            rc = wire_encode_error(&out, a->params->network_id, ERR_ARG,
                                   "not answered here");
        }
        wire_msg_clear(&m);
    }
    if (rc == 0 && server_reply(a->server, req, out.data, out.len) != 0)
        log_debug("adversary", "could not send a reply");
    buf_deinit(&out);
}

static void *serve(void *arg)
{
    adv_t *a = arg;
    while (!atomic_load(&a->server_stop)) {
        server_req_t req;
        if (server_recv(a->server, &req, 50) != 0)
            continue;
        answer(a, &req);
        server_req_clear(&req);
    }
    return NULL;
}

static void publish_tip(adv_t *a)
{
    const chain_node_t *tip = chain_tip(a->chain);
    pthread_mutex_lock(&a->tip_lock);
    a->tip.height = tip->height;
    memcpy(a->tip.tip, tip->hash, 32);
    uint256_to_le(a->tip.work, &tip->chain_work);
    pthread_mutex_unlock(&a->tip_lock);
}

/* True for one of our own silent peers (banwatch_skip_fn): never asked,
 * never followed. */
static bool is_sybil(const void *ctx, uint64_t peer_id)
{
    const adv_t *a = ctx;
    return a->sybils && sybil_has(a->sybils, peer_id);
}

/* ---- identities
 * ---------------------------------------------------------------- */

static void drop_identity(adv_t *a)
{
    if (a->server_running) {
        atomic_store(&a->server_stop, true);
        pthread_join(a->server_thread, NULL);
        a->server_running = false;
    }
    if (a->p2p)
        p2p_leave_network(a->p2p);
    p2p_free(&a->p2p);
    server_free(&a->server);
}

static int new_identity(adv_t *a)
{
    drop_identity(a);
    char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "tcp://%s:*", a->host);
    p2p_config_t pc;
    p2p_config_init(&pc, a->params->network_id);
    if (identity_generate(&pc.key) != 0)
        return ERR_NOMEM;
    a->server = server_new_keyed(ep, NULL, &pc.key);
    if (!a->server)
        return ERR_NET;
    snprintf(pc.tracker, sizeof pc.tracker, "%s", a->tracker);
    snprintf(pc.gossip_bind, sizeof pc.gossip_bind, "tcp://%s:*", a->host);
    snprintf(pc.request_advertise, sizeof pc.request_advertise, "%s",
             server_endpoint(a->server));
    pc.request_timeout_ms = 1000;
    pc.request_retries = 1;
    a->p2p = p2p_new(&pc);
    if (!a->p2p)
        return ERR_NET;
    atomic_store(&a->server_stop, false);
    if (pthread_create(&a->server_thread, NULL, serve, a) != 0)
        return ERR_NOMEM;
    a->server_running = true;
    int rc = p2p_join_network(a->p2p);
    if (rc)
        log_warn("adversary",
                 "tracker did not answer (%s); retrying in the "
                 "background",
                 err_str(rc));
    a->identities++;
    a->since_rotation = 0;
    a->banned = false;
    log_info("adversary", "identity %llu: node %016llx, requests %s, gossip %s",
             (unsigned long long)a->identities,
             (unsigned long long)p2p_node_id(a->p2p),
             server_endpoint(a->server), p2p_gossip_endpoint(a->p2p));
    /* Wait until the honest nodes have subscribed to our new endpoint:
     * gossip sent before that is lost. */
    uint64_t until = sock_now_ms() + ADV_JOIN_WAIT_MS;
    while (!stop_flag && sock_now_ms() < until) {
        size_t connected, honest;
        banwatch_look(a->p2p, a->params->network_id, &connected, &honest,
                      is_sybil, a);
        if (honest && connected >= honest)
            break;
        usleep(50 * 1000);
    }
    usleep(ADV_SETTLE_MS * 1000);
    return 0;
}

/* ---- following the chain
 * --------------------------------------------------------- */

/* An honest block, into the chain the adversary follows. A refusal ends
 * nothing: the honest nodes' chain is the one to follow, and an orphan or a
 * copy already held is no reason to stop reading. */
static int follow_block(void *ctx, const block_t *b)
{
    adv_t *a = ctx;
    const char *why = NULL;
    int rc = chain_add_block(a->chain, &why, b);
    if (rc == 0 || rc == ERR_DUPLICATE || rc == ERR_ORPHAN)
        return rc;
    log_debug("adversary", "an honest block we refused: %s",
              why ? why : err_str(rc));
    return ERR_DUPLICATE;
}

/* Catches up with the next honest peer in turn, when its tip is unknown
 * here and heavier: the same headers-first exchange the node uses
 * (net/catchup.h), waiting for each reply. */
static void follow(adv_t *a)
{
    static p2p_peer_info_t all[P2P_MAX_PEERS]; /* (the main loop's own) */
    uint64_t peers[P2P_MAX_PEERS];
    size_t n_all = p2p_peers(a->p2p, all, P2P_MAX_PEERS), n = 0;
    for (size_t i = 0; i < n_all && i < P2P_MAX_PEERS; i++)
        if (!is_sybil(a, all[i].peer.id)) /* silent: nothing to follow */
            peers[n++] = all[i].peer.id;
    if (!n)
        return;
    /* A cursor of its own: following must not skip a kind (the one after
     * a valid kind, which a follow always comes right after). */
    uint64_t peer = peers[a->peer_cursor++ % n];
    const char *fault = NULL;
    int rc = catchup_run(a->p2p, NULL, &fault, a->chain, peer, true, 100,
                         follow_block, a);
    if (rc && rc != ERR_TIMEOUT)
        log_debug("adversary", "following %016llx: %s%s%s",
                  (unsigned long long)peer, err_str(rc), fault ? ": " : "",
                  fault ? fault : "");
}

/* Takes what honest peers gossiped (p2p hands each frame decoded). */
static void drain(adv_t *a, int wait_ms)
{
    for (int i = 0; i < 256; i++) {
        p2p_msg_t pm;
        if (p2p_receive_data(a->p2p, &pm, i == 0 ? wait_ms : 0) != 0)
            return;
        block_t b;
        if (pm.type == WIRE_NEW_BLOCK &&
            block_parse(&b, pm.msg.u.blob.data, pm.msg.u.blob.len) == 0) {
            (void)follow_block(a, &b);
            block_deinit(&b);
        }
        p2p_msg_clear(&pm);
    }
}

/* ---- sending
 * ------------------------------------------------------------------------ */

/* Registers the silent peers out asks for, up to --sybils.
 * Returns: false when out asks for some and there is room for none (the
 * attack is not possible: skipped). */
static bool take_sybils(adv_t *a, const attack_out_t *out)
{
    size_t asked = 0, made = 0;
    for (size_t i = 0; i < out->count; i++)
        asked += out->items[i].channel == ATTACK_SYBIL;
    if (!asked)
        return true;
    if (!a->sybils)
        a->sybils = sybil_new(a->params->network_id, a->tracker, a->host);
    for (size_t i = 0;
         a->sybils && i < asked && sybil_count(a->sybils) < a->max_sybils; i++)
        if (sybil_add(a->sybils) == 0)
            made++;
    return made > 0;
}

/* One attack: the next kind in turn that can be built now. Returns true
 * when it sent valid blocks (the honest tip is about to move). */
static bool attack_once(adv_t *a)
{
    for (size_t tries = 0; tries < a->nkinds; tries++) {
        size_t k = a->cursor++ % a->nkinds;
        const attack_kind_t *kind = a->kinds[k];
        tally_t *st = &a->stats[k];
        attack_out_t out = {0};
        a->env.now = (int64_t)time(NULL);
        int rc = attack_build(kind, &a->env, &out);
        if (rc == 0 && !take_sybils(a, &out))
            rc = ERR_NOT_FOUND; /* as many silent peers as allowed */
        if (rc == 0) {
            deliver_items(a->p2p, a->params->network_id, &out, is_sybil, a);
            tally_sent(st, &out);
            a->since_rotation++;
            char hex[65] = "-";
            if (out.count)
                hex_from_hash(hex, out.items[0].id);
            log_info("adversary", "%-24s -> expect %-28s %.16s (%zu item%s)",
                     kind->name, kind->reason, hex, out.count,
                     out.count == 1 ? "" : "s");
            if (kind->valid) {
                a->landing = st;
                memcpy(a->landing_tip, out.items[0].id, 32);
            }
            attack_out_clear(&out);
            return kind->valid;
        }
        attack_out_clear(&out);
        if (rc == ERR_RANGE)
            st->over_budget++;
        else
            st->not_ready++;
    }
    return false;
}

static void fund(adv_t *a)
{
    attack_out_t out = {0};
    a->env.now = (int64_t)time(NULL);
    int rc = attack_build_funding(&a->env, &out);
    if (rc == 0) {
        deliver_items(a->p2p, a->params->network_id, &out, is_sybil, a);
        a->funding_sent++;
        log_info("adversary", "funding: sent a valid %s of our own",
                 out.items[0].type == WIRE_NEW_BLOCK ? "block" : "transfer");
    }
    attack_out_clear(&out);
}

/* ---- stats
 * -------------------------------------------------------------------------- */

static void write_stats(adv_t *a)
{
    if (!a->stats_path)
        return;
    char me[17], addr[ADDRESS_MAX_LEN] = "";
    snprintf(me, sizeof me, "%016llx",
             (unsigned long long)(a->p2p ? p2p_node_id(a->p2p) : 0));
    if (address_encode(addr, sizeof addr, a->params->hrp, a->env.pub) != 0)
        snprintf(addr, sizeof addr, "?");
    json_t *j = json_pack(
        "{s:s,s:s,s:I,s:s,s:I,s:b,s:I,s:I,s:o}", "network", a->params->name,
        "address", addr, "identities", (json_int_t)a->identities, "node_id", me,
        "followed_height", (json_int_t)chain_height(a->chain), "funded",
        attack_funded(&a->env), "funding_sent", (json_int_t)a->funding_sent,
        "sybils", (json_int_t)(a->sybils ? sybil_count(a->sybils) : 0), "kinds",
        tally_kinds_json(a->kinds, a->stats, a->nkinds));
    if (j && a->impersonate)
        json_object_set_new(j, "impersonate",
                            json_pack("{s:I,s:I,s:I,s:I}", "tried",
                                      (json_int_t)a->imp.tried, "accepted",
                                      (json_int_t)a->imp.accepted, "refused",
                                      (json_int_t)a->imp.refused, "unanswered",
                                      (json_int_t)a->imp.unanswered));
    if (!j || tally_write_file(a->stats_path, j) != 0)
        log_warn("adversary", "cannot write %s", a->stats_path);
    json_decref(j);
}

static void log_summary(adv_t *a)
{
    uint64_t sent = tally_total_sent(a->stats, a->nkinds);
    log_info("adversary",
             "%llu attacks sent under %llu identities; "
             "following height %u%s",
             (unsigned long long)sent, (unsigned long long)a->identities,
             chain_height(a->chain),
             attack_funded(&a->env) ? "" : " (not funded yet)");
}

/* ---- main
 * ------------------------------------------------------------------------------
 */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: pickaxe-adversary --tracker tcp://HOST:PORT [options]\n"
        "\n"
        "A malicious peer for showing that honest nodes hold: joins the "
        "network\n"
        "like a node, follows the honest chain, and keeps publishing invalid\n"
        "blocks and transactions of every kind below, round-robin (and, as\n"
        "orphan-storm, valid blocks in an order meant to freeze a node);\n"
        "when the honest nodes ban it, it comes back under a new identity.\n"
        "\n"
        "options:\n"
        "  --tracker tcp://H:P    the tracker's request endpoint (required)\n"
        "  --network NAME         demo (default) or regtest\n"
        "  --attacks LIST|all     comma-separated kinds (default all; "
        "\"impersonate\"\n"
        "                         adds registrations under honest nodes'\n"
        "                         endpoints, impersonate.h)\n"
        "  --rate R               attacks a second (default 5; 0: flat out)\n"
        "  --listen HOST          where our ports open (default 127.0.0.1)\n"
        "  --rotate-after N       new identity after N attacks even if not\n"
        "                         banned (default 0: only when banned)\n"
        "  --work-budget HASHES   most work spent on one block (default\n"
        "                         4194304); kinds that need more are skipped\n"
        "  --duration S           stop after S seconds (default: run on)\n"
        "  --sybils N             silent peers silent-sybils registers at\n"
        "                         most (default 50)\n"
        "  --stats FILE           keep a JSON summary in FILE\n"
        "  --log-level LEVEL      error, warn, info (default) or debug\n"
        "  --list                 print the attack kinds and exit\n"
        "  --help, --version\n");
}

static void list_kinds(FILE *f)
{
    size_t n;
    const attack_kind_t *k = attack_kinds(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-24s %-28s %s\n", k[i].name, k[i].reason, k[i].what);
}

/* --attacks: "all", or kinds separated by commas. */
static int parse_attacks(adv_t *a, const char *list)
{
    size_t n;
    const attack_kind_t *all = attack_kinds(&n);
    a->nkinds = 0;
    if (strcmp(list, "all") == 0) {
        for (size_t i = 0; i < n && i < 64; i++)
            a->kinds[a->nkinds++] = &all[i];
        return 0;
    }
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "impersonate") == 0) {
            a->impersonate = true;
            continue;
        }
        const attack_kind_t *k = attack_find(t);
        if (!k)
            return cmdline_usage_error("unknown attack kind %s; --list "
                                       "lists them",
                                       t);
        if (a->nkinds < 64)
            a->kinds[a->nkinds++] = k;
    }
    return a->nkinds || a->impersonate
               ? 0
               : cmdline_usage_error("--attacks names no kind");
}

/* Long options; the value of each is its case in read_option(). */
enum {
    O_TRACKER = 1,
    O_NETWORK,
    O_ATTACKS,
    O_RATE,
    O_LISTEN,
    O_ROTATE,
    O_BUDGET,
    O_DURATION,
    O_STATS,
    O_SYBILS,
    O_LIST,
    O_HELP
};

/* What the flags say: the adversary's configuration, and the network and
 * the attacks, which are read after all the flags. */
typedef struct {
    adv_t *a;
    const char *network, *attacks;
} args_t;

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int ch, const char *arg)
{
    args_t *args = ctx;
    adv_t *a = args->a;
    int st = 0;
    switch (ch) {
    case O_TRACKER:
        st = cmdline_endpoint(a->tracker, sizeof a->tracker, "--tracker", arg);
        break;
    case O_NETWORK:
        args->network = arg;
        break;
    case O_ATTACKS:
        args->attacks = arg;
        break;
    case O_RATE:
        st = cmdline_double(&a->rate, "--rate", arg, 0, 100000,
                            "attacks a second");
        break;
    case O_LISTEN:
        if (!*arg || strlen(arg) >= sizeof a->host || strchr(arg, ':'))
            return cmdline_usage_error("--listen takes a HOST (ports are "
                                       "chosen anew for each identity), not "
                                       "'%s'",
                                       arg);
        snprintf(a->host, sizeof a->host, "%s", arg);
        break;
    case O_ROTATE:
        st = cmdline_uint(&a->rotate_after, "--rotate-after", arg, 0,
                          UINT64_MAX, "attacks");
        break;
    case O_BUDGET:
        st = cmdline_uint(&a->env.max_hashes, "--work-budget", arg, 1,
                          UINT64_MAX, "hashes");
        break;
    case O_DURATION:
        st = cmdline_double(&a->duration, "--duration", arg, 0, 1e9, "seconds");
        break;
    case O_STATS:
        a->stats_path = arg;
        break;
    case O_SYBILS:
        st = cmdline_uint(&a->max_sybils, "--sybils", arg, 0, SYBIL_MAX,
                          "silent peers");
        break;
    case O_LIST:
        list_kinds(stdout);
        return CMDLINE_EXIT_OK;
    case O_HELP:
        usage(stdout);
        printf("\nattack kinds (name, reason honest nodes give, what):\n");
        list_kinds(stdout);
        return CMDLINE_EXIT_OK;
    }
    return st ? st : CMDLINE_GO_ON;
}

static const struct option options[] = {
    {"tracker", required_argument, NULL, O_TRACKER},
    {"network", required_argument, NULL, O_NETWORK},
    {"attacks", required_argument, NULL, O_ATTACKS},
    {"rate", required_argument, NULL, O_RATE},
    {"listen", required_argument, NULL, O_LISTEN},
    {"rotate-after", required_argument, NULL, O_ROTATE},
    {"work-budget", required_argument, NULL, O_BUDGET},
    {"duration", required_argument, NULL, O_DURATION},
    {"stats", required_argument, NULL, O_STATS},
    {"sybils", required_argument, NULL, O_SYBILS},
    {"list", no_argument, NULL, O_LIST},
    {"help", no_argument, NULL, O_HELP},
    CMDLINE_OPTIONS_COMMON,
    {NULL, 0, NULL, 0},
};

/* Reads the flags into a. Returns CMDLINE_GO_ON, or the exit status to end
 * with. */
static int read_options(adv_t *a, int argc, char **argv)
{
    args_t args = {a, "demo", "all"};
    int st = cmdline_read(argc, argv, "", options, read_option, &args, false);
    if (st != CMDLINE_GO_ON)
        return st;
    if (!a->tracker[0])
        return cmdline_usage_error("--tracker is required");
    int net_st = cmdline_network(&a->params, args.network);
    if (net_st)
        return net_st;
    st = parse_attacks(a, args.attacks);
    return st ? st : CMDLINE_GO_ON;
}

static void run(adv_t *a)
{
    uint64_t start = sock_now_ms(), next_attack = start, next_follow = start;
    uint64_t next_ban = start + ADV_BAN_CHECK_MS, next_stats = start;
    uint64_t next_fund = start, next_summary = start + 5000;
    double interval = a->rate > 0 ? 1000.0 / a->rate : 0;
    double due = (double)start;
    while (!stop_flag) {
        uint64_t now = sock_now_ms();
        if (a->duration > 0 && now - start >= a->duration * 1000)
            break;
        drain(a, now < next_attack ? 2 : 0);
        sybil_tend(a->sybils); /* their sockets' housekeeping (sybil.h) */
        now = sock_now_ms();
        if (now >= next_follow) {
            follow(a);
            publish_tip(a);
            if (a->landing &&
                chain_get(a->chain, a->landing_tip) != NULL) /* took them */
                a->landing->landed++;
            a->landing = NULL;
            next_follow = sock_now_ms() + ADV_FOLLOW_MS;
        }
        if (now >= next_ban) {
            size_t connected, honest;
            if (banwatch_look(a->p2p, a->params->network_id, &connected,
                              &honest, is_sybil, a))
                a->banned = true;
            next_ban = sock_now_ms() + ADV_BAN_CHECK_MS;
        }
        if (a->banned ||
            (a->rotate_after && a->since_rotation >= a->rotate_after)) {
            log_info("adversary", "%s: coming back under a new identity",
                     a->banned ? "banned" : "rotating");
            if (new_identity(a) != 0) {
                log_error("adversary", "cannot open new ports");
                break;
            }
            publish_tip(a);
            continue;
        }
        if (now >= next_fund && !attack_funded(&a->env)) {
            fund(a);
            next_fund = now + ADV_FUND_MS;
        }
        if (a->impersonate && now >= a->next_impersonate) {
            if (impersonate_round(&a->imp, a->p2p, a->tracker,
                                  server_endpoint(a->server)) != 0)
                log_debug("adversary", "the tracker did not answer GET_KEY");
            a->next_impersonate = now + 2000;
        }
        if (a->nkinds && now >= next_attack) {
            bool moved = attack_once(a);
            due += interval;
            if (due < (double)now - 1000)
                due = (double)now; /* do not burst to catch up */
            if (moved) {
                /* No attack before the sync after them, counted from when
                 * they went out (mining them took time on demo). */
                next_follow = sock_now_ms() + ADV_RESYNC_MS;
                if (due <= (double)next_follow)
                    due = (double)next_follow + 1;
            }
            next_attack = (uint64_t)due;
        }
        if (now >= next_stats) {
            write_stats(a);
            next_stats = now + ADV_STATS_MS;
        }
        if (now >= next_summary) {
            log_summary(a);
            next_summary = now + 5000;
        }
    }
}

int main(int argc, char **argv)
{
    cmdline_init("pickaxe-adversary", LOG_INFO);
    static adv_t a;
    a.rate = 5;
    a.env.max_hashes = 1u << 22;
    a.max_sybils = 50;
    snprintf(a.host, sizeof a.host, "127.0.0.1");
    int st = read_options(&a, argc, argv);
    if (st != CMDLINE_GO_ON)
        return st;
    chain_config_t cc = {.params = a.params, .sig_threads = 1};
    a.chain = chain_new(&cc);
    if (!a.chain || keys_generate_secret(a.env.secret) != 0 ||
        keys_pubkey_from_secret(a.env.pub, a.env.secret) != 0)
        return cmdline_fail("cannot start (out of memory or no randomness)");
    a.env.params = a.params;
    a.env.chain = a.chain;
    pthread_mutex_init(&a.tip_lock, NULL);
    publish_tip(&a);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    log_info("adversary", "%s: %zu attack kinds at %g a second, tracker %s",
             a.params->name, a.nkinds, a.rate, a.tracker);
    st = new_identity(&a);
    if (st)
        cmdline_fail("cannot open ports on %s", a.host);
    else
        run(&a);
    write_stats(&a);
    log_summary(&a);
    drop_identity(&a);
    sybil_free(&a.sybils);
    chain_free(&a.chain);
    explicit_bzero(a.env.secret, sizeof a.env.secret);
    pthread_mutex_destroy(&a.tip_lock);
    return st ? CMDLINE_EXIT_FAIL : CMDLINE_EXIT_OK;
}
