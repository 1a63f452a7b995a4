/*
 * EFLAGS.TF in a user program: after POPF sets it, each instruction ends with a single-step
 * #DB, which Linux delivers as SIGTRAP with si_code TRAP_TRACE and si_addr the next
 * instruction's address (the saved IP).  The handler counts the traps and clears TF in the
 * saved context after a few; INT3 still gives SIGTRAP with SI_KERNEL.  Output is compared
 * with the native run.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile int traps, codes_ok, addr_ok, last_code;

#ifdef __x86_64__
#define REG_PC REG_RIP
#else
#define REG_PC REG_EIP
#endif

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	(void)sig;
	traps++;
	last_code = si->si_code;
	codes_ok += si->si_code == TRAP_TRACE;
	addr_ok += (unsigned long)si->si_addr == (unsigned long)uc->uc_mcontext.gregs[REG_PC];
	if (traps == 5)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L; /* TF off: stepping ends */
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);

	/* TF set by POPF: the trap comes after the instruction that follows it */
	__asm__ volatile("pushf\n\t"
#ifdef __x86_64__
	                 "orq $0x100, (%%rsp)\n\t"
#else
	                 "orl $0x100, (%%esp)\n\t"
#endif
	                 "popf\n\t"
	                 "nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t" ::
	                         : "memory", "cc");
	printf("stepping: %d traps, %d with TRAP_TRACE, %d with si_addr = saved IP\n", traps,
	       codes_ok, addr_ok);

	traps = 0;
	__asm__ volatile("int3" ::: "memory");
	printf("int3: %d trap, si_code %s\n", traps, last_code == SI_KERNEL ? "SI_KERNEL" : "other");
	return 0;
}
