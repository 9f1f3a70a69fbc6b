"""Integration tests of how nodes find and keep each other: a peer that
stops answering, a tracker of another network, one that goes down and comes
back, one whose key changed or is not the pinned one, the node's key kept
across restarts, and pickaxe-node's defaults (ports in use refused, the
network's tracker on 127.0.0.1, a mining node alone warned).

run.py runs TESTS; each entry is (name, time limit in s, function).
"""

import os
import shutil
import signal
import subprocess

import pxnet
from pxnet import all_see_tx_confirmed, expect_cli_error, wait_until

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


@test(120)
def peers_show_a_stopped_peer_unresponsive(net):
    """A peer stopped with SIGSTOP keeps its TCP connections, so it still
    looks connected; the node's next request to it times out and `peers`
    says it is unresponsive (json, text), until it answers again."""
    tracker = net.tracker("regtest")
    a = net.node("a", "regtest", tracker)
    b = net.node("b", "regtest", tracker)
    wait_until("a and b to see each other",
               lambda: a.status()["peers"] == 1 and b.status()["peers"] == 1, 20)

    def peer_b():
        peers = [p for p in a.cli("peers") if p["id"] == b.node_id]
        return peers[0] if peers else None

    wait_until("a to have an answer from b (its tip polls)",
               lambda: peer_b()["responsive"] and peer_b()["last_answer_age_s"] is not None, 20)
    b.proc.signal(signal.SIGSTOP)
    try:
        # a asks each peer for its tip every few seconds; b's silence costs
        # it the request timeout (about 2 s).
        wait_until("b shown unresponsive", lambda: peer_b()["responsive"] is False, 30)
        p = peer_b()
        assert p["connected"] is True and p["banned"] is False, p
        assert isinstance(p["last_answer_age_s"], int) and p["last_answer_age_s"] >= 0, p
        rc, out, err = net.cli_text(["--network", "regtest", "--node", a.endpoint, "peers"])
        line = [ln for ln in out.splitlines() if ln.startswith(b.node_id)]
        assert rc == 0 and line and "unresponsive" in line[0] and "connected" not in line[0], out
        # a itself is fine: it answers and its main loop turns.
        st = a.status()
        assert st["busy"] is False and st["main_loop"]["turn_age_ms"] < 3000, st
    finally:
        b.proc.signal(signal.SIGCONT)
    # a does not ask a silent peer again for 30 s (sync.c), then b answers.
    wait_until("b responsive again", lambda: peer_b()["responsive"] is True, 60)
    assert peer_b()["last_answer_age_s"] < 10


@test(30)
def node_at_a_tracker_of_another_network(net):
    """A regtest node pointed at a demo tracker learns why it cannot join, and
    both logs say so in the same words, not "bad reply"."""
    tracker = net.tracker("demo")
    node = net.node("lost", "regtest", tracker)
    says = "tracker is on demo, this node on regtest"
    wait_until("both logs to say why",
               lambda: says in tracker.proc.tail(10000) and says in node.proc.tail(10000), 15)
    assert "bad reply" not in node.proc.tail(10000), node.proc.tail(20)
    assert tracker.peers() == []
    assert node.status()["peers"] == 0


@test(60)
def node_defaults_checks_ports_and_warns_alone(net):
    """pickaxe-node with its defaults: a port in use is refused before the
    data directory, keystore or store exist; without --tracker it joins the
    network's tracker on 127.0.0.1 (as the wallet does), and a mining node
    with no peers says so at every status line."""
    node = net.node("first")
    clash = os.path.join(net.dir, "clash")
    r = subprocess.run([pxnet.NODE, "--network", "regtest", "--listen", "127.0.0.1:%d" % node.port,
                        "--data-dir", clash], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "127.0.0.1:%d (the request port) is in use" % node.port in r.stderr, r.stderr
    assert not os.path.exists(clash), "the data directory was made anyway"
    # The gossip port (PORT+1, or --gossip-port) is checked too.
    r = subprocess.run([pxnet.NODE, "--network", "regtest", "--listen",
                        "127.0.0.1:%d" % pxnet.free_port_pair(), "--gossip-port", str(node.port),
                        "--data-dir", clash], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "(the gossip port) is in use" in r.stderr, (r.returncode, r.stderr)
    assert not os.path.exists(clash), "the data directory was made anyway"

    # Without --tracker: the network's tracker on this machine (--no-mine,
    # so whatever listens there now cannot change what this test sees).
    port = pxnet.free_port_pair()
    dflt = net._spawn("default", [pxnet.NODE, "--network", "regtest", "--listen",
                                  "127.0.0.1:%d" % port, "--no-mine",
                                  "--data-dir", os.path.join(net.dir, "default")])
    wait_until("the default tracker in the log",
               lambda: "tracker tcp://127.0.0.1:28320" in dflt.tail(50), 20)
    dflt.stop()
    # A mining node whose tracker does not answer: warned at every status line
    # (read in the whole log: on regtest it mines hundreds of blocks a second).
    port = pxnet.free_port_pair()
    alone = net._spawn("alone", [pxnet.NODE, "--network", "regtest", "--listen", "127.0.0.1:%d" % port,
                                 "--tracker", "tcp://127.0.0.1:%d" % pxnet.free_port_pair(),
                                 "--data-dir", os.path.join(net.dir, "alone"), "--threads", "1",
                                 "--status-interval", "1"])
    wait_until("the warning, twice",
               lambda: alone.tail(1000000).count("MINING ALONE: 0 peers") >= 2, 20)


@test(90)
def tracker_down_and_back(net):
    """With the tracker killed, nodes keep making and gossiping blocks (and
    relaying transactions); when it is back every node registers again."""
    tracker = net.tracker("regtest", peer_timeout=3)
    nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(3)]
    ids = {n.node_id for n in nodes}
    wait_until("three peers at the tracker",
               lambda: {p["id"] for p in tracker.peers()} == ids, 20)
    alice_key, alice = net.keystore("alice")
    _, bob = net.keystore("bob")
    tracker.proc.kill()
    expect_cli_error(tracker.peers, 1, "nothing listens on %s (connection refused); "
                     "is the tracker running?" % tracker.endpoint)

    nodes[0].generate(3, to=alice)
    tip = nodes[0].tip()
    wait_until("blocks gossiped without the tracker", lambda: all(n.tip() == tip for n in nodes), 20)
    txid = nodes[1].cli("send", "--keystore", alice_key, "--to", bob, "--amount", "0.00001")["txid"]
    wait_until("a transfer gossiped without the tracker",
               lambda: all(txid in n.mempool_txids() for n in nodes), 20)
    nodes[2].generate(1)
    wait_until("it is mined and seen everywhere", lambda: all_see_tx_confirmed(nodes, txid), 20)

    tracker.start()  # same port, empty table
    wait_until("every node registered again",
               lambda: {p["id"] for p in tracker.peers()} == ids, 30, interval=0.2)
    assert all(n.status()["peers"] == 2 for n in nodes)
    nodes[1].generate(1)
    tip = nodes[1].tip()
    wait_until("gossip after the tracker's return", lambda: all(n.tip() == tip for n in nodes), 20)


@test(60)
def keys_are_kept_and_the_tracker_is_pinned(net):
    """A node's key file is mode 0600 and the same after a restart (so is the
    peer); a node refuses a tracker whose key changed, with both keys in its
    log, and a wrong pinned key the same way."""
    tracker = net.tracker("regtest")
    a = net.node("a", "regtest", tracker)
    key_path = os.path.join(a.data_dir, "identity.key")
    assert oct(os.stat(key_path).st_mode & 0o777) == "0o600"
    key = a.status()["key"]
    assert a.status()["node_id"] == key[:16]
    wait_until("a registered", lambda: [p["key"] for p in tracker.peers()] == [key], 20)
    assert a.proc.stop() == 0
    a.start()
    assert a.status()["key"] == key, "a restarted node is the same peer"
    known = os.path.join(a.data_dir, "known_trackers")
    with open(known) as f:
        line = f.read().split()
    assert line[0] == tracker.endpoint and len(line[1]) == 64, line

    # The tracker comes back with another key on the same port.
    tracker.proc.kill()
    shutil.rmtree(tracker.data_dir)
    tracker.start()
    assert a.proc.stop() == 0
    a.start()
    says = "tracker %s presents key" % tracker.endpoint
    wait_until("the node to refuse the changed key",
               lambda: says in a.proc.tail(10000) and known in a.proc.tail(10000), 15)
    assert tracker.peers() == [], "nothing was sent to it"

    # A pinned key that is not the tracker's is refused too.
    b = net.node("b", "regtest", None, extra=("--tracker", tracker.endpoint + "#" + "ab" * 32))
    wait_until("b to refuse it", lambda: "not the pinned" in b.proc.tail(10000), 15)
    assert tracker.peers() == []
