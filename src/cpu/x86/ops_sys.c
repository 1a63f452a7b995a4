/*
 * System-level instructions, part 1: segment registers, far control
 * transfers, IRET, software interrupts, HLT, CLI/STI, port I/O and the
 * descriptor-table instructions (Intel SDM vol. 2; vol. 3 ch. 3, 5, 6).
 *
 * In user mode (!c->sysmode) the privileged ones raise #GP(0) at CPL 3 as
 * on hardware, and INT n / INT3 / INTO / SYSCALL leave the TB loop for the
 * user-mode runtime (EXIT_INT, EXIT_SYSCALL).  In system mode they are
 * executed (seg.c, intr.c).
 *
 * This table is searched before the others (decode.c), so entries here
 * take over opcodes that ops_int.c / ops_misc.c also describe.
 */
#include "decode.h"
#include "ops.h"
#include "sys.h"

/* --- segment registers ---------------------------------------------- */

/* Load selector sel into segment register seg. */
static void seg_load(struct cpu *c, int seg, uint16_t sel)
{
	if (c->sysmode) {
		seg_load_data(c, seg, sel);
		return;
	}
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
/* MOV SS and POP SS hold back interrupts and debug traps (single step,
 * data breakpoints) until after the next instruction (SDM vol. 3 §6.8.3). */
static void ss_shadow(struct cpu *c, const struct insn *in)
{
	c->intr_shadow = in->next_rip;
	if (c->tb_flags & TB_F_DEBUG)
		c->db_ss_shadow = true;
}
/* 8E: MOV Sreg, r/m16 (CS is #UD).  MOV SS inhibits interrupts until
 * after the next instruction (SDM vol. 3 §6.8.3). */
static void mov_sreg_rm(struct cpu *c, const struct insn *in)
{
	unsigned s = in->reg & 7;
	if (s > SEG_GS || s == SEG_CS)
		cpu_raise(c, EXC_UD, 0);
	seg_load(c, (int)s, (uint16_t)op_rm_sz(c, in, 2));
	if (s == SEG_SS)
		ss_shadow(c, in);
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
	if (in->aux == SEG_SS)
		ss_shadow(c, in);
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

/* --- far control transfers ------------------------------------------ */

/* User mode has no descriptor tables: far transfers are #GP as a kernel
 * without a matching LDT entry would make them. */
static void need_sys(struct cpu *c)
{
	if (!c->sysmode)
		cpu_raise(c, EXC_GP, 0);
}

/* EA: JMP ptr16:16/32; 9A: CALL ptr16:16/32 (not in 64-bit mode).  They
 * end the TB; the next lookup sees the new mode and CPL in tb_flags. */
static void jmp_far(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	seg_far_jmp(c, (uint16_t)in->imm2, in->imm, in->opsize, in->next_rip);
}
static void call_far(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	seg_far_call(c, (uint16_t)in->imm2, in->imm, in->opsize, in->next_rip);
}
/* FF /3, FF /5: m16:16, m16:32, m16:64 */
static void far_ind(struct cpu *c, const struct insn *in, bool call)
{
	if (!in->mem)
		cpu_raise(c, EXC_UD, 0);
	need_sys(c);
	uint64_t ea = insn_ea(c, in);
	uint64_t off = ld_sz(c, ea, in->opsize);
	uint16_t sel = ld16(c, seg_lin(c, in->seg, ((ea - c->seg_base[in->seg]) + in->opsize) & in->amask));
	if (call)
		seg_far_call(c, sel, off, in->opsize, in->next_rip);
	else
		seg_far_jmp(c, sel, off, in->opsize, in->next_rip);
}
static void call_far_ind(struct cpu *c, const struct insn *in) { far_ind(c, in, true); }
static void jmp_far_ind(struct cpu *c, const struct insn *in) { far_ind(c, in, false); }
/* CB / CA imm16: RETF */
static void retf(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	seg_far_ret(c, in->opsize, in->op == 0xca ? (unsigned)in->imm : 0);
}
/* CF: IRET / IRETD / IRETQ */
static void iret(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	bool nmi = c->nmi_blocked;
	sys_iret(c, in->opsize, in->next_rip);
	/* IF rising already asks for an exit (cpu_set_eflags); an NMI that
	 * waited for this IRET needs one too. */
	if (nmi)
		c->exit_request = 1;
}

/* --- software interrupts -------------------------------------------- */

/* User mode hands INT n/INT3/INTO to its runtime (EXIT_INT). */
static void int_user(struct cpu *c, const struct insn *in, int vec)
{
	c->rip = in->next_rip;
	c->exc_vector = vec;
	c->exit_reason = EXIT_INT;
}
/* CD ib: INT n.  In VM86 with IOPL < 3 it is #GP(0) (no VME). */
static void op_int(struct cpu *c, const struct insn *in)
{
	int vec = (int)(in->imm & 0xff);
	if (!c->sysmode)
		return int_user(c, in, vec);
	if (sys_vm86(c) && sys_iopl(c) < 3)
		cpu_raise(c, EXC_GP, 0);
	cpu_raise_event(c, vec, EV_SOFT, 0, in->next_rip);
}
static void op_int3(struct cpu *c, const struct insn *in)
{
	if (!c->sysmode)
		return int_user(c, in, EXC_BP);
	cpu_raise_event(c, EXC_BP, EV_SOFTEXC, 0, in->next_rip);
}
static void op_into(struct cpu *c, const struct insn *in)
{
	if (!cc_eval(c, COND_O))
		return;
	if (!c->sysmode)
		return int_user(c, in, EXC_OF);
	cpu_raise_event(c, EXC_OF, EV_SOFTEXC, 0, in->next_rip);
}
/* F1: INT1 / ICEBP (#DB without the gate DPL check) */
static void op_int1(struct cpu *c, const struct insn *in)
{
	if (!c->sysmode)
		cpu_raise(c, EXC_UD, 0); /* as before system emulation existed */
	cpu_raise_event(c, EXC_DB, EV_ICEBP, 0, in->next_rip);
}

/* --- HLT, CLI, STI ------------------------------------------------- */

static void need_cpl0(struct cpu *c)
{
	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
}

/* F4: leave the TB loop; the vCPU sleeps until an interrupt arrives and
 * resumes after the HLT. */
static void hlt(struct cpu *c, const struct insn *in)
{
	need_cpl0(c);
	if (!c->sysmode)
		cpu_raise(c, EXC_GP, 0);
	c->rip = in->next_rip;
	c->exit_reason = EXIT_HLT;
}
/* IF may change when IOPL >= CPL (always in real mode); VME/PVI are not
 * advertised, so there is no VIF path (SDM vol. 2, CLI/STI). */
static void if_check(struct cpu *c)
{
	if (sys_prot(c) && c->cpl > sys_iopl(c))
		cpu_raise(c, EXC_GP, 0);
}
static void cli(struct cpu *c, const struct insn *in)
{
	(void)in;
	if_check(c);
	c->eflags &= ~FL_IF;
}
/* STI: interrupts stay inhibited until after the next instruction
 * (SDM vol. 3 §6.8.3).  A pending interrupt must then be taken: ask for an
 * exit, which cpu_exec honours at the end of this TB -- after the next
 * instruction, since STI does not end the TB (unless the TB ends there
 * anyway; then the next kick or exit delivers it). */
static void sti(struct cpu *c, const struct insn *in)
{
	if_check(c);
	if (!(c->eflags & FL_IF)) {
		c->intr_shadow = in->next_rip;
		if (c->sysmode)
			c->exit_request = 1;
	}
	c->eflags |= FL_IF;
}

/* --- port I/O ------------------------------------------------------ */

static uint32_t io_in(struct cpu *c, uint16_t port, unsigned size)
{
	if (unlikely(c->db_io))
		cpu_dbg_io(c, port, size);
	if (!c->env->io_in)
		return (uint32_t)size_mask(size);
	return c->env->io_in(c, port, size) & (uint32_t)size_mask(size);
}
static void io_out(struct cpu *c, uint16_t port, uint32_t v, unsigned size)
{
	if (unlikely(c->db_io))
		cpu_dbg_io(c, port, size);
	if (c->env->io_out)
		c->env->io_out(c, port, v & (uint32_t)size_mask(size), size);
}
static unsigned io_size(const struct insn *in)
{
	return in->opsize > 4 ? 4 : in->opsize;
}
/* E4/E5 ib, EC/ED: IN; E6/E7 ib, EE/EF: OUT (aux 1: port in DX) */
static void in_op(struct cpu *c, const struct insn *in)
{
	unsigned size = io_size(in);
	uint16_t port = in->aux ? (uint16_t)c->regs[R_RDX] : (uint16_t)in->imm;
	seg_io_check(c, port, size);
	set_reg(c, R_RAX, io_in(c, port, size), size);
}
static void out_op(struct cpu *c, const struct insn *in)
{
	unsigned size = io_size(in);
	uint16_t port = in->aux ? (uint16_t)c->regs[R_RDX] : (uint16_t)in->imm;
	seg_io_check(c, port, size);
	io_out(c, port, (uint32_t)c->regs[R_RAX], size);
}
/* 6C/6D INS, 6E/6F OUTS, with REP.  Each iteration commits its register
 * updates, so a fault restarts the instruction where it stopped. */
static void ins_op(struct cpu *c, const struct insn *in)
{
	unsigned size = io_size(in);
	uint16_t port = (uint16_t)c->regs[R_RDX];
	bool rep = (in->prefix & (PFX_F2 | PFX_F3)) != 0;
	seg_io_check(c, port, size);
	int64_t step = (c->eflags & FL_DF) ? -(int64_t)size : (int64_t)size;
	for (unsigned n = 0;; n++) {
		if (rep && (c->regs[R_RCX] & in->amask) == 0)
			break;
		uint64_t di = c->regs[R_RDI] & in->amask;
		uint64_t lin = seg_lin(c, SEG_ES, di);
		void *p = cpu_mem(c, lin, size, 1); /* fault before the port read */
		uint32_t v = io_in(c, port, size);
		memcpy(p, &v, size);
		cpu_mem_done(c, p);
		set_reg(c, R_RDI, di + (uint64_t)step, in->addrsize);
		if (!rep)
			break;
		set_reg(c, R_RCX, (c->regs[R_RCX] - 1) & in->amask, in->addrsize);
		/* debug mode: one element per execution (see ops_string.c) */
		if (unlikely(c->tb_flags & TB_F_DEBUG) && (c->regs[R_RCX] & in->amask)) {
			c->rip = in->rip;
			break;
		}
		if ((n & 1023) == 1023 && c->exit_request) {
			/* let the machine run; resume at this instruction */
			if ((c->regs[R_RCX] & in->amask) != 0)
				cpu_restart_insn(c);
			break;
		}
	}
}
static void outs_op(struct cpu *c, const struct insn *in)
{
	unsigned size = io_size(in);
	uint16_t port = (uint16_t)c->regs[R_RDX];
	bool rep = (in->prefix & (PFX_F2 | PFX_F3)) != 0;
	seg_io_check(c, port, size);
	int64_t step = (c->eflags & FL_DF) ? -(int64_t)size : (int64_t)size;
	for (unsigned n = 0;; n++) {
		if (rep && (c->regs[R_RCX] & in->amask) == 0)
			break;
		uint64_t si = c->regs[R_RSI] & in->amask;
		uint32_t v = (uint32_t)ld_sz(c, seg_lin(c, in->seg, si), size);
		io_out(c, port, v, size);
		set_reg(c, R_RSI, si + (uint64_t)step, in->addrsize);
		if (!rep)
			break;
		set_reg(c, R_RCX, (c->regs[R_RCX] - 1) & in->amask, in->addrsize);
		/* debug mode: one element per execution (see ops_string.c) */
		if (unlikely(c->tb_flags & TB_F_DEBUG) && (c->regs[R_RCX] & in->amask)) {
			c->rip = in->rip;
			break;
		}
		if ((n & 1023) == 1023 && c->exit_request) {
			if ((c->regs[R_RCX] & in->amask) != 0)
				cpu_restart_insn(c);
			break;
		}
	}
}

/* --- descriptor tables --------------------------------------------- */

static void need_prot_insn(struct cpu *c)
{
	if (!sys_prot(c) || sys_vm86(c))
		cpu_raise(c, EXC_UD, 0);
}

/* 0F 01 /0 SGDT, /1 SIDT: limit then base (8 bytes in 64-bit mode). */
static void sxdt(struct cpu *c, const struct insn *in)
{
	const struct dtable *t = in->aux ? &c->idt : &c->gdt;
	uint64_t ea = insn_ea(c, in);
	uint64_t base = sys_code64(c) ? t->base : (uint32_t)t->base;
	if (!sys_code64(c) && in->opsize == 2)
		base &= 0xffffff; /* 24-bit base, as QEMU and the 80286 store it */
	unsigned bsz = sys_code64(c) ? 8 : 4;
	uint8_t buf[10];
	uint16_t lim = (uint16_t)t->limit;
	memcpy(buf, &lim, 2);
	memcpy(buf + 2, &base, bsz);
	st_bytes(c, ea, buf, 2 + bsz);
}
/* 0F 01 /2 LGDT, /3 LIDT: CPL 0; a 16-bit operand size loads 24 bits of
 * base. */
static void lxdt(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	need_cpl0(c);
	struct dtable *t = in->aux ? &c->idt : &c->gdt;
	uint64_t ea = insn_ea(c, in);
	uint16_t lim = ld16(c, ea);
	uint64_t base;
	if (sys_code64(c)) {
		base = ld64(c, seg_lin(c, SEG_ZERO, (ea + 2) & c->lin_mask));
	} else {
		base = ld32(c, (ea + 2) & c->lin_mask);
		if (in->opsize == 2)
			base &= 0xffffff;
	}
	t->base = base;
	t->limit = lim;
}
/* 0F 00 /0 SLDT, /1 STR: register destinations get the zero-extended
 * selector at operand size, memory 16 bits. */
static void sldt_str(struct cpu *c, const struct insn *in)
{
	need_prot_insn(c);
	uint16_t sel = in->aux ? c->tr.sel : c->ldt.sel;
	if (in->mem)
		st16(c, insn_ea(c, in), sel);
	else
		set_reg(c, in->rm, sel, in->opsize);
}
/* SMSW r/m16 (0F 01 /4) is allowed at any CPL (no UMIP). */
static void smsw(struct cpu *c, const struct insn *in)
{
	op_rm_set_sz(c, in, c->cr0 & (in->mem ? 0xffff : size_mask(in->opsize)), in->mem ? 2 : in->opsize);
}
/* 0F 01 /6 LMSW: bits 0..3 of CR0; PE can be set, not cleared. */
static void lmsw(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	need_cpl0(c);
	uint64_t v = op_rm_sz(c, in, 2);
	uint64_t n = (c->cr0 & ~0xeull) | (v & 0xe) | ((c->cr0 | v) & 1);
	sys_write_cr0(c, n);
}
/* 0F 01 /7 (memory): INVLPG */
static void invlpg(struct cpu *c, const struct insn *in)
{
	need_sys(c);
	need_cpl0(c);
	cpu_tlb_flush_page(c, insn_ea(c, in));
	c->exit_request = 1;
}
/* 0F 01 F8: SWAPGS (64-bit mode, CPL 0) */
static void swapgs(struct cpu *c, const struct insn *in)
{
	(void)in;
	need_sys(c);
	need_cpl0(c);
	uint64_t t = c->seg[SEG_GS].base;
	c->seg[SEG_GS].base = c->kernel_gs_base;
	c->kernel_gs_base = t;
	cpu_update_mode(c);
}
/* 0F 06: CLTS */
static void clts(struct cpu *c, const struct insn *in)
{
	(void)in;
	need_sys(c);
	need_cpl0(c);
	c->cr0 &= ~CR0_TSB;
}
/* 0F 08 INVD, 0F 09 WBINVD: caches are not modelled. */
static void wbinvd(struct cpu *c, const struct insn *in)
{
	(void)in;
	need_sys(c);
	need_cpl0(c);
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
static void ud(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_UD, 0);
}

#define M1 MAP_1B
#define M0F MAP_0F
#define RM F_MODRM

const struct opdesc ops_sys[] = {
	OP(M1, 0x06, F_NO64, push_sreg, SEG_ES),
	OP(M1, 0x07, F_NO64 | F_TERM, pop_sreg, SEG_ES),
	OP(M1, 0x0e, F_NO64, push_sreg, SEG_CS),
	OP(M1, 0x16, F_NO64, push_sreg, SEG_SS),
	OP(M1, 0x17, F_NO64 | F_TERM, pop_sreg, SEG_SS),
	OP(M1, 0x1e, F_NO64, push_sreg, SEG_DS),
	OP(M1, 0x1f, F_NO64 | F_TERM, pop_sreg, SEG_DS),
	OP(M1, 0x8c, RM, mov_rm_sreg, 0),
	/* Segment loads end the TB: TB_F_ZEROSEG/STACK32 may change. */
	OP(M1, 0x8e, RM | F_SIZE16 | F_TERM, mov_sreg_rm, 0),
	OP(M1, 0xc4, RM | F_NO64 | F_TERM, lxs, SEG_ES),
	OP(M1, 0xc5, RM | F_NO64 | F_TERM, lxs, SEG_DS),
	OP(M1, 0x9a, F_NO64 | F_FAR | F_TERM, call_far, 0),
	OP(M1, 0xea, F_NO64 | F_FAR | F_TERM, jmp_far, 0),
	OPX(M1, 0xff, 3, RM | F_TERM, call_far_ind, 0),
	OPX(M1, 0xff, 5, RM | F_TERM, jmp_far_ind, 0),
	OP(M1, 0xca, F_IMM16 | F_TERM, retf, 0),
	OP(M1, 0xcb, F_TERM, retf, 0),
	OP(M1, 0xcf, F_TERM, iret, 0),
	OP(M1, 0xcc, F_TERM, op_int3, 0),
	OP(M1, 0xcd, F_IMM8U | F_TERM, op_int, 0),
	OP(M1, 0xce, F_TERM | F_NO64, op_into, 0),
	OP(M1, 0xf1, F_TERM, op_int1, 0),
	OP(M1, 0xe4, F_IMM8U | F_BYTE, in_op, 0), OP(M1, 0xe5, F_IMM8U, in_op, 0),
	OP(M1, 0xe6, F_IMM8U | F_BYTE, out_op, 0), OP(M1, 0xe7, F_IMM8U, out_op, 0),
	OP(M1, 0xec, F_BYTE, in_op, 1), OP(M1, 0xed, 0, in_op, 1),
	OP(M1, 0xee, F_BYTE, out_op, 1), OP(M1, 0xef, 0, out_op, 1),
	OP(M1, 0x6c, F_BYTE | F_REPOK, ins_op, 0), OP(M1, 0x6d, F_REPOK, ins_op, 0),
	OP(M1, 0x6e, F_BYTE | F_REPOK, outs_op, 0), OP(M1, 0x6f, F_REPOK, outs_op, 0),
	OP(M1, 0xf4, F_TERM, hlt, 0),
	OP(M1, 0xfa, 0, cli, 0),
	OP(M1, 0xfb, 0, sti, 0),
	OP(M0F, 0x0b, 0, ud, 0),       /* UD2 */
	OP(M0F, 0xb9, RM, ud, 0),      /* UD1 */
	OP(M0F, 0xff, RM, ud, 0),      /* UD0 */
	OP(M0F, 0x06, 0, clts, 0),
	OP(M0F, 0x08, 0, wbinvd, 0),   /* INVD */
	OP(M0F, 0x09, 0, wbinvd, 0),   /* WBINVD */
	OPX(M0F, 0x00, 0, RM, sldt_str, 0),
	OPX(M0F, 0x00, 1, RM, sldt_str, 1),
	OPX(M0F, 0x00, 2, RM | F_TERM, op_lldt, 0),
	OPX(M0F, 0x00, 3, RM | F_TERM, op_ltr, 0),
	OPX(M0F, 0x00, 4, RM, op_verr, 0),
	OPX(M0F, 0x00, 5, RM, op_verw, 0),
	OP(M0F, 0x02, RM, op_lar, 0),
	OP(M0F, 0x03, RM, op_lsl, 0),
	OPF(M0F, 0x01, P_ANY, 0, M_MEM, 0, 0, 0, RM, sxdt),
	OPF(M0F, 0x01, P_ANY, 1, M_MEM, 0, 1, 0, RM, sxdt),
	OPF(M0F, 0x01, P_ANY, 2, M_MEM, 0, 0, 0, RM | F_TERM, lxdt),
	OPF(M0F, 0x01, P_ANY, 3, M_MEM, 0, 1, 0, RM | F_TERM, lxdt),
	OPF(M0F, 0x01, P_ANY, 4, M_ANY, 0, 0, 0, RM, smsw),
	OPF(M0F, 0x01, P_ANY, 6, M_ANY, 0, 0, 0, RM | F_TERM, lmsw),
	OPF(M0F, 0x01, P_ANY, 7, M_MEM, 0, 0, 0, RM | F_TERM, invlpg),
	OPF(M0F, 0x01, P_ANY, 7, M_RM0, 0, 0, 0, RM | F_ONLY64 | F_TERM, swapgs),
	OPF(M0F, 0xa0, P_ANY, -1, M_ANY, 0, SEG_FS, 0, F_DEF64, push_sreg),
	OPF(M0F, 0xa1, P_ANY, -1, M_ANY, 0, SEG_FS, 0, F_DEF64 | F_TERM, pop_sreg),
	OPF(M0F, 0xa8, P_ANY, -1, M_ANY, 0, SEG_GS, 0, F_DEF64, push_sreg),
	OPF(M0F, 0xa9, P_ANY, -1, M_ANY, 0, SEG_GS, 0, F_DEF64 | F_TERM, pop_sreg),
	OPF(M0F, 0xb2, P_ANY, -1, M_ANY, 0, SEG_SS, 0, RM | F_TERM, lxs),
	OPF(M0F, 0xb4, P_ANY, -1, M_ANY, 0, SEG_FS, 0, RM | F_TERM, lxs),
	OPF(M0F, 0xb5, P_ANY, -1, M_ANY, 0, SEG_GS, 0, RM | F_TERM, lxs),
	/* 0F AE register forms: LFENCE /5, MFENCE /6, SFENCE /7 */
	OPF(M0F, 0xae, P_NONE, 5, M_REG, 0, 0, FEAT(FW_1_EDX, 26), RM, fence),
	OPF(M0F, 0xae, P_NONE, 6, M_REG, 0, 0, FEAT(FW_1_EDX, 26), RM, fence),
	OPF(M0F, 0xae, P_NONE, 7, M_REG, 0, 0, FEAT(FW_1_EDX, 25), RM, fence),
	/* CLFLUSH m8 (0F AE /7), CLFLUSHOPT (66 0F AE /7) */
	OPF(M0F, 0xae, P_NONE, 7, M_MEM, 0, 0, FEAT(FW_1_EDX, 19), RM, clflush),
	OPF(M0F, 0xae, P_66, 7, M_MEM, 0, 0, FEAT(FW_7_0_EBX, 23), RM, clflush),
	{ 0 },
};
