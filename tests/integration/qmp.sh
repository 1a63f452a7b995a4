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

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU=${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}

suite_requires() {
	if ! command -v "$EMU" >/dev/null 2>&1; then
		echo "no system emulator $EMU (build lemu-system-x86_64, or set LEMU_SYSTEM_X86_64)"
		return 1
	fi
	if ! bash "$ROOT/scripts/prepare-guest.sh" --quiet >/dev/null 2>guest.err; then
		echo "the default guest could not be prepared: $(tail -n 1 guest.err)"
		rm -f guest.err
		return 1
	fi
	rm -f guest.err
}

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

case_main "$@"
