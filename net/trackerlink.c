/*
 * trackerlink — REGISTER, PING, PEERS and LEAVE on the link's thread (see
 * trackerlink.h).
 *
 * The request client belongs to whichever thread runs a request: the
 * caller of trackerlink_join() for the first REGISTER, then the link's
 * thread (handed over at pthread_create(), a full barrier). `lock` guards
 * only what another thread reads or sets: stop, registered and the peer
 * timeout the tracker announced.
 */
#include "trackerlink.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "params.h"
#include "reqclient.h"
#include "sock.h"
#include "trackerkey.h"

struct trackerlink {
    trackerlink_config_t cfg;
    reqclient_t *plain;            /* GET_KEY */
    reqclient_t *rc;               /* keyed; NULL until the key is checked */
    char keyed[SOCK_ENDPOINT_MAX]; /* the keyed endpoint, once known */
    uint8_t tkey[WIRE_KEY_SIZE];   /* the tracker's key (under lock) */
    bool have_key;                 /* (under lock) */
    bool refused;                  /* its key failed the check */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, registered;
    uint32_t peer_timeout_ms; /* announced by the tracker; 0: not yet */
    /* The link's own (or the joiner's, before the thread starts). */
    uint32_t full_wait_ms; /* the next wait after "full"; 0: not full */
    bool full_logged;      /* "full" was logged; again once it is over */
};

/* One request to the tracker, decoded. */
static int ask(trackerlink_t *l, reqclient_t *rc, wire_msg_t *reply,
               uint8_t **raw, const wire_msg_t *req)
{
    buf_t b;
    buf_init(&b);
    int r = wire_encode(&b, l->cfg.network_id, req);
    if (r) {
        buf_deinit(&b);
        return r;
    }
    size_t len;
    r = reqclient_request(rc, raw, &len, b.data, b.len);
    buf_deinit(&b);
    if (r)
        return r;
    r = wire_decode(reply, l->cfg.network_id, *raw, len);
    wire_envelope_t env;
    if (r && r != ERR_NOMEM && wire_read_envelope(&env, *raw, len) == 0 &&
        (r == ERR_INVALID || r == ERR_UNSUPPORTED)) {
        /* A tracker of another network or wire version that answers in
         * its own framing: not garbage, a tracker we cannot use. */
        if (r == ERR_INVALID)
            log_warn("p2p", "tracker %s: tracker is on %s, this node on %s",
                     l->cfg.endpoint, params_network_name(env.network_id),
                     params_network_name(l->cfg.network_id));
        else
            log_warn("p2p",
                     "tracker %s: tracker speaks wire version %u, this "
                     "node %u",
                     l->cfg.endpoint, (unsigned)env.version,
                     (unsigned)WIRE_VERSION);
        free(*raw);
        return ERR_INVALID;
    }
    if (r) {
        free(*raw);
        log_warn("p2p", "tracker sent a bad reply: %s", err_str(r));
        return ERR_PARSE;
    }
    if (reply->type == WIRE_ERROR) {
        /* A full tracker may have room later (peers leave and expire):
         * that refusal alone is worth retrying. A registration whose
         * endpoints another key holds is said as such. */
        int code = reply->u.error.code == ERR_FULL        ? ERR_FULL
                   : reply->u.error.code == ERR_DUPLICATE ? ERR_DUPLICATE
                                                          : ERR_INVALID;
        if (code != ERR_FULL || !l->full_logged)
            log_warn("p2p", "tracker %s refused %s: %s (%s)%s", l->cfg.endpoint,
                     wire_type_name(req->type), reply->u.error.reason,
                     err_str(reply->u.error.code),
                     code == ERR_FULL ? "; will keep trying, less and less "
                                        "often"
                                      : "");
        l->full_logged = code == ERR_FULL;
        wire_msg_clear(reply);
        free(*raw);
        return code;
    }
    return 0;
}

static void take_peer_list(trackerlink_t *l, const wire_msg_t *m, bool prune)
{
    pthread_mutex_lock(&l->lock);
    l->peer_timeout_ms = m->u.peer_list.peer_timeout_ms;
    pthread_mutex_unlock(&l->lock);
    l->cfg.cb.peer_list(l->cfg.cb.ctx, m, prune);
}

/* The keyed endpoint: the host we asked, the port the KEY named. */
static int keyed_endpoint(trackerlink_t *l, uint16_t port)
{
    char host[SOCK_ENDPOINT_MAX];
    uint16_t plain_port;
    if (sock_parse_hostport(host, sizeof host, &plain_port, l->cfg.endpoint))
        return ERR_ARG;
    return sock_endpoint(l->keyed, sizeof l->keyed, host, port);
}

/* GET_KEY, the key checked (trackerkey.h), and a keyed client made.
 * Returns 0; ERR_INVALID when the key is refused (for good); else as ask(). */
static int resolve(trackerlink_t *l)
{
    if (l->rc)
        return 0;
    if (l->refused)
        return ERR_INVALID;
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_GET_KEY);
    int r = ask(l, l->plain, &reply, &raw, &req);
    if (r)
        return r;
    if (reply.type != WIRE_KEY) {
        wire_msg_clear(&reply);
        free(raw);
        return ERR_PARSE;
    }
    uint8_t key[WIRE_KEY_SIZE];
    memcpy(key, reply.u.key.key, sizeof key);
    uint16_t port = reply.u.key.port;
    wire_msg_clear(&reply);
    free(raw);
    char why[2 * SOCK_ENDPOINT_MAX + 700];
    bool first = false;
    bool pinned = !identity_key_is_zero(l->cfg.tracker_key);
    r = trackerkey_check(&first, why, sizeof why, l->cfg.known_trackers,
                         l->cfg.endpoint, pinned ? l->cfg.tracker_key : NULL,
                         key);
    if (r == ERR_INVALID) {
        log_error("p2p", "%s", why);
        l->refused = true;
        return ERR_INVALID;
    }
    if (r == ERR_IO)
        log_warn("p2p", "%s", why);
    char hex[IDENTITY_HEX_LEN + 1];
    identity_key_hex(hex, key);
    if (first)
        log_info("p2p",
                 "tracker %s: trusting its key %s on first use (recorded in "
                 "%s)",
                 l->cfg.endpoint, hex, l->cfg.known_trackers);
    if (keyed_endpoint(l, port) != 0)
        return ERR_PARSE;
    l->rc = reqclient_new_keyed(l->keyed, l->cfg.timeout_ms, l->cfg.retries,
                                &l->cfg.key, key);
    if (!l->rc)
        return ERR_NET;
    pthread_mutex_lock(&l->lock);
    memcpy(l->tkey, key, sizeof key);
    l->have_key = true;
    pthread_mutex_unlock(&l->lock);
    return 0;
}

static int do_register(trackerlink_t *l)
{
    int r = resolve(l);
    if (r)
        return r;
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_REGISTER);
    req.u.peer = l->cfg.self;
    r = ask(l, l->rc, &reply, &raw, &req);
    if (r == ERR_TIMEOUT || r == ERR_NET)
        reqclient_free(&l->rc); /* ask for its key again next time */
    if (r)
        return r;
    if (reply.type != WIRE_REGISTER_OK) {
        wire_msg_clear(&reply);
        free(raw);
        return ERR_PARSE;
    }
    take_peer_list(l, &reply, false);
    log_info("p2p", "registered with %s as %016llx: %u peers", l->cfg.endpoint,
             (unsigned long long)l->cfg.self.id,
             (unsigned)reply.u.peer_list.count);
    wire_msg_clear(&reply);
    free(raw);
    return 0;
}

static int do_peers(trackerlink_t *l, reqclient_t *rc)
{
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_PEERS);
    int r = ask(l, rc, &reply, &raw, &req);
    if (r)
        return r;
    if (reply.type == WIRE_PEER_LIST)
        take_peer_list(l, &reply, true);
    wire_msg_clear(&reply);
    free(raw);
    return 0;
}

/* PING. Returns 0 (known), ERR_NOT_FOUND (register again) or an error. */
static int do_ping(trackerlink_t *l, reqclient_t *rc, uint32_t *tracker_peers)
{
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_PING);
    req.u.node_id = l->cfg.self.id;
    int r = ask(l, rc, &reply, &raw, &req);
    if (r)
        return r;
    if (reply.type != WIRE_PONG)
        r = ERR_PARSE;
    else if (!reply.u.pong.known)
        r = ERR_NOT_FOUND;
    else
        *tracker_peers = reply.u.pong.peers;
    wire_msg_clear(&reply);
    free(raw);
    return r;
}

static uint32_t ping_interval(trackerlink_t *l)
{
    if (l->cfg.ping_interval_ms)
        return l->cfg.ping_interval_ms;
    pthread_mutex_lock(&l->lock);
    uint32_t t = l->peer_timeout_ms;
    pthread_mutex_unlock(&l->lock);
    return t ? (t / 3 ? t / 3 : 1) : 5000;
}

static void set_registered(trackerlink_t *l, bool v)
{
    pthread_mutex_lock(&l->lock);
    l->registered = v;
    pthread_mutex_unlock(&l->lock);
}

/* Sleeps until the deadline or a stop; returns true on stop. */
static bool sleep_or_stop(trackerlink_t *l, uint32_t ms)
{
    struct timespec ts = sock_deadline_in(ms);
    pthread_mutex_lock(&l->lock);
    while (!l->stop && pthread_cond_timedwait(&l->cond, &l->lock, &ts) == 0)
        ;
    bool stop = l->stop;
    pthread_mutex_unlock(&l->lock);
    return stop;
}

/* Sends LEAVE once, briefly: leaving must not hang on a dead tracker, and
 * the tracker expires us anyway. */
static void leave(trackerlink_t *l)
{
    if (!l->keyed[0])
        return;
    reqclient_t *quick = reqclient_new_keyed(l->keyed, l->cfg.timeout_ms, 0,
                                             &l->cfg.key, l->tkey);
    if (!quick)
        return;
    wire_msg_t req, reply;
    uint8_t *raw;
    wire_msg_init(&req, WIRE_LEAVE);
    req.u.node_id = l->cfg.self.id;
    if (ask(l, quick, &reply, &raw, &req) == 0) {
        wire_msg_clear(&reply);
        free(raw);
    }
    reqclient_free(&quick);
}

/* The wait before the next round: the ping interval, or after a "full"
 * refusal a wait that doubles with each one, up to TRACKERLINK_FULL_MAX_MS
 * (a full tracker is not asked again at the ping rate by every node it
 * turned away). */
static uint32_t next_wait(trackerlink_t *l)
{
    uint32_t t = ping_interval(l);
    if (!l->full_wait_ms)
        return t;
    uint32_t w = l->full_wait_ms > t ? l->full_wait_ms : t;
    l->full_wait_ms =
        w < TRACKERLINK_FULL_MAX_MS / 2 ? 2 * w : TRACKERLINK_FULL_MAX_MS;
    return w < TRACKERLINK_FULL_MAX_MS ? w : TRACKERLINK_FULL_MAX_MS;
}

static void *link_main(void *arg)
{
    trackerlink_t *l = arg;
    bool down_logged = false;
    while (!sleep_or_stop(l, next_wait(l))) {
        bool registered = trackerlink_registered(l);
        size_t known = l->cfg.cb.known(l->cfg.cb.ctx);
        int r;
        uint32_t tracker_peers = 0;
        if (registered) {
            r = do_ping(l, l->rc, &tracker_peers);
            if (r == ERR_NOT_FOUND) {
                log_info("p2p", "tracker does not know us: registering again");
                r = do_register(l);
            } else if (r == 0 && tracker_peers != known + 1) {
                /* An announcement may have been lost: ask for the list. */
                do_peers(l, l->rc);
            }
        } else if (!l->refused) {
            r = do_register(l);
        } else {
            r = ERR_INVALID;
        }
        /* Not registered (or no longer sure we are): the next round
         * REGISTERs, which is idempotent, instead of PINGing. */
        set_registered(l, r == 0);
        if (r != ERR_FULL) {
            l->full_wait_ms = 0;
            l->full_logged = false;
        } else if (!l->full_wait_ms)
            l->full_wait_ms = ping_interval(l);
        if (r == 0) {
            if (down_logged)
                log_info("p2p", "tracker %s is back", l->cfg.endpoint);
            down_logged = false;
        } else if (r == ERR_TIMEOUT || r == ERR_NET) {
            if (!down_logged)
                log_warn("p2p",
                         "tracker %s unreachable (%s); carrying on with %zu "
                         "known peers",
                         l->cfg.endpoint, err_str(r), known);
            down_logged = true;
        }
    }
    if (trackerlink_registered(l)) {
        leave(l);
        set_registered(l, false);
    }
    return NULL;
}

int trackerlink_join(trackerlink_t **out, const trackerlink_config_t *cfg)
{
    *out = NULL;
    if (!cfg->cb.peer_list || !cfg->cb.known || !cfg->endpoint[0] ||
        !memchr(cfg->endpoint, 0, sizeof cfg->endpoint))
        return ERR_ARG;
    trackerlink_t *l = calloc(1, sizeof *l);
    if (!l)
        return ERR_NOMEM;
    l->cfg = *cfg;
    l->plain = reqclient_new(cfg->endpoint, cfg->timeout_ms, cfg->retries);
    if (!l->plain) {
        free(l);
        return ERR_ARG;
    }
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cond, &ca);
    pthread_condattr_destroy(&ca);
    int r = do_register(l);
    if (r == ERR_FULL)
        l->full_wait_ms = ping_interval(l);
    if (r == ERR_INVALID || r == ERR_PARSE || r == ERR_NOMEM) {
        reqclient_free(&l->rc);
        reqclient_free(&l->plain);
        identity_wipe(&l->cfg.key);
        pthread_cond_destroy(&l->cond);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return r == ERR_NOMEM ? r : ERR_INVALID;
    }
    l->registered = r == 0;
    if (pthread_create(&l->thread, NULL, link_main, l) != 0) {
        reqclient_free(&l->rc);
        reqclient_free(&l->plain);
        identity_wipe(&l->cfg.key);
        pthread_cond_destroy(&l->cond);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return ERR_NOMEM;
    }
    if (r)
        log_warn("p2p", "tracker %s did not answer (%s); will keep trying",
                 cfg->endpoint, err_str(r));
    *out = l;
    return r;
}

void trackerlink_free(trackerlink_t **lp)
{
    if (!lp || !*lp)
        return;
    trackerlink_t *l = *lp;
    pthread_mutex_lock(&l->lock);
    l->stop = true;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    reqclient_free(&l->rc);
    reqclient_free(&l->plain);
    identity_wipe(&l->cfg.key);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    free(l);
    *lp = NULL;
}

bool trackerlink_key(trackerlink_t *l, uint8_t key[WIRE_KEY_SIZE])
{
    pthread_mutex_lock(&l->lock);
    bool have = l->have_key;
    if (have)
        memcpy(key, l->tkey, WIRE_KEY_SIZE);
    pthread_mutex_unlock(&l->lock);
    return have;
}

bool trackerlink_registered(trackerlink_t *l)
{
    pthread_mutex_lock(&l->lock);
    bool r = l->registered;
    pthread_mutex_unlock(&l->lock);
    return r;
}
