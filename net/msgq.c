/*
 * msgq — a linked FIFO under a mutex, with a condition variable on the
 * monotonic clock for msgq_pop()'s wait (see msgq.h).
 */
#include "msgq.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "sock.h"

typedef struct item {
    struct item *next;
    p2p_msg_t msg;
} item_t;

struct msgq {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    item_t *head, *tail;
    size_t n, max;
    bool woken; /* msgq_wake() since the last waiting pop */
};

msgq_t *msgq_new(size_t max)
{
    if (max == 0)
        return NULL;
    msgq_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->max = max;
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void msgq_free(msgq_t **qp)
{
    if (!qp || !*qp)
        return;
    msgq_t *q = *qp;
    while (q->head) {
        item_t *it = q->head;
        q->head = it->next;
        p2p_msg_clear(&it->msg);
        free(it);
    }
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
    *qp = NULL;
}

int msgq_push(msgq_t *q, p2p_msg_t *msg, bool always)
{
    item_t *it = malloc(sizeof *it);
    if (!it)
        return ERR_NOMEM;
    pthread_mutex_lock(&q->lock);
    if (!always && q->n >= q->max) {
        pthread_mutex_unlock(&q->lock);
        free(it);
        return ERR_FULL;
    }
    it->next = NULL;
    it->msg = *msg;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    *msg = (p2p_msg_t){0};
    return 0;
}

int msgq_pop(msgq_t *q, p2p_msg_t *out, int timeout_ms)
{
    struct timespec ts =
        sock_deadline_in(timeout_ms > 0 ? (uint32_t)timeout_ms : 0);
    pthread_mutex_lock(&q->lock);
    while (!q->head && !q->woken && timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&q->cond, &q->lock);
        else if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) != 0)
            break;
    }
    /* Only a pop that may wait takes the wake: one that does not leaves it
     * for the next wait, which then returns at once (no wake is lost). */
    if (timeout_ms != 0)
        q->woken = false;
    item_t *it = q->head;
    if (it) {
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
    }
    pthread_mutex_unlock(&q->lock);
    if (!it)
        return ERR_TIMEOUT;
    *out = it->msg;
    free(it);
    return 0;
}

void msgq_wake(msgq_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->woken = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}
