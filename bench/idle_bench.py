#!/usr/bin/env python3
"""What an idle node costs: wake-ups per second and CPU.

Starts a tracker and K idle regtest nodes (no mining, no blocks, no
transfers) on 127.0.0.1, lets them settle, then reads every node's
/proc/PID/task/*/status (voluntary + involuntary context switches, summed
over its threads: each is a wake-up) and /proc/PID/stat (CPU) over
--seconds, and prints the median node's figures, per thread too.

Usage: idle_bench.py [--nodes K] [--seconds S] [--json FILE]
BUILD=DIR picks the binaries (default build/), so two builds compare in
one sitting.
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from pxnet import Net, wait_until  # noqa: E402


def switches(pid):
    """{thread name: context switches so far} of every thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                name = f.read().strip()
            n = 0
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
            key = name
            while key in out:
                key += "'"
            out[key] = (tid, n)
        except OSError:
            pass
    return out


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--settle", type=float, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    with Net(prefix="pickaxe-idle-") as net:
        tracker = net.tracker("regtest")
        nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(a.nodes)]
        wait_until("a full mesh", lambda: all(n.status()["peers"] == a.nodes - 1
                                              for n in nodes), 60, interval=0.2)
        time.sleep(a.settle)
        pids = [n.proc.popen.pid for n in nodes]
        s0 = [switches(p) for p in pids]
        c0 = [cpu_seconds(p) for p in pids]
        t0 = time.monotonic()
        time.sleep(a.seconds)
        dt = time.monotonic() - t0
        s1 = [switches(p) for p in pids]
        c1 = [cpu_seconds(p) for p in pids]
    per_node, threads = [], {}
    for before, after in zip(s0, s1):
        total = 0
        for name, (tid, n) in after.items():
            if name in before and before[name][0] == tid:
                d = (n - before[name][1]) / dt
                total += d
                threads.setdefault(name, []).append(d)
        per_node.append(total)
    cpu = [(b - a_) / dt * 100 for a_, b in zip(c0, c1)]
    r = {"nodes": a.nodes, "seconds": a.seconds,
         "wakeups_per_s": statistics.median(per_node),
         "cpu_pct": statistics.median(cpu),
         "threads": {k: round(statistics.median(v), 1) for k, v in sorted(threads.items())},
         "load_average": open("/proc/loadavg").read().split()[:3]}
    print("idle node (median of %d): %.0f wake-ups/s, %.2f %% of a core" % (
        a.nodes, r["wakeups_per_s"], r["cpu_pct"]))
    print("per thread: " + ", ".join("%s %.1f/s" % kv for kv in r["threads"].items()))
    print("load average: " + " ".join(r["load_average"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
