/*
 * pool — the mining worker pool (see pool.h for the model).
 *
 * Shared state lives in struct pool under one mutex: the published job
 * (owned copies of its buffers), the pause and stop flags, the solution
 * queue and the switch-latency samples. Workers do not hold the mutex while
 * hashing: each keeps a private copy of its job, header and prepared kernel
 * job, and per batch reads three atomics (stop, paused, generation); only
 * when one of them says something changed does it take the mutex, adopt the
 * new job or wait on the condition variable.
 *
 * Invariants: generation counts publications, and a worker's own generation
 * is never above it; idle counts workers blocked waiting for work, so a
 * pause is complete when idle == n; a latency sample is recorded only for a
 * publication made while the pool was hashing, when the last worker adopts
 * it (a pause or a newer publication in between discards it).
 *
 * Per-worker counters are atomics in cache-line-aligned structs, so readers
 * never block workers and workers never share a line.
 */
#include "pool.h"

#include <errno.h>
#include <hwloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "kernel.h"
#include "log.h"
#include "merkle.h"
#include "sha256.h"

#define LAT_RING 4096
#define BATCH_TARGET_NS 50000 /* about 0.05 ms of hashing per batch */
#define BATCH_MIN 64
#define BATCH_MAX (1u << 22)

struct worker {
    /* Written by the worker, read by anyone. */
    _Alignas(64) atomic_uint_fast64_t hashes;
    atomic_uint_fast64_t busy_ns;
    atomic_uint_fast64_t generation;

    /* Private to the worker thread. */
    struct pool *pool;
    unsigned index;
    pthread_t thread;
    bool started;
    hwloc_bitmap_t cpuset; /* NULL: no binding */
    pool_job_t job;        /* its pointers unused; see cb and branch */
    uint8_t *cb;           /* prefix || extra-nonce || suffix */
    size_t cb_len, cb_cap;
    uint8_t (*branch)[32];
    size_t branch_cap;
    bool has_coinbase;
    uint64_t lo, hi, cursor; /* this worker's nonce slice, next nonce */
    uint64_t extranonce;
    uint32_t time;
    unsigned versions; /* headers per nonce (version rolling) */
    uint8_t header[80];
    kernel_rolljob_t kjob; /* kjob.versions headers per nonce */
};

struct pool {
    const kernel_t *kernel;
    unsigned n;
    struct worker *w;
    hwloc_topology_t topo;
    bool have_topo;

    pthread_mutex_t mu;
    pthread_cond_t cv_work; /* workers: job, resume or stop */
    pthread_cond_t cv_idle; /* pool_pause: a worker went idle */
    pthread_cond_t cv_sol;  /* pool_next_solution: a solution came */

    /* The published job (owned copies). */
    pool_job_t job;
    uint8_t *prefix, *suffix;
    uint8_t (*branch)[32];
    bool has_job;

    atomic_uint_fast64_t generation;
    atomic_bool paused, stop;
    unsigned idle;

    /* Switch latency. */
    uint64_t publish_ns, pub_gen;
    unsigned adopted;
    bool measuring;
    double lat_us[LAT_RING];
    size_t lat_n, lat_pos;

    pool_solution_t queue[POOL_QUEUE_SIZE];
    size_t q_head, q_len;
    void (*notify)(void *ctx); /* pool_set_notify(), under mu */
    void *notify_ctx;
    atomic_uint_fast64_t dropped, rejected;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the worker's own header ---- */

/* Puts extra-nonce / time into the header and prepares the kernel job. */
static void build_header(struct worker *w)
{
    if (w->has_coinbase) {
        uint8_t leaf[32], root[32];
        le64_put(w->cb + w->job.coinbase_prefix_len, w->extranonce);
        sha256d(leaf, w->cb, w->cb_len);
        merkle_root_from_branch(root, leaf, (const uint8_t(*)[32])w->branch,
                                w->job.branch_len);
        memcpy(w->header + 36, root, 32);
    }
    le32_put(w->header + 68, w->time);
    kernel_rolljob_init(&w->kjob, w->header, w->job.target, w->versions);
    w->cursor = w->lo;
}

/* The slice is spent: next extra-nonce (or second) and start again. */
static void roll(struct worker *w)
{
    if (w->has_coinbase)
        w->extranonce += w->pool->n;
    else
        w->time++;
    build_header(w);
}

/* Copies the published job; called with the pool mutex held. */
static int adopt(struct worker *w)
{
    struct pool *p = w->pool;
    const pool_job_t *j = &p->job;
    w->has_coinbase = p->prefix != NULL;
    if (w->has_coinbase) {
        size_t need = j->coinbase_prefix_len + POOL_EXTRANONCE_SIZE +
                      j->coinbase_suffix_len;
        if (need > w->cb_cap) {
            uint8_t *cb = realloc(w->cb, need);
            if (!cb)
                return ERR_NOMEM;
            w->cb = cb;
            w->cb_cap = need;
        }
        memcpy(w->cb, p->prefix, j->coinbase_prefix_len);
        if (j->coinbase_suffix_len)
            memcpy(w->cb + j->coinbase_prefix_len + POOL_EXTRANONCE_SIZE,
                   p->suffix, j->coinbase_suffix_len);
        w->cb_len = need;
    }
    if (j->branch_len > w->branch_cap) {
        uint8_t(*b)[32] = realloc(w->branch, j->branch_len * 32);
        if (!b)
            return ERR_NOMEM;
        w->branch = b;
        w->branch_cap = j->branch_len;
    }
    if (j->branch_len)
        memcpy(w->branch, p->branch, j->branch_len * 32);
    w->job = *j;
    memcpy(w->header, j->header, 80);
    w->time = le32_get(j->header + 68);
    w->extranonce = j->extranonce_start + w->index;
    /* Roll as many versions as the job allows and the kernel gains from. */
    unsigned allowed = j->version_roll ? j->version_roll : 1;
    unsigned best = kernel_roll_versions(p->kernel);
    w->versions = allowed < best ? allowed : best;

    uint64_t span =
        j->nonces_per_header ? j->nonces_per_header : (uint64_t)1 << 32;
    if (span < p->n)
        span = p->n;
    uint64_t slice = (span + p->n - 1) / p->n;
    w->lo = slice * w->index;
    w->hi = w->lo + slice < span ? w->lo + slice : span;
    build_header(w);
    return 0;
}

/* A worker switched to generation g; called with the pool mutex held. */
static void note_switch(struct pool *p, uint64_t g)
{
    if (!p->measuring || g != p->pub_gen)
        return;
    if (++p->adopted < p->n)
        return;
    p->lat_us[p->lat_pos] = (double)(now_ns() - p->publish_ns) / 1000.0;
    p->lat_pos = (p->lat_pos + 1) % LAT_RING;
    if (p->lat_n < LAT_RING)
        p->lat_n++;
    p->measuring = false;
}

/* Kernel hit: verify with the reference hash, then queue. */
static bool on_hit(void *arg, unsigned vi, uint32_t nonce,
                   const uint8_t hash[32])
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    pool_solution_t s;
    const uint32_t version = kernel_rolled_version(le32_get(w->header), vi);
    memcpy(s.header, w->header, 80);
    le32_put(s.header, version);
    le32_put(s.header + 76, nonce);
    sha256d(s.hash, s.header, 80);
    if (memcmp(s.hash, hash, 32) != 0 ||
        !kernel_hash_meets(s.hash, w->job.target)) {
        atomic_fetch_add(&p->rejected, 1);
        log_error("pool",
                  "kernel %s reported nonce %u, which the reference "
                  "hash refutes; dropped",
                  kernel_name(p->kernel), nonce);
        return true;
    }
    s.job_id = w->job.job_id;
    s.extranonce = w->has_coinbase ? w->extranonce : 0;
    s.version = version;
    s.nonce = nonce;
    s.time = w->time;
    pthread_mutex_lock(&p->mu);
    if (p->q_len == POOL_QUEUE_SIZE) {
        atomic_fetch_add(&p->dropped, 1);
    } else {
        p->queue[(p->q_head + p->q_len) % POOL_QUEUE_SIZE] = s;
        p->q_len++;
        pthread_cond_signal(&p->cv_sol);
        if (p->notify)
            p->notify(p->notify_ctx);
    }
    pthread_mutex_unlock(&p->mu);
    return true;
}

static void bind_to_core(struct worker *w)
{
    struct pool *p = w->pool;
    if (!w->cpuset)
        return;
    if (hwloc_set_cpubind(p->topo, w->cpuset, HWLOC_CPUBIND_THREAD) != 0)
        log_warn("pool",
                 "worker %u: cannot bind to its core (%s); running "
                 "unbound",
                 w->index, strerror(errno));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    uint64_t my_gen = 0, batch = 4096;
    bind_to_core(w);
    for (;;) {
        if (atomic_load(&p->stop) || atomic_load(&p->paused) ||
            atomic_load(&p->generation) != my_gen) {
            pthread_mutex_lock(&p->mu);
            while (!atomic_load(&p->stop) &&
                   (atomic_load(&p->paused) || !p->has_job)) {
                p->idle++;
                pthread_cond_broadcast(&p->cv_idle);
                pthread_cond_wait(&p->cv_work, &p->mu);
                p->idle--;
            }
            if (atomic_load(&p->stop)) {
                pthread_mutex_unlock(&p->mu);
                break;
            }
            uint64_t g = atomic_load(&p->generation);
            if (g != my_gen) {
                if (adopt(w) != 0) {
                    /* Out of memory: keep the old job (if any) and retry
                     * at the next batch. */
                    log_error("pool",
                              "worker %u: out of memory adopting "
                              "job; retrying",
                              w->index);
                    pthread_mutex_unlock(&p->mu);
                    if (my_gen == 0)
                        usleep(1000);
                    continue;
                }
                my_gen = g;
                atomic_store(&w->generation, g);
                note_switch(p, g);
            }
            pthread_mutex_unlock(&p->mu);
        }

        uint64_t left = w->hi - w->cursor;
        uint64_t count = batch < left ? batch : left, done = 0;
        uint64_t t0 = now_ns();
        int rc = kernel_scan_rolled(p->kernel, &done, &w->kjob,
                                    (uint32_t)w->cursor, count, on_hit, w);
        if (rc != 0) {
            /* Cannot happen: the pool self-tested its kernel, and a range
             * never passes 2^32 (roll). A worker that went on would spin on
             * the same range without hashing. */
            log_error("pool",
                      "worker %u: the kernel refused its range (%s); "
                      "the worker stops",
                      w->index, err_str(rc));
            break;
        }
        uint64_t dt = now_ns() - t0;
        atomic_fetch_add_explicit(&w->hashes, done * w->kjob.versions,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&w->busy_ns, dt, memory_order_relaxed);
        w->cursor += done;
        if (w->cursor >= w->hi)
            roll(w);
        /* Size the next batch to take about BATCH_TARGET_NS. */
        if (done == batch && dt > 0) {
            double want = (double)done * BATCH_TARGET_NS / (double)dt;
            uint64_t b = (uint64_t)want & ~(uint64_t)(BATCH_MIN - 1);
            batch = b < BATCH_MIN ? BATCH_MIN : b > BATCH_MAX ? BATCH_MAX : b;
        }
    }
    return NULL;
}

/* ---- the pool ---- */

static unsigned count_cores(struct pool *p)
{
    int n = -1;
    if (p->have_topo) {
        n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
        if (n <= 0)
            n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_PU);
    }
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* The cpuset of core i (mod the core count), one PU of it; NULL on failure. */
static hwloc_bitmap_t core_cpuset(struct pool *p, unsigned i)
{
    if (!p->have_topo)
        return NULL;
    int cores = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_CORE);
    hwloc_obj_type_t type = cores > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int n = hwloc_get_nbobjs_by_type(p->topo, type);
    if (n <= 0)
        return NULL;
    hwloc_obj_t obj = hwloc_get_obj_by_type(p->topo, type, i % (unsigned)n);
    if (!obj || !obj->cpuset)
        return NULL;
    hwloc_bitmap_t set = hwloc_bitmap_dup(obj->cpuset);
    if (set)
        hwloc_bitmap_singlify(set);
    return set;
}

pool_t *pool_new(unsigned threads, const char *impl)
{
    const kernel_t *k;
    int rc = kernel_select(&k, impl ? impl : "auto");
    if (rc != 0) {
        log_error("pool", "kernel '%s': %s", impl ? impl : "auto",
                  rc == ERR_ARG ? "unknown" : "not supported by this CPU");
        return NULL;
    }
    /* DESIGN.md: a kernel is checked against known answers before use. */
    if (kernel_self_test(k) != 0) {
        log_error("pool", "kernel %s fails its known answers; refusing it",
                  kernel_name(k));
        return NULL;
    }
    if (threads > POOL_MAX_THREADS) {
        log_error("pool", "%u threads: at most %d", threads, POOL_MAX_THREADS);
        return NULL;
    }
    struct pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->kernel = k;
    if (hwloc_topology_init(&p->topo) == 0) {
        if (hwloc_topology_load(p->topo) == 0)
            p->have_topo = true;
        else
            hwloc_topology_destroy(p->topo);
    }
    if (!p->have_topo)
        log_warn("pool", "hwloc cannot read the topology; threads unbound");
    p->n = threads ? threads : count_cores(p);
    if (posix_memalign((void **)&p->w, 64, p->n * sizeof *p->w) != 0) {
        pool_free(&p);
        return NULL;
    }
    memset(p->w, 0, p->n * sizeof *p->w);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_idle, NULL);
    pthread_cond_init(&p->cv_sol, NULL);
    for (unsigned i = 0; i < p->n; i++) {
        struct worker *w = &p->w[i];
        w->pool = p;
        w->index = i;
        w->cpuset = core_cpuset(p, i);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            log_error("pool", "cannot start worker %u", i);
            pool_free(&p);
            return NULL;
        }
        w->started = true;
    }
    log_debug("pool", "%u workers, kernel %s", p->n, kernel_name(k));
    return p;
}

void pool_free(pool_t **pp)
{
    if (!pp || !*pp)
        return;
    struct pool *p = *pp;
    if (p->w) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->stop, true);
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
        for (unsigned i = 0; i < p->n; i++) {
            struct worker *w = &p->w[i];
            if (w->started)
                pthread_join(w->thread, NULL);
            if (w->cpuset)
                hwloc_bitmap_free(w->cpuset);
            free(w->cb);
            free(w->branch);
        }
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv_work);
        pthread_cond_destroy(&p->cv_idle);
        pthread_cond_destroy(&p->cv_sol);
        free(p->w);
    }
    if (p->have_topo)
        hwloc_topology_destroy(p->topo);
    free(p->prefix);
    free(p->suffix);
    free(p->branch);
    free(p);
    *pp = NULL;
}

static void *dup_bytes(const void *src, size_t len)
{
    void *d = malloc(len ? len : 1);
    if (d && len)
        memcpy(d, src, len);
    return d;
}

int pool_set_job(pool_t *p, const pool_job_t *job)
{
    if ((job->branch_len && !job->branch) ||
        (job->coinbase_prefix && job->coinbase_suffix_len &&
         !job->coinbase_suffix))
        return ERR_ARG;
    uint8_t *prefix = NULL, *suffix = NULL;
    uint8_t(*branch)[32] = NULL;
    if (job->coinbase_prefix) {
        prefix = dup_bytes(job->coinbase_prefix, job->coinbase_prefix_len);
        suffix = dup_bytes(job->coinbase_suffix, job->coinbase_suffix_len);
    }
    if (job->branch_len)
        branch = dup_bytes(job->branch, job->branch_len * 32);
    if ((job->coinbase_prefix && (!prefix || !suffix)) ||
        (job->branch_len && !branch)) {
        free(prefix);
        free(suffix);
        free(branch);
        return ERR_NOMEM;
    }
    pthread_mutex_lock(&p->mu);
    free(p->prefix);
    free(p->suffix);
    free(p->branch);
    p->job = *job;
    p->prefix = prefix;
    p->suffix = suffix;
    p->branch = branch;
    p->job.coinbase_prefix = NULL; /* workers read p->prefix etc. */
    p->job.coinbase_suffix = NULL;
    p->job.branch = NULL;
    p->has_job = true;
    uint64_t g = atomic_load(&p->generation) + 1;
    atomic_store(&p->generation, g);
    p->pub_gen = g;
    p->publish_ns = now_ns();
    p->adopted = 0;
    p->measuring = !atomic_load(&p->paused);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void pool_pause(pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->paused, true);
    p->measuring = false;
    while (p->idle < p->n)
        pthread_cond_wait(&p->cv_idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pool_resume(pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->paused, false);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
}

int pool_next_solution(pool_t *p, pool_solution_t *sol, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    while (p->q_len == 0 && rc == 0 && timeout_ms > 0)
        rc = pthread_cond_timedwait(&p->cv_sol, &p->mu, &deadline);
    if (p->q_len == 0) {
        pthread_mutex_unlock(&p->mu);
        return ERR_TIMEOUT;
    }
    *sol = p->queue[p->q_head];
    p->q_head = (p->q_head + 1) % POOL_QUEUE_SIZE;
    p->q_len--;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

unsigned pool_threads(const pool_t *p)
{
    return p->n;
}

const char *pool_kernel(const pool_t *p)
{
    return kernel_name(p->kernel);
}

uint64_t pool_thread_hashes(const pool_t *p, unsigned i)
{
    return i < p->n ? atomic_load(&p->w[i].hashes) : 0;
}

uint64_t pool_total_hashes(const pool_t *p)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < p->n; i++)
        sum += atomic_load(&p->w[i].hashes);
    return sum;
}

double pool_thread_hashrate(const pool_t *p, unsigned i)
{
    if (i >= p->n)
        return 0;
    uint64_t ns = atomic_load(&p->w[i].busy_ns);
    return ns ? (double)atomic_load(&p->w[i].hashes) * 1e9 / (double)ns : 0;
}

double pool_hashrate(const pool_t *p)
{
    double sum = 0;
    for (unsigned i = 0; i < p->n; i++)
        sum += pool_thread_hashrate(p, i);
    return sum;
}

double pool_thread_cpu_seconds(const pool_t *p, unsigned i)
{
    clockid_t cid;
    struct timespec ts;
    if (i >= p->n || pthread_getcpuclockid(p->w[i].thread, &cid) != 0 ||
        clock_gettime(cid, &ts) != 0)
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t pool_dropped(const pool_t *p)
{
    return atomic_load(&p->dropped);
}

uint64_t pool_rejected(const pool_t *p)
{
    return atomic_load(&p->rejected);
}

uint64_t pool_generation(const pool_t *p)
{
    return atomic_load(&p->generation);
}

uint64_t pool_min_worker_generation(const pool_t *p)
{
    uint64_t m = UINT64_MAX;
    for (unsigned i = 0; i < p->n; i++) {
        uint64_t g = atomic_load(&p->w[i].generation);
        if (g < m)
            m = g;
    }
    return m;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int pool_switch_latency(pool_t *p, double *p50_us, double *p99_us,
                        size_t *samples)
{
    double *s = malloc(LAT_RING * sizeof *s);
    if (!s)
        return ERR_NOMEM;
    pthread_mutex_lock(&p->mu);
    size_t n = p->lat_n;
    memcpy(s, p->lat_us, n * sizeof *s);
    pthread_mutex_unlock(&p->mu);
    if (n == 0) {
        free(s);
        return ERR_NOT_FOUND;
    }
    qsort(s, n, sizeof *s, cmp_double);
    *p50_us = s[(n - 1) / 2];
    size_t i99 = (size_t)ceil(0.99 * (double)n);
    *p99_us = s[i99 ? i99 - 1 : 0];
    if (samples)
        *samples = n;
    free(s);
    return 0;
}

void pool_set_notify(pool_t *p, void (*notify)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&p->mu);
    p->notify = notify;
    p->notify_ctx = ctx;
    pthread_mutex_unlock(&p->mu);
}
