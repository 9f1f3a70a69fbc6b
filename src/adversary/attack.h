/*
 * attack — the adversary's catalogue: one builder per kind of invalid block,
 * transaction or message, and the reason an honest node must refuse it with.
 *
 * A builder reads the honest chain as the adversary follows it (a chain_t
 * kept in step with honest peers, so tips, heights, difficulty, median time
 * and account states are the network's) and writes the bytes to send: blobs
 * for NEW_BLOCK / NEW_TX gossip, whole frames for gossip that is not even a
 * message or that a blob cannot say (NEW_TXS batches whose items lie about
 * their txids, do not parse, or mix a valid transfer with an invalid one),
 * or request frames for an honest node's request endpoint. Nothing
 * here touches a socket; pickaxe-adversary sends what the builders make, and
 * tests/test_attack.c offers the same bytes to a fresh chain and mempool to
 * prove each is refused with exactly its reason.
 *
 * Proof of work. Most blocks must carry real work, or they would be refused
 * as high-hash before the rule they attack is even looked at. Builders solve
 * with the reference hash under a budget (attack_env_t.max_hashes): on
 * regtest a block costs a couple of hashes; on demo, work at the network's
 * difficulty soon exceeds any sensible budget and such kinds report
 * ERR_RANGE (skipped) while the kinds that need only the easiest target
 * (orphans, future times, wrong bits) or none at all go on.
 *
 * Kinds that need money (a double spend needs something to spend twice)
 * use the adversary's own key, funded by a valid block it mines and one
 * valid transfer it makes (attack_build_funding); until then they report
 * ERR_NOT_FOUND (not possible yet).
 *
 * One kind sends only valid blocks (orphan-storm, attack_storm.h): its
 * attack is the order they come in, and an honest node must take them all
 * and stay live. Its kind is marked `valid`.
 *
 * Two kinds are load rather than lies. inbox-flood (attack_flood.c) is one
 * small frame -- a confirmed transfer, replayed -- sent ATTACK_INBOX_FLOOD
 * times at once: each copy is refused like tx-replay, and what honest nodes
 * must show is that the flooder's frames, not anyone else's, wait or drop.
 * silent-sybils (attack_sybil.c) asks for ATTACK_SYBILS_PER_BUILD more
 * peers registered at the tracker that accept connections and never answer
 * (ATTACK_SYBIL items, which pickaxe-adversary turns into registrations:
 * sybil.h). Honest nodes refuse nothing of theirs: they show them as
 * unresponsive, and must relay blocks among themselves as fast as without
 * them. Its reason is ATTACK_UNRESPONSIVE, which no refusal is
 * (attack_refused()).
 *
 * Not thread-safe: an attack_env_t and what it borrows belong to one thread.
 */
#ifndef PICKAXE_ATTACK_H
#define PICKAXE_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "bytes.h"
#include "chain.h"
#include "params.h"

/* Where an item goes. */
typedef enum {
    ATTACK_GOSSIP = 0,  /* on our PUB socket, to every peer */
    ATTACK_REQUEST = 1, /* to each honest node's request endpoint */
    ATTACK_SYBIL = 2,   /* one more silent peer at the tracker (no bytes) */
} attack_channel_t;

/* Copies of the replayed frame in one inbox-flood. */
#define ATTACK_INBOX_FLOOD 1000
/* Silent peers one silent-sybils attack asks for. */
#define ATTACK_SYBILS_PER_BUILD 10
/* What honest nodes show for a silent peer: not a refusal. */
#define ATTACK_UNRESPONSIVE "unresponsive"

/* One thing to send. */
typedef struct {
    attack_channel_t channel;
    /* WIRE_NEW_BLOCK or WIRE_NEW_TX: bytes is the blob to wrap in a frame;
     * 0: bytes is the whole frame, sent as is. */
    uint16_t type;
    buf_t bytes;
    uint8_t id[32]; /* block hash or txid; zero for garbage */
    /* A valid transaction the item carries too (a NEW_TXS frame that
     * mixes one with an invalid one): honest nodes must still take it on
     * its own merits. Zero when there is none. */
    uint8_t valid_id[32];
    /* The reason an honest node gives for this item (the kind's, except
     * for helper items such as the invalid parent of blk-bad-parent). */
    const char *reason;
} attack_item_t;

/* What a builder made (attack_out_clear frees it). */
typedef struct {
    attack_item_t *items;
    size_t count, cap;
} attack_out_t;

/* What builders read, and the little they remember between calls. */
typedef struct {
    const params_t *params; /* borrowed */
    const chain_t *chain;   /* the honest chain as followed (borrowed) */
    uint8_t secret[32];     /* the adversary's key */
    uint8_t pub[32];
    /* Work budget for one block, in hashes; 0: unlimited. */
    uint64_t max_hashes;
    /* Wall clock (seconds since the epoch) for header times. */
    int64_t now;
    uint64_t seq; /* bumped by every build: no two attacks are equal */
} attack_env_t;

typedef int (*attack_build_fn)(attack_env_t *env, attack_out_t *out);

/* One kind of attack. */
typedef struct {
    const char *name;   /* e.g. "blk-bad-merkle" */
    const char *reason; /* the refusal an honest node gives */
    const char *what;   /* one line for --help and logs */
    attack_build_fn build;
    /* The items reuse the id of something valid (a tampered or mutated
     * copy of a block, a replayed transfer): that id may well be on the
     * honest chain, with its real contents. */
    bool same_hash;
    /* The items are valid blocks and the attack is their order
     * (orphan-storm): honest nodes must take them all, stay live, and may
     * well end with them on the best chain. */
    bool valid;
} attack_kind_t;

/* The catalogue, in round-robin order. Out: *n kinds. */
const attack_kind_t *attack_kinds(size_t *n);

/* True when honest nodes refuse the kind's items with its reason; false
 * for a kind whose attack is silence (silent-sybils). */
bool attack_refused(const attack_kind_t *kind);

/* The kind with this name, or NULL. */
const attack_kind_t *attack_find(const char *name);

/*
 * Builds one attack of a kind.
 * Returns: 0 (out holds at least one item); ERR_NOT_FOUND when the kind is
 *          not possible yet (no funds, chain too short, nothing to replay);
 *          ERR_RANGE when its work exceeds env->max_hashes; ERR_NOMEM.
 * Out:     out, appended to (the caller clears it).
 */
int attack_build(const attack_kind_t *kind, attack_env_t *env,
                 attack_out_t *out);

/*
 * What the adversary needs before its money kinds work: while its key has
 * no coins, a valid block on the tip paying it; once it has coins but has
 * never spent, a valid transfer to itself.
 * Returns: 0 with one item (a valid block or transfer, to gossip);
 *          ERR_DUPLICATE when funded and spent already (nothing to do);
 *          ERR_RANGE when the block's work exceeds the budget; ERR_NOMEM.
 */
int attack_build_funding(attack_env_t *env, attack_out_t *out);

/* True when the adversary's key has coins and a confirmed spend. */
bool attack_funded(const attack_env_t *env);

/*
 * Searches nonces with the reference hash until the header meets its own
 * bits, rolling the time when the nonces are spent.
 * Returns: 0; ERR_RANGE when the expected work exceeds max_hashes (0: no
 *          limit) or the budget ran out; ERR_RANGE on invalid bits.
 */
int attack_solve(block_t *b, uint64_t max_hashes);

/*
 * Appends a block item for gossip (NEW_BLOCK) with the block's hash as id.
 * Returns: 0 or ERR_NOMEM.
 */
int attack_out_push_block(attack_out_t *out, const block_t *b,
                          const char *reason);

/* Frees every item; out is empty and reusable afterwards. */
void attack_out_clear(attack_out_t *out);

#endif
