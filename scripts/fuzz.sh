#!/bin/sh
# Runs the libFuzzer harnesses built in build/fuzz/ (make fuzz-build), each
# for a fixed time, a few at once, and prints one line per harness and a
# final "N passed, N failed" line; exits non-zero when a harness crashed or
# broke a property.
#
# Every run starts from the committed corpus tests/fuzz/corpus/<target>/
# (seeds, plus the inputs that once crashed: they are replayed first, so a
# regression fails at once). New inputs go to a scratch directory, or with
# --keep to build/fuzz/corpus/<target>/, which then grows from run to run.
# A failing input is saved in build/fuzz/artifacts/<target>/; reproduce with
#   build/fuzz/fuzz_<target> build/fuzz/artifacts/<target>/crash-...
#
# Usage: scripts/fuzz.sh [--seconds N] [--jobs N] [--keep] [TARGET...]
#   TARGET is a harness name without the fuzz_ prefix (default: all).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
seconds=5
jobs=2
keep=0
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
targets="$*"
if [ -z "$targets" ]; then
    for bin in "$BUILD"/fuzz/fuzz_*; do
        [ -x "$bin" ] || continue
        case $bin in *.d|*.o) continue ;; esac
        targets="$targets ${bin##*/fuzz_}"
    done
fi
if [ -z "$targets" ]; then
    echo "fuzz.sh: no harness in $BUILD/fuzz (run make fuzz-build)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# Leak checking needs ptrace, which some sandboxes forbid; libFuzzer then
# dies at the first leak check, so follow the caller's ASAN_OPTIONS there.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
touch "$scratch/start"

run_one() { # target
    t=$1
    if [ "$keep" -eq 1 ]; then
        work=$BUILD/fuzz/corpus/$t
    else
        work=$scratch/corpus-$t
    fi
    art=$BUILD/fuzz/artifacts/$t
    mkdir -p "$work" "$art" "tests/fuzz/corpus/$t"
    "$BUILD/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" \
        "$work" "tests/fuzz/corpus/$t" >"$scratch/$t.log" 2>&1
    echo $? >"$scratch/$t.rc"
}

n=0
for t in $targets; do
    run_one "$t" &
    n=$((n + 1))
    [ $((n % jobs)) -eq 0 ] && wait
done
wait

passed=0
failed=0
for t in $targets; do
    log=$scratch/$t.log
    rc=$(cat "$scratch/$t.rc" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        status=ok
    else
        failed=$((failed + 1))
        status=FAILED
        grep -E -A40 'ERROR: |property failed|runtime error' "$log" | head -80
        find "$BUILD/fuzz/artifacts/$t" -type f -newer "$scratch/start" |
            sed 's|^|  failing input: |'
    fi
    printf 'fuzz   %-28s %-6s %s runs, %s exec/s, %s\n' "fuzz_$t" "$status" \
        "${runs:-?}" "${speed:-?}" "${cov:-no coverage line}"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
