"""Python's SimpleXMLRPCServer (single-threaded, the standard library's own)."""
import json
import os
import signal
import sys
from xmlrpc.server import SimpleXMLRPCServer

server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
server.register_function(lambda a, b: a + b, "add")
server.register_function(lambda v: v, "echo")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
port = server.server_address[1]
print(json.dumps({"url": f"http://127.0.0.1:{port}/RPC2", "pid": os.getpid()}), flush=True)
server.serve_forever()
