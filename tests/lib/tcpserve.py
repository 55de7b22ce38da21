#!/usr/bin/env python3
"""Targets for postern's tests: the servers at the far end of the tunnel.

    tcpserve.py echo     [--close-after N]   echo; close after N bytes, or at EOF
    tcpserve.py http     [--delay S] (--body TEXT | --body-file F)
                         [--etag TAG]         answer one GET, then close; with
                                              --etag, send ETag and Last-Modified,
                                              answer 304 to If-None-Match: TAG
                                              and log the validators asked with
    tcpserve.py source   (--file F | --size N) send the bytes, then close
    tcpserve.py eofreply                      read until EOF, then answer
                                              "EOF after N bytes: <data>" and close
    tcpserve.py sink                          (after the banner) shut down its
                                              sending side, read until EOF and log
                                              "eof after N sha256 HEX"
    any mode:            [--banner TEXT]      sent first, as soon as a client connects
                         [--log FILE]         one line per event, for assertions

TEXT arguments take backslash escapes (\\r, \\n, \\x00).
"""

import hashlib
import socket
import sys
import time

import serverlib as sl


def main():
    p = sl.parser(__doc__)
    p.add_argument("mode", choices=("echo", "http", "source", "eofreply", "sink"))
    p.add_argument("--banner", default="", help="sent on connect (escapes)")
    p.add_argument("--log", help="append one line per event here")
    p.add_argument("--close-after", type=int, default=-1,
                   help="echo: close once this many bytes were echoed")
    p.add_argument("--delay", type=float, default=0.0,
                   help="http: wait this long before answering")
    p.add_argument("--body", default="hello from the test server\n",
                   help="http: the body (escapes)")
    p.add_argument("--body-file", help="http: the body, from a file")
    p.add_argument("--etag", help="http: the ETag of the body")
    p.add_argument("--file", help="source: the bytes to send")
    p.add_argument("--size", type=int, default=0,
                   help="source: send this many bytes of a fixed pattern")
    p.add_argument("--max", type=int, default=256 << 20,
                   help="eofreply: give up past this many bytes")
    args = p.parse_args()
    banner = sl.unescape(args.banner)

    def handle(conn, peer):
        sl.append_line(args.log, "connect")
        if banner and not sl.send_all(conn, banner):
            conn.close()
            return
        globals()["mode_" + args.mode](conn, args)

    return sl.serve(args, handle)


def mode_echo(conn, args):
    echoed = 0
    want = args.close_after
    while want < 0 or echoed < want:
        n = 65536 if want < 0 else min(65536, want - echoed)
        data = sl.recv_some(conn, n)
        if not data:
            sl.append_line(args.log, "eof after %d" % echoed)
            break
        if not sl.send_all(conn, data):
            break
        echoed += len(data)
    sl.append_line(args.log, "close after %d" % echoed)
    sl.graceful_close(conn)


def mode_http(conn, args):
    head, _, eof = sl.read_header(conn, 65536)
    sl.append_line(args.log, "request %r" % head.split(b"\r\n", 1)[0])
    if args.delay > 0:
        time.sleep(args.delay)
    if args.body_file:
        with open(args.body_file, "rb") as f:
            body = f.read()
    else:
        body = sl.unescape(args.body)
    cond = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() in (b"if-none-match", b"if-modified-since"):
            cond[name.lower().decode()] = value.strip().decode("latin-1")
    if args.etag is not None:
        sl.append_line(args.log, "validators %s" % " | ".join(
            "%s: %s" % kv for kv in sorted(cond.items())))
    validators = b""
    if args.etag is not None:
        validators = (b"ETag: %s\r\nLast-Modified: Mon, 01 Jan 2024 "
                      b"00:00:00 GMT\r\n" % args.etag.encode())
    if head.startswith(b"GET ") and args.etag is not None and \
            cond.get("if-none-match") == args.etag:
        reply = (b"HTTP/1.0 304 Not Modified\r\n" + validators +
                 b"Connection: close\r\n\r\n")
    elif head.startswith(b"GET "):
        reply = (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                 b"Content-Length: %d\r\n" % len(body) + validators +
                 b"Connection: close\r\n\r\n" + body)
    else:
        reply = (b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n"
                 b"Connection: close\r\n\r\n")
    sl.send_all(conn, reply)
    sl.graceful_close(conn)


def pattern(size):
    block = bytes(range(256)) * 256
    whole, part = divmod(size, len(block))
    return block * whole + block[:part]


def mode_source(conn, args):
    if args.file:
        with open(args.file, "rb") as f:
            data = f.read()
    else:
        data = pattern(args.size)
    ok = sl.send_all(conn, data)
    sl.append_line(args.log, "sent %d" % (len(data) if ok else -1))
    sl.graceful_close(conn)


def mode_eofreply(conn, args):
    data = b""
    while len(data) <= args.max:
        chunk = sl.recv_some(conn)
        if not chunk:
            break
        data += chunk
    sl.append_line(args.log, "eof after %d" % len(data))
    sl.send_all(conn, b"EOF after %d bytes: " % len(data) + data)
    sl.graceful_close(conn)


def mode_sink(conn, args):
    digest = hashlib.sha256()
    got = 0
    conn.shutdown(socket.SHUT_WR)
    while True:
        chunk = sl.recv_some(conn)
        if not chunk:
            break
        got += len(chunk)
        digest.update(chunk)
    sl.append_line(args.log, "eof after %d sha256 %s" % (got, digest.hexdigest()))
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
