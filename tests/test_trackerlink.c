/*
 * Tests for net/trackerlink.c against a real tracker in a thread
 * (tracker_rig.h) on 127.0.0.1: joining registers and hands over the
 * tracker's list (without pruning); a peer that leaves is learned from a
 * pruning PEER_LIST asked for when a PONG's count differs from what the
 * owner knows; a tracker that is down at the join is registered with once
 * it is back; and a tracker of another network refuses the node, both
 * saying why in the same words (nothing calls it a bad reply). A tracker
 * that refuses the node as full: the link is made anyway (ERR_FULL) and
 * registers once the tracker has room.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "params.h"
#include "server.h"
#include "sock.h"
#include "tracker.h"
#include "trackerlink.h"
#include "wire.h"

#include "tracker_rig.h"

/* What the owner knows: the last list the link handed over. */
typedef struct {
    pthread_mutex_t lock;
    uint64_t ids[8];
    size_t n;
    int lists, pruned;
} owner_t;

static void on_list(void *ctx, const wire_msg_t *m, bool prune)
{
    owner_t *o = ctx;
    pthread_mutex_lock(&o->lock);
    o->n = 0;
    for (size_t i = 0; i < m->u.peer_list.count && o->n < 8; i++)
        o->ids[o->n++] = m->u.peer_list.peers[i].id;
    o->lists++;
    o->pruned += prune;
    pthread_mutex_unlock(&o->lock);
}

static size_t on_known(void *ctx)
{
    owner_t *o = ctx;
    pthread_mutex_lock(&o->lock);
    size_t n = o->n;
    pthread_mutex_unlock(&o->lock);
    return n;
}

static bool knows(owner_t *o, uint64_t id)
{
    pthread_mutex_lock(&o->lock);
    bool k = false;
    for (size_t i = 0; i < o->n; i++)
        k = k || o->ids[i] == id;
    pthread_mutex_unlock(&o->lock);
    return k;
}

static void config(trackerlink_config_t *c, const uint8_t net[32],
                   const char *endpoint, uint64_t id, owner_t *o)
{
    memset(c, 0, sizeof *c);
    memcpy(c->network_id, net, 32);
    snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
    cr_assert_eq(identity_generate(&c->key), 0);
    memcpy(c->self.key, c->key.pub, WIRE_KEY_SIZE);
    c->self.id = wire_key_id(c->key.pub); /* id only picks the ports */
    snprintf(c->self.req, sizeof c->self.req, "tcp://127.0.0.1:%u",
             (unsigned)(30000 + 2 * id));
    snprintf(c->self.gossip, sizeof c->self.gossip, "tcp://127.0.0.1:%u",
             (unsigned)(30001 + 2 * id));
    c->timeout_ms = 300;
    c->retries = 0;
    c->ping_interval_ms = 100;
    c->cb = (trackerlink_callbacks_t){o, on_list, on_known};
}

static void start_tracker(tr_live_t *t, const char *req, const char *pub)
{
    tracker_config_t cfg;
    tr_live_config(&cfg, tr_net);
    tr_start(t, &cfg, req, pub);
}

static void sleep_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L},
              NULL);
}

static void quiet(void)
{
    log_set_level(LOG_ERROR);
}

/* One time limit for the binary (different ones make Criterion's runner
 * leak under LeakSanitizer). */
TestSuite(trackerlink, .timeout = 20);

Test(trackerlink, join_lists_the_others_and_a_leave_is_learned, .init = quiet)
{
    tr_live_t t;
    start_tracker(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    owner_t a = {.lock = PTHREAD_MUTEX_INITIALIZER};
    owner_t b = {.lock = PTHREAD_MUTEX_INITIALIZER};
    trackerlink_config_t ca, cb;
    config(&ca, tr_net, t.req, 0xa, &a);
    config(&cb, tr_net, t.req, 0xb, &b);
    trackerlink_t *la = NULL, *lb = NULL;
    cr_assert_eq(trackerlink_join(&la, &ca), 0);
    cr_assert(trackerlink_registered(la));
    cr_assert_eq(trackerlink_join(&lb, &cb), 0);
    /* B's REGISTER_OK lists A, handed over without pruning. */
    cr_assert(knows(&b, ca.self.id));
    cr_assert_eq(b.pruned, 0);

    /* A leaves: B's next PONG counts one peer fewer than B knows, B asks
     * for the list and is handed it to prune. */
    trackerlink_free(&la);
    cr_assert_null(la);
    uint64_t deadline = sock_now_ms() + 5000;
    while (knows(&b, ca.self.id) && sock_now_ms() < deadline)
        sleep_ms(20);
    cr_assert_not(knows(&b, ca.self.id), "B never learned that A left");
    cr_assert_gt(b.pruned, 0);
    cr_assert(trackerlink_registered(lb));
    trackerlink_free(&lb);
    tr_halt(&t);
}

Test(trackerlink, a_tracker_down_at_the_join_is_joined_when_back, .init = quiet)
{
    tr_live_t t;
    start_tracker(&t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");
    char req[SOCK_ENDPOINT_MAX], pub[SOCK_ENDPOINT_MAX];
    strcpy(req, t.req);
    strcpy(pub, t.pub);
    tr_halt(&t);

    owner_t o = {.lock = PTHREAD_MUTEX_INITIALIZER};
    trackerlink_config_t c;
    config(&c, tr_net, req, 0xc, &o);
    trackerlink_t *l = NULL;
    int rc = trackerlink_join(&l, &c);
    cr_assert(rc == ERR_TIMEOUT || rc == ERR_NET, "%s", err_str(rc));
    cr_assert_not_null(l, "the link is made and keeps trying");
    cr_assert_not(trackerlink_registered(l));

    start_tracker(&t, req, pub);
    uint64_t deadline = sock_now_ms() + 8000;
    while (!trackerlink_registered(l) && sock_now_ms() < deadline)
        sleep_ms(20);
    cr_assert(trackerlink_registered(l), "never registered once back");
    trackerlink_free(&l);
    tr_halt(&t);
}

/* A node that registers at a tracker of another network learns why, and
 * both say so in the same words; nothing calls the answer a bad reply. */
Test(trackerlink, a_tracker_of_another_network_says_so,
     .init = cr_redirect_stderr)
{
    log_set_level(LOG_WARN);
    tracker_config_t tcfg;
    tracker_config_init(&tcfg, params_demo()->network_id);
    tcfg.status_ms = 0;
    tr_live_t t;
    tr_start(&t, &tcfg, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

    owner_t o = {.lock = PTHREAD_MUTEX_INITIALIZER};
    trackerlink_config_t c;
    config(&c, params_regtest()->network_id, t.req, 0xd, &o);
    c.timeout_ms = 1000;
    trackerlink_t *l = (trackerlink_t *)&l; /* must be cleared */
    cr_assert_eq(trackerlink_join(&l, &c), ERR_INVALID,
                 "refused, not unanswered");
    cr_assert_null(l, "no link for a tracker that refused us");
    cr_assert_eq(o.lists, 0);
    tr_halt(&t);
    /* Read last: it closes stderr. */
    const char *says = "tracker is on demo, this node on regtest";
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char line[2048];
    int tracker_says = 0, node_says = 0, bad_reply = 0;
    while (fgets(line, sizeof line, f)) {
        tracker_says += strstr(line, "[tracker]") && strstr(line, says);
        node_says += strstr(line, "[p2p]") && strstr(line, says);
        bad_reply += strstr(line, "bad reply") != NULL;
    }
    cr_assert_eq(tracker_says, 1, "the tracker says why");
    cr_assert_eq(node_says, 1, "the node says why");
    cr_assert_eq(bad_reply, 0);
}

/* ---- a tracker that refuses the node as full ------------------------------
 */

Test(trackerlink, a_full_tracker_is_asked_again_until_it_has_room,
     .init = quiet)
{
    tracker_config_t tc;
    tr_live_config(&tc, tr_net);
    tc.max_peers = 1;
    tr_live_t t;
    tr_start(&t, &tc, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*");

    owner_t oa = {.lock = PTHREAD_MUTEX_INITIALIZER},
            ob = {.lock = PTHREAD_MUTEX_INITIALIZER};
    trackerlink_config_t ca, cb;
    config(&ca, tr_net, t.req, 1, &oa);
    config(&cb, tr_net, t.req, 2, &ob);
    trackerlink_t *a = NULL, *b = NULL;
    cr_assert_eq(trackerlink_join(&a, &ca), 0);
    cr_assert_eq(trackerlink_join(&b, &cb), ERR_FULL);
    cr_assert(b, "a refused link is kept, to try again");
    cr_assert_not(trackerlink_registered(b));

    trackerlink_free(&a); /* LEAVE: the place is free */
    for (int i = 0; i < 500 && !trackerlink_registered(b); i++)
        sleep_ms(20);
    cr_assert(trackerlink_registered(b));

    trackerlink_free(&b);
    tr_halt(&t);
}
