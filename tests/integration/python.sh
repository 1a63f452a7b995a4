#!/bin/bash
# python3 (dynamically linked, large): the interpreter's arithmetic, json, re, threads,
# subprocess and hashlib, native vs lemu-x86_64.
. "$(dirname "$0")/../lib/case.sh"
suite_requires() { command -v python3 >/dev/null || { echo "python3 missing"; return 1; }; }
py() { $E /usr/bin/python3 -S -c "$@"; }

t_hello() { py 'print("hello from python")'; }
t_int() { py 'print(2**200, 3**-2, 7//-2, -7%3, divmod(10**30+7, 97), (1<<64)-1, int("ff", 16), hex(-255), 10**50 // 3**40)'; }
t_bigint() { py 'import math; f = math.factorial(300); print(f % (10**9+7), len(str(f)), math.isqrt(10**101), pow(3, 10**5, 10**9+9), math.gcd(2**120-1, 2**90-1))'; }
t_float() { py 'import math; print(0.1+0.2, 1/3, 1e308*10, -1e308*10, math.sqrt(2), math.sin(1), math.exp(1), math.log(10), 2.5.hex(), float("nan") != float("nan"), round(2.675, 2), 1e-320, math.fsum([0.1]*10), math.fmod(-7.5, 2), 10**0.5, math.atan2(1, -1))'; }
t_float_fmt() { py 'print("%.17g %.3e %a %r" % (1/7, 123456.789, 0.1, 1e22), format(1234567.891, ",.2f"), float("1e-400"), float.fromhex("0x1.fffffffffffffp+1023"))'; }
t_decimal_fraction() { py 'from decimal import Decimal, getcontext; from fractions import Fraction; getcontext().prec = 50; print(Decimal(1) / Decimal(7), Fraction(3, 7) + Fraction(5, 11), Decimal("2").sqrt())'; }
t_json() { py 'import json; d = {"a": [1, 2.5, None, True], "b": {"c": "\u00e9\u4e2d", "d": -1e-5}, "n": 2**70}; s = json.dumps(d, sort_keys=True); print(s); print(json.loads(s) == d, json.dumps(json.loads("[1e400, -0.0, 12345678901234567890]")))'; }
t_re() { py 'import re; t = open("'"$FIX"'/text.txt").read(); print(re.findall(r"\b[a-z]{5}\b", t)); print(re.sub(r"(\w+) (\w+)", r"\2 \1", t)[:120]); print(re.split(r"[,;:!]\s*", t)[:6]); print(bool(re.fullmatch(r"(a|b)*abb", "ababb")))'; }
t_strings() { py 's = "Héllo, Wörld ✓"; print(s.upper(), s.encode("utf-8"), len(s.encode("utf-16")), s[::-1], "-".join(sorted(set("mississippi"))), f"{255:#010b} {3.14159:8.3f} {12:>5}")'; }
t_collections() { py 'import collections, itertools, heapq; c = collections.Counter(open("'"$FIX"'/words.txt").read().split()); print(c.most_common(5)); print(list(itertools.permutations("abc", 2))); h = [5, 1, 8, 3, 9, 2]; heapq.heapify(h); print([heapq.heappop(h) for _ in range(6)])'; }
t_sort_dict() { py 'import random; r = random.Random(42); l = [r.randint(-10**6, 10**6) for _ in range(20000)]; l.sort(); print(l[:5], l[-5:], sum(l)); d = {i: i*i for i in range(10000)}; print(sum(d.values()), len(d))'; }
t_threads() { py 'import threading
lock = threading.Lock(); total = [0]
def work(n):
    for i in range(n):
        with lock:
            total[0] += i
ts = [threading.Thread(target=work, args=(20000,)) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(total[0], threading.active_count())'; }
t_thread_pool() { py 'from concurrent.futures import ThreadPoolExecutor
import hashlib
with ThreadPoolExecutor(4) as ex: print(list(ex.map(lambda i: hashlib.sha256(str(i).encode()).hexdigest()[:16], range(12))))'; }
t_subprocess() { py 'import subprocess; r = subprocess.run(["echo", "from", "echo"], capture_output=True, text=True); print(repr(r.stdout), r.returncode); print(subprocess.call(["sh", "-c", "exit 3"]))'; }
t_hashlib() { py 'import hashlib, zlib, binascii; d = open("'"$FIX"'/big.txt", "rb").read(); print(hashlib.md5(d).hexdigest(), hashlib.sha1(d).hexdigest(), hashlib.sha256(d).hexdigest(), hashlib.sha512(d).hexdigest()[:32], hashlib.blake2b(d).hexdigest()[:32], hashlib.sha3_256(d).hexdigest()[:32], zlib.crc32(d), binascii.crc32(d[:100]))'; }
t_zlib() { py 'import zlib, bz2, lzma; d = open("'"$FIX"'/big.txt", "rb").read(); z = zlib.compress(d, 9); print(len(z), zlib.decompress(z) == d, len(bz2.compress(d[:100000])), lzma.decompress(lzma.compress(d[:50000])) == d[:50000])'; }
t_struct_files() { py 'import struct, os; open("f", "wb").write(struct.pack("<iqdf3s", -5, 2**40, 1.5, 2.25, b"abc")); b = open("f", "rb").read(); print(b.hex(), struct.unpack("<iqdf3s", b), os.path.getsize("f"), sorted(os.listdir(".")))'; }
t_exception_exit() { py 'import sys
try:
    1 / 0
except ZeroDivisionError as e:
    print("caught", e)
sys.exit(5)'; }
t_signals() { py 'import signal, os, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(0.5)
print(got == [signal.SIGUSR1, signal.SIGALRM], signal.getsignal(signal.SIGINT) is signal.default_int_handler)'; }
t_fork_pipe_select() { py 'import os, select
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r); os.write(w, b"x" * 100000); os._exit(9)
os.close(w); data = b""
while True:
    rl, _, _ = select.select([r], [], [], 5)
    chunk = os.read(r, 65536)
    if not chunk: break
    data += chunk
_, st = os.waitpid(pid, 0)
print(len(data), os.WEXITSTATUS(st))'; }
t_socketpair_mmap() { py 'import socket, mmap, threading
a, b = socket.socketpair()
t = threading.Thread(target=lambda: b.sendall(bytes(range(256)) * 1000)); t.start()
n = 0
while n < 256000: n += len(a.recv(65536))
t.join(); print(n)
m = mmap.mmap(-1, 1 << 20); m[12345:12350] = b"lemu!"; print(m[12340:12352], m.find(b"!"))'; }
t_recursion() { py 'import sys; sys.setrecursionlimit(10000)
def f(n): return 0 if n == 0 else 1 + f(n - 1)
print(f(5000))'; }

case_main "$@"
