/*
 * pickaxe-bench — hashrate and kernel benchmarks, nonce scanning of a given
 * header, work-switch latency, and (validate.c) block validation.
 *
 *   pickaxe-bench [--log-level L] kernels [--json]
 *   pickaxe-bench hashrate [--threads N] [--seconds S] [--impl X] [--versions
 * V]
 *                          [--json]
 *   pickaxe-bench scan --header HEX160 --start N --count M [--impl X] [--json]
 *   pickaxe-bench switch [--threads N] [--jobs K] [--interval-ms T]
 *                        [--impl X] [--json]
 *   pickaxe-bench validate [--rounds N] [--threads N] [--json]
 *
 * The kernels, hashrate and scan interfaces are stable (DESIGN.md): scripts
 * and other tools parse their --json output. Human output goes to stdout;
 * the live status line of hashrate and all diagnostics go to stderr. Exit
 * status: 0 success, 1 failure while running, 2 bad usage (with a one-line
 * message).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block.h"
#include "bytes.h"
#include "cmdline.h"
#include "err.h"
#include "hex.h"
#include "kernel.h"
#include "log.h"
#include "pool.h"
#include "stratum.h"
#include "uint256.h"
#include "validate.h"

static const char usage_text[] =
    "usage: pickaxe-bench [--log-level LEVEL] COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  kernels [--json]\n"
    "      List the SHA-256d kernels, whether this CPU runs them, and which\n"
    "      one 'auto' picks.\n"
    "  hashrate [--threads N] [--seconds S] [--impl X] [--versions V] "
    "[--json]\n"
    "      Mine a synthetic job with the worker pool for S seconds (default\n"
    "      10) on N threads (default and 0: one per core), printing a line\n"
    "      a second on stderr (the pool's MH/s and each thread's), then\n"
    "      report hashes per second. The\n"
    "      job lets workers roll up to V versions of each header (1, 2, 4,\n"
    "      8 or 16; default 16, as a node's jobs do); kernels that gain\n"
    "      nothing from it hash one. --versions 1 measures plain nonce\n"
    "      scanning.\n"
    "  scan --header HEX160 --start N --count M [--impl X] [--json]\n"
    "      Print every nonce in [N, N+M) whose hash meets the header's own\n"
    "      bits, with the hash (byte-reversed, as block ids are shown).\n"
    "  switch [--threads N] [--jobs K] [--interval-ms T] [--impl X] [--json]\n"
    "      Publish K jobs T ms apart to a hashing pool and report how long\n"
    "      the last worker took to switch (p50, p99).\n"
    "  validate [--rounds N] [--threads N] [--json]\n"
    "      Time full validation of a block filled with signed transfers.\n"
    "  stratum [--seconds S] [--json]\n"
    "      Stratum shares a second on one thread: checked with the\n"
    "      reference hash, and whole mining.submit lines.\n"
    "\n"
    "Options:\n"
    "  --impl X          kernel: auto (default), generic, openssl, shani,\n"
    "                    shani2, avx2, avx512\n"
    "  --json            machine-readable output on stdout\n"
    "  --log-level L     error, warn (default), info or debug\n"
    "  --help            this text;  --version  the version\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Resolves --impl; prints the one-line error itself. */
static int pick_kernel(const kernel_t **k, const char *impl)
{
    int rc = kernel_select(k, impl);
    if (rc == ERR_ARG)
        return cmdline_usage_error("unknown kernel '%s'", impl);
    if (rc == ERR_UNSUPPORTED) {
        return cmdline_fail("kernel '%s' cannot run on this CPU (see "
                            "'pickaxe-bench kernels')",
                            impl);
    }
    return 0;
}

/* ---- options ---- */

/* The options of every command (each command's table says which it takes),
 * with their defaults. */
typedef struct {
    bool json, have_threads, have_start, have_count;
    uint64_t threads, versions, start, count, jobs, interval_ms;
    double seconds;
    const char *impl, *header;
} bench_opts_t;

/* Reads one option (cmdline_option_fn). */
static int read_option(void *ctx, int ch, const char *arg)
{
    bench_opts_t *o = ctx;
    int st = 0;
    switch (ch) {
    case 'j':
        o->json = true;
        break;
    case 'h':
        fputs(usage_text, stdout);
        return CMDLINE_EXIT_OK;
    case 'i':
        o->impl = arg;
        break;
    case 't':
        st = cmdline_uint(&o->threads, "--threads", arg, 0, POOL_MAX_THREADS,
                          NULL);
        o->have_threads = true;
        break;
    case 's':
        st = cmdline_double(&o->seconds, "--seconds", arg, 0.001, 86400, NULL);
        break;
    case 'v':
        if (cmdline_parse_u64(&o->versions, arg, 1, KERNEL_ROLL_MAX) ||
            (o->versions & (o->versions - 1)) != 0)
            return cmdline_usage_error("--versions takes 1, 2, 4, 8 or 16, "
                                       "not '%s'",
                                       arg);
        break;
    case 'H':
        o->header = arg;
        break;
    case 'S':
        st = cmdline_uint(&o->start, "--start", arg, 0, 0xffffffffu, NULL);
        o->have_start = true;
        break;
    case 'c':
        st =
            cmdline_uint(&o->count, "--count", arg, 1, (uint64_t)1 << 32, NULL);
        o->have_count = true;
        break;
    case 'n':
        st = cmdline_uint(&o->jobs, "--jobs", arg, 1, 100000, NULL);
        break;
    case 'm':
        st =
            cmdline_uint(&o->interval_ms, "--interval-ms", arg, 1, 10000, "ms");
        break;
    }
    return st ? st : CMDLINE_GO_ON;
}

/* Reads a command's options (those in opts) into o. Returns CMDLINE_GO_ON
 * or the exit status to end with. */
static int read_command(bench_opts_t *o, int argc, char **argv,
                        const struct option *opts)
{
    *o = (bench_opts_t){.versions = KERNEL_ROLL_MAX,
                        .jobs = 200,
                        .interval_ms = 10,
                        .impl = "auto"};
    return cmdline_read(argc, argv, "", opts, read_option, o, false);
}

/* ---- kernels ---- */

static int cmd_kernels(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bench_opts_t o;
    int st = read_command(&o, argc, argv, opts);
    if (st != CMDLINE_GO_ON)
        return st;
    bool json = o.json;
    const kernel_t *autok = kernel_auto();
    if (json)
        printf("[");
    else
        printf("%-8s %5s %8s  %-9s %-9s %s\n", "kernel", "lanes", "versions",
               "available", "self-test", "auto");
    for (size_t i = 0; i < kernel_count(); i++) {
        const kernel_t *k = kernel_at(i);
        bool avail = kernel_available(k);
        int self = avail ? kernel_self_test(k) : ERR_UNSUPPORTED;
        const char *test = !avail ? "-" : self == 0 ? "ok" : "FAILED";
        if (json)
            printf("%s{\"name\":\"%s\",\"lanes\":%u,\"versions\":%u,"
                   "\"available\":%s,\"auto\":%s,\"self_test\":\"%s\"}",
                   i ? "," : "", kernel_name(k), kernel_lanes(k),
                   kernel_roll_versions(k), avail ? "true" : "false",
                   k == autok ? "true" : "false", test);
        else
            printf("%-8s %5u %8u  %-9s %-9s %s\n", kernel_name(k),
                   kernel_lanes(k), kernel_roll_versions(k),
                   avail ? "yes" : "no", test, k == autok ? "<- auto" : "");
        if (avail && self != 0)
            log_error("bench", "kernel %s failed its known answers",
                      kernel_name(k));
    }
    if (json)
        printf("]\n");
    return 0;
}

/* ---- a synthetic job ---- */

/* A job like a node's: a real-looking header and coinbase, three merkle
 * siblings, version rolling allowed, and a target no test run will meet
 * (top 64 bits zero). */
static void synthetic_job(pool_job_t *j, uint64_t id,
                          const uint8_t (*branch)[32])
{
    static const uint8_t prefix[] = "pickaxe-bench coinbase prefix";
    static const uint8_t suffix[] = "pickaxe-bench coinbase suffix";
    memset(j, 0, sizeof *j);
    j->job_id = id;
    le32_put(j->header, 0x20000000u);
    for (int i = 0; i < 32; i++)
        j->header[4 + i] = (uint8_t)(i * 13 + id);
    le32_put(j->header + 68, (uint32_t)time(NULL));
    le32_put(j->header + 72, 0x1703a30cu);
    j->coinbase_prefix = prefix;
    j->coinbase_prefix_len = sizeof prefix - 1;
    j->coinbase_suffix = suffix;
    j->coinbase_suffix_len = sizeof suffix - 1;
    j->branch = branch;
    j->branch_len = 3;
    memset(j->target, 0xff, 24);
    j->extranonce_start = id << 16;
    j->version_roll = KERNEL_ROLL_MAX;
}

static const uint8_t bench_branch[3][32] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};

/* ---- hashrate ---- */

static void fmt_count(char *out, size_t n, uint64_t v)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        out[o++] = tmp[i];
        if ((len - i - 1) % 3 == 0 && i != len - 1)
            out[o++] = ',';
    }
    out[o] = 0;
}

/* Prints one live line: the time so far, the pool's MH/s and each
 * thread's since the last line (the first 16 threads; a count of the rest). */
static void live_line(pool_t *p, unsigned n, double t, double t0,
                      double *last_t, uint64_t *last_h, uint64_t *last_th)
{
    double dt = t - *last_t;
    if (dt <= 0)
        return;
    uint64_t h = pool_total_hashes(p);
    fprintf(stderr, "  %5.1f s  %9.2f MH/s  per thread:", t - t0,
            (double)(h - *last_h) / dt / 1e6);
    for (unsigned i = 0; i < n; i++) {
        uint64_t th = pool_thread_hashes(p, i);
        if (i < 16)
            fprintf(stderr, " %.2f", (double)(th - last_th[i]) / dt / 1e6);
        last_th[i] = th;
    }
    if (n > 16)
        fprintf(stderr, " (and %u more)", n - 16);
    fprintf(stderr, " MH/s\n");
    *last_t = t;
    *last_h = h;
}

static int cmd_hashrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 's'},
        {"impl", required_argument, NULL, 'i'},
        {"versions", required_argument, NULL, 'v'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bench_opts_t o;
    int st = read_command(&o, argc, argv, opts);
    if (st != CMDLINE_GO_ON)
        return st;
    bool json = o.json, have_threads = o.have_threads;
    uint64_t threads = o.threads, versions = o.versions;
    double seconds = o.seconds;
    const char *impl = o.impl;
    /* Defaults for a first try: every core, for 10 s. */
    if (!have_threads)
        threads = 0;
    if (seconds == 0)
        seconds = 10;
    const kernel_t *k;
    int rc = pick_kernel(&k, impl);
    if (rc)
        return rc;

    pool_t *p = pool_new((unsigned)threads, kernel_name(k));
    if (!p)
        return cmdline_fail("cannot start the worker pool");
    unsigned n = pool_threads(p);
    pool_job_t job;
    synthetic_job(&job, 1, bench_branch);
    job.version_roll = (unsigned)versions;
    /* What the workers roll: the job's allowance, capped by the kernel. */
    unsigned rolled = kernel_roll_versions(k) < job.version_roll
                          ? kernel_roll_versions(k)
                          : job.version_roll;
    if (pool_set_job(p, &job) != 0) {
        pool_free(&p);
        return cmdline_fail("out of memory");
    }
    /* A line a second on stderr while it runs, as cpuminer prints them:
     * the pool's rate and each thread's over the last second. */
    bool live = !json;
    double cpu0[POOL_MAX_THREADS];
    uint64_t last_th[POOL_MAX_THREADS];
    for (unsigned i = 0; i < n; i++) {
        cpu0[i] = pool_thread_cpu_seconds(p, i);
        last_th[i] = pool_thread_hashes(p, i);
    }
    double t0 = now_s(), t_end = t0 + seconds, last_t = t0;
    uint64_t last_h = 0;
    if (live)
        fprintf(stderr,
                "pickaxe-bench hashrate: kernel %s on %u thread%s for "
                "%.1f s\n",
                kernel_name(k), n, n == 1 ? "" : "s", seconds);
    while (now_s() < t_end) {
        double left = t_end - now_s();
        sleep_s(left < 1 ? (left > 0 ? left : 0) : 1);
        if (live && now_s() < t_end - 0.05)
            live_line(p, n, now_s(), t0, &last_t, &last_h, last_th);
    }
    pool_pause(p);
    double wall = now_s() - t0;
    uint64_t total = pool_total_hashes(p);
    double rate = (double)total / wall;
    /* Per-thread speed over the CPU time each worker got: on a shared
     * machine it shows the kernel's speed on a core apart from preemption;
     * the wall-clock rate above is what the pool delivered. */
    double cpu_rate = 0, cpu_total = 0;
    double thread_cpu[POOL_MAX_THREADS], thread_rate[POOL_MAX_THREADS];
    for (unsigned i = 0; i < n; i++) {
        double c = pool_thread_cpu_seconds(p, i) - cpu0[i];
        thread_cpu[i] = c;
        thread_rate[i] = c > 0 ? (double)pool_thread_hashes(p, i) / c : 0;
        cpu_rate += thread_rate[i];
        cpu_total += c;
    }
    if (json) {
        printf("{\"impl\":\"%s\",\"threads\":%u,\"versions\":%u,"
               "\"seconds\":%.3f,\"hashes\":%" PRIu64 ",\"hashrate\":%.0f,"
               "\"cpu_seconds\":%.3f,\"hashrate_cpu\":%.0f,\"per_thread\":[",
               kernel_name(k), n, rolled, wall, total, rate, cpu_total,
               cpu_rate);
        for (unsigned i = 0; i < n; i++)
            printf("%s{\"hashes\":%" PRIu64 ",\"cpu_seconds\":%.3f,"
                   "\"hashrate_cpu\":%.0f}",
                   i ? "," : "", pool_thread_hashes(p, i), thread_cpu[i],
                   thread_rate[i]);
        printf("]}\n");
    } else {
        char c[40];
        printf("pickaxe-bench hashrate: kernel %s, %u thread%s, %u "
               "version%s per nonce, %.1f s\n",
               kernel_name(k), n, n == 1 ? "" : "s", rolled,
               rolled == 1 ? "" : "s", wall);
        printf("  %-7s %18s %9s %14s\n", "thread", "hashes", "cpu s",
               "MH/cpu-s");
        for (unsigned i = 0; i < n; i++) {
            fmt_count(c, sizeof c, pool_thread_hashes(p, i));
            printf("  %-7u %18s %9.2f %14.2f\n", i, c, thread_cpu[i],
                   thread_rate[i] / 1e6);
        }
        fmt_count(c, sizeof c, total);
        printf("  %-7s %18s %9.2f %14.2f\n", "total", c, cpu_total,
               cpu_rate / 1e6);
        printf("  hashrate %.2f MH/s (wall clock)\n", rate / 1e6);
    }
    pool_free(&p);
    return 0;
}

/* ---- scan ---- */

typedef struct {
    bool json;
    size_t found;
} scan_out_t;

static bool print_hit(void *arg, uint32_t nonce, const uint8_t hash[32])
{
    scan_out_t *o = arg;
    char shown[HEX_HASH_LEN + 1];
    hex_from_hash(shown, hash);
    if (o->json)
        printf("%s{\"nonce\":%" PRIu32 ",\"hash\":\"%s\"}", o->found ? "," : "",
               nonce, shown);
    else
        printf("%" PRIu32 " %s\n", nonce, shown);
    o->found++;
    return true;
}

static int cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"header", required_argument, NULL, 'H'},
        {"start", required_argument, NULL, 'S'},
        {"count", required_argument, NULL, 'c'},
        {"impl", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bench_opts_t o;
    int st = read_command(&o, argc, argv, opts);
    if (st != CMDLINE_GO_ON)
        return st;
    bool json = o.json, have_start = o.have_start, have_count = o.have_count;
    const char *impl = o.impl, *header_hex = o.header;
    uint64_t start = o.start, count = o.count;
    if (!header_hex || !have_start || !have_count)
        return cmdline_usage_error("scan needs --header HEX160, --start N and "
                                   "--count M");
    uint8_t header[80];
    if (hex_decode(header, sizeof header, header_hex) != 0)
        return cmdline_usage_error(
            "--header takes 160 hex characters (an 80-byte "
            "header), got %zu characters",
            strlen(header_hex));
    if (count > ((uint64_t)1 << 32) - start)
        return cmdline_usage_error("--start + --count passes nonce 4294967295");
    uint32_t bits = le32_get(header + 72);
    uint256_t t;
    uint8_t target[32];
    if (block_bits_to_target(&t, bits) != 0)
        return cmdline_usage_error("the header's bits 0x%08" PRIx32
                                   " do not encode a valid target",
                                   bits);
    uint256_to_le(target, &t);
    const kernel_t *k;
    int rc = pick_kernel(&k, impl);
    if (rc)
        return rc;

    kernel_job_t job;
    kernel_job_init(&job, header, target);
    scan_out_t out = {.json = json};
    if (json)
        printf("{\"impl\":\"%s\",\"found\":[", kernel_name(k));
    rc = kernel_scan(k, NULL, &job, (uint32_t)start, count, print_hit, &out);
    if (json)
        printf("]}\n");
    if (rc != 0) {
        return cmdline_fail("scan failed: %s", err_str(rc));
    }
    log_info("bench", "scan: %zu of %" PRIu64 " nonces meet bits 0x%08" PRIx32,
             out.found, count, bits);
    return 0;
}

/* ---- switch ---- */

static int cmd_switch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'n'},
        {"interval-ms", required_argument, NULL, 'm'},
        {"impl", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bench_opts_t o;
    int st = read_command(&o, argc, argv, opts);
    if (st != CMDLINE_GO_ON)
        return st;
    bool json = o.json;
    uint64_t threads = o.threads, jobs = o.jobs, interval_ms = o.interval_ms;
    const char *impl = o.impl;
    const kernel_t *k;
    int rc = pick_kernel(&k, impl);
    if (rc)
        return rc;
    pool_t *p = pool_new((unsigned)threads, kernel_name(k));
    if (!p)
        return cmdline_fail("cannot start the worker pool");
    pool_job_t job;
    synthetic_job(&job, 1, bench_branch);
    if (pool_set_job(p, &job) != 0) {
        pool_free(&p);
        return cmdline_fail("out of memory");
    }
    sleep_s(0.2); /* workers running, batch sizes settled */
    for (uint64_t i = 0; i < jobs; i++) {
        synthetic_job(&job, i + 2, bench_branch);
        if (pool_set_job(p, &job) != 0) {
            pool_free(&p);
            return cmdline_fail("out of memory");
        }
        sleep_s((double)interval_ms / 1000.0);
    }
    double p50 = 0, p99 = 0;
    size_t samples = 0;
    rc = pool_switch_latency(p, &p50, &p99, &samples);
    unsigned n = pool_threads(p);
    pool_free(&p);
    if (rc != 0) {
        return cmdline_fail("no switch was measured");
    }
    if (json)
        printf("{\"impl\":\"%s\",\"threads\":%u,\"jobs\":%" PRIu64
               ",\"samples\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
               kernel_name(k), n, jobs, samples, p50, p99);
    else
        printf("pickaxe-bench switch: kernel %s, %u threads, %" PRIu64
               " jobs %" PRIu64 " ms apart, %zu switches measured\n"
               "  publish -> last worker switched: p50 %.1f us, p99 %.1f us\n",
               kernel_name(k), n, jobs, interval_ms, samples, p50, p99);
    return 0;
}

/* ---- main ---- */

/* Reads an option given before the command (cmdline_option_fn): --help,
 * the only one cmdline_read() leaves to it. */
static int read_top_option(void *ctx, int ch, const char *arg)
{
    (void)ctx;
    (void)ch;
    (void)arg;
    fputs(usage_text, stdout);
    return CMDLINE_EXIT_OK;
}

int main(int argc, char **argv)
{
    cmdline_init("pickaxe-bench", LOG_WARN);
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         CMDLINE_OPTIONS_COMMON,
                                         {NULL, 0, NULL, 0}};
    /* '+': stop at the command; its options are the command's to read. */
    int st = cmdline_read(argc, argv, "+", opts, read_top_option, NULL, true);
    if (st != CMDLINE_GO_ON)
        return st;
    if (optind >= argc)
        return cmdline_usage_error("missing command");
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"kernels", cmd_kernels},
        {"hashrate", cmd_hashrate},
        {"scan", cmd_scan},
        {"switch", cmd_switch},
        {"validate", bench_validate_main},
        {"stratum", bench_stratum_main},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[optind], commands[i].name) == 0)
            return commands[i].run(argc - optind, argv + optind);
    return cmdline_usage_error("unknown command '%s'", argv[optind]);
}
