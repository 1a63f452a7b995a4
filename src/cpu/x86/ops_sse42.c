/*
 * SSE4.2 string compares: PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM
 * (66 0F 3A 60..63; Intel SDM vol. 2 §4.1 "Imm8 control byte operation
 * for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM" and the instruction
 * pages).  PCMPGTQ is with the other integer compares in ops_sse41.c;
 * CRC32 and POPCNT belong to the integer groups.
 *
 * Terminology follows the SDM: src1 is xmm1 (ModRM.reg), src2 is
 * xmm2/m128.  BoolRes[i][j] compares src1 element i with src2 element j;
 * IntRes1 has one bit per src2 element.  The memory operand has no
 * alignment requirement (SDM: "this instruction does not cause #GP if the
 * memory operand is not aligned to 16 Byte boundary").
 */
#include "decode.h"
#include "ops.h"
#include "ops_simd.h"

/* Element i of x for imm[1:0] (bit 0 = words, bit 1 = signed). */
static inline int32_t str_elem(const union xmm *x, unsigned i, unsigned fmt)
{
	switch (fmt & 3) {
	case 0: return x->b[i];
	case 1: return x->w[i];
	case 2: return x->sb[i];
	default: return x->sw[i];
	}
}

/* Explicit length: absolute value of the signed register, saturated to
 * the element count (SDM §4.1.4). */
static inline unsigned str_len_explicit(uint64_t reg, bool w64, unsigned ub)
{
	int64_t v = w64 ? (int64_t)reg : (int64_t)(int32_t)reg;
	uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	return a > ub ? ub : (unsigned)a;
}

/* Implicit length: index of the first zero element, or ub. */
static inline unsigned str_len_implicit(const union xmm *x, unsigned fmt, unsigned ub)
{
	for (unsigned i = 0; i < ub; i++)
		if (!str_elem(x, i, fmt))
			return i;
	return ub;
}

/* IntRes1 for the aggregation imm[3:2] (SDM §4.1.5, with the forced
 * results for invalid elements of table 4-7). */
static unsigned str_aggregate(const union xmm *a, unsigned la, const union xmm *b, unsigned lb,
			      unsigned imm, unsigned ub)
{
	unsigned fmt = imm & 3, res = 0;
	int32_t ea[16], eb[16];
	for (unsigned i = 0; i < ub; i++) {
		ea[i] = str_elem(a, i, fmt);
		eb[i] = str_elem(b, i, fmt);
	}
	switch ((imm >> 2) & 3) {
	case 0: /* equal any: is src2[j] one of the valid src1 elements? */
		for (unsigned j = 0; j < lb; j++)
			for (unsigned i = 0; i < la; i++)
				if (ea[i] == eb[j]) {
					res |= 1u << j;
					break;
				}
		break;
	case 1: /* ranges: src1[i] <= src2[j] <= src1[i+1] for an even i */
		for (unsigned j = 0; j < lb; j++)
			for (unsigned i = 0; i + 1 < la; i += 2)
				if (eb[j] >= ea[i] && eb[j] <= ea[i + 1]) {
					res |= 1u << j;
					break;
				}
		break;
	case 2: /* equal each: both invalid -> true, one invalid -> false */
		for (unsigned j = 0; j < ub; j++) {
			bool r;
			if (j < la && j < lb)
				r = ea[j] == eb[j];
			else
				r = j >= la && j >= lb;
			res |= (unsigned)r << j;
		}
		break;
	default: /* equal ordered: does src1 occur in src2 starting at j?
		  * src1 invalid -> true; src1 valid, src2 invalid -> false */
		for (unsigned j = 0; j < ub; j++) {
			bool r = true;
			for (unsigned i = 0; i + j < ub && r; i++) {
				if (i >= la)
					break;
				if (i + j >= lb || ea[i] != eb[i + j])
					r = false;
			}
			res |= (unsigned)r << j;
		}
		break;
	}
	return res;
}

/* 66 0F 3A 60 PCMPESTRM, 61 PCMPESTRI, 62 PCMPISTRM, 63 PCMPISTRI. */
static void pcmpstr(struct cpu *c, const struct insn *in)
{
	union xmm t;
	union xmm b = *xmm_rm(c, in, &t, 16, false);
	const union xmm *a = xmm_reg(c, in);
	unsigned imm = (unsigned)in->imm, fmt = imm & 3;
	unsigned ub = (fmt & 1) ? 8 : 16, full = (1u << ub) - 1;
	unsigned la, lb;
	if (!(in->op & 2)) {
		bool w64 = (in->prefix & PFX_REX_W) != 0;
		la = str_len_explicit(c->regs[R_RAX], w64, ub);
		lb = str_len_explicit(c->regs[R_RDX], w64, ub);
	} else {
		la = str_len_implicit(a, fmt, ub);
		lb = str_len_implicit(&b, fmt, ub);
	}
	unsigned r1 = str_aggregate(a, la, &b, lb, imm, ub), r2;
	switch ((imm >> 4) & 3) {
	case 1: r2 = ~r1 & full; break;                  /* negative */
	case 3: r2 = r1 ^ ((1u << lb) - 1); break;        /* masked negative */
	default: r2 = r1; break;                          /* positive */
	}

	if (in->op & 1) {
		/* Index: least (imm[6]=0) or most significant set bit of
		 * IntRes2, or the element count when it is zero.  Writes ECX
		 * (zero-extended into RCX). */
		unsigned idx = ub;
		if (r2)
			idx = (imm & 0x40) ? 31 - (unsigned)__builtin_clz(r2)
					   : (unsigned)__builtin_ctz(r2);
		set_reg(c, R_RCX, idx, 4);
	} else {
		/* Mask to XMM0: the bits zero-extended (imm[6]=0) or one
		 * all-ones/zero element per bit (imm[6]=1). */
		union xmm m = { 0 };
		if (imm & 0x40) {
			for (unsigned i = 0; i < ub; i++)
				if ((r2 >> i) & 1) {
					if (fmt & 1)
						m.w[i] = 0xffff;
					else
						m.b[i] = 0xff;
				}
		} else {
			m.w[0] = (uint16_t)r2;
		}
		c->xmm[0] = m;
	}
	uint32_t f = 0;
	if (r2)
		f |= FL_CF;
	if (lb < ub)
		f |= FL_ZF;
	if (la < ub)
		f |= FL_SF;
	if (r2 & 1)
		f |= FL_OF;
	cc_set_flags(c, f);
}

#define SSE42 FEAT(FW_1_ECX, 20)

const struct opdesc ops_sse42[] = {
	OPF(MAP_0F3A, 0x60, P_66, -1, M_ANY, 0, 0, SSE42, F_MODRM | F_IMM8U, pcmpstr),
	OPF(MAP_0F3A, 0x61, P_66, -1, M_ANY, 0, 0, SSE42, F_MODRM | F_IMM8U, pcmpstr),
	OPF(MAP_0F3A, 0x62, P_66, -1, M_ANY, 0, 0, SSE42, F_MODRM | F_IMM8U, pcmpstr),
	OPF(MAP_0F3A, 0x63, P_66, -1, M_ANY, 0, 0, SSE42, F_MODRM | F_IMM8U, pcmpstr),
	{ 0 },
};
