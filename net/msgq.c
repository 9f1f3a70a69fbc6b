/*
 * msgq — lanes of doubly linked messages under one mutex, with a condition
 * variable on the monotonic clock for msgq_pop()'s wait (see msgq.h).
 *
 * `lanes` holds the non-empty lanes in the order they were opened; `next`
 * is the index of the lane msgq_pop() serves next. A lane is removed as soon
 * as it is empty, so the array holds only lanes with messages and a pop
 * never scans an empty one. `fill` counts the messages pushed without
 * `always` (what max bounds); each lane's `fill` likewise for lane_max.
 */
#include "msgq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "sock.h"

typedef struct item {
    struct item *prev, *next;
    bool always;
    p2p_msg_t msg;
} item_t;

typedef struct {
    uint64_t sender;
    item_t *head, *tail;
    size_t n, fill;
} lane_t;

struct msgq {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    lane_t *lanes;
    size_t n_lanes, cap_lanes, next;
    size_t n, fill, max, lane_max;
    bool woken; /* msgq_wake() since the last waiting pop */
};

msgq_t *msgq_new(size_t max, size_t lane_max)
{
    if (max == 0 || lane_max == 0)
        return NULL;
    msgq_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->max = max;
    q->lane_max = lane_max < max ? lane_max : max;
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
    for (size_t i = 0; i < q->n_lanes; i++)
        while (q->lanes[i].head) {
            item_t *it = q->lanes[i].head;
            q->lanes[i].head = it->next;
            p2p_msg_clear(&it->msg);
            free(it);
        }
    free(q->lanes);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
    *qp = NULL;
}

/* The index of sender's lane, or n_lanes when it has none. Lock held. */
static size_t find_lane(const msgq_t *q, uint64_t sender)
{
    size_t i = 0;
    while (i < q->n_lanes && q->lanes[i].sender != sender)
        i++;
    return i;
}

/* Removes an empty lane, keeping the others' round-robin order. */
static void drop_lane(msgq_t *q, size_t i)
{
    memmove(&q->lanes[i], &q->lanes[i + 1],
            (q->n_lanes - i - 1) * sizeof *q->lanes);
    q->n_lanes--;
    if (q->next > i)
        q->next--;
    if (q->next >= q->n_lanes)
        q->next = 0;
}

static void unlink_item(msgq_t *q, lane_t *l, item_t *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        l->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        l->tail = it->prev;
    l->n--;
    q->n--;
    if (!it->always) {
        l->fill--;
        q->fill--;
    }
}

/*
 * Makes room in a full queue for a push into lane `mine` (n_lanes: a new
 * lane) by taking the newest evictable message of the longest other lane,
 * when that lane is longer than mine would be. Lock held.
 * Returns: the evicted item (unlinked), or NULL when no lane may give.
 */
static item_t *evict_for(msgq_t *q, size_t mine)
{
    size_t own = mine < q->n_lanes ? q->lanes[mine].fill : 0;
    size_t longest = q->n_lanes;
    for (size_t i = 0; i < q->n_lanes; i++)
        if (i != mine && q->lanes[i].fill > own + 1 &&
            (longest == q->n_lanes ||
             q->lanes[i].fill > q->lanes[longest].fill))
            longest = i;
    if (longest == q->n_lanes)
        return NULL;
    lane_t *l = &q->lanes[longest];
    item_t *it = l->tail;
    while (it && it->always) /* fill > 0: one is evictable */
        it = it->prev;
    unlink_item(q, l, it);
    if (!l->head)
        drop_lane(q, longest);
    return it;
}

/* Room for one more lane. Lock held. */
static int reserve_lane(msgq_t *q)
{
    if (q->n_lanes < q->cap_lanes)
        return 0;
    size_t cap = q->cap_lanes ? 2 * q->cap_lanes : 8;
    lane_t *nl = realloc(q->lanes, cap * sizeof *nl);
    if (!nl)
        return ERR_NOMEM;
    q->lanes = nl;
    q->cap_lanes = cap;
    return 0;
}

int msgq_push(msgq_t *q, p2p_msg_t *msg, bool always, p2p_msg_t *evicted)
{
    if (evicted)
        memset(evicted, 0, sizeof *evicted);
    item_t *it = malloc(sizeof *it);
    if (!it)
        return ERR_NOMEM;
    item_t *gone = NULL;
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    size_t li = find_lane(q, msg->peer_id);
    if (li == q->n_lanes)
        rc = reserve_lane(q);
    if (rc == 0 && !always) {
        size_t fill = li < q->n_lanes ? q->lanes[li].fill : 0;
        if (fill >= q->lane_max)
            rc = ERR_FULL;
        else if (q->fill >= q->max && !(gone = evict_for(q, li)))
            rc = ERR_FULL;
        else if (gone)
            li = find_lane(q, msg->peer_id); /* lanes may have moved */
    }
    if (rc) {
        pthread_mutex_unlock(&q->lock);
        free(it);
        return rc;
    }
    if (li == q->n_lanes)
        q->lanes[q->n_lanes++] = (lane_t){.sender = msg->peer_id};
    lane_t *l = &q->lanes[li];
    *it = (item_t){.prev = l->tail, .always = always, .msg = *msg};
    if (l->tail)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
    l->n++;
    q->n++;
    if (!always) {
        l->fill++;
        q->fill++;
    }
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    memset(msg, 0, sizeof *msg);
    if (gone) {
        if (evicted)
            *evicted = gone->msg;
        else
            p2p_msg_clear(&gone->msg);
        free(gone);
    }
    return 0;
}

int msgq_pop(msgq_t *q, p2p_msg_t *out, int timeout_ms)
{
    struct timespec ts =
        sock_deadline_in(timeout_ms > 0 ? (uint32_t)timeout_ms : 0);
    pthread_mutex_lock(&q->lock);
    while (!q->n_lanes && !q->woken && timeout_ms != 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&q->cond, &q->lock);
        else if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) != 0)
            break;
    }
    /* Only a pop that may wait takes the wake: one that does not leaves it
     * for the next wait, which then returns at once (no wake is lost). */
    if (timeout_ms != 0)
        q->woken = false;
    item_t *it = NULL;
    if (q->n_lanes) {
        size_t li = q->next < q->n_lanes ? q->next : 0;
        lane_t *l = &q->lanes[li];
        it = l->head;
        unlink_item(q, l, it);
        if (!l->head) {
            q->next = li;
            drop_lane(q, li); /* next now names the lane after it */
        } else {
            q->next = li + 1 < q->n_lanes ? li + 1 : 0;
        }
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

size_t msgq_lane_count(msgq_t *q, uint64_t sender)
{
    pthread_mutex_lock(&q->lock);
    size_t i = find_lane(q, sender);
    size_t n = i < q->n_lanes ? q->lanes[i].n : 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t msgq_count(msgq_t *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->n;
    pthread_mutex_unlock(&q->lock);
    return n;
}
