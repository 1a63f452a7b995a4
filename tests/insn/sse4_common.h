/*
 * Helpers shared by the tests/insn/sse4_*.c and aes_*.c oracle programs:
 * a deterministic PRNG, hex printing, a running hash for the large
 * cross-product sweeps, and REP256() to instantiate an instruction for
 * every imm8 (the immediate must be a literal in the instruction).
 */
#ifndef SSE4_COMMON_H
#define SSE4_COMMON_H

#ifdef __i386__
/* i386 builds: the XMM registers are named in asm clobber lists. */
#pragma GCC target("sse2")
#endif

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef union {
	uint8_t b[16];
	uint16_t w[8];
	uint32_t l[4];
	uint64_t q[2];
	float f[4];
	double d[2];
} __attribute__((aligned(16))) v128;

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint64_t rnd64(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}
__attribute__((unused)) static void rnd_v(v128 *v)
{
	v->q[0] = rnd64();
	v->q[1] = rnd64();
}

__attribute__((unused)) static void pv(const v128 *v)
{
	printf(" %016llx%016llx", (unsigned long long)v->q[1], (unsigned long long)v->q[0]);
}

/* FNV-1a over result bytes, for sweeps too large to print raw. */
static uint64_t fnv = 0xcbf29ce484222325ull;
__attribute__((unused)) static void hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		fnv ^= b[i];
		fnv *= 0x100000001b3ull;
	}
}

/* Arithmetic flags after an instruction: LAHF gives SF ZF AF PF CF, SETO
 * gives OF.  Result: EFLAGS bit layout (CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11). */
#define FLAGS_TAIL "\n\tlahf\n\tseto %%al\n\t"
static inline unsigned flags_of(unsigned ax)
{
	return ((ax >> 8) & 0xd5) | ((ax & 1) << 11);
}

#define REP4(M, n) M(n) M(n + 1) M(n + 2) M(n + 3)
#define REP16(M, n) REP4(M, n) REP4(M, n + 4) REP4(M, n + 8) REP4(M, n + 12)
#define REP64(M, n) REP16(M, n) REP16(M, n + 16) REP16(M, n + 32) REP16(M, n + 48)
#define REP256(M) REP64(M, 0) REP64(M, 64) REP64(M, 128) REP64(M, 192)

/* Fault catching: run a statement, print the signal it raised (if any). */
static sigjmp_buf fault_jmp;
static void fault_handler(int sig)
{
	siglongjmp(fault_jmp, sig);
}
__attribute__((unused)) static void fault_setup(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fault_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}
#define TRY(name, stmt)                                                   \
	do {                                                              \
		int sig_ = sigsetjmp(fault_jmp, 1);                       \
		if (!sig_) {                                              \
			stmt;                                             \
			printf("%s: ok\n", name);                         \
		} else {                                                  \
			printf("%s: signal %d\n", name, sig_);            \
		}                                                         \
	} while (0)

#endif
