/* Unknown and unimplemented system calls fail with ENOSYS; nothing aborts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	static const long nrs[] = { 1000, 4095, 100000, -1 };
	for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		errno = 0;
		long r = syscall(nrs[i], 1, 2, 3);
		printf("syscall(%ld) = %ld, errno %s\n", nrs[i], r, strerror(errno));
	}
	printf("still running\n");
	return 0;
}
