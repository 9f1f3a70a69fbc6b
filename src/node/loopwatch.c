/*
 * loopwatch — the main loop's turn record and its watcher thread (see
 * loopwatch.h).
 *
 * Only the main loop writes turn_ms, longest_ms, turns and where, so plain
 * atomic loads and stores suffice (no read-modify-write). A reader may see
 * a phase of the next turn with the start time of the previous one for an
 * instant; that costs a few milliseconds of age in one reading, never a
 * false "stuck".
 */
#include "loopwatch.h"
#include "err.h"
#include "log.h"

#include <time.h>

uint64_t loopwatch_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void loopwatch_init(loopwatch_t *w, uint64_t now_ms, const char *where)
{
    atomic_init(&w->turn_ms, now_ms);
    atomic_init(&w->longest_ms, 0);
    atomic_init(&w->turns, 0);
    atomic_init(&w->where, where);
    atomic_init(&w->idle, false);
    w->reported_turn_ms = 0;
    w->reported_where = NULL;
    w->next_report_ms = 0;
    w->module = NULL;
    w->started = false;
    atomic_init(&w->stop, false);
}

void loopwatch_deinit(loopwatch_t *w)
{
    loopwatch_stop(w);
}

/* Ends the current turn at now_ms (nothing to end while idle). */
static void end_turn(loopwatch_t *w, uint64_t now_ms)
{
    if (atomic_load(&w->idle))
        return;
    uint64_t began = atomic_load(&w->turn_ms);
    uint64_t took = now_ms > began ? now_ms - began : 0;
    if (took > atomic_load(&w->longest_ms))
        atomic_store(&w->longest_ms, took);
}

void loopwatch_turn(loopwatch_t *w, uint64_t now_ms)
{
    end_turn(w, now_ms);
    /* The start before the flag: a reader that sees the loop busy again
     * sees the new turn's start (or, for an instant, an idle age of 0). */
    atomic_store(&w->turn_ms, now_ms);
    atomic_store(&w->idle, false);
    atomic_store(&w->turns, atomic_load(&w->turns) + 1);
}

void loopwatch_idle(loopwatch_t *w, uint64_t now_ms)
{
    end_turn(w, now_ms);
    atomic_store(&w->idle, true);
}

void loopwatch_at(loopwatch_t *w, const char *where)
{
    atomic_store(&w->where, where);
}

void loopwatch_read(const loopwatch_t *w, loopwatch_view_t *out,
                    uint64_t now_ms)
{
    bool idle = atomic_load(&w->idle);
    uint64_t began = atomic_load(&w->turn_ms);
    out->turn_age_ms = !idle && now_ms > began ? now_ms - began : 0;
    out->longest_turn_ms = atomic_load(&w->longest_ms);
    if (out->turn_age_ms > out->longest_turn_ms)
        out->longest_turn_ms = out->turn_age_ms;
    out->turns = atomic_load(&w->turns);
    out->where = atomic_load(&w->where);
}

loopwatch_event_t loopwatch_check(loopwatch_t *w, loopwatch_view_t *view,
                                  uint64_t now_ms)
{
    uint64_t began = atomic_load(&w->turn_ms);
    loopwatch_read(w, view, now_ms);
    if (w->reported_turn_ms && began != w->reported_turn_ms) {
        /* The stuck turn ended when a later one began. */
        view->turn_age_ms =
            began > w->reported_turn_ms ? began - w->reported_turn_ms : 0;
        view->where = w->reported_where;
        w->reported_turn_ms = 0;
        w->reported_where = NULL;
        return LOOPWATCH_RECOVERED;
    }
    if (view->turn_age_ms <= LOOPWATCH_STUCK_MS)
        return LOOPWATCH_OK;
    if (w->reported_turn_ms == 0) {
        w->reported_turn_ms = began;
        w->reported_where = view->where;
    } else if (now_ms < w->next_report_ms) {
        return LOOPWATCH_OK;
    }
    w->next_report_ms = now_ms + LOOPWATCH_REPEAT_MS;
    return LOOPWATCH_STUCK;
}

static void *watcher(void *arg)
{
    loopwatch_t *w = arg;
    for (;;) {
        /* Sleeps LOOPWATCH_CHECK_MS, or until loopwatch_stop(). */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += LOOPWATCH_CHECK_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&w->stop_lock);
        while (!atomic_load(&w->stop) &&
               pthread_cond_timedwait(&w->stop_cond, &w->stop_lock, &until) ==
                   0)
            ;
        pthread_mutex_unlock(&w->stop_lock);
        if (atomic_load(&w->stop))
            break;
        uint64_t now = loopwatch_now_ms();
        loopwatch_view_t v;
        switch (loopwatch_check(w, &v, now)) {
        case LOOPWATCH_STUCK:
            log_error(w->module,
                      "main loop stuck: no turn for %.1f s, in \"%s\"",
                      (double)v.turn_age_ms / 1000.0, v.where);
            break;
        case LOOPWATCH_RECOVERED:
            log_warn(w->module,
                     "main loop turning again after a turn of %.1f s in "
                     "\"%s\"",
                     (double)v.turn_age_ms / 1000.0, v.where);
            break;
        default:
            break;
        }
    }
    return NULL;
}

int loopwatch_start(loopwatch_t *w, const char *module)
{
    if (w->started)
        return ERR_DUPLICATE;
    w->module = module;
    atomic_store(&w->stop, false);
    pthread_mutex_init(&w->stop_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, watcher, w) != 0) {
        pthread_cond_destroy(&w->stop_cond);
        pthread_mutex_destroy(&w->stop_lock);
        return ERR_NOMEM;
    }
    w->started = true;
    return 0;
}

void loopwatch_stop(loopwatch_t *w)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->stop_lock);
    atomic_store(&w->stop, true);
    pthread_cond_signal(&w->stop_cond);
    pthread_mutex_unlock(&w->stop_lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->stop_cond);
    pthread_mutex_destroy(&w->stop_lock);
    w->started = false;
}
