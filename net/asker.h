/*
 * asker — requests run on a thread of their own, so that whoever queues
 * them never waits: the asynchronous side of p2p_ask() (p2p.h).
 *
 * asker_push() copies a request into a bounded FIFO and returns at once;
 * the asker's thread (started by the first push) takes them one at a time,
 * in order, and hands each to the owner's `run` function, which sends it,
 * waits for the answer with whatever timeouts it keeps, and delivers the
 * outcome wherever the owner wants it (p2p.c: into the inbox). One request
 * at a time is enough for a caller that keeps one in flight; a request that
 * times out delays the ones queued behind it by its timeouts.
 *
 * States: no thread (nothing pushed yet) -> running (waiting for a request,
 * or in `run`) -> stopped (asker_free(): the request in `run` ends within
 * its timeouts; queued ones are dropped without running).
 *
 * Thread safety: asker_push() may be called from any thread; asker_new()
 * and asker_free() from the owner's. `run` is called on the asker's thread
 * with no lock of the asker held.
 */
#ifndef PICKAXE_ASKER_H
#define PICKAXE_ASKER_H

#include <stddef.h>
#include <stdint.h>

typedef struct asker asker_t;

/* Runs one request: peer and tag as pushed; req, len borrowed for the
 * call. */
typedef void (*asker_run_fn)(void *ctx, uint64_t peer, uint64_t tag,
                             const uint8_t *req, size_t len);

/*
 * Makes an asker whose queue holds at most max requests (>= 1).
 * Returns: the asker (owned; asker_free()), or NULL (ERR_NOMEM, or max 0).
 */
asker_t *asker_new(asker_run_fn run, void *ctx, size_t max);

/*
 * Queues a request (copied) and returns at once, starting the thread when
 * it is not running yet.
 * Returns: 0; ERR_ARG when len is 0; ERR_FULL when max requests wait;
 *          ERR_NOMEM (also when the thread cannot start).
 */
int asker_push(asker_t *a, uint64_t peer, uint64_t tag, const uint8_t *req,
               size_t len);

/* Stops the thread (after the request it runs, if any), drops what is
 * queued and frees a. Accepts NULL; clears *a. */
void asker_free(asker_t **a);

#endif
