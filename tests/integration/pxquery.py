"""pxquery -- a node's JSON queries (src/node/rpc.h) over one persistent ZeroMQ
connection, in Python 3's standard library alone (harness for the soak and
benchmarks).

pickaxe-cli starts a process, connects and tears down for every call: a few
milliseconds of its own that would swamp the node's answer time when that
is what is being measured. This client speaks the minimum of ZMTP 3.0 a
ZeroMQ ROUTER needs (greeting, NULL mechanism, READY as a DEALER), then
sends wire QUERY frames (net/wire.h) and reads REPLY frames on the same TCP
connection, so a timed call is one request's round trip and nothing else.

A DEALER sends no empty delimiter frame; the node's server (net/server.c)
accepts a request of identity + body and answers the same way. The network
id in every frame is the genesis block's hash in internal byte order: the
reverse of the display-order hex that getblock 0 prints.

Not thread-safe: one Client per thread.
"""

import json
import socket
import struct
import time

WIRE_MAGIC = 0x58414B50
WIRE_VERSION = 2
WIRE_ERROR = 0x0002
WIRE_QUERY = 0x0004
WIRE_REPLY = 0x0005
MAX_FRAME = 16 * 1024 * 1024  # larger than any reply a node sends (WIRE_MAX_MSG_SIZE)


class QueryError(Exception):
    """The node answered with an error, or with something that is not a
    REPLY to our query."""


class Client:
    """One connection to a node's request endpoint (127.0.0.1:PORT)."""

    def __init__(self, port, network_id, host="127.0.0.1", connect_timeout=5.0):
        self.network_id = network_id
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self._frames = []
        self._handshake(connect_timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- ZMTP framing ------------------------------------------------------
    # Bytes read are kept in a buffer until a whole frame is there, so a
    # wait that times out loses nothing: the next receive() carries on.

    def _fill(self, deadline):
        """Reads what the socket has, waiting at most until deadline
        (monotonic); socket.timeout after it, ConnectionError when the peer
        closed."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no answer in time")
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the node closed the connection")
        self._buf += chunk

    def _take_frame(self):
        """(flags, body) of the frame at the head of the buffer, or None
        while it is incomplete."""
        b = self._buf
        if len(b) < 2:
            return None
        flags = b[0]
        if flags & 0x02:
            if len(b) < 9:
                return None
            size, head = struct.unpack_from(">Q", b, 1)[0], 9
        else:
            size, head = b[1], 2
        if size > MAX_FRAME:
            raise ConnectionError("frame of %d bytes" % size)
        if len(b) < head + size:
            return None
        body = bytes(b[head:head + size])
        del self._buf[:head + size]
        return flags, body

    def _read_frame(self, deadline):
        while True:
            frame = self._take_frame()
            if frame:
                return frame
            self._fill(deadline)

    def _send_frame(self, body, command=False):
        flags = 0x04 if command else 0x00
        if len(body) > 255:
            head = struct.pack(">BQ", flags | 0x02, len(body))
        else:
            head = struct.pack(">BB", flags, len(body))
        self.sock.sendall(head + body)

    def _handshake(self, timeout):
        deadline = time.monotonic() + timeout
        greeting = (b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") +
                    b"\x00" + b"\x00" * 31)
        self.sock.sendall(greeting)
        while len(self._buf) < 64:
            self._fill(deadline)
        peer = bytes(self._buf[:64])
        del self._buf[:64]
        if peer[0] != 0xFF or peer[9] != 0x7F or peer[10] < 3 or peer[12:16] != b"NULL":
            raise ConnectionError("not a ZMTP 3 NULL peer")
        ready = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
        self._send_frame(ready, command=True)
        flags, body = self._read_frame(deadline)
        if not flags & 0x04 or not body.startswith(b"\x05READY"):
            raise ConnectionError("no READY from the peer")

    # ---- wire QUERY / REPLY ------------------------------------------------

    def send(self, method, params=None):
        """Sends {"method", "params"}; receive() reads the answer."""
        req = {"method": method}
        if params is not None:
            req["params"] = params
        text = json.dumps(req).encode()
        payload = struct.pack("<I", len(text)) + text
        frame = (struct.pack("<IHH", WIRE_MAGIC, WIRE_VERSION, WIRE_QUERY) + self.network_id +
                 struct.pack("<I", len(payload)) + payload)
        self._send_frame(frame)

    def receive(self, timeout=10.0):
        """The "result" of the answer to the query sent last. Raises
        socket.timeout when it did not come within timeout seconds (call
        again to keep waiting for it), QueryError when the node refused,
        ConnectionError when the connection broke."""
        deadline = time.monotonic() + timeout
        while True:
            flags, body = self._read_frame(deadline)
            if flags & 0x04:
                continue  # a command (e.g. a heartbeat), not a message
            self._frames.append(body)
            if not flags & 0x01:
                frames, self._frames = self._frames, []
                return self._decode(frames[-1])

    def call(self, method, params=None, timeout=10.0):
        """send() then receive()."""
        self.send(method, params)
        return self.receive(timeout)

    def _decode(self, msg):
        if len(msg) < 44:
            raise QueryError("short reply (%d bytes)" % len(msg))
        magic, _version, mtype = struct.unpack_from("<IHH", msg, 0)
        if magic != WIRE_MAGIC or msg[8:40] != self.network_id:
            raise QueryError("reply of another protocol or network")
        body = msg[44:44 + struct.unpack_from("<I", msg, 40)[0]]
        if mtype == WIRE_ERROR:
            code = struct.unpack_from("<i", body, 0)[0]
            n = struct.unpack_from("<H", body, 4)[0]
            raise QueryError("error %d: %s" % (code, body[6:6 + n].decode("ascii", "replace")))
        if mtype != WIRE_REPLY:
            raise QueryError("reply of type 0x%04x" % mtype)
        n = struct.unpack_from("<I", body, 0)[0]
        obj = json.loads(body[4:4 + n].decode())
        if "error" in obj:
            raise QueryError("%s (code %s)" % (obj["error"].get("message"), obj["error"].get("code")))
        return obj["result"]


def network_id_from_genesis(genesis_display_hex):
    """The wire network id for a genesis hash as getblock prints it."""
    return bytes.fromhex(genesis_display_hex)[::-1]
