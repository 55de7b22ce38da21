#!/usr/bin/env python3
"""Clients of postern -L for the tests: send bytes to an echo target through
the listener and check that the same bytes come back.

    echoclient.py PORT [--connect HOST:PORT] [--size N] [--count C]
                  [--parallel P] [--hold FILE]

Each of COUNT connections (PARALLEL at a time) to 127.0.0.1:PORT (or
--host) sends, with
--connect, a CONNECT request first and expects "HTTP/1.1 200"; then N bytes
of its own pattern, and reads until as many came back. It does not
half-close (squid and tinyproxy end a tunnel whose client half-closes). One
line per connection: "ok" or "FAIL why". With --hold, the connections stay
open after their check until FILE exists. Exit status 0 when all are ok.
"""

import argparse
import hashlib
import os
import socket
import sys
import threading
import time

TIMEOUT = 30


def one(args, i, results, held):
    data = hashlib.sha256(b"%d" % i).digest() * (args.size // 32 + 1)
    data = data[:args.size]
    s = socket.create_connection((args.host, args.port), timeout=TIMEOUT,
                                 source_address=(args.source, 0)
                                 if args.source else None)
    try:
        if args.connect:
            s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
                      (args.connect.encode(), args.connect.encode()))
            head = b""
            while b"\r\n\r\n" not in head:
                b = s.recv(1)
                if not b:
                    raise OSError("closed before the reply: %r" % head)
                head += b
            if not head.startswith(b"HTTP/1.1 200 "):
                raise OSError("reply: %r" % head)
        t = threading.Thread(target=s.sendall, args=(data,))
        t.start()
        got = bytearray()
        while len(got) < len(data):
            b = s.recv(65536)
            if not b:
                break
            got += b
        t.join()
        if bytes(got) != data:
            raise OSError("got %d bytes, not the %d sent" % (len(got), len(data)))
        results[i] = "ok"
        if args.hold:
            held.append(s)
            return
    except OSError as e:
        results[i] = "FAIL %s" % e
    if not args.hold or results[i] != "ok":
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--connect")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--source", help="the local address to connect from")
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--parallel", type=int, default=1)
    p.add_argument("--hold")
    args = p.parse_args()
    results = ["FAIL not run"] * args.count
    held = []
    for start in range(0, args.count, args.parallel):
        ts = [threading.Thread(target=one, args=(args, i, results, held))
              for i in range(start, min(start + args.parallel, args.count))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    for r in results:
        print(r, flush=True)
    if args.hold:
        print("held", flush=True)
        for _ in range(TIMEOUT * 20):
            if os.path.exists(args.hold):
                break
            time.sleep(0.05)
    return 0 if all(r == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
