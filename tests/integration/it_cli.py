"""Integration tests of pickaxe-cli against a node: every command with its
JSON and text output, errors and exit codes, and how the cli tells a node
that is stopped (SIGSTOP), one whose main loop is stuck, and a port where
nothing listens apart.

run.py runs TESTS; each entry is (name, time limit in s, function).
"""

import os
import signal
import time

import pxnet
from pxnet import (COIN, DEFAULT_FEE, SUBSIDY, check_chain_linkage, expect_cli_error,
                   wait_until)

TESTS = []


def test(limit):
    """Registers a test function with its time limit in seconds."""
    def wrap(fn):
        TESTS.append((fn.__name__, limit, fn))
        return fn
    return wrap


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
