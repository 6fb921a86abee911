#!/usr/bin/env python3
"""A msgpack-rpc client for polyrpc's MessagePack protocol, in plain Python.

Needs only Debian's python3-msgpack (apt install python3-msgpack). The wire format
is in docs/msgpack.md: each message is a 4-byte big-endian length and one
MessagePack value, a request [0, msgid, method, params], a response
[1, msgid, error, result] or a notification [2, method, params].

Usage:
    python3 examples/python-msgpack-client.py [HOST] [PORT]           # a short tour
    python3 examples/python-msgpack-client.py [HOST] [PORT] --check   # assert, print "ok ..." lines

Start a server first with `npm start` (msgpack on 127.0.0.1:8002).
"""

import datetime
import socket
import struct
import sys

import msgpack

UTC = datetime.timezone.utc


class RpcError(Exception):
    """RpcError is an error response: an integer code, a message and optional data."""

    def __init__(self, code, message, data=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class Client:
    """Client holds one connection; calls are sent one at a time, events are queued."""

    def __init__(self, host="127.0.0.1", port=8002, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.next_id = 0
        self.events = []  # [subscription, event(, eventId)] pushed while waiting for a response
        self.ended = []  # [subscription] or [subscription, error]

    def close(self):
        self.sock.close()

    def _send(self, message):
        body = msgpack.packb(message, use_bin_type=True, datetime=True)
        self.sock.sendall(struct.pack(">I", len(body)) + body)

    def _read_exact(self, n):
        chunks = []
        while n > 0:
            chunk = self.sock.recv(min(n, 1 << 16))
            if not chunk:
                raise ConnectionError("server closed the connection")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _read(self):
        (length,) = struct.unpack(">I", self._read_exact(4))
        # timestamp=3: the timestamp extension (-1) becomes a UTC datetime.
        return msgpack.unpackb(self._read_exact(length), raw=False, timestamp=3)

    def _handle_notification(self, message):
        _, method, params = message
        if method == "rpc.event":
            self.events.append(params)
        elif method == "rpc.end":
            self.ended.append(params)

    def call(self, method, *params):
        """call sends a request and returns its result, or raises RpcError."""
        self.next_id = (self.next_id + 1) & 0xFFFFFFFF
        msgid = self.next_id
        self._send([0, msgid, method, list(params)])
        while True:
            message = self._read()
            if message[0] == 2:
                self._handle_notification(message)
            elif message[0] == 1 and message[1] in (msgid, None):
                _, _, error, result = message
                if error is not None:
                    raise RpcError(error["code"], error["message"], error.get("data"))
                return result

    def notify(self, method, *params):
        """notify sends a notification: it runs, and nothing comes back."""
        self._send([2, method, list(params)])

    def subscribe(self, method, *params):
        """subscribe starts a push stream and returns its subscription id."""
        return self.call(method, *params)

    def unsubscribe(self, subscription):
        """unsubscribe ends a push stream; true when it was live."""
        return self.call("rpc.unsubscribe", subscription)

    def next_event(self, subscription):
        """next_event waits for the next event pushed to a subscription."""
        while True:
            for i, params in enumerate(self.events):
                if params[0] == subscription:  # params[2], when present, is the event's id
                    del self.events[i]
                    return params[1]
            message = self._read()
            if message[0] == 2:
                self._handle_notification(message)


# One of each MessagePack type polyrpc carries, with the edges that trip codecs.
VALUES = {
    "nil": None,
    "true": True,
    "false": False,
    "small ints": [0, 1, -1, 127, 128, -32, -33, 255, 65535, -32768],
    "int32 edges": [2**31 - 1, -(2**31), 2**32 - 1],
    "beyond 32 bits": [2**32, 2**40, -(2**40), 2**53, -(2**53)],
    "int64 edges": [2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63)],
    "uint64 max": 2**64 - 1,
    "float64": [0.5, -1.25, 1e300, 3.141592653589793],
    "str": "héllo ✓ 𝄞",
    "empty str": "",
    "bin": bytes(range(256)),
    "empty bin": b"",
    "array": [1, [2, [3, []]], "x"],
    "map": {"a": 1, "nested": {"b": [True, None]}},
    "empty map": {},
    "__proto__ key": {"__proto__": {"polluted": True}, "ok": 1},
    "timestamp epoch": datetime.datetime(1970, 1, 1, tzinfo=UTC),
    "timestamp ms": datetime.datetime(2024, 2, 29, 12, 30, 15, 250000, tzinfo=UTC),
    "timestamp before 1970": datetime.datetime(1900, 6, 1, 12, 0, 0, 123000, tzinfo=UTC),
    "timestamp after 2106": datetime.datetime(2200, 1, 1, 0, 0, 0, 999000, tzinfo=UTC),
}


def same(a, b):
    """same compares values and their types (so 5 and 5.0 differ, as do int and float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def check(client):
    """check asserts the demo service's behaviour and prints one "ok" line per check."""

    def ok(name, cond, detail=""):
        if not cond:
            raise AssertionError(f"{name} failed {detail}")
        print(f"ok {name}", flush=True)

    ok("add", same(client.call("add", 3, 5), 8))
    ok("add floats", same(client.call("add", 1.5, 2.25), 3.75))
    ok("hypotenuse", same(client.call("hypotenuse", 3, 4), 5))
    ok("credentials.lookup", client.call("credentials.lookup", "Dalek") == "Davros")
    try:
        client.call("credentials.lookup", "Gallifreyan")
        ok("credentials.lookup 404", False, "(no error)")
    except RpcError as e:
        ok("credentials.lookup 404", e.code == 404 and e.message == "Unknown species: Gallifreyan", e)
    try:
        client.call("no.such.method")
        ok("method not found", False, "(no error)")
    except RpcError as e:
        ok("method not found", e.code == -32601, e)
    try:
        client.call("hypotenuse", -1, 2)
        ok("invalid params", False, "(no error)")
    except RpcError as e:
        ok("invalid params", e.code == -32602 and isinstance(e.data, list), e)

    for name, value in VALUES.items():
        got = client.call("echo", value)
        ok(f"echo {name}", same(got, value), f"sent {value!r} got {got!r}")

    # A float32 on the wire is accepted (and comes back as float64).
    body = msgpack.packb([0, 999, "echo", [1.5]], use_single_float=True)
    client.sock.sendall(struct.pack(">I", len(body)) + body)
    reply = client._read()
    ok("echo float32", reply == [1, 999, None, 1.5], reply)

    room = "python-room"
    sub = client.subscribe("chat.subscribe", room)
    ok("chat.subscribe", isinstance(sub, int) and sub > 0, sub)
    sender = Client(*client.sock.getpeername()[:2])
    try:
        sent = sender.call("chat.send", room, "Hello from Python", "py")
    finally:
        sender.close()
    event = client.next_event(sub)
    ok(
        "chat push",
        event["text"] == "Hello from Python"
        and event["nick"] == "py"
        and event["room"] == room
        and event["id"] == sent["id"]
        and isinstance(event["at"], datetime.datetime),
        event,
    )
    ok("rpc.unsubscribe", client.unsubscribe(sub) is True)
    ok("rpc.unsubscribe again", client.unsubscribe(sub) is False)
    ok("rpc.end after unsubscribe", [sub] not in client.ended)


def tour(client):
    print("add(3, 5) =", client.call("add", 3, 5))
    print("hypotenuse(3, 4) =", client.call("hypotenuse", 3, 4))
    print("credentials.lookup('Dalek') =", client.call("credentials.lookup", "Dalek"))
    try:
        client.call("credentials.lookup", "Gallifreyan")
    except RpcError as e:
        print("credentials.lookup('Gallifreyan') failed:", e.code, e.message)
    print("echo(2**64 - 1) =", client.call("echo", 2**64 - 1))
    print("echo(datetime) =", client.call("echo", datetime.datetime(1900, 1, 1, tzinfo=UTC)))
    sub = client.subscribe("chat.subscribe", "lobby")
    client.call("chat.send", "lobby", "hi from Python", "py")
    print("pushed:", client.next_event(sub))
    client.unsubscribe(sub)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    host = args[0] if len(args) > 0 else "127.0.0.1"
    port = int(args[1]) if len(args) > 1 else 8002
    client = Client(host, port)
    try:
        if "--check" in argv:
            check(client)
        else:
            tour(client)
    finally:
        client.close()


if __name__ == "__main__":
    main(sys.argv[1:])
