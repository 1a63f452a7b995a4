#!/bin/bash
# Helpers shared by tests/integration/img*.sh (lemu-img against qemu-img, the oracle).
# Sourced by those files; run directly it is an empty case file (no t_* cases).
SUITE_MODE=check
. "$(dirname "${BASH_SOURCE[0]}")/../lib/case.sh"

# lemu-img under test: $LEMU_IMG, else next to the emulators (build/ or build/tools/).
img_find() {
	local d
	[ -n "${LEMU_IMG:-}" ] && { echo "$LEMU_IMG"; return; }
	d=$(dirname "${LEMU_X86_64:-build/lemu-x86_64}")
	for f in "$d/lemu-img" "$d/tools/lemu-img"; do
		[ -x "$f" ] && { echo "$f"; return; }
	done
	echo "$d/tools/lemu-img"
}
LI=$(img_find)

suite_requires() {
	command -v qemu-img >/dev/null || { echo "qemu-img missing (qemu-utils)"; return 1; }
	command -v qemu-io >/dev/null || { echo "qemu-io missing (qemu-utils)"; return 1; }
	command -v python3 >/dev/null || { echo "python3 missing"; return 1; }
	[ -x "$LI" ] || { echo "lemu-img not built ($LI)"; return 1; }
}

fail() { echo "FAIL: $*"; exit 1; }

# run WANT CMD...: run CMD with stdout/stderr in out/err, check the exit status.
run() {
	local want=$1 rc
	shift
	"$@" >out 2>err
	rc=$?
	[ "$rc" = "$want" ] || {
		echo "stdout:"; head -n 20 out; echo "stderr:"; head -n 20 err
		fail "$* exited $rc, want $want"
	}
}

# Both tools' stdout and exit status for the same arguments (lo/le/lrc and qo/qe/qrc).
both() {
	"$LI" "$@" >lo 2>le; lrc=$?
	qemu-img "$@" >qo 2>qe; qrc=$?
}

# qcheck IMG: qemu-img check must find IMG clean.
qcheck() {
	qemu-img check "$1" >qc.out 2>&1 || { cat qc.out; fail "qemu-img check $1 is not clean"; }
}
# same A B [FMT_A FMT_B]: qemu-img compare says identical (as a guest sees them).
same() {
	local fa=() fb=()
	[ -n "${3:-}" ] && fa=(-f "$3")
	[ -n "${4:-}" ] && fb=(-F "$4")
	qemu-img compare "${fa[@]}" "${fb[@]}" "$1" "$2" >cmp.out 2>&1 || { cat cmp.out; fail "$1 and $2 differ"; }
}
# same_raw A B: byte-identical files
same_raw() { cmp "$1" "$2" || fail "$1 and $2 are not byte-identical"; }

# mkdata FILE SIZE_MIB [SEED]: a raw image with data, zero runs and holes, deterministic.
mkdata() {
	python3 - "$1" "$2" "${3:-1}" <<'EOF'
import random, sys
f, mib, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
size = mib << 20
with open(f, "wb") as o:
    o.truncate(size)
    off = 0
    while off < size:
        n = r.choice([512, 4096, 65536, 200000, 1 << 20])
        kind = r.random()
        if kind < 0.45:
            o.seek(off)
            n = min(n, size - off)
            # compressible and incompressible data alternate
            if r.random() < 0.5:
                o.write(bytes([r.randrange(256)]) * n)
            else:
                o.write(r.randbytes(n))
        elif kind < 0.55:
            o.seek(off)
            o.write(b"\0" * min(n, size - off))
        off += n + r.choice([0, 0, 512, 65536, 300000])
EOF
}

# json_same A B [IGNORED_KEY...]: the two JSON documents are equal once the named keys are
# dropped everywhere (keys that legitimately differ between the tools).
json_same() {
	python3 - "$@" <<'EOF' || fail "JSON differs: $1 vs $2"
import json, sys
a, b, ign = sys.argv[1], sys.argv[2], set(sys.argv[3:])
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ign}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
A, B = strip(json.load(open(a))), strip(json.load(open(b)))
if A != B:
    print("lemu-img:", json.dumps(A, indent=1, sort_keys=True))
    print("qemu-img:", json.dumps(B, indent=1, sort_keys=True))
    sys.exit(1)
EOF
}

# raw_of IMG: both tools' raw conversions of IMG are byte-identical (lemu-img reads IMG right).
raw_of() {
	"$LI" convert -O raw "$@" l.raw >lo 2>le || { cat le; fail "lemu-img convert -O raw $*"; }
	qemu-img convert -O raw "$@" q.raw >qo 2>qe || { cat qe; fail "qemu-img convert -O raw $*"; }
	same_raw l.raw q.raw
	rm -f l.raw q.raw
}

# qwrite IMG 'qemu-io command'...: write through qemu-io.
qwrite() {
	local f=$1 a=()
	shift
	for c in "$@"; do a+=(-c "$c"); done
	qemu-io "${a[@]}" "$f" >/dev/null 2>qio.err || { cat qio.err; fail "qemu-io $*"; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case_main "$@"
fi
