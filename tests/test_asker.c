/*
 * Tests for net/asker.c: a push returns at once and the request runs on a
 * worker, copied; one peer's requests run in the order pushed, one at a
 * time, while different peers' run side by side (up to the thread count),
 * so a slow peer holds up only its own; the queue is bounded; an empty
 * request is refused; freeing waits for the requests that run and drops
 * the queued ones without running them.
 */
/* Its workers run side by side: the TSan build checks them. */
#ifdef __SANITIZE_THREAD__
#include "criterion_tsan.h"
#else
#include <criterion/criterion.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "asker.h"
#include "err.h"
#include "sock.h"

#define MAX_SEEN 64

typedef struct {
    pthread_mutex_t lock;
    uint64_t tags[MAX_SEEN];
    uint8_t first_byte[MAX_SEEN];
    size_t n;
    atomic_int running, most_at_once;
    int hold_ms;        /* how long each run takes */
    uint64_t slow_peer; /* ... but one to this peer takes slow_ms */
    int slow_ms;
} log_t;

static void run(void *ctx, uint64_t peer, uint64_t tag, const uint8_t *req,
                size_t len)
{
    log_t *l = ctx;
    int now = atomic_fetch_add(&l->running, 1) + 1;
    if (now > atomic_load(&l->most_at_once))
        atomic_store(&l->most_at_once, now);
    long ms = peer == l->slow_peer ? l->slow_ms : l->hold_ms;
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
    pthread_mutex_lock(&l->lock);
    if (l->n < MAX_SEEN && len > 0 && peer == 7) {
        l->tags[l->n] = tag;
        l->first_byte[l->n] = req[0];
        l->n++;
    }
    pthread_mutex_unlock(&l->lock);
    atomic_fetch_sub(&l->running, 1);
}

static size_t seen(log_t *l)
{
    pthread_mutex_lock(&l->lock);
    size_t n = l->n;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static void log_init(log_t *l, int hold_ms)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    l->hold_ms = hold_ms;
}

Test(asker, one_peers_requests_run_in_order_one_at_a_time_on_copies)
{
    log_t l;
    log_init(&l, 5);
    asker_t *a = asker_new(run, &l, 16, 4);
    cr_assert_not_null(a);
    uint8_t req[1];
    for (uint64_t t = 0; t < 10; t++) {
        req[0] = (uint8_t)(100 + t);
        cr_assert_eq(asker_push(a, 7, t, req, sizeof req), 0);
    }
    req[0] = 0; /* the asker ran copies, not this buffer */
    uint64_t deadline = sock_now_ms() + 5000;
    while (seen(&l) < 10 && sock_now_ms() < deadline)
        nanosleep(&(struct timespec){0, 5 * 1000000L}, NULL);
    cr_assert_eq(seen(&l), 10);
    for (size_t i = 0; i < 10; i++) {
        cr_assert_eq(l.tags[i], i, "ran out of order");
        cr_assert_eq(l.first_byte[i], 100 + i);
    }
    cr_assert_eq(atomic_load(&l.most_at_once), 1);
    asker_free(&a);
    cr_assert_null(a);
    asker_free(&a); /* harmless */
    pthread_mutex_destroy(&l.lock);
}

Test(asker, a_push_returns_at_once_and_the_queue_is_bounded)
{
    log_t l;
    log_init(&l, 200); /* each run takes a while */
    asker_t *a = asker_new(run, &l, 3, 4);
    cr_assert_not_null(a);
    uint8_t req[1] = {1};
    uint64_t t0 = sock_now_ms();
    int rc = 0, queued = 0;
    for (int i = 0; i < 10 && rc == 0; i++)
        if ((rc = asker_push(a, 7, (uint64_t)i, req, sizeof req)) == 0)
            queued++;
    cr_assert_lt(sock_now_ms() - t0, 150, "a push waited for a run");
    cr_assert_eq(rc, ERR_FULL);
    /* Three wait; a fourth may already have been taken to run. */
    cr_assert(queued == 3 || queued == 4, "%d queued", queued);
    cr_assert_eq(asker_push(a, 7, 99, req, 0), ERR_ARG);
    /* Freeing waits for the run in progress and drops the rest. */
    asker_free(&a);
    cr_assert_leq(seen(&l), 1, "queued requests ran after asker_free");
    cr_assert_eq(atomic_load(&l.running), 0);
    pthread_mutex_destroy(&l.lock);
}

Test(asker, refuses_no_room)
{
    cr_assert_null(asker_new(run, NULL, 0, 1));
    cr_assert_null(asker_new(run, NULL, 1, 0));
    cr_assert_null(asker_new(run, NULL, 1, ASKER_MAX_THREADS + 1));
}

/* Waits (generously) until cond holds. */
#define WAIT_FOR(cond)                                                         \
    do {                                                                       \
        uint64_t until_ = sock_now_ms() + 5000;                                \
        while (!(cond) && sock_now_ms() < until_)                              \
            nanosleep(&(struct timespec){0, 2 * 1000000L}, NULL);              \
    } while (0)

Test(asker, different_peers_run_side_by_side_up_to_the_thread_count)
{
    log_t l;
    log_init(&l, 300);
    asker_t *a = asker_new(run, &l, 16, 3);
    cr_assert_not_null(a);
    uint8_t req[1] = {1};
    for (uint64_t peer = 1; peer <= 5; peer++)
        cr_assert_eq(asker_push(a, peer, peer, req, sizeof req), 0);
    WAIT_FOR(atomic_load(&l.most_at_once) >= 3);
    cr_assert_eq(atomic_load(&l.most_at_once), 3, "three threads at most");
    asker_free(&a);
    pthread_mutex_destroy(&l.lock);
}

Test(asker, a_slow_peer_holds_up_only_its_own_requests)
{
    log_t l;
    log_init(&l, 1);
    l.slow_peer = 1;
    l.slow_ms = 3000; /* a silent peer's timeouts */
    asker_t *a = asker_new(run, &l, 16, 4);
    cr_assert_not_null(a);
    uint8_t req[1] = {1};
    cr_assert_eq(asker_push(a, 1, 100, req, sizeof req), 0);
    cr_assert_eq(asker_push(a, 1, 101, req, sizeof req), 0);
    uint64_t t0 = sock_now_ms();
    for (uint64_t t = 0; t < 5; t++)
        cr_assert_eq(asker_push(a, 7, t, req, sizeof req), 0);
    WAIT_FOR(seen(&l) == 5);
    cr_assert_eq(seen(&l), 5);
    cr_assert_lt(sock_now_ms() - t0, 1500, "peer 7 waited for peer 1");
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(l.tags[i], i, "ran out of order");
    /* Peer 1's second request waits for its first, not beside it. */
    cr_assert_eq(atomic_load(&l.running), 1);
    asker_free(&a); /* waits for the slow one, drops its second */
    pthread_mutex_destroy(&l.lock);
}
