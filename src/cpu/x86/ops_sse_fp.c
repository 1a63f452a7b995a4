/*
 * SSE/SSE2 floating point (Intel SDM vol. 2; opcode map vol. 2 appendix A
 * table A-3): ADD/SUB/MUL/DIV/MIN/MAX/SQRT in PS/PD/SS/SD forms, RCP/RSQRT,
 * the bitwise ANDPS..XORPD, CMPccPS/PD/SS/SD, (U)COMISS/SD, SHUFPS/PD and
 * UNPCKL/HPS/PD.
 *
 * Arithmetic executes the host instruction under the guest MXCSR (see
 * sse_fp.h): results, NaN propagation, DAZ/FTZ, rounding and the sticky
 * flags are those of real hardware, and RCPPS/RSQRTPS give the host's
 * approximations.  Results are computed into temporaries; the destination
 * is written only after sse_fp_finish() found no unmasked exception.
 */
#include "ops_sse.h"

/* Source operand loaders by form. */
#define LD_PS sse_rm128(c, in, true)
#define LD_SS sse_rm32(c, in)
#define LD_SD sse_rm64(c, in)

/* dst = dst OP src with the host instruction `text`. */
#define FP_OP(name, text, load, kind, opk)                      \
	static void name(struct cpu *c, const struct insn *in)  \
	{                                                       \
		__m128i b = load;                               \
		__m128i a0 = sse_reg(c, in), a = a0;            \
		uint32_t f;                                     \
		SSE_FP_OP2(c, f, text, a, b);                   \
		sse_fp_finish_op(c, f, &a, kind, opk, &a0, &b); \
		sse_reg_set(c, in, a);                          \
	}
/* The four forms of one operation; opk = SSE_OPK_NONE for results that
 * never over- or underflow (min/max). */
#define FP_OP4(name, mn, opk)                                                    \
	FP_OP(name##ps, #mn "ps", LD_PS, (opk) ? SSE_RES_PS : SSE_RES_NONE, opk) \
	FP_OP(name##pd, #mn "pd", LD_PS, (opk) ? SSE_RES_PD : SSE_RES_NONE, opk) \
	FP_OP(name##ss, #mn "ss", LD_SS, (opk) ? SSE_RES_SS : SSE_RES_NONE, opk) \
	FP_OP(name##sd, #mn "sd", LD_SD, (opk) ? SSE_RES_SD : SSE_RES_NONE, opk)

FP_OP4(add, add, SSE_OPK_ADD)
FP_OP4(sub, sub, SSE_OPK_SUB)
FP_OP4(mul, mul, SSE_OPK_MUL)
FP_OP4(div, div, SSE_OPK_DIV)
FP_OP4(min, min, SSE_OPK_NONE)
FP_OP4(max, max, SSE_OPK_NONE)
FP_OP4(sqrt, sqrt, SSE_OPK_SQRT)
/* The approximations raise no exception at all (SDM vol. 2 RCPPS). */
FP_OP(rcpps, "rcpps", LD_PS, SSE_RES_NONE, SSE_OPK_NONE)
FP_OP(rcpss, "rcpss", LD_SS, SSE_RES_NONE, SSE_OPK_NONE)
FP_OP(rsqrtps, "rsqrtps", LD_PS, SSE_RES_NONE, SSE_OPK_NONE)
FP_OP(rsqrtss, "rsqrtss", LD_SS, SSE_RES_NONE, SSE_OPK_NONE)

#define FP_ROW(op, name)                                                                     \
	SSE_OP(op, P_NONE, FEAT_SSE, 0, name##ps), SSE_OP(op, P_66, FEAT_SSE2, 0, name##pd), \
	        SSE_OP(op, P_F3, FEAT_SSE, 0, name##ss), SSE_OP(op, P_F2, FEAT_SSE2, 0, name##sd)

/* --- bitwise (no FP exceptions) ---------------------------------------- */

#define FP_LOGIC(name, fn)                                     \
	static void name(struct cpu *c, const struct insn *in) \
	{                                                      \
		__m128i b = sse_rm128(c, in, true);            \
		sse_reg_set(c, in, fn(sse_reg(c, in), b));     \
	}
FP_LOGIC(andps, _mm_and_si128)
FP_LOGIC(andnps, _mm_andnot_si128)
FP_LOGIC(orps, _mm_or_si128)
FP_LOGIC(xorps, _mm_xor_si128)
FP_LOGIC(unpcklps, _mm_unpacklo_epi32)
FP_LOGIC(unpckhps, _mm_unpackhi_epi32)
FP_LOGIC(unpcklpd, _mm_unpacklo_epi64)
FP_LOGIC(unpckhpd, _mm_unpackhi_epi64)

/* --- compares ------------------------------------------------------------ */

/* CMPPS/PD/SS/SD xmm, xmm/m, imm8: the legacy encodings use imm8[2:0]
 * (EQ, LT, LE, UNORD, NEQ, NLT, NLE, ORD; SDM vol. 2 CMPPS table 3-7).
 * The predicate must be an immediate of the host instruction, hence the
 * switch. */
#define CMP_CASE(k, mn)                                                                   \
	case k:                                                                           \
		SSE_FP_ASM(c, f, mn " $" #k ", %[s], %[d]", ([d] "+x"(a)), ([s] "x"(b))); \
		break;
#define FP_CMP(name, mn, load)                                                          \
	static void name(struct cpu *c, const struct insn *in)                          \
	{                                                                               \
		__m128i b = load;                                                       \
		__m128i a = sse_reg(c, in);                                             \
		uint32_t f = 0;                                                         \
		switch (in->imm & 7) {                                                  \
			CMP_CASE(0, mn)                                                 \
			CMP_CASE(1, mn) CMP_CASE(2, mn) CMP_CASE(3, mn) CMP_CASE(4, mn) \
			        CMP_CASE(5, mn) CMP_CASE(6, mn) CMP_CASE(7, mn)         \
		}                                                                       \
		sse_fp_finish(c, f, NULL, SSE_RES_NONE);                                \
		sse_reg_set(c, in, a);                                                  \
	}
FP_CMP(cmpps, "cmpps", LD_PS)
FP_CMP(cmppd, "cmppd", LD_PS)
FP_CMP(cmpss, "cmpss", LD_SS)
FP_CMP(cmpsd, "cmpsd", LD_SD)

/* COMISS/UCOMISS/COMISD/UCOMISD: ZF, PF, CF from the comparison
 * (unordered = all three set), OF, SF, AF cleared.  COMIS* signal invalid
 * on QNaN too, UCOMIS* only on SNaN -- the host instruction knows. */
#define FP_COMI(name, mn, load)                                                                    \
	static void name(struct cpu *c, const struct insn *in)                                     \
	{                                                                                          \
		__m128i b = load;                                                                  \
		__m128i a = sse_reg(c, in);                                                        \
		uint32_t f;                                                                        \
		uint8_t zf, pf, cf;                                                                \
		SSE_FP_ASM(c, f, mn " %[s], %[d]\n\tsetz %[z]\n\tsetp %[p]\n\tsetc %[cy]",         \
		           ([z] "=q"(zf), [p] "=q"(pf), [cy] "=q"(cf)), ([d] "x"(a), [s] "x"(b))); \
		sse_fp_finish(c, f, NULL, SSE_RES_NONE);                                           \
		cc_set_flags(c, (zf ? FL_ZF : 0) | (pf ? FL_PF : 0) | (cf ? FL_CF : 0));           \
	}
FP_COMI(ucomiss, "ucomiss", LD_SS)
FP_COMI(comiss, "comiss", LD_SS)
FP_COMI(ucomisd, "ucomisd", LD_SD)
FP_COMI(comisd, "comisd", LD_SD)

/* --- shuffles -------------------------------------------------------------- */

/* SHUFPS: low two lanes from the destination, high two from the source,
 * each picked by two bits of imm8. */
static void shufps(struct cpu *c, const struct insn *in)
{
	union xmm s, r;
	sse_vset(&s, sse_rm128(c, in, true));
	union xmm *d = xmm_reg(c, in);
	unsigned imm = (unsigned)in->imm;
	r.l[0] = d->l[imm & 3];
	r.l[1] = d->l[(imm >> 2) & 3];
	r.l[2] = s.l[(imm >> 4) & 3];
	r.l[3] = s.l[(imm >> 6) & 3];
	*d = r;
}
static void shufpd(struct cpu *c, const struct insn *in)
{
	union xmm s, r;
	sse_vset(&s, sse_rm128(c, in, true));
	union xmm *d = xmm_reg(c, in);
	r.q[0] = d->q[in->imm & 1];
	r.q[1] = s.q[(in->imm >> 1) & 1];
	*d = r;
}

const struct opdesc ops_sse_fp[] = {
	SSE_OP(0x14, P_NONE, FEAT_SSE, 0, unpcklps),
	SSE_OP(0x14, P_66, FEAT_SSE2, 0, unpcklpd),
	SSE_OP(0x15, P_NONE, FEAT_SSE, 0, unpckhps),
	SSE_OP(0x15, P_66, FEAT_SSE2, 0, unpckhpd),
	SSE_OP(0x2e, P_NONE, FEAT_SSE, 0, ucomiss),
	SSE_OP(0x2e, P_66, FEAT_SSE2, 0, ucomisd),
	SSE_OP(0x2f, P_NONE, FEAT_SSE, 0, comiss),
	SSE_OP(0x2f, P_66, FEAT_SSE2, 0, comisd),
	FP_ROW(0x51, sqrt),
	SSE_OP(0x52, P_NONE, FEAT_SSE, 0, rsqrtps),
	SSE_OP(0x52, P_F3, FEAT_SSE, 0, rsqrtss),
	SSE_OP(0x53, P_NONE, FEAT_SSE, 0, rcpps),
	SSE_OP(0x53, P_F3, FEAT_SSE, 0, rcpss),
	SSE_OP(0x54, P_NONE, FEAT_SSE, 0, andps),
	SSE_OP(0x54, P_66, FEAT_SSE2, 0, andps),
	SSE_OP(0x55, P_NONE, FEAT_SSE, 0, andnps),
	SSE_OP(0x55, P_66, FEAT_SSE2, 0, andnps),
	SSE_OP(0x56, P_NONE, FEAT_SSE, 0, orps),
	SSE_OP(0x56, P_66, FEAT_SSE2, 0, orps),
	SSE_OP(0x57, P_NONE, FEAT_SSE, 0, xorps),
	SSE_OP(0x57, P_66, FEAT_SSE2, 0, xorps),
	FP_ROW(0x58, add),
	FP_ROW(0x59, mul),
	FP_ROW(0x5c, sub),
	FP_ROW(0x5d, min),
	FP_ROW(0x5e, div),
	FP_ROW(0x5f, max),
	SSE_OP(0xc2, P_NONE, FEAT_SSE, F_IMM8U, cmpps),
	SSE_OP(0xc2, P_66, FEAT_SSE2, F_IMM8U, cmppd),
	SSE_OP(0xc2, P_F3, FEAT_SSE, F_IMM8U, cmpss),
	SSE_OP(0xc2, P_F2, FEAT_SSE2, F_IMM8U, cmpsd),
	SSE_OP(0xc6, P_NONE, FEAT_SSE, F_IMM8U, shufps),
	SSE_OP(0xc6, P_66, FEAT_SSE2, F_IMM8U, shufpd),
	{ 0 },
};
