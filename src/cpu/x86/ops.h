/*
 * Shared helpers for instruction handlers (ops_*.c).
 */
#ifndef LEMU_CPU_X86_OPS_H
#define LEMU_CPU_X86_OPS_H

#include "cpu.h"

/*
 * Decoder substitution of specialised handlers for hot operand forms
 * (ops_fast.c).  An entry applies to a non-VEX, legacy-prefix opcode
 * (map, op, ModRM.reg ext or -1) when every condition bit in `cond` holds
 * for the decoded instruction.
 */
#define FPC_REG 0x01     /* r/m is a register */
#define FPC_MEM 0x02     /* r/m is memory */
#define FPC_FLAT 0x04    /* memory in 64-bit code, 64-bit addressing, not FS/GS */
#define FPC_SZ1 0x08
#define FPC_SZ4 0x10
#define FPC_SZ8 0x20
#define FPC_SAMEREG 0x40 /* register form with reg == rm */
#define FPC_NOLOCK 0x80
#define FPC_SZ2 0x100
struct insn_fastpath {
	uint8_t map, op;
	int8_t ext;
	uint16_t cond;
	insn_fn fn;
};
extern const struct insn_fastpath insn_fastpaths[];
/*
 * Handlers that tbgen.c may replace by inline host code, with what it
 * needs to know to do so.  `op` is OPK_* for ALU kinds (add sub and or xor
 * cmp test = 0..6), 0 = ROL / 1 = ROR for TPL_ROT_NF, TLD_* for loads;
 * dir = 1 when the destination is ModRM.rm.
 */
enum { TPL_MOV_RR = 1, TPL_MOV_RI, TPL_XOR_ZERO, TPL_LEA, TPL_LOAD, TPL_STORE, TPL_ALU_RR,
       TPL_ALU_RM, TPL_ALU_RI, TPL_ROT_NF, TPL_CMP_MR, TPL_CMP_MI, TPL_JCC, TPL_INCDEC,
       TPL_JMP /* direct jump */, TPL_CALL /* direct call (static target) */,
       TPL_PUSH, TPL_POP, TPL_RET /* 64-bit stack operations */,
       TPL_IND /* indirect call/jump: a handler, then a jump-cache probe */ };
/* TLD_R8/R16 merge into the low byte/word (reg8 numbering for bytes) */
enum { TLD_64, TLD_32, TLD_ZX8, TLD_ZX16, TLD_SX8_32, TLD_SX8_64, TLD_SX32, TLD_R8, TLD_R16 };
struct insn_template {
	insn_fn fn;
	uint8_t kind, op, size, dir;
};
extern const struct insn_template insn_templates[];
/* Rewrite a decoded TB's handlers where flag results are dead. */
void insn_flags_liveness(struct insn *insns, unsigned n);

/* Condition evaluation with the common cases (after SUB/CMP, logic ops,
 * INC/DEC for ZF/SF) inline; cond is usually a compile-time constant. */
static inline int cc_eval_fast(struct cpu *c, unsigned cond)
{
	unsigned op = c->cc_op & ~3u, sh = 64 - (8u << (c->cc_op & 3));
	/* operands shifted to the top of 64 bits: unsigned and signed
	 * comparisons then work for every size */
	uint64_t dst = c->cc_dst << sh;
	int r;
	if (op == CC_SUB) {
		uint64_t src = c->cc_src << sh, a = dst + src;
		switch (cond >> 1) {
		case 1: r = a < src; break;
		case 2: r = dst == 0; break;
		case 3: r = a <= src; break;
		case 4: r = (int64_t)dst < 0; break;
		case 6: r = (int64_t)a < (int64_t)src; break;
		case 7: r = (int64_t)a <= (int64_t)src; break;
		default: return cc_eval(c, cond);
		}
		return r ^ (int)(cond & 1);
	}
	if (op == CC_LOGIC) {
		switch (cond >> 1) {
		case 0: case 1: r = 0; break;
		case 2: case 3: r = dst == 0; break;
		case 4: case 6: r = (int64_t)dst < 0; break;
		case 7: r = dst == 0 || (int64_t)dst < 0; break;
		default: return cc_eval(c, cond);
		}
		return r ^ (int)(cond & 1);
	}
	if ((op == CC_INC || op == CC_DEC || op == CC_ADD) && ((cond >> 1) == 2 || (cond >> 1) == 4)) {
		r = (cond >> 1) == 2 ? dst == 0 : (int64_t)dst < 0;
		return r ^ (int)(cond & 1);
	}
	return cc_eval(c, cond);
}

/* Compare-and-swap of `size` (1, 2, 4, 8) bytes at host pointer p;
 * *expected receives the value found.  Every memory CMPXCHG and LOCKed
 * read-modify-write goes through it (an atomic unlocked CMPXCHG is a valid
 * implementation: the SDM says the destination is always written). */
static inline bool cpu_cas_sized(void *p, uint64_t *expected, uint64_t desired, unsigned size)
{
	bool ok;
	switch (size) {
	case 1: {
		uint8_t e = (uint8_t)*expected;
		ok = __atomic_compare_exchange_n((uint8_t *)p, &e, (uint8_t)desired, 0,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*expected = e;
		break;
	}
	case 2: {
		uint16_t e = (uint16_t)*expected;
		ok = __atomic_compare_exchange_n((uint16_t *)p, &e, (uint16_t)desired, 0,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*expected = e;
		break;
	}
	case 4: {
		uint32_t e = (uint32_t)*expected;
		ok = __atomic_compare_exchange_n((uint32_t *)p, &e, (uint32_t)desired, 0,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*expected = e;
		break;
	}
	default:
		ok = __atomic_compare_exchange_n((uint64_t *)p, expected, desired, 0,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		break;
	}
	return ok;
}

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
