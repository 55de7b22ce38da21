# Helpers for the suites about https proxies (tls.bats, chain.bats): load
# after helpers with `load lib/tls`.
#
# make_pki builds a small PKI with the openssl CLI in a scratch directory;
# start_stunnel puts a TLS front (stunnel4, in the foreground) on
# 127.0.0.1:PORT before a plain proxy, so that squid becomes an https://
# proxy. Both follow helpers.bash: ports chosen at run time, bounded waits,
# processes stopped by PID through stop_servers.

# _pki_sign DIR NAME CA EXTSECTION SUBJECT VALIDITY…: a key and a certificate
# NAME.key/NAME.pem signed by CA (DIR/CA.pem, DIR/CA.key) with `openssl ca`,
# which, unlike `openssl x509 -req` in OpenSSL 3.0, takes any validity
# period: VALIDITY is `-days N` or `-startdate … -enddate …`.
_pki_sign() {
	local d=$1 name=$2 ca=$3 ext=$4 subj=$5
	shift 5
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -config "$d/openssl.cnf" -subj "$subj" \
	    -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null || return
	openssl ca -batch -notext -config "$d/openssl.cnf" -name "ca_$ca" \
	    -extensions "$ext" -in "$d/$name.csr" -out "$d/$name.pem" "$@" \
	    2>"$d/$name.ca.log" || { cat "$d/$name.ca.log" >&2; return 1; }
}

# _pki_ca DIR NAME SUBJECT: a self-signed CA (DIR/NAME.pem, DIR/NAME.key) and
# the database `openssl ca` keeps for it.
_pki_ca() {
	local d=$1 name=$2 subj=$3
	mkdir -p "$d/$name.db"
	: >"$d/$name.db/index.txt"
	printf '1000\n' >"$d/$name.db/serial"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -config "$d/openssl.cnf" -extensions v3_ca -days 3650 \
	    -subj "$subj" -keyout "$d/$name.key" -out "$d/$name.pem" 2>/dev/null
}

# make_pki [DIR]: in DIR (default: the scope's scratch directory/pki)
#   ca.pem              the CA that signs the proxy's certificates
#   server.pem/.key     for localhost: SAN DNS:localhost, IP:127.0.0.1
#   expired.pem/.key    the same names, valid 2020-01-01 to 2020-01-02
#   other.pem/.key      for proxy.other.test only (a hostname mismatch)
#   clientca.pem        a second CA, for client certificates only
#   client.pem/.key     signed by clientca, extendedKeyUsage clientAuth
#   capath/             ca.pem under its hash name (openssl rehash)
# and exports PKI, the directory.
make_pki() {
	local d=${1:-$(scratch_dir)/pki} c
	mkdir -p "$d"
	cat >"$d/openssl.cnf" <<-EOF
		[req]
		distinguished_name = req_dn
		prompt = no
		[req_dn]
		CN = unused
		[v3_ca]
		basicConstraints = critical, CA:TRUE
		keyUsage = critical, keyCertSign, cRLSign
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid:always
		[ca_ca]
		dir = $d/ca.db
		certificate = $d/ca.pem
		private_key = $d/ca.key
		database = $d/ca.db/index.txt
		serial = $d/ca.db/serial
		new_certs_dir = $d/ca.db
		default_md = sha256
		policy = policy_any
		unique_subject = no
		copy_extensions = none
		[ca_clientca]
		dir = $d/clientca.db
		certificate = $d/clientca.pem
		private_key = $d/clientca.key
		database = $d/clientca.db/index.txt
		serial = $d/clientca.db/serial
		new_certs_dir = $d/clientca.db
		default_md = sha256
		policy = policy_any
		unique_subject = no
		copy_extensions = none
		[policy_any]
		commonName = supplied
		[server_localhost]
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature
		extendedKeyUsage = serverAuth
		subjectAltName = DNS:localhost, IP:127.0.0.1
		[server_other]
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature
		extendedKeyUsage = serverAuth
		subjectAltName = DNS:proxy.other.test
		[client]
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature
		extendedKeyUsage = clientAuth
	EOF
	_pki_ca "$d" ca "/CN=postern test CA" || return
	_pki_ca "$d" clientca "/CN=postern test client CA" || return
	_pki_sign "$d" server ca server_localhost /CN=localhost -days 30 || return
	_pki_sign "$d" expired ca server_localhost /CN=localhost \
	    -startdate 20200101000000Z -enddate 20200102000000Z || return
	_pki_sign "$d" other ca server_other /CN=proxy.other.test -days 30 || return
	_pki_sign "$d" client clientca client /CN=postern-client -days 30 || return
	mkdir -p "$d/capath"
	cp "$d/ca.pem" "$d/capath/ca.pem"
	openssl rehash "$d/capath" || return
	for c in server expired other client; do
		openssl verify -CAfile "$d/$([[ $c == client ]] && echo clientca || echo ca).pem" \
		    -no_check_time "$d/$c.pem" >/dev/null ||
		    { fail "make_pki: $c.pem does not verify"; return 1; }
	done
	_export PKI "$d"
}

# start_stunnel VAR CONNECT_PORT CERT KEY [STUNNEL.CONF LINE…]: stunnel4 in
# the foreground, TLS on 127.0.0.1:VAR with CERT/KEY, passing the plain bytes
# to 127.0.0.1:CONNECT_PORT. Extra lines go to the service section (for
# example "verify = 2" and "CAfile = …" to demand a client certificate).
# VAR_PID is its PID, VAR_LOG its log (stderr, debug level info).
start_stunnel() {
	local var=$1 connect=$2 cert=$3 key=$4 dir port attempt pid extra
	shift 4
	command -v stunnel4 >/dev/null || { fail "stunnel4 is not installed (tests/deps.sh)"; return 1; }
	extra=$(printf '%s\n' "$@")
	dir=$(scratch_dir)/stunnel.$var.$$.$RANDOM
	mkdir -p "$dir"
	for ((attempt = 0; attempt < 5; attempt++)); do
		port=$(free_port)
		cat >"$dir/stunnel.conf" <<-EOF
			foreground = yes
			pid = $dir/stunnel.pid
			debug = info
			syslog = no
			[proxy]
			accept = 127.0.0.1:$port
			connect = 127.0.0.1:$connect
			cert = $cert
			key = $key
			TIMEOUTclose = 0
			$extra
		EOF
		spawn "$dir/stunnel.log" stunnel4 "$dir/stunnel.conf"
		pid=$SPAWNED_PID
		if wait_port 127.0.0.1 "$port" "$pid" 20; then
			_export "$var" "$port"
			_export "${var}_PID" "$pid"
			_export "${var}_LOG" "$dir/stunnel.log"
			printf '%s %s\n' "$port" "$dir/stunnel.log" >>"$(scratch_dir)/.stunnels"
			return 0
		fi
		stop_pid "$pid"
	done
	cat "$dir/stunnel.log" >&2
	fail "stunnel did not start"
}

# stunnel_settled PORT LOG: make a marker connection to the stunnel on
# 127.0.0.1:PORT and wait until its LOG shows the end of every connection it
# accepted up to the marker. stunnel numbers connections in the order it
# accepts them ("LOG5[N]: Service [proxy] accepted connection from …") and
# logs "Connection closed: …", "Connection reset: …" (5.68: "reset/closed")
# for each as it ends it; a client that has exited was accepted before the
# marker, so after this the stunnel has passed on all it ever will of it.
stunnel_settled() {
	local port=$1 log=$2 lport seq ended i
	lport=$("$PY" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
print(s.getsockname()[1])
s.close()' "$port") || { fail "no marker connection to stunnel on port $port"; return 1; }
	for ((i = 0; i < 600; i++)); do
		seq=$(sed -n "s/.*LOG[0-9]\[\([0-9]*\)\]: Service \[[^]]*\] accepted connection from 127\.0\.0\.1:$lport\$/\1/p" "$log")
		if [[ -n $seq ]]; then
			ended=$(sed -n 's/.*LOG[0-9]\[\([0-9]*\)\]: Connection [a-z/]*: [0-9]* byte.*/\1/p' "$log" |
			    sort -un | awk -v m="$seq" '$1 <= m' | wc -l)
			((ended == seq + 1)) && return 0
		fi
		sleep 0.1
	done
	printf 'stunnel on port %s has not ended every connection up to its marker (from port %s):\n' \
	    "$port" "$lport" >&2
	cat "$log" >&2
	return 1
}

# stunnels_settled: stunnel_settled for every stunnel this test and its file
# started.
stunnels_settled() {
	local reg port log
	for reg in "$BATS_FILE_TMPDIR/.stunnels" "${BATS_TEST_TMPDIR:-/nonexistent}/.stunnels"; do
		[[ -f $reg ]] || continue
		while read -r port log; do
			stunnel_settled "$port" "$log" || return
		done <"$reg"
	done
}

# wait_for_line FILE REGEX [SECONDS]: until a line of FILE matches (squid
# writes its access log line when the tunnel closes, which may be a moment
# after postern exits).
wait_for_line() {
	local file=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	printf 'no line matching %s in %s:\n' "$re" "$file" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# start_tlsproxy VAR [--end notify|tcp|notify-hold]: a scripted https proxy on
# 127.0.0.1:VAR (certificate PKI/server.pem, for localhost). It answers any
# CONNECT with a 200, reads the tunnel until its end and then answers one
# line saying how the client ended it, "close_notify after N bytes" or "TCP
# close without close_notify after N bytes", and ends the connection:
# with close_notify (--end notify, the default) or with a bare TCP close
# (--end tcp), or with close_notify in the same TCP segment as the line and
# the connection held open until the client closes it (--end notify-hold).
# VAR_LOG gets the same line, and "sni NAME" and "request CONNECT …" before
# it.
start_tlsproxy() {
	local var=$1 script dir
	shift
	script=$(scratch_dir)/tlsproxy.py
	cat >"$script" <<-'PYEOF'
		"""A scripted https proxy that reports whether it got close_notify."""
		import socket
		import ssl
		import sys

		sys.path.insert(0, sys.argv.pop(1))
		import serverlib as sl

		p = sl.parser(__doc__)
		p.add_argument("--cert", required=True)
		p.add_argument("--key", required=True)
		p.add_argument("--log")
		p.add_argument("--end", choices=("notify", "tcp", "notify-hold"),
		               default="notify")
		args = p.parse_args()
		ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		ctx.load_cert_chain(args.cert, args.key)
		# Python sets it by default; without it, a TCP close with no
		# close_notify is an error, not an empty read.
		ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
		# The name the client asked for, as it came (SNI).
		ctx.sni_callback = lambda sock, name, c: sl.append_line(
		    args.log, "sni %s" % name)

		def handle(raw, peer):
		    try:
		        conn = ctx.wrap_socket(raw, server_side=True,
		                               suppress_ragged_eofs=False)
		    except (ssl.SSLError, OSError) as e:
		        sl.append_line(args.log, "handshake failed: %s" % e)
		        raw.close()
		        return
		    head, rest, _ = sl.read_header(conn)
		    sl.append_line(args.log, "request %s" %
		                   head.split(b"\r\n", 1)[0].decode("latin-1"))
		    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
		    n = len(rest)
		    while True:
		        try:
		            data = conn.recv(65536)
		        except ssl.SSLEOFError:
		            what = "TCP close without close_notify"
		            break
		        except ssl.SSLError as e:
		            if e.reason == "UNEXPECTED_EOF_WHILE_READING":
		                what = "TCP close without close_notify"
		            else:
		                what = "error %s" % e
		            break
		        except OSError as e:
		            what = "error %s" % e
		            break
		        if not data:
		            # With suppress_ragged_eofs off, only a close_notify
		            # reads as an empty string.
		            what = "close_notify"
		            break
		        n += len(data)
		    line = "%s after %d bytes" % (what, n)
		    sl.append_line(args.log, line)
		    try:
		        if args.end == "notify-hold":
		            # The line and close_notify in one TCP segment, so
		            # that the client reads both at once; then the TCP
		            # connection stays open until the client closes it.
		            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
		            conn.sendall(line.encode() + b"\n")
		            conn.setblocking(False)
		            try:
		                conn.unwrap()
		            except ssl.SSLWantReadError:
		                pass
		            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
		            raw = socket.socket(fileno=conn.detach())
		            raw.settimeout(30)
		            try:
		                while raw.recv(4096):
		                    pass
		            except OSError:
		                pass
		            raw.close()
		            return
		        conn.sendall(line.encode() + b"\n")
		        if args.end == "notify":
		            conn.unwrap().close()
		            return
		    except (ssl.SSLError, OSError):
		        pass
		    # A bare TCP close: FIN with no close_notify before it.
		    raw = socket.socket(fileno=conn.detach())
		    raw.shutdown(socket.SHUT_WR)
		    raw.close()

		sys.exit(sl.serve(args, handle))
	PYEOF
	dir=$(scratch_dir)
	: >"$dir/$var.events"
	rm -f "$dir/$var.port"
	spawn "$dir/$var.out" "$PY" "$script" "$LIB" --port-file "$dir/$var.port" \
	    --cert "$PKI/server.pem" --key "$PKI/server.key" \
	    --log "$dir/$var.events" "$@"
	if ! wait_for_file "$dir/$var.port" "$SPAWNED_PID" 10; then
		cat "$dir/$var.out" >&2
		fail "tlsproxy.py did not start"
		return 1
	fi
	_export "$var" "$(<"$dir/$var.port")"
	_export "${var}_PID" "$SPAWNED_PID"
	_export "${var}_LOG" "$dir/$var.events"
}
