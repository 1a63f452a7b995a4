/*
 * Helpers shared by the tests/insn/int_*.c oracle programs (integer ISA):
 * edge values, flag masks, and the inline-asm wrappers that load EFLAGS,
 * run one instruction and read EFLAGS back.  Output is plain hex, one line
 * per case, so native and emulated runs compare byte for byte.  Only the
 * flags the SDM defines for each instruction are printed.
 */
#ifndef INT_COMMON_H
#define INT_COMMON_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long ureg; /* native register width */

#define F_CF 0x001ul
#define F_PF 0x004ul
#define F_AF 0x010ul
#define F_ZF 0x040ul
#define F_SF 0x080ul
#define F_OF 0x800ul
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* pushf/popf inside asm must not clobber the x86-64 red zone. */
#ifdef __x86_64__
#define RZ_IN "lea -128(%%rsp), %%rsp\n\t"
#define RZ_OUT "lea 128(%%rsp), %%rsp\n\t"
#else
#define RZ_IN ""
#define RZ_OUT ""
#endif
#define FL_IN RZ_IN "push %[fin]\n\tpopf\n\t"
#define FL_OUT "\n\tpushf\n\tpop %[fo]\n\t" RZ_OUT

static const uint64_t vals[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	~0ull, ~1ull, 0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x5555555555555555ull,
	0xaaaaaaaaaaaaaaaaull, 0xdeadbeefull, 0x8000000080008080ull, 0x0000000100000001ull,
};
#define NV (sizeof(vals) / sizeof(vals[0]))

/* Input flag patterns: all clear, all set (CF in for RCL/ADC...). */
static const ureg fins[2] = { 0x002, 0x8d7 };

__attribute__((unused)) static void pr(const char *name, unsigned size, ureg a, ureg b, ureg r, ureg f, ureg mask)
{
	printf("%s%u %lx %lx: %lx f=%03lx\n", name, size * 8, a, b, r, f & mask);
}

/* Faults: a handler that prints the signal and jumps back. */
static sigjmp_buf fault_jmp;
static void fault_handler(int sig)
{
	siglongjmp(fault_jmp, sig);
}
__attribute__((unused)) static void faults_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fault_handler;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

#endif
