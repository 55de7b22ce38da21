#!/usr/bin/env python3
"""Why postern misses a target: the evidence behind the bench's figures.

    bench/analyze.py [--size 256M] [--tools postern,proxytunnel,nc]

For postern, the direct floor and the given peers, on the bench's own
loopback proxy (build/bench/fastproxy) and C servers:
  - system calls per GiB relayed, upload and download (strace -f -c);
  - user-space instructions (valgrind callgrind): for a whole short
    tunnel (start, CONNECT, banner, close), the part spent in the dynamic
    loader, and per GiB relayed;
  - the dynamic loader's relocations (LD_DEBUG=statistics);
  - resident memory by mapping of an idle tunnel (/proc/PID/smaps);
  - whether perf can count cycles and instructions here (perf stat).
Writes bench/results/analysis.md.  Not a timing run: strace and valgrind
slow the clients down many times over.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (process helpers and the tools' command lines)

ROOT = bench.ROOT


def server(b, prog, *args):
    return bench.Server([b.bin(prog)] + [str(a) for a in args],
                        b.logf("servers"))


def run_client(argv, stdin, stdout, env, timeout):
    p = bench.spawn(argv, argv[0], stdin=stdin, stdout=stdout,
                    stderr=subprocess.DEVNULL, env=env)
    if bench.wait4(p, timeout) is None:
        bench.stop(p)


def strace_counts(b, tool, direction, size):
    """{syscall: calls} for one transfer through the client."""
    out = os.path.join(b.tmp, "strace.out")
    env = bench.clean_env(tool.env)
    if direction == "upload":
        srv = server(b, "discard", size)
        head = bench.spawn(["head", "-c", str(size), "/dev/zero"], "head",
                           stdout=subprocess.PIPE)
        sink = bench.spawn([b.bin("sink"), "0"], "sink",
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        run_client(["strace", "-f", "-c", "-o", out] +
                   tool.argv("127.0.0.1", srv.port), head.stdout, sink.stdin,
                   env, 300)
        head.stdout.close()
        sink.stdin.close()
        for p in (head, sink):
            if bench.wait4(p, 5) is None:
                bench.stop(p)
    else:
        srv = server(b, "source", size)
        sink = bench.spawn([b.bin("sink"), str(size)], "sink",
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        rfd, wfd = os.pipe()
        # Some clients only end when their stdin does: close it once the
        # source has sent everything.
        p = bench.spawn(["strace", "-f", "-c", "-o", out] +
                        tool.argv("127.0.0.1", srv.port), "strace",
                        stdin=rfd, stdout=sink.stdin,
                        stderr=subprocess.DEVNULL, env=env)
        os.close(rfd)
        sink.stdin.close()
        srv.result(300)
        if bench.wait4(p, 5) is None:
            os.close(wfd)
            wfd = None
            if bench.wait4(p, 5) is None:
                bench.stop(p)
        if wfd is not None:
            os.close(wfd)
        if bench.wait4(sink, 5) is None:
            bench.stop(sink)
    srv.close(2)
    counts = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$",
                         line)
            if m and m.group(2) != "total":
                counts[m.group(2)] = int(m.group(1))
    return counts


def callgrind(b, tool, size):
    """(total Ir, Ir in ld.so) for one run: size bytes up, or with size 0
    a banner, one 'Q' and the close."""
    out = os.path.join(b.tmp, "cg.out")
    env = bench.clean_env(tool.env)
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
          "--trace-children=no"]
    if size == 0:
        srv = server(b, "echo", bench.BANNER)
        rfd, wfd = os.pipe()
        os.write(wfd, b"Q")
        run_client(vg + tool.argv("127.0.0.1", srv.port), rfd,
                   subprocess.DEVNULL, env, 120)
        os.close(rfd)
        os.close(wfd)
    else:
        srv = server(b, "discard", size)
        head = bench.spawn(["head", "-c", str(size), "/dev/zero"], "head",
                           stdout=subprocess.PIPE)
        sink = bench.spawn([b.bin("sink"), "0"], "sink",
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        run_client(vg + tool.argv("127.0.0.1", srv.port), head.stdout,
                   sink.stdin, env, 600)
        head.stdout.close()
        sink.stdin.close()
        for p in (head, sink):
            if bench.wait4(p, 5) is None:
                bench.stop(p)
    srv.close(2)
    r = subprocess.run(["callgrind_annotate", "--threshold=100", out],
                       capture_output=True, text=True, timeout=120)
    total = ldso = 0
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not m:
            continue
        n, what = int(m.group(1).replace(",", "")), m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            total = n
        elif "ld-linux" in what or what.startswith("./elf/"):
            ldso += n
    os.unlink(out)
    return total, ldso


def ld_stats(argv):
    env = dict(os.environ, LD_DEBUG="statistics")
    r = subprocess.run(argv, capture_output=True, text=True, env=env,
                       timeout=30)
    st = {}
    for line in r.stderr.splitlines():
        m = re.search(r"total startup time in dynamic loader: (\d+)", line)
        if m:
            st["cycles"] = int(m.group(1))
        m = re.search(r"final number of relocations: (\d+)", line)
        if m:
            st["relocs"] = int(m.group(1))
        m = re.search(r"number of relative relocations: (\d+)", line)
        if m:
            st["relative"] = int(m.group(1))
    return st


def smaps(b, tool):
    """Rss (kB) by mapping of the client with an idle tunnel open."""
    srv = server(b, "echo", bench.BANNER)
    rfd, wfd = os.pipe()
    p = bench.spawn(tool.argv("127.0.0.1", srv.port), tool.name, stdin=rfd,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    env=bench.clean_env(tool.env))
    os.close(rfd)
    time.sleep(1.0)
    rss, name = {}, None
    try:
        with open("/proc/%d/smaps" % p.pid) as f:
            for line in f:
                m = re.match(r"[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)", line)
                if m:
                    name = os.path.basename(m.group(1)) or "[anon]"
                elif line.startswith("Rss:"):
                    rss[name] = rss.get(name, 0) + int(line.split()[1])
        with open("/proc/%d/status" % p.pid) as f:
            hwm = [int(line.split()[1]) for line in f
                   if line.startswith("VmHWM")][0]
    except OSError:
        hwm = 0
    os.write(wfd, b"Q")
    os.close(wfd)
    if bench.wait4(p, 5) is None:
        bench.stop(p)
    srv.close(2)
    return hwm, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="256M")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tools", default="postern,proxytunnel,nc,corkscrew")
    ap.add_argument("--postern", default=os.path.join(ROOT, "build", "postern"))
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    a = ap.parse_args()
    size = int(a.size[:-1]) << {"K": 10, "M": 20, "G": 30}[a.size[-1]] \
        if a.size[-1] in "KMG" else int(a.size)
    a.postern = os.path.abspath(a.postern)
    tmp = tempfile.mkdtemp(prefix="postern-analyze.")

    class A:
        bindir = a.bindir
        verbose = False
    A.size = size
    b = bench.Bench(A, tmp)
    fp = server(b, "fastproxy")
    want = a.tools.split(",")
    tools = [t for t in bench.plain_tools(a.postern, fp.port)
             if t.name in want and bench.available(t)]
    tools.append(bench.floor_tool(a.postern, "postern"))
    gib = size / (1 << 30)
    md = ["# Where the cost goes (`bench/analyze.py`)", "",
          "Loopback, bench/fastproxy.c as the proxy, %d MiB per transfer, "
          "stdin and stdout pipes as under ssh. Counts, not timings: strace "
          "and valgrind slow the clients down." % (size >> 20), ""]

    # perf
    r = subprocess.run(["perf", "stat", "-e", "instructions,cycles", "true"],
                       capture_output=True, text=True, timeout=30) \
        if shutil.which("perf") else None
    perf_ok = r is not None and "not supported" not in r.stderr and \
        r.returncode == 0
    md += ["perf stat -e instructions,cycles: %s." % (
        "counts" if perf_ok else "not supported on this machine (no "
        "hardware counters in the VM), so instruction counts come from "
        "callgrind, which sees user space only"), ""]

    # the thinnest relay
    thin = {}
    for d in ("up", "down"):
        for sz, name, label in (("1M", "thin", "thinnest relay, 1 MiB pipe"),
                                ("0", "thin64", "thinnest relay, 64 KiB pipe")):
            thin[(d, name)] = bench.Tool(
                name, label + " (bench/thinrelay.c)",
                (lambda d, sz: lambda h, p: [b.bin("thinrelay"), str(fp.port),
                                             str(p), d, sz])(d, sz),
                b.bin("thinrelay"))
    cmp = [t for t in tools if t.name in ("postern", "proxytunnel")]
    for rnd in range(a.rounds):
        for scen, d in (("upload", "up"), ("download", "down")):
            for t in cmp + [thin[(d, "thin64")], thin[(d, "thin")]]:
                getattr(b, scen)("thin", t, rnd)
    md += ["## What relaying costs here at best", "",
           "The thinnest relay there can be (bench/thinrelay.c: blocking "
           "splice() of up to 1 MiB, no poll(), one direction only; the "
           "stdio pipe left at 64 KiB or enlarged to 1 MiB with "
           "F_SETPIPE_SZ) against postern and proxytunnel, %d runs interleaved, "
           "through fastproxy: client CPU s/GB, median (min–max)." % a.rounds,
           "", "| client | upload | download |", "|---|---:|---:|"]
    for t in cmp + [thin[("up", "thin64")], thin[("up", "thin")]]:
        cells = []
        for scen in ("upload", "download"):
            st = bench.stats(bench.collect(b.records, "thin", t.name, scen,
                                           "cpu_per_gb"))
            cells.append(bench.fmt(st, 3))
        md.append("| %s | %s |" % (t.label, " | ".join(cells)))
    md.append("")
    bench.log("analyze: thin relay done")

    # system calls
    md += ["## System calls per GiB relayed (strace -f -c)", "",
           "| client | direction | calls/GiB | per call | the calls |",
           "|---|---|---:|---:|---|"]
    for t in tools + ["thin64", "thin"]:
        for d in ("upload", "download"):
            if isinstance(t, str):
                t2 = thin[("down" if d == "download" else "up", t)]
            else:
                t2 = t
            try:
                c = strace_counts(b, t2, d, size)
            except (OSError, RuntimeError) as e:
                md.append("| %s | %s | — | — | %s |" % (t2.label, d, e))
                continue
            total = sum(c.values())
            top = sorted(c.items(), key=lambda kv: -kv[1])[:5]
            md.append("| %s | %s | %d | %.0f KiB | %s |" % (
                t2.label, d, total / gib, size / 1024 / max(1, max(
                    [v for k, v in c.items() if k in ("splice", "read",
                                                      "write", "sendto",
                                                      "recvfrom")] or [1])),
                ", ".join("%s %d" % (k, v / gib) for k, v in top)))
        bench.log("analyze: strace %s done" % t2.name)
    md.append("")
    md.append("(per call: bytes relayed per call of the busiest data "
              "system call.)")
    md.append("")

    # callgrind
    if shutil.which("valgrind"):
        md += ["## User-space instructions (callgrind)", "",
               "| client | whole short tunnel: Ir | of which ld.so | per GiB "
               "relayed (upload) |", "|---|---:|---:|---:|"]
        cg_size = min(size, 64 << 20)
        for t in tools:
            try:
                s_tot, s_ld = callgrind(b, t, 0)
                u_tot, _ = callgrind(b, t, cg_size)
                per = (u_tot - s_tot) / (cg_size / (1 << 30))
                md.append("| %s | %s | %s (%.0f%%) | %s |" % (
                    t.label, "{:,}".format(s_tot), "{:,}".format(s_ld),
                    100.0 * s_ld / max(1, s_tot), "{:,.0f}".format(per)))
            except (OSError, RuntimeError, subprocess.SubprocessError) as e:
                md.append("| %s | — | — | %s |" % (t.label, e))
            bench.log("analyze: callgrind %s done" % t.name)
        md.append("")

    # dynamic loader
    md += ["## Dynamic loading (LD_DEBUG=statistics, `--version` or usage)",
           "", "| client | ld.so cycles | symbol relocations | relative "
           "relocations |", "|---|---:|---:|---:|"]
    probes = {"postern": [a.postern, "--version"], "proxytunnel":
              ["proxytunnel", "-V"], "corkscrew": ["corkscrew"],
              "nc": ["nc", "-h"], "connect-proxy": ["connect", "-h"]}
    for name, argv in probes.items():
        if shutil.which(argv[0]) or os.path.exists(argv[0]):
            st = ld_stats(argv)
            md.append("| %s | %s | %s | %s |" % (
                name, "{:,}".format(st.get("cycles", 0)), st.get("relocs", "—"),
                st.get("relative", "—")))
    md.append("")

    # memory
    md += ["## Resident memory of an idle tunnel, by mapping (kB)", ""]
    for t in tools:
        if t.name == "direct":
            continue
        hwm, rss = smaps(b, t)
        top = sorted(rss.items(), key=lambda kv: -kv[1])[:6]
        md.append("- %s: VmHWM %d kB; %s" % (t.label, hwm, ", ".join(
            "%s %d" % kv for kv in top)))
    md.append("")

    bench.stop(fp.p)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "analysis.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))
    shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
