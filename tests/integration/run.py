#!/usr/bin/env python3
"""Integration tests: real pickaxe-tracker and pickaxe-node processes on
127.0.0.1 (free ports, temporary data directories), driven only through
pickaxe-cli --json.

Each test gets a fresh pxnet.Net, a hard time limit (SIGALRM), and cleanup of
every process it started whatever happens. Deterministic tests use the
regtest network without mining (--no-mine) and make blocks with `generate`;
only the test about mining mines for real (demo network, one thread on two
nodes). Waiting is polling with deadlines.

Usage: run.py [-k SUBSTRING] [-v]   (-v prints the processes' logs on
failure; they are printed anyway for a failed test's last lines)
Prints one line per test and ends with "N passed, N failed"; exits 1 when
anything failed. scripts/run-tests.sh runs it.
"""

import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pxnet  # noqa: E402
import testnet_it  # noqa: E402
from pxnet import (COIN, DEFAULT_FEE, SUBSIDY, CliError, Net, check_chain_linkage,  # noqa: E402
                   same_tip, wait_until)

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


# The wallet service's HTTP tests live in their own file.
import wallet_http  # noqa: E402
wallet_http.register(test)


def expect_cli_error(fn, status=1, contains=None):
    try:
        fn()
    except CliError as e:
        assert e.status == status, "exit %d, wanted %d: %s" % (e.status, status, e.stderr)
        if contains:
            assert contains in e.stderr, "%r not in %r" % (contains, e.stderr)
        return e
    raise AssertionError("pickaxe-cli succeeded where it should have failed")


def all_see_tx_confirmed(nodes, txid):
    return all(n.tx(txid)["status"] == "confirmed" for n in nodes)


# ---- tests ---------------------------------------------------------------------


@test(60)
def cli_against_one_node(net):
    """Every cli command against one regtest node: keystores, generate,
    balances, send, tx states, blocks, chain, errors and exit codes."""
    node = net.node("solo")
    alice_key, alice = net.keystore("alice")
    assert oct(os.stat(alice_key).st_mode & 0o777) == "0o600"
    again = net.cli_raw(["--network", "regtest", "newaddress", "--keystore", alice_key])
    assert again == {"address": alice, "keystore": alice_key, "created": False}
    rc, out, err = net.cli_text(["--network", "regtest", "newaddress", "--keystore", alice_key])
    assert rc == 0 and out.strip() == alice and "one key, so one address" in err, (rc, out, err)
    _, bob = net.keystore("bob")

    st = node.status()
    for key in ("network", "height", "tip", "work", "peers", "mempool", "hashrate", "refused",
                "busy", "main_loop"):
        assert key in st, key
    assert st["network"] == "regtest" and st["height"] == 0
    assert st["refused"] == {"blocks": {}, "transactions": {}}
    loop = st["main_loop"]
    assert st["busy"] is False and set(loop) == {"turn_age_ms", "longest_turn_ms", "where"}, st
    assert 0 <= loop["turn_age_ms"] <= loop["longest_turn_ms"] and loop["where"], loop

    hashes = node.generate(3, to=alice)
    assert len(hashes) == 3 and node.tip() == hashes[-1]
    b = node.balance(alice)
    assert b == {"address": alice, "confirmed": 3 * SUBSIDY, "pending_incoming": 0,
                 "pending_outgoing": 0, "available": 3 * SUBSIDY, "nonce": 0}, b

    sent = node.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "1.5")
    txid = sent["txid"]
    assert sent["amount"] == 150_000_000 and sent["fee"] == DEFAULT_FEE and sent["nonce"] == 0
    assert sent["from"] == alice and sent["to"] == bob and sent["via"] == "node"
    assert node.tx(txid)["status"] == "pending"
    assert txid in node.mempool_txids()
    b = node.balance(alice)
    assert b["pending_outgoing"] == 150_000_000 + DEFAULT_FEE and b["pending_incoming"] == 0
    assert b["available"] == 3 * SUBSIDY - 150_000_000 - DEFAULT_FEE and b["nonce"] == 1
    assert b["confirmed"] == 3 * SUBSIDY
    b = node.balance(bob)
    assert (b["pending_incoming"], b["pending_outgoing"], b["available"]) == (150_000_000, 0, 0), b
    rc, out, _ = net.cli_text(["--network", "regtest", "--node", node.endpoint, "balance", alice])
    assert rc == 0 and "pending      -1.50010000 coins outgoing (150010000 units)" in out, out
    assert "pending      +0.00000000 coins incoming (0 units)" in out, out

    # A second send uses the next nonce from the mempool; amounts are coins,
    # down to a base unit (0.00000001).
    txid2 = node.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "0.00001",
                     "--fee", "0.00002")["txid"]
    assert node.tx(txid2)["tx"]["nonce"] == 1
    node.generate(1)
    t = node.tx(txid)
    assert t["status"] == "confirmed" and t["height"] == 4 and t["confirmations"] == 1
    assert node.balance(bob)["confirmed"] == 150_000_000 + 1000
    after = node.cli("balance-after", alice, txid)
    assert after["balance"] == 3 * SUBSIDY - 150_000_000 - DEFAULT_FEE

    blk = node.cli("getblock", "4")
    for key in ("blockId", "hash", "previousHash", "previousBlockIndex", "blockHeight",
                "merkleRoot", "timestamp", "nonce", "data", "version", "bits", "raw"):
        assert key in blk, key
    assert blk["blockHeight"] == 4 and len(blk["data"]) == 3
    assert blk["data"][0]["type"] == "coinbase"
    assert blk["data"][0]["amount"] == SUBSIDY + DEFAULT_FEE + 2000
    assert node.cli("getblock", blk["hash"])["raw"] == blk["raw"]
    chain = node.getchain()
    assert check_chain_linkage(chain) == node.tip() and len(chain) == 5
    assert [b["blockHeight"] for b in node.cli("getchain", "--oldest-first", "--from", "1",
                                               "--limit", "2")] == [1, 2]
    # As bitcoin-cli users expect: the newest first, from the tip or a height.
    assert [b["blockHeight"] for b in node.cli("getchain", "--limit", "3")] == [4, 3, 2]
    assert [b["blockHeight"] for b in node.cli("getchain", "--from", "2", "--limit", "5")] == [2, 1, 0]
    assert node.cli("verifychain")["valid"] is True
    h = node.cli("history", alice, "--limit", "3")
    assert (h["total"], h["pending"], h["pages"]) == (5, 0, 2), h
    assert [(i["direction"], i["type"], i["height"]) for i in h["items"]] == \
        [("out", "transfer", 4), ("out", "transfer", 4), ("in", "coinbase", 3)], h
    assert node.cli("history", alice, "--limit", "3", "--page", "2")["items"][-1]["height"] == 1
    assert node.cli("history", bob)["items"][0]["confirmations"] == 1

    # A transfer signed offline, submitted as hex; then replayed (refused).
    signed = node.cli("createtx", "--keystore", alice_key, "--to", bob, "--amount",
                      "0.00000007", "--nonce", "2")
    assert node.cli("submit", signed["hex"])["txid"] == signed["txid"]
    node.generate(1)
    expect_cli_error(lambda: node.cli("submit", signed["hex"]), 1, "nonce")
    assert node.tx(signed["txid"])["status"] == "confirmed"

    # Readable output: amounts in coins with 8 decimals and in base units.
    base = ["--network", "regtest", "--node", node.endpoint]
    rc, out, _ = net.cli_text(base + ["balance", bob])
    assert rc == 0 and "1.50001007 coins (150001007 units)" in out, out
    for args, words in ((["status"], ["height", "tip", "peers", "mempool", "refused blk",
                                      "difficulty   1.00 (bits ",
                                      "main loop    turning"]),
                        (["getblock", "1"], ["block", "previous", "merkle root", "coinbase",
                                             "version      0x00000001\n"]),
                        (["getchain", "--limit", "2"], ["       5  ", "       4  "]),
                        (["tx", txid], ["confirmed in block 4"]),
                        (["history", bob, "--limit", "2"],
                         ["3 transactions (0 pending), page 1 of 2",
                          "1 conf. (block 5)          +0.00000007 from",
                          alice + " " + signed["txid"] + " (fee 0.00010000)"]),
                        (["mempool"], ["0 pending transactions"]),
                        (["peers"], ["no peers"]),
                        (["verifychain"], ["valid: 6 blocks"]),
                        (["send", "--help"], ["usage: pickaxe-cli", "2 is two coins",
                                              "The fee defaults to 0.0001 coin."]),
                        (["--help"], ["commands:", "exit status"]),
                        (["--version"], ["pickaxe-cli "])):
        rc, out, err = net.cli_text(base + args)
        assert rc == 0, (args, err)
        for w in words:
            assert w in out, (args, w, out)

    # Errors: the node's message and exit 1; bad input exit 2; no node exit 1.
    expect_cli_error(lambda: node.cli("getblock", "999"), 1, "pickaxe-cli: no such block")
    expect_cli_error(lambda: node.cli("balance", "pxrt1qqqq"), 2)
    expect_cli_error(lambda: node.cli("send", "--keystore", alice_key, "--to", bob,
                                      "--amount", "1000000"), 1, "not enough")
    # Amounts as amount.c refuses them, after the flag's name; exit 2, nothing sent.
    for amount, why in (("1.123456789", "--amount has more than 8 decimal places"),
                        ("-1", "--amount must be positive"),
                        ("1e3", "--amount is not a number of coins"),
                        ("0", "--amount must be more than zero"),
                        ("21000001", "--amount is more than the 21,000,000 coins")):
        expect_cli_error(lambda: node.cli("send", "--keystore", alice_key, "--to", bob,
                                          "--amount", amount), 2, why)
    expect_cli_error(lambda: node.cli("send", "--keystore", alice_key, "--to", bob,
                                      "--amount", "1", "--fee", "0.000000001"), 2,
                     "--fee has more than 8 decimal places")
    # A plain number is coins, as bitcoin-cli reads it.
    two = node.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "2")
    assert two["amount"] == 2 * COIN and node.tx(two["txid"])["tx"]["amount"] == 2 * COIN
    expect_cli_error(lambda: node.cli("status", "--limit", "3"), 2, "does not take --limit")
    expect_cli_error(lambda: net.cli_raw(["--network", "demo", "--node", node.endpoint, "status"]),
                     1, "regtest network, not demo")
    # Nothing listens there: said at once, not after the timeout.
    absent = "tcp://127.0.0.1:%d" % pxnet.free_port_pair()
    t0 = time.monotonic()
    expect_cli_error(lambda: net.cli_raw(["--network", "regtest", "--node", absent, "status"]),
                     1, "pickaxe-cli: nothing listens on %s (connection refused); "
                        "is the node running?" % absent)
    assert time.monotonic() - t0 < 5, "gave up too late"


@test(60)
def cli_tells_a_stopped_node_from_no_node(net):
    """A node that takes connections but does not answer (SIGSTOP) is told
    apart from a port where nothing listens, and the timeout is said in
    seconds; once it runs again it answers, and once it is gone nothing
    listens."""
    node = net.node("sleepy")
    node.proc.signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        e = expect_cli_error(lambda: node.cli("status", timeout_ms=2000), 1,
                             "no answer from %s within 2 s" % node.endpoint)
        assert "the node is running but does not answer" in e.stderr, e.stderr
        assert "nothing listens" not in e.stderr, e.stderr
        assert time.monotonic() - t0 < 15, "gave up too late"
        # Another query: the same, explained the same way.
        e = expect_cli_error(lambda: node.cli("peers", timeout_ms=1000), 1, "within 1 s")
        assert "the node is running but does not answer" in e.stderr, e.stderr
    finally:
        node.proc.signal(signal.SIGCONT)
    st = node.status()
    assert st["busy"] is False, st
    # It was stopped while idle, waiting for its inbox: an idle spell is no
    # turn (loopwatch.h), so the record shows a healthy loop again.
    wait_until("a short turn again", lambda: node.status()["main_loop"]["turn_age_ms"] < 1000, 10)
    node.proc.stop()
    expect_cli_error(lambda: node.cli("status"), 1, "nothing listens on %s" % node.endpoint)


@test(60)
def cli_tells_a_stuck_main_loop(net):
    """A main loop that holds the node lock for seconds (the regtest
    `stall` switch stands in for a chain operation that does not end):
    status still answers, busy, with how long the loop has not turned and
    where; the node logs it; the cli says "the node is running but its main
    loop has not turned for N s (stuck in ...)", for status and for a query
    that waits for the lock in vain; afterwards all is well again."""
    node = net.node("stuck")
    assert node.cli("stall", "6000") == {"stall_ms": 6000}
    wait_until("status to answer busy", lambda: node.status()["busy"], 10)
    wait_until("the turn to pass 3 s",
               lambda: node.status()["main_loop"]["turn_age_ms"] > 3500, 10)
    st = node.status()
    assert st["busy"] is True and "height" not in st, st
    assert st["main_loop"]["where"] == "test: stalled (rpc stall)", st
    assert st["main_loop"]["longest_turn_ms"] >= st["main_loop"]["turn_age_ms"], st
    assert st["network"] == "regtest" and st["node_id"] == node.node_id, st
    base = ["--network", "regtest", "--node", node.endpoint]
    rc, out, err = net.cli_text(base + ["status"])
    assert rc == 1 and "main loop    STUCK: no turn for" in out, (rc, out, err)
    assert "the node is running but its main loop has not turned for" in err, err
    assert '(stuck in "test: stalled (rpc stall)")' in err, err
    # Any other query waits a second for the lock, then is refused: busy.
    e = expect_cli_error(lambda: node.cli("peers"), 1,
                         "pickaxe-cli: the node is running but its main loop has not turned for")
    assert '(stuck in "test: stalled (rpc stall)")' in e.stderr, e.stderr
    wait_until("the node to log it",
               lambda: "main loop stuck: no turn for" in node.proc.tail(50), 10)
    wait_until("the loop to turn again", lambda: not node.status()["busy"], 15)
    wait_until("its end logged", lambda: "main loop turning again" in node.proc.tail(50), 10)
    st = node.status()
    assert st["main_loop"]["longest_turn_ms"] >= 5000, st["main_loop"]
    assert node.cli("peers") == []
    expect_cli_error(lambda: node.cli("stall", "0"), 2)


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
    # A mining node whose tracker does not answer: warned at every status line.
    port = pxnet.free_port_pair()
    alone = net._spawn("alone", [pxnet.NODE, "--network", "regtest", "--listen", "127.0.0.1:%d" % port,
                                 "--tracker", "tcp://127.0.0.1:%d" % pxnet.free_port_pair(),
                                 "--data-dir", os.path.join(net.dir, "alone"), "--threads", "1",
                                 "--status-interval", "1"])
    wait_until("the warning, twice",
               lambda: alone.tail(200).count("MINING ALONE: 0 peers") >= 2, 20)


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
        assert "demo:   | " in read(), read()
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


@test(90)
def impersonation_is_refused(net):
    """pickaxe-adversary registering under honest nodes' gossip endpoints with
    fresh keys: the tracker refuses every attempt, the honest nodes stay
    registered and unbanned everywhere, and their blocks still relay."""
    tracker = net.tracker("regtest")
    nodes = [net.node("n%d" % i, "regtest", tracker) for i in range(3)]
    keys = {n.status()["key"] for n in nodes}
    wait_until("three peers at the tracker", lambda: {p["key"] for p in tracker.peers()} == keys, 20)
    stats_path = os.path.join(net.dir, "impostor.json")
    net._spawn("adversary", [ADVERSARY, "--network", "regtest", "--tracker", tracker.endpoint,
                             "--attacks", "impersonate", "--stats", stats_path])

    def tried():
        try:
            with open(stats_path) as f:
                return json.load(f)["impersonate"]
        except (OSError, ValueError, KeyError):
            return None
    wait_until("impersonation attempts", lambda: (tried() or {}).get("tried", 0) >= 6, 30)
    imp = tried()
    assert imp["accepted"] == 0 and imp["refused"] >= 6, imp
    listed = {p["key"]: p for p in tracker.peers()}
    for n in nodes:
        assert n.status()["key"] in listed, "%s was evicted" % n.name
    gossip = {listed[k]["gossip"] for k in keys}
    for n in nodes:
        for p in n.cli("peers"):
            if p["key"] in keys:
                assert not p["banned"], (n.name, p)
            assert p["key"] in keys or p["gossip"] not in gossip, "an impostor holds %s" % p["gossip"]
    nodes[0].generate(2)
    tip = nodes[0].tip()
    wait_until("the honest blocks relayed", lambda: all(n.tip() == tip for n in nodes), 20)
    for n in nodes[1:]:
        p = [p for p in n.cli("peers") if p["id"] == nodes[0].node_id][0]
        assert p["messages"] > 0 and not p["banned"], p


# ---- runner ----------------------------------------------------------------------

class TestTimeout(Exception):
    pass


_live_nets = []


ADVERSARY = os.path.join(pxnet.BUILD, "pickaxe-adversary")


def _refusals(nodes):
    """Every node's refusal tallies merged: reason -> count, for blocks,
    transactions and requests together."""
    seen = {}
    for n in nodes:
        st = n.status()
        for tally in (st["refused"]["blocks"], st["refused"]["transactions"],
                      st.get("requests_refused", {})):
            for reason, count in tally.items():
                seen[reason] = seen.get(reason, 0) + count
    return seen


def _tx_refusals(nodes):
    """Every node's transaction refusal tally merged: reason -> count. A
    transaction kind's reason must show here, not merely among blocks
    ("malformed" is both a block's and a NEW_TXS item's reason)."""
    seen = {}
    for n in nodes:
        for reason, count in n.status()["refused"]["transactions"].items():
            seen[reason] = seen.get(reason, 0) + count
    return seen


def _taken(nodes, txids):
    """The txids that some node holds pending or confirmed."""
    taken = set()
    for txid in txids:
        for n in nodes:
            if n.tx(txid)["status"] in ("pending", "confirmed"):
                taken.add(txid)
                break
    return taken


STATUS_SLOW_S = 2.0  # a status answer slower than this means a stuck node


@test(150)
def adversary_every_attack_refused(net):
    """Three honest regtest nodes mining (a block every ~0.3 s, in turn,
    with `generate`) and pickaxe-adversary running every attack kind: every
    kind is sent and refused with its own reason (a transaction kind's, tx-
    and txs- ones included, among the nodes' transaction refusals), the
    adversary comes back under new identities when banned, the honest chain
    keeps growing, a valid transfer sent in one NEW_TXS frame behind an
    invalid one is still taken, and afterwards no node holds an attack
    block or transaction and every node's chain passes chain_is_valid_chain
    (verifychain).

    orphan-storm sends valid blocks in the order that once froze a node
    (competing branches, newest first, their root last); the run lasts
    until the nodes have taken at least three storms (the adversary sees
    each storm's long branch on the chain it syncs from them), and all the
    while every node answers `status` within STATUS_SLOW_S and keeps
    growing its chain, and the honest miners' blocks keep landing on it."""
    import json
    import threading
    tracker = net.tracker("regtest")
    nodes = [net.node("honest%d" % i, "regtest", tracker) for i in range(3)]
    _, honest_addr = net.keystore("honest")
    nodes[0].generate(12)
    wait_until("the nodes to share 12 blocks", lambda: same_tip(nodes) and nodes[2].height() == 12, 20)
    stats_path = os.path.join(net.dir, "adversary.json")
    net._spawn("adversary", [ADVERSARY, "--network", "regtest", "--tracker", tracker.endpoint,
                             "--attacks", "all", "--rate", "25", "--stats", stats_path])

    def stats():
        try:
            with open(stats_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    stop = threading.Event()
    generated = [0]
    mining_errors = []

    def mine():
        i = 0
        while not stop.is_set():
            try:
                # A bounded wait, so that a stuck node fails the test soon.
                nodes[i % 3].cli("generate", "1", "--to", honest_addr, timeout_ms=10000)
                generated[0] += 1
            except Exception as e:  # reported below; the loop goes on
                mining_errors.append(str(e))
            i += 1
            stop.wait(0.3)

    # Every node's status, polled all along: how long each answer took,
    # the failures, and the heights seen.
    slowest = {n.name: 0.0 for n in nodes}
    status_errors = []
    heights = {n.name: [] for n in nodes}

    def poll():
        while not stop.is_set():
            for n in nodes:
                t0 = time.monotonic()
                try:
                    h = n.status(timeout_ms=int(3 * STATUS_SLOW_S * 1000))["height"]
                    heights[n.name].append((t0, h))
                except Exception as e:  # reported below; the loop goes on
                    status_errors.append("%s: %s" % (n.name, e))
                slowest[n.name] = max(slowest[n.name], time.monotonic() - t0)
            stop.wait(0.2)

    started = time.monotonic()
    miner = threading.Thread(target=mine)
    poller = threading.Thread(target=poll)
    miner.start()
    poller.start()
    try:
        kinds = wait_until("the adversary's stats", stats, 20)["kinds"]
        expected = {k["reason"] for k in kinds.values()}
        expected_tx = {k["reason"] for name, k in kinds.items() if name.startswith("tx")}
        for name in ("txs-bad-txid", "txs-malformed", "txs-mixed", "orphan-storm"):
            assert name in kinds, "%s is not in --attacks all" % name
        assert kinds["orphan-storm"]["valid"] is True
        # Valid transfers sent beside invalid ones in one frame (txs-mixed):
        # a node that gave up on the frame at its bad item never takes them.
        valid_taken = set()

        def missing_reasons():
            return sorted((expected - set(_refusals(nodes))) |
                          {"%s (as a transaction)" % r
                           for r in expected_tx - set(_tx_refusals(nodes))})

        def assert_live():
            # A stuck node fails the test at once, not at the deadline.
            assert not status_errors, "a node stopped answering: %s" % status_errors[:3]
            for name, took in slowest.items():
                assert took < STATUS_SLOW_S, "%s took %.2f s to answer status" % (name, took)

        def all_refused():
            assert_live()
            st = stats()
            unsent = [name for name, k in st["kinds"].items() if k["sent"] == 0]
            if not valid_taken:
                sent = {i for k in st["kinds"].values() for i in k["valid_ids"]}
                valid_taken.update(_taken(nodes, sent))
            # Long enough to see the nodes live through several storms.
            return (not unsent and not missing_reasons() and valid_taken and
                    st["identities"] >= 3 and st["kinds"]["orphan-storm"]["landed"] >= 3 and
                    time.monotonic() - started >= 15)
        try:
            wait_until("every kind sent and refused with its reason", all_refused, 75, 0.5)
        except pxnet.Timeout:
            st = stats()
            raise AssertionError(
                "unsent: %s; reasons never seen: %s; identities %d; "
                "valid transfers of mixed frames taken: %d; storms taken: %d" % (
                    [n for n, k in st["kinds"].items() if k["sent"] == 0],
                    missing_reasons(), st["identities"], len(valid_taken),
                    st["kinds"]["orphan-storm"]["landed"]))
    finally:
        stop.set()
        miner.join()
        poller.join()
    for p in net.procs:
        if p.name == "adversary":
            assert p.stop() == 0, "the adversary did not stop cleanly"
    final = stats()  # written at exit: counts everything sent
    # Live all along: every status answered, and quickly; every chain grew
    # in every 10 s of the run (the miners add a block every ~0.3 s).
    assert_live()
    assert not mining_errors, mining_errors[:3]
    for name, seen in heights.items():
        for i, (t, h) in enumerate(seen):
            later = [h2 for t2, h2 in seen[i:] if t2 - t >= 10]
            assert not later or later[0] > h, "%s stuck at height %d for 10 s" % (name, h)
    wait_until("the honest nodes to agree", lambda: same_tip(nodes), 20)

    # The chain grew by every block the honest nodes mined (a storm that
    # takes the tip from under an honest block brings more blocks than it
    # displaces), and only by valid blocks: the honest miners', and the
    # adversary's funding block and storms. Every block pays one or the
    # other, and the honest blocks keep landing.
    height = nodes[0].height()
    assert height >= 12 + generated[0], (height, generated[0])
    chain = nodes[0].getchain()
    payee = [b["data"][0]["to"] for b in chain[13:]]
    honest_blocks = payee.count(honest_addr)
    adversary_blocks = payee.count(final["address"])
    assert honest_blocks + adversary_blocks == len(payee), set(payee)
    storm_items = sum(k["items"] for k in final["kinds"].values() if k["valid"])
    assert adversary_blocks <= final["funding_sent"] + storm_items, (adversary_blocks, storm_items)
    assert honest_blocks >= generated[0] // 2, (honest_blocks, generated[0])
    for n in nodes:
        v = n.cli("verifychain")
        assert v["valid"] is True, (n.name, v)
    check_chain_linkage(chain)
    in_chain = {b["hash"] for b in chain}
    txids = {t["txid"] for b in chain for t in b["data"]}
    pending = set().union(*(n.mempool_txids() for n in nodes))
    for name, k in final["kinds"].items():
        if k["same_hash"] or k["valid"]:
            continue  # the id of a valid block or transfer, rightly on the chain
        for attack_id in k["ids"]:
            assert attack_id not in in_chain, "%s block %s accepted" % (name, attack_id)
            assert attack_id not in txids, "%s transaction %s accepted" % (name, attack_id)
            assert attack_id not in pending, "%s transaction %s in a mempool" % (name, attack_id)
    # The explorer's view of the same run (rpc_explorer.h): every reason a
    # node counted has its sentence, refused blocks and bans are in the
    # event log, and each node holds exactly one active tip.
    for n in nodes:
        ev = n.cli("events", "--limit", "1000")
        counted = set(ev["refused"]["blocks"]) | set(ev["refused"]["transactions"])
        assert counted <= set(ev["reasons"]), (n.name, sorted(counted - set(ev["reasons"])))
        assert ev["counts"]["block-refused"] > 0 and ev["counts"]["block-accepted"] > 0, ev["counts"]
        refused = [e for e in ev["events"] if e["kind"] == "block-refused" and "hash" in e]
        assert all(e["reason"] in ev["reasons"] and len(e["parent"]) == 64 for e in refused)
        tips = n.cli("chaintips")
        assert [t["status"] for t in tips].count("active") == 1, tips
        assert tips[0]["hash"] == n.tip(), (tips[0], n.tip())
    seen = _refusals(nodes)
    print("      %d attacks under %d identities; %d valid transfers of mixed frames taken; "
          "%d storms taken, %d honest and %d adversary blocks on the chain; slowest status %.3f s; "
          "refusals: %s" % (
              sum(k["sent"] for k in final["kinds"].values()), final["identities"], len(valid_taken),
              final["kinds"]["orphan-storm"]["landed"], honest_blocks, adversary_blocks,
              max(slowest.values()), ", ".join("%s %d" % (r, c) for r, c in sorted(seen.items()))))


def _on_alarm(signum, frame):
    raise TestTimeout()


def _on_term(signum, frame):
    for net in _live_nets:
        net.close()
    sys.exit(1)


# Tests of other files, registered the same way.
import test_stratum  # noqa: E402
TESTS += test_stratum.TESTS


def main(argv):
    pattern = None
    verbose = "-v" in argv
    if "-k" in argv:
        pattern = argv[argv.index("-k") + 1]
    for binary in (pxnet.CLI, pxnet.NODE, pxnet.TRACKER):
        if not os.access(binary, os.X_OK):
            print("missing %s: run make first" % binary)
            print("0 passed, 1 failed")
            return 1
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    passed = failed = skipped = 0
    started = time.monotonic()
    for name, limit, fn in TESTS + testnet_it.TESTS:
        if pattern and pattern not in name:
            continue
        t0 = time.monotonic()
        net = Net(prefix="pickaxe-it-%s-" % name)
        _live_nets.append(net)
        error = skip = None
        signal.alarm(limit)
        try:
            fn(net)
        except testnet_it.Skipped as e:
            skip = str(e)
        except TestTimeout:
            error = "took longer than its %d s limit" % limit
        except Exception:
            error = traceback.format_exc()
        finally:
            signal.alarm(0)
            logs = net.logs(40 if verbose else 12) if error else ""
            net.close()
            _live_nets.remove(net)
        took = time.monotonic() - t0
        if skip:
            skipped += 1
            print("skip  %-36s %6.1f s  %s" % (name, took, skip))
        elif error:
            failed += 1
            print("FAIL  %-36s %6.1f s" % (name, took))
            print("      " + error.strip().replace("\n", "\n      "))
            print(logs)
        else:
            passed += 1
            print("ok    %-36s %6.1f s" % (name, took))
        sys.stdout.flush()
    print("integration: %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed) +
          (", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
