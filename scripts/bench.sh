#!/bin/sh
# make bench: the miner's figures, all from one run so their ratios compare
# like with like on a shared, noisy machine.
#   - every kernel this CPU runs: hashrate on 1 thread and on every core
#     (wall clock, and per CPU-second of the workers: the latter is immune
#     to other processes preempting the workers), with the version rolling a
#     node's jobs allow; a kernel that rolls (shares work between versions)
#     is also measured on plain nonce scanning (--versions 1), as "K-v1";
#   - scaling (all cores / one), and the best kernel against the OpenSSL
#     yardstick measured in the same run;
#   - work-switch latency (publish -> last worker on the new job), p50 / p99.
# Environment: BENCH_SECONDS (per measurement, default 5), BENCH_KERNELS
# (space-separated subset, default every available kernel).
# Each command is printed before its figures, so any number can be
# reproduced by hand (see benchmarks.md).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-build/pickaxe-bench}
SECONDS_EACH=${BENCH_SECONDS:-5}
[ -x "$BIN" ] || { echo "bench.sh: $BIN missing; run make first" >&2; exit 1; }

cores=$(nproc)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "== pickaxe miner benchmark"
echo "machine: ${cpu:-unknown CPU}, $cores cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "\$ $BIN kernels"
"$BIN" kernels
echo

json=$("$BIN" kernels --json)
auto=$(echo "$json" | tr '{' '\n' | sed -n 's/.*"name":"\([a-z0-9]*\)".*"auto":true.*/\1/p')
available=$(echo "$json" | tr '{' '\n' |
    sed -n 's/.*"name":"\([a-z0-9]*\)".*"available":true.*/\1/p' | tr '\n' ' ')
kernels=${BENCH_KERNELS:-$available}

field() { # json name -> number (the top-level one, before per_thread)
    echo "$1" | sed 's/"per_thread".*//' | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
rolls() { # kernel -> versions it hashes at once
    echo "$json" | tr '{' '\n' | sed -n "s/.*\"name\":\"$1\".*\"versions\":\([0-9]*\).*/\1/p"
}
measure() { # label, then pickaxe-bench hashrate options
    label=$1
    shift
    for t in 1 0; do
        cmd="$BIN hashrate --threads $t --seconds $SECONDS_EACH $* --json"
        echo "\$ $cmd"
        out=$($cmd)
        echo "$out"
        echo "$label $t $(field "$out" threads) $(field "$out" hashrate) $(field "$out" hashrate_cpu)" >>"$results"
    done
}
for k in $kernels; do
    measure "$k" --impl "$k"
    if [ "$(rolls "$k")" -gt 1 ] 2>/dev/null; then
        measure "$k-v1" --impl "$k" --versions 1
    fi
done
echo

cmd="$BIN switch --threads 0 --jobs 500 --interval-ms 5 --json"
echo "\$ $cmd"
sw=$($cmd)
echo "$sw"
echo

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -v auto="$auto" -v sw_p50="$(field "$sw" p50_us)" -v sw_p99="$(field "$sw" p99_us)" \
    -v sw_impl="$(echo "$sw" | sed -n 's/.*"impl":"\([a-z0-9]*\)".*/\1/p')" '
{
    k = $1; t = $2
    if (!(k in seen)) { seen[k] = 1; order[n++] = k }
    if (t == 1) { w1[k] = $4; c1[k] = $5 } else { nt[k] = $3; wn[k] = $4; cn[k] = $5 }
}
END {
    printf "%-8s %12s %12s %8s   %12s %12s %8s\n", "kernel", "1T MH/s", "allT MH/s",
        "scaling", "1T MH/cpu-s", "allT MH/cpu-s", "scaling"
    best = ""
    for (i = 0; i < n; i++) {
        k = order[i]
        printf "%-8s %12.2f %12.2f %7.2fx   %12.2f %12.2f %7.2fx%s\n", k,
            w1[k] / 1e6, wn[k] / 1e6, w1[k] ? wn[k] / w1[k] : 0,
            c1[k] / 1e6, cn[k] / 1e6, c1[k] ? cn[k] / c1[k] : 0,
            k == auto ? "   <- auto" : ""
        if (k ~ /-v1$/) continue
        if (best == "" || w1[k] > w1[best]) best = k
        if (bestc == "" || c1[k] > c1[bestc]) bestc = k
    }
    print ""
    if ("openssl" in w1 && w1["openssl"] > 0)
        printf "best kernel on 1 thread: %s %.2f MH/s = %.2fx openssl (%.2f MH/s); per CPU-second %s %.2fx\n",
            best, w1[best] / 1e6, w1[best] / w1["openssl"], w1["openssl"] / 1e6,
            bestc, c1[bestc] / c1["openssl"]
    for (i = 0; i < n; i++) {
        k = order[i]
        if (k ~ /-v1$/ && w1[k] > 0) {
            r = substr(k, 1, length(k) - 3)
            printf "version rolling: %s %.2f MH/s vs %.2f plain on 1 thread = %.2fx (per CPU-second %.2fx)\n",
                r, w1[r] / 1e6, w1[k] / 1e6, w1[r] / w1[k], c1[k] ? c1[r] / c1[k] : 0
        }
    }
    printf "auto picks: %s\n", auto
    printf "work switch (%s, all cores): p50 %.0f us, p99 %.0f us\n", sw_impl, sw_p50, sw_p99
}' "$results"

# Block validation: a full block of signed transfers against libsecp256k1's
# bare verification rate, measured in the same run.
echo
echo "== block validation"
cmd="$BIN validate --rounds 7"
echo "\$ $cmd"
$cmd

# The network's figures (benchmarks.md, "Network"): real trackers and nodes
# on 127.0.0.1, driven through pickaxe-cli. BENCH_NETWORK=0 skips them.
if [ "${BENCH_NETWORK:-1}" != 0 ]; then
    echo
    echo "== pickaxe network benchmark"
    echo "\$ python3 bench/net_bench.py"
    python3 bench/net_bench.py
fi

# What pickaxe-adversary at full rate costs honest miners (benchmarks.md,
# "Adversary"). BENCH_ADVERSARY=0 skips it.
if [ "${BENCH_ADVERSARY:-1}" != 0 ]; then
    echo
    echo "== adversary benchmark"
    echo "\$ python3 bench/adversary_bench.py --network demo"
    python3 bench/adversary_bench.py --network demo
    echo "\$ python3 bench/adversary_bench.py --network regtest --phase 30 --warmup 5"
    python3 bench/adversary_bench.py --network regtest --phase 30 --warmup 5
fi
