#!/bin/bash
# lemu-x86_64's own command line, checked against QEMU's behaviour (qemu-x86_64 7.2): run once
# under the emulator; a case passes when it returns 0. Output shapes, not exact text.
SUITE_MODE=check
. "$(dirname "$0")/../lib/case.sh"

fail() { echo "FAIL: $*"; exit 1; }
# expect_rc WANT CMD...: run CMD, keep its stdout/stderr in out/err, check the exit status.
expect_rc() {
	local want=$1 rc
	shift
	"$@" >out 2>err
	rc=$?
	[ "$rc" = "$want" ] || { echo "stdout:"; head -n 20 out; echo "stderr:"; head -n 20 err; fail "$* exited $rc, want $want"; }
}

t_version() {
	expect_rc 0 $E -version
	head -n 1 out | grep -Eq '^[^ ]+ version [0-9]+\.[0-9]+' || { cat out; fail "-version: first line is not 'NAME version X.Y...'"; }
}
t_version_i386() {
	expect_rc 0 "$LEMU_I386" -version
	grep -q version out || fail "lemu-i386 -version prints no version"
}
t_help() {
	expect_rc 0 $E -h
	head -n 1 out | grep -Eq '^usage: [^ ]+ \[options\] program \[arguments\.\.\.\]' || { head -n 3 out; fail "-h: no QEMU-style usage line"; }
	for o in -E -U -cpu -d -strace -version -L; do
		grep -q -- "^$o " out || grep -q -- "^$o\$" out || fail "-h does not list $o"
	done
}
# QEMU 7.2 lists and then exits with status 1 for "-cpu help" and "-d help".
t_cpu_help() {
	expect_rc 1 $E -cpu help
	grep -q qemu64 out || fail "-cpu help does not list qemu64"
	grep -q max out || fail "-cpu help does not list max"
}
t_cpu_select() {
	expect_rc 0 $E -cpu qemu64 /bin/busybox echo ok
	[ "$(cat out)" = ok ] || fail "-cpu qemu64: program output '$(cat out)'"
	expect_rc 0 $E -cpu max /bin/busybox echo ok
}
t_cpu_unknown() {
	$E -cpu no-such-cpu /bin/busybox true >out 2>err && fail "-cpu no-such-cpu was accepted"
	[ -s err ] || fail "-cpu no-such-cpu: no error message"
}
t_d_help() {
	expect_rc 1 $E -d help
	head -n 1 out | grep -q '^Log items (comma separated):' || { head -n 3 out; fail "-d help: first line not 'Log items (comma separated):'"; }
	grep -q '^in_asm ' out || fail "-d help does not list in_asm"
}
t_d_unknown() {
	expect_rc 1 $E -d no-such-item /bin/busybox true
}
# -d in_asm logs each translated block as "----------------", "IN: ", then one line per
# instruction starting with its address; the first block starts at the ELF entry point.
t_d_in_asm() {
	local entry
	entry=$(readelf -h /bin/busybox | awk '/Entry point/ { print $4 }')
	expect_rc 0 $E -d in_asm /bin/busybox echo logged
	[ "$(cat out)" = logged ] || fail "-d in_asm changed the program's stdout"
	grep -q '^IN: *$' err || { head -n 5 err; fail "-d in_asm: no 'IN:' block header on stderr"; }
	grep -Eiq "^0x0*${entry#0x}:" err || { head -n 5 err; fail "-d in_asm: no line for the entry point $entry"; }
}
# in_asm disassembles (capstone): the entry point's first instruction has a mnemonic
t_d_in_asm_mnemonic() {
	local entry first
	entry=$(readelf -h /bin/busybox | awk '/Entry point/ { print $4 }')
	first=$(objdump -d --start-address="$entry" --stop-address=$((entry + 16)) /bin/busybox |
		awk -F'\t' '/^ +[0-9a-f]+:/ { split($3, m, " "); print m[1]; exit }')
	expect_rc 0 $E -d in_asm /bin/busybox true
	# QEMU (capstone, AT&T): "0x0040ebf0:  31 ed    xorl  %ebp, %ebp"
	grep -Eiq "^0x0*${entry#0x}: +([0-9a-f]{2} )*[0-9a-f]{2} +${first%[bwlq]}[bwlq]? " err ||
		{ grep -i "${entry#0x}" err | head -n 2; fail "-d in_asm: entry line does not show its bytes and '$first'"; }
}
# exec: QEMU's "Trace N: host [cs_base/pc/flags/cflags]" line per TB, the entry first
t_d_exec() {
	local entry
	entry=$(readelf -h /bin/busybox | awk '/Entry point/ { print $4 }')
	expect_rc 0 $E -d exec /bin/busybox true
	head -n 1 err | grep -Eiq "^Trace 0: 0x[0-9a-f]+ \[[0-9a-f]{16}/0*${entry#0x}/[0-9a-f]{8}/[0-9a-f]{8}\]" ||
		{ head -n 2 err; fail "-d exec: first line is not the Trace line of the entry point $entry"; }
}
# cpu: register dump before each TB; the first shows RIP = entry and the initial RSP
t_d_cpu() {
	local entry
	entry=$(readelf -h /bin/busybox | awk '/Entry point/ { print $4 }')
	expect_rc 0 $E -d cpu /bin/busybox true
	grep -Eiq "^RIP=0*${entry#0x} RFL=[0-9a-f]{8} \[" err || { head -n 6 err; fail "-d cpu: no register dump at the entry point"; }
	grep -Eq '^RAX=[0-9a-f]{16} RBX=[0-9a-f]{16} RCX=[0-9a-f]{16} RDX=[0-9a-f]{16}$' err || fail "-d cpu: no RAX..RDX line"
}
# an unknown system call fails with ENOSYS and is logged under -d unimp, as QEMU does
t_d_unimp() {
	expect_rc 0 $E -d unimp /usr/bin/perl -e 'print syscall(1000) == -1 ? "enosys $!\n" : "returned\n"'
	[ "$(cat out)" = "enosys Function not implemented" ] || { cat out; fail "syscall 1000 did not fail with ENOSYS"; }
	grep -q '^Unsupported syscall: 1000$' err || { cat err; fail "-d unimp: no 'Unsupported syscall: 1000' line"; }
}
t_d_logfile() {
	expect_rc 0 $E -d in_asm -D log.txt /bin/busybox echo logged
	[ "$(cat out)" = logged ] || fail "-D changed the program's stdout"
	grep -q '^IN: *$' log.txt || fail "-D log.txt: no in_asm log in the file"
	grep -q '^IN: *$' err && fail "-D log.txt: the log also went to stderr"
	return 0
}
t_env_set() {
	expect_rc 0 $E -E LEMU_T=hello -E OTHER=x=y /bin/busybox sh -c 'echo "$LEMU_T $OTHER"'
	[ "$(cat out)" = "hello x=y" ] || fail "-E: got '$(cat out)'"
}
t_env_unset() {
	expect_rc 0 $E -U TZ /bin/busybox env
	grep -q '^TZ=' out && fail "-U TZ: TZ still set"
	grep -q '^LC_ALL=C$' out || fail "-U TZ removed other variables"
}
t_argv0() {
	expect_rc 0 $E -0 echo /bin/busybox argv0-works
	[ "$(cat out)" = argv0-works ] || fail "-0 echo: busybox did not see argv[0]=echo ($(cat out))"
}
t_strace() {
	expect_rc 0 $E -strace /bin/busybox echo traced
	[ "$(cat out)" = traced ] || fail "-strace changed the program's stdout"
	grep -Eq '^[0-9]+ write\(1,' err || { tail -n 5 err; fail "-strace: no 'PID write(1,...' line on stderr"; }
	grep -Eq '^[0-9]+ exit_group\(0\)' err || fail "-strace: no 'PID exit_group(0)' line"
}
t_exit_status() {
	expect_rc 3 $E /bin/busybox sh -c 'exit 3'
	expect_rc 0 $E /bin/busybox true
}
t_unknown_option() {
	expect_rc 1 $E -no-such-option /bin/busybox true
	grep -q "unknown option 'no-such-option'" err || { cat err; fail "unknown option: no \"unknown option 'no-such-option'\" message"; }
}
t_no_program() {
	expect_rc 1 $E
	[ -s err ] || fail "no program: no error message"
}
t_missing_program() {
	expect_rc 1 $E /nonexistent/program
}

case_main "$@"
