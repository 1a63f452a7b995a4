#!/bin/bash
# Hostile executables: truncated and corrupted ELF files (made from busybox) must give lemu's
# "Error while loading" message or a guest signal, never a fault inside lemu or a hang.
SUITE_MODE=check
. "$(dirname "$0")/../lib/case.sh"

fail() { echo "FAIL: $*"; exit 1; }

# run_hostile FILE: lemu on FILE.  Whatever the file does once loaded (exit, a guest signal) is
# the guest's business; what must never happen is lemu faulting itself, hanging, or failing to
# load without saying so.
run_hostile() {
	local rc
	timeout 20 "$LEMU_X86_64" "./$1" --help >out 2>err
	rc=$?
	[ $rc -eq 124 ] && fail "$1: lemu hung"
	grep -q 'internal fault' err && { cat err; fail "$1: lemu faulted itself"; }
	if [ $rc -eq 1 ] && grep -q '^lemu-x86_64: ' err; then
		grep -q "Error while loading ./$1: " err || { cat err; fail "$1: load failure without the file and reason"; }
	fi
	return 0
}

# corrupt OUT SEED N: busybox with N random bytes of its ELF and program headers replaced
corrupt() {
	python3 - "$1" "$2" "$3" <<'PY'
import random, sys
out, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray(open('/bin/busybox', 'rb').read())
r = random.Random(seed)
for _ in range(n):
    data[r.randrange(0, 64 + 56 * 10)] = r.randrange(256)
open(out, 'wb').write(data)
PY
	chmod +x "$1"
}

t_truncated() {
	for n in 0 3 64 100 2000 4096 70000; do
		head -c $n /bin/busybox >trunc$n
		chmod +x trunc$n
		run_hostile trunc$n
	done
	# an empty file is not an executable either
	[ "$(cat err)" != "" ] || fail "no message for a truncated file"
}
t_corrupted_headers() {
	for seed in $(seq 1 60); do
		corrupt bad$seed $seed 12
		run_hostile bad$seed
	done
}
t_huge_segment() {
	python3 - <<'PY'
import struct
d = bytearray(open('/bin/busybox', 'rb').read())
phoff = struct.unpack_from('<Q', d, 32)[0]
for i in range(struct.unpack_from('<H', d, 56)[0]):
    if struct.unpack_from('<I', d, phoff + 56 * i)[0] == 1:        # PT_LOAD
        struct.pack_into('<Q', d, phoff + 56 * i + 40, 1 << 46)    # p_memsz
        break
open('huge', 'wb').write(d)
PY
	chmod +x huge
	run_hostile huge
}

case_main "$@"
