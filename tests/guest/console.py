#!/usr/bin/env python3
"""Drive a guest's serial console: boot an emulator, type commands, collect their output.

    console.py [options] -- EMULATOR ARGS...

The emulator runs with its stdin and stdout on pipes (-nographic / -serial stdio), in its own
process group. The script waits for the guest's init marker and shell prompt, types each --cmd
as one line, and captures what it printed up to an end marker the shell adds after it. The last
step types --final (default "poweroff -f") and waits for the emulator to exit. Every wait has a
timeout; on a timeout the emulator's whole process group is killed, so this never hangs.

Options:
  --timeout S        seconds for the boot to reach the shell prompt (default 120)
  --cmd-timeout S    seconds per command (default 60)
  --exit-timeout S   seconds for the emulator to exit after --final (default 60)
  --marker TEXT      init marker line (default LEMU-GUEST-READY)
  --prompt TEXT      shell prompt (default "guest# ")
  --cmd CMD          a command to type (repeatable); output goes to OUTDIR/N.out, status N.rc
  --final CMD        the last line typed (default "poweroff -f"; "" types nothing and waits)
  --outdir DIR       where to write results (default .)
  --log FILE         the raw console transcript (default OUTDIR/console.log)
  --no-interactive   do not wait for the prompt: only wait for the emulator to exit
                     (for guests run with lemu.cmd=...)

Results: OUTDIR/N.out and N.rc for each command (N from 1), OUTDIR/exit (the emulator's exit
status). The script's own exit status: 0 when every step happened in time (the command
statuses and the emulator's status are for the caller to judge), 1 on a timeout or an early
exit of the emulator, 2 on a usage error. What went wrong is on stderr.
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import time

DONE_RE = re.compile(rb"==LEMU-DONE-(\d+)==")


class Console:
    def __init__(self, argv, log):
        self.log = open(log, "wb")
        self.buf = b""
        # Its own session/process group: a timeout kills the emulator and anything it spawned.
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.eof = False

    def _read(self, deadline):
        """Read what is there (waiting at most until deadline). False at EOF or deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
        if not r:
            return True
        try:
            data = os.read(self.proc.stdout.fileno(), 65536)
        except BlockingIOError:
            return True
        if not data:
            self.eof = True
            return False
        self.log.write(data)
        self.log.flush()
        self.buf += data.replace(b"\r", b"")
        return True

    def expect(self, pattern, timeout, what):
        """Wait until pattern (bytes regex) appears; consume the buffer up to its end."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                before = self.buf[:m.start()]
                self.buf = self.buf[m.end():]
                return before, m
            if not self._read(deadline):
                if self.eof:
                    fail("the emulator exited while waiting for %s (status %s)"
                         % (what, self.wait_exit(5)))
                fail("timeout after %gs waiting for %s" % (timeout, what))

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            fail("the emulator closed its stdin (it exited?)")

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if not self._read(deadline):
                time.sleep(0.05)
        if self.proc.poll() is None:
            return None
        while self._read(time.monotonic() + 0.2):
            pass
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


CONSOLE = None


def fail(msg):
    print("console.py: " + msg, file=sys.stderr)
    if CONSOLE is not None:
        CONSOLE.kill()
        tail = CONSOLE.buf[-600:].decode("utf-8", "replace")
        print("console.py: last console output:\n" + tail, file=sys.stderr)
    sys.exit(1)


def main():
    global CONSOLE
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--cmd-timeout", type=float, default=60)
    ap.add_argument("--exit-timeout", type=float, default=60)
    ap.add_argument("--marker", default="LEMU-GUEST-READY")
    ap.add_argument("--prompt", default="guest# ")
    ap.add_argument("--cmd", action="append", default=[])
    ap.add_argument("--final", default="poweroff -f")
    ap.add_argument("--outdir", default=".")
    ap.add_argument("--log")
    ap.add_argument("--no-interactive", action="store_true")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
    if not argv:
        ap.error("no emulator command after --")
    os.makedirs(a.outdir, exist_ok=True)
    exit_file = os.path.join(a.outdir, "exit")
    if os.path.exists(exit_file):
        os.unlink(exit_file)

    try:
        CONSOLE = c = Console(argv, a.log or os.path.join(a.outdir, "console.log"))
    except OSError as e:
        print("console.py: cannot run %s: %s" % (argv[0], e), file=sys.stderr)
        sys.exit(1)
    start = time.monotonic()
    c.expect(re.escape(a.marker.encode()) + rb"\n", a.timeout, "the init marker " + a.marker)
    if not a.no_interactive:
        left = max(a.timeout - (time.monotonic() - start), 1)
        c.expect(re.escape(a.prompt.encode()), left, "the shell prompt")
        # No echo of typed lines: busybox's line editor then reads plain lines (no redrawing,
        # no wrapping at 80 columns), and what comes back is only the commands' output.
        c.send("stty -echo\r")
        c.expect(re.escape(a.prompt.encode()), a.cmd_timeout, "the prompt after stty -echo")
        for i, cmd in enumerate(a.cmd, 1):
            # The marker is split by "" so that the echo of the typed line does not match.
            c.send("%s; echo ==LEMU\"\"-DONE-$?==\r" % cmd)
            out, m = c.expect(DONE_RE, a.cmd_timeout, "the end of command %d (%s)" % (i, cmd))
            with open(os.path.join(a.outdir, "%d.out" % i), "wb") as f:
                f.write(out)
            with open(os.path.join(a.outdir, "%d.rc" % i), "w") as f:
                f.write(m.group(1).decode() + "\n")
            c.expect(re.escape(a.prompt.encode()), a.cmd_timeout, "the prompt after command %d" % i)
        if a.final:
            c.send(a.final + "\r")
    rc = c.wait_exit(a.exit_timeout)
    if rc is None:
        fail("the emulator did not exit within %gs after '%s'" % (a.exit_timeout, a.final))
    with open(exit_file, "w") as f:
        f.write("%d\n" % rc)
    sys.exit(0)


if __name__ == "__main__":
    main()
