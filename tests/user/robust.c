/*
 * Robust mutexes: a thread that exits while holding one leaves it to the
 * next locker with EOWNERDEAD (the kernel walks the thread's robust list at
 * exit; under emulation the emulator must).  A hang here is the failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
static pthread_mutex_t m;
static void *owner(void *a) { (void)a; pthread_mutex_lock(&m); return NULL; /* dies holding it */ }
int main(void)
{
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &at);
	pthread_t t;
	pthread_create(&t, NULL, owner, NULL);
	pthread_join(t, NULL);
	int r = pthread_mutex_lock(&m);
	printf("lock after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
	if (r == EOWNERDEAD) pthread_mutex_consistent(&m);
	pthread_mutex_unlock(&m);
	return 0;
}
