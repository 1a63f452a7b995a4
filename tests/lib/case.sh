# Sourced by every tests/integration/*.sh case file: helpers and the dispatcher.
#
# A case file defines shell functions named t_<case>. Each one is run twice by tests/run.sh, in an
# empty scratch directory with a clean environment: once natively (E is empty) and once under the
# emulator (E=/path/to/lemu-x86_64, or lemu-i386 for SUITE_ARCH=i386). Put "$E" (unquoted: it is
# empty in the native run) in front of the one program under test; everything around it (data
# generation, checksums of results) runs natively in both runs. The two stdouts and exit statuses
# must be byte-identical. stderr is logged, not compared.
#
# SUITE_MODE=check files are different: their t_* functions run once, under the emulator, and
# pass when they return 0 (they test the emulator's own options, which have no native twin).
#
# Available to cases:
#   $E       emulator command (empty in the native run)
#   $FIX     read-only fixtures made by tests/integration/fixtures.sh
#   $BB      busybox binary (x86_64 /bin/busybox, or the i386 one for the i386 suite)
#   $LEMU_X86_64 $LEMU_I386  emulator paths (check-mode suites)
#   cwd      an empty scratch directory, the same path in both runs
# A file may define suite_requires(): print a reason and return 1 to SKIP all its cases.
# A check-mode file may set SUITE_TIMEOUT=SECONDS for cases that need longer than the runner's
# default per-case timeout (booting a kernel in the system emulator).

SUITE_MODE=${SUITE_MODE:-compare}
SUITE_ARCH=${SUITE_ARCH:-x86_64}

# bb APPLET ARGS...: run a busybox applet under test.
bb() { $E "$BB" "$@"; }

# skip REASON: a case can call this (and return) when its program is missing; the runner
# sees exit status 77 in the native run and reports SKIP.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

case_main() {
	case ${1:-} in
	list)
		declare -F | awk '{print $3}' | sed -n 's/^t_//p'
		;;
	requires)
		if declare -F suite_requires >/dev/null; then
			suite_requires
		fi
		;;
	mode)
		echo "$SUITE_MODE $SUITE_ARCH ${SUITE_TIMEOUT:-}"
		;;
	run)
		declare -F "t_$2" >/dev/null || { echo "no case $2" >&2; exit 2; }
		# The programs under test must see the same environment in both runs.
		export -n E FIX BB BB_I386 LEMU_X86_64 LEMU_I386 LEMU_SYSTEM_X86_64
		set -o pipefail
		"t_$2"
		;;
	*)
		echo "usage: $0 list|requires|mode|run CASE  (normally driven by tests/run.sh)" >&2
		exit 2
		;;
	esac
}
