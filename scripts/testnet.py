#!/usr/bin/env python3
"""make testnet: a wide-area pickaxe network on this machine, in one command.

Makes N + 1 Linux network namespaces (one for the tracker, one per node),
links them through pickaxe-netem (bench/netem_main.c: a userspace switch of
TUN devices that delays each packet DELAY +- JITTER ms and loses LOSS % of
them; this machine's kernel has no tc netem), starts a tracker and N nodes
in them, lets MINERS of the nodes make blocks for DURATION seconds, and
prints:

  - block propagation: for each block, the time until 50 %, 95 % and 100 %
    of the nodes had accepted it (each node's event log says when, on one
    clock: they share this machine), counted from its acceptance at the
    node that made it; p50, p99 and max over the blocks;
  - the stale-block rate: blocks made that are not on the final best chain;
  - connections per node (established TCP sockets in its namespace), its
    CPU (share of one core over the run) and memory (resident set);
  - convergence: whether every node ended on the same tip and holds every
    best-chain block (the exit status is 1 when not).

How blocks are made (--mine):
  sim   (default) regtest; the driver has a random miner `generate` one
        block at exponentially distributed intervals of mean BLOCK_TIME
        (default 5 s, the demo network's spacing): what MINERS equal miners
        at that block time produce, without burning the cores on hashing.
  real  the demo network; the miners hash with one thread each, and the
        first WARMUP blocks (while the difficulty climbs from the easy
        genesis target) are left out of the figures.

Addresses (10.77.0.0/16) exist only inside the namespaces made here. Ctrl-C,
SIGTERM or any failure tears everything down: every process, the devices
(they go with pickaxe-netem) and the namespaces; the last line says what
was left (nothing, or what could not be removed).

Usage: testnet.py [--nodes N] [--miners M] [--delay MS] [--jitter MS]
                  [--loss PCT] [--duration S] [--block-time S] [--mine sim|real]
                  [--warmup BLOCKS] [--json FILE] [--keep-logs DIR]
Root only. Exit status 0: converged; 1: did not; 2: cannot run here (no
namespaces or TUN: the message says why).
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
NODE = os.path.join(BUILD, "pickaxe-node")
TRACKER = os.path.join(BUILD, "pickaxe-tracker")
CLI = os.path.join(BUILD, "pickaxe-cli")
NETEM = os.path.join(BUILD, "pickaxe-netem")

NET_BASE = (10 << 24) | (77 << 16)  # 10.77.0.0, pickaxe-netem's default
TRACKER_PORT = 18320
NODE_PORT = 18330


class CannotRun(Exception):
    """The machine lacks what the testnet needs (exit status 2)."""


def addr(index):
    """The address pickaxe-netem gives the index-th namespace."""
    a = NET_BASE + 1 + index
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def pct(values, p):
    """The p-th percentile (nearest rank) of values."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(math.ceil(p / 100.0 * len(v))) - 1))
    return v[k]


def check_machine():
    """Raises CannotRun unless namespaces, TUN and the binaries are here."""
    if os.geteuid() != 0:
        raise CannotRun("needs root (network namespaces, TUN devices)")
    if not shutil.which("ip"):
        raise CannotRun("needs iproute2's ip")
    if not os.path.exists("/dev/net/tun"):
        raise CannotRun("no /dev/net/tun (TUN devices unavailable)")
    for b in (NODE, TRACKER, CLI, NETEM):
        if not os.access(b, os.X_OK):
            raise CannotRun("%s missing: run make first" % b)
    probe = "pxprobe%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        raise CannotRun("cannot make a network namespace: " + r.stderr.strip())
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)


class Testnet:
    """Everything one run made, and its teardown."""

    def __init__(self, args):
        self.args = args
        self.tag = "pxt%d" % os.getpid()
        self.names = ["%s-%d" % (self.tag, i) for i in range(args.nodes + 1)]
        self.dir = tempfile.mkdtemp(prefix="pickaxe-testnet-")
        self.made_ns = []
        self.netem = None
        self.procs = {}  # name -> Popen (tracker, n1..nN)
        self.logs = []
        self.network = "regtest" if args.mine == "sim" else "demo"

    # ---- setup -----------------------------------------------------------

    def make_namespaces(self):
        batch = "".join("netns add %s\n" % n for n in self.names)
        r = subprocess.run(["ip", "-batch", "-"], input=batch, capture_output=True, text=True)
        self.made_ns = [n for n in self.names if os.path.exists("/run/netns/" + n)]
        if r.returncode != 0:
            raise RuntimeError("ip netns add: " + r.stderr.strip())

    def start_netem(self):
        a = self.args
        argv = [NETEM, "--delay", str(a.delay), "--jitter", str(a.jitter), "--loss",
                str(a.loss), "--seed", str(a.seed)] + self.names
        self.netem = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      stdin=subprocess.DEVNULL, text=True,
                                      start_new_session=True)
        line = self.netem.stdout.readline().strip()
        if line != "ready":
            err = self.netem.stderr.read() if self.netem.poll() is not None else ""
            raise CannotRun("pickaxe-netem did not start: %s %s" % (line, err.strip()))

    def spawn(self, name, index, argv):
        log_path = os.path.join(self.dir, name + ".log")
        log = open(log_path, "ab")
        self.logs.append(log)
        p = subprocess.Popen(["ip", "netns", "exec", self.names[index]] + argv, stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs[name] = p
        return p

    def start_processes(self):
        a = self.args
        self.spawn("tracker", 0, [TRACKER, "--network", self.network, "--listen",
                                  "%s:%d" % (addr(0), TRACKER_PORT)])
        time.sleep(0.3)
        tracker = "tcp://%s:%d" % (addr(0), TRACKER_PORT)
        for i in range(1, a.nodes + 1):
            argv = [NODE, "--network", self.network, "--listen",
                    "%s:%d" % (addr(i), NODE_PORT), "--tracker", tracker, "--data-dir",
                    os.path.join(self.dir, "n%d" % i), "--status-interval", "30"]
            if a.mine == "real" and i <= a.miners:
                argv += ["--threads", "1"]
            else:
                argv += ["--no-mine"]
            self.spawn("n%d" % i, i, argv)

    # ---- talking to nodes -------------------------------------------------

    def cli(self, i, *args, timeout_ms=10000):
        argv = ["ip", "netns", "exec", self.names[i], CLI, "--network", self.network,
                "--node", "tcp://%s:%d" % (addr(i), NODE_PORT), "--timeout",
                str(timeout_ms), "--json"] + list(args)
        r = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout_ms / 1000.0 * 3 + 5)
        if r.returncode != 0:
            raise RuntimeError("node %d: %s: %s" % (i, " ".join(args), r.stderr.strip()))
        return json.loads(r.stdout)

    def each_node(self, fn):
        """fn(i) for every node, a few at a time; exceptions become None."""
        def safe(i):
            try:
                return fn(i)
            except Exception:
                return None
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
            return list(ex.map(safe, range(1, self.args.nodes + 1)))

    def pid(self, name):
        return self.procs[name].pid  # ip netns exec execs: the same process

    # ---- teardown ----------------------------------------------------------

    def close(self):
        """Stops everything started and removes every namespace made;
        returns what could not be removed (empty when all is gone)."""
        procs = list(self.procs.values())
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for log in self.logs:
            log.close()
        if self.netem and self.netem.poll() is None:
            self.netem.send_signal(signal.SIGTERM)
            try:
                out, _ = self.netem.communicate(timeout=10)
                self.netem_counts = json.loads(out.strip().splitlines()[-1])
            except (subprocess.TimeoutExpired, ValueError, IndexError):
                self.netem.kill()
                self.netem.wait()
        left = []
        for n in self.made_ns:
            # Anything still inside (only what this run started can be).
            r = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            r = subprocess.run(["ip", "netns", "del", n], capture_output=True, text=True)
            if r.returncode != 0:
                left.append("namespace %s (%s)" % (n, r.stderr.strip()))
        self.made_ns = []
        if not self.args.keep_logs:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            os.makedirs(self.args.keep_logs, exist_ok=True)
            for f in os.listdir(self.dir):
                if f.endswith(".log"):
                    shutil.copy(os.path.join(self.dir, f), self.args.keep_logs)
            shutil.rmtree(self.dir, ignore_errors=True)
        left += [n for n in os.listdir("/run/netns") if n.startswith(self.tag + "-")] \
            if os.path.isdir("/run/netns") else []
        return left


# ---- measuring --------------------------------------------------------------


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def established(pid):
    """Established TCP connections in pid's network namespace."""
    count = 0
    for fam in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, fam)) as f:
                next(f)
                count += sum(1 for line in f if line.split()[3] == "01")
        except OSError:
            pass
    return count


def wait_for(what, predicate, timeout, interval=1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(interval)


def node_events(tn, i):
    """Node i's block-accepted events: {hash: (time_ms, mined_here,
    height)}."""
    out, since = {}, 0
    for _ in range(100):  # at most 100,000 events
        r = tn.cli(i, "events", str(since), "--limit", "1000")
        evs = r.get("events", [])
        for e in evs:
            if e.get("kind") == "block-accepted":
                out[e["hash"]] = (e["time_ms"], bool(e.get("mined")), e["height"])
        if not evs:
            break
        since = evs[-1]["seq"]
    return out


def best_chain(tn, i, height):
    """The best chain's block hashes at node i, heights 1..height."""
    hashes, h = set(), 1
    while h <= height:
        to = min(height, h + 499)
        r = tn.cli(i, "tree", "--from", str(h), "--limit", str(to - h + 1))
        hashes.update(b["hash"] for b in r["blocks"] if b.get("best"))
        h = to + 1
    return hashes


def make_blocks(tn, stop_at, log):
    """--mine sim: a random miner generates a block at exponential
    intervals of mean block_time; returns how many it made."""
    a = tn.args
    rng = random.Random(a.seed)
    made = 0
    next_at = time.monotonic() + rng.expovariate(1.0 / a.block_time)
    while True:
        now = time.monotonic()
        if next_at >= stop_at:
            time.sleep(max(0, stop_at - now))
            return made
        if next_at > now:
            time.sleep(next_at - now)
        miner = rng.randint(1, a.miners)
        try:
            tn.cli(miner, "generate", "1")
            made += 1
        except Exception as e:  # a busy node: the block is simply not made
            log("generate at n%d failed: %s" % (miner, e))
        next_at += rng.expovariate(1.0 / a.block_time)


def measure(tn, t_start, log):
    a = tn.args
    n = a.nodes
    tips = tn.each_node(lambda i: tn.cli(i, "status"))
    heights = [t["height"] for t in tips if t]
    top = max(heights) if heights else 0
    evs = tn.each_node(lambda i: node_events(tn, i))
    best = best_chain(tn, 1, top)
    ref = tips[0]["tip"] if tips[0] else None
    converged = all(t and t["tip"] == ref for t in tips)
    first_height = a.warmup + 1 if a.mine == "real" else 1

    # Every block any node accepted, with when each node did; the blocks
    # counted are those made past the warm-up.
    seen = {}
    counted = set()
    for e in evs:
        for h, (t_ms, here, height) in (e or {}).items():
            seen.setdefault(h, []).append(t_ms)
            if here and height >= first_height:
                counted.add(h)
    t50, t95, t100 = [], [], []
    for h in counted:
        times = sorted(seen[h])
        origin = times[0]
        lat = [t - origin for t in times]
        if len(lat) >= math.ceil(0.5 * n):
            t50.append(lat[math.ceil(0.5 * n) - 1])
        if len(lat) >= math.ceil(0.95 * n):
            t95.append(lat[math.ceil(0.95 * n) - 1])
        if len(lat) == n:
            t100.append(lat[-1])
    stale = [h for h in counted if h not in best]
    best_everywhere = all(e is not None and all(h in e for h in best) for e in evs)
    elapsed = time.monotonic() - t_start

    def summary(v):
        return {"blocks": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99),
                "max_ms": max(v)} if v else {"blocks": 0}

    pids = [tn.pid("n%d" % i) for i in range(1, n + 1)]
    conns = [established(p) for p in pids]
    cpu = [proc_cpu_seconds(p) / elapsed * 100 for p in pids]
    rss = [proc_rss_mib(p) for p in pids]
    return {
        "nodes": n, "miners": a.miners, "mine": a.mine, "delay_ms": a.delay,
        "jitter_ms": a.jitter, "loss_pct": a.loss, "duration_s": a.duration,
        "block_time_s": a.block_time, "height": top, "converged": converged,
        "best_chain_everywhere": best_everywhere,
        "blocks_made": len(counted), "stale": len(stale),
        "stale_rate": len(stale) / len(counted) if counted else 0.0,
        "to_50pct": summary(t50), "to_95pct": summary(t95), "to_100pct": summary(t100),
        "connections": {"min": min(conns), "median": pct(conns, 50), "max": max(conns)},
        "cpu_pct": {"median": pct(cpu, 50), "max": max(cpu)},
        "rss_mib": {"median": pct(rss, 50), "max": max(rss)},
        "tracker_cpu_pct": proc_cpu_seconds(tn.pid("tracker")) / elapsed * 100,
        "netem_cpu_pct": proc_cpu_seconds(tn.netem.pid) / elapsed * 100,
        "load_average": open("/proc/loadavg").read().split()[:3],
    }


def report(m):
    def line(label, s):
        if not s.get("blocks"):
            return "  %-22s no block reached that many nodes" % label
        return "  %-22s p50 %6.0f ms   p99 %6.0f ms   max %6.0f ms   (%d blocks)" % (
            label, s["p50_ms"], s["p99_ms"], s["max_ms"], s["blocks"])
    print("== testnet: %d nodes, %d miners (%s), links %g +- %g ms, %g %% loss, %d s" % (
        m["nodes"], m["miners"], m["mine"], m["delay_ms"], m["jitter_ms"], m["loss_pct"],
        m["duration_s"]))
    print("block propagation (from the block's maker):")
    print(line("to 50 % of nodes", m["to_50pct"]))
    print(line("to 95 % of nodes", m["to_95pct"]))
    print(line("to 100 % of nodes", m["to_100pct"]))
    print("stale blocks: %d of %d (%.1f %%); height %d" % (
        m["stale"], m["blocks_made"], 100 * m["stale_rate"], m["height"]))
    c, u, r = m["connections"], m["cpu_pct"], m["rss_mib"]
    print("per node: connections %d / %d / %d (min / median / max), CPU %.1f %% median "
          "%.1f %% max of a core, memory %.1f MiB median %.1f MiB max" % (
              c["min"], c["median"], c["max"], u["median"], u["max"], r["median"], r["max"]))
    print("tracker CPU %.1f %%, link emulator CPU %.1f %%; load average %s" % (
        m["tracker_cpu_pct"], m["netem_cpu_pct"], " ".join(m["load_average"])))
    if "netem" in m:
        print("link emulator: %s" % json.dumps(m["netem"]))
    print("converged: %s (same tip everywhere: %s; every best-chain block at every "
          "node: %s)" % ("yes" if m["converged"] and m["best_chain_everywhere"] else "NO",
                         m["converged"], m["best_chain_everywhere"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=16)
    ap.add_argument("--miners", type=int, default=4)
    ap.add_argument("--delay", type=float, default=50)
    ap.add_argument("--jitter", type=float, default=20)
    ap.add_argument("--loss", type=float, default=0.5)
    ap.add_argument("--duration", type=int, default=120, help="seconds of block making")
    ap.add_argument("--block-time", type=float, default=5.0)
    ap.add_argument("--mine", choices=("sim", "real"), default="sim")
    ap.add_argument("--warmup", type=int, default=96,
                    help="--mine real: blocks left out while the difficulty climbs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--join-timeout", type=int, default=0,
                    help="seconds for the mesh to form (default 60 + N / 2)")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--keep-logs", help="copy every process's log here")
    a = ap.parse_args()
    if not 2 <= a.nodes <= 1000 or not 1 <= a.miners <= a.nodes:
        ap.error("--nodes 2..1000, --miners 1..nodes")

    def log(msg):
        print("testnet: " + msg, file=sys.stderr, flush=True)

    try:
        check_machine()
    except CannotRun as e:
        log("cannot run here: %s" % e)
        return 2

    # Ctrl-C and SIGTERM unwind through the finally below.
    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    tn = Testnet(a)
    status = 1
    try:
        log("making %d namespaces, links %g +- %g ms, %g %% loss" % (
            a.nodes + 1, a.delay, a.jitter, a.loss))
        tn.make_namespaces()
        tn.start_netem()
        t0 = time.monotonic()
        tn.start_processes()
        join_timeout = a.join_timeout or 60 + a.nodes // 2
        log("started a tracker and %d nodes; waiting for the mesh" % a.nodes)
        wait_for("every node to know every other",
                 lambda: all(s and s["peers"] >= a.nodes - 1
                             for s in tn.each_node(lambda i: tn.cli(i, "status"))),
                 join_timeout, interval=2)
        log("mesh formed in %.1f s" % (time.monotonic() - t0))
        t_start = time.monotonic()
        if a.mine == "sim":
            made = make_blocks(tn, t_start + a.duration, log)
            log("made %d blocks in %d s" % (made, a.duration))
        else:
            wait_for("the warm-up's %d blocks" % a.warmup,
                     lambda: (tn.cli(1, "status")["height"] >= a.warmup), 600, interval=2)
            t_start = time.monotonic()
            time.sleep(a.duration)
            for i in range(1, a.miners + 1):  # the miners stop hashing
                os.killpg(tn.procs["n%d" % i].pid, signal.SIGSTOP)
            time.sleep(3)  # their last blocks still travel
            for i in range(1, a.miners + 1):
                os.killpg(tn.procs["n%d" % i].pid, signal.SIGCONT)
        log("waiting for every node to reach the same tip")
        try:
            wait_for("one tip everywhere",
                     lambda: len({s["tip"] if s else None
                                  for s in tn.each_node(lambda i: tn.cli(i, "status"))}) == 1,
                     60 + a.nodes // 4, interval=2)
        except TimeoutError as e:
            log(str(e))
        m = measure(tn, t_start, log)
        status = 0 if m["converged"] and m["best_chain_everywhere"] else 1
    except KeyboardInterrupt:
        log("interrupted")
        m = None
        status = 130
    except (TimeoutError, RuntimeError, CannotRun) as e:
        log(str(e))
        m = None
        status = 2 if isinstance(e, CannotRun) else 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = tn.close()
    if m:
        m["netem"] = getattr(tn, "netem_counts", None)
        report(m)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(m, f, indent=1)
    print("teardown: %s" % ("nothing left behind" if not left else "LEFT: " + ", ".join(left)))
    return status if not left else 1


if __name__ == "__main__":
    sys.exit(main())
