/*
 * Tests for net/peertab.c: peers added, found, updated in place (the same
 * gossip endpoint under a new id is the same node restarted) and removed;
 * announcements of ourselves ignored; a full table refused; manual sticks;
 * a new request endpoint clears the unresponsive mark; scores ban an
 * endpoint at the threshold, for ban_ms, whatever id it comes back under;
 * scores halve every SCORE_HALF_LIFE_MS (on a clock the tests drive), so
 * what an honest node sends under load never adds up to a ban while a
 * steady misbehaver is still banned;
 * bans forgotten when they end and bounded in number; `dirty` set by every
 * change.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "peertab.h"
#include "score.h"

#define SELF_GOSSIP "tcp://127.0.0.1:1001"

static peertab_t tab;

static void setup(void)
{
    log_set_level(LOG_ERROR);
    peertab_init(&tab, 0x5e1f, SELF_GOSSIP, 100, 1000);
}

static void teardown(void)
{
    peertab_clear(&tab);
}

TestSuite(peertab, .init = setup, .fini = teardown);

static wire_peer_t peer(uint64_t id, int port)
{
    wire_peer_t p;
    memset(&p, 0, sizeof p);
    p.id = id;
    snprintf(p.req, sizeof p.req, "tcp://127.0.0.1:%d", port);
    snprintf(p.gossip, sizeof p.gossip, "tcp://127.0.0.1:%d", port + 1);
    return p;
}

Test(peertab, add_find_update_remove)
{
    wire_peer_t a = peer(0xa, 2000), b = peer(0xb, 3000);
    tab.dirty = false;
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    cr_assert(tab.dirty);
    cr_assert_eq(peertab_upsert(&tab, &b, true), 0);
    cr_assert_eq(tab.n, 2);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->peer.gossip, a.gossip);
    cr_assert_not(e->manual);
    cr_assert(peertab_find(&tab, 0xb)->manual);
    cr_assert_null(peertab_find(&tab, 0xc));

    /* The same gossip endpoint under a new id: the node restarted. */
    wire_peer_t a2 = a;
    a2.id = 0xa2;
    cr_assert_eq(peertab_upsert(&tab, &a2, false), 0);
    cr_assert_eq(tab.n, 2, "updated in place, not added");
    cr_assert_null(peertab_find(&tab, 0xa));
    cr_assert_not_null(peertab_find(&tab, 0xa2));

    /* Manual sticks once set. */
    cr_assert_eq(peertab_upsert(&tab, &b, false), 0);
    cr_assert(peertab_find(&tab, 0xb)->manual);

    tab.dirty = false;
    peertab_remove(&tab, 0xa2);
    cr_assert(tab.dirty);
    cr_assert_eq(tab.n, 1);
    cr_assert_null(peertab_find(&tab, 0xa2));
    peertab_remove(&tab, 0x999); /* harmless */
    cr_assert_eq(tab.n, 1);
    peertab_clear(&tab);
    cr_assert_eq(tab.n, 0);
}

Test(peertab, ourselves_is_ignored)
{
    wire_peer_t me = peer(0x5e1f, 4000);
    cr_assert(peertab_is_self(&tab, &me));
    cr_assert_eq(peertab_upsert(&tab, &me, false), 0);
    cr_assert_eq(tab.n, 0);
    wire_peer_t my_gossip = peer(0x77, 4000);
    strcpy(my_gossip.gossip, SELF_GOSSIP);
    cr_assert(peertab_is_self(&tab, &my_gossip));
    cr_assert_eq(peertab_upsert(&tab, &my_gossip, false), 0);
    cr_assert_eq(tab.n, 0);
    wire_peer_t other = peer(0x78, 4100);
    cr_assert_not(peertab_is_self(&tab, &other));
}

Test(peertab, a_full_table_refuses)
{
    for (int i = 0; i < PEERTAB_MAX_PEERS; i++) {
        wire_peer_t p = peer((uint64_t)(i + 1), 10000 + 2 * i);
        cr_assert_eq(peertab_upsert(&tab, &p, false), 0);
    }
    wire_peer_t extra = peer(0xffff, 60000);
    cr_assert_eq(peertab_upsert(&tab, &extra, false), ERR_FULL);
    cr_assert_eq(tab.n, PEERTAB_MAX_PEERS);
    /* An update of a known peer still goes through. */
    wire_peer_t again = peer(1, 10000);
    strcpy(again.req, "tcp://127.0.0.1:9");
    cr_assert_eq(peertab_upsert(&tab, &again, false), 0);
    cr_assert_str_eq(peertab_find(&tab, 1)->peer.req, again.req);
}

Test(peertab, a_new_request_endpoint_forgets_unresponsive)
{
    wire_peer_t a = peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    e->unresponsive = true;
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    cr_assert(peertab_find(&tab, 0xa)->unresponsive, "same endpoint: kept");
    strcpy(a.req, "tcp://127.0.0.1:2500");
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    cr_assert_not(peertab_find(&tab, 0xa)->unresponsive);
}

Test(peertab, the_threshold_bans_the_endpoint_for_a_while)
{
    wire_peer_t a = peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t now = 50000;
    cr_assert_not(peertab_score(&tab, e, 60, "first", now));
    cr_assert_eq(e->score, 60);
    cr_assert_not(peertab_banned(&tab, a.gossip, now));
    tab.dirty = false;
    cr_assert(peertab_score(&tab, e, 40, "second", now), "100 bans");
    cr_assert(tab.dirty);
    cr_assert_eq(e->score, 0, "starts again from 0");
    cr_assert(peertab_banned(&tab, a.gossip, now));
    cr_assert(peertab_score(&tab, e, 1, "while banned", now));
    cr_assert_eq(e->score, 0, "a banned peer gains no points");

    /* Under a new id, still banned: bans are by endpoint. */
    wire_peer_t a2 = a;
    a2.id = 0xa2;
    cr_assert_eq(peertab_upsert(&tab, &a2, false), 0);
    cr_assert(peertab_banned(&tab, a2.gossip, now + 999));

    /* It ends after ban_ms and is forgotten. */
    cr_assert_not(peertab_banned(&tab, a.gossip, now + 1000));
    cr_assert_eq(tab.n_bans, 0);
}

Test(peertab, bans_are_bounded_and_the_first_to_end_makes_room)
{
    uint64_t now = 1000;
    char first[WIRE_MAX_STR + 1] = "";
    for (int i = 0; i < PEERTAB_MAX_BANS + 1; i++) {
        wire_peer_t p = peer((uint64_t)(i + 1), 20000 + 2 * i);
        cr_assert_eq(peertab_upsert(&tab, &p, false), 0);
        if (i == 0)
            strcpy(first, p.gossip);
        /* Later bans end later. */
        cr_assert(peertab_score(&tab, peertab_find(&tab, p.id), 100, "bad",
                                now + (uint64_t)i));
    }
    cr_assert_eq(tab.n_bans, PEERTAB_MAX_BANS);
    cr_assert_not(peertab_banned(&tab, first, now + 100),
                  "the ban that ended first was replaced");
    wire_peer_t last = peer(PEERTAB_MAX_BANS + 1, 20000 + 2 * PEERTAB_MAX_BANS);
    cr_assert(peertab_banned(&tab, last.gossip, now + 100));
}

Test(peertab, a_score_halves_every_half_life)
{
    wire_peer_t a = peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t t0 = 1000000;
    cr_assert_not(peertab_score(&tab, e, 80, "x", t0));
    cr_assert_eq(peertab_score_at(e, t0), 80);
    cr_assert_eq(peertab_score_at(e, t0 - 5), 80, "the clock went back");
    cr_assert_eq(peertab_score_at(e, t0 + SCORE_HALF_LIFE_MS / 2), 57,
                 "80 / sqrt(2), rounded");
    cr_assert_eq(peertab_score_at(e, t0 + SCORE_HALF_LIFE_MS), 40);
    cr_assert_eq(peertab_score_at(e, t0 + 2 * SCORE_HALF_LIFE_MS), 20);
    cr_assert_eq(peertab_score_at(e, t0 + 20 * SCORE_HALF_LIFE_MS), 0,
                 "forgotten in the end");
}

Test(peertab, points_add_to_what_is_left_of_the_score)
{
    wire_peer_t a = peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t t0 = 1000000;
    cr_assert_not(peertab_score(&tab, e, 60, "x", t0));
    /* 60 and 60 would ban; 30 left and 60 does not. */
    uint64_t t1 = t0 + SCORE_HALF_LIFE_MS;
    cr_assert_not(peertab_score(&tab, e, 60, "y", t1));
    cr_assert_eq(peertab_score_at(e, t1), 90);
    cr_assert(peertab_score(&tab, e, 10, "z", t1), "at once, 100 bans");
    cr_assert(peertab_banned(&tab, a.gossip, t1));
}

Test(peertab, stale_forks_at_an_honest_rate_never_ban)
{
    /* A loaded honest node: a stale fork every 5 s for an hour, far more
     * than a demo network sees, settles near 35 points. */
    wire_peer_t a = peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t t = 1000000;
    int most = 0;
    for (int i = 0; i < 720; i++, t += 5000) {
        cr_assert_not(peertab_score(&tab, e, SCORE_STALE_FORK, "stale", t),
                      "banned after %d stale forks", i + 1);
        if (peertab_score_at(e, t) > most)
            most = peertab_score_at(e, t);
    }
    cr_assert_lt(most, SCORE_BAN_THRESHOLD / 2, "settled at %d", most);
}

Test(peertab, a_steady_misbehaver_is_still_banned)
{
    /* An invalid block every 10 s: banned within a minute. */
    wire_peer_t a = peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t t = 1000000;
    int sent = 0;
    while (sent < 6 && !peertab_score(&tab, e, SCORE_BAD_BLOCK, "bad", t)) {
        sent++;
        t += 10000;
    }
    cr_assert_lt(sent, 6, "not banned after %d invalid blocks", sent);
    cr_assert(peertab_banned(&tab, a.gossip, t));
}
