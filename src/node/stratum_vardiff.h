/*
 * stratum_vardiff — one connection's share difficulty, steered toward one
 * share every STRATUM_SHARE_S seconds.
 *
 * It sums the difficulty of the shares accepted since the last retarget.
 * A retarget is due after STRATUM_RETARGET_SHARES shares (a fast miner on
 * a difficulty far too low: it reacts within a fraction of a second) or
 * STRATUM_RETARGET_MS (a slow one); the new difficulty is the work seen per
 * second times STRATUM_SHARE_S, moved at most by a factor of
 * STRATUM_RETARGET_UP up or STRATUM_RETARGET_DOWN down per retarget, and
 * left alone within 30% of the current one (no churn of jobs for noise).
 * No share in a whole window divides it by STRATUM_RETARGET_DOWN.
 *
 * The caller sends the new difficulty before the next job; shares of jobs
 * sent earlier keep their own difficulty (stratum_session.h).
 */
#ifndef PICKAXE_STRATUM_VARDIFF_H
#define PICKAXE_STRATUM_VARDIFF_H

#include <stdint.h>

#define STRATUM_SHARE_S 5.0
#define STRATUM_RETARGET_SHARES 16
#define STRATUM_RETARGET_MS 30000
#define STRATUM_RETARGET_UP 256.0
#define STRATUM_RETARGET_DOWN 8.0
/* Difficulties are kept in this range (sub-1 allowed). */
#define STRATUM_DIFF_MIN 1e-9
#define STRATUM_DIFF_MAX 1e15

typedef struct {
    double diff;       /* the difficulty in force (of the newest job) */
    uint64_t since_ms; /* start of the window */
    double work;       /* sum of accepted shares' difficulty in it */
    unsigned shares;
} stratum_vardiff_t;

/* Starts at diff (clamped) with a window opening at now_ms. */
void stratum_vardiff_init(stratum_vardiff_t *v, double diff, uint64_t now_ms);

/* Clamps a difficulty to [STRATUM_DIFF_MIN, STRATUM_DIFF_MAX]; NaN and
 * non-positive values give STRATUM_DIFF_MIN. */
double stratum_vardiff_clamp(double diff);

/* Sets the difficulty outright (mining.suggest_difficulty) and opens a
 * new window. */
void stratum_vardiff_set(stratum_vardiff_t *v, double diff, uint64_t now_ms);

/* An accepted share of a job sent at difficulty diff. */
void stratum_vardiff_share(stratum_vardiff_t *v, double diff);

/*
 * Retargets when due.
 * Returns: the new difficulty (also in force from now: v->diff), or 0
 *          when it stays.
 */
double stratum_vardiff_retarget(stratum_vardiff_t *v, uint64_t now_ms);

#endif
