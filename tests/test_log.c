/*
 * Tests for src/core/log.c: level names, the level filter, PICKAXE_LOG_LEVEL as
 * the default before --log-level, and that a line reaches stderr whole,
 * with its level and module, and long lines are cut rather than overrun.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

Test(log, parses_every_level_name_and_refuses_others)
{
    const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        log_level_t l = LOG_ERROR;
        cr_assert_eq(log_parse_level(&l, names[i]), 0);
        cr_assert_eq((int)l, i);
    }
    log_level_t keep = LOG_DEBUG;
    cr_assert_eq(log_parse_level(&keep, "verbose"), ERR_ARG);
    cr_assert_eq(log_parse_level(&keep, "INFO"), ERR_ARG);
    cr_assert_eq(keep, LOG_DEBUG, "a refused name leaves the output alone");
}

Test(log, level_filters_messages)
{
    log_set_level(LOG_WARN);
    cr_assert(log_enabled(LOG_ERROR));
    cr_assert(log_enabled(LOG_WARN));
    cr_assert_not(log_enabled(LOG_INFO));
    cr_assert_not(log_enabled(LOG_DEBUG));
    log_set_level(LOG_DEBUG);
    cr_assert(log_enabled(LOG_DEBUG));
}

/* Runs in its own process (Criterion forks), so the first use of the
 * logger in this test is the one that reads the environment. */
Test(log, environment_sets_the_default_level)
{
    setenv("PICKAXE_LOG_LEVEL", "error", 1);
    cr_assert_not(log_enabled(LOG_WARN));
    cr_assert(log_enabled(LOG_ERROR));
}

Test(log, writes_one_whole_line_with_level_and_module,
     .init = cr_redirect_stderr)
{
    log_set_level(LOG_INFO);
    log_info("chain", "height %d", 42);
    log_debug("chain", "not shown");
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    log_warn("net", "%s", big);
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char line[4096];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_not_null(strstr(line, "info  [chain] height 42\n"), "%s", line);
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_not_null(strstr(line, "warn  [net] xxx"), "%s", line);
    cr_assert_lt(strlen(line), 1100, "a long message is cut to one line");
    cr_assert_eq(line[strlen(line) - 1], '\n');
    cr_assert_null(fgets(line, sizeof line, f), "the debug line was filtered");
}
