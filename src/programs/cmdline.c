/*
 * cmdline — the flags and messages every main() shares (see cmdline.h).
 */
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "sock.h"
#include "tracker.h"

static const char *prog_name = "pickaxe";

void cmdline_init(const char *prog, log_level_t default_level)
{
    prog_name = prog;
    log_level_t level = default_level;
    const char *env = getenv("PICKAXE_LOG_LEVEL");
    /* An unknown name keeps the default (outputs are written only on
     * success). */
    if (env && log_parse_level(&level, env) != 0)
        level = default_level;
    log_set_level(level);
}

const char *cmdline_prog(void)
{
    return prog_name;
}

int cmdline_read(int argc, char **argv, const char *shortopts,
                 const struct option *opts, cmdline_option_fn fn, void *ctx,
                 bool args)
{
    /* ':' after any '+': a missing value comes back as ':', said here. */
    char optstring[64];
    bool stop = shortopts[0] == '+';
    if (snprintf(optstring, sizeof optstring, "%s:%s", stop ? "+" : "",
                 shortopts + stop) >= (int)sizeof optstring)
        return cmdline_usage_error("too many short options");
    optind = 0; /* glibc: start over, also on another vector */
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        int st;
        if (ch == ':' || ch == '?')
            st = cmdline_bad_option(ch, argv);
        else if (ch == CMDLINE_O_LOG_LEVEL)
            st = cmdline_log_level(optarg) ? CMDLINE_EXIT_USAGE : CMDLINE_GO_ON;
        else if (ch == CMDLINE_O_VERSION)
            st = cmdline_version(NULL);
        else
            st = fn(ctx, ch, optarg);
        if (st != CMDLINE_GO_ON)
            return st;
    }
    if (!args && optind < argc)
        return cmdline_usage_error("unexpected argument %s", argv[optind]);
    return CMDLINE_GO_ON;
}

int cmdline_make_dir(const char *dir)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s", dir) >= sizeof path)
        return ERR_RANGE;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return ERR_IO;
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? ERR_IO : 0;
}

int cmdline_parse_u64(uint64_t *out, const char *text, uint64_t min,
                      uint64_t max)
{
    if (!text || !*text)
        return ERR_PARSE;
    uint64_t v = 0;
    bool overflow = false;
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return ERR_PARSE;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (overflow || v < min || v > max)
        return ERR_RANGE;
    *out = v;
    return 0;
}

int cmdline_parse_double(double *out, const char *text, double min, double max)
{
    /* Digits with at most one point: strtod alone would also take a sign,
     * spaces, hex, exponents, "inf" and "nan". */
    if (!text || !*text)
        return ERR_PARSE;
    size_t digits = 0, points = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '.')
            points++;
        else if (isdigit((unsigned char)*p))
            digits++;
        else
            return ERR_PARSE;
    }
    if (digits == 0 || points > 1)
        return ERR_PARSE;
    double v = strtod(text, NULL);
    if (!isfinite(v) || v < min || v > max)
        return ERR_RANGE;
    *out = v;
    return 0;
}

static int vusage_error(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
static int vusage_error(const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "%s: %s (see %s --help)\n", prog_name, line, prog_name);
    return CMDLINE_EXIT_USAGE;
}

int cmdline_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vusage_error(fmt, ap);
    va_end(ap);
    return st;
}

int cmdline_fail(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", prog_name, line);
    return CMDLINE_EXIT_FAIL;
}

int cmdline_uint(uint64_t *out, const char *flag, const char *text,
                 uint64_t min, uint64_t max, const char *unit)
{
    if (cmdline_parse_u64(out, text, min, max) == 0)
        return 0;
    return cmdline_usage_error("%s takes %llu..%llu%s%s, not '%s'", flag,
                               (unsigned long long)min, (unsigned long long)max,
                               unit ? " " : "", unit ? unit : "", text);
}

int cmdline_double(double *out, const char *flag, const char *text, double min,
                   double max, const char *unit)
{
    if (cmdline_parse_double(out, text, min, max) == 0)
        return 0;
    return cmdline_usage_error("%s takes %g..%g%s%s, not '%s'", flag, min, max,
                               unit ? " " : "", unit ? unit : "", text);
}

int cmdline_log_level(const char *text)
{
    log_level_t level;
    if (log_parse_level(&level, text) != 0)
        return cmdline_usage_error(
            "--log-level takes error, warn, info or debug, not '%s'", text);
    log_set_level(level);
    return 0;
}

int cmdline_network(const params_t **out, const char *name)
{
    *out = params_get(name);
    if (*out)
        return 0;
    char names[128] = "";
    const char *const *all = params_names();
    for (size_t i = 0, at = 0; all[i] && at < sizeof names; i++) {
        const char *sep = i == 0 ? "" : all[i + 1] ? ", " : " or ";
        int n = snprintf(names + at, sizeof names - at, "%s%s", sep, all[i]);
        at += n > 0 ? (size_t)n : 0;
    }
    return cmdline_usage_error("unknown --network %s (%s)", name, names);
}

int cmdline_endpoint(char *out, size_t len, const char *flag, const char *text)
{
    char host[SOCK_ENDPOINT_MAX];
    uint16_t port;
    if (strncmp(text, "tcp://", 6) != 0 || strlen(text) >= len ||
        sock_parse_hostport(host, sizeof host, &port, text) != 0)
        return cmdline_usage_error("%s takes tcp://HOST:PORT, not '%s'", flag,
                                   text);
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

int cmdline_local_tracker(char *out, size_t len, const params_t *params)
{
    if (sock_endpoint(out, len, "127.0.0.1",
                      params->default_port - TRACKER_PORT_OFFSET) != 0)
        return cmdline_fail("cannot format the tracker's endpoint");
    return 0;
}

int cmdline_home_path(char *out, size_t len, const char *fmt, ...)
{
    const char *home = getenv("HOME");
    int n = snprintf(out, len, "%s/.pickaxe/", home ? home : ".");
    if (n < 0 || (size_t)n >= len)
        return cmdline_fail("the path under ~/.pickaxe is too long");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(out + n, len - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= len - (size_t)n)
        return cmdline_fail("the path under ~/.pickaxe is too long");
    return 0;
}

int cmdline_bad_option(int ch, char *const argv[])
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (ch == ':')
        return cmdline_usage_error("%s needs a value", arg);
    if (strncmp(arg, "--", 2) != 0) /* a short option: optopt is it */
        return cmdline_usage_error("unknown option -%c", optopt);
    if (optopt != 0) /* a known long option given "=VALUE" */
        return cmdline_usage_error("%s: this option takes no value", arg);
    return cmdline_usage_error("unknown option %s", arg);
}

int cmdline_version(const char *extra)
{
    if (extra)
        printf("%s %s (%s)\n", prog_name, PICKAXE_VERSION, extra);
    else
        printf("%s %s\n", prog_name, PICKAXE_VERSION);
    return CMDLINE_EXIT_OK;
}
