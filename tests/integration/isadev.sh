#!/bin/bash
# ISA device options of lemu-system-x86_64 (isa-serial, isa-debugcon / -debugcon,
# isa-debug-exit) against Debian's qemu-system-x86_64 as the oracle: the same error message
# (with the program name replaced) and exit status for bad -device options, and the same
# debugcon output and debug-exit status from a tiny multiboot guest written here (it writes a
# string to port 0xe9 with REP OUTSB, reads the port back and exits with that value).
#
# Emulator: $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64); oracle: $QEMU_SYSTEM_X86_64.
# Validate the test itself: LEMU_SYSTEM_X86_64=qemu-system-x86_64 bash tests/run.sh -k isadev/ integration
SUITE_MODE=check
. "$(dirname "$0")/../lib/case.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EMU=${LEMU_SYSTEM_X86_64:-$ROOT/build/lemu-system-x86_64}
QEMU=${QEMU_SYSTEM_X86_64:-qemu-system-x86_64}
BASE=(-M pc -m 64 -nodefaults -display none -no-reboot)

suite_requires() {
	if ! command -v "$EMU" >/dev/null 2>&1; then
		echo "no system emulator $EMU (build lemu-system-x86_64, or set LEMU_SYSTEM_X86_64)"
		return 1
	fi
	command -v "$QEMU" >/dev/null || { echo "no $QEMU (scripts/deps.sh test)"; return 1; }
	command -v python3 >/dev/null || { echo "no python3"; return 1; }
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# A multiboot v1 ELF32 guest loaded at 1 MiB: cld; out the message to 0xe9 (rep outsb);
# in al, 0xe9; out 0xf4, al; hlt.
make_guest() {
	python3 - "$1" <<'PY'
import struct, sys
msg = b"lemu debugcon\n"
base = 0x100000
mb = struct.pack("<III", 0x1BADB002, 0, (-0x1BADB002) & 0xffffffff)
code_off = 0x60 + len(mb)
msg_off = code_off + 32
code = (b"\xfc" + b"\x66\xba\xe9\x00" + b"\xbe" + struct.pack("<I", base + msg_off)
        + b"\xb9" + struct.pack("<I", len(msg)) + b"\xf3\x6e" + b"\xec"
        + b"\x66\xba\xf4\x00" + b"\xee" + b"\xf4\xeb\xfd")
body = mb + code.ljust(32, b"\x90") + msg
size = 0x60 + len(body)
ehdr = (b"\x7fELF\x01\x01\x01" + b"\0" * 9
        + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + code_off, 52, 0, 0, 52, 32, 1, 0, 0, 0))
phdr = struct.pack("<IIIIIIII", 1, 0, base, base, size, size, 7, 0x1000)
img = (ehdr + phdr).ljust(0x60, b"\0") + body
open(sys.argv[1], "wb").write(img)
PY
}

# same_error ARGS...: both emulators refuse the options with the same message and status.
same_error() {
	make_guest g.elf || fail "cannot write the guest"
	timeout -k 5 30 "$QEMU" "${BASE[@]}" "$@" -kernel g.elf </dev/null >q.out 2>q.err
	local q=$?
	timeout -k 5 30 "$EMU" "${BASE[@]}" "$@" -kernel g.elf </dev/null >l.out 2>l.err
	local l=$?
	sed -E "s#^[^ :]*(qemu|lemu)-system-x86_64: #EMU: #" q.err >q.msg
	sed -E "s#^[^ :]*(qemu|lemu)-system-x86_64: #EMU: #" l.err >l.msg
	if [ "$q" != "$l" ] || ! cmp -s q.msg l.msg; then
		echo "qemu (exit $q):"; cat q.err
		echo "lemu (exit $l):"; cat l.err
		fail "different refusal of: $*"
	fi
}

t_fifth_serial() {
	same_error -device isa-serial -device isa-serial -device isa-serial -device isa-serial -device isa-serial
}

t_debugcon_without_chardev() {
	same_error -device isa-debugcon
}

t_unknown_property() {
	same_error -device isa-serial,nosuchprop=1
}

# run_guest EMULATOR OUT ARGS...: run the guest, debugcon output in OUT.dc, status in OUT.rc.
run_guest() {
	local emu=$1 out=$2
	shift 2
	timeout -k 5 60 "$emu" "${BASE[@]}" "$@" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel g.elf </dev/null >"$out.out" 2>"$out.err"
	echo $? >"$out.rc"
}

compare_guest() {
	make_guest g.elf || fail "cannot write the guest"
	run_guest "$QEMU" q "$@"
	mv dc.txt q.dc 2>/dev/null
	run_guest "$EMU" l "$@"
	mv dc.txt l.dc 2>/dev/null
	[ -s q.dc ] || fail "the oracle wrote no debugcon output: the test is broken"
	if ! cmp -s q.dc l.dc || ! cmp -s q.rc l.rc; then
		echo "qemu (exit $(cat q.rc)):"; od -c q.dc | head -5
		echo "lemu (exit $(cat l.rc)):"; od -c l.dc 2>/dev/null | head -5; tail -5 l.err
		fail "debugcon output or exit status differ"
	fi
	[ "$(cat l.rc)" = $(((0xe9 << 1 | 1) & 0xff)) ] || fail "exit status $(cat l.rc), not the 0xe9 readback"
}

# A guest that reads the power-on state of the legacy devices (as QEMU's BIOS leaves it; lemu
# boots kernels without one) and writes each byte to port 0xe9: 8042 status, command byte and
# output port, 8259 masks and ISR, ELCR1, PIT channel 2 status, RTC registers A, B, D, COM1's
# eight registers, port 0x92. (Left out: IRR, ELCR2 and CMOS 0x14, which SeaBIOS's PCI and
# device probing set, and PIT OUT bits that depend on timing or on QEMU's mode-2 OUT.)
make_state_guest() {
	python3 - "$1" <<'PY'
import struct, sys
base = 0x100000
code = b"\xfc"
def outb(port, val):
    global code
    code += b"\xb0" + bytes([val]) + b"\x66\xba" + struct.pack("<H", port) + b"\xee"
def dump(port, mask=0xff):
    global code
    code += (b"\x66\xba" + struct.pack("<H", port) + b"\xec" + b"\x24" + bytes([mask])
             + b"\x66\xba\xe9\x00\xee")
dump(0x64)
outb(0x64, 0x20); dump(0x60)
outb(0x64, 0xd0); dump(0x60)
dump(0x21); dump(0xa1)
outb(0x20, 0x0b); dump(0x20); outb(0xa0, 0x0b); dump(0xa0)
dump(0x4d0)
outb(0x43, 0xe8); dump(0x42, 0x7f)   # OUT varies under QEMU (gate low is not modelled there)
for r in (0x0a, 0x0b, 0x0d):
    outb(0x70, r); dump(0x71)
for off in range(8):
    dump(0x3f8 + off)
dump(0x92)
code += b"\xb0\x00\xe6\xf4\xf4\xeb\xfd"
mb = struct.pack("<III", 0x1BADB002, 0, (-0x1BADB002) & 0xffffffff)
code_off = 0x60 + len(mb)
body = mb + code
size = 0x60 + len(body)
ehdr = (b"\x7fELF\x01\x01\x01" + b"\0" * 9
        + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, base + code_off, 52, 0, 0, 52, 32, 1, 0, 0, 0))
phdr = struct.pack("<IIIIIIII", 1, 0, base, base, size, size, 7, 0x1000)
open(sys.argv[1], "wb").write((ehdr + phdr).ljust(0x60, b"\0") + body)
PY
}

t_reset_state() {
	make_state_guest g.elf || fail "cannot write the guest"
	run_guest "$QEMU" q -debugcon file:dc.txt -serial null
	mv dc.txt q.dc 2>/dev/null
	run_guest "$EMU" l -debugcon file:dc.txt -serial null
	mv dc.txt l.dc 2>/dev/null
	[ -s q.dc ] || fail "the oracle wrote no debugcon output: the test is broken"
	if ! cmp -s q.dc l.dc; then
		echo "8042 st/ctr/out, IMR1/2, ISR1/2, ELCR1, PIT2 st, RTC A/B/D, COM1 0-7, port 0x92:"
		echo "qemu: $(od -An -tx1 q.dc | tr -s ' \n' ' ')"
		echo "lemu: $(od -An -tx1 l.dc | tr -s ' \n' ' ')"
		fail "the devices' power-on state differs"
	fi
}

t_debugcon_option() {
	compare_guest -debugcon file:dc.txt
}

t_debugcon_device() {
	compare_guest -chardev file,id=dbg,path=dc.txt -device isa-debugcon,iobase=0xe9,chardev=dbg
}

case_main "$@"
