/*
 * criterion_tsan — the subset of Criterion's test API the ThreadSanitizer
 * builds use, with a runner of its own.
 *
 * Criterion cannot start under ThreadSanitizer: its sandbox allocator maps
 * an arena at addresses TSan reserves for its shadow memory, and the runner
 * dies before the first test ("Could not initialize inheritable arena", or a
 * SEGV inside libcriterion; Criterion issue #274, open since 2018). A test
 * file that must run under TSan includes this header instead of
 * <criterion/criterion.h> when __SANITIZE_THREAD__ is defined:
 *
 *     #ifdef __SANITIZE_THREAD__
 *     #include "criterion_tsan.h"
 *     #else
 *     #include <criterion/criterion.h>
 *     #endif
 *
 * The runner runs each test in its own child process (as Criterion does),
 * with the test's .timeout, and ends with Criterion's synthesis line so
 * scripts/run-tests.sh counts it the same way. Failed assertions report the
 * expression and its place; the optional message arguments are accepted and
 * not evaluated. Command-line arguments are ignored.
 */
#ifndef PICKAXE_CRITERION_TSAN_H
#define PICKAXE_CRITERION_TSAN_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int dummy_;
    double timeout;
} shim_opts_t;

typedef struct {
    const char *suite, *name;
    void (*fn)(void);
    double timeout;
} shim_test_t;

#define SHIM_MAX_TESTS 256
static shim_test_t shim_tests[SHIM_MAX_TESTS];
static int shim_ntests;

static inline void shim_register(const char *suite, const char *name,
                                 void (*fn)(void), shim_opts_t o)
{
    if (shim_ntests < SHIM_MAX_TESTS)
        shim_tests[shim_ntests++] = (shim_test_t){suite, name, fn, o.timeout};
}

#define Test(...) SHIM_TEST_(__VA_ARGS__, .dummy_ = 0)
#define SHIM_TEST_(suite, name, ...)                                           \
    static void suite##_##name##_impl(void);                                   \
    __attribute__((constructor)) static void suite##_##name##_reg(void)        \
    {                                                                          \
        shim_opts_t o_ = {__VA_ARGS__};                                        \
        shim_register(#suite, #name, suite##_##name##_impl, o_);               \
    }                                                                          \
    static void suite##_##name##_impl(void)

static inline void shim_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "[FAIL] %s:%d: assertion failed: %s\n", file, line, what);
    fflush(stderr);
    _exit(1);
}

#define SHIM_CHECK_(cond, text)                                                \
    do {                                                                       \
        if (!(cond))                                                           \
            shim_fail(__FILE__, __LINE__, text);                               \
    } while (0)

#define cr_assert(...) SHIM_ASSERT1_(__VA_ARGS__, "")
#define SHIM_ASSERT1_(cond, ...) SHIM_CHECK_(cond, #cond)
#define SHIM_CMP_(a, op, b, ...) SHIM_CHECK_((a)op(b), #a " " #op " " #b)
#define cr_assert_eq(a, ...) SHIM_CMP_(a, ==, __VA_ARGS__, "")
#define cr_assert_neq(a, ...) SHIM_CMP_(a, !=, __VA_ARGS__, "")
#define cr_assert_lt(a, ...) SHIM_CMP_(a, <, __VA_ARGS__, "")
#define cr_assert_leq(a, ...) SHIM_CMP_(a, <=, __VA_ARGS__, "")
#define cr_assert_gt(a, ...) SHIM_CMP_(a, >, __VA_ARGS__, "")
#define cr_assert_geq(a, ...) SHIM_CMP_(a, >=, __VA_ARGS__, "")
#define cr_assert_null(...) SHIM_NULL_(__VA_ARGS__, "")
#define SHIM_NULL_(p, ...) SHIM_CHECK_((p) == NULL, #p " is NULL")
#define cr_assert_not_null(...) SHIM_NOTNULL_(__VA_ARGS__, "")
#define SHIM_NOTNULL_(p, ...) SHIM_CHECK_((p) != NULL, #p " is not NULL")
#define cr_assert_arr_eq(a, b, ...) SHIM_ARR_(a, b, __VA_ARGS__, "")
#define SHIM_ARR_(a, b, n, ...)                                                \
    SHIM_CHECK_(memcmp(a, b, n) == 0, #a " equals " #b)
#define cr_assert_str_eq(a, ...) SHIM_STR_(a, __VA_ARGS__, "")
#define SHIM_STR_(a, b, ...) SHIM_CHECK_(strcmp(a, b) == 0, #a " equals " #b)
#define cr_skip_test(...)                                                      \
    do {                                                                       \
        fprintf(stderr, "[SKIP] %s:%d\n", __FILE__, __LINE__);                 \
        _exit(0);                                                              \
    } while (0)

int main(void)
{
    int pass = 0, fail = 0, crash = 0;
    for (int i = 0; i < shim_ntests; i++) {
        const shim_test_t *t = &shim_tests[i];
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            if (t->timeout > 0)
                alarm((unsigned)t->timeout);
            t->fn();
            fflush(NULL);
            _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
            ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            pass++;
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
            fail++;
            fprintf(stderr, "[FAIL] %s::%s\n", t->suite, t->name);
        } else {
            crash++;
            fprintf(stderr, "[CRASH] %s::%s (status %d)\n", t->suite, t->name,
                    st);
        }
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | "
           "Crashing: %d \n",
           shim_ntests, pass, fail, crash);
    return fail + crash ? 1 : 0;
}

#endif
