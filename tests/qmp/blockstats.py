#!/usr/bin/env python3
"""query-blockstats and info blockstats against a guest workload (tests/integration/virtio.sh).

    blockstats.py run --emu PROGRAM --work DIR [--timeout S]    -> DIR/blockstats.json
    blockstats.py compare ORACLE.json GOT.json
    blockstats.py names --emu PROGRAM --work DIR                -> DIR/names.json
    blockstats.py compare-names ORACLE.json GOT.json

run: boots the Debian guest of scripts/prepare-guest.sh with one 64 MiB raw virtio disk
(id=disk0, discard=unmap) and QMP on a unix socket, then, at the shell prompt, takes a
query-blockstats snapshot before and after each step of a fixed workload of direct
(O_DIRECT) I/O typed on the console, and one "info blockstats" line at the end.  Each step
is a separate console command, so the snapshots fall between requests the guest has
already completed: a counter's delta over a step is what the step made the guest send.

compare: the deltas of each step that are deterministic (bytes and operation counts of
reads, writes, flushes and discards the guest issued; no failed or invalid requests), the
final wr_highest_offset, and the reply's keys and JSON types (qmplib.compare, after the
first I/O so that idle_time_ns is present) must be the same as under QEMU.  Timings
(*_total_time_ns, idle_time_ns) are not compared, only required to be numbers that grow.
Exit status 0 when all agree; every difference is printed.

names/compare-names: without booting (-S), a -drive and a -blockdev node each on a
virtio-blk-pci, an unused -drive if=none and a -blockdev protocol node under a format node:
the backends listed (their order, "device" names, user node names, which have a qdev) and the
names on the info blockstats lines must be QEMU's.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import argparse
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
import qmplib  # noqa: E402
from console import Console  # noqa: E402
from session import wait_prompt  # noqa: E402

DISCARD_BYTES = 2 << 20

# The workload: (name, guest command).  Aligned direct I/O, so the page cache and
# readahead stay out of it and each dd block is one virtio request.
STEPS = [
    ("read", "dd if=/dev/vda of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null"),
    ("write", "dd if=/dev/zero of=/dev/vda bs=4k count=100 seek=1000 oflag=direct 2>/dev/null"),
    ("fsync", "dd if=/dev/zero of=/dev/vda bs=512 count=3 seek=40000 oflag=direct conv=fsync 2>/dev/null"),
    ("discard", "blkdiscard -o 1048576 -l %d /dev/vda" % DISCARD_BYTES),
    ("mixed", "dd if=/dev/vda of=/dev/vda bs=32k count=16 skip=8 seek=1024 iflag=direct oflag=direct 2>/dev/null"),
]

# Counters whose delta over a step is decided by what the guest sent.
EXACT = ["rd_bytes", "wr_bytes", "rd_operations", "wr_operations", "flush_operations",
         "failed_rd_operations", "failed_wr_operations", "failed_flush_operations",
         "failed_unmap_operations", "invalid_rd_operations", "invalid_wr_operations",
         "invalid_flush_operations", "invalid_unmap_operations",
         "rd_merged", "wr_merged", "unmap_merged"]
# QEMU 7.2's virtio-blk does not account discards at all (its unmap counters stay 0; its
# SCSI and IDE disks do count them); lemu counts every discard a device submits.  So the
# discard step is checked against its own command instead: blkdiscard -l DISCARD_BYTES.
TIMES = ["rd_total_time_ns", "wr_total_time_ns", "flush_total_time_ns", "unmap_total_time_ns"]

# Present in QEMU's reply, not in lemu's (docs/monitor.md): the protocol node under the
# format node, with counters QEMU keeps per node (no BlockBackend there).
OPTIONAL = {"$.return[].parent"}


def fail(msg, c=None):
    print("FAIL: " + msg)
    if c is not None:
        print("console (tail):\n" + c.buf[-800:].decode("utf-8", "replace"))
        c.kill()
    sys.exit(1)


def run(emu, work, timeout):
    guest = os.path.join(ROOT, ".cache", "guest")
    sock = os.path.join(work, "qmp.sock")
    disk = os.path.join(work, "disk.raw")
    with open(disk, "wb") as f:
        f.write(b"LEMU-BLOCKSTATS" * 1000)
        f.truncate(64 << 20)
    argv = [emu, "-accel", "tcg", "-m", "512", "-smp", "1", "-nographic", "-no-reboot",
            "-kernel", os.path.join(guest, "vmlinux"), "-initrd", os.path.join(guest, "initrd.gz"),
            "-append", "console=ttyS0 panic=-1",
            "-drive", "file=%s,format=raw,if=virtio,id=disk0,discard=unmap,cache=writeback" % disk,
            "-qmp", "unix:%s,server=on,wait=off" % sock]
    c = Console(argv, os.path.join(work, "console.log"))
    try:
        q = qmplib.QMP(sock, timeout=timeout)
        q.recv()
        q.cmd("qmp_capabilities")

        def snap():
            r = q.cmd("query-blockstats")
            if "return" not in r:
                fail("query-blockstats: %s" % json.dumps(r), c)
            return r

        wait_prompt(c, timeout)  # the shell, without echo
        res = {"emu": emu, "snaps": [snap()], "steps": [], "status": []}
        for name, cmd in STEPS:
            c.send("%s; echo ==BS-DONE-$?==\r" % cmd)
            _, m = c.expect(rb"==BS-DONE-(\d+)==", timeout, name)
            res["steps"].append(name)
            res["status"].append(int(m.group(1)))
            res["snaps"].append(snap())
        r = q.cmd("human-monitor-command", {"command-line": "info blockstats"})
        res["hmp"] = r.get("return", json.dumps(r))
        res["snaps"].append(snap())  # idle_time_ns has grown since the last I/O
        c.send("poweroff -f\r")
        rc = c.wait_exit(60)
        if rc != 0:
            fail("exit status %r after poweroff" % rc, c)
    finally:
        c.kill()
    with open(os.path.join(work, "blockstats.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    return 0


def names(emu, work, timeout):
    import subprocess
    for n in ("a.raw", "b.raw", "c.raw"):
        with open(os.path.join(work, n), "wb") as f:
            f.truncate(1 << 20)
    sock = os.path.join(work, "names.sock")
    guest = os.path.join(ROOT, ".cache", "guest")
    argv = [emu, "-accel", "tcg", "-display", "none", "-S", "-nodefaults",
            "-kernel", os.path.join(guest, "vmlinuz"),
            "-drive", "file=%s/a.raw,format=raw,if=none,id=da" % work,
            "-blockdev", "driver=file,node-name=fb,filename=%s/b.raw" % work,
            "-blockdev", "driver=raw,node-name=rb,file=fb",
            "-device", "virtio-blk-pci,drive=rb,id=vb",
            "-device", "virtio-blk-pci,drive=da",
            "-drive", "file=%s/c.raw,format=raw,if=none,id=dc" % work,
            "-qmp", "unix:%s,server=on,wait=off" % sock]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        q = qmplib.QMP(sock, timeout=timeout)
        q.recv()
        q.cmd("qmp_capabilities")
        res = {"stats": q.cmd("query-blockstats"),
               "hmp": q.cmd("human-monitor-command", {"command-line": "info blockstats"})}
        q.cmd("quit")
        p.wait(timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    with open(os.path.join(work, "names.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    return 0


def compare_names(oracle_file, got_file):
    def ident(res):
        # auto-generated node names (#blockNNN) differ between runs of QEMU itself
        return [(e.get("device"), e.get("node-name") if not e.get("node-name", "#").startswith("#") else "auto",
                 "qdev" in e) for e in res["stats"].get("return", [])]

    def hmp_names(res):
        return [x.split(":", 1)[0] for x in res["hmp"].get("return", "").splitlines()]
    ref = json.load(open(oracle_file))
    got = json.load(open(got_file))
    diffs = []
    if ident(got) != ident(ref):
        diffs.append("query-blockstats lists %r, oracle %r" % (ident(got), ident(ref)))
    if hmp_names(got) != hmp_names(ref):
        diffs.append("info blockstats names %r, oracle %r" % (hmp_names(got), hmp_names(ref)))
    for d in diffs:
        print("FAIL: " + d)
    return 1 if diffs else 0


def disk0(reply):
    for e in reply["return"]:
        if e.get("device") == "disk0":
            return e
    return None


def compare(oracle_file, got_file):
    ref = json.load(open(oracle_file))
    got = json.load(open(got_file))
    diffs = []
    if got["status"] != ref["status"]:
        diffs.append("guest command statuses %r, oracle %r" % (got["status"], ref["status"]))
    rs = [disk0(s) for s in ref["snaps"]]
    gs = [disk0(s) for s in got["snaps"]]
    if None in rs or None in gs:
        print("FAIL: no disk0 in a query-blockstats reply")
        return 1
    nonzero = set()
    for i, name in enumerate(ref["steps"]):
        for k in EXACT:
            dr = rs[i + 1]["stats"][k] - rs[i]["stats"][k]
            dg = gs[i + 1]["stats"][k] - gs[i]["stats"][k]
            if dr:
                nonzero.add(k)
            if dr != dg:
                diffs.append("step %s: %s grew by %d, under the oracle by %d" % (name, k, dg, dr))
            if dr or dg:
                print("%-8s %-26s oracle %+10d  got %+10d" % (name, k, dr, dg))
    i = ref["steps"].index("discard")
    d = {k: gs[i + 1]["stats"][k] - gs[i]["stats"][k] for k in ("unmap_bytes", "unmap_operations")}
    if d["unmap_bytes"] != DISCARD_BYTES or d["unmap_operations"] < 1:
        diffs.append("blkdiscard of %d bytes: unmap counters grew by %r" % (DISCARD_BYTES, d))
    # the test must be able to fail: the workload moved the main counters under the oracle
    for k in ("rd_bytes", "wr_bytes", "rd_operations", "wr_operations", "flush_operations"):
        if k not in nonzero:
            diffs.append("the workload did not move %s under the oracle" % k)
    hr, hg = rs[-1]["stats"]["wr_highest_offset"], gs[-1]["stats"]["wr_highest_offset"]
    if hr != hg:
        diffs.append("wr_highest_offset %d, oracle %d" % (hg, hr))
    for k in TIMES:
        if gs[-1]["stats"][k] < gs[0]["stats"][k]:
            diffs.append("%s went down" % k)
    for k in ("rd_total_time_ns", "wr_total_time_ns"):
        if gs[-1]["stats"][k] <= gs[0]["stats"][k]:
            diffs.append("%s did not grow" % k)
    if "idle_time_ns" not in gs[-1]["stats"]:
        diffs.append("no idle_time_ns after I/O")
    elif gs[-1]["stats"]["idle_time_ns"] < gs[-2]["stats"].get("idle_time_ns", 0):
        diffs.append("idle_time_ns went down with no I/O in between")
    # keys and JSON types of the whole reply, after I/O
    for d in qmplib.compare(qmplib.shape(ref["snaps"][-1]), qmplib.shape(got["snaps"][-1]), "$", OPTIONAL):
        diffs.append("reply shape: " + d)
    # info blockstats: QEMU's line layout, with the same counters as the QMP reply
    # (QEMU also lists its default empty drives, ide1-cd0, floppy0, sd0: lemu has none)
    def disk0_line(text):
        return next((x for x in text.splitlines() if x.startswith("disk0: ")), "")
    gl, rl = disk0_line(got["hmp"]), disk0_line(ref["hmp"])
    if re.sub(r"=\d+", "=N", gl) != re.sub(r"=\d+", "=N", rl) or not gl:
        diffs.append("info blockstats: %r, oracle %r" % (gl, rl))
    m = dict(re.findall(r"(\w+)=(\d+)", gl))
    for k in ("rd_bytes", "wr_bytes", "rd_operations", "wr_operations", "flush_operations"):
        if int(m.get(k, -1)) != gs[-1]["stats"][k]:
            diffs.append("info blockstats %s=%s, query-blockstats %d" % (k, m.get(k), gs[-1]["stats"][k]))
    for d in diffs:
        print("FAIL: " + d)
    return 1 if diffs else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run")
    r.add_argument("--emu", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--timeout", type=float, default=120)
    n = sub.add_parser("names")
    n.add_argument("--emu", required=True)
    n.add_argument("--work", required=True)
    n.add_argument("--timeout", type=float, default=60)
    for name in ("compare", "compare-names"):
        c = sub.add_parser(name)
        c.add_argument("oracle")
        c.add_argument("got")
    a = ap.parse_args()
    if a.mode in ("run", "names"):
        os.makedirs(a.work, exist_ok=True)
        return (run if a.mode == "run" else names)(a.emu, os.path.abspath(a.work), a.timeout)
    return (compare if a.mode == "compare" else compare_names)(a.oracle, a.got)


if __name__ == "__main__":
    sys.exit(main())
