/*
 * Tests for src/node/loopwatch.c: turn ages and the longest turn (the current
 * one included), the watcher's decisions on a clock the test drives (report a
 * turn once past the threshold, again only after the repeat interval, and
 * its end once), and the watcher thread's log lines, read back from stderr.
 * Also built with ThreadSanitizer (criterion_tsan.h): a reader thread reads
 * while the "main loop" turns and moves between phases.
 */
#ifdef __SANITIZE_THREAD__
#include "criterion_tsan.h"
#else
#include <criterion/criterion.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "loopwatch.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

Test(loopwatch, ages_and_the_longest_turn)
{
    loopwatch_t w;
    loopwatch_init(&w, 1000, "start");
    loopwatch_view_t v;
    loopwatch_read(&w, &v, 1040);
    cr_assert_eq(v.turn_age_ms, 40);
    cr_assert_eq(v.longest_turn_ms, 40, "the start is a turn too");
    cr_assert_eq(v.turns, 0);
    cr_assert_str_eq(v.where, "start");

    loopwatch_turn(&w, 1100); /* the start took 100 ms */
    loopwatch_at(&w, "inbox: waiting");
    loopwatch_turn(&w, 1105);
    loopwatch_at(&w, "mining: solutions");
    loopwatch_read(&w, &v, 1107);
    cr_assert_eq(v.turn_age_ms, 2);
    cr_assert_eq(v.longest_turn_ms, 100);
    cr_assert_eq(v.turns, 2);
    cr_assert_str_eq(v.where, "mining: solutions");

    /* A turn running now longer than any before is the longest. */
    loopwatch_read(&w, &v, 1405);
    cr_assert_eq(v.turn_age_ms, 300);
    cr_assert_eq(v.longest_turn_ms, 300);
    /* A clock read before the turn began is no negative age. */
    loopwatch_read(&w, &v, 1000);
    cr_assert_eq(v.turn_age_ms, 0);
    loopwatch_deinit(&w);
}

Test(loopwatch, an_idle_spell_is_no_turn)
{
    loopwatch_t w;
    loopwatch_init(&w, 1000, "start");
    loopwatch_turn(&w, 1000);
    loopwatch_idle(&w, 1030); /* a turn of 30 ms, then the loop sleeps */
    loopwatch_at(&w, "inbox: waiting");
    loopwatch_view_t v;
    loopwatch_read(&w, &v, 6030); /* five seconds asleep */
    cr_assert_eq(v.turn_age_ms, 0, "an idle loop is not a stuck one");
    cr_assert_eq(v.longest_turn_ms, 30);
    cr_assert_eq(loopwatch_check(&w, &v, 6030), LOOPWATCH_OK);

    loopwatch_turn(&w, 6030); /* woken: the sleep counted for nothing */
    loopwatch_read(&w, &v, 6040);
    cr_assert_eq(v.turn_age_ms, 10);
    cr_assert_eq(v.longest_turn_ms, 30);
    cr_assert_eq(v.turns, 2);
    loopwatch_idle(&w, 6050);
    loopwatch_idle(&w, 9000); /* idle twice: still no turn */
    loopwatch_read(&w, &v, 9000);
    cr_assert_eq(v.longest_turn_ms, 30);
    loopwatch_deinit(&w);
}

Test(loopwatch, a_stuck_turn_is_reported_once_then_every_repeat)
{
    loopwatch_t w;
    loopwatch_view_t v;
    loopwatch_init(&w, 0, "start");
    loopwatch_turn(&w, 50);
    loopwatch_at(&w, "inbox: block from peer");
    uint64_t t0 = 50;
    cr_assert_eq(loopwatch_check(&w, &v, t0 + 10), LOOPWATCH_OK);
    cr_assert_eq(loopwatch_check(&w, &v, t0 + LOOPWATCH_STUCK_MS), LOOPWATCH_OK,
                 "at the threshold is not past it");
    cr_assert_eq(loopwatch_check(&w, &v, t0 + LOOPWATCH_STUCK_MS + 1),
                 LOOPWATCH_STUCK);
    cr_assert_eq(v.turn_age_ms, LOOPWATCH_STUCK_MS + 1);
    cr_assert_str_eq(v.where, "inbox: block from peer");
    uint64_t first = t0 + LOOPWATCH_STUCK_MS + 1;
    cr_assert_eq(loopwatch_check(&w, &v, first + 250), LOOPWATCH_OK,
                 "reported already");
    cr_assert_eq(loopwatch_check(&w, &v, first + LOOPWATCH_REPEAT_MS - 1),
                 LOOPWATCH_OK);
    cr_assert_eq(loopwatch_check(&w, &v, first + LOOPWATCH_REPEAT_MS),
                 LOOPWATCH_STUCK, "still stuck: said again");
    cr_assert_eq(v.longest_turn_ms, v.turn_age_ms);

    /* The loop turns again: said once, with the stuck turn's phase. */
    uint64_t end = first + LOOPWATCH_REPEAT_MS + 500;
    loopwatch_turn(&w, end);
    loopwatch_at(&w, "inbox: waiting");
    cr_assert_eq(loopwatch_check(&w, &v, end + 100), LOOPWATCH_RECOVERED);
    cr_assert_eq(v.turn_age_ms, end - t0);
    cr_assert_str_eq(v.where, "inbox: block from peer");
    cr_assert_eq(loopwatch_check(&w, &v, end + 200), LOOPWATCH_OK);
    cr_assert_eq(v.longest_turn_ms, end - t0);

    /* A later stuck turn is a new episode, reported at once. */
    uint64_t t1 = end + 300;
    loopwatch_turn(&w, t1);
    loopwatch_at(&w, "sync: blocks from a peer");
    cr_assert_eq(loopwatch_check(&w, &v, t1 + LOOPWATCH_STUCK_MS + 5),
                 LOOPWATCH_STUCK);
    cr_assert_str_eq(v.where, "sync: blocks from a peer");
    loopwatch_deinit(&w);
}

/* Points stderr at a temporary file; returns the file's descriptor. */
static int capture_stderr(int *saved)
{
    char path[] = "/tmp/pickaxe-loopwatch-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    unlink(path);
    *saved = dup(2);
    cr_assert(*saved >= 0);
    cr_assert(dup2(fd, 2) >= 0);
    return fd;
}

/* True when the captured text contains needle within timeout_ms. */
static bool captured(int fd, const char *needle, int timeout_ms)
{
    static char text[65536];
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        ssize_t n = pread(fd, text, sizeof text - 1, 0);
        text[n > 0 ? n : 0] = '\0';
        if (strstr(text, needle))
            return true;
        sleep_ms(20);
    }
    return false;
}

Test(loopwatch, the_watcher_thread_logs_a_stuck_turn_and_its_end, .timeout = 20)
{
    log_set_level(LOG_INFO);
    int saved, fd = capture_stderr(&saved);
    loopwatch_t w;
    /* A turn that began 5 s ago and is still going. */
    loopwatch_init(&w, loopwatch_now_ms() - 5000, "test: spinning");
    cr_assert_eq(loopwatch_start(&w, "node"), 0);
    cr_assert_eq(loopwatch_start(&w, "node"), ERR_DUPLICATE);
    bool stuck = captured(fd, "main loop stuck: no turn for", 5000);
    bool where = captured(fd, "in \"test: spinning\"", 0);
    loopwatch_turn(&w, loopwatch_now_ms());
    bool again = captured(fd, "main loop turning again after a turn of", 5000);
    loopwatch_stop(&w);
    loopwatch_stop(&w); /* harmless */
    loopwatch_deinit(&w);
    dup2(saved, 2);
    close(saved);
    close(fd);
    cr_assert(stuck, "the stuck turn was not logged");
    cr_assert(where, "the log did not name the phase");
    cr_assert(again, "the end of the stuck turn was not logged");
}

typedef struct {
    loopwatch_t *w;
    atomic_bool stop;
    atomic_uint_fast64_t reads;
    bool sane;
} reader_t;

static void *reader(void *arg)
{
    reader_t *r = arg;
    r->sane = true;
    while (!atomic_load(&r->stop)) {
        loopwatch_view_t v;
        loopwatch_read(r->w, &v, loopwatch_now_ms());
        if (!v.where || v.longest_turn_ms < v.turn_age_ms)
            r->sane = false;
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

Test(loopwatch, readers_need_no_lock, .timeout = 20)
{
    static const char *phases[] = {"inbox: waiting", "relay: transactions",
                                   "mining: solutions", "status"};
    loopwatch_t w;
    loopwatch_init(&w, loopwatch_now_ms(), "start");
    cr_assert_eq(loopwatch_start(&w, "node"), 0);
    reader_t r = {.w = &w};
    atomic_init(&r.stop, false);
    atomic_init(&r.reads, 0);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, reader, &r), 0);
    /* Turns until the reader has read a good many times while they go. */
    uint64_t turns = 0;
    while (turns < 20000 || atomic_load(&r.reads) < 1000) {
        loopwatch_turn(&w, loopwatch_now_ms());
        loopwatch_at(&w, phases[turns++ % 4]);
    }
    atomic_store(&r.stop, true);
    pthread_join(t, NULL);
    loopwatch_stop(&w);
    loopwatch_view_t v;
    loopwatch_read(&w, &v, loopwatch_now_ms());
    cr_assert_eq(v.turns, turns);
    cr_assert(r.sane, "a reader saw a missing phase or a longest turn "
                      "shorter than the current one");
    loopwatch_deinit(&w);
}
