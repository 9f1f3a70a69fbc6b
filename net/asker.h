/*
 * asker — requests run on threads of their own, so that whoever queues
 * them never waits: the asynchronous side of p2p_ask() (p2p.h).
 *
 * asker_push() copies a request into a bounded queue and returns at once.
 * Up to `threads` worker threads (started as requests need them) take the
 * requests and hand each to the owner's `run` function, which sends it,
 * waits for the answer with whatever timeouts it keeps, and delivers the
 * outcome wherever the owner wants it (p2p.c: into the inbox).
 *
 * Lanes. Requests to one peer run one at a time, in the order pushed;
 * requests to different peers run side by side. A worker takes the oldest
 * request whose peer has none running, so a peer that is slow to answer, or
 * never does, holds up its own requests only -- and a worker, for its
 * timeouts. With `threads` at least the number of requests its owner keeps
 * in flight at once (sync keeps SYNC_FLIGHTS), no request waits for
 * another peer's.
 *
 * States: no worker (nothing pushed yet) -> workers started one by one, as
 * a request finds every started one busy, up to `threads` -> stopped
 * (asker_free(): each request in `run` ends within its timeouts; queued
 * ones are dropped without running).
 *
 * Thread safety: asker_push() may be called from any thread; asker_new()
 * and asker_free() from the owner's. `run` is called on a worker thread
 * with no lock of the asker held.
 */
#ifndef PICKAXE_ASKER_H
#define PICKAXE_ASKER_H

#include <stddef.h>
#include <stdint.h>

/* Workers an asker may start at most. */
#define ASKER_MAX_THREADS 64

typedef struct asker asker_t;

/* Runs one request: peer and tag as pushed; req, len borrowed for the
 * call. */
typedef void (*asker_run_fn)(void *ctx, uint64_t peer, uint64_t tag,
                             const uint8_t *req, size_t len);

/*
 * Makes an asker whose queue holds at most max requests (>= 1) and that
 * runs at most threads (1..ASKER_MAX_THREADS) of them at once.
 * Returns: the asker (owned; asker_free()), or NULL (ERR_NOMEM, or an
 *          argument out of range).
 */
asker_t *asker_new(asker_run_fn run, void *ctx, size_t max, size_t threads);

/*
 * Queues a request (copied) and returns at once, starting a worker when
 * every started one is busy and fewer than `threads` are.
 * Returns: 0; ERR_ARG when len is 0; ERR_FULL when max requests wait;
 *          ERR_NOMEM (also when no worker runs and none can start).
 */
int asker_push(asker_t *a, uint64_t peer, uint64_t tag, const uint8_t *req,
               size_t len);

/* Stops the workers (after the requests they run, if any), drops what is
 * queued and frees a. Accepts NULL; clears *a. */
void asker_free(asker_t **a);

#endif
