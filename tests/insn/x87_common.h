/*
 * Helpers shared by the tests/insn/x87_*.c oracle programs: 80-bit values
 * printed as raw hex, an edge-value table, control words for every
 * rounding and precision control, FNV hashing of large sweeps and fault
 * catching.  Everything is printed raw so the native and emulated runs can
 * be compared byte for byte.
 */
#ifndef X87_COMMON_H
#define X87_COMMON_H

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	uint64_t m;
	uint16_t e;
} __attribute__((packed)) f80;

static const f80 edges[] = {
	{ 0, 0 }, { 0, 0x8000 },                                   /* +-0 */
	{ 1ull << 63, 0x3fff }, { 1ull << 63, 0xbfff },            /* +-1 */
	{ 1ull << 63, 0x7fff }, { 1ull << 63, 0xffff },            /* +-inf */
	{ 0xc000000000000000ull, 0x7fff }, { 0xc000000000001234ull, 0xffff }, /* QNaN */
	{ 0x8000000000000001ull, 0x7fff }, { 0xa000000000005678ull, 0xffff }, /* SNaN */
	{ 1, 0 }, { 0x4000000000000000ull, 0x8000 },               /* denormals */
	{ 0x8000000000000001ull, 0 },                              /* pseudo-denormal */
	{ 0x4000000000000000ull, 0x3fff }, { 0, 0x7fff },          /* unnormal, pseudo-inf */
	{ ~0ull, 0x7ffe }, { ~0ull, 0xfffe }, { 1ull << 63, 1 },   /* extremes */
	{ 0xc90fdaa22168c235ull, 0x4000 }, { 0xc90fdaa22168c235ull, 0xbfff }, /* pi, -pi/2 */
	{ 1ull << 63, 0x403e }, { 1ull << 63, 0x403f },            /* 2^63, 2^64 */
	{ 1ull << 63, 0x3ffe }, { 3ull << 62, 0x3fff },            /* 0.5, 1.5 */
	{ 5ull << 61, 0x4000 }, { 5ull << 61, 0xc000 },            /* +-2.5 */
	{ 0xaaaaaaaaaaaaaaabull, 0x3ffd },                         /* 1/3 */
	{ 0x8000008000000000ull, 0x3fff }, { 0x8000000000000400ull, 0xbfff }, /* ties */
	{ 0xe000000000000000ull, 0x4001 }, { 1ull << 63, 0x7000 }, { 1ull << 63, 0x0fff },
	{ 0xb504f333f9de6484ull, 0x3fff }, { 0x8000000000000001ull, 0x4040 },
};
#define NEDGES (sizeof(edges) / sizeof(edges[0]))

/* Control word: all exceptions masked, rounding rc, precision pc. */
static inline uint16_t cw_make(unsigned rc, unsigned pc)
{
	return (uint16_t)(0x007f | ((rc & 3) << 10) | ((pc & 3) << 8));
}
static const unsigned pcs[] = { 0, 2, 3 };

__attribute__((unused)) static void p80(const f80 *v)
{
	printf(" %04x:%016llx", v->e, (unsigned long long)v->m);
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

/* Fault catching: the handler records the signal and si_code and jumps
 * back; the x87 state after the jump is whatever the kernel left (fresh
 * FPU state for the handler), so callers FNINIT afterwards. */
static sigjmp_buf fault_jmp;
static volatile int fault_sig, fault_code;
static volatile unsigned fault_fsw, fault_fcw;
static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	siglongjmp(fault_jmp, 1);
}
__attribute__((unused)) static void fault_setup(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}
#define TRY(body)                                                                  \
	do {                                                                       \
		fault_sig = 0;                                                     \
		fault_code = 0;                                                    \
		if (!sigsetjmp(fault_jmp, 1)) {                                    \
			body;                                                      \
		}                                                                  \
	} while (0)

#endif
