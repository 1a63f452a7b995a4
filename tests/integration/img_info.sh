#!/bin/bash
# info, map and measure: lemu-img and qemu-img print the same (parsed JSON, and the human
# forms) for the same image. Nothing is ignored except where named at the call.
. "$(dirname "$0")/img_lib.sh"

# A set of images made by qemu-img/qemu-io.
mkimages() {
	mkdata d.raw 5 21
	qemu-img convert -O qcow2 d.raw plain.qcow2
	qemu-img convert -O qcow2 -o compat=0.10 d.raw v2.qcow2
	qemu-img convert -c -O qcow2 d.raw zlib.qcow2
	qemu-img convert -c -O qcow2 -o compression_type=zstd d.raw zstd.qcow2
	qemu-img create -q -f qcow2 -o cluster_size=4k,refcount_bits=1 small.qcow2 3M
	qwrite small.qcow2 "write -P 1 0 100k" "write -z 1M 64k" "write -z -u 2M 8k"
	qemu-img create -q -f qcow2 -b plain.qcow2 -F qcow2 top.qcow2
	qwrite top.qcow2 "write -P 2 64k 64k" "write -z 1M 1M" "discard 3M 64k"
	qemu-img create -q -f qcow2 -o preallocation=metadata pre.qcow2 2M
	qemu-img create -q -f qcow2 -o lazy_refcounts=on lazy.qcow2 2M
	qemu-img convert -O qcow2 d.raw snap.qcow2
	qemu-img snapshot -c s1 snap.qcow2
	qemu-img snapshot -c "second snapshot" snap.qcow2
	mkdir sub
	qemu-img create -q -f qcow2 -b ../plain.qcow2 -F qcow2 sub/rel.qcow2
	qemu-img create -q -f qcow2 -b d.raw -F raw rawback.qcow2
	# dirty: lazy refcounts and the dirty bit set (a writer that never closed the image)
	qemu-img create -q -f qcow2 -o lazy_refcounts=on dirty.qcow2 4M
	qwrite dirty.qcow2 "write -P 1 0 1M"
	python3 -c "
import struct
f = open('dirty.qcow2', 'r+b'); f.seek(72); v = struct.unpack('>Q', f.read(8))[0]
f.seek(72); f.write(struct.pack('>Q', v | 1))"
}
IMAGES="d.raw plain.qcow2 v2.qcow2 zlib.qcow2 zstd.qcow2 small.qcow2 top.qcow2 pre.qcow2
	lazy.qcow2 snap.qcow2 sub/rel.qcow2 rawback.qcow2 dirty.qcow2"

t_info_json() {
	mkimages
	for f in $IMAGES; do
		qemu-img info --output=json "$f" >q.json || fail "qemu-img info $f"
		"$LI" info --output=json "$f" >l.json 2>le || { cat le; fail "lemu-img info $f"; }
		json_same l.json q.json
	done
}

t_info_backing_chain() {
	mkimages
	for f in top.qcow2 sub/rel.qcow2 rawback.qcow2; do
		qemu-img info --output=json --backing-chain "$f" >q.json
		"$LI" info --output=json --backing-chain "$f" >l.json 2>le || { cat le; fail "info chain $f"; }
		json_same l.json q.json
		qemu-img info --backing-chain "$f" >q.txt
		"$LI" info --backing-chain "$f" >l.txt
		diff l.txt q.txt || fail "info --backing-chain $f (human) differs"
	done
}

# The human form too (dates of snapshots in the local time zone, TZ=UTC here).
t_info_human() {
	mkimages
	for f in $IMAGES; do
		qemu-img info "$f" >q.txt
		"$LI" info "$f" >l.txt 2>le || { cat le; fail "lemu-img info $f"; }
		diff l.txt q.txt || fail "info $f (human) differs"
	done
}

t_map_json() {
	mkimages
	for f in $IMAGES; do
		qemu-img map --output=json "$f" >q.json || fail "qemu-img map $f"
		"$LI" map --output=json "$f" >l.json 2>le || { cat le; fail "lemu-img map $f"; }
		json_same l.json q.json
	done
	qemu-img map --output=json --start-offset=1M --max-length=2M top.qcow2 >q.json
	"$LI" map --output=json --start-offset=1M --max-length=2M top.qcow2 >l.json
	json_same l.json q.json
}

t_map_human() {
	mkimages
	for f in d.raw plain.qcow2 v2.qcow2 small.qcow2 top.qcow2 pre.qcow2 sub/rel.qcow2 rawback.qcow2; do
		qemu-img map "$f" >q.txt
		"$LI" map "$f" >l.txt 2>le || { cat le; fail "lemu-img map $f"; }
		diff l.txt q.txt || fail "map $f (human) differs"
	done
	# compressed clusters have no host offset to show: both refuse
	both map zlib.qcow2
	[ "$lrc" = "$qrc" ] || fail "map zlib.qcow2: exit $lrc, qemu-img $qrc"
}

t_measure() {
	mkimages
	local o f
	for o in "-O qcow2" "-O raw" "-O qcow2 -o cluster_size=4k" "-O qcow2 -o preallocation=full" \
		"-O qcow2 -o refcount_bits=1,cluster_size=512" "-O qcow2 -o compat=0.10"; do
		for f in "--size 1G" "--size 0" "--size 3M" "d.raw" "plain.qcow2" "top.qcow2" "zlib.qcow2" "snap.qcow2"; do
			# shellcheck disable=SC2086
			qemu-img measure --output=json $o $f >q.json 2>qe || { cat qe; fail "qemu-img measure $o $f"; }
			# shellcheck disable=SC2086
			"$LI" measure --output=json $o $f >l.json 2>le || { cat le; fail "lemu-img measure $o $f"; }
			json_same l.json q.json
			# shellcheck disable=SC2086
			both measure $o $f
			diff lo qo || fail "measure $o $f (human) differs"
		done
	done
	both measure -O qcow2
	[ "$lrc" = 1 ] && [ "$qrc" = 1 ] || fail "measure without size: $lrc/$qrc"
	both measure --size 1G -O qcow2 d.raw
	[ "$lrc" = 1 ] && [ "$qrc" = 1 ] || fail "measure with both: $lrc/$qrc"
}

t_check_json_clean() {
	mkimages
	for f in plain.qcow2 v2.qcow2 zlib.qcow2 zstd.qcow2 small.qcow2 top.qcow2 pre.qcow2 snap.qcow2 dirty.qcow2; do
		cp dirty.qcow2 dirty.orig
		qemu-img check --output=json "$f" >q.json
		"$LI" check --output=json "$f" >l.json 2>le || { cat le; fail "lemu-img check $f"; }
		cp dirty.orig dirty.qcow2
		json_same l.json q.json
		both check "$f"
		cp dirty.orig dirty.qcow2
		diff lo qo || fail "check $f (human) differs"
	done
}

# Human sizes ("999 KiB", "0.977 MiB", "1.5 GiB") as QEMU's size_to_str prints them.
t_info_sizes() {
	local n
	for n in 0 512 1024 1536 511488 1023488 1024000 1048064 1048576 1572864 104857600 \
		1073741312 1610612736 1099511627776 1125899906842624 5000000000000000; do
		truncate -s "$n" s.raw
		qemu-img info -f raw s.raw >q.txt
		"$LI" info -f raw s.raw >l.txt
		diff <(grep size l.txt) <(grep size q.txt) || fail "size $n"
	done
}

case_main "$@"
