#!/bin/bash
# lemu-system-x86_64's command line against qemu-system-x86_64 (the oracle): the same option
# strings must give the same exit status, and a rejected option must be named in lemu's message.
# Runs that boot use the "hello" multiboot test guest (tests/guest/hello.c), which prints on COM1
# and exits through isa-debug-exit, so both emulators end by themselves.
SUITE_MODE=check
SUITE_TIMEOUT=120
. "$(dirname "$0")/../lib/case.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU=${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}
QEMU=${QEMU_SYSTEM_X86_64:-qemu-system-x86_64}
GUESTS=$ROOT/build/guests
HELLO=$GUESTS/hello.elf
BASE=(-accel tcg -M pc -m 128 -nodefaults -display none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)

suite_requires() {
	command -v "$EMU" >/dev/null 2>&1 || { echo "no system emulator $EMU"; return 1; }
	command -v "$QEMU" >/dev/null || { echo "no $QEMU (scripts/deps.sh test)"; return 1; }
	make -s -C "$ROOT/tests/guest" OUT="$GUESTS" >/dev/null 2>&1 || { echo "the test guests do not build"; return 1; }
	[ -f "$HELLO" ] || { echo "no $HELLO"; return 1; }
}

# run PROG ARGS...: status in $st, stdout+stderr in $out (10 s limit)
run() {
	out=$(timeout 20 "$@" </dev/null 2>&1)
	st=$?
}

# same_status ARGS...: both emulators with ARGS exit alike; when they fail, lemu's message
# names the first option of ARGS (QEMU's style "prog: -opt value: reason").
same_status() {
	run "$QEMU" "$@"
	local qst=$st qout=$out
	run "$EMU" "$@"
	if [ "$st" != "$qst" ]; then
		echo "args: $*"
		echo "qemu exit $qst: $qout"
		echo "lemu exit $st: $out"
		return 1
	fi
	if [ "$st" = 1 ] && [ -z "$out" ]; then
		echo "args: $*: lemu failed without a message"
		return 1
	fi
	return 0
}

t_bad_options() {
	local rc=0
	same_status -no-such-option || rc=1
	same_status -kernel "$HELLO" -m foo || rc=1
	same_status -kernel "$HELLO" -smp 2,sockets=3 || rc=1
	same_status -kernel "$HELLO" -smp 2,maxcpus=1 || rc=1
	same_status -kernel "$HELLO" -M no-such-machine || rc=1
	same_status -kernel "$HELLO" -cpu no-such-cpu || rc=1
	same_status -kernel "$HELLO" -device no-such-device || rc=1
	same_status -kernel "$HELLO" -device isa-debug-exit,no-such-prop=1 || rc=1
	same_status -kernel "$HELLO" -serial bogus:x || rc=1
	same_status -kernel "$HELLO" -d no-such-item || rc=1
	same_status -kernel "$HELLO" -nographic -daemonize || rc=1
	same_status -kernel "$HELLO" -global foo || rc=1
	same_status -kernel /nonexistent/kernel || rc=1
	same_status -kernel "$HELLO" -initrd /nonexistent/initrd || rc=1
	same_status -bios /nonexistent/bios || rc=1
	same_status -kernel "$HELLO" -kernel || rc=1
	return $rc
}

# The option named in the message, as QEMU does ("-m foo: ...").
t_messages_name_the_option() {
	local rc=0 a
	for a in "-m foo" "-device no-such-device" "-serial bogus:x" "-smp 2,cores=x"; do
		run "$EMU" -kernel "$HELLO" $a
		if [ "$st" != 1 ] || ! grep -qF -- "${a%% *}" <<<"$out"; then
			echo "'$a': exit $st, message does not name the option: $out"
			rc=1
		fi
	done
	return $rc
}

t_accel_kvm_refused() {
	run "$EMU" "${BASE[@]}" -kernel "$HELLO" -accel kvm
	[ "$st" = 1 ] && grep -q "kvm" <<<"$out" || { echo "exit $st: $out"; return 1; }
	run "$EMU" "${BASE[@]}" -kernel "$HELLO" -enable-kvm
	[ "$st" = 1 ] && grep -q "kvm" <<<"$out" || { echo "exit $st: $out"; return 1; }
}

t_help_outputs() {
	run "$QEMU" -M help; local qm=$out qst=$st
	run "$EMU" -M help
	[ "$st" = "$qst" ] && [ "$(head -1 <<<"$out")" = "$(head -1 <<<"$qm")" ] || { echo "-M help: $st: $out"; return 1; }
	grep -q '^pc  *Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)' <<<"$out" || { echo "-M help lacks pc: $out"; return 1; }
	run "$EMU" -cpu help
	[ "$st" = 0 ] && grep -q qemu64 <<<"$out" || { echo "-cpu help: $out"; return 1; }
	run "$EMU" -device help
	[ "$st" = 0 ] && grep -q '^name "isa-debug-exit", bus ISA' <<<"$out" || { echo "-device help: $out"; return 1; }
	run "$EMU" -device isa-debug-exit,help
	[ "$st" = 0 ] && grep -q 'iobase=' <<<"$out" || { echo "-device isa-debug-exit,help: $out"; return 1; }
	same_status -d help
}

# Runs that boot the guest: same exit status (isa-debug-exit code) and serial output.
t_runs() {
	local rc=0 a
	for a in "" "-smp 2" "-m 64M" "-m size=96M" "-name guest1,process=lemutest" "-cpu qemu64" "-cpu max" \
		"-global isa-debug-exit.iosize=4" "-no-shutdown" "-serial null"; do
		# shellcheck disable=SC2086
		run "$QEMU" "${BASE[@]}" -serial stdio -kernel "$HELLO" $a
		local qst=$st qout=$out
		# shellcheck disable=SC2086
		run "$EMU" "${BASE[@]}" -serial stdio -kernel "$HELLO" $a
		if [ "$st" != "$qst" ] || [ "$out" != "$qout" ]; then
			echo "args '$a': qemu $qst / lemu $st"
			diff <(echo "$qout") <(echo "$out") | head -10
			rc=1
		fi
	done
	return $rc
}

t_serial_file_and_log() {
	"$QEMU" "${BASE[@]}" -serial file:q.txt -kernel "$HELLO" </dev/null >/dev/null 2>&1
	"$EMU" "${BASE[@]}" -serial file:l.txt -kernel "$HELLO" -d in_asm -D asm.log </dev/null >/dev/null 2>&1
	[ -s l.txt ] && cmp -s q.txt l.txt || { echo "-serial file: output differs"; diff q.txt l.txt | head; return 1; }
	grep -q '^IN:' asm.log || { echo "-d in_asm -D wrote no TB disassembly"; return 1; }
}

t_daemonize_pidfile() {
	# The parent returns 0 once the VM runs; the guest's output lands in the file.
	"$EMU" "${BASE[@]}" -serial file:d.txt -kernel "$HELLO" -daemonize -pidfile vm.pid </dev/null >/dev/null 2>&1
	local st=$?
	[ "$st" = 0 ] || { echo "-daemonize: parent exit $st"; return 1; }
	local i
	for i in $(seq 1 100); do
		grep -q "=== end" d.txt 2>/dev/null && [ ! -e vm.pid ] && break
		sleep 0.1
	done
	grep -q "=== end" d.txt || { echo "daemonized guest did not run"; return 1; }
	[ ! -e vm.pid ] || { echo "pidfile left behind"; return 1; }
}

case_main "$@"
