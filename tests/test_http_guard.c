/*
 * Tests for wallet-web/http_guard.c: a connection's request deadline is
 * counted from its start and its answer's from the request, an answered
 * connection starts again; an address past its limit gives up its own
 * oldest waiting connection and no one else's; full slots give up the
 * oldest waiting connection of any address, waiting ones before answering
 * ones; closing connections no longer count; IPv6 addresses count by /64;
 * a full table and an unknown family are refused.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "http_guard.h"

static struct sockaddr_storage addr_store[8];
static unsigned addr_next;

/* A client address, IPv4 or IPv6 by its text. */
static const struct sockaddr *ip(const char *text)
{
    struct sockaddr_storage *s = &addr_store[addr_next++ % 8];
    memset(s, 0, sizeof *s);
    struct sockaddr_in *v4 = (struct sockaddr_in *)s;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)s;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else {
        cr_assert_eq(inet_pton(AF_INET6, text, &v6->sin6_addr), 1);
        v6->sin6_family = AF_INET6;
    }
    return (const struct sockaddr *)s;
}

static http_guard_t *guard(unsigned slots, unsigned per_address,
                           unsigned capacity)
{
    http_guard_limits_t l = {slots, per_address, 1000, 5000};
    http_guard_t *g = http_guard_new(&l, capacity);
    cr_assert(g);
    return g;
}

/* Opens connection fd from text at now; returns its id and the evicted
 * fd in *evict. */
static unsigned open_at(http_guard_t *g, int *evict, const char *text, int fd,
                        uint64_t now)
{
    unsigned id;
    cr_assert_eq(http_guard_open(g, &id, evict, ip(text), fd, now), 0);
    return id;
}

Test(http_guard, limits)
{
    http_guard_limits_t l;
    http_guard_limits_default(&l);
    cr_assert(http_guard_limits_ok(&l));
    cr_assert_eq(l.slots, HTTP_GUARD_SLOTS);
    cr_assert_lt(l.per_address, l.slots);
    http_guard_limits_t bad = l;
    bad.per_address = bad.slots; /* one address could take every slot */
    cr_assert(!http_guard_limits_ok(&bad));
    bad = l;
    bad.request_ms = 0;
    cr_assert(!http_guard_limits_ok(&bad));
    cr_assert_null(http_guard_new(&bad, 2000));
    cr_assert_null(http_guard_new(&l, l.slots - 1), "room below the slots");
}

Test(http_guard, the_request_deadline_counts_from_the_start)
{
    http_guard_t *g = guard(8, 4, 8);
    int evict, fds[8];
    unsigned a = open_at(g, &evict, "127.0.0.1", 10, 1000);
    open_at(g, &evict, "127.0.0.1", 11, 1500);
    cr_assert_eq(http_guard_expired(g, fds, 8, 1999), 0);
    cr_assert_eq(http_guard_expired(g, fds, 8, 2000), 1);
    cr_assert_eq(fds[0], 10);
    /* Reported once: it is closing now, and no longer counts. */
    cr_assert_eq(http_guard_expired(g, fds, 8, 2400), 0);
    cr_assert_eq(http_guard_count(g, NULL), 1);
    cr_assert_eq(http_guard_expired(g, fds, 8, 2500), 1);
    cr_assert_eq(fds[0], 11);
    /* Moving a closing connection does not bring it back. */
    http_guard_answering(g, a, 2600);
    cr_assert_eq(http_guard_count(g, NULL), 0);
    http_guard_free(&g);
    cr_assert_null(g);
    http_guard_free(&g);
}

Test(http_guard, an_answer_has_its_own_deadline_then_the_next_request)
{
    http_guard_t *g = guard(8, 4, 8);
    int evict, fds[8];
    unsigned a = open_at(g, &evict, "127.0.0.1", 10, 0);
    http_guard_answering(g, a, 900);
    /* Past the request deadline, within the answer's. */
    cr_assert_eq(http_guard_expired(g, fds, 8, 5899), 0);
    http_guard_answered(g, a, 5000);
    cr_assert_eq(http_guard_expired(g, fds, 8, 5999), 0);
    cr_assert_eq(http_guard_expired(g, fds, 8, 6000), 1);
    cr_assert_eq(fds[0], 10);

    unsigned b = open_at(g, &evict, "127.0.0.1", 11, 10000);
    http_guard_answering(g, b, 10000);
    cr_assert_eq(http_guard_expired(g, fds, 8, 14999), 0);
    cr_assert_eq(http_guard_expired(g, fds, 8, 15000), 1);
    cr_assert_eq(fds[0], 11);
    /* An earlier time (a caller's bug) expires nothing. */
    open_at(g, &evict, "127.0.0.1", 12, 20000);
    cr_assert_eq(http_guard_expired(g, fds, 8, 100), 0);
    http_guard_free(&g);
}

Test(http_guard, an_address_past_its_limit_gives_up_its_own_oldest)
{
    http_guard_t *g = guard(8, 3, 12);
    int evict;
    open_at(g, &evict, "10.0.0.9", 99, 0); /* older than all */
    unsigned a = open_at(g, &evict, "10.0.0.1", 1, 10);
    open_at(g, &evict, "10.0.0.1", 2, 20);
    open_at(g, &evict, "10.0.0.1", 3, 30);
    cr_assert_eq(evict, -1);
    cr_assert_eq(http_guard_count(g, ip("10.0.0.1")), 3);
    /* The first one's request is whole: the next oldest waiting one goes. */
    http_guard_answering(g, a, 35);
    unsigned d = open_at(g, &evict, "10.0.0.1", 4, 40);
    cr_assert_eq(evict, 2);
    unsigned e = open_at(g, &evict, "10.0.0.1", 5, 50);
    cr_assert_eq(evict, 3);
    cr_assert_eq(http_guard_count(g, ip("10.0.0.1")), 3);
    cr_assert_eq(http_guard_count(g, ip("10.0.0.9")), 1, "never another's");
    /* With none waiting, the oldest answering one. */
    http_guard_answering(g, d, 60);
    http_guard_answering(g, e, 61);
    open_at(g, &evict, "10.0.0.1", 6, 70);
    cr_assert_eq(evict, 1);
    http_guard_free(&g);
}

Test(http_guard, full_slots_give_up_the_oldest_waiting_of_any_address)
{
    http_guard_t *g = guard(4, 2, 8);
    int evict;
    unsigned a = open_at(g, &evict, "10.0.0.1", 1, 10);
    open_at(g, &evict, "10.0.0.2", 2, 20);
    open_at(g, &evict, "10.0.0.3", 3, 30);
    open_at(g, &evict, "10.0.0.3", 4, 40);
    cr_assert_eq(evict, -1);
    http_guard_answering(g, a, 50);
    open_at(g, &evict, "10.0.0.4", 5, 60);
    cr_assert_eq(evict, 2, "the oldest waiting, not the older answering");
    cr_assert_eq(http_guard_count(g, NULL), 4);
    /* The address at its limit gives up its own even when slots are full. */
    open_at(g, &evict, "10.0.0.3", 6, 70);
    cr_assert_eq(evict, 3);
    http_guard_free(&g);
}

Test(http_guard, closed_entries_are_free_and_the_table_can_fill)
{
    http_guard_t *g = guard(2, 1, 2);
    int evict;
    unsigned a = open_at(g, &evict, "10.0.0.1", 1, 0);
    open_at(g, &evict, "10.0.0.2", 2, 0);
    /* No free entry until the server reports one closed: refused, and
     * nothing is evicted for it. */
    unsigned id;
    cr_assert_eq(http_guard_open(g, &id, &evict, ip("10.0.0.1"), 3, 1),
                 ERR_FULL);
    cr_assert_eq(evict, -1);
    http_guard_closed(g, a);
    cr_assert_eq(http_guard_open(g, &id, &evict, ip("10.0.0.1"), 3, 1), 0);
    cr_assert_eq(evict, -1);
    cr_assert_eq(http_guard_count(g, NULL), 2);
    http_guard_free(&g);
}

Test(http_guard, ipv6_counts_by_prefix_and_other_families_are_refused)
{
    http_guard_t *g = guard(8, 2, 8);
    int evict;
    open_at(g, &evict, "2001:db8:1:2::1", 1, 0);
    open_at(g, &evict, "2001:db8:1:2::ffff", 2, 1);
    open_at(g, &evict, "2001:db8:1:3::1", 3, 2);
    cr_assert_eq(evict, -1);
    open_at(g, &evict, "2001:db8:1:2:aaaa::1", 4, 3);
    cr_assert_eq(evict, 1, "one /64, one address");
    cr_assert_eq(http_guard_count(g, ip("2001:db8:1:2::7")), 2);
    cr_assert_eq(http_guard_count(g, ip("2001:db8:1:3::7")), 1);
    /* An IPv4 address is not the IPv6 address with the same bytes. */
    cr_assert_eq(http_guard_count(g, ip("32.1.13.184")), 0);

    struct sockaddr_un un = {.sun_family = AF_UNIX};
    unsigned id;
    cr_assert_eq(
        http_guard_open(g, &id, &evict, (const struct sockaddr *)&un, 5, 4),
        ERR_ARG);
    cr_assert_eq(http_guard_count(g, NULL), 3);
    http_guard_free(&g);
}
