/*
 * Tests for src/node/node.c with its main loop running: a real in-process
 * regtest node (temporary data directory, no tracker, no miner) whose
 * node_run turns in a thread of the test, asked through node_query as the
 * request thread asks. Covers the main loop's record in `status` while it
 * turns, and that `status` still answers -- busy, with the stuck phase --
 * while the node lock is held elsewhere, and any other query is refused as
 * busy after a bounded wait.
 * The lock is held by the test itself (node_impl.h), standing in for a main
 * loop that spins with it. With a fake peer (chain_peer.h): a gossiped
 * orphan makes the main loop fetch its parents (locator first, not a tip
 * poll), the next gossiped block is relayed as the very frame received, and
 * while a peer the node asked stays silent the main loop keeps turning and
 * status keeps its lock. No timing is asserted but generous deadlines.
 * Also built with ThreadSanitizer (criterion_tsan.h): the main loop, the
 * request thread's query path, the watcher and the test share the node.
 */
#ifdef __SANITIZE_THREAD__
#include "criterion_tsan.h"
#else
#include <criterion/criterion.h>
#endif
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_peer.h"
#include "err.h"
#include "fixtures.h"
#include "log.h"
#include "node.h"
#include "node_impl.h"
#include "node_rig.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void start(void)
{
    nr_new("node");
    nr_run();
}

/* Asks status through node_query; returns the whole answer. */
static json_t *status(void)
{
    json_t *q = json_pack("{s:s}", "method", "status");
    json_t *a = node_query(nr_node, q);
    json_decref(q);
    cr_assert_not_null(a);
    cr_assert_not_null(json_object_get(a, "result"), "%s",
                       json_dumps(a, JSON_COMPACT));
    return a;
}

static json_int_t loop_int(const json_t *a, const char *key)
{
    json_t *v = json_object_get(
        json_object_get(json_object_get(a, "result"), "main_loop"), key);
    cr_assert(json_is_integer(v), "main_loop.%s is not an integer", key);
    return json_integer_value(v);
}

static const char *loop_where(const json_t *a)
{
    const char *w = json_string_value(json_object_get(
        json_object_get(json_object_get(a, "result"), "main_loop"), "where"));
    cr_assert_not_null(w);
    return w;
}

static bool busy(const json_t *a)
{
    json_t *b = json_object_get(json_object_get(a, "result"), "busy");
    cr_assert(json_is_boolean(b), "busy is not a boolean");
    return json_is_true(b);
}

/* Waits (generously) until the main loop has begun turning. */
static void wait_turning(void)
{
    for (int i = 0; i < 500; i++) {
        json_t *a = status();
        bool started = strncmp(loop_where(a), "start", 5) != 0;
        json_decref(a);
        if (started)
            return;
        sleep_ms(10);
    }
    cr_assert(false, "the main loop did not begin turning");
}

/* Every test here has the same time limit: Criterion's runner leaks an
 * allocation under LeakSanitizer when the tests of one binary have
 * different ones, which fails the AddressSanitizer run. */
Test(node, status_shows_a_turning_main_loop, .timeout = 60)
{
    start();
    wait_turning();
    /* A healthy loop turns every few milliseconds: several readings a
     * little apart never see an old turn. */
    for (int i = 0; i < 5; i++) {
        json_t *a = status();
        cr_assert(!busy(a));
        json_int_t age = loop_int(a, "turn_age_ms");
        cr_assert(age >= 0 && age < 1000, "turn_age_ms %lld", (long long)age);
        cr_assert(loop_int(a, "longest_turn_ms") >= age);
        cr_assert_not_null(
            json_object_get(json_object_get(a, "result"), "height"));
        json_decref(a);
        sleep_ms(50);
    }
    nr_free();
}

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool holding, release;
} holder_t;

/* Holds the node lock until told to let go. */
static void *hold_lock(void *arg)
{
    holder_t *h = arg;
    node_lock(nr_node);
    pthread_mutex_lock(&h->m);
    h->holding = true;
    pthread_cond_broadcast(&h->c);
    while (!h->release)
        pthread_cond_wait(&h->c, &h->m);
    pthread_mutex_unlock(&h->m);
    node_unlock(nr_node);
    return NULL;
}

Test(node, status_answers_busy_while_the_lock_is_held, .timeout = 60)
{
    start();
    wait_turning();
    holder_t h = {.holding = false, .release = false};
    pthread_mutex_init(&h.m, NULL);
    pthread_cond_init(&h.c, NULL);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, hold_lock, &h), 0);
    pthread_mutex_lock(&h.m);
    while (!h.holding)
        pthread_cond_wait(&h.c, &h.m);
    pthread_mutex_unlock(&h.m);

    /* The main loop now waits for the lock in its turn. status must not:
     * were it to wait, this test would hang until its timeout, since the
     * lock is let go only after status has answered. */
    sleep_ms(1200);
    json_t *a = status();
    json_t *r = json_object_get(a, "result");
    cr_assert(busy(a), "%s", json_dumps(a, JSON_COMPACT));
    cr_assert_str_eq(json_string_value(json_object_get(r, "network")),
                     "regtest");
    cr_assert_not_null(json_string_value(json_object_get(r, "node_id")));
    cr_assert(json_is_integer(json_object_get(r, "uptime")));
    cr_assert_null(json_object_get(r, "height"), "needs the lock");
    json_int_t age = loop_int(a, "turn_age_ms");
    cr_assert(age >= 1000, "the held-up turn is %lld ms old", (long long)age);
    cr_assert(loop_int(a, "longest_turn_ms") >= age);
    cr_assert_str_eq(loop_where(a), "inbox: taking the node lock");
    json_decref(a);

    /* Any other query waits a while, then is refused as busy with the
     * same facts, rather than holding up every status behind it. */
    json_t *q = json_pack("{s:s}", "method", "getchain");
    a = node_query(nr_node, q);
    json_decref(q);
    json_t *e = json_object_get(a, "error");
    cr_assert_not_null(e, "%s", json_dumps(a, JSON_COMPACT));
    cr_assert_eq(json_integer_value(json_object_get(e, "code")), ERR_FULL);
    const char *msg = json_string_value(json_object_get(e, "message"));
    cr_assert(msg && strstr(msg, "its main loop holds the node lock") &&
                  strstr(msg, "inbox: taking the node lock"),
              "%s", msg ? msg : "(none)");
    json_decref(a);

    pthread_mutex_lock(&h.m);
    h.release = true;
    pthread_cond_broadcast(&h.c);
    pthread_mutex_unlock(&h.m);
    pthread_join(t, NULL);

    /* Let go, the loop turns again and status has the lock. */
    json_int_t longest = 0;
    for (int i = 0; i < 500; i++) {
        a = status();
        bool healthy = !busy(a) && loop_int(a, "turn_age_ms") < 1000;
        longest = loop_int(a, "longest_turn_ms");
        json_decref(a);
        if (healthy)
            break;
        cr_assert(i < 499, "the main loop did not turn again");
        sleep_ms(10);
    }
    cr_assert(longest >= 1000, "the held-up turn is the longest");
    pthread_cond_destroy(&h.c);
    pthread_mutex_destroy(&h.m);
    nr_free();
}

/* ---- the node and a fake peer -------------------------------------------- */

/* A chain of `height` blocks on the regtest genesis. */
static chain_t *chain_of(unsigned height)
{
    chain_t *c = fx_chain(NULL);
    uint8_t miner[32] = {5};
    const chain_node_t *tip = chain_tip(c);
    for (unsigned i = 0; i < height; i++)
        tip = fx_extend(c, tip, miner, NULL, 0, i);
    return c;
}

/* Makes the node and the fake peer know each other. */
static void link_peer(chain_peer_t *fake)
{
    wire_peer_t w = chain_peer_wire(fake);
    cr_assert_eq(p2p_add_peer(node_p2p(nr_node), &w), 0);
    wire_peer_t nw;
    memset(&nw, 0, sizeof nw);
    memcpy(nw.key, p2p_key(node_p2p(nr_node)), sizeof nw.key);
    nw.id = p2p_node_id(node_p2p(nr_node));
    snprintf(nw.req, sizeof nw.req, "tcp://127.0.0.1:%u", nr_port + 2u);
    snprintf(nw.gossip, sizeof nw.gossip, "%s",
             p2p_gossip_endpoint(node_p2p(nr_node)));
    cr_assert_eq(p2p_add_peer(fake->p2p, &nw), 0);
}

/* The NEW_BLOCK frame of a block of chain c. */
static void block_frame(buf_t *frame, const chain_node_t *x)
{
    buf_t raw;
    buf_init(&raw);
    buf_init(frame);
    cr_assert_eq(block_serialize(&raw, &x->block), 0);
    cr_assert_eq(wire_encode_blob(frame, params_regtest()->network_id,
                                  WIRE_NEW_BLOCK, raw.data, raw.len),
                 0);
    buf_deinit(&raw);
}

static json_int_t status_int(const char *key)
{
    json_t *a = status();
    json_int_t v =
        json_integer_value(json_object_get(json_object_get(a, "result"), key));
    json_decref(a);
    return v;
}

static json_int_t orphans_refused(void)
{
    json_t *a = status();
    json_int_t v = json_integer_value(json_object_get(
        json_object_get(
            json_object_get(json_object_get(a, "result"), "refused"), "blocks"),
        "orphan"));
    json_decref(a);
    return v;
}

Test(node, an_orphan_is_fetched_by_the_main_loop_and_gossip_relayed_as_received,
     .timeout = 60)
{
    log_set_level(LOG_WARN);
    start();
    wait_turning();
    chain_t *theirs = chain_of(3);
    chain_peer_t fake;
    chain_peer_start(&fake, theirs, 1000);
    /* Its tip polls show nothing to fetch: only the orphan can start one. */
    atomic_store(&fake.understate, true);
    link_peer(&fake);

    /* Block 3 alone: an orphan here, whose fetch the main loop serves. */
    buf_t frame;
    block_frame(&frame, chain_tip(theirs));
    for (int i = 0; status_int("height") < 3; i++) {
        cr_assert(i < 1000, "the orphan's parents were never fetched");
        if (i % 5 == 0) /* PUB/SUB: the first may be lost */
            cr_assert_eq(p2p_broadcast(fake.p2p, frame.data, frame.len), 0);
        sleep_ms(20);
    }
    buf_deinit(&frame);
    cr_assert_geq(orphans_refused(), 1);
    cr_assert_eq(atomic_load(&fake.first_type), WIRE_GET_HEADERS,
                 "the fetch began with the locator, not a tip poll");

    /* Block 4 on top: accepted, and relayed as the very frame sent. */
    pthread_mutex_lock(&fake.lock);
    uint8_t miner[32] = {5};
    const chain_node_t *four =
        fx_extend(theirs, chain_tip(theirs), miner, NULL, 0, 99);
    block_frame(&frame, four);
    pthread_mutex_unlock(&fake.lock);
    uint64_t node_id = p2p_node_id(node_p2p(nr_node));
    bool relayed = false;
    for (int i = 0; !relayed; i++) {
        cr_assert(i < 100, "the block was not relayed");
        cr_assert_eq(p2p_broadcast(fake.p2p, frame.data, frame.len), 0);
        p2p_msg_t m;
        while (!relayed && p2p_receive_data(fake.p2p, &m, 100) == 0) {
            if (m.source == P2P_FROM_PEER && m.peer_id == node_id &&
                m.type == WIRE_NEW_BLOCK) {
                cr_assert_eq(m.len, frame.len);
                cr_assert_eq(memcmp(m.data, frame.data, frame.len), 0,
                             "the relay is not the frame received");
                relayed = true;
            }
            p2p_msg_clear(&m);
        }
    }
    cr_assert_eq(status_int("height"), 4);
    buf_deinit(&frame);
    chain_peer_stop(&fake);
    chain_free(&theirs);
    nr_free();
}

Test(node, the_main_loop_turns_while_a_peer_it_asked_is_silent, .timeout = 60)
{
    log_set_level(LOG_WARN);
    start();
    wait_turning();
    chain_t *theirs = chain_of(2);
    chain_peer_t fake;
    chain_peer_start(&fake, theirs, 1000);
    atomic_store(&fake.silent, true);
    link_peer(&fake);
    buf_t frame;
    block_frame(&frame, chain_tip(theirs));
    for (int i = 0; atomic_load(&fake.asked[CP_HEADERS]) == 0; i++) {
        cr_assert(i < 1000, "the node never asked for the orphan's parents");
        if (i % 5 == 0)
            cr_assert_eq(p2p_broadcast(fake.p2p, frame.data, frame.len), 0);
        sleep_ms(20);
    }
    buf_deinit(&frame);
    /* The request is out and will not be answered (two attempts of a
     * second). Meanwhile the main loop turns and status has the lock. */
    for (int i = 0; i < 10; i++) {
        json_t *a = status();
        cr_assert(!busy(a), "%s", json_dumps(a, JSON_COMPACT));
        json_int_t age = loop_int(a, "turn_age_ms");
        cr_assert(age < 1000, "a turn of %lld ms, in %s", (long long)age,
                  loop_where(a));
        json_decref(a);
        sleep_ms(100);
    }
    /* And the peer is found silent, off the main loop. */
    p2p_peer_info_t info;
    for (int i = 0;; i++) {
        cr_assert(i < 500, "the peer was never found unresponsive");
        cr_assert_eq(p2p_peer(node_p2p(nr_node), &info, p2p_node_id(fake.p2p)),
                     0);
        if (info.unresponsive)
            break;
        sleep_ms(20);
    }
    cr_assert_eq(status_int("height"), 0);
    chain_peer_stop(&fake);
    chain_free(&theirs);
    nr_free();
}
