# shellcheck shell=bash
# Shared by the tests and benchmarks that boot the Debian guest of scripts/prepare-guest.sh
# (kernel + busybox initramfs in .cache/guest) under lemu-system-x86_64 or qemu-system-x86_64
# and drive its serial console with tests/guest/console.py. Source it after setting ROOT (the
# repository); tests source tests/lib/case.sh first.
#
# Settings (set before sourcing, or from the environment):
#   EMU           the emulator under test ($LEMU_SYSTEM_X86_64, default build/lemu-system-x86_64)
#   QEMU          the oracle ($QEMU_SYSTEM_X86_64, default qemu-system-x86_64)
#   BOOT_TIMEOUT  seconds for a boot to reach the shell ($LEMU_BOOT_TIMEOUT, default 120)
#   LEMU_BOOT_ARGS  extra options for every boot of $EMU (e.g. "-d guest_errors -D /tmp/log")
#   APPEND        extra kernel command line words for the next boot
#
# Functions:
#   sysguest_requires [TOOL...]   for suite_requires: the emulator, the tools, the guest files
#                                 (the default suite_requires checks the tools in SYSGUEST_TOOLS)
#   sysguest_vars                 KERNEL VMLINUX INITRD KVER of the guest (prepares it if needed)
#   guest_file NAME               the path of .cache/guest/NAME, or fail
#   sysguest_console [options] DIR [console.py options...] -- [emulator options...]
#                                 one boot; console.py's status (results in DIR: N.out, N.rc,
#                                 exit, console.log)
#   sysguest_boot [options] DIR ...  the same, failing the test (with the console's tail) when
#                                 the boot or a command timed out
#   out DIR N, rc DIR N           output and status of command N; expect_exit DIR STATUS
#   fail MESSAGE                  print FAIL: MESSAGE and end the test
#   sysguest_bench_args USAGE -FLAG=VAR... -- ARGS...  a benchmark's command line: each -FLAG
#                                 takes a value into VAR; anything else prints USAGE, exits 2
#   sysguest_bench_init NAME      for bench/NAME.sh: LEMU (= EMU), QEMU, WORK=build/bench/NAME,
#                                 the guest's vars, have_lemu=0/1; exits when QEMU is missing
# Options of sysguest_console/sysguest_boot: -e EMULATOR (default $EMU), -k KERNEL file name in
# .cache/guest or a path (default vmlinux), -m MB (default 512), -s SMP (default 1), -x the emulator must
# exit with status 0, -t LINES of console tail on failure (default 40).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EMU=${EMU:-${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}}
QEMU=${QEMU:-${QEMU_SYSTEM_X86_64:-qemu-system-x86_64}}
CONSOLE=$ROOT/tests/guest/console.py
BOOT_TIMEOUT=${BOOT_TIMEOUT:-${LEMU_BOOT_TIMEOUT:-120}}
SYSGUEST_DIR=$ROOT/.cache/guest

fail() {
	echo "FAIL: $*"
	exit 1
}

sysguest_requires() {
	if ! command -v "$EMU" >/dev/null 2>&1; then
		echo "no system emulator $EMU (build lemu-system-x86_64, or set LEMU_SYSTEM_X86_64)"
		return 1
	fi
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { echo "$t is missing (bash scripts/deps.sh test)"; return 1; }
	done
	# Download and build the guest once, before the cases run in parallel.
	if ! bash "$ROOT/scripts/prepare-guest.sh" --quiet >/dev/null 2>guest.err; then
		echo "the default guest could not be prepared: $(tail -n 1 guest.err)"
		rm -f guest.err
		return 1
	fi
	rm -f guest.err
}

# shellcheck disable=SC2086  # SYSGUEST_TOOLS is a list of programs
suite_requires() { sysguest_requires ${SYSGUEST_TOOLS:-}; }

sysguest_vars() {
	local vars
	vars=$(bash "$ROOT/scripts/prepare-guest.sh") && eval "$vars"
}

guest_file() {
	local f=$SYSGUEST_DIR/$1
	[ -f "$f" ] || fail "$f is missing (run scripts/prepare-guest.sh)"
	echo "$f"
}

# A guest file name, or a path as it is.
sysguest_path() {
	case $1 in
	*/*) echo "$1" ;;
	*) echo "$SYSGUEST_DIR/$1" ;;
	esac
}

# Parses the options into the caller's sg_* locals; the rest stays in SG_ARGS.
sysguest_opts() {
	sg_emu=$EMU sg_kernel=vmlinux sg_mem=512 sg_smp=1 sg_exit0=0 sg_tail=40
	local OPTIND=1 o
	while getopts e:k:m:s:xt: o; do
		case $o in
		e) sg_emu=$OPTARG ;;
		k) sg_kernel=$OPTARG ;;
		m) sg_mem=$OPTARG ;;
		s) sg_smp=$OPTARG ;;
		x) sg_exit0=1 ;;
		t) sg_tail=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	SG_ARGS=("${@:OPTIND}")
}

sysguest_console() {
	local sg_emu sg_kernel sg_mem sg_smp sg_exit0 sg_tail
	sysguest_opts "$@" || return 2
	set -- "${SG_ARGS[@]}"
	local dir=$1 copts=() extra=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		copts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	# LEMU_BOOT_ARGS is for lemu; the oracle runs with the options the test gives only.
	# shellcheck disable=SC2206  # LEMU_BOOT_ARGS is a list of options
	[ "$sg_emu" = "$EMU" ] && extra=(${LEMU_BOOT_ARGS:-})
	# panic=-1: a guest panic reboots at once, and -no-reboot turns that into an exit, so a
	# crashing kernel fails fast instead of waiting for the timeout.
	python3 "$CONSOLE" --timeout "$BOOT_TIMEOUT" --outdir "$dir" "${copts[@]}" -- \
		"$sg_emu" -accel tcg -m "$sg_mem" -smp "$sg_smp" -nographic -no-reboot "${extra[@]}" \
		-kernel "$(sysguest_path "$sg_kernel")" -initrd "$SYSGUEST_DIR/initrd.gz" \
		-append "console=ttyS0 panic=-1${APPEND:+ $APPEND}" "$@"
}

sysguest_boot() {
	local sg_emu sg_kernel sg_mem sg_smp sg_exit0 sg_tail
	sysguest_opts "$@" || fail "sysguest_boot: bad options $*"
	local dir=${SG_ARGS[0]}
	[ -f "$(sysguest_path "$sg_kernel")" ] || fail "$(sysguest_path "$sg_kernel") is missing (run scripts/prepare-guest.sh)"
	guest_file initrd.gz >/dev/null
	sysguest_console "$@" ||
		{ echo "console log (tail):"; tail -n "$sg_tail" "$dir/console.log"; fail "boot of $sg_kernel ($dir) under $sg_emu"; }
	[ $sg_exit0 = 0 ] || expect_exit "$dir" 0
}

out() { cat "$1/$2.out"; }
rc() { cat "$1/$2.rc"; }

expect_exit() {
	local got
	got=$(cat "$1/exit")
	[ "$got" = "$2" ] || fail "the emulator exited with status $got, want $2"
}

sysguest_bench_args() {
	local usage=$1 spec=() a found
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		spec+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ]; do
		found=
		for a in "${spec[@]}"; do
			if [ "$1" = "${a%%=*}" ] && [ $# -ge 2 ]; then
				printf -v "${a#*=}" '%s' "$2"
				found=1
			fi
		done
		[ -n "$found" ] || { echo "usage: $0 $usage" >&2; exit 2; }
		shift 2
	done
}

sysguest_bench_init() {
	LEMU=$EMU
	WORK=$ROOT/build/bench/$1
	mkdir -p "$WORK" || exit 1
	sysguest_vars || { echo "bench: could not prepare the guest (scripts/prepare-guest.sh)" >&2; exit 1; }
	# shellcheck disable=SC2034  # read by the benchmark
	have_lemu=1
	if [ ! -x "$LEMU" ]; then
		echo "bench: $LEMU does not exist yet: lemu column skipped" >&2
		have_lemu=0
	fi
	command -v "$QEMU" >/dev/null || { echo "bench: $QEMU missing (scripts/deps.sh bench)" >&2; exit 1; }
}
