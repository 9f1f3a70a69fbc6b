#!/usr/bin/env python3
"""Wallet service benchmark: how long the page and one API call take to
answer with 0 and then with N slowloris connections open, in one sitting
(issue 12).

A regtest node (no mining) and a pickaxe-wallet on 127.0.0.1, as the
integration tests start them (tests/integration/wallet_http.py). Each
phase makes R rounds (200), 50 ms apart, of GET / (the page's HTML, 10 KB)
and GET /wallet/balance (which asks the node over ZeroMQ), each on a new
connection, and times each from connect to the last byte of the answer.
The slowloris connections (tests/integration/slowloris.py) come from
127.0.0.1, the page's own address, send a header line every 2 s, and are
reopened at the next round when the service closes them. A request with no
answer within --timeout seconds counts as unanswered.

Usage: wallet_bench.py [--slow N] [--rounds R] [--timeout S]
       (BUILD=DIR picks the binaries, as for the integration tests)
Prints a Markdown table (pasted into benchmarks.md, "## Wallet service").
"""

import argparse
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from pxnet import Net  # noqa: E402
from slowloris import Slowloris  # noqa: E402
from wallet_http import Wallet  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def pct(values, p):
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def phase(wallet, rounds, timeout):
    """Times per path (seconds) and how many went unanswered."""
    took = {"/": [], "/wallet/balance": []}
    missed = 0
    for _ in range(rounds):
        for path in took:
            try:
                status, _, _, t = wallet.request("GET", path, timeout=timeout)
                if status == 200:
                    took[path].append(t)
                else:
                    missed += 1
            except OSError:
                missed += 1
        time.sleep(0.05)
    return took, missed


def row(label, took, missed, rounds):
    cells = [label]
    for path in ("/", "/wallet/balance"):
        t = took[path]
        if t:
            cells.append("%.1f / %.1f / %.1f ms" % (statistics.median(t) * 1000,
                                                    pct(t, 99) * 1000, max(t) * 1000))
        else:
            cells.append("no answer")
    cells.append("%d of %d" % (missed, 2 * rounds))
    return "| " + " | ".join(cells) + " |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--slow", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    with Net(prefix="pickaxe-bench-wallet-") as net:
        node = net.node("solo")
        wallet = Wallet(net, node)
        quiet, quiet_missed = phase(wallet, args.rounds, args.timeout)
        attack = Slowloris(wallet.port, args.slow, interval=2.0, reopen=True).start()
        time.sleep(1.0)
        try:
            loud, loud_missed = phase(wallet, args.rounds, args.timeout)
        finally:
            attack.stop()
        print("machine: %s, %d CPUs; %s UTC; load average %.2f" % (
            cpu_model(), os.cpu_count(),
            time.strftime("%Y-%m-%d %H:%M", time.gmtime()), os.getloadavg()[0]))
        print()
        print("| slowloris connections | GET / median / p99 / max | GET /wallet/balance "
              "median / p99 / max | unanswered within %.0f s |" % args.timeout)
        print("|---:|---:|---:|---:|")
        print(row("0", quiet, quiet_missed, args.rounds))
        print(row("%d (%d opened, %d closed by the service)" % (
            args.slow, attack.opened, attack.closed), loud, loud_missed, args.rounds))


if __name__ == "__main__":
    main()
