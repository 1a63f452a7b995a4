#!/bin/bash
# Acceptance of the virtio devices and block backends (issue 5, without networking): the Debian
# kernel of scripts/prepare-guest.sh boots with virtio disks, virtio-rng and virtio-serial, its own
# drivers (virtio_pci, virtio_blk, virtio_rng, virtio_console) drive them, and the results are
# checked from outside with tools nobody here wrote: qemu-img/qemu-io (data in the image, check,
# map after discard), the image bytes themselves (-snapshot leaves them alone), a host socket
# on the other end of the virtio-serial ports, and qemu-system-x86_64's block statistics for the
# same guest workload (issue 6: query-blockstats, info blockstats).
# The boots go through tests/lib/sysguest.sh.
#
# The emulator is $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64). The test itself is
# validated against QEMU with the same options:
#   LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k virtio/ integration
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"

SYSGUEST_TOOLS="qemu-img qemu-io python3"
. "$(dirname "$0")/../lib/sysguest.sh"
MiB=1048576

# vboot DIR [console.py options...] -- [emulator options...]: boot the guest with extra options
# and drive its console (results in DIR: N.out, N.rc, exit, console.log); exit status 0.
vboot() { sysguest_boot -x "$@"; }

# md5 of N MiB of byte B (octal), computed on the host.
pattern_md5() { head -c $(($1 * MiB)) /dev/zero | tr '\0' "\\$2" | md5sum | cut -d' ' -f1; }

# qemu_read IMG FMT PATTERN OFFSET LEN: qemu-io verifies the bytes in the image.
qemu_read() {
	local o
	o=$(qemu-io -f "$2" -r -c "read -P $3 $4 $5" "$1" 2>&1) || { echo "$o"; return 1; }
	! grep -q -i 'fail\|error' <<<"$o" || { echo "$o"; return 1; }
}

# A qcow2 image of 64 MiB whose first 8 MiB hold 0x33 bytes, written by qemu-io.
make_disk() {
	qemu-img create -q -f qcow2 "$1" 64M || fail "qemu-img create"
	qemu-io -f qcow2 -c "write -P 0x33 0 8M" "$1" >/dev/null || fail "qemu-io write"
}

# In the guest: a 1 MiB file of 'Z' (0x5a) in /tmp, for dd onto a disk.
MKZ='head -c 1048576 /dev/zero | tr "\0" Z > /tmp/z'

# The disk: host data reads back, guest data lands in the image, discard frees clusters,
# qemu-img check is clean afterwards.
t_disk() {
	make_disk disk.qcow2
	local want
	want=$(pattern_md5 8 063)
	vboot d \
		--cmd 'ls /dev/vd*; cat /sys/block/vda/size' \
		--cmd 'dd if=/dev/vda bs=1M count=8 2>/dev/null | md5sum' \
		--cmd "$MKZ"' && dd if=/tmp/z of=/dev/vda bs=64k seek=256 conv=fsync 2>/dev/null && sync && echo written' \
		--cmd 'cat /sys/block/vda/queue/discard_max_bytes' \
		--cmd 'blkdiscard -o 2097152 -l 4194304 /dev/vda && sync && echo discarded' \
		--cmd 'dd if=/dev/vda bs=64k skip=256 count=16 2>/dev/null | md5sum' \
		-- -drive file=disk.qcow2,format=qcow2,if=virtio,discard=unmap,cache=writeback
	[ "$(out d 1)" = "$(printf '/dev/vda\n131072')" ] || fail "guest disk: '$(out d 1)' (want /dev/vda of 131072 sectors)"
	[ "$(out d 2)" = "$want  -" ] || fail "host data read in the guest: md5 '$(out d 2)', want $want"
	[ "$(out d 3)" = written ] || fail "guest write: '$(out d 3)'"
	[ "$(out d 4)" -gt 0 ] 2>/dev/null || fail "no discard support in the guest (discard_max_bytes '$(out d 4)')"
	[ "$(out d 5)" = discarded ] || fail "blkdiscard: '$(out d 5)' (status $(rc d 5))"
	[ "$(out d 6)" = "$(pattern_md5 1 132)  -" ] || fail "the guest does not read back its own write"
	# Outside: the image holds the guest's bytes and the host's, minus the discarded range.
	qemu_read disk.qcow2 qcow2 0x5a 16M 1M || fail "guest data is not in the image at 16M"
	qemu_read disk.qcow2 qcow2 0x33 0 2M || fail "host data before the discarded range changed"
	qemu_read disk.qcow2 qcow2 0x33 6M 2M || fail "host data after the discarded range changed"
	qemu_read disk.qcow2 qcow2 0 2M 4M || fail "the discarded range does not read as zeroes"
	qemu-img check -q disk.qcow2 || { qemu-img check disk.qcow2; fail "qemu-img check is not clean"; }
	# qemu-img map: no data left in [2M, 6M) (qcow2 clusters freed or zero clusters).
	qemu-img map --output=json disk.qcow2 >map.json || fail "qemu-img map"
	python3 - map.json <<'EOF' || { cat map.json; fail "discarded clusters still hold data"; }
import json, sys
for e in json.load(open(sys.argv[1])):
    lo, hi = e["start"], e["start"] + e["length"]
    if e["data"] and lo < 6 << 20 and hi > 2 << 20:
        sys.exit(1)
EOF
}

# -snapshot and snapshot=on: the guest writes and reads its writes, the image file does not change.
t_snapshot() {
	make_disk s1.qcow2
	make_disk s2.qcow2
	local before1 before2
	before1=$(md5sum <s1.qcow2)
	before2=$(md5sum <s2.qcow2)
	local cmds=(
		--cmd "$MKZ"' && dd if=/tmp/z of=/dev/vda bs=64k count=16 conv=fsync 2>/dev/null && sync && echo written'
		--cmd 'dd if=/dev/vda bs=64k count=16 2>/dev/null | md5sum'
	)
	vboot a "${cmds[@]}" -- -drive file=s1.qcow2,format=qcow2,if=virtio,snapshot=on
	vboot b "${cmds[@]}" -- -snapshot -drive file=s2.qcow2,format=qcow2,if=virtio
	for d in a b; do
		[ "$(out $d 1)" = written ] || fail "$d: guest write '$(out $d 1)'"
		[ "$(out $d 2)" = "$(pattern_md5 1 132)  -" ] || fail "$d: the guest does not read back its write"
	done
	[ "$(md5sum <s1.qcow2)" = "$before1" ] || fail "snapshot=on: the image changed"
	[ "$(md5sum <s2.qcow2)" = "$before2" ] || fail "-snapshot: the image changed"
	qemu-img check -q s1.qcow2 && qemu-img check -q s2.qcow2 || fail "qemu-img check after the snapshot boots"
}

# Ctrl-A s on the console with -snapshot writes the overlay back to the image (QEMU's "save disk
# data back to file"); what the guest writes afterwards stays in the temporary overlay again.
t_snapshot_commit() {
	make_disk c.qcow2
	vboot c \
		--cmd "$MKZ"' && dd if=/tmp/z of=/dev/vda bs=64k seek=32 conv=fsync 2>/dev/null && echo w1' \
		--cmd $'\x01strue' \
		--cmd 'dd if=/dev/vda bs=64k skip=32 count=16 2>/dev/null | md5sum; dd if=/tmp/z of=/dev/vda bs=64k seek=64 conv=fsync 2>/dev/null && echo w2' \
		-- -snapshot -drive file=c.qcow2,format=qcow2,if=virtio
	[ "$(out c 1)" = w1 ] || fail "first write: '$(out c 1)'"
	[ "$(out c 3)" = "$(printf '%s  -\nw2' "$(pattern_md5 1 132)")" ] || fail "after the commit: '$(out c 3)'"
	qemu_read c.qcow2 qcow2 0x5a 2M 1M || fail "Ctrl-A s did not write the guest's data back"
	qemu_read c.qcow2 qcow2 0x33 4M 1M || fail "a write after the commit reached the image"
	qemu_read c.qcow2 qcow2 0x33 0 2M || fail "the host data around the commit changed"
	qemu-img check -q c.qcow2 || fail "qemu-img check after the commit"
}

# -blockdev (dotted keys with a file node referenced by name, and JSON), if=none + -device with
# serial= and read-only, a qcow2 overlay over a qcow2 base, block size and write cache properties:
# the guest finds each disk by its serial number and reads the host data.
t_blockdev() {
	make_disk b1.qcow2
	make_disk b2.qcow2
	make_disk base.qcow2
	qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 || fail "qemu-img create overlay"
	qemu-img create -q -f raw b3.raw 16M || fail "qemu-img create raw"
	truncate -s 64M b5.raw || fail "truncate"
	qemu-io -f raw -c "write -P 0x44 0 1M" b3.raw >/dev/null || fail "qemu-io raw"
	local bydev='for d in /sys/block/vd*; do echo "$(cat $d/serial) ${d##*/} $(cat $d/ro)"; done | sort'
	vboot k \
		--cmd "$bydev" \
		--cmd 'for s in ser-dotted ser-json; do d=$(grep -l "^$s\$" /sys/block/vd*/serial | cut -d/ -f4); dd if=/dev/$d bs=1M count=8 2>/dev/null | md5sum; done' \
		--cmd 'd=$(grep -l "^ser-raw-ro\$" /sys/block/vd*/serial | cut -d/ -f4); dd if=/dev/$d bs=1M count=1 2>/dev/null | md5sum; echo x | dd of=/dev/$d conv=fsync 2>/dev/null; echo "write status $?"' \
		--cmd 'd=$(grep -l "^ser-chain\$" /sys/block/vd*/serial | cut -d/ -f4); dd if=/dev/$d bs=1M count=8 2>/dev/null | md5sum; '"$MKZ"' && dd if=/tmp/z of=/dev/$d bs=64k seek=16 conv=fsync 2>/dev/null && echo written' \
		--cmd 'd=$(grep -l "^ser-4k\$" /sys/block/vd*/serial | cut -d/ -f4); q=/sys/block/$d/queue; echo $(cat $q/logical_block_size $q/physical_block_size $q/minimum_io_size $q/optimal_io_size $q/discard_granularity) $(cat $q/write_cache)' \
		-- -blockdev driver=file,node-name=f1,filename=b1.qcow2 \
		-blockdev driver=qcow2,node-name=q1,file=f1 \
		-device virtio-blk-pci,drive=q1,serial=ser-dotted \
		-blockdev '{"driver":"qcow2","node-name":"q2","file":{"driver":"file","filename":"b2.qcow2"}}' \
		-device virtio-blk-pci,drive=q2,serial=ser-json \
		-drive file=b3.raw,format=raw,if=none,id=r3,readonly=on \
		-device virtio-blk-pci,drive=r3,serial=ser-raw-ro \
		-drive file=top.qcow2,format=qcow2,if=none,id=t4 -device virtio-blk-pci,drive=t4,serial=ser-chain \
		-drive file=b5.raw,format=raw,if=none,id=t5 -device virtio-blk-pci,drive=t5,serial=ser-4k,logical_block_size=4096,physical_block_size=8192,min_io_size=8k,opt_io_size=64k,discard_granularity=64k,write-cache=off
	local lines
	lines=$(out k 1 | awk '{print $1, $3}' | tr '\n' ' ')
	[ "$lines" = "ser-4k 0 ser-chain 0 ser-dotted 0 ser-json 0 ser-raw-ro 1 " ] || { out k 1; fail "serials/read-only flags: '$lines'"; }
	local want
	want=$(pattern_md5 8 063)
	[ "$(out k 2)" = "$(printf '%s  -\n%s  -' "$want" "$want")" ] || fail "-blockdev disks: '$(out k 2)'"
	out k 3 | grep -q "^$(pattern_md5 1 104)  -$" || { out k 3; fail "read-only raw disk data"; }
	out k 3 | grep -q '^write status 0$' && fail "a write to the read-only disk succeeded"
	qemu_read b3.raw raw 0x44 0 1M || fail "the read-only image changed"
	# Backing chain: the base's data reads through the overlay; the guest's write lands in the
	# overlay and leaves the base alone.
	[ "$(out k 4)" = "$(printf '%s  -\nwritten' "$want")" ] || fail "backing chain disk: '$(out k 4)'"
	qemu_read top.qcow2 qcow2 0x5a 1M 1M || fail "the guest's write is not in the overlay"
	qemu_read base.qcow2 qcow2 0x33 1M 1M || fail "the backing file changed"
	qemu-img check -q top.qcow2 || fail "qemu-img check of the overlay"
	# Block topology and write cache properties, as the guest's block layer reports them.
	[ "$(out k 5)" = "4096 8192 8192 65536 65536 write through" ] || fail "topology of the 4k disk: '$(out k 5)'"
}

# virtio-rng in hw_random; a virtconsole and a named virtserialport carry data both ways through
# host unix sockets.
t_rng_console() {
	cat >peer.py <<'EOF'
import socket, sys, time
path, send, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = None
for _ in range(1200):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        break
    except OSError:
        s = None
        time.sleep(0.1)
if s is None:
    sys.exit(1)
s.settimeout(240)
buf = b""
try:
    while b"GUEST-HELLO" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    s.sendall((send + "\n").encode())
    open(out, "wb").write(buf)
    while s.recv(4096):
        pass
except OSError:
    pass
EOF
	python3 peer.py "$PWD/con.sock" HOST-TO-CONSOLE con.out &
	local p1=$!
	python3 peer.py "$PWD/port.sock" HOST-TO-PORT port.out &
	local p2=$!
	vboot r \
		--cmd 'cat /sys/class/misc/hw_random/rng_available; cat /sys/class/misc/hw_random/rng_current' \
		--cmd 'dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c' \
		--cmd 'ls /dev/hvc0 /dev/vport*; cat /sys/class/virtio-ports/*/name' \
		--cmd 'stty -F /dev/hvc0 raw -echo; exec 3<>/dev/hvc0; echo GUEST-HELLO >&3; head -n1 <&3; exec 3<&-' \
		--cmd 'p=$(grep -l org.qemu.guest_agent.0 /sys/class/virtio-ports/*/name | cut -d/ -f5); exec 3<>/dev/$p; echo GUEST-HELLO >&3; head -n1 <&3; exec 3<&-' \
		-- -device virtio-rng-pci -device virtio-serial-pci \
		-chardev socket,id=c0,path=con.sock,server=on,wait=off \
		-chardev socket,id=c1,path=port.sock,server=on,wait=off \
		-device virtconsole,chardev=c0 \
		-device virtserialport,chardev=c1,name=org.qemu.guest_agent.0
	wait $p1 $p2
	out r 1 | grep -q '^virtio_rng' || { out r 1; fail "virtio-rng is not in hw_random"; }
	[ "$(out r 2)" = 256 ] || fail "/dev/hwrng gave '$(out r 2)' bytes, want 256"
	out r 3 | grep -q '^org.qemu.guest_agent.0$' || { out r 3; fail "the named port is not in /sys/class/virtio-ports"; }
	[ "$(out r 4 | tr -d '\r')" = HOST-TO-CONSOLE ] || fail "host -> virtconsole: '$(out r 4)'"
	[ "$(out r 5)" = HOST-TO-PORT ] || fail "host -> virtserialport: '$(out r 5)'"
	grep -q GUEST-HELLO con.out || fail "virtconsole -> host: nothing arrived"
	grep -q GUEST-HELLO port.out || fail "virtserialport -> host: nothing arrived"
}

# The legacy (virtio 0.9.5) interface of the transitional devices, with INTx instead of MSI-X:
# the guest's virtio_pci.force_legacy=1 makes Linux use the I/O BAR.
t_legacy_intx() {
	make_disk l.qcow2
	local want
	want=$(pattern_md5 8 063)
	APPEND="virtio_pci.force_legacy=1" vboot l \
		--cmd 'dd if=/dev/vda bs=1M count=8 2>/dev/null | md5sum' \
		--cmd "$MKZ"' && dd if=/tmp/z of=/dev/vda bs=64k seek=512 conv=fsync 2>/dev/null && echo written' \
		--cmd 'dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c' \
		--cmd 'grep -c -i msi /proc/interrupts; grep virtio /proc/interrupts | wc -l' \
		-- -drive file=l.qcow2,format=qcow2,if=none,id=l0 -device virtio-blk-pci,drive=l0,vectors=0 \
		-device virtio-rng-pci,vectors=0
	[ "$(out l 1)" = "$want  -" ] || fail "legacy/INTx: host data md5 '$(out l 1)'"
	[ "$(out l 2)" = written ] || fail "legacy/INTx: guest write '$(out l 2)'"
	[ "$(out l 3)" = 16 ] || fail "legacy/INTx: hwrng gave '$(out l 3)' bytes"
	[ "$(out l 4 | head -n1)" = 0 ] || { out l 4; fail "MSI interrupts in use with vectors=0"; }
	qemu_read l.qcow2 qcow2 0x5a 32M 1M || fail "legacy/INTx: guest data not in the image"
	qemu-img check -q l.qcow2 || fail "qemu-img check after the legacy boot"
}

# Block statistics (query-blockstats, info blockstats) against QEMU: the same guest and disk under
# lemu and under qemu-system-x86_64 -accel tcg run the same direct-I/O workload (dd reads and
# writes, a write with fsync, blkdiscard); the counters' growth over each step, the final
# wr_highest_offset and the reply's keys/types must be QEMU's (tests/qmp/blockstats.py says what
# is compared and why).
t_blockstats() {
	command -v "$QEMU" >/dev/null 2>&1 || skip "no $QEMU (scripts/deps.sh test)"
	python3 "$ROOT/tests/qmp/blockstats.py" run --emu "$QEMU" --work q --timeout "$BOOT_TIMEOUT" ||
		fail "the workload under $QEMU"
	python3 "$ROOT/tests/qmp/blockstats.py" run --emu "$EMU" --work l --timeout "$BOOT_TIMEOUT" ||
		fail "the workload under $EMU"
	python3 "$ROOT/tests/qmp/blockstats.py" compare q/blockstats.json l/blockstats.json ||
		fail "block statistics differ from QEMU's (above)"
}

# Which backends query-blockstats and info blockstats list, in which order and under which names,
# for -drive and -blockdev disks (no guest boot: -S), as qemu-system-x86_64 does.
t_blockstats_names() {
	command -v "$QEMU" >/dev/null 2>&1 || skip "no $QEMU (scripts/deps.sh test)"
	python3 "$ROOT/tests/qmp/blockstats.py" names --emu "$QEMU" --work q || fail "names under $QEMU"
	python3 "$ROOT/tests/qmp/blockstats.py" names --emu "$EMU" --work l || fail "names under $EMU"
	python3 "$ROOT/tests/qmp/blockstats.py" compare-names q/names.json l/names.json ||
		fail "the backends listed differ from QEMU's (above)"
}

# A second writer is refused by the image lock, with QEMU's message; bad options name themselves.
t_errors() {
	make_disk e.qcow2
	local k="$ROOT/.cache/guest/vmlinux" rc
	qemu-io -f qcow2 -c "sleep 60000" e.qcow2 &
	local holder=$!
	# Wait until the holder has the image open (then even a reader without -U is refused).
	for _ in $(seq 100); do
		qemu-img info e.qcow2 >/dev/null 2>&1 || break
		sleep 0.1
	done
	"$EMU" -nographic -kernel "$k" -drive file=e.qcow2,format=qcow2,if=virtio </dev/null >o 2>e
	rc=$?
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	[ $rc = 1 ] || { cat e; fail "second writer: exit status $rc, want 1"; }
	grep -q 'Failed to get "write" lock' e || { cat e; fail "second writer: no lock message"; }
	grep -q 'Is another process using the image \[e.qcow2\]?' e || { cat e; fail "second writer: no 'another process' line"; }
	grep -q -- '-drive file=e.qcow2' e || { cat e; fail "the lock message does not name the option"; }

	"$EMU" -nographic -kernel "$k" -drive file=/nonexistent/x.qcow2,if=virtio </dev/null >o 2>e
	rc=$?
	[ $rc = 1 ] && grep -q "Could not open '/nonexistent/x.qcow2': No such file or directory" e ||
		{ cat e; fail "missing image: status $rc"; }
	"$EMU" -nographic -kernel "$k" -device virtio-blk-pci,drive=nope </dev/null >o 2>e
	rc=$?
	[ $rc = 1 ] && grep -q "Property 'virtio-blk-device.drive' can't find value 'nope'" e ||
		{ cat e; fail "unknown drive: status $rc"; }
	"$EMU" -nographic -kernel "$k" -device virtconsole </dev/null >o 2>e
	rc=$?
	[ $rc = 1 ] && grep -q "virtconsole" e || { cat e; fail "virtconsole without a bus: status $rc"; }
}

case_main "$@"
