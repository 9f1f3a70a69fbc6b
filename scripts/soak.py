#!/usr/bin/env python3
"""make soak: a demo network under attack, flat out, for a long time.

Starts (tests/integration/pxnet.py: free ports on 127.0.0.1, one temporary
directory) a tracker, --nodes mining nodes on the demo network (real proof
of work, retargeting; each node mines to an address of its own) and
pickaxe-adversary with --rate 0 --attacks all, and lets them run for
--minutes. Meanwhile:

  status      every node's `status` every --interval seconds on a
              persistent connection of its own (tests/integration/pxquery.py),
              timing the request's round trip alone: pickaxe-cli would add
              its own process start, several milliseconds, to figures that
              should be well under 100 ms. A status not answered within
              --poll-timeout counts as a failed poll; the poller keeps
              waiting for it, so a frozen node shows how long it stayed
              frozen. The `main_loop` object ({turn_age_ms, longest_turn_ms,
              where}) and the `busy` flag are read when the node reports
              them ("n/a" otherwise).
  memory      VmRSS and VmHWM of every node from /proc/PID/status every
              --mem-interval seconds: at start, after the warm-up (--warmup,
              default 10 % of the run, at least 30 s) and at the end, with
              the least-squares slope after the warm-up; beside it, what
              each node's allocator counts in use (status.memory, read from
              the last status answer), which tells the node's own data
              apart from what the allocator, the libraries and the thread
              stacks hold.
  attacks     the adversary's --stats file every second: what it sent, by
              kind, and the ids of every attack block and transaction (its
              file keeps the last 40 of each kind, so reading it every
              second collects them all at the rates it reaches).

At the end (after --minutes, or at the first Ctrl-C) the adversary is
stopped and every answering node is checked the way the integration test
adversary_every_attack_refused checks: `verifychain` passes on every node,
and no collected attack block or transaction id is in any node's best chain
or mempool. Blocks on the best chain are counted by the address their
coinbase pays: the nodes' addresses are honest blocks; any other block must
be one of the adversary's own valid blocks (its funding blocks and the
blocks of orphan-storm, the one kind whose blocks are valid: at most as
many as it sent), more is an invalid block accepted.

Prints a progress line every --progress seconds and a summary at the end,
and writes the whole report as JSON (scripts/soak_report.py; its path is
printed; default build/soak/soak-<UTC time>.json, node logs copied beside
it when something failed). Every process started is stopped on exit, Ctrl-C included.

Exit status: 0; 1 when an invalid block or transaction was accepted, a node
or the adversary died, or a status poll failed; 2 on bad arguments or
missing binaries.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # no __pycache__ left in scripts/ or tests/
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pxnet  # noqa: E402
import pxquery  # noqa: E402
from soak_report import (GOAL_STATUS_MS, build_report, clock, loadavg, percentile,  # noqa: E402
                         print_summary)
from pxnet import BUILD, Net, check_chain_linkage  # noqa: E402

ADVERSARY = os.path.join(BUILD, "pickaxe-adversary")
ADV_MAX_IDS = 40  # ids the adversary's --stats file keeps per kind (adversary_main.c)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def proc_memory(pid):
    """(VmRSS, VmHWM) in KiB of a live process, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


class Poller(threading.Thread):
    """Asks one node for its status every `interval` seconds and keeps what
    the answers say. One outstanding request at a time: the node's request
    thread answers one request after another under the node lock, so a
    second request would only queue behind the first."""

    def __init__(self, node, network_id, interval, poll_timeout, stop, t0):
        super().__init__(name="poll-" + node.name, daemon=True)
        self.node = node
        self.network_id = network_id
        self.interval = interval
        self.poll_timeout = poll_timeout
        self.stop_event = stop
        self.t0 = t0
        self.lock = threading.Lock()
        self.latencies_ms = []
        self.polls = 0
        self.failures = []     # {"at_s", "what"}
        self.stalls = []       # polls not answered within poll_timeout
        self.busy = 0
        self.last = None       # the last status answer
        self.main_loop_seen = False
        self.longest_turn_ms = 0
        self.longest_turn_where = None
        self.max_turn_age_ms = 0
        self.max_turn_age_where = None
        self.pending_since = None  # monotonic time of an unanswered poll

    def _fail(self, what):
        with self.lock:
            self.failures.append({"at_s": round(time.monotonic() - self.t0, 1), "what": what})

    def _note(self, st, ms):
        with self.lock:
            self.polls += 1
            self.latencies_ms.append(ms)
            self.last = st
            if st.get("busy") is True:
                self.busy += 1
            ml = st.get("main_loop")
            if isinstance(ml, dict):
                self.main_loop_seen = True
                age = ml.get("turn_age_ms") or 0
                longest = ml.get("longest_turn_ms") or 0
                if age > self.max_turn_age_ms:
                    self.max_turn_age_ms = age
                    self.max_turn_age_where = ml.get("where")
                if longest >= self.longest_turn_ms:
                    self.longest_turn_ms = longest
                    self.longest_turn_where = ml.get("where")

    def _wait_answer(self, client, sent_mono):
        """The answer to the poll just sent, waiting past poll_timeout (a
        stall is recorded) until it comes or the soak stops. Returns the
        status, or None when the soak stopped first."""
        stalled = False
        while True:
            try:
                return client.receive(timeout=1.0)
            except socket.timeout:
                waited = time.monotonic() - sent_mono
                if waited >= self.poll_timeout and not stalled:
                    stalled = True
                    self._fail("no status answer within %.0f s" % self.poll_timeout)
                    print("soak: %s has not answered status for %.0f s" % (self.node.name, waited),
                          flush=True)
                if self.stop_event.is_set():
                    if waited >= 1.0:  # not merely the poll the stop caught in flight
                        with self.lock:
                            self.stalls.append({"sent_at_s": round(sent_mono - self.t0, 1),
                                                "seconds": round(waited, 1), "answered": False})
                    return None

    def run(self):
        client = None
        next_poll = time.monotonic()
        while not self.stop_event.is_set():
            delay = next_poll - time.monotonic()
            if delay > 0 and self.stop_event.wait(delay):
                break
            next_poll = max(next_poll + self.interval, time.monotonic())
            try:
                if client is None:
                    client = pxquery.Client(self.node.port, self.network_id)
                sent_mono = time.monotonic()
                self.pending_since = sent_mono
                t = time.perf_counter()
                client.send("status")
                st = self._wait_answer(client, sent_mono)
                ms = (time.perf_counter() - t) * 1000.0
                self.pending_since = None
                if st is None:
                    break
                if ms >= self.poll_timeout * 1000.0:
                    with self.lock:
                        self.stalls.append({"sent_at_s": round(sent_mono - self.t0, 1),
                                            "seconds": round(ms / 1000.0, 1), "answered": True})
                    print("soak: %s answered status after %.1f s" % (self.node.name, ms / 1000.0),
                          flush=True)
                self._note(st, ms)
            except (OSError, pxquery.QueryError, ValueError) as e:
                self.pending_since = None
                self._fail("status: %s" % (e or type(e).__name__))
                if client:
                    client.close()
                client = None
        if client:
            client.close()

    def summary(self):
        with self.lock:
            lat = sorted(self.latencies_ms)
            out = {
                "polls": self.polls,
                "failed": len(self.failures),
                "failures": self.failures[:50],
                "stalls": self.stalls,
                "busy": self.busy,
                "max_ms": round(lat[-1], 3) if lat else None,
                "p50_ms": round(percentile(lat, 50), 3) if lat else None,
                "p99_ms": round(percentile(lat, 99), 3) if lat else None,
                "over_goal": sum(1 for v in lat if v >= GOAL_STATUS_MS),
                "main_loop": None,
            }
            if self.main_loop_seen:
                out["main_loop"] = {
                    "longest_turn_ms": max(self.longest_turn_ms, self.max_turn_age_ms),
                    "longest_turn_reported_ms": self.longest_turn_ms,
                    "max_turn_age_ms": self.max_turn_age_ms,
                    "where": (self.longest_turn_where
                              if self.longest_turn_ms >= self.max_turn_age_ms
                              else self.max_turn_age_where),
                }
            return out


class Soak:
    def __init__(self, args, net):
        self.args = args
        self.net = net
        self.stop = threading.Event()
        self.interrupted = False
        self.failures = []
        self.attack_ids = {}   # kind -> set of ids (kinds whose ids are not valid objects)
        self.items_read = {}   # kind -> items sent at the last read of the stats
        self.ids_missed = 0    # items sent between two reads beyond the ids kept
        self.adv_stats = None
        self.mem = {}          # name -> [(t, rss, hwm)]
        self.heap = {}         # node name -> [(t, in_use, free)] from status.memory
        self.deaths = {}

    # ---- setup ---------------------------------------------------------------

    def start(self):
        a = self.args
        net = self.net
        self.tracker = net.tracker("demo")
        self.nodes, self.addresses = [], {}
        for i in range(a.nodes):
            name = "node%d" % (i + 1)
            _, address = net.keystore(name, "demo")
            self.addresses[address] = name
            self.nodes.append(net.node(name, "demo", self.tracker, mine=True, threads=a.threads,
                                       extra=["--miner-address", address]))
        genesis = self.nodes[0].cli("getblock", "0")["hash"]
        self.network_id = pxquery.network_id_from_genesis(genesis)
        self.stats_path = os.path.join(net.dir, "adversary.json")
        self.adversary = net._spawn("adversary", [
            ADVERSARY, "--network", "demo", "--tracker", self.tracker.endpoint,
            "--rate", str(a.adversary_rate), "--attacks", "all", "--log-level", "warn",
            "--stats", self.stats_path])
        self.t0 = time.monotonic()
        self.pollers = [Poller(n, self.network_id, a.interval, a.poll_timeout, self.stop, self.t0)
                        for n in self.nodes]
        for p in self.pollers:
            p.start()

    # ---- sampling --------------------------------------------------------------

    def read_adversary(self):
        try:
            with open(self.stats_path) as f:
                st = json.load(f)
        except (OSError, ValueError):
            return  # not written yet, or being replaced
        self.adv_stats = st
        for kind, k in st.get("kinds", {}).items():
            # same_hash: the id of a valid object; valid (orphan-storm):
            # valid blocks, which may rightly end on the best chain.
            if not k.get("same_hash") and not k.get("valid"):
                self.attack_ids.setdefault(kind, set()).update(k.get("ids", []))
                # The file keeps the last ADV_MAX_IDS ids of a kind: more
                # items than that since the last read, and some went unseen.
                new = k["items"] - self.items_read.get(kind, 0)
                if k.get("ids"):
                    self.ids_missed += max(0, new - ADV_MAX_IDS)
            self.items_read[kind] = k["items"]

    def sample_memory(self):
        t = time.monotonic() - self.t0
        for p in self.net.procs:
            m = proc_memory(p.popen.pid) if p.alive() else None
            last = self.mem.get(p.name)
            if m and not (last and t - last[-1][0] < 1.0):  # the end's sample may follow one
                self.mem.setdefault(p.name, []).append((round(t, 1), m[0], m[1]))
        # What each node holds, as its allocator counts it (status.memory):
        # RSS minus this is what the allocator keeps, the libraries and the
        # stacks.
        for poller in self.pollers:
            mem = (poller.last or {}).get("memory")
            if mem and "in_use_kib" in mem:
                self.heap.setdefault(poller.node.name, []).append(
                    (round(t, 1), mem["in_use_kib"], mem.get("free_kib", 0)))

    def check_alive(self):
        t = time.monotonic() - self.t0
        for p in self.nodes_procs():
            if p.name not in self.deaths and not p.alive():
                self.deaths[p.name] = {"at_s": round(t, 1), "exit": p.popen.returncode,
                                       "log_tail": p.tail(20)}
                print("soak: %s exited (status %s) at %s; its log: %s" % (
                    p.name, p.popen.returncode, clock(t), p.log_path), flush=True)

    def nodes_procs(self):
        return [n.proc for n in self.nodes] + [self.adversary]

    def expected_reasons(self):
        kinds = (self.adv_stats or {}).get("kinds", {})
        # silent-sybils is no refusal: its peers just never answer.
        return {k["reason"] for k in kinds.values() if k.get("refused", True)}

    def refusals(self, statuses):
        """reason -> count summed over nodes (blocks, transactions, requests)."""
        seen = {}
        for st in statuses:
            if not st:
                continue
            for tally in (st["refused"]["blocks"], st["refused"]["transactions"],
                          st.get("requests_refused", {})):
                for reason, count in tally.items():
                    seen[reason] = seen.get(reason, 0) + count
        return seen

    def progress(self):
        t = time.monotonic() - self.t0
        sums = [p.summary() for p in self.pollers]
        lasts = [p.last for p in self.pollers]
        heights = " ".join(str(s["height"]) if s else "?" for s in lasts)
        lat = max((s["max_ms"] or 0) for s in sums)
        turns = [s["main_loop"]["longest_turn_ms"] for s in sums if s["main_loop"]]
        reasons = self.expected_reasons()
        refused = sum(c for r, c in self.refusals(lasts).items() if r in reasons)
        kinds = (self.adv_stats or {}).get("kinds", {}).values()
        sent = sum(k["sent"] for k in kinds)
        items = sum(k["items"] for k in kinds)
        rss = " ".join("%.1f" % (self.mem[n.name][-1][1] / 1024.0) if self.mem.get(n.name) else "?"
                       for n in self.nodes)
        frozen = ["%s %.0f s" % (p.node.name, time.monotonic() - p.pending_since)
                  for p in self.pollers
                  if p.pending_since and time.monotonic() - p.pending_since > 2]
        print("soak %s / %s  heights %s | status max %.1f ms | main-loop turn max %s | "
              "attacks %d (%d items), refused %d | RSS MiB %s%s" % (
                  clock(t), clock(self.args.minutes * 60), heights, lat,
                  "%d ms" % max(turns) if turns else "n/a", sent, items, refused, rss,
                  " | NOT ANSWERING: " + ", ".join(frozen) if frozen else ""), flush=True)

    def run(self):
        a = self.args
        end = self.t0 + a.minutes * 60
        next_mem = next_progress = self.t0
        next_progress += a.progress
        while not self.stop.is_set() and time.monotonic() < end:
            self.stop.wait(min(1.0, max(0.0, end - time.monotonic())))
            if self.interrupted:
                break
            self.read_adversary()
            self.check_alive()
            if time.monotonic() >= next_mem:
                self.sample_memory()
                next_mem += a.mem_interval
            if time.monotonic() >= next_progress:
                self.progress()
                next_progress += a.progress
        self.elapsed = time.monotonic() - self.t0
        self.sample_memory()
        self.read_adversary()
        self.check_alive()
        self.stop.set()
        for p in self.pollers:
            p.join(timeout=5)

    # ---- the end: adversary stopped, chains checked ------------------------------

    def finish(self):
        """Stops the adversary, checks every answering node's chain and
        mempool; returns the report (a dict)."""
        adv_exit = self.adversary.stop()
        self.read_adversary()
        if "adversary" not in self.deaths and adv_exit not in (0, None):
            self.failures.append("the adversary exited with status %s when stopped" % adv_exit)
        st = self.adv_stats or {"kinds": {}, "identities": 0, "funding_sent": 0}
        ids = set().union(*self.attack_ids.values()) if self.attack_ids else set()
        checks, accepted_blocks, accepted_txs = {}, [], []
        chain0, chain0_node = None, None
        for n, p in zip(self.nodes, self.pollers):
            if n.name in self.deaths or p.stalls and not p.stalls[-1]["answered"]:
                checks[n.name] = {"checked": False, "why": "not answering or dead"}
                continue
            c = {"checked": True}
            try:
                v = n.cli("verifychain", timeout_ms=120000)
                c["verifychain"] = v
                if v.get("valid") is not True:
                    accepted_blocks.append("%s: verifychain: %s at height %s" % (
                        n.name, v.get("reason"), v.get("bad_height")))
                chain = self.best_chain(n)
                c["height"] = len(chain) - 1
                hashes = {b["hash"] for b in chain}
                txids = {t["txid"] for b in chain for t in b["data"]}
                pending = n.mempool_txids()
                for kind, kind_ids in self.attack_ids.items():
                    for i in kind_ids & hashes:
                        accepted_blocks.append("%s: %s block %s on the best chain" % (n.name, kind, i))
                    for i in kind_ids & (txids | pending):
                        accepted_txs.append("%s: %s transaction %s taken" % (n.name, kind, i))
                if chain0 is None:
                    chain0, chain0_node = chain, n.name
                else:
                    common = 0
                    for x, y in zip(chain0, chain):
                        if x["hash"] != y["hash"]:
                            break
                        common += 1
                    c["common_with_%s" % self.nodes[0].name] = common - 1
            except (pxnet.CliError, subprocess.TimeoutExpired, AssertionError, ValueError) as e:
                c["error"] = str(e)
                self.failures.append("%s: end-of-run check failed: %s" % (n.name, e))
            checks[n.name] = c
        # The adversary's own valid blocks: its funding blocks and every
        # block of its valid kinds (orphan-storm) that it sent.
        own = st.get("funding_sent", 0) + sum(k["items"] for k in st.get("kinds", {}).values()
                                              if k.get("valid"))
        blocks = {"from_node": chain0_node, "height": None, "honest": None, "by_node": {},
                  "other": None,
                  "funding_sent": st.get("funding_sent", 0), "adversary_valid_blocks_sent": own}
        if chain0:
            by = {}
            other = []
            for b in chain0[1:]:
                cb = next((t for t in b["data"] if t.get("type") == "coinbase"), {})
                name = self.addresses.get(cb.get("to"))
                if name:
                    by[name] = by.get(name, 0) + 1
                else:
                    other.append(b["hash"])
            blocks.update(height=len(chain0) - 1, honest=sum(by.values()), by_node=by,
                          other=len(other))
            if len(other) > own:
                accepted_blocks.append("%d best-chain blocks pay no honest node, and the adversary "
                                       "mined only %d valid block(s)" % (len(other), own))
        kinds = st.get("kinds", {})
        # Kinds whose items have an id of their own; the others reuse a
        # valid object's id (same_hash), or are bytes that do not parse and
        # so have none (the adversary records no id for them).
        id_kinds = [n for n, k in kinds.items() if not k.get("same_hash") and self.attack_ids.get(n)]
        no_id = [n for n, k in kinds.items()
                 if k["items"] and not k.get("same_hash") and not k.get("valid")
                 and not self.attack_ids.get(n)]
        same = [n for n, k in kinds.items() if k["items"] and k.get("same_hash")]
        return {
            "checks": checks,
            "blocks": blocks,
            "invalid_accepted": {
                "blocks": len(accepted_blocks), "transactions": len(accepted_txs),
                "details": (accepted_blocks + accepted_txs)[:100],
                "attack_ids_checked": len(ids),
                "attack_items_sent": sum(kinds[n]["items"] for n in id_kinds),
                "attack_ids_possibly_missed": self.ids_missed,
                "kinds_without_ids": no_id, "kinds_reusing_valid_ids": same,
            },
        }

    def best_chain(self, node):
        """The node's whole best chain (paged by pickaxe-cli), fetched again
        when a block found meanwhile broke the linkage between pages."""
        for attempt in range(3):
            chain = node.getchain()
            try:
                check_chain_linkage(chain)
                return chain
            except AssertionError:
                if attempt == 2:
                    raise
        return []


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="soak.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 30)),
                    help="how long to run (default 30, or $SOAK_MINUTES)")
    ap.add_argument("--nodes", type=int, default=int(os.environ.get("SOAK_NODES", 3)),
                    help="mining nodes (default 3, or $SOAK_NODES)")
    ap.add_argument("--threads", type=int, default=0,
                    help="mining threads per node (default: cores / nodes, at least 1)")
    ap.add_argument("--adversary-rate", type=float, default=0,
                    help="the adversary's --rate (default 0: flat out)")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between status polls")
    ap.add_argument("--poll-timeout", type=float, default=10.0,
                    help="a status not answered within this many seconds is a failed poll "
                         "(default 10, pickaxe-cli's own timeout)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds before memory counts as warm (default 10%% of the run, >= 30)")
    ap.add_argument("--mem-interval", type=float, default=10.0, help="seconds between memory samples")
    ap.add_argument("--progress", type=float, default=30.0, help="seconds between progress lines")
    ap.add_argument("--json", help="report path (default build/soak/soak-<UTC time>.json)")
    args = ap.parse_args(argv)
    if args.minutes <= 0 or args.nodes < 1 or args.interval <= 0 or args.poll_timeout <= 0:
        ap.error("--minutes, --nodes, --interval and --poll-timeout must be positive")
    if args.threads <= 0:
        args.threads = max(1, (os.cpu_count() or 1) // args.nodes)
    if args.warmup is None:
        args.warmup = max(30.0, 0.1 * args.minutes * 60)
    return args


def main(argv):
    args = parse_args(argv)
    for b in (pxnet.NODE, pxnet.TRACKER, pxnet.CLI, ADVERSARY):
        if not os.access(b, os.X_OK):
            print("soak: missing %s: run make first" % b, file=sys.stderr)
            return 2
    started_at = now_utc()
    path = args.json or os.path.join(BUILD, "soak",
                                     "soak-%s.json" % started_at.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    with Net(prefix="pickaxe-soak-") as net:
        soak = Soak(args, net)
        soak.load_start = loadavg()

        # Ctrl-C (make passes it on) or SIGTERM: stop sampling, still check
        # and report; a second one aborts the report, and leaving the `with`
        # still stops every process.
        def on_signal(signum, frame):
            if soak.interrupted:
                raise KeyboardInterrupt
            soak.interrupted = True
            soak.stop.set()
            print("\nsoak: stopping (again to abort the report)...", flush=True)
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        print("soak: %g min, %d demo nodes x %d thread(s), adversary flat out; data and logs in %s" % (
            args.minutes, args.nodes, args.threads, net.dir), flush=True)
        soak.start()
        print("soak: running (a progress line every %g s; Ctrl-C stops and reports)" % args.progress,
              flush=True)
        soak.run()
        print("soak: checking the chains...", flush=True)
        end = soak.finish()
        report = build_report(soak, end, started_at)
        with open(path, "w") as f:
            json.dump(report, f, indent=1)
        if report["failures"]:
            logs = os.path.splitext(path)[0] + "-logs"
            os.makedirs(logs, exist_ok=True)
            for p in net.procs:
                if os.path.exists(p.log_path):
                    shutil.copy(p.log_path, logs)
            print("soak: logs copied to %s" % logs)
        print_summary(report, path)
        pids = [p.popen.pid for p in net.procs]
    # Every process has been waited for by Net.close(); say so if one is not.
    left = [pid for pid in pids if os.path.exists("/proc/%d" % pid)]
    if left:
        print("soak: processes still present after teardown: %s" % left, file=sys.stderr)
        return 1
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
