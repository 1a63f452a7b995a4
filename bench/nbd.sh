#!/bin/bash
# NBD server benchmark: nbdcopy of a 1 GiB export, read (export -> null:) and write (file ->
# export), lemu-nbd against qemu-nbd side by side, over TCP and over a Unix socket. Both servers
# get the same options (-f FMT -t -e 4, so nbdcopy uses its default 4 connections with
# multi-conn). Prints seconds and the lemu/qemu ratio (lower is better for lemu); it is never a
# pass/fail test.
#
#   bench/nbd.sh [-r RUNS] [-f raw|qcow2] [-s SIZE_MIB]
#
# Environment: LEMU_NBD (default build/lemu-nbd), QEMU_NBD (default qemu-nbd),
# BENCH_DIR (scratch, default build/bench/nbd; needs about 3x SIZE of space).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3
FMT=raw
SIZE_MIB=1024
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=$2; shift 2 ;;
	-f) FMT=$2; shift 2 ;;
	-s) SIZE_MIB=$2; shift 2 ;;
	*) echo "usage: $0 [-r RUNS] [-f raw|qcow2] [-s SIZE_MIB]" >&2; exit 2 ;;
	esac
done
LEMU=${LEMU_NBD:-}
if [ -z "$LEMU" ]; then
	for c in "$ROOT/build/lemu-nbd" "$ROOT/build/tools/lemu-nbd"; do
		[ -x "$c" ] && { LEMU=$c; break; }
	done
fi
QEMU=${QEMU_NBD:-qemu-nbd}
WORK=$(realpath -m "${BENCH_DIR:-$ROOT/build/bench/nbd}") # -k wants an absolute path
for tool in nbdcopy qemu-img python3 "$QEMU"; do
	command -v "$tool" >/dev/null || { echo "bench: $tool missing (scripts/deps.sh test)" >&2; exit 1; }
done
[ -n "$LEMU" ] && [ -x "$LEMU" ] || { echo "bench: lemu-nbd not built (set LEMU_NBD)" >&2; exit 1; }
mkdir -p "$WORK"
cd "$WORK" || exit 1
export LC_ALL=C

# The source: SIZE MiB of incompressible data (no holes, so both servers move every byte).
if [ ! -s src.raw ] || [ "$(stat -c %s src.raw)" != $((SIZE_MIB << 20)) ]; then
	echo "bench: making ${SIZE_MIB} MiB of random data in $WORK" >&2
	head -c $((SIZE_MIB << 20)) /dev/urandom >src.raw
fi
make_image() { # make_image FILE: the export's image, filled from src.raw
	rm -f "$1"
	qemu-img convert -q -f raw -O "$FMT" src.raw "$1"
}
make_empty() {
	rm -f "$1"
	qemu-img create -q -f "$FMT" "$1" $((SIZE_MIB << 20))
}

PID=
start() { # start SERVER TRANSPORT IMAGE
	local srv=$1 tr=$2 img=$3
	rm -f s.sock
	if [ "$tr" = unix ]; then
		"$srv" -t -e 4 -f "$FMT" -k "$WORK/s.sock" "$img" 2>server.log &
		PID=$!
		for _ in $(seq 100); do [ -S s.sock ] && break; sleep 0.05; done
		URI="nbd+unix:///?socket=$WORK/s.sock"
	else
		PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		"$srv" -t -e 4 -f "$FMT" -b 127.0.0.1 -p "$PORT" "$img" 2>server.log &
		PID=$!
		for _ in $(seq 100); do
			grep -q ":$(printf '%04X' "$PORT") 00000000:0000 0A" /proc/net/tcp && break
			sleep 0.05
		done
		URI="nbd://127.0.0.1:$PORT"
	fi
}
stop() {
	kill "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}
trap stop EXIT

now() { date +%s.%N; }
# run1 SERVER TRANSPORT DIRECTION: seconds of one nbdcopy (best of RUNS)
run1() {
	local srv=$1 tr=$2 dir=$3 best= t0 t1 t i
	for i in $(seq "$RUNS"); do
		if [ "$dir" = read ]; then
			# (re)made when missing or from a run with another size
			if [ ! -f img.$FMT ] || [ "$(qemu-img info --output=json img.$FMT |
				python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')" != $((SIZE_MIB << 20)) ]; then
				make_image img.$FMT
			fi
			start "$srv" "$tr" img.$FMT
			t0=$(now)
			nbdcopy "$URI" null: || { stop; echo fail; return; }
		else
			make_empty dst.$FMT
			start "$srv" "$tr" dst.$FMT
			t0=$(now)
			nbdcopy --flush src.raw "$URI" || { stop; echo fail; return; }
		fi
		t1=$(now)
		stop
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	done
	printf '%.2f' "$best"
}

printf 'nbdcopy of a %d MiB %s export, best of %d, 4 connections\n' "$SIZE_MIB" "$FMT" "$RUNS"
printf '%-8s %-6s %10s %10s %8s\n' direction via lemu-nbd qemu-nbd ratio
for dir in read write; do
	for tr in tcp unix; do
		l=$(run1 "$LEMU" $tr $dir)
		q=$(run1 "$QEMU" $tr $dir)
		r=n/a
		[ "$l" != fail ] && [ "$q" != fail ] && r=$(printf '%.2f' "$(echo "$l / $q" | bc -l)")
		printf '%-8s %-6s %9ss %9ss %8s\n' $dir $tr "$l" "$q" "$r"
	done
done
rm -f dst.$FMT
