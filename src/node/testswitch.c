/*
 * testswitch — partition and stall, regtest only (see testswitch.h).
 */
#include "testswitch.h"

#include <string.h>
#include <time.h>

#include "err.h"

void testswitch_init(testswitch_t *t, const params_t *params)
{
    memset(t, 0, sizeof *t);
    t->enabled = strcmp(params->name, "regtest") == 0;
}

bool testswitch_enabled(const testswitch_t *t)
{
    return t->enabled;
}

bool testswitch_cut(const testswitch_t *t, uint64_t peer)
{
    for (size_t i = 0; peer && i < t->n_cut; i++)
        if (t->cut[i] == peer)
            return true;
    return false;
}

int testswitch_partition(testswitch_t *t, uint64_t *healed, size_t *n_healed,
                         const uint64_t *ids, size_t n)
{
    if (!t->enabled)
        return ERR_UNSUPPORTED;
    if (n > TESTSWITCH_MAX_CUT)
        return ERR_RANGE;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == 0)
            return ERR_ARG;
    uint64_t was[TESTSWITCH_MAX_CUT];
    size_t nwas = t->n_cut;
    memcpy(was, t->cut, sizeof was);
    if (n)
        memcpy(t->cut, ids, n * sizeof *ids);
    t->n_cut = n;
    size_t k = 0;
    for (size_t i = 0; i < nwas; i++)
        if (!testswitch_cut(t, was[i]))
            healed[k++] = was[i];
    *n_healed = k;
    return 0;
}

int testswitch_stall(testswitch_t *t, uint64_t ms)
{
    if (!t->enabled)
        return ERR_UNSUPPORTED;
    if (ms < 1 || ms > TESTSWITCH_STALL_MAX_MS)
        return ERR_RANGE;
    t->stall_ms = ms;
    return 0;
}

bool testswitch_stall_pending(const testswitch_t *t)
{
    return t->stall_ms != 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void testswitch_stall_now(testswitch_t *t, volatile sig_atomic_t *stop)
{
    uint64_t until = now_ms() + t->stall_ms;
    t->stall_ms = 0;
    while (!*stop && now_ms() < until)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
}
