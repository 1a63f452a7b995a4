# Helpers for tests/integration/nbd*.sh (sourced; defines no t_* cases of its own, so
# the runner lists no cases for it and skips it).
#
# The server under test is $LEMU_NBD (default build/lemu-nbd, or build/tools/lemu-nbd of older trees).
# The tests themselves are validated against QEMU's server:
#   LEMU_NBD=qemu-nbd bash tests/run.sh -k 'nbd' integration
# Oracles: nbdinfo and nbdcopy (libnbd-bin), qemu-img and qemu-io (qemu-utils), and a small
# Python client written from the NBD protocol document for what those clients cannot send.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${LEMU_NBD:-}" ]; then
	for c in "$ROOT/build/lemu-nbd" "$ROOT/build/tools/lemu-nbd"; do
		[ -x "$c" ] && { LEMU_NBD=$c; break; }
	done
fi
NBD=${LEMU_NBD:-$ROOT/build/lemu-nbd}

nbd_requires() {
	local p
	if ! command -v "$NBD" >/dev/null 2>&1; then
		echo "no lemu-nbd at $NBD (build it, or set LEMU_NBD)"
		return 1
	fi
	for p in nbdinfo nbdcopy qemu-img qemu-io python3; do
		command -v $p >/dev/null 2>&1 || { echo "$p is missing (bash scripts/deps.sh test)"; return 1; }
	done
}

fail() {
	echo "FAIL: $*"
	[ -s server.log ] && { echo "--- server log:"; tail -n 20 server.log; }
	exit 1
}

SERVER_PID=
# serve SOCKNAME ARGS...: start the server on a Unix socket in the scratch directory and wait
# until it accepts connections.
serve() {
	local sock=$PWD/$1
	shift
	rm -f "$sock"
	"$NBD" -k "$sock" "$@" >>server.log 2>&1 &
	SERVER_PID=$!
	wait_listening "unix:$sock" || fail "server did not start: $NBD -k $sock $*"
}

# serve_tcp PORTVAR ARGS...: the same on 127.0.0.1 and a free port (stored in PORTVAR).
serve_tcp() {
	local var=$1 port
	shift
	port=$(free_port)
	printf -v "$var" '%s' "$port"
	"$NBD" -b 127.0.0.1 -p "$port" "$@" >>server.log 2>&1 &
	SERVER_PID=$!
	wait_listening "tcp:$port" || fail "server did not start: $NBD -p $port $*"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_listening unix:PATH|tcp:PORT: until a connect succeeds (up to 10 s). The probe
# connects and closes at once, which a server must survive anyway; it only counts as a
# client when the server is -t (persistent), so callers use -t or a socket that is
# checked for existence only.
wait_listening() {
	local what=$1 i
	for i in $(seq 1 100); do
		kill -0 "$SERVER_PID" 2>/dev/null || return 1
		case $what in
		unix:*) [ -S "${what#unix:}" ] && return 0 ;;
		tcp:*) python3 - "${what#tcp:}" <<'PY' && return 0 ;;
import socket, sys
s = socket.socket()
try:
    # A listening socket shows up in /proc/net/tcp in state 0A (LISTEN); probing by
    # connecting would count as a client of a non-persistent server.
    port = int(sys.argv[1])
    for line in open('/proc/net/tcp').read().splitlines()[1:]:
        f = line.split()
        if int(f[1].split(':')[1], 16) == port and f[3] == '0A':
            sys.exit(0)
    sys.exit(1)
except OSError:
    sys.exit(1)
PY
		esac
		sleep 0.1
	done
	return 1
}

# stop: end the server (SIGTERM) and wait for it.
stop() {
	[ -n "$SERVER_PID" ] || return 0
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

# wait_exit: the server must end by itself (not persistent, last client gone).
wait_exit() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; return 0; }
		sleep 0.1
	done
	return 1
}

trap 'stop' EXIT

uri_unix() { echo "nbd+unix:///${2:-}?socket=$PWD/$1"; }

# map_of_nbd URI: base:allocation runs as "start length hole zero" lines, merged.
map_of_nbd() {
	nbdinfo --map --json "$1" | python3 -c '
import json, sys
runs = []
for e in json.load(sys.stdin):
    t = e["type"]
    k = (bool(t & 1), bool(t & 2))
    if runs and runs[-1][2:] == list(k) and runs[-1][0] + runs[-1][1] == e["offset"]:
        runs[-1][1] += e["length"]
    else:
        runs.append([e["offset"], e["length"], k[0], k[1]])
for r in runs: print(*r)'
}

# map_of_img FILE [FMT]: the same from qemu-img map (hole = no data, zero = reads as zeroes).
map_of_img() {
	qemu-img map --output=json ${2:+-f $2} -U "$1" | python3 -c '
import json, sys
runs = []
for e in json.load(sys.stdin):
    k = [not e["data"], bool(e["zero"])]
    if runs and runs[-1][2:] == k and runs[-1][0] + runs[-1][1] == e["start"]:
        runs[-1][1] += e["length"]
    else:
        runs.append([e["start"], e["length"]] + k)
for r in runs: print(*r)'
}

# make_qcow2 FILE SIZE: a qcow2 image with data, zero clusters, discarded and untouched areas.
make_qcow2() {
	qemu-img create -q -f qcow2 "$1" "$2" || return 1
	qemu-io -f qcow2 -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 64k' -c 'write -z 4M 1M' \
		-c 'write -P 0x33 7M 512k' -c 'discard 7M 64k' -c 'write -P 0x44 9M 4k' "$1" >/dev/null
}

# pyclient MODE ARGS...: the protocol-level client (written out by nbd_pyclient.sh).
pyclient() {
	if [ ! -f nbd_client.py ]; then
		. "$ROOT/tests/integration/nbd_pyclient.sh"
		write_pyclient
	fi
	python3 nbd_client.py "$@"
}
