/* Guest address-space test: mmap/munmap/mprotect/mremap, file mappings,
 * faults after mprotect and munmap, brk growth, MAP_FIXED replacement. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	code = si->si_code;
	siglongjmp(jb, 1);
}

static int probe_write(volatile char *p)
{
	code = 0;
	if (!sigsetjmp(jb, 1)) {
		*p = 1;
		return 0;
	}
	return code;
}

static int probe_read(volatile char *p)
{
	code = 0;
	if (!sigsetjmp(jb, 1)) {
		(void)*p;
		return 0;
	}
	return code;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	size_t pg = 4096;
	char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap ok=%d zero=%d\n", m != MAP_FAILED, m[0] == 0 && m[4 * pg - 1] == 0);
	memset(m, 'a', 4 * pg);
	mprotect(m + pg, pg, PROT_READ);
	printf("write ro: code=%d read ro: code=%d\n", probe_write(m + pg), probe_read(m + pg));
	mprotect(m + pg, pg, PROT_NONE);
	printf("read none: code=%d\n", probe_read(m + pg + 5));
	mprotect(m + pg, pg, PROT_READ | PROT_WRITE);
	printf("rw again: code=%d val=%c\n", probe_write(m + pg), m[pg + 1]);
	munmap(m + 2 * pg, pg);
	printf("unmapped: code=%d\n", probe_read(m + 2 * pg));

	/* mremap grow (may move) keeps contents */
	char *r = mremap(m, 2 * pg, 64 * pg, MREMAP_MAYMOVE);
	printf("mremap ok=%d keep=%d newzero=%d\n", r != MAP_FAILED, r[0] == 'a' && r[2 * pg - 1] == 'a',
	       r[40 * pg] == 0);
	r = mremap(r, 64 * pg, pg, 0);
	printf("mremap shrink ok=%d tail unmapped code=%d\n", r != MAP_FAILED, probe_read(r + 2 * pg));

	/* MAP_FIXED replaces */
	char *f = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f[0] = 'x';
	char *g = mmap(f, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("fixed same=%d zeroed=%d\n", f == g, g[0] == 0);

	/* file mapping */
	char path[] = "/tmp/lemu-mmap-XXXXXX";
	int fd = mkstemp(path);
	for (int i = 0; i < 3000; i++)
		if (write(fd, "0123456789", 10) != 10)
			return 1;
	char *fm = mmap(NULL, 30000, PROT_READ, MAP_PRIVATE, fd, 4096);
	printf("file map: %.10s len-check=%c\n", fm, fm[30000 - 4096 - 1]);
	char *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	sh[0] = 'Z';
	msync(sh, 4096, MS_SYNC);
	char c;
	pread(fd, &c, 1, 0);
	printf("shared write visible: %c\n", c);
	unsigned char vec[2];
	printf("mincore=%d\n", mincore(sh, 4096, vec));
	munmap(sh, 4096);
	munmap(fm, 30000);
	close(fd);
	unlink(path);

	/* brk */
	char *b0 = sbrk(0);
	char *b1 = sbrk(100000);
	memset(b1, 1, 100000);
	printf("sbrk grew=%d\n", b1 == b0 && sbrk(0) == b0 + 100000);
	sbrk(-100000);
	printf("sbrk shrink=%d\n", sbrk(0) == b0);

	/* big malloc/free churn */
	long sum = 0;
	for (int i = 0; i < 200; i++) {
		size_t sz = (size_t)(i + 1) * 10000;
		char *p = malloc(sz);
		memset(p, i, sz);
		sum += p[sz - 1];
		free(p);
	}
	printf("churn sum=%ld\n", sum);
	return 0;
}
