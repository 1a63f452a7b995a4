#!/bin/bash
# Boot benchmark: the default guest (scripts/prepare-guest.sh) from power-on to the init marker
# and "poweroff -f", under lemu-system-x86_64 and Debian's qemu-system-x86_64 -accel tcg, with
# the same kernel, initrd, -m and -smp, side by side. Prints seconds (best of the runs) and the
# lemu/qemu ratio. Never a pass/fail test.
#
#   bench/boot.sh [-r RUNS] [-m MB] [-smp N]
#
# Environment: LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64), QEMU_SYSTEM_X86_64
# (default qemu-system-x86_64), BENCH_RUNS (default 3), LEMU_BOOT_TIMEOUT (seconds per boot,
# default 300). The guest runs non-interactively: lemu.cmd=<"true"> makes its /init print the
# marker and power off at once, so the time is boot + init + poweroff.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
MEM=512
SMP=1
BOOT_TIMEOUT=${LEMU_BOOT_TIMEOUT:-300}
. "$ROOT/tests/lib/sysguest.sh"
sysguest_bench_args "[-r RUNS] [-m MB] [-smp N]" -r=RUNS -m=MEM -smp=SMP -- "$@"
sysguest_bench_init boot

CMD=$(printf 'true\n' | base64 -w0)

# boot_time EMU KERNEL: best wall time of RUNS boots, or "fail".
boot_time() {
	local emu=$1 kernel=$2 best="" i t0 t1 t
	for ((i = 0; i < RUNS; i++)); do
		t0=$EPOCHREALTIME
		if ! APPEND="lemu.cmd=$CMD" sysguest_console -e "$emu" -k "$kernel" -m "$MEM" -s "$SMP" \
			"$WORK/run" --no-interactive --exit-timeout 60 2>"$WORK/err" ||
			[ "$(cat "$WORK/run/exit")" != 0 ]; then
			echo "bench: $emu failed on $(basename "$kernel") (log: $WORK/run/console.log)" >&2
			tail -n 3 "$WORK/err" >&2
			echo fail
			return
		fi
		t1=$EPOCHREALTIME
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
		fi
	done
	echo "$best"
}

printf 'boot to the init marker and poweroff: -m %s -smp %s, best of %s runs (%s)\n' "$MEM" "$SMP" "$RUNS" "$KVER"
printf '%-22s %10s %10s %8s\n' "kernel" "qemu (s)" "lemu (s)" "ratio"
for way in "PVH vmlinux:$VMLINUX" "bzImage:$KERNEL"; do
	name=${way%%:*}
	kernel=${way#*:}
	q=$(boot_time "$QEMU" "$kernel")
	if [ $have_lemu = 1 ]; then
		l=$(boot_time "$LEMU" "$kernel")
	else
		l="n/a"
	fi
	ratio="-"
	case "$q$l" in
	*fail* | *n/a*) ;;
	*) ratio=$(awk -v l="$l" -v q="$q" 'BEGIN { printf "%.2fx", l / q }') ;;
	esac
	printf '%-22s %10s %10s %8s\n' "$name" "$q" "$l" "$ratio"
done
