/*
 * Tests for net/trackerlink.c: a node's link to a tracker that refuses it
 * as full.
 *
 * Covered: the link is made anyway (ERR_FULL) and registers once the
 * tracker has room (a real tracker in a thread whose only place is taken,
 * then freed by LEAVE); and against a stand-in tracker that always
 * answers "full", the link keeps asking, each time after a longer wait
 * (a count of REGISTERs over a fixed time, far below the ping rate).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "server.h"
#include "sock.h"
#include "tracker.h"
#include "trackerlink.h"
#include "wire.h"

static const uint8_t NET[32] = {0x74, 0x6c, 0x69, 0x6e, 0x6b};

static void quiet(void)
{
    log_set_level(LOG_ERROR);
}

static void on_list(void *ctx, const wire_msg_t *list, bool prune)
{
    (void)ctx;
    (void)list;
    (void)prune;
}

static size_t known(void *ctx)
{
    (void)ctx;
    return 0;
}

static void link_config(trackerlink_config_t *c, const char *endpoint,
                        uint64_t id, uint32_t ping_ms)
{
    memset(c, 0, sizeof *c);
    memcpy(c->network_id, NET, 32);
    strcpy(c->endpoint, endpoint);
    c->self.id = id;
    snprintf(c->self.req, sizeof c->self.req, "tcp://127.0.0.1:%u",
             (unsigned)(40000 + id));
    snprintf(c->self.gossip, sizeof c->self.gossip, "tcp://127.0.0.1:%u",
             (unsigned)(40001 + id));
    c->timeout_ms = 500;
    c->retries = 0;
    c->ping_interval_ms = ping_ms;
    c->cb = (trackerlink_callbacks_t){NULL, on_list, known};
}

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static void *tracker_thread(void *arg)
{
    cr_assert_eq(tracker_run(arg), 0);
    return NULL;
}

Test(trackerlink, a_full_tracker_is_asked_again_until_it_has_room,
     .init = quiet, .timeout = 20)
{
    tracker_config_t tc;
    tracker_config_init(&tc, NET);
    tc.max_peers = 1;
    tc.status_ms = 0;
    tracker_t *t = tracker_new(&tc);
    cr_assert(t);
    cr_assert_eq(tracker_bind(t, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, tracker_thread, t), 0);

    trackerlink_config_t ca, cb;
    link_config(&ca, tracker_req_endpoint(t), 1, 100);
    link_config(&cb, tracker_req_endpoint(t), 2, 100);
    trackerlink_t *a = NULL, *b = NULL;
    cr_assert_eq(trackerlink_join(&a, &ca), 0);
    cr_assert_eq(trackerlink_join(&b, &cb), ERR_FULL);
    cr_assert(b, "a refused link is kept, to try again");
    cr_assert_not(trackerlink_registered(b));

    trackerlink_free(&a); /* LEAVE: the place is free */
    uint64_t deadline = sock_now_ms() + 10000;
    while (!trackerlink_registered(b) && sock_now_ms() < deadline)
        sleep_ms(20);
    cr_assert(trackerlink_registered(b));
    cr_assert_eq(tracker_peer_count(t), 1);

    trackerlink_free(&b);
    tracker_stop(t);
    pthread_join(th, NULL);
    tracker_free(&t);
}

/* A stand-in tracker: answers every request "full" and counts them. */
typedef struct {
    server_t *srv;
    atomic_int registers;
    atomic_bool stop;
} full_tracker_t;

static void *full_tracker_main(void *arg)
{
    full_tracker_t *f = arg;
    buf_t out;
    buf_init(&out);
    while (!atomic_load(&f->stop)) {
        server_req_t req;
        if (server_recv(f->srv, &req, 20) != 0)
            continue;
        uint16_t type = 0;
        if (wire_peek(&type, NET, req.data, req.len) == 0 &&
            type == WIRE_REGISTER)
            atomic_fetch_add(&f->registers, 1);
        buf_reset(&out);
        cr_assert_eq(wire_encode_error(&out, NET, ERR_FULL, "tracker is full"),
                     0);
        cr_assert_eq(server_reply(f->srv, &req, out.data, out.len), 0);
        server_req_clear(&req);
    }
    buf_deinit(&out);
    return NULL;
}

Test(trackerlink, refusals_as_full_are_retried_less_and_less_often,
     .init = quiet, .timeout = 20)
{
    full_tracker_t f = {.srv = server_new("tcp://127.0.0.1:*")};
    cr_assert(f.srv);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, full_tracker_main, &f), 0);

    trackerlink_config_t c;
    link_config(&c, server_endpoint(f.srv), 7, 100);
    trackerlink_t *l = NULL;
    cr_assert_eq(trackerlink_join(&l, &c), ERR_FULL);
    cr_assert(l);
    /* At the ping rate, 2.5 s would bring about 25 REGISTERs; waits of
     * 100, 200, 400, 800 ms... bring 5 (the first, at join, included). */
    sleep_ms(2500);
    int seen = atomic_load(&f.registers);
    cr_assert_geq(seen, 3, "the link keeps asking (%d)", seen);
    cr_assert_leq(seen, 8, "the link backs off (%d REGISTERs)", seen);
    cr_assert_not(trackerlink_registered(l));

    trackerlink_free(&l);
    atomic_store(&f.stop, true);
    pthread_join(th, NULL);
    server_free(&f.srv);
}
