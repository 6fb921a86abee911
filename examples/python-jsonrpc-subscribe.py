#!/usr/bin/env python3
"""Subscribe to a polyrpc chat room over JSON-RPC/TCP with nothing but the stdlib.

    python3 examples/python-jsonrpc-subscribe.py [--host 127.0.0.1] [--port 8001] [--count N] ROOM

One JSON message per line. Subscribing is an ordinary request whose result is a
subscription id; each chat message then arrives as an `rpc.event` notification, and
`rpc.end` ends the stream. See docs/jsonrpc.md for the exact wire format.
"""
import argparse
import json
import socket
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("room")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--count", type=int, default=0, help="exit after this many messages (0: never)")
    args = parser.parse_args()

    sock = socket.create_connection((args.host, args.port))
    lines = sock.makefile("r", encoding="utf-8", newline="\n")

    def send(message: dict) -> None:
        sock.sendall((json.dumps(message) + "\n").encode("utf-8"))

    send({"jsonrpc": "2.0", "id": 1, "method": "chat.subscribe", "params": [args.room]})
    subscription = None
    received = 0
    for line in lines:
        message = json.loads(line)
        if message.get("id") == 1:  # the reply to our subscribe request
            if "error" in message:
                print("subscribe failed:", message["error"]["message"], file=sys.stderr)
                return 1
            subscription = message["result"]
            print(f"subscribed to {args.room} (subscription {subscription})", flush=True)
        elif message.get("method") == "rpc.event" and message["params"][0] == subscription:
            chat = message["params"][1]
            print(f"[{chat['at']}] {chat['nick']}: {chat['text']}", flush=True)
            received += 1
            if args.count and received >= args.count:
                send({"jsonrpc": "2.0", "id": 2, "method": "rpc.unsubscribe", "params": [subscription]})
        elif message.get("id") == 2:  # unsubscribed
            break
        elif message.get("method") == "rpc.end" and message["params"][0] == subscription:
            ended = message["params"][1] if len(message["params"]) > 1 else None
            print("stream ended" + (f": {ended['message']}" if ended else ""), flush=True)
            break
    sock.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
