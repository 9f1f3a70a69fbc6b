/*
 * log — leveled logging to stderr.
 *
 * One process-wide level, set at start-up from --log-level; until then the
 * environment variable PICKAXE_LOG_LEVEL, else "info". Each line is
 * "time level [module] message". Thread-safe: a line is written with one
 * write(2) call so lines from different threads never interleave.
 */
#ifndef PICKAXE_LOG_H
#define PICKAXE_LOG_H

#include <stdbool.h>

#include "err.h"

typedef enum {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
} log_level_t;

/* Sets the level below which messages are dropped. */
void log_set_level(log_level_t level);

/* Parses "error", "warn", "info" or "debug". Returns 0, or ERR_ARG. */
PX_MUST_CHECK int log_parse_level(log_level_t *level, const char *name);

/* True when messages at this level are written. */
bool log_enabled(log_level_t level);

/* Writes one line when level is enabled; module names the subsystem. */
void log_msg(log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)

#endif
