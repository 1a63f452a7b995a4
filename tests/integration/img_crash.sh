#!/bin/bash
# Crash consistency of the qcow2 driver (issue 4): a writer (tests/tools/blktool.c
# "crashwriter": allocating writes of 512 B..256 KiB, write-zeroes with and without unmap,
# discards, a flush every few requests, each flushed request logged) is SIGKILLed at a
# random moment, many times over on the same image. After every kill, the oracle
# qemu-img check must report no corruption (leaks are allowed), and every write flushed
# before the kill must read back (blktool verify replays the log into a shadow copy).
# Images with backing files, compressed clusters, snapshots, narrow refcounts and small
# clusters are covered by separate cases.
# The last case builds the libFuzzer harness tests/fuzz/fuzz_qcow2.c with clang
# (-fsanitize=fuzzer,address,undefined) and runs it for a bounded time
# (LEMU_FUZZ_SECONDS, default 20) over a seed corpus made by qemu-img; a crash, leak or
# out-of-memory fails it (skipped without clang's libFuzzer).
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_IMG_CRASH_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BLKTOOL=${LEMU_BLKTOOL:-$ROOT/build/tests/unit/blktool}
ROUNDS=${LEMU_IMG_CRASH_ROUNDS:-15}

suite_requires() {
	command -v qemu-img >/dev/null || { echo "qemu-img (qemu-utils) is not installed"; return 1; }
	[ -x "$BLKTOOL" ] || { echo "no $BLKTOOL (build the tree first)"; return 1; }
}

fail() {
	echo "FAIL: $*"
	return 1
}

# crash_rounds IMG: kill the writer ROUNDS times, check and verify after each kill.
crash_rounds() {
	local img=$1 log=$PWD/flushed.log i pid delay out
	: >"$log"
	for ((i = 0; i < ROUNDS; i++)); do
		"$BLKTOOL" crashwriter "$img" "$log" 2>writer.err &
		pid=$!
		# 20..400 ms: sometimes before the first flush, usually in the middle of a batch.
		delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.02 + (r % 380) / 1000 }')
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		if grep -q blktool: writer.err; then
			fail "round $i: writer failed: $(cat writer.err)"
			return 1
		fi
		out=$(qemu-img check --output=json "$img" 2>check.err)
		local rc=$?
		# 0 clean, 3 leaks only; 2 = corruption, 1 = check error.
		if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
			fail "round $i: qemu-img check exit $rc: $out $(head -5 check.err)"
			return 1
		fi
		if ! "$BLKTOOL" verify "$img" "$log" >verify.out 2>&1; then
			fail "round $i: flushed data lost: $(cat verify.out)"
			return 1
		fi
	done
	# A final repair by lemu leaves an image qemu-img calls clean.
	"$BLKTOOL" check "$img" leaks >/dev/null 2>&1 || return 1
	qemu-img check -q "$img" || { fail "not clean after lemu's leak repair"; return 1; }
	"$BLKTOOL" verify "$img" "$log" >/dev/null || { fail "data lost by the repair"; return 1; }
	echo "$ROUNDS kills: $(cat verify.out)"
}

t_plain() {
	qemu-img create -q -f qcow2 a.qcow2 64M || return 1
	crash_rounds "$PWD/a.qcow2"
}

t_small_clusters_refcount_bits_4() {
	qemu-img create -q -f qcow2 -o cluster_size=4096,refcount_bits=4 a.qcow2 32M || return 1
	crash_rounds "$PWD/a.qcow2"
}

t_512b_clusters_v2() {
	qemu-img create -q -f qcow2 -o cluster_size=512,compat=0.10 a.qcow2 8M || return 1
	crash_rounds "$PWD/a.qcow2"
}

t_backing_compressed_snapshot() {
	head -c 16M /dev/urandom >base.raw
	qemu-img convert -q -c -f raw -O qcow2 base.raw base.qcow2 || return 1
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 a.qcow2 || return 1
	qemu-img snapshot -c before a.qcow2 || return 1
	crash_rounds "$PWD/a.qcow2" || return 1
	# The snapshot and the backing file are untouched.
	qemu-img convert -l before -O raw a.qcow2 snap.raw || return 1
	cmp -s snap.raw base.raw || fail "snapshot 'before' changed"
}

t_lazy_refcounts() {
	qemu-img create -q -f qcow2 -o lazy_refcounts=on a.qcow2 32M || return 1
	crash_rounds "$PWD/a.qcow2"
}

# The run in make check uses a fixed seed (LEMU_FUZZ_SEED, default 1), so that it explores the
# same inputs every time and a failure reproduces; longer runs with other seeds look further.
t_libfuzzer_qcow2() {
	command -v clang >/dev/null || skip "clang is not installed"
	local cfg
	cfg=$(dirname "$(dirname "$(dirname "$BLKTOOL")")")
	[ -f "$cfg/lemu-config.h" ] || skip "no lemu-config.h next to $BLKTOOL"
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I"$ROOT/src" -I"$cfg" \
		"$ROOT/tests/fuzz/fuzz_qcow2.c" "$ROOT"/src/block/[a-z]*.c "$ROOT"/src/block/qcow2/[a-z]*.c \
		-lz -lzstd -lpthread -o fuzz_qcow2 2>build.err || {
		grep -q fuzzer build.err && skip "clang without libFuzzer"
		fail "fuzz_qcow2 does not build: $(head -3 build.err)"
		return 1
	}
	mkdir corpus
	qemu-img create -q -f qcow2 -o cluster_size=512 corpus/a.qcow2 1M &&
		qemu-io -c "write -P 3 0 4k" corpus/a.qcow2 >/dev/null &&
		head -c 200k /dev/urandom >r.raw &&
		qemu-img convert -c -O qcow2 -o cluster_size=4096 r.raw corpus/b.qcow2 &&
		qemu-img convert -c -O qcow2 -o cluster_size=4096,compression_type=zstd r.raw corpus/z.qcow2 &&
		qemu-img create -q -f qcow2 -o cluster_size=1024,compat=0.10 corpus/c.qcow2 1M &&
		qemu-img snapshot -c s corpus/c.qcow2 &&
		qemu-img create -q -f qcow2 -o cluster_size=2048,refcount_bits=1 -b a.qcow2 -F qcow2 corpus/d.qcow2 || return 1
	./fuzz_qcow2 -seed="${LEMU_FUZZ_SEED:-1}" -max_total_time="${LEMU_FUZZ_SECONDS:-20}" -max_len=300000 -rss_limit_mb=2048 \
		corpus >fuzz.log 2>&1
	local rc=$?
	grep -E '^(Done|SUMMARY)' fuzz.log
	[ $rc -eq 0 ] || { fail "libFuzzer found a problem: $(grep -m3 -E 'ERROR|SUMMARY' fuzz.log)"; return 1; }
}

case_main "$@"
