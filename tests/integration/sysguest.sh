#!/bin/bash
# lemu's own test guests (tests/guest/*.c: mode switches, paging and faults, interrupts and
# exceptions, APIC timer, PIT, RTC, UART), each booted as a multiboot ELF with -kernel under
# lemu-system-x86_64 and under Debian's qemu-system-x86_64 -accel tcg (the oracle). The serial
# output (from the guest's start line on) and the exit status (isa-debug-exit) must be the same.
# The oracle run must also end with "=== end: PASS ===" (the guest's own checks), so a guest
# that misbehaves under QEMU is reported as a broken test, not compared.
#
# Emulator: $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64); oracle: $QEMU_SYSTEM_X86_64
# (default qemu-system-x86_64). Options of both runs: GUEST_ARGS below, plus the guest's own
# from a "/* sysguest-args: ... */" line in its first 10 lines (e.g. -cpu max, -smp 2).
# Validate the test itself: LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k sysguest/ integration
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_SYSGUEST_CASE_TIMEOUT:-120}
. "$(dirname "$0")/../lib/case.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU=${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}
QEMU=${QEMU_SYSTEM_X86_64:-qemu-system-x86_64}
GUESTS=$ROOT/build/guests
RUN_TIMEOUT=${LEMU_SYSGUEST_TIMEOUT:-50}
GUEST_ARGS=(-accel tcg -M pc -m 128 -nodefaults -display none -no-reboot -serial stdio
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)

suite_requires() {
	if ! command -v "$EMU" >/dev/null 2>&1; then
		echo "no system emulator $EMU (build lemu-system-x86_64, or set LEMU_SYSTEM_X86_64)"
		return 1
	fi
	command -v "$QEMU" >/dev/null || { echo "no $QEMU (scripts/deps.sh test)"; return 1; }
	# Build every guest once, before the cases run in parallel.
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

# run_one EMULATOR NAME OUT: run a guest, keep its output from the start line on.
run_one() {
	local emu=$1 name=$2 out=$3 args rc
	args=$(head -n 10 "$ROOT/tests/guest/$name.c" | sed -n 's|^.*/\* *sysguest-args: *\(.*[^ ]\) *\*/.*$|\1|p')
	# shellcheck disable=SC2086  # sysguest-args is a list of options
	timeout -k 5 "$RUN_TIMEOUT" "$emu" "${GUEST_ARGS[@]}" $args -kernel "$GUESTS/$name.elf" \
		</dev/null >"$out.raw" 2>"$out.err"
	rc=$?
	# Firmware or the emulator may print before the guest: compare from the guest's first line.
	tr -d '\r' <"$out.raw" | sed -n '/^=== lemu test guest /,$p' >"$out"
	echo $rc >"$out.rc"
}

sysguest() {
	local name=$1 q l
	[ -f "$GUESTS/$name.elf" ] || fail "$GUESTS/$name.elf was not built"
	run_one "$QEMU" "$name" qemu
	q=$(cat qemu.rc)
	if [ "$q" = 124 ] || [ "$q" = 137 ] || ! grep -q '^=== end: PASS ===$' qemu; then
		echo "oracle output (exit $q):"
		head -n 60 qemu
		tail -n 5 qemu.err
		fail "the guest does not pass under $QEMU: the test guest itself is broken"
	fi
	run_one "$EMU" "$name" emu
	l=$(cat emu.rc)
	if [ "$l" = 124 ] || [ "$l" = 137 ]; then
		echo "output so far:"
		tail -n 20 emu
		fail "timeout after ${RUN_TIMEOUT}s under $EMU"
	fi
	if ! cmp -s qemu emu; then
		echo "serial output differs (- qemu, + emulator):"
		diff -u qemu emu | sed 1,2d | head -n 60
		echo "emulator stderr:"
		tail -n 10 emu.err
		fail "output differs"
	fi
	[ "$q" = "$l" ] || fail "exit status $l, qemu $q"
	return 0
}

# One case per guest source.
for src in "$ROOT"/tests/guest/*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	eval "t_$name() { sysguest $name; }"
done

case_main "$@"
