/*
 * mining — the node's miner: block templates on the tip, jobs for the
 * worker pool (miner/pool.h), and the pool's solutions back to blocks.
 *
 * The node tells mining what changed -- the tip (the job is stale: a new
 * one at once) or the mempool (a new one within MINING_REFRESH_MS, so a
 * burst of transactions makes one job, not hundreds) -- and calls
 * mining_refresh() each turn. A job is made from a template
 * (mining_template(): mempool transfers by fee, then template_build) cut
 * into a pool job (job.h). The two latest templates are kept, so a
 * solution found just as the job changed still becomes a block;
 * mining_next_block() turns the pool's solutions into blocks for the node
 * to accept like any other, and drops (and counts) those whose template no
 * longer builds on the tip: submitting one would only make a competing
 * sibling of a block we already have.
 *
 * States: idle (no pool: the node does not mine; every call is harmless and
 * mining_template() still serves `generate`) or mining (a pool, with a job
 * once the first refresh has run).
 *
 * Thread safety: none; the node's main loop owns it, under the node lock.
 * The pool's own threads only see jobs through pool_set_job().
 */
#ifndef PICKAXE_MINING_H
#define PICKAXE_MINING_H

#include <stdbool.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "job.h"
#include "mempool.h"
#include "pool.h"

/* A changed mempool is mined at most this long after the change. */
#define MINING_REFRESH_MS 250

/* A template the pool may still be solving. */
typedef struct {
    bool live;
    uint64_t job_id;
    block_t tpl;
    job_parts_t parts;
} mining_job_t;

typedef struct {
    pool_t *pool; /* owned; NULL: not mining */
    uint8_t miner_key[32];
    mining_job_t jobs[2]; /* current and previous */
    uint64_t next_job_id;
    bool tip_changed;     /* the job builds on an old tip */
    bool mempool_changed; /* the job lacks new transfers */
    uint64_t job_ms;      /* when the current job was made */
    uint64_t stale;       /* solutions dropped: not on the tip any more */
} mining_t;

/*
 * Sets mining up: idle when threads_or_off is false, else a pool of
 * `threads` workers (0: one per core) on kernel `impl` ("auto" or a name).
 * Returns: 0; ERR_UNSUPPORTED when the pool cannot start (an unknown
 *          kernel, or one this CPU lacks).
 */
int mining_init(mining_t *m, bool mine, unsigned threads, const char *impl,
                const uint8_t miner_key[32]);

/* Stops the pool and frees the templates. */
void mining_deinit(mining_t *m);

/* Stops the workers hashing (on the way out). */
void mining_pause(mining_t *m);

/* The tip changed: mining_refresh() makes a new job at once. */
void mining_tip_changed(mining_t *m);

/* The mempool changed: mining_refresh() makes a new job soon. */
void mining_mempool_changed(mining_t *m);

/* Gives the pool a new job when the tip changed, or when the mempool did
 * at least MINING_REFRESH_MS after the current job (or force). */
void mining_refresh(mining_t *m, const chain_t *chain, const mempool_t *mempool,
                    uint64_t now_ms, bool force);

/*
 * The pool's next solution that builds on the tip, as a solved block.
 * Returns: 0 with *block (owned by the caller: block_deinit());
 *          ERR_NOT_FOUND when no solution waits (stale ones are counted and
 *          skipped).
 */
int mining_next_block(mining_t *m, block_t *block, const chain_t *chain);

/*
 * Builds a template on the tip: mempool transfers chosen by fee for the
 * room a block has, a coinbase paying miner with extra_nonce.
 * Returns: 0 with *tpl (owned: block_deinit()); ERR_NOMEM; template_build()
 *          and mempool_select() errors.
 */
int mining_template(block_t *tpl, const chain_t *chain,
                    const mempool_t *mempool, const uint8_t miner[32],
                    uint64_t extra_nonce);

/* Calls notify(ctx) when the pool queues a solution (from a worker
 * thread; see pool_set_notify()). Harmless when idle. */
void mining_set_notify(mining_t *m, void (*notify)(void *ctx), void *ctx);

/* When mining_refresh() next has something to do on its own: a changed
 * mempool's job is due (monotonic ms), or UINT64_MAX (nothing pending; a
 * changed tip is handled at the next refresh whatever the time). */
uint64_t mining_due_ms(const mining_t *m);

/* True when the node mines. */
bool mining_active(const mining_t *m);
/* The pool's workers and kernel name ("none" when idle). */
unsigned mining_threads(const mining_t *m);
const char *mining_kernel(const mining_t *m);
/* Hashes per second of the pool (0 when idle). */
double mining_hashrate(const mining_t *m);

#endif
