/* Unit test of -strace formatting (src/user/strace.c). */
#include "harness.h"
#include "user/user.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static int fmt_is(int abi32, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5, const char *want)
{
	char buf[512];
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	strace_format_call(buf, sizeof(buf), NULL, abi32, nr, a);
	if (strcmp(buf, want)) {
		printf("# got  %s\n# want %s\n", buf, want);
		return 0;
	}
	return 1;
}

static int ret_is(long nr, long ret, int abi32, const char *want)
{
	char buf[128];
	strace_format_ret(buf, sizeof(buf), nr, ret, abi32);
	if (strcmp(buf, want)) {
		printf("# got  %s\n# want %s\n", buf, want);
		return 0;
	}
	return 1;
}

int main(void)
{
	tap_ok(fmt_is(0, SYS_write, 1, 0x4000, 3, 0, 0, 0, "write(1,0x4000,3)"), "write");
	tap_ok(fmt_is(0, SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      (uint64_t)-1, 0, "mmap(NULL,8192,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0)"),
	       "mmap flags");
	tap_ok(fmt_is(0, SYS_mprotect, 0x1000, 4096, 0, 0, 0, 0, "mprotect(0x1000,4096,PROT_NONE)"),
	       "PROT_NONE");
	tap_ok(fmt_is(0, SYS_openat, (uint64_t)(int64_t)AT_FDCWD, 0, O_RDONLY | O_CLOEXEC, 0, 0, 0,
		      "openat(AT_FDCWD,NULL,O_RDONLY|O_CLOEXEC,00)"),
	       "openat flags");
	tap_ok(fmt_is(0, SYS_kill, 12, 15, 0, 0, 0, 0, "kill(12,SIGTERM)"), "signal name");
	tap_ok(fmt_is(1, 4, 1, 0x8000, 2, 0, 0, 0, "write(1,0x8000,2)"), "i386 numbering");
	tap_ok(fmt_is(1, 192, 0, 4096, PROT_READ, MAP_PRIVATE, 3, 0,
		      "mmap2(NULL,4096,PROT_READ,MAP_PRIVATE,3,0)"),
	       "i386 mmap2");
	tap_ok(fmt_is(0, 1000, 0, 0, 0, 0, 0, 0, "Unknown syscall 1000"), "unknown");
	tap_ok(ret_is(SYS_read, 5, 0, " = 5"), "ret value");
	tap_ok(ret_is(SYS_openat, -ENOENT, 0, " = -1 errno=2 (No such file or directory)"), "ret errno");
	tap_ok(ret_is(SYS_brk, 0x4ad000, 0, " = 0x00000000004ad000"), "brk ret hex");
	tap_ok(ret_is(192, 0xf7ff0000, 1, " = 0xf7ff0000"), "i386 mmap2 ret hex");
	tap_ok(strace_name(0, SYS_exit_group) && !strcmp(strace_name(0, SYS_exit_group), "exit_group") &&
		       !strcmp(strace_name(1, 252), "exit_group"),
	       "names");
	return tap_done();
}
