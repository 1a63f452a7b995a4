#!/bin/bash
# Install the Debian packages lemu's build, tests and benchmarks need, when they are missing.
#
#   scripts/deps.sh [build|test|run|bench|format|all]...   (default: build)
#
# Fast when nothing is missing: one dpkg-query call, no apt. Runs apt-get as root, or through sudo.
# Debian mirrors are sometimes caught mid-sync (one index fails to download): every apt step is
# retried, and a failed "apt-get update" is tolerated when the install that follows succeeds.
# The "test" group also fetches the i386 busybox-static into .cache/ (see scripts/i386-busybox.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)

pkgs_build="build-essential meson ninja-build pkg-config libcapstone-dev zlib1g-dev libzstd-dev liburing-dev
	libgnutls28-dev libjansson-dev libslirp-dev libglib2.0-dev"
pkgs_test="$pkgs_build gcc-multilib busybox-static python3 perl gawk sqlite3 xz-utils bzip2 gzip tar
	findutils grep coreutils file strace qemu-utils qemu-system-x86 libnbd-bin cpio
	gnutls-bin acpica-tools"
pkgs_run="$pkgs_build busybox-static cpio python3 xz-utils"
pkgs_bench="$pkgs_build busybox-static python3 qemu-user hyperfine qemu-system-x86 qemu-utils libnbd-bin"
pkgs_format="clang-format"

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build)
want=""
need_i386=0
for g in "${groups[@]}"; do
	case $g in
	build) want="$want $pkgs_build" ;;
	test) want="$want $pkgs_test"; need_i386=1 ;;
	run) want="$want $pkgs_run" ;;
	bench) want="$want $pkgs_bench" ;;
	format) want="$want $pkgs_format" ;;
	all) want="$want $pkgs_test $pkgs_bench $pkgs_format"; need_i386=1 ;;
	*) echo "deps.sh: unknown group '$g' (build, test, run, bench, format, all)" >&2; exit 2 ;;
	esac
done
want=$(printf '%s\n' $want | sort -u)

# Which of them are not installed? dpkg-query prints nothing (and fails) for unknown packages.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $want 2>/dev/null |
	awk '$2 ~ /^ii/ {print $1}')
missing=""
for p in $want; do
	grep -qx "$p" <<<"$installed" || missing="$missing $p"
done

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "deps.sh: need root (or sudo) to run: $*" >&2
		return 1
	fi
}

# apt_retry CMD...: retry an apt command a few times with a growing pause.
apt_retry() {
	local i
	for i in 1 2 3 4 5; do
		if as_root env DEBIAN_FRONTEND=noninteractive "$@"; then
			return 0
		fi
		echo "deps.sh: '$*' failed (try $i), retrying" >&2
		sleep $((i * 3))
	done
	return 1
}

apt_update() {
	# A mirror mid-sync makes one index fail; partial success is still useful.
	apt_retry apt-get update -q || echo "deps.sh: apt-get update failed; going on with the lists we have" >&2
}

if [ -n "$missing" ]; then
	echo "deps.sh: installing:$missing" >&2
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; then
		apt_update
		apt_retry apt-get install -y -q --no-install-recommends $missing || {
			echo "deps.sh: could not install:$missing" >&2
			exit 1
		}
	fi
fi

if [ $need_i386 = 1 ]; then
	# Without it only the busybox-i386 tests are skipped: warn, do not fail.
	bash "$here/i386-busybox.sh" >/dev/null ||
		echo "deps.sh: warning: no i386 busybox; the busybox-i386 tests will be skipped" >&2
fi
exit 0
