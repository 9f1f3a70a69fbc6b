/*
 * hashmap — an open-addressing map from 32-byte keys (hashes, public keys)
 * to pointer values.
 *
 * Keys are copied into the map; values are borrowed (the map never frees
 * them). Slots are found by a keyed mix of the key's first 16 bytes with a
 * per-process random seed, so a peer cannot grind ids that collide here.
 * Deletion uses backward shifting, so lookups never slow down with tombstones.
 * Iteration order is unspecified and changes when the map grows.
 *
 * Not thread-safe.
 */
#ifndef PICKAXE_HASHMAP_H
#define PICKAXE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hashmap hashmap_t;

/* Returns an empty map, or NULL when out of memory. */
hashmap_t *hashmap_new(void);
/* Frees the map (not the values); NULL is harmless; clears *m. */
void hashmap_free(hashmap_t **m);
/* Frees a map that owns its values: each goes to free_value first. NULL is
 * harmless; clears *m. */
void hashmap_free_with(hashmap_t **m, void (*free_value)(void *value));

/* Returns the value stored under key, or NULL. */
void *hashmap_get(const hashmap_t *m, const uint8_t key[32]);

/* Stores value under key, replacing any previous one.
 * Returns: 0; ERR_ARG when value is NULL (NULL means "absent");
 *          ERR_NOMEM. The map is unchanged on failure. Replacing the value
 *          of a key already in the map never allocates, nor does a put
 *          that follows the removal of another key (the map never shrinks),
 *          so those can fail only with a NULL value. */
int hashmap_put(hashmap_t *m, const uint8_t key[32], void *value);

/* Removes key. Returns the value it had, or NULL. */
void *hashmap_remove(hashmap_t *m, const uint8_t key[32]);

size_t hashmap_count(const hashmap_t *m);

/* Visits every entry; fn returns false to stop early. The map must not be
 * changed during the walk. */
void hashmap_foreach(const hashmap_t *m,
                     bool (*fn)(void *ctx, const uint8_t key[32], void *value),
                     void *ctx);

#endif
