"""pxnet -- start and drive small pickaxe networks on 127.0.0.1 (test and
benchmark harness; Python 3 standard library only).

A Net owns everything it starts: one temporary directory (data dirs, keystores
and one log file per process) and every tracker and node process, each in a
process group of its own. Net.close() -- also run by `with Net() as net:` on
any exit, failure included -- stops them all: SIGTERM to each group, then
SIGKILL to whatever is still alive after a grace period, so no test leaves a
process behind.

Nodes are driven only through pickaxe-cli --json (Node.cli), the interface a
user has. Waiting is always polling with a deadline (wait_until), never a
sleep standing in for an assertion.

Ports come from the kernel (bind to port 0) and are checked with their +1
and +2 neighbours: a tracker or a node publishes on its request port + 1
and takes keyed (CURVE) requests on port + 2.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "pickaxe-cli")
NODE = os.path.join(BUILD, "pickaxe-node")
TRACKER = os.path.join(BUILD, "pickaxe-tracker")

COIN = 100_000_000
SUBSIDY = 50 * COIN
DEFAULT_FEE = 10_000  # AMOUNT_DEFAULT_FEE (src/core/amount.h): 0.0001 coin

_used_ports = set()


class CliError(Exception):
    """pickaxe-cli exited non-zero; .status and .stderr say how and why."""

    def __init__(self, args, status, stderr):
        super().__init__("pickaxe-cli %s -> exit %d: %s" % (" ".join(args), status, stderr.strip()))
        self.status = status
        self.stderr = stderr


class Timeout(AssertionError):
    """A condition did not hold before its deadline."""


def _port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port_pair():
    """A port P such that P, P+1 and P+2 are free on 127.0.0.1 (and not
    handed out before by this process): a tracker or a node answers plain
    requests on P, publishes on P+1 and takes keyed (CURVE) requests on
    P+2."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        ports = (port, port + 1, port + 2)
        if port >= 65534 or any(p in _used_ports for p in ports):
            continue
        if all(_port_free(p) for p in ports):
            _used_ports.update(ports)
            return port
    raise RuntimeError("no free port triple on 127.0.0.1")


def wait_until(what, predicate, timeout, interval=0.05):
    """Polls predicate() until it returns a true value, which is returned.
    Raises Timeout naming `what` (and the last exception, if any) when the
    deadline passes. Exceptions from predicate count as "not yet"."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_error = None
        except (CliError, KeyError, ValueError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            raise Timeout("timed out after %.1f s waiting for %s%s" %
                          (timeout, what, " (last error: %s)" % last_error if last_error else ""))
        time.sleep(interval)


class Proc:
    """One started process (its own process group) and its log file."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self):
        """SIGKILL, as a crash would."""
        self.signal(signal.SIGKILL)
        self.popen.wait()
        self.log.close()

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after grace seconds. Returns the exit code
        (negative: killed by that signal)."""
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait()
        if not self.log.closed:
            self.log.close()
        return self.popen.returncode

    def tail(self, lines=25):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(data[-lines:])
        except OSError:
            return ""


class Tracker:
    def __init__(self, net, network, port, peer_timeout=None):
        self.net = net
        self.network = network
        self.port = port
        # Its key lives here, so a restarted tracker is the same tracker.
        self.data_dir = os.path.join(net.dir, "tracker-%d" % port)
        self.peer_timeout = peer_timeout
        self.endpoint = "tcp://127.0.0.1:%d" % port
        self.proc = None
        self.start()

    def start(self):
        argv = [TRACKER, "--network", self.network, "--listen", "127.0.0.1:%d" % self.port,
                "--data-dir", self.data_dir]
        if self.peer_timeout:
            argv += ["--peer-timeout", str(self.peer_timeout)]
        self.proc = self.net._spawn("tracker", argv)

    def peers(self, timeout_ms=3000):
        """The tracker's peer list, through pickaxe-cli tracker-peers."""
        return self.net.cli_raw(["--network", self.network, "--timeout", str(timeout_ms),
                                 "tracker-peers", "--tracker", self.endpoint])


class Node:
    """A pickaxe-node the Net started, and pickaxe-cli pointed at it."""

    def __init__(self, net, name, network, tracker=None, mine=False, threads=1,
                 data_dir=None, port=None, extra=()):
        self.net = net
        self.name = name
        self.network = network
        self.tracker = tracker
        self.mine = mine
        self.threads = threads
        self.port = port or free_port_pair()
        self.endpoint = "tcp://127.0.0.1:%d" % self.port
        self.data_dir = data_dir or os.path.join(net.dir, name)
        self.extra = list(extra)
        self.proc = None
        self.node_id = None

    def argv(self, with_tracker=True):
        argv = [NODE, "--network", self.network, "--listen", "127.0.0.1:%d" % self.port,
                "--data-dir", self.data_dir, "--status-interval", "2"]
        if with_tracker and self.tracker:
            argv += ["--tracker", self.tracker.endpoint]
        else:
            # Not the network's default tracker on 127.0.0.1: alone.
            argv += ["--tracker", "none"]
        if self.mine:
            argv += ["--threads", str(self.threads)]
        else:
            argv += ["--no-mine"]
        return argv + self.extra

    def start(self, with_tracker=True, wait=True):
        self.proc = self.net._spawn(self.name, self.argv(with_tracker))
        if wait:
            st = wait_until("%s to answer" % self.name, lambda: self.status(timeout_ms=1000), 20)
            self.node_id = st["node_id"]
        return self

    def cli(self, *args, timeout_ms=None):
        pre = ["--network", self.network, "--node", self.endpoint]
        if timeout_ms:
            pre += ["--timeout", str(timeout_ms)]
        return self.net.cli_raw(pre + list(args))

    def status(self, timeout_ms=None):
        return self.cli("status", timeout_ms=timeout_ms)

    def height(self):
        return self.status()["height"]

    def tip(self):
        return self.status()["tip"]

    def balance(self, address):
        return self.cli("balance", address)

    def generate(self, count, to=None):
        hashes = []
        while count > 0:
            n = min(count, 1000)
            args = ["generate", str(n)] + (["--to", to] if to else [])
            hashes += self.cli(*args)["hashes"]
            count -= n
        return hashes

    def tx(self, txid):
        return self.cli("tx", txid)

    def mempool_txids(self):
        return {t["txid"] for t in self.cli("mempool")}

    def getchain(self, start=0, limit=100000):
        return self.cli("getchain", "--oldest-first", "--from", str(start), "--limit", str(limit))


class Net:
    """A temporary directory and every process started in it."""

    def __init__(self, prefix="pickaxe-it-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []
        self.keep = os.environ.get("PICKAXE_KEEP_TMP") == "1"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _spawn(self, name, argv):
        p = Proc(name, argv, os.path.join(self.dir, name + ".log"))
        self.procs.append(p)
        return p

    def tracker(self, network="regtest", port=None, peer_timeout=None):
        return Tracker(self, network, port or free_port_pair(), peer_timeout)

    def node(self, name, network="regtest", tracker=None, mine=False, threads=1,
             start=True, **kw):
        n = Node(self, name, network, tracker, mine, threads, **kw)
        if start:
            n.start()
        return n

    def cli_raw(self, args, timeout=150):
        """Runs pickaxe-cli --json ARGS; returns the parsed JSON, or raises
        CliError with its exit status and message."""
        argv = [CLI, "--json"] + list(args)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise CliError(list(args), r.returncode, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def cli_text(self, args, timeout=150):
        """Runs pickaxe-cli ARGS (no --json); returns (status, stdout,
        stderr)."""
        r = subprocess.run([CLI] + list(args), capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    def keystore(self, name, network="regtest"):
        """Makes a keystore in the Net's directory; returns (path, address)."""
        path = os.path.join(self.dir, name + ".key")
        r = self.cli_raw(["--network", network, "newaddress", "--keystore", path])
        return path, r["address"]

    def logs(self, lines=25):
        out = []
        for p in self.procs:
            out.append("---- %s (%s) ----\n%s" % (p.name, p.log_path, p.tail(lines)))
        return "\n".join(out)

    def close(self):
        for p in self.procs:
            p.signal(signal.SIGTERM)
        deadline = time.monotonic() + 8
        for p in self.procs:
            try:
                p.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.signal(signal.SIGKILL)
                p.popen.wait()
            if not p.log.closed:
                p.log.close()
        self.procs = []
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def same_tip(nodes):
    """The tip all nodes report, sampled one after the other, or None."""
    tips = [n.status() for n in nodes]
    first = tips[0]["tip"]
    return first if all(t["tip"] == first for t in tips) else None


def check_chain_linkage(blocks):
    """Asserts that getchain's blocks (oldest first, from genesis) link up:
    heights count from 0, each previousHash is the block before's hash,
    previousBlockIndex is height - 1. Returns the tip hash."""
    assert blocks, "empty chain"
    for i, b in enumerate(blocks):
        assert b["blockHeight"] == i, "height %d at index %d" % (b["blockHeight"], i)
        assert b["previousBlockIndex"] == i - 1
        assert b["hash"] == b["blockId"]
        if i:
            assert b["previousHash"] == blocks[i - 1]["hash"], "broken link at height %d" % i
    return blocks[-1]["hash"]


def expect_cli_error(fn, status=1, contains=None):
    """Asserts that fn, a pickaxe-cli call, fails with exit status `status`
    and, if given, `contains` in its stderr; returns the CliError."""
    try:
        fn()
    except CliError as e:
        assert e.status == status, "exit %d, wanted %d: %s" % (e.status, status, e.stderr)
        if contains:
            assert contains in e.stderr, "%r not in %r" % (contains, e.stderr)
        return e
    raise AssertionError("pickaxe-cli succeeded where it should have failed")


def all_see_tx_confirmed(nodes, txid):
    """Whether every node reports the transfer txid confirmed."""
    return all(n.tx(txid)["status"] == "confirmed" for n in nodes)
