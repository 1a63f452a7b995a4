#!/bin/bash
# lemu-img writes images; qemu-img (the oracle) must find them clean (qemu-img check) and
# identical to their source (qemu-img compare). SUITE_MODE=check: each case runs once.
. "$(dirname "$0")/img_lib.sh"

t_create_raw() {
	run 0 "$LI" create -f raw r.img 1G
	grep -q "^Formatting 'r.img', fmt=raw size=1073741824$" out || { cat out; fail "Formatting line"; }
	[ "$(stat -c %s r.img)" = 1073741824 ] || fail "raw size $(stat -c %s r.img)"
	qemu-img info --output=json r.img >q.json && "$LI" info --output=json r.img >l.json
	json_same l.json q.json
}

# The "Formatting ..." line is the same as qemu-img's for the same options.
t_create_output() {
	local o i=0
	for o in "" "compat=0.10" "cluster_size=4k,refcount_bits=64" "lazy_refcounts=on" \
		"compression_type=zstd" "preallocation=metadata" "refcount_bits=1,cluster_size=512"; do
		i=$((i + 1))
		"$LI" create -f qcow2 ${o:+-o "$o"} x$i.qcow2 100M >lo 2>le || { cat le; fail "create -o $o"; }
		qemu-img create -f qcow2 ${o:+-o "$o"} x$i.qcow2 100M >qo 2>qe || fail "qemu-img create -o $o"
		diff lo qo || fail "create -o '$o': Formatting line differs"
	done
}

# Every combination lemu-img can create passes qemu-img check and reads as zeroes; info
# agrees with qemu-img's on the same file.
t_create_qcow2_matrix() {
	local compat cs rb o n=0
	for compat in 0.10 1.1; do
		for cs in 512 4096 65536 2M; do
			for rb in 1 8 16 64; do
				[ "$compat" = 0.10 ] && [ "$rb" != 16 ] && continue
				o="compat=$compat,cluster_size=$cs,refcount_bits=$rb"
				run 0 "$LI" create -q -f qcow2 -o "$o" m.qcow2 70M
				qcheck m.qcow2
				qemu-img info --output=json m.qcow2 >q.json
				"$LI" info --output=json m.qcow2 >l.json || fail "info $o"
				json_same l.json q.json
				rm -f m.qcow2
				n=$((n + 1))
			done
		done
	done
	[ $n = 20 ] || fail "ran $n combinations"
}

t_create_backing() {
	mkdata base.raw 8
	qemu-img convert -O qcow2 base.raw base.qcow2 || fail "qemu-img convert"
	run 0 "$LI" create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
	grep -q "size=8388608 backing_file=base.qcow2 backing_fmt=qcow2" out || { cat out; fail "Formatting line"; }
	qcheck top.qcow2
	same top.qcow2 base.raw
	qwrite top.qcow2 "write -P 0x5a 100k 300k"
	qcheck top.qcow2
	raw_of top.qcow2
	qemu-img info --output=json --backing-chain top.qcow2 >q.json
	"$LI" info --output=json --backing-chain top.qcow2 >l.json
	json_same l.json q.json
	# a missing backing file is refused unless -u
	run 1 "$LI" create -f qcow2 -b nope.qcow2 -F qcow2 t2.qcow2
	grep -q "nope.qcow2" err || fail "error does not name the backing file"
	run 0 "$LI" create -f qcow2 -u -b nope.qcow2 -F qcow2 t3.qcow2 1M
	qemu-img info t3.qcow2 -U >/dev/null 2>&1 || true
}

t_convert_raw_to_qcow2() {
	mkdata src.raw 40
	run 0 "$LI" convert -O qcow2 src.raw out.qcow2
	qcheck out.qcow2
	same out.qcow2 src.raw
	# sparse: not much bigger than the data
	local q l
	q=$(qemu-img convert -O qcow2 src.raw q.qcow2 && stat -c %s q.qcow2)
	l=$(stat -c %s out.qcow2)
	[ "$l" -le $((q + q / 4 + 1048576)) ] || fail "lemu image $l bytes, qemu-img's $q"
}

t_convert_qcow2_to_raw() {
	mkdata src.raw 24
	qemu-img convert -O qcow2 src.raw src.qcow2
	run 0 "$LI" convert -O raw src.qcow2 out.raw
	same_raw out.raw src.raw
	run 0 "$LI" convert -f qcow2 -O raw -S 0 src.qcow2 full.raw
	same_raw full.raw src.raw
	[ "$(du -k full.raw | cut -f1)" -ge 24000 ] || fail "-S 0 did not fully allocate"
}

t_convert_compressed_zlib() {
	mkdata src.raw 24 3
	run 0 "$LI" convert -c -O qcow2 src.raw c.qcow2
	qcheck c.qcow2
	same c.qcow2 src.raw
	qemu-img check --output=json c.qcow2 | grep -q '"compressed-clusters"' || fail "no compressed clusters"
	qemu-img info c.qcow2 | grep -q "compression type: zlib" || fail "not zlib"
}

t_convert_compressed_zstd() {
	mkdata src.raw 24 4
	run 0 "$LI" convert -c -O qcow2 -o compression_type=zstd,cluster_size=16k src.raw c.qcow2
	qcheck c.qcow2
	same c.qcow2 src.raw
	qemu-img info c.qcow2 | grep -q "compression type: zstd" || fail "not zstd"
	qemu-img check --output=json c.qcow2 | grep -q '"compressed-clusters"' || fail "no compressed clusters"
	raw_of c.qcow2
}

t_convert_options() {
	mkdata a.raw 6 5
	mkdata b.raw 3 6
	# several sources are concatenated
	run 0 "$LI" convert -m 1 -W -O qcow2 -o cluster_size=4k a.raw b.raw ab.qcow2
	cat a.raw b.raw >ab.raw
	qcheck ab.qcow2
	same ab.qcow2 ab.raw
	# -n writes into an existing image (with old data that must be overwritten)
	qemu-img create -q -f qcow2 n.qcow2 9M
	qwrite n.qcow2 "write -P 0x77 0 9M"
	run 0 "$LI" convert -n -O qcow2 ab.raw n.qcow2
	qcheck n.qcow2
	same n.qcow2 ab.raw
	# cache modes
	run 0 "$LI" convert -t none -T writeback -O raw ab.qcow2 t.raw
	same_raw t.raw ab.raw
	# -p prints qemu-img's progress lines
	run 0 "$LI" convert -p -O qcow2 ab.raw p.qcow2
	tr '\r' '\n' <out | grep -q '^    (100.00/100%)$' || { od -c out | head; fail "no progress"; }
	# errors as qemu-img
	run 1 "$LI" convert -O raw -c a.raw x.raw
	grep -q "Compression not supported for this file format" err || fail "-c raw"
	run 1 "$LI" convert -O qcow2 -S 3 a.raw x.qcow2
	run 1 "$LI" convert -m 17 -O qcow2 a.raw x.qcow2
	run 1 "$LI" convert -O qcow2 -B a.raw a.raw x.qcow2
	grep -q "explicit backing format" err || fail "-B without -F"
	run 1 "$LI" convert -O raw nonexist.img x.raw
	grep -q "Could not open 'nonexist.img'" err || fail "missing source"
}

# convert -B: only the source's top layer is copied, the output gets the backing file.
t_convert_backing_B() {
	mkdata base.raw 8 7
	qemu-img convert -O qcow2 base.raw base.qcow2
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
	qwrite top.qcow2 "write -P 0x11 1M 512k" "write -z 3M 64k"
	run 0 "$LI" convert -O qcow2 -B base.qcow2 -F qcow2 top.qcow2 out.qcow2
	qcheck out.qcow2
	same out.qcow2 top.qcow2
	qemu-img info --output=json out.qcow2 | grep -q '"backing-filename": "base.qcow2"' || fail "no backing"
	# only the top's data went into out.qcow2
	[ "$(stat -c %s out.qcow2)" -lt 3000000 ] || fail "out.qcow2 copied the backing data"
}

# Convert qcow2 with internal snapshots and a backing chain to a flat qcow2.
t_convert_chain_flatten() {
	mkdata base.raw 6 8
	qemu-img convert -O qcow2 base.raw base.qcow2
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
	qwrite mid.qcow2 "write -P 0x22 0 1M"
	qemu-img snapshot -c s1 mid.qcow2
	qwrite mid.qcow2 "write -P 0x33 512k 1M"
	qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
	qwrite top.qcow2 "write -P 0x44 5M 1M" "discard 0 64k"
	run 0 "$LI" convert -O qcow2 top.qcow2 flat.qcow2
	qcheck flat.qcow2
	same flat.qcow2 top.qcow2
	qemu-img info flat.qcow2 | grep -q "backing file" && fail "flat image has a backing file"
	return 0
}

# lemu-img writes data into every layout: small and huge clusters, narrow and wide
# refcounts, v2, compressed with the extreme cluster sizes.
t_convert_layouts() {
	mkdata src.raw 5 10
	local o
	for o in "cluster_size=512" "cluster_size=2M" "refcount_bits=1,cluster_size=4k" \
		"refcount_bits=64" "compat=0.10" "lazy_refcounts=on" "preallocation=metadata" \
		"preallocation=full,cluster_size=16k"; do
		run 0 "$LI" convert -O qcow2 -o "$o" src.raw o.qcow2
		qcheck o.qcow2
		same o.qcow2 src.raw
		rm -f o.qcow2
	done
	for o in "cluster_size=512" "cluster_size=2M" "compression_type=zstd,refcount_bits=2,cluster_size=1k" \
		"compat=0.10"; do
		run 0 "$LI" convert -c -O qcow2 -o "$o" src.raw o.qcow2
		qcheck o.qcow2
		same o.qcow2 src.raw
		rm -f o.qcow2
	done
}

# Images written by lemu-img itself (snapshots, writes via commit) pass qemu-img check.
t_snapshot_lemu() {
	mkdata d.raw 4 9
	qemu-img convert -O qcow2 d.raw s.qcow2
	run 0 "$LI" snapshot -c first s.qcow2
	qcheck s.qcow2
	qwrite s.qcow2 "write -P 0x99 0 2M"
	run 0 "$LI" snapshot -c second s.qcow2
	qcheck s.qcow2
	qemu-img snapshot -l s.qcow2 | grep -q " first " || fail "qemu-img does not list 'first'"
	qemu-img snapshot -l s.qcow2 | grep -q " second " || fail "qemu-img does not list 'second'"
	# the fields qemu-img snapshot -c records (icount 0, no VM state) are the same
	qemu-img snapshot -c third s.qcow2
	qemu-img info --output=json s.qcow2 | python3 -c '
import json, sys
s = json.load(sys.stdin)["snapshots"]
keys = [sorted(k for k in x if not k.startswith("date")) for x in s]
assert all(k == keys[-1] for k in keys), keys
assert all(x["icount"] == 0 and x["vm-state-size"] == 0 for x in s), s' || fail "snapshot fields differ from qemu-img's"
	qemu-img snapshot -d third s.qcow2
	run 0 "$LI" snapshot -a first s.qcow2
	qcheck s.qcow2
	same s.qcow2 d.raw
	run 0 "$LI" snapshot -d second s.qcow2
	qcheck s.qcow2
	qemu-img snapshot -l s.qcow2 | grep -q " second " && fail "second not deleted"
	# the listing matches qemu-img's (same image)
	"$LI" snapshot -l s.qcow2 >l.txt
	qemu-img snapshot -l s.qcow2 >q.txt
	diff l.txt q.txt || fail "snapshot -l differs"
	run 1 "$LI" snapshot -a nope s.qcow2
	run 1 "$LI" snapshot -d nope s.qcow2
}

case_main "$@"
