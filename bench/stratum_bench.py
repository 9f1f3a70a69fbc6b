#!/usr/bin/env python3
"""Stratum server benchmarks: a real pickaxe-node (regtest, --no-mine,
--stratum) and N Stratum connections opened here (Python standard library;
tests/integration/pxnet.py starts and stops the node).

  memory   the node's resident memory (VmRSS) before and after N
           connections subscribe and authorize (each a worker of its own)
           and receive their first job: the difference over N.
  fanout   B blocks made with `generate 1`; for each, every connection's
           clean_jobs notify is timed from the moment the node accepted the
           block (getblock's "received", wall-clock microseconds, one clock
           on one machine): p50 and p99 over every (block, connection)
           pair, and over each block's last connection. That includes the
           main loop's next turn, the template and the fan-out itself.
  pool     the built-in pool's hashrate (demo network, --threads 1) for S
           seconds alone and S seconds with N idle connections and 8
           miners submitting 80 shares a second each (Python).

Usage: stratum_bench.py [--connections N] [--blocks B] [--pool-seconds S]
                        [--no-pool]
Prints a Markdown table (pasted into benchmarks.md, "## Stratum").
"""

import argparse
import hashlib
import json
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "tests", "integration"))
import pxnet  # noqa: E402
from pxnet import Net, wait_until  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_node(net, name, network, extra):
    port = pxnet.free_port_pair()
    node = net.node(name, network=network, extra=["--stratum", "127.0.0.1:%d" % port] + extra)
    node.stratum_port = port
    return node


class Fleet:
    """N subscribed, authorized connections read through one selector."""

    def __init__(self, port, n, addr):
        self.sel = selectors.DefaultSelector()
        self.bufs = [b""] * n
        self.last_clean = [None] * n  # (prevhash, arrival wall time)
        self.jobs = [0] * n
        self.socks = []
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall((json.dumps({"id": 1, "method": "mining.subscribe", "params": []}) + "\n" +
                       json.dumps({"id": 2, "method": "mining.authorize",
                                   "params": ["%s.c%d" % (addr, i), ""]}) + "\n").encode())
            s.setblocking(False)
            self.socks.append(s)
            self.sel.register(s, selectors.EVENT_READ, i)

    def pump(self, seconds, done):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done():
            for key, _ in self.sel.select(0.1):
                i = key.data
                data = key.fileobj.recv(1 << 16)
                now = time.time()
                if not data:
                    raise RuntimeError("connection %d closed" % i)
                self.bufs[i] += data
                while b"\n" in self.bufs[i]:
                    line, self.bufs[i] = self.bufs[i].split(b"\n", 1)
                    m = json.loads(line)
                    if m.get("method") == "mining.notify":
                        self.jobs[i] += 1
                        if m["params"][8]:
                            self.last_clean[i] = (m["params"][1], now)
        return done()

    def close(self):
        for s in self.socks:
            s.close()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def prev_notify_hex(block_hash_display):
    """A block id (display order) as mining.notify's prevhash."""
    b = bytes.fromhex(block_hash_display)[::-1]
    return b"".join(b[i:i + 4][::-1] for i in range(0, 32, 4)).hex()


def bench_memory_fanout(args, rows):
    with Net(prefix="pickaxe-stratum-bench-") as net:
        node = start_node(net, "pool", "regtest", ["--no-mine"])
        _, addr = net.keystore("miner")
        pid = node.proc.popen.pid
        time.sleep(0.5)
        before = rss_kib(pid)
        fleet = Fleet(node.stratum_port, args.connections, addr)
        if not fleet.pump(60, lambda: all(j >= 1 for j in fleet.jobs)):
            raise RuntimeError("not every connection got a job")
        time.sleep(0.5)
        after = rss_kib(pid)
        per = (after - before) * 1024.0 / args.connections
        rows.append(("memory per connection (%d subscribed, authorized)" % args.connections,
                     "%.1f KiB (RSS %d -> %d KiB)" % (per / 1024, before, after)))
        every, last = [], []
        for _ in range(args.blocks):
            h = node.cli("generate", "1")["hashes"][0]
            want = prev_notify_hex(h)
            ok = fleet.pump(30, lambda: all(c and c[0] == want for c in fleet.last_clean))
            if not ok:
                raise RuntimeError("clean_jobs did not reach every connection")
            received = node.cli("getblock", h)["received"] / 1e6
            lat = [(c[1] - received) * 1000 for c in fleet.last_clean]
            every += lat
            last.append(max(lat))
        st = node.cli("stratum")
        rows.append(("clean_jobs, block accepted -> notify read, %d connections x %d blocks"
                     % (args.connections, args.blocks),
                     "p50 %.1f ms, p99 %.1f ms" % (pct(every, 50), pct(every, 99))))
        rows.append(("... the last connection of each block", "p50 %.1f ms, p99 %.1f ms"
                     % (pct(last, 50), pct(last, 99))))
        rows.append(("server's own fan-out (last block: first to last write)",
                     "%.1f ms" % (st["fanout_us"] / 1000.0)))
        fleet.close()


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


FLOOD_CONNS = 8
FLOOD_RATE = 80  # submits a second per connection, under the server's 100


def share_flood(port, addr, stop, counts):
    """FLOOD_CONNS miners submitting shares at FLOOD_RATE a second each,
    kept at the smallest difficulty (vardiff raises it; they ask for it
    back with mining.suggest_difficulty)."""
    conns = []
    for k in range(FLOOD_CONNS):
        s = socket.create_connection(("127.0.0.1", port))
        user = "%s.flood%d" % (addr, k)
        s.sendall((json.dumps({"id": 1, "method": "mining.subscribe", "params": []}) + "\n" +
                   json.dumps({"id": 2, "method": "mining.authorize", "params": [user, ""]}) +
                   "\n" + json.dumps({"id": 3, "method": "mining.suggest_difficulty",
                                      "params": [1e-9]}) + "\n").encode())
        s.setblocking(False)
        conns.append({"s": s, "user": user, "buf": b"", "job": None, "en1": None,
                      "rid": 10, "nonce": 0, "next": 0.0})
    while not stop.is_set():
        for c in conns:
            try:
                data = c["s"].recv(1 << 16)
                if not data:
                    return
                c["buf"] += data
            except BlockingIOError:
                pass
            while b"\n" in c["buf"]:
                line, c["buf"] = c["buf"].split(b"\n", 1)
                m = json.loads(line)
                if m.get("id") == 1:
                    c["en1"] = m["result"][1]
                elif m.get("method") == "mining.notify":
                    c["job"] = m["params"]
                elif m.get("method") == "mining.set_difficulty" and m["params"][0] > 1e-8:
                    c["s"].sendall((json.dumps({"id": 4, "method": "mining.suggest_difficulty",
                                                "params": [1e-9]}) + "\n").encode())
                elif (m.get("id") or 0) >= 10:
                    counts["answers"] += 1
            job, now = c["job"], time.monotonic()
            if not job or not c["en1"] or now < c["next"]:
                continue
            root = sha256d(bytes.fromhex(job[2] + c["en1"] + "00000000" + job[3]))
            for b in job[4]:
                root = sha256d(root + bytes.fromhex(b))
            p = bytes.fromhex(job[1])
            prev = b"".join(p[i:i + 4][::-1] for i in range(0, 32, 4))
            hdr = struct.pack("<I", int(job[5], 16)) + prev + root + \
                struct.pack("<II", int(job[7], 16), int(job[6], 16))
            while True:
                c["nonce"] += 1
                h = int.from_bytes(sha256d(hdr + struct.pack("<I", c["nonce"])), "little")
                if h < (1 << 253):
                    break
            c["s"].sendall((json.dumps({"id": c["rid"], "method": "mining.submit",
                                        "params": [c["user"], job[0], "00000000", job[7],
                                                   "%08x" % c["nonce"]]}) + "\n").encode())
            c["rid"] += 1
            c["next"] = now + 1.0 / FLOOD_RATE
            counts["sent"] += 1
        time.sleep(0.0005)
    for c in conns:
        c["s"].close()


def bench_pool(args, rows):
    rates = {}
    for busy in (False, True):
        with Net(prefix="pickaxe-stratum-bench-") as net:
            port = pxnet.free_port_pair()
            node = net.node("miner", network="demo", mine=True, threads=1,
                            extra=["--stratum", "127.0.0.1:%d" % port])
            _, addr = net.keystore("m", network="demo")
            fleet, stop, counts, th = None, threading.Event(), {"sent": 0, "answers": 0}, None
            if busy:
                fleet = Fleet(port, args.connections, addr)
                fleet.pump(30, lambda: all(j >= 1 for j in fleet.jobs))
                th = threading.Thread(target=share_flood, args=(port, addr, stop, counts))
                th.start()
            wait_until("mining", lambda: node.status()["hashrate"] > 0, 60)
            samples = []
            t_end = time.monotonic() + args.pool_seconds
            while time.monotonic() < t_end:
                if fleet:
                    fleet.pump(1, lambda: False)
                else:
                    time.sleep(1)
                samples.append(node.status()["hashrate"])
            stop.set()
            if th:
                th.join()
            if fleet:
                fleet.close()
            rates[busy] = sorted(samples)[len(samples) // 2]
            if busy:
                rows.append(("built-in pool, 1 thread, Stratum busy (%d connections, "
                             "%d shares submitted, %d answered)" % (args.connections, counts["sent"],
                                                        counts["answers"]),
                             "%.2f MH/s (median of %d samples)" % (rates[busy] / 1e6,
                                                                     len(samples))))
            else:
                rows.append(("built-in pool, 1 thread, Stratum idle",
                             "%.2f MH/s (median of %d samples)" % (rates[busy] / 1e6,
                                                                     len(samples))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--pool-seconds", type=int, default=20)
    ap.add_argument("--no-pool", action="store_true")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 200), hard))
    rows = []
    bench_memory_fanout(args, rows)
    if not args.no_pool:
        bench_pool(args, rows)
    print("| measure | result |")
    print("|---|---|")
    for k, v in rows:
        print("| %s | %s |" % (k, v))


if __name__ == "__main__":
    main()
