#!/bin/bash
# Translation memory is reclaimed (src/cpu/x86/exec.c epochs, tbgen.c chunks): with a small code
# budget (LEMU_TBGEN_BUDGET_KB) the translator flushes every TB many times while several threads
# or vCPUs run, and the memory of each flushed generation is freed once all of them have moved
# on. The programs must compute exactly what they compute natively / what the host computes, and
# the statistics line (LEMU_TBSTAT) must show flushes, reclaims, and code memory that stays
# within two budgets (one in use, one awaiting reclaim).
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU=${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# check_stats FILE BUDGET_KB: the LEMU_TBSTAT line shows >= 2 flushes, >= 1 reclaim, and at most
# 2 * budget of code mapped.
check_stats() {
	local f=$1 budget=$2 line
	line=$(grep -a '^lemu: tb:' "$f" | tail -n 1)
	[ -n "$line" ] || { cat "$f"; fail "no LEMU_TBSTAT line"; }
	echo "$line"
	echo "$line" | awk -v b="$budget" '{
		for (i = 1; i <= NF; i++) {
			if ($(i + 1) ~ /^flushes/) fl = $i
			if ($(i + 1) ~ /^reclaims/) rc = $i
			if ($i == "mapped") mp = $(i + 1)
		}
		exit !(fl >= 2 && rc >= 1 && mp <= 2 * b)
	}' || fail "want >= 2 flushes, >= 1 reclaim and <= $((2 * budget)) KiB mapped: $line"
}

# Four threads running the interpreter (json, re, hashing) under a 2 MiB code budget.
PROG='import threading, json, re, hashlib
lock = threading.Lock(); total = [0]
def work(n, k):
    h = hashlib.sha256()
    for i in range(n):
        s = json.dumps({"i": i, "k": k, "s": str(i * 7919)})
        h.update(s.encode())
        with lock:
            total[0] += len(re.findall(r"\d", s))
    with lock:
        total.append(h.hexdigest()[:12])
ts = [threading.Thread(target=work, args=(6000, k)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(total[0], sorted(total[1:]), threading.active_count())'

t_user_threads() {
	command -v python3 >/dev/null || skip "python3 missing"
	python3 -S -c "$PROG" >native.out || fail "native python3 failed"
	LEMU_TBSTAT=1 LEMU_TBGEN_BUDGET_KB=2048 "$LEMU_X86_64" /usr/bin/python3 -S -c "$PROG" >lemu.out 2>lemu.err ||
		{ cat lemu.err; fail "python3 under lemu-x86_64 failed"; }
	diff native.out lemu.out || fail "output differs from native"
	check_stats lemu.err 2048
}

# The Debian guest on two vCPUs under a 4 MiB code budget: it boots, its CPUs both work, and
# a checksum of a large file computed in the guest equals the host's.
t_system_smp2() {
	local g=$ROOT/.cache/guest
	[ -f "$g/vmlinuz" ] && [ -f "$g/initrd.gz" ] || skip "no guest in .cache/guest (make guest)"
	[ -f "$g/initrd.tree/bin/busybox" ] || skip "no .cache/guest/initrd.tree"
	local want
	want=$(md5sum <"$g/initrd.tree/bin/busybox" | cut -d' ' -f1)
	LEMU_TBSTAT=1 LEMU_TBGEN_BUDGET_KB=4096 timeout 280 python3 "$ROOT/tests/guest/console.py" \
		--timeout 200 --cmd-timeout 60 --outdir . \
		--cmd 'grep -c ^processor /proc/cpuinfo' \
		--cmd 'md5sum < /bin/busybox' \
		--cmd 'for i in 1 2 3 4; do md5sum < /bin/busybox & done; wait' \
		-- "$EMU" -smp 2 -m 512M -nographic -no-reboot \
		-kernel "$g/vmlinuz" -initrd "$g/initrd.gz" -append "console=ttyS0 quiet" 2>emu.err ||
		{ tail -n 20 console.log; cat emu.err; fail "the guest did not run to the end"; }
	[ "$(tr -d '\r' <1.out)" = 2 ] || fail "CPUs: '$(cat 1.out)'"
	[ "$(tr -d '\r' <2.out | cut -d' ' -f1)" = "$want" ] || fail "md5 in the guest '$(cat 2.out)', host $want"
	local sums
	sums=$(tr -d '\r' <3.out | cut -d' ' -f1 | sort -u)
	[ "$(tr -d '\r' <3.out | wc -l)" = 4 ] && [ "$sums" = "$want" ] ||
		fail "four parallel md5sums in the guest: '$(cat 3.out)'"
	[ "$(cat exit)" = 0 ] || fail "emulator exit status $(cat exit)"
	check_stats console.log 4096 # the emulator's stderr is in the transcript
}

case_main "$@"
