#!/bin/sh
# Runs every built test suite and prints one summary line at the end:
#   unit tests (plain), the same under ASan+UBSan, the TSan ones, a short
#   run of every fuzz harness, then the integration and browser suites when
#   they exist.
# Each phase ends with a line saying how long it took ("== asan: 95 s"),
# and the summary lists them all (with the build's, when make test passes
# BUILD_SECONDS).
# Exits non-zero when anything failed or crashed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0
failed=0
failures=""
timings=""
[ -n "${BUILD_SECONDS:-}" ] && timings="build ${BUILD_SECONDS} s"
started=$(date +%s)
phase_t0=$started

# Ends a phase: says its time and keeps it for the summary.
phase_done() { # name
    now=$(date +%s)
    echo "== $1: $((now - phase_t0)) s"
    timings="${timings:+$timings, }$1 $((now - phase_t0)) s"
    phase_t0=$now
}

# ASan: report and fail on the first error; LeakSanitizer cannot run under
# ptrace-restricted sandboxes, so leaks are checked where it works.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export PICKAXE_LOG_LEVEL=${PICKAXE_LOG_LEVEL:-warn}
# TSan: libzmq is not instrumented, so what it does on its own threads
# (its I/O thread's epoll calls on sockets made elsewhere) would read as
# races; only instrumented code is judged.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1}

run_criterion() { # label binary
    label=$1 bin=$2
    out=$(mktemp)
    timeout 600 "$bin" --jobs 2 --short-filename >"$out" 2>&1
    rc=$?
    synth=$(grep 'Synthesis:' "$out" | tail -1)
    p=$(echo "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$synth" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$synth" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    p=${p:-0} f=${f:-0} c=${c:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$c" -eq 0 ]; then
        f=1 # the binary itself failed (timeout, sanitizer at exit, ...)
    fi
    passed=$((passed + p))
    failed=$((failed + f + c))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] || [ "$c" -ne 0 ]; then
        failures="$failures $label/$(basename "$bin")"
        cat "$out"
    fi
    printf '%-6s %-28s %s\n' "$label" "$(basename "$bin")" "${synth:-exit $rc}"
    rm -f "$out"
}

for variant in plain asan tsan; do
    case $variant in
    plain) dir=$BUILD/tests ;;
    *) dir=$BUILD/$variant/tests ;;
    esac
    [ -d "$dir" ] || continue
    for bin in "$dir"/test_*; do
        [ -x "$bin" ] || continue
        case $bin in *.d|*.o) continue ;; esac
        run_criterion "$variant" "$bin"
    done
    phase_done "unit tests ($variant)"
done

# Fuzz harnesses (build/fuzz/fuzz_*, libFuzzer): each runs for
# FUZZ_TEST_SECONDS from its committed corpus, which replays every input that
# ever crashed it first; each harness counts as one test.
if ls "$BUILD"/fuzz/fuzz_* >/dev/null 2>&1; then
    out=$(mktemp)
    BUILD=$BUILD scripts/fuzz.sh --seconds "${FUZZ_TEST_SECONDS:-5}" \
        --jobs "${FUZZ_TEST_JOBS:-2}" >"$out" 2>&1
    rc=$?
    grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    p=${p:-0} f=${f:-0}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -ne 0 ] && failures="$failures fuzz"
    rm -f "$out"
    phase_done "fuzz"
fi

# The format check, the integration and the browser suites print their own
# "N passed, N failed" line.
for suite in scripts/format-check.sh tests/integration/run.py tests/browser/run.sh; do
    [ -f "$suite" ] || continue
    out=$(mktemp)
    case $suite in
    *.py) timeout 1200 python3 "$suite" >"$out" 2>&1 ;;
    *) timeout 1200 sh "$suite" >"$out" 2>&1 ;;
    esac
    rc=$?
    cat "$out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    p=${p:-0} f=${f:-0}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -ne 0 ] && failures="$failures $suite"
    rm -f "$out"
    case $suite in
    *format-check*) phase_done "format" ;;
    *integration*) phase_done "integration" ;;
    *) phase_done "browser" ;;
    esac
done

echo "time: $timings; tests $(($(date +%s) - started)) s in all"
[ -n "$failures" ] && echo "failed suites:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
