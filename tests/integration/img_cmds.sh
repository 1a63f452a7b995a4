#!/bin/bash
# resize, rebase, commit, amend, dd, bench, image locking and the command line itself
# (sizes, errors, exit codes), each checked against qemu-img doing the same.
. "$(dirname "$0")/img_lib.sh"

# same_msg: lemu-img's stderr equals qemu-img's once the program name is swapped.
same_msg() {
	sed -i 's/lemu-img/qemu-img/g' le
	diff le qe || fail "messages differ for: $*"
}

t_sizes() {
	local s
	for s in 1k 1.5k 1K 1b 1B 0 1T 0x10 " 1" 1.9999k 1.0009k 5.k 0.5k 1.5E 010 1m 1g +5 \
		1x 1.5 1e3 8E 16E 18446744073709551615 1M5 1kB "" .5k 1.5b 0x1.5k "1 k"; do
		"$LI" create -f raw -o preallocation=off x.raw "$s" >lo 2>le
		lrc=$?
		qemu-img create -f raw -o preallocation=off x.raw "$s" >qo 2>qe
		qrc=$?
		# very large sizes fail later in the file layer with messages of its own
		case $s in 1T | 1.5E) [ "$lrc" = "$qrc" ] || [ "$lrc" = 1 ] || fail "size '$s': $lrc/$qrc"; continue ;; esac
		[ "$lrc" = "$qrc" ] || { cat le; fail "size '$s': exit $lrc, qemu-img $qrc"; }
		diff lo qo || fail "size '$s': output differs"
		same_msg "size '$s'"
	done
}

t_usage_errors() {
	local a
	touch x.qcow2
	for a in "" "foo" "info" "info -Z x" "info --foo x" "info --output=xml x" "info -f" \
		"create x.img" "create -f foo x.img 1M" "create -f qcow2 -o foo=bar x.qcow2 1M" \
		"create -f qcow2 -o lazy_refcounts=foo x.qcow2 1M" "create -f qcow2 -o cluster_size=abc x.qcow2 1M" \
		"create -f qcow2 -o refcount_bits=abc x.qcow2 1M" "create -f qcow2 x.qcow2 1M extra" \
		"create -f qcow2 -o size=5M x.qcow2 1M" "create -f raw -b a.raw -F raw r.raw 1M" \
		"convert x" "convert -O foo x y" "convert -m 0 x y" "convert -t foo -O raw x y" \
		"check -r foo x.qcow2" "snapshot -l -c a x.qcow2" "amend x.qcow2" "dd if=x" \
		"dd if=x of=y bs=0" "dd if=x of=y foo=1" "dd if=x of=y count=x" "resize" "resize x.qcow2" \
		"measure -O qcow2" "measure --size 1x -O qcow2" "compare x.qcow2" "map" "bench -c x x.qcow2" \
		"bench --flush-interval=5 x.qcow2" "bench -w -d 8 --flush-interval=5 x.qcow2" \
		"bench -w --pattern=300 x.qcow2" "rebase x.qcow2"; do
		# shellcheck disable=SC2086
		both $a
		[ "$lrc" = "$qrc" ] || { cat le; fail "'$a': exit $lrc, qemu-img $qrc"; }
		same_msg "$a"
	done
}

t_create_help() {
	both create -f qcow2 -o help
	diff lo qo || fail "create -f qcow2 -o help"
	both create -f raw -o help x.raw
	[ "$lrc" = 0 ] || fail "create -o help exit $lrc"
	grep -q "size=<size>" lo || fail "no size option listed"
	both convert -O qcow2 -o help
	diff lo qo || fail "convert -O qcow2 -o help"
	both amend -f qcow2 -o help x.qcow2
	[ "$lrc" = "$qrc" ] || fail "amend -o help: $lrc/$qrc"
	grep -q "compat=<str>" lo || fail "amend help lists no compat"
}

t_resize() {
	local f
	for f in raw qcow2; do
		qemu-img create -q -f $f l.$f 10M
		qemu-img create -q -f $f q.$f 10M
		run 0 "$LI" resize l.$f +5M
		qemu-img resize q.$f +5M >/dev/null 2>&1
		run 0 "$LI" resize -f $f l.$f 30M
		grep -q "^Image resized.$" out || fail "no 'Image resized.'"
		qemu-img resize -f $f q.$f 30M >/dev/null
		both resize -f $f l.$f 20M
		[ "$lrc" = 1 ] || fail "shrink without --shrink: exit $lrc"
		run 0 "$LI" resize -f $f --shrink l.$f 20M
		qemu-img resize -f $f --shrink q.$f 20M >/dev/null
		run 0 "$LI" resize -f $f --shrink l.$f -- -1M
		qemu-img resize -f $f --shrink q.$f -- -1M >/dev/null
		[ "$("$LI" info --output=json l.$f | grep virtual-size)" = "$(qemu-img info --output=json q.$f | grep virtual-size)" ] ||
			fail "$f: sizes differ after resizes"
		[ $f = qcow2 ] && qcheck l.$f
	done
	# data survives growing and shrinking; the new area reads as zeroes
	mkdata d.raw 4 31
	qemu-img convert -O qcow2 d.raw d.qcow2
	run 0 "$LI" resize d.qcow2 8M
	qcheck d.qcow2
	truncate -s 8M d.raw
	same d.qcow2 d.raw
	run 0 "$LI" resize --shrink d.qcow2 3M
	qcheck d.qcow2
	truncate -s 3M d.raw
	same d.qcow2 d.raw
	both resize --preallocation=foo -f raw d.raw 100M
	[ "$lrc" = "$qrc" ] || fail "--preallocation=foo"
	same_msg "--preallocation=foo"
}

# Safe rebase keeps what the guest sees; -u only renames.
t_rebase() {
	mkdata a.raw 6 41
	mkdata b.raw 6 42
	qemu-img convert -O qcow2 a.raw a.qcow2
	qemu-img convert -O qcow2 b.raw b.qcow2
	qemu-img create -q -f qcow2 -b a.qcow2 -F qcow2 top.qcow2
	qwrite top.qcow2 "write -P 9 1M 100k"
	qemu-img convert -O raw top.qcow2 before.raw
	run 0 "$LI" rebase -b b.qcow2 -F qcow2 top.qcow2
	qcheck top.qcow2
	same top.qcow2 before.raw
	qemu-img info --output=json top.qcow2 | grep -q '"backing-filename": "b.qcow2"' || fail "backing not changed"
	# onto no backing file at all
	run 0 "$LI" rebase -b "" top.qcow2
	qcheck top.qcow2
	same top.qcow2 before.raw
	qemu-img info top.qcow2 | grep -q "backing file" && fail "backing still set"
	# -u: header only
	run 0 "$LI" rebase -u -b a.qcow2 -F qcow2 top.qcow2
	qemu-img info --output=json top.qcow2 | grep -q '"backing-filename": "a.qcow2"' || fail "-u did not set the name"
	qcheck top.qcow2
	run 1 "$LI" rebase -b nope.qcow2 -F qcow2 top.qcow2
}

t_commit() {
	mkdata a.raw 6 51
	qemu-img convert -O qcow2 a.raw base.qcow2
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
	qwrite top.qcow2 "write -P 7 0 1M" "write -z 2M 1M" "write -P 8 5M 64k"
	qemu-img convert -O raw top.qcow2 want.raw
	run 0 "$LI" commit top.qcow2
	grep -q "^Image committed.$" out || fail "no 'Image committed.'"
	qcheck base.qcow2
	qcheck top.qcow2
	same base.qcow2 want.raw
	same top.qcow2 want.raw
	# without -d the top is emptied, as qemu-img does
	qemu-img map --output=json top.qcow2 | grep -q '"depth": 0' && fail "top not emptied"
	# -d keeps the top's data; -b names a deeper base
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
	qwrite mid.qcow2 "write -P 10 1M 1M"
	qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 t2.qcow2
	qwrite t2.qcow2 "write -P 11 3M 512k"
	qemu-img convert -O raw t2.qcow2 want2.raw
	run 0 "$LI" commit -b base.qcow2 t2.qcow2
	qcheck base.qcow2
	same base.qcow2 want2.raw
	same t2.qcow2 want2.raw
	run 1 "$LI" commit base.qcow2
}

t_amend() {
	mkdata d.raw 4 61
	qemu-img convert -O qcow2 d.raw d.qcow2
	qemu-img snapshot -c s d.qcow2
	run 0 "$LI" amend -o compat=0.10 d.qcow2
	qcheck d.qcow2
	same d.qcow2 d.raw
	qemu-img info d.qcow2 | grep -q "compat: 0.10" || fail "not v2"
	run 0 "$LI" amend -o compat=1.1,lazy_refcounts=on d.qcow2
	qcheck d.qcow2
	same d.qcow2 d.raw
	qemu-img info d.qcow2 | grep -q "lazy refcounts: true" || fail "lazy refcounts not on"
	run 0 "$LI" amend -o refcount_bits=64 d.qcow2
	qcheck d.qcow2
	same d.qcow2 d.raw
	qemu-img info d.qcow2 | grep -q "refcount bits: 64" || fail "refcount bits not 64"
	both amend -o cluster_size=4k d.qcow2
	[ "$lrc" = "$qrc" ] || fail "amend cluster_size: $lrc/$qrc"
	same_msg "amend cluster_size"
	both amend -f raw -o size=1M d.raw
	[ "$lrc" = "$qrc" ] || fail "amend raw: $lrc/$qrc"
	same_msg "amend raw"
}

t_dd() {
	mkdata d.raw 3 71
	qemu-img convert -O qcow2 d.raw d.qcow2
	local a
	for a in "" "bs=64k" "bs=64k count=4 skip=1" "bs=4k skip=100" "bs=1M count=2" "bs=512 skip=100000"; do
		# shellcheck disable=SC2086
		"$LI" dd $a if=d.qcow2 of=l.raw >lo 2>le || { cat le; fail "dd $a"; }
		# shellcheck disable=SC2086
		qemu-img dd $a if=d.qcow2 of=q.raw >/dev/null 2>&1 || fail "qemu-img dd $a"
		same_raw l.raw q.raw
		rm -f l.raw q.raw
	done
	run 0 "$LI" dd -O qcow2 bs=64k if=d.raw of=o.qcow2
	qcheck o.qcow2
	same o.qcow2 d.raw
}

t_bench() {
	qemu-img create -q -f qcow2 b.qcow2 64M
	run 0 "$LI" bench -c 2000 -d 8 b.qcow2
	head -n1 out | grep -q "^Sending 2000 read requests, 4096 bytes each, 8 in parallel (starting at offset 0, step size 4096)$" ||
		{ cat out; fail "bench header"; }
	grep -Eq '^Run completed in [0-9]+\.[0-9]{3} seconds\.$' out || fail "bench summary"
	run 0 "$LI" bench -w -c 500 -d 4 -s 8k -S 64k --pattern=165 --flush-interval=100 -t none b.qcow2
	grep -q "^Sending flush every 100 requests$" out || fail "no flush line"
	qcheck b.qcow2
	# the writes landed with the pattern: 500 x 8k at 64k steps
	qemu-io -c "read -P 165 0 8k" -c "read -P 165 $((499 * 65536)) 8k" -c "read -P 0 8k 56k" b.qcow2 >qio 2>&1 ||
		{ cat qio; fail "pattern not written"; }
	grep -q "Pattern verification failed" qio && fail "pattern mismatch"
	return 0
}

# A second writer is refused by the image lock; -U reads anyway.
t_lock() {
	qemu-img create -q -f qcow2 l.qcow2 16M
	# qemu-io holds the image open read-write while sleeping
	qemu-io -c "write -P 1 0 64k" -c "sleep 50000" l.qcow2 >/dev/null 2>&1 &
	local pid=$!
	# wait (polling, no timing assumption) until the writer holds its lock
	local i held=0
	for i in $(seq 300); do
		qemu-img info l.qcow2 >/dev/null 2>&1 || { held=1; break; }
		sleep 0.1
	done
	[ $held = 1 ] || { kill $pid; fail "qemu-io never locked the image"; }
	run 1 "$LI" resize l.qcow2 32M
	grep -q 'Failed to get "write" lock' err || { cat err; kill $pid; fail "no lock error"; }
	run 1 "$LI" info l.qcow2
	grep -qi "lock" err || { cat err; kill $pid; fail "info without -U: no lock error"; }
	both resize l.qcow2 32M
	[ "$lrc" = 1 ] && [ "$qrc" = 1 ] || { kill $pid; fail "resize under a writer: $lrc/$qrc"; }
	sed -i 's/lemu-img/qemu-img/g' le
	diff le qe || { kill $pid; fail "lock messages differ"; }
	run 0 "$LI" info -U l.qcow2
	run 0 "$LI" map -U --output=json l.qcow2
	run 0 "$LI" convert -U -O raw l.qcow2 out.raw
	kill $pid
	wait $pid 2>/dev/null
	# and the other way round: qemu-img is refused while lemu-img holds the image
	qemu-img create -q -f qcow2 big.qcow2 1G
	"$LI" bench -w -c 100000000 -d 1 big.qcow2 >/dev/null 2>&1 &
	pid=$!
	held=0
	for _ in $(seq 300); do
		qemu-img info big.qcow2 >/dev/null 2>&1 || { held=1; break; }
		sleep 0.1
	done
	[ $held = 1 ] || { kill $pid; fail "lemu-img bench never locked the image"; }
	qemu-img resize big.qcow2 2G >qo 2>qe && { kill $pid; fail "qemu-img resized while lemu-img writes"; }
	grep -q 'Failed to get "write" lock' qe || { cat qe; kill $pid; fail "qemu-img did not see lemu-img's lock"; }
	qemu-img info -U big.qcow2 >/dev/null || { kill $pid; fail "qemu-img info -U"; }
	kill $pid
	wait $pid 2>/dev/null
	return 0
}

case_main "$@"
