#!/bin/bash
# Fetch Debian's i386 busybox-static into .cache/i386/ (gitignored) and print the binary's path.
# The host is x86_64 and runs it natively, which makes it the oracle for lemu-i386.
#   dpkg --add-architecture i386; apt-get update; apt-get download busybox-static:i386; dpkg -x
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cache=$root/.cache/i386
bin=$cache/root/bin/busybox
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else echo "i386-busybox.sh: need root (or sudo) to run: $*" >&2; return 1
	fi
}

mkdir -p "$cache/dl"
cd "$cache/dl" || exit 1
rm -f busybox-static_*_i386.deb

try_download() {
	# apt-get download runs as the caller; as root it warns that it is unsandboxed, which is fine.
	apt-get download -q busybox-static:i386 >&2 2>/dev/null || apt-get download -q busybox-static:i386 >&2
}

if ! try_download; then
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		as_root dpkg --add-architecture i386 || exit 1
	fi
	ok=0
	for i in 1 2 3 4 5; do
		# A mirror mid-sync can fail one index: tolerate it if the download then works.
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
			echo "i386-busybox.sh: apt-get update failed (try $i)" >&2
		if try_download; then
			ok=1
			break
		fi
		sleep $((i * 3))
	done
	if [ $ok = 0 ]; then
		echo "i386-busybox.sh: could not download busybox-static:i386" >&2
		exit 1
	fi
fi
deb=$(ls busybox-static_*_i386.deb | head -n1)
rm -rf "$cache/root.tmp"
dpkg -x "$deb" "$cache/root.tmp" || exit 1
rm -rf "$cache/root"
mv "$cache/root.tmp" "$cache/root"
[ -x "$bin" ] || { echo "i386-busybox.sh: $deb has no bin/busybox" >&2; exit 1; }
echo "$bin"
