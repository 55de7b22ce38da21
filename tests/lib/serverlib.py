"""Shared pieces of the test servers in tests/lib.

Every server listens on a loopback address only, on a port the kernel picks,
writes that port to a file once it is listening (so a test never races the
bind), serves each connection in its own thread, and exits by itself once it
has been idle for a while, so that a test run that dies leaves nothing behind
for long.
"""

import argparse
import os
import select
import socket
import sys
import threading
import time

LOOPBACK = ("127.0.0.1", "::1")


def unescape(text):
    """Turn 'a\\r\\nb\\x00' into bytes; backslash escapes as in Python."""
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def common_args(parser):
    parser.add_argument("--listen", default="127.0.0.1", choices=LOOPBACK,
                        help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0,
                        help="port (default: one the kernel picks)")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--idle", type=float, default=120.0,
                        help="exit after this many seconds without a connection")
    parser.add_argument("--io-timeout", type=float, default=120.0,
                        help="give up on a connection silent for this long")


def write_atomically(path, data):
    tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def append_line(path, line):
    if not path:
        return
    with open(path, "a") as f:
        f.write(line + "\n")


def recv_some(sock, n=65536):
    """recv() that turns a reset or a timeout into end of stream."""
    try:
        return sock.recv(n)
    except (ConnectionError, socket.timeout, OSError):
        return b""


def send_all(sock, data):
    try:
        sock.sendall(data)
        return True
    except (ConnectionError, socket.timeout, OSError):
        return False


def graceful_close(sock, drain=5.0):
    """Send FIN, read what is still coming for a while, then close.

    Closing a socket with unread bytes in its receive buffer sends a RST,
    which could make the client lose data it has not read yet; draining
    first avoids that.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    deadline = time.monotonic() + drain
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], left)
            if not r:
                break
            if not sock.recv(65536):
                break
    except OSError:
        pass
    sock.close()


def read_header(sock, limit=1 << 20):
    """Read until the blank line that ends an HTTP header section.

    Returns (header bytes, bytes that came after it, whether EOF was seen).
    """
    data = b""
    while True:
        for sep in (b"\r\n\r\n", b"\n\n"):
            i = data.find(sep)
            if i != -1:
                return data[:i + len(sep)], data[i + len(sep):], False
        if len(data) >= limit:
            return data, b"", False
        chunk = recv_some(sock)
        if not chunk:
            return data, b"", True
        data += chunk


def serve(args, handler, on_accept=None):
    """Accept connections and run handler(conn, peer) for each in a thread.

    With on_accept, it is called in the accepting thread, in the order the
    connections were accepted, before the handler's thread starts; what it
    returns is passed to the handler as a third argument.
    """
    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    lsock.bind((args.listen, args.port))
    lsock.listen(128)
    port = lsock.getsockname()[1]
    if args.port_file:
        write_atomically(args.port_file, b"%d\n" % port)
    else:
        print(port, flush=True)

    active = [0]
    lock = threading.Lock()
    last = [time.monotonic()]

    def run(conn, peer, extra):
        try:
            conn.settimeout(args.io_timeout)
            handler(conn, peer, *extra)
        except Exception as e:  # a broken client must not kill the server
            sys.stderr.write("connection %r: %r\n" % (peer, e))
            try:
                conn.close()
            except OSError:
                pass
        finally:
            with lock:
                active[0] -= 1
                last[0] = time.monotonic()

    while True:
        r, _, _ = select.select([lsock], [], [], 1.0)
        if r:
            try:
                conn, peer = lsock.accept()
            except OSError:
                continue
            with lock:
                active[0] += 1
                last[0] = time.monotonic()
            extra = (on_accept(),) if on_accept else ()
            threading.Thread(target=run, args=(conn, peer, extra),
                             daemon=True).start()
            continue
        with lock:
            idle = active[0] == 0 and time.monotonic() - last[0] > args.idle
        if idle:
            return 0


def parser(description):
    p = argparse.ArgumentParser(description=description)
    common_args(p)
    return p
