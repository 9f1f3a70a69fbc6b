"""Integration tests of pickaxe-node --stratum: a Stratum v1 client written
here (Python standard library) subscribes, authorizes, mines the notified
job as any sha256d miner would (hashing in Python: regtest's target takes
every other hash, demo's genesis difficulty about 65,536) and submits; the
block is on every node and pays the client's address. Then version rolling,
vardiff, every refusal code, bad input, and 1,000 idle connections.

run.py registers TESTS; each entry is (name, time limit in s, function).
"""

import hashlib
import json
import os
import resource
import selectors
import socket
import struct
import time

import pxnet
from pxnet import SUBSIDY, wait_until

TESTS = []

DIFF1 = 0xFFFF << 208


def test(limit):
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def bits_target(bits):
    return (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))


def notify_prev(block_id):
    """A block id (display order) as mining.notify's prevhash."""
    b = bytes.fromhex(block_id)[::-1]
    return b"".join(b[i:i + 4][::-1] for i in range(0, 32, 4)).hex()


def stratum_node(net, name="pool", network="regtest", tracker=None, extra=()):
    port = pxnet.free_port_pair()
    node = net.node(name, network=network, tracker=tracker,
                    extra=["--stratum", "127.0.0.1:%d" % port] + list(extra))
    node.stratum_port = port
    return node


class Client:
    """One Stratum connection: requests with ids, notifications queued."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.next_id = 1
        self.notes = []  # notifications not yet looked at
        self.diff = None
        self.job = None
        self.en1 = None
        self.en2_size = None

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send_raw((json.dumps({"id": rid, "method": method, "params": params}) + "\n").encode())
        return rid

    def read_msg(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        if msg.get("method") == "mining.set_difficulty":
            self.diff = msg["params"][0]
        elif msg.get("method") == "mining.notify":
            self.job = msg["params"]
        return msg

    def call(self, method, params):
        """Sends a request; returns its answer (notifications are kept)."""
        rid = self.send(method, params)
        while True:
            msg = self.read_msg()
            if msg.get("id") == rid and "method" not in msg:
                return msg
            self.notes.append(msg)

    def wait_note(self, method, timeout=10):
        """The next notification of method (queued or new)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.notes):
                if m.get("method") == method:
                    return self.notes.pop(i)
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                self.notes.append(self.read_msg())
            except socket.timeout:
                raise AssertionError("no %s within %d s" % (method, timeout))
            finally:
                self.sock.settimeout(10)

    def login(self, user, configure=False):
        if configure:
            r = self.call("mining.configure", [["version-rolling"],
                                               {"version-rolling.mask": "ffffffff",
                                                "version-rolling.min-bit-count": 2}])
            assert r["result"]["version-rolling"] is True, r
            assert r["result"]["version-rolling.mask"] == "1fffe000", r
        r = self.call("mining.subscribe", ["pxtest/1.0"])
        assert r["error"] is None, r
        subs, self.en1, self.en2_size = r["result"]
        assert len(self.en1) == 8 and self.en2_size == 4, r
        r = self.call("mining.authorize", [user, "x"])
        assert r["result"] is True and r["error"] is None, r
        self.wait_note("mining.notify")
        assert self.diff is not None, "set_difficulty comes before the first job"

    def header(self, job, en2, ntime, nonce, version):
        jid, prev, cb1, cb2, branch, ver, nbits, jtime, clean = job
        root = sha256d(bytes.fromhex(cb1 + self.en1 + en2 + cb2))
        for b in branch:
            root = sha256d(root + bytes.fromhex(b))
        p = bytes.fromhex(prev)
        prev_le = b"".join(p[i:i + 4][::-1] for i in range(0, 32, 4))
        return (struct.pack("<I", version) + prev_le + root +
                struct.pack("<III", ntime, int(nbits, 16), nonce))

    def mine(self, want, en2="00000000", version_bits=0, start=0, limit=2_000_000):
        """The first nonce from start whose hash passes want(hash as int,
        network target); returns (nonce, hash int)."""
        job = self.job
        version = int(job[5], 16) | version_bits
        ntime = int(job[7], 16)
        net = bits_target(int(job[6], 16))
        for nonce in range(start, start + limit):
            h = int.from_bytes(sha256d(self.header(job, en2, ntime, nonce, version)), "little")
            if want(h, net):
                return nonce, h
        raise AssertionError("no nonce found")

    def share_not_block(self, h, net_target):
        """A hash that is a share at the current difficulty, not a block."""
        return net_target < h <= int(DIFF1 / self.diff)

    def submit(self, user, nonce, en2="00000000", vbits=None, job=None, ntime=None):
        job = job or self.job
        params = [user, job[0], en2, ntime or job[7], "%08x" % nonce]
        if vbits is not None:
            params.append(vbits)
        return self.call("mining.submit", params)


def stratum_info(node):
    return node.cli("stratum")


@test(90)
def stratum_miner_mines_a_block_every_node_accepts(net):
    """Subscribe, authorize as ADDRESS.WORKER, mine the notified job in
    Python, submit: the block is on both nodes, pays the address; a new
    tip sends clean_jobs; the worker's stats and status show it."""
    tracker = net.tracker("regtest")
    pool = stratum_node(net, tracker=tracker)
    other = net.node("other", tracker=tracker)
    wait_until("peers", lambda: pool.status()["peers"] >= 1 and other.status()["peers"] >= 1, 20)
    _, addr = net.keystore("miner")
    user = addr + ".rig1"
    c = Client(pool.stratum_port)
    c.login(user)
    job = c.job
    assert len(job[1]) == 64 and len(job[5]) == 8 and len(job[6]) == 8 and len(job[7]) == 8
    assert job[8] is True, "the first job is clean"
    nonce, _ = c.mine(lambda h, net_t: h <= net_t)
    r = c.submit(user, nonce)
    assert r["result"] is True and r["error"] is None, r
    wait_until("the block on both nodes",
               lambda: pool.height() == 1 and other.height() == 1, 20)
    assert pool.tip() == other.tip()
    for n in (pool, other):
        assert n.balance(addr)["confirmed"] == SUBSIDY, n.balance(addr)
    # The new tip: clean_jobs on the new parent.
    note = c.wait_note("mining.notify")
    assert note["params"][8] is True and note["params"][1] != job[1], note
    st = stratum_info(pool)
    w = [w for w in st["workers"] if w["worker"] == user]
    assert len(w) == 1 and w[0]["address"] == addr, st
    assert w[0]["accepted"] == 1 and w[0]["blocks"] == 1 and w[0]["connections"] == 1, w
    assert w[0]["last_share"] and w[0]["hashrate"] > 0, w
    assert st["blocks"] == 1 and st["connections"] == 1 and st["clean_jobs"] >= 2, st
    s = pool.status()["stratum"]
    assert s["blocks"] == 1 and s["url"] == "stratum+tcp://127.0.0.1:%d" % pool.stratum_port, s
    assert "workers" not in s
    assert other.status()["stratum"] is None
    code, out, _ = net.cli_text(["--network", "regtest", "--node", pool.endpoint, "stratum"])
    assert code == 0 and user in out, out
    c.close()


@test(60)
def stratum_jobs_follow_the_mempool(net):
    """A new transfer reaches the miner as a new job on the same tip (not
    clean, a longer branch) within the refresh pace; the block mined from
    it confirms the transfer."""
    pool = stratum_node(net)
    alice_key, alice = net.keystore("alice")
    _, bob = net.keystore("bob")
    pool.generate(1, to=alice)
    c = Client(pool.stratum_port)
    c.login(bob + ".m")
    # The first job may still be on the tip before `generate`'s block.
    while c.job[1] != notify_prev(pool.tip()):
        c.wait_note("mining.notify")
    first = c.job
    assert first[4] == [], "a coinbase alone has an empty branch"
    txid = pool.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "1")["txid"]
    t0 = time.monotonic()
    note = c.wait_note("mining.notify", timeout=15)
    took = time.monotonic() - t0
    assert note["params"][8] is False and note["params"][1] == first[1], note
    assert len(note["params"][4]) == 1, note
    assert took < 12, "the transfer took %.1f s to reach the miner" % took
    nonce, _ = c.mine(lambda h, t: h <= t)
    assert c.submit(bob + ".m", nonce)["result"] is True
    wait_until("the transfer confirmed", lambda: pool.tx(txid)["status"] == "confirmed", 20)
    c.close()


@test(90)
def stratum_refusal_codes_and_version_rolling(net):
    """Every refusal code, in the order a confused miner meets them, and
    BIP 310 version rolling (configure first or after subscribe)."""
    pool = stratum_node(net, network="demo", extra=["--no-mine"])
    _, addr = net.keystore("miner", network="demo")
    c = Client(pool.stratum_port)
    r = c.submit(addr, 0, job=["1", "", "", "", [], "", "", "00000000", False])
    assert r["error"][0] == 25 and r["result"] is None, r
    r = c.call("mining.subscribe", [])
    c.en1 = r["result"][1]
    r = c.submit(addr, 0, job=["1", "", "", "", [], "", "", "00000000", False])
    assert r["error"][0] == 24, r
    r = c.call("mining.authorize", ["pxrt1notanaddress", "x"])
    assert r["result"] is False and r["error"][0] == 24 and "not a pickaxe" in r["error"][1], r
    r = c.call("mining.authorize", [addr, ""])
    assert r["result"] is True, r
    c.wait_note("mining.notify")
    # Any share passes at the smallest difficulty; 1/65536 is a block.
    r = c.call("mining.suggest_difficulty", ["0.000000001"])
    assert r["result"] is True, r
    c.wait_note("mining.notify")
    assert c.diff <= 1e-8, c.diff
    not_block = c.share_not_block
    nonce, _ = c.mine(not_block)
    r = c.submit(addr, nonce)
    assert r["result"] is True, r
    r = c.submit(addr, nonce)
    assert r["error"][0] == 22, r
    r = c.submit(addr + ".other", nonce)
    assert r["error"][0] == 24, r
    r = c.submit(addr, nonce, job=[c.job[0][::-1] + "ff"] + c.job[1:])
    assert r["error"][0] == 21, r
    r = c.submit(addr, nonce, en2="123")
    assert r["error"][0] == 20, r
    r = c.submit(addr, nonce, ntime="%08x" % (int(c.job[7], 16) + 3 * 3600))
    assert r["error"][0] == 20, r
    # Version bits without mining.configure.
    r = c.submit(addr, nonce, vbits="00002000")
    assert r["error"][0] == 20, r
    # Low difficulty: a high difficulty applies from the next job; a share
    # of the previous job is still judged by its own.
    old = c.job
    nonce2, _ = c.mine(not_block, start=nonce + 1)
    r = c.call("mining.suggest_difficulty", [1000])
    c.wait_note("mining.notify")
    assert c.diff == 1000
    r = c.submit(addr, nonce2, job=old)
    assert r["result"] is True, r
    # Past the nonces already submitted: the new job may have the same
    # header fields, and a nonce sent before is a duplicate (22), not 23.
    nonce3, _ = c.mine(lambda h, t: h > t and h > DIFF1 // 1000, start=nonce2 + 1)
    r = c.submit(addr, nonce3)
    assert r["error"][0] == 23, r
    # Unknown methods: an error, the connection stays.
    r = c.call("mining.get_transactions", [])
    assert r["error"][0] == 20 and r["result"] is None, r
    assert c.call("mining.ping", [])["result"] == "pong"
    assert c.call("mining.extranonce.subscribe", [])["result"] is True

    # Version rolling: configure before subscribe on a second connection.
    v = Client(pool.stratum_port)
    v.login(addr + ".vr", configure=True)
    assert v.call("mining.suggest_difficulty", [1e-9])["result"] is True
    v.wait_note("mining.notify")
    not_block = v.share_not_block
    n1, _ = v.mine(not_block, version_bits=0x00004000)
    r = v.submit(addr + ".vr", n1, vbits="00004000")
    assert r["result"] is True, r
    # The same nonce with other version bits is another share...
    n2, _ = v.mine(not_block, version_bits=0x00008000, start=n1)
    r = v.submit(addr + ".vr", n2, vbits="00008000")
    assert r["result"] is True or n2 == n1, r
    # ... the same bits again a duplicate; bits outside the mask refused.
    r = v.submit(addr + ".vr", n1, vbits="00004000")
    assert r["error"][0] == 22, r
    r = v.submit(addr + ".vr", n1, vbits="00001000")
    assert r["error"][0] == 20, r
    # configure after subscribe works too.
    r = c.call("mining.configure", [["version-rolling"], {"version-rolling.mask": "00006000"}])
    assert r["result"]["version-rolling.mask"] == "00006000", r
    st = stratum_info(pool)
    w = {w["worker"]: w for w in st["workers"]}
    assert w[addr]["accepted"] == 2 and w[addr]["duplicate"] == 1 and w[addr]["stale"] == 1, w
    assert w[addr]["low_difficulty"] == 1 and w[addr]["invalid"] >= 4, w
    c.close()
    v.close()


@test(60)
def stratum_vardiff_raises_a_fast_miner(net):
    """A miner flooding shares at a tiny difficulty gets a higher one with
    its next job, and shares of the old job keep their difficulty."""
    pool = stratum_node(net, network="demo", extra=["--no-mine"])
    _, addr = net.keystore("miner", network="demo")
    c = Client(pool.stratum_port)
    c.login(addr)
    c.call("mining.suggest_difficulty", [1e-9])
    c.wait_note("mining.notify")
    start = c.diff
    c.notes.clear()
    nonce = 0
    raised = None
    for _ in range(40):
        nonce, _ = c.mine(c.share_not_block, start=nonce + 1)
        r = c.submit(addr, nonce)
        assert r["result"] is True, r
        for m in c.notes:
            if m.get("method") == "mining.set_difficulty":
                raised = m["params"][0]
        if raised:
            break
    assert raised and raised > start * 4, (start, raised)
    c.wait_note("mining.notify")
    assert c.diff == raised
    c.close()


@test(90)
def stratum_bad_input_is_scored_and_disconnected(net):
    """Over-long lines, non-JSON, a flood of submits and a silent
    connection are disconnected; a miner beside them is untouched."""
    pool = stratum_node(net, network="demo", extra=["--no-mine"])
    _, addr = net.keystore("miner", network="demo")
    good = Client(pool.stratum_port)
    good.login(addr)

    def closed(cl, timeout=15):
        cl.sock.settimeout(timeout)
        try:
            while True:
                if not cl.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    longline = Client(pool.stratum_port)
    try:
        longline.send_raw(b"{" + b"x" * (17 * 1024))
    except (ConnectionResetError, BrokenPipeError):
        pass
    assert closed(longline)

    junk = Client(pool.stratum_port)
    answered = 0
    try:
        for _ in range(12):
            junk.send_raw(b"this is not json\n")
    except (ConnectionResetError, BrokenPipeError):
        pass
    try:
        while True:
            m = junk.read_msg()
            assert m["error"][0] == 20, m
            answered += 1
    except (EOFError, ConnectionResetError):
        pass
    assert answered >= 1, "non-JSON is answered before the disconnect"

    flood = Client(pool.stratum_port)
    flood.call("mining.subscribe", [])
    line = (json.dumps({"id": 9, "method": "mining.submit",
                        "params": [addr, "1", "00000000", "00000000", "00000000"]}) + "\n").encode()
    try:
        flood.send_raw(line * 2000)
    except (ConnectionResetError, BrokenPipeError):
        pass
    assert closed(flood)

    silent = socket.create_connection(("127.0.0.1", pool.stratum_port))
    silent.settimeout(20)
    t0 = time.monotonic()
    assert silent.recv(100) == b"", "a connection that never subscribes is dropped"
    assert 5 < time.monotonic() - t0 < 20

    assert good.call("mining.ping", [])["result"] == "pong"
    st = stratum_info(pool)
    d = st["disconnected"]
    assert d["long_line"] >= 1 and d["score"] >= 2 and d["idle"] >= 1, st
    assert st["connections"] == 1, st
    pool.status()
    good.close()


@test(120)
def stratum_holds_1000_idle_connections(net):
    """1,000 subscribed, authorized connections that never submit: all held,
    all sent clean_jobs when the tip moves, and a miner among them still
    mines a block."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1000 + 200
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    pool = stratum_node(net)
    _, addr = net.keystore("miner")
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(1000):
        s = socket.create_connection(("127.0.0.1", pool.stratum_port))
        s.sendall((json.dumps({"id": 1, "method": "mining.subscribe", "params": []}) + "\n" +
                   json.dumps({"id": 2, "method": "mining.authorize",
                               "params": [addr + ".idle%d" % i, ""]}) + "\n").encode())
        s.setblocking(False)
        socks.append(s)
        sel.register(s, selectors.EVENT_READ, i)
    bufs = [b""] * 1000
    jobs = [0] * 1000
    clean_at = [None] * 1000

    def pump(until, pred):
        deadline = time.monotonic() + until
        while time.monotonic() < deadline and not pred():
            for key, _ in sel.select(0.2):
                i = key.data
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                assert data, "connection %d was closed" % i
                bufs[i] += data
                while b"\n" in bufs[i]:
                    line, bufs[i] = bufs[i].split(b"\n", 1)
                    m = json.loads(line)
                    if m.get("method") == "mining.notify":
                        jobs[i] += 1
                        if jobs[i] == 2 and m["params"][8]:
                            clean_at[i] = time.monotonic()
        return pred()

    assert pump(60, lambda: all(j >= 1 for j in jobs)), "every connection gets a job"
    st = stratum_info(pool)
    assert st["connections"] == 1000, st
    miner = Client(pool.stratum_port)
    miner.login(addr + ".real")
    t0 = time.monotonic()
    nonce, _ = miner.mine(lambda h, t: h <= t)
    assert miner.submit(addr + ".real", nonce)["result"] is True
    assert pump(30, lambda: all(c is not None for c in clean_at)), \
        "%d connections got clean_jobs" % sum(c is not None for c in clean_at)
    lat = sorted(c - t0 for c in clean_at)
    print("      clean_jobs to 1000 connections: p50 %.1f ms, p99 %.1f ms (from submit)" %
          (lat[500] * 1000, lat[989] * 1000))
    assert pool.height() == 1
    assert stratum_info(pool)["connections"] == 1001
    for s in socks:
        s.close()
    miner.close()
