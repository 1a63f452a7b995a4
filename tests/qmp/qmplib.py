"""A small QMP client and the reply-shape comparison used by the monitor tests.

QMP (docs/interop/qmp-spec.txt of QEMU): one JSON object per message; the server greets,
the client sends {"execute": ..., "arguments": ..., "id": ...}, the server answers with
{"return": ...} or {"error": {"class", "desc"}} and sends {"event", "data", "timestamp"}
at any time. Used both against qemu-system-x86_64 (tests/qmp/record.py writes the golden
files) and against lemu-system-x86_64 (tests/integration/qmp*.sh), so it must not know
anything about either implementation.
"""
import json
import os
import socket
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, timeout=60.0):
        """Connect to a unix socket (retrying while the emulator starts up)."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise QMPError("cannot connect to %s" % path)
                time.sleep(0.05)
        s.settimeout(timeout)
        self.sock = s
        self.buf = b""
        self.events = []
        self.raw_lines = []  # every line received, as bytes (CRLF checks)
        self.timeout = timeout

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def recv(self):
        """The next message (dict); None at EOF.  Messages may span lines (pretty=on)."""
        dec = json.JSONDecoder()
        while True:
            text = self.buf.lstrip(b" \t\r\n")
            if text:
                try:
                    obj, end = dec.raw_decode(text.decode("utf-8", "replace"))
                except ValueError:
                    obj = None
                if obj is not None:
                    raw = text.decode("utf-8", "replace")[:end].encode()
                    rest = text[len(raw):]
                    # the line end that follows the message (kept for the CRLF check)
                    while len(rest) < 2 and self._fill():
                        rest = self.buf.lstrip(b" \t\r\n")[len(raw):]
                    nl = rest[:2] if rest.startswith(b"\r\n") else rest[:1]
                    self.raw_lines.append(raw + nl)
                    self.buf = rest[len(nl):]
                    return obj
            if not self._fill():
                return None

    def _fill(self):
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise QMPError("timeout waiting for a message")
        if not d:
            return False
        self.buf += d
        return True

    def reply(self):
        """The next non-event message; events go to self.events."""
        while True:
            m = self.recv()
            if m is None:
                raise QMPError("connection closed")
            if "event" in m:
                self.events.append(m)
                continue
            return m

    def cmd(self, name, args=None, id=None):
        req = {"execute": name}
        if args is not None:
            req["arguments"] = args
        if id is not None:
            req["id"] = id
        self.send_raw(json.dumps(req) + "\n")
        return self.reply()

    def wait_event(self, name, timeout=None):
        for i, e in enumerate(self.events):
            if e["event"] == name:
                return self.events.pop(i)
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                m = self.recv()
            except (QMPError, socket.timeout):
                break
            finally:
                self.sock.settimeout(self.timeout)
            if m is None:
                break
            if "event" in m:
                if m["event"] == name:
                    return m
                self.events.append(m)
        raise QMPError("no %s event" % name)


# --- shapes -------------------------------------------------------------------------

def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def shape(v):
    """A JSON-able description of v's keys and types.  Arrays merge their elements:
    {"array": element shape or None}; objects {"object": {key: [shape, always?]}}."""
    t = jtype(v)
    if t == "object":
        return {"object": {k: [shape(x), True] for k, x in v.items()}}
    if t == "array":
        m = None
        for x in v:
            m = merge(m, shape(x))
        return {"array": m}
    return t


def merge(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) and isinstance(b, dict) and "object" in a and "object" in b:
        keys = {}
        for k in set(a["object"]) | set(b["object"]):
            x, y = a["object"].get(k), b["object"].get(k)
            if x and y:
                keys[k] = [merge(x[0], y[0]), x[1] and y[1]]
            else:
                keys[k] = [(x or y)[0], False]
        return {"object": keys}
    if isinstance(a, dict) and isinstance(b, dict) and "array" in a and "array" in b:
        return {"array": merge(a["array"], b["array"])}
    if a == b:
        return a
    return {"union": sorted({json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)})}


def compare(ref, got, path="$", optional=()):
    """Differences between a reference shape (QEMU) and ours, as a list of strings.
    Keys QEMU always sends must be present; we may not send keys QEMU never sends;
    types must agree.  `optional` lists paths whose presence may differ."""
    out = []
    if ref is None or got is None:
        return out  # an empty array on one side: nothing to compare
    if isinstance(got, dict) and "union" in got:
        if isinstance(ref, dict) and "union" in ref and set(got["union"]) <= set(ref["union"]):
            return out
        return ["%s: types %s, reference %s" % (path, got["union"], desc(ref))]
    if isinstance(ref, dict) and "union" in ref:
        if json.dumps(got, sort_keys=True) in ref["union"]:
            return out
        if isinstance(got, str) and got in [json.loads(u) for u in ref["union"]]:
            return out
        # a union of object shapes: compare with the first object alternative
        alts = [json.loads(u) for u in ref["union"]]
        objs = [a for a in alts if isinstance(a, dict) and "object" in a]
        if isinstance(got, dict) and "object" in got and objs:
            best = None
            for a in objs:
                d = compare(a, got, path, optional)
                if best is None or len(d) < len(best):
                    best = d
            return best
        return ["%s: type %s, reference has one of %s" % (path, desc(got), ref["union"])]
    if isinstance(ref, str) or isinstance(got, str):
        if ref != got:
            out.append("%s: type %s, reference %s" % (path, desc(got), desc(ref)))
        return out
    if "array" in ref:
        if "array" not in got:
            return ["%s: type %s, reference array" % (path, desc(got))]
        return compare(ref["array"], got["array"], path + "[]", optional)
    if "object" not in got:
        return ["%s: type %s, reference object" % (path, desc(got))]
    rk, gk = ref["object"], got["object"]
    for k, (s, always) in sorted(rk.items()):
        p = path + "." + k
        if k not in gk:
            if always and p not in optional:
                out.append("%s: missing (the reference always has it)" % p)
            continue
        out += compare(s, gk[k][0], p, optional)
    for k in sorted(gk):
        p = path + "." + k
        if k not in rk and p not in optional:
            out.append("%s: not in the reference" % p)
    return out


def desc(s):
    if isinstance(s, str):
        return s
    if isinstance(s, dict):
        return next(iter(s))
    return repr(s)


# --- the request list shared by the recorder and the tests ---------------------------

def load_requests(path=None):
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.json")
    with open(path) as f:
        return json.load(f)
