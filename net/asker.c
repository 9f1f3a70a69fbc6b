/*
 * asker — a queue of requests and the workers that run them (see asker.h).
 *
 * `lock` guards everything; `cond` wakes the workers for a new request, for
 * a peer whose request ended (its next may run now), or for stopping.
 * busy[i] and peer[i] say whether worker i runs a request and to whom; a
 * peer has a request running exactly when some busy worker names it.
 */
#include "asker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

typedef struct item {
    struct item *next;
    uint64_t peer, tag;
    uint8_t *req; /* owned */
    size_t len;
} item_t;

typedef struct {
    struct asker *a;
    size_t index;
} worker_arg_t;

struct asker {
    asker_run_fn run;
    void *ctx;
    size_t max, threads;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    item_t *head, *tail;
    size_t n;
    pthread_t th[ASKER_MAX_THREADS];
    worker_arg_t args[ASKER_MAX_THREADS];
    bool busy[ASKER_MAX_THREADS];
    uint64_t peer[ASKER_MAX_THREADS];
    size_t started, n_busy;
    bool stop;
};

static void item_free(item_t *it)
{
    free(it->req);
    free(it);
}

/* True when a worker runs a request to peer. Lock held. */
static bool peer_running(const asker_t *a, uint64_t peer)
{
    for (size_t i = 0; i < a->started; i++)
        if (a->busy[i] && a->peer[i] == peer)
            return true;
    return false;
}

/* Unlinks and returns the oldest request whose peer has none running, or
 * NULL. Lock held. The queue is bounded by max. */
static item_t *take_runnable(asker_t *a)
{
    item_t *prev = NULL;
    for (item_t *it = a->head; it; prev = it, it = it->next) {
        if (peer_running(a, it->peer))
            continue;
        if (prev)
            prev->next = it->next;
        else
            a->head = it->next;
        if (a->tail == it)
            a->tail = prev;
        a->n--;
        return it;
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    worker_arg_t *w = arg;
    asker_t *a = w->a;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        item_t *it = NULL;
        while (!a->stop && !(it = take_runnable(a)))
            pthread_cond_wait(&a->cond, &a->lock);
        if (a->stop) {
            if (it)
                item_free(it);
            break;
        }
        a->busy[w->index] = true;
        a->peer[w->index] = it->peer;
        a->n_busy++;
        pthread_mutex_unlock(&a->lock);
        a->run(a->ctx, it->peer, it->tag, it->req, it->len);
        item_free(it);
        pthread_mutex_lock(&a->lock);
        a->busy[w->index] = false;
        a->n_busy--;
        /* This peer's next request may run now, on any worker. */
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

asker_t *asker_new(asker_run_fn run, void *ctx, size_t max, size_t threads)
{
    if (!run || max == 0 || threads == 0 || threads > ASKER_MAX_THREADS)
        return NULL;
    asker_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->run = run;
    a->ctx = ctx;
    a->max = max;
    a->threads = threads;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    return a;
}

int asker_push(asker_t *a, uint64_t peer, uint64_t tag, const uint8_t *req,
               size_t len)
{
    if (!req || len == 0)
        return ERR_ARG;
    item_t *it = calloc(1, sizeof *it);
    uint8_t *copy = malloc(len);
    if (!it || !copy) {
        free(it);
        free(copy);
        return ERR_NOMEM;
    }
    memcpy(copy, req, len);
    *it = (item_t){NULL, peer, tag, copy, len};
    int rc = 0;
    pthread_mutex_lock(&a->lock);
    if (a->n >= a->max) {
        rc = ERR_FULL;
    } else if (a->n_busy + a->n >= a->started && a->started < a->threads) {
        /* Every worker is busy or has a request waiting for it: one more
         * (a failure is fine while another worker runs). */
        size_t i = a->started;
        a->args[i] = (worker_arg_t){a, i};
        if (pthread_create(&a->th[i], NULL, worker_main, &a->args[i]) == 0)
            a->started++;
        else if (a->started == 0)
            rc = ERR_NOMEM;
    }
    if (rc == 0) {
        if (a->tail)
            a->tail->next = it;
        else
            a->head = it;
        a->tail = it;
        a->n++;
        pthread_cond_broadcast(&a->cond);
    }
    pthread_mutex_unlock(&a->lock);
    if (rc)
        item_free(it);
    return rc;
}

void asker_free(asker_t **ap)
{
    if (!ap || !*ap)
        return;
    asker_t *a = *ap;
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_cond_broadcast(&a->cond);
    size_t started = a->started;
    pthread_mutex_unlock(&a->lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(a->th[i], NULL);
    while (a->head) {
        item_t *it = a->head;
        a->head = it->next;
        item_free(it);
    }
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    free(a);
    *ap = NULL;
}
