#!/bin/bash
# lemu-img check on clean, leaky and corrupt images (made by editing bytes of images
# qemu-img wrote): exit codes and output as qemu-img's; -r repairs what qemu-img repairs.
. "$(dirname "$0")/img_lib.sh"

# damage IMG MODE: edit a qcow2 in place (first L2 table, second entry's cluster).
#   leak     drop the L2 entry: the data cluster keeps refcount 1 with no reference
#   leak3    three unreferenced clusters with refcount 1 inside the file
#   refzero  refcount of a used data cluster set to 0 (corruption)
#   reftwo   refcount of a used data cluster set to 2 (leak-like mismatch, COPIED flag)
#   l2off    an L2 entry pointing at an unaligned offset (corruption)
damage() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
path, mode = sys.argv[1], sys.argv[2]
f = open(path, "r+b")
h = f.read(104)
cluster_bits = struct.unpack(">I", h[20:24])[0]
cs = 1 << cluster_bits
l1_off = struct.unpack(">Q", h[40:48])[0]
rt_off = struct.unpack(">Q", h[48:56])[0]
order = struct.unpack(">I", h[96:100])[0] if struct.unpack(">I", h[4:8])[0] >= 3 else 4
assert order == 4, "test images use 16-bit refcounts"
f.seek(rt_off); rb = struct.unpack(">Q", f.read(8))[0]
f.seek(l1_off); l2 = struct.unpack(">Q", f.read(8))[0] & 0x00fffffffffffe00
f.seek(l2 + 8); e = struct.unpack(">Q", f.read(8))[0]
d = e & 0x00fffffffffffe00
def setref(cluster, v):
    f.seek(rb + 2 * cluster); f.write(struct.pack(">H", v))
if mode == "leak":
    f.seek(l2 + 8); f.write(b"\0" * 8)
elif mode == "leak3":
    for i in (2, 3, 4):
        f.seek(l2 + 8 * i); f.write(b"\0" * 8)
elif mode == "refzero":
    setref(d // cs, 0)
elif mode == "reftwo":
    setref(d // cs, 2)
elif mode == "l2off":
    f.seek(l2 + 8); f.write(struct.pack(">Q", e | 0x200))
f.close()
EOF
}

mkq() {
	qemu-img create -q -f qcow2 "$1" 16M
	qwrite "$1" "write -P 3 0 512k" "write -P 4 2M 128k"
}

# check_same ARGS... IMG: exit code and stdout (human or JSON) agree; for -r, both tools repair their own copy of IMG.
check_same() {
	local img=${*: -1} args=("${@:1:$#-1}")
	cp "$img" l.qcow2
	cp "$img" q.qcow2
	"$LI" check "${args[@]}" l.qcow2 >lo 2>le
	lrc=$?
	qemu-img check "${args[@]}" q.qcow2 >qo 2>qe
	qrc=$?
	sed -i 's/l\.qcow2/IMG/g' lo le
	sed -i 's/q\.qcow2/IMG/g' qo qe
	[ "$lrc" = "$qrc" ] || { cat lo le; fail "check ${args[*]} $img: exit $lrc, qemu-img $qrc"; }
	local ign=()
	if [[ " ${args[*]} " == *" -r "* ]]; then
		# Where a repair puts rebuilt refcount structures is each tool's choice: the file
		# end may differ, nothing else.
		sed -i '/^Image end offset: /d' lo qo
		ign=(image-end-offset)
	fi
	if [[ " ${args[*]} " == *" --output=json "* ]]; then
		json_same lo qo "${ign[@]}"
	else
		diff lo qo || fail "check ${args[*]} $img: output differs"
	fi
	# The per-problem lines on stderr are the block layer's wording; only their
	# presence is compared.
	[ -s qe ] && [ ! -s le ] && fail "check ${args[*]} $img: no messages (qemu-img: $(head -n1 qe))"
	return 0
}

t_clean() {
	mkq c.qcow2
	check_same c.qcow2
	check_same --output=json c.qcow2
	check_same -r leaks c.qcow2
	check_same -r all c.qcow2
}

t_raw_no_check() {
	truncate -s 1M r.raw
	both check r.raw
	[ "$lrc" = 63 ] && [ "$qrc" = 63 ] || fail "raw: exit $lrc, qemu-img $qrc"
	both check -f raw --output=json r.raw
	[ "$lrc" = 63 ] && [ "$qrc" = 63 ] || fail "raw json: exit $lrc, qemu-img $qrc"
}

t_leak() {
	mkq x.qcow2
	damage x.qcow2 leak
	check_same x.qcow2
	check_same --output=json x.qcow2
	check_same -r leaks x.qcow2
	check_same -r all --output=json x.qcow2
	# after lemu-img's repair, qemu-img finds the image clean and the data intact
	cp x.qcow2 y.qcow2
	run 0 "$LI" check -r leaks y.qcow2
	qcheck y.qcow2
	raw_of y.qcow2
}

t_leak_many() {
	mkq x.qcow2
	damage x.qcow2 leak3
	check_same x.qcow2
	check_same -q x.qcow2
	check_same -r all x.qcow2
}

t_corrupt_refcount_zero() {
	mkq x.qcow2
	damage x.qcow2 refzero
	check_same x.qcow2
	check_same --output=json x.qcow2
	check_same -r leaks x.qcow2
	check_same -r all x.qcow2
	cp x.qcow2 y.qcow2
	run 0 "$LI" check -r all y.qcow2
	qcheck y.qcow2
}

t_refcount_too_high() {
	mkq x.qcow2
	damage x.qcow2 reftwo
	check_same x.qcow2
	check_same -r all x.qcow2
}

t_corrupt_l2_offset() {
	mkq x.qcow2
	damage x.qcow2 l2off
	check_same x.qcow2
	check_same --output=json x.qcow2
}

# Errors in the options are the same as qemu-img's.
t_options() {
	mkq c.qcow2
	both check -r foo c.qcow2
	[ "$lrc" = 1 ] && [ "$qrc" = 1 ] || fail "-r foo: $lrc/$qrc"
	sed -i 's/lemu-img/qemu-img/g' le
	diff le qe || fail "-r foo message"
	both check --output=xml c.qcow2
	[ "$lrc" = 1 ] && [ "$qrc" = 1 ] || fail "--output=xml: $lrc/$qrc"
	both check nonexist.qcow2
	[ "$lrc" = "$qrc" ] || fail "missing file: $lrc/$qrc"
	sed -i 's/lemu-img/qemu-img/g' le
	diff le qe || fail "missing file message"
}

case_main "$@"
