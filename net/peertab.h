/*
 * peertab — the peers a p2p_t knows and the endpoints it has banned.
 *
 * One entry per peer key (its id is the key's, wire_key_id()), at most
 * PEERTAB_MAX_PEERS: the peer as announced (key, request and gossip
 * endpoints), its misbehaviour score (which decays: score.h), what its
 * frames have cost, whether it answers requests, and a cached request
 * client. A peer is its key: the p2p layer reaches its endpoints only with
 * that key (CURVE), so nothing another key announces can speak for it.
 *
 * Bans are kept by key, never by endpoint, which anyone may claim: a key
 * banned stays banned whatever endpoints it announces, and an impostor
 * announcing an honest node's endpoints gets the honest node nothing but
 * an unanswered handshake. At most PEERTAB_MAX_BANS are kept (a new one
 * replaces the one that ends first), each forgotten when it ends. Since
 * keys cost nothing to make, each ban also marks the host of the banned
 * key's gossip endpoint for the ban's length: a key first seen on a host
 * with marks starts with PEERTAB_HOST_POINTS points per mark (at most half
 * the threshold), so a flood of fresh keys from one address is banned
 * sooner, while an honest newcomer there still needs to misbehave to be
 * banned at all.
 *
 * Announcements of ourselves (our key, or our own gossip endpoint under
 * another key) are ignored.
 *
 * `dirty` is set whenever the set of peers or bans changes, for the owner
 * to bring its subscriptions in line (p2p_io.c's I/O thread clears it).
 *
 * Thread safety: none; p2p.c and p2p_io.c call every function with p2p's
 * lock held.
 */
#ifndef PICKAXE_PEERTAB_H
#define PICKAXE_PEERTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reqclient.h"
#include "wire.h"

#define PEERTAB_MAX_PEERS WIRE_MAX_PEERS
#define PEERTAB_MAX_BANS 64
#define PEERTAB_HOST_POINTS 10

typedef struct {
    wire_peer_t peer;
    int score; /* as of score_ms; peertab_score_at() decays it */
    uint64_t score_ms;
    reqclient_t *rc; /* cached request client (owned); NULL while checked
                        out by a request */
    bool manual;     /* added by hand: the tracker cannot drop it */
    bool connected;  /* the owner has a SUB socket on its gossip */
    uint64_t messages, bad_messages, dropped;
    size_t inbox_bytes;      /* of its frames waiting in the owner's inbox */
    bool unresponsive;       /* its last request timed out */
    unsigned fails;          /* requests unanswered in a row */
    uint64_t retry_ms;       /* backed off until then (p2p.h); 0: not */
    uint64_t last_answer_ms; /* when it last answered one; 0: never */
    uint16_t other_version;  /* the last other wire version it was seen to
                                speak (logged once per change); 0: none */
} peertab_entry_t;

typedef struct {
    uint8_t key[WIRE_KEY_SIZE];
    char host[WIRE_MAX_STR + 1]; /* of its gossip endpoint, when banned */
    uint64_t until_ms;
} peertab_ban_t;

typedef struct {
    uint64_t self_id;
    char self_gossip[WIRE_MAX_STR + 1];
    int ban_threshold; /* score at which a peer is banned, > 0 */
    uint32_t ban_ms;   /* how long a ban lasts */
    peertab_entry_t peers[PEERTAB_MAX_PEERS];
    size_t n;
    peertab_ban_t bans[PEERTAB_MAX_BANS];
    size_t n_bans;
    bool dirty;
} peertab_t;

/* Empties t and sets who we are and how bans work. self_gossip is copied
 * (truncated to WIRE_MAX_STR). */
void peertab_init(peertab_t *t, uint64_t self_id, const char *self_gossip,
                  int ban_threshold, uint32_t ban_ms);

/* Forgets every peer (freeing their cached clients); bans stay. */
void peertab_clear(peertab_t *t);

/* The entry of a peer id, or NULL (borrowed; valid until the table next
 * changes). */
peertab_entry_t *peertab_find(peertab_t *t, uint64_t id);

/* True when the announcement is of ourselves. */
bool peertab_is_self(const peertab_t *t, const wire_peer_t *peer);

/*
 * Adds a peer or updates the entry of the same key; a new request endpoint
 * drops the cached client and the unresponsive mark. A new key starts
 * with the points its host's marks give it (see above).
 * Returns: 0 (also when the peer is ourselves: ignored); ERR_FULL when the
 *          table holds PEERTAB_MAX_PEERS.
 * In:      manual   added by hand (sticks once set).
 */
int peertab_upsert(peertab_t *t, const wire_peer_t *peer, bool manual);

/* Removes a peer (harmless when unknown). */
void peertab_remove(peertab_t *t, uint64_t id);

/* True when the key is banned at now_ms. Bans that have ended are
 * forgotten here. */
bool peertab_banned(peertab_t *t, const uint8_t key[WIRE_KEY_SIZE],
                    uint64_t now_ms);

/* A peer's score at now_ms: its points, halved every SCORE_HALF_LIFE_MS
 * (score.h) since they were last added to, rounded to the nearest. */
int peertab_score_at(const peertab_entry_t *e, uint64_t now_ms);

/*
 * Adds points to a peer's score, decayed to now_ms first; at the threshold
 * its key is banned for ban_ms and its score starts again from 0.
 * Returns: true when the peer is banned (now or already: a banned peer
 *          gains no points).
 * In:      why   for the log (borrowed; may be NULL).
 */
bool peertab_score(peertab_t *t, peertab_entry_t *e, int points,
                   const char *why, uint64_t now_ms);

#endif
