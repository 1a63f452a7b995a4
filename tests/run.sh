#!/bin/bash
# lemu's test runner: every suite, one line per test, and a closing "N passed, N failed[, N skipped]".
#
#   tests/run.sh [-j JOBS] [-k REGEX] [SUITE...]
#
# Suites (all by default, in this order):
#   unit         meson test in build/ and in the ASan/UBSan build (build-asan/); one test per TAP program
#   insn         tests/insn/*.c built with gcc -O1 -static (and -m32 -static when the first line is
#                "/* lemu-test: m32 */"), run natively and under lemu-x86_64 / lemu-i386
#   user         tests/user/*.c built static and dynamic, 64- and 32-bit (-m32), compared the same way
#   user-asan    the same guest programs under the ASan/UBSan build of the emulators (build-asan/)
#   integration  tests/integration/*.sh: real Debian programs, native vs emulated (see tests/lib/case.sh)
#
# The comparison is exact: stdout bytes and exit status of the native run and the emulated run.
# Environment:
#   LEMU_X86_64, LEMU_I386   emulators under test (default build/lemu-x86_64, build/lemu-i386);
#                            scripts/native-exec stands in for both to check the harness itself
#   LEMU_SYSTEM_X86_64       system emulator for tests/integration/boot.sh and sysguest.sh
#                            (default build/lemu-system-x86_64; qemu-system-x86_64 validates them)
#   LEMU_NBD                 NBD server for tests/integration/nbd*.sh (default build/lemu-nbd)
#   LEMU_BUILD, LEMU_ASAN_BUILD  meson build dirs for the unit suite (build, build-asan)
#   LEMU_TEST_TIMEOUT        seconds per run of one test (default 60)
#   LEMU_TEST_BUDGET         seconds for the whole run (default 1380): tests not started by then
#                            FAIL as "not run", so a hanging emulator cannot stall CI
#   LEMU_TEST_JOBS           parallel tests (default: number of CPUs); -j overrides
#   LEMU_TEST_KEEP=1         keep the outputs of passing tests too (to review what they compare)
#   LEMU_TEST_WORK           scratch and logs (default build/testrun); failing tests keep
#                            their logs in $LEMU_TEST_WORK/cases/<suite>/<name>/
set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${LEMU_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
FILTER=""
while [ $# -gt 0 ]; do
	case $1 in
	-j) JOBS=$2; shift 2 ;;
	-j*) JOBS=${1#-j}; shift ;;
	-k) FILTER=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
SUITES=("$@")
[ ${#SUITES[@]} -eq 0 ] && SUITES=(unit insn user user-asan integration)

# Emulator paths: absolute, so they work from the scratch directories.
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*/*) echo "$PWD/$1" ;;
	*) command -v "$1" || echo "$1" ;;
	esac
}
LEMU_X86_64=$(abspath "${LEMU_X86_64:-$ROOT/build/lemu-x86_64}")
LEMU_I386=$(abspath "${LEMU_I386:-$ROOT/build/lemu-i386}")
LEMU_SYSTEM_X86_64=$(abspath "${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}")
BUILD=$(abspath "${LEMU_BUILD:-$ROOT/build}")
ASAN_BUILD=$(abspath "${LEMU_ASAN_BUILD:-$ROOT/build-asan}")
TIMEOUT=${LEMU_TEST_TIMEOUT:-60}
BUDGET=${LEMU_TEST_BUDGET:-1380}
WORK=$(abspath "${LEMU_TEST_WORK:-$ROOT/build/testrun}")
BINDIR=$ROOT/build/testbin
BB_I386=$ROOT/.cache/i386/root/bin/busybox
export LEMU_X86_64 LEMU_I386

rm -rf "$WORK"
mkdir -p "$WORK/cases" "$BINDIR" || exit 2
RESULTS=$WORK/results
: >"$RESULTS"

# The environment every test program sees, natively and emulated alike.
CLEAN_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC
	TERM=dumb LEMU_X86_64="$LEMU_X86_64" LEMU_I386="$LEMU_I386" LEMU_SYSTEM_X86_64="$LEMU_SYSTEM_X86_64"
	LEMU_NBD="${LEMU_NBD:-}")

# ---------------------------------------------------------------- results and the job pool

# result STATUS NAME [DETAIL] [LOG]: record and print one test's outcome. One printf per
# result, so lines from parallel jobs do not interleave.
result() {
	local status=$1 name=$2 detail=${3:-} log=${4:-} line
	line="$status $name${detail:+ ($detail)}"
	printf '%s\n' "$line" >>"$RESULTS"
	if [ "$status" = FAIL ] && [ -n "$log" ] && [ -s "$log" ]; then
		line="$line"$'\n'"$(head -n 12 "$log" | cut -c1-200 | sed 's/^/    | /')"
	fi
	printf '%s\n' "$line"
}

# over_budget NAME: past the run's time budget, report NAME as not run and return 0.
over_budget() {
	[ "$SECONDS" -ge "$BUDGET" ] || return 1
	result FAIL "$1" "not run: the ${BUDGET}s test budget is used up"
	return 0
}

selected() {
	[ -z "$FILTER" ] || [[ $1 =~ $FILTER ]]
}

running=0
spawn() {
	"$@" &
	running=$((running + 1))
	if [ $running -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
}
drain() {
	wait
	running=0
}

# run_pair NAME EMU KIND CMD...: run CMD natively and under EMU in the same empty scratch
# directory, compare stdout and exit status. KIND=prefix puts EMU in front of CMD; KIND=env
# passes it as $E to an integration case (CMD is then "bash casefile run case").
run_pair() {
	local name=$1 emu=$2 kind=$3
	shift 3
	local d=$WORK/cases/$name scratch rn re
	scratch=$d/scratch
	over_budget "$name" && return
	mkdir -p "$d"

	if [ ! -x "${emu%% *}" ]; then
		echo "emulator $emu is missing: build it with make" >"$d/log"
		result FAIL "$name" "no emulator" "$d/log"
		return
	fi

	# Each run is wrapped in { ...; } 2>/dev/null so that bash's own "Segmentation fault"
	# notes about a crashing program stay out of the output; the program's stderr is kept.
	mkdir -p "$scratch"
	{ (cd "$scratch" && exec env -i "${CLEAN_ENV[@]}" HOME="$scratch" E= "${CASE_ENV[@]}" \
		timeout -k 5 "$TIMEOUT" "$@") </dev/null >"$d/native.out" 2>"$d/native.err"; } 2>/dev/null
	rn=$?
	if [ $rn = 77 ] && [ "$kind" = env ]; then
		result SKIP "$name" "$(sed -n 's/^SKIP: //p' "$d/native.err" | head -n1)"
		rm -rf "$d"
		return
	fi

	rm -rf "$scratch"
	mkdir -p "$scratch"
	if [ "$kind" = prefix ]; then
		{ (cd "$scratch" && exec env -i "${CLEAN_ENV[@]}" HOME="$scratch" \
			timeout -k 5 "$TIMEOUT" $emu "$@") </dev/null >"$d/emu.out" 2>"$d/emu.err"; } 2>/dev/null
	else
		{ (cd "$scratch" && exec env -i "${CLEAN_ENV[@]}" HOME="$scratch" E="$emu" "${CASE_ENV[@]}" \
			timeout -k 5 "$TIMEOUT" "$@") </dev/null >"$d/emu.out" 2>"$d/emu.err"; } 2>/dev/null
	fi
	re=$?

	if [ $rn = 124 ] || [ $rn = 137 ]; then
		echo "the native run timed out after ${TIMEOUT}s: the test itself is broken" >"$d/log"
		result FAIL "$name" "native timeout" "$d/log"
		return
	fi
	if [ $re = $rn ] && cmp -s "$d/native.out" "$d/emu.out"; then
		result PASS "$name"
		[ -n "${LEMU_TEST_KEEP:-}" ] || rm -rf "$d"
		return
	fi
	local why
	if [ $re = 124 ] || [ $re = 137 ]; then
		why="timeout after ${TIMEOUT}s"
	elif [ $re != $rn ]; then
		why="exit $re, native $rn"
	else
		why="stdout differs"
	fi
	{
		echo "exit status: native $rn, emulated $re"
		if ! cmp -s "$d/native.out" "$d/emu.out"; then
			echo "stdout diff (native vs emulated):"
			diff -a -u "$d/native.out" "$d/emu.out" | sed 1,2d | head -n 40
		fi
		if [ -s "$d/emu.err" ]; then
			echo "emulated stderr:"
			tail -n 15 "$d/emu.err"
		fi
	} >"$d/log"
	result FAIL "$name" "$why" "$d/log"
}

# ---------------------------------------------------------------- unit suite

suite_unit() {
	local label dir log
	for label in unit unit-asan; do
		dir=$BUILD
		[ $label = unit-asan ] && dir=$ASAN_BUILD
		selected "$label/" || continue
		if [ ! -f "$dir/build.ninja" ]; then
			result SKIP "$label" "no meson build in $dir: run make check"
			continue
		fi
		log=$WORK/$label.log
		rm -f "$dir/meson-logs/testlog.json"
		# Sanitized code runs a few times slower: stretch meson's per-test timeouts there.
		local mult=1
		[ $label = unit-asan ] && mult=${LEMU_ASAN_TIMEOUT_MULT:-4}
		meson test -C "$dir" --print-errorlogs --timeout-multiplier "$mult" >"$log" 2>&1
		local rc=$? n=0 st name
		while read -r st name; do
			n=$((n + 1))
			case $st in
			OK | EXPECTEDFAIL) result PASS "$label/$name" ;;
			SKIP) result SKIP "$label/$name" ;;
			*)
				grep -v '^ *$' "$log" | tail -n 30 >"$WORK/$label.$name.log"
				result FAIL "$label/$name" "$st" "$WORK/$label.$name.log"
				;;
			esac
		done < <(python3 - "$dir/meson-logs/testlog.json" <<'EOF'
import json, sys
try:
    for line in open(sys.argv[1]):
        if line.strip():
            t = json.loads(line)
            print(t.get("result", "ERROR"), t["name"].replace(" ", "_"))
except OSError:
    pass
EOF
		)
		if [ $n = 0 ] && [ $rc != 0 ]; then
			tail -n 30 "$log" >"$WORK/$label.fail.log"
			result FAIL "$label" "meson test failed (build error?)" "$WORK/$label.fail.log"
		fi
	done
}

# ---------------------------------------------------------------- compiled test programs

# marker FILE KEY: the text of "/* lemu-KEY: text */" in the first 10 lines of FILE.
marker() {
	head -n 10 "$1" | sed -n "s|^.*/\\* *lemu-$2: *\\(.*[^ ]\\) *\\*/.*\$|\\1|p" | head -n1
}

# build_prog SRC OUT FLAGS...: compile unless OUT is newer than SRC (and the headers beside it)
# and was built with the same flags. Prints the compiler's complaint on failure.
build_prog() {
	local src=$1 out=$2
	shift 2
	local flags="$*" h stale=0
	if [ -x "$out" ] && [ "$(cat "$out.flags" 2>/dev/null)" = "$flags" ] && [ "$out" -nt "$src" ]; then
		for h in "$(dirname "$src")"/*.h; do
			[ -e "$h" ] && [ "$h" -nt "$out" ] && stale=1
		done
		[ $stale = 0 ] && return 0
	fi
	mkdir -p "$(dirname "$out")"
	if gcc "$@" -o "$out.tmp.$$" "$src" -lm 2>"$out.cc.log"; then
		mv -f "$out.tmp.$$" "$out"
		printf '%s' "$flags" >"$out.flags"
		return 0
	fi
	rm -f "$out.tmp.$$"
	return 1
}

# job_prog SUITE NAME SRC ARCH FLAGS...: build one variant and compare it. ARCH "i386?" is an
# i386 variant that is skipped when the source does not build with -m32.
job_prog() {
	local suite=$1 name=$2 src=$3 arch=$4
	shift 4
	local out=$BINDIR/$suite/$name emu=$LEMU_X86_64 args
	over_budget "$suite/$name" && return
	[ "${arch%\?}" = i386 ] && emu=$LEMU_I386
	if ! build_prog "$src" "$out" "$@"; then
		if [ "$arch" = "i386?" ]; then
			result SKIP "$suite/$name" "does not build with -m32"
			return
		fi
		mkdir -p "$WORK/cases/$suite"
		head -n 20 "$out.cc.log" >"$WORK/cases/$suite/$name.cc.log"
		result FAIL "$suite/$name" "compile error" "$WORK/cases/$suite/$name.cc.log"
		return
	fi
	args=$(marker "$src" args)
	# shellcheck disable=SC2086  # lemu-args are split like a command line
	run_pair "$suite/$name" "$emu" prefix "$out" $args
}

# suite_progs SUITE [LABEL]: LABEL names the results (default SUITE)
suite_progs() {
	local suite=$1 label=${2:-$1} dir=${LEMU_TEST_SRCDIR:-$ROOT/tests}/$1 src base kinds cflags
	[ -d "$dir" ] || return 0
	for src in "$dir"/*.c; do
		[ -e "$src" ] || continue
		base=$(basename "$src" .c)
		kinds=$(marker "$src" test)
		cflags=$(marker "$src" cflags)
		local variants=() v
		if [ "$suite" = insn ]; then
			[[ $kinds == *m32-only* ]] || variants+=("$base:x86_64:-O1 -static")
			[[ $kinds == *m32* ]] && variants+=("$base-m32:i386:-m32 -O1 -static")
		else
			if [[ $kinds != *m32-only* ]]; then
				variants+=("$base-static:x86_64:-O1 -static -pthread")
				variants+=("$base-dynamic:x86_64:-O1 -pthread")
			fi
			# Guest programs are meant for both ABIs: the -m32 builds run unless the file
			# says "no-m32"; without an explicit "m32" marker they may fail to build (SKIP).
			local a32="i386?"
			[[ $kinds == *m32* ]] && a32=i386
			if [[ $kinds != *no-m32* ]]; then
				variants+=("$base-m32-static:$a32:-m32 -O1 -static -pthread")
				variants+=("$base-m32-dynamic:$a32:-m32 -O1 -pthread")
			fi
		fi
		for v in "${variants[@]}"; do
			local name=${v%%:*} rest=${v#*:}
			selected "$label/$name" || continue
			# shellcheck disable=SC2086
			spawn job_prog "$label" "$name" "$src" "${rest%%:*}" ${rest#*:} $cflags
		done
	done
	drain
}

# ---------------------------------------------------------------- integration suite

suite_integration() {
	local dir=$ROOT/tests/integration f base mode arch emu reason c
	[ -d "$dir" ] || return 0
	FIX=$WORK/fix
	if ! bash "$ROOT/tests/lib/fixtures.sh" "$FIX" >"$WORK/fixtures.log" 2>&1; then
		result FAIL "integration/fixtures" "fixture generation failed" "$WORK/fixtures.log"
		return
	fi
	for f in "$dir"/*.sh; do
		[ -e "$f" ] || continue
		base=$(basename "$f" .sh)
		CASE_ENV=(FIX="$FIX" BB=/bin/busybox BB_I386="$BB_I386")
		read -r mode arch ftimeout < <(env "${CASE_ENV[@]}" bash "$f" mode)
		# A file may ask for a longer per-case timeout (SUITE_TIMEOUT: system-emulator boots).
		CASE_TIMEOUT=$TIMEOUT
		[ -n "$ftimeout" ] && [ "$ftimeout" -gt "$TIMEOUT" ] && CASE_TIMEOUT=$ftimeout
		emu=$LEMU_X86_64
		[ "$arch" = i386 ] && emu=$LEMU_I386
		reason=$(env -i "${CLEAN_ENV[@]}" "${CASE_ENV[@]}" bash "$f" requires 2>&1)
		local rc=$?
		for c in $(env "${CASE_ENV[@]}" bash "$f" list); do
			local name=$base/$c
			selected "$name" || continue
			if [ $rc != 0 ]; then
				result SKIP "$name" "$reason"
			elif [ "$mode" = check ]; then
				spawn job_check "$name" "$emu" "$f" "$c"
			else
				spawn run_pair "$name" "$emu" env bash "$f" run "$c"
			fi
		done
	done
	drain
}

# job_check NAME EMU FILE CASE: a check-mode case runs once and passes when it returns 0.
job_check() {
	local name=$1 emu=$2 f=$3 c=$4 d=$WORK/cases/$1 rc
	over_budget "$name" && return
	mkdir -p "$d/scratch"
	if [ ! -x "${emu%% *}" ]; then
		echo "emulator $emu is missing: build it with make" >"$d/log"
		result FAIL "$name" "no emulator" "$d/log"
		return
	fi
	{ (cd "$d/scratch" && exec env -i "${CLEAN_ENV[@]}" HOME="$d/scratch" E="$emu" "${CASE_ENV[@]}" \
		timeout -k 5 "${CASE_TIMEOUT:-$TIMEOUT}" bash "$f" run "$c") </dev/null >"$d/log" 2>&1; } 2>/dev/null
	rc=$?
	case $rc in
	0) result PASS "$name"; rm -rf "$d" ;;
	77) result SKIP "$name" "$(sed -n 's/^SKIP: //p' "$d/log" | head -n1)"; rm -rf "$d" ;;
	124 | 137) result FAIL "$name" "timeout after ${CASE_TIMEOUT:-$TIMEOUT}s" "$d/log" ;;
	*) result FAIL "$name" "check failed" "$d/log" ;;
	esac
}

# ---------------------------------------------------------------- main

CASE_ENV=()
for s in "${SUITES[@]}"; do
	case $s in
	unit) suite_unit ;;
	insn | user) suite_progs "$s" ;;
	user-asan)
		# the guest programs again, under the ASan/UBSan build of the emulator: memory
		# errors in syscall emulation, signal frames, the loader...
		if [ -x "$ASAN_BUILD/lemu-x86_64" ]; then
			saved=("$LEMU_X86_64" "$LEMU_I386")
			LEMU_X86_64=$ASAN_BUILD/lemu-x86_64 LEMU_I386=$ASAN_BUILD/lemu-i386
			suite_progs user user-asan
			LEMU_X86_64=${saved[0]} LEMU_I386=${saved[1]}
		else
			result SKIP user-asan "no ASan build in $ASAN_BUILD"
		fi
		;;
	integration) suite_integration ;;
	*) echo "run.sh: unknown suite '$s' (unit, insn, user, user-asan, integration)" >&2; exit 2 ;;
	esac
done

pass=$(grep -c '^PASS ' "$RESULTS")
fail=$(grep -c '^FAIL ' "$RESULTS")
skip=$(grep -c '^SKIP ' "$RESULTS")
if [ "$fail" != 0 ]; then
	echo
	echo "failed:"
	grep '^FAIL ' "$RESULTS" | sed 's/^FAIL /  /'
	echo "logs: $WORK/cases/"
fi
echo
if [ "$skip" != 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ] && [ "$pass" != 0 ]
