/*
 * peertab — the peer map and the bans (see peertab.h).
 */
#include "peertab.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "score.h"
#include "sock.h"

void peertab_init(peertab_t *t, uint64_t self_id, const char *self_gossip,
                  int ban_threshold, uint32_t ban_ms)
{
    memset(t, 0, sizeof *t);
    t->self_id = self_id;
    snprintf(t->self_gossip, sizeof t->self_gossip, "%s", self_gossip);
    t->ban_threshold = ban_threshold;
    t->ban_ms = ban_ms;
}

void peertab_clear(peertab_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        reqclient_free(&t->peers[i].rc);
    t->n = 0;
    t->dirty = true;
}

peertab_entry_t *peertab_find(peertab_t *t, uint64_t id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->peers[i].peer.id == id)
            return &t->peers[i];
    return NULL;
}

bool peertab_is_self(const peertab_t *t, const wire_peer_t *peer)
{
    return peer->id == t->self_id || strcmp(peer->gossip, t->self_gossip) == 0;
}

/* The host part of an endpoint ("tcp://HOST:PORT"), into out. */
static void host_of(char *out, size_t out_len, const char *endpoint)
{
    const char *h = strstr(endpoint, "://");
    h = h ? h + 3 : endpoint;
    const char *colon = strrchr(h, ':');
    size_t n = colon ? (size_t)(colon - h) : strlen(h);
    snprintf(out, out_len, "%.*s", (int)n, h);
}

/* Points a fresh key on this host starts with (see peertab.h). */
static int host_points(peertab_t *t, const char *gossip, uint64_t now_ms)
{
    char host[WIRE_MAX_STR + 1];
    host_of(host, sizeof host, gossip);
    int points = 0;
    for (size_t i = 0; i < t->n_bans; i++)
        if (t->bans[i].until_ms > now_ms && strcmp(t->bans[i].host, host) == 0)
            points += PEERTAB_HOST_POINTS;
    return points < t->ban_threshold / 2 ? points : t->ban_threshold / 2;
}

int peertab_upsert(peertab_t *t, const wire_peer_t *peer, bool manual)
{
    if (peertab_is_self(t, peer))
        return 0;
    peertab_entry_t *e = peertab_find(t, peer->id);
    if (e && memcmp(e->peer.key, peer->key, WIRE_KEY_SIZE) != 0)
        return 0; /* another key with the same id: not this peer */
    if (e) {
        if (strcmp(e->peer.req, peer->req) != 0) {
            reqclient_free(&e->rc);
            e->unresponsive = false; /* a new endpoint: not asked yet */
            e->fails = 0;
            e->retry_ms = 0;
        }
        e->peer = *peer;
        e->manual = e->manual || manual;
    } else {
        if (t->n >= PEERTAB_MAX_PEERS)
            return ERR_FULL;
        e = &t->peers[t->n++];
        memset(e, 0, sizeof *e);
        e->peer = *peer;
        e->manual = manual;
        e->score_ms = sock_now_ms();
        e->score = host_points(t, peer->gossip, e->score_ms);
        log_info("p2p", "peer %016llx: gossip %s, requests %s",
                 (unsigned long long)peer->id, peer->gossip, peer->req);
    }
    t->dirty = true;
    return 0;
}

void peertab_remove(peertab_t *t, uint64_t id)
{
    peertab_entry_t *e = peertab_find(t, id);
    if (!e)
        return;
    log_info("p2p", "peer %016llx gone", (unsigned long long)id);
    reqclient_free(&e->rc);
    *e = t->peers[--t->n];
    t->dirty = true;
}

bool peertab_banned(peertab_t *t, const uint8_t key[WIRE_KEY_SIZE],
                    uint64_t now_ms)
{
    for (size_t i = 0; i < t->n_bans;) {
        if (t->bans[i].until_ms <= now_ms) {
            t->bans[i] = t->bans[--t->n_bans];
            continue;
        }
        if (memcmp(t->bans[i].key, key, WIRE_KEY_SIZE) == 0)
            return true;
        i++;
    }
    return false;
}

static void ban(peertab_t *t, const wire_peer_t *peer, uint64_t until)
{
    for (size_t i = 0; i < t->n_bans; i++)
        if (memcmp(t->bans[i].key, peer->key, WIRE_KEY_SIZE) == 0) {
            t->bans[i].until_ms = until;
            return;
        }
    size_t slot = t->n_bans;
    if (slot < PEERTAB_MAX_BANS) {
        t->n_bans++;
    } else {
        /* Full: replace the ban that ends first. */
        slot = 0;
        for (size_t i = 1; i < PEERTAB_MAX_BANS; i++)
            if (t->bans[i].until_ms < t->bans[slot].until_ms)
                slot = i;
    }
    memcpy(t->bans[slot].key, peer->key, WIRE_KEY_SIZE);
    host_of(t->bans[slot].host, sizeof t->bans[slot].host, peer->gossip);
    t->bans[slot].until_ms = until;
}

int peertab_score_at(const peertab_entry_t *e, uint64_t now_ms)
{
    if (e->score == 0 || now_ms <= e->score_ms)
        return e->score;
    double halvings = (double)(now_ms - e->score_ms) / SCORE_HALF_LIFE_MS;
    return (int)lround(e->score * exp2(-halvings));
}

bool peertab_score(peertab_t *t, peertab_entry_t *e, int points,
                   const char *why, uint64_t now_ms)
{
    if (peertab_banned(t, e->peer.key, now_ms))
        return true;
    e->score = peertab_score_at(e, now_ms) + points;
    e->score_ms = now_ms;
    log_warn("p2p", "peer %016llx misbehaves (+%d = %d): %s",
             (unsigned long long)e->peer.id, points, e->score,
             why ? why : "unspecified");
    if (e->score < t->ban_threshold)
        return false;
    log_warn("p2p", "peer %016llx banned for %u ms",
             (unsigned long long)e->peer.id, t->ban_ms);
    ban(t, &e->peer, now_ms + t->ban_ms);
    e->score = 0;
    t->dirty = true;
    return true;
}
