/*
 * Tests for src/core/merkle.c: Bitcoin block 100000's merkle root from its four
 * txids, the one-leaf and odd-count rules, CVE-2012-2459 mutation detection,
 * and the coinbase branch against the full root for 1..17 leaves.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "err.h"
#include "hex.h"
#include "merkle.h"
#include "sha256.h"

/* Distinct pseudo-leaves: SHA-256 of the index. */
static void make_leaves(uint8_t (*leaves)[32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t idx[8];
        le64_put(idx, i);
        sha256(leaves[i], idx, sizeof idx);
    }
}

static void pair(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    uint8_t cat[64];
    memcpy(cat, a, 32);
    memcpy(cat + 32, b, 32);
    sha256d(out, cat, 64);
}

Test(merkle, bitcoin_block_100000)
{
    static const char *txids[4] = {
        "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
    };
    uint8_t leaves[4][32];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(hex_to_hash(leaves[i], txids[i]), 0); /* reverses */
    uint8_t root[32];
    bool mutated = true;
    cr_assert_eq(merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, 4),
                 0);
    cr_assert_not(mutated);
    char got[HEX_HASH_LEN + 1];
    hex_from_hash(got, root);
    cr_assert_str_eq(
        got,
        "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766");
    /* The same tree by hand, so the pairing rule itself is pinned down. */
    uint8_t l[32], r[32], want[32];
    pair(l, leaves[0], leaves[1]);
    pair(r, leaves[2], leaves[3]);
    pair(want, l, r);
    cr_assert_arr_eq(root, want, 32);
    /* Any other order gives another root. */
    uint8_t swapped[4][32], root2[32];
    memcpy(swapped, leaves, sizeof swapped);
    memcpy(swapped[1], leaves[2], 32);
    memcpy(swapped[2], leaves[1], 32);
    cr_assert_eq(merkle_root(root2, NULL, (const uint8_t(*)[32])swapped, 4), 0);
    cr_assert(memcmp(root, root2, 32) != 0);
}

Test(merkle, single_leaf_is_the_root)
{
    uint8_t leaf[1][32], root[32];
    make_leaves(leaf, 1);
    bool mutated = true;
    cr_assert_eq(merkle_root(root, &mutated, (const uint8_t(*)[32])leaf, 1), 0);
    cr_assert_arr_eq(root, leaf[0], 32);
    cr_assert_not(mutated);
}

Test(merkle, no_leaves_is_an_error)
{
    uint8_t root[32] = {7}, leaf[1][32] = {{0}};
    cr_assert_eq(merkle_root(root, NULL, (const uint8_t(*)[32])leaf, 0),
                 ERR_ARG);
    cr_assert_eq(root[0], 7);
    uint8_t(*branch)[32] = NULL;
    size_t depth = 99;
    cr_assert_eq(
        merkle_coinbase_branch(&branch, &depth, (const uint8_t(*)[32])leaf, 0),
        ERR_ARG);
    cr_assert_null(branch);
}

Test(merkle, odd_count_duplicates_the_last)
{
    uint8_t leaves[5][32], root[32];
    make_leaves(leaves, 5);
    bool mutated = true;
    cr_assert_eq(merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, 3),
                 0);
    cr_assert_not(mutated, "pairing the odd last node with itself is normal");
    uint8_t ab[32], cc[32], want[32];
    pair(ab, leaves[0], leaves[1]);
    pair(cc, leaves[2], leaves[2]);
    pair(want, ab, cc);
    cr_assert_arr_eq(root, want, 32);

    /* Five leaves: odd at the first and the second level. */
    uint8_t cd[32], ee[32], l1[32], r1[32];
    cr_assert_eq(merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, 5),
                 0);
    cr_assert_not(mutated);
    pair(cd, leaves[2], leaves[3]);
    pair(ee, leaves[4], leaves[4]);
    pair(l1, ab, cd);
    pair(r1, ee, ee);
    pair(want, l1, r1);
    cr_assert_arr_eq(root, want, 32);
}

Test(merkle, duplicated_last_leaf_is_flagged)
{
    uint8_t leaves[4][32];
    make_leaves(leaves, 3);
    memcpy(leaves[3], leaves[2], 32); /* [a b c c] */
    uint8_t r3[32], r4[32];
    bool m3 = true, m4 = false;
    cr_assert_eq(merkle_root(r3, &m3, (const uint8_t(*)[32])leaves, 3), 0);
    cr_assert_eq(merkle_root(r4, &m4, (const uint8_t(*)[32])leaves, 4), 0);
    cr_assert_arr_eq(r3, r4, 32, "CVE-2012-2459: the two lists collide");
    cr_assert_not(m3);
    cr_assert(m4, "[a b c c] must be reported as possibly mutated");
}

Test(merkle, duplicated_subtree_is_flagged)
{
    /* [a b c d e f e f]: equal siblings appear only on the second level. */
    uint8_t leaves[8][32];
    make_leaves(leaves, 6);
    memcpy(leaves[6], leaves[4], 32);
    memcpy(leaves[7], leaves[5], 32);
    uint8_t r6[32], r8[32];
    bool m6 = true, m8 = false;
    cr_assert_eq(merkle_root(r6, &m6, (const uint8_t(*)[32])leaves, 6), 0);
    cr_assert_eq(merkle_root(r8, &m8, (const uint8_t(*)[32])leaves, 8), 0);
    cr_assert_arr_eq(r6, r8, 32);
    cr_assert_not(m6);
    cr_assert(m8);
}

Test(merkle, distinct_leaves_are_not_flagged)
{
    uint8_t leaves[17][32];
    make_leaves(leaves, 17);
    for (size_t n = 1; n <= 17; n++) {
        uint8_t root[32];
        bool mutated = true;
        cr_assert_eq(
            merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, n), 0);
        cr_assert_not(mutated, "n = %zu", n);
    }
    /* Equal leaves that are not siblings are not a mutation either... */
    memcpy(leaves[2], leaves[0], 32);
    bool mutated = true;
    uint8_t root[32];
    cr_assert_eq(merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, 4),
                 0);
    cr_assert_not(mutated);
    /* ...but equal siblings anywhere are. */
    memcpy(leaves[1], leaves[0], 32);
    cr_assert_eq(merkle_root(root, &mutated, (const uint8_t(*)[32])leaves, 4),
                 0);
    cr_assert(mutated);
}

Test(merkle, coinbase_branch_reproduces_root)
{
    uint8_t leaves[17][32];
    make_leaves(leaves, 17);
    for (size_t n = 1; n <= 17; n++) {
        uint8_t root[32], rebuilt[32];
        cr_assert_eq(merkle_root(root, NULL, (const uint8_t(*)[32])leaves, n),
                     0);
        uint8_t(*branch)[32] = NULL;
        size_t depth = 0;
        cr_assert_eq(merkle_coinbase_branch(&branch, &depth,
                                            (const uint8_t(*)[32])leaves, n),
                     0);
        size_t want_depth = 0;
        for (size_t m = n; m > 1; m = (m + 1) / 2)
            want_depth++;
        cr_assert_eq(depth, want_depth, "n = %zu", n);
        merkle_root_from_branch(rebuilt, leaves[0],
                                (const uint8_t(*)[32])branch, depth);
        cr_assert_arr_eq(rebuilt, root, 32, "n = %zu", n);
        /* A different coinbase gives the root of the list with it. */
        uint8_t saved[32], other_root[32];
        memcpy(saved, leaves[0], 32);
        memset(leaves[0], 0xee, 32);
        cr_assert_eq(
            merkle_root(other_root, NULL, (const uint8_t(*)[32])leaves, n), 0);
        merkle_root_from_branch(rebuilt, leaves[0],
                                (const uint8_t(*)[32])branch, depth);
        cr_assert_arr_eq(rebuilt, other_root, 32, "n = %zu", n);
        if (n > 1)
            cr_assert(memcmp(other_root, root, 32) != 0);
        memcpy(leaves[0], saved, 32);
        free(branch);
    }
}
