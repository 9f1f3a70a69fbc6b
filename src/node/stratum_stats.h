/*
 * stratum_stats — what the Stratum server's miners did, per worker (the
 * username given to mining.authorize, ADDRESS or ADDRESS.WORKER) and in
 * total, for `pickaxe-cli stratum`, `status` and the wallet page.
 *
 * Per worker: shares accepted, stale, duplicate, low-difficulty and
 * otherwise refused; blocks found (accepted by the chain); a hashrate
 * estimated from the accepted shares' difficulty (difficulty d is d * 2^32
 * hashes on average), averaged over about STRATUM_RATE_TAU_S seconds with
 * an exponential decay (corrected for the worker's first minutes, when the
 * average has not filled up yet); the time of the last accepted share. At most
 * STRATUM_WORKERS_MAX workers are kept; later names share the last slot,
 * "(others)".
 *
 * Thread safety: every function takes the table's own lock, so the
 * server's thread writes and the request thread reads at once.
 */
#ifndef PICKAXE_STRATUM_STATS_H
#define PICKAXE_STRATUM_STATS_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "stratum_session.h"

#define STRATUM_WORKERS_MAX 1024
#define STRATUM_RATE_TAU_S 300.0

typedef struct {
    char name[STRATUM_WORKER_MAX + 1];
    uint64_t accepted, stale, duplicate, low, invalid, blocks;
    double rate_work;  /* decayed sum of accepted difficulty */
    uint64_t rate_ms;  /* when rate_work was last decayed */
    uint64_t first_ms; /* monotonic, of the first accepted share */
    uint64_t last_ms;  /* monotonic, of the last accepted share */
    int64_t last_unix; /* wall clock of the same; 0: none */
    unsigned connections;
} stratum_worker_t;

/* Connections and what ended them. */
typedef struct {
    uint64_t open, total;
    uint64_t refused_full; /* over the connection limit */
    uint64_t dropped_score, dropped_idle, dropped_long_line, dropped_slow;
    uint64_t jobs_sent, templates, clean_jobs;
    uint64_t fanout_us; /* last clean_jobs: first to last connection */
} stratum_conn_stats_t;

typedef struct {
    pthread_mutex_t lock;
    stratum_worker_t *workers; /* STRATUM_WORKERS_MAX slots */
    int count;
    stratum_conn_stats_t conns;
    uint64_t blocks_refused, blocks_stale;
} stratum_stats_t;

/* Returns 0 or ERR_NOMEM. */
int stratum_stats_init(stratum_stats_t *st);
void stratum_stats_deinit(stratum_stats_t *st);

/* The slot of a worker name, made on first use; -1 never (the last slot
 * takes the overflow). */
int stratum_stats_worker(stratum_stats_t *st, const char *name);

/* A worker's connection opened (+1) or closed (-1). */
void stratum_stats_connection(stratum_stats_t *st, int slot, int delta);

void stratum_stats_share(stratum_stats_t *st, int slot, stratum_outcome_t what,
                         double diff, uint64_t now_ms);

/* What became of a block by slot. */
typedef enum {
    STRATUM_BLOCK_ACCEPTED, /* by the chain */
    STRATUM_BLOCK_REFUSED,  /* by the chain */
    STRATUM_BLOCK_STALE,    /* the tip moved before the main loop took it */
} stratum_block_fate_t;

void stratum_stats_block(stratum_stats_t *st, int slot,
                         stratum_block_fate_t fate);

/* Applies fn to the connection counters under the lock. */
void stratum_stats_conns(stratum_stats_t *st,
                         void (*fn)(stratum_conn_stats_t *c, void *arg),
                         void *arg);

/* Estimated hashes a second from a decayed sum of difficulty. */
double stratum_stats_hashrate(const stratum_worker_t *w, uint64_t now_ms);

/*
 * {connections, connections_total, refused_full, disconnected: {score,
 *  idle, long_line, slow}, jobs_sent, templates, clean_jobs,
 *  fanout_us, accepted, stale, duplicate, low_difficulty, invalid, blocks,
 *  blocks_refused, blocks_stale, hashrate, workers: [...] (when
 *  with_workers)}
 * Returns: a new object, or NULL when out of memory.
 */
json_t *stratum_stats_json(stratum_stats_t *st, uint64_t now_ms,
                           bool with_workers);

#endif
