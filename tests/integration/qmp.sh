#!/bin/bash
# QMP (issue 6): scripted sessions against the booted Debian guest of scripts/prepare-guest.sh,
# and the reply shapes of every implemented command against golden files recorded from Debian's
# qemu-system-x86_64 7.2 (tests/qmp/record.py wrote tests/qmp/golden-qemu-7.2.json; the same
# script compares). The session scripts were validated against QEMU itself:
#   LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k qmp/ integration
# (t_shapes then compares QEMU with itself).
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"

. "$(dirname "$0")/../lib/sysguest.sh"

# Every request of tests/qmp/requests.json (queries, run control, memory, block, QOM, errors,
# malformed input) on the same VM as the golden run: keys and JSON types of each reply and
# event must be QEMU's, error classes and echoed ids equal.
t_shapes() {
	python3 "$ROOT/tests/qmp/record.py" --emu "$EMU" --compare "$ROOT/tests/qmp/golden-qemu-7.2.json"
}

# Greeting, refusal before negotiation, prelaunch with -S, cont/RESUME, stop/STOP,
# query-status, query-block, query-cpus-fast (-smp 2), human-monitor-command (xp, x through
# the guest's page tables, p), pmemsave, unknown command, malformed JSON, quit with SHUTDOWN
# host-qmp-quit and status 0.
t_session() {
	python3 "$ROOT/tests/qmp/session.py" --emu "$EMU" --case main
}

# system_powerdown sends POWERDOWN; a guest poweroff sends SHUTDOWN (guest true,
# guest-shutdown) and the emulator exits with status 0.
t_guest_poweroff() {
	python3 "$ROOT/tests/qmp/session.py" --emu "$EMU" --case poweroff
}

# -no-shutdown: the guest's poweroff leaves the VM paused in "shutdown"; cont is refused.
t_no_shutdown() {
	python3 "$ROOT/tests/qmp/session.py" --emu "$EMU" --case no-shutdown
}

# Two monitors at once (-qmp and -mon on a chardev), each negotiates on its own; events go
# to both; a client that reconnects gets a new greeting and must negotiate again.
t_two_monitors() {
	python3 - "$EMU" "$ROOT" <<'PY'
import os, subprocess, sys, time
emu, root = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(root, "tests", "qmp"))
import qmplib
g = os.path.join(root, ".cache", "guest")
p = subprocess.Popen([emu, "-accel", "tcg", "-m", "128", "-display", "none", "-serial", "null", "-S",
                      "-kernel", os.path.join(g, "vmlinuz"), "-initrd", os.path.join(g, "initrd.gz"),
                      "-qmp", "unix:a.sock,server=on,wait=off",
                      "-chardev", "socket,id=m2,path=b.sock,server=on,wait=off",
                      "-mon", "chardev=m2,mode=control,pretty=on"], stdin=subprocess.DEVNULL)
try:
    a, b = qmplib.QMP("a.sock", 30), qmplib.QMP("b.sock", 30)
    assert "QMP" in a.recv() and "QMP" in b.recv()
    assert "return" in a.cmd("qmp_capabilities")
    # b has not negotiated: refused there, and it gets no events
    assert b.cmd("stop")["error"]["class"] == "CommandNotFound"
    assert "return" in b.cmd("qmp_capabilities")
    assert "return" in a.cmd("cont")
    a.wait_event("RESUME"); b.wait_event("RESUME")
    assert "return" in b.cmd("stop")
    a.wait_event("STOP"); b.wait_event("STOP")
    # reconnect: a new session
    a.close()
    a = qmplib.QMP("a.sock", 30)
    assert "QMP" in a.recv()
    assert a.cmd("query-status")["error"]["class"] == "CommandNotFound"
    assert "return" in a.cmd("qmp_capabilities")
    assert a.cmd("query-status")["return"]["status"] == "paused"
    a.cmd("quit")
    assert p.wait(30) == 0
finally:
    if p.poll() is None:
        p.kill()
print("ok")
PY
}

# Option errors name the option, as QEMU's do.
t_option_errors() {
	local rc
	"$EMU" -accel tcg -display none -kernel "$ROOT/.cache/guest/vmlinuz" -mon chardev=nope >o 2>e </dev/null
	rc=$?
	[ $rc = 1 ] && grep -q 'chardev "nope" not found' e || { cat e; echo "FAIL: -mon chardev=nope (status $rc)"; return 1; }
	"$EMU" -accel tcg -display none -kernel "$ROOT/.cache/guest/vmlinuz" -chardev null,id=n -mon n,mode=bogus >o 2>e </dev/null
	rc=$?
	[ $rc = 1 ] && grep -q "mode" e || { cat e; echo "FAIL: -mon mode=bogus (status $rc)"; return 1; }
	"$EMU" -accel tcg -display none -kernel "$ROOT/.cache/guest/vmlinuz" -qmp nosuchbackend: >o 2>e </dev/null
	rc=$?
	[ $rc = 1 ] && grep -q -- "-qmp" e || { cat e; echo "FAIL: -qmp nosuchbackend: (status $rc)"; return 1; }
}

# The libFuzzer build of tests/fuzz/fuzz_qmp.c (QMP streamer, parser, dispatcher and the
# commands, HMP through human-monitor-command) with ASan/UBSan, run for a bounded time from a
# few valid sessions: a crash, a leak or a reply that is not JSON fails it. The monitor's
# sources are built here with the fuzzer's instrumentation; the rest of the emulator comes
# from the build (tests/unit/libsystest.a).
# The run in make check uses a fixed seed (LEMU_FUZZ_SEED, default 1), so that it explores the
# same inputs every time and a failure reproduces; longer runs with other seeds look further.
t_libfuzzer() {
	local b=${LEMU_BUILD:-$ROOT/build}
	command -v clang >/dev/null 2>&1 || skip "clang is missing"
	[ -f "$b/tests/unit/libsystest.a" ] || skip "no $b/tests/unit/libsystest.a (run make)"
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >probe.c
	clang -fsanitize=fuzzer probe.c -o probe 2>/dev/null || skip "clang cannot build libFuzzer targets"
	# shellcheck disable=SC2046  # pkg-config prints a list of flags
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I"$ROOT/src" -I"$b" \
		"$ROOT/tests/fuzz/fuzz_qmp.c" "$ROOT"/src/monitor/[a-z]*.c "$b/tests/unit/libsystest.a" \
		"$b/liblemucpu.a" "$b/liblemublock.a" \
		$(pkg-config --libs jansson zlib libzstd gnutls slirp liburing capstone 2>/dev/null) \
		-lm -lpthread -o fuzz_qmp 2>build.log || { tail -n 20 build.log; echo "FAIL: build"; return 1; }
	mkdir -p corpus
	printf '\x01{"execute": "query-block"}\r\n{"execute": "qom-list", "arguments": {"path": "/machine"}}' >corpus/a
	printf '\x00{"execute": "qmp_capabilities", "id": 1}{"execute": "human-monitor-command", "arguments": {"command-line": "xp /16xb 0x1000"}}' >corpus/b
	printf '\x01{"execute": "human-monitor-command", "arguments": {"command-line": "p/x $rax+$pc*2"}}[1, {"x"' >corpus/c
	printf '\x01{"execute": "human-monitor-command", "arguments": {"command-line": "x /\xc3\xa9 0"}}' >corpus/d
	ASAN_OPTIONS=detect_leaks=1 ./fuzz_qmp -seed="${LEMU_FUZZ_SEED:-1}" -max_total_time="${LEMU_QMP_FUZZ_SECONDS:-20}" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 corpus >fuzz.log 2>&1
	local rc=$?
	grep -E '^(Done|SUMMARY)' fuzz.log
	[ $rc = 0 ] || { tail -n 30 fuzz.log; echo "FAIL: the fuzzer found a problem (exit $rc)"; return 1; }
}

case_main "$@"
