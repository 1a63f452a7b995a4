#!/bin/bash
# make run: run a real program under build/lemu-x86_64 (until the system emulator exists).
#   scripts/run-demo.sh                 interactive busybox sh when stdin is a terminal,
#                                       otherwise busybox sh running scripts/demo.sh
#   scripts/run-demo.sh PROG ARGS...    any program, e.g. make run RUN_ARGS="/bin/busybox ls -l"
root=$(cd "$(dirname "$0")/.." && pwd)
emu=${LEMU_X86_64:-$root/build/lemu-x86_64}
[ -x "$emu" ] || { echo "run-demo: $emu is missing: run make" >&2; exit 1; }
if [ $# -gt 0 ]; then
	exec "$emu" "$@"
fi
if [ -t 0 ] && [ -t 1 ]; then
	echo "busybox sh running under $emu: type 'exit' to leave" >&2
	exec "$emu" /bin/busybox sh -i
fi
echo "busybox sh running scripts/demo.sh under $emu" >&2
exec "$emu" /bin/busybox sh "$root/scripts/demo.sh"
