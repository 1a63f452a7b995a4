#!/bin/bash
# virtio benchmark: sequential write and read of 256 MiB through virtio-blk inside the default
# guest (dd with O_DIRECT on /dev/vda, a raw image on the host, cache=none), under
# lemu-system-x86_64 and Debian's qemu-system-x86_64 -accel tcg with the same kernel, initrd,
# -m and image options, side by side. The guest times each dd itself (/proc/uptime, the guest
# clock follows the host's), so boot time is not counted. Prints MiB/s (best of the runs) and
# the lemu/qemu ratio. Never a pass/fail test.
#
#   bench/virtio.sh [-r RUNS] [-s MiB]
#
# Environment: LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64), QEMU_SYSTEM_X86_64
# (default qemu-system-x86_64), BENCH_RUNS (default 3), LEMU_BOOT_TIMEOUT (seconds per run,
# default 600), BENCH_DRIVE_OPTS (default cache=none,aio=threads). The write side includes the
# guest kernel zeroing dd's buffer (rep stos under the CPU emulator). (Network throughput rows
# belong to the -netdev work of issue 5.)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
SIZE=256
BOOT_TIMEOUT=${LEMU_BOOT_TIMEOUT:-600}
. "$ROOT/tests/lib/sysguest.sh"
sysguest_bench_args "[-r RUNS] [-s MiB]" -r=RUNS -s=SIZE -- "$@"
sysguest_bench_init virtio

# The guest script: hundredths of a second for each dd, from /proc/uptime.
SCRIPT=$(cat <<EOF
t() { cut -d' ' -f1 /proc/uptime | tr -d .; }
a=\$(t); dd if=/dev/zero of=/dev/vda bs=1M count=$SIZE oflag=direct 2>/dev/null; b=\$(t)
dd if=/dev/vda of=/dev/null bs=1M count=$SIZE iflag=direct 2>/dev/null; c=\$(t)
echo "BENCH-VIRTIO write=\$((b - a)) read=\$((c - b))"
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
		2>"$WORK/err" || [ "$(cat "$WORK/run/exit")" != 0 ]; then
		echo "bench: $emu failed (log: $WORK/run/console.log)" >&2
		tail -n 3 "$WORK/err" >&2
		echo fail
		return
	fi
	tr -d '\r' <"$WORK/run/console.log" | sed -n 's/^BENCH-VIRTIO write=\([0-9]*\) read=\([0-9]*\)$/\1 \2/p' | tail -n 1
}

# best EMU: best (smallest) write and read times over RUNS runs, as MiB/s.
best() {
	local emu=$1 w="" r="" i res
	for ((i = 0; i < RUNS; i++)); do
		res=$(run "$emu")
		case $res in
		fail | "") echo "fail fail"; return ;;
		esac
		set -- $res
		{ [ -z "$w" ] || [ "$1" -lt "$w" ]; } && w=$1
		{ [ -z "$r" ] || [ "$2" -lt "$r" ]; } && r=$2
	done
	awk -v s="$SIZE" -v w="$w" -v r="$r" 'BEGIN {
		printf "%.1f %.1f\n", (w > 0 ? s * 100 / w : 0), (r > 0 ? s * 100 / r : 0) }'
}

printf 'virtio-blk, dd of %s MiB with O_DIRECT in the guest, raw image cache=none; best of %s runs (%s)\n' \
	"$SIZE" "$RUNS" "$KVER"
printf '%-22s %12s %12s %8s\n' "" "qemu (MiB/s)" "lemu (MiB/s)" "ratio"
set -- $(best "$QEMU")
qw=$1 qr=$2
if [ $have_lemu = 1 ]; then
	set -- $(best "$LEMU")
	lw=$1 lr=$2
else
	lw=n/a lr=n/a
fi
for row in "sequential write:$qw:$lw" "sequential read:$qr:$lr"; do
	IFS=: read -r name q l <<<"$row"
	ratio="-"
	case "$q$l" in
	*fail* | *n/a*) ;;
	*) ratio=$(awk -v l="$l" -v q="$q" 'BEGIN { printf "%.2fx", (q > 0 ? l / q : 0) }') ;;
	esac
	printf '%-22s %12s %12s %8s\n' "$name" "$q" "$l" "$ratio"
done
