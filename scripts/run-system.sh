#!/bin/bash
# make run: boot the default guest (the Debian kernel with a busybox initramfs, prepared by
# scripts/prepare-guest.sh) on lemu-system-x86_64's software CPU, with the serial console on this
# terminal. Type commands at the "guest#" prompt; "poweroff -f" ends it, Ctrl-A x quits, Ctrl-A h
# lists the keys.
#   scripts/run-system.sh [EXTRA lemu-system-x86_64 OPTIONS...]
# Env: LEMU_SYSTEM_X86_64 (emulator), LEMU_RUN_KERNEL=bzimage|pvh (default pvh: no decompression),
#      LEMU_RUN_MEM (default 512M), LEMU_RUN_SMP (default 1), LEMU_RUN_APPEND (extra kernel args).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
emu=${LEMU_SYSTEM_X86_64:-$root/build/lemu-system-x86_64}
[ -x "$emu" ] || { echo "run-system: $emu is missing: run make" >&2; exit 1; }
paths=$(bash "$root/scripts/prepare-guest.sh") || { echo "run-system: could not prepare the guest" >&2; exit 1; }
eval "$paths"
kernel=$VMLINUX
[ "${LEMU_RUN_KERNEL:-pvh}" = bzimage ] && kernel=$KERNEL
echo "run-system: booting $(basename "$kernel") ($KVER) on $emu; Ctrl-A x quits, Ctrl-A h for help" >&2
exec "$emu" -m "${LEMU_RUN_MEM:-512M}" -smp "${LEMU_RUN_SMP:-1}" -nographic -no-reboot \
	-kernel "$kernel" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 ${LEMU_RUN_APPEND:-}" "$@"
