#!/bin/bash
# Character devices of lemu-system-x86_64 against Debian's qemu-system-x86_64 (the oracle):
# the same -serial forms (file:, tcp: server and client, telnet:, unix:, udp:, pty, mon:stdio)
# carry the output of the same test guest (tests/guest/hello.c), and what a client sees on
# the wire must be the same (telnet negotiation included). The mux's Ctrl-A h help text is
# compared with QEMU's; Ctrl-A x must end both with status 0 (QEMU prints "QEMU: Terminated",
# lemu "lemu: Terminated": docs/chardev.md). Wrong -chardev/-serial options must give QEMU's
# message (program name aside) and exit status 1.
#
# Emulator: $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64); oracle: $QEMU_SYSTEM_X86_64.
# Validate the test itself: LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k chardev/ integration
SUITE_MODE=check
SUITE_TIMEOUT=120
. "$(dirname "$0")/../lib/case.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU=${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}
QEMU=${QEMU_SYSTEM_X86_64:-qemu-system-x86_64}
GUESTS=$ROOT/build/guests
GUEST=$GUESTS/hello.elf
BASE=(-accel tcg -M pc -m 128 -nodefaults -display none -no-reboot)
EXIT_DEV=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)

suite_requires() {
	if ! command -v "$EMU" >/dev/null 2>&1; then
		echo "no system emulator $EMU (build lemu-system-x86_64, or set LEMU_SYSTEM_X86_64)"
		return 1
	fi
	command -v "$QEMU" >/dev/null || { echo "no $QEMU (scripts/deps.sh test)"; return 1; }
	command -v python3 >/dev/null || { echo "no python3"; return 1; }
	if ! make -s -C "$ROOT/tests/guest" OUT="$GUESTS" >build.log 2>&1; then
		echo "the test guests do not build: $(grep -m1 -i error build.log)"
		rm -f build.log
		return 1
	fi
	rm -f build.log
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# The guest's report, from its start line on, without CRs.
guest_part() {
	tr -d '\r' <"$1" | sed -n '/^=== lemu test guest /,$p'
}

# same WHAT FILE: the oracle's and the emulator's FILE.qemu / FILE.emu must match.
same() {
	if ! cmp -s "$2.qemu" "$2.emu"; then
		echo "$1 differs (- qemu, + emulator):"
		diff -u "$2.qemu" "$2.emu" | sed 1,2d | head -n 40
		fail "$1 differs"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# drive MODE ADDR OUT -- CMD...: run CMD and be the other end of its serial chardev; the bytes
# received go to OUT, CMD's exit status to OUT.rc, its stderr to OUT.err.
drive() {
	cat >drive.py <<'EOF'
import os, select, socket, subprocess, sys, time
mode, addr, out = sys.argv[1:4]
cmd = sys.argv[5:]
deadline = time.time() + 60
data = b""
def until_pass(sock_recv):
    # until EOF (the emulator exits after the guest's report) or the emulator is gone
    global data
    while time.time() < deadline:
        r, _, _ = select.select([sock], [], [], 0.2)
        if r:
            chunk = sock_recv()
            if not chunk:
                break
            data += chunk
        elif p.poll() is not None:
            break
if mode == "tcp-client":
    lst = socket.socket(); lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", int(addr))); lst.listen(1)
if mode == "udp":
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.bind(("127.0.0.1", int(addr)))
err = open(out + ".err", "wb")
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
if mode in ("tcp-server", "unix-server"):
    while time.time() < deadline:
        try:
            if mode == "tcp-server":
                sock = socket.create_connection(("127.0.0.1", int(addr)))
            else:
                sock = socket.socket(socket.AF_UNIX); sock.connect(addr)
            break
        except OSError:
            time.sleep(0.1)
    until_pass(lambda: sock.recv(4096))
elif mode == "tcp-client":
    lst.settimeout(30); sock, _ = lst.accept()
    until_pass(lambda: sock.recv(4096))
elif mode == "udp":
    until_pass(lambda: sock.recv(65536))
try:
    rc = p.wait(timeout=max(1, deadline - time.time()))
except subprocess.TimeoutExpired:
    p.kill(); rc = 124
open(out, "wb").write(data)
open(out + ".rc", "w").write("%d\n" % rc)
EOF
	local mode=$1 addr=$2 out=$3
	shift 4
	python3 drive.py "$mode" "$addr" "$out" -- "$@"
}

# serial_over MODE SERIAL-FORM ADDR: the guest's output through the chardev under both.
serial_over() {
	local mode=$1 form=$2 addr=$3 who emu
	for who in qemu emu; do
		[ $who = qemu ] && emu=$QEMU || emu=$EMU
		[ "$mode" = unix-server ] && rm -f "$addr"
		drive "$mode" "$addr" raw.$who -- "$emu" "${BASE[@]}" "${EXIT_DEV[@]}" -serial "$form" -kernel "$GUEST"
		# telnet: the 12 negotiation bytes come first (compared by t_telnet_server)
		if [ "${form%%:*}" = telnet ]; then tail -c +13 raw.$who >data.$who; else cp raw.$who data.$who; fi
		guest_part data.$who >out.$who
		cat raw.$who.rc >rc.$who
	done
	grep -q '^=== end: PASS ===$' out.qemu || fail "the oracle did not deliver the guest's output over $form"
	same "output over $form" out
	same "exit status" rc
}

t_file() {
	for who in qemu emu; do
		[ $who = qemu ] && emu=$QEMU || emu=$EMU
		timeout 60 "$emu" "${BASE[@]}" "${EXIT_DEV[@]}" -serial file:serial.$who -kernel "$GUEST" \
			</dev/null >/dev/null 2>err.$who
		echo $? >rc.$who
		guest_part serial.$who >out.$who
	done
	grep -q PASS out.qemu || fail "oracle wrote no guest output"
	same "file: contents" out
	same "exit status" rc
}

t_stdio() {
	for who in qemu emu; do
		[ $who = qemu ] && emu=$QEMU || emu=$EMU
		timeout 60 "$emu" "${BASE[@]}" "${EXIT_DEV[@]}" -serial stdio -kernel "$GUEST" </dev/null >raw.$who 2>err.$who
		echo $? >rc.$who
		guest_part raw.$who >out.$who
	done
	same "stdio output" out
	same "exit status" rc
}

# The port goes into the form and the driver: set it once.
tcp_server_case() {
	local kind=$1 port
	port=$(free_port)
	serial_over tcp-server "$kind:127.0.0.1:$port,server=on,wait=on" "$port"
	# Both announce that they wait, QEMU as "QEMU waiting", lemu as "lemu waiting".
	for who in qemu emu; do
		grep -q "waiting for connection on: disconnected:$kind:127.0.0.1:$port,server=on" raw.$who.err ||
			fail "$who did not announce the wait: $(cat raw.$who.err)"
	done
}
t_tcp_server() { tcp_server_case tcp; }

t_telnet_server() {
	tcp_server_case telnet
	# The negotiation bytes are part of the stream both clients saw (and compared above);
	# make sure there were some.
	head -c 12 raw.emu | od -An -tx1 | tr -d ' \n' >nego.emu
	[ "$(cat nego.emu)" = fffb01fffb03fffb00fffd00 ] || fail "telnet negotiation: $(cat nego.emu)"
	cmp -s <(head -c 12 raw.qemu) <(head -c 12 raw.emu) || fail "telnet negotiation differs from QEMU's"
}

t_unix_server() {
	serial_over unix-server "unix:$PWD/s.sock,server=on,wait=on" "$PWD/s.sock"
}

t_tcp_client() {
	local port
	port=$(free_port)
	serial_over tcp-client "tcp:127.0.0.1:$port" "$port"
}

t_udp() {
	local port
	port=$(free_port)
	serial_over udp "udp:127.0.0.1:$port" "$port"
}

# Ctrl-A h then Ctrl-A x on mon:stdio: the same help text, status 0 for both.
t_mux_keys() {
	for who in qemu emu; do
		[ $who = qemu ] && emu=$QEMU || emu=$EMU
		# The guest halts after its report (no isa-debug-exit): only Ctrl-A x ends the run.
		(sleep 3; printf '\001h'; sleep 1; printf '\001x'; sleep 5) |
			timeout 60 "$emu" "${BASE[@]}" -serial mon:stdio -kernel "$GUEST" >raw.$who 2>err.$who
		echo $? >rc.$who
		sed -n '/C-a h    print this help/,/C-a C-a  sends C-a/p' raw.$who >help.$who
	done
	[ "$(wc -l <help.qemu)" = 7 ] || fail "oracle help text not found: $(od -c raw.qemu | tail -n 5)"
	same "Ctrl-A h help text" help
	same "exit status after Ctrl-A x" rc
	[ "$(cat rc.emu)" = 0 ] || fail "Ctrl-A x exit status $(cat rc.emu)"
	grep -q 'lemu: Terminated' raw.emu || grep -q 'QEMU: Terminated' raw.emu || fail "no Terminated line"
	grep -q '=== end: PASS ===' raw.emu || fail "guest output missing on the mux"
}

# -serial pty prints the slave's path on stdout as QEMU does, and the slave can be opened.
t_pty() {
	for who in qemu emu; do
		[ $who = qemu ] && emu=$QEMU || emu=$EMU
		timeout 60 "$emu" "${BASE[@]}" -serial pty -kernel "$GUEST" </dev/null >line.$who 2>err.$who &
		local pid=$! n=0
		while ! grep -q redirected line.$who && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		local pts
		pts=$(sed -n 's|^char device redirected to \(/dev/pts/[0-9]*\) (label serial0)$|\1|p' line.$who)
		[ -n "$pts" ] || fail "$who: no redirect line: $(cat line.$who)"
		exec 9<>"$pts" || fail "$who: cannot open $pts"
		exec 9>&-
		kill $pid
		wait $pid 2>/dev/null
		sed 's|/dev/pts/[0-9]*|/dev/pts/N|' line.$who >norm.$who
	done
	same "pty redirect line" norm
}

# Wrong options: QEMU's message (first line, program name aside) and status 1.
t_errors() {
	local i=0 a
	local -a cases=(
		"-chardev foo,id=x"
		"-chardev null"
		"-chardev id=x"
		"-chardev null,id=x -chardev null,id=x"
		"-chardev null,id=x,foo=bar"
		"-chardev null,id=1x"
		"-chardev null,id=x,mux=maybe"
		"-chardev file,id=x"
		"-chardev file,id=x,path=/nonexistent/a"
		"-chardev pipe,id=x,path=/nonexistent"
		"-chardev udp,id=x"
		"-chardev socket,id=x,host=localhost"
		"-chardev socket,id=x,host=127.0.0.1,port=1"
		"-chardev socket,id=x,host=localhost,port=abc"
		"-chardev socket,id=x,path=/tmp/zz,server=on,wait=off,reconnect=2"
		"-chardev socket,id=x,host=127.0.0.1,port=4,wait=off"
		"-chardev stdio,id=a -chardev stdio,id=b"
		"-chardev stdio,id=x,signal=maybe"
		"-serial foo"
		"-serial tcp:127.0.0.1:1"
		"-serial tcp:127.0.0.1:1234,foo=bar"
		"-serial file:/nonexistent/x"
	)
	for a in "${cases[@]}"; do
		i=$((i + 1))
		for who in qemu emu; do
			[ $who = qemu ] && emu=$QEMU || emu=$EMU
			# shellcheck disable=SC2086  # a is a list of options
			timeout 20 "$emu" "${BASE[@]}" $a -kernel "$GUEST" </dev/null >/dev/null 2>err.$who
			echo "status $?" >st.$who
			head -n 1 err.$who | sed 's/^[^:]*: //' >>st.$who
		done
		if ! cmp -s st.qemu st.emu; then
			echo "for: $a"
			diff -u st.qemu st.emu | sed 1,2d
			fail "error for '$a' differs"
		fi
	done
}

case_main "$@"
