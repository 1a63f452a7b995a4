/*
 * Signals that arrive just before a blocking system call must still be
 * handled before it blocks: a one-shot timer whose handler writes a byte
 * into a pipe races with read() of that pipe, many times, with and without
 * SA_RESTART.  Natively the kernel runs the handler either before the read
 * (which then finds the byte) or during it (EINTR, or a restart that finds
 * the byte).  An emulator that records the signal but blocks in the read
 * first hangs here (the test's timeout), so the output is just the counts.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int wfd;
static volatile int fired;

static void on_alarm(int sig)
{
	(void)sig;
	fired++;
	char b = 'x';
	if (write(wfd, &b, 1) != 1)
		_exit(3);
}

static void arm(long usec)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = usec;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int round_trip(int rfd, int i)
{
	char b;
	arm(1 + (i * 7) % 80);
	ssize_t r = read(rfd, &b, 1);
	if (r < 0 && errno == EINTR)
		r = read(rfd, &b, 1); /* the handler's byte is there now */
	return r == 1 && b == 'x';
}

int main(void)
{
	int fds[2];
	if (pipe(fds))
		return 1;
	wfd = fds[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	for (int restart = 0; restart < 2; restart++) {
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		int ok = 0;
		for (int i = 0; i < 300; i++)
			ok += round_trip(fds[0], i);
		printf("%s: %d of 300 reads got the handler's byte\n",
		       restart ? "SA_RESTART" : "no SA_RESTART", ok);
	}
	printf("handlers run: %d\n", fired);
	return 0;
}
