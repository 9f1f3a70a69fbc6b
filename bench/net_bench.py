#!/usr/bin/env python3
"""Network benchmarks: real pickaxe-tracker and pickaxe-node processes on
127.0.0.1 (regtest, no mining), driven through pickaxe-cli like the
integration tests (tests/integration/pxnet.py).

  propagation  block propagation latency to every node, with 8 and 16 nodes:
               one node makes a block (`generate 1`); each node's `getblock`
               says when it accepted it ("received", wall-clock microseconds,
               one clock for all on one machine); latency = received at the
               node - received at the origin. Reports p50 and p99 over every
               (block, node) pair and over each block's slowest node.
  tps          transfers per second accepted into every mempool: S funded
               senders sign S x 100 transfers offline (createtx --nonce);
               `submit -` hands them to one node (or to the tracker with
               --tps-via tracker; or from several clients at once with
               --tps-clients N, each taking whole senders so nonces stay in
               order), and the clock stops when every node's mempool holds
               them all.
  sync         a late joiner's sync speed: one node makes B blocks (regtest:
               a coinbase each), a new node joins, blocks per second from
               its process start to the tip.

Usage: net_bench.py [--quick] [--only propagation|tps|sync] [--sync-blocks N]
                    [--json FILE]
Prints a Markdown table (pasted into benchmarks.md, "## Network").
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from pxnet import CLI, Net, wait_until  # noqa: E402


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def start_network(net, count):
    tracker = net.tracker("regtest")
    nodes = [net.node("n%02d" % i, "regtest", tracker) for i in range(count)]
    wait_until("a full mesh of %d nodes" % count,
               lambda: all(n.status()["peers"] == count - 1 for n in nodes), 60, interval=0.2)
    # The SUB sockets connect in the background: wait until every node is
    # subscribed to every other before timing anything.
    wait_until("every gossip connection up",
               lambda: all(all(p["connected"] for p in n.cli("peers")) for n in nodes), 60,
               interval=0.2)
    return tracker, nodes


def bench_propagation(count, blocks):
    with Net(prefix="pickaxe-bench-") as net:
        _, nodes = start_network(net, count)
        # A first block so every node has seen gossip before we time any.
        h = nodes[0].generate(1)[0]
        wait_until("warm-up block", lambda: all(n.tip() == h for n in nodes), 30)
        per_node, per_block = [], []
        for i in range(blocks):
            origin = nodes[i % count]
            h = origin.generate(1)[0]
            seen = {}

            def everyone_has_it():
                for n in nodes:
                    if n.name not in seen:
                        try:
                            seen[n.name] = n.cli("getblock", h)["received"]
                        except Exception:
                            pass
                return len(seen) == count

            wait_until("block %d at every node" % i, everyone_has_it, 30, interval=0.01)
            t0 = seen[origin.name]
            lat = [(us - t0) / 1000.0 for name, us in seen.items() if name != origin.name]
            per_node += lat
            per_block.append(max(lat))
        return {
            "nodes": count, "blocks": blocks,
            "p50_ms": statistics.median(per_node), "p99_ms": pct(per_node, 99),
            "all_p50_ms": statistics.median(per_block), "all_p99_ms": pct(per_block, 99),
            "max_ms": max(per_node),
        }


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (/proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_tps(count, senders, per_sender, via="node", clients=1):
    with Net(prefix="pickaxe-bench-") as net:
        tracker, nodes = start_network(net, count)
        keys = [net.keystore("s%02d" % i) for i in range(senders)]
        _, sink = net.keystore("sink")
        for _, addr in keys:
            nodes[0].generate(1, to=addr)
        tip = nodes[0].tip()
        wait_until("funding blocks everywhere", lambda: all(n.tip() == tip for n in nodes), 30)
        # One list per sender, in nonce order; `clients` pickaxe-cli
        # processes submit concurrently, each taking whole senders, so no
        # sender's transfers arrive out of order and no single client's
        # round trips set the pace.
        per_key = [[] for _ in keys]
        for nonce in range(per_sender):
            for i, (path, _) in enumerate(keys):
                r = net.cli_raw(["--network", "regtest", "createtx", "--keystore", path,
                                 "--to", sink, "--amount", "0.00001", "--nonce", str(nonce)])
                per_key[i].append(r["hex"])
        total = sum(len(v) for v in per_key)
        route = ["--tracker", tracker.endpoint] if via == "tracker" else []
        batches = [[] for _ in range(clients)]
        for i, txs in enumerate(per_key):
            batches[i % clients].extend(txs)
        cpu0 = [cpu_seconds(n.proc.popen.pid) for n in nodes]
        t0 = time.monotonic()
        procs = [subprocess.Popen([CLI, "--network", "regtest", "--node",
                                   nodes[i % count].endpoint, "submit", "-"] + route,
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for i in range(clients)]
        errors = [p.communicate("\n".join(b) + "\n", timeout=300)[1]
                  for p, b in zip(procs, batches)]
        t_submitted = time.monotonic()
        for p, err in zip(procs, errors):
            if p.returncode != 0:
                raise RuntimeError("submit failed: " + err[-500:])
        counts = {}

        def all_full():
            for n in nodes:
                counts[n.name] = n.status()["mempool"]
            return all(c == total for c in counts.values())

        try:
            wait_until("%d transfers in every mempool" % total, all_full, 120, interval=0.05)
            complete = True
        except AssertionError:
            complete = False
        t1 = time.monotonic()
        cpu = sum(cpu_seconds(n.proc.popen.pid) for n in nodes) - sum(cpu0)
        relay = [n.status().get("tx_relay", {}) for n in nodes]
        return {
            # CPU every node process used from the first submission until
            # every mempool was full, per transfer and per node (the
            # status polls above are included: about 20 a second).
            "node_cpu_us_per_tx": 1e6 * cpu / (total * count),
            "tx_frames": sum(r.get("frames", 0) for r in relay),
            "known_dropped": sum(r.get("known_dropped", 0) for r in relay),
            "nodes": count, "transfers": total, "complete": complete, "via": via, "clients": clients,
            "min_mempool": min(counts.values()),
            "submit_tps": total / (t_submitted - t0),
            "all_mempools_tps": total / (t1 - t0),
            "seconds": t1 - t0,
        }


def bench_sync(blocks):
    with Net(prefix="pickaxe-bench-") as net:
        tracker = net.tracker("regtest")
        a = net.node("source", "regtest", tracker)
        t0 = time.monotonic()
        a.generate(blocks)
        gen_s = time.monotonic() - t0
        tip = a.tip()
        late = net.node("late", "regtest", tracker, start=False)
        t0 = time.monotonic()
        late.start(wait=False)
        wait_until("the late node at height %d" % blocks,
                   lambda: late.status(timeout_ms=2000)["tip"] == tip, 600, interval=0.05)
        took = time.monotonic() - t0
        return {"blocks": blocks, "seconds": took, "blocks_per_s": blocks / took,
                "generate_blocks_per_s": blocks / gen_s}


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, Linux %s" % (cpu, os.cpu_count() or 0, platform.release())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer blocks and transfers")
    ap.add_argument("--only", choices=["propagation", "tps", "sync"])
    ap.add_argument("--sync-blocks", type=int, help="blocks for the sync figure "
                    "(default 5000; --quick 1000)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--tps-via", choices=["node", "tracker"], default="node",
                    help="where transfers are submitted (default: the first node)")
    ap.add_argument("--tps-senders", type=int,
                    help="funded senders, 100 transfers each (default 20; --quick 10)")
    ap.add_argument("--tps-clients", type=int, default=1,
                    help="concurrent submitting clients, each taking whole "
                         "senders, spread over the nodes (default 1)")
    args = ap.parse_args()
    q = args.quick
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print("network benchmarks on %s, %s" % (results["machine"], results["date"]), flush=True)
    if args.only in (None, "propagation"):
        results["propagation"] = []
        for count in (8, 16):
            r = bench_propagation(count, 10 if q else 40)
            results["propagation"].append(r)
            print("propagation, %(nodes)d nodes, %(blocks)d blocks: per node p50 %(p50_ms).2f ms "
                  "p99 %(p99_ms).2f ms; to all nodes p50 %(all_p50_ms).2f ms p99 %(all_p99_ms).2f ms"
                  % r, flush=True)
    if args.only in (None, "tps"):
        r = bench_tps(8, args.tps_senders or (10 if q else 20), 20 if q else 100,
                      via=args.tps_via, clients=args.tps_clients)
        results["tps"] = r
        print("tps, %(nodes)d nodes, %(transfers)d transfers: submit %(submit_tps).0f/s, in every "
              "mempool %(all_mempools_tps).0f/s (complete: %(complete)s); node CPU "
              "%(node_cpu_us_per_tx).0f us per transfer per node; %(tx_frames)d NEW_TXS frames, "
              "%(known_dropped)d known transfers dropped by txid" % r, flush=True)
    if args.only in (None, "sync"):
        r = bench_sync(args.sync_blocks or (1000 if q else 5000))
        results["sync"] = r
        print("sync, %(blocks)d blocks: %(seconds).1f s, %(blocks_per_s).0f blocks/s "
              "(generate: %(generate_blocks_per_s).0f blocks/s)" % r, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
