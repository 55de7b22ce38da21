#!/usr/bin/env python3
"""Stand in for ssh's ProxyUseFdpass: run a command whose stdout is one end
of a Unix socketpair, and report what came over the other end.

    fdrecv.py [--send TEXT] -- CMD [ARG...]

If a descriptor arrives (SCM_RIGHTS), TEXT is sent on it and the reply is
read; the report is "fd: <reply>".  If bytes arrive instead (postern relays),
the report is "data: <bytes>".  The command's exit status is the last line:
"exit: N".  Bounded: everything gives up after 20 seconds.
"""

import array
import os
import socket
import subprocess
import sys


def main():
    args = sys.argv[1:]
    send = b"ping\n"
    if args[:1] == ["--send"]:
        send = args[1].encode()
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=theirs)
    theirs.close()
    ours.settimeout(20)
    fds = array.array("i")
    msg, anc, _, _ = ours.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    if fds:
        conn = socket.socket(fileno=fds[0])
        conn.settimeout(20)
        conn.sendall(send)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
        print("fd: " + reply.decode(errors="replace").rstrip("\n"))
        conn.close()
    else:
        print("data: " + msg.decode(errors="replace").rstrip("\n"))
    ours.close()
    try:
        status = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = "timeout"
    print("exit: %s" % status)


if __name__ == "__main__":
    main()
