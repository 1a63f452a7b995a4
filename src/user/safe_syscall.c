/*
 * Blocking host system calls that a guest signal can interrupt without a
 * race (the problem QEMU's safe_syscall solves; this is lemu's own code).
 *
 * A host signal for the guest is only recorded by the host handler and
 * delivered to the guest at the next CPU-loop iteration.  If it arrives
 * after lemu decided to make a blocking call but before the kernel
 * entered it, a plain syscall would block with the signal pending (a
 * read() meant to be cut short by alarm() would hang).  Here, the check of
 * the "deliverable signal arrived" flag and the SYSCALL instruction sit in
 * one code window [user_safe_syscall_start, user_safe_syscall_end): the
 * host handler sets the flag and, if the interrupted PC is inside the
 * window, moves it to user_safe_syscall_intr, so the call is never
 * entered.  Once the kernel is inside the call the signal interrupts it
 * with -EINTR as usual (lemu's handlers have no SA_RESTART).
 */
#include "user.h"

#include <sys/syscall.h>
#include <ucontext.h>


/* long user_safe_syscall(volatile int *flag, long nr, a1, a2, a3, a4, a5, a6)
 * System V: rdi=flag rsi=nr rdx=a1 rcx=a2 r8=a3 r9=a4, a5/a6 on the stack. */
__asm__(".text\n"
	".globl user_safe_syscall\n"
	".type user_safe_syscall, @function\n"
	"user_safe_syscall:\n"
	"	mov %rdi, %r11\n"        /* flag (r11 is clobbered by syscall anyway) */
	"	mov %rsi, %rax\n"        /* nr */
	"	mov %rdx, %rdi\n"
	"	mov %rcx, %rsi\n"
	"	mov %r8, %rdx\n"
	"	mov %r9, %r10\n"
	"	mov 8(%rsp), %r8\n"
	"	mov 16(%rsp), %r9\n"
	".globl user_safe_syscall_start\n"
	"user_safe_syscall_start:\n"
	"	cmpl $0, (%r11)\n"
	"	jne user_safe_syscall_intr\n"
	"	syscall\n"
	".globl user_safe_syscall_end\n"
	"user_safe_syscall_end:\n"
	"	ret\n"
	".globl user_safe_syscall_intr\n"
	"user_safe_syscall_intr:\n"
	"	mov $-" USER_STR(USER_ERESTART_PRE) ", %rax\n"
	"	ret\n"
	".size user_safe_syscall, .-user_safe_syscall\n");

/* x86-64 host system calls that can block (and so must be interruptible
 * by a guest signal): signal(7) "Interruption of system calls". */
static int may_block(long nr)
{
	switch (nr) {
	case SYS_read: case SYS_write: case SYS_open: case SYS_poll: case SYS_pread64:
	case SYS_pwrite64: case SYS_readv: case SYS_writev: case SYS_select: case SYS_pause:
	case SYS_nanosleep: case SYS_sendfile: case SYS_connect: case SYS_accept:
	case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg: case SYS_wait4:
	case SYS_semop: case SYS_msgsnd: case SYS_msgrcv: case SYS_fcntl: case SYS_flock:
	case SYS_rt_sigtimedwait: case SYS_futex: case SYS_semtimedop: case SYS_epoll_wait:
	case SYS_clock_nanosleep: case SYS_mq_timedsend: case SYS_mq_timedreceive:
	case SYS_waitid: case SYS_openat: case SYS_pselect6: case SYS_ppoll: case SYS_splice:
	case SYS_tee: case SYS_epoll_pwait: case SYS_accept4: case SYS_preadv:
	case SYS_pwritev: case SYS_recvmmsg: case SYS_sendmmsg: case SYS_copy_file_range:
	case SYS_preadv2: case SYS_pwritev2: case SYS_epoll_pwait2: case SYS_openat2:
		return 1;
	}
	return 0;
}

long user_host_syscall_blocking(struct user_thread *t, long nr, long a1, long a2, long a3,
				long a4, long a5, long a6)
{
	if (!may_block(nr))
		return host_syscall(nr, a1, a2, a3, a4, a5, a6);
	t->safe_intr = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (t->pending & ~t->sigmask)
		return -USER_ERESTART_PRE; /* deliver it first, then make the call */
	return user_safe_syscall(&t->safe_intr, nr, a1, a2, a3, a4, a5, a6);
}

int user_safe_syscall_interrupt(struct user_thread *t, int sig, void *puc)
{
	if (t->sigmask & SIGBIT(sig))
		return 0; /* blocked by the guest: the call goes on */
	t->safe_intr = 1;
	ucontext_t *uc = puc;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	if (pc >= (uintptr_t)user_safe_syscall_start && pc < (uintptr_t)user_safe_syscall_end) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)user_safe_syscall_intr;
		return 1;
	}
	return 0;
}
