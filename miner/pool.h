/*
 * pool — the mining worker pool: N threads, each pinned to its own core,
 * scanning disjoint parts of the work of one job with a SHA-256d kernel.
 *
 * A job has the shape Stratum miners know: an 80-byte header template, a
 * coinbase split around an 8-byte extra-nonce (prefix || extra-nonce ||
 * suffix; the coinbase's leaf hash is SHA256d of the three), the merkle
 * branch of the coinbase (siblings bottom-up), a 32-byte little-endian
 * target and a job id. Worker i of N scans nonce slice i of the header's
 * nonce range; when its slice is spent it takes its next extra-nonce
 * (extranonce_start + i, then + N each time, so workers never share one) and
 * rebuilds the merkle root from the branch. A job without a coinbase rolls
 * the header time instead (+1 second per spent slice).
 *
 * Version rolling: a job may let workers hash up to version_roll versions of
 * each header (BIP 320's bits, from bit 13 up: kernel.h); a worker rolls as
 * many as the job allows and its kernel gains from (kernel_roll_versions),
 * and a solution carries the version it was found with. A worker's hashes
 * count every (version, nonce) pair.
 *
 * States: a pool is idle (no job yet, or paused) or hashing. pool_set_job()
 * publishes a job by bumping a generation counter; every worker compares it
 * with its own after each batch (a batch is sized to take about 0.05 ms), so
 * all workers are on the new job within about one batch. The time from
 * publication to the last worker's switch is recorded for each publication
 * (pool_switch_latency()). pool_pause() returns once every worker has
 * stopped hashing; pool_resume() lets them go on where they were.
 * pool_free() stops and joins the threads.
 *
 * Every hit a kernel reports is hashed again with the reference (OpenSSL)
 * and checked against the job's target before it is queued as a solution;
 * the owner takes solutions with pool_next_solution().
 *
 * Thread safety: every function may be called from any thread, concurrently,
 * except pool_free(), which must be the last call on a pool.
 */
#ifndef PICKAXE_POOL_H
#define PICKAXE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define POOL_EXTRANONCE_SIZE 8
#define POOL_MAX_THREADS 256
/* Solutions kept until taken; more are dropped (and counted). */
#define POOL_QUEUE_SIZE 1024

typedef struct pool pool_t;

/* A job, as given to pool_set_job() (which copies everything). */
typedef struct {
    uint64_t job_id;
    /* Version, previous hash, merkle root (replaced when there is a
     * coinbase), time, bits; the nonce bytes are ignored. */
    uint8_t header[80];
    /* Versions a worker may hash per header: 0 or 1 = the header's own
     * only; up to KERNEL_ROLL_MAX (16), rounded down to a power of two.
     * Version i is the header's ^ (i << 13), so the version bits 13..16 of
     * a solution may differ from the header's. */
    unsigned version_roll;
    /* Coinbase around the extra-nonce; coinbase_prefix NULL = no coinbase:
     * the header's merkle root is used as is and the time rolls. */
    const uint8_t *coinbase_prefix;
    size_t coinbase_prefix_len;
    const uint8_t *coinbase_suffix;
    size_t coinbase_suffix_len;
    /* Merkle branch of the coinbase, bottom-up (may be NULL when 0). */
    const uint8_t (*branch)[32];
    size_t branch_len;
    uint8_t target[32];        /* little-endian */
    uint64_t extranonce_start; /* worker i starts at extranonce_start + i */
    /* Nonces scanned per header before rolling: 0 means all 2^32. Smaller
     * values exist for tests and for short demo blocks. */
    uint64_t nonces_per_header;
} pool_job_t;

/* A verified solution. */
typedef struct {
    uint64_t job_id;
    uint64_t extranonce; /* as placed in the coinbase (little-endian) */
    uint32_t version;    /* the header's, possibly rolled */
    uint32_t nonce;
    uint32_t time;
    uint8_t header[80]; /* the full header, nonce included */
    uint8_t hash[32];   /* SHA256d(header), SHA-256 byte order */
} pool_solution_t;

/*
 * Creates a pool and starts its threads, idle until the first job.
 * Returns: the pool (owned; pool_free() it), or NULL when impl is unknown,
 *          cannot run on this CPU or fails its known answers
 *          (kernel_self_test), threads > POOL_MAX_THREADS, or a thread or
 *          allocation failed (the reason is logged).
 * In:      threads  worker count; 0 = one per core.
 *          impl     kernel name or "auto" (NULL = "auto").
 * Binding a thread to its core is best effort: a failure is logged as a
 * warning and the thread runs unbound.
 */
pool_t *pool_new(unsigned threads, const char *impl);

/* Stops the workers, joins them and frees the pool; *p = NULL. NULL and
 * *p == NULL are harmless. Must not race with any other call on the pool. */
void pool_free(pool_t **p);

/*
 * Publishes a new job; workers drop the old one within about one batch.
 * Returns: 0; ERR_ARG for a NULL branch with branch_len > 0 or a coinbase
 *          suffix pointer missing; ERR_NOMEM.
 * In:      job (borrowed; copied).
 */
PX_MUST_CHECK int pool_set_job(pool_t *p, const pool_job_t *job);

/* Stops hashing; returns when no worker is hashing any more. */
void pool_pause(pool_t *p);

/* Lets the workers go on with the current job. */
void pool_resume(pool_t *p);

/*
 * Takes the oldest queued solution.
 * Returns: 0; ERR_TIMEOUT when none came within timeout_ms (0 = don't wait).
 * Out:     *sol, written only on success.
 */
PX_MUST_CHECK int pool_next_solution(pool_t *p, pool_solution_t *sol,
                                     int timeout_ms);

/*
 * Calls notify(ctx) from the worker that queued each solution (with the
 * pool's lock held: notify must be quick and must not call the pool), so
 * an owner that waits on something else -- the node's main loop, on its
 * inbox -- learns of a solution at once. NULL: no call.
 */
void pool_set_notify(pool_t *p, void (*notify)(void *ctx), void *ctx);

/* Number of worker threads. */
unsigned pool_threads(const pool_t *p);

/* Name of the kernel the workers run. */
const char *pool_kernel(const pool_t *p);

/* Hashes done so far by worker i (i < pool_threads()), or by all together. */
uint64_t pool_thread_hashes(const pool_t *p, unsigned i);
uint64_t pool_total_hashes(const pool_t *p);

/* Hashes per second of worker i, or of all together, averaged over the time
 * the workers spent hashing (pauses and idle time excluded). */
double pool_thread_hashrate(const pool_t *p, unsigned i);
double pool_hashrate(const pool_t *p);

/* CPU time worker i has used since it started, in seconds (-1 when the
 * system cannot tell). Unlike wall time it excludes the time the worker was
 * preempted, so hashes / CPU seconds is the kernel's speed on a core even
 * when other processes share the machine. */
double pool_thread_cpu_seconds(const pool_t *p, unsigned i);

/* Solutions dropped because the queue was full, and kernel hits that failed
 * the reference re-check (always 0 unless a kernel is broken). */
uint64_t pool_dropped(const pool_t *p);
uint64_t pool_rejected(const pool_t *p);

/* The generation workers are expected to be on (one per pool_set_job), and
 * the lowest generation any worker is currently on. */
uint64_t pool_generation(const pool_t *p);
uint64_t pool_min_worker_generation(const pool_t *p);

/*
 * Publication-to-last-switch latency over the recent publications (those
 * made while the pool was hashing, up to the last 4096).
 * Returns: 0; ERR_NOT_FOUND when there is no sample yet; ERR_NOMEM.
 * Out:     *p50_us, *p99_us (microseconds), *samples (may be NULL).
 */
PX_MUST_CHECK int pool_switch_latency(pool_t *p, double *p50_us, double *p99_us,
                                      size_t *samples);

#endif
