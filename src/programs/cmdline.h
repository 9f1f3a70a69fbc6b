/*
 * cmdline — what every pickaxe program's main() shares: its name in
 * messages, the exit statuses, whole numbers and decimals given to flags
 * with their range, --log-level, --version, endpoints, and the one line a
 * bad flag gets.
 *
 * The conventions every program follows (pickaxe-node, -tracker, -cli,
 * -wallet, -bench, -adversary):
 *
 *   - getopt_long with opterr = 0 and an optstring starting with ':', so a
 *     missing value is told apart from an unknown option;
 *   - a bad flag or argument prints one line on stderr,
 *       PROG: WHAT IS WRONG (see PROG --help)
 *     and the program exits CMDLINE_EXIT_USAGE (2);
 *   - --help prints the usage on stdout and exits 0: "usage: PROG ...", a
 *     paragraph on what it does, "options:", one flag a line;
 *   - --version prints "PROG VERSION" and exits 0;
 *   - --log-level LEVEL (error, warn, info, debug) beats the environment's
 *     PICKAXE_LOG_LEVEL, which beats the program's own default;
 *   - a failure while running prints "PROG: WHAT FAILED" and exits 1.
 *
 * cmdline_read() runs getopt_long over the arguments and hands each good
 * option to the program's function, which returns CMDLINE_GO_ON to carry
 * on or the exit status to end with (0 after --help). The checking helpers
 * return 0 when the value is good, and otherwise print the line and return
 * the exit status, so an option's case reads:
 *
 *     case O_THREADS:
 *         st = cmdline_uint(&v, "--threads", arg, 1, 256, NULL);
 *         break;
 *     ...
 *     return st ? st : CMDLINE_GO_ON;
 *
 * Thread safety: cmdline_init() once, in main() before any thread starts;
 * the other functions only read what it set.
 */
#ifndef PICKAXE_CMDLINE_H
#define PICKAXE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "log.h"
#include "params.h"

/* Every program's version. */
#define PICKAXE_VERSION "0.1.0"

/* Exit statuses, and cmdline_read()'s "carry on". */
enum {
    CMDLINE_GO_ON = -1,
    CMDLINE_EXIT_OK = 0,
    CMDLINE_EXIT_FAIL = 1,  /* a failure while running */
    CMDLINE_EXIT_USAGE = 2, /* a bad flag or argument */
};

struct option;

/* The options every program takes the same way, handled by cmdline_read()
 * itself: put CMDLINE_OPTIONS_COMMON in the program's getopt_long table. */
enum { CMDLINE_O_LOG_LEVEL = 0x10000, CMDLINE_O_VERSION };
#define CMDLINE_OPTIONS_COMMON                                                 \
    {"log-level", required_argument, NULL, CMDLINE_O_LOG_LEVEL},               \
    {                                                                          \
        "version", no_argument, NULL, CMDLINE_O_VERSION                        \
    }

/* A program's reader of one option: ch is the option's value in the
 * getopt_long table, arg its argument (NULL when it takes none). Returns
 * CMDLINE_GO_ON, or the exit status to end with. */
typedef int (*cmdline_option_fn)(void *ctx, int ch, const char *arg);

/*
 * Names the program in every message (e.g. "pickaxe-node"; borrowed, so a
 * string literal) and sets the log level to default_level unless the
 * environment's PICKAXE_LOG_LEVEL says otherwise.
 */
void cmdline_init(const char *prog, log_level_t default_level);

/* The name given to cmdline_init(). */
const char *cmdline_prog(void);

/*
 * Reads argv's options from the start (getopt_long with the table opts;
 * shortopts the short ones, without the leading ':' this adds, or "").
 * --log-level and --version (CMDLINE_OPTIONS_COMMON) are handled here
 * (cmdline_log_level(), cmdline_version()); an unknown option or a missing
 * value is said (cmdline_bad_option()).
 * Arguments may come between options (getopt_long moves them to the end)
 * unless shortopts starts with '+', which stops at the first argument.
 * Returns: CMDLINE_GO_ON with optind at the first argument; the status fn
 *          returned when it ended the reading; CMDLINE_EXIT_USAGE for a
 *          bad option, or for any argument when args is false ("unexpected
 *          argument X").
 */
int cmdline_read(int argc, char **argv, const char *shortopts,
                 const struct option *opts, cmdline_option_fn fn, void *ctx,
                 bool args);

/*
 * Makes a directory and those above it that are missing (mkdir -p), with
 * mode 0700 for what it creates.
 * Returns: 0; ERR_IO (errno says why); ERR_RANGE for a path too long.
 */
int cmdline_make_dir(const char *dir);

/*
 * Reads a whole number written in decimal digits alone (no sign, space,
 * exponent or 0x), in [min, max].
 * Returns: 0; ERR_PARSE when text is not such a number (or is NULL);
 *          ERR_RANGE when it is outside [min, max] (or overflows).
 * Out:     out  (written only on success).
 */
int cmdline_parse_u64(uint64_t *out, const char *text, uint64_t min,
                      uint64_t max);

/*
 * Reads a decimal number such as "2.5" (no sign, exponent, inf or nan) in
 * [min, max].
 * Returns: 0; ERR_PARSE; ERR_RANGE (as cmdline_parse_u64()).
 */
int cmdline_parse_double(double *out, const char *text, double min, double max);

/*
 * A flag's whole-number value: 0, or after printing
 *   PROG: FLAG takes MIN..MAX[ UNIT], not 'TEXT' (see PROG --help)
 * CMDLINE_EXIT_USAGE. unit (e.g. "ms", "seconds") may be NULL.
 */
int cmdline_uint(uint64_t *out, const char *flag, const char *text,
                 uint64_t min, uint64_t max, const char *unit);

/* As cmdline_uint() for a decimal number (cmdline_parse_double()). */
int cmdline_double(double *out, const char *flag, const char *text, double min,
                   double max, const char *unit);

/*
 * --log-level's value: sets the level and returns 0, or prints
 *   PROG: --log-level takes error, warn, info or debug, not 'TEXT' ...
 * and returns CMDLINE_EXIT_USAGE.
 */
int cmdline_log_level(const char *text);

/*
 * The network --network names: sets *out and returns 0, or prints "PROG:
 * unknown --network NAME (demo or regtest)" (every network there is) and
 * returns CMDLINE_EXIT_USAGE.
 */
int cmdline_network(const params_t **out, const char *name);

/*
 * An endpoint flag's value, "tcp://HOST:PORT": copies it to out and
 * returns 0, or prints "PROG: FLAG takes tcp://HOST:PORT, not 'TEXT' ..."
 * (also when it does not fit in len) and returns CMDLINE_EXIT_USAGE.
 */
int cmdline_endpoint(char *out, size_t len, const char *flag, const char *text);

/*
 * The network's tracker on this machine, tcp://127.0.0.1:PORT where PORT
 * is the network's node port minus TRACKER_PORT_OFFSET: the default of a
 * program's --tracker, so one started beside the demo joins it.
 * Returns: 0; CMDLINE_EXIT_FAIL, after "PROG: cannot format the tracker's
 *          endpoint", when it does not fit in len.
 */
PX_MUST_CHECK int cmdline_local_tracker(char *out, size_t len,
                                        const params_t *params);

/*
 * A default path under ~/.pickaxe: "$HOME/.pickaxe/" (with "." for an
 * unset HOME) and then fmt's text, e.g. "%s/wallet.keystore" with the
 * network's name.
 * Returns: 0; CMDLINE_EXIT_FAIL, after "PROG: the path under ~/.pickaxe
 *          is too long", when it does not fit in len.
 */
PX_MUST_CHECK int cmdline_home_path(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The line for what getopt_long() returned for a bad option (':' for a
 * missing value, anything else for an unknown option), after which optind
 * is past it: "PROG: --x needs a value" or "PROG: unknown option --x".
 * Returns: CMDLINE_EXIT_USAGE.
 */
int cmdline_bad_option(int ch, char *const argv[]);

/* Prints "PROG: MESSAGE (see PROG --help)" on stderr; returns
 * CMDLINE_EXIT_USAGE. */
int cmdline_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints "PROG: MESSAGE" on stderr; returns CMDLINE_EXIT_FAIL. */
int cmdline_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "PROG VERSION" (and " (extra)" when extra is not NULL) on stdout;
 * returns CMDLINE_EXIT_OK. */
int cmdline_version(const char *extra);

#endif
