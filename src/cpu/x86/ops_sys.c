/*
 * System-level and privileged instructions as far as user-mode code can
 * reach them: segment-register moves, fences and cache hints, and the
 * privileged instructions that fault at CPL 3.  Full protected-mode
 * semantics (descriptor tables, gates, IRET, I/O permission) come with
 * system emulation.
 */
#include "decode.h"
#include "ops.h"

/* Load selector sel into segment register seg through the environment. */
static void seg_load(struct cpu *c, int seg, uint16_t sel)
{
	int r;
	if (c->env->load_seg) {
		r = c->env->load_seg(c, seg, sel);
	} else {
		r = (sel & ~3) ? -1 : 0;
		if (!r) {
			c->seg[seg].sel = sel;
			c->seg[seg].base = 0;
		}
	}
	if (r)
		cpu_raise(c, EXC_GP, sel & ~3u);
	cpu_update_mode(c);
}

/* 8C: MOV r/m16, Sreg (register destination gets the zero-extended
 * selector at operand size). */
static void mov_rm_sreg(struct cpu *c, const struct insn *in)
{
	unsigned s = in->reg & 7;
	if (s > SEG_GS)
		cpu_raise(c, EXC_UD, 0);
	if (in->mem)
		st16(c, insn_ea(c, in), c->seg[s].sel);
	else
		set_reg(c, in->rm, c->seg[s].sel, in->opsize == 1 ? 2 : in->opsize);
}
/* 8E: MOV Sreg, r/m16 (CS is #UD) */
static void mov_sreg_rm(struct cpu *c, const struct insn *in)
{
	unsigned s = in->reg & 7;
	if (s > SEG_GS || s == SEG_CS)
		cpu_raise(c, EXC_UD, 0);
	seg_load(c, (int)s, (uint16_t)op_rm_sz(c, in, 2));
}
/* PUSH Sreg (06 0E 16 1E, 0F A0, 0F A8): aux = segment */
static void push_sreg(struct cpu *c, const struct insn *in)
{
	cpu_push(c, c->seg[in->aux].sel, in->opsize);
}
/* POP Sreg (07 17 1F, 0F A1, 0F A9) */
static void pop_sreg(struct cpu *c, const struct insn *in)
{
	unsigned ss = stack_size(c);
	uint64_t sp = c->regs[R_RSP];
	uint16_t sel = (uint16_t)ld_sz(c, seg_lin(c, SEG_SS, sp & size_mask(ss)), in->opsize);
	seg_load(c, in->aux, sel);
	set_reg(c, R_RSP, sp + in->opsize, ss);
}
/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: aux = segment */
static void lxs(struct cpu *c, const struct insn *in)
{
	if (!in->mem)
		cpu_raise(c, EXC_UD, 0);
	uint64_t ea = insn_ea(c, in);
	uint64_t off = ld_sz(c, ea, in->opsize);
	uint16_t sel = ld16(c, seg_lin(c, in->seg, ((ea - c->seg_base[in->seg]) + in->opsize) & in->amask));
	seg_load(c, in->aux, sel);
	set_reg(c, in->reg, off, in->opsize);
}

static void fence(struct cpu *c, const struct insn *in)
{
	(void)c;
	(void)in;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
/* CLFLUSH/CLFLUSHOPT m8: the line must be accessible (faults as a load). */
static void clflush(struct cpu *c, const struct insn *in)
{
	(void)ld8(c, insn_ea(c, in));
}
/* Privileged (CPL 0 only) instructions: #GP(0) elsewhere.  System
 * emulation replaces these entries' behaviour at CPL 0. */
static void priv(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_GP, 0);
}
/* CLI/STI/IN/OUT/INS/OUTS depend on IOPL; user mode runs with IOPL 0. */
static void iopl_check(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_GP, 0);
}
static void ud(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_UD, 0);
}
/* SMSW r/m16 (0F 01 /4) is allowed at CPL 3 without UMIP. */
static void smsw(struct cpu *c, const struct insn *in)
{
	op_rm_set_sz(c, in, c->cr0 & (in->mem ? 0xffff : size_mask(in->opsize)), in->mem ? 2 : in->opsize);
}

#define M1 MAP_1B
#define M0F MAP_0F
#define RM F_MODRM

const struct opdesc ops_sys[] = {
	OP(M1, 0x06, F_NO64, push_sreg, SEG_ES),
	OP(M1, 0x07, F_NO64, pop_sreg, SEG_ES),
	OP(M1, 0x0e, F_NO64, push_sreg, SEG_CS),
	OP(M1, 0x16, F_NO64, push_sreg, SEG_SS),
	OP(M1, 0x17, F_NO64, pop_sreg, SEG_SS),
	OP(M1, 0x1e, F_NO64, push_sreg, SEG_DS),
	OP(M1, 0x1f, F_NO64, pop_sreg, SEG_DS),
	OP(M1, 0x8c, RM, mov_rm_sreg, 0),
	OP(M1, 0x8e, RM | F_SIZE16, mov_sreg_rm, 0),
	OP(M1, 0xc4, RM | F_NO64, lxs, SEG_ES),
	OP(M1, 0xc5, RM | F_NO64, lxs, SEG_DS),
	OP(M1, 0xe4, F_IMM8U, iopl_check, 0), OP(M1, 0xe5, F_IMM8U, iopl_check, 0),
	OP(M1, 0xe6, F_IMM8U, iopl_check, 0), OP(M1, 0xe7, F_IMM8U, iopl_check, 0),
	OP(M1, 0xec, 0, iopl_check, 0), OP(M1, 0xed, 0, iopl_check, 0),
	OP(M1, 0xee, 0, iopl_check, 0), OP(M1, 0xef, 0, iopl_check, 0),
	OP(M1, 0x6c, 0, iopl_check, 0), OP(M1, 0x6d, 0, iopl_check, 0),
	OP(M1, 0x6e, 0, iopl_check, 0), OP(M1, 0x6f, 0, iopl_check, 0),
	OP(M1, 0xf4, 0, priv, 0),      /* HLT */
	OP(M1, 0xfa, 0, iopl_check, 0), /* CLI */
	OP(M1, 0xfb, 0, iopl_check, 0), /* STI */
	OP(M1, 0xcf, F_TERM, priv, 0), /* IRET: not from user mode yet */
	OP(M0F, 0x0b, 0, ud, 0),       /* UD2 */
	OP(M0F, 0xb9, RM, ud, 0),      /* UD1 */
	OP(M0F, 0xff, RM, ud, 0),      /* UD0 */
	OP(M0F, 0x06, 0, priv, 0),     /* CLTS */
	OP(M0F, 0x08, 0, priv, 0),     /* INVD */
	OP(M0F, 0x09, 0, priv, 0),     /* WBINVD */
	OP(M0F, 0x30, 0, priv, 0),     /* WRMSR */
	OP(M0F, 0x32, 0, priv, 0),     /* RDMSR */
	OP(M0F, 0x33, 0, priv, 0),     /* RDPMC (CR4.PCE clear) */
	OP(M0F, 0x20, RM, priv, 0), OP(M0F, 0x21, RM, priv, 0), /* MOV from CRn/DRn */
	OP(M0F, 0x22, RM, priv, 0), OP(M0F, 0x23, RM, priv, 0), /* MOV to CRn/DRn */
	OP(M0F, 0x34, 0, priv, 0),     /* SYSENTER: no MSRs set up in user mode */
	OP(M0F, 0x35, 0, priv, 0),     /* SYSEXIT */
	OP(M0F, 0x07, 0, priv, 0),     /* SYSRET */
	OPX(M0F, 0x00, 2, RM, priv, 0), OPX(M0F, 0x00, 3, RM, priv, 0), /* LLDT LTR */
	OPF(M0F, 0x01, P_ANY, 4, M_ANY, 0, 0, 0, RM, smsw),
	OPF(M0F, 0x01, P_ANY, 2, M_MEM, 0, 0, 0, RM, priv),  /* LGDT */
	OPF(M0F, 0x01, P_ANY, 3, M_MEM, 0, 0, 0, RM, priv),  /* LIDT */
	OPF(M0F, 0x01, P_ANY, 6, M_ANY, 0, 0, 0, RM, priv),  /* LMSW */
	OPF(M0F, 0x01, P_ANY, 7, M_MEM, 0, 0, 0, RM, priv),  /* INVLPG */
	OPF(M0F, 0x01, P_ANY, 7, M_RM0, 0, 0, 0, RM | F_ONLY64, priv), /* SWAPGS */
	OPF(M0F, 0xa0, P_ANY, -1, M_ANY, 0, SEG_FS, 0, F_DEF64, push_sreg),
	OPF(M0F, 0xa1, P_ANY, -1, M_ANY, 0, SEG_FS, 0, F_DEF64, pop_sreg),
	OPF(M0F, 0xa8, P_ANY, -1, M_ANY, 0, SEG_GS, 0, F_DEF64, push_sreg),
	OPF(M0F, 0xa9, P_ANY, -1, M_ANY, 0, SEG_GS, 0, F_DEF64, pop_sreg),
	OPF(M0F, 0xb2, P_ANY, -1, M_ANY, 0, SEG_SS, 0, RM, lxs),
	OPF(M0F, 0xb4, P_ANY, -1, M_ANY, 0, SEG_FS, 0, RM, lxs),
	OPF(M0F, 0xb5, P_ANY, -1, M_ANY, 0, SEG_GS, 0, RM, lxs),
	/* 0F AE register forms: LFENCE /5, MFENCE /6, SFENCE /7 */
	OPF(M0F, 0xae, P_NONE, 5, M_REG, 0, 0, FEAT(FW_1_EDX, 26), RM, fence),
	OPF(M0F, 0xae, P_NONE, 6, M_REG, 0, 0, FEAT(FW_1_EDX, 26), RM, fence),
	OPF(M0F, 0xae, P_NONE, 7, M_REG, 0, 0, FEAT(FW_1_EDX, 25), RM, fence),
	/* CLFLUSH m8 (0F AE /7), CLFLUSHOPT (66 0F AE /7) */
	OPF(M0F, 0xae, P_NONE, 7, M_MEM, 0, 0, FEAT(FW_1_EDX, 19), RM, clflush),
	OPF(M0F, 0xae, P_66, 7, M_MEM, 0, 0, FEAT(FW_7_0_EBX, 23), RM, clflush),
	{ 0 },
};
