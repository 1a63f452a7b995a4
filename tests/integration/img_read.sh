#!/bin/bash
# qemu-img writes images of every kind; lemu-img must read back exactly what qemu-img
# reads (lemu-img convert -O raw against qemu-img convert -O raw, byte for byte).
. "$(dirname "$0")/img_lib.sh"

# A qcow2 written by qemu-io in several passes (allocations, overwrites, zeroes, discards).
qmk() {
	local f=$1
	shift
	qemu-img create -q -f qcow2 "$@" "$f" 6M || fail "qemu-img create $*"
	qwrite "$f" "write -P 0x11 0 1M" "write -P 0x22 700k 100k" "write -z 2M 512k" \
		"write -P 0x33 3000k 5k" "discard 0 64k" "write -P 0x44 5M 1M" "write -P 0x55 123k 1"
}

t_v2_v3() {
	qmk v2.qcow2 -o compat=0.10
	raw_of v2.qcow2
	qmk v3.qcow2 -o compat=1.1
	raw_of v3.qcow2
	qmk lazy.qcow2 -o lazy_refcounts=on
	raw_of lazy.qcow2
}

t_refcount_bits() {
	local rb
	for rb in 1 2 4 8 16 32 64; do
		qmk r$rb.qcow2 -o refcount_bits=$rb
		raw_of r$rb.qcow2
		qcheck r$rb.qcow2
	done
}

t_cluster_sizes() {
	local cs
	for cs in 512 1k 4k 16k 64k 256k 1M 2M; do
		qmk c$cs.qcow2 -o cluster_size=$cs
		raw_of c$cs.qcow2
		rm -f c$cs.qcow2
	done
}

t_compressed_zlib() {
	mkdata d.raw 12 11
	qemu-img convert -c -O qcow2 d.raw z.qcow2 || fail "qemu-img convert -c"
	raw_of z.qcow2
	"$LI" compare d.raw z.qcow2 >o 2>&1 || { cat o; fail "lemu-img compare"; }
	# small clusters: compressed data crosses host cluster boundaries
	qemu-img convert -c -O qcow2 -o cluster_size=4k d.raw z4.qcow2
	raw_of z4.qcow2
	# overwrite part of a compressed image (COW from compressed clusters)
	qwrite z.qcow2 "write -P 0x66 100k 10k"
	raw_of z.qcow2
}

t_compressed_zstd() {
	mkdata d.raw 12 12
	qemu-img convert -c -O qcow2 -o compression_type=zstd d.raw z.qcow2 || fail "qemu-img convert -c zstd"
	raw_of z.qcow2
	qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=2M d.raw z2.qcow2
	raw_of z2.qcow2
	qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=512 d.raw z512.qcow2
	raw_of z512.qcow2
}

t_backing_chain() {
	mkdata b.raw 8 13
	qemu-img convert -O qcow2 b.raw base.qcow2
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
	qwrite mid.qcow2 "write -P 0x21 64k 1M" "write -z 4M 1M"
	qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 10M
	qwrite top.qcow2 "write -P 0x31 900k 300k" "write -P 0x32 9M 1M" "discard 2M 1M"
	raw_of top.qcow2
	raw_of mid.qcow2
	# raw base, relative path in a subdirectory
	mkdir sub
	qemu-img create -q -f qcow2 -b ../b.raw -F raw sub/t.qcow2
	qwrite sub/t.qcow2 "write -P 0x41 0 4k"
	raw_of sub/t.qcow2
	# a shorter backing file: the rest reads as zeroes
	qemu-img create -q -f qcow2 small.qcow2 1M
	qwrite small.qcow2 "write -P 0x51 0 1M"
	qemu-img create -q -f qcow2 -b small.qcow2 -F qcow2 big.qcow2 4M
	raw_of big.qcow2
}

t_snapshots() {
	qmk s.qcow2
	qemu-img snapshot -c one s.qcow2
	qwrite s.qcow2 "write -P 0x77 0 3M"
	qemu-img snapshot -c two s.qcow2
	qwrite s.qcow2 "write -P 0x78 1M 3M" "discard 4M 1M"
	raw_of s.qcow2
	"$LI" snapshot -l s.qcow2 >l.txt
	qemu-img snapshot -l s.qcow2 >q.txt
	diff l.txt q.txt || fail "snapshot -l differs"
	# read the snapshots' contents without applying them (-l by name, id, options)
	local l
	for l in one 2 snapshot.name=two snapshot.id=1; do
		raw_of -l "$l" s.qcow2
	done
	both convert -l nope -O raw s.qcow2 x.raw
	[ "$lrc" = 1 ] && [ "$qrc" = 1 ] || fail "-l nope: $lrc/$qrc"
	both measure -l one -O qcow2 s.qcow2
	diff lo qo || fail "measure -l differs"
	# apply with qemu-img, read with lemu-img
	qemu-img snapshot -a one s.qcow2
	raw_of s.qcow2
}

t_preallocation() {
	local p
	for p in metadata falloc full; do
		qemu-img create -q -f qcow2 -o preallocation=$p p.qcow2 3M
		qwrite p.qcow2 "write -P 0x12 1M 4k"
		raw_of p.qcow2
		rm -f p.qcow2
	done
}

t_raw_formats() {
	mkdata d.raw 3 14
	raw_of -f raw d.raw
	raw_of d.raw
	qemu-img convert -O qcow2 d.raw d.qcow2
	raw_of -f qcow2 d.qcow2
}

# A raw file whose size is not a multiple of 512: QEMU rounds the virtual size up to a
# sector and reads the tail as zeroes.
t_raw_odd_size() {
	mkdata d.raw 2 16
	head -c 1000001 d.raw >odd.raw
	qemu-img info --output=json odd.raw >q.json
	"$LI" info --output=json odd.raw >l.json
	json_same l.json q.json
	raw_of odd.raw
	qemu-img convert -O qcow2 odd.raw odd.qcow2
	raw_of odd.qcow2
}

# lemu-img compare reads both images as qemu-img compare does.
t_compare_matches_qemu() {
	mkdata a.raw 4 15
	cp a.raw b.raw
	printf 'X' | dd of=b.raw bs=1 seek=1234567 conv=notrunc 2>/dev/null
	qemu-img convert -O qcow2 a.raw a.qcow2
	local x y
	for x in "a.raw a.qcow2" "a.raw b.raw" "a.qcow2 b.raw" "-s a.raw a.qcow2" "-s a.qcow2 a.qcow2"; do
		both compare $x
		[ "$lrc" = "$qrc" ] || fail "compare $x: exit $lrc, qemu-img $qrc"
		diff lo qo || fail "compare $x: output differs"
	done
	truncate -s 5M c.raw
	cat a.raw >c.raw
	truncate -s 5M c.raw
	for y in "a.raw c.raw" "-s a.raw c.raw" "a.raw nonexist"; do
		both compare $y
		[ "$lrc" = "$qrc" ] || fail "compare $y: exit $lrc, qemu-img $qrc"
		diff lo qo || fail "compare $y: output differs"
	done
}

# A damaged compressed cluster: both tools fail the same way at the same offset.
t_read_error() {
	mkdata d.raw 4 17
	qemu-img convert -c -O qcow2 d.raw c.qcow2
	python3 - <<'EOF2'
import struct
f = open("c.qcow2", "r+b"); h = f.read(104)
l1 = struct.unpack(">Q", h[40:48])[0]; f.seek(l1)
l2 = struct.unpack(">Q", f.read(8))[0] & 0x00fffffffffffe00
for i in range(8, 64):
    f.seek(l2 + 8 * i); e = struct.unpack(">Q", f.read(8))[0]
    if e >> 62 == 1:  # compressed: garble its data
        f.seek(e & ((1 << 54) - 1)); f.write(b"\xff" * 64)
        break
else:
    raise SystemExit("no compressed cluster found")
EOF2
	[ $? = 0 ] || fail "could not damage the image"
	local a
	for a in "convert -O raw c.qcow2 o.raw" "compare c.qcow2 d.raw"; do
		# shellcheck disable=SC2086
		both $a
		[ "$lrc" = "$qrc" ] || fail "$a: exit $lrc, qemu-img $qrc"
		diff <(grep '^lemu-img' le | sed 's/^lemu-img/qemu-img/') <(grep '^qemu-img' qe) || fail "$a: message differs"
	done
}

case_main "$@"
