/*
 * persist — keeping a chain in a store and getting it back.
 *
 * A node's data directory holds one store (store.h) tied to one network:
 * the network id is written into it on first use and checked on every open,
 * so a demo node cannot start on a regtest directory. Blocks are written as
 * they enter the tree (before the node reports them accepted) and deleted
 * when their branch is pruned. On start, persist_load replays every stored
 * block into a fresh chain in (height, first-seen) order, which rebuilds the
 * same tree, the same best tip (ties keep the first seen) and the same state.
 *
 * Not thread-safe: the node calls it from two threads (the main loop and the
 * request thread), always under the node's lock, as for the store and chain.
 */
#ifndef PICKAXE_PERSIST_H
#define PICKAXE_PERSIST_H

#include <stddef.h>

#include "chain.h"
#include "params.h"
#include "store.h"

/*
 * Opens (creating when absent) the store in dir for network p.
 * Returns: 0; ERR_INVALID with *reason when the directory belongs to another
 *          network; the store's errors otherwise (with *reason).
 * Out:     *out, owned by the caller (store_close).
 */
int persist_open(store_t **out, const char **reason, const char *dir,
                 const params_t *p);

/* Writes a block that entered the tree. Returns 0 or the store's error. */
int persist_block_added(store_t *s, const chain_node_t *node);

/* Deletes a block whose branch was pruned (errors are logged). */
void persist_block_removed(store_t *s, const chain_node_t *node);

/* Records the best tip (errors are logged). */
void persist_tip_changed(store_t *s, const chain_node_t *tip);

/*
 * Adds every stored block to c, oldest first.
 * Returns: 0 or the store's error.
 * Out:     *loaded blocks accepted, *refused blocks the chain refused (a
 *          store written by an older, laxer version; they are deleted).
 */
int persist_load(chain_t *c, store_t *s, size_t *loaded, size_t *refused);

#endif
