/* lemu-test: m32 */
/*
 * Instructions that exist only outside 64-bit mode: DAA DAS AAA AAS (every
 * AL with AF/CF in), AAM/AAD with every base (AAM 0 raises #DE: SIGFPE),
 * PUSHA/POPA, BOUND (#BR: SIGSEGV on Linux) and XLAT.  The 64-bit build
 * only runs XLAT.
 */
#include "int_common.h"

#ifdef __i386__
#define BCD(NAME, INSN)                                                                      \
	static ureg NAME(ureg ax, ureg fin, ureg *fo)                                        \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN INSN FL_OUT : "+a"(ax), [fo] "=&r"(f) : [fin] "r"(fin) : "cc"); \
		*fo = f;                                                                     \
		return ax;                                                                   \
	}
BCD(daa_, "daa") BCD(das_, "das") BCD(aaa_, "aaa") BCD(aas_, "aas")

/* AAM/AAD with an arbitrary base: patch-free via a table of 256 stubs
 * would be large; use the encodings for a few bases inline. */
#define AAMD(NAME, OPC, BASE)                                                                \
	static ureg NAME(ureg ax, ureg fin, ureg *fo)                                        \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN ".byte " #OPC ", " #BASE FL_OUT : "+a"(ax), [fo] "=&r"(f) : [fin] "r"(fin) : "cc"); \
		*fo = f;                                                                     \
		return ax;                                                                   \
	}
AAMD(aam10, 0xd4, 10) AAMD(aam16, 0xd4, 16) AAMD(aam7, 0xd4, 7) AAMD(aam255, 0xd4, 255) AAMD(aam1, 0xd4, 1)
AAMD(aam0, 0xd4, 0) AAMD(aad10, 0xd5, 10) AAMD(aad16, 0xd5, 16) AAMD(aad7, 0xd5, 7) AAMD(aad255, 0xd5, 255)
AAMD(aad0, 0xd5, 0)

static __attribute__((noinline)) void aam_case(const char *name, ureg (*fn)(ureg, ureg, ureg *), ureg ax)
{
	volatile ureg r = 0, f = 0;
	int sig = sigsetjmp(fault_jmp, 1);
	if (!sig) {
		ureg ff;
		r = fn(ax, fins[ax & 1], &ff);
		f = ff;
	}
	if (sig)
		printf("%s %lx: signal %d\n", name, ax, sig);
	else
		printf("%s %lx: %lx f=%03lx\n", name, ax, r, f & (F_SF | F_ZF | F_PF));
}

static __attribute__((noinline)) void bound_case(int idx, int lo, int hi)
{
	static int b[2];
	b[0] = lo;
	b[1] = hi;
	int sig = sigsetjmp(fault_jmp, 1);
	if (!sig)
		__asm__ volatile("bound %0, %1" : : "r"(idx), "m"(b[0]) : "memory");
	printf("bound %d [%d,%d]: %s\n", idx, lo, hi, sig ? "signal" : "ok");
}
#endif

int main(void)
{
	faults_install();
	static const uint8_t table[256] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x77, [255] = 0xee };
	for (unsigned i = 0; i < 256; i += 5) {
		uint8_t al = (uint8_t)i;
		__asm__("xlat" : "+a"(al) : "b"(table));
		printf("xlat %u: %02x\n", i, al);
	}
#ifdef __i386__
	static const struct {
		const char *name;
		ureg (*fn)(ureg, ureg, ureg *);
		ureg mask;
	} bcd[] = {
		{ "daa", daa_, F_CF | F_AF | F_SF | F_ZF | F_PF }, { "das", das_, F_CF | F_AF | F_SF | F_ZF | F_PF },
		{ "aaa", aaa_, F_CF | F_AF }, { "aas", aas_, F_CF | F_AF },
	};
	for (unsigned o = 0; o < 4; o++)
		for (unsigned al = 0; al < 256; al++)
			for (unsigned k = 0; k < 4; k++)
				for (unsigned ah = 0; ah < 0x300; ah += 0xff) {
					ureg fin = 2 | (k & 1 ? F_CF : 0) | (k & 2 ? F_AF : 0);
					ureg f, r = bcd[o].fn(0x55aa0000u | (ah & 0xff) << 8 | al, fin, &f);
					printf("%s %02x %02x %lx: %lx f=%03lx\n", bcd[o].name, ah & 0xff, al, fin, r,
					       f & bcd[o].mask);
				}
	static const struct {
		const char *name;
		ureg (*fn)(ureg, ureg, ureg *);
	} am[] = { { "aam10", aam10 }, { "aam16", aam16 }, { "aam7", aam7 }, { "aam255", aam255 },
		   { "aam1", aam1 }, { "aam0", aam0 }, { "aad10", aad10 }, { "aad16", aad16 },
		   { "aad7", aad7 }, { "aad255", aad255 }, { "aad0", aad0 } };
	for (unsigned o = 0; o < sizeof(am) / sizeof(am[0]); o++)
		for (unsigned ax = 0; ax < 0x10000; ax += 0x3f7)
			aam_case(am[o].name, am[o].fn, 0x12340000u | ax);
	/* PUSHA/POPA: registers survive, the pushed ESP is the original */
	{
		ureg sp0, psp;
		__asm__ volatile("mov %%esp, %%ecx\n\t"
				 "pusha\n\t"
				 "mov 12(%%esp), %%eax\n\t"
				 "mov %%eax, 28(%%esp)\n\t" /* into the saved EAX slot */
				 "popa"
				 : "=a"(psp), "=c"(sp0)
				 :
				 : "memory");
		printf("pusha esp: %s\n", psp == sp0 ? "original" : "other");
		ureg a = 0x11111111, b = 0x44444444, c = 0x22222222, d = 0x33333333, si = 0x77777777, di = 0x88888888;
		__asm__ volatile("pushal\n\t"
				 "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\txor %%ebx, %%ebx\n\t"
				 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\t"
				 "popal\n\t"
				 "pushaw\n\t"
				 "xor %%eax, %%eax\n\t"
				 "popaw"
				 : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(si), "+D"(di)
				 :
				 : "memory");
		printf("popa: %lx %lx %lx %lx %lx %lx\n", a, b, c, d, si, di);
	}
	static const int bv[][3] = { { 0, 0, 0 }, { 5, -5, 10 }, { 10, -5, 10 }, { 11, -5, 10 },
				     { -5, -5, 10 }, { -6, -5, 10 }, { -2147483647 - 1, 0, 1 } };
	for (unsigned i = 0; i < sizeof(bv) / sizeof(bv[0]); i++)
		bound_case(bv[i][0], bv[i][1], bv[i][2]);
#else
	printf("64-bit build: BCD, PUSHA/POPA and BOUND are invalid here\n");
#endif
	return 0;
}
