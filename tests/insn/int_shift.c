/* lemu-test: m32 */
/*
 * Shifts and rotates (C0/C1/D0-D3: ROL ROR RCL RCR SHL SHR SAR) at every
 * size, every count 0..65 by CL and a few immediates, and SHLD/SHRD
 * (including 16-bit counts above 16, whose result Intel hardware defines
 * in practice).  Prints results and the SDM-defined flags.
 */
#include "int_common.h"

typedef ureg (*shfn)(ureg v, ureg cnt, ureg fin, ureg *fo);

#define SH_CL(NAME, INSN, SUF, MOD)                                                         \
	static ureg NAME(ureg v, ureg cnt, ureg fin, ureg *fo)                              \
	{                                                                                   \
		ureg f;                                                                     \
		__asm__(FL_IN INSN SUF " %%cl, %" MOD "[v]" FL_OUT                          \
			: [v] "+q"(v), [fo] "=&r"(f)                                        \
			: "c"(cnt), [fin] "r"(fin)                                          \
			: "cc");                                                            \
		*fo = f;                                                                    \
		return v;                                                                   \
	}
#define SH_IMM(NAME, INSN, SUF, MOD, N)                                                     \
	static ureg NAME(ureg v, ureg cnt, ureg fin, ureg *fo)                              \
	{                                                                                   \
		ureg f;                                                                     \
		(void)cnt;                                                                  \
		__asm__(FL_IN INSN SUF " $" #N ", %" MOD "[v]" FL_OUT                       \
			: [v] "+q"(v), [fo] "=&r"(f)                                        \
			: [fin] "r"(fin)                                                    \
			: "cc");                                                            \
		*fo = f;                                                                    \
		return v;                                                                   \
	}

#define SH_SIZES(OP)                                                                        \
	SH_CL(OP##_cl8, #OP, "b", "b") SH_CL(OP##_cl16, #OP, "w", "w")                      \
	SH_CL(OP##_cl32, #OP, "l", "k")                                                     \
	SH_IMM(OP##_i1_8, #OP, "b", "b", 1) SH_IMM(OP##_i1_32, #OP, "l", "k", 1)            \
	SH_IMM(OP##_i7_16, #OP, "w", "w", 7) SH_IMM(OP##_i17_32, #OP, "l", "k", 17)         \
	SH_IMM(OP##_i9_8, #OP, "b", "b", 9)
SH_SIZES(rol) SH_SIZES(ror) SH_SIZES(rcl) SH_SIZES(rcr) SH_SIZES(shl) SH_SIZES(shr) SH_SIZES(sar)
#ifdef __x86_64__
#define SH_64(OP) SH_CL(OP##_cl64, #OP, "q", "q") SH_IMM(OP##_i1_64, #OP, "q", "q", 1) \
	SH_IMM(OP##_i33_64, #OP, "q", "q", 33)
SH_64(rol) SH_64(ror) SH_64(rcl) SH_64(rcr) SH_64(shl) SH_64(shr) SH_64(sar)
#endif

struct sh {
	const char *name;
	unsigned op, size; /* op = ModRM.reg */
	shfn cl;
	shfn imm[3];
	unsigned immc[3];
};
#define SH_ROW(OP, N)                                                                       \
	{ #OP, N, 1, OP##_cl8, { OP##_i1_8, OP##_i9_8, 0 }, { 1, 9, 0 } },                   \
	{ #OP, N, 2, OP##_cl16, { OP##_i7_16, 0, 0 }, { 7, 0, 0 } },                         \
	{ #OP, N, 4, OP##_cl32, { OP##_i1_32, OP##_i17_32, 0 }, { 1, 17, 0 } }
#ifdef __x86_64__
#define SH_ROW64(OP, N) , { #OP, N, 8, OP##_cl64, { OP##_i1_64, OP##_i33_64, 0 }, { 1, 33, 0 } }
#else
#define SH_ROW64(OP, N)
#endif
static const struct sh shs[] = {
	SH_ROW(rol, 0) SH_ROW64(rol, 0), SH_ROW(ror, 1) SH_ROW64(ror, 1),
	SH_ROW(rcl, 2) SH_ROW64(rcl, 2), SH_ROW(rcr, 3) SH_ROW64(rcr, 3),
	SH_ROW(shl, 4) SH_ROW64(shl, 4), SH_ROW(shr, 5) SH_ROW64(shr, 5),
	SH_ROW(sar, 7) SH_ROW64(sar, 7),
};

static ureg sh_mask(unsigned op, unsigned size, unsigned cnt)
{
	unsigned m = cnt & (size == 8 ? 63 : 31), bits = size * 8;
	if (!m)
		return F_ALL;
	if (op <= 3)
		return m == 1 ? F_ALL : F_ALL & ~F_OF;
	ureg f = F_SF | F_ZF | F_PF | F_CF;
	if (m == 1)
		f |= F_OF;
	if (m >= bits && op != 7)
		f &= ~F_CF;
	return f;
}

/* SHLD/SHRD r/m, r, cl */
#define SHD(NAME, INSN, SUF, MOD)                                                            \
	static ureg NAME(ureg a, ureg b, ureg cnt, ureg fin, ureg *fo)                       \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN INSN SUF " %%cl, %" MOD "[b], %" MOD "[a]" FL_OUT              \
			: [a] "+r"(a), [fo] "=&r"(f)                                         \
			: [b] "r"(b), "c"(cnt), [fin] "r"(fin)                               \
			: "cc");                                                             \
		*fo = f;                                                                     \
		return a;                                                                    \
	}
SHD(shld16, "shld", "w", "w") SHD(shld32, "shld", "l", "k")
SHD(shrd16, "shrd", "w", "w") SHD(shrd32, "shrd", "l", "k")
#ifdef __x86_64__
SHD(shld64, "shld", "q", "q") SHD(shrd64, "shrd", "q", "q")
#endif

int main(void)
{
	for (unsigned i = 0; i < sizeof(shs) / sizeof(shs[0]); i++) {
		const struct sh *s = &shs[i];
		ureg m = s->size == sizeof(ureg) ? ~0ul : (1ul << (s->size * 8)) - 1;
		for (unsigned v = 0; v < NV; v++) {
			ureg x = (ureg)vals[v];
			for (unsigned cnt = 0; cnt <= 65; cnt++)
				for (int k = 0; k < (s->op == 2 || s->op == 3 ? 2 : 1); k++) {
					ureg fin = s->op == 2 || s->op == 3 ? fins[k] : fins[(v + cnt) & 1];
					ureg f, r = s->cl(x, cnt, fin, &f);
					pr(s->name, s->size, x & m, cnt | (fin & 1) << 8, r, f,
					   sh_mask(s->op, s->size, cnt));
				}
			for (int j = 0; j < 3 && s->imm[j]; j++) {
				ureg f, r = s->imm[j](x, 0, fins[v & 1], &f);
				pr(s->name, s->size, x & m, s->immc[j] | 0x1000, r, f,
				   sh_mask(s->op, s->size, s->immc[j]));
			}
		}
	}
	static const struct {
		const char *name;
		unsigned size;
		ureg (*fn)(ureg, ureg, ureg, ureg, ureg *);
	} shd[] = {
		{ "shld", 2, shld16 }, { "shld", 4, shld32 }, { "shrd", 2, shrd16 }, { "shrd", 4, shrd32 },
#ifdef __x86_64__
		{ "shld", 8, shld64 }, { "shrd", 8, shrd64 },
#endif
	};
	for (unsigned i = 0; i < sizeof(shd) / sizeof(shd[0]); i++) {
		unsigned size = shd[i].size, bits = size * 8;
		for (unsigned v = 0; v < NV; v += 2)
			for (unsigned w = 1; w < NV; w += 3)
				for (unsigned cnt = 0; cnt <= 65; cnt++) {
					unsigned m = cnt & (size == 8 ? 63 : 31);
					ureg fm = !m ? F_ALL : m > bits ? 0 :
						(F_SF | F_ZF | F_PF | F_CF | (m == 1 ? F_OF : 0));
					ureg f, r = shd[i].fn((ureg)vals[v], (ureg)vals[w], cnt, fins[cnt & 1], &f);
					printf("%s%u %lx %lx %u: %lx f=%03lx\n", shd[i].name, bits, (ureg)vals[v],
					       (ureg)vals[w], cnt, r, f & fm);
				}
	}
	return 0;
}
