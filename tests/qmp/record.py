#!/usr/bin/env python3
"""Run the QMP requests of tests/qmp/requests.json against an emulator and record the replies.

    record.py [--emu PROGRAM] [--out FILE] [--compare GOLDEN]

The VM is the same for every emulator: the guest kernel and initramfs of
scripts/prepare-guest.sh, -accel tcg -m 512 -smp 2, a 16 MiB raw disk on virtio-blk
(-drive if=virtio,id=disk0), a virtio-rng-pci with id=rng0, -name qmp-shape, started
paused (-S), QMP on a unix socket.  The replies are written as JSON:
    {"greeting": ..., "steps": {TAG: {"reply": ..., "events": {NAME: event}}}}

The golden file tests/qmp/golden-qemu-7.2.json was written by
    python3 tests/qmp/record.py --emu qemu-system-x86_64 --out tests/qmp/golden-qemu-7.2.json
with Debian's qemu-system-x86_64 7.2.  With --compare, the replies' shapes (keys and JSON
types, not values) are compared with the golden file's and every difference is printed;
the exit status is 1 if there is one.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qmplib  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Paths whose presence legitimately differs between QEMU and lemu (see docs/monitor.md):
# values QEMU only reports for features lemu lacks.
OPTIONAL = {
    # QEMU lists the block driver's format-specific data (raw has none) and dirty bitmaps
    "$.return[].inserted.image.format-specific",
    "$.return[].inserted.dirty-bitmaps",
}


def run_session(emu, workdir, extra=()):
    guest = os.path.join(ROOT, ".cache", "guest")
    disk = os.path.join(workdir, "disk.raw")
    with open(disk, "wb") as f:
        f.truncate(16 << 20)
    sock = os.path.join(workdir, "qmp.sock")
    argv = [emu, "-accel", "tcg", "-m", "512", "-smp", "2", "-display", "none",
            "-serial", "file:" + os.path.join(workdir, "serial.log"), "-S",
            "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", os.path.join(guest, "initrd.gz"),
            "-append", "console=ttyS0 panic=-1",
            "-drive", "file=%s,format=raw,if=virtio,id=disk0" % disk,
            "-device", "virtio-rng-pci,id=rng0", "-name", "qmp-shape",
            "-qmp", "unix:%s,server=on,wait=off" % sock] + list(extra)
    log = open(os.path.join(workdir, "emu.log"), "wb")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    result = {"argv": argv[1:], "steps": {}}
    try:
        q = qmplib.QMP(sock, timeout=60)
        result["greeting"] = q.recv()
        for step in qmplib.load_requests():
            if "raw" in step:
                # Garbage may draw several errors (QEMU's lexer reports each bad token):
                # a sync command after it collects them all.
                q.send_raw(step["raw"])
                q.send_raw(json.dumps({"execute": "query-status", "id": "sync"}) + "\n")
                reply = []
                while True:
                    m = q.reply()
                    if m.get("id") == "sync":
                        break
                    reply.append(m)
            else:
                req = json.loads(json.dumps(step["send"]).replace("@DIR@", workdir))
                q.send_raw(json.dumps(req) + "\n")
                reply = q.reply()
            evs = {}
            for name in step.get("events", []):
                evs[name] = q.wait_event(name)
            result["steps"][step["tag"]] = {"reply": reply, "events": evs}
        # after quit: the emulator exits by itself
        result["exit"] = proc.wait(timeout=60)
        result["crlf"] = all(line.endswith(b"\r\n") for line in q.raw_lines)
        q.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return result


def compare_results(ref, got):
    diffs = []
    d = qmplib.compare(qmplib.shape(ref["greeting"]), qmplib.shape(got["greeting"]), "greeting")
    diffs += d
    for tag, r in ref["steps"].items():
        g = got["steps"].get(tag)
        if g is None:
            diffs.append("%s: no reply" % tag)
            continue
        rr, gr = r["reply"], g["reply"]
        if isinstance(rr, list):
            # garbage: at least one error, each shaped as QEMU's first one
            if not gr:
                diffs.append("%s: no error reply" % tag)
                continue
            rr, grs = rr[0], gr
        else:
            grs = [gr]
        for gr in grs:
            for d in qmplib.compare(qmplib.shape(rr), qmplib.shape(gr), "$", OPTIONAL):
                diffs.append("%s: %s" % (tag, d))
        # the error class is part of the protocol, not just its type
        rc = rr.get("error", {}).get("class")
        gc = gr.get("error", {}).get("class")
        if rc != gc:
            diffs.append("%s: error class %s, reference %s" % (tag, gc, rc))
        if "id" in rr and rr["id"] != gr.get("id"):
            diffs.append("%s: id %r, reference %r" % (tag, gr.get("id"), rr["id"]))
        for name, ev in r["events"].items():
            for d in qmplib.compare(qmplib.shape(ev), qmplib.shape(g["events"].get(name)), "$"):
                diffs.append("%s: event %s: %s" % (tag, name, d))
    return diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", default="qemu-system-x86_64")
    ap.add_argument("--out")
    ap.add_argument("--compare")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="qmp-record.") as d:
        res = run_session(a.emu, d)
        res["argv"] = [x.replace(d, "@DIR@") for x in res["argv"]]
        text = json.dumps(res, indent=1, sort_keys=True).replace(d, "@DIR@")
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    if a.compare:
        with open(a.compare) as f:
            ref = json.load(f)
        diffs = compare_results(ref, json.loads(text))
        for x in diffs:
            print(x)
        print("%d steps compared, %d differences" % (len(ref["steps"]), len(diffs)))
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
