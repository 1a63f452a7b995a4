/*
 * Helpers shared by the tests/insn/sse_*.c oracle programs (MMX, SSE,
 * SSE2): 16-byte vectors, edge-value tables, MXCSR control, a
 * deterministic PRNG, FNV hashing of large sweeps and fault catching.
 * Every program prints raw hex so that the native and emulated runs can be
 * compared byte for byte.
 */
#ifndef SSE_COMMON_H
#define SSE_COMMON_H

#ifdef __i386__
/* i386 builds: XMM registers in clobber lists need the SSE2 target. */
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
__attribute__((unused)) static uint64_t rnd64(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

__attribute__((unused)) static void pv(const v128 *v)
{
	printf(" %016llx%016llx", (unsigned long long)v->q[1], (unsigned long long)v->q[0]);
}

static uint64_t fnv = 0xcbf29ce484222325ull;
__attribute__((unused)) static void hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		fnv ^= b[i];
		fnv *= 0x100000001b3ull;
	}
}
__attribute__((unused)) static void hash_reset(void)
{
	fnv = 0xcbf29ce484222325ull;
}

/* --- MXCSR --------------------------------------------------------- */

__attribute__((unused)) static inline uint32_t get_mxcsr(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m) : : "memory");
	return m;
}
__attribute__((unused)) static inline void set_mxcsr(uint32_t m)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(m) : "memory");
}
/* The 16 combinations of rounding control, FTZ and DAZ with every
 * exception masked: mode bits 0-1 = RC, bit 2 = FTZ, bit 3 = DAZ. */
__attribute__((unused)) static uint32_t mode_csr(unsigned mode)
{
	return 0x1f80 | ((mode & 3) << 13) | ((mode & 4) ? 0x8000 : 0) | ((mode & 8) ? 0x40 : 0);
}

/* --- edge values ---------------------------------------------------- */

static const uint32_t f32_edges[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000, 0x3dcccccd,
	0xc0200000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 0x00000001, 0x807fffff,
	0x00400000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001, 0xff812345,
	0x4b800001, 0x7149f2ca, 0x0da24260, 0x3f7fffff, 0x33800000, 0x4f000000, 0xcf000000,
};
#define N_F32 (sizeof(f32_edges) / sizeof(f32_edges[0]))
static const uint64_t f64_edges[] = {
	0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
	0x3ff8000000000000ull, 0x4008000000000000ull, 0x3fb999999999999aull, 0xc004000000000000ull,
	0x7fefffffffffffffull, 0xffefffffffffffffull, 0x0010000000000000ull, 0x8010000000000000ull,
	1, 0x800fffffffffffffull, 0x0008000000000000ull, 0x7ff0000000000000ull,
	0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000012345ull, 0x7ff0000000000001ull,
	0xfff0000000012345ull, 0x4340000000000001ull, 0x7e37e43c8800759cull, 0x01a56e1fc2f8f359ull,
	0x3fefffffffffffffull, 0x3ca0000000000000ull, 0x41e0000000000000ull, 0xc3e0000000000000ull,
	/* float-conversion edges: FLT_MAX rounding, float denormal range */
	0x47efffffe0000000ull, 0x47efffff10000000ull, 0x36a0000000000000ull, 0x3690000000000001ull,
	0x380fffffffffffffull, 0xb7f0000000000000ull,
};
#define N_F64 (sizeof(f64_edges) / sizeof(f64_edges[0]))

/* --- faults ----------------------------------------------------------- */

static sigjmp_buf fault_jmp;
static volatile int fault_code;
static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_code = si->si_code;
	siglongjmp(fault_jmp, sig);
}
__attribute__((unused)) static void fault_setup(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}
/* Run stmt; print "ok" or the signal it raised.  The signal mask is
 * restored by siglongjmp; MXCSR is reset to the default afterwards. */
#define TRY(name, stmt)                                                   \
	do {                                                              \
		int sig_ = sigsetjmp(fault_jmp, 1);                       \
		if (!sig_) {                                              \
			stmt;                                             \
			printf("%s: ok\n", name);                         \
		} else {                                                  \
			set_mxcsr(0x1f80);                                \
			printf("%s: signal %d\n", name, sig_);            \
		}                                                         \
	} while (0)

/* EFLAGS arithmetic bits after an instruction: LAHF gives SF ZF AF PF CF
 * and SETO gives OF (EFLAGS layout: CF 0, PF 2, AF 4, ZF 6, SF 7, OF 11). */
#define FLAGS_TAIL "\n\tlahf\n\tseto %%al\n\t"
__attribute__((unused)) static inline unsigned flags_of(unsigned ax)
{
	return ((ax >> 8) & 0xd5) | ((ax & 1) << 11);
}

#define REP4(M, n) M(n) M(n + 1) M(n + 2) M(n + 3)
#define REP8(M, n) REP4(M, n) REP4(M, n + 4)
#define REP16(M, n) REP8(M, n) REP8(M, n + 8)
#define REP64(M, n) REP16(M, n) REP16(M, n + 16) REP16(M, n + 32) REP16(M, n + 48)
#define REP256(M) REP64(M, 0) REP64(M, 64) REP64(M, 128) REP64(M, 192)

#endif
