/*
 * Helpers shared by the MMX/SSE/SSE2 handler files (ops_sse*.c).
 *
 * The integer and data-movement handlers use host SSE2 intrinsics: the
 * host is x86_64 (see sse_fp.h), the semantics are identical by
 * definition, and the compiler keeps the values in host XMM registers,
 * which makes the handlers glibc's string functions hammer (PCMPEQB,
 * PMOVMSKB, MOVDQU, ...) a handful of host instructions each.
 *
 * Alignment (SDM vol. 2 §2.4/2.5, exception types 1 and 4): legacy-SSE
 * instructions with a 16-byte memory operand fault with #GP(0) when it is
 * not 16-byte aligned, except the explicitly unaligned moves (MOVUPS,
 * MOVUPD, MOVDQU, LDDQU); scalar, 64-bit and MMX memory operands are
 * never checked.
 */
#ifndef LEMU_CPU_X86_OPS_SSE_H
#define LEMU_CPU_X86_OPS_SSE_H

#include "decode.h"
#include "ops.h"
#include "sse_fp.h"

#define FEAT_MMX FEAT(FW_1_EDX, 23)
#define FEAT_SSE FEAT(FW_1_EDX, 25)
#define FEAT_SSE2 FEAT(FW_1_EDX, 26)

#define M0F MAP_0F
#define RM F_MODRM

/* Table shorthands. */
#define SSE_OP(op, pfx, feat, fl, fn) OPF(M0F, op, pfx, -1, M_ANY, 0, 0, feat, RM | (fl), fn)
#define SSE_OPR(op, pfx, feat, fl, fn) OPF(M0F, op, pfx, -1, M_REG, 0, 0, feat, RM | (fl), fn)
#define SSE_OPM(op, pfx, feat, fl, fn) OPF(M0F, op, pfx, -1, M_MEM, 0, 0, feat, RM | (fl), fn)

/* 16-byte memory operand address, with the #GP alignment check. */
static inline uint64_t sse_ea16(struct cpu *c, const struct insn *in, bool align)
{
	uint64_t ea = insn_ea(c, in);
	if (align && unlikely(ea & 15))
		cpu_raise(c, EXC_GP, 0);
	return ea;
}

/* The 16-byte r/m operand as a host vector. */
static inline __m128i sse_rm128(struct cpu *c, const struct insn *in, bool align)
{
	if (!in->mem)
		return sse_vget(&c->xmm[in->rm & 15]);
	uint64_t ea = sse_ea16(c, in, align);
	return _mm_loadu_si128((const __m128i *)cpu_mem(c, ea, 16, 0));
}
/* Memory-only variant (the decoder picked the memory form). */
static inline __m128i sse_mem128(struct cpu *c, const struct insn *in, bool align)
{
	uint64_t ea = sse_ea16(c, in, align);
	return _mm_loadu_si128((const __m128i *)cpu_mem(c, ea, 16, 0));
}
static inline void sse_store128(struct cpu *c, const struct insn *in, __m128i v, bool align)
{
	uint64_t ea = sse_ea16(c, in, align);
	void *p = cpu_mem(c, ea, 16, 1);
	_mm_storeu_si128((__m128i *)p, v);
	cpu_mem_done(c, p);
}

/* Low 64 / 32 bits of the r/m operand: the register's low lane, or a
 * zero-extended load (scalar forms: no alignment check). */
static inline __m128i sse_rm64(struct cpu *c, const struct insn *in)
{
	if (!in->mem)
		return sse_vget(&c->xmm[in->rm & 15]);
	return _mm_cvtsi64_si128((long long)ld64(c, insn_ea(c, in)));
}
static inline __m128i sse_rm32(struct cpu *c, const struct insn *in)
{
	if (!in->mem)
		return sse_vget(&c->xmm[in->rm & 15]);
	return _mm_cvtsi32_si128((int)ld32(c, insn_ea(c, in)));
}

static inline __m128i sse_reg(struct cpu *c, const struct insn *in)
{
	return sse_vget(&c->xmm[in->reg & 15]);
}
static inline void sse_reg_set(struct cpu *c, const struct insn *in, __m128i v)
{
	sse_vset(&c->xmm[in->reg & 15], v);
}

/* MMX operands as the low lane of a host vector. */
static inline __m128i mmx_v(uint64_t v)
{
	return _mm_cvtsi64_si128((long long)v);
}
static inline uint64_t mmx_lo(__m128i v)
{
	return (uint64_t)_mm_cvtsi128_si64(v);
}

#endif
