#!/usr/bin/env python3
"""A scripted HTTP proxy that asks for authentication, for postern's tests.

It answers CONNECT with the 407s that squid never sends, and checks the
credentials it gets back with its own, independent computation (hashlib and
the RFCs; nothing from postern's sources). Only a correct answer gets
"200 Connection established" and a relay to the CONNECT target, which must be
a loopback address.

    --mode digest        Digest (--algorithm MD5, SHA-256, SHA-512-256, or a
                         -sess variant; qop=auth). The response is recomputed
                         from the nonce this proxy sent and --user/--password.
                         Wrong: a new 407, kept alive.
    --mode digest-stale  as digest, but the first correct answer gets a 407
                         with a new nonce and stale=true; only an answer to
                         that new nonce gets the 200. With --stale-always,
                         every correct answer gets stale=true (never a 200).
    --mode basic-close   407 Basic with "Connection: close", then the proxy
                         closes; correct Basic credentials on a later
                         connection get the 200. With --http10, the 407 is
                         an HTTP/1.0 reply with no Connection header and no
                         Content-Length: its body ends when the proxy closes.
    --mode basic-chunked 407 Basic kept alive, with a chunked body (chunk
                         extensions, a last chunk and trailers). The retry
                         must come on the SAME connection: correct credentials
                         on any other connection get 403.
    --mode static        407 to every request, kept alive, with the
                         --challenge headers given (none at all: a 407 with no
                         Proxy-Authenticate). Never a 200.
    --mode ntlm          NTLM (MS-NLMP): Type 1 -> 407 with a Type 2 (server
                         challenge, target info with a timestamp), kept alive;
                         the Type 3 must come on the same connection and carry
                         an NTLMv2 response that verifies against --user
                         (DOMAIN\\user or plain) and --password. With
                         --close-first-type2, the first Type 2 comes with
                         "Connection: close" and the proxy closes: the client
                         must start over with a Type 1 on a new connection.
                         With --cut-first-type2-body, the first Type 2 comes
                         on a 407 kept alive whose Content-Length promises
                         more body than the proxy sends before it closes:
                         the client learns only while reading the body that
                         the connection is gone, and must start over with a
                         Type 1 on a new connection.

Every request is recorded in --record, one line each, tab-separated:

    CONN  N  REQUEST-LINE  PROXY-AUTHORIZATION-OR-"-"  VERDICT

CONN counts connections from 1, N the requests on that connection. VERDICT is
one of: challenge (no credentials: 407), ok (200, relayed), wrong (407),
stale (407 with stale=true), other-connection (403), refused (403, not a
loopback target), bad-request (400). --log gets one line per connection
event. The proxy listens on loopback only, exits when idle (--idle) and in
any case after --lifetime seconds.
"""

import base64
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import threading
import time

import serverlib as sl

REPLY_200 = b"HTTP/1.1 200 Connection established\r\n\r\n"


def main():
    p = sl.parser(__doc__)
    p.add_argument("--mode", required=True,
                   choices=("digest", "digest-stale", "basic-close",
                            "basic-chunked", "static", "ntlm"))
    p.add_argument("--user", default="alice")
    p.add_argument("--password", default="")
    p.add_argument("--realm", default="postern-authproxy")
    p.add_argument("--algorithm", default="SHA-256")
    p.add_argument("--stale-always", action="store_true")
    p.add_argument("--http10", action="store_true",
                   help="basic-close: a close-delimited HTTP/1.0 407")
    p.add_argument("--close-first-type2", action="store_true",
                   help="ntlm: close the connection after the first Type 2")
    p.add_argument("--cut-first-type2-body", action="store_true",
                   help="ntlm: cut off the body of the first Type 2's 407")
    p.add_argument("--challenge", action="append", default=[],
                   help="static: a Proxy-Authenticate value (repeatable)")
    p.add_argument("--record", required=True)
    p.add_argument("--log")
    p.add_argument("--lifetime", type=float, default=300.0,
                   help="exit after this many seconds, whatever happens")
    args = p.parse_args()

    # Bounded lifetime: a test run that dies leaves nothing behind for long.
    t = threading.Timer(args.lifetime, lambda: os._exit(3))
    t.daemon = True
    t.start()

    proxy = Proxy(args)
    return sl.serve(args, proxy.handle)


# --- HTTP pieces ------------------------------------------------------------

class Conn:
    """A client connection with a read buffer, so that a second request on
    a kept-alive connection is read from where the first one ended."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_request(self, limit=1 << 16):
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > limit:
                return None
            data = sl.recv_some(self.sock)
            if not data:
                return None
            self.buf += data
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def send(self, data):
        return sl.send_all(self.sock, data)


def parse_request(head):
    lines = head.split("\r\n")
    reqline = lines[0]
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            return reqline, None
        headers.append((name.strip().lower(), value.strip()))
    return reqline, headers


def header(headers, name):
    vals = [v for n, v in headers if n == name]
    return vals[0] if len(vals) == 1 else None


def reply_407(challenges, body=b"proxy authentication required\n",
              close=False, chunked=None, http10=False):
    if http10:
        # No framing at all: the body runs to the end of the connection.
        lines = ["HTTP/1.0 407 Proxy Authentication Required"]
        lines += ["Proxy-Authenticate: " + c for c in challenges]
        lines.append("Content-Type: text/plain")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    lines = ["HTTP/1.1 407 Proxy Authentication Required"]
    for c in challenges:
        lines.append("Proxy-Authenticate: " + c)
    lines.append("Content-Type: text/plain")
    if chunked is not None:
        lines.append("Transfer-Encoding: chunked")
        body = chunked
    else:
        lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: " + ("close" if close else "keep-alive"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def cut_body(reply, sent=8):
    """The reply as far as `sent` bytes into its body: the header still
    promises the whole body, which never comes."""
    head, sep, body = reply.partition(b"\r\n\r\n")
    assert len(body) > sent
    return head + sep + body[:sent]


def reply_simple(status, close=True):
    body = ("%s\n" % status).encode()
    return (("HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
             "Content-Length: %d\r\nConnection: %s\r\n\r\n")
            % (status, len(body), "close" if close else "keep-alive")
            ).encode() + body


# A chunked body that exercises the framing: extensions on the size lines
# (one with a quoted value holding a ";"), upper-case hex, a chunk whose data
# looks like a last chunk, a last chunk with an extension, and two trailer
# fields.
CHUNKED_BODY = (b"1A;name=value\r\n"
                b"abcdefghijklmnopqrstuvwxyz\r\n"
                b"5;quoted=\"a;b\";flag\r\n"
                b"0\r\n\r\n\r\n"
                b"0;last=yes\r\n"
                b"X-Trailer-One: 1\r\n"
                b"X-Trailer-Two: two\r\n"
                b"\r\n")


# --- Digest (RFC 7616) ------------------------------------------------------

HASHES = {
    "MD5": lambda b: hashlib.md5(b).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
    "SHA-512-256": lambda b: hashlib.new("sha512_256", b).hexdigest(),
}


def parse_auth_params(text):
    """'a="x\\"y", b=tok' -> {'a': 'x"y', 'b': 'tok'}; None if malformed
    or a parameter is repeated."""
    params = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t,":
            i += 1
        if i >= n:
            break
        m = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+").match(text, i)
        if not m:
            return None
        name = m.group(0).lower()
        i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i >= n or text[i] != "=":
            return None
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            val = []
            while True:
                if i >= n:
                    return None
                c = text[i]
                if c == "\\":
                    i += 1
                    if i >= n:
                        return None
                    val.append(text[i])
                elif c == '"':
                    i += 1
                    break
                else:
                    val.append(c)
                i += 1
            value = "".join(val)
        else:
            m = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+").match(text, i)
            if not m:
                return None
            value = m.group(0)
            i = m.end()
        if name in params:
            return None
        params[name] = value
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] != ",":
            return None
    return params


def digest_expected(alg, user, realm, password, nonce, cnonce, nc, qop,
                    method, uri):
    sess = alg.endswith("-sess")
    h = HASHES[alg[:-5] if sess else alg]
    ha1 = h(("%s:%s:%s" % (user, realm, password)).encode("utf-8"))
    if sess:
        ha1 = h(("%s:%s:%s" % (ha1, nonce, cnonce)).encode("utf-8"))
    ha2 = h(("%s:%s" % (method, uri)).encode("utf-8"))
    return h(("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
             .encode("utf-8"))


class DigestCheck:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.nonces = {}         # nonce -> "fresh" | "spent"
        self.opaque = os.urandom(8).hex()
        self.stale_sent = False

    def new_nonce(self):
        nonce = base64.b64encode(os.urandom(18)).decode()
        with self.lock:
            self.nonces[nonce] = "fresh"
        return nonce

    def challenge(self, stale=False):
        return ('Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", '
                'opaque="%s"%s' % (self.args.realm, self.args.algorithm,
                                   self.new_nonce(), self.opaque,
                                   ", stale=true" if stale else ""))

    def check(self, authz, uri):
        """'ok', 'wrong', or 'spent' (right password, old nonce)."""
        a = self.args
        scheme, _, rest = authz.partition(" ")
        if scheme.lower() != "digest":
            return "wrong"
        pr = parse_auth_params(rest)
        if pr is None:
            return "wrong"
        need = ("username", "realm", "nonce", "uri", "response", "cnonce",
                "nc", "qop")
        if any(k not in pr for k in need):
            return "wrong"
        if (pr["username"] != a.user or pr["realm"] != a.realm or
                pr["uri"] != uri or pr["qop"] != "auth" or
                pr.get("opaque") != self.opaque or
                pr.get("algorithm", a.algorithm).lower() !=
                a.algorithm.lower() or
                not re.fullmatch(r"[0-9a-fA-F]{8}", pr["nc"]) or
                not pr["cnonce"]):
            return "wrong"
        want = digest_expected(a.algorithm, a.user, a.realm, a.password,
                               pr["nonce"], pr["cnonce"], pr["nc"], "auth",
                               "CONNECT", uri)
        if not hmac.compare_digest(pr["response"].lower(), want):
            return "wrong"
        with self.lock:
            state = self.nonces.get(pr["nonce"])
            if state is None:
                return "wrong"
            if state == "spent":
                return "spent"
            self.nonces[pr["nonce"]] = "spent"
        return "ok"


# --- NTLM (MS-NLMP) ---------------------------------------------------------

def md4(data):
    """MD4 (RFC 1320) in pure Python: OpenSSL 3 hides it in hashlib."""
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rol(v, s): return ((v << s) | (v >> (32 - s))) & 0xffffffff
    msg = bytearray(data)
    bitlen = (8 * len(data)) & 0xffffffffffffffff
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", bitlen)
    a, b, c, d = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", bytes(msg[off:off + 64]))
        aa, bb, cc, dd = a, b, c, d
        for i in range(16):
            k, s = i, (3, 7, 11, 19)[i % 4]
            t = (a + f(b, c, d) + x[k]) & 0xffffffff
            a, b, c, d = d, rol(t, s), b, c
        for i in range(16):
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            t = (a + g(b, c, d) + x[k] + 0x5a827999) & 0xffffffff
            a, b, c, d = d, rol(t, s), b, c
        for i in range(16):
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            t = (a + h(b, c, d) + x[k] + 0x6ed9eba1) & 0xffffffff
            a, b, c, d = d, rol(t, s), b, c
        a = (a + aa) & 0xffffffff
        b = (b + bb) & 0xffffffff
        c = (c + cc) & 0xffffffff
        d = (d + dd) & 0xffffffff
    return struct.pack("<4I", a, b, c, d)


assert md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
assert md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"

NTLM_SIG = b"NTLMSSP\0"
NEG_UNICODE, NEG_OEM, NEG_REQUEST_TARGET = 0x1, 0x2, 0x4
NEG_NTLM, NEG_ALWAYS_SIGN, TARGET_TYPE_DOMAIN = 0x200, 0x8000, 0x10000
NEG_ESS, NEG_TARGET_INFO, NEG_128, NEG_56 = 0x80000, 0x800000, 0x20000000, \
    0x80000000


def ntlm_type2(challenge, timestamp, domain="POSTERN", server="PROXY"):
    def av(i, v):
        return struct.pack("<HH", i, len(v)) + v
    target = domain.encode("utf-16-le")
    info = (av(2, domain.encode("utf-16-le")) +
            av(1, server.encode("utf-16-le")) +
            av(7, timestamp) + av(0, b""))
    flags = (NEG_UNICODE | NEG_REQUEST_TARGET | NEG_NTLM | NEG_ALWAYS_SIGN |
             TARGET_TYPE_DOMAIN | NEG_ESS | NEG_TARGET_INFO | NEG_128 |
             NEG_56)
    off = 48
    msg = (NTLM_SIG + struct.pack("<I", 2) +
           struct.pack("<HHI", len(target), len(target), off) +
           struct.pack("<I", flags) + challenge + b"\0" * 8 +
           struct.pack("<HHI", len(info), len(info), off + len(target)))
    assert len(msg) == off
    return msg + target + info


def ntlm_field(msg, at):
    ln, _, off = struct.unpack_from("<HHI", msg, at)
    if off + ln > len(msg):
        raise ValueError("field past the end")
    return msg[off:off + ln]


class NtlmCheck:
    def __init__(self, args):
        self.args = args
        full = args.user
        if "\\" in full:
            self.domain, self.user = full.split("\\", 1)
        else:
            self.domain, self.user = "", full

    def verify(self, t3, challenge, timestamp):
        if t3[:8] != NTLM_SIG or struct.unpack_from("<I", t3, 8)[0] != 3:
            return False
        flags = struct.unpack_from("<I", t3, 60)[0]
        enc = "utf-16-le" if flags & NEG_UNICODE else "latin-1"
        nt = ntlm_field(t3, 20)
        domain = ntlm_field(t3, 28).decode(enc)
        user = ntlm_field(t3, 36).decode(enc)
        if user.upper() != self.user.upper() or \
                domain.upper() != self.domain.upper():
            return False
        if len(nt) < 16 + 28:
            return False
        proof, temp = nt[:16], nt[16:]
        # temp: RespType 1, HiRespType 1, 6 zero bytes, the timestamp of
        # our Type 2, an 8-byte client challenge, 4 zero bytes, AV pairs.
        if temp[:2] != b"\x01\x01" or temp[8:16] != timestamp:
            return False
        nthash = md4(self.args.password.encode("utf-16-le"))
        # The name in the hash is the one the client sent (upper-cased).
        owf = hmac.new(nthash, (user.upper() + domain).encode("utf-16-le"),
                       hashlib.md5).digest()
        want = hmac.new(owf, challenge + temp, hashlib.md5).digest()
        return hmac.compare_digest(proof, want)


# --- the proxy --------------------------------------------------------------

class Proxy:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.nconn = 0
        self.digest = DigestCheck(args)
        self.ntlm = NtlmCheck(args)
        self.basic_want = "Basic " + base64.b64encode(
            ("%s:%s" % (args.user, args.password)).encode("utf-8")).decode()
        self.challenged = set()   # connections that got a 407 (chunked)
        self.type2_sent = False  # ntlm: the first Type 2 went out

    def record(self, conn_id, n, reqline, authz, verdict):
        line = "\t".join((str(conn_id), str(n), reqline,
                          authz if authz is not None else "-", verdict))
        with self.lock:
            with open(self.args.record, "a") as f:
                f.write(line + "\n")

    def event(self, text):
        with self.lock:
            sl.append_line(self.args.log, text)

    def handle(self, sock, peer):
        with self.lock:
            self.nconn += 1
            cid = self.nconn
        self.event("conn %d open" % cid)
        conn = Conn(sock)
        state = {}
        n = 0
        while True:
            head = conn.read_request()
            if head is None:
                self.event("conn %d closed by the client" % cid)
                sock.close()
                return
            n += 1
            reqline, headers = parse_request(head)
            parts = reqline.split(" ")
            authz = None if headers is None else \
                header(headers, "proxy-authorization")
            if (headers is None or len(parts) != 3 or
                    parts[0] != "CONNECT" or parts[2] != "HTTP/1.1"):
                self.record(cid, n, reqline, authz, "bad-request")
                conn.send(reply_simple("400 Bad Request"))
                sl.graceful_close(sock, 1.0)
                return
            uri = parts[1]
            verdict, out, close = getattr(
                self, "mode_" + self.args.mode.replace("-", "_"))(
                    cid, uri, authz, state)
            if verdict == "ok":
                target = connect_target(uri)
                if target is None:
                    verdict = "refused"
                    out, close = reply_simple("403 Forbidden"), True
            self.record(cid, n, reqline, authz, verdict)
            if verdict == "ok":
                conn.send(REPLY_200 + conn.buf)
                conn.buf = b""
                self.event("conn %d relaying to %s" % (cid, uri))
                relay(sock, target)
                self.event("conn %d relay done" % cid)
                return
            if not conn.send(out):
                sock.close()
                return
            if close:
                self.event("conn %d closed by the proxy" % cid)
                sl.graceful_close(sock, 1.0)
                return

    def mode_digest(self, cid, uri, authz, state):
        if authz is None:
            return "challenge", reply_407([self.digest.challenge()]), False
        v = self.digest.check(authz, uri)
        if v == "ok":
            return "ok", None, False
        return "wrong", reply_407([self.digest.challenge()]), False

    def mode_digest_stale(self, cid, uri, authz, state):
        if authz is None:
            return "challenge", reply_407([self.digest.challenge()]), False
        v = self.digest.check(authz, uri)
        if v == "ok":
            with self.digest.lock:
                first = not self.digest.stale_sent
                self.digest.stale_sent = True
            if first or self.args.stale_always:
                return ("stale", reply_407([self.digest.challenge(True)]),
                        False)
            return "ok", None, False
        return "wrong", reply_407([self.digest.challenge()]), False

    def basic_challenge(self):
        return 'Basic realm="%s"' % self.args.realm

    def mode_basic_close(self, cid, uri, authz, state):
        out = reply_407([self.basic_challenge()], close=True,
                        http10=self.args.http10)
        if authz is None:
            return "challenge", out, True
        if hmac.compare_digest(authz, self.basic_want):
            return "ok", None, False
        return "wrong", out, True

    def mode_basic_chunked(self, cid, uri, authz, state):
        if authz is None:
            with self.lock:
                self.challenged.add(cid)
            return "challenge", reply_407([self.basic_challenge()],
                                          chunked=CHUNKED_BODY), False
        if not hmac.compare_digest(authz, self.basic_want):
            return "wrong", reply_407([self.basic_challenge()],
                                      chunked=CHUNKED_BODY), False
        with self.lock:
            same = cid in self.challenged
        if not same:
            return ("other-connection",
                    reply_simple("403 Retry Not On The Same Connection"),
                    True)
        return "ok", None, False

    def mode_static(self, cid, uri, authz, state):
        return ("challenge" if authz is None else "wrong",
                reply_407(self.args.challenge), False)

    def mode_ntlm(self, cid, uri, authz, state):
        fail = ("wrong", reply_407(["NTLM"], close=True), True)
        if authz is None:
            return "challenge", reply_407(["NTLM"]), False
        scheme, _, blob = authz.partition(" ")
        if scheme != "NTLM":
            return fail
        try:
            msg = base64.b64decode(blob, validate=True)
        except ValueError:
            return fail
        if len(msg) < 12 or msg[:8] != NTLM_SIG:
            return fail
        kind = struct.unpack_from("<I", msg, 8)[0]
        if kind == 1:
            state["challenge"] = os.urandom(8)
            # FILETIME: 100 ns since 1601.
            state["timestamp"] = struct.pack(
                "<Q", int((time.time() + 11644473600) * 10 ** 7))
            t2 = ntlm_type2(state["challenge"], state["timestamp"])
            with self.lock:
                first = not self.type2_sent
                self.type2_sent = True
            close = self.args.close_first_type2 and first
            out = reply_407(["NTLM " + base64.b64encode(t2).decode()],
                            close=close)
            if self.args.cut_first_type2_body and first:
                # "Connection: keep-alive", yet the body stops short.
                return "challenge", cut_body(out), True
            return "challenge", out, close
        if kind == 3:
            if "challenge" not in state:
                # A Type 3 on a connection that never had our Type 2.
                return ("other-connection",
                        reply_simple("403 Retry Not On The Same Connection"),
                        True)
            try:
                ok = self.ntlm.verify(msg, state["challenge"],
                                      state["timestamp"])
            except (ValueError, struct.error, UnicodeDecodeError):
                ok = False
            if ok:
                return "ok", None, False
        return fail


def connect_target(uri):
    host, sep, port = uri.rpartition(":")
    host = host.strip("[]")
    if not sep or host not in ("127.0.0.1", "::1") or not port.isdigit():
        return None
    return host, int(port)


def relay(client, target):
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    up = socket.socket(family, socket.SOCK_STREAM)
    up.settimeout(30)
    try:
        up.connect(target)
    except OSError:
        client.close()
        return
    up.settimeout(None)

    def pump(src, dst):
        while True:
            data = sl.recv_some(src)
            if not data:
                break
            if not sl.send_all(dst, data):
                break
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=pump, args=(up, client), daemon=True)
    t.start()
    pump(client, up)
    t.join()
    up.close()
    client.close()


if __name__ == "__main__":
    sys.exit(main())
