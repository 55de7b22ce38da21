#!/usr/bin/env python3
"""ttyprompt.py [--answer TEXT=REPLY]... --transcript FILE -- COMMAND [ARG...]

Run COMMAND as ssh runs a ProxyCommand from a terminal: standard input
and output stay ours (pipes), and a pseudo-terminal of its own is its
controlling terminal, so /dev/tty reaches this script.  Each time the
terminal shows the next TEXT, REPLY and a newline are typed.

FILE gets what the terminal showed, then one line per answer:
"answered TEXT: echo on|off", read from the terminal's modes as the
reply was typed.  Exit status: COMMAND's, or 124 when it did not end
within --timeout seconds (default 20).
"""
import argparse
import fcntl
import os
import select
import signal
import sys
import termios
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--answer", action="append", default=[])
    p.add_argument("--transcript", required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("command", nargs="+")
    a = p.parse_args()
    answers = [x.split("=", 1) for x in a.answer]

    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.close(slave)
        try:
            os.execvp(a.command[0], a.command)
        finally:
            os._exit(127)
    os.close(slave)

    shown, notes, status, pos = b"", [], None, 0
    deadline = time.monotonic() + a.timeout
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = 124
            break
        r, _, _ = select.select([master], [], [], min(left, 0.05))
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the last holder of the terminal left
                chunk = b""
            shown += chunk
        at = shown.find(answers[0][0].encode(), pos) if answers else -1
        if at != -1:
            text, reply = answers.pop(0)
            pos = at + len(text.encode())
            # postern sets the modes before it writes the question.
            echo = termios.tcgetattr(master)[3] & termios.ECHO
            notes.append("answered %s: echo %s" % (text, "on" if echo else "off"))
            os.write(master, reply.encode() + b"\n")
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
    # What the terminal still holds after the command ended.
    while True:
        r, _, _ = select.select([master], [], [], 0.05)
        if not r:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    with open(a.transcript, "w") as f:
        f.write(shown.decode(errors="replace"))
        f.write("\n" + "\n".join(notes) + "\n")
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
