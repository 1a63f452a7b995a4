/* Guest thread test: pthreads, atomics, futex wait/wake, join (which
 * relies on CLONE_CHILD_CLEARTID), thread-local storage, mutex/condvar. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NT 8
#define ITER 20000

static atomic_long counter;
static long plain_counter;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static __thread int tls_val;
static atomic_int fword;

static void *worker(void *arg)
{
	long id = (long)arg;
	tls_val = (int)id;
	for (int i = 0; i < ITER; i++) {
		atomic_fetch_add(&counter, 1);
		pthread_mutex_lock(&mu);
		plain_counter++;
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	ready++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return (void *)(long)(tls_val * 10);
}

static void *futex_waiter(void *arg)
{
	(void)arg;
	while (atomic_load(&fword) == 0)
		syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	return (void *)(long)atomic_load(&fword);
}

int main(void)
{
	pthread_t th[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	pthread_mutex_lock(&mu);
	while (ready < NT)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	long sum = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	printf("counter=%ld plain=%ld retsum=%ld\n", (long)counter, plain_counter, sum);

	pthread_t w;
	pthread_create(&w, NULL, futex_waiter, NULL);
	usleep(100000);
	atomic_store(&fword, 42);
	syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	void *r;
	pthread_join(w, &r);
	printf("futex waiter returned %ld\n", (long)r);

	/* many short-lived threads */
	long total = 0;
	for (int round = 0; round < 50; round++) {
		pthread_t t;
		pthread_create(&t, NULL, worker, (void *)(long)round);
		pthread_join(t, &r);
		total += (long)r;
	}
	printf("short-lived total=%ld counter=%ld tls_main=%d\n", total, (long)counter, tls_val);
	return 0;
}
