/*
 * stratum_vardiff — share difficulty toward a share rate (see
 * stratum_vardiff.h).
 */
#include "stratum_vardiff.h"

#include <math.h>

double stratum_vardiff_clamp(double diff)
{
    if (!(diff > STRATUM_DIFF_MIN))
        return STRATUM_DIFF_MIN;
    return diff < STRATUM_DIFF_MAX ? diff : STRATUM_DIFF_MAX;
}

void stratum_vardiff_init(stratum_vardiff_t *v, double diff, uint64_t now_ms)
{
    v->diff = stratum_vardiff_clamp(diff);
    v->since_ms = now_ms;
    v->work = 0;
    v->shares = 0;
}

void stratum_vardiff_set(stratum_vardiff_t *v, double diff, uint64_t now_ms)
{
    stratum_vardiff_init(v, diff, now_ms);
}

void stratum_vardiff_share(stratum_vardiff_t *v, double diff)
{
    v->shares++;
    v->work += diff;
}

double stratum_vardiff_retarget(stratum_vardiff_t *v, uint64_t now_ms)
{
    uint64_t elapsed = now_ms > v->since_ms ? now_ms - v->since_ms : 0;
    if (v->shares < STRATUM_RETARGET_SHARES && elapsed < STRATUM_RETARGET_MS)
        return 0;
    double want;
    if (v->shares == 0) {
        want = v->diff / STRATUM_RETARGET_DOWN;
    } else {
        /* A burst counts as lasting at least 100 ms: the first shares of a
         * fast miner come back-to-back. */
        double secs = elapsed < 100 ? 0.1 : (double)elapsed / 1000.0;
        want = v->work / secs * STRATUM_SHARE_S;
        if (want > v->diff * STRATUM_RETARGET_UP)
            want = v->diff * STRATUM_RETARGET_UP;
        if (want < v->diff / STRATUM_RETARGET_DOWN)
            want = v->diff / STRATUM_RETARGET_DOWN;
    }
    want = stratum_vardiff_clamp(want);
    double old = v->diff;
    v->since_ms = now_ms;
    v->work = 0;
    v->shares = 0;
    if (fabs(want - old) < 0.3 * old)
        return 0;
    v->diff = want;
    return want;
}
