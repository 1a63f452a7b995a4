#!/bin/bash
# The machine types and firmware interfaces of lemu-system-x86_64 (src/hw/x86, src/hw/pci):
# -machine help against QEMU's, the microvm machine booting the Debian kernel to a shell and
# powering off through ACPI, the pc machine's PCI devices against what the same kernel sees
# under qemu-system-x86_64 (lemu's lspci lines must all appear in QEMU's, and both show one
# PNP0A03 root bridge in the ACPI namespace), and the errors for kernel images lemu cannot load.
#
# Emulator: $LEMU_SYSTEM_X86_64 (default build/lemu-system-x86_64); oracle:
# $QEMU_SYSTEM_X86_64 (default qemu-system-x86_64).
SUITE_MODE=check
SUITE_TIMEOUT=${LEMU_BOOT_CASE_TIMEOUT:-300}
. "$(dirname "$0")/../lib/case.sh"

. "$(dirname "$0")/../lib/sysguest.sh"
G=$SYSGUEST_DIR

# run_guest DIR EMULATOR [emulator options...] -- console.py commands: boot the bzImage.
run_guest() {
	local dir=$1 emu=$2
	shift 2
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	sysguest_boot -e "$emu" -k vmlinuz -m 256 -t 30 "$dir" "$@" -- "${opts[@]}"
}

t_machine_help() {
	"$EMU" -machine help >lemu.txt || fail "-machine help: status $?"
	"$QEMU" -machine help >qemu.txt 2>/dev/null || { echo "SKIP: no $QEMU"; return 0; }
	[ "$(head -n 1 lemu.txt)" = "Supported machines are:" ] || fail "first line: $(head -n 1 lemu.txt)"
	# Every machine lemu lists is listed the same way by QEMU.
	while IFS= read -r line; do
		grep -qxF "$line" qemu.txt || { cat lemu.txt; fail "QEMU has no line '$line'"; }
	done <lemu.txt
	grep -q '^pc  .*(alias of pc-i440fx-7.2)$' lemu.txt || fail "no pc alias"
	grep -q '^microvm ' lemu.txt || fail "no microvm"
	"$EMU" -M nosuchmachine -kernel "$G/vmlinuz" >/dev/null 2>err.txt && fail "unknown machine accepted"
	grep -q 'unsupported machine type' err.txt || { cat err.txt; fail "unknown machine: wrong message"; }
}

t_microvm() {
	run_guest out "$EMU" -M microvm -- \
		--cmd 'lspci | wc -l' \
		--cmd 'dmesg' \
		--cmd 'cat /proc/interrupts' \
		--cmd 'ls /sys/bus/acpi/devices/ | sort | tr "\n" " "'
	[ "$(cat out/1.out)" = 0 ] || fail "microvm has PCI devices: $(cat out/1.out)"
	if grep -E 'ACPI (Error|Warning|BIOS Error)|BUG:|Oops|Kernel panic' out/2.out; then
		fail "dmesg reports a problem (above)"
	fi
	grep -q 'ACPI: PM: (supports S0 S5)' out/2.out || fail "ACPI sleep states: $(grep 'ACPI: PM' out/2.out)"
	grep -q ' acpi$' out/3.out || { cat out/3.out; fail "no SCI (acpi) line in /proc/interrupts"; }
	grep -q 'PNP0501' out/4.out || fail "no COM port in the ACPI namespace: $(cat out/4.out)"
	# poweroff -f: ACPI S5 through the PM1a control register ends lemu with status 0.
	[ "$(cat out/exit)" = 0 ] || fail "exit status $(cat out/exit) after poweroff"
}

t_pc_pci_vs_qemu() {
	command -v "$QEMU" >/dev/null || { echo "SKIP: no $QEMU"; return 0; }
	run_guest lemu "$EMU" -- --cmd 'lspci' --cmd 'ls /sys/bus/acpi/devices/ | grep -c PNP0A03' \
		--cmd 'dmesg | grep -E "ACPI (Error|Warning|BIOS Error)|PCI: Using ACPI for IRQ routing|Interrupt link"'
	run_guest qemu "$QEMU" -nodefaults -serial stdio -- --cmd 'lspci' \
		--cmd 'ls /sys/bus/acpi/devices/ | grep -c PNP0A03'
	[ -s lemu/1.out ] || fail "lspci printed nothing"
	while IFS= read -r line; do
		grep -qxF "$line" qemu/1.out || { echo "qemu:"; cat qemu/1.out; fail "lspci line '$line' is not in QEMU's"; }
	done <lemu/1.out
	[ "$(cat lemu/2.out)" = "$(cat qemu/2.out)" ] || fail "PCI root bridges: $(cat lemu/2.out), QEMU $(cat qemu/2.out)"
	if grep -E 'ACPI (Error|Warning|BIOS Error)' lemu/3.out; then
		fail "ACPI errors in dmesg (above)"
	fi
	grep -q 'PCI: Using ACPI for IRQ routing' lemu/3.out || fail "the kernel does not route PCI IRQs through ACPI"
	[ "$(cat lemu/exit)" = 0 ] || fail "exit status $(cat lemu/exit) after poweroff"
}

t_bad_kernel() {
	printf 'not a kernel image at all' >junk.img
	"$EMU" -kernel junk.img -display none >out.txt 2>err.txt
	rc=$?
	[ $rc = 1 ] || fail "status $rc, want 1"
	grep -q "lemu-system-x86_64: -kernel 'junk.img': not a Linux bzImage" err.txt || { cat err.txt; fail "message"; }
	"$EMU" -kernel /nonexistent/vmlinuz -display none 2>err.txt
	[ $? = 1 ] || fail "missing kernel: status not 1"
	grep -q "could not load kernel '/nonexistent/vmlinuz': No such file or directory" err.txt ||
		{ cat err.txt; fail "missing kernel: message"; }
}

# SeaBIOS (Debian's, from the seabios package) as -bios: it must find fw_cfg with DMA, read
# etc/e820, load lemu's ACPI tables through etc/table-loader and parse the DSDT, and reach
# its boot menu, printing the same milestones on its debug port (0x402) as under QEMU.
run_seabios() {
	local emu=$1 log=$2 pid i
	"$emu" -bios "$SEABIOS" -nodefaults -display none -m 128 -serial null \
		-chardev file,id=dbg,path="$log" -device isa-debugcon,iobase=0x402,chardev=dbg </dev/null >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 1 240); do
		grep -q 'No bootable device' "$log" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
	done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}

# Addresses and table lengths differ between the two machines; the milestones must not.
norm() {
	sed -E 's/=0x[0-9a-f]+.*/=ADDR/; s/ at 0x[0-9a-f]+ .*/ at ADDR/; s/^(No bootable device\.).*/\1/'
}

t_seabios_fw_cfg() {
	SEABIOS=${SEABIOS:-/usr/share/seabios/bios-256k.bin}
	[ -f "$SEABIOS" ] || { echo "SKIP: no $SEABIOS"; return 0; }
	run_seabios "$EMU" lemu.log
	local re='^(Found QEMU fw_cfg|QEMU fw_cfg DMA interface supported|PCI: init bdf=|Using pmtimer|Found 1 cpu|table\(50434146\)|ACPI: parse DSDT|Found 1 serial ports|PS2 keyboard initialized|No bootable device)'
	grep -E "$re" lemu.log | norm >lemu.milestones
	command -v "$QEMU" >/dev/null || { echo "SKIP: no $QEMU"; return 0; }
	run_seabios "$QEMU" qemu.log
	grep -E "$re" qemu.log | grep -v 'bdf=00:0[12]\.[12]\|bdf=00:02' |
		norm >qemu.milestones
	grep -q 'No bootable device' lemu.log || { tail -n 20 lemu.log; fail "SeaBIOS did not reach its boot menu"; }
	# Every milestone QEMU's run shows (except devices lemu does not have) appears under lemu.
	while IFS= read -r line; do
		grep -qxF "$line" lemu.milestones || { echo "lemu:"; cat lemu.milestones; fail "missing under lemu: '$line'"; }
	done <qemu.milestones
}

# PCI INTx through the ACPI _PRT: with MSI off in the guest, a virtio-blk disk in slot 2 raises
# INTA, which the _PRT routes to GSI 18 (level, through link GSIC); reads complete on it.
t_pci_intx_prt() {
	qemu-img create -f raw disk.img 16M >/dev/null 2>&1 || truncate -s 16M disk.img
	APPEND=pci=nomsi run_guest out "$EMU" -drive file=disk.img,format=raw,if=virtio -- \
		--cmd 'dd if=/dev/vda of=/dev/null bs=64k count=64 2>&1 | tail -n 1' \
		--cmd 'grep virtio /proc/interrupts'
	grep -q '^64+0 records out' out/1.out || fail "dd from /dev/vda: $(cat out/1.out)"
	awk '/IO-APIC +18-fasteoi +virtio/ { exit !($2 > 0) } END { if (NR == 0) exit 1 }' out/2.out ||
		{ cat out/2.out; fail "virtio interrupts are not on IO-APIC pin 18 (level)"; }
	[ "$(cat out/exit)" = 0 ] || fail "exit status $(cat out/exit)"
}

case_main "$@"
