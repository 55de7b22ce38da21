#!/usr/bin/env python3
"""ttyprompt.py [--delay S] [--answer TEXT=REPLY | --signal TEXT=SIG]... --transcript FILE -- COMMAND [ARG...]

Run COMMAND as ssh runs a ProxyCommand from a terminal: standard input
and output stay ours (pipes), and a pseudo-terminal of its own is its
controlling terminal, so /dev/tty reaches this script.  The steps run in
the order given, each when the terminal shows its TEXT after what the
step before it saw:

  --answer TEXT=REPLY   type REPLY and a newline (--delay S: after S
                        seconds, as a slow typist would)
  --signal TEXT=SIG     send SIG (INT, TERM, TSTP, ...) to COMMAND; after
                        a stop signal, wait until COMMAND is stopped, note
                        the terminal's echo, and send SIGCONT

COMMAND runs in a process group of its own under a session leader that
waits for it, as a shell's job does, so that a stop signal stops it
(the kernel ignores stop signals in an orphaned process group).

FILE gets what the terminal showed, then one line per step:
"answered TEXT: echo on|off" (the terminal's mode as the reply was typed),
"signalled SIG at TEXT", "stopped: echo on|off", and last
"at the end: echo on|off".  Exit status: COMMAND's (128 + N when signal N
ended it), or 124 when it did not end within --timeout seconds (default
20).
"""
import argparse
import fcntl
import os
import select
import signal
import sys
import termios
import time


def step(kind):
    def parse(arg):
        text, value = arg.split("=", 1)
        return (kind, text, value)
    return parse


def leader(slave, command, report):
    """The session leader: the terminal's owner, the job's parent."""
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        os.close(report)
        os.close(slave)
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    # Both sides set the group, as shells do, so that neither waits for
    # the other; the child may have done it and exec'd already (EACCES).
    try:
        os.setpgid(pid, pid)
    except PermissionError:
        pass
    # The job is the foreground: its reads and mode changes are allowed.
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.tcsetpgrp(slave, pid)
    os.write(report, b"%d\n" % pid)
    os.close(report)
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    os._exit(code if code >= 0 else 128 - code)


def echo_of(master):
    return "on" if termios.tcgetattr(master)[3] & termios.ECHO else "off"


def stopped(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--answer", action="append", dest="steps", default=[],
                   type=step("answer"))
    p.add_argument("--signal", action="append", dest="steps", type=step("signal"))
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--transcript", required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("command", nargs="+")
    a = p.parse_args()
    steps = list(a.steps)

    master, slave = os.openpty()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.close(rfd)
        try:
            leader(slave, a.command, wfd)
        finally:
            os._exit(127)
    os.close(slave)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        job = int(f.readline() or 0)

    shown, notes, status, pos = b"", [], None, 0
    deadline = time.monotonic() + a.timeout

    def kill_all():
        for target in (job, pid):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        os.waitpid(pid, 0)

    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            kill_all()
            status = 124
            break
        r, _, _ = select.select([master], [], [], min(left, 0.05))
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the last holder of the terminal left
                chunk = b""
            shown += chunk
        at = shown.find(steps[0][1].encode(), pos) if steps else -1
        if at != -1:
            kind, text, value = steps.pop(0)
            pos = at + len(text.encode())
            if kind == "answer":
                # postern sets the modes before it writes the question.
                time.sleep(a.delay)
                notes.append("answered %s: echo %s" % (text, echo_of(master)))
                os.write(master, value.encode() + b"\n")
            else:
                sig = getattr(signal, "SIG" + value)
                os.kill(job, sig)
                notes.append("signalled SIG%s at %s" % (value, text))
                if sig in (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
                    while not stopped(job) and time.monotonic() < deadline:
                        time.sleep(0.01)
                    if stopped(job):
                        notes.append("stopped: echo %s" % echo_of(master))
                    os.kill(job, signal.SIGCONT)
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
    try:
        notes.append("at the end: echo %s" % echo_of(master))
    except termios.error:
        notes.append("at the end: echo unknown")
    with open(a.transcript, "w") as f:
        f.write(shown.decode(errors="replace"))
        f.write("\n" + "\n".join(notes) + "\n")
    sys.exit(status if status >= 0 else 128 - status)


if __name__ == "__main__":
    main()
