"""Integration tests of the chain across nodes: convergence on one valid
chain while mining for real, a late joiner's sync, a node's store after
SIGKILL and when the disk is full, and reorgs when a partition heals (a
transfer mined only on the losing branch goes back to the mempools and
reaches nodes that never saw it).

run.py runs TESTS; each entry is (name, time limit in s, function).
"""

import json
import subprocess
import time

import pxnet
from pxnet import (COIN, DEFAULT_FEE, SUBSIDY, all_see_tx_confirmed, check_chain_linkage,
                   same_tip, wait_until)

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


@test(150)
def four_nodes_converge_while_mining(net):
    """Demo network, two of four nodes mining with one thread each: every
    node follows one tip, and every node's chain is valid and the same."""
    tracker = net.tracker("demo")
    nodes = [net.node("n%d" % i, "demo", tracker, mine=i < 2) for i in range(4)]
    wait_until("all four nodes to list 3 peers",
               lambda: all(n.status()["peers"] == 3 for n in nodes), 20)
    wait_until("every node at height >= 30", lambda: min(n.height() for n in nodes) >= 30, 90)
    wait_until("the four nodes on one tip", lambda: same_tip(nodes), 60, interval=0.02)
    # Once more, a few blocks later, with the difficulty climbing.
    target = nodes[0].height() + 5
    wait_until("five more blocks", lambda: min(n.height() for n in nodes) >= target, 90)
    tip = wait_until("the four nodes on one tip again", lambda: same_tip(nodes), 60,
                     interval=0.02)
    statuses = [n.status() for n in nodes]
    assert all(s["hashrate"] > 0 for s in statuses[:2]), "miners report no hashrate"
    # No honest block refused as invalid. Orphans are counted too (a block
    # relayed by one peer may overtake its parent relayed by another), but
    # they are waiting, not refused.
    assert all(set(s["refused"]["blocks"]) <= {"orphan"} for s in statuses), \
        [s["refused"] for s in statuses]
    # Every node's best chain, checked by the node (chain_is_valid_chain)
    # and here (linkage), agrees with the others up to the shorter tip.
    chains = []
    for n in nodes:
        v = n.cli("verifychain")
        assert v["valid"], (n.name, v)
        chains.append(n.getchain())
        check_chain_linkage(chains[-1])
    shortest = min(len(c) for c in chains)
    assert shortest >= 31
    for c in chains[1:]:
        assert [b["hash"] for b in c[:shortest]] == [b["hash"] for b in chains[0][:shortest]]
    # Both miners found blocks.
    miners = {b["data"][0]["to"] for b in chains[0][1:]}
    assert len(miners) >= 2, "only one miner's coinbases in the chain"
    assert tip in [b["hash"] for b in max(chains, key=len)]


@test(90)
def late_joiner_syncs_200_blocks(net):
    """A node that joins after 200 blocks downloads and validates them."""
    tracker = net.tracker("regtest")
    a = net.node("a", "regtest", tracker)
    a.generate(200)
    tip = a.tip()
    b = net.node("late", "regtest", tracker)
    wait_until("the late node at the tip", lambda: b.tip() == tip, 60)
    assert b.height() == 200
    assert b.cli("verifychain")["valid"]
    check_chain_linkage(b.getchain())


@test(90)
def killed_node_resumes_from_store(net):
    """SIGKILL a synced node; restarted alone it has its chain from its
    store; restarted with the network it catches up."""
    tracker = net.tracker("regtest")
    a = net.node("a", "regtest", tracker)
    b = net.node("b", "regtest", tracker)
    a.generate(120)
    tip = a.tip()
    wait_until("b at a's tip", lambda: b.tip() == tip, 30)
    b.proc.kill()
    a.generate(30)
    new_tip = a.tip()
    b.start(with_tracker=False)  # no tracker, no peers: only its store
    st = b.status()
    assert (st["height"], st["tip"]) == (120, tip), st
    assert b.cli("verifychain")["valid"]
    assert b.proc.stop() == 0, "SIGTERM should end the node cleanly"
    b.start()
    wait_until("b catching up after its restart", lambda: b.tip() == new_tip, 30)
    assert b.height() == 150


@test(90)
def generate_stops_on_a_full_disk(net):
    """A node whose store runs out of room refuses the block it cannot keep;
    `generate` says how many blocks it made and why it stopped and keeps
    their hashes; restarted with room, the node has every block it made.
    No room is the kernel's: the node runs under prlimit --fsize, so its
    writes past the limit fail with EFBIG as a full disk's fail with ENOSPC
    (a small file system would need a mount, which needs root)."""
    node = net.node("full", "regtest", start=False)
    node.proc = net._spawn(node.name, ["prlimit", "--fsize=%d" % (160 * 1024), "--"]
                           + node.argv())
    wait_until("the limited node to answer", lambda: node.status(timeout_ms=1000), 20)
    base = [pxnet.CLI, "--network", "regtest", "--node", node.endpoint]
    r = subprocess.run(base[:1] + ["--json"] + base[1:] + ["generate", "100"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    out = json.loads(r.stdout)
    made = out["made"]
    assert out["asked"] == 100 and 1 <= made < 100, out
    assert len(out["hashes"]) == made, out
    assert out["error"]["code"] == -10, out  # ERR_FULL
    want = ("generated %d of 100 blocks; stopped: the node could not store block %d "
            "(height %d): disk full" % (made, made + 1, made + 1))
    assert want in r.stderr, r.stderr
    assert node.proc.alive(), "the node died of the full disk"
    st = node.status()
    assert (st["height"], st["tip"]) == (made, out["hashes"][-1]), st
    # Still no room: nothing made, and the text output says why.
    r = subprocess.run(base + ["generate", "5"], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (1, ""), (r.returncode, r.stdout, r.stderr)
    assert "could not store block 1 (height %d): disk full" % (made + 1) in r.stderr, r.stderr
    with open(node.proc.log_path, errors="replace") as f:
        assert "no room on the disk" in f.read()
    # Restarted without the limit: every block it made, and room for more.
    assert node.proc.stop() == 0
    node.start()
    st = node.status()
    assert (st["height"], st["tip"]) == (made, out["hashes"][-1]), st
    node.generate(3)
    assert node.height() == made + 3
    assert node.cli("verifychain")["valid"]


@test(120)
def partition_and_heal(net):
    """Two groups cut apart (rpc partition) mine separately; healed, all
    converge on the branch with more work, and the transfer mined only on
    the losing branch returns to the mempools and gets mined again."""
    tracker = net.tracker("regtest")
    nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(4)]
    wait_until("peers", lambda: all(n.status()["peers"] == 3 for n in nodes), 20)
    left, right = nodes[:2], nodes[2:]
    alice_key, alice = net.keystore("alice")
    _, bob = net.keystore("bob")
    nodes[0].generate(2, to=alice)
    base = nodes[0].tip()
    wait_until("the funding blocks everywhere", lambda: all(n.tip() == base for n in nodes), 20)

    for group, other in ((left, right), (right, left)):
        for n in group:
            n.cli("partition", *[o.node_id for o in other])

    # Right: a transfer, mined in 2 blocks. Left: 4 empty blocks (more work).
    txid = right[0].cli("send", "--keystore", alice_key, "--to", bob, "--amount", "3")["txid"]
    wait_until("the transfer in the right group's mempools",
               lambda: all(txid in n.mempool_txids() for n in right), 15)
    right[0].generate(2)
    right_tip = right[0].tip()
    left[0].generate(4)
    left_tip = left[0].tip()
    wait_until("each group on its own tip",
               lambda: all(n.tip() == right_tip for n in right) and
               all(n.tip() == left_tip for n in left), 20)
    assert all(n.tx(txid)["status"] == "confirmed" for n in right)
    assert all(n.tx(txid)["status"] == "unknown" for n in left), "the cut let a transaction through"
    assert right[1].balance(bob)["confirmed"] == 3 * COIN

    for n in nodes:
        n.cli("partition")  # heal
    wait_until("every node on the heavier branch", lambda: all(n.tip() == left_tip for n in nodes), 30)
    assert all(n.height() == 6 for n in nodes)
    for n in right:
        t = n.tx(txid)
        assert t["status"] == "pending", (n.name, t)
    assert right[1].balance(bob) == {"address": bob, "confirmed": 0, "pending_incoming": 3 * COIN,
                                     "pending_outgoing": 0, "available": 0, "nonce": 0}
    right[1].generate(1)
    wait_until("the returned transfer mined and seen everywhere",
               lambda: all_see_tx_confirmed(nodes, txid), 20)
    for n in nodes:
        assert n.balance(bob)["confirmed"] == 3 * COIN, n.name
        assert n.balance(alice)["confirmed"] == 2 * SUBSIDY - 3 * COIN - DEFAULT_FEE, n.name
        assert n.cli("verifychain")["valid"], n.name


@test(90)
def reorg_returned_transfer_reaches_nodes_that_never_saw_it(net):
    """A transfer mined only on a losing branch, by a node cut off from the
    rest, goes back to that node's mempool when it reorgs, and out to its
    peers: the others, which never saw it, get it and can mine it."""
    tracker = net.tracker("regtest")
    nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(3)]
    wait_until("peers", lambda: all(n.status()["peers"] == 2 for n in nodes), 20)
    a, b, c = nodes
    alice_key, alice = net.keystore("alice")
    _, bob = net.keystore("bob")
    a.generate(2, to=alice)
    base = a.tip()
    wait_until("the funding blocks everywhere", lambda: all(n.tip() == base for n in nodes), 20)
    a.cli("partition", b.node_id, c.node_id)
    b.cli("partition", a.node_id)
    c.cli("partition", a.node_id)

    txid = a.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "2")["txid"]
    a.generate(1)
    assert a.tx(txid)["status"] == "confirmed"
    b.generate(3)
    heavy = b.tip()
    wait_until("c on b's branch", lambda: c.tip() == heavy, 20)
    assert b.tx(txid)["status"] == "unknown" and c.tx(txid)["status"] == "unknown"

    # b lets a back in first and fetches a's mempool, which is empty: the
    # transfer is inside a's block. c never lets a in.
    b.cli("partition")
    time.sleep(1)
    assert txid not in b.mempool_txids()
    a.cli("partition")
    wait_until("a reorgs onto the heavier branch", lambda: a.tip() == heavy, 30)
    assert a.tx(txid)["status"] == "pending", a.tx(txid)
    wait_until("the returned transfer relayed by a, then by b to c",
               lambda: txid in b.mempool_txids() and txid in c.mempool_txids(), 20)
    c.generate(1)
    wait_until("mined by a node that never saw it before",
               lambda: all_see_tx_confirmed(nodes, txid), 20)
