#!/bin/bash
# lemu-nbd with TLS (X.509, --object tls-creds-x509 + --tls-creds as qemu-nbd takes them).
# Certificates are made here with certtool (gnutls-bin); the clients are nbdinfo, nbdcopy and
# qemu-io (their own TLS stacks), so a handshake that only our code understood would fail.
# Validate against QEMU: LEMU_NBD=qemu-nbd bash tests/run.sh -k nbd-tls integration
SUITE_MODE=check
. "$(dirname "$0")/../lib/case.sh"
. "$(dirname "$0")/nbd_lib.sh"

suite_requires() {
	nbd_requires || return 1
	command -v certtool >/dev/null 2>&1 || { echo "certtool is missing (gnutls-bin)"; return 1; }
}

# make_pki: CA, a server certificate for localhost/127.0.0.1, a client certificate, and a
# client certificate from another CA. Layout as QEMU's tls-creds-x509 dir= expects.
make_pki() {
	local t
	mkdir -p ca server client client-nocert rogue
	certtool --generate-privkey --outfile ca/ca-key.pem 2>/dev/null
	printf 'cn = lemu test CA\nca\ncert_signing_key\nexpiration_days = 3\n' >ca.info
	certtool --generate-self-signed --load-privkey ca/ca-key.pem --template ca.info \
		--outfile ca/ca-cert.pem >/dev/null 2>&1 || return 1
	for t in server client; do
		certtool --generate-privkey --outfile $t/$t-key.pem 2>/dev/null
		{
			echo "organization = lemu tests"
			if [ $t = server ]; then
				printf 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\n'
			else
				printf 'cn = client\ntls_www_client\n'
			fi
			printf 'encryption_key\nsigning_key\nexpiration_days = 3\n'
		} >$t.info
		certtool --generate-certificate --load-ca-certificate ca/ca-cert.pem \
			--load-ca-privkey ca/ca-key.pem --load-privkey $t/$t-key.pem --template $t.info \
			--outfile $t/$t-cert.pem >/dev/null 2>&1 || return 1
		cp ca/ca-cert.pem $t/
	done
	cp ca/ca-cert.pem client-nocert/
	# a client certificate signed by a CA the server does not know
	certtool --generate-privkey --outfile rogue/ca-key.pem 2>/dev/null
	certtool --generate-self-signed --load-privkey rogue/ca-key.pem --template ca.info \
		--outfile rogue/rogue-ca.pem >/dev/null 2>&1 || return 1
	certtool --generate-privkey --outfile rogue/client-key.pem 2>/dev/null
	certtool --generate-certificate --load-ca-certificate rogue/rogue-ca.pem \
		--load-ca-privkey rogue/ca-key.pem --load-privkey rogue/client-key.pem --template client.info \
		--outfile rogue/client-cert.pem >/dev/null 2>&1 || return 1
	cp ca/ca-cert.pem rogue/
}

TLS_ARGS=()
tls_args() {
	TLS_ARGS=(--object "tls-creds-x509,id=tls0,dir=$PWD/server,endpoint=server${1:+,$1}" --tls-creds tls0)
}

turi() { echo "nbds+unix:///?socket=$PWD/s.sock&tls-certificates=$PWD/$1"; }

t_tls_unix() {
	make_pki || fail "certtool"
	head -c 8M /dev/urandom >d.raw
	tls_args
	serve s.sock -t -e 2 -f raw "${TLS_ARGS[@]}" d.raw
	nbdinfo "$(turi client)" >info.out || fail "nbdinfo with a client certificate"
	grep -q 'with TLS' info.out || fail "not TLS: $(head -1 info.out)"
	[ "$(nbdinfo --size "$(turi client)")" = 8388608 ] || fail "size over TLS"
	nbdcopy "$(turi client)" copy.raw || fail "nbdcopy over TLS"
	cmp d.raw copy.raw || fail "copy over TLS differs"
	head -c 8M /dev/urandom >new.raw
	nbdcopy new.raw "$(turi client)" || fail "nbdcopy write over TLS"
	stop
	cmp new.raw d.raw || fail "write over TLS did not land"
}

t_tls_tcp_qemu() {
	make_pki || fail "certtool"
	qemu-img create -q -f qcow2 a.qcow2 16M
	tls_args
	serve_tcp PORT -t -f qcow2 "${TLS_ARGS[@]}" a.qcow2
	nbdinfo --size "nbds://localhost:$PORT/?tls-certificates=$PWD/client" >/dev/null || fail "nbdinfo over TCP+TLS"
	local obj="tls-creds-x509,id=tls0,endpoint=client,dir=$PWD/client"
	qemu-io --object "$obj" --image-opts \
		"driver=nbd,host=localhost,port=$PORT,tls-creds=tls0" \
		-c 'write -P 0x3c 1M 128k' -c 'read -P 0x3c 1M 128k' >io.out 2>&1 || fail "qemu-io over TLS: $(cat io.out)"
	grep -q 'Pattern verification failed' io.out && fail "pattern over TLS"
	stop
	qemu-io -f qcow2 -c 'read -P 0x3c 1M 128k' a.qcow2 | grep -q 'Pattern verification failed' && fail "TLS write lost"
	return 0
}

# A server that requires TLS refuses plain clients, clients without a certificate and
# clients whose certificate another CA signed; and stays up for good clients.
t_tls_refused() {
	make_pki || fail "certtool"
	qemu-img create -q -f raw d.raw 4M
	tls_args
	serve s.sock -t -e 0 -f raw "${TLS_ARGS[@]}" d.raw
	nbdinfo "$(uri_unix s.sock)" >plain.out 2>&1 && fail "a plain client was served"
	nbdinfo "$(turi client-nocert)" >nocert.out 2>&1 && fail "a client without a certificate was served"
	nbdinfo "$(turi rogue)" >rogue.out 2>&1 && fail "a client with a foreign certificate was served"
	pyclient tlsreq "$PWD/s.sock" || fail "options before STARTTLS"
	# junk right after STARTTLS's ACK, instead of a TLS ClientHello
	python3 - <<'PY' || fail "junk TLS handshake"
import socket, struct, os
s = socket.socket(socket.AF_UNIX); s.connect('s.sock'); s.settimeout(10)
s.recv(18); s.sendall(struct.pack('>I', 3))
s.sendall(struct.pack('>QII', 0x49484156454F5054, 5, 0))
s.recv(20)
s.sendall(os.urandom(2000))
try:
    while s.recv(4096): pass
except (ConnectionResetError, socket.timeout):
    pass
PY
	kill -0 "$SERVER_PID" || fail "server died"
	nbdinfo --size "$(turi client)" >/dev/null || fail "good client after bad ones"
}

# verify-peer=off: any client that does TLS is served.
t_tls_noverify() {
	make_pki || fail "certtool"
	qemu-img create -q -f raw d.raw 4M
	tls_args verify-peer=off
	serve s.sock -t -f raw "${TLS_ARGS[@]}" d.raw
	nbdinfo --size "$(turi client-nocert)" >/dev/null || fail "client without a certificate, verify-peer=off"
	nbdinfo "$(uri_unix s.sock)" >/dev/null 2>&1 && fail "plain client served by a TLS server"
	return 0
}

# lemu-nbd -L with client credentials lists a TLS server as qemu-nbd -L does; without
# them, or with the wrong host name, it fails.
t_tls_list() {
	make_pki || fail "certtool"
	qemu-img create -q -f raw d.raw 4M
	tls_args
	serve s.sock -t -e 0 -f raw -x tlsdisk "${TLS_ARGS[@]}" d.raw
	local cobj="tls-creds-x509,id=c0,dir=$PWD/client,endpoint=client"
	qemu-nbd -L -k "$PWD/s.sock" --object "$cobj" --tls-creds c0 --tls-hostname localhost >ref.out ||
		fail "qemu-nbd -L over TLS"
	"$NBD" -L -k "$PWD/s.sock" --object "$cobj" --tls-creds c0 --tls-hostname localhost >our.out ||
		fail "-L over TLS"
	diff -u ref.out our.out || fail "-L over TLS differs from qemu-nbd -L"
	grep -q "export: 'tlsdisk'" our.out || fail "export missing"
	"$NBD" -L -k "$PWD/s.sock" >plain.out 2>&1 && fail "-L without TLS listed a TLS-only server"
	"$NBD" -L -k "$PWD/s.sock" --object "$cobj" --tls-creds c0 --tls-hostname wronghost >wrong.out 2>&1 &&
		fail "-L accepted a certificate for another host"
	return 0
}

case_main "$@"
