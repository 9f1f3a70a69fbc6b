#!/usr/bin/env python3
"""Adversary benchmark: what pickaxe-adversary at full rate costs honest
miners. Real processes on 127.0.0.1, demo network (real proof of work,
retargeting), driven through pickaxe-cli like the integration tests.

Setup: a tracker; node A mining with one thread (the pool pins it to a
core); node B following and relaying, not mining (a second honest node that
also receives every attack). After a warm-up that lets the difficulty climb
from the easiest target, the run alternates phases of --phase seconds:
without the adversary, then with `pickaxe-adversary --rate 0 --attacks all`
(flat out), repeated --rounds times. In each phase:

  hashrate    node A's own hashrate (status "hashrate"), sampled every
              second, averaged;
  blocks      honest blocks added to node A's best chain during the phase,
              per minute (Poisson-noisy over short phases: a 5-second
              target gives about 12 blocks a minute); the adversary's own
              valid blocks (its funding block, orphan-storm's branches:
              they pay its address) do not count.

The ratio is (with adversary) / (without). On a machine with few cores the
adversary is pinned (taskset) to the core the miner does not use, so the
figure measures what handling the attacks costs the honest nodes, not the
attacker's own CPU; pass --no-pin to share cores.

On regtest (--network regtest: trivial, fixed difficulty) the miner finds
blocks as fast as its node can make and take them, dozens a second, so the
block rate there measures how much the attacks slow the node itself, with
little counting noise; on demo, blocks come every few seconds and the
hashrate is the precise figure.

Usage: adversary_bench.py [--network demo|regtest] [--phase S] [--rounds N]
                          [--warmup S] [--no-pin] [--json FILE]
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from pxnet import BUILD, Net, wait_until  # noqa: E402

ADVERSARY = os.path.join(BUILD, "pickaxe-adversary")


def phase(miner, seconds, adversary_address=None):
    """Samples the miner for `seconds`; returns its mean hashrate and the
    blocks its chain gained, leaving out those paying adversary_address."""
    start = miner.status()
    h0, t0 = start["height"], time.monotonic()
    rates = []
    while time.monotonic() - t0 < seconds:
        time.sleep(1)
        rates.append(miner.status()["hashrate"])
    end = miner.status()
    elapsed = time.monotonic() - t0
    blocks = miner.getchain(h0 + 1) if end["height"] > h0 else []
    blocks = [b for b in blocks if b["data"][0]["to"] != adversary_address]
    return {
        "seconds": elapsed,
        "hashrate": statistics.mean(rates) if rates else 0.0,
        "blocks": len(blocks),
        "blocks_per_min": 60.0 * len(blocks) / elapsed,
        "refused": sum(end["refused"]["blocks"].values()) - sum(start["refused"]["blocks"].values()),
        "difficulty": end.get("difficulty", 0.0),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", type=float, default=60)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warmup", type=float, default=90)
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--network", default="demo", choices=("demo", "regtest"))
    ap.add_argument("--json")
    args = ap.parse_args()

    cores = os.cpu_count() or 1
    pin = not args.no_pin and shutil.which("taskset") and cores >= 2
    results = {"with": [], "without": []}
    with Net(prefix="pickaxe-advbench-") as net:
        tracker = net.tracker(args.network)
        miner = net.node("miner", args.network, tracker, mine=True, threads=1)
        net.node("relay", args.network, tracker)
        time.sleep(args.warmup)
        print("warm-up done: height %d, difficulty %.0f" % (miner.height(), miner.status()["difficulty"]))
        for r in range(args.rounds):
            results["without"].append(phase(miner, args.phase))
            print("round %d without: %s" % (r + 1, json.dumps(results["without"][-1])))
            argv = [ADVERSARY, "--network", args.network, "--tracker", tracker.endpoint, "--rate", "0",
                    "--attacks", "all", "--log-level", "warn",
                    "--stats", os.path.join(net.dir, "adversary%d.json" % r)]
            if pin:
                argv = ["taskset", "-c", str(cores - 1)] + argv
            adv = net._spawn("adversary%d" % r, argv)
            wait_until("the adversary to publish its stats",
                       lambda: os.path.exists(os.path.join(net.dir, "adversary%d.json" % r)), 20)
            with open(os.path.join(net.dir, "adversary%d.json" % r)) as f:
                address = json.load(f)["address"]
            results["with"].append(phase(miner, args.phase, address))
            adv.stop()
            with open(os.path.join(net.dir, "adversary%d.json" % r)) as f:
                st = json.load(f)
            results["with"][-1]["attacks"] = sum(k["sent"] for k in st["kinds"].values())
            results["with"][-1]["identities"] = st["identities"]
            print("round %d with:    %s" % (r + 1, json.dumps(results["with"][-1])))

    def total(key, side):
        return sum(p[key] * p["seconds"] for p in results[side]) / sum(p["seconds"] for p in results[side])

    hr = total("hashrate", "with") / total("hashrate", "without")
    without_blocks = sum(p["blocks"] for p in results["without"])
    with_blocks = sum(p["blocks"] for p in results["with"])
    br = (with_blocks / sum(p["seconds"] for p in results["with"])) / \
        max(1e-9, without_blocks / sum(p["seconds"] for p in results["without"]))
    attacks = sum(p["attacks"] for p in results["with"])
    secs = sum(p["seconds"] for p in results["with"])
    print()
    print("%s network; machine: %s, %d cores; adversary %s" % (
        args.network, platform.processor() or platform.machine(), cores,
                                                   "pinned to core %d" % (cores - 1) if pin else "not pinned"))
    print("| | without adversary | with adversary (flat out) | ratio |")
    print("|---|---|---|---|")
    print("| miner hashrate (MH/s) | %.2f | %.2f | %.3f |" % (
        total("hashrate", "without") / 1e6, total("hashrate", "with") / 1e6, hr))
    print("| honest blocks (per min) | %.1f (%d) | %.1f (%d) | %.2f |" % (
        60 * without_blocks / sum(p["seconds"] for p in results["without"]), without_blocks,
        60 * with_blocks / secs, with_blocks, br))
    print("| attacks sent (per s) | - | %.1f | |" % (attacks / secs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"network": args.network, "results": results, "hashrate_ratio": hr,
                       "block_rate_ratio": br}, f, indent=1)


if __name__ == "__main__":
    main()
