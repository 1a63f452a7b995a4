#!/usr/bin/env python3
"""Run human-monitor commands on the booted Debian guest and record what they print.

    hmp_session.py --emu PROGRAM --out FILE.json

The VM: the guest of scripts/prepare-guest.sh, -smp 2, a raw disk on virtio (disk0), the
serial console on stdio (driven with tests/guest/console.py's Console), the human monitor on
a unix socket (-monitor unix:...,server=on,wait=off, readline mode: banner, prompt, echo).
The guest writes a known pattern at physical 0x9000 (busybox devmem) before the monitor
commands run; then every command of COMMANDS is typed and its output (the text between the
echoed line and the next "(qemu) " prompt, CRLF kept) is recorded.  tests/integration/hmp.sh
runs this under qemu-system-x86_64 and lemu and compares.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import argparse
import json
import os
import re
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from console import Console  # noqa: E402

PATTERN_CMD = ("devmem 0x9000 32 0x4c454d55 && devmem 0x9004 32 0x21514d50 && "
               "devmem 0x9008 32 0x0a0d7f41 && devmem 0x900c 32 0xfe80275c")

# Commands whose output must be byte-identical to QEMU's (same guest, same memory).
EXACT = [
    "info status", "info name",
    "xp /8xb 0x9000", "xp /4xh 0x9000", "xp /2xw 0x9000", "xp /1xg 0x9000", "xp /2xg 0x9000",
    "xp /20xb 0x9000", "xp /3xw 0x9000", "xp /4dw 0x9000", "xp /8dh 0x9000", "xp /4uh 0x9000",
    "xp /16db 0x9000", "xp /2ow 0x9000", "xp /16c 0x9000", "xp/2x 0x9000",
    "p 10", "p/x 255", "p 1+2*3", "p -1", "p/u -1", "p/d 0x10", "p/o 8", "p/c 65", "p 7%3",
    "p (3+4)*2", "p ~0", "p 6&3|8", "p 5^1", "p 0x10/0", "p 1+", "p $nosuchreg", "p/x 0x7fffffff+1",
    "nosuch", "help stop", "help p", "help xp", "help cont",
    "cpu 5", "info snapshots", "sendkey nosuchkey",
    "eject nope", "block_resize nope 10", "info history",
]
# Commands checked by shape only (values differ between emulators).
SHAPE = ["info cpus", "info registers", "info block", "info version", "info kvm", "p $pc", "i 0x64",
         "info pci", "info chardev", "info mtree", "info qtree", "info blockstats", "help"]


class HMP:
    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.s.settimeout(timeout)
        self.buf = b""

    def until(self, marker):
        while marker not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("monitor closed")
            self.buf += d
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r")
        # echo (with whatever redrawing), CRLF, output, prompt
        text = self.until(b"(qemu) ")
        first = text.index(b"\r\n")
        return text[first + 2:-len(b"(qemu) ")].decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=180)
    a = ap.parse_args()
    guest = os.path.join(ROOT, ".cache", "guest")
    res = {}
    with tempfile.TemporaryDirectory(prefix="hmp-session.") as work:
        disk = os.path.join(work, "disk.raw")
        with open(disk, "wb") as f:
            f.truncate(8 << 20)
        sock = os.path.join(work, "hmp.sock")
        argv = [a.emu, "-accel", "tcg", "-m", "512", "-smp", "2", "-nographic", "-no-reboot", "-name", "hmp-test",
                "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.gz"),
                "-append", "console=ttyS0 panic=-1",
                "-drive", "file=%s,format=raw,if=virtio,id=disk0" % disk,
                "-monitor", "unix:%s,server=on,wait=off" % sock]
        c = Console(argv, os.path.join(work, "console.log"))
        try:
            m = HMP(sock, a.timeout)
            res["banner"] = m.until(b"(qemu) ").decode()
            c.expect(rb"LEMU-GUEST-READY\n", a.timeout, "the init marker")
            c.expect(re.escape(b"guest# "), a.timeout, "the shell prompt")
            c.send("stty -echo\r")
            c.expect(re.escape(b"guest# "), 60, "prompt")
            c.send("%s; echo ==HMP\"\"-DONE==\r" % PATTERN_CMD)
            c.expect(rb"==HMP-DONE==", 60, "devmem")
            c.expect(re.escape(b"guest# "), 60, "prompt")
            # sendkey: the keyboard interrupt (IRQ 1) fires in the guest
            c.send("grep i8042 /proc/interrupts | head -n 1; echo ==HMP\"\"-DONE==\r")
            before, _ = c.expect(rb"==HMP-DONE==", 60, "interrupts")
            c.expect(re.escape(b"guest# "), 60, "prompt")
            res["sendkey"] = m.cmd("sendkey shift-a")
            time.sleep(1)
            c.send("grep i8042 /proc/interrupts | head -n 1; echo ==HMP\"\"-DONE==\r")
            after, _ = c.expect(rb"==HMP-DONE==", 60, "interrupts")
            c.expect(re.escape(b"guest# "), 60, "prompt")
            res["irq1"] = [before.decode(), after.decode()]
            # nmi: every CPU takes one (the NMI row of /proc/interrupts)
            nmis = []
            for step in (0, 1):
                if step:
                    res["nmi"] = m.cmd("nmi")
                    time.sleep(1)
                c.send("grep NMI: /proc/interrupts; echo ==HMP\"\"-DONE==\r")
                out, _ = c.expect(rb"==HMP-DONE==", 60, "interrupts")
                c.expect(re.escape(b"guest# "), 60, "prompt")
                nmis.append(out.decode())
            res["nmi-count"] = nmis
            res["stop"] = m.cmd("stop")
            for cmd in EXACT + SHAPE:
                res[cmd] = m.cmd(cmd)
            # a relative name: QEMU's parser would read "16 /tmp" as a division
            f = "hmp-pmemsave.bin"
            if os.path.exists(f):
                os.unlink(f)
            res["pmemsave"] = m.cmd("pmemsave 0x9000 16 %s" % f)
            res["pmemsave-data"] = open(f, "rb").read().hex() if os.path.exists(f) else None
            res["cont"] = m.cmd("c")
            res["status-after-c"] = m.cmd("info status")
            m.s.sendall(b"quit\r")
            res["exit"] = c.wait_exit(60)
        finally:
            c.kill()
    with open(a.out, "w") as f:
        json.dump({"exact": EXACT, "shape": SHAPE, "out": res}, f, indent=1)


if __name__ == "__main__":
    main()
