/*
 * Tests for net/msgq.c: first in, first out; a push moves the message in
 * and empties the caller's copy; at most `max` wait unless pushed with
 * `always`; a pop waits up to its timeout and no longer, and is woken by
 * a push from another thread; freeing frees what is left (LeakSanitizer
 * checks that in the ASan build). msgq_wake() ends a waiting pop at once,
 * and a wake that comes while nobody waits is kept for the next pop that
 * would wait (a pop that does not wait leaves it), so a reader that checks
 * its state and then waits never sleeps through a wake.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "msgq.h"
#include "sock.h"

/* A message whose data is one malloc'd byte, tagged. */
static p2p_msg_t msg(uint64_t tag)
{
    p2p_msg_t m;
    memset(&m, 0, sizeof m);
    m.tag = tag;
    m.data = malloc(1);
    cr_assert_not_null(m.data);
    m.data[0] = (uint8_t)tag;
    m.len = 1;
    return m;
}

Test(msgq, first_in_first_out_and_a_push_moves_the_message)
{
    msgq_t *q = msgq_new(8);
    cr_assert_not_null(q);
    for (uint64_t t = 1; t <= 3; t++) {
        p2p_msg_t m = msg(t);
        cr_assert_eq(msgq_push(q, &m, false), 0);
        cr_assert_null(m.data, "the caller's copy was not emptied");
    }
    for (uint64_t t = 1; t <= 3; t++) {
        p2p_msg_t m;
        cr_assert_eq(msgq_pop(q, &m, 0), 0);
        cr_assert_eq(m.tag, t);
        cr_assert_eq(m.len, 1);
        cr_assert_eq(m.data[0], (uint8_t)t);
        p2p_msg_clear(&m);
    }
    p2p_msg_t m;
    cr_assert_eq(msgq_pop(q, &m, 0), ERR_TIMEOUT);
    msgq_free(&q);
    cr_assert_null(q);
    msgq_free(&q); /* harmless */
    cr_assert_null(msgq_new(0), "a queue of nothing");
}

Test(msgq, bounded_except_for_what_must_not_be_lost)
{
    msgq_t *q = msgq_new(2);
    cr_assert_not_null(q);
    p2p_msg_t a = msg(1), b = msg(2), c = msg(3), d = msg(4);
    cr_assert_eq(msgq_push(q, &a, false), 0);
    cr_assert_eq(msgq_push(q, &b, false), 0);
    cr_assert_eq(msgq_push(q, &c, false), ERR_FULL);
    cr_assert_not_null(c.data, "a refused message stays the caller's");
    cr_assert_eq(msgq_push(q, &d, true), 0, "always goes past max");
    p2p_msg_clear(&c);
    uint64_t order[3];
    for (int i = 0; i < 3; i++) {
        p2p_msg_t m;
        cr_assert_eq(msgq_pop(q, &m, 0), 0);
        order[i] = m.tag;
        p2p_msg_clear(&m);
    }
    cr_assert(order[0] == 1 && order[1] == 2 && order[2] == 4);
    /* Left in the queue, freed with it. */
    p2p_msg_t e = msg(5);
    cr_assert_eq(msgq_push(q, &e, false), 0);
    msgq_free(&q);
}

Test(msgq, a_pop_waits_its_timeout_and_no_longer)
{
    msgq_t *q = msgq_new(4);
    cr_assert_not_null(q);
    p2p_msg_t m;
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(msgq_pop(q, &m, 100), ERR_TIMEOUT);
    uint64_t waited = sock_now_ms() - t0;
    cr_assert_geq(waited, 95, "returned after %llu ms",
                  (unsigned long long)waited);
    msgq_free(&q);
}

static void *push_later(void *arg)
{
    nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    p2p_msg_t m = msg(42);
    cr_assert_eq(msgq_push(arg, &m, false), 0);
    return NULL;
}

Test(msgq, a_waiting_pop_is_woken_by_a_push)
{
    msgq_t *q = msgq_new(4);
    cr_assert_not_null(q);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, push_later, q), 0);
    p2p_msg_t m;
    cr_assert_eq(msgq_pop(q, &m, -1), 0);
    cr_assert_eq(m.tag, 42);
    p2p_msg_clear(&m);
    pthread_join(th, NULL);
    msgq_free(&q);
}

static void *wake_later(void *arg)
{
    nanosleep(&(struct timespec){0, 50000000L}, NULL);
    msgq_wake(arg);
    return NULL;
}

Test(msgq, a_wake_ends_a_waiting_pop_and_is_not_lost)
{
    msgq_t *q = msgq_new(4);
    cr_assert(q);
    p2p_msg_t out;

    /* A waiting pop ends at the wake, long before its timeout. */
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, wake_later, q), 0);
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(msgq_pop(q, &out, 5000), ERR_TIMEOUT);
    cr_assert_lt(sock_now_ms() - t0, 4000);
    pthread_join(th, NULL);

    /* A wake while nobody waits: a pop that does not wait leaves it, the
     * next that would wait returns at once, and the one after that waits
     * again. */
    msgq_wake(q);
    cr_assert_eq(msgq_pop(q, &out, 0), ERR_TIMEOUT);
    t0 = sock_now_ms();
    cr_assert_eq(msgq_pop(q, &out, 5000), ERR_TIMEOUT);
    cr_assert_lt(sock_now_ms() - t0, 4000);
    t0 = sock_now_ms();
    cr_assert_eq(msgq_pop(q, &out, 100), ERR_TIMEOUT);
    cr_assert_geq(sock_now_ms() - t0, 95, "the wake was taken once");

    /* A message with a wake pending is still delivered. */
    msgq_wake(q);
    p2p_msg_t m = msg(9);
    cr_assert_eq(msgq_push(q, &m, false), 0);
    cr_assert_eq(msgq_pop(q, &out, 5000), 0);
    cr_assert_eq(out.data[0], 9);
    p2p_msg_clear(&out);
    msgq_free(&q);
}
