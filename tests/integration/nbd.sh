#!/bin/bash
# lemu-nbd (issue 7) against real NBD clients: nbdinfo, nbdcopy, qemu-img and qemu-io over
# nbd:// and nbd+unix://, plus a protocol-level Python client for what they cannot send.
# Validate the tests themselves against QEMU's server:
#   LEMU_NBD=qemu-nbd bash tests/run.sh -k 'nbd' integration
SUITE_MODE=check
. "$(dirname "$0")/../lib/case.sh"
. "$(dirname "$0")/nbd_lib.sh"

suite_requires() { nbd_requires; }

# nbdinfo --list sees the export, its name and description.
t_list() {
	qemu-img create -q -f raw disk.raw 8M
	serve s.sock -t -f raw -x disk1 -D "a test disk" disk.raw
	nbdinfo --list --json "$(uri_unix s.sock)" >list.json || fail "nbdinfo --list"
	python3 - <<'PY' || fail "export missing from the list: $(cat list.json)"
import json
d = json.load(open('list.json'))
e = [x for x in d['exports'] if x['export-name'] == 'disk1']
assert e and e[0].get('description') == 'a test disk' and e[0]['export-size'] == 8 << 20, d
PY
}

# --size and --map agree with qemu-img on qcow2, raw, a backing chain and an offset.
t_size_map() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	serve s.sock -t -r -f qcow2 a.qcow2
	[ "$(nbdinfo --size "$(uri_unix s.sock)")" = 16777216 ] || fail "size"
	map_of_nbd "$(uri_unix s.sock)" >nbd.map
	map_of_img a.qcow2 >img.map
	diff -u img.map nbd.map || fail "qcow2 map differs from qemu-img map"
	stop

	# a backing chain: the overlay has its own data over the base's
	qemu-img create -q -f qcow2 -b a.qcow2 -F qcow2 top.qcow2
	qemu-io -f qcow2 -c 'write -P 0x55 6M 1M' -c 'write -z 0 64k' top.qcow2 >/dev/null
	serve s.sock -t -r -f qcow2 top.qcow2
	map_of_nbd "$(uri_unix s.sock)" >nbd.map
	map_of_img top.qcow2 >img.map
	diff -u img.map nbd.map || fail "backing chain map differs from qemu-img map"
	stop

	# a sparse raw file
	truncate -s 32M sparse.raw
	dd if=/dev/urandom of=sparse.raw bs=64k count=3 seek=100 conv=notrunc status=none
	dd if=/dev/urandom of=sparse.raw bs=64k count=1 seek=7 conv=notrunc status=none
	serve s.sock -t -r -f raw sparse.raw
	[ "$(nbdinfo --size "$(uri_unix s.sock)")" = 33554432 ] || fail "raw size"
	map_of_nbd "$(uri_unix s.sock)" >nbd.map
	map_of_img sparse.raw raw >img.map
	diff -u img.map nbd.map || fail "raw map differs from qemu-img map"
}

# nbdcopy reads an exact copy, and writes an image through the export.
t_nbdcopy() {
	make_qcow2 a.qcow2 64M || fail "qemu-img"
	serve s.sock -t -e 4 -f qcow2 a.qcow2
	nbdcopy "$(uri_unix s.sock)" copy.raw || fail "nbdcopy read"
	qemu-img compare -U -f qcow2 -F raw a.qcow2 copy.raw || fail "copy differs"
	stop

	qemu-img create -q -f qcow2 dst.qcow2 64M
	head -c 40M /dev/urandom >src.raw
	truncate -s 64M src.raw
	dd if=/dev/zero of=src.raw bs=1M count=2 seek=10 conv=notrunc status=none
	serve s.sock -t -e 4 -f qcow2 dst.qcow2
	nbdcopy src.raw "$(uri_unix s.sock)" || fail "nbdcopy write"
	nbdcopy "$(uri_unix s.sock)" back.raw || fail "nbdcopy read back"
	cmp src.raw back.raw || fail "read back differs"
	stop
	qemu-img check -q dst.qcow2 || fail "qemu-img check after nbdcopy write"
	qemu-img compare -f raw -F qcow2 src.raw dst.qcow2 || fail "image differs after nbdcopy write"
}

# qemu-io and qemu-img over nbd:// (TCP) and nbd+unix://.
t_qemu_tcp() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	qemu-img convert -f qcow2 -O raw a.qcow2 ref.raw
	serve_tcp PORT -t -f qcow2 a.qcow2
	local u=nbd://127.0.0.1:$PORT
	qemu-img compare -f raw -F raw "$u" ref.raw || fail "qemu-img compare over $u"
	qemu-io -f raw -c 'write -P 0x5a 1M 300k' -c 'write -P 0x6b 12345 777' "$u" >io.out || fail "qemu-io write"
	qemu-io -f raw -c 'read -P 0x5a 1M 300k' -c 'read -P 0x6b 12345 777' -c 'read -P 0x22 3M 64k' "$u" >io.out ||
		fail "qemu-io read"
	grep -q 'Pattern verification failed' io.out && fail "pattern mismatch: $(cat io.out)"
	stop
	qemu-io -f qcow2 -c 'read -P 0x5a 1M 300k' -c 'read -P 0x6b 12345 777' a.qcow2 >io.out
	grep -q 'Pattern verification failed' io.out && fail "writes did not reach the image"
	qemu-img check -q a.qcow2 || fail "qemu-img check"
}

t_qemu_unix() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	qemu-img convert -f qcow2 -O raw a.qcow2 ref.raw
	serve s.sock -t -f qcow2 -x exp a.qcow2
	local u="nbd+unix:///exp?socket=$PWD/s.sock"
	qemu-img compare -f raw -F raw "$u" ref.raw || fail "qemu-img compare over $u"
	qemu-io -f raw -c 'write -P 0x5a 0 2M' -c 'write -z 4M 1M' -c 'discard 8M 1M' "$u" >/dev/null || fail "qemu-io write"
	qemu-io -f raw -c 'read -P 0x5a 0 2M' -c 'read -P 0 4M 1M' "$u" >io.out || fail "qemu-io read"
	grep -q 'Pattern verification failed' io.out && fail "pattern mismatch"
	# qemu-img convert out of the export equals the image read directly
	qemu-img convert -f raw -O raw "$u" out.raw || fail "qemu-img convert from nbd"
	stop
	qemu-img compare -f raw -F qcow2 out.raw a.qcow2 || fail "convert output differs"
	qemu-img check -q a.qcow2 || fail "qemu-img check"
}

# 4 clients at once: the Python client holds 4 sessions and interleaves reads on them;
# 4 qemu-io writers run in parallel.
t_parallel() {
	head -c 16M /dev/urandom >d.raw
	serve s.sock -t -e 4 -f raw d.raw
	pyclient parallel "$PWD/s.sock" 4 d.raw || fail "parallel sessions"
	local i pids=()
	for i in 0 1 2 3; do
		qemu-io -f raw -c "write -P $((i + 1)) $((i * 4))M 4M" "$(uri_unix s.sock)" >w$i.out &
		pids+=($!)
	done
	for i in 0 1 2 3; do wait "${pids[$i]}" || fail "writer $i"; done
	for i in 0 1 2 3; do
		qemu-io -f raw -c "read -P $((i + 1)) $((i * 4))M 4M" "$(uri_unix s.sock)" >r$i.out || fail "reader $i"
		grep -q 'Pattern verification failed' r$i.out && fail "region $i"
	done
	nbdinfo "$(uri_unix s.sock)" | grep -q 'can_multi_conn: true' || fail "multi-conn not offered with -e 4"
}

# The protocol itself, against the spec: simple and structured replies, options, errors.
t_protocol() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	qemu-img convert -f qcow2 -O raw a.qcow2 ref.raw
	serve s.sock -t -e 0 -r -f qcow2 a.qcow2
	pyclient check "$PWD/s.sock" ref.raw || fail "protocol checks"
}

t_protocol_write() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	serve s.sock -t -f qcow2 a.qcow2
	pyclient write "$PWD/s.sock" 16777216 || fail "write checks"
	stop
	qemu-img check -q a.qcow2 || fail "qemu-img check"
}

# -r: writes fail with an error to the client; the image is untouched.
t_readonly() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	local before
	before=$(md5sum <a.qcow2)
	serve s.sock -t -r -f qcow2 a.qcow2
	nbdinfo "$(uri_unix s.sock)" | grep -q 'is_read_only: true' || fail "not flagged read-only"
	qemu-io -f raw -c 'write -P 1 0 64k' "$(uri_unix s.sock)" >w.out 2>&1
	# qemu-io either fails the write (EPERM) or refuses to open the export for writing
	grep -qi 'operation not permitted\|read-only\|read only\|permission denied' w.out ||
		fail "write not refused: $(cat w.out)"
	pyclient readonly "$PWD/s.sock" || fail "read-only checks"
	stop
	[ "$(md5sum <a.qcow2)" = "$before" ] || fail "read-only image changed"
}

# -s: writes go to a temporary overlay; the image is unchanged afterwards.
t_snapshot() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	head -c 4M /dev/urandom >r.raw
	local before before_raw
	before=$(md5sum <a.qcow2)
	before_raw=$(md5sum <r.raw)
	serve s.sock -t -s -f qcow2 a.qcow2
	qemu-io -f raw -c 'write -P 0x77 0 1M' "$(uri_unix s.sock)" >/dev/null || fail "write to -s export"
	qemu-io -f raw -c 'read -P 0x77 0 1M' -c 'read -P 0x22 3M 64k' "$(uri_unix s.sock)" >r.out || fail "read"
	grep -q 'Pattern verification failed' r.out && fail "the -s export does not show its writes over the base"
	stop
	[ "$(md5sum <a.qcow2)" = "$before" ] || fail "-s changed the qcow2 image"
	serve s.sock -t -s -f raw r.raw
	qemu-io -f raw -c 'write -P 0x77 0 1M' "$(uri_unix s.sock)" >/dev/null || fail "write to -s raw export"
	stop
	[ "$(md5sum <r.raw)" = "$before_raw" ] || fail "-s changed the raw image"
	ls /var/tmp/lemu-nbd.* 2>/dev/null | grep -q . && fail "temporary overlay left behind"
	return 0
}

# Writes acknowledged with FUA, or followed by a FLUSH, survive a SIGKILL of the server.
t_fua_flush_kill() {
	qemu-img create -q -f qcow2 a.qcow2 64M
	serve s.sock -t -e 2 -f qcow2 a.qcow2
	qemu-io -f raw -c 'write -f -P 0x31 0 1M' -c 'write -f -P 0x32 5M 64k' "$(uri_unix s.sock)" >/dev/null || fail "FUA writes"
	qemu-io -f raw -c 'write -P 0x33 9M 2M' -c 'write -P 0x34 20M 4k' -c flush "$(uri_unix s.sock)" >/dev/null || fail "writes + flush"
	kill -9 "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	local rc=0
	qemu-img check -q a.qcow2 >check.out 2>&1 || rc=$?
	# 0 clean, 3 leaked clusters only (allowed after a crash); 2 would be corruption
	[ $rc = 0 ] || [ $rc = 3 ] || fail "image corrupt after SIGKILL: $(cat check.out)"
	qemu-io -f qcow2 -c 'read -P 0x31 0 1M' -c 'read -P 0x32 5M 64k' -c 'read -P 0x33 9M 2M' -c 'read -P 0x34 20M 4k' \
		a.qcow2 >r.out 2>&1 || fail "read after kill"
	grep -q 'Pattern verification failed' r.out && fail "acknowledged data lost: $(cat r.out)"
	return 0
}

# Without -t the server exits when its last client leaves; -e limits clients at once.
t_lifetime() {
	qemu-img create -q -f raw d.raw 1M
	serve s.sock -f raw d.raw
	nbdinfo "$(uri_unix s.sock)" >/dev/null || fail "nbdinfo"
	wait_exit || fail "server did not exit after its only client left"
	[ -e s.sock ] && fail "socket file left behind"
	serve s.sock -t -f raw d.raw
	nbdinfo "$(uri_unix s.sock)" >/dev/null && nbdinfo "$(uri_unix s.sock)" >/dev/null || fail "persistent server"
	kill -0 "$SERVER_PID" || fail "persistent server exited"
}

# Hostile clients: junk, lies about lengths, vanishing mid-request. The server and the
# image survive and a good client is served afterwards.
t_garbage() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	serve s.sock -t -e 0 -f qcow2 a.qcow2
	pyclient garbage "$PWD/s.sock" || fail "hostile clients"
	kill -0 "$SERVER_PID" || fail "server died"
	python3 -c '
import socket, os
for i in range(50):
    s = socket.socket(socket.AF_UNIX); s.connect("s.sock"); s.send(os.urandom(i * 37)); s.close()'
	kill -0 "$SERVER_PID" || fail "server died on junk"
	qemu-io -f raw -c 'write -P 9 0 64k' -c 'read -P 9 0 64k' "$(uri_unix s.sock)" >io.out || fail "good client after junk"
	grep -q 'Pattern verification failed' io.out && fail "good client read wrong data"
	stop
	qemu-img check -q a.qcow2 || fail "image damaged"
}

# -o OFFSET exports the image from that offset on.
t_offset() {
	head -c 3M /dev/urandom >d.raw
	serve s.sock -t -f raw -o 1048576 d.raw
	[ "$(nbdinfo --size "$(uri_unix s.sock)")" = 2097152 ] || fail "size with -o"
	nbdcopy "$(uri_unix s.sock)" out.raw || fail "nbdcopy"
	tail -c 2M d.raw | cmp - out.raw || fail "-o data differs"
}

# -l loads an internal snapshot read-only; the image is not modified.
t_load_snapshot() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	qemu-img snapshot -c sn1 a.qcow2
	qemu-img convert -f qcow2 -O raw -l sn1 a.qcow2 sn1.raw
	qemu-io -f qcow2 -c 'write -P 0x99 0 2M' a.qcow2 >/dev/null
	local before
	before=$(md5sum <a.qcow2)
	serve s.sock -t -l sn1 -f qcow2 a.qcow2
	nbdinfo "$(uri_unix s.sock)" | grep -q 'is_read_only: true' || fail "-l export not read-only"
	nbdcopy "$(uri_unix s.sock)" out.raw || fail "nbdcopy"
	cmp sn1.raw out.raw || fail "-l export is not the snapshot"
	stop
	serve s.sock -t -l snapshot.name=sn1 -f qcow2 a.qcow2
	nbdcopy "$(uri_unix s.sock)" out2.raw || fail "nbdcopy (snapshot.name=)"
	cmp sn1.raw out2.raw || fail "snapshot.name= export differs"
	stop
	[ "$(md5sum <a.qcow2)" = "$before" ] || fail "-l changed the image"
}

# --image-opts, --cache/--aio/--discard/--detect-zeroes reach the block layer.
t_image_opts() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	qemu-img convert -f qcow2 -O raw a.qcow2 ref.raw
	serve s.sock -t --image-opts "driver=qcow2,file.filename=$PWD/a.qcow2"
	qemu-img compare -f raw -F raw "$(uri_unix s.sock)" ref.raw || fail "--image-opts export differs"
	stop
	local m
	for m in "--cache=none --aio=threads" "-n --discard=unmap --detect-zeroes=unmap" "--cache=directsync" "--cache=unsafe --detect-zeroes=on"; do
		serve s.sock -t -f qcow2 $m a.qcow2
		qemu-io -f raw -c 'write -P 0x42 12345 4096' -c 'read -P 0x42 12345 4096' "$(uri_unix s.sock)" >io.out ||
			fail "I/O with $m"
		grep -q 'Pattern verification failed' io.out && fail "data with $m"
		stop
	done
	qemu-img check -q a.qcow2 || fail "qemu-img check"
}

# --fork returns once the server listens; --pid-file names the server.
t_fork_pidfile() {
	qemu-img create -q -f raw d.raw 1M
	"$NBD" --fork --pid-file "$PWD/pid" -t -k "$PWD/s.sock" -f raw d.raw || fail "--fork failed"
	[ -S s.sock ] || fail "socket not ready when --fork returned"
	SERVER_PID=$(cat pid)
	kill -0 "$SERVER_PID" || fail "pid file does not name a live process"
	nbdinfo --size "$(uri_unix s.sock)" >/dev/null || fail "forked server does not serve"
	kill "$SERVER_PID"
	# not our child: wait for it to go (it holds the image lock until then)
	local i
	for i in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
	SERVER_PID=
	"$NBD" --fork -k /nonexistent/dir/s.sock -f raw d.raw 2>err.txt && fail "--fork with a bad socket succeeded"
	grep -q 'nonexistent' err.txt || fail "no message for a bad socket: $(cat err.txt)"
}

# Command-line errors: exit status 1 and a message, as qemu-nbd (the oracle) does.
t_cli_errors() {
	qemu-img create -q -f raw d.raw 1M
	local args name ours ref
	# Exit status equal to qemu-nbd's, and the same message (program name aside).
	while IFS= read -r args; do
		ref=0
		eval "timeout 5 qemu-nbd $args" >/dev/null 2>ref.err || ref=$?
		ours=0
		eval "timeout 5 \"\$NBD\" $args" >/dev/null 2>our.err || ours=$?
		[ "$ours" = "$ref" ] || fail "'$args': exit $ours, qemu-nbd $ref"
		[ "$ours" = 0 ] || [ -s our.err ] || fail "'$args': no message"
		sed -i "s|$(basename "$NBD")|PROG|g" our.err
		sed -i 's|qemu-nbd|PROG|g' ref.err
		cmp -s ref.err our.err || fail "'$args': message differs: $(cat our.err) / qemu-nbd: $(cat ref.err)"
	done <<'EOF'
--bogus d.raw
-f raw
-f raw d.raw extra
-f raw --cache=bogus d.raw
-f raw --aio=bogus d.raw
-f raw --discard=bogus d.raw
-f raw --detect-zeroes=bogus d.raw
-f raw --detect-zeroes=unmap d.raw
-e abc -f raw d.raw
-o abc -f raw d.raw
-f raw nonexistent.img
-f bogusfmt d.raw
-f raw --tls-creds tls0 d.raw
-f raw --object bogus,id=x d.raw
-f raw --object tls-creds-x509,id=tls0,dir=/nonexistent,endpoint=server --tls-creds tls0 d.raw
-f raw --image-opts d.raw
-f raw --aio=native d.raw
-f raw -k /nonexistent/dir/s d.raw
-f raw -l foo d.raw
-f raw --pid-file /nonexistent/dir/pid -k s2.sock d.raw
EOF
	case $NBD in
	*lemu-nbd*) "$NBD" -V | grep -q '^lemu-nbd ' || fail "-V" ;;
	esac
	"$NBD" --help | grep -q -- '--tls-creds' || fail "--help"
	# -c needs the nbd kernel module; without it the error must say so
	if [ ! -d /sys/module/nbd ]; then
		"$NBD" -c /dev/nbd0 -f raw d.raw 2>c.err && fail "-c without the nbd module succeeded"
		grep -q '/dev/nbd0' c.err || fail "-c error does not name the device: $(cat c.err)"
	fi
	return 0
}

# A raw image whose format was probed cannot be turned into something else through the
# export (a qcow2 header in sector 0 is refused), as qemu-nbd restricts it; with -f raw it can.
t_probe_guard() {
	qemu-img create -q -f raw d.raw 4M
	qemu-img create -q -f qcow2 hdr.qcow2 4M
	serve s.sock -t d.raw
	grep -q 'probing guessed raw' server.log || fail "no warning for a probed raw image"
	qemu-io -f raw -c 'write -P 7 0 4k' "$(uri_unix s.sock)" >/dev/null || fail "plain write to sector 0"
	python3 - "$PWD/s.sock" 1 <<'PY' || fail "qcow2 header accepted on a probed raw image"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.recv(18); s.sendall(struct.pack('>I', 3) + struct.pack('>QII', 0x49484156454F5054, 1, 0))
assert len(s.recv(10)) == 10
s.sendall(struct.pack('>IHHQQI', 0x25609513, 0, 1, 1, 0, 512) + open('hdr.qcow2', 'rb').read(512))
err = struct.unpack('>IIQ', s.recv(16))[1]
s.sendall(struct.pack('>IHHQQI', 0x25609513, 0, 2, 2, 0, 0))
sys.exit(0 if (err != 0) == (sys.argv[2] == '1') else 1)
PY
	stop
	[ "$(qemu-img info --output=json -U d.raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" = raw ] ||
		fail "the image probes as another format"
	serve s.sock -t -f raw d.raw
	python3 - "$PWD/s.sock" 0 <<'PY' || fail "header write refused with -f raw"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.recv(18); s.sendall(struct.pack('>I', 3) + struct.pack('>QII', 0x49484156454F5054, 1, 0))
assert len(s.recv(10)) == 10
s.sendall(struct.pack('>IHHQQI', 0x25609513, 0, 1, 1, 0, 512) + open('hdr.qcow2', 'rb').read(512))
err = struct.unpack('>IIQ', s.recv(16))[1]
s.sendall(struct.pack('>IHHQQI', 0x25609513, 0, 2, 2, 0, 0))
sys.exit(0 if (err != 0) == (sys.argv[2] == '1') else 1)
PY
}

# What the export advertises (size, transmission flags, block sizes, meta contexts, name,
# description) equals what qemu-nbd advertises for the same image and options, as
# "qemu-nbd -L" (QEMU's own client) prints it; and "lemu-nbd -L" prints what qemu-nbd -L does.
t_flags_vs_qemu() {
	make_qcow2 a.qcow2 16M || fail "qemu-img"
	qemu-img create -q -f raw r.raw 5M
	local opts srv args
	while IFS= read -r opts; do
		eval "args=($opts)"
		for srv in "$NBD" qemu-nbd; do
			rm -f s.sock
			"$srv" -t -k "$PWD/s.sock" "${args[@]}" >>server.log 2>&1 &
			SERVER_PID=$!
			wait_listening "unix:$PWD/s.sock" || fail "$srv did not start with $opts"
			qemu-nbd -L -k "$PWD/s.sock" >"L.$(basename "$srv")" 2>&1 || fail "qemu-nbd -L against $srv ($opts)"
			# and our own -L client prints the same as QEMU's
			"$NBD" -L -k "$PWD/s.sock" >M.out 2>&1 || fail "$NBD -L against $srv ($opts)"
			diff -u "L.$(basename "$srv")" M.out || fail "$NBD -L differs from qemu-nbd -L against $srv"
			stop
		done
		diff -u L.qemu-nbd "L.$(basename "$NBD")" || fail "advertised export differs from qemu-nbd's with: $opts"
	done <<'EOF2'
-f qcow2 -e 2 -x foo -D "a disk" a.qcow2
-f qcow2 a.qcow2
-f raw -r r.raw
-f raw -e 3 --discard=unmap r.raw
-f qcow2 -r -e 4 -x ro a.qcow2
EOF2
}

# A client that trickles its handshake a byte at a time is dropped after the handshake time
# limit (10 s in total, as qemu-nbd's), and does not keep others out meanwhile.
t_handshake_limit() {
	qemu-img create -q -f raw d.raw 1M
	serve s.sock -t -e 0 -f raw d.raw
	python3 - "$PWD/s.sock" <<'PY' || fail "a trickling client was not dropped within 20 s"
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.recv(18); s.sendall(struct.pack('>I', 3))
msg = struct.pack('>QII', 0x49484156454F5054, 7, 100) + bytes(100)
t0 = time.monotonic()
for b in msg:
    try:
        s.sendall(bytes([b]))
    except OSError:
        sys.exit(0)
    s.settimeout(1)
    try:
        if s.recv(1) == b'':
            sys.exit(0)
    except socket.timeout:
        pass
    except OSError:
        sys.exit(0)
    if time.monotonic() - t0 > 20:
        sys.exit(1)
sys.exit(1)
PY
	nbdinfo --size "$(uri_unix s.sock)" >/dev/null || fail "server not serving after the slow client"
}

case_main "$@"
