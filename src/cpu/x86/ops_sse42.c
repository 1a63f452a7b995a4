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

#include <emmintrin.h>

/*
 * The element compares run on the host's SSE2 (baseline on the x86_64
 * hosts lemu's CPU core requires, see sse_fp.h): one PCMPEQ/PCMPGT of an
 * src1 element broadcast against all of src2 gives a whole row of
 * BoolRes as a bit mask.  Signed/unsigned only matters for the ranges
 * compares (bias by the sign bit for unsigned).
 */
struct str_ops {
	bool words;
	unsigned ub, full; /* element count, its bit mask */
	__m128i bias;      /* XORed into both sides of a signed compare */
};

/* One bit per element from a byte mask of a compare result. */
static inline unsigned str_mask(const struct str_ops *o, __m128i v)
{
	unsigned m = (unsigned)_mm_movemask_epi8(v);
	if (!o->words)
		return m;
	m &= 0x5555; /* both bytes of a word agree: keep the even ones */
	m = (m | (m >> 1)) & 0x3333;
	m = (m | (m >> 2)) & 0x0f0f;
	return (m | (m >> 4)) & 0x00ff;
}
static inline __m128i str_bcast(const struct str_ops *o, const union xmm *x, unsigned i)
{
	return o->words ? _mm_set1_epi16((short)x->w[i]) : _mm_set1_epi8((char)x->b[i]);
}
static inline unsigned str_eq(const struct str_ops *o, __m128i a, __m128i b)
{
	return str_mask(o, o->words ? _mm_cmpeq_epi16(a, b) : _mm_cmpeq_epi8(a, b));
}
/* Bits where a > b (signed after the bias). */
static inline unsigned str_gt(const struct str_ops *o, __m128i a, __m128i b)
{
	a = _mm_xor_si128(a, o->bias);
	b = _mm_xor_si128(b, o->bias);
	return str_mask(o, o->words ? _mm_cmpgt_epi16(a, b) : _mm_cmpgt_epi8(a, b));
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
static inline unsigned str_len_implicit(const struct str_ops *o, __m128i x)
{
	unsigned z = str_eq(o, x, _mm_setzero_si128());
	return z ? (unsigned)__builtin_ctz(z) : o->ub;
}

/* IntRes1 for the aggregation imm[3:2] (SDM §4.1.5, with the forced
 * results for invalid elements of table 4-7). */
static unsigned str_aggregate(const struct str_ops *o, const union xmm *a, unsigned la,
			      __m128i vb, unsigned lb, unsigned imm)
{
	unsigned valid_b = (1u << lb) - 1, res = 0;
	switch ((imm >> 2) & 3) {
	case 0: /* equal any: is src2[j] one of the valid src1 elements? */
		for (unsigned i = 0; i < la; i++)
			res |= str_eq(o, str_bcast(o, a, i), vb);
		return res & valid_b;
	case 1: /* ranges: src1[i] <= src2[j] <= src1[i+1] for an even i */
		for (unsigned i = 0; i + 1 < la; i += 2) {
			unsigned ge = ~str_gt(o, str_bcast(o, a, i), vb);
			unsigned le = ~str_gt(o, vb, str_bcast(o, a, i + 1));
			res |= ge & le;
		}
		return res & valid_b;
	case 2: { /* equal each: both invalid -> true, one invalid -> false */
		unsigned valid_a = (1u << la) - 1;
		unsigned eq = str_eq(o, _mm_loadu_si128((const __m128i *)a), vb);
		return ((eq & valid_a & valid_b) | (~valid_a & ~valid_b)) & o->full;
	}
	default: /* equal ordered: does src1 occur in src2 starting at j?
		  * Row i must match at j + i; past the register's end there
		  * is nothing to check (true); src1 invalid -> true; src1
		  * valid, src2 invalid -> false. */
		res = o->full;
		for (unsigned i = 0; i < la; i++) {
			unsigned row = str_eq(o, str_bcast(o, a, i), vb) & valid_b;
			unsigned beyond = o->full & ~((1u << (o->ub - i)) - 1);
			res &= (row >> i) | beyond;
		}
		return res;
	}
}

/* 66 0F 3A 60 PCMPESTRM, 61 PCMPESTRI, 62 PCMPISTRM, 63 PCMPISTRI. */
static void pcmpstr(struct cpu *c, const struct insn *in)
{
	union xmm t;
	__m128i vb = _mm_loadu_si128((const __m128i *)xmm_rm(c, in, &t, 16, false));
	const union xmm *a = xmm_reg(c, in);
	unsigned imm = (unsigned)in->imm, fmt = imm & 3;
	struct str_ops o;
	o.words = fmt & 1;
	o.ub = o.words ? 8 : 16;
	o.full = (1u << o.ub) - 1;
	o.bias = (fmt & 2) ? _mm_setzero_si128()
			   : (o.words ? _mm_set1_epi16((short)0x8000) : _mm_set1_epi8((char)0x80));
	unsigned ub = o.ub, full = o.full, la, lb;
	if (!(in->op & 2)) {
		bool w64 = (in->prefix & PFX_REX_W) != 0;
		la = str_len_explicit(c->regs[R_RAX], w64, ub);
		lb = str_len_explicit(c->regs[R_RDX], w64, ub);
	} else {
		la = str_len_implicit(&o, _mm_loadu_si128((const __m128i *)a));
		lb = str_len_implicit(&o, vb);
	}
	unsigned r1 = str_aggregate(&o, a, la, vb, lb, imm), r2;
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
