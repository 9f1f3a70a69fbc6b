/*
 * stratum_stats — per-worker share statistics (see stratum_stats.h).
 */
#include "stratum_stats.h"
#include "err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int stratum_stats_init(stratum_stats_t *st)
{
    memset(st, 0, sizeof *st);
    st->workers = calloc(STRATUM_WORKERS_MAX, sizeof *st->workers);
    if (!st->workers)
        return ERR_NOMEM;
    pthread_mutex_init(&st->lock, NULL);
    return 0;
}

void stratum_stats_deinit(stratum_stats_t *st)
{
    if (!st->workers)
        return;
    free(st->workers);
    st->workers = NULL;
    pthread_mutex_destroy(&st->lock);
}

int stratum_stats_worker(stratum_stats_t *st, const char *name)
{
    pthread_mutex_lock(&st->lock);
    int slot = -1;
    for (int i = 0; i < st->count; i++)
        if (strcmp(st->workers[i].name, name) == 0)
            slot = i;
    if (slot < 0) {
        if (st->count < STRATUM_WORKERS_MAX) {
            slot = st->count++;
            snprintf(st->workers[slot].name, sizeof st->workers[slot].name,
                     "%s",
                     st->count == STRATUM_WORKERS_MAX ? "(others)" : name);
        } else {
            slot = STRATUM_WORKERS_MAX - 1;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return slot;
}

void stratum_stats_connection(stratum_stats_t *st, int slot, int delta)
{
    if (slot < 0 || slot >= STRATUM_WORKERS_MAX)
        return;
    pthread_mutex_lock(&st->lock);
    stratum_worker_t *w = &st->workers[slot];
    if (delta < 0 && w->connections > 0)
        w->connections--;
    else if (delta > 0)
        w->connections++;
    pthread_mutex_unlock(&st->lock);
}

static void decay(stratum_worker_t *w, uint64_t now_ms)
{
    if (now_ms > w->rate_ms && w->rate_ms) {
        double dt = (double)(now_ms - w->rate_ms) / 1000.0;
        w->rate_work *= exp(-dt / STRATUM_RATE_TAU_S);
    }
    w->rate_ms = now_ms;
}

void stratum_stats_share(stratum_stats_t *st, int slot, stratum_outcome_t what,
                         double diff, uint64_t now_ms)
{
    if (slot < 0 || slot >= STRATUM_WORKERS_MAX)
        return;
    pthread_mutex_lock(&st->lock);
    stratum_worker_t *w = &st->workers[slot];
    switch (what) {
    case STRATUM_SHARE_ACCEPTED:
        if (!w->accepted++)
            w->first_ms = now_ms;
        decay(w, now_ms);
        w->rate_work += diff;
        w->last_ms = now_ms;
        w->last_unix = (int64_t)time(NULL);
        break;
    case STRATUM_SHARE_STALE:
        w->stale++;
        break;
    case STRATUM_SHARE_DUPLICATE:
        w->duplicate++;
        break;
    case STRATUM_SHARE_LOW:
        w->low++;
        break;
    case STRATUM_SHARE_INVALID:
        w->invalid++;
        break;
    }
    pthread_mutex_unlock(&st->lock);
}

void stratum_stats_block(stratum_stats_t *st, int slot,
                         stratum_block_fate_t fate)
{
    pthread_mutex_lock(&st->lock);
    if (fate == STRATUM_BLOCK_REFUSED)
        st->blocks_refused++;
    else if (fate == STRATUM_BLOCK_STALE)
        st->blocks_stale++;
    else if (slot >= 0 && slot < STRATUM_WORKERS_MAX)
        st->workers[slot].blocks++;
    pthread_mutex_unlock(&st->lock);
}

void stratum_stats_conns(stratum_stats_t *st,
                         void (*fn)(stratum_conn_stats_t *c, void *arg),
                         void *arg)
{
    pthread_mutex_lock(&st->lock);
    fn(&st->conns, arg);
    pthread_mutex_unlock(&st->lock);
}

double stratum_stats_hashrate(const stratum_worker_t *w, uint64_t now_ms)
{
    if (!w->accepted)
        return 0;
    double work = w->rate_work;
    if (now_ms > w->rate_ms && w->rate_ms)
        work *=
            exp(-(double)(now_ms - w->rate_ms) / 1000.0 / STRATUM_RATE_TAU_S);
    /* A steady rate r since first_ms has filled the decayed sum up to
     * r * tau * (1 - e^(-age/tau)); dividing by that, not by tau, keeps
     * the first minutes' estimate right. Ten seconds at least, so that
     * one early share does not read as a huge rate. */
    double age =
        now_ms > w->first_ms ? (double)(now_ms - w->first_ms) / 1e3 : 0;
    if (age < 10)
        age = 10;
    double span = STRATUM_RATE_TAU_S * (1 - exp(-age / STRATUM_RATE_TAU_S));
    return work * 4294967296.0 / span;
}

static json_t *worker_json(const stratum_worker_t *w, uint64_t now_ms)
{
    char addr[STRATUM_WORKER_MAX + 1];
    snprintf(addr, sizeof addr, "%s", w->name);
    char *dot = strchr(addr, '.');
    if (dot)
        *dot = 0;
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:i}", "worker",
                     w->name, "address", addr, "accepted",
                     (json_int_t)w->accepted, "stale", (json_int_t)w->stale,
                     "duplicate", (json_int_t)w->duplicate, "low_difficulty",
                     (json_int_t)w->low, "invalid", (json_int_t)w->invalid,
                     "blocks", (json_int_t)w->blocks, "hashrate",
                     stratum_stats_hashrate(w, now_ms), "last_share",
                     w->last_unix ? json_integer(w->last_unix) : json_null(),
                     "connections", (int)w->connections);
}

json_t *stratum_stats_json(stratum_stats_t *st, uint64_t now_ms,
                           bool with_workers)
{
    pthread_mutex_lock(&st->lock);
    uint64_t acc = 0, stale = 0, dup = 0, low = 0, inv = 0, blocks = 0;
    double rate = 0;
    json_t *workers = with_workers ? json_array() : NULL;
    for (int i = 0; i < st->count; i++) {
        const stratum_worker_t *w = &st->workers[i];
        acc += w->accepted;
        stale += w->stale;
        dup += w->duplicate;
        low += w->low;
        inv += w->invalid;
        blocks += w->blocks;
        rate += stratum_stats_hashrate(w, now_ms);
        if (workers)
            json_array_append_new(workers, worker_json(w, now_ms));
    }
    const stratum_conn_stats_t *c = &st->conns;
    json_t *r = json_pack(
        "{s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
        "s:I,s:I,s:I,s:I,s:f}",
        "connections", (json_int_t)c->open, "connections_total",
        (json_int_t)c->total, "refused_full", (json_int_t)c->refused_full,
        "disconnected", "score", (json_int_t)c->dropped_score, "idle",
        (json_int_t)c->dropped_idle, "long_line",
        (json_int_t)c->dropped_long_line, "slow", (json_int_t)c->dropped_slow,
        "jobs_sent", (json_int_t)c->jobs_sent, "templates",
        (json_int_t)c->templates, "clean_jobs", (json_int_t)c->clean_jobs,
        "fanout_us", (json_int_t)c->fanout_us, "accepted", (json_int_t)acc,
        "stale", (json_int_t)stale, "duplicate", (json_int_t)dup,
        "low_difficulty", (json_int_t)low, "invalid", (json_int_t)inv, "blocks",
        (json_int_t)blocks, "blocks_refused", (json_int_t)st->blocks_refused,
        "blocks_stale", (json_int_t)st->blocks_stale, "hashrate", rate);
    pthread_mutex_unlock(&st->lock);
    if (r && workers)
        json_object_set_new(r, "workers", workers);
    else
        json_decref(workers);
    return r;
}
