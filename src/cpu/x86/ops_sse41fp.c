/*
 * SSE4.1 floating point: ROUNDPS/PD/SS/SD (66 0F 3A 08..0B) and DPPS/DPPD
 * (66 0F 3A 40/41).  Like the rest of guest SSE floating point they run
 * as the same host instruction under the guest MXCSR (sse_fp.h): the
 * intermediate roundings of DPPS, the "use MXCSR.RC" and "suppress
 * precision exception" bits of ROUNDxx, DAZ/FTZ and the exception flags
 * then match the hardware exactly.  The immediate must be a literal in
 * the host instruction, hence the generated switches.
 */
#include "decode.h"
#include "ops.h"
#include "ops_simd.h"
#include "sse_fp.h"


/* One host instruction `text` with imm8 `n` on a (dst, in/out) and b. */
#define IMM_CASE(text, n)                                                              \
	case (n):                                                                      \
		SSE_FP_ASM(c, f, text " %[i], %[s], %[d]", ([d] "+x"(a)),              \
			   ([s] "x"(b), [i] "i"(n)));                                  \
		break;
#define IMM_CASE4(t, n) IMM_CASE(t, n) IMM_CASE(t, n + 1) IMM_CASE(t, n + 2) IMM_CASE(t, n + 3)
#define IMM_CASE16(t, n) IMM_CASE4(t, n) IMM_CASE4(t, n + 4) IMM_CASE4(t, n + 8) IMM_CASE4(t, n + 12)
#define IMM_CASE64(t, n) \
	IMM_CASE16(t, n) IMM_CASE16(t, n + 16) IMM_CASE16(t, n + 32) IMM_CASE16(t, n + 48)

/* ROUNDxx: only imm[3:0] are defined (bit 3 suppresses the precision
 * exception, bit 2 selects MXCSR.RC, bits 1:0 the rounding mode); the
 * host ignores the rest just as the guest's CPU does. */
static inline __m128i round_host(struct cpu *c, unsigned kind, unsigned imm, __m128i a, __m128i b,
				 uint32_t *fl)
{
	uint32_t f = 0;
	switch (kind) {
	case 0:
		switch (imm & 15) { IMM_CASE16("roundps", 0) }
		break;
	case 1:
		switch (imm & 15) { IMM_CASE16("roundpd", 0) }
		break;
	case 2:
		switch (imm & 15) { IMM_CASE16("roundss", 0) }
		break;
	default:
		switch (imm & 15) { IMM_CASE16("roundsd", 0) }
		break;
	}
	*fl = f;
	return a;
}

/* aux: 0 ROUNDPS, 1 ROUNDPD, 2 ROUNDSS, 3 ROUNDSD.  The packed forms
 * take an aligned m128; the scalar ones m32/m64 with no alignment check
 * and merge into the destination's upper lanes. */
static void op_round(struct cpu *c, const struct insn *in)
{
	static const uint8_t bytes[4] = { 16, 16, 4, 8 };
	static const uint8_t kinds[4] = { SSE_RES_PS, SSE_RES_PD, SSE_RES_SS, SSE_RES_SD };
	unsigned k = in->aux;
	union xmm t;
	__m128i b = sse_vget(xmm_rm(c, in, &t, bytes[k], k < 2));
	__m128i a = sse_vget(xmm_reg(c, in));
	uint32_t f;
	a = round_host(c, k, (unsigned)in->imm, a, b, &f);
	sse_fp_finish(c, f, &a, kinds[k]);
	sse_vset(xmm_reg(c, in), a);
}

/*
 * DPPS/DPPD with an exception unmasked.  The hardware computes the dot
 * product in steps (SDM vol. 2 "DPPS" operation: the selected products,
 * then pairwise sums, each rounded) and an unmasked exception stops it at
 * the step that raised it, with the flags of that step and of the steps
 * before (so, e.g., a denormal product feeding the sum raises DE only
 * when the product step raised nothing unmasked).  Replay the steps as
 * host MULPx/ADDPx under the guest MXCSR and report the way sse_fp_raise()
 * does for one operation.  Rare path: only taken with an unmasked flag.
 */
enum { DPP_MUL, DPP_ADD };

/* PE of a step with overflow or underflow unmasked, lane by lane: a lane
 * that raised an unmasked OE/UE reports PE for its result rounded with an
 * unbounded exponent (sse_fp_unbounded_inexact), any other lane its own
 * masked-response PE (e.g. a masked overflow beside an unmasked
 * underflow). */
static uint32_t dpp_lanes_pe(struct cpu *c, int op, bool dbl, __m128i x, __m128i y)
{
	union xmm ux, uy;
	sse_vset(&ux, x);
	sse_vset(&uy, y);
	unsigned n = dbl ? 2 : 4, es = dbl ? 8 : 4;
	uint32_t masked = (c->mxcsr >> 7) & MXCSR_FLAGS;
	enum sse_res_kind k1 = dbl ? SSE_RES_SD : SSE_RES_SS;
	for (unsigned i = 0; i < n; i++) {
		union xmm lx = { 0 }, ly = { 0 };
		memcpy(&lx.b[0], &ux.b[i * es], es);
		memcpy(&ly.b[0], &uy.b[i * es], es);
		__m128i r = sse_vget(&lx), b = sse_vget(&ly);
		uint32_t f;
		if (op == DPP_MUL) {
			if (dbl)
				SSE_FP_OP2(c, f, "mulsd", r, b);
			else
				SSE_FP_OP2(c, f, "mulss", r, b);
		} else {
			if (dbl)
				SSE_FP_OP2(c, f, "addsd", r, b);
			else
				SSE_FP_OP2(c, f, "addss", r, b);
		}
		bool unmasked_ou = (f & ~masked & (MXCSR_OE | MXCSR_UE)) ||
				   (!(c->mxcsr & MXCSR_UM) && sse_fp_has_denormal(&r, k1));
		if (unmasked_ou) {
			if (sse_fp_unbounded_inexact(c, op == DPP_MUL ? SSE_OPK_MUL : SSE_OPK_ADD, k1,
						     &lx, &ly))
				return MXCSR_PE;
		} else if (f & MXCSR_PE) {
			return MXCSR_PE;
		}
	}
	return 0;
}

static __m128i dpp_step(struct cpu *c, int op, bool dbl, __m128i x, __m128i y, uint32_t *acc)
{
	uint32_t f;
	__m128i r = x;
	if (op == DPP_MUL) {
		if (dbl)
			SSE_FP_OP2(c, f, "mulpd", r, y);
		else
			SSE_FP_OP2(c, f, "mulps", r, y);
	} else {
		if (dbl)
			SSE_FP_OP2(c, f, "addpd", r, y);
		else
			SSE_FP_OP2(c, f, "addps", r, y);
	}
	enum sse_res_kind kind = dbl ? SSE_RES_PD : SSE_RES_PS;
	uint32_t masked = (c->mxcsr >> 7) & MXCSR_FLAGS;
	f &= MXCSR_FLAGS;
	if (!(c->mxcsr & MXCSR_UM) && sse_fp_has_denormal(&r, kind))
		f |= MXCSR_UE;
	if (f & ~masked) {
		uint32_t pre = f & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
		if (pre & ~masked) {
			f = pre;
		} else if (f & ~masked & (MXCSR_OE | MXCSR_UE)) {
			f = (f & ~MXCSR_PE) | dpp_lanes_pe(c, op, dbl, x, y);
		}
		c->mxcsr |= *acc | f;
		cpu_raise(c, (c->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, 0);
	}
	*acc |= f;
	return r;
}

__attribute__((noinline, cold)) static void dpp_steps(struct cpu *c, __m128i a0, __m128i b,
						      unsigned imm, bool dbl)
{
	union xmm x, y, t, u;
	uint32_t acc = 0;
	sse_vset(&x, a0);
	sse_vset(&y, b);
	/* products of the selected lanes; the others are +0.0 (no flags) */
	unsigned n = dbl ? 2 : 4, es = dbl ? 8 : 4;
	for (unsigned i = 0; i < n; i++)
		if (!((imm >> (4 + i)) & 1)) {
			memset(&x.b[i * es], 0, es);
			memset(&y.b[i * es], 0, es);
		}
	sse_vset(&t, dpp_step(c, DPP_MUL, dbl, sse_vget(&x), sse_vget(&y), &acc));
	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	if (dbl) {
		x.q[0] = t.q[0], y.q[0] = t.q[1];
		dpp_step(c, DPP_ADD, dbl, sse_vget(&x), sse_vget(&y), &acc);
	} else {
		x.l[0] = t.l[0], y.l[0] = t.l[1];
		x.l[1] = t.l[2], y.l[1] = t.l[3];
		sse_vset(&u, dpp_step(c, DPP_ADD, dbl, sse_vget(&x), sse_vget(&y), &acc));
		memset(&x, 0, sizeof(x));
		memset(&y, 0, sizeof(y));
		x.l[0] = u.l[0], y.l[0] = u.l[1];
		dpp_step(c, DPP_ADD, dbl, sse_vget(&x), sse_vget(&y), &acc);
	}
}

static void dpp_finish(struct cpu *c, uint32_t f, const __m128i *res, __m128i a0, __m128i b,
		       unsigned imm, bool dbl)
{
	if (unlikely((c->mxcsr & MXCSR_MASKS) != MXCSR_MASKS))
		dpp_steps(c, a0, b, imm, dbl); /* raises #XM if the hardware would */
	sse_fp_finish(c, f, res, dbl ? SSE_RES_PD : SSE_RES_PS);
}

/* DPPS xmm1, xmm2/m128, imm8 (all 256 immediates: imm[7:4] select the
 * products, imm[3:0] the destination lanes). */
static void op_dpps(struct cpu *c, const struct insn *in)
{
	union xmm t;
	__m128i b = sse_vget(xmm_rm(c, in, &t, 16, true));
	__m128i a0 = sse_vget(xmm_reg(c, in)), a = a0;
	uint32_t f = 0;
	switch (in->imm & 0xff) {
		IMM_CASE64("dpps", 0)
		IMM_CASE64("dpps", 64)
		IMM_CASE64("dpps", 128)
		IMM_CASE64("dpps", 192)
	}
	dpp_finish(c, f, &a, a0, b, (unsigned)in->imm, false);
	sse_vset(xmm_reg(c, in), a);
}

/* DPPD: only imm[5:4] and imm[1:0] are defined (the others reserved). */
static void op_dppd(struct cpu *c, const struct insn *in)
{
	union xmm t;
	__m128i b = sse_vget(xmm_rm(c, in, &t, 16, true));
	__m128i a0 = sse_vget(xmm_reg(c, in)), a = a0;
	uint32_t f = 0;
	switch (in->imm & 0x33) {
		IMM_CASE4("dppd", 0x00)
		IMM_CASE4("dppd", 0x10)
		IMM_CASE4("dppd", 0x20)
		IMM_CASE4("dppd", 0x30)
	}
	dpp_finish(c, f, &a, a0, b, (unsigned)in->imm, true);
	sse_vset(xmm_reg(c, in), a);
}

#define SSE41 FEAT(FW_1_ECX, 19)
#define E3A(op, fn, aux) OPF(MAP_0F3A, op, P_66, -1, M_ANY, 0, aux, SSE41, F_MODRM | F_IMM8U, fn)

const struct opdesc ops_sse41fp[] = {
	E3A(0x08, op_round, 0),
	E3A(0x09, op_round, 1),
	E3A(0x0a, op_round, 2),
	E3A(0x0b, op_round, 3),
	E3A(0x40, op_dpps, 0),
	E3A(0x41, op_dppd, 0),
	{ 0 },
};
