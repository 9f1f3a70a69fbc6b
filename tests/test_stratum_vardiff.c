/*
 * Tests for src/node/stratum_vardiff.c: a miner much faster than the
 * target rate is raised within one burst (by at most the step), a slow one
 * lowered after a silent window, one on target left alone; suggestions are
 * clamped.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "stratum_vardiff.h"

Test(stratum_vardiff, a_burst_of_shares_raises_at_once)
{
    stratum_vardiff_t v;
    stratum_vardiff_init(&v, 0.01, 1000);
    for (int i = 0; i < STRATUM_RETARGET_SHARES - 1; i++) {
        stratum_vardiff_share(&v, 0.01);
        cr_assert_eq(stratum_vardiff_retarget(&v, 1000 + 10 * i), 0);
    }
    stratum_vardiff_share(&v, 0.01);
    /* 16 shares of 0.01 in 0.16 s: 1 difficulty a second; 5 s a share
     * wants 5, and the step allows it (0.01 * 256 = 2.56: capped). */
    double d = stratum_vardiff_retarget(&v, 1160);
    cr_assert_float_eq(d, 0.01 * STRATUM_RETARGET_UP, 1e-12);
    cr_assert_float_eq(v.diff, d, 1e-12);
}

Test(stratum_vardiff, on_target_stays)
{
    stratum_vardiff_t v;
    stratum_vardiff_init(&v, 2.0, 0);
    /* Six shares in 30 s at difficulty 2: one per 5 s. */
    for (int i = 0; i < 6; i++)
        stratum_vardiff_share(&v, 2.0);
    cr_assert_eq(stratum_vardiff_retarget(&v, 29999), 0, "not due yet");
    cr_assert_eq(stratum_vardiff_retarget(&v, 30000), 0);
    cr_assert_float_eq(v.diff, 2.0, 1e-12);
    cr_assert_eq(v.shares, 0, "a new window");
}

Test(stratum_vardiff, slow_miner_is_lowered)
{
    stratum_vardiff_t v;
    stratum_vardiff_init(&v, 8.0, 0);
    /* One share in 30 s at 8: wants 8/30*5 = 1.33. */
    stratum_vardiff_share(&v, 8.0);
    double d = stratum_vardiff_retarget(&v, 30000);
    cr_assert(fabs(d - 8.0 / 30.0 * 5.0) < 1e-9, "%f", d);
    /* Then silence: divided by the step. */
    d = stratum_vardiff_retarget(&v, 60000);
    cr_assert(fabs(d - 8.0 / 6.0 / STRATUM_RETARGET_DOWN) < 1e-9, "%f", d);
}

Test(stratum_vardiff, clamped)
{
    cr_assert_float_eq(stratum_vardiff_clamp(0), STRATUM_DIFF_MIN, 1e-20);
    cr_assert_float_eq(stratum_vardiff_clamp(-5), STRATUM_DIFF_MIN, 1e-20);
    cr_assert_float_eq(stratum_vardiff_clamp(NAN), STRATUM_DIFF_MIN, 1e-20);
    cr_assert_float_eq(stratum_vardiff_clamp(1e30), STRATUM_DIFF_MAX, 1);
    cr_assert_float_eq(stratum_vardiff_clamp(0.5), 0.5, 1e-12);
    stratum_vardiff_t v;
    stratum_vardiff_init(&v, 1, 0);
    stratum_vardiff_set(&v, 1e-30, 5);
    cr_assert_float_eq(v.diff, STRATUM_DIFF_MIN, 1e-20);
    cr_assert_eq(v.since_ms, 5);
}
