/*
 * Tests for src/programs/cmdline.c: whole numbers and decimals as flags
 * take them (digits only, the range inclusive, overflow refused), and the
 * one line a bad value or option prints, with its exit status; the
 * defaults on this machine (the local tracker, paths under ~/.pickaxe).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "err.h"
#include "params.h"
#include "sock.h"

Test(cmdline, whole_numbers)
{
    uint64_t v = 7;
    cr_assert_eq(cmdline_parse_u64(&v, "0", 0, 10), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(cmdline_parse_u64(&v, "10", 0, 10), 0);
    cr_assert_eq(v, 10);
    cr_assert_eq(cmdline_parse_u64(&v, "18446744073709551615", 0, UINT64_MAX),
                 0);
    cr_assert_eq(v, UINT64_MAX);

    v = 7;
    cr_assert_eq(cmdline_parse_u64(&v, "11", 0, 10), ERR_RANGE);
    cr_assert_eq(cmdline_parse_u64(&v, "0", 1, 10), ERR_RANGE);
    cr_assert_eq(cmdline_parse_u64(&v, "18446744073709551616", 0, UINT64_MAX),
                 ERR_RANGE);
    cr_assert_eq(
        cmdline_parse_u64(&v, "99999999999999999999999", 0, UINT64_MAX),
        ERR_RANGE);
    const char *junk[] = {"",     "-1",  "+1",  " 1", "1 ",
                          "0x10", "1e3", "1.0", "abc"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        cr_assert_eq(cmdline_parse_u64(&v, junk[i], 0, UINT64_MAX), ERR_PARSE,
                     "'%s'", junk[i]);
    cr_assert_eq(cmdline_parse_u64(&v, NULL, 0, 1), ERR_PARSE);
    cr_assert_eq(v, 7, "written on failure");
}

Test(cmdline, decimals)
{
    double d = -1;
    cr_assert_eq(cmdline_parse_double(&d, "2.5", 0, 10), 0);
    cr_assert_float_eq(d, 2.5, 1e-12);
    cr_assert_eq(cmdline_parse_double(&d, "0", 0, 10), 0);
    cr_assert_eq(cmdline_parse_double(&d, ".5", 0, 10), 0);
    cr_assert_float_eq(d, 0.5, 1e-12);
    cr_assert_eq(cmdline_parse_double(&d, "10.01", 0, 10), ERR_RANGE);
    const char *junk[] = {"",    ".",     "-1",    "1e3", "inf",
                          "nan", "0x1p3", "1.2.3", " 1"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        cr_assert_eq(cmdline_parse_double(&d, junk[i], 0, 1e9), ERR_PARSE,
                     "'%s'", junk[i]);
}

Test(cmdline, a_bad_value_is_one_line_and_exit_2, .init = cr_redirect_stderr)
{
    cmdline_init("pickaxe-test", LOG_WARN);
    uint64_t v;
    cr_assert_eq(cmdline_uint(&v, "--threads", "300", 1, 256, NULL), 2);
    cr_assert_eq(cmdline_uint(&v, "--timeout", "x", 10, 60000, "ms"), 2);
    cr_assert_eq(cmdline_uint(&v, "--threads", "8", 1, 256, NULL), 0);
    cr_assert_eq(v, 8);
    cr_assert_eq(cmdline_log_level("loud"), 2);
    cr_assert_eq(cmdline_log_level("debug"), 0);
    cr_assert(log_enabled(LOG_DEBUG));
    char ep[SOCK_ENDPOINT_MAX];
    cr_assert_eq(cmdline_endpoint(ep, sizeof ep, "--node", "127.0.0.1:5"), 2);
    cr_assert_eq(cmdline_endpoint(ep, sizeof ep, "--node", "tcp://h:0"), 2);
    cr_assert_eq(cmdline_endpoint(ep, sizeof ep, "--node", "tcp://h:5"), 0);
    cr_assert_str_eq(ep, "tcp://h:5");
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "pickaxe-test: --threads takes 1..256, not '300' (see pickaxe-test "
        "--help)\n"
        "pickaxe-test: --timeout takes 10..60000 ms, not 'x' (see "
        "pickaxe-test --help)\n"
        "pickaxe-test: --log-level takes error, warn, info or debug, not "
        "'loud' (see pickaxe-test --help)\n"
        "pickaxe-test: --node takes tcp://HOST:PORT, not '127.0.0.1:5' (see "
        "pickaxe-test --help)\n"
        "pickaxe-test: --node takes tcp://HOST:PORT, not 'tcp://h:0' (see "
        "pickaxe-test --help)\n");
}

Test(cmdline, a_network_is_named_or_refused_with_the_names,
     .init = cr_redirect_stderr)
{
    cmdline_init("pickaxe-test", LOG_WARN);
    const params_t *p = NULL;
    cr_assert_eq(cmdline_network(&p, "regtest"), 0);
    cr_assert_eq(p, params_regtest());
    cr_assert_eq(cmdline_network(&p, "demo"), 0);
    cr_assert_eq(p, params_demo());
    cr_assert_eq(cmdline_network(&p, "mainnet"), 2);
    cr_assert_null(p);
    fflush(stderr);
    cr_assert_stderr_eq_str("pickaxe-test: unknown --network mainnet "
                            "(regtest or demo) (see pickaxe-test --help)\n");
}

Test(cmdline, bad_options_are_named, .init = cr_redirect_stderr)
{
    cmdline_init("pickaxe-test", LOG_WARN);
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    char *cases[][2] = {
        {"prog", "--bogus"},
        {"prog", "--threads"},
        {"prog", "--json=1"},
        {"prog", "-q"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        optind = 0; /* glibc: start over */
        opterr = 0;
        int ch = getopt_long(2, cases[i], ":", opts, NULL);
        cr_assert(ch == '?' || ch == ':', "case %zu: %d", i, ch);
        cr_assert_eq(cmdline_bad_option(ch, cases[i]), CMDLINE_EXIT_USAGE);
    }
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "pickaxe-test: unknown option --bogus (see pickaxe-test --help)\n"
        "pickaxe-test: --threads needs a value (see pickaxe-test --help)\n"
        "pickaxe-test: --json=1: this option takes no value (see "
        "pickaxe-test --help)\n"
        "pickaxe-test: unknown option -q (see pickaxe-test --help)\n");
}

/* What read_fn saw, for cmdline_read's test. */
typedef struct {
    char seen[16];
    size_t n;
    const char *value;
} seen_t;

static int read_fn(void *ctx, int ch, const char *arg)
{
    seen_t *s = ctx;
    if (s->n + 1 < sizeof s->seen)
        s->seen[s->n++] = (char)ch;
    if (ch == 'v')
        s->value = arg;
    if (ch == 'q')
        return 7; /* ends the reading with this status */
    return CMDLINE_GO_ON;
}

Test(cmdline, read_hands_each_option_over_and_stops_where_told,
     .init = cr_redirect_stderr)
{
    cmdline_init("pickaxe-test", LOG_WARN);
    static const struct option opts[] = {
        {"value", required_argument, NULL, 'v'},
        {"flag", no_argument, NULL, 'f'},
        {"quit", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    /* Options after an argument are read too; the argument is left at
     * optind when arguments are allowed. */
    char *a1[] = {"prog", "--flag", "cmd", "--value", "x", NULL};
    seen_t s = {0};
    cr_assert_eq(cmdline_read(5, a1, "", opts, read_fn, &s, true),
                 CMDLINE_GO_ON);
    cr_assert_str_eq(s.seen, "fv");
    cr_assert_str_eq(s.value, "x");
    cr_assert_str_eq(a1[optind], "cmd");

    /* The same vector again: reading starts over. */
    char *a2[] = {"prog", "--flag", "cmd", NULL};
    memset(&s, 0, sizeof s);
    cr_assert_eq(cmdline_read(3, a2, "", opts, read_fn, &s, false),
                 CMDLINE_EXIT_USAGE, "no arguments wanted");
    cr_assert_str_eq(s.seen, "f");

    /* '+' stops at the first argument: the command's options are its. */
    char *a3[] = {"prog", "--flag", "cmd", "--quit", NULL};
    memset(&s, 0, sizeof s);
    cr_assert_eq(cmdline_read(4, a3, "+", opts, read_fn, &s, true),
                 CMDLINE_GO_ON);
    cr_assert_str_eq(s.seen, "f");
    cr_assert_str_eq(a3[optind], "cmd");

    /* The function's status ends the reading; a bad option is said. */
    char *a4[] = {"prog", "--quit", "--flag", NULL};
    memset(&s, 0, sizeof s);
    cr_assert_eq(cmdline_read(3, a4, "", opts, read_fn, &s, false), 7);
    cr_assert_str_eq(s.seen, "q");
    char *a5[] = {"prog", "--value", NULL};
    memset(&s, 0, sizeof s);
    cr_assert_eq(cmdline_read(2, a5, "", opts, read_fn, &s, false),
                 CMDLINE_EXIT_USAGE);
    cr_assert_eq(s.n, 0);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "pickaxe-test: unexpected argument cmd (see pickaxe-test --help)\n"
        "pickaxe-test: --value needs a value (see pickaxe-test --help)\n");
}

Test(cmdline, make_dir_makes_the_missing_ones_private)
{
    char base[] = "/tmp/pickaxe-cmdline-XXXXXX";
    cr_assert_not_null(mkdtemp(base));
    char dir[128];
    snprintf(dir, sizeof dir, "%s/a/b/c", base);
    cr_assert_eq(cmdline_make_dir(dir), 0);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0700);
    cr_assert_eq(cmdline_make_dir(dir), 0, "an existing one is fine");
    char file[140];
    snprintf(file, sizeof file, "%s/f", base);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/f/below", base);
    cr_assert_eq(cmdline_make_dir(dir), ERR_IO, "under a file");
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    cr_assert_eq(system(cmd), 0);
}

Test(cmdline, the_defaults_are_on_this_machine_and_under_home,
     .init = cr_redirect_stderr)
{
    cmdline_init("pickaxe-test", LOG_INFO);
    char ep[SOCK_ENDPOINT_MAX];
    cr_assert_eq(cmdline_local_tracker(ep, sizeof ep, params_demo()), 0);
    cr_assert_str_eq(ep, "tcp://127.0.0.1:18320");
    cr_assert_eq(cmdline_local_tracker(ep, 10, params_demo()),
                 CMDLINE_EXIT_FAIL);

    char path[40];
    cr_assert_eq(setenv("HOME", "/h", 1), 0);
    cr_assert_eq(
        cmdline_home_path(path, sizeof path, "%s/wallet.keystore", "regtest"),
        0);
    cr_assert_str_eq(path, "/h/.pickaxe/regtest/wallet.keystore");
    cr_assert_eq(unsetenv("HOME"), 0);
    cr_assert_eq(cmdline_home_path(path, sizeof path, "%s-tracker", "demo"), 0);
    cr_assert_str_eq(path, "./.pickaxe/demo-tracker");
    cr_assert_eq(cmdline_home_path(path, 8, "%s", "demo"), CMDLINE_EXIT_FAIL);
    cr_assert_eq(cmdline_home_path(path, sizeof path, "%s/%s",
                                   "a-network-with-a-long-name", "file"),
                 CMDLINE_EXIT_FAIL);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "pickaxe-test: cannot format the tracker's endpoint\n"
        "pickaxe-test: the path under ~/.pickaxe is too long\n"
        "pickaxe-test: the path under ~/.pickaxe is too long\n");
}
