#!/bin/bash
# The libFuzzer build of tests/fuzz/fuzz_nbd.c (NBD handshake and request parser), run for a
# bounded number of seconds from a small seed corpus of valid client streams. A crash, a leak,
# an out-of-range export access or a malformed reply (the harness aborts on each) fails the case.
# Skipped where clang cannot build libFuzzer targets.
SUITE_MODE=check
# building with sanitizers takes a while on a loaded machine; the fuzzing itself is bounded
SUITE_TIMEOUT=180
. "$(dirname "$0")/../lib/case.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

suite_requires() {
	command -v clang >/dev/null 2>&1 || { echo "clang is missing"; return 1; }
	pkg-config --exists gnutls 2>/dev/null || { echo "gnutls development files are missing"; return 1; }
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >/tmp/lemu-fz-probe.$$.c
	if ! clang -fsanitize=fuzzer /tmp/lemu-fz-probe.$$.c -o /tmp/lemu-fz-probe.$$ 2>/dev/null; then
		rm -f /tmp/lemu-fz-probe.$$*
		echo "clang cannot build libFuzzer targets"
		return 1
	fi
	rm -f /tmp/lemu-fz-probe.$$*
}

# The run in make check uses a fixed seed (LEMU_FUZZ_SEED, default 1), so that it explores the
# same inputs every time and a failure reproduces; longer runs with other seeds look further.
t_libfuzzer() {
	clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$ROOT/src" "$ROOT/tests/fuzz/fuzz_nbd.c" \
		"$ROOT"/src/nbd/{chan,client,handshake,server,transmission,tls}.c "$ROOT/src/util/error.c" \
		$(pkg-config --cflags --libs gnutls) -lpthread -o fuzz_nbd 2>build.log ||
		{ cat build.log; echo "FAIL: build"; return 1; }
	mkdir -p corpus
	# Seeds: a full handshake with options, and request streams after the built-in prologue.
	python3 - <<'PY'
import struct
IHAVEOPT, REQ = 0x49484156454F5054, 0x25609513
def opt(o, d=b''):
    return struct.pack('>QII', IHAVEOPT, o, len(d)) + d
def req(t, off, ln, fl=0, data=b''):
    return struct.pack('>IHHQQI', REQ, fl, t, 7, off, ln) + data
q = b'base:allocation'
hs = (struct.pack('>I', 3) + opt(3) + opt(8) + opt(9, struct.pack('>II', 0, 0)) +
      opt(10, struct.pack('>II', 0, 1) + struct.pack('>I', len(q)) + q) +
      opt(6, struct.pack('>IHH', 0, 1, 3)) + opt(7, struct.pack('>IHH', 0, 1, 3)))
seeds = {
    'handshake': b'\x00' + hs + req(0, 0, 4096) + req(2, 0, 0),
    'export_name': b'\x00' + struct.pack('>I', 3) + opt(1) + req(0, 512, 512) + req(3, 0, 0),
    'requests': b'\x01' + req(0, 0, 70000) + req(1, 4096, 16, 1, bytes(range(16))) +
                req(7, 0, 1 << 20) + req(7, 65536, 4096, 8) + req(6, 0, 8192, 2) +
                req(4, 8192, 4096) + req(5, 0, 4096) + req(0, 13 << 16, 4096, 4) + req(3, 0, 0),
    'simple': b'\x03' + req(0, 0, 4096) + req(1, 0, 4, 0, b'abcd') + req(0, 0, 4),
    'client': b'\x80' + struct.pack('>QQH', 0x4e42444d41474943, IHAVEOPT, 3) +
              struct.pack('>QIII', 0x3e889045565a9, 8, 1, 0) +
              struct.pack('>QIII', 0x3e889045565a9, 3, 2, 8) + struct.pack('>I', 3) + b'abcd' +
              struct.pack('>QIII', 0x3e889045565a9, 3, 1, 0) +
              struct.pack('>QIII', 0x3e889045565a9, 6, 3, 12) + struct.pack('>HQH', 0, 1 << 20, 1) +
              struct.pack('>QIII', 0x3e889045565a9, 6, 1, 0),
}
for k, v in seeds.items():
    open('corpus/' + k, 'wb').write(v)
PY
	ASAN_OPTIONS=detect_leaks=1 ./fuzz_nbd -seed="${LEMU_FUZZ_SEED:-1}" -max_total_time="${LEMU_NBD_FUZZ_SECONDS:-20}" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 corpus >fuzz.log 2>&1
	local rc=$?
	tail -n 30 fuzz.log
	[ $rc = 0 ] || { echo "FAIL: the fuzzer found a problem (exit $rc)"; ls crash-* leak-* timeout-* 2>/dev/null; return 1; }
}

case_main "$@"
