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
import os
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pxnet  # noqa: E402
from pxrelay import catch_up_after_cut, relay_latencies  # noqa: E402
from pxnet import (COIN, DEFAULT_FEE, SUBSIDY, CliError, Net, check_chain_linkage,  # noqa: E402
                   same_tip, wait_until)

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


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
    assert (b["address"], b["confirmed"], b["pending"], b["available"], b["nonce"]) == \
        (alice, 3 * SUBSIDY, 3 * SUBSIDY, 3 * SUBSIDY, 0)

    sent = node.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "1.5")
    txid = sent["txid"]
    assert sent["amount"] == 150_000_000 and sent["fee"] == DEFAULT_FEE and sent["nonce"] == 0
    assert sent["from"] == alice and sent["to"] == bob and sent["via"] == "node"
    assert node.tx(txid)["status"] == "pending"
    assert txid in node.mempool_txids()
    b = node.balance(alice)
    assert b["pending"] == 3 * SUBSIDY - 150_000_000 - DEFAULT_FEE and b["nonce"] == 1
    assert node.balance(bob)["pending"] == 150_000_000

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
    assert [b["blockHeight"] for b in node.cli("getchain", "--from", "1", "--limit", "2")] == [1, 2]
    assert node.cli("verifychain")["valid"] is True

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
                                      "main loop    turning"]),
                        (["getblock", "1"], ["block", "previous", "merkle root", "coinbase"]),
                        (["getchain", "--limit", "2"], ["0  ", "1  "]),
                        (["tx", txid], ["confirmed in block 4"]),
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
    # It was stopped for seconds: that turn is the longest, and it is over.
    assert st["main_loop"]["longest_turn_ms"] >= 1000, st["main_loop"]
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
    assert right[1].balance(bob) == {"address": bob, "confirmed": 0, "pending": 3 * COIN,
                                     "available": 0, "nonce": 0}
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
        # silent-sybils refuses nothing: its peers never answer (see
        # silent_sybils_and_a_flood_stall_no_honest_relay).
        expected = {k["reason"] for k in kinds.values() if k["refused"]}
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


@test(240)
def silent_sybils_and_a_flood_stall_no_honest_relay(net):
    """Two honest regtest nodes, then pickaxe-adversary registering 50 silent
    peers at the tracker (endpoints that take connections and never answer)
    and flooding both nodes with one replayed transfer in bursts of small
    frames. Measured before and during the attack, in the same run: block
    relay between the honest nodes (getblock "received"), and how long the
    second node takes to fetch blocks it missed while cut off (the catch-up
    over requests that silent peers once held up for many seconds). Relay
    stays within a generous bound of the baseline, the catch-up within
    seconds; neither honest node bans or scores the other, none of an
    honest peer's frames is dropped, the flooder's frames are its own
    drops, and the silent peers show as unresponsive. A miner that starts
    among them mines within seconds."""
    import json
    tracker = net.tracker("regtest")
    a = net.node("a", "regtest", tracker)
    b = net.node("b", "regtest", tracker)
    wait_until("a and b to see each other",
               lambda: a.status()["peers"] == 1 and b.status()["peers"] == 1, 20)
    # A confirmed transfer for the flood to replay.
    alice_key, alice = net.keystore("alice")
    _, bob = net.keystore("bob")
    a.generate(2, to=alice)
    wait_until("b on a's tip", lambda: b.tip() == a.tip(), 20)
    a.cli("send", "--keystore", alice_key, "--to", bob, "--amount", "1")
    wait_until("the transfer at a", lambda: len(a.mempool_txids()) == 1, 20)
    a.generate(1)
    wait_until("b on a's tip", lambda: b.tip() == a.tip(), 20)

    base = relay_latencies([a, b], 8)
    base_catch_up = catch_up_after_cut(a, b)

    stats_path = os.path.join(net.dir, "adversary.json")
    net._spawn("adversary", [ADVERSARY, "--network", "regtest", "--tracker", tracker.endpoint,
                             "--attacks", "silent-sybils,inbox-flood", "--sybils", "50",
                             "--rate", "4", "--stats", stats_path])

    def stats():
        try:
            with open(stats_path) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    wait_until("50 silent peers registered",
               lambda: (stats() or {}).get("sybils") == 50, 60, 0.5)
    wait_until("both nodes to know them",
               lambda: a.status()["peers"] >= 51 and b.status()["peers"] >= 51, 60, 0.5)
    wait_until("floods sent", lambda: stats()["kinds"]["inbox-flood"]["sent"] >= 3, 60, 0.5)

    under = relay_latencies([a, b], 8)
    under_catch_up = catch_up_after_cut(a, b)
    floods = stats()["kinds"]["inbox-flood"]["sent"]
    print("      relay max %.1f ms (baseline %.1f ms), median %.1f ms (%.1f ms); catch-up after "
          "a cut %.2f s (baseline %.2f s); %d floods of %d frames" % (
              max(under), max(base), sorted(under)[len(under) // 2],
              sorted(base)[len(base) // 2], under_catch_up, base_catch_up, floods, 1000))
    # Generous bounds: the machine also runs the adversary's flood.
    assert max(under) < max(1000.0, 10 * max(base)), (under, base)
    assert under_catch_up < base_catch_up + 5.0, (under_catch_up, base_catch_up)

    adversary_id = stats()["node_id"]
    for me, other in ((a, b), (b, a)):
        peers = {p["id"]: p for p in me.cli("peers")}
        honest = peers[other.node_id]
        assert not honest["banned"] and honest["score"] == 0, (me.name, honest)
        assert honest["dropped"] == 0, (me.name, honest)
        silent = [p for p in peers.values() if p["id"] not in (other.node_id, adversary_id)]
        assert len(silent) >= 50, (me.name, len(silent))
        assert any(p["responsive"] is False for p in silent), me.name
        assert not any(p["banned"] for p in silent), "silence is no misbehaviour"
    flooder = [p for n in (a, b) for p in n.cli("peers") if p["id"] == adversary_id]
    assert flooder and sum(p["messages"] for p in flooder) >= 1000, flooder

    # A miner that starts now waits for the peers that answer, not for
    # every silent one's time-outs, before it mines (it gives up waiting
    # at 30 s; with one silent peer's exchange at a time it took that).
    t0 = time.monotonic()
    c = net.node("c", "regtest", tracker, mine=True)
    wait_until("c to start mining", lambda: c.status()["hashrate"] > 0, 30, 0.1)
    started = time.monotonic() - t0
    print("      a miner starting among them mines after %.1f s" % started)
    assert started < 15, started


@test(180)
def a_loaded_mining_network_bans_no_honest_miner(net):
    """Eight demo nodes all mining, one thread each, on this machine's cores
    (more miners than cores: the loaded machine on which stale forks,
    orphans and duplicates come thick), for a minute: no node bans or
    scores any other to a ban. Scores decay and a block on a branch that
    just went stale costs little (net/score.h); before that, such a run
    banned honest miners many times a minute."""
    tracker = net.tracker("demo")
    nodes = [net.node("m%d" % i, "demo", tracker, mine=True) for i in range(8)]
    wait_until("a full mesh of eight",
               lambda: all(n.status()["peers"] == 7 for n in nodes), 30)
    started = time.monotonic()
    start_height = max(n.height() for n in nodes)
    banned = []
    while time.monotonic() - started < 60:
        for n in nodes:
            for p in n.cli("peers"):
                if p["banned"]:
                    banned.append((n.name, p["id"]))
        time.sleep(1)
    refused = _refusals(nodes)
    heights = [n.height() for n in nodes]
    bans = [e for n in nodes for e in n.cli("events", "--limit", "1000")["events"]
            if e["kind"] == "peer-banned"]
    scores = [p["score"] for n in nodes for p in n.cli("peers")]
    print("      %d blocks in a minute; refusals: %s; highest score %d" % (
        max(heights) - start_height,
        ", ".join("%s %d" % kv for kv in sorted(refused.items())) or "none", max(scores)))
    assert max(heights) > start_height, "nothing was mined"
    assert not banned and not bans, (banned, bans[:5])


def _on_alarm(signum, frame):
    raise TestTimeout()


def _on_term(signum, frame):
    for net in _live_nets:
        net.close()
    sys.exit(1)


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
    passed = failed = 0
    started = time.monotonic()
    for name, limit, fn in TESTS:
        if pattern and pattern not in name:
            continue
        t0 = time.monotonic()
        net = Net(prefix="pickaxe-it-%s-" % name)
        _live_nets.append(net)
        error = None
        signal.alarm(limit)
        try:
            fn(net)
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
        if error:
            failed += 1
            print("FAIL  %-36s %6.1f s" % (name, took))
            print("      " + error.strip().replace("\n", "\n      "))
            print(logs)
        else:
            passed += 1
            print("ok    %-36s %6.1f s" % (name, took))
        sys.stdout.flush()
    print("integration: %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
