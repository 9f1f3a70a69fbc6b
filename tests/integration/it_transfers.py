"""Integration tests of transfers between nodes: submitted at the tracker or
at a node, one at a time or many by `submit -`, relayed in NEW_TXS batches
to every mempool (to a node cut off meanwhile once it is let back in, and
to a node that starts later), mined, and agreed on by every node.

run.py runs TESTS; each entry is (name, time limit in s, function).
"""

import subprocess

import pxnet
from pxnet import SUBSIDY, all_see_tx_confirmed, expect_cli_error, wait_until

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


@test(60)
def transaction_through_tracker(net):
    """A transfer submitted at the tracker reaches every node's mempool, is
    mined, and every node agrees on the balances; a batch handed to the
    tracker by `submit -` reaches every mempool too."""
    tracker = net.tracker("regtest")
    nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(3)]
    wait_until("peers", lambda: all(n.status()["peers"] == 2 for n in nodes), 20)
    alice_key, alice = net.keystore("alice")
    _, bob = net.keystore("bob")
    _, carol = net.keystore("carol")
    nodes[0].generate(1, to=alice)
    tip = nodes[0].tip()
    wait_until("the block everywhere", lambda: all(n.tip() == tip for n in nodes), 15)

    sent = nodes[0].cli("send", "--keystore", alice_key, "--to", bob, "--amount", "12.5",
                        "--fee", "0.00005", "--tracker=" + tracker.endpoint)
    assert sent["via"] == "tracker"
    txid = sent["txid"]
    wait_until("the transfer in every mempool",
               lambda: all(txid in n.mempool_txids() for n in nodes), 15)
    nodes[2].generate(1, to=carol)
    wait_until("the transfer confirmed everywhere", lambda: all_see_tx_confirmed(nodes, txid), 15)
    for n in nodes:
        assert n.balance(alice)["confirmed"] == SUBSIDY - 1_250_000_000 - 5000, n.name
        assert n.balance(bob)["confirmed"] == 1_250_000_000, n.name
        assert n.balance(carol)["confirmed"] == SUBSIDY + 5000, n.name
        assert n.cli("mempool") == [], n.name
    # `submit -` hands the tracker many at once (SUBMIT_TXS); it relays them
    # in NEW_TXS frames; a bad line is reported by its number.
    signed = [net.cli_raw(["--network", "regtest", "createtx", "--keystore", alice_key,
                           "--to", bob, "--amount", "0.00001", "--nonce", str(nonce)])
              for nonce in range(1, 6)]
    lines = [t["hex"] for t in signed[:2]] + ["00" * 10] + [t["hex"] for t in signed[2:]]
    p = subprocess.run([pxnet.CLI, "--network", "regtest", "--tracker", tracker.endpoint,
                        "submit", "-"], input="\n".join(lines) + "\n", capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "(line 3)" in p.stderr, p.stderr
    assert p.stdout.split() == [t["txid"] for t in signed], p.stdout
    want = {t["txid"] for t in signed}
    wait_until("the batch in every mempool",
               lambda: all(want <= n.mempool_txids() for n in nodes), 15)
    # A malformed transaction is refused by the tracker itself.
    expect_cli_error(lambda: nodes[0].cli("submit", "00" * 10, "--tracker=" + tracker.endpoint),
                     1, "not a serialized transaction")


@test(90)
def transfers_relay_in_batches(net):
    """90 transfers handed to one node by one `submit -` (SUBMIT_TXS) reach
    every mempool in NEW_TXS batches, each node dropping its other peers'
    copies by txid; a bad line is reported by its number while the others go
    through; a node cut off while they passed gets them from a peer's
    mempool when let back in, and a node that starts later gets them at
    start."""
    tracker = net.tracker("regtest")
    nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(4)]
    wait_until("peers", lambda: all(n.status()["peers"] == 3 for n in nodes), 20)
    wait_until("every gossip connection up",
               lambda: all(all(p["connected"] for p in n.cli("peers")) for n in nodes), 20)
    keys = [net.keystore("s%d" % i) for i in range(3)]
    _, sink = net.keystore("sink")
    for _, addr in keys:
        nodes[0].generate(1, to=addr)
    tip = nodes[0].tip()
    wait_until("the funding blocks everywhere", lambda: all(n.tip() == tip for n in nodes), 20)
    cut = nodes[3]
    cut.cli("partition", *[o.node_id for o in nodes[:3]])
    for n in nodes[:3]:
        n.cli("partition", cut.node_id)

    signed = []
    for nonce in range(30):
        for path, _ in keys:
            signed.append(net.cli_raw(["--network", "regtest", "createtx", "--keystore", path,
                                       "--to", sink, "--amount", "0.00001",
                                       "--nonce", str(nonce)]))
    lines = [t["hex"] for t in signed[:45]] + ["00" * 10] + [t["hex"] for t in signed[45:]]
    p = subprocess.run([pxnet.CLI, "--network", "regtest", "--node", nodes[0].endpoint,
                        "submit", "-"], input="\n".join(lines) + "\n", capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "(line 46)" in p.stderr and "not a serialized transaction" in p.stderr, p.stderr
    assert p.stdout.split() == [t["txid"] for t in signed], p.stdout
    want = {t["txid"] for t in signed}
    wait_until("the 90 transfers in the connected nodes' mempools",
               lambda: all(want <= n.mempool_txids() for n in nodes[:3]), 20)
    relay = [n.status()["tx_relay"] for n in nodes[:3]]
    assert all(r["txs"] == 90 for r in relay), relay
    assert sum(r["frames"] for r in relay) < sum(r["txs"] for r in relay), relay
    # Nodes 1 and 2 each got every transfer from both of their peers.
    assert sum(r["known_dropped"] for r in relay) >= 90, relay
    assert not cut.mempool_txids(), "the cut let a transaction through"

    for n in nodes:
        n.cli("partition")  # heal
    wait_until("the cut-off node to fetch the transfers",
               lambda: want <= cut.mempool_txids(), 20)
    late = net.node("late", "regtest", tracker)
    wait_until("the late node to fetch the transfers at start",
               lambda: want <= late.mempool_txids(), 20)
    # Submitting them again is harmless: each is answered as known.
    again = subprocess.run([pxnet.CLI, "--network", "regtest", "--node", late.endpoint,
                            "submit", "-"], input="\n".join(t["hex"] for t in signed[:5]),
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == [t["txid"] for t in signed[:5]]
