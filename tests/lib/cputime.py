#!/usr/bin/env python3
"""Run a command and write the CPU time it used (user + system, from the
rusage that wait4() returns) to a file, in seconds.

    cputime.py FILE CMD [ARG...]

The exit status is the command's (128 + N when a signal N ended it). A
resource bound, not a timing: a process that sleeps in poll() uses none,
whatever the clock says.
"""

import os
import sys


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out, cmd = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(out, "w") as f:
        f.write("%.3f\n" % (usage.ru_utime + usage.ru_stime))
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
