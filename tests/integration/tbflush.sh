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
. "$(dirname "$0")/../lib/sysguest.sh"
SYSGUEST_TOOLS=python3

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
	python3 -S -c "$PROG" >native.out || fail "native python3 failed"
	LEMU_TBSTAT=1 LEMU_TBGEN_BUDGET_KB=2048 "$LEMU_X86_64" /usr/bin/python3 -S -c "$PROG" >lemu.out 2>lemu.err ||
		{ cat lemu.err; fail "python3 under lemu-x86_64 failed"; }
	diff native.out lemu.out || fail "output differs from native"
	check_stats lemu.err 2048
}

# The Debian guest on two vCPUs under a 4 MiB code budget: it boots, its CPUs both work, and
# a checksum of a large file computed in the guest equals the host's.
t_system_smp2() {
	local want
	want=$(md5sum <"$(guest_file initrd.tree/bin/busybox)" | cut -d' ' -f1)
	LEMU_TBSTAT=1 LEMU_TBGEN_BUDGET_KB=4096 sysguest_boot -k vmlinuz -s 2 -x g \
		--cmd 'grep -c ^processor /proc/cpuinfo' \
		--cmd 'md5sum < /bin/busybox' \
		--cmd 'for i in 1 2 3 4; do md5sum < /bin/busybox & done; wait'
	[ "$(out g 1)" = 2 ] || fail "CPUs: '$(out g 1)'"
	[ "$(out g 2 | cut -d' ' -f1)" = "$want" ] || fail "md5 in the guest '$(out g 2)', host $want"
	local sums
	sums=$(out g 3 | cut -d' ' -f1 | sort -u)
	[ "$(out g 3 | wc -l)" = 4 ] && [ "$sums" = "$want" ] ||
		fail "four parallel md5sums in the guest: '$(out g 3)'"
	check_stats g/console.log 4096 # the emulator's stderr is in the transcript
}

case_main "$@"
