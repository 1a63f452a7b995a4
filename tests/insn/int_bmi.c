/* lemu-test: m32 */
/*
 * BMI1 (ANDN BEXTR BLSI BLSMSK BLSR TZCNT), BMI2 (BZHI PDEP PEXT MULX RORX
 * SARX SHLX SHRX) and ADX (ADCX ADOX) over edge-value pairs and BEXTR/BZHI
 * control values, 32-bit and (64-bit builds) 64-bit forms.
 */
#include "int_common.h"

#define V3(NAME, INSN, MOD)                                                                  \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f, d;                                                                   \
		__asm__(FL_IN INSN " %" MOD "[b], %" MOD "[a], %" MOD "[d]" FL_OUT           \
			: [d] "=&r"(d), [fo] "=&r"(f) : [a] "r"(a), [b] "r"(b), [fin] "r"(fin) : "cc"); \
		*fo = f;                                                                     \
		return d;                                                                    \
	}
#define V2(NAME, INSN, MOD)                                                                  \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f, d = b;                                                               \
		__asm__(FL_IN INSN " %" MOD "[a], %" MOD "[d]" FL_OUT                        \
			: [d] "+r"(d), [fo] "=&r"(f) : [a] "r"(a), [fin] "r"(fin) : "cc");   \
		*fo = f;                                                                     \
		return d;                                                                    \
	}
#define RX(NAME, MOD, N)                                                                     \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f, d;                                                                   \
		(void)b;                                                                     \
		__asm__(FL_IN "rorx $" #N ", %" MOD "[a], %" MOD "[d]" FL_OUT                \
			: [d] "=&r"(d), [fo] "=&r"(f) : [a] "r"(a), [fin] "r"(fin) : "cc");  \
		*fo = f;                                                                     \
		return d;                                                                    \
	}
/* AT&T operand order: andn src2, src1, dst = ~src1 & src2;
 * bextr/bzhi/sarx/shlx/shrx ctl, src, dst; pdep/pext mask, src, dst */
#define SET(M, S)                                                                            \
	V3(andn##S, "andn", M) V3(bextr##S, "bextr", M) V3(bzhi##S, "bzhi", M)               \
	V3(pdep##S, "pdep", M) V3(pext##S, "pext", M) V3(sarx##S, "sarx", M)                 \
	V3(shlx##S, "shlx", M) V3(shrx##S, "shrx", M) V2(blsi##S, "blsi", M)                 \
	V2(blsmsk##S, "blsmsk", M) V2(blsr##S, "blsr", M) V2(tzcnt##S, "tzcnt", M)          \
	V2(adcx##S, "adcx", M) V2(adox##S, "adox", M) RX(rorx1##S, M, 1) RX(rorx13##S, M, 13)
SET("k", 32)
#ifdef __x86_64__
SET("q", 64)
#endif

#define ZSC (F_ZF | F_SF | F_CF | F_OF)
#define ROWS(S)                                                                              \
	{ "andn" #S, andn##S, ZSC }, { "bextr" #S, bextr##S, F_ZF | F_CF | F_OF },           \
	{ "bzhi" #S, bzhi##S, ZSC }, { "pdep" #S, pdep##S, F_ALL }, { "pext" #S, pext##S, F_ALL }, \
	{ "sarx" #S, sarx##S, F_ALL }, { "shlx" #S, shlx##S, F_ALL }, { "shrx" #S, shrx##S, F_ALL }, \
	{ "blsi" #S, blsi##S, ZSC }, { "blsmsk" #S, blsmsk##S, ZSC }, { "blsr" #S, blsr##S, ZSC }, \
	{ "tzcnt" #S, tzcnt##S, F_ZF | F_CF }, { "adcx" #S, adcx##S, F_ALL }, { "adox" #S, adox##S, F_ALL }, \
	{ "rorx1_" #S, rorx1##S, F_ALL }, { "rorx13_" #S, rorx13##S, F_ALL }
static const struct {
	const char *name;
	ureg (*fn)(ureg, ureg, ureg, ureg *);
	ureg mask;
} ops[] = {
	ROWS(32),
#ifdef __x86_64__
	ROWS(64),
#endif
};

static void mulx_all(void)
{
	for (unsigned i = 0; i < NV; i++)
		for (unsigned j = 0; j < NV; j++) {
			ureg d = (ureg)vals[i], hi, lo, f;
			__asm__(FL_IN "mulx %[s], %[lo], %[hi]" FL_OUT
				: [hi] "=&r"(hi), [lo] "=&r"(lo), [fo] "=&r"(f)
				: "d"(d), [s] "r"((ureg)vals[j]), [fin] "r"(fins[j & 1])
				: "cc");
			printf("mulx %lx %lx: %lx %lx f=%03lx\n", d, (ureg)vals[j], hi, lo, f & F_ALL);
		}
}

int main(void)
{
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (unsigned i = 0; i < NV; i++)
			for (unsigned j = 0; j < NV + 48; j++) {
				/* after the value pairs: BEXTR/BZHI controls start | len << 8 */
				ureg b = j < NV ? (ureg)vals[j] : (ureg)(((j - NV) * 3) | ((((j - NV) * 7) % 72) << 8));
				for (int k = 0; k < 4; k++) {
					ureg fin = 2 | (k & 1 ? F_CF : 0) | (k & 2 ? F_OF : 0) | ((i & 1) ? 0xd4 : 0);
					ureg f, r = ops[o].fn((ureg)vals[i], b, fin, &f);
					printf("%s %lx %lx %lx: %lx f=%03lx\n", ops[o].name, (ureg)vals[i], b, fin, r,
					       f & ops[o].mask);
				}
			}
	mulx_all();
	return 0;
}
