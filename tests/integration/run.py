#!/usr/bin/env python3
"""Integration tests: real pickaxe-tracker and pickaxe-node processes on
127.0.0.1 (free ports, temporary data directories), driven only through
pickaxe-cli --json.

Each test gets a fresh pxnet.Net, a hard time limit (SIGALRM), and cleanup of
every process it started whatever happens. Deterministic tests use the
regtest network without mining (--no-mine) and make blocks with `generate`;
only the test about mining mines for real (demo network, one thread on two
nodes). Waiting is polling with deadlines.

This file is the runner. The tests live in modules by topic, each with a
list TESTS of (name, time limit in s, function): it_cli.py, it_network.py,
it_transfers.py, it_chain.py, it_adversary.py, wallet_http.py,
test_stratum.py, it_demo.py and testnet_it.py (which needs root, and is
skipped with the reason where it cannot run).

Usage: run.py [-k SUBSTRING] [-v] [-h]   (-k runs only the tests whose
name contains SUBSTRING; -v prints the processes' logs on failure; they are
printed anyway for a failed test's last lines)
Prints one line per test and ends with "N passed, N failed"; exits 1 when
anything failed. scripts/run-tests.sh runs it.
"""

import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pxnet  # noqa: E402
from pxnet import Net  # noqa: E402
import it_adversary  # noqa: E402
import it_chain  # noqa: E402
import it_cli  # noqa: E402
import it_demo  # noqa: E402
import it_network  # noqa: E402
import it_transfers  # noqa: E402
import test_stratum  # noqa: E402
import testnet_it  # noqa: E402
import wallet_http  # noqa: E402

# Every test in the order run: the cli's first, then the network and the
# chain between nodes, attacks on them, the services in front of a node,
# the project's scripts, and the emulated wide-area testnet last.
TESTS = (it_cli.TESTS + it_network.TESTS + it_transfers.TESTS + it_chain.TESTS +
         it_adversary.TESTS + wallet_http.TESTS + test_stratum.TESTS + it_demo.TESTS +
         testnet_it.TESTS)


class TestTimeout(Exception):
    pass


_live_nets = []


def _on_alarm(signum, frame):
    raise TestTimeout()


def _on_term(signum, frame):
    for net in _live_nets:
        net.close()
    sys.exit(1)


def main(argv):
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        return 0
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
    for name, limit, fn in TESTS:
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
