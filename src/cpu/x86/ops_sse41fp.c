/*
 * SSE4.1 floating point: ROUNDPS/PD/SS/SD (66 0F 3A 08..0B) and DPPS/DPPD
 * (66 0F 3A 40/41).  Like the rest of guest SSE floating point they run
 * as the same host instruction under the guest MXCSR (sse_fp.h): the
 * intermediate roundings of DPPS, the "use MXCSR.RC" and "suppress
 * precision exception" bits of ROUNDxx, DAZ/FTZ and the exception flags
 * then match the hardware exactly.  The immediate must be a literal in
 * the host instruction, hence the generated switches.
 *
 * SSE4.1 is not part of the x86_64 baseline: on a host without it
 * (checked with __builtin_cpu_supports) the same results come from
 * sse41fp_soft(), ROUNDxx in integer arithmetic and DPPx as the SSE2
 * steps of its definition; test_sse4 checks it against the host.
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

static inline bool host_has_sse41(void)
{
	return __builtin_cpu_supports("sse4.1");
}

/* One lane of ROUNDxx in integer arithmetic (SDM vol. 2 ROUNDPS): `mode`
 * 0 nearest-even, 1 down, 2 up, 3 toward zero.  SNaN -> IE and quieted;
 * DAZ turns a denormal into a signed zero; PE when the result differs. */
static uint64_t round_lane(uint64_t u, bool dbl, unsigned mode, bool daz, uint32_t *f)
{
	unsigned mb = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
	uint64_t sign = dbl ? 1ull << 63 : 1ull << 31;
	uint64_t fracmask = (1ull << mb) - 1, mag = u & (sign - 1);
	unsigned exp = (unsigned)(mag >> mb);
	if (exp == (dbl ? 0x7ffu : 0xffu)) {
		if ((mag & fracmask) && !(mag & (1ull << (mb - 1)))) {
			*f |= MXCSR_IE;
			u |= 1ull << (mb - 1);
		}
		return u;
	}
	if (exp == 0 && daz)
		return u & sign;
	if (mag == 0 || exp >= bias + mb)
		return u;
	bool neg = (u & sign) != 0, up;
	uint64_t r;
	*f |= MXCSR_PE; /* cleared below when exact */
	if (exp < bias) {
		/* |x| < 1: the result is 0 or 1; 0.5 ties to even (0) */
		switch (mode) {
		case 0: up = exp == bias - 1 && (mag & fracmask); break;
		case 1: up = neg; break;
		case 2: up = !neg; break;
		default: up = false; break;
		}
		r = up ? (uint64_t)bias << mb : 0;
	} else {
		unsigned fb = bias + mb - exp; /* fraction bits, 1..mb */
		uint64_t mask = (1ull << fb) - 1, rem = mag & mask, half = 1ull << (fb - 1);
		r = mag & ~mask;
		if (!rem)
			*f &= ~MXCSR_PE;
		switch (mode) {
		case 0: up = rem > half || (rem == half && ((r >> fb) & 1)); break;
		case 1: up = neg && rem; break;
		case 2: up = !neg && rem; break;
		default: up = false; break;
		}
		if (up)
			r += 1ull << fb; /* a carry into the exponent is right */
	}
	return (u & sign) | r;
}

static void round_soft(struct cpu *c, unsigned k, unsigned imm, union xmm *d, const union xmm *s,
		       uint32_t *fl)
{
	unsigned mode = (imm & 4) ? (c->mxcsr & MXCSR_RC) >> MXCSR_RC_SHIFT : imm & 3;
	bool daz = (c->mxcsr & MXCSR_DAZ) != 0, dbl = k & 1;
	unsigned n = k >= 2 ? 1 : dbl ? 2 : 4;
	uint32_t f = 0, pe_all = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t lf = 0;
		if (dbl)
			d->q[i] = round_lane(s->q[i], true, mode, daz, &lf);
		else
			d->l[i] = (uint32_t)round_lane(s->l[i], false, mode, daz, &lf);
		f |= lf & ~MXCSR_PE;
		pe_all |= lf & MXCSR_PE;
	}
	if (!(imm & 8))
		f |= pe_all;
	*fl = f;
}

/* aux: 0 ROUNDPS, 1 ROUNDPD, 2 ROUNDSS, 3 ROUNDSD.  The packed forms
 * take an aligned m128; the scalar ones m32/m64 with no alignment check
 * and merge into the destination's upper lanes. */
static const uint8_t round_kinds[4] = { SSE_RES_PS, SSE_RES_PD, SSE_RES_SS, SSE_RES_SD };
static void op_round(struct cpu *c, const struct insn *in)
{
	static const uint8_t bytes[4] = { 16, 16, 4, 8 };
	unsigned k = in->aux;
	union xmm t;
	const union xmm *src = xmm_rm(c, in, &t, bytes[k], k < 2);
	uint32_t f;
	if (unlikely(!host_has_sse41())) {
		union xmm r = *xmm_reg(c, in), sv = *src;
		round_soft(c, k, (unsigned)in->imm, &r, &sv, &f);
		sse_fp_finish(c, f, &r, round_kinds[k]);
		*xmm_reg(c, in) = r;
		return;
	}
	__m128i b = sse_vget(src);
	__m128i a = sse_vget(xmm_reg(c, in));
	a = round_host(c, k, (unsigned)in->imm, a, b, &f);
	sse_fp_finish(c, f, &a, round_kinds[k]);
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

/* Returns the dot product (broadcast to the lanes imm[3:0] selects) and
 * the flags of all steps in *acc, or raises #XM at the first step with an
 * unmasked exception. */
__attribute__((noinline, cold)) static union xmm dpp_steps(struct cpu *c, __m128i a0, __m128i b,
							   unsigned imm, bool dbl, uint32_t *pacc)
{
	union xmm x, y, t, u, res = { 0 };
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
	/* The sums run in every lane, as a butterfly whose operand order
	 * decides which NaN propagates (measured on hardware, beyond what
	 * the SDM pseudocode says): DPPD lane j = t[j] + t[j^1]; DPPS lane
	 * j = u[j] + u[j^2] with u[j] = t[j^1] + t[j]. */
	if (dbl) {
		x.q[0] = t.q[0], x.q[1] = t.q[1];
		y.q[0] = t.q[1], y.q[1] = t.q[0];
		sse_vset(&u, dpp_step(c, DPP_ADD, dbl, sse_vget(&x), sse_vget(&y), &acc));
		for (unsigned i = 0; i < 2; i++)
			if ((imm >> i) & 1)
				res.q[i] = u.q[i];
	} else {
		for (unsigned i = 0; i < 4; i++)
			x.l[i] = t.l[i ^ 1];
		sse_vset(&u, dpp_step(c, DPP_ADD, dbl, sse_vget(&x), sse_vget(&t), &acc));
		for (unsigned i = 0; i < 4; i++)
			y.l[i] = u.l[i ^ 2];
		sse_vset(&t, dpp_step(c, DPP_ADD, dbl, sse_vget(&u), sse_vget(&y), &acc));
		for (unsigned i = 0; i < 4; i++)
			if ((imm >> i) & 1)
				res.l[i] = t.l[i];
	}
	*pacc = acc;
	return res;
}

static void dpp_finish(struct cpu *c, uint32_t f, const __m128i *res, __m128i a0, __m128i b,
		       unsigned imm, bool dbl)
{
	uint32_t acc;
	if (unlikely((c->mxcsr & MXCSR_MASKS) != MXCSR_MASKS))
		dpp_steps(c, a0, b, imm, dbl, &acc); /* raises #XM if the hardware would */
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
	if (unlikely(!host_has_sse41())) {
		union xmm r = dpp_steps(c, a0, b, (unsigned)in->imm, false, &f);
		sse_fp_finish(c, f, &r, SSE_RES_PS);
		*xmm_reg(c, in) = r;
		return;
	}
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
	if (unlikely(!host_has_sse41())) {
		union xmm r = dpp_steps(c, a0, b, (unsigned)in->imm, true, &f);
		sse_fp_finish(c, f, &r, SSE_RES_PD);
		*xmm_reg(c, in) = r;
		return;
	}
	switch (in->imm & 0x33) {
		IMM_CASE4("dppd", 0x00)
		IMM_CASE4("dppd", 0x10)
		IMM_CASE4("dppd", 0x20)
		IMM_CASE4("dppd", 0x30)
	}
	dpp_finish(c, f, &a, a0, b, (unsigned)in->imm, true);
	sse_vset(xmm_reg(c, in), a);
}

/* The software path, for test_sse4's comparison with the host: op 0-3
 * ROUNDPS/PD/SS/SD, 4 DPPS, 5 DPPD on d (in/out) and s, merging the flags
 * into c->mxcsr (an unmasked exception raises, as the handlers do). */
void sse41fp_soft(struct cpu *c, unsigned op, unsigned imm, union xmm *d, const union xmm *s)
{
	uint32_t f;
	union xmm r = *d;
	if (op < 4) {
		round_soft(c, op, imm, &r, s, &f);
		sse_fp_finish(c, f, &r, round_kinds[op]);
	} else {
		r = dpp_steps(c, sse_vget(d), sse_vget(s), imm, op == 5, &f);
		sse_fp_finish(c, f, &r, op == 5 ? SSE_RES_PD : SSE_RES_PS);
	}
	*d = r;
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
