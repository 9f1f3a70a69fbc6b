/*
 * sigcheck — parallel signature verification (see sigcheck.h).
 *
 * Threads are started per call: a full block takes tens of milliseconds to
 * verify, so the ~50 microseconds of starting a thread do not matter, and no
 * idle pool has to be owned, shut down or shared between chains.
 */
#include "sigcheck.h"
#include "err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

/* Below this many transfers a block is verified on the calling thread. */
#define SIGCHECK_MIN_PARALLEL 16
#define SIGCHECK_MAX_THREADS 64

typedef struct {
    const tx_t *txs;
    size_t begin, end;
    const uint8_t *network_id;
    atomic_size_t *first_bad; /* SIZE_MAX while none */
    const char *reason;
    size_t bad;
    bool failed;
} slice_t;

static void *verify_slice(void *arg)
{
    slice_t *s = arg;
    for (size_t i = s->begin; i < s->end; i++) {
        if (atomic_load_explicit(s->first_bad, memory_order_relaxed) < i)
            break; /* an earlier failure already decides the answer */
        const tx_t *tx = &s->txs[i];
        if (tx->kind != TX_TRANSFER)
            continue;
        const char *why = NULL;
        if (tx_is_unsigned(tx))
            why = "bad-txns-unsigned";
        else if (!tx_verify_signature(tx, s->network_id))
            why = "bad-txns-sig";
        if (why) {
            s->failed = true;
            s->bad = i;
            s->reason = why;
            size_t cur = atomic_load(s->first_bad);
            while (i < cur &&
                   !atomic_compare_exchange_weak(s->first_bad, &cur, i))
                ;
            break;
        }
    }
    return NULL;
}

int sigcheck_verify(size_t *bad, const char **reason, const tx_t *txs, size_t n,
                    const uint8_t network_id[32], unsigned threads)
{
    atomic_size_t first_bad = SIZE_MAX;
    if (threads > SIGCHECK_MAX_THREADS)
        threads = SIGCHECK_MAX_THREADS;
    if (threads < 2 || n < SIGCHECK_MIN_PARALLEL)
        threads = 1;
    slice_t slices[SIGCHECK_MAX_THREADS];
    pthread_t tids[SIGCHECK_MAX_THREADS];
    bool started[SIGCHECK_MAX_THREADS] = {false};
    size_t per = (n + threads - 1) / threads;
    for (unsigned t = 0; t < threads; t++) {
        size_t b = t * per, e = b + per;
        slices[t] = (slice_t){txs,        b < n ? b : n, e < n ? e : n,
                              network_id, &first_bad,    NULL,
                              0,          false};
        if (t > 0)
            started[t] =
                pthread_create(&tids[t], NULL, verify_slice, &slices[t]) == 0;
    }
    /* The caller's thread takes slice 0, and any slice whose thread could
     * not be started. */
    verify_slice(&slices[0]);
    for (unsigned t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            verify_slice(&slices[t]);
    }
    const slice_t *worst = NULL;
    for (unsigned t = 0; t < threads; t++)
        if (slices[t].failed && (!worst || slices[t].bad < worst->bad))
            worst = &slices[t];
    if (!worst)
        return 0;
    if (bad)
        *bad = worst->bad;
    if (reason)
        *reason = worst->reason;
    return ERR_INVALID;
}

unsigned sigcheck_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (unsigned)n;
}
