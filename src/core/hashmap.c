/*
 * hashmap — open addressing with linear probing and backward-shift deletion
 * (see hashmap.h). The table size is a power of two kept at most 70 % full.
 */
#include "hashmap.h"
#include "bytes.h"
#include "err.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct {
    uint8_t key[32];
    void *value; /* NULL marks an empty slot */
} slot_t;

struct hashmap {
    slot_t *slots;
    size_t cap; /* power of two */
    size_t count;
};

static uint64_t seed[2];
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        seed[0] = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&seed;
        seed[1] = 0xbf58476d1ce4e5b9ULL;
    }
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static size_t slot_of(const hashmap_t *m, const uint8_t key[32])
{
    uint64_t h =
        mix(le64_get(key) ^ seed[0]) ^ mix(le64_get(key + 8) ^ seed[1]);
    return (size_t)h & (m->cap - 1);
}

hashmap_t *hashmap_new(void)
{
    pthread_once(&seed_once, seed_init);
    hashmap_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void hashmap_free(hashmap_t **m)
{
    if (!m || !*m)
        return;
    free((*m)->slots);
    free(*m);
    *m = NULL;
}

void hashmap_free_with(hashmap_t **m, void (*free_value)(void *value))
{
    if (!m || !*m)
        return;
    for (size_t i = 0; i < (*m)->cap; i++)
        if ((*m)->slots[i].value)
            free_value((*m)->slots[i].value);
    hashmap_free(m);
}

static slot_t *find(const hashmap_t *m, const uint8_t key[32])
{
    size_t i = slot_of(m, key);
    for (;;) {
        slot_t *s = &m->slots[i];
        if (!s->value)
            return NULL;
        if (memcmp(s->key, key, 32) == 0)
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

void *hashmap_get(const hashmap_t *m, const uint8_t key[32])
{
    slot_t *s = find(m, key);
    return s ? s->value : NULL;
}

static void insert_fresh(hashmap_t *m, const uint8_t key[32], void *value)
{
    size_t i = slot_of(m, key);
    while (m->slots[i].value)
        i = (i + 1) & (m->cap - 1);
    memcpy(m->slots[i].key, key, 32);
    m->slots[i].value = value;
    m->count++;
}

static int grow(hashmap_t *m)
{
    slot_t *old = m->slots;
    size_t old_cap = m->cap;
    slot_t *slots = calloc(old_cap * 2, sizeof *slots);
    if (!slots)
        return ERR_NOMEM;
    m->slots = slots;
    m->cap = old_cap * 2;
    m->count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].value)
            insert_fresh(m, old[i].key, old[i].value);
    free(old);
    return 0;
}

int hashmap_put(hashmap_t *m, const uint8_t key[32], void *value)
{
    if (!value)
        return ERR_ARG;
    slot_t *s = find(m, key);
    if (s) {
        s->value = value;
        return 0;
    }
    if ((m->count + 1) * 10 > m->cap * 7 && grow(m) != 0)
        return ERR_NOMEM;
    insert_fresh(m, key, value);
    return 0;
}

void *hashmap_remove(hashmap_t *m, const uint8_t key[32])
{
    slot_t *s = find(m, key);
    if (!s)
        return NULL;
    void *value = s->value;
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(s - m->slots);
    /* Backward shift: pull later entries of the probe run into the hole
     * when their home slot does not lie strictly between hole and them. */
    size_t i = (hole + 1) & mask;
    while (m->slots[i].value) {
        size_t home = slot_of(m, m->slots[i].key);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
        i = (i + 1) & mask;
    }
    m->slots[hole].value = NULL;
    m->count--;
    return value;
}

size_t hashmap_count(const hashmap_t *m)
{
    return m->count;
}

void hashmap_foreach(const hashmap_t *m,
                     bool (*fn)(void *ctx, const uint8_t key[32], void *value),
                     void *ctx)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].value && !fn(ctx, m->slots[i].key, m->slots[i].value))
            return;
}
