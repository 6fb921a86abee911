#!/usr/bin/env python3
"""Call polyrpc and follow a chat room over WebSocket (JSON-RPC in text frames).

    python3 examples/python-websocket-chat.py [--url ws://127.0.0.1:8000/ws] [--count N] ROOM

Needs the `websockets` package (Debian: apt-get install python3-websockets; pip:
websockets). Each text frame is one JSON-RPC 2.0 message, with no newline. It calls
`add` and `credentials.lookup` (once with an unknown species, to show an error), then
subscribes to ROOM: each chat message arrives as an `rpc.event` notification
`[subscription, message]`. After N messages it sends `rpc.unsubscribe` and exits.
See docs/websocket.md and docs/jsonrpc.md for the wire format.
"""
import argparse
import asyncio
import itertools
import json
import sys

import websockets


class Connection:
    """One WebSocket; replies are matched by id, pushes are queued for `events`."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.pushes = []

    async def call(self, method, *params):
        """Returns the result, or raises RuntimeError('code: message') for an error reply."""
        id = next(self.ids)
        await self.ws.send(json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": list(params)}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") != id:
                self.pushes.append(message)  # a push (or a late reply) that arrived meanwhile
                continue
            if "error" in message:
                raise RuntimeError(f"{message['error']['code']}: {message['error']['message']}")
            return message["result"]

    async def push(self):
        """Returns the next push notification."""
        while not self.pushes:
            self.pushes.append(json.loads(await self.ws.recv()))
        return self.pushes.pop(0)


async def run(args) -> int:
    async with websockets.connect(args.url) as ws:
        rpc = Connection(ws)
        print("add(2, 3) =", await rpc.call("add", 2, 3), flush=True)
        print("credentials.lookup('Dalek') =", await rpc.call("credentials.lookup", "Dalek"), flush=True)
        try:
            await rpc.call("credentials.lookup", "Nobody")
        except RuntimeError as err:
            print("credentials.lookup('Nobody') failed:", err, flush=True)

        subscription = await rpc.call("chat.subscribe", args.room)
        print(f"subscribed to {args.room} (subscription {subscription})", flush=True)
        received = 0
        while not args.count or received < args.count:
            message = await rpc.push()
            params = message.get("params") or [None]
            if params[0] != subscription:
                continue
            if message.get("method") == "rpc.end":
                print("stream ended", flush=True)
                return 0
            if message.get("method") == "rpc.event":
                chat = params[1]
                print(f"[{chat['at']}] {chat['nick']}: {chat['text']}", flush=True)
                received += 1
        print("unsubscribed:", await rpc.call("rpc.unsubscribe", subscription), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("room")
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws")
    parser.add_argument("--count", type=int, default=0, help="exit after this many messages (0: never)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
