#!/bin/bash
# The busybox cases of busybox.sh with Debian's i386 busybox-static (fetched into .cache/i386 by
# scripts/i386-busybox.sh), natively (the x86_64 host runs i386 code) vs lemu-i386.
SUITE_ARCH=i386
BB=${BB_I386:-}
suite_requires() {
	[ -n "$BB" ] && [ -x "$BB" ] || { echo "no i386 busybox: run scripts/i386-busybox.sh"; return 1; }
}
. "$(dirname "$0")/busybox.sh"
