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
    if (actual < expected / 3)
        actual = expected / 3;
    if (actual > expected * 3)
        actual = expected * 3;
    if (actual < 1)
        actual = 1;

    /* next = avg * actual / expected, dividing first to stay in 256 bits;
     * the lost low bits are far below a target's precision. */
    uint256_t exp256, next;
    uint256_set_u64(&exp256, (uint64_t)expected);
    uint256_div(&next, &avg, &exp256);
    if (uint256_mul_u32(&next, &next, (uint32_t)actual) ||
        uint256_cmp(&next, &limit) > 0)
        next = limit;
    if (uint256_is_zero(&next))
        uint256_set_u64(&next, 1);
    return block_target_to_bits(&next);
}
