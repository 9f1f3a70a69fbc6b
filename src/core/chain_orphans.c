/*
 * chain_orphans — the pool of blocks whose parent is unknown, and the
 * connection of its blocks once their parent arrives.
 *
 * The orphan pool holds blocks whose parent is unknown. Each orphan is in
 * three structures at once: `orphans` (by its own hash, for duplicates and
 * chain_orphan_missing), `orphans_by_parent` (the head of a list of the
 * orphans that name the same parent, so connecting a block finds its waiting
 * children with one lookup), and the age list (oldest first, so a full pool
 * evicts in O(1)). An orphan leaves all three at once.
 */
#include "chain.h"
#include "chain_impl.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static void orphan_free(void *p)
{
    orphan_t *o = p;
    if (o) {
        block_deinit(&o->block);
        free(o);
    }
}

/* Takes o out of the pool's three structures; the caller owns it then. */
static void orphan_unlink(chain_t *c, orphan_t *o)
{
    hashmap_remove(c->orphans, o->hash);
    if (o->prev_sibling)
        o->prev_sibling->next_sibling = o->next_sibling;
    else if (!o->next_sibling ||
             hashmap_put(c->orphans_by_parent, o->block.header.prev_hash,
                         o->next_sibling) != 0)
        /* The put replaces an existing key's value, which never allocates
         * (hashmap.h). Were it to fail, dropping the key is the safe way
         * out: the map must not point at o, and the siblings then wait for
         * eviction instead of their parent. */
        hashmap_remove(c->orphans_by_parent, o->block.header.prev_hash);
    if (o->next_sibling)
        o->next_sibling->prev_sibling = o->prev_sibling;
    if (o->older)
        o->older->newer = o->newer;
    else
        c->oldest_orphan = o->newer;
    if (o->newer)
        o->newer->older = o->older;
    else
        c->newest_orphan = o->older;
    o->prev_sibling = o->next_sibling = o->older = o->newer = NULL;
}

int chain_orphan_add(chain_t *c, const block_t *b, const uint8_t hash[32])
{
    if (hashmap_get(c->orphans, hash))
        return 0;
    if (hashmap_count(c->orphans) >= c->cfg.max_orphans && c->oldest_orphan) {
        orphan_t *oldest = c->oldest_orphan;
        orphan_unlink(c, oldest);
        orphan_free(oldest);
    }
    orphan_t *o = calloc(1, sizeof *o);
    if (!o || block_copy(&o->block, b) != 0) {
        free(o);
        return ERR_NOMEM;
    }
    memcpy(o->hash, hash, 32);
    orphan_t *first = hashmap_get(c->orphans_by_parent, b->header.prev_hash);
    if (hashmap_put(c->orphans, hash, o) != 0) {
        orphan_free(o);
        return ERR_NOMEM;
    }
    if (hashmap_put(c->orphans_by_parent, b->header.prev_hash, o) != 0) {
        hashmap_remove(c->orphans, hash);
        orphan_free(o);
        return ERR_NOMEM;
    }
    o->next_sibling = first;
    if (first)
        first->prev_sibling = o;
    o->older = c->newest_orphan;
    if (c->newest_orphan)
        c->newest_orphan->newer = o;
    else
        c->oldest_orphan = o;
    c->newest_orphan = o;
    return 0;
}

/* Takes every orphan waiting on parent out of the pool, oldest first
 * (linked through next_sibling); the caller owns the list. */
static orphan_t *orphan_take_children(chain_t *c, const uint8_t parent[32])
{
    orphan_t *newest_first = hashmap_get(c->orphans_by_parent, parent);
    orphan_t *list = NULL;
    while (newest_first) {
        orphan_t *o = newest_first;
        newest_first = o->next_sibling;
        orphan_unlink(c, o);
        o->next_sibling = list;
        list = o;
    }
    return list;
}

bool chain_orphan_missing(const chain_t *c, uint8_t missing[32],
                          const uint8_t hash[32])
{
    const orphan_t *o = hashmap_get(c->orphans, hash);
    if (!o)
        return false;
    /* Bounded by the pool's size, so a cycle of fake parents cannot loop. */
    for (size_t steps = 0; steps <= c->cfg.max_orphans; steps++) {
        const orphan_t *up = hashmap_get(c->orphans, o->block.header.prev_hash);
        if (!up)
            break;
        o = up;
    }
    memcpy(missing, o->block.header.prev_hash, 32);
    return true;
}

size_t chain_orphan_count(const chain_t *c)
{
    return hashmap_count(c->orphans);
}

/*
 * A stack of block hashes whose waiting children are still to be visited.
 * It holds at most one hash per orphan that was in the pool, plus the first
 * block: every hash pushed but the first is an orphan's that has just left
 * the pool. It is sized for that up front and never grows; a push beyond
 * cap (which that bound rules out) is dropped.
 */
typedef struct {
    uint8_t (*hashes)[32];
    size_t n, cap;
} parents_t;

static void parents_push(parents_t *s, const uint8_t hash[32])
{
    if (s->n < s->cap)
        memcpy(s->hashes[s->n++], hash, 32);
}

typedef bool (*visit_fn)(chain_t *c, parents_t *s, orphan_t *o);

/*
 * Takes the orphans that descend from root out of the pool, parents before
 * their children, and hands each to visit, whose true answer means "walk
 * its children too". Each orphan leaves the pool before it is visited and
 * never comes back (chain_add_one without may_orphan), so every orphan is
 * visited at most once and the work is bounded by the pool's size, whatever
 * the order blocks arrived in. Uses s above its current top, and leaves it
 * as it found it.
 */
static void walk_orphans(chain_t *c, parents_t *s, const uint8_t root[32],
                         visit_fn visit)
{
    size_t base = s->n;
    parents_push(s, root);
    while (s->n > base) {
        uint8_t parent[32];
        memcpy(parent, s->hashes[--s->n], 32);
        orphan_t *o = orphan_take_children(c, parent);
        while (o) {
            orphan_t *next = o->next_sibling;
            if (visit(c, s, o))
                parents_push(s, o->hash);
            orphan_free(o);
            o = next;
        }
    }
}

/* A descendant of a block refused for a reason its header commits to can
 * never connect: it is remembered as such and its own children follow. */
static bool drop_one(chain_t *c, parents_t *s, orphan_t *o)
{
    (void)s;
    chain_remember_invalid(c, o->hash, "bad-prevblk");
    return true;
}

static bool connect_one(chain_t *c, parents_t *s, orphan_t *o)
{
    const char *why = NULL;
    int rc = chain_add_one(c, &why, &o->block, o->hash, false);
    if (rc == 0)
        return true;
    log_debug("chain", "orphan refused: %s", why ? why : "?");
    /* Only header-committed refusals are remembered; a body that does not
     * match its header may yet come in its real form, so children of such
     * a copy keep waiting. */
    if (rc == ERR_INVALID && hashmap_get(c->invalid, o->hash))
        walk_orphans(c, s, o->hash, drop_one);
    return false;
}

/* Runs walk_orphans from root with a stack sized for the pool. */
static void walk_from(chain_t *c, const uint8_t root[32], visit_fn visit)
{
    if (!hashmap_get(c->orphans_by_parent, root))
        return; /* nothing waits on it */
    size_t cap = hashmap_count(c->orphans) + 1;
    parents_t s = {malloc(cap * sizeof *s.hashes), 0, cap};
    if (!s.hashes)
        return; /* they stay in the pool; each connects when offered again */
    walk_orphans(c, &s, root, visit);
    free(s.hashes);
}

void chain_connect_orphans(chain_t *c, const uint8_t hash[32])
{
    walk_from(c, hash, connect_one);
}

void chain_orphans_drop_refused(chain_t *c, const uint8_t refused[32])
{
    walk_from(c, refused, drop_one);
}

void chain_orphans_free(chain_t *c)
{
    hashmap_free_with(&c->orphans, orphan_free);
}
