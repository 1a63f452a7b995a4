#!/usr/bin/env python3
"""Scripted QMP sessions against the booted Debian guest (tests/integration/qmp.sh).

    session.py --emu PROGRAM --case main|poweroff|no-shutdown [--timeout S]

The guest is the kernel + busybox initramfs of scripts/prepare-guest.sh; its serial console
is driven through tests/guest/console.py's Console (stdio pipes), QMP goes over a unix
socket.  Every expectation names what QEMU 7.2 does (the same script runs against
qemu-system-x86_64 with --emu qemu-system-x86_64, which is how it was validated).
Exit status 0 when every check passed; the first failure is printed and ends the run.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import argparse
import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
import qmplib  # noqa: E402
from console import Console  # noqa: E402

APPEND = "console=ttyS0 panic=-1 lemu.qmp-test=cmdline-marker-4242"
CONSOLE = None


def fail(msg):
    print("FAIL: " + msg)
    if CONSOLE is not None:
        print("console (tail):\n" + CONSOLE.buf[-800:].decode("utf-8", "replace"))
        CONSOLE.kill()
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def ok(reply, what):
    check("return" in reply, "%s: %s" % (what, json.dumps(reply)))
    return reply["return"]


def err_class(reply, cls, what):
    check(reply.get("error", {}).get("class") == cls, "%s: want error %s, got %s" % (what, cls, json.dumps(reply)))


def boot(emu, work, extra, timeout):
    global CONSOLE
    guest = os.path.join(ROOT, ".cache", "guest")
    sock = os.path.join(work, "qmp.sock")
    disk = os.path.join(work, "disk.raw")
    with open(disk, "wb") as f:
        f.write(b"LEMU-DISK-PATTERN" * 100)
        f.truncate(8 << 20)
    argv = [emu, "-accel", "tcg", "-m", "512", "-smp", "2", "-nographic", "-no-reboot",
            "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.gz"),
            "-append", APPEND, "-drive", "file=%s,format=raw,if=virtio,id=disk0" % disk,
            "-qmp", "unix:%s,server=on,wait=off" % sock] + extra
    CONSOLE = Console(argv, os.path.join(work, "console.log"))
    q = qmplib.QMP(sock, timeout=timeout)
    return q


def wait_prompt(c, timeout):
    c.expect(rb"LEMU-GUEST-READY\n", timeout, "the init marker")
    c.expect(re.escape(b"guest# "), timeout, "the shell prompt")
    # no echo: what comes back is only the output
    c.send("stty -echo\r")
    c.expect(re.escape(b"guest# "), timeout, "the prompt after stty -echo")


def guest_cmd(c, cmd, timeout=60):
    c.send("%s; echo ==QMP\"\"-DONE==\r" % cmd)
    out, _ = c.expect(rb"==QMP-DONE==", timeout, cmd)
    return out.decode("utf-8", "replace")


def hmp(q, line):
    return ok(q.cmd("human-monitor-command", {"command-line": line}), "hmp " + line)


def xp_bytes(q, addr, n, cmd="xp"):
    """Bytes of guest memory through HMP x/xp /Nxb."""
    out = hmp(q, "%s /%dxb 0x%x" % (cmd, n, addr))
    vals = re.findall(r"0x([0-9a-f]{2})\b", out.split(":", 1)[1] if ":" in out else "")
    data = bytes(int(v, 16) for line in out.splitlines() for v in re.findall(r" 0x([0-9a-f]{2})", line))
    check(len(data) == n, "%s /%dxb 0x%x: %r" % (cmd, n, addr, out[:200]))
    del vals
    return data


def case_main(emu, work, timeout):
    q = boot(emu, work, ["-S", "-name", "qmp-session"], timeout)
    c = CONSOLE
    g = q.recv()
    check(g and "QMP" in g, "greeting: %r" % g)
    v = g["QMP"]["version"]
    check(v["qemu"]["major"] == 7 and v["qemu"]["minor"] == 2, "greeting version %r" % v)
    check("oob" in g["QMP"]["capabilities"], "greeting capabilities %r" % g)
    check(q.raw_lines[0].endswith(b"\r\n"), "the greeting does not end with CRLF")
    # refused before negotiation, with QEMU's class and wording
    r = q.cmd("query-status", id="pre")
    err_class(r, "CommandNotFound", "query-status before qmp_capabilities")
    check(r.get("id") == "pre", "id not echoed before negotiation: %r" % r)
    check(r["error"]["desc"] == "Expecting capabilities negotiation with 'qmp_capabilities'", r["error"]["desc"])
    ok(q.cmd("qmp_capabilities", id=1), "qmp_capabilities")
    st = ok(q.cmd("query-status"), "query-status")
    check(st["status"] == "prelaunch" and st["running"] is False, "-S: status %r" % st)
    blk = ok(q.cmd("query-block"), "query-block")
    d = [b for b in blk if b["device"] == "disk0"]
    check(d and "inserted" in d[0] and d[0]["inserted"]["drv"] == "raw" and
          d[0]["inserted"]["image"]["virtual-size"] == 8 << 20, "query-block: %r" % blk)
    cpus = ok(q.cmd("query-cpus-fast"), "query-cpus-fast")
    check(len(cpus) == 2 and [x["cpu-index"] for x in cpus] == [0, 1], "query-cpus-fast: %r" % cpus)
    check(len({x["thread-id"] for x in cpus}) == 2, "query-cpus-fast thread ids: %r" % cpus)
    check(ok(q.cmd("query-name"), "query-name") == {"name": "qmp-session"}, "query-name")
    # cont: RESUME, then the guest boots
    ok(q.cmd("cont", id="go"), "cont")
    q.wait_event("RESUME")
    check(ok(q.cmd("query-status"), "query-status")["status"] == "running", "not running after cont")
    wait_prompt(c, timeout)
    # the guest writes a pattern into low memory, which the monitor must read back
    out = guest_cmd(c, "devmem 0x9000 32 0x4c454d55 && devmem 0x9004 32 0x21514d50 && devmem 0x9000 32")
    check("0X4C454D55" in out.upper(), "devmem in the guest: %r" % out)
    # stop: STOP, paused
    ok(q.cmd("stop"), "stop")
    q.wait_event("STOP")
    st = ok(q.cmd("query-status"), "query-status")
    check(st == {"status": "paused", "singlestep": False, "running": False} or
          (st["status"] == "paused" and not st["running"]), "after stop: %r" % st)
    check(hmp(q, "info status") == "VM status: paused\r\n", "info status: %r" % hmp(q, "info status"))
    # xp reads what the guest wrote (little-endian words)
    data = xp_bytes(q, 0x9000, 8)
    check(data == bytes.fromhex("554d454c504d5121"), "xp /8xb 0x9000 = %s" % data.hex())
    words = hmp(q, "xp /2xw 0x9000")
    check("0x4c454d55 0x21514d50" in words, "xp /2xw: %r" % words)
    # the kernel command line: pmemsave of low memory finds it (the boot protocol keeps it
    # below 640 KiB), and xp at that address must read the same bytes
    f = os.path.join(work, "low.bin")
    ok(q.cmd("pmemsave", {"val": 0, "size": 0xa0000, "filename": f}), "pmemsave")
    low = open(f, "rb").read()
    check(len(low) == 0xa0000, "pmemsave wrote %d bytes" % len(low))
    check(low[0x9000:0x9008] == bytes.fromhex("554d454c504d5121"), "pmemsave: the guest's pattern")
    cmdline_addr = low.find(APPEND.encode())
    check(cmdline_addr > 0, "the kernel command line is not in low memory")
    got = xp_bytes(q, cmdline_addr, len(APPEND))
    check(got == APPEND.encode(), "command line in memory: %r" % got)
    chars = hmp(q, "xp /6c 0x%x" % cmdline_addr)
    check(chars.endswith(": 'c' 'o' 'n' 's' 'o' 'l'\r\n"), "xp /6c: %r" % chars)
    # x: virtual addresses through the guest's page tables; the kernel's direct map
    # (page_offset_base from /proc/kallsyms, read through x) maps physical 0x9000
    ok(q.cmd("cont"), "cont")
    q.wait_event("RESUME")
    ks = guest_cmd(c, "grep -w page_offset_base /proc/kallsyms")
    m = re.search(r"([0-9a-f]{16}) [a-zA-Z] page_offset_base", ks)
    check(m and int(m.group(1), 16) != 0, "page_offset_base in /proc/kallsyms: %r" % ks)
    pob_addr = int(m.group(1), 16)
    pob = int.from_bytes(xp_bytes(q, pob_addr, 8, "x"), "little")
    check(pob >> 47 == 0x1ffff, "page_offset_base read with x: %#x" % pob)
    data = xp_bytes(q, pob + 0x9000, 8, "x")
    check(data == bytes.fromhex("554d454c504d5121"), "x /8xb at the direct map of 0x9000: %s" % data.hex())
    # p with registers: $pc is the current CS base + RIP
    pc = hmp(q, "p $pc")
    check(re.match(r"0x[0-9a-f]+\r\n$", pc), "p $pc: %r" % pc)
    check(hmp(q, "p 1+2*3") == "0x7\r\n", "p 1+2*3")
    # unknown command, malformed JSON: errors, and the session lives on
    r = q.cmd("no-such-command", id="u")
    err_class(r, "CommandNotFound", "unknown command")
    check(r.get("id") == "u", "id of the unknown command")
    q.send_raw('{"execute" "query-status"}\n')
    err_class(q.reply(), "GenericError", "malformed JSON")
    check(ok(q.cmd("query-status", id="alive"), "after malformed")["status"] == "running", "status after garbage")
    # quit: return, SHUTDOWN (host-qmp-quit), exit status 0
    ok(q.cmd("quit"), "quit")
    e = q.wait_event("SHUTDOWN")
    check(e["data"] == {"guest": False, "reason": "host-qmp-quit"}, "SHUTDOWN data %r" % e)
    check(set(e["timestamp"]) == {"seconds", "microseconds"}, "timestamp %r" % e)
    rc = c.wait_exit(60)
    check(rc == 0, "exit status after quit: %r" % rc)
    check(all(line.endswith(b"\r\n") for line in q.raw_lines), "a QMP line without CRLF")


def case_poweroff(emu, work, timeout, no_shutdown):
    q = boot(emu, work, ["-no-shutdown"] if no_shutdown else [], timeout)
    c = CONSOLE
    q.recv()
    ok(q.cmd("qmp_capabilities"), "qmp_capabilities")
    wait_prompt(c, timeout)
    ok(q.cmd("system_powerdown"), "system_powerdown")
    q.wait_event("POWERDOWN")
    # the guest's busybox init has no acpid: the button is seen, nobody acts; power off
    c.send("poweroff -f\r")
    e = q.wait_event("SHUTDOWN", timeout=60)
    check(e["data"] == {"guest": True, "reason": "guest-shutdown"}, "SHUTDOWN data %r" % e)
    if no_shutdown:
        q.wait_event("STOP")
        st = ok(q.cmd("query-status"), "query-status")
        check(st["status"] == "shutdown" and not st["running"], "-no-shutdown: status %r" % st)
        r = q.cmd("cont")
        err_class(r, "GenericError", "cont in shutdown state")
        ok(q.cmd("quit"), "quit")
    rc = c.wait_exit(60)
    check(rc == 0, "exit status: %r" % rc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", required=True)
    ap.add_argument("--case", required=True, choices=["main", "poweroff", "no-shutdown"])
    ap.add_argument("--timeout", type=float, default=180)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="qmp-session.") as work:
        try:
            if a.case == "main":
                case_main(a.emu, work, a.timeout)
            else:
                case_poweroff(a.emu, work, a.timeout, a.case == "no-shutdown")
        except qmplib.QMPError as e:
            fail("QMP: %s" % e)
        finally:
            if CONSOLE is not None:
                CONSOLE.kill()
    print("ok")


if __name__ == "__main__":
    main()
