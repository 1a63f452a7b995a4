#!/bin/bash
# Developer tools as real guests, native vs lemu-x86_64: the gcc driver (which starts cc1, as and
# ld with posix_spawn/vfork) and git (many small processes, mmap'd packs, zlib).
. "$(dirname "$0")/../lib/case.sh"

t_gcc_build_and_run() {
	command -v gcc >/dev/null || skip "no gcc"
	cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(void)
{
	int v[64];
	for (int i = 0; i < 64; i++)
		v[i] = (i * 37 + 11) % 101;
	qsort(v, 64, sizeof(int), cmp);
	long s = 0;
	for (int i = 0; i < 64; i++)
		s = s * 31 + v[i];
	printf("%d %d %ld\n", v[0], v[63], s);
	return 0;
}
C
	$E /usr/bin/gcc -O2 -Wall -o prog prog.c || return 1
	./prog
	$E /usr/bin/gcc -O1 -S -o - prog.c | grep -c 'call'
}
t_gcc_missing_file_error() {
	command -v gcc >/dev/null || skip "no gcc"
	$E /usr/bin/gcc -c /nonexistent/none.c 2>/dev/null
	echo "status $?"
}
t_git_repo() {
	command -v git >/dev/null || skip "no git"
	export GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'
	local g="$E /usr/bin/git -c user.name=lemu -c user.email=lemu@example.org -c init.defaultBranch=main"
	$g init -q repo && cd repo || return 1
	seq 1 1000 >numbers
	printf 'a\nb\n' >letters
	$g add . && $g commit -qm first
	seq 1 2 1000 >numbers
	$g commit -qam second
	$g log --format='%H %s'
	$g diff --stat HEAD~1 HEAD
	$g cat-file -p HEAD^{tree}
	$g gc -q 2>/dev/null
	$g rev-list --count HEAD
}

case_main "$@"
