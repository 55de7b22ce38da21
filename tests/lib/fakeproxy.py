#!/usr/bin/env python3
"""A scripted HTTP proxy for replies that squid and tinyproxy never send.

It reads the request header of each connection, records it (raw bytes) into
--record, and then, depending on --mode:

    close    send --reply (+ --banner, in the same write), then close
    relay    send --reply, then relay to the CONNECT target (or --target),
             carrying a half-close in each direction as a FIN
    silent   never answer; hold the connection until the client goes
    slow     send --reply one byte every --interval seconds, then close
    endless  send --reply, then --repeat over and over until the client goes
    reset    send --reply (+ --banner), then reset the connection (RST)

The record file is written once the header has arrived (or the client went
away without finishing it), atomically: it exists only if a client connected.
--reply and --banner take backslash escapes; --reply-file reads a file.

A connection whose header is the single line "POSTERN-MARKER TOKEN" is a
marker (tests/helpers.bash, assert_no_request): it is not recorded, and it
is answered "marker TOKEN after N" (N: the connections accepted before it,
markers included) only once every connection accepted before it has been
recorded; "marker TOKEN timeout" if one of them has not within --io-timeout.
After that answer, a missing record file proves that no client connected
before the marker.
"""

import socket
import struct
import sys
import threading
import time

import serverlib as sl


def main():
    p = sl.parser(__doc__)
    p.add_argument("--mode", default="close",
                   choices=("close", "relay", "silent", "slow", "endless", "reset"))
    p.add_argument("--record", help="write the request received here")
    p.add_argument("--log", help="append one line per event here")
    p.add_argument("--reply", default=r"HTTP/1.1 200 Connection established\r\n\r\n")
    p.add_argument("--reply-file")
    p.add_argument("--banner", default="",
                   help="bytes sent right after the reply, in the same write")
    p.add_argument("--target", help="relay: HOST:PORT instead of the request's")
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--repeat", default=r"X-Filler: 0123456789abcdef\r\n")
    p.add_argument("--hold", type=float, default=60.0,
                   help="silent: the longest a connection is held")
    p.add_argument("--max-bytes", type=int, default=64 << 20,
                   help="endless: stop after sending this much")
    args = p.parse_args()
    if args.reply_file:
        with open(args.reply_file, "rb") as f:
            reply = f.read()
    else:
        reply = sl.unescape(args.reply)
    reply += sl.unescape(args.banner)

    ledger = Ledger()

    def handle(conn, peer, seq):
        sl.append_line(args.log, "connect")
        head, rest, eof = sl.read_header(conn)
        if head.startswith(MARKER):
            token = head[len(MARKER):].strip().decode("latin-1")
            done = ledger.wait_before(seq, args.io_timeout)
            ledger.settle(seq)
            answer = "marker %s %s" % (token, "after %d" % seq if done else "timeout")
            sl.append_line(args.log, answer)
            sl.send_all(conn, answer.encode() + b"\n")
            sl.graceful_close(conn)
            return
        try:
            if args.record:
                sl.write_atomically(args.record, head + rest)
        finally:
            ledger.settle(seq)
        sl.append_line(args.log, "request %d bytes%s" % (len(head), " eof" if eof else ""))
        globals()["mode_" + args.mode](conn, args, reply, head, rest)

    return sl.serve(args, handle, ledger.accept)


MARKER = b"POSTERN-MARKER "


class Ledger:
    """Which accepted connections have not been recorded yet."""

    def __init__(self):
        self.cond = threading.Condition()
        self.accepted = 0
        self.unsettled = set()

    def accept(self):
        """In the accepting thread: the connection's number."""
        with self.cond:
            seq = self.accepted
            self.accepted += 1
            self.unsettled.add(seq)
            return seq

    def settle(self, seq):
        with self.cond:
            self.unsettled.discard(seq)
            self.cond.notify_all()

    def wait_before(self, seq, timeout):
        """Until every connection accepted before seq has settled."""
        with self.cond:
            return self.cond.wait_for(
                lambda: not any(s < seq for s in self.unsettled), timeout)


def mode_close(conn, args, reply, head, rest):
    sl.send_all(conn, reply)
    sl.graceful_close(conn)


def mode_reset(conn, args, reply, head, rest):
    sl.send_all(conn, reply)
    time.sleep(0.2)
    # SO_LINGER with a zero timeout turns close() into a RST.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def mode_silent(conn, args, reply, head, rest):
    conn.settimeout(args.hold)
    while sl.recv_some(conn):
        pass
    conn.close()


def mode_slow(conn, args, reply, head, rest):
    for i in range(len(reply)):
        if not sl.send_all(conn, reply[i:i + 1]):
            break
        time.sleep(args.interval)
    sl.graceful_close(conn)


def mode_endless(conn, args, reply, head, rest):
    chunk = sl.unescape(args.repeat) * 64
    sent = len(reply)
    if sl.send_all(conn, reply):
        while sent < args.max_bytes and sl.send_all(conn, chunk):
            sent += len(chunk)
    sl.append_line(args.log, "endless stopped after %d" % sent)
    conn.close()


def request_target(head):
    line = head.split(b"\n", 1)[0].decode("latin-1").strip()
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != "CONNECT":
        return None
    host, _, port = parts[1].rpartition(":")
    return host.strip("[]"), int(port)


def pump(src, dst, log, name):
    """Copy src to dst; at EOF on src, pass the FIN on to dst."""
    total = 0
    while True:
        data = sl.recv_some(src)
        if not data:
            break
        if not sl.send_all(dst, data):
            break
        total += len(data)
    sl.append_line(log, "%s eof after %d" % (name, total))
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def mode_relay(conn, args, reply, head, rest):
    if args.target:
        host, _, port = args.target.rpartition(":")
        target = (host.strip("[]"), int(port))
    else:
        target = request_target(head)
    try:
        far = socket.create_connection(target, timeout=10)
    except (OSError, TypeError) as e:
        sl.append_line(args.log, "relay connect failed: %r" % (e,))
        sl.send_all(conn, b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        sl.graceful_close(conn)
        return
    far.settimeout(args.io_timeout)
    if not sl.send_all(conn, reply) or (rest and not sl.send_all(far, rest)):
        far.close()
        conn.close()
        return
    up = threading.Thread(target=pump, args=(conn, far, args.log, "client"),
                          daemon=True)
    up.start()
    pump(far, conn, args.log, "target")
    up.join(args.io_timeout)
    far.close()
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
