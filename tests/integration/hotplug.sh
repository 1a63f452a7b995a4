#!/bin/bash
# PCI hot-plug on the pc machine (issue 6): QMP device_add / device_del with the guest's own ACPI
# hotplug driver (the Debian kernel's acpiphp) doing the work, checked with tools nobody here
# wrote: the guest kernel (its block devices, network interfaces and sysfs), qemu-img/qemu-io
# (the data in the images, qemu-img check), and QEMU itself as the oracle for the monitor's error
# replies (qemu-system-x86_64 -S answers those before any guest code runs).
#
# One guest boot (t_guest) carries the hot-plug checks; t_errors boots nothing.
# The guest case can be validated against QEMU with the same options:
#   LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k hotplug/guest integration
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-400}
. "$(dirname "$0")/../lib/case.sh"

BOOT_TIMEOUT=${LEMU_BOOT_TIMEOUT:-150}
. "$(dirname "$0")/../lib/sysguest.sh"
SYSGUEST_TOOLS="qemu-img qemu-io python3"

# An image whose first sector holds TEXT (written on the host as raw, converted by qemu-img).
make_disk() {
	head -c 16M /dev/zero >"$1.raw"
	printf '%s' "$2" | dd of="$1.raw" conv=notrunc status=none || fail "dd"
	qemu-img convert -q -f raw -O qcow2 "$1.raw" "$1" || fail "qemu-img convert"
	rm -f "$1.raw"
}

# The monitor's error replies, lemu against QEMU: the same requests in prelaunch (-S), no guest.
t_errors() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 (the oracle) is missing"
	qemu-img create -q -f qcow2 e1.qcow2 16M && qemu-img create -q -f qcow2 e2.qcow2 16M || fail "qemu-img create"
	python3 - "$EMU" "$ROOT" <<'PY'
import json, os, subprocess, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(sys.argv[2], "tests", "qmp"))
import qmplib
emu, root = sys.argv[1], sys.argv[2]
kernel = os.path.join(root, ".cache", "guest", "vmlinux")

# (arguments of device_add or device_del, as a list of steps run in one session)
PC = [
    ("device_add", {"driver": "virtio-blk-pci", "drive": "d1", "id": "hd1"}),
    ("device_add", {"driver": "virtio-blk-pci", "drive": "d2", "id": "hd1"}),        # duplicate id
    ("device_add", {"driver": "virtio-blk-pci", "drive": "d1", "id": "hd2"}),        # drive in use
    ("device_add", {"driver": "virtio-blk-pci", "drive": "nope", "id": "hd3"}),      # no such drive
    ("device_add", {"driver": "virtio-blk-pci", "id": "hd4"}),                       # no drive
    ("device_add", {"driver": "foo", "id": "x"}),                                    # unknown model
    ("device_add", {"driver": "isa-debug-exit", "id": "x2"}),                        # ISA: no hotplug
    ("device_add", {"driver": "PIIX4_PM", "id": "x3"}),                              # not pluggable
    ("device_add", {"driver": "virtio-rng-pci", "id": "r1", "bus": "foo"}),          # no such bus
    ("device_add", {"driver": "virtio-rng-pci", "id": "r1", "bus": "pci.0"}),
    ("device_add", {"driver": "virtio-rng-pci", "id": "r2", "addr": "0x1f"}),
    ("device_add", {"driver": "virtio-rng-pci", "id": "r3", "addr": "0x1f"}),        # slot in use
    ("device_add", {"driver": "virtio-rng-pci", "id": "r4", "addr": "0x20"}),        # no such slot
    ("device_add", {"driver": "virtio-net-pci", "id": "nic1", "netdev": "n0"}),
    ("device_add", {"driver": "virtio-net-pci", "id": "nic2", "netdev": "n0"}),      # netdev in use
    ("device_add", {"driver": "virtio-serial-pci", "id": "vs"}),
    ("device_del", {"id": "nope"}),                                                  # DeviceNotFound
    ("device_del", {"id": "dx"}),                                                    # ISA device
    ("device_del", {"id": "hd1"}),
    ("device_del", {"id": "hd1"}),          # already being unplugged (no guest time has passed)
    ("device_del", {"id": "rng0"}),         # a -device from the command line
    ("device_add", {"driver": "virtio-blk-pci", "drive": "d2", "id": "hd1"}),        # still there
    ("qom-list", {"path": "/machine/peripheral"}),
    # the eject a guest's _EJ0 does, from the monitor: slot 4 (hd1) goes, DEVICE_DELETED follows
    ("human-monitor-command", {"command-line": "o /w 0xae08 0x10"}),
    # a virtio-serial bus goes with its console port (slot 3)
    ("device_del", {"id": "vs0"}),
    ("human-monitor-command", {"command-line": "o /w 0xae08 0x8"}),
    ("query-status", None),
    ("qom-list", {"path": "/machine/peripheral"}),
    ("device_add", {"driver": "virtio-blk-pci", "drive": "d2", "id": "hd1"}),        # same id again
    ("device_add", {"driver": "virtio-blk-pci", "drive": "d2", "id": "hd5"}),        # d2 in use
    # garbage: eject of the host bridge, the PIIX and empty slots, a bus that does not exist
    ("human-monitor-command", {"command-line": "o /w 0xae08 0x3"}),
    ("human-monitor-command", {"command-line": "o /w 0xae08 0xc0000000"}),
    ("human-monitor-command", {"command-line": "o /w 0xae10 0x7"}),
    ("human-monitor-command", {"command-line": "o /w 0xae08 0xffffffff"}),
    ("human-monitor-command", {"command-line": "o /w 0xae10 0x0"}),
    ("query-status", None),
    ("qom-list", {"path": "/machine/peripheral"}),
    # HMP
    ("human-monitor-command", {"command-line": "device_add foo"}),
    ("human-monitor-command", {"command-line": "device_add virtio-rng-pci,id=hr"}),
    ("human-monitor-command", {"command-line": "device_add virtio-rng-pci,id=hr"}),
    ("human-monitor-command", {"command-line": "device_del nope"}),
    ("human-monitor-command", {"command-line": "device_del hr"}),
    ("human-monitor-command", {"command-line": "device_del dx"}),
]
MICROVM = [
    ("device_add", {"driver": "virtio-rng-pci", "id": "r"}),
    ("device_add", {"driver": "virtio-blk-pci", "id": "r", "drive": "d1"}),
    ("device_add", {"driver": "isa-debug-exit", "id": "x"}),
    ("device_del", {"id": "nope"}),
]

def session(binary, machine, steps):
    sock = "%s-%s.sock" % (os.path.basename(binary), machine)
    if os.path.exists(sock):
        os.unlink(sock)
    argv = [binary, "-M", machine, "-S", "-display", "none", "-nodefaults",
            "-qmp", "unix:%s,server=on,wait=off" % sock,
            "-drive", "if=none,id=d1,file=e1.qcow2,format=qcow2",
            "-drive", "if=none,id=d2,file=e2.qcow2,format=qcow2", "-netdev", "user,id=n0"]
    if machine == "pc":
        argv += ["-device", "isa-debug-exit,id=dx", "-device", "virtio-rng-pci,id=rng0",
                 "-chardev", "null,id=c0", "-device", "virtio-serial-pci,id=vs0",
                 "-device", "virtconsole,chardev=c0,id=con0"]
    if "qemu" not in os.path.basename(binary):
        argv += ["-kernel", kernel]   # lemu has no built-in firmware; -S runs none of it
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out = []
    try:
        q = qmplib.QMP(sock, 30)
        q.recv()
        q.cmd("qmp_capabilities")
        for name, args in steps:
            r = q.cmd(name, args)
            if "error" in r:
                out.append({"error": {"class": r["error"]["class"], "desc": r["error"]["desc"]}})
            elif name == "query-status":
                out.append({"return": r["return"]["status"]})
            elif name == "qom-list":
                out.append({"return": sorted(e["name"] for e in r["return"])})
            else:
                out.append({"return": r["return"]})
        q.cmd("query-status")
        out.append({"events": [e["data"] for e in q.events if e["event"] == "DEVICE_DELETED"]})
        q.cmd("quit")
        err = p.communicate(timeout=60)[1].decode("utf-8", "replace")
        if p.returncode != 0:   # e.g. a sanitizer's report in an ASan build
            print("FAIL: %s -M %s exited with status %d:\n%s" % (binary, machine, p.returncode, err[-3000:]))
            sys.exit(1)
    finally:
        if p.poll() is None:
            p.kill()
    return out

bad = 0
for machine, steps in (("pc", PC), ("microvm", MICROVM)):
    want = session("qemu-system-x86_64", machine, steps)
    got = session(emu, machine, steps)
    if os.environ.get("HOTPLUG_DEBUG"):
        print(json.dumps(want[-1]))
    for (name, args), w, g in zip(steps + [("events", None)], want, got):
        if w != g:
            bad += 1
            print("FAIL: -M %s %s %s\n  QEMU: %s\n  lemu: %s" % (machine, name, json.dumps(args), json.dumps(w), json.dumps(g)))
sys.exit(1 if bad else 0)
PY
}

# One boot: hot-add a disk and read the host's data, unplug it (DEVICE_DELETED only after the
# guest's eject), hot-add a NIC, unplug a -device from the command line, re-add with the same id,
# and a guest poking garbage into the hotplug registers through /dev/port.
t_guest() {
	make_disk d1.qcow2 "lemu-hotplug-host-data-d1"
	make_disk d2.qcow2 "lemu-hotplug-host-data-d2"
	python3 - "$EMU" "$ROOT" "$BOOT_TIMEOUT" <<'PY' || fail "the hot-plug session"
import json, os, re, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(sys.argv[2], "tests", "qmp"))
sys.path.insert(0, os.path.join(sys.argv[2], "tests", "guest"))
import qmplib
from console import Console
emu, root, boot_timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
g = os.path.join(root, ".cache", "guest")
if os.path.exists("qmp.sock"):
    os.unlink("qmp.sock")
c = Console([emu, "-accel", "tcg", "-M", "pc", "-m", "512", "-smp", "1", "-nographic", "-no-reboot",
             "-kernel", os.path.join(g, "vmlinux"), "-initrd", os.path.join(g, "initrd.gz"),
             "-append", "console=ttyS0 panic=-1",
             "-qmp", "unix:qmp.sock,server=on,wait=off",
             "-drive", "if=none,id=d1,file=d1.qcow2,format=qcow2",
             "-drive", "if=none,id=d2,file=d2.qcow2,format=qcow2",
             "-netdev", "user,id=n0", "-device", "virtio-rng-pci,id=rng0"], "console.log")
n = [0]

def fail(msg):
    print("FAIL: " + msg)
    c.kill()
    print("console (tail):\n" + open("console.log", "rb").read()[-1500:].decode("utf-8", "replace"))
    sys.exit(1)

def sh(cmd, timeout=180):
    """Run a shell command in the guest (echo is off); its output."""
    n[0] += 1
    # The marker is split by "" so that nothing but the echo command itself prints it.
    c.send("%s; echo ==LEMU\"\"-END-%d==\r" % (cmd, n[0]))
    out, _ = c.expect(rb"==LEMU-END-%d==\n" % n[0], timeout, "command %r" % cmd)
    c.expect(re.escape(b"guest# "), timeout, "the prompt after %r" % cmd)
    return out.decode("utf-8", "replace")

def wait_for(cond, what):
    """Poll a guest shell condition (up to ~60 s of guest polling)."""
    r = sh("i=0; while [ $i -lt 300 ]; do if %s; then echo yes; break; fi; sleep 0.2; i=$((i+1)); done" % cond, 240)
    if "yes" not in r:
        fail("timeout waiting in the guest for: " + what)

def qmp(name, args=None):
    r = q.cmd(name, args)
    if "error" in r:
        fail("%s %s: %s" % (name, json.dumps(args), json.dumps(r)))
    return r["return"]

def peripherals():
    return sorted(e["name"] for e in qmp("qom-list", {"path": "/machine/peripheral"}) if e["name"] != "type")

def hmp(cmd):
    return qmp("human-monitor-command", {"command-line": cmd})

try:
    c.expect(rb"LEMU-GUEST-READY\n", boot_timeout, "the init marker")
    c.expect(re.escape(b"guest# "), 60, "the shell prompt")
    c.send("stty -echo\r")
    c.expect(re.escape(b"guest# "), 180, "the prompt after stty -echo")
    q = qmplib.QMP("qmp.sock", 30)
    q.recv()
    qmp("qmp_capabilities")
    slots = sh("ls /sys/bus/pci/slots 2>/dev/null | wc -l").strip()
    if slots in ("", "0"):
        fail("the guest registered no ACPI hotplug slots (acpiphp): %r" % sh("dmesg | grep -i -e acpiphp -e 'PCI.*hotplug' | tail"))
    nets0 = sh("ls /sys/class/net").split()
    if peripherals() != ["rng0"]:
        fail("qom-list /machine/peripheral at start: %s" % peripherals())

    # 1. a disk: device_add returns {}, /dev/vda appears, the host's text reads back
    if qmp("device_add", {"driver": "virtio-blk-pci", "drive": "d1", "id": "hd1"}) != {}:
        fail("device_add did not return {}")
    wait_for("[ -b /dev/vda ]", "/dev/vda after device_add")
    got = sh("head -c 25 /dev/vda; echo").strip()
    if got != "lemu-hotplug-host-data-d1":
        fail("hot-added disk reads %r" % got)
    if "hd1" not in peripherals():
        fail("hd1 missing from qom-list /machine/peripheral")
    if "Bus  0, device   3" not in hmp("info pci") and "1af4" not in hmp("info pci"):
        fail("info pci does not show the new device")
    # the guest writes; the data must be in the image once the device is gone
    sh("printf lemu-hotplug-guest-data | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null; sync")

    # 2. device_del: the event comes after the guest's eject; the disk is gone in the guest.
    # Asked while the VM is stopped, nothing happens until it runs again.
    qmp("stop")
    if qmp("device_del", {"id": "hd1"}) != {}:
        fail("device_del did not return {}")
    qmp("query-status")
    if any(e["event"] == "DEVICE_DELETED" for e in q.events) or "hd1" not in peripherals():
        fail("hd1 went before the guest could eject it (VM stopped)")
    qmp("cont")
    ev = q.wait_event("DEVICE_DELETED", 180)
    evs = [ev]
    while ev["data"].get("device") != "hd1":
        ev = q.wait_event("DEVICE_DELETED", 30)
        evs.append(ev)
    if ev["data"] != {"device": "hd1", "path": "/machine/peripheral/hd1"}:
        fail("DEVICE_DELETED data %s" % ev["data"])
    wait_for("[ ! -e /sys/block/vda ]", "/sys/block/vda to go")
    if "hd1" in peripherals():
        fail("hd1 still in qom-list after DEVICE_DELETED")
    r = q.cmd("device_del", {"id": "hd1"})
    if r.get("error", {}).get("class") != "DeviceNotFound":
        fail("device_del after removal: %s" % r)

    # 3. a NIC on -netdev user: a new ethN in the guest
    qmp("device_add", {"driver": "virtio-net-pci", "netdev": "n0", "id": "nic1"})
    wait_for("[ $(ls /sys/class/net | wc -w) -gt %d ]" % len(nets0), "a new network interface")
    new = [x for x in sh("ls /sys/class/net").split() if x not in nets0]
    if not new or not new[0].startswith("eth"):
        fail("new interfaces %s" % new)

    # 4. unplug a -device from the command line
    rngs0 = sh("ls /sys/bus/virtio/drivers/virtio_rng 2>/dev/null | grep -c virtio").strip()
    qmp("device_del", {"id": "rng0"})
    ev = q.wait_event("DEVICE_DELETED", 180)
    while ev["data"].get("device") != "rng0":
        ev = q.wait_event("DEVICE_DELETED", 30)
    if peripherals() != ["nic1"]:
        fail("qom-list after removing rng0: %s" % peripherals())
    rngs1 = sh("ls /sys/bus/virtio/drivers/virtio_rng 2>/dev/null | grep -c virtio").strip()
    if not (rngs0 == "1" and rngs1 == "0"):
        fail("virtio-rng devices bound in the guest before/after: %s/%s" % (rngs0, rngs1))

    # 5. add again with the same id (another drive; QEMU drops a -drive with its device)
    qmp("device_add", {"driver": "virtio-blk-pci", "drive": "d2", "id": "hd1"})
    wait_for("[ -b /dev/vda ]", "/dev/vda after the second device_add")
    got = sh("head -c 25 /dev/vda; echo").strip()
    if got != "lemu-hotplug-host-data-d2":
        fail("re-added disk reads %r" % got)

    # 6. garbage from the guest into the hotplug registers (0xae00..0xae13, byte writes through
    # /dev/port): eject of empty slots, of the host bridge and PIIX, on a bus that does not
    # exist, writes to read-only registers.  Nothing may change.
    pci0 = hmp("info pci")
    per0 = peripherals()
    sh("[ -e /dev/port ] || mknod /dev/port c 1 4")
    poke = lambda port, data: sh("printf '%s' | dd of=/dev/port bs=1 seek=%d 2>/dev/null" % (data, port))
    poke(0xae10, r"\007")                      # bus select 7: no such bus
    poke(0xae08, r"\377\377\377\377")          # eject everything there
    poke(0xae10, r"\000")                      # back to bus 0
    poke(0xae08, r"\003")                      # slots 0 and 1: host bridge, PIIX
    poke(0xae0b, r"\200")                      # slot 31: empty
    poke(0xae00, r"\377\377\377\377\377\377\377\377")  # PCIU/PCID are read-only
    poke(0xae0c, r"\377\377\377\377")          # so is the removable mask
    if sh("echo alive").strip() != "alive":
        fail("the guest after the garbage")
    if hmp("info pci") != pci0 or peripherals() != per0:
        fail("the garbage changed the devices:\n%s\n%s" % (pci0, hmp("info pci")))
    got = sh("head -c 25 /dev/vda; echo").strip()
    if got != "lemu-hotplug-host-data-d2":
        fail("disk after the garbage reads %r" % got)

    c.send("poweroff -f\n")
    rc = c.wait_exit(60)
    if rc != 0:   # None: still running; non-zero: e.g. a sanitizer's report in an ASan build
        fail("the emulator's exit status after poweroff: %s" % rc)
finally:
    c.kill()
print("ok")
PY
	# The guest's write to the unplugged disk is in the image, and the image is clean.
	qemu-img convert -q -O raw d1.qcow2 d1.raw || fail "qemu-img convert d1.qcow2"
	[ "$(dd if=d1.raw bs=512 skip=8 count=1 status=none | head -c 23)" = lemu-hotplug-guest-data ] ||
		fail "the guest's write is not in d1.qcow2"
	qemu-img check -q d1.qcow2 || { qemu-img check d1.qcow2; fail "qemu-img check d1.qcow2"; }
	qemu-img check -q d2.qcow2 || { qemu-img check d2.qcow2; fail "qemu-img check d2.qcow2"; }
}

case_main "$@"
