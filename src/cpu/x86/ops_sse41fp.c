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

/* DPPS xmm1, xmm2/m128, imm8 (all 256 immediates: imm[7:4] select the
 * products, imm[3:0] the destination lanes). */
static void op_dpps(struct cpu *c, const struct insn *in)
{
	union xmm t;
	__m128i b = sse_vget(xmm_rm(c, in, &t, 16, true));
	__m128i a = sse_vget(xmm_reg(c, in));
	uint32_t f = 0;
	switch (in->imm & 0xff) {
		IMM_CASE64("dpps", 0)
		IMM_CASE64("dpps", 64)
		IMM_CASE64("dpps", 128)
		IMM_CASE64("dpps", 192)
	}
	sse_fp_finish(c, f, &a, SSE_RES_PS);
	sse_vset(xmm_reg(c, in), a);
}

/* DPPD: only imm[5:4] and imm[1:0] are defined (the others reserved). */
static void op_dppd(struct cpu *c, const struct insn *in)
{
	union xmm t;
	__m128i b = sse_vget(xmm_rm(c, in, &t, 16, true));
	__m128i a = sse_vget(xmm_reg(c, in));
	uint32_t f = 0;
	switch (in->imm & 0x33) {
		IMM_CASE4("dppd", 0x00)
		IMM_CASE4("dppd", 0x10)
		IMM_CASE4("dppd", 0x20)
		IMM_CASE4("dppd", 0x30)
	}
	sse_fp_finish(c, f, &a, SSE_RES_PD);
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
