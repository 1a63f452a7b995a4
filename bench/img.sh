#!/bin/bash
# Image conversion benchmark: lemu-img against qemu-img on the same 1 GiB raw image holding
# about 330 MiB of data (half random, half text), side by side: convert raw->qcow2,
# qcow2->raw, and raw->compressed qcow2 (zlib; zstd with -z). Prints seconds (best of the
# runs, wall clock and CPU) and the lemu/qemu ratio. Never a pass/fail test; the machine
# should be otherwise idle (other load skews the ratios).
#
#   bench/img.sh [-r RUNS] [-z]
#
# Environment: LEMU_IMG (default build/tools/lemu-img or build/lemu-img), QEMU_IMG (default
# qemu-img), BENCH_RUNS (default 3), BENCH_DIR (scratch, default build/bench/img).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${BENCH_RUNS:-3}
ZSTD=0
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=$2; shift 2 ;;
	-z) ZSTD=1; shift ;;
	*) echo "usage: $0 [-r RUNS] [-z]" >&2; exit 2 ;;
	esac
done
LEMU=${LEMU_IMG:-}
if [ -z "$LEMU" ]; then
	for f in "$ROOT/build/tools/lemu-img" "$ROOT/build/lemu-img"; do
		[ -x "$f" ] && LEMU=$f && break
	done
fi
QEMU=${QEMU_IMG:-qemu-img}
[ -x "$LEMU" ] || { echo "bench/img.sh: lemu-img not built (make)" >&2; exit 2; }
command -v "$QEMU" >/dev/null || { echo "bench/img.sh: $QEMU missing (qemu-utils)" >&2; exit 2; }
WORK=${BENCH_DIR:-$ROOT/build/bench/img}
mkdir -p "$WORK"
cd "$WORK" || exit 2

if [ ! -s src.raw ]; then
	python3 - <<'EOF'
import random
r = random.Random(7)
size = 1 << 30
words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
with open("src.raw", "wb") as o:
    o.truncate(size)
    written = 0
    while written < (330 << 20):
        n = r.choice([1, 2, 4, 8]) << 20
        off = r.randrange(0, size - n) & ~0xffff
        o.seek(off)
        o.write(r.randbytes(n) if r.random() < 0.5 else (words * (n // len(words) + 1))[:n])
        written += n
EOF
fi

# best TOOL ARGS...: best wall time of RUNS runs, with its CPU time ("wall cpu").
best() {
	local i w u sy best_w="" best_c=""
	for i in $(seq "$RUNS"); do
		rm -f out.img
		sync
		/usr/bin/time -o time.txt -f "%e %U %S" "$@" >/dev/null 2>&1
		read -r w u sy <time.txt
		if [ -z "$best_w" ] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then
			best_w=$w
			best_c=$(awk -v a="$u" -v b="$sy" 'BEGIN { printf "%.2f", a + b }')
		fi
	done
	echo "$best_w $best_c"
}

"$QEMU" convert -O qcow2 src.raw src.qcow2
printf '%-28s %10s %10s %10s %10s %8s\n' case "qemu s" "qemu cpu" "lemu s" "lemu cpu" ratio
run_case() {
	local name=$1
	shift
	read -r qw qc < <(best "$QEMU" "$@")
	read -r lw lc < <(best "$LEMU" "$@")
	printf '%-28s %10s %10s %10s %10s %8.2f\n' "$name" "$qw" "$qc" "$lw" "$lc" \
		"$(awk -v a="$lw" -v b="$qw" 'BEGIN { print (b > 0 ? a / b : 0) }')"
}
run_case "raw->qcow2" convert -O qcow2 src.raw out.img
run_case "qcow2->raw" convert -O raw src.qcow2 out.img
run_case "raw->qcow2 -c (zlib)" convert -c -O qcow2 src.raw out.img
[ "$ZSTD" = 1 ] && run_case "raw->qcow2 -c (zstd)" convert -c -O qcow2 -o compression_type=zstd src.raw out.img
rm -f out.img
