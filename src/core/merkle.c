/*
 * merkle — Bitcoin's merkle tree (see merkle.h).
 *
 * The tree is computed level by level in one scratch array: each level
 * halves the count (rounding up), pairing an odd last node with itself.
 * While pairing, two equal siblings flag the list as possibly mutated: in a
 * list of distinct transactions no two siblings can be equal, except by a
 * SHA-256 collision.
 */
#include "merkle.h"
#include "err.h"
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

int merkle_root(uint8_t root[32], bool *mutated, const uint8_t (*leaves)[32],
                size_t n)
{
    if (n == 0)
        return ERR_ARG;
    uint8_t(*level)[32] = malloc(n * sizeof *level);
    if (!level)
        return ERR_NOMEM;
    memcpy(level, leaves, n * sizeof *level);
    bool mut = false;
    while (n > 1) {
        size_t next = 0;
        for (size_t i = 0; i < n; i += 2) {
            size_t j = i + 1 < n ? i + 1 : i;
            if (j != i && memcmp(level[i], level[j], 32) == 0)
                mut = true;
            sha256d_pair(level[next++], level[i], level[j]);
        }
        n = next;
    }
    memcpy(root, level[0], 32);
    free(level);
    if (mutated)
        *mutated = mut;
    return 0;
}

int merkle_coinbase_branch(uint8_t (**branch)[32], size_t *depth,
                           const uint8_t (*leaves)[32], size_t n)
{
    if (n == 0)
        return ERR_ARG;
    size_t max_depth = 0;
    for (size_t m = n; m > 1; m = (m + 1) / 2)
        max_depth++;
    uint8_t(*level)[32] = malloc(n * sizeof *level);
    uint8_t(*out)[32] = malloc((max_depth ? max_depth : 1) * sizeof *out);
    if (!level || !out) {
        free(level);
        free(out);
        return ERR_NOMEM;
    }
    memcpy(level, leaves, n * sizeof *level);
    size_t d = 0;
    while (n > 1) {
        /* Leaf 0 stays at index 0 on every level; its sibling is index 1. */
        memcpy(out[d++], level[1], 32);
        size_t next = 0;
        for (size_t i = 0; i < n; i += 2) {
            size_t j = i + 1 < n ? i + 1 : i;
            sha256d_pair(level[next++], level[i], level[j]);
        }
        n = next;
    }
    free(level);
    *branch = out;
    *depth = d;
    return 0;
}

void merkle_root_from_branch(uint8_t root[32], const uint8_t leaf[32],
                             const uint8_t (*branch)[32], size_t depth)
{
    uint8_t h[32];
    memcpy(h, leaf, 32);
    for (size_t i = 0; i < depth; i++)
        sha256d_pair(h, h, branch[i]);
    memcpy(root, h, 32);
}
