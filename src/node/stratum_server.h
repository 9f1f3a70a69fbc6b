/*
 * stratum_server — pickaxe-node's Stratum v1 endpoint (`--stratum
 * HOST:PORT`): outside sha256d miners mine the node's blocks.
 *
 * One thread of its own runs an epoll loop over the listening socket, an
 * eventfd (new template, stop) and the connections; each connection is a
 * session (stratum_session.h) with bounded buffers: a line longer than
 * STRATUM_LINE_MAX disconnects, and so does more than STRATUM_OUT_MAX of
 * output the miner does not read (a half-open socket, with TCP keepalive
 * for the silent ones). A connection that has not subscribed within
 * hello_ms, or has said nothing for STRATUM_IDLE_MS, is dropped; so is one
 * whose session scored out. At most max_conns connections are held (the
 * process's open-file limit is raised to allow them).
 *
 * The node's main loop never waits on this thread. It calls
 * stratum_server_refresh() each turn, under the node lock: on a new tip, a
 * template at once; else, every STRATUM_REFRESH_MS, a template when the
 * mempool's choice changed. The template goes to the thread through a
 * one-slot mailbox (a newer one replaces one not yet taken), and the thread
 * sends it to every mining connection, clean_jobs when its parent differs
 * (recent templates on the same parent stay valid for late shares; a new
 * parent makes them stale). A share that meets the network target comes
 * back as a solved block through a bounded queue that the main loop drains
 * with stratum_server_next_block(), beside the built-in pool's solutions,
 * and accepts like them (validated by the chain, relayed).
 *
 * Thread safety: stratum_server_refresh, _next_block and _block_done are
 * the main loop's; stratum_server_json may be called from any thread.
 */
#ifndef PICKAXE_STRATUM_SERVER_H
#define PICKAXE_STRATUM_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "block.h"
#include "chain.h"
#include "mempool.h"
#include "params.h"

#define STRATUM_OUT_MAX (256 * 1024)
#define STRATUM_IDLE_MS (10 * 60 * 1000)
#define STRATUM_HELLO_MS 10000
#define STRATUM_CONNS_MAX 4096
#define STRATUM_REFRESH_MS 5000
/* A share difficulty for a new connection: a CPU miner's few seconds. */
#define STRATUM_START_DIFF 0.01
/* Solved blocks waiting for the main loop. */
#define STRATUM_BLOCKQ 16

typedef struct {
    const params_t *params; /* required */
    char host[200];
    uint16_t port;
    unsigned max_conns; /* 0: STRATUM_CONNS_MAX */
    unsigned hello_ms;  /* 0: STRATUM_HELLO_MS */
    double start_diff;  /* 0: STRATUM_START_DIFF */
} stratum_config_t;

typedef struct stratum_server stratum_server_t;

/*
 * Binds the listening socket (the thread starts with _start).
 * Returns: the server, or NULL with *reason (static text).
 */
stratum_server_t *stratum_server_new(const stratum_config_t *cfg,
                                     const char **reason);

/* Starts the thread. Returns 0 or ERR_NOMEM. */
int stratum_server_start(stratum_server_t *s);

/* Stops the thread, closes every connection, frees; NULL is harmless. */
void stratum_server_free(stratum_server_t **s);

/* Gives the miners a new template when the tip moved, or when the
 * mempool's choice changed and STRATUM_REFRESH_MS passed (or force). */
void stratum_server_refresh(stratum_server_t *s, const chain_t *chain,
                            const mempool_t *mempool, uint64_t now_ms,
                            bool force);

/*
 * The next solved block from a miner that builds on chain's tip. One whose
 * parent is no longer the tip (the tip moved while it waited in the queue)
 * is dropped and counted (blocks_stale), as the built-in pool's are:
 * submitting it would only make a sibling of a block we already have.
 * Returns: 0 with *block (owned: block_deinit) and *worker (for
 *          stratum_server_block_done); ERR_NOT_FOUND when none waits.
 */
int stratum_server_next_block(stratum_server_t *s, block_t *block, int *worker,
                              const chain_t *chain);

/* What the chain said of that block (counted for the worker). */
void stratum_server_block_done(stratum_server_t *s, int worker, bool accepted);

/* "stratum+tcp://HOST:PORT" as a miner should be told (static per server). */
const char *stratum_server_url(const stratum_server_t *s);

/* Statistics (stratum_stats.h) plus {url}; workers when asked.
 * Returns a new object or NULL. */
json_t *stratum_server_json(stratum_server_t *s, bool with_workers);

#endif
