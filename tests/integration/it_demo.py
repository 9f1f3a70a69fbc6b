"""Integration tests of the project's tools as a user runs them:
scripts/demo.sh (make demo) stopping cleanly and naming a process that
died, make's one line per target, and pickaxe-bench hashrate's defaults.

run.py runs TESTS; each entry is (name, time limit in s, function).
"""

import os
import re
import signal
import subprocess
import time

import pxnet
from pxnet import wait_until

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


def _demo_ports():
    """A DEMO_PORT whose tracker's and nodes' port triples are all free."""
    for _ in range(200):
        base = 30000 + 2 * (os.getpid() * 7919 + int(time.monotonic() * 1000)) % 25000
        ports = [base + o for o in (0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32)]
        if all(pxnet._port_free(p) and p not in pxnet._used_ports for p in ports):
            pxnet._used_ports.update(ports)
            return base
        time.sleep(0.01)
    raise RuntimeError("no free ports for the demo")


def _procs_with(text):
    """Pids of processes whose command line contains text."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if text.encode() in f.read():
                    found.append(int(d))
        except OSError:
            pass
    return found


def _start_demo(net, run):
    """scripts/demo.sh in a session of its own, on a directory and ports of
    its own, without the adversary; returns (Popen, log path, dir, port)."""
    base = _demo_ports()
    d = os.path.join(net.dir, "demo")
    log = os.path.join(net.dir, "demo-%d.log" % run)
    env = dict(os.environ, DEMO_DIR=d, DEMO_PORT=str(base), ADVERSARY="0", BUILD=pxnet.BUILD,
               ALICE_PORT=str(pxnet.free_port_pair()), BOB_PORT=str(pxnet.free_port_pair()),
               STRATUM_PORT=str(pxnet.free_port_pair()))
    with open(log, "wb") as out:
        p = subprocess.Popen(["sh", os.path.join(pxnet.ROOT, "scripts", "demo.sh")], env=env,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, cwd=pxnet.ROOT)
    read = lambda: open(log, encoding="utf-8", errors="replace").read()  # noqa: E731
    try:
        wait_until("the demo's banner", lambda: "Press Ctrl-C" in read() or p.poll() is not None, 90)
    except Exception:
        os.killpg(p.pid, signal.SIGKILL)
        raise
    assert p.poll() is None, read()
    return p, read, d, base


def _demo_gone(d, base):
    left = _procs_with(d) + _procs_with("127.0.0.1:%d" % base)
    assert not left, "left running: %s" % left


@test(240)
def demo_stops_cleanly_and_names_the_dead(net):
    """scripts/demo.sh (what make demo runs): a process that dies is named
    with how it ended and its log's last lines; Ctrl-C (SIGINT to the
    whole group, as a terminal sends it) and SIGTERM to the script each stop
    everything and exit 0; with every child gone it exits 1. The start
    banner and the stop message say the same way to reset."""
    p, read, d, base = _start_demo(net, 1)
    try:
        assert "make demo RESET=1 (scripts/demo.sh --reset) starts afresh" in read()
        tracker = _procs_with("\x00127.0.0.1:%d\x00" % base)  # --listen, not tcp://
        assert len(tracker) == 1, tracker
        os.kill(tracker[0], signal.SIGKILL)
        wait_until("the tracker named", lambda: "demo: tracker (pid %d) stopped unexpectedly: "
                   "killed by signal 9; the last lines of" % tracker[0] in read(), 15)
        # The log's lines follow the line that names it (another write).
        wait_until("the tracker's last log lines", lambda: "demo:   | " in read(), 5)
        os.killpg(p.pid, signal.SIGINT)
        assert p.wait(timeout=40) == 0, read()
        assert "demo: stopped; its data stays in %s (make demo RESET=1 (scripts/demo.sh --reset) " \
            "starts afresh)" % d in read(), read()
        _demo_gone(d, base)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)

    p, read, d, base = _start_demo(net, 2)
    try:
        p.send_signal(signal.SIGTERM)  # the script alone
        assert p.wait(timeout=40) == 0, read()
        assert "demo: stopped;" in read(), read()
        _demo_gone(d, base)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)

    p, read, d, base = _start_demo(net, 3)
    try:
        for pid in set(_procs_with(d) + _procs_with("\x00127.0.0.1:%d\x00" % base)):
            os.kill(pid, signal.SIGKILL)
        assert p.wait(timeout=30) == 1, read()
        assert "demo: every process has stopped; exiting" in read(), read()
        _demo_gone(d, base)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)


@test(120)
def make_prints_a_line_per_target(net):
    """make says one line per target ("  CC      path"), and every command
    in full with V=1."""
    out_dir = os.path.join(net.dir, "build")
    target = os.path.join(out_dir, "obj", "src", "core", "hex.o")
    def make(*extra):
        r = subprocess.run(["make", "--no-print-directory", "BUILD=" + out_dir] + list(extra) + [target],
                           cwd=pxnet.ROOT, capture_output=True, text=True, timeout=100)
        assert r.returncode == 0, r.stderr
        return r.stdout
    assert make() == "  CC      %s\n" % target
    os.remove(target)
    full = make("V=1")
    assert "  CC  " not in full and "-c src/core/hex.c -o %s" % target in full, full


@test(60)
def bench_hashrate_defaults_to_every_core_with_live_lines(net):
    """pickaxe-bench hashrate with only --seconds: every core, a live line
    a second with each thread's MH/s on stderr, then the summary."""
    bench = os.path.join(pxnet.BUILD, "pickaxe-bench")
    r = subprocess.run([bench, "hashrate", "--seconds", "2.5", "--impl", "generic"],
                       capture_output=True, text=True, timeout=40)
    assert r.returncode == 0, (r.returncode, r.stderr)
    m = re.search(r"kernel generic, (\d+) threads?,", r.stdout)
    assert m, r.stdout
    threads = int(m.group(1))
    # A worker per core (physical cores: fewer than CPUs with SMT).
    assert 1 <= threads <= len(os.sched_getaffinity(0)), (threads, r.stdout)
    live = [l for l in r.stderr.splitlines() if "per thread:" in l]
    assert len(live) >= 2, r.stderr
    rates = live[0].split("per thread:")[1].split()
    assert rates[-1] == "MH/s" and len(rates) - 1 == min(threads, 16), live[0]
    assert "hashrate" in r.stdout and "(wall clock)" in r.stdout, r.stdout
