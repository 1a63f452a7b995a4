/*
 * Threads storing data into pages that also hold code being executed (as
 * JIT runtimes do with their code caches): the emulator write-protects
 * translated code pages, so these stores fault, sometimes in two threads
 * at once.  Every store must land and every call must return the current
 * code.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGES 4
static unsigned char *buf;

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < 20000; i++) {
		int pg = i % PAGES;
		int (*f)(void) = (int (*)(void))(buf + pg * 4096);
		if (f() != 42 + pg)
			return (void *)1;
		/* lock xadd into a counter on the code page, and a plain store */
		__atomic_fetch_add((int *)(buf + pg * 4096 + 2048), 1, __ATOMIC_SEQ_CST);
		buf[pg * 4096 + 3000 + id] = (unsigned char)i;
	}
	return NULL;
}

int main(void)
{
	buf = mmap(0, PAGES * 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int pg = 0; pg < PAGES; pg++) {
		unsigned char code[] = { 0xb8, (unsigned char)(42 + pg), 0, 0, 0, 0xc3 };
		memcpy(buf + pg * 4096, code, sizeof(code));
	}
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	int bad = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	long total = 0;
	for (int pg = 0; pg < PAGES; pg++)
		total += *(int *)(buf + pg * 4096 + 2048);
	printf("wrong code results: %d, counter total %ld (want %d)\n", bad, total, 4 * 20000);
	return 0;
}
