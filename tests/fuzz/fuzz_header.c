/*
 * fuzz_header — block_header_parse and the compact-target code
 * (src/core/block.c): the 80-byte headers that arrive in HEADERS messages, and
 * the "bits" field every one of them carries.
 *
 * Properties:
 *   - block_header_parse accepts exactly 80 bytes and serializes them back;
 *   - for any bits: block_bits_to_target() refuses exactly when
 *     block_work_from_bits() does; an accepted target is non-zero; its
 *     canonical encoding block_target_to_bits() decodes to the very same
 *     target and is a fixed point (encoding is exact for a target that came
 *     from bits, whatever non-canonical form those bits had);
 *   - work is at least 1, and an easier (larger) target never means more
 *     work;
 *   - block_check_pow() agrees with block_hash_meets_target().
 */
#include "fuzz.h"

#include "block.h"
#include "err.h"
#include "uint256.h"

static void check_bits(uint32_t bits)
{
    uint256_t target, work;
    int rc = block_bits_to_target(&target, bits);
    int wrc = block_work_from_bits(&work, bits);
    FUZZ_CHECK(rc == 0 || rc == ERR_RANGE);
    FUZZ_CHECK(rc == wrc);
    if (rc)
        return;
    FUZZ_CHECK(!uint256_is_zero(&target));
    FUZZ_CHECK(!uint256_is_zero(&work));

    uint32_t canon = block_target_to_bits(&target);
    uint256_t again;
    FUZZ_CHECK(block_bits_to_target(&again, canon) == 0);
    FUZZ_CHECK(uint256_cmp(&again, &target) == 0);
    FUZZ_CHECK(block_target_to_bits(&again) == canon);
    /* The canonical form never sets the sign bit. */
    FUZZ_CHECK((canon & 0x00800000u) == 0);

    /* Twice the target (when it fits) is at most the same work. */
    uint256_t twice, twork;
    if (!uint256_add(&twice, &target, &target)) {
        uint32_t tb = block_target_to_bits(&twice);
        uint256_t t2;
        if (block_bits_to_target(&t2, tb) == 0 &&
            block_work_from_bits(&twork, tb) == 0 &&
            uint256_cmp(&t2, &target) >= 0)
            FUZZ_CHECK(uint256_cmp(&twork, &work) <= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    block_header_t h, untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    memcpy(&h, &untouched, sizeof h);
    int rc = block_header_parse(&h, data, size);
    FUZZ_CHECK((rc == 0) == (size == BLOCK_HEADER_SIZE));
    if (rc == 0) {
        uint8_t raw[BLOCK_HEADER_SIZE];
        block_header_serialize(raw, &h);
        FUZZ_CHECK(memcmp(raw, data, BLOCK_HEADER_SIZE) == 0);
        uint256_t target;
        uint8_t hash[32];
        block_compute_hash(hash, &h);
        bool ok = block_bits_to_target(&target, h.bits) == 0 &&
                  block_hash_meets_target(hash, &target);
        FUZZ_CHECK(block_check_pow(&h) == ok);
        check_bits(h.bits);
    } else {
        FUZZ_CHECK(rc == ERR_PARSE);
        FUZZ_CHECK(memcmp(&h, &untouched, sizeof h) == 0);
    }
    /* Any 4 bytes are a bits field worth checking. */
    if (size >= 4)
        check_bits(le32_get(data));
    return 0;
}
