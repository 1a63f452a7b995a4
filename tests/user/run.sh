#!/bin/bash
# Build each guest test program (static and dynamic, 64- and 32-bit), run
# it natively and under lemu, and compare stdout and exit status.
# usage: tests/user/run.sh [build-dir] [filter]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
filter=${2:-}
out=$(mktemp -d /tmp/lemu-user-tests.XXXXXX)
pass=0 fail=0 skip=0
for src in "$here"/*.c; do
	name=$(basename "$src" .c)
	[ -n "$filter" ] && [[ "$name" != *$filter* ]] && continue
	for variant in static64 dyn64 static32 dyn32; do
		case $variant in
		static64) flags="-static"; emu=$build/lemu-x86_64 ;;
		dyn64) flags=""; emu=$build/lemu-x86_64 ;;
		static32) flags="-m32 -static"; emu=$build/lemu-i386 ;;
		dyn32) flags="-m32"; emu=$build/lemu-i386 ;;
		esac
		exe=$out/$name-$variant
		if ! gcc -O1 -pthread $flags -o "$exe" "$src" 2>"$exe.cc"; then
			echo "SKIP $name $variant (does not build)"
			skip=$((skip + 1))
			continue
		fi
		(cd "$out" && timeout 60 "$exe" >"$exe.native" 2>/dev/null; echo "exit $?" >>"$exe.native")
		(cd "$out" && timeout 60 "$emu" "$exe" >"$exe.lemu" 2>"$exe.err"; echo "exit $?" >>"$exe.lemu")
		if cmp -s "$exe.native" "$exe.lemu"; then
			echo "PASS $name $variant"
			pass=$((pass + 1))
		else
			echo "FAIL $name $variant"
			diff "$exe.native" "$exe.lemu" | head -10
			fail=$((fail + 1))
		fi
	done
done
echo "passed $pass, failed $fail, skipped $skip"
[ $fail -eq 0 ] && rm -rf "$out"
[ $fail -eq 0 ]
