#!/usr/bin/env python3
"""postern's benchmark against the other HTTP CONNECT clients.

Run through bench/run (which installs the peers first) or `make bench` /
`make bench-quick`.  Python only starts, waits for and reaps processes and
does the statistics: the bytes of every measured tunnel go from
`head -c N /dev/zero` or the C servers in bench/ to the C discard server or
sink, through the client under test and the C proxy (bench/fastproxy.c),
stunnel or squid.  Every server listens on 127.0.0.1, every wait is bounded
and every process started is stopped by PID at the end.

What it measures, for postern and each peer, interleaved run by run:
  upload / download   N bytes through the tunnel: MB/s from the client's
                      start to the arrival of the last byte at the C
                      discard server (upload) or sink (download); CPU
                      seconds per GB of the client process alone (user +
                      sys from wait4); peak RSS (ru_maxrss)
  rtt                 1-byte ping-pong through the tunnel to an echo
                      server with TCP_NODELAY (bench/pingpong.c drives the
                      client's stdin and stdout through pipes)
  start               from fork() to the first byte of the target's banner
                      on the client's stdout: the median of 15 launches
                      per round (5 with --quick)
and the same through an https proxy (stunnel before fastproxy), a
throughput row through squid, and scp through sshd with ProxyCommand,
ProxyCommand + ProxyUseFdpass, and a direct connection.
The PAC table (with the plain section) sets the start of postern
--pac, its proxy from a cached PAC of about 30 KiB (http://, revalidated
with a 304 each launch) and from a file://, against -x naming that proxy.
The listener section sets postern -L against socat's fork listener
(proxytunnel -a is left out: it binds every address): tunnels set up
per second, PSS per idle tunnel and MB/s through one tunnel (bench/echod.c and bench/tunnels.c).

With --previous PATH (make bench BENCH_PREVIOUS=<git rev>), a second build
of postern runs as a client of its own beside the current one, and each
table gets a "postern ÷ previous" ratio row.
"""

import argparse
import atexit
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANNER = "SSH-2.0-bench\r\n"
MB = 1e6
GB = 1e9

# ---------------------------------------------------------------- processes

LIVE = {}  # pid -> (Popen, name): everything started and not yet reaped


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def spawn(argv, name=None, **kw):
    kw.setdefault("close_fds", True)
    p = subprocess.Popen(argv, **kw)
    LIVE[p.pid] = (p, name or os.path.basename(argv[0]))
    return p


def _reaped(p, st):
    p.returncode = os.waitstatus_to_exitcode(st)
    LIVE.pop(p.pid, None)


def wait4(p, timeout):
    """Reap p within timeout seconds: (status, rusage), or None."""
    if p.pid not in LIVE:
        return None
    deadline = time.monotonic() + timeout
    try:
        pfd = os.pidfd_open(p.pid)
    except OSError:
        pfd = None
    try:
        while True:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                _reaped(p, st)
                return st, ru
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if pfd is not None:
                select.select([pfd], [], [], left)
            else:
                time.sleep(min(left, 0.005))
    finally:
        if pfd is not None:
            os.close(pfd)


def stop(p, grace=2.0):
    """Stop p by its PID: TERM, then KILL.  (status, rusage) or None."""
    if p.pid not in LIVE:
        return None
    for sig, t in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            pass
        r = wait4(p, t)
        if r is not None:
            return r
    return None


def stop_all():
    for pid, (p, name) in list(LIVE.items()):
        stop(p, 1.0)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
signal.signal(signal.SIGHUP, lambda *a: sys.exit(129))


class Lines:
    """Line reader over a pipe, with a timeout on each line."""

    def __init__(self, f):
        self.fd = f.fileno()
        self.buf = b""

    def line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")


class Server:
    """One of the C servers in build/bench (prints its port first)."""

    def __init__(self, argv, logf, name=None):
        self.p = spawn(argv, name, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=logf)
        self.lines = Lines(self.p.stdout)
        first = self.lines.line(10)
        if first is None or not first.strip().isdigit():
            stop(self.p)
            raise RuntimeError("%s did not start" % argv[0])
        self.port = int(first)

    def result(self, timeout):
        """The server's result line (None: none came in time)."""
        return self.lines.line(timeout)

    def close(self, timeout=5):
        """Reap the server, stopping it if it has not ended in time."""
        if wait4(self.p, timeout) is None:
            stop(self.p)
        self.p.stdout.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def ru_cpu(ru):
    return ru.ru_utime + ru.ru_stime


# ---------------------------------------------------------------- the clients


class Tool:
    def __init__(self, name, label, argv, need, env=None, note=""):
        self.name, self.label, self.argv = name, label, argv
        self.need, self.env, self.note = need, env, note


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                "no_proxy", "postern_proxy",
                                "postern_pac")}
    env.update(extra or {})
    return env


# The previous build's row (--previous): a client like the others, never
# a peer, its failures reported but not the bench's.
PREV = "postern-prev"


def prev_label(label):
    """The previous build's row label: "postern LABEL (previous)"."""
    return "postern %s (previous)" % label if label else "postern (previous)"


def posterns(postern, previous, label, argv):
    """postern's Tool and, with --previous=(path, label), the previous
    build's right after it; argv(binary, host, port)."""
    rows = [Tool("postern", label, lambda h, p: argv(postern, h, p), postern)]
    if previous:
        path, plabel = previous
        rows.append(Tool(PREV, plabel, lambda h, p: argv(path, h, p), path))
    return rows


def plain_tools(postern, pp, previous=None):
    """The clients through a plain proxy on 127.0.0.1:pp."""
    return posterns(postern, previous, "postern", lambda b, h, p: [
        b, "-x", "http://127.0.0.1:%d" % pp, h, str(p)]) + [
        Tool("proxytunnel", "proxytunnel",
             lambda h, p: ["proxytunnel", "-p", "127.0.0.1:%d" % pp,
                           "-d", "%s:%d" % (h, p)], "proxytunnel"),
        Tool("corkscrew", "corkscrew",
             lambda h, p: ["corkscrew", "127.0.0.1", str(pp), h, str(p)],
             "corkscrew"),
        Tool("connect-proxy", "connect-proxy",
             lambda h, p: ["connect", "-H", "127.0.0.1:%d" % pp, h, str(p)],
             "connect"),
        Tool("nc", "nc (OpenBSD)",
             lambda h, p: ["nc", "-X", "connect", "-x", "127.0.0.1:%d" % pp,
                           h, str(p)], "nc"),
        Tool("ncat", "ncat",
             lambda h, p: ["ncat", "--proxy", "127.0.0.1:%d" % pp,
                           "--proxy-type", "http", h, str(p)], "ncat"),
        Tool("socat", "socat",
             lambda h, p: ["socat", "-", "PROXY:127.0.0.1:%s:%d,proxyport=%d"
                           % (h, p, pp)], "socat"),
    ]


def floor_tool(postern, kind):
    """The direct connection with no proxy: the floor."""
    if kind == "postern":
        return Tool("direct", "direct, no proxy (postern, no_proxy=*)",
                    lambda h, p: [postern, h, str(p)], postern,
                    env={"no_proxy": "*"})
    if kind == "socat":
        return Tool("direct", "direct, no proxy (socat)",
                    lambda h, p: ["socat", "-", "TCP:%s:%d" % (h, p)], "socat")
    return Tool("direct", "direct, no proxy (nc)",
                lambda h, p: ["nc", h, str(p)], "nc")


def tls_tools(postern, sp, ca, previous=None):
    return posterns(postern, previous, "postern (https proxy)",
                    lambda b, h, p: [b, "-x", "https://localhost:%d" % sp,
                                     "--proxy-cacert", ca, h, str(p)]) + [
        Tool("proxytunnel", "proxytunnel -E",
             lambda h, p: ["proxytunnel", "-E", "-C", ca,
                           "-p", "localhost:%d" % sp, "-d", "%s:%d" % (h, p)],
             "proxytunnel"),
    ]


# ---------------------------------------------------------------- PAC (issue 14)

PAC_SIZE = 30 * 1024    # about this many bytes of PAC


def make_pac(path, pp):
    """A PAC of about PAC_SIZE bytes shaped like a corporate one (internal
    zones DIRECT, services with proxies of their own, host patterns),
    whose answer for the bench's targets (127.0.0.1) is fastproxy.  No
    name lookups: their cost would be the resolver's, not postern's."""
    head = ["// The bench's PAC (bench/bench.py make_pac).",
            "var INTERNAL = ["]
    zones, services, patterns = [], [], []
    i = 0
    while True:
        zones.append('\t".zone-%03d.corp.example",' % i)
        services.append('\t"svc-%03d.corp.example": '
                        '"PROXY svc-proxy-%03d.corp.example:8080; DIRECT",'
                        % (i, i % 7))
        patterns.append('\t["*.cdn-%03d.example.net", '
                        '"PROXY bypass-%d.corp.example:3128"],' % (i, i % 3))
        i += 1
        body = "\n".join(head + zones + ["];", "var SERVICES = {"] +
                         services + ["};", "var PATTERNS = ["] + patterns)
        if len(body) >= PAC_SIZE - 1024:
            break
    text = body + """
];

function FindProxyForURL(url, host) {
	var i;

	if (isPlainHostName(host) || host == "localhost")
		return "DIRECT";
	for (i = 0; i < INTERNAL.length; i++)
		if (dnsDomainIs(host, INTERNAL[i]))
			return "DIRECT";
	if (SERVICES.hasOwnProperty(host))
		return SERVICES[host];
	for (i = 0; i < PATTERNS.length; i++)
		if (shExpMatch(host, PATTERNS[i][0]))
			return PATTERNS[i][1];
	if (shExpMatch(url, "https://127.0.0.1:*"))
		return "PROXY 127.0.0.1:%d";
	return "PROXY proxy.corp.example:8080";
}
""" % pp
    with open(path, "w") as f:
        f.write(text)
    return len(text)


def pac_tools(postern, pp, url, path, env):
    """postern -x naming fastproxy, and postern with a PAC that names it:
    over http:// (cached, revalidated with a 304 on each launch) and from
    a file."""
    return [
        Tool("postern", "postern -x (the same proxy)",
             lambda h, p: [postern, "-x", "http://127.0.0.1:%d" % pp, h,
                           str(p)], postern, env=env),
        Tool("postern-pac", "postern --pac http://… (cached, 304)",
             lambda h, p: [postern, "--pac", url, h, str(p)], postern,
             env=env),
        Tool("postern-pac-file", "postern --pac file://…",
             lambda h, p: [postern, "--pac", "file://" + path, h, str(p)],
             postern, env=env),
    ]


def section_pac(b, postern, pp, notes):
    """The start-up of a tunnel whose proxy comes from a cached PAC,
    against -x naming the same proxy.  The PAC server is Python's
    http.server (Last-Modified, a 304 to If-Modified-Since), served once
    before the runs so that the cache holds the PAC."""
    v = subprocess.run([postern, "-V"], capture_output=True, text=True,
                       timeout=10).stdout
    if not re.search(r"^proxies:.* pac\b", v, re.M):
        notes.append("postern -V does not list pac: no PAC table.")
        return
    d = os.path.join(b.tmp, "pac")
    web, cache, run = (os.path.join(d, x) for x in ("www", "cache", "run"))
    for x in (web, cache, run):
        os.makedirs(x, mode=0o700)
    path = os.path.join(web, "corp.pac")
    b.pac_bytes = make_pac(path, pp)
    port = free_port()
    srv = spawn([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                 "--directory", web, str(port)], "pac-server",
                stdout=b.logf("pac-server"), stderr=subprocess.STDOUT)
    try:
        if not wait_port(port, srv, 10):
            raise RuntimeError("the PAC server did not start")
        env = {"XDG_CACHE_HOME": cache, "XDG_RUNTIME_DIR": run}
        tools = pac_tools(postern, pp, "http://127.0.0.1:%d/corp.pac" % port,
                          path, env)
        # The first launch fetches (200) and fills the cache.
        b.start("pac-warmup", tools[1], 0)
        cached = os.path.isdir(os.path.join(cache, "postern")) and \
            os.listdir(os.path.join(cache, "postern"))
        if not cached:
            notes.append("The PAC cache was empty after the first launch: "
                         "the http:// row measures fetches.")
        b.rounds("pac", tools, ("start",), b.a.rounds)
    finally:
        stop(srv)


def pac_report(R, pac_bytes):
    """The PAC table and issue 14's target."""
    if not any(r["section"] == "pac" for r in R):
        return [], []
    cols = [COLS[5]]
    rows = [(n, [r["label"] for r in R if r["section"] == "pac" and
                 r["tool"] == n][0])
            for n in ("postern", "postern-pac", "postern-pac-file")
            if any(r["section"] == "pac" and r["tool"] == n for r in R)]
    tl, S, _ = table(R, "pac", rows, cols, [])
    lines = ["## PAC (issue 14): start-up with the proxy from a PAC of %.0f "
             "KiB" % (pac_bytes / 1024), "", "| client | start → 1st byte "
             "ms | added to -x, ms |", "|---|---:|---:|"]
    X = S.get("postern", [None])[0]
    for (name, label), line in zip(rows, tl[2:]):
        s = S[name][0]
        add = "—" if name == "postern" or not s or not X else \
            "%+.2f" % (s[0] - X[0])
        lines.append(line[:-1] + "| %s |" % add)
    lines += ["", "The same fastproxy and echo targets as the plain "
              "section, in runs of their own (interleaved as above). "
              "http:// is `python3 -m http.server` on 127.0.0.1, fetched "
              "once before the runs; each launch then revalidates the cached "
              "copy (If-Modified-Since, 304) and evaluates it. file:// reads "
              "and evaluates it.", ""]
    targets = []
    P = S.get("postern-pac", [None])[0]
    if P and X:
        add = P[0] - X[0]
        targets.append(("PAC: start-up with a cached %.0f KiB PAC ≤ -x's + 3 "
                        "ms (issue 14)" % (pac_bytes / 1024),
                        "%+.2f ms (%.2f against %.2f)" % (add, P[0], X[0]),
                        add < 3, "met" if add < 3 else "%.2f ms over" %
                        (add - 3)))
    return lines, targets


def available(tool):
    # BENCH_MISSING=a,b: treat these as not installed (to test that path).
    if tool.name in os.environ.get("BENCH_MISSING", "").split(","):
        return False
    return os.path.isfile(tool.need) if "/" in tool.need else \
        shutil.which(tool.need) is not None


# ---------------------------------------------------------------- one run


class Bench:
    def __init__(self, args, tmp):
        self.a = args
        self.tmp = tmp
        self.bin = lambda name: os.path.join(args.bindir, name)
        self.records = []
        self.logs = {}
        self.t_run = time.monotonic()

    def logf(self, name):
        if name not in self.logs:
            self.logs[name] = open(os.path.join(self.tmp, name + ".log"), "ab")
        return self.logs[name]

    def log_tail(self, name, n=5):
        path = os.path.join(self.tmp, name + ".log")
        try:
            with open(path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return " | ".join(lines[-n:])
        except OSError:
            return ""

    def record(self, section, tool, scenario, rnd, ok, **m):
        r = dict(section=section, tool=tool.name, label=tool.label,
                 scenario=scenario, round=rnd, ok=ok, **m)
        r["wall"] = time.monotonic() - self.t_run
        self.t_run = time.monotonic()
        self.records.append(r)
        if self.a.verbose:
            log("%s/%s %s: %s" % (section, tool.name, scenario, {
                k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in m.items()}))
        if not ok:
            log("%s/%s %s run %d FAILED: %s" % (section, tool.label, scenario,
                                               rnd + 1, m.get("why", "")))
        return r

    def timeout_for(self, size):
        return 30 + size / (8 * MB)

    def launch(self, argv, name, **kw):
        """Start a client under build/bench/launch, which reports its
        rusage (see launch.c for why not from here)."""
        res = os.path.join(self.tmp, "launch.out")
        try:
            os.unlink(res)
        except FileNotFoundError:
            pass
        return spawn([self.bin("launch"), "-o", res, "--"] + argv, name,
                     **kw), res

    def finish_client(self, p, res, done, stdin_w=None):
        """Reap the client after its data has arrived: it should exit by
        itself (grace), else its stdin is closed, else it is stopped.
        -> ((status, utime_s, stime_s, maxrss_kb) or None, how)"""
        how = "exit"
        r = wait4(p, 3 if done else 1)
        if r is None and stdin_w is not None:
            os.close(stdin_w)
            stdin_w = None
            how = "stdin-eof"
            r = wait4(p, 2)
        if r is None:
            how = "killed"
            r = stop(p)
        if stdin_w is not None:
            os.close(stdin_w)
        try:
            with open(res) as f:
                st, ut, sy, rss = (int(x) for x in f.read().split())
            return (st, ut / 1e6, sy / 1e6, rss), how
        except (OSError, ValueError):
            return None, how

    def upload(self, section, tool, rnd):
        size = self.a.size
        errf = self.logf(section + "-" + tool.name)
        srv = Server([self.bin("discard"), str(size)], self.logf("servers"))
        # stdout is a pipe, as ssh gives a ProxyCommand; nothing should
        # come back on it.
        sink = spawn([self.bin("sink"), "0"], "sink", stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=self.logf("servers"))
        sink_lines = Lines(sink.stdout)
        argv = tool.argv("127.0.0.1", srv.port)
        env = clean_env(tool.env)
        t0 = time.monotonic_ns()
        head = spawn(["head", "-c", str(size), "/dev/zero"], "head",
                     stdout=subprocess.PIPE)
        p, res = self.launch(argv, tool.name, stdin=head.stdout,
                             stdout=sink.stdin, stderr=errf, env=env)
        head.stdout.close()
        sink.stdin.close()
        line = srv.result(self.timeout_for(size))
        srv.close(1 if line is None else 5)
        r, how = self.finish_client(p, res, line is not None)
        if wait4(head, 2) is None:
            stop(head)
        back = sink_lines.line(5)
        if wait4(sink, 2) is None:
            stop(sink)
        sink.stdout.close()
        got, t_last = (int(x) for x in line.split()) if line else (0, 0)
        if back is None or back.split()[0] != "0":
            got = -1  # bytes came back that nobody sent
        return self._xfer(section, tool, rnd, "upload", size, got, t0,
                          t_last, r, how)

    def download(self, section, tool, rnd):
        size = self.a.size
        errf = self.logf(section + "-" + tool.name)
        srv = Server([self.bin("source"), str(size)], self.logf("servers"))
        sink = spawn([self.bin("sink"), str(size)], "sink",
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=self.logf("servers"))
        sink_lines = Lines(sink.stdout)
        argv = tool.argv("127.0.0.1", srv.port)
        env = clean_env(tool.env)
        # The client's stdin stays open (as ssh keeps it) until its end.
        rfd, wfd = os.pipe()
        t0 = time.monotonic_ns()
        p, res = self.launch(argv, tool.name, stdin=rfd, stdout=sink.stdin,
                             stderr=errf, env=env)
        os.close(rfd)
        sink.stdin.close()
        sent = srv.result(self.timeout_for(size))
        r, how = self.finish_client(p, res, sent is not None, wfd)
        srv.close(1)
        line = sink_lines.line(10)
        if wait4(sink, 2) is None:
            stop(sink)
        sink.stdout.close()
        got, t_n = (int(x) for x in line.split()) if line else (0, 0)
        return self._xfer(section, tool, rnd, "download", size, got, t0, t_n,
                          r, how)

    def _xfer(self, section, tool, rnd, scen, size, got, t0, t_end, r, how):
        if r is None:
            return self.record(section, tool, scen, rnd, False,
                               why="client could not be reaped")
        status, ut, sy, rss = r
        m = dict(bytes=got, exit=status, end=how, maxrss_kb=rss,
                 cpu_s=ut + sy, user_s=ut, sys_s=sy)
        if got == -1:
            return self.record(section, tool, scen, rnd, False,
                               why="bytes came back on the client's stdout",
                               **m)
        if got != size or t_end == 0:
            return self.record(section, tool, scen, rnd, False,
                               why="%d of %d bytes arrived (client exit %s, %s; %s)"
                               % (got, size, status, how,
                                  self.log_tail(section + "-" + tool.name, 2)),
                               **m)
        secs = (t_end - t0) / 1e9
        m.update(secs=secs, mbps=size / MB / secs,
                 cpu_per_gb=(ut + sy) / (size / GB))
        return self.record(section, tool, scen, rnd, True, **m)

    def rtt(self, section, tool, rnd):
        n = self.a.rtt_rounds
        errf = self.logf(section + "-" + tool.name)
        srv = Server([self.bin("echo"), BANNER], self.logf("servers"))
        argv = tool.argv("127.0.0.1", srv.port)
        env = clean_env(tool.env)
        pp = spawn([self.bin("pingpong"), "-n", str(n), "-b", BANNER, "-t",
                    "10", "--"] + argv, "pingpong", stdout=subprocess.PIPE,
                   stderr=errf, env=env)
        out = Lines(pp.stdout).line(60 + n / 1000)
        if wait4(pp, 5) is None:
            stop(pp)
        pp.stdout.close()
        echoed = srv.result(5)
        srv.close(1)
        m = {}
        for kv in (out or "").split():
            k, _, v = kv.partition("=")
            m[k] = int(v) if v.lstrip("-").isdigit() else v
        ok = m.pop("ok", 0) == 1 and echoed is not None and int(echoed) == n
        if not ok:
            return self.record(section, tool, "rtt", rnd, False,
                               why="ping-pong failed: %s (echoed %s; %s)"
                               % (out, echoed, self.log_tail(
                                   section + "-" + tool.name, 2)), **m)
        m.update(rtt_us=m["rtt_p50_ns"] / 1e3, rtt_mean_us=m["rtt_mean_ns"] / 1e3,
                 start_ms=m["first_ns"] / 1e6,
                 end={0: "exit", 1: "killed"}[m.get("killed", 0)])
        return self.record(section, tool, "rtt", rnd, True, **m)

    def start(self, section, tool, rnd):
        """START_LAUNCHES fresh tunnels, each to a new echo server: the
        median of their fork() to first-byte times.  One launch is a few
        milliseconds, so a single one per round is mostly noise."""
        firsts, hung = [], []
        for _ in range(self.a.start_launches):
            srv = Server([self.bin("echo"), BANNER], self.logf("servers"))
            pp = spawn([self.bin("pingpong"), "-n", "1", "-b", BANNER, "-t",
                        "10", "--"] + tool.argv("127.0.0.1", srv.port),
                       "pingpong", stdout=subprocess.PIPE,
                       stderr=self.logf(section + "-" + tool.name),
                       env=clean_env(tool.env))
            out = Lines(pp.stdout).line(20)
            if wait4(pp, 5) is None:
                stop(pp)
            pp.stdout.close()
            srv.result(5)
            srv.close(1)
            m = dict(kv.partition("=")[::2] for kv in (out or "").split())
            if m.get("ok") != "1":
                hung.append(out)
                continue
            firsts.append(int(m["first_ns"]) / 1e6)
        # A client that now and then never shows the banner (a TLS record
        # left unread in its library's buffer) gets its median from the
        # launches that worked, and the report counts the others; one in
        # fifteen must not blank the whole figure.
        if len(firsts) <= len(hung):
            return self.record(section, tool, "start", rnd, False,
                               why="launch failed: %s" % hung[0])
        return self.record(section, tool, "start", rnd, True,
                           start_ms=statistics.median(firsts),
                           start_each_ms=firsts, start_hung=len(hung),
                           start_hung_why=hung[:1])

    def rounds(self, section, tools, scenarios, nrounds):
        """Interleave: round by round, scenario by scenario, every tool
        once, the order of the tools rotated from one round to the next."""
        for rnd in range(nrounds):
            for scen in scenarios:
                k = rnd % len(tools)
                for tool in tools[k:] + tools[:k]:
                    getattr(self, scen)(section, tool, rnd)
            log("%s: round %d of %d done" % (section, rnd + 1, nrounds))


# ---------------------------------------------------------------- services


def start_fastproxy(b):
    s = Server([b.bin("fastproxy")], b.logf("fastproxy"), "fastproxy")
    return s


def make_pki(d):
    """A CA and a certificate for localhost / 127.0.0.1, with the openssl
    CLI: d/ca.pem, d/server.pem, d/server.key."""
    def run(*argv):
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
        "/CN=postern bench CA", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", d + "/ca.key", "-out", d + "/ca.pem")
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
        "-keyout", d + "/server.key", "-out", d + "/server.csr")
    run("openssl", "x509", "-req", "-in", d + "/server.csr", "-CA",
        d + "/ca.pem", "-CAkey", d + "/ca.key", "-CAcreateserial", "-days",
        "30", "-extfile", ext, "-out", d + "/server.pem")
    return d + "/ca.pem", d + "/server.pem", d + "/server.key"


def start_stunnel(b, connect_port, cert, key):
    d = os.path.join(b.tmp, "stunnel")
    os.makedirs(d, exist_ok=True)
    for _ in range(5):
        port = free_port()
        conf = os.path.join(d, "stunnel.conf")
        with open(conf, "w") as f:
            f.write("foreground = yes\npid = %s/stunnel.pid\ndebug = 3\n"
                    "syslog = no\n[proxy]\naccept = 127.0.0.1:%d\n"
                    "connect = 127.0.0.1:%d\ncert = %s\nkey = %s\n"
                    "TIMEOUTclose = 0\n" % (d, port, connect_port, cert, key))
        p = spawn([shutil.which("stunnel4") or "stunnel", conf], "stunnel",
                  stdin=subprocess.DEVNULL, stdout=b.logf("stunnel"),
                  stderr=subprocess.STDOUT)
        if wait_port(port, p, 20):
            return p, port
        stop(p)
    raise RuntimeError("stunnel did not start: " + b.log_tail("stunnel"))


SQUID_CONF = """http_port 127.0.0.1:{port}
acl CONNECT method CONNECT
http_access allow localhost
http_access deny all
cache deny all
cache_mem 8 MB
memory_pools off
access_log stdio:{dir}/access.log
cache_log {dir}/cache.log
cache_store_log none
logfile_rotate 0
pid_filename {dir}/squid.pid
coredump_dir {dir}
netdb_filename none
pinger_enable off
shutdown_lifetime 0 seconds
max_filedescriptors 1024
"""


def start_squid(b):
    d = os.path.join(b.tmp, "squid")
    os.makedirs(d, exist_ok=True)
    if os.getuid() == 0:
        # squid drops to the "proxy" user: let it reach its directory.
        os.chmod(b.tmp, 0o755)
        try:
            shutil.chown(d, "proxy")
        except (LookupError, OSError):
            pass
    for _ in range(5):
        port = free_port()
        conf = os.path.join(d, "squid.conf")
        with open(conf, "w") as f:
            f.write(SQUID_CONF.format(port=port, dir=d))
        p = spawn(["squid", "-N", "-f", conf], "squid",
                  stdin=subprocess.DEVNULL, stdout=b.logf("squid"),
                  stderr=subprocess.STDOUT)
        if wait_port(port, p, 30):
            return p, port
        stop(p)
    raise RuntimeError("squid did not start: " + b.log_tail("squid"))


SSHD_CONF = """ListenAddress 127.0.0.1:{port}
HostKey {dir}/host_ed25519
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {user}
UseDNS no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
LogLevel ERROR
Subsystem sftp internal-sftp
"""


def start_sshd(b):
    import pwd
    d = os.path.join(b.tmp, "sshd")
    os.makedirs(d, exist_ok=True)
    user = pwd.getpwuid(os.getuid()).pw_name
    for k in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                        "postern-bench-" + k, "-f", "%s/%s_ed25519" % (d, k)],
                       check=True, timeout=30)
    shutil.copy(d + "/client_ed25519.pub", d + "/authorized_keys")
    if os.getuid() == 0 and not os.path.isdir("/run/sshd"):
        os.makedirs("/run/sshd", 0o755, exist_ok=True)
    for _ in range(5):
        port = free_port()
        conf = os.path.join(d, "sshd_config")
        with open(conf, "w") as f:
            f.write(SSHD_CONF.format(port=port, dir=d, user=user))
        p = spawn(["/usr/sbin/sshd", "-D", "-e", "-f", conf], "sshd",
                  stdin=subprocess.DEVNULL, stdout=b.logf("sshd"),
                  stderr=subprocess.STDOUT)
        if wait_port(port, p, 20):
            with open(d + "/known_hosts", "w") as f:
                with open(d + "/host_ed25519.pub") as h:
                    f.write("[127.0.0.1]:%d %s\n" % (
                        port, " ".join(h.read().split()[:2])))
            return p, port, user, d
        stop(p)
    raise RuntimeError("sshd did not start: " + b.log_tail("sshd"))


# ---------------------------------------------------------------- sections


def section_ssh(b, postern, pp, have_fdpass, previous=None):
    """scp of SIZE bytes to /dev/null on an sshd of ours: direct, through
    fastproxy with postern relaying, with postern --fdpass, and with the
    best relaying peer (proxytunnel).  previous=(path, label, fdpass): the
    previous build's relaying and --fdpass rows as well."""
    sshd, port, user, d = start_sshd(b)
    big = os.path.join(b.tmp, "big")
    with open(big, "wb") as f:
        f.truncate(b.a.size)  # sparse: reading it costs no disk
    base = ["-F", "/dev/null", "-i", d + "/client_ed25519",
            "-o", "IdentitiesOnly=yes",
            "-o", "UserKnownHostsFile=" + d + "/known_hosts",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR",
            "-o", "Ciphers=" + b.a.ssh_cipher, "-o", "Compression=no"]
    proxy = "http://127.0.0.1:%d" % pp
    variants = [Tool("direct", "direct ssh, no ProxyCommand", lambda: [], "scp")]

    def relaying(name, label, binary):
        return Tool(name, label, lambda: ["-o", "ProxyCommand=%s -x %s %%h %%p"
                                          % (binary, proxy)], binary)

    def fdpass(name, label, binary):
        return Tool(name, label,
                    lambda: ["-o", "ProxyCommand=%s --fdpass -x %s %%h %%p"
                             % (binary, proxy),
                             "-o", "ProxyUseFdpass=yes"], binary)
    variants.append(relaying("postern", "ProxyCommand postern (relaying)",
                             postern))
    if previous:
        variants.append(relaying(PREV, "ProxyCommand %s, relaying"
                                 % previous[1], previous[0]))
    if have_fdpass:
        variants.append(fdpass("postern-fdpass", "ProxyCommand postern "
                               "--fdpass + ProxyUseFdpass", postern))
    else:
        log("postern --help does not list --fdpass: the fdpass row is skipped")
    if previous and previous[2]:
        variants.append(fdpass(PREV + "-fdpass", "ProxyCommand %s, --fdpass "
                               "+ ProxyUseFdpass" % previous[1], previous[0]))
    variants.append(Tool("proxytunnel", "ProxyCommand proxytunnel (relaying)",
                         lambda: ["-o", "ProxyCommand=proxytunnel -p 127.0.0.1:%d"
                                  " -d %%h:%%p" % pp], "proxytunnel"))
    variants = [v for v in variants if available(v)]
    size = b.a.size
    for rnd in range(b.a.ssh_rounds):
        k = rnd % len(variants)
        for v in variants[k:] + variants[:k]:
            argv = ["scp", "-q"] + base + v.argv() + ["-P", str(port), big,
                                                      "%s@127.0.0.1:/dev/null" % user]
            errf = b.logf("ssh-" + v.name)
            t0 = time.monotonic_ns()
            p = spawn(argv, "scp", stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, stderr=errf,
                      env=clean_env())
            r = wait4(p, b.timeout_for(size))
            t1 = time.monotonic_ns()
            if r is None:
                r = stop(p)
                b.record("ssh", v, "scp", rnd, False, why="scp timed out")
                continue
            st, ru = r
            status = os.waitstatus_to_exitcode(st)
            if status != 0:
                b.record("ssh", v, "scp", rnd, False,
                         why="scp exit %d: %s" % (status, b.log_tail("ssh-" + v.name, 2)))
                continue
            secs = (t1 - t0) / 1e9
            b.record("ssh", v, "scp", rnd, True, secs=secs,
                     mbps=size / MB / secs,
                     cpu_per_gb=ru_cpu(ru) / (size / GB))
        log("ssh: round %d of %d done" % (rnd + 1, b.a.ssh_rounds))
    stop(sshd)


# ---------------------------------------------------------------- listener


def listening(port):
    """Whether something listens on TCP port `port` (IPv4 or IPv6), from
    /proc/net: a probe connection would be a tunnel, and discard takes
    only one."""
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    w = line.split()
                    if w[3] == "0A" and int(w[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def tree_pss_kb(pid):
    """The sum of the PSS of pid and all its descendants (smaps_rollup)."""
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass  # it ended meanwhile
    return total


def listener_tools(postern, pp, most):
    """The listeners: argv(listen port, host, port) forwards every
    connection through fastproxy on pp to host:port."""
    proxy = "127.0.0.1:%d" % pp
    return [
        Tool("postern", "postern -L",
             lambda lp, h, p: [postern, "-L", "127.0.0.1:%d" % lp,
                               "--max-tunnels", str(most), "-x",
                               "http://" + proxy, h, str(p)], postern),
        # proxytunnel -a is left out: it takes a port only and binds
        # every address, and the bench listens on 127.0.0.1 alone.
        Tool("socat", "socat TCP-LISTEN,fork",
             lambda lp, h, p: ["socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,"
                               "reuseaddr,backlog=128" % lp,
                               "PROXY:127.0.0.1:%s:%d,proxyport=%d"
                               % (h, p, pp)], "socat"),
    ]


class Listener:
    """One listener of a tool, forwarding to 127.0.0.1:target."""

    def __init__(self, b, tool, target):
        for _ in range(5):
            self.port = free_port()
            self.p = spawn(tool.argv(self.port, "127.0.0.1", target),
                           tool.name, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=b.logf("listener-" + tool.name),
                           env=clean_env())
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.p.poll() is None:
                if listening(self.port):
                    return
                time.sleep(0.01)
            stop(self.p)
        raise RuntimeError("%s did not listen" % tool.label)

    def close(self):
        stop(self.p)


def tunnels(b, args, timeout, stdin=subprocess.DEVNULL):
    """bench/tunnels ARGS: (its Popen, a line reader on its stdout)."""
    p = spawn([b.bin("tunnels")] + [str(x) for x in args], "tunnels",
              stdin=stdin, stdout=subprocess.PIPE,
              stderr=b.logf("tunnels"))
    return p, Lines(p.stdout)


def listener_run(b, tool, echo_port, rnd):
    """Setup rates, idle memory and one tunnel's MB/s for one listener."""
    a = b.a
    L = Listener(b, tool, echo_port)
    try:
        for scen, par, n in (("seq", 1, a.l_seq), ("par", a.l_par, a.l_parn)):
            p, out = tunnels(b, ["rate", L.port, n, par], 120)
            line = out.line(120)
            ok = wait4(p, 5) is not None and p.returncode == 0 and line
            p.stdout.close()
            if not ok:
                stop(p)
                b.record("listener", tool, scen, rnd, False,
                         why="tunnels: " + b.log_tail("tunnels", 1))
                continue
            cnt, el, med = (int(x) for x in line.split())
            b.record("listener", tool, scen, rnd, True, rate=cnt / (el / 1e9),
                     median_ms=med / 1e6)
        base = tree_pss_kb(L.p.pid)
        p, out = tunnels(b, ["hold", L.port, a.l_idle], 120,
                         stdin=subprocess.PIPE)
        line = out.line(120)
        held = tree_pss_kb(L.p.pid)
        p.stdin.close()
        if wait4(p, 30) is None or p.returncode != 0 or not line:
            stop(p)
            b.record("listener", tool, "idle", rnd, False,
                     why="tunnels hold: " + b.log_tail("tunnels", 1))
        else:
            b.record("listener", tool, "idle", rnd, True,
                     pss_mb=held / 1024, base_kb=base,
                     pss_kb=(held - base) / a.l_idle)
        p.stdout.close()
    finally:
        L.close()
    srv = Server([b.bin("discard"), str(a.size)], b.logf("servers"))
    L = Listener(b, tool, srv.port)
    try:
        p, out = tunnels(b, ["send", L.port, a.size], b.timeout_for(a.size))
        line = srv.result(b.timeout_for(a.size))
        t0 = out.line(30)
        if wait4(p, 10) is None:
            stop(p)
        p.stdout.close()
        got, t_last = (int(x) for x in line.split()) if line else (0, 0)
        if got != a.size or not t0:
            b.record("listener", tool, "upload", rnd, False,
                     why="%d of %d bytes arrived (%s)" % (
                         got, a.size, b.log_tail("listener-" + tool.name, 1)))
        else:
            secs = (t_last - int(t0)) / 1e9
            b.record("listener", tool, "upload", rnd, True, secs=secs,
                     mbps=a.size / MB / secs)
    finally:
        srv.close(1)
        L.close()


def section_listener(b, postern, pp):
    """postern -L against socat's fork listener, all
    forwarding to echod (or discard) through fastproxy; and a stdio
    postern's upload, for the MB/s target."""
    a = b.a
    tools = [t for t in listener_tools(postern, pp, a.l_idle + 64)
             if available(t)]
    stdio = Tool("postern-stdio", "postern (stdio, as a ProxyCommand)",
                 lambda h, p: [postern, "-x", "http://127.0.0.1:%d" % pp, h,
                               str(p)], postern)
    echo = Server([b.bin("echod")], b.logf("servers"), "echod")
    try:
        for rnd in range(a.rounds):
            k = rnd % len(tools)
            for tool in tools[k:] + tools[:k]:
                listener_run(b, tool, echo.port, rnd)
            b.upload("listener", stdio, rnd)
            log("listener: round %d of %d done" % (rnd + 1, a.rounds))
    finally:
        stop(echo.p)
        echo.p.stdout.close()
    return [t.name for t in tools]


LCOLS = [  # key, scenario, header, digits, higher is better
    ("rate", "seq", "tunnels/s, one at a time", 0, True),
    ("rate", "par", "tunnels/s, %d at once", 0, True),
    ("pss_kb", "idle", "PSS KB per idle tunnel", 0, False),
    ("pss_mb", "idle", "PSS MB, %d idle", 1, False),
    ("mbps", "upload", "MB/s, one tunnel", 0, True),
]


def listener_report(R, a):
    """The listener table and issue 15's targets."""
    names = [r["label"] for r in R if r["section"] == "listener"]
    if not names:
        return []
    cols = [(k, s, h % a.l_par if "at once" in h else h % a.l_idle
             if "idle" in h and "%" in h else h, d, up)
            for k, s, h, d, up in LCOLS]
    rows = []
    for name in ("postern", "proxytunnel", "socat", "postern-stdio"):
        lab = [r["label"] for r in R if r["section"] == "listener" and
               r["tool"] == name]
        if lab:
            rows.append((name, lab[0]))
    peers = [n for n, _ in rows if n in ("proxytunnel", "socat")]
    tl, S, rat = table(R, "listener", rows, cols, peers)
    lines = ["## Listener: postern -L against socat "
             "TCP-LISTEN,fork (forwarding through fastproxy to an echo "
             "server)", "",
             "A tunnel is set up when its first byte has come back from the "
             "echo server (bench/tunnels.c): %d one after another, %d with "
             "%d at once. Memory: the PSS of the listener and all its "
             "processes with %d tunnels open and idle, less the same "
             "before they opened, per tunnel. MB/s: %s through one tunnel "
             "to discard; the stdio row is the plain section's upload."
             % (a.l_seq, a.l_parn, a.l_par, a.l_idle,
                "%d MiB" % (a.size >> 20)), ""] + tl + [""]
    best = rat.get("best")
    if "postern" not in S or not best:
        return lines
    P, t = S["postern"], []
    for i in (0, 1):
        if best[i] and P[i]:
            lim = 2 * best[i][0][0]
            ok = P[i][0] >= lim
            t.append(("Setup rate, %s: ≥ 2× best peer's" % cols[i][2],
                      "%.0f/s (best peer %s %.0f/s)" % (P[i][0], best[i][1],
                                                       best[i][0][0]), ok,
                      "met" if ok else "%.2f× best, limit 2" %
                      (P[i][0] / best[i][0][0])))
    if best[2] and P[2]:
        lim = 0.5 * best[2][0][0]
        ok = P[2][0] <= lim
        t.append(("Memory per idle tunnel ≤ ½ best peer's",
                  "%.0f KB (best peer %s %.0f KB)" % (P[2][0], best[2][1],
                                                     best[2][0][0]), ok,
                  "met" if ok else "%.2f× best, limit 0.5" %
                  (P[2][0] / best[2][0][0])))
    Q = S.get("postern-stdio")
    if Q and Q[4] and P[4]:
        ok = P[4][0] >= Q[4][0]
        t.append(("MB/s through one tunnel ≥ a stdio postern's",
                  "%.0f MB/s (stdio %.0f)" % (P[4][0], Q[4][0]), ok,
                  "met" if ok else "%.1f%% below" %
                  ((1 - P[4][0] / Q[4][0]) * 100)))
    lines += ["### Targets (issue 15)", "", "| target | measured | met? |",
              "|---|---|---|"]
    for what, meas, ok, how in t:
        lines.append("| %s | %s | %s |" % (what, meas, "yes" if ok else
                                            "**no** (%s)" % how))
    return lines + [""]


# ---------------------------------------------------------------- statistics


def stats(values):
    if not values:
        return None
    return (statistics.median(values), min(values), max(values), len(values))


def collect(records, section, tool, scen, key):
    return [r[key] for r in records if r["section"] == section and
            r["tool"] == tool and r["scenario"] == scen and r["ok"] and
            key in r]


def peak_rss(records, section, tool):
    """Per round, the largest ru_maxrss of the client in any scenario."""
    per = {}
    for r in records:
        if r["section"] == section and r["tool"] == tool and r["ok"] and \
                r.get("maxrss_kb"):
            per[r["round"]] = max(per.get(r["round"], 0), r["maxrss_kb"])
    return [v * 1024 / MB for v in per.values()]


def fmt(s, digits):
    if s is None:
        return "—"
    med, lo, hi, n = s
    f = "%%.%df" % digits
    return (f + " (" + f + "–" + f + ")") % (med, lo, hi)


def ratio(a, b):
    if a is None or b is None or b[0] == 0:
        return None
    return a[0] / b[0]


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: 64 MiB, 1,000 round trips")
    ap.add_argument("--postern", default=os.path.join(ROOT, "build", "postern"))
    ap.add_argument("--previous", metavar="PATH",
                    help="a previous build of postern: its own row in every "
                    "section, and postern ÷ previous ratio rows")
    ap.add_argument("--previous-label", metavar="TEXT", default="",
                    help="names the previous build's row (e.g. its short "
                    "commit)")
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--size", default=None, help="bytes per transfer (K/M/G)")
    ap.add_argument("--rtt-rounds", type=int, default=None)
    ap.add_argument("--floor", default="postern",
                    choices=("postern", "socat", "nc"),
                    help="the direct connection used as the floor")
    ap.add_argument("--sections", default="plain,tls,squid,ssh,listener",
                    help="comma list of plain, tls, squid, ssh, listener "
                    "(plain includes the PAC table; pac runs it alone)")
    ap.add_argument("--tools", default=None,
                    help="comma list: only these clients (development)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--from-raw", metavar="RAW.JSON",
                    help="no runs: the report and chart from a raw.json")
    ap.add_argument("--ssh-cipher", default="aes128-gcm@openssh.com")
    a = ap.parse_args()

    def size_of(s):
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        return int(s[:-1]) * mult[s[-1].upper()] if s[-1].upper() in mult \
            else int(s)

    a.size = size_of(a.size) if a.size else (64 << 20 if a.quick else 1 << 30)
    a.rtt_rounds = a.rtt_rounds or (1000 if a.quick else 10000)
    a.start_launches = 5 if a.quick else 15
    a.rounds = a.rounds or 3
    # The listener section: tunnels one at a time, at once (and how many
    # at once), and held open idle.
    a.l_seq, a.l_parn, a.l_par, a.l_idle = (50, 50, 10, 50) if a.quick \
        else (500, 500, 50, 500)
    # One scp moves a GiB in a few seconds with ssh and sshd each on a
    # core: the direct runs alone spread by 2x, so this ratio needs more.
    a.ssh_rounds = a.rounds if a.quick else max(a.rounds, 5)
    a.postern = os.path.abspath(a.postern)
    if a.previous:
        a.previous = os.path.abspath(a.previous)
    sections = a.sections.split(",")
    mode = "bench-quick" if a.quick else "bench"
    t_start = time.monotonic()
    load0 = os.getloadavg()

    for prog in ("fastproxy", "discard", "source", "echo", "sink", "pingpong",
                 "launch"):
        if not os.access(os.path.join(a.bindir, prog), os.X_OK):
            log("missing %s/%s: build it with make bench-quick" % (a.bindir, prog))
            return 2
    if not os.access(a.postern, os.X_OK):
        log("missing %s: run make first" % a.postern)
        return 2
    helptext = subprocess.run([a.postern, "--help"], capture_output=True,
                              text=True, timeout=10).stdout
    have_fdpass = "--fdpass" in helptext
    previous = None  # (path, label) of the previous build
    prev_fdpass = False
    if a.previous and not a.from_raw:
        if not os.access(a.previous, os.X_OK):
            log("missing %s: the previous build (--previous)" % a.previous)
            return 2
        previous = (a.previous, prev_label(a.previous_label))
        prev_fdpass = "--fdpass" in subprocess.run(
            [a.previous, "--help"], capture_output=True, text=True,
            timeout=10).stdout

    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="postern-bench.")
    atexit.register(shutil.rmtree, tmp, True)
    b = Bench(a, tmp)
    notes = []
    missing = []

    if a.from_raw:
        # Only the report and the chart, from the records of a run.
        with open(a.from_raw) as f:
            b.records = json.load(f)
        prev = [r["label"] for r in b.records
                if r["tool"] == PREV and r["section"] == "plain"]
        tools = [t for t in plain_tools(a.postern, 0,
                                        (a.postern, prev[0]) if prev else None)
                 if any(r["tool"] == t.name for r in b.records)]
        floor = floor_tool(a.postern, a.floor)
        peers = [t.name for t in tools if t.name not in ("postern", PREV)]
        md, failed = report(b, a, mode, tools, floor, peers, [], [],
                            have_fdpass, 0, load0)
        with open(os.path.join(a.out, "latest.md"), "w") as f:
            f.write(md)
        print(md)
        chart(b, a, tools, floor)
        return 1 if failed else 0

    fp = start_fastproxy(b)
    pp = fp.port
    log("%s: %d bytes a transfer, %d round trips, %d runs each; fastproxy "
        "on 127.0.0.1:%d" % (mode, a.size, a.rtt_rounds, a.rounds, pp))

    if previous:
        log("previous build: %s, row %s" % previous)
    tools = plain_tools(a.postern, pp, previous)
    floor = floor_tool(a.postern, a.floor)
    if a.tools:
        keep = a.tools.split(",")
        tools = [t for t in tools if t.name in keep or t.name in
                 ("postern", PREV)]
    for t in tools + [floor]:
        if not available(t):
            missing.append(t.name)
            log("%s is not installed (%s): skipped" % (t.label, t.need))
    tools = [t for t in tools if available(t)]
    floor_ok = available(floor)
    peers = [t.name for t in tools if t.name not in ("postern", PREV)]

    if "plain" in sections:
        b.rounds("plain", tools + ([floor] if floor_ok else []),
                 ("upload", "download", "rtt", "start"), a.rounds)

    if "plain" in sections or "pac" in sections:
        try:
            section_pac(b, a.postern, pp, notes)
        except (RuntimeError, subprocess.SubprocessError) as e:
            notes.append("The PAC table did not run: %s." % e)
            log(str(e))

    ca = None
    if "tls" in sections:
        if shutil.which("stunnel4") or shutil.which("stunnel"):
            try:
                pki = os.path.join(tmp, "pki")
                os.makedirs(pki)
                ca, cert, key = make_pki(pki)
                st, sp = start_stunnel(b, pp, cert, key)
                tt = [t for t in tls_tools(a.postern, sp, ca, previous)
                      if available(t)]
                b.rounds("tls", tt, ("upload", "download", "rtt", "start"), a.rounds)
                stop(st)
            except (RuntimeError, subprocess.SubprocessError) as e:
                notes.append("The https-proxy section did not run: %s." % e)
                log(str(e))
        else:
            notes.append("stunnel4 is not installed: no https-proxy section.")

    if "squid" in sections:
        if shutil.which("squid"):
            try:
                sq, sqp = start_squid(b)
                st = [t for t in plain_tools(a.postern, sqp, previous)
                      if t.name in ("postern", PREV, "proxytunnel")
                      and available(t)]
                b.rounds("squid", st, ("upload", "download"), a.rounds)
                stop(sq)
            except RuntimeError as e:
                notes.append("The squid row did not run: %s." % e)
                log(str(e))
        else:
            notes.append("squid is not installed: no squid row.")

    if "ssh" in sections:
        if os.path.exists("/usr/sbin/sshd") and shutil.which("scp"):
            try:
                section_ssh(b, a.postern, pp, have_fdpass,
                            previous and previous + (prev_fdpass,))
            except (RuntimeError, subprocess.SubprocessError) as e:
                notes.append("The ssh section did not run: %s." % e)
                log(str(e))
        else:
            notes.append("sshd or scp is not installed: no ssh section.")
        if not have_fdpass:
            notes.append("postern --help does not list --fdpass yet: "
                         "no fdpass row.")

    if "listener" in sections:
        try:
            section_listener(b, a.postern, pp)
        except RuntimeError as e:
            notes.append("The listener section did not run: %s." % e)
            log(str(e))

    stop(fp.p)
    elapsed = time.monotonic() - t_start
    md, failed = report(b, a, mode, tools, floor if floor_ok else None, peers,
                        missing, notes, have_fdpass, elapsed, load0)
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "raw.json"), "w") as f:
        json.dump(b.records, f, indent=1)
    print(md)
    chart(b, a, tools, floor if floor_ok else None)
    pfail = sum(1 for r in b.records
                if not r["ok"] and r["tool"].startswith(PREV))
    if pfail:
        log("the previous build failed %d run(s), listed in the report's "
            "notes (they do not fail the bench)" % pfail)
    if failed:
        log("postern FAILED to move the bytes correctly in: " + ", ".join(failed))
        return 1
    log("done in %.0f s" % elapsed)
    return 0


# ---------------------------------------------------------------- report

COLS = [  # key, scenario, header, digits, higher is better
    ("mbps", "upload", "upload MB/s", 0, True),
    ("mbps", "download", "download MB/s", 0, True),
    ("cpu_per_gb", "upload", "CPU s/GB up", 3, False),
    ("cpu_per_gb", "download", "CPU s/GB down", 3, False),
    ("rtt_us", "rtt", "RTT µs", 1, False),
    ("start_ms", "start", "start → 1st byte ms", 2, False),
    ("rss", None, "peak RSS MB", 2, False),
]


def cell_stats(records, section, tool, col):
    key, scen = col[0], col[1]
    if key == "rss":
        return stats(peak_rss(records, section, tool))
    return stats(collect(records, section, tool, scen, key))


def table(records, section, rows, cols, peers, floor_name=None):
    """rows: [(name, label)].  The ratio rows compare postern with the
    best peer of each column and with the floor."""
    out = ["| client | " + " | ".join(c[2] for c in cols) + " |",
           "|---|" + "---:|" * len(cols)]
    S = {}
    for name, label in rows:
        S[name] = [cell_stats(records, section, name, c) for c in cols]
        out.append("| %s | %s |" % (label, " | ".join(
            fmt(s, c[3]) for s, c in zip(S[name], cols))))
    ratios = {}
    if "postern" in S and peers:
        cells, best = [], []
        for i, c in enumerate(cols):
            cand = [(S[p][i], p) for p in peers if p in S and S[p][i]]
            if not cand:
                cells.append("—")
                best.append(None)
                continue
            s, who = (max if c[4] else min)(cand, key=lambda x: x[0][0])
            rr = ratio(S["postern"][i], s)
            best.append((s, who, rr))
            cells.append("%s (%s)" % ("%.2f" % rr if rr is not None else "—",
                                      who))
        ratios["best"] = best
        out.append("| **postern ÷ best peer** | " + " | ".join(cells) + " |")
    if "postern" in S and floor_name in S:
        cells, fl = [], []
        for i, c in enumerate(cols):
            rr = ratio(S["postern"][i], S[floor_name][i])
            fl.append((S[floor_name][i], rr))
            cells.append("%.2f" % rr if rr is not None else "—")
        ratios["floor"] = fl
        out.append("| **postern ÷ direct floor** | " + " | ".join(cells) + " |")
    if "postern" in S and PREV in S:
        ratios["previous"] = prev_ratios(S, cols)
        out.append("| **postern ÷ previous** | " + " | ".join(
            "%.3f" % rr if rr is not None else "—"
            for rr in ratios["previous"]) + " |")
    return out, S, ratios


def prev_ratios(S, cols):
    """Per column, the current build's median over the previous build's."""
    return [ratio(S["postern"][i], S[PREV][i]) for i in range(len(cols))]


PREV_NOTE = ("postern ÷ previous is the current build's median over the "
             "previous build's: below 1 is better for CPU, seconds, RTT, "
             "start and RSS, above 1 for MB/s.")


def prev_compare(section, cols, rr, within=0.03):
    """One line for the previous-build summary: the columns where the
    current build is more than `within` worse than the previous one."""
    worse, n = [], 0
    for c, r in zip(cols, rr):
        if r is None:
            continue
        n += 1
        bad = r < 1 - within if c[4] else r > 1 + within
        if bad:
            worse.append("%s %.3f" % (c[2], r))
    if not n:
        return None
    return "| %s | %d of %d | %s |" % (section, n - len(worse), n,
                                      "; ".join(worse) or "—")


def report(b, a, mode, tools, floor, peers, missing, notes, have_fdpass,
           elapsed, load0):
    R = b.records
    size_txt = "%d MiB" % (a.size >> 20) if a.size < 1 << 30 else \
        "%g GiB" % (a.size / (1 << 30))
    lines = ["# postern benchmark (`make %s`)" % mode, "",
             "%s per transfer, %d round trips, %d runs of each; every cell "
             "is the median (min–max). Host: %s, %d cores, kernel %s; load "
             "average %.2f at the start, %.2f at the end; %.0f s in all."
             % (size_txt, a.rtt_rounds, a.rounds, platform.node() or "?",
                os.cpu_count() or 0, platform.release(), load0[0],
                os.getloadavg()[0], elapsed), ""]
    failed = []
    for r in R:
        if not r["ok"] and r["tool"] in ("postern", "postern-fdpass",
                                         "postern-pac", "postern-pac-file"):
            failed.append("%s %s run %d" % (r["section"], r["scenario"],
                                            r["round"] + 1))
    targets = []
    versus = []  # rows of the previous-build summary

    def with_prev(section, rows):
        """rows, with the previous build's after postern's if it ran."""
        for name, label in list(rows):
            if not name.startswith("postern"):
                continue
            pname = PREV + name[len("postern"):]
            plabel = [r["label"] for r in R if r["section"] == section and
                      r["tool"] == pname]
            if plabel:
                rows.insert(rows.index((name, label)) + 1,
                            (pname, plabel[0]))
        return rows

    def versus_prev(title, cols, rat):
        if "previous" in rat:
            versus.append(prev_compare(title, cols, rat["previous"]))

    if any(r["section"] == "plain" for r in R):
        rows = [(t.name, t.label) for t in tools]
        if floor:
            rows.append(("direct", floor.label))
        tl, S, rat = table(R, "plain", rows, COLS, peers, "direct")
        lines += ["## Plain HTTP proxy (bench/fastproxy.c on 127.0.0.1)", ""]
        lines += tl + [""]
        versus_prev("plain HTTP proxy", COLS, rat)
        targets += plain_targets(S, rat)

    if any(r["section"] == "tls" for r in R):
        rows = with_prev("tls", [("postern", "postern (https proxy)"),
                                 ("proxytunnel", "proxytunnel -E")])
        tl, S, rat = table(R, "tls", rows, COLS, ["proxytunnel"])
        lines += ["## https proxy (stunnel in front of fastproxy)", ""]
        lines += tl + [""]
        versus_prev("https proxy", COLS, rat)
        lines += ["Both verify the proxy's certificate: postern with "
                  "`--proxy-cacert CA`, proxytunnel -E with `-C CA` (checked "
                  "by hand with Debian's proxytunnel 1.10.20210128: it "
                  "rejects an unknown CA and a certificate for another host "
                  "name, as postern does).", ""]
        targets += tls_targets(S, rat)

    if any(r["section"] == "squid" for r in R):
        cols = COLS[:4]
        rows = with_prev("squid", [("postern", "postern"),
                                   ("proxytunnel", "proxytunnel")])
        tl, S, rat = table(R, "squid", rows, cols, ["proxytunnel"])
        lines += ["## Through squid (a real proxy)", ""] + tl + [""]
        versus_prev("squid", cols, rat)

    if any(r["section"] == "ssh" for r in R):
        cols = [("mbps", "scp", "scp MB/s", 0, True),
                ("secs", "scp", "seconds", 2, False),
                ("cpu_per_gb", "scp", "scp+ssh CPU s/GB", 3, False)]
        rows = []
        for name, label in (("direct", "direct ssh (no ProxyCommand)"),
                            ("postern", "ProxyCommand postern (relaying)"),
                            ("postern-fdpass", "ProxyCommand postern --fdpass, "
                             "ProxyUseFdpass yes"),
                            ("proxytunnel", "ProxyCommand proxytunnel (relaying)")):
            if any(r["section"] == "ssh" and r["tool"] == name for r in R):
                rows.append((name, label))
        rows = with_prev("ssh", rows)
        out = ["| ssh transport | " + " | ".join(c[2] for c in cols) + " |",
               "|---|" + "---:|" * len(cols)]
        S = {}
        for name, label in rows:
            S[name] = [cell_stats(R, "ssh", name, c) for c in cols]
            out.append("| %s | %s |" % (label, " | ".join(
                fmt(s, c[3]) for s, c in zip(S[name], cols))))
        for name in ("postern-fdpass", "postern"):
            if name in S and "direct" in S and S[name][0] and S["direct"][0]:
                out.append("| **%s ÷ direct** | %.3f | %.3f | — |" % (
                    "fdpass" if name != "postern" else "relaying",
                    ratio(S[name][0], S["direct"][0]),
                    ratio(S[name][1], S["direct"][1])))
        for name, how in (("postern", "relaying"), ("postern-fdpass", "fdpass")):
            pname = PREV + name[len("postern"):]
            if name in S and pname in S:
                rr = [ratio(x, y) for x, y in zip(S[name], S[pname])]
                out.append("| **postern ÷ previous, %s** | %s |" % (
                    how, " | ".join("%.3f" % x if x is not None else "—"
                                    for x in rr)))
                versus.append(prev_compare("ssh, " + how, cols, rr))
        lines += ["## ssh's own transfer: scp of %s to /dev/null (cipher %s; "
                  "%d runs of each; the CPU column is scp's whole process "
                  "tree as wait4 reports it)" % (size_txt, a.ssh_cipher,
                                                 len({r["round"] for r in R
                                                      if r["section"] == "ssh"})),
                  ""] + out + [""]
        if "postern-fdpass" in S and "direct" in S and S["postern-fdpass"][0] \
                and S["direct"][0]:
            rr = ratio(S["postern-fdpass"][0], S["direct"][0])
            targets.append(("--fdpass: scp within 5% of a direct connection",
                            "%.1f%% of direct's MB/s" % (rr * 100), rr >= 0.95,
                            "met" if rr >= 0.95 else "%.1f%% short" %
                            ((0.95 - rr) * 100)))

    lines += listener_report(R, a)
    tl, tg = pac_report(R, getattr(b, "pac_bytes", PAC_SIZE))
    lines += tl
    targets += tg

    versus = [v for v in versus if v]
    if versus:
        lines += ["## postern against the previous build", "",
                  PREV_NOTE + " Issue 11 wants every figure within 3% of "
                  "the previous build's or better (from the medians above; "
                  "on a busy machine a few percent is noise: see the "
                  "min–max).", "",
                  "| section | columns within 3% or better | worse by more "
                  "than 3% (postern ÷ previous) |", "|---|---:|---|"]
        lines += versus + [""]

    if targets:
        lines += ["## Targets (issue 5%s)" % (", issue 14's PAC row" if tg
                                              else ""), "",
                  "| target | measured | met? |", "|---|---|---|"]
        for what, meas, ok, how in targets:
            lines.append("| %s | %s | %s |" % (what, meas,
                                                "yes" if ok else "**no** (%s)" % how))
        lines.append("")

    # How the clients ended: a client that had to be stopped is a finding.
    ends = {}
    for r in R:
        if r["ok"] and r.get("end") not in (None, "exit"):
            ends.setdefault((r["section"], r["label"], r["end"]), 0)
            ends[(r["section"], r["label"], r["end"])] += 1
    lines += ["## Notes", ""]
    lines.append("- MB = 10^6 bytes, GB = 10^9 bytes. Throughput counts from "
                 "the client's start to the arrival of the last byte at the "
                 "C discard server (upload) or the C sink on the client's "
                 "stdout pipe (download); data comes from `head -c N "
                 "/dev/zero` or the C source server. CPU is the client "
                 "process's own user+sys from wait4; RTT is the median of "
                 "the 1-byte round trips of each run; start is fork() to the "
                 "first byte of the target's banner on the client's stdout, "
                 "the median of %d launches per run; " % a.start_launches +
                 "peak RSS is the largest ru_maxrss of each round.")
    if floor:
        lines.append("- The direct floor is %s: the same C servers with no "
                     "proxy in between." % floor.label)
    for (sec, label, how), n in sorted(ends.items()):
        lines.append("- %s (%s): %d run(s) did not exit by themselves after "
                     "the far side closed: %s." % (label, sec, n,
                                                    "exited after its stdin "
                                                    "was closed" if how ==
                                                    "stdin-eof" else
                                                    "stopped with SIGTERM"))
    hung = {}
    for r in R:
        if r["ok"] and r.get("start_hung"):
            k = (r["section"], r["label"])
            hung[k] = hung.get(k, 0) + r["start_hung"]
    for (sec, label), n in sorted(hung.items()):
        lines.append("- %s (%s): %d launch(es) of the start-up runs showed "
                     "no banner within 10 s and are left out of its median."
                     % (label, sec, n))
    for r in R:
        if not r["ok"]:
            lines.append("- FAILED%s: %s / %s %s run %d: %s" % (
                " (the previous build's: not the bench's failure)"
                if r["tool"].startswith(PREV) else "",
                r["section"], r["label"], r["scenario"], r["round"] + 1,
                r.get("why", "")))
    for m in missing:
        lines.append("- %s is not installed: no row." % m)
    for n in notes:
        lines.append("- " + n)
    lines.append("")
    return "\n".join(lines), failed


def plain_targets(S, rat):
    t = []
    if "postern" not in S:
        return t
    best = rat.get("best")
    floor = rat.get("floor")
    P = S["postern"]

    def med(s):
        return s[0] if s else None
    if best:
        for i, d in ((2, "upload"), (3, "download")):
            if best[i] and P[i]:
                lim = min(0.5 * best[i][0][0], 0.25)
                ok = P[i][0] <= lim
                t.append(("CPU s/GB, plain, %s: ≤ ½ best peer's and ≤ 0.25" % d,
                          "%.3f (best peer %s %.3f)" % (P[i][0], best[i][1],
                                                         best[i][0][0]),
                          ok, "met" if ok else "%.2f× the limit %.3f" %
                          (P[i][0] / lim, lim)))
        for i, d in ((0, "upload"), (1, "download")):
            if best[i] and P[i]:
                lim = best[i][0][0]
                fl = floor[i][0][0] if floor and floor[i][0] else None
                lim2 = max(lim, fl) if fl else lim
                ok = P[i][0] >= lim2
                t.append(("Throughput, %s: ≥ best peer's and ≥ floor's" % d,
                          "%.0f MB/s (best peer %s %.0f%s)" % (
                              P[i][0], best[i][1], lim,
                              ", floor %.0f" % fl if fl else ""),
                          ok, "met" if ok else "%.2g%% below" %
                          ((1 - P[i][0] / lim2) * 100)))
        if best[4] and P[4]:
            lim = best[4][0][0] + 5
            ok = P[4][0] <= lim
            t.append(("Round trip ≤ best peer's + 5 µs",
                      "%.1f µs (best peer %s %.1f)" % (P[4][0], best[4][1],
                                                       best[4][0][0]),
                      ok, "met" if ok else "%.1f µs over" % (P[4][0] - lim)))
        if best[5] and P[5]:
            lim = 0.8 * best[5][0][0]
            ok = P[5][0] <= lim
            t.append(("Start to first byte ≤ 0.8 × best peer's",
                      "%.2f ms (best peer %s %.2f)" % (P[5][0], best[5][1],
                                                       best[5][0][0]),
                      ok, "met" if ok else "%.2f× best, limit 0.8" %
                      (P[5][0] / best[5][0][0])))
    if P[6]:
        ok = P[6][0] <= 2.5
        t.append(("Peak RSS, plain proxy ≤ 2.5 MB", "%.2f MB" % P[6][0], ok,
                  "met" if ok else "%.2f MB over" % (P[6][0] - 2.5)))
    return t


def tls_targets(S, rat):
    t = []
    if "postern" not in S or "proxytunnel" not in S:
        return t
    P, Q = S["postern"], S["proxytunnel"]
    for i, d in ((2, "upload"), (3, "download")):
        if P[i] and Q[i]:
            lim = 0.7 * Q[i][0]
            ok = P[i][0] <= lim
            t.append(("TLS CPU s/GB, %s: ≤ 0.7 × proxytunnel -E's" % d,
                      "%.3f (proxytunnel -E %.3f)" % (P[i][0], Q[i][0]), ok,
                      "met" if ok else "%.2f× theirs, limit 0.7" %
                      (P[i][0] / Q[i][0])))
    if P[6] and Q[6]:
        ok = P[6][0] <= Q[6][0]
        t.append(("Peak RSS, TLS proxy ≤ proxytunnel -E's",
                  "%.2f MB (proxytunnel -E %.2f)" % (P[6][0], Q[6][0]), ok,
                  "met" if ok else "%.2f MB over" % (P[6][0] - Q[6][0])))
    return t


# ---------------------------------------------------------------- chart


def chart(b, a, tools, floor):
    gp = shutil.which("gnuplot")
    if not gp:
        log("gnuplot is not installed: no chart")
        return
    R = b.records
    # The README's chart is postern and its peers: no previous build.
    rows = [("plain", t.name, t.label) for t in tools if t.name != PREV]
    if floor:
        rows.append(("plain", "direct", "direct (floor)"))
    rows += [("tls", "postern", "postern https"),
             ("tls", "proxytunnel", "proxytunnel -E")]
    dat = os.path.join(a.out, "chart.dat")
    n = 0
    with open(dat, "w") as f:
        f.write("# label, then median min max of: upload MB/s, download "
                "MB/s, upload CPU s/GB, download CPU s/GB\n")
        for sec, name, label in rows:
            v = [stats(collect(R, sec, name, sc, k)) for k, sc in
                 (("mbps", "upload"), ("mbps", "download"),
                  ("cpu_per_gb", "upload"), ("cpu_per_gb", "download"))]
            if all(x is None for x in v):
                continue
            f.write('"%s" %s\n' % (label, " ".join(
                "%.4f %.4f %.4f" % x[:3] if x else "0 0 0" for x in v)))
            n += 1
    if n == 0:
        return
    png = os.path.join(a.out, "chart.png")
    size_txt = "%d MiB" % (a.size >> 20) if a.size < 1 << 30 else "1 GiB"
    script = """
set terminal pngcairo size 1100,800 font "sans,10"
set output '{png}'
set multiplot layout 2,1 title "postern vs. peers on loopback: {size} transfers, median and min–max of {rounds} runs ({mode})"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics rotate by -20 nomirror
set yrange [0:*]
set ylabel "MB/s (higher is better)"
set title "Throughput"
plot '{dat}' using 2:3:4:xtic(1) title "upload", '' using 5:6:7 title "download"
set ylabel "CPU s per GB (lower is better)"
set title "Client CPU per GB relayed (user+sys)"
plot '{dat}' using 8:9:10:xtic(1) title "upload", '' using 11:12:13 title "download"
unset multiplot
""".format(png=png, dat=dat, size=size_txt, rounds=a.rounds,
           mode="make bench-quick" if a.quick else "make bench")
    r = subprocess.run([gp], input=script, text=True, capture_output=True,
                       timeout=60)
    if r.returncode != 0 or not os.path.exists(png):
        log("gnuplot failed: " + r.stderr.strip()[-300:])
        return
    # The README shows the full bench's chart: a quick run, or one written
    # elsewhere (make check's smoke run), leaves it alone.
    if not a.quick and os.path.realpath(a.out) == os.path.realpath(
            os.path.join(ROOT, "bench", "results")):
        shutil.copy(png, os.path.join(ROOT, "bench", "chart.png"))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
