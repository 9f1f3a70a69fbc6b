/*
 * fuzz_block — block_parse (src/core/block.c): the blocks that arrive in
 * NEW_BLOCK and BLOCKS messages and come back from the store.
 *
 * Properties:
 *   - what parses serializes back to the same bytes, block_size() of them;
 *   - a refused input leaves the output untouched (ERR_PARSE, or ERR_NOMEM);
 *   - the tx count cannot make the parser allocate more than the input can
 *     hold (checked by ASan's allocation limits and the count rule);
 *   - the merkle root refuses a body only when its tree pairs two equal
 *     siblings (check_merkle() below), and the CVE-2012-2459 mutation of
 *     an accepted body keeps the root and is refused;
 *   - the header hash, proof-of-work check and JSON view never crash on a
 *     parsed block.
 */
#include "fuzz.h"

#include "block.h"
#include "bytes.h"
#include "err.h"
#include "json_view.h"
#include "merkle.h"

/* True when two transactions of the body serialize to the same bytes. */
static bool repeats_a_tx(const block_t *b)
{
    for (size_t i = 0; i < b->tx_count; i++) {
        uint8_t li[32];
        tx_leaf_hash(li, &b->txs[i]);
        for (size_t j = i + 1; j < b->tx_count; j++) {
            uint8_t lj[32];
            tx_leaf_hash(lj, &b->txs[j]);
            if (memcmp(li, lj, 32) == 0)
                return true;
        }
    }
    return false;
}

/* True when transactions 2k and 2k+1 are the same: the first level of the
 * tree pairs equal siblings. */
static bool repeats_a_pair(const block_t *b)
{
    for (size_t i = 0; i + 1 < b->tx_count; i += 2) {
        uint8_t l0[32], l1[32];
        tx_leaf_hash(l0, &b->txs[i]);
        tx_leaf_hash(l1, &b->txs[i + 1]);
        if (memcmp(l0, l1, 32) == 0)
            return true;
    }
    return false;
}

/*
 * The merkle rules: the root refuses a body only when the tree pairs two
 * equal siblings (Bitcoin's rule, which catches CVE-2012-2459; other
 * repeats are the chain's txid check's business), so a refusal implies a
 * repeat, and equal first-level siblings imply a refusal. The mutation
 * itself, [.. x] -> [.. x x] for an odd count, keeps the root and must be
 * refused.
 */
static void check_merkle(block_t *b)
{
    uint8_t root[32], root2[32];
    int rc = block_compute_merkle_root(root, b);
    if (b->tx_count == 0) {
        FUZZ_CHECK(rc == ERR_INVALID);
        return;
    }
    FUZZ_CHECK(rc == 0 || rc == ERR_INVALID);
    if (rc == ERR_INVALID)
        FUZZ_CHECK(repeats_a_tx(b));
    if (repeats_a_pair(b))
        FUZZ_CHECK(rc == ERR_INVALID);
    if (rc == 0 && b->tx_count % 2 == 1 && b->tx_count > 1) {
        block_t m;
        if (block_copy(&m, b) != 0)
            return;
        if (block_add_tx(&m, &m.txs[m.tx_count - 1]) == 0) {
            /* The mutated list has the same root, and is refused. */
            FUZZ_CHECK(block_compute_merkle_root(root2, &m) == ERR_INVALID);
            uint8_t(*leaves)[32] = malloc(m.tx_count * sizeof *leaves);
            if (leaves) {
                for (size_t i = 0; i < m.tx_count; i++)
                    tx_leaf_hash(leaves[i], &m.txs[i]);
                bool mutated = false;
                FUZZ_CHECK(merkle_root(root2, &mutated,
                                       (const uint8_t(*)[32])leaves,
                                       m.tx_count) == 0);
                FUZZ_CHECK(mutated && memcmp(root, root2, 32) == 0);
                free(leaves);
            }
        }
        block_deinit(&m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    block_t b, untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    memcpy(&b, &untouched, sizeof b);
    int rc = block_parse(&b, data, size);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_PARSE || rc == ERR_NOMEM);
        FUZZ_CHECK(memcmp(&b, &untouched, sizeof b) == 0);
        return 0;
    }
    FUZZ_CHECK(size >= BLOCK_HEADER_SIZE + 4);
    FUZZ_CHECK(b.tx_count == le32_get(data + BLOCK_HEADER_SIZE));
    FUZZ_CHECK(b.tx_count <= BLOCK_MAX_TXS);
    FUZZ_CHECK(block_size(&b) == size);

    buf_t out;
    buf_init(&out);
    FUZZ_CHECK(block_serialize(&out, &b) == 0);
    FUZZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
    buf_deinit(&out);

    uint8_t raw[BLOCK_HEADER_SIZE], hash[32];
    block_header_serialize(raw, &b.header);
    FUZZ_CHECK(memcmp(raw, data, BLOCK_HEADER_SIZE) == 0);
    block_compute_hash(hash, &b.header);
    (void)block_check_pow(&b.header);

    /* Small bodies only: the quadratic repeat search is the harness's,
     * not the node's. */
    if (b.tx_count <= 64)
        check_merkle(&b);

    block_t copy;
    if (block_copy(&copy, &b) == 0) {
        FUZZ_CHECK(copy.tx_count == b.tx_count);
        FUZZ_CHECK(block_size(&copy) == size);
        block_deinit(&copy);
    }

    json_t *v = json_view_block(&b, 1, "pxrt", true);
    json_decref(v);
    block_deinit(&b);
    return 0;
}
