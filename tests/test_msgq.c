/*
 * Tests for net/msgq.c: first in, first out within a sender's lane; lanes
 * served round-robin; a push moves the message in and empties the
 * caller's copy; at most `max` wait (and lane_max of one sender) unless
 * pushed with `always`; a full queue makes room by evicting the newest
 * message of the longest lane, never from a lane no longer than the
 * pusher's; a pop waits up to its timeout and no longer, and is woken by
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

/* A message from sender whose data is one malloc'd byte, tagged. */
static p2p_msg_t msg_from(uint64_t sender, uint64_t tag)
{
    p2p_msg_t m;
    memset(&m, 0, sizeof m);
    m.peer_id = sender;
    m.tag = tag;
    m.data = malloc(1);
    cr_assert_not_null(m.data);
    m.data[0] = (uint8_t)tag;
    m.len = 1;
    return m;
}

static p2p_msg_t msg(uint64_t tag)
{
    return msg_from(0, tag);
}

/* Pops what q holds (at most max) into tags; returns how many. */
static size_t pop_all(msgq_t *q, uint64_t *tags, size_t max)
{
    size_t n = 0;
    p2p_msg_t m;
    while (n < max && msgq_pop(q, &m, 0) == 0) {
        tags[n++] = m.tag;
        p2p_msg_clear(&m);
    }
    return n;
}

Test(msgq, first_in_first_out_and_a_push_moves_the_message)
{
    msgq_t *q = msgq_new(8, 8);
    cr_assert_not_null(q);
    for (uint64_t t = 1; t <= 3; t++) {
        p2p_msg_t m = msg(t);
        cr_assert_eq(msgq_push(q, &m, false, NULL), 0);
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
    cr_assert_null(msgq_new(0, 0), "a queue of nothing");
}

Test(msgq, bounded_except_for_what_must_not_be_lost)
{
    msgq_t *q = msgq_new(2, 2);
    cr_assert_not_null(q);
    p2p_msg_t a = msg(1), b = msg(2), c = msg(3), d = msg(4);
    cr_assert_eq(msgq_push(q, &a, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &b, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &c, false, NULL), ERR_FULL);
    cr_assert_not_null(c.data, "a refused message stays the caller's");
    cr_assert_eq(msgq_push(q, &d, true, NULL), 0, "always goes past max");
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
    cr_assert_eq(msgq_push(q, &e, false, NULL), 0);
    msgq_free(&q);
}

Test(msgq, a_pop_waits_its_timeout_and_no_longer)
{
    msgq_t *q = msgq_new(4, 4);
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
    cr_assert_eq(msgq_push(arg, &m, false, NULL), 0);
    return NULL;
}

Test(msgq, a_waiting_pop_is_woken_by_a_push)
{
    msgq_t *q = msgq_new(4, 4);
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
    msgq_t *q = msgq_new(4, 4);
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
    cr_assert_eq(msgq_push(q, &m, false, NULL), 0);
    cr_assert_eq(msgq_pop(q, &out, 5000), 0);
    cr_assert_eq(out.data[0], 9);
    p2p_msg_clear(&out);
    msgq_free(&q);
}

Test(msgq, lanes_are_served_round_robin_each_in_order)
{
    msgq_t *q = msgq_new(100, 100);
    cr_assert_not_null(q);
    /* A has five waiting before B and C push anything. */
    for (uint64_t t = 1; t <= 5; t++) {
        p2p_msg_t m = msg_from(0xa, t);
        cr_assert_eq(msgq_push(q, &m, false, NULL), 0);
    }
    p2p_msg_t b1 = msg_from(0xb, 21), b2 = msg_from(0xb, 22),
              c1 = msg_from(0xc, 31);
    cr_assert_eq(msgq_push(q, &b1, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &b2, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &c1, false, NULL), 0);
    cr_assert_eq(msgq_count(q), 8);
    cr_assert_eq(msgq_lane_count(q, 0xa), 5);
    cr_assert_eq(msgq_lane_count(q, 0xb), 2);
    cr_assert_eq(msgq_lane_count(q, 0xd), 0);
    uint64_t got[8], want[8] = {1, 21, 31, 2, 22, 3, 4, 5};
    cr_assert_eq(pop_all(q, got, 8), 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(got[i], want[i], "pop %d: %llu, not %llu", i,
                     (unsigned long long)got[i], (unsigned long long)want[i]);
    cr_assert_eq(msgq_count(q), 0);
    msgq_free(&q);
}

Test(msgq, a_full_lane_refuses_its_sender_only)
{
    msgq_t *q = msgq_new(100, 3);
    cr_assert_not_null(q);
    for (uint64_t t = 1; t <= 3; t++) {
        p2p_msg_t m = msg_from(0xf, t);
        cr_assert_eq(msgq_push(q, &m, false, NULL), 0);
    }
    p2p_msg_t more = msg_from(0xf, 4), other = msg_from(0xa, 5);
    cr_assert_eq(msgq_push(q, &more, false, NULL), ERR_FULL);
    cr_assert_not_null(more.data, "a refused message stays the caller's");
    p2p_msg_clear(&more);
    cr_assert_eq(msgq_push(q, &other, false, NULL), 0);
    /* Its lane drains, and it is taken again. */
    uint64_t got[4];
    cr_assert_eq(pop_all(q, got, 4), 4);
    more = msg_from(0xf, 6);
    cr_assert_eq(msgq_push(q, &more, false, NULL), 0);
    msgq_free(&q);
}

Test(msgq, a_full_queue_evicts_the_newest_of_the_longest_lane)
{
    msgq_t *q = msgq_new(4, 4);
    cr_assert_not_null(q);
    for (uint64_t t = 1; t <= 4; t++) { /* the flooder fills it */
        p2p_msg_t m = msg_from(0xf, t);
        cr_assert_eq(msgq_push(q, &m, false, NULL), 0);
    }
    p2p_msg_t ev, b = msg_from(0xb, 11);
    cr_assert_eq(msgq_push(q, &b, false, &ev), 0, "the calm one gets in");
    cr_assert_not_null(ev.data, "by evicting one");
    cr_assert_eq(ev.peer_id, 0xf);
    cr_assert_eq(ev.tag, 4, "the flooder's newest");
    p2p_msg_clear(&ev);
    p2p_msg_t f = msg_from(0xf, 5);
    cr_assert_eq(msgq_push(q, &f, false, &ev), ERR_FULL,
                 "the longest lane cannot push another out");
    cr_assert_null(ev.data);
    p2p_msg_clear(&f);
    b = msg_from(0xb, 12);
    cr_assert_eq(msgq_push(q, &b, false, &ev), 0);
    cr_assert_eq(ev.tag, 3);
    p2p_msg_clear(&ev);
    /* Now two each: nobody is longer than the pusher would be. */
    b = msg_from(0xb, 13);
    cr_assert_eq(msgq_push(q, &b, false, &ev), ERR_FULL);
    cr_assert_null(ev.data);
    p2p_msg_clear(&b);
    uint64_t got[4], want[4] = {1, 11, 2, 12};
    cr_assert_eq(pop_all(q, got, 4), 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(got[i], want[i]);
    msgq_free(&q);
}

Test(msgq, a_message_pushed_always_is_neither_counted_nor_evicted)
{
    msgq_t *q = msgq_new(2, 2);
    cr_assert_not_null(q);
    p2p_msg_t a1 = msg_from(0xa, 1), a2 = msg_from(0xa, 2),
              r = msg_from(0xa, 3), a4 = msg_from(0xa, 4);
    cr_assert_eq(msgq_push(q, &a1, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &a2, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &r, true, NULL), 0, "an answer always fits");
    cr_assert_eq(msgq_push(q, &a4, false, NULL), ERR_FULL);
    p2p_msg_clear(&a4);
    cr_assert_eq(msgq_lane_count(q, 0xa), 3);
    /* The answer is the lane's newest, but not evictable: 2 goes. */
    p2p_msg_t ev, b = msg_from(0xb, 9);
    cr_assert_eq(msgq_push(q, &b, false, &ev), 0);
    cr_assert_eq(ev.tag, 2);
    p2p_msg_clear(&ev);
    uint64_t got[3], want[3] = {1, 9, 3};
    cr_assert_eq(pop_all(q, got, 3), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(got[i], want[i]);
    msgq_free(&q);
}

Test(msgq, an_evicted_message_is_freed_when_nobody_takes_it)
{
    msgq_t *q = msgq_new(2, 2);
    cr_assert_not_null(q);
    p2p_msg_t a1 = msg_from(0xa, 1), a2 = msg_from(0xa, 2),
              b = msg_from(0xb, 3);
    cr_assert_eq(msgq_push(q, &a1, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &a2, false, NULL), 0);
    cr_assert_eq(msgq_push(q, &b, false, NULL), 0);
    cr_assert_eq(msgq_lane_count(q, 0xa), 1, "2 was evicted (and freed)");
    cr_assert_eq(msgq_lane_count(q, 0xb), 1);
    msgq_free(&q); /* LeakSanitizer checks what is left is freed */
}
