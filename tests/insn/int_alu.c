/* lemu-test: m32 */
/*
 * The ALU core: ADD OR ADC SBB AND SUB XOR CMP TEST (reg,reg and reg,mem),
 * INC DEC NEG NOT at every size over edge-value pairs with CF clear and
 * set, then SETcc and CMOVcc for all 16 conditions over every OSZPC flag
 * combination.  Prints results and the defined flags.
 */
#include "int_common.h"

typedef ureg (*binfn)(ureg a, ureg b, ureg fin, ureg *fo);

#define BIN(NAME, INSN, SUF, MOD)                                                           \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                \
	{                                                                                   \
		ureg f;                                                                     \
		__asm__(FL_IN INSN SUF " %" MOD "[b], %" MOD "[a]" FL_OUT                   \
			: [a] "+q"(a), [fo] "=&r"(f)                                        \
			: [b] "q"(b), [fin] "r"(fin)                                        \
			: "cc");                                                            \
		*fo = f;                                                                    \
		return a;                                                                   \
	}
#define BINM(NAME, INSN, SUF, MOD)                                                          \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                \
	{                                                                                   \
		ureg f;                                                                     \
		__asm__(FL_IN INSN SUF " %[b], %" MOD "[a]" FL_OUT                          \
			: [a] "+q"(a), [fo] "=&r"(f)                                        \
			: [b] "m"(b), [fin] "r"(fin)                                        \
			: "cc");                                                            \
		*fo = f;                                                                    \
		return a;                                                                   \
	}
#define UN(NAME, INSN, SUF, MOD)                                                            \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                \
	{                                                                                   \
		ureg f;                                                                     \
		(void)b;                                                                    \
		__asm__(FL_IN INSN SUF " %" MOD "[a]" FL_OUT                                \
			: [a] "+q"(a), [fo] "=&r"(f)                                        \
			: [fin] "r"(fin)                                                    \
			: "cc");                                                            \
		*fo = f;                                                                    \
		return a;                                                                   \
	}

#define SIZES3(M, N, I) M(N##8, I, "b", "b") M(N##16, I, "w", "w") M(N##32, I, "l", "k")
#ifdef __x86_64__
#define SIZES(M, N, I) SIZES3(M, N, I) M(N##64, I, "q", "q")
#define ROW(N, MASK) { #N, MASK, { N##8, N##16, N##32, N##64 } }
#else
#define SIZES(M, N, I) SIZES3(M, N, I)
#define ROW(N, MASK) { #N, MASK, { N##8, N##16, N##32, 0 } }
#endif

SIZES(BIN, add, "add") SIZES(BIN, or, "or") SIZES(BIN, adc, "adc") SIZES(BIN, sbb, "sbb")
SIZES(BIN, and, "and") SIZES(BIN, sub, "sub") SIZES(BIN, xor, "xor") SIZES(BIN, cmp, "cmp")
SIZES(BIN, test, "test") SIZES(BINM, addm, "add") SIZES(BINM, sbbm, "sbb") SIZES(BINM, cmpm, "cmp")
SIZES(UN, inc, "inc") SIZES(UN, dec, "dec") SIZES(UN, neg, "neg") SIZES(UN, not, "not")

static const struct {
	const char *name;
	ureg mask;
	binfn fn[4];
} ops[] = {
	ROW(add, F_ALL), ROW(or, F_ALL & ~F_AF), ROW(adc, F_ALL), ROW(sbb, F_ALL),
	ROW(and, F_ALL & ~F_AF), ROW(sub, F_ALL), ROW(xor, F_ALL & ~F_AF), ROW(cmp, F_ALL),
	ROW(test, F_ALL & ~F_AF), ROW(addm, F_ALL), ROW(sbbm, F_ALL), ROW(cmpm, F_ALL),
	ROW(inc, F_ALL), ROW(dec, F_ALL), ROW(neg, F_ALL), ROW(not, F_ALL),
};

#define CC(N, CCN)                                                                          \
	static ureg set##N(ureg fin)                                                        \
	{                                                                                   \
		ureg r = 0x5a5a, f;                                                         \
		__asm__(FL_IN "set" CCN " %b[r]" FL_OUT : [r] "+q"(r), [fo] "=&r"(f) : [fin] "r"(fin) : "cc"); \
		return r;                                                                   \
	}                                                                                   \
	static ureg cmov##N(ureg fin, ureg a, ureg b)                                       \
	{                                                                                   \
		ureg f;                                                                     \
		__asm__(FL_IN "cmov" CCN " %[b], %[a]" FL_OUT : [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc"); \
		return a;                                                                   \
	}                                                                                   \
	static ureg cmovw##N(ureg fin, ureg a, ureg b)                                      \
	{                                                                                   \
		ureg f;                                                                     \
		__asm__(FL_IN "cmov" CCN " %w[b], %w[a]" FL_OUT : [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc"); \
		return a;                                                                   \
	}
CC(0, "o") CC(1, "no") CC(2, "b") CC(3, "ae") CC(4, "e") CC(5, "ne") CC(6, "be") CC(7, "a")
CC(8, "s") CC(9, "ns") CC(10, "p") CC(11, "np") CC(12, "l") CC(13, "ge") CC(14, "le") CC(15, "g")
static ureg (*const setf[16])(ureg) = { set0, set1, set2, set3, set4, set5, set6, set7,
					set8, set9, set10, set11, set12, set13, set14, set15 };
static ureg (*const cmovf[16])(ureg, ureg, ureg) = { cmov0, cmov1, cmov2, cmov3, cmov4, cmov5, cmov6, cmov7,
						     cmov8, cmov9, cmov10, cmov11, cmov12, cmov13, cmov14, cmov15 };
static ureg (*const cmovwf[16])(ureg, ureg, ureg) = { cmovw0, cmovw1, cmovw2, cmovw3, cmovw4, cmovw5, cmovw6, cmovw7,
						      cmovw8, cmovw9, cmovw10, cmovw11, cmovw12, cmovw13, cmovw14, cmovw15 };

int main(void)
{
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (unsigned s = 0; s < 4; s++) {
			if (!ops[o].fn[s])
				continue;
			unsigned size = 1u << s;
			for (unsigned i = 0; i < NV; i++)
				for (unsigned j = 0; j < NV; j++)
					for (int k = 0; k < 2; k++) {
						ureg f, r = ops[o].fn[s]((ureg)vals[i], (ureg)vals[j], fins[k], &f);
						pr(ops[o].name, size, (ureg)vals[i], (ureg)vals[j] | k, r, f, ops[o].mask);
					}
		}
	/* every combination of O S Z P C (A is irrelevant to conditions) */
	for (unsigned m = 0; m < 32; m++) {
		ureg fin = 2 | (m & 1 ? F_CF : 0) | (m & 2 ? F_PF : 0) | (m & 4 ? F_ZF : 0) |
			   (m & 8 ? F_SF : 0) | (m & 16 ? F_OF : 0);
		printf("flags %03lx:", fin);
		for (int cc = 0; cc < 16; cc++) {
			ureg a = (ureg)0x1111111122222222ull, b = (ureg)0x3333333344444444ull;
			printf(" %lx/%lx/%lx", setf[cc](fin), cmovf[cc](fin, a, b), cmovwf[cc](fin, a, b));
		}
		printf("\n");
	}
	return 0;
}
