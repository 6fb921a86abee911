#!/usr/bin/env python3
"""Calls polyrpc's demo service over XML-RPC with nothing but Python's standard library.

The wire format and type mapping are in docs/xmlrpc.md. The three lines that matter:

    import xmlrpc.client
    s = xmlrpc.client.ServerProxy("http://127.0.0.1:8000/RPC2", allow_none=True, use_builtin_types=True)
    s.hypotenuse(3, 4)

Usage:
    python3 examples/python-xmlrpc-client.py [URL]           # a short tour
    python3 examples/python-xmlrpc-client.py [URL] --check   # assert, print "ok ..." lines

Start a server first with `npm start` (XML-RPC on http://127.0.0.1:8000/RPC2).
"""

import datetime
import sys
import xmlrpc.client

UNKNOWN_SPECIES = 404


def connect(url):
    """connect returns a proxy that sends None as <nil/> and reads dates and bytes as builtins."""
    return xmlrpc.client.ServerProxy(url, allow_none=True, use_builtin_types=True)


def tour(s):
    print("add(3, 5) =", s.add(3, 5))
    print("hypotenuse(3, 4) =", s.hypotenuse(3, 4))
    print("credentials.lookup('Time Lord') =", s.credentials.lookup("Time Lord"))
    try:
        s.credentials.lookup("Tardis")
    except xmlrpc.client.Fault as fault:
        print("credentials.lookup('Tardis') -> Fault", fault.faultCode, fault.faultString)
    message = s.chat.send("python", "hello from xmlrpc.client", "py")
    print("chat.send ->", message["id"], message["at"].isoformat())
    print("chat.history ->", [m["text"] for m in s.chat.history("python")])
    multi = xmlrpc.client.MultiCall(s)
    multi.add(1, 2)
    multi.hypotenuse(5, 12)
    print("MultiCall ->", list(multi()))
    print("methods:", ", ".join(s.system.listMethods()))


def check(s):
    """check asserts the demo service's behaviour and prints one "ok" line per check."""
    assert s.add(3, 5) == 8
    print("ok add")
    assert s.hypotenuse(3, 4) == 5.0
    print("ok hypotenuse")
    assert s.credentials.lookup("Time Lord") == "Rassilon"
    print("ok credentials.lookup")
    try:
        s.credentials.lookup("Tardis")
        raise AssertionError("expected a Fault")
    except xmlrpc.client.Fault as fault:
        assert fault.faultCode == UNKNOWN_SPECIES, fault.faultCode
    print("ok fault", UNKNOWN_SPECIES)
    value = {
        "int": 7,
        "double": 0.5,
        "bool": True,
        "text": "<&> ☃",
        "none": None,
        "when": datetime.datetime(2024, 1, 2, 3, 4, 5),
        "bytes": b"\x00\xff",
        "list": [1, [2, None]],
    }
    assert s.echo(value) == value
    print("ok echo")
    multi = xmlrpc.client.MultiCall(s)
    multi.add(1, 2)
    multi.credentials.lookup("Nobody")
    results = multi()
    assert results[0] == 3
    try:
        results[1]
        raise AssertionError("expected a Fault")
    except xmlrpc.client.Fault as fault:
        assert fault.faultCode == UNKNOWN_SPECIES
    print("ok multicall")
    assert "credentials.lookup" in s.system.listMethods()
    print("ok system.listMethods")


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    url = args[0] if args else "http://127.0.0.1:8000/RPC2"
    s = connect(url)
    if "--check" in argv:
        check(s)
    else:
        tour(s)


if __name__ == "__main__":
    main(sys.argv)
