#!/bin/bash
# Acceptance of the PC system emulator (issue 3): the real Debian kernel with the busybox
# initramfs of scripts/prepare-guest.sh boots to a shell on the serial console, from the bzImage
# and from the vmlinux (PVH), with -smp 1 and -smp 2. Commands are typed on the console
# (tests/guest/console.py drives it, with timeouts), and their outputs are checked: CPU count,
# work on both CPUs, a clean dmesg, timer and serial interrupts, the i440FX host bridge and the
# PIIX ISA bridge on PCI; "poweroff -f" and "reboot -f" (with -no-reboot) end the emulator
# with status 0.
#
# The emulator is $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64). The test itself is
# validated against QEMU:
#   LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k boot/ integration
# Extra emulator options for every boot: LEMU_BOOT_ARGS (e.g. "-d guest_errors -D /tmp/log").
SUITE_MODE=check
# A boot under the interpreter may take 5x QEMU's; each case boots once, some twice.
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"

. "$(dirname "$0")/../lib/sysguest.sh"
MEM=512

# boot DIR KERNELFILE SMP [console.py options...]: boot the guest and drive its console; the
# results land in DIR (N.out, N.rc per --cmd, exit, console.log).
boot() {
	local dir=$1 kernel=$2 smp=$3
	shift 3
	sysguest_boot -k "$kernel" -m $MEM -s "$smp" "$dir" "$@"
}

# The commands of a full boot check; check_full verifies their outputs.
FULL_CMDS=(
	--cmd 'echo hello from the $(uname -s) guest'
	--cmd 'grep -c ^processor /proc/cpuinfo'
	--cmd 'dmesg'
	--cmd 'cat /proc/interrupts'
	--cmd 'lspci'
	--cmd 'uname -r'
	--cmd 'false'
	--cmd 'cd /proc && x=$(cat self/stat | cut -d" " -f2) && echo "$x"'
)
check_full() {
	local d=$1 ncpu=$2 n
	[ "$(out "$d" 1)" = "hello from the Linux guest" ] || fail "echo typed on the console: '$(out "$d" 1)'"
	[ "$(cat "$d/1.rc")" = 0 ] || fail "echo: status $(cat "$d/1.rc")"
	[ "$(out "$d" 2)" = "$ncpu" ] || fail "/proc/cpuinfo lists '$(out "$d" 2)' CPUs, want $ncpu"
	# dmesg: no kernel bug reports (the spellings of lib/bug.c, panic.c and dumpstack).
	if grep -E 'BUG:|WARNING:|Oops|Call Trace|Kernel panic|general protection fault|invalid opcode:' "$d/3.out"; then
		fail "dmesg reports a kernel problem (above)"
	fi
	grep -q 'Linux version' "$d/3.out" || fail "dmesg has no 'Linux version' line"
	# /proc/interrupts: a timer line and the serial port, with interrupts counted.
	awk '/timer/ || /^ *LOC:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { exit !(s > 0) }' \
		"$d/4.out" || { cat "$d/4.out"; fail "/proc/interrupts: no timer interrupts"; }
	awk '/ttyS0/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { exit !(s > 0) }' \
		"$d/4.out" || { cat "$d/4.out"; fail "/proc/interrupts: no ttyS0 interrupts"; }
	n=$(head -n 1 "$d/4.out" | wc -w)
	[ "$n" = "$ncpu" ] || fail "/proc/interrupts has $n CPU columns, want $ncpu"
	# PCI: i440FX host bridge and PIIX3 ISA bridge, as QEMU's pc machine.
	grep -q '^00:00.0 Class 0600: 8086:1237$' "$d/5.out" || { cat "$d/5.out"; fail "lspci: no 8086:1237 host bridge at 00:00.0"; }
	grep -q 'Class 0601: 8086:7000$' "$d/5.out" || { cat "$d/5.out"; fail "lspci: no 8086:7000 ISA bridge"; }
	[ "$(out "$d" 6)" = "$(cat "$ROOT/.cache/guest/kver")" ] || fail "uname -r: '$(out "$d" 6)'"
	[ "$(cat "$d/7.rc")" = 1 ] || fail "false: status $(cat "$d/7.rc"), want 1"
	[ "$(out "$d" 8)" = "(cat)" ] || fail "/proc/self/stat of cat: '$(out "$d" 8)'"
	expect_exit "$d" 0
}

# Work on both CPUs: one busy loop pinned to each, and the per-CPU user+system time in
# /proc/stat must grow on both. Fixed work, no timing: the loops run to completion.
WORK_CMDS=(
	--cmd 'grep "^cpu[0-9]" /proc/stat > /tmp/before'
	--cmd 'for c in 0 1; do taskset -c $c sh -c "i=0; while [ \$i -lt 30000 ]; do i=\$((i+1)); done; echo done $c" & done; wait'
	--cmd 'grep "^cpu[0-9]" /proc/stat > /tmp/after; cat /tmp/before /tmp/after'
	--cmd 'grep -E "^(LOC|CAL|RES):" /proc/interrupts'
)
check_work() {
	local d=$1
	grep -q '^done 0$' "$d/2.out" && grep -q '^done 1$' "$d/2.out" ||
		{ cat "$d/2.out"; fail "the pinned busy loops did not both finish"; }
	# /proc/stat "cpuN user nice system ...": ticks spent on each CPU, before then after.
	awk '{ t = $2 + $3 + $4; if ($1 in b) d[$1] = t - b[$1]; else b[$1] = t }
		END { for (c in b) printf "%s %d\n", c, d[c]; exit !(d["cpu0"] > 0 && d["cpu1"] > 0) }' "$d/3.out" ||
		{ cat "$d/3.out"; fail "/proc/stat: not both CPUs did work"; }
	# Both CPUs take local timer interrupts.
	awk '/^ *LOC:/ { exit !($2 > 0 && $3 > 0) }' "$d/4.out" || { cat "$d/4.out"; fail "LOC: not on both CPUs"; }
}

t_bzimage_smp1() {
	boot b vmlinuz 1 "${FULL_CMDS[@]}"
	check_full b 1
}
t_pvh_smp1() {
	boot p vmlinux 1 "${FULL_CMDS[@]}"
	check_full p 1
}
t_bzimage_smp2() {
	boot b vmlinuz 2 "${FULL_CMDS[@]}" "${WORK_CMDS[@]}"
	check_full b 2
	# The work commands come after the 8 of FULL_CMDS.
	mkdir -p w
	for i in 1 2 3 4; do cp "b/$((i + 8)).out" "w/$i.out"; done
	check_work w
}
# This one runs with -cpu max: the kernel then uses SMEP and SMAP (STAC/CLAC around every
# user copy), as it does under QEMU's -cpu max.
t_pvh_smp2() {
	boot p vmlinux 2 "${FULL_CMDS[@]}" "${WORK_CMDS[@]}" \
		--cmd 'for f in smep smap; do grep -q -w $f /proc/cpuinfo && echo -n "$f "; done; echo' -- -cpu max
	check_full p 2
	mkdir -p w
	for i in 1 2 3 4; do cp "p/$((i + 8)).out" "w/$i.out"; done
	check_work w
	[ "$(out p 13)" = "smep smap " ] || fail "-cpu max: /proc/cpuinfo flags '$(out p 13)', want smap and smep"
}

# reboot -f resets the machine; -no-reboot turns the reset into an exit with status 0.
t_reboot_no_reboot() {
	boot r vmlinux 1 --cmd 'echo rebooting' --final 'reboot -f'
	expect_exit r 0
}

# The non-interactive hook of the guest's /init: lemu.cmd=<base64 script> runs the script,
# prints its status and powers off. Nothing is typed.
t_cmdline_hook() {
	local script
	script=$(printf 'echo cmd-ran\ngrep -c ^processor /proc/cpuinfo\nexit 3\n' | base64 -w0)
	APPEND="lemu.cmd=$script" boot c vmlinuz 1 --no-interactive
	tr -d '\r' <c/console.log | grep -q '^cmd-ran$' ||
		fail "the lemu.cmd script did not run"
	tr -d '\r' <c/console.log | grep -q '^LEMU-CMD-EXIT=3$' || fail "no LEMU-CMD-EXIT=3 line"
	expect_exit c 0
}

# With -nographic, Ctrl-A x quits the emulator (QEMU prints "QEMU: Terminated", status 0).
t_ctrl_a_x() {
	boot q vmlinux 1 --cmd 'echo up' --final $'\x01x'
	expect_exit q 0
}

# Wrong options: a message naming the option, exit status 1 (QEMU: "...: -foo: invalid option").
t_bad_option() {
	local rc
	"$EMU" -no-such-option >o 2>e </dev/null
	rc=$?
	[ $rc = 1 ] || fail "-no-such-option: exit status $rc, want 1"
	grep -q -- '-no-such-option' e || { cat e; fail "the message does not name -no-such-option"; }
	"$EMU" -accel tcg -nographic -kernel /nonexistent/kernel >o 2>e </dev/null
	rc=$?
	[ $rc = 1 ] || fail "-kernel /nonexistent/kernel: exit status $rc, want 1"
	grep -q /nonexistent/kernel e || { cat e; fail "the message does not name the missing kernel file"; }
	"$EMU" -M no-such-machine >o 2>e </dev/null
	rc=$?
	[ $rc = 1 ] || fail "-M no-such-machine: exit status $rc, want 1"
	[ -s e ] || fail "-M no-such-machine: no error message"
}

case_main "$@"
