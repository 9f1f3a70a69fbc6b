/*
 * difficulty — moving-window retarget (see difficulty.h).
 */
#include "difficulty.h"
#include "block.h"
#include "uint256.h"

uint32_t difficulty_next_bits(const params_t *p,
                              const difficulty_sample_t *window, size_t n)
{
    if (!p->retarget || n < 2)
        return p->pow_limit_bits;
    uint256_t limit;
    if (block_bits_to_target(&limit, p->pow_limit_bits) != 0)
        return p->pow_limit_bits;

    /* Average of the targets of the n-1 newest blocks: each is divided
     * first so the sum cannot overflow. */
    size_t count = n - 1;
    uint256_t avg = {{0}};
    for (size_t i = 1; i < n; i++) {
        uint256_t t, share, cnt;
        if (block_bits_to_target(&t, window[i].bits) != 0)
            t = limit;
        uint256_set_u64(&cnt, count);
        uint256_div(&share, &t, &cnt);
        uint256_add(&avg, &avg, &share);
    }

    int64_t expected = (int64_t)count * p->target_spacing;
    int64_t actual = (int64_t)window[n - 1].time - (int64_t)window[0].time;
    if (expected < 1)
        return p->pow_limit_bits;
    /* The ratio num/den = actual/expected, clamped to [1/3, 3] exactly.
     * Comparing 3 * actual with expected matters: clamping actual to
     * expected / 3 rounds down, and for a short window (early in a chain,
     * expected 5 s: 5 / 3 = 1) let the target drop fivefold. */
    uint64_t num = (uint64_t)actual, den = (uint64_t)expected;
    if (actual * 3 < expected) {
        num = 1;
        den = 3;
    } else if (actual > expected * 3) {
        num = 3;
        den = 1;
    }

    /* next = avg * num / den, dividing first to stay in 256 bits; the lost
     * low bits are far below a target's precision. num <= 3 * expected,
     * which is far below 2^32 for any real window. */
    uint256_t den256, next;
    uint256_set_u64(&den256, den);
    uint256_div(&next, &avg, &den256);
    if (num > UINT32_MAX || uint256_mul_u32(&next, &next, (uint32_t)num) ||
        uint256_cmp(&next, &limit) > 0)
        next = limit;
    if (uint256_is_zero(&next))
        uint256_set_u64(&next, 1);
    return block_target_to_bits(&next);
}
