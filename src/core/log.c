/*
 * log — leveled logging to stderr, one write(2) per line.
 */
#include "log.h"
#include "err.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* -1: not set yet; the first use reads PICKAXE_LOG_LEVEL, else info. */
static atomic_int current_level = -1;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(log_level_t level)
{
    atomic_store(&current_level, (int)level);
}

int log_parse_level(log_level_t *level, const char *name)
{
    for (int i = 0; i <= LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (log_level_t)i;
            return 0;
        }
    }
    return ERR_ARG;
}

bool log_enabled(log_level_t level)
{
    int cur = atomic_load(&current_level);
    if (cur < 0) {
        log_level_t from_env = LOG_INFO;
        const char *e = getenv("PICKAXE_LOG_LEVEL");
        /* An unknown name keeps the default (the parse writes nothing). */
        if (e && log_parse_level(&from_env, e) != 0)
            from_env = LOG_INFO;
        int expected = -1;
        atomic_compare_exchange_strong(&current_level, &expected,
                                       (int)from_env);
        cur = atomic_load(&current_level);
    }
    return (int)level <= cur;
}

void log_msg(log_level_t level, const char *module, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld %-5s [%s] ",
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_names[level], module);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
