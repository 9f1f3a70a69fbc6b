/*
 * Tests for net/peertab.c: peers added, found, updated in place (the same
 * key with new endpoints) and removed; announcements of ourselves ignored;
 * a full table refused; manual sticks; a new request endpoint clears the
 * unresponsive mark; scores ban a key at the threshold, for ban_ms,
 * whatever endpoints it comes back with, and never another key that
 * announces the banned one's endpoints; a fresh key on a banned key's host
 * starts with points; scores halve every SCORE_HALF_LIFE_MS (on a clock
 * the tests drive), so what an honest node sends under load never adds up
 * to a ban while a steady misbehaver is still banned;
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
#include "sock.h"

#include "tracker_rig.h"

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

Test(peertab, add_find_update_remove)
{
    wire_peer_t a = tr_peer(0xa, 2000), b = tr_peer(0xb, 3000);
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

    /* The same key with new endpoints (the node restarted elsewhere):
     * updated in place. Another key on a's endpoints is another peer. */
    wire_peer_t a_moved = tr_peer(0xa, 2600);
    cr_assert_eq(peertab_upsert(&tab, &a_moved, false), 0);
    cr_assert_eq(tab.n, 2, "updated in place, not added");
    cr_assert_str_eq(peertab_find(&tab, 0xa)->peer.gossip, a_moved.gossip);
    wire_peer_t a2 = a;
    a2.key[0] ^= 0x80;
    a2.id = wire_key_id(a2.key);
    cr_assert_eq(peertab_upsert(&tab, &a2, false), 0);
    cr_assert_eq(tab.n, 3);
    cr_assert_str_eq(peertab_find(&tab, 0xa)->peer.gossip, a_moved.gossip,
                     "a is still a");
    peertab_remove(&tab, 0xa);

    /* Manual sticks once set. */
    cr_assert_eq(peertab_upsert(&tab, &b, false), 0);
    cr_assert(peertab_find(&tab, 0xb)->manual);

    tab.dirty = false;
    peertab_remove(&tab, a2.id);
    cr_assert(tab.dirty);
    cr_assert_eq(tab.n, 1);
    cr_assert_null(peertab_find(&tab, a2.id));
    peertab_remove(&tab, 0x999); /* harmless */
    cr_assert_eq(tab.n, 1);
    peertab_clear(&tab);
    cr_assert_eq(tab.n, 0);
}

Test(peertab, ourselves_is_ignored)
{
    wire_peer_t me = tr_peer(0x5e1f, 4000);
    cr_assert(peertab_is_self(&tab, &me));
    cr_assert_eq(peertab_upsert(&tab, &me, false), 0);
    cr_assert_eq(tab.n, 0);
    wire_peer_t my_gossip = tr_peer(0x77, 4000);
    strcpy(my_gossip.gossip, SELF_GOSSIP);
    cr_assert(peertab_is_self(&tab, &my_gossip));
    cr_assert_eq(peertab_upsert(&tab, &my_gossip, false), 0);
    cr_assert_eq(tab.n, 0);
    wire_peer_t other = tr_peer(0x78, 4100);
    cr_assert_not(peertab_is_self(&tab, &other));
}

Test(peertab, a_full_table_refuses)
{
    for (int i = 0; i < PEERTAB_MAX_PEERS; i++) {
        wire_peer_t p = tr_peer((uint64_t)(i + 1), 10000 + 2 * i);
        cr_assert_eq(peertab_upsert(&tab, &p, false), 0);
    }
    wire_peer_t extra = tr_peer(0xffff, 60000);
    cr_assert_eq(peertab_upsert(&tab, &extra, false), ERR_FULL);
    cr_assert_eq(tab.n, PEERTAB_MAX_PEERS);
    /* An update of a known peer still goes through. */
    wire_peer_t again = tr_peer(1, 10000);
    strcpy(again.req, "tcp://127.0.0.1:9");
    cr_assert_eq(peertab_upsert(&tab, &again, false), 0);
    cr_assert_str_eq(peertab_find(&tab, 1)->peer.req, again.req);
}

Test(peertab, a_new_request_endpoint_forgets_unresponsive)
{
    wire_peer_t a = tr_peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    e->unresponsive = true;
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    cr_assert(peertab_find(&tab, 0xa)->unresponsive, "same endpoint: kept");
    strcpy(a.req, "tcp://127.0.0.1:2500");
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    cr_assert_not(peertab_find(&tab, 0xa)->unresponsive);
}

Test(peertab, the_threshold_bans_the_key_for_a_while)
{
    wire_peer_t a = tr_peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t now = 50000;
    cr_assert_not(peertab_score(&tab, e, 60, "first", now));
    cr_assert_eq(e->score, 60);
    cr_assert_not(peertab_banned(&tab, a.key, now));
    tab.dirty = false;
    cr_assert(peertab_score(&tab, e, 40, "second", now), "100 bans");
    cr_assert(tab.dirty);
    cr_assert_eq(e->score, 0, "starts again from 0");
    cr_assert(peertab_banned(&tab, a.key, now));
    cr_assert(peertab_score(&tab, e, 1, "while banned", now));
    cr_assert_eq(e->score, 0, "a banned peer gains no points");

    /* With new endpoints, still banned: bans are by key. */
    wire_peer_t moved = tr_peer(0xa, 4000);
    cr_assert_eq(peertab_upsert(&tab, &moved, false), 0);
    cr_assert(peertab_banned(&tab, moved.key, now + 999));
    /* Another key announcing its endpoints is not banned: an endpoint is
     * no one's to lose. */
    wire_peer_t other = tr_peer(0xb, 2000);
    cr_assert_not(peertab_banned(&tab, other.key, now + 999));

    /* It ends after ban_ms and is forgotten. */
    cr_assert_not(peertab_banned(&tab, a.key, now + 1000));
    cr_assert_eq(tab.n_bans, 0);
}

Test(peertab, bans_are_bounded_and_the_first_to_end_makes_room)
{
    uint64_t now = 1000;
    uint8_t first[WIRE_KEY_SIZE];
    for (int i = 0; i < PEERTAB_MAX_BANS + 1; i++) {
        wire_peer_t p = tr_peer((uint64_t)(i + 1), 20000 + 2 * i);
        cr_assert_eq(peertab_upsert(&tab, &p, false), 0);
        if (i == 0)
            memcpy(first, p.key, sizeof first);
        /* Later bans end later. */
        cr_assert(peertab_score(&tab, peertab_find(&tab, p.id), 100, "bad",
                                now + (uint64_t)i));
    }
    cr_assert_eq(tab.n_bans, PEERTAB_MAX_BANS);
    cr_assert_not(peertab_banned(&tab, first, now + 100),
                  "the ban that ended first was replaced");
    wire_peer_t last =
        tr_peer(PEERTAB_MAX_BANS + 1, 20000 + 2 * PEERTAB_MAX_BANS);
    cr_assert(peertab_banned(&tab, last.key, now + 100));
}

/* Keys are free: a fresh key on the host of banned keys starts with
 * points (bounded by half the threshold), elsewhere with none. */
Test(peertab, fresh_keys_on_a_banned_host_start_with_points)
{
    wire_peer_t bad = tr_peer(0xbad, 2000);
    cr_assert_eq(peertab_upsert(&tab, &bad, false), 0);
    cr_assert(peertab_score(&tab, peertab_find(&tab, 0xbad), 100, "bad",
                            sock_now_ms()));
    wire_peer_t fresh = tr_peer(0xf1, 2100);
    cr_assert_eq(peertab_upsert(&tab, &fresh, false), 0);
    cr_assert_eq(peertab_find(&tab, 0xf1)->score, PEERTAB_HOST_POINTS);
    wire_peer_t elsewhere = tr_peer(0xf2, 2200);
    strcpy(elsewhere.gossip, "tcp://10.0.0.7:2201");
    cr_assert_eq(peertab_upsert(&tab, &elsewhere, false), 0);
    cr_assert_eq(peertab_find(&tab, 0xf2)->score, 0);
    for (uint64_t i = 0; i < 20; i++) {
        wire_peer_t p = tr_peer(0x100 + i, 3000 + 2 * (int)i);
        cr_assert_eq(peertab_upsert(&tab, &p, false), 0);
        peertab_score(&tab, peertab_find(&tab, p.id), 100, "bad",
                      sock_now_ms());
    }
    wire_peer_t late = tr_peer(0xf3, 2300);
    cr_assert_eq(peertab_upsert(&tab, &late, false), 0);
    cr_assert_eq(peertab_find(&tab, 0xf3)->score, 50, "at most half");
}

Test(peertab, a_score_halves_every_half_life)
{
    wire_peer_t a = tr_peer(0xa, 2000);
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
    wire_peer_t a = tr_peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t t0 = 1000000;
    cr_assert_not(peertab_score(&tab, e, 60, "x", t0));
    /* 60 and 60 would ban; 30 left and 60 does not. */
    uint64_t t1 = t0 + SCORE_HALF_LIFE_MS;
    cr_assert_not(peertab_score(&tab, e, 60, "y", t1));
    cr_assert_eq(peertab_score_at(e, t1), 90);
    cr_assert(peertab_score(&tab, e, 10, "z", t1), "at once, 100 bans");
    cr_assert(peertab_banned(&tab, a.key, t1));
}

Test(peertab, stale_forks_at_an_honest_rate_never_ban)
{
    /* A loaded honest node: a stale fork every 5 s for an hour, far more
     * than a demo network sees, settles near 35 points. */
    wire_peer_t a = tr_peer(0xa, 2000);
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
    wire_peer_t a = tr_peer(0xa, 2000);
    cr_assert_eq(peertab_upsert(&tab, &a, false), 0);
    peertab_entry_t *e = peertab_find(&tab, 0xa);
    uint64_t t = 1000000;
    int sent = 0;
    while (sent < 6 && !peertab_score(&tab, e, SCORE_BAD_BLOCK, "bad", t)) {
        sent++;
        t += 10000;
    }
    cr_assert_lt(sent, 6, "not banned after %d invalid blocks", sent);
    cr_assert(peertab_banned(&tab, a.key, t));
}
