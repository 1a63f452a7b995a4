#!/bin/bash
# User-mode benchmarks: the same programs natively, under qemu-x86_64 (Debian's qemu-user) and
# under lemu-x86_64, side by side in one run. Prints ratios; it is never a pass/fail test.
#
#   bench/user.sh [-r RUNS] [-k REGEX]        (make bench)
#
# Environment: LEMU_X86_64 (default build/lemu-x86_64), QEMU_X86_64 (default qemu-x86_64),
# BENCH_RUNS (default 3). A program that fails or prints something else than natively under an
# emulator is shown as "fail" in that column instead of a time.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
FILTER=""
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=$2; shift 2 ;;
	-k) FILTER=$2; shift 2 ;;
	*) echo "usage: $0 [-r RUNS] [-k REGEX]" >&2; exit 2 ;;
	esac
done

LEMU=${LEMU_X86_64:-$ROOT/build/lemu-x86_64}
QEMU=${QEMU_X86_64:-$(command -v qemu-x86_64 || true)}
WORK=$ROOT/build/bench
mkdir -p "$WORK"
cd "$WORK" || exit 1
export LC_ALL=C TZ=UTC

for tool in hyperfine python3; do
	command -v $tool >/dev/null || { echo "bench: $tool missing (scripts/deps.sh bench)" >&2; exit 1; }
done
[ -x "$LEMU" ] || echo "bench: $LEMU missing: lemu column will say fail" >&2
[ -n "$QEMU" ] || echo "bench: qemu-x86_64 missing (apt-get install qemu-user): qemu column will say n/a" >&2

# Inputs: a deterministic, compressible 20 MB file, and a preprocessed mid-sized C file.
if [ ! -s data20m.txt ] || [ "$(stat -c %s data20m.txt)" != 20000000 ]; then
	awk 'BEGIN { s = 1; for (i = 0; ; i++) { s = (s * 1103515245 + 12345) % 2147483648;
		printf "%08d %10d %s lorem ipsum dolor sit amet\n", i, s, substr("abcdefghijklmnopqrstuvwxyz", s % 20 + 1, 6); } }' |
		head -c 20000000 >data20m.txt
fi
CC1=$(gcc -print-prog-name=cc1 2>/dev/null)
[ -x "$CC1" ] || CC1=/usr/lib/gcc/x86_64-linux-gnu/12/cc1
CSRC=$ROOT/src/cpu/x86/ops_int.c
cfg_inc=$ROOT/build
[ -f "$cfg_inc/lemu-config.h" ] || { mkdir -p cfg && echo '#define LEMU_VERSION "bench"' >cfg/lemu-config.h && cfg_inc=$WORK/cfg; }
gcc -E -D_GNU_SOURCE -I"$ROOT/src" -I"$ROOT/src/cpu/x86" -I"$cfg_inc" "$CSRC" -o cc1-input.i 2>cc1-input.err ||
	echo "bench: could not preprocess $CSRC (cc1 row will fail)" >&2

# name | command (run through sh -c; the emulator is put before the first word)
BENCHES=(
	"busybox gzip 20MB|/bin/busybox gzip -c -6 data20m.txt"
	"busybox sha256sum 20MB|/bin/busybox sha256sum data20m.txt"
	"python3 sum of squares|/usr/bin/python3 -c 'print(sum(i*i for i in range(3000000)))'"
	"cc1 -O2 $(basename "$CSRC")|$CC1 -quiet -O2 cc1-input.i -o /dev/null"
)

# Each variant runs from a tiny sh script "exec [EMULATOR] COMMAND", so the quoting in COMMAND
# works and the three columns pay the same sh start-up.
mkscript() { printf '#!/bin/sh\nexec %s %s\n' "$2" "$3" >"$1"; }

# digest SCRIPT: stdout checksum and exit status of one run (the correctness check).
digest() {
	(sh "$1" 2>/dev/null | md5sum | cut -c1-32; exit "${PIPESTATUS[0]}")
	echo "rc=$?"
}

# mean SCRIPT: hyperfine's mean seconds, or nothing when it fails.
mean() {
	hyperfine -N --style none --runs "$RUNS" --warmup 0 --export-json t.json "sh $1" >/dev/null 2>&1 &&
		python3 -c 'import json; print("%.3f" % json.load(open("t.json"))["results"][0]["mean"])'
}

ratio() {
	python3 -c 'import sys; a, b = sys.argv[1:]; print("%.2f" % (float(a) / float(b)) if a and b else "-")' "$1" "$2"
}

printf '%-26s %10s %10s %10s %12s %10s\n' test "native s" "qemu s" "lemu s" lemu/native lemu/qemu
for b in "${BENCHES[@]}"; do
	name=${b%%|*} cmd=${b#*|}
	[ -z "$FILTER" ] || [[ $name =~ $FILTER ]] || continue
	mkscript native.sh "" "$cmd"
	want=$(digest native.sh)
	tn=$(mean native.sh)
	tq="" tl="" qcol=n/a lcol=fail
	if [ -n "$QEMU" ]; then
		qcol=fail
		mkscript qemu.sh "$QEMU" "$cmd"
		if [ "$(digest qemu.sh)" = "$want" ]; then
			tq=$(mean qemu.sh)
			qcol=${tq:-fail}
		fi
	fi
	if [ -x "$LEMU" ]; then
		mkscript lemu.sh "$LEMU" "$cmd"
		if [ "$(digest lemu.sh)" = "$want" ]; then
			tl=$(mean lemu.sh)
			lcol=${tl:-fail}
		fi
	fi
	printf '%-26s %10s %10s %10s %12s %10s\n' "$name" "${tn:-fail}" "$qcol" "$lcol" \
		"$(ratio "$tl" "$tn")" "$(ratio "$tl" "$tq")"
done
echo "(mean of $RUNS runs each, hyperfine; lower is better; ratios > 1 mean lemu is slower)"
