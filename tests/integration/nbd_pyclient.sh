# A protocol-level NBD client for tests/integration/nbd*.sh, written from the NBD protocol
# document (NetworkBlockDevice/nbd doc/proto.md), for what nbdinfo/qemu-io cannot send:
# old-style EXPORT_NAME with simple replies, malformed options and requests, lies about
# lengths, clients that vanish mid-request.  Sourced; write_pyclient puts it in the cwd.
# (No t_* cases here: the runner lists none for this file.)

write_pyclient() {
	cat >nbd_client.py <<'PY'
import hashlib, os, random, socket, struct, sys, time

NBDMAGIC, IHAVEOPT, REPMAGIC = 0x4e42444d41474943, 0x49484156454F5054, 0x3e889045565a9
REQ, SIMPLE, STRUCT = 0x25609513, 0x67446698, 0x668e33ef
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_STARTTLS, OPT_INFO, OPT_GO = 1, 2, 3, 5, 6, 7
OPT_SR, OPT_LIST_META, OPT_SET_META = 8, 9, 10
REP_ACK, REP_SERVER, REP_INFO, REP_META = 1, 2, 3, 4
ERR_UNSUP, ERR_POLICY, ERR_INVALID = 2**31 + 1, 2**31 + 2, 2**31 + 3
ERR_TLS_REQD, ERR_UNKNOWN = 2**31 + 5, 2**31 + 6
READ, WRITE, DISC, FLUSH, TRIM, CACHE, WZ, BS = range(8)
F_FUA, F_NO_HOLE, F_DF, F_REQ_ONE, F_FAST_ZERO = 1, 2, 4, 8, 16
EPERM, EIO, EINVAL, ENOSPC = 1, 5, 22, 28

failures = 0
def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1

class Closed(Exception):
    pass

class Client:
    def __init__(self, where):
        if where.startswith('tcp:'):
            self.s = socket.create_connection(('127.0.0.1', int(where[4:])))
        else:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.connect(where)
        self.s.settimeout(20)
        self.cookie = 0

    def send(self, b):
        self.s.sendall(b)

    def recvn(self, n):
        b = b''
        while len(b) < n:
            d = self.s.recv(n - len(b))
            if not d:
                raise Closed()
            b += d
        return b

    def closed_by_server(self, timeout=10):
        """True when the server ends the session (EOF or reset) within timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def hello(self, cflags=3):
        h = self.recvn(18)
        magic, opts, hflags = struct.unpack('>QQH', h)
        assert magic == NBDMAGIC and opts == IHAVEOPT, 'bad server hello'
        self.hflags = hflags
        self.send(struct.pack('>I', cflags))

    def opt(self, opt, data=b''):
        self.send(struct.pack('>QII', IHAVEOPT, opt, len(data)) + data)

    def reply(self):
        magic, opt, typ, ln = struct.unpack('>QIII', self.recvn(20))
        assert magic == REPMAGIC, 'bad option reply magic'
        return opt, typ, self.recvn(ln)

    def replies(self):
        out = []
        while True:
            o, t, d = self.reply()
            out.append((t, d))
            if t == REP_ACK or t >= 2**31:
                return out

    def go(self, name=b'', infos=(), opt=OPT_GO):
        self.opt(opt, struct.pack('>I', len(name)) + name + struct.pack('>H', len(infos)) +
                 b''.join(struct.pack('>H', i) for i in infos))
        reps = self.replies()
        info = {}
        for t, d in reps:
            if t == REP_INFO:
                info[struct.unpack('>H', d[:2])[0]] = d[2:]
        self.status = reps[-1][0]
        if 0 in info:
            self.size, self.tflags = struct.unpack('>QH', info[0])
        return reps[-1][0], info

    def structured(self):
        self.opt(OPT_SR)
        return self.reply()[1]

    def meta(self, opt, name, queries):
        d = struct.pack('>I', len(name)) + name + struct.pack('>I', len(queries))
        for q in queries:
            d += struct.pack('>I', len(q)) + q
        self.opt(opt, d)
        return self.replies()

    def request(self, typ, off, ln, flags=0, data=b''):
        self.cookie += 1
        self.send(struct.pack('>IHHQQI', REQ, flags, typ, self.cookie, off, ln) + data)
        return self.cookie

    def simple(self, want_data=0):
        magic, err, cookie = struct.unpack('>IIQ', self.recvn(16))
        assert magic == SIMPLE, 'expected a simple reply, magic %x' % magic
        data = self.recvn(want_data) if (want_data and not err) else b''
        return err, cookie, data

    def chunk(self):
        magic, flags, typ, cookie, ln = struct.unpack('>IHHQI', self.recvn(20))
        if magic == SIMPLE:
            # a simple reply is allowed for non-READ commands: 16 bytes, already 4 too many read
            raise AssertionError('simple reply where a chunk was expected')
        assert magic == STRUCT, 'bad reply magic %x' % magic
        return flags, typ, cookie, self.recvn(ln)

    def any_reply(self):
        """A reply to a payload-less command: (err, cookie), simple or structured."""
        head = self.recvn(4)
        magic = struct.unpack('>I', head)[0]
        if magic == SIMPLE:
            err, cookie = struct.unpack('>IQ', self.recvn(12))
            return err, cookie
        assert magic == STRUCT, 'bad reply magic %x' % magic
        err = 0
        while True:
            flags, typ, cookie, ln = struct.unpack('>HHQI', self.recvn(16))
            d = self.recvn(ln)
            if typ & 0x8000:
                err = struct.unpack('>I', d[:4])[0]
            if flags & 1:
                return err, cookie
            assert struct.unpack('>I', self.recvn(4))[0] == STRUCT

    def read_structured(self, off, ln, flags=0):
        c = self.request(READ, off, ln, flags)
        buf = bytearray(ln)
        err, nchunks, covered = 0, 0, 0
        while True:
            fl, typ, cookie, d = self.chunk()
            assert cookie == c
            nchunks += 1
            if typ == 1:
                o = struct.unpack('>Q', d[:8])[0]
                assert off <= o and o + len(d) - 8 <= off + ln, 'data chunk outside the request'
                buf[o - off:o - off + len(d) - 8] = d[8:]
                covered += len(d) - 8
            elif typ == 2:
                o, hl = struct.unpack('>QI', d)
                assert off <= o and o + hl <= off + ln and hl > 0, 'hole chunk outside the request'
                buf[o - off:o - off + hl] = bytes(hl)
                covered += hl
            elif typ & 0x8000:
                err = struct.unpack('>I', d[:4])[0]
            elif typ != 0:
                raise AssertionError('unexpected chunk type %d' % typ)
            if fl & 1:
                break
        if not err:
            assert covered == ln, 'read reply covers %d of %d bytes' % (covered, ln)
        return err, bytes(buf), nchunks

    def block_status(self, off, ln, flags=0):
        c = self.request(BS, off, ln, flags)
        exts, err = [], 0
        while True:
            fl, typ, cookie, d = self.chunk()
            if typ == 5:
                for i in range(4, len(d), 8):
                    exts.append(struct.unpack('>II', d[i:i + 8]))
            elif typ & 0x8000:
                err = struct.unpack('>I', d[:4])[0]
            if fl & 1:
                return err, exts

def connect_go(where, name=b'', sr=True, meta=True):
    c = Client(where)
    c.hello()
    if sr:
        assert c.structured() == REP_ACK
    if meta:
        c.meta(OPT_SET_META, name, [b'base:allocation'])
    st, _ = c.go(name, (3,))
    assert st == REP_ACK, 'GO failed: %x' % st
    return c

def mode_check(where, image):
    img = open(image, 'rb').read()
    size = len(img)
    # Old-style: NBD_OPT_EXPORT_NAME, no zeroes, simple replies only.
    c = Client(where)
    c.hello(cflags=3)
    c.opt(OPT_EXPORT_NAME, b'')
    sz, fl = struct.unpack('>QH', c.recvn(10))
    check(sz == size, 'EXPORT_NAME: size %d' % sz)
    check(fl & 1 == 1, 'EXPORT_NAME: HAS_FLAGS set')
    for off, ln in ((0, 4096), (1000, 70000), (size - 512, 512), (size // 2, 1 << 20)):
        ln = min(ln, size - off)
        c.request(READ, off, ln)
        err, _, d = c.simple(ln)
        check(err == 0 and d == img[off:off + ln], 'simple read %d+%d' % (off, ln))
    c.request(READ, size - 10, 20)
    err, _, _ = c.simple(20)
    check(err == EINVAL, 'simple read past the end: EINVAL (got %d)' % err)
    c.request(DISC, 0, 0)
    check(c.closed_by_server(), 'DISC closes the connection')

    # Fixed newstyle, options.
    c = Client(where)
    c.hello()
    check(c.hflags & 1 and c.hflags & 2, 'handshake flags FIXED_NEWSTYLE and NO_ZEROES')
    c.opt(77)
    check(c.reply()[1] == ERR_UNSUP, 'unknown option: NBD_REP_ERR_UNSUP')
    c.opt(OPT_LIST, b'x')
    check(c.reply()[1] == ERR_INVALID, 'LIST with data: NBD_REP_ERR_INVALID')
    c.opt(OPT_STARTTLS)
    check(c.reply()[1] in (ERR_POLICY, ERR_UNSUP), 'STARTTLS without TLS configured: ERR_POLICY')
    c.opt(OPT_SR, b'xy')
    check(c.reply()[1] == ERR_INVALID, 'STRUCTURED_REPLY with data: ERR_INVALID')
    c.opt(OPT_LIST)
    reps = c.replies()
    check(reps[-1][0] == REP_ACK and any(t == REP_SERVER for t, _ in reps), 'LIST: SERVER then ACK')
    st, _ = c.go(b'no-such-export', (), OPT_INFO)
    check(st == ERR_UNKNOWN, 'INFO for an unknown export: NBD_REP_ERR_UNKNOWN')
    c.opt(OPT_GO, struct.pack('>I', 100) + b'abc')
    check(c.reply()[1] == ERR_INVALID, 'GO with a name longer than the option: ERR_INVALID')
    reps = c.meta(OPT_SET_META, b'', [b'base:allocation'])
    check(reps[-1][0] == ERR_INVALID, 'SET_META_CONTEXT before STRUCTURED_REPLY: ERR_INVALID')
    check(c.structured() == REP_ACK, 'STRUCTURED_REPLY: ACK')
    reps = c.meta(OPT_LIST_META, b'', [])
    check(any(t == REP_META and d[4:] == b'base:allocation' for t, d in reps), 'LIST_META_CONTEXT lists base:allocation')
    reps = c.meta(OPT_SET_META, b'', [b'base:allocation', b'x-unknown:foo'])
    metas = [d for t, d in reps if t == REP_META]
    check(len(metas) == 1 and metas[0][4:] == b'base:allocation' and reps[-1][0] == REP_ACK,
          'SET_META_CONTEXT selects base:allocation only')
    st, info = c.go(b'', (1, 2, 3), OPT_INFO)
    check(st == REP_ACK and 0 in info and 3 in info, 'INFO: EXPORT and BLOCK_SIZE')
    st, info = c.go(b'', (3,))
    check(st == REP_ACK and c.size == size, 'GO: size %d' % c.size)
    minb, prefb, maxp = struct.unpack('>III', info[3])
    check(minb >= 1 and prefb >= 512 and maxp >= prefb, 'block sizes %d/%d/%d' % (minb, prefb, maxp))

    for off, ln in ((0, 4096), (3 << 20, 200000), (size - 4096, 4096), (0, min(size, 8 << 20))):
        err, d, n = c.read_structured(off, ln)
        check(err == 0 and d == img[off:off + ln], 'structured read %d+%d (%d chunks)' % (off, ln, n))
    if c.tflags & (1 << 7):
        err, d, n = c.read_structured(0, min(size, 4 << 20), F_DF)
        check(err == 0 and n == 1 and d == img[:min(size, 4 << 20)], 'DF read is one chunk')
    err, d, n = c.read_structured(size - 10, 20)
    check(err == EINVAL, 'structured read past the end: error chunk EINVAL (got %d)' % err)
    err, d, n = c.read_structured(2**64 - 512, 1024)
    check(err == EINVAL, 'read at an offset that overflows: EINVAL')
    err, exts = c.block_status(0, size)
    check(err == 0 and sum(l for l, _ in exts[:-1]) < size and sum(l for l, _ in exts) >= size,
          'BLOCK_STATUS covers the export (%d extents)' % len(exts))
    err, exts = c.block_status(4096, 1 << 20, F_REQ_ONE)
    check(err == 0 and len(exts) == 1 and exts[0][0] <= 1 << 20, 'BLOCK_STATUS REQ_ONE: one extent')
    c.request(99, 0, 0)
    check(c.any_reply()[0] == EINVAL, 'unknown command: EINVAL')
    c.request(FLUSH, 0, 0, 0x8000)
    check(c.any_reply()[0] == EINVAL, 'unknown command flag: EINVAL')
    c.request(READ, 0, 512, F_REQ_ONE)
    check(c.any_reply()[0] == EINVAL, 'READ with a BLOCK_STATUS flag: EINVAL')
    c.request(FLUSH, 0, 0)
    check(c.any_reply()[0] == 0, 'FLUSH')
    c.request(CACHE, 0, 4096)
    check(c.any_reply()[0] == 0, 'CACHE')
    c.request(DISC, 0, 0)
    check(c.closed_by_server(), 'DISC closes the connection')

    # BLOCK_STATUS without a metadata context
    c = connect_go(where, meta=False)
    c.request(BS, 0, 4096)
    check(c.any_reply()[0] == EINVAL, 'BLOCK_STATUS without SET_META_CONTEXT: EINVAL')
    c.request(DISC, 0, 0)

    # ABORT ends the session politely
    c = Client(where)
    c.hello()
    c.opt(OPT_ABORT)
    try:
        check(c.reply()[1] == REP_ACK, 'ABORT: ACK')
    except Closed:
        check(True, 'ABORT: closed')

def mode_write(where, image_size):
    """Writes, zeroes, trims and their errors on a writable export; prints the md5 of
    what the export holds afterwards for the caller to compare with the image."""
    size = int(image_size)
    c = connect_go(where)
    pat = bytes(random.Random(7).getrandbits(8) for _ in range(65536))
    c.request(WRITE, 4096, len(pat), 0, pat)
    check(c.any_reply()[0] == 0, 'WRITE 64k')
    c.request(WRITE, 100000, 1000, F_FUA, pat[:1000])
    check(c.any_reply()[0] == 0, 'WRITE with FUA, unaligned')
    c.request(WRITE, size - 100, 200, 0, bytes(200))
    check(c.any_reply()[0] in (ENOSPC, EINVAL), 'WRITE past the end: ENOSPC (or EINVAL)')
    if c.tflags & (1 << 6):
        c.request(WZ, 8192, 4096, F_NO_HOLE)
        check(c.any_reply()[0] == 0, 'WRITE_ZEROES NO_HOLE')
        c.request(WZ, 1 << 20, 1 << 20, 0)
        check(c.any_reply()[0] == 0, 'WRITE_ZEROES may unmap')
        if c.tflags & (1 << 11):
            c.request(WZ, 2 << 20, 1 << 20, F_FAST_ZERO)
            check(c.any_reply()[0] in (0, 95), 'WRITE_ZEROES FAST_ZERO: done or ENOTSUP')
    if c.tflags & (1 << 5):
        c.request(TRIM, 3 << 20, 1 << 20)
        check(c.any_reply()[0] == 0, 'TRIM')
    c.request(FLUSH, 0, 0)
    check(c.any_reply()[0] == 0, 'FLUSH')
    err, d, _ = c.read_structured(4096, 65536)
    check(err == 0 and d[:8192 - 4096] == pat[:4096] and d[4096:8192] == bytes(4096) and d[8192:] == pat[8192:],
          'read back the write and the zeroes')
    c.request(DISC, 0, 0)

def mode_readonly(where):
    c = connect_go(where)
    check(c.tflags & 2 != 0, 'READ_ONLY transmission flag')
    c.request(WRITE, 0, 512, 0, bytes(512))
    check(c.any_reply()[0] in (EPERM, EINVAL), 'WRITE on a read-only export refused (EPERM; qemu-nbd says EINVAL)')
    c.request(WZ, 0, 512)
    check(c.any_reply()[0] in (EPERM, EINVAL), 'WRITE_ZEROES on a read-only export refused')
    c.request(TRIM, 0, 512)
    check(c.any_reply()[0] in (EPERM, EINVAL), 'TRIM on a read-only export refused')
    err, d, _ = c.read_structured(0, 512)
    check(err == 0, 'reads still work')
    c.request(DISC, 0, 0)

def mode_parallel(where, n, image):
    img = open(image, 'rb').read()
    conns = [connect_go(where) for _ in range(int(n))]
    check(True, '%d connections in transmission phase at once' % len(conns))
    rnd = random.Random(1)
    for rounds in range(20):
        reqs = []
        for c in conns:
            off = rnd.randrange(0, len(img) - 65536)
            reqs.append((c, off, c.request(READ, off, 65536)))
        for c, off, cookie in reqs:
            data = bytearray(65536)
            while True:
                fl, typ, ck, d = c.chunk()
                assert ck == cookie
                if typ == 1:
                    o = struct.unpack('>Q', d[:8])[0] - off
                    data[o:o + len(d) - 8] = d[8:]
                elif typ & 0x8000:
                    raise AssertionError('read error')
                if fl & 1:
                    break
            if bytes(data) != img[off:off + 65536]:
                check(False, 'parallel read at %d' % off)
                return
    check(True, 'interleaved reads on %d connections' % len(conns))
    # Pipelining on one connection: many requests before any reply; replies may come
    # in any order but each cookie exactly once.
    c = conns[0]
    cookies = set(c.request(READ, (i * 4096) % (len(img) - 4096), 4096) for i in range(40))
    seen = set()
    while len(seen) < 40:
        fl, typ, ck, d = c.chunk()
        if fl & 1:
            seen.add(ck)
    check(seen == cookies, '40 pipelined requests answered once each')
    for c in conns:
        c.request(DISC, 0, 0)

def hostile(where, what, fn):
    try:
        c = Client(where)
        ok = fn(c)
    except (Closed, ConnectionResetError, BrokenPipeError):
        ok = True
    except socket.timeout:
        ok = False
    check(ok, 'hostile client: ' + what)

def mode_garbage(where):
    rnd = random.Random(42)
    def junk(n):
        return bytes(rnd.getrandbits(8) for _ in range(n))
    def after_go(c):
        c.hello()
        assert c.structured() == REP_ACK
        c.meta(OPT_SET_META, b'', [b'base:allocation'])
        st, _ = c.go(b'', (3,))
        assert st == REP_ACK
        return c

    hostile(where, 'junk instead of client flags',
            lambda c: (c.recvn(18), c.send(junk(4096)), c.closed_by_server())[2])
    hostile(where, 'unknown client flags', lambda c: (c.recvn(18), c.send(b'\xff\xff\xff\xff'), c.closed_by_server())[2])
    hostile(where, 'junk instead of an option', lambda c: (c.hello(), c.send(junk(3000)), c.closed_by_server())[2])
    hostile(where, 'option length 4 GiB', lambda c: (c.hello(), c.send(struct.pack('>QII', IHAVEOPT, OPT_GO, 0xffffffff) + junk(100)), c.closed_by_server())[2])
    def lying_meta(c):
        c.hello()
        c.structured()
        c.opt(OPT_SET_META, struct.pack('>I', 0) + struct.pack('>I', 3) + struct.pack('>I', 1000) + b'base:')
        t = c.reply()[1]
        c.opt(OPT_ABORT)
        return t == ERR_INVALID
    hostile(where, 'SET_META_CONTEXT with a lying query length gets ERR_INVALID', lying_meta)
    def lying_go(c):
        c.hello()
        c.opt(OPT_GO, struct.pack('>I', 2**32 - 1) + b'\0\0')
        t = c.reply()[1]
        c.opt(OPT_INFO, struct.pack('>I', 0) + struct.pack('>H', 500) + b'\0\3')
        t2 = c.reply()[1]
        return t == ERR_INVALID and t2 == ERR_INVALID
    hostile(where, 'GO/INFO with lying lengths get ERR_INVALID', lying_go)
    hostile(where, 'vanishes in the middle of an option',
            lambda c: (c.hello(), c.send(struct.pack('>QII', IHAVEOPT, OPT_GO, 100) + b'abc'), True)[2])
    hostile(where, 'bad request magic', lambda c: (after_go(c), c.send(junk(28)), c.closed_by_server())[2])
    hostile(where, 'write of 4 GiB', lambda c: (after_go(c), c.send(struct.pack('>IHHQQI', REQ, 0, WRITE, 1, 0, 0xffffffff) + junk(5000)), c.closed_by_server())[2])
    hostile(where, 'vanishes in the middle of a write payload', lambda c: (after_go(c), c.send(struct.pack('>IHHQQI', REQ, 0, WRITE, 1, 0, 1 << 20) + junk(1000)), True)[2])
    def vanish_pipelined(c):
        after_go(c)
        # The server stops reading once its replies back up: sending may block, which
        # is fine, the point is to leave with requests in flight.
        c.s.settimeout(2)
        try:
            for i in range(200):
                c.request(READ, 0, 1 << 20)
        except socket.timeout:
            pass
        c.s.close()
        return True
    hostile(where, 'pipelines 200 MiB of reads and vanishes', vanish_pipelined)
    def random_requests(c):
        after_go(c)
        n = 0
        for i in range(300):
            typ = rnd.choice([0, 1, 3, 4, 5, 6, 7, 8, 50, 65535])
            flags = rnd.choice([0, 0, 1, 2, 4, 8, 16, 32, 0xffff])
            off = rnd.choice([0, 512, c.size - 512, c.size, c.size + 1, 2**63, 2**64 - 1, rnd.getrandbits(64)])
            ln = rnd.choice([0, 1, 512, 4096, 1 << 20, 2**31, 2**32 - 1])
            data = b''
            if typ == WRITE:
                ln = min(ln, 8192)
                off = rnd.choice([0, c.size - 4096, c.size, 2**64 - 1])
                data = junk(ln)
            if typ == READ and flags == 0 and ln > 1 << 20:
                ln = 1 << 20
            c.request(typ, off, ln, flags, data)
            # a read answers with data chunks, everything else with a status
            head = c.recvn(4)
            if struct.unpack('>I', head)[0] == SIMPLE:
                c.recvn(12)
            else:
                while True:
                    fl, t, ck, l = struct.unpack('>HHQI', c.recvn(16))
                    c.recvn(l)
                    if fl & 1:
                        break
                    assert struct.unpack('>I', c.recvn(4))[0] == STRUCT
            n += 1
        c.request(DISC, 0, 0)
        return n == 300
    hostile(where, '300 random requests each answered', random_requests)
    hostile(where, 'closes right after connecting', lambda c: True)

def mode_tlsreq(where):
    """A server that requires TLS refuses everything but STARTTLS/ABORT before it."""
    c = Client(where)
    c.hello()
    c.opt(OPT_LIST)
    check(c.reply()[1] == ERR_TLS_REQD, 'LIST before STARTTLS: ERR_TLS_REQD')
    st, _ = c.go(b'', ())
    check(st == ERR_TLS_REQD, 'GO before STARTTLS: ERR_TLS_REQD')
    c.opt(OPT_EXPORT_NAME, b'')
    check(c.closed_by_server(), 'EXPORT_NAME before STARTTLS ends the session')

def main():
    mode, where = sys.argv[1], sys.argv[2]
    fn = {'check': mode_check, 'write': mode_write, 'readonly': mode_readonly,
          'parallel': mode_parallel, 'garbage': mode_garbage, 'tlsreq': mode_tlsreq}[mode]
    fn(where, *sys.argv[3:])
    sys.exit(1 if failures else 0)

main()
PY
}
