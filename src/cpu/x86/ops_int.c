/*
 * Integer core: ALU, MOV family, stack, branches, Jcc/SETcc/CMOVcc, LEA,
 * XCHG, sign extensions, flag instructions, INC/DEC, groups FE/FF.
 * (Intel SDM vol. 2; opcode map in vol. 2 appendix A.)
 */
#include "decode.h"
#include "ops.h"

/* --- ALU ----------------------------------------------------------- */

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* Compute op on a and b, set lazy flags, return the result. */
static inline uint64_t alu_do(struct cpu *c, unsigned op, uint64_t a, uint64_t b, unsigned size)
{
	unsigned sz = cc_sz(size);
	uint64_t r, cf;
	switch (op) {
	case ALU_ADD: r = a + b; cc_set(c, CC_ADD | sz, r, b, 0); break;
	case ALU_OR: r = a | b; cc_set(c, CC_LOGIC | sz, r, 0, 0); break;
	case ALU_ADC: cf = (uint64_t)cc_cf(c); r = a + b + cf; cc_set(c, CC_ADC | sz, r, b, cf); break;
	case ALU_SBB: cf = (uint64_t)cc_cf(c); r = a - b - cf; cc_set(c, CC_SBB | sz, r, b, cf); break;
	case ALU_AND: r = a & b; cc_set(c, CC_LOGIC | sz, r, 0, 0); break;
	case ALU_SUB:
	case ALU_CMP: r = a - b; cc_set(c, CC_SUB | sz, r, b, 0); break;
	default: r = a ^ b; cc_set(c, CC_LOGIC | sz, r, 0, 0); break;
	}
	return r;
}

/* Atomic read-modify-write for LOCK-prefixed ALU ops on memory. */
static void alu_locked(struct cpu *c, const struct insn *in, unsigned op, uint64_t b)
{
	unsigned size = in->opsize;
	void *p = cpu_mem(c, insn_ea(c, in), size, CPU_MEM_RMW);
	uint64_t old, r;
	/* ADC/SBB read CF before the loop; flags are recomputed from the
	 * value that was actually exchanged. */
	uint64_t cf = (op == ALU_ADC || op == ALU_SBB) ? (uint64_t)cc_cf(c) : 0;
	uint32_t saved_op = c->cc_op;
	uint64_t sd = c->cc_dst, ss = c->cc_src, ss2 = c->cc_src2;
	for (;;) {
		old = 0;
		__builtin_memcpy(&old, p, size); /* racy read; validated by CAS */
		c->cc_op = CC_EFLAGS;
		c->cc_src = cf ? FL_CF : 0;
		r = alu_do(c, op, old, b, size);
		uint64_t expected = old;
		bool ok = cpu_cas_sized(p, &expected, r, size);
		if (ok) {
			cpu_mem_done(c, p);
			return;
		}
		c->cc_op = saved_op;
		c->cc_dst = sd;
		c->cc_src = ss;
		c->cc_src2 = ss2;
	}
}

/* op r/m, reg */
#define ALU_RM_R(name, OP)                                                         \
	static void name(struct cpu *c, const struct insn *in)                     \
	{                                                                          \
		uint64_t b = op_reg(c, in);                                        \
		if (!in->mem) {                                                    \
			unsigned r = in->opsize == 1 ? in->rm8 : in->rm;           \
			uint64_t v = alu_do(c, OP, get_reg(c, r, in->opsize), b, in->opsize); \
			if (OP != ALU_CMP)                                         \
				set_reg(c, r, v, in->opsize);                      \
		} else if (OP != ALU_CMP && (in->prefix & PFX_LOCK)) {             \
			alu_locked(c, in, OP, b);                                  \
		} else {                                                           \
			uint64_t ea = insn_ea(c, in);                              \
			uint64_t v = alu_do(c, OP, ld_sz(c, ea, in->opsize), b, in->opsize); \
			if (OP != ALU_CMP)                                         \
				st_sz(c, ea, v, in->opsize);                       \
		}                                                                  \
	}
/* op reg, r/m */
#define ALU_R_RM(name, OP)                                                         \
	static void name(struct cpu *c, const struct insn *in)                     \
	{                                                                          \
		uint64_t b = op_rm(c, in);                                         \
		uint64_t v = alu_do(c, OP, op_reg(c, in), b, in->opsize);          \
		if (OP != ALU_CMP)                                                 \
			op_reg_set(c, in, v);                                      \
	}
/* op r/m, imm  (also AL/eAX, imm where the decoder sets rm = 0) */
#define ALU_RM_I(name, OP)                                                         \
	static void name(struct cpu *c, const struct insn *in)                     \
	{                                                                          \
		uint64_t b = in->imm;                                              \
		if (!in->mem) {                                                    \
			unsigned r = in->opsize == 1 ? in->rm8 : in->rm;           \
			uint64_t v = alu_do(c, OP, get_reg(c, r, in->opsize), b, in->opsize); \
			if (OP != ALU_CMP)                                         \
				set_reg(c, r, v, in->opsize);                      \
		} else if (OP != ALU_CMP && (in->prefix & PFX_LOCK)) {             \
			alu_locked(c, in, OP, b);                                  \
		} else {                                                           \
			uint64_t ea = insn_ea(c, in);                              \
			uint64_t v = alu_do(c, OP, ld_sz(c, ea, in->opsize), b, in->opsize); \
			if (OP != ALU_CMP)                                         \
				st_sz(c, ea, v, in->opsize);                       \
		}                                                                  \
	}
/* op AL/eAX, imm */
#define ALU_A_I(name, OP)                                                          \
	static void name(struct cpu *c, const struct insn *in)                     \
	{                                                                          \
		uint64_t v = alu_do(c, OP, get_reg(c, R_RAX, in->opsize), in->imm, in->opsize); \
		if (OP != ALU_CMP)                                                 \
			set_reg(c, R_RAX, v, in->opsize);                          \
	}

#define ALU_ALL(suffix, OP)                  \
	ALU_RM_R(alu_rm_r_##suffix, OP)      \
	ALU_R_RM(alu_r_rm_##suffix, OP)      \
	ALU_RM_I(alu_rm_i_##suffix, OP)      \
	ALU_A_I(alu_a_i_##suffix, OP)
ALU_ALL(add, ALU_ADD)
ALU_ALL(or, ALU_OR)
ALU_ALL(adc, ALU_ADC)
ALU_ALL(sbb, ALU_SBB)
ALU_ALL(and, ALU_AND)
ALU_ALL(sub, ALU_SUB)
ALU_ALL(xor, ALU_XOR)
ALU_ALL(cmp, ALU_CMP)


static void test_rm_r(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm(c, in) & op_reg(c, in);
	cc_set(c, CC_LOGIC | cc_sz(in->opsize), v, 0, 0);
}
static void test_a_i(struct cpu *c, const struct insn *in)
{
	uint64_t v = get_reg(c, R_RAX, in->opsize) & in->imm;
	cc_set(c, CC_LOGIC | cc_sz(in->opsize), v, 0, 0);
}

/* --- INC/DEC ------------------------------------------------------- */

static inline void incdec_flags(struct cpu *c, uint64_t r, unsigned size, int dec)
{
	uint32_t cf = (uint32_t)cc_cf(c);
	cc_set(c, (dec ? CC_DEC : CC_INC) | cc_sz(size), r, 1, cf ? FL_CF : 0);
}

static void incdec_locked(struct cpu *c, const struct insn *in, int dec)
{
	unsigned size = in->opsize;
	void *p = cpu_mem(c, insn_ea(c, in), size, CPU_MEM_RMW);
	uint64_t d = dec ? (uint64_t)-1 : 1, old;
	switch (size) {
	case 1: old = __atomic_fetch_add((uint8_t *)p, (uint8_t)d, __ATOMIC_SEQ_CST); break;
	case 2: old = __atomic_fetch_add((uint16_t *)p, (uint16_t)d, __ATOMIC_SEQ_CST); break;
	case 4: old = __atomic_fetch_add((uint32_t *)p, (uint32_t)d, __ATOMIC_SEQ_CST); break;
	default: old = __atomic_fetch_add((uint64_t *)p, d, __ATOMIC_SEQ_CST); break;
	}
	cpu_mem_done(c, p);
	incdec_flags(c, old + d, size, dec);
}

static void inc_rm(struct cpu *c, const struct insn *in)
{
	if (in->mem && (in->prefix & PFX_LOCK))
		return incdec_locked(c, in, 0);
	uint64_t r = op_rm(c, in) + 1;
	op_rm_set(c, in, r);
	incdec_flags(c, r, in->opsize, 0);
}
static void dec_rm(struct cpu *c, const struct insn *in)
{
	if (in->mem && (in->prefix & PFX_LOCK))
		return incdec_locked(c, in, 1);
	uint64_t r = op_rm(c, in) - 1;
	op_rm_set(c, in, r);
	incdec_flags(c, r, in->opsize, 1);
}
/* 40+r / 48+r outside 64-bit mode */
static void inc_r(struct cpu *c, const struct insn *in)
{
	uint64_t r = get_reg(c, in->reg, in->opsize) + 1;
	set_reg(c, in->reg, r, in->opsize);
	incdec_flags(c, r, in->opsize, 0);
}
static void dec_r(struct cpu *c, const struct insn *in)
{
	uint64_t r = get_reg(c, in->reg, in->opsize) - 1;
	set_reg(c, in->reg, r, in->opsize);
	incdec_flags(c, r, in->opsize, 1);
}

/* --- MOV ---------------------------------------------------------- */

static void mov_rm_r(struct cpu *c, const struct insn *in)
{
	op_rm_set(c, in, op_reg(c, in));
}
static void mov_r_rm(struct cpu *c, const struct insn *in)
{
	op_reg_set(c, in, op_rm(c, in));
}
static void mov_rm_i(struct cpu *c, const struct insn *in)
{
	op_rm_set(c, in, in->imm);
}
static void mov_r_i(struct cpu *c, const struct insn *in)
{
	set_reg(c, in->opsize == 1 ? in->reg8 : in->reg, in->imm, in->opsize);
}
/* A0-A3: moffs forms (decoder sets mem=1, disp=offset) */
static void mov_a_moffs(struct cpu *c, const struct insn *in)
{
	set_reg(c, R_RAX, ld_sz(c, insn_ea(c, in), in->opsize), in->opsize);
}
static void mov_moffs_a(struct cpu *c, const struct insn *in)
{
	st_sz(c, insn_ea(c, in), get_reg(c, R_RAX, in->opsize), in->opsize);
}
static void lea(struct cpu *c, const struct insn *in)
{
	if (!in->mem)
		cpu_raise(c, EXC_UD, 0);
	set_reg(c, in->reg, insn_ea_off(c, in), in->opsize);
}
/* 0F B6/B7/BE/BF, aux = source size | 0x80 for sign extension */
static void movx(struct cpu *c, const struct insn *in)
{
	unsigned ss = in->aux & 0xf;
	uint64_t v = op_rm_sz(c, in, ss);
	if (in->aux & 0x80)
		v = (uint64_t)sext(v, ss);
	set_reg(c, in->reg, v, in->opsize);
}
/* 63: MOVSXD (64-bit mode) */
static void movsxd(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm_sz(c, in, 4);
	if (in->opsize == 8)
		v = (uint64_t)(int64_t)(int32_t)v;
	set_reg(c, in->reg, v, in->opsize);
}

static void xchg_r_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t r = op_reg(c, in), old;
	if (in->mem) {
		/* XCHG with memory is always locked (SDM vol. 3 §8.1.2.1). */
		void *p = cpu_mem(c, insn_ea(c, in), size, CPU_MEM_RMW);
		switch (size) {
		case 1: old = __atomic_exchange_n((uint8_t *)p, (uint8_t)r, __ATOMIC_SEQ_CST); break;
		case 2: old = __atomic_exchange_n((uint16_t *)p, (uint16_t)r, __ATOMIC_SEQ_CST); break;
		case 4: old = __atomic_exchange_n((uint32_t *)p, (uint32_t)r, __ATOMIC_SEQ_CST); break;
		default: old = __atomic_exchange_n((uint64_t *)p, r, __ATOMIC_SEQ_CST); break;
		}
		cpu_mem_done(c, p);
	} else {
		old = op_rm(c, in);
		op_rm_set(c, in, r);
	}
	op_reg_set(c, in, old);
}
/* 90+r: XCHG eAX, r (90 without REX.B is NOP, F3 90 is PAUSE) */
static void xchg_a_r(struct cpu *c, const struct insn *in)
{
	if (in->reg == R_RAX)
		return; /* 90 (any size, also F3 90 PAUSE) is NOP: EAX is not zero-extended */
	uint64_t a = get_reg(c, R_RAX, in->opsize), b = get_reg(c, in->reg, in->opsize);
	set_reg(c, R_RAX, b, in->opsize);
	set_reg(c, in->reg, a, in->opsize);
}

static void nop(struct cpu *c, const struct insn *in)
{
	(void)c;
	(void)in;
}

/* 98: CBW/CWDE/CDQE */
static void cbw(struct cpu *c, const struct insn *in)
{
	unsigned s = in->opsize;
	set_reg(c, R_RAX, (uint64_t)sext(c->regs[R_RAX], s / 2), s);
}
/* 99: CWD/CDQ/CQO */
static void cwd(struct cpu *c, const struct insn *in)
{
	unsigned s = in->opsize;
	uint64_t v = sext(c->regs[R_RAX], s) < 0 ? ~0ull : 0;
	set_reg(c, R_RDX, v, s);
}

/* --- stack ------------------------------------------------------- */

static void push_r(struct cpu *c, const struct insn *in)
{
	cpu_push(c, get_reg(c, in->reg, in->opsize), in->opsize);
}
static void pop_r(struct cpu *c, const struct insn *in)
{
	uint64_t v = cpu_pop(c, in->opsize);
	set_reg(c, in->reg, v, in->opsize);
}
static void push_i(struct cpu *c, const struct insn *in)
{
	cpu_push(c, in->imm, in->opsize);
}
static void push_rm(struct cpu *c, const struct insn *in)
{
	cpu_push(c, op_rm(c, in), in->opsize);
}
/* 8F /0: the address is computed with RSP already incremented. */
static void pop_rm(struct cpu *c, const struct insn *in)
{
	unsigned ss = stack_size(c);
	uint64_t sp = c->regs[R_RSP];
	uint64_t v = ld_sz(c, seg_lin(c, SEG_SS, sp & size_mask(ss)), in->opsize);
	if (in->mem) {
		set_reg(c, R_RSP, sp + in->opsize, ss);
		uint64_t ea = insn_ea(c, in);
		set_reg(c, R_RSP, sp, ss);
		st_sz(c, ea, v, in->opsize);
		set_reg(c, R_RSP, sp + in->opsize, ss);
	} else {
		set_reg(c, R_RSP, sp + in->opsize, ss);
		set_reg(c, in->rm, v, in->opsize);
	}
}
static void enter(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, ss = stack_size(c);
	unsigned level = in->imm2 & 31;
	uint64_t frame_size = in->imm;
	uint64_t bp = c->regs[R_RBP], sp = c->regs[R_RSP];
	uint64_t smask = size_mask(ss);
	sp = (sp - size) & smask;
	st_sz(c, seg_lin(c, SEG_SS, sp), bp, size);
	uint64_t frame = sp;
	if (level) {
		for (unsigned i = 1; i < level; i++) {
			bp = (bp - size) & size_mask(ss);
			uint64_t v = ld_sz(c, seg_lin(c, SEG_SS, bp), size);
			sp = (sp - size) & smask;
			st_sz(c, seg_lin(c, SEG_SS, sp), v, size);
		}
		sp = (sp - size) & smask;
		st_sz(c, seg_lin(c, SEG_SS, sp), frame, size);
	}
	sp = (sp - frame_size) & smask;
	/* touch the lowest byte so a fault is raised before any register
	 * changes (the SDM says ENTER faults if the new stack is invalid) */
	(void)ld8(c, seg_lin(c, SEG_SS, sp));
	set_reg(c, R_RBP, frame, size == 2 ? 2 : (ss == 2 ? 2 : size));
	set_reg(c, R_RSP, sp, ss);
}
static void leave(struct cpu *c, const struct insn *in)
{
	unsigned ss = stack_size(c);
	uint64_t bp = c->regs[R_RBP] & size_mask(ss);
	uint64_t v = ld_sz(c, seg_lin(c, SEG_SS, bp), in->opsize);
	set_reg(c, R_RSP, bp + in->opsize, ss);
	set_reg(c, R_RBP, v, in->opsize);
}

/* --- control transfer -------------------------------------------- */

static void jmp_rel(struct cpu *c, const struct insn *in)
{
	c->rip = in->imm;
}
static void jcc_rel(struct cpu *c, const struct insn *in)
{
	if (cc_eval(c, in->op & 0xf))
		c->rip = in->imm;
}
static void call_rel(struct cpu *c, const struct insn *in)
{
	cpu_push(c, in->next_rip, in->opsize);
	c->rip = in->imm;
}
static inline uint64_t branch_target(struct cpu *c, const struct insn *in, uint64_t t)
{
	if (!(c->tb_flags & TB_F_CODE64))
		t &= size_mask(in->opsize);
	return t;
}
static void call_rm(struct cpu *c, const struct insn *in)
{
	uint64_t t = branch_target(c, in, op_rm(c, in));
	cpu_push(c, in->next_rip, in->opsize);
	c->rip = t;
}
static void jmp_rm(struct cpu *c, const struct insn *in)
{
	c->rip = branch_target(c, in, op_rm(c, in));
}
static void ret(struct cpu *c, const struct insn *in)
{
	uint64_t t = cpu_pop(c, in->opsize);
	c->rip = branch_target(c, in, t);
}
static void ret_imm(struct cpu *c, const struct insn *in)
{
	uint64_t t = cpu_pop(c, in->opsize);
	unsigned ss = stack_size(c);
	set_reg(c, R_RSP, c->regs[R_RSP] + in->imm, ss);
	c->rip = branch_target(c, in, t);
}
/* E3: JCXZ/JECXZ/JRCXZ (address size selects the counter) */
static void jcxz(struct cpu *c, const struct insn *in)
{
	if (!(c->regs[R_RCX] & in->amask))
		c->rip = in->imm;
}
/* E0-E2: LOOPNE, LOOPE, LOOP */
static void loop(struct cpu *c, const struct insn *in)
{
	uint64_t cnt = (c->regs[R_RCX] - 1) & in->amask;
	set_reg(c, R_RCX, cnt, in->addrsize);
	int take = cnt != 0;
	if (in->op == 0xe0)
		take = take && !cc_eval(c, COND_E);
	else if (in->op == 0xe1)
		take = take && cc_eval(c, COND_E);
	if (take)
		c->rip = in->imm;
}

static void setcc(struct cpu *c, const struct insn *in)
{
	op_rm_set_sz(c, in, (uint64_t)cc_eval(c, in->op & 0xf), 1);
}
static void cmovcc(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm(c, in); /* the load happens (and may fault) either way */
	if (cc_eval(c, in->op & 0xf))
		set_reg(c, in->reg, v, in->opsize);
	else if (in->opsize == 4)
		set_reg(c, in->reg, c->regs[in->reg], 4); /* upper half is cleared */
}

/* --- flags ------------------------------------------------------- */

static void clc(struct cpu *c, const struct insn *in) { cc_set_flags(c, cc_compute(c) & ~FL_CF); }
static void stc(struct cpu *c, const struct insn *in) { cc_set_flags(c, cc_compute(c) | FL_CF); }
static void cmc(struct cpu *c, const struct insn *in) { cc_set_flags(c, cc_compute(c) ^ FL_CF); }
static void cld(struct cpu *c, const struct insn *in) { c->eflags &= ~FL_DF; }
static void std_(struct cpu *c, const struct insn *in) { c->eflags |= FL_DF; }
static void lahf(struct cpu *c, const struct insn *in)
{
	set_reg8(c, R8_AH, (uint8_t)(cpu_get_eflags(c) & 0xff));
}
static void sahf(struct cpu *c, const struct insn *in)
{
	uint32_t mask = FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF;
	cc_set_flags(c, (cc_compute(c) & ~mask) | (get_reg8(c, R8_AH) & mask));
}
static void pushf(struct cpu *c, const struct insn *in)
{
	/* VM and RF are never pushed */
	cpu_push(c, cpu_get_eflags(c) & ~(FL_VM | FL_RF), in->opsize);
}
static void popf(struct cpu *c, const struct insn *in)
{
	uint64_t v = cpu_pop(c, in->opsize);
	uint32_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
	if (c->cpl == 0)
		mask |= FL_IOPL | FL_IF;
	else if (c->cpl <= ((c->eflags >> 12) & 3))
		mask |= FL_IF;
	if (in->opsize == 2)
		mask &= 0xffff;
	cpu_set_eflags(c, (uint32_t)v, mask);
}

/* --- system-call gates (user mode exits to its loop) ---------------- */

static void op_syscall(struct cpu *c, const struct insn *in)
{
	if (!(c->efer & 1))
		cpu_raise(c, EXC_UD, 0);
	c->rip = in->next_rip;
	c->exit_reason = EXIT_SYSCALL;
}
static void op_int(struct cpu *c, const struct insn *in)
{
	c->rip = in->next_rip;
	c->exc_vector = (int)(in->imm & 0xff);
	c->exit_reason = EXIT_INT;
}
static void op_int3(struct cpu *c, const struct insn *in)
{
	c->rip = in->next_rip;
	c->exc_vector = EXC_BP;
	c->exit_reason = EXIT_INT;
}
static void op_into(struct cpu *c, const struct insn *in)
{
	if (cc_eval(c, COND_O)) {
		c->rip = in->next_rip;
		c->exc_vector = EXC_OF;
		c->exit_reason = EXIT_INT;
	}
}
static void op_cpuid(struct cpu *c, const struct insn *in)
{
	uint32_t r[4];
	cpu_cpuid(c, (uint32_t)c->regs[R_RAX], (uint32_t)c->regs[R_RCX], r);
	c->regs[R_RAX] = r[0];
	c->regs[R_RBX] = r[1];
	c->regs[R_RCX] = r[2];
	c->regs[R_RDX] = r[3];
}

#define M1 MAP_1B
#define M0F MAP_0F
#define RM F_MODRM
#define B F_BYTE

/* ADC and SBB read CF; the other six write all of OSZAPC. */
#define ALU_WF(n) ((n) == 2 || (n) == 3 ? 0 : F_WFLAGS)
#define ALU_ROW(base, sfx, n)                                                        \
	OP(M1, base + 0, RM | B | F_LOCK | ALU_WF(n), alu_rm_r_##sfx, n),            \
	OP(M1, base + 1, RM | F_LOCK | ALU_WF(n), alu_rm_r_##sfx, n),                \
	OP(M1, base + 2, RM | B | ALU_WF(n), alu_r_rm_##sfx, n),                     \
	OP(M1, base + 3, RM | ALU_WF(n), alu_r_rm_##sfx, n),                         \
	OP(M1, base + 4, B | F_IMM8 | ALU_WF(n), alu_a_i_##sfx, n),                  \
	OP(M1, base + 5, F_IMMZ | ALU_WF(n), alu_a_i_##sfx, n),                      \
	OPX(M1, 0x80, n, RM | B | F_IMM8 | F_LOCK | ALU_WF(n), alu_rm_i_##sfx, n),   \
	OPX(M1, 0x81, n, RM | F_IMMZ | F_LOCK | ALU_WF(n), alu_rm_i_##sfx, n),       \
	OPX(M1, 0x82, n, RM | B | F_IMM8 | F_LOCK | F_NO64 | ALU_WF(n), alu_rm_i_##sfx, n), \
	OPX(M1, 0x83, n, RM | F_IMM8 | F_LOCK | ALU_WF(n), alu_rm_i_##sfx, n)

#define R8(op, fl, fn) \
	OP(M1, op + 0, fl, fn, 0), OP(M1, op + 1, fl, fn, 0), OP(M1, op + 2, fl, fn, 0), \
	OP(M1, op + 3, fl, fn, 0), OP(M1, op + 4, fl, fn, 0), OP(M1, op + 5, fl, fn, 0), \
	OP(M1, op + 6, fl, fn, 0), OP(M1, op + 7, fl, fn, 0)
#define C16(map, op, fl, fn) \
	R8_MAP(map, op, fl, fn), R8_MAP(map, op + 8, fl, fn)
#define R8_MAP(map, op, fl, fn) \
	OP(map, op + 0, fl, fn, 0), OP(map, op + 1, fl, fn, 0), OP(map, op + 2, fl, fn, 0), \
	OP(map, op + 3, fl, fn, 0), OP(map, op + 4, fl, fn, 0), OP(map, op + 5, fl, fn, 0), \
	OP(map, op + 6, fl, fn, 0), OP(map, op + 7, fl, fn, 0)

const struct opdesc ops_int[] = {
	ALU_ROW(0x00, add, 0), ALU_ROW(0x08, or, 1), ALU_ROW(0x10, adc, 2), ALU_ROW(0x18, sbb, 3),
	ALU_ROW(0x20, and, 4), ALU_ROW(0x28, sub, 5), ALU_ROW(0x30, xor, 6), ALU_ROW(0x38, cmp, 7),
	R8(0x40, F_NO64 | F_INCDEC, inc_r),
	R8(0x48, F_NO64 | F_INCDEC, dec_r),
	R8(0x50, F_DEF64, push_r),
	R8(0x58, F_DEF64, pop_r),
	OP(M1, 0x63, RM | F_ONLY64 | F_NOFLAGS, movsxd, 0),
	OP(M1, 0x68, F_DEF64 | F_IMMZ, push_i, 0),
	OP(M1, 0x6a, F_DEF64 | F_IMM8, push_i, 0),
	C16(M1, 0x70, F_IMM8 | F_REL | F_TERM | F_FORCE64, jcc_rel),
	OP(M1, 0x84, RM | B | F_WFLAGS, test_rm_r, 0),
	OP(M1, 0x85, RM | F_WFLAGS, test_rm_r, 0),
	OP(M1, 0x86, RM | B | F_LOCK, xchg_r_rm, 0),
	OP(M1, 0x87, RM | F_LOCK, xchg_r_rm, 0),
	OP(M1, 0x88, RM | B | F_NOFLAGS, mov_rm_r, 0),
	OP(M1, 0x89, RM | F_NOFLAGS, mov_rm_r, 0),
	OP(M1, 0x8a, RM | B | F_NOFLAGS, mov_r_rm, 0),
	OP(M1, 0x8b, RM | F_NOFLAGS, mov_r_rm, 0),
	OP(M1, 0x8d, RM | F_NOFLAGS, lea, 0),
	OPX(M1, 0x8f, 0, RM | F_DEF64, pop_rm, 0),
	R8(0x90, 0, xchg_a_r),
	OP(M1, 0x98, F_NOFLAGS, cbw, 0),
	OP(M1, 0x99, F_NOFLAGS, cwd, 0),
	OP(M1, 0x9c, F_DEF64, pushf, 0),
	OP(M1, 0x9d, F_DEF64 | F_TERM, popf, 0),
	OP(M1, 0x9e, 0, sahf, 0),
	OP(M1, 0x9f, 0, lahf, 0),
	OP(M1, 0xa0, B | F_MOFFS, mov_a_moffs, 0),
	OP(M1, 0xa1, F_MOFFS, mov_a_moffs, 0),
	OP(M1, 0xa2, B | F_MOFFS, mov_moffs_a, 0),
	OP(M1, 0xa3, F_MOFFS, mov_moffs_a, 0),
	OP(M1, 0xa8, B | F_IMM8 | F_WFLAGS, test_a_i, 0),
	OP(M1, 0xa9, F_IMMZ | F_WFLAGS, test_a_i, 0),
	R8(0xb0, B | F_IMM8U | F_NOFLAGS, mov_r_i),
	R8(0xb8, F_IMMV | F_NOFLAGS, mov_r_i),
	OP(M1, 0xc2, F_FORCE64 | F_IMM16 | F_TERM, ret_imm, 0),
	OP(M1, 0xc3, F_FORCE64 | F_TERM, ret, 0),
	OPX(M1, 0xc6, 0, RM | B | F_IMM8U | F_NOFLAGS, mov_rm_i, 0),
	OPX(M1, 0xc7, 0, RM | F_IMMZ | F_NOFLAGS, mov_rm_i, 0),
	OP(M1, 0xc8, F_DEF64 | F_ENTER, enter, 0),
	OP(M1, 0xc9, F_DEF64, leave, 0),
	OP(M1, 0xcc, F_TERM, op_int3, 0),
	OP(M1, 0xcd, F_IMM8U | F_TERM, op_int, 0),
	OP(M1, 0xce, F_TERM | F_NO64, op_into, 0),
	OP(M1, 0xe0, F_IMM8 | F_REL | F_TERM | F_FORCE64, loop, 0),
	OP(M1, 0xe1, F_IMM8 | F_REL | F_TERM | F_FORCE64, loop, 0),
	OP(M1, 0xe2, F_IMM8 | F_REL | F_TERM | F_FORCE64, loop, 0),
	OP(M1, 0xe3, F_IMM8 | F_REL | F_TERM | F_FORCE64, jcxz, 0),
	OP(M1, 0xe8, F_REL | F_TERM | F_FORCE64, call_rel, 0),
	OP(M1, 0xe9, F_REL | F_TERM | F_FORCE64, jmp_rel, 0),
	OP(M1, 0xeb, F_IMM8 | F_REL | F_TERM | F_FORCE64, jmp_rel, 0),
	OP(M1, 0xf5, 0, cmc, 0),
	OP(M1, 0xf8, 0, clc, 0),
	OP(M1, 0xf9, 0, stc, 0),
	OP(M1, 0xfc, 0, cld, 0),
	OP(M1, 0xfd, 0, std_, 0),
	OPX(M1, 0xfe, 0, RM | B | F_LOCK | F_INCDEC, inc_rm, 0),
	OPX(M1, 0xfe, 1, RM | B | F_LOCK | F_INCDEC, dec_rm, 0),
	OPX(M1, 0xff, 0, RM | F_LOCK | F_INCDEC, inc_rm, 0),
	OPX(M1, 0xff, 1, RM | F_LOCK | F_INCDEC, dec_rm, 0),
	OPX(M1, 0xff, 2, RM | F_FORCE64 | F_TERM, call_rm, 0),
	OPX(M1, 0xff, 4, RM | F_FORCE64 | F_TERM, jmp_rm, 0),
	OPX(M1, 0xff, 6, RM | F_DEF64, push_rm, 0),
	/* 0F map */
	OP(M0F, 0x05, F_TERM, op_syscall, 0),
	OP(M0F, 0x0d, RM, nop, 0),           /* prefetchw */
	OPX(M0F, 0x18, 0, RM, nop, 0), OPX(M0F, 0x18, 1, RM, nop, 0), /* prefetch hints */
	OPX(M0F, 0x18, 2, RM, nop, 0), OPX(M0F, 0x18, 3, RM, nop, 0),
	OPX(M0F, 0x18, 4, RM, nop, 0), OPX(M0F, 0x18, 5, RM, nop, 0),
	OPX(M0F, 0x18, 6, RM, nop, 0), OPX(M0F, 0x18, 7, RM, nop, 0),
	OP(M0F, 0x19, RM, nop, 0), OP(M0F, 0x1a, RM, nop, 0), OP(M0F, 0x1b, RM, nop, 0),
	OP(M0F, 0x1c, RM, nop, 0), OP(M0F, 0x1d, RM, nop, 0), OP(M0F, 0x1e, RM, nop, 0),
	OP(M0F, 0x1f, RM | F_NOFLAGS, nop, 0),
	C16(M0F, 0x40, RM, cmovcc),
	C16(M0F, 0x80, F_REL | F_TERM | F_FORCE64, jcc_rel),
	C16(M0F, 0x90, RM | B, setcc),
	OP(M0F, 0xa2, 0, op_cpuid, 0),
	OP(M0F, 0xb6, RM | F_NOFLAGS, movx, 1),
	OP(M0F, 0xb7, RM | F_NOFLAGS, movx, 2),
	OP(M0F, 0xbe, RM | F_NOFLAGS, movx, 0x81),
	OP(M0F, 0xbf, RM | F_NOFLAGS, movx, 0x82),
	{ 0 },
};
