#!/usr/bin/env python3
"""Silent-peer benchmark: block relay between honest nodes with 0 and N
silent peers registered at the tracker, in one sitting. Real processes on
127.0.0.1 (regtest, no mining), driven through pickaxe-cli like the
integration tests.

Setup: a tracker and --nodes honest nodes (default 2). Each round measures,
first without silent peers and then with them:

  relay     --blocks blocks (default 20), each made on the next node in
            turn (`generate 1`); latency = `getblock` "received" at each
            other node - at the origin (tests/integration/pxrelay.py).
  catch-up  one node cut off from the others (rpc partition), three blocks
            made meanwhile, the cut healed: seconds until it is on the tip
            (the fetch over requests that silent peers once held up).
  start     a mining node started then: seconds from its start until it
            reports a hashrate (it first catches up with its peers; it
            gives up waiting at 30 s).

The silent peers are `pickaxe-adversary --attacks silent-sybils --sybils N`
(registrations whose endpoints take connections and never answer); the
adversary is stopped between rounds, so each round starts without them.

Usage: sybil_bench.py [--sybils N] [--blocks B] [--rounds R] [--nodes K]
                      [--json FILE]
Prints one line per phase and a Markdown table (benchmarks.md).
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from pxnet import BUILD, Net, wait_until  # noqa: E402
from pxrelay import catch_up_after_cut, relay_latencies  # noqa: E402
from net_bench import machine, pct  # noqa: E402

ADVERSARY = os.path.join(BUILD, "pickaxe-adversary")


def phase(net, tracker, nodes, blocks, name):
    lat = relay_latencies(nodes, blocks)
    r = {"p50_ms": statistics.median(lat), "p99_ms": pct(lat, 99), "max_ms": max(lat),
         "catch_up_s": catch_up_after_cut(nodes[0], nodes[-1])}
    t0 = time.monotonic()
    miner = net.node(name, "regtest", tracker, mine=True)
    wait_until("the new miner to mine", lambda: miner.status()["hashrate"] > 0, 60, 0.1)
    r["start_s"] = time.monotonic() - t0
    miner.proc.stop()
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sybils", type=int, default=50)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "sybils": args.sybils, "rounds": []}
    print("silent-peer benchmark on %s, %s" % (results["machine"], results["date"]), flush=True)
    with Net(prefix="pickaxe-bench-") as net:
        tracker = net.tracker("regtest")
        nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(args.nodes)]
        k = args.nodes - 1
        wait_until("a full mesh", lambda: all(n.status()["peers"] == k for n in nodes), 60)
        h = nodes[0].generate(1)[0]
        wait_until("warm-up block", lambda: all(n.tip() == h for n in nodes), 30)
        for r in range(args.rounds):
            without = phase(net, tracker, nodes, args.blocks, "s%d" % (2 * r))
            adv = net._spawn("adversary%d" % r, [
                ADVERSARY, "--network", "regtest", "--tracker", tracker.endpoint,
                "--attacks", "silent-sybils", "--sybils", str(args.sybils), "--rate", "10"])
            want = k + 1 + args.sybils  # the others, the adversary, its sybils
            wait_until("every node to know the silent peers",
                       lambda: all(n.status()["peers"] >= want for n in nodes), 90, 0.5)
            with_them = phase(net, tracker, nodes, args.blocks, "s%d" % (2 * r + 1))
            adv.stop()
            wait_until("the silent peers and the miners gone",
                       lambda: all(n.status()["peers"] == k for n in nodes), 90, 0.5)
            results["rounds"].append({"without": without, "with": with_them})
            for name, p in (("0 silent", without), ("%d silent" % args.sybils, with_them)):
                print("round %d, %s peers: relay p50 %.2f ms p99 %.2f ms max %.2f ms; "
                      "catch-up %.2f s; a new miner mines after %.1f s" % (
                          r + 1, name, p["p50_ms"], p["p99_ms"], p["max_ms"], p["catch_up_s"],
                          p["start_s"]), flush=True)
    rows = results["rounds"]
    print("\n| figure | 0 silent peers (each round) | %d silent peers (each round) |" % args.sybils)
    print("|---|---|---|")
    for key, label in (("p50_ms", "relay p50 (ms)"), ("p99_ms", "relay p99 (ms)"),
                       ("max_ms", "relay max (ms)"), ("catch_up_s", "catch-up after a cut (s)"),
                       ("start_s", "a new miner mines after (s)")):
        print("| %s | %s | %s |" % (label, " ".join("%.2f" % x["without"][key] for x in rows),
                                    " ".join("%.2f" % x["with"][key] for x in rows)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
