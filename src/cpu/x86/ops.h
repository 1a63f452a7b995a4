/*
 * Shared helpers for instruction handlers (ops_*.c).
 */
#ifndef LEMU_CPU_X86_OPS_H
#define LEMU_CPU_X86_OPS_H

#include "cpu.h"

/* Decoder substitution of specialised handlers for hot operand forms. */
enum {
	FP_REG_REG_64 = 1,     /* register r/m operand, opsize 8 */
	FP_SAME_REG_32_64,     /* register form with reg == rm, opsize 4 or 8 */
};
struct insn_fastpath {
	insn_fn from;
	int cond;
	insn_fn to;
};
extern const struct insn_fastpath insn_fastpaths[];

/* --- SSE / MMX operand access -------------------------------------- */

/* XMM register named by ModRM.reg (with REX.R). */
static inline union xmm *xmm_reg(struct cpu *c, const struct insn *in)
{
	return &c->xmm[in->reg & 15];
}

/* The r/m XMM operand: the register, or `bytes` loaded from memory into
 * *tmp (zero-filled above).  `align16` raises #GP on a misaligned 16-byte
 * access as MOVAPS/legacy SSE arithmetic do (SDM vol. 1 §10.4.1.1). */
static inline const union xmm *xmm_rm(struct cpu *c, const struct insn *in, union xmm *tmp,
				      unsigned bytes, bool align16)
{
	if (!in->mem)
		return &c->xmm[in->rm & 15];
	uint64_t ea = insn_ea(c, in);
	if (align16 && (ea & 15))
		cpu_raise(c, EXC_GP, 0);
	memset(tmp, 0, sizeof(*tmp));
	ld_bytes(c, ea, tmp, bytes);
	return tmp;
}
/* Store `bytes` of v to the r/m operand (register: whole xmm written). */
static inline void xmm_rm_store(struct cpu *c, const struct insn *in, const union xmm *v,
				unsigned bytes, bool align16)
{
	if (!in->mem) {
		c->xmm[in->rm & 15] = *v;
		return;
	}
	uint64_t ea = insn_ea(c, in);
	if (align16 && (ea & 15))
		cpu_raise(c, EXC_GP, 0);
	st_bytes(c, ea, v, bytes);
}

/* MMX registers alias the x87 mantissas (SDM vol. 1 §9.5); any MMX
 * instruction sets TOP=0 and marks every register valid; writes set the
 * exponent field to all ones. */
static inline void mmx_enter(struct cpu *c)
{
	c->ftop = 0;
	c->ftag = 0xff;
}
static inline uint64_t mmx_get(struct cpu *c, unsigned r)
{
	return c->fpr[r & 7].x.mant;
}
static inline void mmx_set(struct cpu *c, unsigned r, uint64_t v)
{
	c->fpr[r & 7].x.mant = v;
	c->fpr[r & 7].x.exp = 0xffff;
}
/* The r/m MMX operand (register mm0-7 by ModRM.rm without REX, or m64). */
static inline uint64_t mmx_rm(struct cpu *c, const struct insn *in)
{
	if (!in->mem)
		return mmx_get(c, in->rm & 7);
	return ld64(c, insn_ea(c, in));
}

/* SSE/x87 availability checks (CR0.EM/TS, CR4.OSFXSR) go here when system
 * emulation needs them; user mode always has them enabled. */

#endif
