"""Integration tests of the wallet service's HTTP side (issue 12): a real
pickaxe-wallet on 127.0.0.1 in front of a regtest node, slow clients
against it (slowloris.py), what files it serves, and which Origins may
post. run.py runs TESTS; each entry is (name, time limit in s, function).

The limits the tests count on are the service's defaults
(wallet-web/http_guard.h): a whole request within 10 s of a connection's
start, 256 connections from one address.
"""

import http.client
import os
import time

from pxnet import BUILD, ROOT, free_port_pair, wait_until
from slowloris import Slowloris

WALLET = os.path.join(BUILD, "pickaxe-wallet")
WEB_ROOT = os.path.join(ROOT, "wallet-web")
REQUEST_DEADLINE = 10.0   # HTTP_GUARD_REQUEST_MS
PER_ADDRESS = 256         # HTTP_GUARD_PER_ADDRESS


class Wallet:
    """A pickaxe-wallet the Net started, asking `node`, without a tracker."""

    def __init__(self, net, node, name="wallet"):
        self.port = free_port_pair()
        self.host = "127.0.0.1:%d" % self.port
        argv = [WALLET, "--network", "regtest", "--node", node.endpoint, "--tracker", "none",
                "--http", self.host, "--web-root", WEB_ROOT,
                "--keystore", os.path.join(net.dir, name + ".keystore")]
        self.proc = net._spawn(name, argv)
        wait_until("the wallet service answers", self._up, 15)

    def _up(self):
        try:
            return self.request("GET", "/wallet/address", timeout=1.0)[0] == 200
        except OSError:
            return False

    def request(self, method, path, headers=None, body=None, timeout=5.0,
                source="127.0.0.1"):
        """One request on a new connection: (status, body bytes, headers,
        seconds taken)."""
        t0 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                       source_address=(source, 0))
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, data, dict(r.getheaders()), time.monotonic() - t0
        finally:
            c.close()


def _page_and_api(wallet, limit):
    """GET / and GET /wallet/balance (which asks the node), each answered
    within `limit` seconds; returns their times."""
    took = []
    for path in ("/", "/wallet/balance"):
        status, body, _, t = wallet.request("GET", path, timeout=limit)
        assert status == 200, (path, status, body[:200])
        assert t < limit, "%s took %.3f s" % (path, t)
        took.append(t)
    assert b"<title>" in wallet.request("GET", "/")[1]
    return took


def wallet_holds_up_to_slowloris(net):
    """500 slowloris connections from 127.0.0.1, reopened as soon as the
    service closes them, leave the page and the API answering within a
    second for longer than the request deadline; every one of the first 500
    is closed by then (evicted, or past its deadline though it kept
    sending)."""
    node = net.node("solo")
    wallet = Wallet(net, node)
    base = [_page_and_api(wallet, 1.0) for _ in range(5)]
    attack = Slowloris(wallet.port, 500, interval=2.0, reopen=True).start()
    try:
        assert attack.opened == 500, attack.opened
        under = []
        end = time.monotonic() + REQUEST_DEADLINE + 4
        while time.monotonic() < end:
            under.append(_page_and_api(wallet, 1.0))
            time.sleep(0.3)
        assert attack.closed >= 500, "only %d closed" % attack.closed
        assert attack.open_count() >= PER_ADDRESS // 2, attack.open_count()
    finally:
        attack.stop()
    worst = lambda rows, i: max(r[i] for r in rows) * 1000  # noqa: E731
    print("      GET / worst %.1f ms without, %.1f ms under 500 slowloris; /wallet/balance "
          "%.1f / %.1f ms; %d attack connections opened, %d closed by the service" % (
              worst(base, 0), worst(under, 0), worst(base, 1), worst(under, 1),
              attack.opened, attack.closed))


def wallet_request_deadline_is_not_reset_by_bytes(net):
    """A request whose headers arrive a line every half second is closed
    at its deadline, counted from the connection's start."""
    node = net.node("solo")
    wallet = Wallet(net, node)
    attack = Slowloris(wallet.port, 1, interval=0.5, reopen=False)
    t0 = time.monotonic()
    attack.start()
    try:
        wait_until("the slow request closed", lambda: attack.closed == 1,
                   REQUEST_DEADLINE + 10, interval=0.02)
        took = time.monotonic() - t0
    finally:
        attack.stop()
    assert REQUEST_DEADLINE - 1 <= took <= REQUEST_DEADLINE + 3, took


def wallet_serves_only_page_files(net):
    """The page's files, and nothing else of its folder (the service's own
    sources live there) or above it."""
    node = net.node("solo")
    wallet = Wallet(net, node)
    pages = {
        "/": "text/html", "/wallet_ui.html": "text/html", "/explorer": "text/html",
        "/explorer.html": "text/html", "/script.js": "text/javascript",
        "/common.js": "text/javascript",
        "/style.css": "text/css", "/explorer.js": "text/javascript",
        "/explorer.css": "text/css", "/vendor/bootstrap.min.css": "text/css",
        "/vendor/bootstrap.bundle.min.js": "text/javascript",
    }
    for path, kind in pages.items():
        status, body, headers, _ = wallet.request("GET", path)
        assert status == 200 and body, (path, status)
        assert headers["Content-Type"].startswith(kind), (path, headers)
    refused = ["/wallet_api.c", "/wallet_api_http.c", "/wallet_api.h", "/http_guard.c",
               "/node_link.c", "/wallet_main.c", "/vendor/bootstrap-LICENSE.txt",
               "/../README.md", "/../Makefile", "/vendor/../wallet_api.c",
               "/%2e%2e/README.md", "/./wallet_api.c", "//wallet_api.c",
               "/script.js/../wallet_api.c", "/explorer/", "/.git/HEAD"]
    assert os.path.exists(os.path.join(WEB_ROOT, "wallet_api.c"))
    for path in refused:
        status, body, _, _ = wallet.request("GET", path)
        assert status == 404, (path, status, body[:100])
        assert b"wallet_api" not in body and b"#include" not in body, path


def wallet_refuses_origin_null(net):
    """A POST with Origin: null (a sandboxed frame, a file: page) is
    refused like another site's; the page's own Origin gets through to
    the request's checks."""
    node = net.node("solo")
    wallet = Wallet(net, node)
    json_type = {"Content-Type": "application/json"}
    for origin in ("null", "http://evil.example", "http://127.0.0.1"):
        status, body, _, _ = wallet.request("POST", "/transaction/send",
                                            dict(json_type, Origin=origin), b"{}")
        assert status == 403 and b"cross-site" in body, (origin, status, body)
    status, body, _, _ = wallet.request("POST", "/transaction/send",
                                        dict(json_type, Origin="http://" + wallet.host), b"{}")
    assert status == 400 and b"recipient" in body, (status, body)
    status, body, _, _ = wallet.request("POST", "/connect", {"Origin": "null"})
    assert status == 403, (status, body)


def wallet_limits_connections_per_address(net):
    """One address (127.0.0.2) opening more than its share keeps only its
    newest 256; a slow connection of 127.0.0.1 opened before is not taken
    for room, 100 from 127.0.0.3 are all kept, and the page answers."""
    node = net.node("solo")
    wallet = Wallet(net, node)
    mine = Slowloris(wallet.port, 1, interval=1.0, reopen=False).start()
    other = Slowloris(wallet.port, 100, source="127.0.0.3", interval=1.0, reopen=False)
    flood = Slowloris(wallet.port, PER_ADDRESS + 100, source="127.0.0.2", interval=1.0,
                      reopen=False)
    try:
        t0 = time.monotonic()
        other.start()
        flood.start()
        wait_until("the flood's oldest closed", lambda: flood.closed >= 100, 5, interval=0.02)
        time.sleep(0.5)
        assert time.monotonic() - t0 < REQUEST_DEADLINE - 2, "too slow to tell eviction apart"
        assert flood.open_count() == PER_ADDRESS and flood.closed == 100, \
            (flood.open_count(), flood.closed)
        assert mine.open_count() == 1 and other.open_count() == 100, \
            (mine.open_count(), other.open_count())
        _page_and_api(wallet, 1.0)
    finally:
        for s in (mine, other, flood):
            s.stop()


TESTS = [
    ("wallet_holds_up_to_slowloris", 90, wallet_holds_up_to_slowloris),
    ("wallet_request_deadline_is_not_reset_by_bytes", 60,
     wallet_request_deadline_is_not_reset_by_bytes),
    ("wallet_serves_only_page_files", 60, wallet_serves_only_page_files),
    ("wallet_refuses_origin_null", 60, wallet_refuses_origin_null),
    ("wallet_limits_connections_per_address", 60, wallet_limits_connections_per_address),
]
