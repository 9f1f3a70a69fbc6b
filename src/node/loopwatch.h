/*
 * loopwatch — how a node's main loop is doing, readable from any thread
 * without the node lock.
 *
 * The main loop calls loopwatch_idle() where it goes idle -- the node's
 * main loop: where it waits for its inbox or its next timer -- and
 * loopwatch_turn() where it wakes and a turn begins, and loopwatch_at() as
 * the turn moves through its phases (a static string per phase: "inbox:
 * block from peer", "mining: solutions", ...). Any thread may read the
 * record with loopwatch_read(): how long the current turn has run (0 while
 * idle), the longest turn so far and where the loop is. A healthy loop's
 * turns take milliseconds, so the age of the current turn stays small,
 * idle or busy; a loop that is stuck -- say in a chain
 * operation that never ends while it holds the node lock -- shows a growing
 * age and the phase it is stuck in.
 *
 * A watcher thread (loopwatch_start()) looks at the record every
 * LOOPWATCH_CHECK_MS and logs an error when a turn runs past
 * LOOPWATCH_STUCK_MS, naming the phase, then again every
 * LOOPWATCH_REPEAT_MS while the same turn goes on, and a warning once the
 * loop turns again. It takes no lock, so a stuck loop cannot stop it.
 *
 * States of the record: before the first loopwatch_turn() the "turn" is the
 * node's start (joining, first catch-up), and it counts as one; each
 * loopwatch_turn() ends the current turn (its length may raise the longest)
 * and begins the next; loopwatch_idle() ends the current turn and begins
 * an idle spell, which is no turn: it is as long as the loop waits, and an
 * idle loop is not a stuck one.
 *
 * Thread safety: loopwatch_turn() and loopwatch_at() belong to one thread
 * (the main loop); loopwatch_read() is thread-safe; loopwatch_check() belongs
 * to the watcher (the thread loopwatch_start() makes, or a test).
 */
#ifndef PICKAXE_LOOPWATCH_H
#define PICKAXE_LOOPWATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* A turn that lasts longer than this is reported as stuck. */
#define LOOPWATCH_STUCK_MS 3000
/* While the same turn goes on, it is reported again this often. */
#define LOOPWATCH_REPEAT_MS 10000
/* How often the watcher thread looks. */
#define LOOPWATCH_CHECK_MS 250

/* What loopwatch_read() sees. */
typedef struct {
    uint64_t turn_age_ms;     /* since the current turn began */
    uint64_t longest_turn_ms; /* the longest turn, the current one included */
    uint64_t turns;           /* turns begun since the start */
    const char *where;        /* the current phase (static string) */
} loopwatch_view_t;

/* What loopwatch_check() found. */
typedef enum {
    LOOPWATCH_OK = 0,        /* nothing to say */
    LOOPWATCH_STUCK = 1,     /* a turn is past LOOPWATCH_STUCK_MS: report */
    LOOPWATCH_RECOVERED = 2, /* the turn reported stuck has ended */
} loopwatch_event_t;

typedef struct {
    /* Written by the main loop, read by anyone. */
    _Atomic uint64_t turn_ms; /* monotonic ms when the current turn began */
    _Atomic uint64_t longest_ms;
    _Atomic uint64_t turns;
    _Atomic(const char *) where;
    atomic_bool idle; /* between loopwatch_idle() and loopwatch_turn() */
    /* The watcher's own. */
    uint64_t reported_turn_ms; /* start of the turn reported stuck; 0: none */
    const char *reported_where;
    uint64_t next_report_ms;
    const char *module; /* for the log */
    pthread_t thread;
    bool started;
    atomic_bool stop;
    pthread_mutex_t stop_lock; /* the watcher sleeps on stop_cond */
    pthread_cond_t stop_cond;
} loopwatch_t;

/* Starts the record: the start-up "turn" begins at now_ms, in `where`
 * (static string). */
void loopwatch_init(loopwatch_t *w, uint64_t now_ms, const char *where);

/* Stops the watcher thread when it runs. */
void loopwatch_deinit(loopwatch_t *w);

/* Ends the current turn and begins the next (main loop). */
void loopwatch_turn(loopwatch_t *w, uint64_t now_ms);

/* Ends the current turn; the loop is idle until the next loopwatch_turn()
 * (main loop). */
void loopwatch_idle(loopwatch_t *w, uint64_t now_ms);

/* Notes the phase the loop is in (main loop; where: static string). */
void loopwatch_at(loopwatch_t *w, const char *where);

/* Reads the record as of now_ms. Thread-safe. */
void loopwatch_read(const loopwatch_t *w, loopwatch_view_t *out,
                    uint64_t now_ms);

/*
 * The watcher's decision at now_ms: LOOPWATCH_STUCK the first time a turn
 * is past LOOPWATCH_STUCK_MS and every LOOPWATCH_REPEAT_MS after while it
 * goes on; LOOPWATCH_RECOVERED once, when that turn has ended.
 * Out:     view     the record as of now_ms; for LOOPWATCH_RECOVERED,
 *                   turn_age_ms is how long the stuck turn lasted (at
 *                   least; measured to the start of the current turn) and
 *                   where the phase it was stuck in.
 */
loopwatch_event_t loopwatch_check(loopwatch_t *w, loopwatch_view_t *view,
                                  uint64_t now_ms);

/*
 * Starts the watcher thread, which logs what loopwatch_check() finds under
 * the module name `module` (static string).
 * Returns: 0; ERR_NOMEM when the thread cannot start; ERR_DUPLICATE when it
 *          runs already.
 */
int loopwatch_start(loopwatch_t *w, const char *module);

/* Stops the watcher thread and waits for it; harmless when not running. */
void loopwatch_stop(loopwatch_t *w);

/* Milliseconds on the monotonic clock the watcher uses. Thread-safe. */
uint64_t loopwatch_now_ms(void);

#endif
