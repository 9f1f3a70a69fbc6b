/*
 * Tests for net/msgq.c: order, the bound, waiting pops, and msgq_wake():
 * it ends a waiting pop at once, and a wake that comes while nobody waits
 * is kept for the next pop that would wait (a pop that does not wait
 * leaves it), so a reader that checks its state and then waits never
 * sleeps through a wake.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "msgq.h"
#include "sock.h"

static p2p_msg_t msg_of(uint8_t byte)
{
    p2p_msg_t m = {.data = malloc(1), .len = 1};
    cr_assert(m.data);
    m.data[0] = byte;
    return m;
}

Test(msgq, order_bound_and_timeout, .timeout = 10)
{
    msgq_t *q = msgq_new(2);
    cr_assert(q);
    for (uint8_t i = 1; i <= 2; i++) {
        p2p_msg_t m = msg_of(i);
        cr_assert_eq(msgq_push(q, &m, false), 0);
    }
    p2p_msg_t extra = msg_of(3);
    cr_assert_eq(msgq_push(q, &extra, false), ERR_FULL);
    cr_assert_eq(msgq_push(q, &extra, true), 0, "always goes past the bound");
    for (uint8_t i = 1; i <= 3; i++) {
        p2p_msg_t out;
        cr_assert_eq(msgq_pop(q, &out, 0), 0);
        cr_assert_eq(out.data[0], i);
        p2p_msg_clear(&out);
    }
    p2p_msg_t out;
    uint64_t t0 = sock_now_ms();
    cr_assert_eq(msgq_pop(q, &out, 50), ERR_TIMEOUT);
    cr_assert_geq(sock_now_ms() - t0, 45);
    msgq_free(&q);
    cr_assert_null(q);
}

static void *wake_later(void *arg)
{
    nanosleep(&(struct timespec){0, 50000000L}, NULL);
    msgq_wake(arg);
    return NULL;
}

Test(msgq, a_wake_ends_a_waiting_pop_and_is_not_lost, .timeout = 10)
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
    p2p_msg_t m = msg_of(9);
    cr_assert_eq(msgq_push(q, &m, false), 0);
    cr_assert_eq(msgq_pop(q, &out, 5000), 0);
    cr_assert_eq(out.data[0], 9);
    p2p_msg_clear(&out);
    msgq_free(&q);
}
