/*
 * stratum_session — one Stratum v1 connection's protocol state: what the
 * miner said (subscribe, authorize, configure, suggest_difficulty, ...),
 * the jobs it was sent and their difficulties, its shares judged.
 *
 * A session reads whole lines (the server cuts them, at most
 * STRATUM_LINE_MAX bytes) and writes its answers and notifications, each a
 * JSON object and a newline, to an output buffer; it does no I/O and knows
 * the rest of the server only through stratum_env_t, so tests drive it
 * alone.
 *
 * States: new -> subscribed and/or authorized (either order, several
 * authorizations allowed; the latest pays) -> mining (both: it is sent the
 * difficulty and the newest job, and then each new job). mining.configure
 * (BIP 310 version rolling) is accepted in any state.
 *
 * Jobs: each notify gets a job id of this session's own, remembered with
 * the template it came from and the difficulty in force when it was sent
 * (STRATUM_SESSION_JOBS of them). A share is judged against that
 * difficulty; a job whose template is gone (the tip moved) is stale.
 * Shares are refused with the usual codes:
 *
 *   20 other (malformed params, version bits outside the mask or without
 *      mining.configure, ntime out of range), 21 job not found or stale,
 *   22 duplicate (the header hash, so version bits are part of the key),
 *   23 low difficulty, 24 unauthorized worker, 25 not subscribed.
 *
 * A share whose hash meets the network target also becomes a block
 * (stratum_job_block), handed to env->block.
 *
 * Misbehaviour costs score (non-JSON, malformed requests, duplicate and
 * low-difficulty shares, messages over the rate but accepted shares); at
 * STRATUM_SCORE_MAX the server disconnects. Unknown methods are answered
 * with an error and cost nothing.
 *
 * Thread safety: none; the server's thread owns its sessions.
 */
#ifndef PICKAXE_STRATUM_SESSION_H
#define PICKAXE_STRATUM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "bytes.h"
#include "stratum_job.h"
#include "stratum_vardiff.h"

#define STRATUM_LINE_MAX (16 * 1024)
#define STRATUM_SESSION_JOBS 8
#define STRATUM_WORKER_MAX 128
/* Accepted shares remembered for the duplicate check, per session. */
#define STRATUM_DUP_MAX 256
#define STRATUM_SCORE_MAX 100
/* Messages a second a session may send, and the burst allowed. */
#define STRATUM_MSG_RATE 100.0
#define STRATUM_MSG_BURST 200.0
/* ntime may run this far past the job's time (Bitcoin's future limit). */
#define STRATUM_NTIME_AHEAD 7200

/* A template as the server keeps it; shared by every session. */
typedef struct {
    uint32_t seq;         /* 1, 2, ...: which template */
    block_t tpl;          /* owned */
    stratum_work_t work;  /* cut for a zero recipient */
    uint256_t net_target; /* of tpl's bits */
    double net_diff;
} stratum_tpl_t;

/* What a share did, for the worker's statistics. */
typedef enum {
    STRATUM_SHARE_ACCEPTED,
    STRATUM_SHARE_STALE,
    STRATUM_SHARE_DUPLICATE,
    STRATUM_SHARE_LOW,
    STRATUM_SHARE_INVALID, /* refused otherwise: malformed, unauthorized */
} stratum_outcome_t;

typedef struct stratum_session stratum_session_t;

/* The server, as a session sees it. */
typedef struct {
    void *ctx;
    /* The template with seq (0: the newest), or NULL when stale/none. */
    const stratum_tpl_t *(*tpl)(void *ctx, uint32_t seq);
    /* A share's outcome for worker (the session's stats slot). */
    void (*share)(void *ctx, int worker, stratum_outcome_t what, double diff,
                  uint64_t now_ms);
    /* A solved block by worker; takes ownership of *b. */
    void (*block)(void *ctx, int worker, block_t *b);
    /* The stats slot of a worker name (-1 when there is no room). */
    int (*worker)(void *ctx, const char *name);
    const char *hrp;   /* the network's address prefix */
    double start_diff; /* a new session's difficulty */
} stratum_env_t;

struct stratum_session {
    uint8_t extranonce1[STRATUM_EXTRANONCE1_SIZE];
    bool subscribed, authorized, extranonce_sub;
    uint32_t mask; /* agreed version-rolling mask; 0: none */
    char worker[STRATUM_WORKER_MAX + 1];
    int worker_slot;
    uint8_t payee[32];
    stratum_vardiff_t vd;
    double sent_diff; /* the last mining.set_difficulty; 0: none yet */
    struct {
        uint32_t id, seq;
        double diff;
    } jobs[STRATUM_SESSION_JOBS];
    uint32_t next_job;
    /* Accepted shares' hashes (first 8 bytes) since dup_seq's tip. */
    uint64_t dups[STRATUM_DUP_MAX];
    size_t dup_count;
    uint8_t dup_prev[32];
    int score;
    double tokens;
    uint64_t tokens_ms, created_ms, last_ms;
    uint64_t accepted, refused; /* this connection's shares */
};

/* A new session; extranonce1 must be unique among live sessions. */
void stratum_session_init(stratum_session_t *s, const stratum_env_t *env,
                          const uint8_t extranonce1[4], uint64_t now_ms);

/*
 * Handles one line (without its newline).
 * Returns: 0; ERR_INVALID when the session's score reached
 *          STRATUM_SCORE_MAX (the server should flush out and disconnect);
 *          ERR_NOMEM.
 */
int stratum_session_line(stratum_session_t *s, const stratum_env_t *env,
                         buf_t *out, const char *line, size_t len,
                         uint64_t now_ms);

/*
 * Sends the newest job (and the difficulty first when it changed) if the
 * session is mining; clean tells the miner to drop its old jobs.
 * Returns: 0; ERR_NOMEM.
 */
int stratum_session_notify(stratum_session_t *s, const stratum_env_t *env,
                           buf_t *out, bool clean, uint64_t now_ms);

/* Lets vardiff retarget on time (a slow miner); sends a new job when the
 * difficulty changed. Returns 0 or ERR_NOMEM. */
int stratum_session_tick(stratum_session_t *s, const stratum_env_t *env,
                         buf_t *out, uint64_t now_ms);

/* True when subscribed and authorized. */
bool stratum_session_mining(const stratum_session_t *s);

#endif
