/* lemu-test: m32 */
/*
 * MUL, IMUL (one, two and three operands), DIV and IDIV at every size over
 * edge-value pairs; #DE (divide by zero, quotient overflow, INT_MIN/-1)
 * is caught as SIGFPE and printed.  MUL/IMUL print CF/OF only (the other
 * flags are undefined); DIV/IDIV print no flags.
 */
#include "int_common.h"

/* one-operand forms: rAX (and rDX) in, rAX:rDX out */
#define MD1(NAME, INSN, SUF, MOD)                                                            \
	static void NAME(ureg *a, ureg *d, ureg s, ureg fin, ureg *fo)                       \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN INSN SUF " %" MOD "[s]" FL_OUT                                 \
			: "+a"(*a), "+d"(*d), [fo] "=&r"(f)                                  \
			: [s] "q"(s), [fin] "r"(fin)                                         \
			: "cc");                                                             \
		*fo = f;                                                                     \
	}
#define SZ3(M, N, I) M(N##8, I, "b", "b") M(N##16, I, "w", "w") M(N##32, I, "l", "k")
#ifdef __x86_64__
#define SZ(M, N, I) SZ3(M, N, I) M(N##64, I, "q", "q")
#define FNS(N) { N##8, N##16, N##32, N##64 }
#else
#define SZ(M, N, I) SZ3(M, N, I)
#define FNS(N) { N##8, N##16, N##32, 0 }
#endif
SZ(MD1, mul, "mul") SZ(MD1, imul, "imul") SZ(MD1, div, "div") SZ(MD1, idiv, "idiv")

typedef void (*mdfn)(ureg *, ureg *, ureg, ureg, ureg *);
static const struct {
	const char *name;
	ureg mask;
	mdfn fn[4];
} ops[] = {
	{ "mul", F_CF | F_OF, FNS(mul) }, { "imul", F_CF | F_OF, FNS(imul) },
	{ "div", 0, FNS(div) }, { "idiv", 0, FNS(idiv) },
};

#define IM2(NAME, SUF, MOD)                                                                  \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN "imul" SUF " %" MOD "[b], %" MOD "[a]" FL_OUT                  \
			: [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc");   \
		*fo = f;                                                                     \
		return a;                                                                    \
	}
#define IM3(NAME, SUF, MOD, IMM)                                                             \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f;                                                                      \
		(void)a;                                                                     \
		__asm__(FL_IN "imul" SUF " $" #IMM ", %" MOD "[b], %" MOD "[a]" FL_OUT       \
			: [a] "=&r"(a), [fo] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc");  \
		*fo = f;                                                                     \
		return a;                                                                    \
	}
IM2(imul2_16, "w", "w") IM2(imul2_32, "l", "k")
IM3(imul3a_16, "w", "w", -3) IM3(imul3a_32, "l", "k", -3) IM3(imul3b_16, "w", "w", 0x1234)
IM3(imul3b_32, "l", "k", 0x7ffffff1) IM3(imul3c_32, "l", "k", -0x80000000)
#ifdef __x86_64__
IM2(imul2_64, "q", "q") IM3(imul3a_64, "q", "q", 127) IM3(imul3b_64, "q", "q", -0x7ffffff1)
#endif

/* One MUL/DIV case; a #DE arrives as SIGFPE. */
static __attribute__((noinline)) void md_case(unsigned o, unsigned s, unsigned i, unsigned j, unsigned k)
{
	volatile ureg a = (ureg)vals[i], d = (ureg)vals[k], f = 0;
	ureg src = (ureg)vals[j];
	int sig = sigsetjmp(fault_jmp, 1);
	if (!sig) {
		ureg aa = a, dd = d, ff;
		ops[o].fn[s](&aa, &dd, src, fins[(i + j) & 1], &ff);
		a = aa;
		d = dd;
		f = ff;
	}
	printf("%s%u %lx:%lx / %lx: ", ops[o].name, 8u << s, (ureg)vals[k], (ureg)vals[i], src);
	if (sig)
		printf("signal %d\n", sig);
	else
		printf("%lx %lx f=%03lx\n", a, d, f & ops[o].mask);
}

int main(void)
{
	faults_install();
	for (unsigned o = 0; o < 4; o++)
		for (unsigned s = 0; s < 4; s++) {
			if (!ops[o].fn[s])
				continue;
			for (unsigned i = 0; i < NV; i++)
				for (unsigned j = 0; j < NV; j++)
					for (unsigned k = 0; k < NV; k += 5)
						md_case(o, s, i, j, k);
		}
	static const struct {
		const char *name;
		ureg (*fn)(ureg, ureg, ureg, ureg *);
	} im[] = {
		{ "imul2_16", imul2_16 }, { "imul2_32", imul2_32 }, { "imul3a_16", imul3a_16 },
		{ "imul3a_32", imul3a_32 }, { "imul3b_16", imul3b_16 }, { "imul3b_32", imul3b_32 },
		{ "imul3c_32", imul3c_32 },
#ifdef __x86_64__
		{ "imul2_64", imul2_64 }, { "imul3a_64", imul3a_64 }, { "imul3b_64", imul3b_64 },
#endif
	};
	for (unsigned o = 0; o < sizeof(im) / sizeof(im[0]); o++)
		for (unsigned i = 0; i < NV; i++)
			for (unsigned j = 0; j < NV; j++) {
				ureg f, r = im[o].fn((ureg)vals[i], (ureg)vals[j], fins[j & 1], &f);
				printf("%s %lx %lx: %lx f=%03lx\n", im[o].name, (ureg)vals[i], (ureg)vals[j], r,
				       f & (F_CF | F_OF));
			}
	return 0;
}
