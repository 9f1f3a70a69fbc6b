/*
 * http_guard — the bookkeeping of the wallet service's connections
 * (http_guard.h). One flat table of entries, scanned whole at each event:
 * it holds at most a little over HTTP_GUARD_SLOTS entries, a scan of which
 * costs microseconds, which is cheaper to get right than an index per
 * address and a queue per state.
 */
#include "http_guard.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

typedef enum { FREE, WAITING, ANSWERING, CLOSING } state_t;

/* A client address as the limits see it: family, then the IPv4 address or
 * the IPv6 /64 prefix. */
typedef struct {
    uint8_t b[9];
} addr_key_t;

typedef struct {
    state_t state;
    addr_key_t key;
    int fd;
    uint64_t since_ms; /* when it entered its state */
    uint64_t seq;      /* the order of entering, for equal times */
} entry_t;

struct http_guard {
    http_guard_limits_t lim;
    unsigned capacity;
    entry_t *e;
    uint64_t seq;
};

void http_guard_limits_default(http_guard_limits_t *l)
{
    l->slots = HTTP_GUARD_SLOTS;
    l->per_address = HTTP_GUARD_PER_ADDRESS;
    l->request_ms = HTTP_GUARD_REQUEST_MS;
    l->answer_ms = HTTP_GUARD_ANSWER_MS;
}

bool http_guard_limits_ok(const http_guard_limits_t *l)
{
    return l && l->slots >= 2 && l->per_address >= 1 &&
           l->per_address < l->slots && l->request_ms > 0 && l->answer_ms > 0;
}

http_guard_t *http_guard_new(const http_guard_limits_t *limits,
                             unsigned capacity)
{
    if (!http_guard_limits_ok(limits) || capacity < limits->slots)
        return NULL;
    http_guard_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->e = calloc(capacity, sizeof *g->e);
    if (!g->e) {
        free(g);
        return NULL;
    }
    g->lim = *limits;
    g->capacity = capacity;
    return g;
}

void http_guard_free(http_guard_t **g)
{
    if (!g || !*g)
        return;
    free((*g)->e);
    free(*g);
    *g = NULL;
}

static bool key_of(addr_key_t *k, const struct sockaddr *addr)
{
    memset(k, 0, sizeof *k);
    if (!addr)
        return false;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
        k->b[0] = 4;
        memcpy(k->b + 1, &v4->sin_addr, 4);
        return true;
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
        k->b[0] = 6;
        memcpy(k->b + 1, &v6->sin6_addr, 8);
        return true;
    }
    return false;
}

static bool counts(const entry_t *e)
{
    return e->state == WAITING || e->state == ANSWERING;
}

/* The oldest counting entry, of key k's address (k NULL: any), WAITING ones
 * first; -1 when none counts. */
static long oldest(const http_guard_t *g, const addr_key_t *k)
{
    long best = -1;
    for (unsigned i = 0; i < g->capacity; i++) {
        const entry_t *e = &g->e[i];
        if (!counts(e) || (k && memcmp(&e->key, k, sizeof *k) != 0))
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const entry_t *b = &g->e[best];
        bool e_waits = e->state == WAITING, b_waits = b->state == WAITING;
        bool earlier = e->since_ms < b->since_ms ||
                       (e->since_ms == b->since_ms && e->seq < b->seq);
        if ((e_waits && !b_waits) || (e_waits == b_waits && earlier))
            best = i;
    }
    return best;
}

static unsigned count_key(const http_guard_t *g, const addr_key_t *k)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g->capacity; i++)
        if (counts(&g->e[i]) && (!k || memcmp(&g->e[i].key, k, sizeof *k) == 0))
            n++;
    return n;
}

int http_guard_open(http_guard_t *g, unsigned *id, int *evict,
                    const struct sockaddr *addr, int fd, uint64_t now_ms)
{
    *evict = -1;
    addr_key_t k;
    if (!key_of(&k, addr))
        return ERR_ARG;
    long slot = -1;
    for (unsigned i = 0; i < g->capacity && slot < 0; i++)
        if (g->e[i].state == FREE)
            slot = i;
    if (slot < 0)
        return ERR_FULL;
    /* Choose before the new entry exists, so it is never its own victim. */
    long victim = -1;
    if (count_key(g, &k) >= g->lim.per_address)
        victim = oldest(g, &k);
    else if (count_key(g, NULL) >= g->lim.slots)
        victim = oldest(g, NULL);
    if (victim >= 0) {
        g->e[victim].state = CLOSING;
        *evict = g->e[victim].fd;
    }
    g->e[slot] = (entry_t){WAITING, k, fd, now_ms, ++g->seq};
    *id = (unsigned)slot;
    return 0;
}

/* Moves a counting entry to state s (a CLOSING or free one stays). */
static void move(http_guard_t *g, unsigned id, state_t s, uint64_t now_ms)
{
    if (id >= g->capacity || !counts(&g->e[id]))
        return;
    g->e[id].state = s;
    g->e[id].since_ms = now_ms;
    g->e[id].seq = ++g->seq;
}

void http_guard_answering(http_guard_t *g, unsigned id, uint64_t now_ms)
{
    move(g, id, ANSWERING, now_ms);
}

void http_guard_answered(http_guard_t *g, unsigned id, uint64_t now_ms)
{
    move(g, id, WAITING, now_ms);
}

void http_guard_closed(http_guard_t *g, unsigned id)
{
    if (id < g->capacity)
        g->e[id].state = FREE;
}

size_t http_guard_expired(http_guard_t *g, int *fds, size_t max,
                          uint64_t now_ms)
{
    size_t n = 0;
    for (unsigned i = 0; i < g->capacity && n < max; i++) {
        entry_t *e = &g->e[i];
        if (!counts(e))
            continue;
        uint64_t limit =
            e->state == WAITING ? g->lim.request_ms : g->lim.answer_ms;
        /* The caller's clock is monotonic; an earlier now is not late. */
        if (now_ms < e->since_ms || now_ms - e->since_ms < limit)
            continue;
        e->state = CLOSING;
        fds[n++] = e->fd;
    }
    return n;
}

unsigned http_guard_count(const http_guard_t *g, const struct sockaddr *addr)
{
    if (!addr)
        return count_key(g, NULL);
    addr_key_t k;
    return key_of(&k, addr) ? count_key(g, &k) : 0;
}
