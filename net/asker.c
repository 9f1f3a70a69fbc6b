/*
 * asker — a FIFO of requests and the thread that runs them (see asker.h).
 *
 * `lock` guards the queue and the thread's state; `cond` wakes the thread
 * for a new request or for stopping.
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

struct asker {
    asker_run_fn run;
    void *ctx;
    size_t max;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    item_t *head, *tail;
    size_t n;
    pthread_t thread;
    bool started, stop;
};

static void item_free(item_t *it)
{
    free(it->req);
    free(it);
}

static void *asker_main(void *arg)
{
    asker_t *a = arg;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        while (!a->stop && !a->head)
            pthread_cond_wait(&a->cond, &a->lock);
        if (a->stop)
            break;
        item_t *it = a->head;
        a->head = it->next;
        if (!a->head)
            a->tail = NULL;
        a->n--;
        pthread_mutex_unlock(&a->lock);
        a->run(a->ctx, it->peer, it->tag, it->req, it->len);
        item_free(it);
        pthread_mutex_lock(&a->lock);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

asker_t *asker_new(asker_run_fn run, void *ctx, size_t max)
{
    if (!run || max == 0)
        return NULL;
    asker_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->run = run;
    a->ctx = ctx;
    a->max = max;
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
    if (a->n >= a->max)
        rc = ERR_FULL;
    else if (!a->started &&
             pthread_create(&a->thread, NULL, asker_main, a) != 0)
        rc = ERR_NOMEM;
    if (rc == 0) {
        a->started = true;
        if (a->tail)
            a->tail->next = it;
        else
            a->head = it;
        a->tail = it;
        a->n++;
        pthread_cond_signal(&a->cond);
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
    pthread_cond_signal(&a->cond);
    bool started = a->started;
    pthread_mutex_unlock(&a->lock);
    if (started)
        pthread_join(a->thread, NULL);
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
