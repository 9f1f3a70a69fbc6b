/*
 * merkle — Bitcoin's merkle tree over 32-byte leaves.
 *
 * Inner node = SHA256d(left || right); a level with an odd count pairs its
 * last node with itself. That rule lets two different lists share a root
 * (CVE-2012-2459: [a b c] and [a b c c]), so merkle_root() reports when any
 * level pairs two equal nodes, and block validation refuses such a list.
 */
#ifndef PICKAXE_MERKLE_H
#define PICKAXE_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Computes the root of n leaves.
 * Returns: 0; ERR_ARG when n is 0; ERR_NOMEM.
 * Out:     root; *mutated (may be NULL) = true when some level hashed two
 *          identical siblings, i.e. the list could be a duplicated mutation.
 */
PX_MUST_CHECK int merkle_root(uint8_t root[32], bool *mutated,
                              const uint8_t (*leaves)[32], size_t n);

/*
 * The branch that proves leaf 0 (the coinbase): the sibling at each level,
 * bottom-up, so a miner can rebuild the root from a new coinbase hash alone.
 * Returns: 0; ERR_ARG when n is 0; ERR_NOMEM.
 * Out:     *branch (owned by the caller, free()), *depth entries.
 */
PX_MUST_CHECK int merkle_coinbase_branch(uint8_t (**branch)[32], size_t *depth,
                                         const uint8_t (*leaves)[32], size_t n);

/* Root from a leaf-0 hash and its branch. */
void merkle_root_from_branch(uint8_t root[32], const uint8_t leaf[32],
                             const uint8_t (*branch)[32], size_t depth);

#endif
