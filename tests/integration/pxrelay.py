"""Relay timings between honest nodes, measured the way bench/net_bench.py
measures propagation: each node's `getblock` says when it accepted a block
("received", wall-clock microseconds, one clock for all on one machine).
Shared by the integration tests and bench/sybil_bench.py."""

import time

from pxnet import wait_until


def relay_latencies(nodes, blocks):
    """Makes `blocks` blocks, each on the next node in turn (`generate 1`),
    and returns every (block, other node) latency in ms: received at the
    node - received at the origin."""
    out = []
    for i in range(blocks):
        origin = nodes[i % len(nodes)]
        h = origin.generate(1)[0]
        seen = {}

        def everyone_has_it():
            for n in nodes:
                if n.name not in seen:
                    try:
                        seen[n.name] = n.cli("getblock", h)["received"]
                    except Exception:
                        pass
            return len(seen) == len(nodes)

        wait_until("block %d at every node" % i, everyone_has_it, 60, interval=0.01)
        out += [(us - seen[origin.name]) / 1000.0 for name, us in seen.items()
                if name != origin.name]
    return out


def catch_up_after_cut(a, b, blocks=3):
    """Cuts b off from a (rpc partition, both ways), makes `blocks` blocks on
    a, heals, and returns the seconds until b is on a's tip. Gossip sent
    during the cut is lost, so b must fetch the blocks over requests: what a
    crowd of silent peers once held up."""
    a.cli("partition", b.node_id)
    b.cli("partition", a.node_id)
    a.generate(blocks)
    tip = a.tip()
    t0 = time.monotonic()
    b.cli("partition")
    a.cli("partition")
    wait_until("b to catch up after the cut", lambda: b.tip() == tip, 120, interval=0.02)
    return time.monotonic() - t0
