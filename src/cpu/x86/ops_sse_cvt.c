/*
 * SSE/SSE2 conversions (Intel SDM vol. 2; opcode map vol. 2 appendix A
 * table A-3, rows 0F 2A/2C/2D, 0F 5A/5B, 0F E6).
 *
 * Every conversion runs the host instruction under the guest MXCSR (see
 * sse_fp.h), so rounding, the "integer indefinite" 0x80000000... result
 * of NaN/out-of-range inputs, and the invalid/precision flags are exactly
 * the hardware's.  The MMX-register forms (CVTPI2PS, CVTPS2PI, ...) are
 * computed with the equivalent XMM instruction on zero-extended operands
 * (0.0 and 0 convert exactly and raise nothing), so lemu never touches the
 * host's own MMX/x87 state.
 */
#include "ops_sse.h"

/* xmm = convert(src) with `text` = "cvtxx %[s], %[d]"; the destination is
 * an input too so scalar forms keep its upper lanes. */
#define CVT_X(name, mn, load, kind)                                                          \
	static void name(struct cpu *c, const struct insn *in)                               \
	{                                                                                    \
		__m128i b = load;                                                            \
		__m128i a = sse_reg(c, in);                                                  \
		uint32_t f;                                                                  \
		SSE_FP_OP2(c, f, mn, a, b);                                                  \
		sse_fp_finish_op(c, f, &a, kind,                                             \
		                 kind == SSE_RES_NONE ? SSE_OPK_NONE : SSE_OPK_CVT, &b, &b); \
		sse_reg_set(c, in, a);                                                       \
	}
#define LD128 sse_rm128(c, in, true)
#define LD64 sse_rm64(c, in)
#define LD32 sse_rm32(c, in)

CVT_X(cvtps2pd, "cvtps2pd", LD64, SSE_RES_NONE)
CVT_X(cvtpd2ps, "cvtpd2ps", LD128, SSE_RES_PS)
CVT_X(cvtss2sd, "cvtss2sd", LD32, SSE_RES_NONE)
CVT_X(cvtsd2ss, "cvtsd2ss", LD64, SSE_RES_SS)
CVT_X(cvtdq2ps, "cvtdq2ps", LD128, SSE_RES_NONE)
CVT_X(cvtps2dq, "cvtps2dq", LD128, SSE_RES_NONE)
CVT_X(cvttps2dq, "cvttps2dq", LD128, SSE_RES_NONE)
CVT_X(cvtdq2pd, "cvtdq2pd", LD64, SSE_RES_NONE)
CVT_X(cvtpd2dq, "cvtpd2dq", LD128, SSE_RES_NONE)
CVT_X(cvttpd2dq, "cvttpd2dq", LD128, SSE_RES_NONE)

/* CVTSI2SS/CVTSI2SD xmm, r/m32 or r/m64 (REX.W): upper lanes kept. */
#define CVT_SI2F(name, mn)                                                                 \
	static void name(struct cpu *c, const struct insn *in)                             \
	{                                                                                  \
		uint64_t v = op_rm_sz(c, in, in->opsize);                                  \
		__m128i a = sse_reg(c, in);                                                \
		uint32_t f;                                                                \
		if (in->opsize == 8)                                                       \
			SSE_FP_ASM(c, f, mn "q %[s], %[d]", ([d] "+x"(a)), ([s] "r"(v)));  \
		else                                                                       \
			SSE_FP_ASM(c, f, mn "l %k[s], %[d]", ([d] "+x"(a)), ([s] "r"(v))); \
		sse_fp_finish(c, f, NULL, SSE_RES_NONE);                                   \
		sse_reg_set(c, in, a);                                                     \
	}
CVT_SI2F(cvtsi2ss, "cvtsi2ss")
CVT_SI2F(cvtsi2sd, "cvtsi2sd")

/* CVT(T)SS2SI / CVT(T)SD2SI r32/r64, xmm/m32 or m64. */
#define CVT_F2SI(name, mn, load)                                                          \
	static void name(struct cpu *c, const struct insn *in)                            \
	{                                                                                 \
		__m128i b = load;                                                         \
		uint64_t r;                                                               \
		uint32_t f;                                                               \
		if (in->opsize == 8)                                                      \
			SSE_FP_ASM(c, f, mn " %[s], %q[r]", ([r] "=r"(r)), ([s] "x"(b))); \
		else                                                                      \
			SSE_FP_ASM(c, f, mn " %[s], %k[r]", ([r] "=r"(r)), ([s] "x"(b))); \
		sse_fp_finish(c, f, NULL, SSE_RES_NONE);                                  \
		set_reg(c, in->reg, r, in->opsize);                                       \
	}
CVT_F2SI(cvtss2si, "cvtss2si", LD32)
CVT_F2SI(cvttss2si, "cvttss2si", LD32)
CVT_F2SI(cvtsd2si, "cvtsd2si", LD64)
CVT_F2SI(cvttsd2si, "cvttsd2si", LD64)

/* --- MMX-register forms ----------------------------------------------------- */

/* The MMX source of CVTPI2PS/CVTPI2PD: only a register source switches
 * the x87 unit to MMX mode (SDM vol. 2 CVTPI2PS/CVTPI2PD). */
static inline uint64_t cvt_mmx_src(struct cpu *c, const struct insn *in)
{
	return in->mem ? ld64(c, insn_ea(c, in)) : mmx_get(c, in->rm);
}

/* CVTPI2PS xmm, mm/m64: two int32 to the low two floats, high half kept. */
static void cvtpi2ps(struct cpu *c, const struct insn *in)
{
	__m128i b = mmx_v(cvt_mmx_src(c, in)), a = b;
	uint32_t f;
	SSE_FP_ASM(c, f, "cvtdq2ps %[s], %[d]", ([d] "=x"(a)), ([s] "x"(b)));
	/* The x87->MMX transition happens even when #XM follows. */
	if (!in->mem)
		mmx_enter(c);
	sse_fp_finish(c, f, NULL, SSE_RES_NONE);
	xmm_reg(c, in)->q[0] = mmx_lo(a);
}
/* CVTPI2PD xmm, mm/m64: exact. */
static void cvtpi2pd(struct cpu *c, const struct insn *in)
{
	__m128i b = mmx_v(cvt_mmx_src(c, in));
	if (!in->mem)
		mmx_enter(c);
	sse_reg_set(c, in, _mm_castpd_si128(_mm_cvtepi32_pd(b)));
}

/* CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128. */
#define CVT_2PI(name, mn, load)                                                  \
	static void name(struct cpu *c, const struct insn *in)                   \
	{                                                                        \
		__m128i b = load, r = b;                                         \
		uint32_t f;                                                      \
		SSE_FP_ASM(c, f, mn " %[s], %[d]", ([d] "=x"(r)), ([s] "x"(b))); \
		mmx_enter(c); /* even when #XM follows */                        \
		sse_fp_finish(c, f, NULL, SSE_RES_NONE);                         \
		mmx_set(c, in->reg, mmx_lo(r));                                  \
	}
/* Only the low two floats are converted: clear the rest so they raise
 * nothing. */
#define LD_PS2 _mm_move_epi64(sse_rm64(c, in))
CVT_2PI(cvtps2pi, "cvtps2dq", LD_PS2)
CVT_2PI(cvttps2pi, "cvttps2dq", LD_PS2)
CVT_2PI(cvtpd2pi, "cvtpd2dq", LD128)
CVT_2PI(cvttpd2pi, "cvttpd2dq", LD128)

const struct opdesc ops_sse_cvt[] = {
	SSE_OP(0x2a, P_NONE, FEAT_SSE, 0, cvtpi2ps),
	SSE_OP(0x2a, P_66, FEAT_SSE2, 0, cvtpi2pd),
	SSE_OP(0x2a, P_F3, FEAT_SSE, F_SIZE32, cvtsi2ss),
	SSE_OP(0x2a, P_F2, FEAT_SSE2, F_SIZE32, cvtsi2sd),
	SSE_OP(0x2c, P_NONE, FEAT_SSE, 0, cvttps2pi),
	SSE_OP(0x2c, P_66, FEAT_SSE2, 0, cvttpd2pi),
	SSE_OP(0x2c, P_F3, FEAT_SSE, F_SIZE32, cvttss2si),
	SSE_OP(0x2c, P_F2, FEAT_SSE2, F_SIZE32, cvttsd2si),
	SSE_OP(0x2d, P_NONE, FEAT_SSE, 0, cvtps2pi),
	SSE_OP(0x2d, P_66, FEAT_SSE2, 0, cvtpd2pi),
	SSE_OP(0x2d, P_F3, FEAT_SSE, F_SIZE32, cvtss2si),
	SSE_OP(0x2d, P_F2, FEAT_SSE2, F_SIZE32, cvtsd2si),
	SSE_OP(0x5a, P_NONE, FEAT_SSE2, 0, cvtps2pd),
	SSE_OP(0x5a, P_66, FEAT_SSE2, 0, cvtpd2ps),
	SSE_OP(0x5a, P_F3, FEAT_SSE2, 0, cvtss2sd),
	SSE_OP(0x5a, P_F2, FEAT_SSE2, 0, cvtsd2ss),
	SSE_OP(0x5b, P_NONE, FEAT_SSE2, 0, cvtdq2ps),
	SSE_OP(0x5b, P_66, FEAT_SSE2, 0, cvtps2dq),
	SSE_OP(0x5b, P_F3, FEAT_SSE2, 0, cvttps2dq),
	SSE_OP(0xe6, P_66, FEAT_SSE2, 0, cvttpd2dq),
	SSE_OP(0xe6, P_F3, FEAT_SSE2, 0, cvtdq2pd),
	SSE_OP(0xe6, P_F2, FEAT_SSE2, 0, cvtpd2dq),
	{ 0 },
};
