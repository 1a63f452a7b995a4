#!/bin/bash
# virtio benchmark: sequential write and read of 256 MiB through virtio-blk inside the default
# guest (dd with O_DIRECT on /dev/vda, a raw image on the host, cache=none), and TCP receive
# throughput through virtio-net over user networking (busybox wget in the guest fetching a 64 MiB
# file from a python3 http.server on the host through 10.0.2.2), under lemu-system-x86_64 and
# Debian's qemu-system-x86_64 -accel tcg with the same kernel, initrd, -m, image and network
# options, side by side. The guest times each transfer itself (/proc/uptime, the guest clock
# follows the host's), so boot time is not counted. Prints MiB/s (best of the runs) and the
# lemu/qemu ratio (above 1: lemu is faster). Never a pass/fail test.
#
#   bench/virtio.sh [-r RUNS] [-s MiB] [-n MiB]
#
# Environment: LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64), QEMU_SYSTEM_X86_64
# (default qemu-system-x86_64), BENCH_RUNS (default 3), LEMU_BOOT_TIMEOUT (seconds per run,
# default 600), BENCH_DRIVE_OPTS (default cache=none,aio=threads). The write side includes the
# guest kernel zeroing dd's buffer (rep stos under the CPU emulator).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
SIZE=256
NET_SIZE=64
BOOT_TIMEOUT=${LEMU_BOOT_TIMEOUT:-600}
. "$ROOT/tests/lib/sysguest.sh"
sysguest_bench_args "[-r RUNS] [-s MiB] [-n MiB]" -r=RUNS -s=SIZE -n=NET_SIZE -- "$@"
sysguest_bench_init virtio

# The host side of the network row: a file served by python3's http.server on a free port.
mkdir -p "$WORK/www"
head -c $((NET_SIZE << 20)) /dev/urandom >"$WORK/www/net.bin" || exit 1
HTTP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$WORK/www" && exec python3 -m http.server --bind 127.0.0.1 "$HTTP_PORT" >/dev/null 2>&1) &
HTTP_PID=$!
trap 'kill $HTTP_PID 2>/dev/null' EXIT
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" 2>/dev/null && break
	sleep 0.1
done

# The guest script: hundredths of a second for each dd, from /proc/uptime.
SCRIPT=$(cat <<EOF
t() { cut -d' ' -f1 /proc/uptime | tr -d .; }
a=\$(t); dd if=/dev/zero of=/dev/vda bs=1M count=$SIZE oflag=direct 2>/dev/null; b=\$(t)
dd if=/dev/vda of=/dev/null bs=1M count=$SIZE iflag=direct 2>/dev/null; c=\$(t)
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
d=\$(t); if wget -q -O /dev/null http://10.0.2.2:$HTTP_PORT/net.bin; then e=\$(t); else e=\$d; fi
echo "BENCH-VIRTIO write=\$((b - a)) read=\$((c - b)) net=\$((e - d))"
EOF
)
CMD=$(printf '%s\n' "$SCRIPT" | base64 -w0)

# run EMU: "write_cs read_cs" of one run, or "fail".
run() {
	local emu=$1
	rm -f "$WORK/disk.raw"
	truncate -s $((SIZE + 16))M "$WORK/disk.raw" || { echo fail; return; }
	if ! APPEND="lemu.cmd=$CMD" sysguest_console -e "$emu" -k "$VMLINUX" "$WORK/run" \
		--no-interactive --exit-timeout "$BOOT_TIMEOUT" -- \
		-drive file="$WORK/disk.raw",format=raw,if=virtio,${BENCH_DRIVE_OPTS:-cache=none,aio=threads} \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
		2>"$WORK/err" || [ "$(cat "$WORK/run/exit")" != 0 ]; then
		echo "bench: $emu failed (log: $WORK/run/console.log)" >&2
		tail -n 3 "$WORK/err" >&2
		echo fail
		return
	fi
	tr -d '\r' <"$WORK/run/console.log" |
		sed -n 's/^BENCH-VIRTIO write=\([0-9]*\) read=\([0-9]*\) net=\([0-9]*\)$/\1 \2 \3/p' | tail -n 1
}

# best EMU: best (smallest) write, read and network times over RUNS runs, as MiB/s ("fail" for
# a transfer that did not complete).
best() {
	local emu=$1 w="" r="" n="" i res
	for ((i = 0; i < RUNS; i++)); do
		res=$(run "$emu")
		case $res in
		fail | "") echo "fail fail fail"; return ;;
		esac
		set -- $res
		{ [ -z "$w" ] || [ "$1" -lt "$w" ]; } && w=$1
		{ [ -z "$r" ] || [ "$2" -lt "$r" ]; } && r=$2
		{ [ -z "$n" ] || [ "$3" -lt "$n" ]; } && n=$3
	done
	awk -v s="$SIZE" -v ns="$NET_SIZE" -v w="$w" -v r="$r" -v n="$n" '
		function rate(size, cs) { return cs > 0 ? sprintf("%.1f", size * 100 / cs) : "fail" }
		BEGIN { print rate(s, w), rate(s, r), rate(ns, n) }'
}

printf 'virtio-blk: dd of %s MiB with O_DIRECT in the guest, raw image cache=none; virtio-net: wget of %s MiB\n' \
	"$SIZE" "$NET_SIZE"
printf 'from the host over -netdev user; best of %s runs (%s)\n' "$RUNS" "$KVER"
printf '%-22s %12s %12s %8s\n' "" "qemu (MiB/s)" "lemu (MiB/s)" "ratio"
set -- $(best "$QEMU")
qw=$1 qr=$2 qn=$3
if [ $have_lemu = 1 ]; then
	set -- $(best "$LEMU")
	lw=$1 lr=$2 ln=$3
else
	lw=n/a lr=n/a ln=n/a
fi
for row in "blk sequential write:$qw:$lw" "blk sequential read:$qr:$lr" "net TCP receive:$qn:$ln"; do
	IFS=: read -r name q l <<<"$row"
	ratio="-"
	case "$q$l" in
	*fail* | *n/a*) ;;
	*) ratio=$(awk -v l="$l" -v q="$q" 'BEGIN { printf "%.2fx", (q > 0 ? l / q : 0) }') ;;
	esac
	printf '%-22s %12s %12s %8s\n' "$name" "$q" "$l" "$ratio"
done
