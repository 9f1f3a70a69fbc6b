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
 * Joining. An identity is a node id, a request endpoint (a ROUTER answering
 * on its own thread, so honest nodes that ask us for our tip get an answer at
 * once and never wait on us) and a gossip endpoint (our PUB), both on fresh
 * ports, registered with the tracker; honest nodes subscribe to it as to any
 * peer. The chain is followed as a node follows it: gossiped blocks from
 * honest peers, and every half second a peer's tip, then locator -> headers
 * -> blocks when it is ahead.
 *
 * Coming back (the heuristic). Honest nodes ban a gossip endpoint after a
 * few invalid blocks. The adversary notices the way any outsider could:
 * every few hundred milliseconds it asks each honest node for its peer list
 * (the public "peers" query) and looks itself up. When any node lists it as
 * banned, it leaves and joins again under a new node id with new ports (a
 * ban is kept by endpoint, so a new port is a new peer), waits until the
 * honest nodes have subscribed to the new endpoint, and carries on where the
 * round-robin was. --rotate-after N also rotates after N attacks whatever
 * happens.
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
 */
#include "address.h"
#include "attack.h"
#include "chain.h"
#include "err.h"
#include "hex.h"
#include "keys.h"
#include "log.h"
#include "p2p.h"
#include "params.h"
#include "server.h"
#include "sock.h"
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
#include <zmq.h>

#define PICKAXE_VERSION "0.1.0"
#define ADV_FOLLOW_MS 500    /* how often we ask a peer for its tip */
#define ADV_RESYNC_MS 200    /* after valid blocks: when we ask again */
#define ADV_BAN_CHECK_MS 300 /* how often we look ourselves up */
#define ADV_STATS_MS 1000
#define ADV_FUND_MS 2000      /* how often funding is tried again */
#define ADV_JOIN_WAIT_MS 4000 /* longest wait for peers to subscribe */
#define ADV_SETTLE_MS 150     /* subscriptions reach our PUB after connect */
#define ADV_MAX_IDS 40        /* ids kept per kind in the stats */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct {
    uint64_t sent, items, not_ready, over_budget;
    uint64_t landed; /* valid kinds: attacks whose blocks the nodes took */
    char ids[ADV_MAX_IDS][65];
    size_t next_id, n_ids;
    /* Valid transactions sent beside invalid ones (attack_item_t.valid_id),
     * which honest nodes must take. */
    char valid_ids[ADV_MAX_IDS][65];
    size_t next_valid, n_valid;
} kind_stats_t;

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
    kind_stats_t stats[64];
    /* The valid attack whose landing the next sync checks (NULL: none),
     * and the block that is on the honest chain when it landed. */
    kind_stats_t *landing;
    uint8_t landing_tip[32];
    uint64_t funding_sent;
    size_t cursor;
} adv_t;

/* ---- the request endpoint ---------------------------------------------------
 */

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

/* Looks ourselves up in each honest node's peer list. Out: how many list
 * us as connected; returns true when any lists us as banned. */
static bool check_peers(adv_t *a, size_t *connected, size_t *honest)
{
    p2p_peer_info_t peers[32];
    size_t n = p2p_peers(a->p2p, peers, 32);
    if (n > 32)
        n = 32;
    char me[17];
    snprintf(me, sizeof me, "%016llx", (unsigned long long)p2p_node_id(a->p2p));
    static const char q[] = "{\"method\":\"peers\"}";
    buf_t frame;
    buf_init(&frame);
    bool banned = false;
    *connected = 0;
    *honest = n;
    if (wire_encode_blob(&frame, a->params->network_id, WIRE_QUERY, q,
                         sizeof q - 1) != 0) {
        buf_deinit(&frame);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t *raw = NULL;
        size_t len = 0;
        if (p2p_request(a->p2p, &raw, &len, peers[i].peer.id, frame.data,
                        frame.len) != 0)
            continue;
        wire_msg_t m;
        if (wire_decode(&m, a->params->network_id, raw, len) == 0) {
            json_t *j = m.type == WIRE_REPLY
                            ? json_loadb((const char *)m.u.blob.data,
                                         m.u.blob.len, 0, NULL)
                            : NULL;
            json_t *list = json_object_get(j, "result");
            size_t k;
            json_t *p;
            json_array_foreach(list, k, p)
            {
                const char *id = json_string_value(json_object_get(p, "id"));
                if (!id || strcmp(id, me) != 0)
                    continue;
                if (json_is_true(json_object_get(p, "banned")))
                    banned = true;
                else if (json_is_true(json_object_get(p, "connected")))
                    (*connected)++;
            }
            json_decref(j);
            wire_msg_clear(&m);
        }
        free(raw);
    }
    buf_deinit(&frame);
    return banned;
}

static int new_identity(adv_t *a)
{
    drop_identity(a);
    char ep[SOCK_ENDPOINT_MAX];
    snprintf(ep, sizeof ep, "tcp://%s:*", a->host);
    a->server = server_new(ep);
    if (!a->server)
        return ERR_NET;
    p2p_config_t pc;
    p2p_config_init(&pc, a->params->network_id);
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
        check_peers(a, &connected, &honest);
        if (honest && connected >= honest)
            break;
        usleep(50 * 1000);
    }
    usleep(ADV_SETTLE_MS * 1000);
    return 0;
}

/* ---- following the chain
 * --------------------------------------------------------- */

static void add_block(adv_t *a, const uint8_t *data, size_t len)
{
    block_t b;
    if (block_parse(&b, data, len) != 0)
        return;
    const char *why = NULL;
    int rc = chain_add_block(a->chain, &why, &b);
    if (rc && rc != ERR_DUPLICATE && rc != ERR_ORPHAN)
        log_debug("adversary", "an honest block we refused: %s", why);
    block_deinit(&b);
}

static int ask(adv_t *a, wire_msg_t *reply, uint8_t **raw, uint64_t peer,
               const wire_msg_t *req, uint16_t want)
{
    buf_t out;
    buf_init(&out);
    size_t len = 0;
    int rc = wire_encode(&out, a->params->network_id, req);
    if (rc == 0)
        rc = p2p_request(a->p2p, raw, &len, peer, out.data, out.len);
    buf_deinit(&out);
    if (rc)
        return rc;
    rc = wire_decode(reply, a->params->network_id, *raw, len);
    if (rc == 0 && reply->type != want) {
        wire_msg_clear(reply);
        rc = ERR_PARSE;
    }
    if (rc) {
        free(*raw);
        *raw = NULL;
    }
    return rc;
}

/* Catches up with one peer: locator -> headers -> blocks, until it has
 * nothing new. */
static void follow_peer(adv_t *a, uint64_t peer)
{
    for (int round = 0; round < 100 && !stop_flag; round++) {
        uint8_t locator[CHAIN_MAX_LOCATOR][32];
        size_t nloc = chain_get_locator(a->chain, locator, CHAIN_MAX_LOCATOR);
        wire_msg_t req, reply;
        uint8_t *raw;
        wire_msg_init(&req, WIRE_GET_HEADERS);
        req.u.get_headers.count = (uint16_t)nloc;
        req.u.get_headers.hashes = &locator[0][0];
        memset(req.u.get_headers.stop, 0, 32);
        if (ask(a, &reply, &raw, peer, &req, WIRE_HEADERS) != 0)
            return;
        size_t count = reply.u.headers.count, nwant = 0;
        uint8_t(*want)[32] = malloc((count ? count : 1) * 32);
        for (size_t i = 0; want && i < count; i++) {
            block_header_t h;
            block_header_parse(&h, reply.u.headers.headers + 80 * i, 80);
            block_compute_hash(want[nwant], &h);
            if (!chain_get(a->chain, want[nwant]))
                nwant++;
        }
        wire_msg_clear(&reply);
        free(raw);
        for (size_t i = 0; want && i < nwant; i += WIRE_MAX_BLOCKS) {
            size_t k =
                nwant - i < WIRE_MAX_BLOCKS ? nwant - i : WIRE_MAX_BLOCKS;
            wire_msg_init(&req, WIRE_GET_BLOCKS);
            req.u.get_blocks.count = (uint16_t)k;
            req.u.get_blocks.hashes = &want[i][0];
            if (ask(a, &reply, &raw, peer, &req, WIRE_BLOCKS) != 0)
                break;
            for (size_t j = 0; j < reply.u.list.count; j++)
                add_block(a, reply.u.list.items[j].data,
                          reply.u.list.items[j].len);
            wire_msg_clear(&reply);
            free(raw);
        }
        free(want);
        if (nwant == 0)
            break;
    }
}

static void follow(adv_t *a)
{
    p2p_peer_info_t peers[32];
    size_t n = p2p_peers(a->p2p, peers, 32);
    if (n > 32)
        n = 32;
    if (!n)
        return;
    uint64_t peer = peers[a->cursor++ % n].peer.id;
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_GET_TIP);
    if (ask(a, &reply, &raw, peer, &req, WIRE_TIP) != 0)
        return;
    bool known = chain_get(a->chain, reply.u.tip.tip) != NULL;
    wire_msg_clear(&reply);
    free(raw);
    if (!known)
        follow_peer(a, peer);
}

/* Takes what honest peers gossiped. */
static void drain(adv_t *a, int wait_ms)
{
    for (int i = 0; i < 256; i++) {
        p2p_msg_t pm;
        if (p2p_receive_data(a->p2p, &pm, i == 0 ? wait_ms : 0) != 0)
            return;
        wire_msg_t m;
        if (pm.type == WIRE_NEW_BLOCK &&
            wire_decode(&m, a->params->network_id, pm.data, pm.len) == 0) {
            add_block(a, m.u.blob.data, m.u.blob.len);
            wire_msg_clear(&m);
        }
        p2p_msg_clear(&pm);
    }
}

/* ---- sending
 * ------------------------------------------------------------------------ */

/* Sends request frames to every honest node's request endpoint on fresh
 * connections (a new routing id each time), without waiting for answers. */
static void flood(adv_t *a, const attack_out_t *out, size_t first)
{
    p2p_peer_info_t peers[32];
    size_t n = p2p_peers(a->p2p, peers, 32);
    for (size_t p = 0; p < n && p < 32; p++) {
        void *s = sock_new(ZMQ_DEALER);
        if (!s)
            continue;
        int linger = 2000, hwm = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        if (zmq_connect(s, peers[p].peer.req) == 0)
            for (size_t i = first; i < out->count; i++)
                if (out->items[i].channel == ATTACK_REQUEST)
                    zmq_send(s, out->items[i].bytes.data,
                             out->items[i].bytes.len, ZMQ_DONTWAIT);
        sock_close(&s); /* ZMQ_LINGER lets the queue drain meanwhile */
    }
}

static void send_items(adv_t *a, const attack_out_t *out)
{
    bool requests = false;
    for (size_t i = 0; i < out->count; i++) {
        const attack_item_t *it = &out->items[i];
        if (it->channel == ATTACK_REQUEST) {
            requests = true;
            continue;
        }
        if (it->type == 0) {
            if (p2p_broadcast(a->p2p, it->bytes.data, it->bytes.len) != 0)
                log_debug("adversary", "could not send a %zu-byte frame",
                          it->bytes.len);
            continue;
        }
        buf_t frame;
        buf_init(&frame);
        if (wire_encode_blob(&frame, a->params->network_id, it->type,
                             it->bytes.data, it->bytes.len) != 0)
            log_warn("adversary", "could not frame a %zu-byte item",
                     it->bytes.len);
        else if (p2p_broadcast(a->p2p, frame.data, frame.len) != 0)
            log_debug("adversary", "could not send a %zu-byte item",
                      it->bytes.len);
        buf_deinit(&frame);
    }
    if (requests)
        flood(a, out, 0);
}

/* Keeps id in a ring of the last ADV_MAX_IDS. */
static void keep_id(char ring[][65], size_t *next, size_t *n,
                    const uint8_t id[32])
{
    static const uint8_t zero[32];
    if (memcmp(id, zero, 32) == 0)
        return;
    hex_from_hash(ring[*next], id);
    *next = (*next + 1) % ADV_MAX_IDS;
    if (*n < ADV_MAX_IDS)
        (*n)++;
}

static void record(kind_stats_t *st, const attack_out_t *out)
{
    for (size_t i = 0; i < out->count; i++) {
        keep_id(st->ids, &st->next_id, &st->n_ids, out->items[i].id);
        keep_id(st->valid_ids, &st->next_valid, &st->n_valid,
                out->items[i].valid_id);
    }
}

/* One attack: the next kind in turn that can be built now. Returns true
 * when it sent valid blocks (the honest tip is about to move). */
static bool attack_once(adv_t *a)
{
    for (size_t tries = 0; tries < a->nkinds; tries++) {
        size_t k = a->cursor++ % a->nkinds;
        const attack_kind_t *kind = a->kinds[k];
        kind_stats_t *st = &a->stats[k];
        attack_out_t out = {0};
        a->env.now = (int64_t)time(NULL);
        int rc = attack_build(kind, &a->env, &out);
        if (rc == 0) {
            send_items(a, &out);
            record(st, &out);
            st->sent++;
            st->items += out.count;
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
        send_items(a, &out);
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
    json_t *kinds = json_object();
    for (size_t k = 0; kinds && k < a->nkinds; k++) {
        kind_stats_t *st = &a->stats[k];
        json_t *ids = json_array(), *valid = json_array();
        for (size_t i = 0; ids && i < st->n_ids; i++)
            json_array_append_new(ids, json_string(st->ids[i]));
        for (size_t i = 0; valid && i < st->n_valid; i++)
            json_array_append_new(valid, json_string(st->valid_ids[i]));
        json_object_set_new(
            kinds, a->kinds[k]->name,
            json_pack(
                "{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "reason",
                a->kinds[k]->reason, "same_hash", a->kinds[k]->same_hash,
                "valid", a->kinds[k]->valid, "landed", (json_int_t)st->landed,
                "sent", (json_int_t)st->sent, "items", (json_int_t)st->items,
                "not_ready", (json_int_t)st->not_ready, "over_budget",
                (json_int_t)st->over_budget, "ids", ids, "valid_ids", valid));
    }
    char me[17], addr[128] = "";
    snprintf(me, sizeof me, "%016llx",
             (unsigned long long)(a->p2p ? p2p_node_id(a->p2p) : 0));
    if (address_encode(addr, sizeof addr, a->params->hrp, a->env.pub) != 0)
        snprintf(addr, sizeof addr, "?");
    json_t *j = json_pack("{s:s,s:s,s:I,s:s,s:I,s:b,s:I,s:o}", "network",
                          a->params->name, "address", addr, "identities",
                          (json_int_t)a->identities, "node_id", me,
                          "followed_height", (json_int_t)chain_height(a->chain),
                          "funded", attack_funded(&a->env), "funding_sent",
                          (json_int_t)a->funding_sent, "kinds", kinds);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->stats_path);
    if (j && json_dump_file(j, tmp, JSON_INDENT(1)) == 0)
        rename(tmp, a->stats_path);
    json_decref(j);
}

static void log_summary(adv_t *a)
{
    uint64_t sent = 0;
    for (size_t k = 0; k < a->nkinds; k++)
        sent += a->stats[k].sent;
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
        "  --attacks LIST|all     comma-separated kinds (default all)\n"
        "  --rate R               attacks a second (default 5; 0: flat out)\n"
        "  --listen HOST          where our ports open (default 127.0.0.1)\n"
        "  --rotate-after N       new identity after N attacks even if not\n"
        "                         banned (default 0: only when banned)\n"
        "  --work-budget HASHES   most work spent on one block (default\n"
        "                         4194304); kinds that need more are skipped\n"
        "  --duration S           stop after S seconds (default: run on)\n"
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

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "pickaxe-adversary: %s%s%s\n", msg, arg ? ": " : "",
            arg ? arg : "");
    fprintf(stderr, "Try 'pickaxe-adversary --help'.\n");
    return 2;
}

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
        const attack_kind_t *k = attack_find(t);
        if (!k) {
            fail("unknown attack kind (see --list)", t);
            return ERR_ARG;
        }
        if (a->nkinds < 64)
            a->kinds[a->nkinds++] = k;
    }
    return a->nkinds ? 0 : ERR_ARG;
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
            if (check_peers(a, &connected, &honest))
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
        if (now >= next_attack) {
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
    static adv_t a;
    const char *network = "demo", *attacks = "all";
    a.rate = 5;
    a.env.max_hashes = 1u << 22;
    snprintf(a.host, sizeof a.host, "127.0.0.1");
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
        O_LOG,
        O_LIST,
        O_HELP,
        O_VERSION
    };
    static const struct option opts[] = {
        {"tracker", required_argument, NULL, O_TRACKER},
        {"network", required_argument, NULL, O_NETWORK},
        {"attacks", required_argument, NULL, O_ATTACKS},
        {"rate", required_argument, NULL, O_RATE},
        {"listen", required_argument, NULL, O_LISTEN},
        {"rotate-after", required_argument, NULL, O_ROTATE},
        {"work-budget", required_argument, NULL, O_BUDGET},
        {"duration", required_argument, NULL, O_DURATION},
        {"stats", required_argument, NULL, O_STATS},
        {"log-level", required_argument, NULL, O_LOG},
        {"list", no_argument, NULL, O_LIST},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case O_TRACKER:
            if (strncmp(optarg, "tcp://", 6) != 0 ||
                strlen(optarg) >= sizeof a.tracker)
                return fail("--tracker takes tcp://HOST:PORT", optarg);
            snprintf(a.tracker, sizeof a.tracker, "%s", optarg);
            break;
        case O_NETWORK:
            network = optarg;
            break;
        case O_ATTACKS:
            attacks = optarg;
            break;
        case O_RATE:
            a.rate = strtod(optarg, &end);
            if (!*optarg || *end || a.rate < 0 || a.rate > 100000)
                return fail("--rate takes 0..100000 attacks a second", optarg);
            break;
        case O_LISTEN:
            if (!*optarg || strlen(optarg) >= 200 || strchr(optarg, ':'))
                return fail("--listen takes a HOST (ports are chosen anew "
                            "for each identity)",
                            optarg);
            snprintf(a.host, sizeof a.host, "%s", optarg);
            break;
        case O_ROTATE:
            a.rotate_after = strtoull(optarg, &end, 10);
            if (!*optarg || *end || optarg[0] == '-')
                return fail("--rotate-after takes a count", optarg);
            break;
        case O_BUDGET:
            a.env.max_hashes = strtoull(optarg, &end, 10);
            if (!*optarg || *end || optarg[0] == '-' || !a.env.max_hashes)
                return fail("--work-budget takes a positive number of hashes",
                            optarg);
            break;
        case O_DURATION:
            a.duration = strtod(optarg, &end);
            if (!*optarg || *end || a.duration < 0)
                return fail("--duration takes seconds", optarg);
            break;
        case O_STATS:
            a.stats_path = optarg;
            break;
        case O_LOG: {
            log_level_t lvl;
            if (log_parse_level(&lvl, optarg) != 0)
                return fail("--log-level takes error, warn, info or debug",
                            optarg);
            log_set_level(lvl);
            break;
        }
        case O_LIST:
            list_kinds(stdout);
            return 0;
        case O_HELP:
            usage(stdout);
            printf("\nattack kinds (name, reason honest nodes give, what):\n");
            list_kinds(stdout);
            return 0;
        case O_VERSION:
            printf("pickaxe-adversary %s\n", PICKAXE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'pickaxe-adversary --help'.\n");
            return 2;
        }
    }
    if (optind < argc)
        return fail("unexpected argument", argv[optind]);
    if (!a.tracker[0])
        return fail("--tracker is required", NULL);
    a.params = params_get(network);
    if (!a.params)
        return fail("unknown --network (demo or regtest)", network);
    if (parse_attacks(&a, attacks) != 0)
        return 2;

    chain_config_t cc = {.params = a.params, .sig_threads = 1};
    a.chain = chain_new(&cc);
    if (!a.chain || keys_generate_secret(a.env.secret) != 0 ||
        keys_pubkey_from_secret(a.env.pub, a.env.secret) != 0) {
        fprintf(stderr, "pickaxe-adversary: cannot start (out of memory or "
                        "no randomness)\n");
        return 1;
    }
    a.env.params = a.params;
    a.env.chain = a.chain;
    pthread_mutex_init(&a.tip_lock, NULL);
    publish_tip(&a);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    log_info("adversary", "%s: %zu attack kinds at %g a second, tracker %s",
             a.params->name, a.nkinds, a.rate, a.tracker);
    int rc = new_identity(&a);
    if (rc) {
        fprintf(stderr, "pickaxe-adversary: cannot open ports on %s\n", a.host);
        drop_identity(&a);
        chain_free(&a.chain);
        return 1;
    }
    run(&a);
    write_stats(&a);
    log_summary(&a);
    drop_identity(&a);
    chain_free(&a.chain);
    explicit_bzero(a.env.secret, sizeof a.env.secret);
    pthread_mutex_destroy(&a.tip_lock);
    return 0;
}
