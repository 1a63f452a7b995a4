/* Guest signal test: handlers and sigreturn, fault signals with siginfo,
 * sigaltstack, SA_RESTART vs EINTR on a pipe read interrupted by a timer. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int got;
static volatile void *fault_addr;
static volatile int fault_code;
static char altstack[65536];
static volatile int on_alt;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = sig * 100 + (si->si_code == SI_TKILL || si->si_code == SI_USER);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char local;
	on_alt = &local >= altstack && &local < altstack + sizeof(altstack);
	got = sig;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

static void on_alarm(int sig)
{
	got = sig;
}

static int read_with_alarm(int restart)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300000);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	got = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	char c;
	ssize_t n = read(p[0], &c, 1);
	int e = errno;
	printf("restart=%d read=%zd %s got=%d\n", restart, n, n < 0 ? strerror(e) : "ok", got);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	return 0;
}

static int divide(volatile int a, volatile int b)
{
	return a / b;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("usr1: got=%d\n", got);

	/* blocked signal stays pending until unblocked */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	got = 0;
	kill(getpid(), SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("blocked: got=%d pending=%d\n", got, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblocked: got=%d\n", got);

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	if (!sigsetjmp(jb, 1))
		*(volatile int *)0x10 = 1;
	printf("segv: sig=%d addr=%p code=%d\n", got, fault_addr, fault_code);
	static const int ro = 5;
	if (!sigsetjmp(jb, 1))
		*(volatile int *)&ro = 1;
	printf("segv ro: sig=%d addr_ok=%d code=%d\n", got, fault_addr == &ro, fault_code);
	if (!sigsetjmp(jb, 1))
		printf("%d\n", divide(1, 0));
	printf("fpe: sig=%d code=%d\n", got, fault_code);
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("ud2");
	printf("ill: sig=%d code=%d\n", got, fault_code);
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("int3");
	printf("trap: sig=%d code=%d\n", got, fault_code);

	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	on_alt = 0;
	if (!sigsetjmp(jb, 1))
		*(volatile int *)0x20 = 1;
	printf("altstack: sig=%d on_alt=%d\n", got, on_alt);
	stack_t cur;
	sigaltstack(NULL, &cur);
	printf("altstack flags=%d size=%zu\n", cur.ss_flags, cur.ss_size);

	read_with_alarm(1);
	read_with_alarm(0);

	/* default action: child killed by SIGSEGV */
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile int *)0x30 = 1;
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child2: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}
